"""Attention by hand, exactly: scaled dot-product attention, multi-head dimensions, gradients.

One module per topic: `exact` (reading and showing exact numbers, the conventions below),
`sdpa`, `multihead` and `grad`. The public names are re-exported here.
"""
from reference.attention.exact import (
    DECIMALS, NEG_INF, approx_matrix, parse_matrix, parse_number, show, show_matrix, to_floats)
from reference.attention.grad import GRAD_ASKS, grad
from reference.attention.multihead import MULTIHEAD_ASKS, multihead
from reference.attention.sdpa import (
    SDPA_ASKS, inv_sqrt, masked, parse_mask, row_softmax, sdpa, softmax_jacobian)

__all__ = [
    "DECIMALS", "GRAD_ASKS", "MULTIHEAD_ASKS", "NEG_INF", "SDPA_ASKS", "approx_matrix", "grad",
    "inv_sqrt", "masked", "multihead", "parse_mask", "parse_matrix", "parse_number", "row_softmax",
    "sdpa", "show", "show_matrix", "softmax_jacobian", "to_floats",
]
