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
    convtranspose2d {filters, kernel, stride=1, padding=0, output_padding=0, bias=true}
                  out = (in − 1)·s − 2·p + k + output_padding (PyTorch's ConvTranspose2d)
    upsample      {scale}: nearest-neighbour, H·scale × W·scale × C

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

from dataclasses import dataclass
from typing import Any, Mapping, Sequence


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
    "convtranspose2d": frozenset({"filters", "kernel", "stride", "padding", "output_padding",
                                  "bias", "activation"}),
    "upsample": frozenset({"scale"}),
}
LAYER_KEYS = _ALLOWED_KEYS     # public: the keys each layer type takes (assignment validation)
_REQUIRED_KEYS = {"conv2d": ("filters", "kernel"), "maxpool2d": ("kernel",),
                  "avgpool2d": ("kernel",), "dense": ("units",),
                  "convtranspose2d": ("filters", "kernel"), "upsample": ("scale",)}
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
    output_padding: tuple[int, int] = (0, 0)
    scale: tuple[int, int] = (1, 1)

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
    if kind in ("conv2d", "convtranspose2d"):
        fields["filters"] = _positive(layer["filters"], "filters", label)
    if kind == "convtranspose2d":
        fields.update(_transposed(layer, fields, label))
    if kind == "upsample":
        fields["scale"] = _pair(layer["scale"], "scale", label, minimum=1)
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
    if kind in ("conv2d", "dense", "convtranspose2d"):
        fields["bias"] = _flag(layer.get("bias", True), "bias", label)
    if kind == "dropout":
        for key in ("rate", "p"):
            rate = layer.get(key, 0)
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
                raise ValueError(f"{label}: {key} {rate!r} is not a probability in [0, 1)")
    return Layer(index=index, type=kind, **fields)


def _transposed(layer: Mapping[str, Any], fields: Mapping[str, Any], label: str) -> dict[str, Any]:
    """Numeric padding only, and output_padding below the stride (torch refuses more)."""
    if isinstance(fields["padding"], str):
        if fields["padding"] != _VALID:
            raise ValueError(f'{label}: padding {fields["padding"]!r} is not an int or [ph, pw]')
        fields = {**fields, "padding": (0, 0)}
    extra = _pair(layer.get("output_padding", 0), "output_padding", label, minimum=0)
    for op, s, axis in zip(extra, fields["stride"], "HW"):
        if op >= s:
            raise ValueError(f"{label}: output_padding {op} is not smaller than the stride {s} ({axis})")
    return {"padding": fields["padding"], "output_padding": extra}


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



# ---------------------------------------------------------------- shared helpers


def _show(shape: Shape) -> str:
    return str(shape) if isinstance(shape, int) else "×".join(map(str, shape))


def _as_answer(shape: Shape) -> list[int] | int:
    return shape if isinstance(shape, int) else list(shape)


def _effective_kernel(layer: Layer, axis: int) -> int:
    return layer.dilation[axis] * (layer.kernel[axis] - 1) + 1


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


