"""Transformer blocks: parameter counts (kind `transformer.params`) and sinusoidal positional
encodings (kind `attention.positional`).

Parameters of PyTorch's `nn.TransformerEncoderLayer` / `nn.TransformerDecoderLayer`, d = d_model:

    multi-head attention   W^Q, W^K, W^V, W^O: 4·d·d, + 4·d biases   (the h heads share these:
                           each head uses a d×d/h slice, so h does not change the count)
    feed-forward           d·d_ff + d_ff·d, + d_ff + d biases
    LayerNorm              γ and β: 2·d each (γ alone when bias = false)

An encoder block has one attention, one feed-forward and two norms; a decoder block adds the
cross-attention and a third norm. Norm placement ("post" as in the paper, "pre" as in GPT-2)
moves the norms but does not change how many there are in one block.

Positional encoding ("Attention Is All You Need", §3.5), for dimension i = 0 … d_model − 1:

    PE(pos, 2k) = sin(pos / 10000^(2k/d_model)),  PE(pos, 2k + 1) = cos(pos / 10000^(2k/d_model))
"""
from __future__ import annotations

import math
from typing import Any

from reference.worked import Worked

BLOCKS = ("encoder", "decoder")
NORMS = ("post", "pre")
NO_OUTPUT_PROJECTION = "W^O left out of the attention"
PER_HEAD_FULL_PROJECTIONS = "a full d_model×d_model W^Q, W^K, W^V for every head"
NO_NORMS = "LayerNorm parameters left out"
NORM_GAMMA_ONLY = "LayerNorm counted with γ only"
NO_BIASES = "biases left out"
NO_CROSS_ATTENTION = "the decoder's cross-attention left out"
DECIMALS = 6


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} {value!r} is not a positive integer")
    return value


def _count(d: int, heads: int, d_ff: int, attentions: int, norms: int, bias: bool, *,
           out_proj: bool = True, per_head: bool = False, norm_size: int = 2,
           biases: bool | None = None) -> int:
    b = bias if biases is None else biases
    qkv = (heads if per_head else 1) * 3 * d * d
    attention = qkv + (d * d if out_proj else 0) + ((4 if out_proj else 3) * d if b else 0)
    ffn = 2 * d * d_ff + ((d_ff + d) if b else 0)
    return attentions * attention + ffn + norms * norm_size * d


def transformer_params(d_model: int, heads: int, d_ff: int, block: str = "encoder",
                       bias: bool = True, norm: str = "post") -> Worked:
    """Trainable parameters of one encoder or decoder block, as PyTorch builds it."""
    d, h, f = _positive(d_model, "d_model"), _positive(heads, "heads"), _positive(d_ff, "d_ff")
    if d % h:
        raise ValueError(f"d_model {d} is not divisible by heads {h}")
    if block not in BLOCKS:
        raise ValueError(f"block {block!r} is not one of {', '.join(BLOCKS)}")
    if norm not in NORMS:
        raise ValueError(f"norm {norm!r} is not one of {', '.join(NORMS)}")
    if not isinstance(bias, bool):
        raise ValueError(f"bias {bias!r} is not true or false")
    attentions, norms = (1, 2) if block == "encoder" else (2, 3)
    norm_size = 2 if bias else 1
    total = _count(d, h, f, attentions, norms, bias, norm_size=norm_size)
    attention = 4 * d * d + (4 * d if bias else 0)
    ffn = 2 * d * f + ((f + d) if bias else 0)
    b = lambda text: text if bias else ""  # noqa: E731 - one-line formatting helper
    steps = [
        f"attention: 4·{d}·{d}{b(f' + 4·{d}')} = {attention:,} (the {h} heads share W^Q, W^K, W^V, W^O)"
        + (" ×2 (self and cross)" if attentions == 2 else ""),
        f"feed-forward: 2·{d}·{f}{b(f' + {f} + {d}')} = {ffn:,}",
        f"{norms} LayerNorms: {norms}·{norm_size}·{d} = {norms * norm_size * d:,} ({norm} placement: same count)",
        f"total: {total:,}",
    ]
    found = {
        NO_OUTPUT_PROJECTION: _count(d, h, f, attentions, norms, bias, out_proj=False, norm_size=norm_size),
        PER_HEAD_FULL_PROJECTIONS: _count(d, h, f, attentions, norms, bias, per_head=True,
                                          norm_size=norm_size) if h > 1 else None,
        NO_NORMS: _count(d, h, f, attentions, 0, bias),
        NORM_GAMMA_ONLY: _count(d, h, f, attentions, norms, bias, norm_size=1) if bias else None,
        NO_BIASES: _count(d, h, f, attentions, norms, bias, biases=False, norm_size=norm_size) if bias else None,
        NO_CROSS_ATTENTION: _count(d, h, f, 1, norms, bias, norm_size=norm_size) if attentions == 2 else None,
    }
    mistakes: dict[str, int] = {}
    for name, value in found.items():
        if value is not None and value != total and value not in mistakes.values():
            mistakes[name] = value
    return Worked(answer=total, steps=tuple(steps), mistakes=mistakes)


# ---------------------------------------------------------------- positional encoding

PAIR_INDEX = "i taken as the pair index k (sin/cos of pos/10000^(2i/d))"
SIN_COS_SWAPPED = "sin and cos swapped (cos on even dimensions)"
NO_TWO_IN_EXPONENT = "exponent i/d_model instead of 2k/d_model"
DEGREES = "angle taken in degrees"


def _pe(pos: int, i: int, d: int, *, pair: bool = False, swap: bool = False,
        plain: bool = False, degrees: bool = False) -> float:
    k = i if pair else i // 2
    exponent = (i if plain else 2 * k) / d
    angle = pos / 10000 ** exponent
    if degrees:
        angle = math.radians(angle)
    even = i % 2 == 0
    return math.sin(angle) if even != swap else math.cos(angle)


def _index_list(value: Any, name: str, limit: int | None = None) -> tuple[list[int], bool]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ValueError(f"{name} is an empty list")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < 0 or (limit is not None and v >= limit):
            bound = f" below d_model = {limit}" if limit is not None else ""
            raise ValueError(f"{name} {v!r} is not an integer >= 0{bound}")
    return values, isinstance(value, list)


def positional(d_model: int, pos: Any, i: Any) -> Worked:
    """PE(pos, i): a number for one (pos, i); a row for a list of either; a matrix (rows = pos)."""
    d = _positive(d_model, "d_model")
    positions, pos_list = _index_list(pos, "pos")
    dims, i_list = _index_list(i, "i", limit=d)

    def table(**slip: bool) -> Any:
        rows = [[round(_pe(p, j, d, **slip), DECIMALS) for j in dims] for p in positions]
        if not pos_list and not i_list:
            return rows[0][0]
        if pos_list and not i_list:
            return [[row[0] for row in rows]]
        return rows

    answer = table()
    steps = []
    for p in positions[:3]:
        for j in dims[:4]:
            k = j // 2
            fn = "sin" if j % 2 == 0 else "cos"
            steps.append(f"PE({p}, {j}) = {fn}({p}/10000^({2 * k}/{d})) = {_pe(p, j, d):.6f}")
    found = {PAIR_INDEX: table(pair=True), SIN_COS_SWAPPED: table(swap=True),
             NO_TWO_IN_EXPONENT: table(plain=True), DEGREES: table(degrees=True)}
    mistakes: dict[str, Any] = {}
    for name, value in found.items():
        if value != answer and value not in mistakes.values():
            mistakes[name] = value
    return Worked(answer=answer, steps=tuple(steps), mistakes=mistakes)
