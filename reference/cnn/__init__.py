"""Layer stacks by hand: shapes, flatten size, parameters, receptive fields and MACs.

One module per topic: `layers` (the layer keys and their validation), `shapes`, `parameters`,
`receptive` and `multiply_adds`. The public names are re-exported here, so `from reference import cnn;
cnn.shapes(...)` keeps working.
"""
from reference.cnn.layers import (
    LAYER_KEYS, BN_RUNNING_STATS, NO_BIAS, NO_FLOOR, NO_INPUT_CHANNELS, POOL_STRIDE_ONE, SAME_FOR_VALID,
    VALID_FOR_SAME, WRONG_DENSE_INPUT, Layer, Shape, parse_input, parse_layer, parse_layers)
from reference.cnn.multiply_adds import macs
from reference.cnn.parameters import layer_params, params
from reference.cnn.receptive import receptive_field
from reference.cnn.shapes import flatten_size, layer_output, propagate, shapes

__all__ = [
    "LAYER_KEYS", "BN_RUNNING_STATS", "NO_BIAS", "NO_FLOOR", "NO_INPUT_CHANNELS", "POOL_STRIDE_ONE",
    "SAME_FOR_VALID", "VALID_FOR_SAME", "WRONG_DENSE_INPUT", "Layer", "Shape", "flatten_size",
    "layer_output", "layer_params", "params", "parse_input", "parse_layer", "parse_layers",
    "propagate", "shapes", "macs", "receptive_field",
]
