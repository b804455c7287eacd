"""Trainable parameters of a layer or a stack (kind `cnn.params`)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from reference.cnn.layers import (
    BN_RUNNING_STATS, NO_BIAS, NO_INPUT_CHANNELS, WRONG_DENSE_INPUT, Layer, Shape, parse_input,
    parse_layer, parse_layers)
from reference.cnn.shapes import _flatten_index, _output, _shapes, _wrong_flatten_sizes
from reference.worked import Worked

# ---------------------------------------------------------------- parameters


@dataclass(frozen=True)
class _Count:
    """Parameters of one layer, how they were counted, and what the classic slips give."""

    total: int
    line: str
    mistakes: dict[str, int]


def _count(layer: Layer, shape: Shape) -> _Count:
    if layer.type in ("conv2d", "convtranspose2d"):
        kh, kw = layer.kernel
        c_in, f = shape[2], layer.filters
        weights = kh * kw * c_in * f
        total = weights + (f if layer.bias else 0)
        formula = f"{kh}·{kw}·{c_in}·{f}" + (f" + {f}" if layer.bias else "")
        slips = {NO_INPUT_CHANNELS: kh * kw * f + (f if layer.bias else 0)}
        slips[NO_BIAS if layer.bias else "biases counted on a layer with bias = false"] = (
            weights if layer.bias else weights + f)
        return _Count(total, f"{formula} = {total}", _keep(slips, total))
    if layer.type == "dense":
        n, u = shape if isinstance(shape, int) else math.prod(shape), layer.units
        total = n * u + (u if layer.bias else 0)
        formula = f"{n}·{u}" + (f" + {u}" if layer.bias else "")
        slips = {NO_BIAS if layer.bias else "biases counted on a layer with bias = false":
                 n * u if layer.bias else n * u + u}
        return _Count(total, f"{formula} = {total}", _keep(slips, total))
    if layer.type == "batchnorm":
        c = shape if isinstance(shape, int) else shape[2]
        return _Count(2 * c, f"2·{c} = {2 * c} (γ and β; running mean and variance are buffers)",
                      {BN_RUNNING_STATS: 4 * c})
    return _Count(0, "0 (no weights)", {})


def _keep(slips: Mapping[str, int], total: int) -> dict[str, int]:
    return {name: n for name, n in slips.items() if n != total}


def layer_params(in_shape: Any, layer: Mapping[str, Any], index: int = 1) -> Worked:
    """Trainable parameters of one layer given its input shape (weights + biases + BN γ, β)."""
    shape = parse_input(in_shape)
    parsed = parse_layer(layer, index)
    _output(parsed, shape)  # the layer must apply to this input before it can be counted
    count = _count(parsed, shape)
    return Worked(answer=count.total, steps=(f"{parsed.type}: {count.line}",), mistakes=count.mistakes)


def _counts(shape: Shape, layers: Sequence[Layer]) -> list[_Count]:
    """Per-layer counts, adding the wrong-dense-input slip to the first dense after a flatten."""
    outs = _shapes(shape, layers)
    ins = [shape, *outs]
    counts = [_count(layer, ins[i]) for i, layer in enumerate(layers)]
    at = _flatten_index(layers)
    if at is not None:
        dense = next((i for i in range(at + 1, len(layers)) if layers[i].type == "dense"), None)
        if dense is not None and all(l.type in ("relu", "dropout", "batchnorm", "flatten")
                                     for l in layers[at + 1:dense]):
            wrong = _wrong_flatten_sizes(shape, layers, outs, at)
            if wrong:
                n, u = next(iter(wrong.values())), layers[dense].units
                slip = n * u + (u if layers[dense].bias else 0)
                c = counts[dense]
                counts[dense] = _Count(c.total, c.line, {**c.mistakes, WRONG_DENSE_INPUT: slip})
    return counts


def params(input: Any, layers: Sequence[Mapping[str, Any]], layer: int | str = "total") -> Worked:
    """Question kind `cnn.params`: trainable parameters of layer `layer` (1-based) or of all ("total")."""
    shape = parse_input(input)
    parsed = parse_layers(layers)
    counts = _counts(shape, parsed)
    if layer != "total":
        if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= len(parsed):
            raise ValueError(f'layer {layer!r} is not a layer number (1..{len(parsed)}) or "total"')
        c = counts[layer - 1]
        return Worked(answer=c.total, steps=(f"{parsed[layer - 1].label}: {c.line}",),
                      mistakes=c.mistakes)
    total = sum(c.total for c in counts)
    steps = [f"{l.label}: {c.line}" for l, c in zip(parsed, counts) if c.total or c.mistakes]
    steps.append(f"total: {' + '.join(str(c.total) for c in counts if c.total) or '0'} = {total}")
    names = dict.fromkeys(name for c in counts for name in c.mistakes)
    mistakes = {name: sum(c.mistakes.get(name, c.total) for c in counts) for name in names}
    return Worked(answer=total, steps=tuple(steps), mistakes=_keep(mistakes, total))

