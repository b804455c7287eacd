"""Multiply-accumulates of a layer or a stack (kind `cnn.macs`), per image.

The convention of `reference.models.macs` (and fvcore): conv K_h·K_w·C_in·F per OUTPUT position;
transposed conv K_h·K_w·C_in·F per INPUT position (each input pixel is spread over one window);
dense in·units; pooling, batchnorm, activations, upsampling, biases: 0. FLOPs = 2·MACs.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from reference.cnn.layers import Layer, Shape, parse_input, parse_layers
from reference.cnn.shapes import _shapes
from reference.worked import Worked

FLOPS_FOR_MACS = "FLOPs (2·MACs) given for MACs"
INPUT_RESOLUTION = "MACs counted at the input resolution (stride ignored)"
NO_INPUT_CHANNELS = "input channels left out (K·K·F per position)"
TRANSPOSED_PER_OUTPUT = "transposed conv counted per output position (stride² too many)"


def _layer(layer: Layer, shape: Shape, out: Shape) -> tuple[int, str, dict[str, int]]:
    """MACs of one layer, the line that counts them, and the classic slips."""
    if layer.type in ("conv2d", "convtranspose2d"):
        kh, kw = layer.kernel
        c_in, f = shape[2], layer.filters
        where = shape if layer.type == "convtranspose2d" else out
        positions = where[0] * where[1]
        macs = kh * kw * c_in * f * positions
        what = "input" if layer.type == "convtranspose2d" else "output"
        line = f"{kh}·{kw}·{c_in}·{f} per {what} position × {where[0]}·{where[1]} = {macs:,}"
        slips = {NO_INPUT_CHANNELS: kh * kw * f * positions}
        if layer.type == "convtranspose2d":
            slips[TRANSPOSED_PER_OUTPUT] = kh * kw * c_in * f * out[0] * out[1]
        elif shape[:2] != out[:2]:
            slips[INPUT_RESOLUTION] = kh * kw * c_in * f * shape[0] * shape[1]
        return macs, line, slips
    if layer.type == "dense":
        n = shape if isinstance(shape, int) else math.prod(shape)
        return n * layer.units, f"{n}·{layer.units} = {n * layer.units:,}", {}
    return 0, "0 (no multiply-accumulates counted)", {}


def macs(input: Any, layers: Sequence[Mapping[str, Any]], layer: int | str = "total") -> Worked:
    """MACs of layer `layer` (1-based) or of the whole stack ("total"), for one input image."""
    shape = parse_input(input)
    parsed = parse_layers(layers)
    outs = _shapes(shape, parsed)
    ins = [shape, *outs]
    counted = [_layer(l, ins[i], outs[i]) for i, l in enumerate(parsed)]
    if layer != "total":
        if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= len(parsed):
            raise ValueError(f'layer {layer!r} is not a layer number (1..{len(parsed)}) or "total"')
        picked = [layer - 1]
    else:
        picked = list(range(len(parsed)))
    total = sum(counted[i][0] for i in picked)
    steps = [f"{parsed[i].label}: {counted[i][1]}" for i in picked if counted[i][0]]
    if layer == "total":
        steps.append(f"total: {' + '.join(f'{counted[i][0]:,}' for i in picked if counted[i][0]) or '0'}"
                     f" = {total:,}")
    names = dict.fromkeys(n for i in picked for n in counted[i][2])
    mistakes = {n: sum(counted[i][2].get(n, counted[i][0]) for i in picked) for n in names}
    mistakes[FLOPS_FOR_MACS] = 2 * total
    return Worked(answer=total, steps=tuple(steps),
                  mistakes={n: v for n, v in mistakes.items() if v != total})
