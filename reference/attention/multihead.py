"""Multi-head attention dimensions: d_k, the projection shapes, concat and output (kind `attention.multihead`)."""
from __future__ import annotations

import numbers
from typing import Any

import sympy

from reference.attention.exact import _ask, _differing
from reference.worked import Worked

# ---------------------------------------------------------------------------------------------
# Multi-head attention dimensions
# ---------------------------------------------------------------------------------------------

MULTIHEAD_ASKS = ("d_k", "d_v", "W_Q", "W_K", "W_V", "W_O", "concat", "output", "head")


def multihead(seq_len: int, d_model: int, heads: int, d_k: int | None = None,
              d_v: int | None = None, ask: str = "d_k") -> Worked:
    """Sizes in MultiHead(X) = Concat(head_1..head_h)·W^O, head_i = Attention(XW_i^Q, XW_i^K, XW_i^V).

    X is seq_len×d_model (row vectors). d_k defaults to d_model/h (ValueError when h does not
    divide d_model); d_v defaults to d_k. Shapes are lists [rows, cols]; d_k and d_v are ints.
    """
    _ask(ask, MULTIHEAD_ASKS)
    n, d, h = (_positive(seq_len, "seq_len"), _positive(d_model, "d_model"),
               _positive(heads, "heads"))
    steps: list[str] = []
    if d_k is None:
        if d % h:
            raise ValueError(f"heads = {h} does not divide d_model = {d}: give d_k explicitly")
        dk = d // h
        steps.append(f"d_k = d_model/h = {d}/{h} = {dk}")
    else:
        dk = _positive(d_k, "d_k")
        steps.append(f"d_k = {dk} (given)")
    if d_v is None:
        dv = dk
        steps.append(f"d_v = d_k = {dv}")
    else:
        dv = _positive(d_v, "d_v")
        steps.append(f"d_v = {dv} (given)")
    sizes = _multihead_sizes(n, d, h, dk, dv)
    steps += [
        f"W_i^Q, W_i^K: d_model×d_k = {d}×{dk}; W_i^V: d_model×d_v = {d}×{dv} "
        f"(row vectors: Q_i = X·W_i^Q, X is seq_len×d_model = {n}×{d})",
        f"head_i = softmax(Q_i K_iᵀ/√d_k)·V_i: seq_len×d_v = {n}×{dv}",
        f"Concat(head_1, …, head_{h}): seq_len×h·d_v = {n}×{h}·{dv} = {n}×{h * dv}",
        f"W^O: h·d_v×d_model = {h * dv}×{d}",
        f"MultiHead(X) = Concat·W^O: seq_len×d_model = {n}×{d}",
    ]
    answer = sizes[ask]
    wide = _multihead_sizes(n, d, h, d, d)  # every head as wide as the model
    candidates = {
        "d_k = d_model instead of d_model/h": wide[ask] if ask != "output" else None,
        "W^O shape transposed": [d, h * dv] if ask == "W_O" else None,
        "W^O sized from one head (d_v×d_model)": [dv, d] if ask == "W_O" else None,
        "concat taken as one head's width": [n, dv] if ask == "concat" else None,
        "projection shape transposed": ([sizes[ask][1], sizes[ask][0]]
                                        if ask in ("W_Q", "W_K", "W_V") else None),
        "output taken as the concatenation (W^O left out)": [n, h * dv] if ask == "output" else None,
    }
    return Worked(answer, tuple(steps), _differing(answer, candidates),
                  sympy.Integer(answer) if isinstance(answer, int) else sympy.Matrix([answer]))


def _multihead_sizes(n: int, d: int, h: int, dk: int, dv: int) -> dict[str, Any]:
    return {"d_k": dk, "d_v": dv, "W_Q": [d, dk], "W_K": [d, dk], "W_V": [d, dv],
            "W_O": [h * dv, d], "concat": [n, h * dv], "output": [n, d], "head": [n, dv]}


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} = {value!r} is not a positive integer")
    return int(value)
