"""Transposed convs, upsampling, receptive fields and MACs of layer stacks, against torch:
shapes and parameter counts from real modules, MACs from fvcore's counter, receptive fields from
the support of autograd gradients."""
from __future__ import annotations

import logging
import random

import pytest
import torch
from torch import nn

from reference import cnn
from reference.cnn import multiply_adds as cnn_macs
from reference.cnn import receptive

logging.getLogger("fvcore").setLevel(logging.ERROR)


def torch_layer(layer: dict, c_in: int, n_in: int | None = None) -> nn.Module:
    kind = layer["type"]
    if kind == "conv2d":
        return nn.Conv2d(c_in, layer["filters"], layer["kernel"], layer.get("stride", 1),
                         layer.get("padding", 0), layer.get("dilation", 1))
    if kind == "convtranspose2d":
        return nn.ConvTranspose2d(c_in, layer["filters"], layer["kernel"], layer.get("stride", 1),
                                  layer.get("padding", 0), layer.get("output_padding", 0))
    if kind == "maxpool2d":
        return nn.MaxPool2d(layer["kernel"], layer.get("stride"), layer.get("padding", 0))
    if kind == "avgpool2d":
        return nn.AvgPool2d(layer["kernel"], layer.get("stride"), layer.get("padding", 0))
    if kind == "upsample":
        return nn.Upsample(scale_factor=layer["scale"], mode="nearest")
    if kind == "flatten":
        return nn.Flatten()
    if kind == "dense":
        return nn.Linear(n_in, layer["units"])
    return nn.ReLU()


def build(layers: list[dict], hwc: list[int]) -> nn.Sequential:
    mods, c, shape = [], hwc[2], hwc
    for out, layer in zip(cnn.shapes(hwc, layers).answer, layers):
        mods.append(torch_layer(layer, c, shape if isinstance(shape, int) else None))
        shape = out
        c = out[2] if isinstance(out, list) else c
    return nn.Sequential(*mods)


def random_stack(rng: random.Random, transposed: bool) -> list[dict]:
    layers = []
    for _ in range(rng.randint(1, 4)):
        pick = rng.choice(["conv2d", "maxpool2d", "avgpool2d", "relu"]
                          + (["convtranspose2d", "upsample"] if transposed else []))
        if pick == "conv2d":
            layers.append({"type": pick, "filters": rng.randint(1, 6), "kernel": rng.randint(1, 4),
                           "stride": rng.randint(1, 2), "padding": rng.randint(0, 1),
                           "dilation": rng.randint(1, 2)})
        elif pick == "convtranspose2d":
            stride = rng.randint(1, 3)
            layers.append({"type": pick, "filters": rng.randint(1, 6), "kernel": rng.randint(1, 4),
                           "stride": stride, "padding": 0, "output_padding": rng.randint(0, stride - 1)})
        elif pick in ("maxpool2d", "avgpool2d"):
            layers.append({"type": pick, "kernel": rng.randint(1, 3), "stride": rng.randint(1, 2)})
        elif pick == "upsample":
            layers.append({"type": pick, "scale": rng.randint(1, 3)})
        else:
            layers.append({"type": "relu"})
    return layers


CASES = [random_stack(random.Random(seed), transposed=seed % 2 == 0) for seed in range(40)]


@pytest.mark.parametrize("layers", CASES, ids=[f"seed{i}" for i in range(len(CASES))])
def test_shapes_params_and_macs_match_torch(layers: list[dict]) -> None:
    fvcore = pytest.importorskip("fvcore.nn")
    hwc = [24, 24, 3]
    try:
        expected = cnn.shapes(hwc, layers).answer
    except ValueError:
        pytest.skip("the stack does not fit a 24×24 input")
    net = build(layers, hwc).eval()
    x = torch.zeros(1, hwc[2], hwc[0], hwc[1])
    y = x
    for mod, shape in zip(net, expected):
        y = mod(y)
        assert list(y.shape[1:]) == [shape[2], shape[0], shape[1]]
    assert cnn.params(hwc, layers).answer == sum(p.numel() for p in net.parameters())
    analysis = fvcore.FlopCountAnalysis(net, (x,))
    analysis.unsupported_ops_warnings(False)
    counted = sum(v for k, v in analysis.by_operator().items() if k in ("conv", "linear", "addmm"))
    assert cnn.macs(hwc, layers).answer == counted


