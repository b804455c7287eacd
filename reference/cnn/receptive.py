"""Receptive field and jump after each layer of a stack (kind `cnn.receptive_field`).

The recurrence (Araujo et al., "Computing Receptive Fields of Convolutional Neural Networks",
Distill 2019), along one axis, starting from r₀ = 1 and j₀ = 1 (one input pixel):

    r_l = r_{l−1} + (k_eff − 1)·j_{l−1}      k_eff = d·(k − 1) + 1
    j_l = j_{l−1}·s

The jump j is the distance, in input pixels, between two neighbouring outputs of layer l.
Padding moves the field but does not change its size. A transposed convolution (stride s) and an
upsample (scale s) divide the jump by s; a transposed conv's window then spans (k − 1)·j_l input
pixels. Shape-keeping layers (relu, batchnorm, dropout) change nothing; after a flatten, a global
pool or a dense layer every output sees the whole input, so they cannot be asked.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any, Mapping, Sequence

from reference.cnn.layers import _POOLS, Layer, _ask, _effective_kernel, parse_input, parse_layers
from reference.worked import Worked

NO_JUMP = "receptive field without the jump (kernel sizes simply added)"
POOL_JUMP_IGNORED = "pooling strides left out of the jump"
DILATION_IGNORED = "dilation ignored"
_WINDOWED = ("conv2d", "convtranspose2d", *_POOLS)
_WHOLE = ("flatten", "dense", "globalavgpool")


def _number(x: Fraction) -> int | float:
    return int(x) if x.denominator == 1 else float(x)


def _fields(layers: Sequence[Layer], axis: int) -> tuple[list[tuple[Fraction, Fraction]], list[str]]:
    """(r, j) after each layer along `axis`, and the lines that compute them; None past a flatten."""
    r, j = Fraction(1), Fraction(1)
    out, lines = [], []
    for layer in layers:
        if layer.type in _WHOLE:
            out.append(None)
            lines.append(f"{layer.label}: every output sees the whole input")
            continue
        if layer.type == "upsample":
            j = j / layer.scale[axis]
            lines.append(f"{layer.label}: r = {_number(r)}, j = j/{layer.scale[axis]} = {_number(j)}")
        elif layer.type == "convtranspose2d":
            s = layer.stride[axis]
            reach = -(-layer.kernel[axis] // s)  # inputs one output sums over, at most: ⌈k/s⌉
            r = r + (reach - 1) * j
            lines.append(f"{layer.label}: r = r + (⌈{layer.kernel[axis]}/{s}⌉ − 1)·{_number(j)} = "
                         f"{_number(r)}, j = {_number(j)}/{s} = {_number(j / s)}")
            j = j / s
        elif layer.type in _WINDOWED:
            k, s = _effective_kernel(layer, axis), layer.stride[axis]
            before = j
            r = r + (k - 1) * j
            j = j * s
            lines.append(f"{layer.label}: r = {_number(r - (k - 1) * before)} + ({k} − 1)·"
                         f"{_number(before)} = {_number(r)}, j = {_number(before)}·{s} = {_number(j)}")
        out.append((r, j))
    return out, lines


def receptive_field(input: Any, layers: Sequence[Mapping[str, Any]], ask: Any = None,
                    jump: bool = True, axis: str = "H") -> Worked:
    """[receptive field, jump] after each asked layer (1-based; default all), in input pixels.

    `jump = false` asks for the receptive fields alone (a list of numbers). `axis` picks H or W
    when kernels or strides differ between them.
    """
    parse_input(input)
    parsed = parse_layers(layers)
    if axis not in ("H", "W"):
        raise ValueError(f'axis {axis!r} is not "H" or "W"')
    if not isinstance(jump, bool):
        raise ValueError(f"jump {jump!r} is not true or false")
    a = "HW".index(axis)
    asked = _ask(ask, len(parsed))
    fields, lines = _fields(parsed, a)
    for n in asked:
        if fields[n - 1] is None:
            raise ValueError(f"{parsed[n - 1].label}: every output sees the whole input; "
                             "ask a layer before the flatten")

    def answer_of(found: list) -> list[Any] | None:
        if any(found[n - 1] is None for n in asked):
            return None
        rows = [[_number(found[n - 1][0]), _number(found[n - 1][1])] for n in asked]
        return rows if jump else [row[0] for row in rows]

    answer = answer_of(fields)
    slips = {
        NO_JUMP: [dataclasses.replace(l, stride=(1, 1)) if l.type in _WINDOWED else l for l in parsed],
        POOL_JUMP_IGNORED: [dataclasses.replace(l, stride=(1, 1)) if l.type in _POOLS else l
                            for l in parsed],
        DILATION_IGNORED: [dataclasses.replace(l, dilation=(1, 1)) for l in parsed],
    }
    mistakes: dict[str, Any] = {}
    for name, alt in slips.items():
        value = answer_of(_fields(alt, a)[0])
        if name == NO_JUMP and value is not None and jump:
            true_jumps = [row[1] for row in answer]  # the student keeps the jump, but never uses it
            value = [[rf, j] for (rf, _), j in zip(value, true_jumps)]
        if value is not None and value != answer and value not in mistakes.values():
            mistakes[name] = value
    steps = (f"r₀ = 1, j₀ = 1 (along {axis}); r ← r + (k_eff − 1)·j, j ← j·s", *lines)
    return Worked(answer=answer, steps=steps, mistakes=mistakes)
