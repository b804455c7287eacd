"""Layer stacks by hand: output shapes, flatten size and parameter counts, with the work shown.

Layers are the dicts of DESIGN.md's "Layer keys":

    conv2d        {filters, kernel, stride=1, padding="valid"|"same"|int|[ph, pw], dilation=1, bias=true}
    maxpool2d     {kernel, stride=kernel, padding=0 (or "same"/"valid"), ceil_mode=false}
    avgpool2d     same keys as maxpool2d
    globalavgpool H×W×C -> 1×1×C
    batchnorm     shape kept; 2·C trainable parameters (γ, β)
    relu, dropout shape kept (dropout may say `rate` or `p`)
    flatten       H×W×C -> H·W·C (one int)
    dense         {units, bias=true}; needs a flat input (one int)

Every layer may also carry a `name`; conv2d and dense may carry an `activation` (no effect on
shapes or counts). `kernel`, `stride`, `dilation` and numeric `padding` take an int or [h, w].

Conventions:
- Shapes are textbook (H, W, C); after flatten or dense the shape is one int.
- Numeric padding follows PyTorch: out = ⌊(in + 2·p − d·(k − 1) − 1)/s⌋ + 1, with ceil_mode
  rounding up but never starting a window in the right-hand padding (torch's rule).
- "same" follows TensorFlow: out = ⌈in/s⌉ for any stride and dilation, pooling included;
  "valid" is padding 0.
- Parameters: conv K_h·K_w·C_in·F (+ F biases), dense in·units (+ units), batchnorm 2·C
  (running mean and variance are buffers, not parameters); every other layer 0.

Pure Python (ints only, no torch). Every public function returns a `Worked`; a bad layer raises
`ValueError` naming the layer's 1-based index, its type and the bad value.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Sequence

from reference.worked import Worked

Shape = tuple[int, int, int] | int  # (H, W, C), or one int once flat

_ALLOWED_KEYS: dict[str, frozenset[str]] = {
    "conv2d": frozenset({"filters", "kernel", "stride", "padding", "dilation", "bias", "activation"}),
    "maxpool2d": frozenset({"kernel", "stride", "padding", "ceil_mode"}),
    "avgpool2d": frozenset({"kernel", "stride", "padding", "ceil_mode"}),
    "globalavgpool": frozenset(),
    "batchnorm": frozenset(),
    "relu": frozenset(),
    "dropout": frozenset({"rate", "p"}),
    "flatten": frozenset(),
    "dense": frozenset({"units", "bias", "activation"}),
}
_REQUIRED_KEYS = {"conv2d": ("filters", "kernel"), "maxpool2d": ("kernel",),
                  "avgpool2d": ("kernel",), "dense": ("units",)}
LAYER_KEYS = _ALLOWED_KEYS     # public: the keys each layer type takes, for checkers
_POOLS = ("maxpool2d", "avgpool2d")
_SAME, _VALID = "same", "valid"

SAME_FOR_VALID = '"same" padding used where the layer is "valid"'
VALID_FOR_SAME = '"valid" padding used where the layer is "same"'
NO_FLOOR = "no floor in the output-size formula"
POOL_STRIDE_ONE = "pooling stride taken as 1"
NO_BIAS = "parameters without the biases"
NO_INPUT_CHANNELS = "input channels left out (K·K·F + F)"
BN_RUNNING_STATS = "batchnorm running statistics counted as parameters"
WRONG_DENSE_INPUT = "dense layer counted with the wrong input size"


@dataclass(frozen=True)
class Layer:
    """One validated layer: sizes normalised to (h, w) pairs; `padding` is "same", "valid" or (ph, pw)."""

    index: int
    type: str
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: str | tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    ceil_mode: bool = False
    filters: int = 0
    units: int = 0
    bias: bool = True

    @property
    def label(self) -> str:
        return f"layer {self.index} ({self.type})"


# ---------------------------------------------------------------- validation


def parse_layer(layer: Mapping[str, Any], index: int = 1) -> Layer:
    """Validate one layer dict and normalise it; `index` is 1-based and only used in messages."""
    if not isinstance(layer, Mapping):
        raise ValueError(f"layer {index}: {layer!r} is not a table of layer keys")
    kind = layer.get("type")
    if not isinstance(kind, str) or kind.lower() not in _ALLOWED_KEYS:
        known = ", ".join(_ALLOWED_KEYS)
        raise ValueError(f"layer {index}: unknown type {kind!r} (known: {known})")
    kind = kind.lower()
    label = f"layer {index} ({kind})"
    for key in layer:
        if key not in ("type", "name") and key not in _ALLOWED_KEYS[kind]:
            raise ValueError(f"{label}: unknown key {key!r}")
    for key in _REQUIRED_KEYS.get(kind, ()):
        if key not in layer:
            raise ValueError(f"{label}: missing {key!r}")
    fields: dict[str, Any] = {}
    if "kernel" in _ALLOWED_KEYS[kind]:
        fields["kernel"] = _pair(layer["kernel"], "kernel", label, minimum=1)
        default_stride = fields["kernel"] if kind in _POOLS else 1
        fields["stride"] = _pair(layer.get("stride", default_stride), "stride", label, minimum=1)
        fields["padding"] = _padding(layer.get("padding", _VALID if kind == "conv2d" else 0), label)
    if kind == "conv2d":
        fields["dilation"] = _pair(layer.get("dilation", 1), "dilation", label, minimum=1)
        fields["filters"] = _positive(layer["filters"], "filters", label)
    if kind in _POOLS:
        fields["ceil_mode"] = _flag(layer.get("ceil_mode", False), "ceil_mode", label)
        padding = fields["padding"]
        if fields["ceil_mode"] and padding == _SAME:
            raise ValueError(f'{label}: ceil_mode applies to numeric padding, not "same"')
        if isinstance(padding, tuple):
            for p, k, axis in zip(padding, fields["kernel"], "HW"):
                if 2 * p > k:  # torch refuses this too: a window would lie wholly in the padding
                    raise ValueError(f"{label}: padding {p} is more than half the kernel {k} ({axis})")
    if kind == "dense":
        fields["units"] = _positive(layer["units"], "units", label)
    if kind in ("conv2d", "dense"):
        fields["bias"] = _flag(layer.get("bias", True), "bias", label)
    if kind == "dropout":
        for key in ("rate", "p"):
            rate = layer.get(key, 0)
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
                raise ValueError(f"{label}: {key} {rate!r} is not a probability in [0, 1)")
    return Layer(index=index, type=kind, **fields)


def parse_layers(layers: Sequence[Mapping[str, Any]]) -> list[Layer]:
    """Validate a whole stack; layer numbers in messages are 1-based."""
    if isinstance(layers, (str, bytes, Mapping)) or not isinstance(layers, Sequence):
        raise ValueError(f"layers must be a list of layer tables, not {layers!r}")
    return [parse_layer(layer, i) for i, layer in enumerate(layers, start=1)]


def parse_input(shape: Any) -> Shape:
    """[H, W, C] (textbook order) or one int for a flat input."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        if shape <= 0:
            raise ValueError(f"input size {shape} must be positive")
        return shape
    if isinstance(shape, (list, tuple)) and len(shape) == 3:
        if all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape):
            return (shape[0], shape[1], shape[2])
    raise ValueError(f"input {shape!r} is not [H, W, C] of positive integers (or one int)")