def empirical_field(layers: list[dict], size: int = 48) -> int:
    """The widest span of input pixels any single output depends on (all-ones weights, avg pools)."""
    plain = [dict(l, type="avgpool2d") if l["type"] == "maxpool2d" else l for l in layers]
    net = build(plain, [size, size, 1])
    for p in net.parameters():
        nn.init.constant_(p, 1.0)
    x = torch.ones(1, 1, size, size, requires_grad=True)
    y = net(x)
    widest, middle = 0, max(0, y.shape[2] // 2 - 6)
    for i in range(middle, min(y.shape[2], middle + 12)):  # interior rows: one period or more
        grad, = torch.autograd.grad(y[0, 0, i, :].sum(), x, retain_graph=True)
        rows = grad[0, 0].abs().sum(dim=1).nonzero().flatten()
        if len(rows):  # an output_padding row sees only the bias
            widest = max(widest, int(rows[-1] - rows[0] + 1))
    return widest


@pytest.mark.parametrize("seed", range(30))
def test_receptive_field_matches_autograd(seed: int) -> None:
    layers = [l for l in random_stack(random.Random(100 + seed), transposed=False)
              if l["type"] != "relu"] or [{"type": "conv2d", "filters": 1, "kernel": 3}]
    for layer in layers:
        if layer["type"] != "upsample":
            layer["padding"] = 0  # padding moves the field, never widens it; none keeps it whole
        if "filters" in layer:
            layer["filters"] = 1
    worked = cnn.receptive_field([48, 48, 1], layers, ask=[len(layers)])
    rf = worked.answer[0][0]
    assert empirical_field(layers) == pytest.approx(rf, abs=0.5 if isinstance(rf, float) else 0)


@pytest.mark.parametrize("layers,rf", [
    ([{"type": "convtranspose2d", "filters": 1, "kernel": 4, "stride": 2}], 2),
    ([{"type": "conv2d", "filters": 1, "kernel": 3, "stride": 2},
      {"type": "convtranspose2d", "filters": 1, "kernel": 3, "stride": 1}], 7),
    ([{"type": "conv2d", "filters": 1, "kernel": 3, "stride": 2}, {"type": "upsample", "scale": 2},
      {"type": "conv2d", "filters": 1, "kernel": 3}], 5),
])
def test_receptive_field_through_transposed_and_upsampling(layers: list[dict], rf: int) -> None:
    assert cnn.receptive_field([48, 48, 1], layers, ask=[len(layers)]).answer[0][0] == rf
    assert empirical_field(layers) == rf


def test_receptive_field_by_hand_and_mistakes() -> None:
    layers = [{"type": "conv2d", "filters": 8, "kernel": 3}, {"type": "maxpool2d", "kernel": 2},
              {"type": "conv2d", "filters": 8, "kernel": 3}, {"type": "flatten"}]
    worked = cnn.receptive_field([32, 32, 3], layers, ask=[1, 2, 3])
    assert worked.answer == [[3, 1], [4, 2], [8, 2]]
    assert worked.mistakes[receptive.NO_JUMP] == [[3, 1], [4, 2], [6, 2]]
    assert cnn.receptive_field([32, 32, 3], layers, ask=3, jump=False).answer == [8]
    with pytest.raises(ValueError, match="layer 4 \\(flatten\\): every output sees the whole input"):
        cnn.receptive_field([32, 32, 3], layers, ask=[4])


def test_transposed_conv_shape_mistakes_and_validation() -> None:
    up = {"type": "convtranspose2d", "filters": 16, "kernel": 4, "stride": 2, "padding": 1,
          "output_padding": 1}
    worked = cnn.layer_output([8, 8, 32], up)
    assert worked.answer == [17, 17, 16]
    assert "(8 − 1)·2 − 2·1 + 4 + 1 = 17" in worked.steps[0]
    assert worked.mistakes["the convolution formula used for a transposed convolution"] == [4, 4, 16]
    with pytest.raises(ValueError, match="output_padding 2 is not smaller than the stride 2"):
        cnn.layer_output([8, 8, 32], dict(up, output_padding=2))
    assert cnn.layer_output([8, 8, 3], {"type": "upsample", "scale": [2, 3]}).answer == [16, 24, 3]


def test_macs_mistakes() -> None:
    layers = [{"type": "conv2d", "filters": 16, "kernel": 3, "stride": 2, "padding": 1},
              {"type": "convtranspose2d", "filters": 8, "kernel": 2, "stride": 2}]
    worked = cnn.macs([32, 32, 3], layers)
    conv, up = 3 * 3 * 3 * 16 * 16 * 16, 2 * 2 * 16 * 8 * 16 * 16
    assert worked.answer == conv + up
    assert worked.mistakes[cnn_macs.TRANSPOSED_PER_OUTPUT] == conv + 4 * up
    assert worked.mistakes[cnn_macs.INPUT_RESOLUTION] == 4 * conv + up
    assert worked.mistakes[cnn_macs.FLOPS_FOR_MACS] == 2 * (conv + up)
    assert cnn.macs([32, 32, 3], layers, layer=1).answer == conv
