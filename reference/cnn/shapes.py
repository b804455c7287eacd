"""Output shapes and flatten sizes of a layer stack (kinds `cnn.shapes`, `cnn.flatten`)."""
from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Any, Mapping, Sequence

from reference.cnn.layers import (
    _POOLS, _SAME, _VALID, NO_FLOOR, POOL_STRIDE_ONE, SAME_FOR_VALID, VALID_FOR_SAME, Layer, Shape,
    _as_answer, _ask, _effective_kernel, _show, parse_input, parse_layer, parse_layers)
from reference.worked import Worked

CONV_FOR_TRANSPOSED = "the convolution formula used for a transposed convolution"

class _TooLarge(Exception):
    """The window does not fit along one axis; `_output` turns it into a message for the layer."""


def _window_dim(layer: Layer, n: int, axis: int) -> tuple[int, str]:
    """Output size along one spatial axis (0 = H, 1 = W) and the line that computes it."""
    s, eff = layer.stride[axis], _effective_kernel(layer, axis)
    if layer.padding == _SAME:
        out = -(-n // s)
        return out, f'"same": ⌈{n}/{s}⌉ = {out}'
    p = 0 if layer.padding == _VALID else layer.padding[axis]
    span = n + 2 * p - eff
    padded = f"{n} − {eff}" if p == 0 else f"{n} + 2·{p} − {eff}"
    if not layer.ceil_mode:
        if span < 0:
            raise _TooLarge()
        out = span // s + 1
        return out, f"⌊({padded})/{s}⌋ + 1 = {out}"
    out = -(-span // s) + 1  # torch lets a ceil-mode window hang over the edge, even a wide one
    if out <= 0:
        raise _TooLarge()
    line = f"⌈({padded})/{s}⌉ + 1 = {out}"
    if (out - 1) * s >= n + p:  # torch: the last window may not start inside the right padding
        out -= 1
        line += f", but the last window would start in the padding, so {out}"
    return out, line


def _too_large(layer: Layer, shape: tuple[int, int, int]) -> str:
    kh, kw = layer.kernel
    what = f"kernel {kh}" if kh == kw else f"kernel [{kh}, {kw}]"
    eff = (_effective_kernel(layer, 0), _effective_kernel(layer, 1))
    if eff != layer.kernel:
        what += f" (dilated to {eff[0]}×{eff[1]})"
    where = f"the {shape[0]}×{shape[1]} input"
    if isinstance(layer.padding, tuple) and layer.padding != (0, 0):
        ph, pw = layer.padding
        where += f" padded to {shape[0] + 2 * ph}×{shape[1] + 2 * pw}"
    return f"{layer.label}: {what} is larger than {where}"


def _output(layer: Layer, shape: Shape) -> tuple[Shape, list[str]]:
    """The layer's output shape and the lines that compute it; ValueError when it cannot apply."""
    kind = layer.type
    if kind in ("relu", "dropout", "batchnorm"):
        return shape, [f"{kind}: shape kept, {_show(shape)}"]
    if kind == "flatten":
        if isinstance(shape, int):
            return shape, [f"flatten: already flat, {shape}"]
        size = math.prod(shape)
        return size, [f"flatten: {'·'.join(map(str, shape))} = {size}"]
    if kind == "dense":
        if not isinstance(shape, int):
            raise ValueError(f"{layer.label}: input {_show(shape)} is not flat; add a flatten layer first")
        return layer.units, [f"dense: {layer.units} units → {layer.units}"]
    if isinstance(shape, int):
        raise ValueError(f"{layer.label}: input {shape} is flat; {kind} needs an H×W×C input")
    h, w, c = shape
    if kind == "upsample":
        out = (h * layer.scale[0], w * layer.scale[1], c)
        sh, sw = layer.scale
        factor = f"×{sh}" if sh == sw else f"×{sh} (H), ×{sw} (W)"
        return out, [f"upsample {factor}: {h}·{sh} × {w}·{sw} × {c} = {_show(out)}"]
    if kind == "convtranspose2d":
        return _transposed_output(layer, shape)
    if kind == "globalavgpool":
        return (1, 1, c), [f"global average pool: {h}×{w}×{c} → 1×1×{c}"]
    lines = []
    if layer.dilation != (1, 1):
        lines += [f"effective kernel ({'HW'[a]}): {layer.dilation[a]}·({layer.kernel[a]} − 1) + 1"
                  f" = {_effective_kernel(layer, a)}" for a in (0, 1)
                  if a == 0 or not _square(layer)]
    try:
        out_h, line_h = _window_dim(layer, h, 0)
        out_w, line_w = _window_dim(layer, w, 1)
    except _TooLarge:
        raise ValueError(_too_large(layer, shape)) from None
    if h == w and _square(layer):
        lines.append(f"H = W: {line_h}")
    else:
        lines += [f"H: {line_h}", f"W: {line_w}"]
    if kind == "conv2d":
        out_c = layer.filters
        lines.append(f"C: {layer.filters} filters → {out_c}")
    else:
        out_c = c
        lines.append(f"C: unchanged, {c}")
    out = (out_h, out_w, out_c)
    lines.append(f"output: {_show(out)}")
    return out, lines


def _transposed_dim(layer: Layer, n: int, axis: int) -> tuple[int, str]:
    s, p, k, op = layer.stride[axis], layer.padding[axis], layer.kernel[axis], layer.output_padding[axis]
    out = (n - 1) * s - 2 * p + k + op
    line = f"({n} − 1)·{s} − 2·{p} + {k}" + (f" + {op}" if op else "") + f" = {out}"
    return out, line


def _transposed_output(layer: Layer, shape: tuple[int, int, int]) -> tuple[Shape, list[str]]:
    """PyTorch's ConvTranspose2d: out = (in − 1)·s − 2·p + k + output_padding."""
    (out_h, line_h), (out_w, line_w) = (_transposed_dim(layer, shape[a], a) for a in (0, 1))
    if min(out_h, out_w) < 1:
        raise ValueError(f"{layer.label}: padding {_show(layer.padding)} leaves no output for the "
                         f"{shape[0]}×{shape[1]} input")
    same = shape[0] == shape[1] and _square(layer) and layer.output_padding[0] == layer.output_padding[1]
    lines = [f"H = W: {line_h}"] if same else [f"H: {line_h}", f"W: {line_w}"]
    out = (out_h, out_w, layer.filters)
    return out, [*lines, f"C: {layer.filters} filters → {layer.filters}", f"output: {_show(out)}"]


def _square(layer: Layer) -> bool:
    """Same kernel, stride, padding and dilation along H and W."""
    pad_square = not isinstance(layer.padding, tuple) or layer.padding[0] == layer.padding[1]
    return (layer.kernel[0] == layer.kernel[1] and layer.stride[0] == layer.stride[1]
            and layer.dilation[0] == layer.dilation[1] and pad_square)


def _try_output(layer: Layer, shape: Shape) -> Shape | None:
    try:
        return _output(layer, shape)[0]
    except ValueError:
        return None


def _unfloored(layer: Layer, shape: tuple[int, int, int]) -> list[int | float]:
    """The output with the floor dropped: (in + 2p − k_eff)/s + 1 exactly, a float when not whole."""
    dims: list[int | float] = []
    for axis in (0, 1):
        p = 0 if layer.padding == _VALID else layer.padding[axis]
        value = Fraction(shape[axis] + 2 * p - _effective_kernel(layer, axis), layer.stride[axis]) + 1
        dims.append(int(value) if value.denominator == 1 else float(value))
    dims.append(layer.filters if layer.type == "conv2d" else shape[2])
    return dims


def _layer_mistakes(layer: Layer, shape: Shape, answer: Shape) -> dict[str, Any]:
    """What the classic slips give for this one layer, keeping only those that change the answer."""
    if layer.type == "convtranspose2d" and not isinstance(shape, int):
        conv = dataclasses.replace(layer, type="conv2d", output_padding=(0, 0))
        return _differing({CONV_FOR_TRANSPOSED: _try_output(conv, shape),
                           "output_padding left out": _try_output(
                               dataclasses.replace(layer, output_padding=(0, 0)), shape)}, answer)
    if layer.type not in ("conv2d", *_POOLS) or isinstance(shape, int):
        if layer.type == "flatten" and not isinstance(shape, int):
            return _differing({"channels left out of the flatten (H·W)": shape[0] * shape[1]}, answer)
        return {}
    found: dict[str, Any] = {}
    if layer.padding == _VALID or layer.padding == (0, 0):
        found[SAME_FOR_VALID] = _try_output(dataclasses.replace(layer, padding=_SAME, ceil_mode=False), shape)
    elif layer.padding == _SAME:
        found[VALID_FOR_SAME] = _try_output(dataclasses.replace(layer, padding=_VALID), shape)
        floored = (shape[0] // layer.stride[0], shape[1] // layer.stride[1], answer[2])
        if min(floored) > 0:
            found['"same" output rounded down (⌊in/stride⌋)'] = floored
    else:
        found["padding left out"] = _try_output(dataclasses.replace(layer, padding=(0, 0)), shape)
    if layer.padding != _SAME:
        if layer.ceil_mode:
            found["floor used where ceil_mode is on"] = _try_output(
                dataclasses.replace(layer, ceil_mode=False), shape)
        else:
            found[NO_FLOOR] = _unfloored(layer, shape)
    if layer.type in _POOLS and layer.stride != (1, 1):
        found[POOL_STRIDE_ONE] = _try_output(dataclasses.replace(layer, stride=(1, 1)), shape)
    if layer.dilation != (1, 1):
        found["dilation ignored"] = _try_output(dataclasses.replace(layer, dilation=(1, 1)), shape)
    if layer.type == "conv2d" and shape[2] != layer.filters:
        found["channels kept from the input instead of the filter count"] = (*answer[:2], shape[2])
    return _differing(found, answer)


def _differing(found: Mapping[str, Any], answer: Any) -> dict[str, Any]:
    """Mistakes in answer form, dropping those that cannot be computed or equal the answer."""
    correct = _as_answer(answer) if isinstance(answer, (int, tuple)) else answer
    out = {}
    for name, value in found.items():
        if value is None:
            continue
        value = _as_answer(value) if isinstance(value, tuple) else value
        if value != correct:
            out[name] = value
    return out


def layer_output(in_shape: Any, layer: Mapping[str, Any], index: int = 1) -> Worked:
    """Output shape of one layer: [H, W, C], or an int once flat; mistakes are this layer's slips."""
    shape = parse_input(in_shape)
    parsed = parse_layer(layer, index)
    out, lines = _output(parsed, shape)
    return Worked(answer=_as_answer(out), steps=tuple(lines),
                  mistakes=_layer_mistakes(parsed, shape, out))


def _shapes(shape: Shape, layers: Sequence[Layer]) -> list[Shape]:
    """Output shape after each layer; ValueError at the first layer that cannot apply."""
    out = []
    for layer in layers:
        shape = _output(layer, shape)[0]
        out.append(shape)
    return out


def _try_shapes(shape: Shape, layers: Sequence[Layer]) -> list[Shape] | None:
    try:
        return _shapes(shape, layers)
    except ValueError:
        return None


def propagate(input: Any, layers: Sequence[Mapping[str, Any]]) -> list[Worked]:
    """One `Worked` per layer, each computed from the previous layer's output."""
    shape = parse_input(input)
    results = []
    for layer in parse_layers(layers):
        out, lines = _output(layer, shape)
        results.append(Worked(answer=_as_answer(out), steps=tuple(lines),
                              mistakes=_layer_mistakes(layer, shape, out)))
        shape = out
    return results


def _swap_padding(layers: Sequence[Layer], swap: Mapping[str, str]) -> list[Layer]:
    def swapped(layer: Layer) -> Layer:
        padding = _VALID if layer.padding == (0, 0) and layer.type == "conv2d" else layer.padding
        if isinstance(padding, str) and padding in swap:
            return dataclasses.replace(layer, padding=swap[padding], ceil_mode=False)
        return layer
    return [swapped(layer) for layer in layers]


def shapes(input: Any, layers: Sequence[Mapping[str, Any]], ask: Any = None) -> Worked:
    """Question kind `cnn.shapes`: the asked layers' outputs (1-based; default all).

    Mistakes are whole answers: "same"/"valid" confused, channels written first, pooling stride
    taken as 1, numeric padding left out.
    """
    shape = parse_input(input)
    parsed = parse_layers(layers)
    asked = _ask(ask, len(parsed))
    outs = _shapes(shape, parsed)
    steps: list[str] = []
    current = shape
    for layer, out in zip(parsed, outs):
        steps += [f"{layer.label}: {line}" for line in _output(layer, current)[1]]
        current = out

    def pick(seq: list[Shape] | None) -> list[Any] | None:
        return None if seq is None else [_as_answer(seq[n - 1]) for n in asked]

    alternatives = {
        SAME_FOR_VALID: _swap_padding(parsed, {_VALID: _SAME}),
        VALID_FOR_SAME: _swap_padding(parsed, {_SAME: _VALID}),
        '"same" and "valid" swapped throughout': _swap_padding(parsed, {_SAME: _VALID, _VALID: _SAME}),
        POOL_STRIDE_ONE: [dataclasses.replace(l, stride=(1, 1)) if l.type in _POOLS else l
                          for l in parsed],
        "padding left out": [dataclasses.replace(l, padding=(0, 0)) if isinstance(l.padding, tuple)
                             else l for l in parsed],
    }
    found: dict[str, Any] = {name: pick(_try_shapes(shape, alt)) for name, alt in alternatives.items()}
    found["channels first (C×H×W)"] = [[s[2], s[0], s[1]] if isinstance(s, tuple) else s
                                       for s in (outs[n - 1] for n in asked)]
    answer = pick(outs)
    mistakes: dict[str, Any] = {}
    for name, value in found.items():  # keep one name per distinct wrong answer
        if value is not None and value != answer and value not in mistakes.values():
            mistakes[name] = value
    return Worked(answer=answer, steps=tuple(steps), mistakes=mistakes)


# ---------------------------------------------------------------- flatten


def _flatten_index(layers: Sequence[Layer]) -> int | None:
    return next((i for i, layer in enumerate(layers) if layer.type == "flatten"), None)


def _wrong_flatten_sizes(shape: Shape, layers: Sequence[Layer], outs: Sequence[Shape],
                         end: int) -> dict[str, int]:
    """Flatten sizes a student gets from the wrong tensor, for the input of layer `end` (0-based)."""
    ins = [shape, *outs]  # ins[i] is the input of layer i
    flat_in = ins[end]
    found: dict[str, int] = {}
    pools = [i for i in range(end) if layers[i].type in (*_POOLS, "globalavgpool")]
    if pools and isinstance(ins[pools[-1]], tuple):
        found["flatten of the output before the last pooling layer"] = math.prod(ins[pools[-1]])
    if isinstance(flat_in, tuple):
        found["channels left out of the flatten (H·W)"] = flat_in[0] * flat_in[1]
    correct = flat_in if isinstance(flat_in, int) else math.prod(flat_in)
    return {name: n for name, n in found.items() if n != correct}


def flatten_size(input: Any, layers: Sequence[Mapping[str, Any]]) -> Worked:
    """Question kind `cnn.flatten`: the size after the first flatten layer (or of the final output)."""
    shape = parse_input(input)
    parsed = parse_layers(layers)
    outs = _shapes(shape, parsed)
    at = _flatten_index(parsed)
    end = len(parsed) if at is None else at
    flat_in = ([shape, *outs])[end]
    if isinstance(flat_in, int):
        size, step = flat_in, f"already flat: {flat_in}"
    else:
        size = math.prod(flat_in)
        step = f"flatten {_show(flat_in)}: {'·'.join(map(str, flat_in))} = {size}"
    where = "the final output" if at is None else f"the input of layer {at + 1} (flatten)"
    steps = (f"flattened tensor: {where}, {_show(flat_in)}", step)
    return Worked(answer=size, steps=steps, mistakes=_wrong_flatten_sizes(shape, parsed, outs, end))


