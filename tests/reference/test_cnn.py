"""reference.cnn against torch: shapes from modules on the meta device, counts from numel()."""
from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reference import cnn
from reference.worked import Worked

HOMEWORK = [
    {"type": "conv2d", "filters": 32, "kernel": 3, "stride": 1, "padding": "same"},
    {"type": "maxpool2d", "kernel": 2, "stride": 2},
    {"type": "conv2d", "filters": 64, "kernel": 3, "stride": 1, "padding": "valid"},
    {"type": "maxpool2d", "kernel": 2, "stride": 2},
    {"type": "flatten"},
    {"type": "dense", "units": 10},
]


# ---------------------------------------------------------------- torch as the oracle


def _pair(v: int | list[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def _tf_same_pad(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow's "same": output ⌈n/s⌉, padding split with the extra pixel at the end."""
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def torch_output(shape: list[int], layer: dict) -> list[int] | int:
    """Output shape (H, W, C) of the torch equivalent of `layer`, run on the meta device."""
    h, w, c = shape
    x = torch.empty(1, c, h, w, device="meta")
    kernel = _pair(layer["kernel"])
    stride = _pair(layer.get("stride", 1 if layer["type"] == "conv2d" else layer["kernel"]))
    dilation = _pair(layer.get("dilation", 1))
    padding = layer.get("padding", "valid" if layer["type"] == "conv2d" else 0)
    if padding == "same":
        top, bottom = _tf_same_pad(h, kernel[0], stride[0], dilation[0])
        left, right = _tf_same_pad(w, kernel[1], stride[1], dilation[1])
        x = F.pad(x, (left, right, top, bottom))
        padding = 0
    elif padding == "valid":
        padding = 0
    padding = _pair(padding)
    if layer["type"] == "conv2d":
        module = nn.Conv2d(c, layer["filters"], kernel, stride, padding, dilation, device="meta")
    elif layer["type"] == "maxpool2d":
        module = nn.MaxPool2d(kernel, stride, padding, ceil_mode=layer.get("ceil_mode", False))
    else:
        module = nn.AvgPool2d(kernel, stride, padding, ceil_mode=layer.get("ceil_mode", False))
    n, c_out, h_out, w_out = module(x).shape
    return [h_out, w_out, c_out]


def random_layer(rng: random.Random) -> tuple[list[int], dict]:
    kind = rng.choice(["conv2d", "conv2d", "maxpool2d", "avgpool2d"])
    shape = [rng.randint(1, 40), rng.randint(1, 40), rng.randint(1, 8)]

    def size(lo: int, hi: int) -> int | list[int]:
        return rng.randint(lo, hi) if rng.random() < 0.6 else [rng.randint(lo, hi), rng.randint(lo, hi)]

    layer: dict = {"type": kind, "kernel": size(1, 7)}
    if rng.random() < 0.7:
        layer["stride"] = size(1, 4)
    if kind == "conv2d":
        layer["filters"] = rng.randint(1, 16)
        if rng.random() < 0.3:
            layer["dilation"] = size(1, 3)
        layer["padding"] = rng.choice(["same", "valid", rng.randint(0, 3), [rng.randint(0, 3), rng.randint(0, 3)]])
    else:
        kh, kw = _pair(layer["kernel"])
        choice = rng.random()
        if choice < 0.2:
            layer["padding"] = "same"
        elif choice < 0.3:
            layer["padding"] = "valid"
        elif choice < 0.7:
            layer["padding"] = [rng.randint(0, kh // 2), rng.randint(0, kw // 2)]
        if choice >= 0.2 and rng.random() < 0.5:
            layer["ceil_mode"] = True
    return shape, layer


RANDOM_CASES = [random_layer(random.Random(seed)) for seed in range(600)]


def test_random_layers_match_torch() -> None:
    checked = refused = 0
    for shape, layer in RANDOM_CASES:
        try:
            expected = torch_output(shape, layer)
        except RuntimeError:
            expected = None  # torch refuses: the window does not fit
        if expected is not None and min(expected) <= 0:
            expected = None
        if expected is None:
            with pytest.raises(ValueError, match=r"^layer 1 \("):
                cnn.layer_output(shape, layer)
            refused += 1
            continue
        got = cnn.layer_output(shape, layer)
        assert got.answer == expected, (shape, layer, got.steps)
        assert got.steps[-1] == "output: " + "×".join(map(str, expected))
        checked += 1
    assert checked > 400 and refused > 20  # both branches really ran


def test_same_for_valid_mistake_is_torch_same_padding() -> None:
    for shape, layer in RANDOM_CASES:
        if layer["type"] != "conv2d" or layer.get("padding") != "valid":
            continue
        try:
            worked = cnn.layer_output(shape, layer)
        except ValueError:
            continue
        same = torch_output(shape, {**layer, "padding": "same"})
        if same != worked.answer:
            assert worked.mistakes[cnn.SAME_FOR_VALID] == same


def test_no_floor_mistake_is_the_exact_quotient() -> None:
    layer = {"type": "conv2d", "filters": 8, "kernel": 3, "stride": 2, "padding": 0}
    worked = cnn.layer_output([32, 32, 3], layer)
    assert worked.answer == [15, 15, 8]
    assert worked.mistakes[cnn.NO_FLOOR] == [(32 - 3) / 2 + 1, (32 - 3) / 2 + 1, 8]


def test_pool_stride_one_mistake() -> None:
    worked = cnn.layer_output([8, 8, 4], {"type": "maxpool2d", "kernel": 2})
    assert worked.answer == torch_output([8, 8, 4], {"type": "maxpool2d", "kernel": 2})
    assert worked.mistakes[cnn.POOL_STRIDE_ONE] == torch_output(
        [8, 8, 4], {"type": "maxpool2d", "kernel": 2, "stride": 1})


def test_valid_for_same_mistake() -> None:
    worked = cnn.layer_output([32, 32, 3], {"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"})
    assert worked.mistakes[cnn.VALID_FOR_SAME] == torch_output(
        [32, 32, 3], {"type": "conv2d", "filters": 4, "kernel": 3, "padding": "valid"})


def test_mistakes_never_equal_the_answer() -> None:
    for shape, layer in RANDOM_CASES:
        try:
            worked = cnn.layer_output(shape, layer)
        except ValueError:
            continue
        assert worked.answer not in worked.mistakes.values()


# ---------------------------------------------------------------- the homework's own stack


def test_homework_shapes_flatten_and_params() -> None:
    worked = cnn.shapes([32, 32, 3], HOMEWORK, ask=[1, 2, 3, 4])
    assert isinstance(worked, Worked)
    assert worked.answer == [[32, 32, 32], [16, 16, 32], [14, 14, 64], [7, 7, 64]]
    assert cnn.flatten_size([32, 32, 3], HOMEWORK).answer == 3136
    conv1 = cnn.params([32, 32, 3], HOMEWORK, layer=1)
    assert conv1.answer == 896
    assert conv1.steps == ("layer 1 (conv2d): 3·3·3·32 + 32 = 896",)
    assert conv1.mistakes[cnn.NO_BIAS] == 3 * 3 * 3 * 32
    assert conv1.mistakes[cnn.NO_INPUT_CHANNELS] == 3 * 3 * 32 + 32


def test_shapes_default_asks_every_layer_and_matches_torch_stack() -> None:
    worked = cnn.shapes([32, 32, 3], HOMEWORK)
    x = torch.empty(1, 3, 32, 32, device="meta")
    x = F.pad(x, (1, 1, 1, 1))  # "same" for a 3×3 stride-1 conv
    stack = nn.Sequential(nn.Conv2d(3, 32, 3), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(7 * 7 * 64, 10)).to("meta")
    torch_shapes = []
    for module in stack:
        x = module(x)
        torch_shapes.append(list(x.shape[1:]) if x.dim() == 2 else [x.shape[2], x.shape[3], x.shape[1]])
    assert worked.answer == [s[0] if len(s) == 1 else s for s in torch_shapes]


def test_shapes_mistakes_are_whole_answers() -> None:
    worked = cnn.shapes([32, 32, 3], HOMEWORK, ask=[1, 2, 3, 4])
    swapped = worked.mistakes[cnn.VALID_FOR_SAME]
    assert swapped[0] == [30, 30, 32]  # the first conv computed "valid"
    assert worked.mistakes["channels first (C×H×W)"] == [[32, 32, 32], [32, 16, 16], [64, 14, 14], [64, 7, 7]]
    for value in worked.mistakes.values():
        assert len(value) == 4 and value != worked.answer


def test_shapes_ask_single_layer_and_bad_ask() -> None:
    assert cnn.shapes([32, 32, 3], HOMEWORK, ask=[5, 6]).answer == [3136, 10]
    with pytest.raises(ValueError, match="ask 7 is not a layer number"):
        cnn.shapes([32, 32, 3], HOMEWORK, ask=[7])


def test_flatten_mistakes() -> None:
    worked = cnn.flatten_size([32, 32, 3], HOMEWORK)
    assert worked.mistakes["flatten of the output before the last pooling layer"] == 14 * 14 * 64
    assert worked.mistakes["channels left out of the flatten (H·W)"] == 7 * 7


def test_flatten_without_flatten_layer_uses_final_output() -> None:
    assert cnn.flatten_size([28, 28, 1], HOMEWORK[:3]).answer == 12 * 12 * 64


def test_propagate_one_per_layer() -> None:
    results = cnn.propagate([32, 32, 3], HOMEWORK)
    assert [r.answer for r in results] == [[32, 32, 32], [16, 16, 32], [14, 14, 64], [7, 7, 64], 3136, 10]
    assert results[0].steps[0] == 'H = W: "same": ⌈32/1⌉ = 32'


def test_step_text_shows_padding_term() -> None:
    worked = cnn.layer_output([32, 32, 3], {"type": "conv2d", "filters": 32, "kernel": 3, "padding": 1})
    assert worked.steps[0] == "H = W: ⌊(32 + 2·1 − 3)/1⌋ + 1 = 32"
    same = cnn.layer_output([32, 32, 3], {"type": "conv2d", "filters": 8, "kernel": 3, "stride": 2,
                                          "padding": "same"})
    assert same.steps[0] == 'H = W: "same": ⌈32/2⌉ = 16'


# ---------------------------------------------------------------- parameters against numel()


def torch_stack(shape: list[int], layers: list[dict]) -> nn.Sequential:
    """The torch equivalent, built on meta; Linear's in_features read off the running tensor."""
    x = torch.empty(2, shape[2], shape[0], shape[1], device="meta")
    modules: list[nn.Module] = []
    for layer in layers:
        kind, bias = layer["type"], layer.get("bias", True)
        if kind == "conv2d":
            module: nn.Module = nn.Conv2d(x.shape[1], layer["filters"], layer["kernel"], bias=bias)
        elif kind == "batchnorm":
            module = nn.BatchNorm2d(x.shape[1]) if x.dim() == 4 else nn.BatchNorm1d(x.shape[1])
        elif kind == "dense":
            module = nn.Linear(x.shape[1], layer["units"], bias=bias)
        elif kind == "flatten":
            module = nn.Flatten()
        elif kind == "maxpool2d":
            module = nn.MaxPool2d(layer["kernel"])
        else:
            module = nn.ReLU()
        module = module.to("meta")
        x = module(x)
        modules.append(module)
    return nn.Sequential(*modules)


def random_stack(rng: random.Random) -> tuple[list[int], list[dict]]:
    shape = [rng.randint(8, 32), rng.randint(8, 32), rng.randint(1, 4)]
    layers: list[dict] = []
    for _ in range(rng.randint(1, 3)):
        layers.append({"type": "conv2d", "filters": rng.randint(1, 12), "kernel": rng.randint(1, 3),
                       "bias": rng.random() < 0.7})
        layers += rng.choice([[], [{"type": "batchnorm"}], [{"type": "relu"}]])
    if rng.random() < 0.5:
        layers.append({"type": "maxpool2d", "kernel": 2})
    layers.append({"type": "flatten"})
    for _ in range(rng.randint(0, 2)):
        layers.append({"type": "dense", "units": rng.randint(1, 20), "bias": rng.random() < 0.7})
        if rng.random() < 0.5:
            layers.append({"type": "batchnorm"})
    return shape, layers


@pytest.mark.parametrize("seed", range(60))
def test_params_match_numel(seed: int) -> None:
    shape, layers = random_stack(random.Random(seed))
    stack = torch_stack(shape, layers)
    assert cnn.params(shape, layers).answer == sum(p.numel() for p in stack.parameters())
    per_layer = [sum(p.numel() for p in m.parameters()) for m in stack]
    assert [cnn.params(shape, layers, i).answer for i in range(1, len(layers) + 1)] == per_layer


def test_batchnorm_counts_affine_only_not_buffers() -> None:
    bn = nn.BatchNorm2d(32, device="meta")
    worked = cnn.layer_params([16, 16, 32], {"type": "batchnorm"})
    assert worked.answer == sum(p.numel() for p in bn.parameters())
    assert worked.mistakes[cnn.BN_RUNNING_STATS] == worked.answer + bn.running_mean.numel() + bn.running_var.numel()


def test_dense_wrong_input_size_mistake() -> None:
    worked = cnn.params([32, 32, 3], HOMEWORK, layer=6)
    assert worked.answer == 3136 * 10 + 10
    assert worked.mistakes[cnn.WRONG_DENSE_INPUT] == 14 * 14 * 64 * 10 + 10


def test_total_mistakes_sum_layer_mistakes() -> None:
    worked = cnn.params([32, 32, 3], HOMEWORK)
    assert worked.mistakes[cnn.NO_BIAS] == worked.answer - 32 - 64 - 10
    assert worked.steps[-1] == f"total: 896 + 18496 + 31370 = {worked.answer}"


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("layer, message", [
    ({"type": "conv2d", "filters": 8, "kernel": 5}, "layer 3 (conv2d): kernel 5 is larger than the 3×3 input"),
    ({"type": "conv"}, "layer 3: unknown type 'conv'"),
    ({"type": "conv2d", "kernel": 3}, "layer 3 (conv2d): missing 'filters'"),
    ({"type": "dense"}, "layer 3 (dense): missing 'units'"),
    ({"type": "maxpool2d"}, "layer 3 (maxpool2d): missing 'kernel'"),
    ({"type": "conv2d", "filters": 0, "kernel": 3}, "layer 3 (conv2d): filters 0 is not positive"),
    ({"type": "conv2d", "filters": 4, "kernel": 1, "stride": -1}, "layer 3 (conv2d): stride -1 is not positive"),
    ({"type": "conv2d", "filters": 4, "kernel": 1, "padding": "full"}, "layer 3 (conv2d): padding 'full'"),
    ({"type": "dense", "units": 3, "size": 1}, "layer 3 (dense): unknown key 'size'"),
    ({"type": "dense", "units": 3}, "layer 3 (dense): input 3×3×3 is not flat"),
    ({"type": "maxpool2d", "kernel": 2, "padding": 2}, "layer 3 (maxpool2d): padding 2 is more than half"),
])
def test_bad_layers_name_index_and_value(layer: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        cnn.propagate([3, 3, 3], [{"type": "relu"}, {"type": "dropout", "rate": 0.5}, layer])
    assert str(info.value).startswith(message)


def test_bad_input_and_layer_number() -> None:
    with pytest.raises(ValueError, match="input"):
        cnn.shapes([32, 32], HOMEWORK)
    with pytest.raises(ValueError, match="not a layer number"):
        cnn.params([32, 32, 3], HOMEWORK, layer=0)


def test_module_imports_no_torch() -> None:
    from pathlib import Path
    for path in Path(cnn.__file__).parent.glob("*.py"):
        assert "import torch" not in path.read_text(encoding="utf-8"), path.name