def _positive(value: Any, key: str, label: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{label}: {key} {value!r} is not an integer")
    if value < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{label}: {key} {value} is not {kind}")
    return value


def _pair(value: Any, key: str, label: str, minimum: int) -> tuple[int, int]:
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"{label}: {key} {list(value)} is not an int or [h, w]")
        return (_positive(value[0], key, label, minimum), _positive(value[1], key, label, minimum))
    n = _positive(value, key, label, minimum)
    return (n, n)


def _padding(value: Any, label: str) -> str | tuple[int, int]:
    if isinstance(value, str):
        if value.lower() in (_SAME, _VALID):
            return value.lower()
        raise ValueError(f'{label}: padding {value!r} is not "same", "valid", an int or [ph, pw]')
    return _pair(value, "padding", label, minimum=0)


def _flag(value: Any, key: str, label: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{label}: {key} {value!r} is not true or false")
    return value


# ---------------------------------------------------------------- output sizes


def _show(shape: Shape) -> str:
    return str(shape) if isinstance(shape, int) else "×".join(map(str, shape))


def _as_answer(shape: Shape) -> list[int] | int:
    return shape if isinstance(shape, int) else list(shape)


def _effective_kernel(layer: Layer, axis: int) -> int:
    return layer.dilation[axis] * (layer.kernel[axis] - 1) + 1


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


def _ask(ask: Any, count: int) -> list[int]:
    if ask is None:
        return list(range(1, count + 1))
    asked = [ask] if isinstance(ask, int) else ask
    if isinstance(asked, (str, bytes)) or not isinstance(asked, Sequence) or not asked:
        raise ValueError(f"ask {ask!r} is not a list of layer numbers")
    for n in asked:
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= count:
            raise ValueError(f"ask {n!r} is not a layer number (1..{count})")
    return list(asked)


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


# ---------------------------------------------------------------- parameters


@dataclass(frozen=True)
class _Count:
    """Parameters of one layer, how they were counted, and what the classic slips give."""

    total: int
    line: str
    mistakes: dict[str, int]


def _count(layer: Layer, shape: Shape) -> _Count:
    if layer.type == "conv2d":
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
