"""MACs per layer type, cross-checked with fvcore's operation counter (a MAC is one fvcore "flop")
or with torch's FlopCounterMode (2 FLOPs per MAC), or counted by hand where neither counts the op."""
from __future__ import annotations

import logging

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from reference.models import CONVENTION, format_table, rnn_macs_per_token, summary

fvcore = pytest.importorskip("fvcore.nn")
logging.getLogger("fvcore").setLevel(logging.ERROR)


def fvcore_macs(model: nn.Module, *shapes: tuple[int, ...]) -> float:
    """fvcore's count per sample (it counts one per multiply-add), on a batch of 2 zeros."""
    analysis = fvcore.FlopCountAnalysis(model.eval(), tuple(torch.zeros(2, *s) for s in shapes))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    return analysis.total() / 2


def torch_macs(model: nn.Module, *shapes: tuple[int, ...]) -> float:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model.eval()(*(torch.zeros(2, *s) for s in shapes))
    return counter.get_total_flops() / 2 / 2  # FLOPs -> MACs, batch of 2 -> one sample


def macs(model: nn.Module, *shapes: tuple[int, ...]) -> int:
    return summary(model, list(shapes) if len(shapes) > 1 else shapes[0]).total_macs


def test_conv2d_matches_fvcore() -> None:
    conv = nn.Conv2d(3, 16, 3, stride=2, padding=1, groups=1)
    assert macs(conv, (3, 32, 32)) == fvcore_macs(conv, (3, 32, 32)) == 3 * 3 * 3 * 16 * 16 * 16


def test_grouped_conv_matches_fvcore() -> None:
    conv = nn.Conv2d(16, 32, 3, padding=1, groups=4)
    assert macs(conv, (16, 8, 8)) == fvcore_macs(conv, (16, 8, 8))


@pytest.mark.parametrize("stride,output_padding", [(1, 0), (2, 1), (3, 0)])
def test_conv_transpose_matches_fvcore_not_stride_squared_more(stride: int, output_padding: int) -> None:
    layer = nn.ConvTranspose2d(16, 8, 4, stride=stride, padding=1, output_padding=output_padding)
    by_hand = 16 * 8 * 8 * 4 * 4 * 8  # every input position (C_in·H·W) spreads over K·K·C_out
    assert macs(layer, (16, 8, 8)) == fvcore_macs(layer, (16, 8, 8)) == by_hand


def test_linear_matches_fvcore() -> None:
    net = nn.Sequential(nn.Flatten(), nn.Linear(300, 50), nn.ReLU(), nn.Linear(50, 10))
    assert macs(net, (3, 10, 10)) == fvcore_macs(net, (3, 10, 10)) == 300 * 50 + 50 * 10


@pytest.mark.parametrize("cell,gates", [(nn.RNN, 1), (nn.LSTM, 4), (nn.GRU, 3)])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (3, True)])
def test_recurrent_layers_by_hand(cell: type, gates: int, layers: int, bidirectional: bool) -> None:
    rnn = cell(10, 20, num_layers=layers, bidirectional=bidirectional, batch_first=True)
    dirs = 2 if bidirectional else 1
    per_token = sum(dirs * gates * 20 * ((10 if l == 0 else 20 * dirs) + 20) for l in range(layers))
    assert macs(rnn, (7, 10)) == 7 * per_token
    assert rnn_macs_per_token(rnn.mode, 10, 20, layers, bidirectional) == per_token


@pytest.mark.parametrize("cell", [nn.RNN, nn.GRU])
def test_recurrent_layers_match_torch_counter(cell: type) -> None:
    """torch's counter sees the matmuls of RNN and GRU (an LSTM goes to one fused CPU kernel)."""
    rnn = cell(10, 20, num_layers=2, bidirectional=True)
    assert macs(rnn, (7, 10)) == torch_macs(rnn, (7, 10))


def test_lstm_projection_and_cells_by_hand() -> None:
    lstm = nn.LSTM(10, 20, proj_size=5)
    assert macs(lstm, (3, 10)) == 3 * (4 * 20 * (10 + 5) + 20 * 5)
    assert macs(nn.LSTMCell(10, 20), (10,)) == 4 * 20 * 30


def test_multihead_attention_matches_fvcore_and_rows_hold_every_parameter() -> None:
    mha = nn.MultiheadAttention(16, 4, batch_first=True)
    s = summary(mha, [(5, 16), (6, 16), (6, 16)])
    assert s.total_macs == fvcore_macs(mha, (5, 16), (6, 16), (6, 16))
    assert s.total_macs == 5 * 16 * 16 + 2 * 6 * 16 * 16 + 2 * 5 * 6 * 16 + 5 * 16 * 16
    assert sum(r.params for r in s.rows) == s.total_params  # out_proj is in the attention row


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(100, 16)
        self.attn = nn.MultiheadAttention(16, 2)
        self.norm = nn.LayerNorm(16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        return self.norm(h + self.attn(h, h, h)[0])


def test_rows_sum_to_the_totals() -> None:
    s = summary(Block(), (8,), dtypes="long")
    assert sum(r.params for r in s.rows) == s.total_params
    assert sum(r.macs for r in s.rows) == s.total_macs


def test_sdpa_functional_matches_torch_counter() -> None:
    class Attend(nn.Module):
        def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            return F.scaled_dot_product_attention(q, k, v)  # (N, h, L, d)

    shapes = ((2, 5, 8), (2, 6, 8), (2, 6, 4))
    assert macs(Attend(), *shapes) == torch_macs(Attend(), *shapes) == 2 * 5 * 6 * (8 + 4)


def test_transformer_encoder_matches_fvcore() -> None:
    layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
    enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    per_layer = 3 * 5 * 16 * 16 + 2 * 5 * 5 * 16 + 5 * 16 * 16 + 2 * 5 * 16 * 32
    assert macs(enc, (5, 16)) == fvcore_macs(enc, (5, 16)) == 2 * per_layer


@pytest.mark.parametrize("layer,shape", [
    (nn.Embedding(100, 16), None), (nn.BatchNorm2d(8), (8, 4, 4)), (nn.LayerNorm(16), (5, 16)),
    (nn.GroupNorm(2, 8), (8, 4, 4)), (nn.MaxPool2d(2), (8, 4, 4)), (nn.AvgPool2d(2), (8, 4, 4)),
    (nn.AdaptiveAvgPool2d(1), (8, 4, 4)), (nn.ReLU(), (8,)), (nn.Dropout(), (8,)),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "")
def test_embedding_norms_pooling_count_zero(layer: nn.Module, shape: tuple | None) -> None:
    s = summary(layer, (5,), dtypes="long") if shape is None else summary(layer, shape)
    assert s.total_macs == 0


class ParameterMatmul(nn.Module):
    """torch.mm with a Parameter inside forward, then a Linear (torchinfo's ParameterFCNet shape)."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.randn(128, 64))
        self.b = nn.Parameter(torch.randn(64))
        self.fc = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.mm(x, self.a) + self.b)


def test_functional_matmul_with_a_parameter_matches_fvcore() -> None:
    s = summary(ParameterMatmul(), (128,))
    assert s.total_macs == fvcore_macs(ParameterMatmul(), (128,)) == 128 * 64 + 64 * 10
    own = s.rows[-1]
    assert (own.name, own.params, own.macs) == ("ParameterMatmul-2", 128 * 64 + 64, 128 * 64)


def test_table_footer_states_the_convention_and_flops() -> None:
    text = format_table(summary(nn.Linear(4, 3), (4,)))
    assert "Total FLOPs (2·MACs): 24 (0.00 G)" in text
    assert " ".join(text.splitlines()[-3:]) == CONVENTION


class FunctionalOps(nn.Module):
    """F.conv2d, F.linear and einsum with the model's own Parameters (no layer modules)."""

    def __init__(self) -> None:
        super().__init__()
        self.kernel = nn.Parameter(torch.randn(8, 3, 3, 3))
        self.proj = nn.Parameter(torch.randn(16, 8))
        self.mix = nn.Parameter(torch.randn(16, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.conv2d(x, self.kernel, padding=1).mean(dim=(2, 3))  # (N, 8)
        h = F.linear(h, self.proj)                                  # (N, 16)
        return torch.einsum("nd,dk->nk", h, self.mix)               # (N, 4)


def test_functional_conv_linear_and_einsum_match_fvcore() -> None:
    s = summary(FunctionalOps(), (3, 8, 8))
    by_hand = 3 * 3 * 3 * 8 * 8 * 8 + 8 * 16 + 16 * 4
    assert s.total_macs == fvcore_macs(FunctionalOps(), (3, 8, 8)) == by_hand
    assert [(r.name, r.params) for r in s.rows] == [("FunctionalOps-1", 8 * 27 + 16 * 8 + 16 * 4)]


def test_resnet50_is_torchvision_v1_5_and_v1_gives_the_papers_number() -> None:
    """4.09 G for torchvision's v1.5 (stride on the 3×3 conv); moving the stride back to the
    first 1×1 conv (the paper's v1) gives 3.86 G, the paper's "3.8 × 10⁹"."""
    from reference.models import Bottleneck, build
    with torch.device("meta"):
        net = build("resnet50")
    assert round(summary(net, (3, 224, 224)).total_macs / 1e9, 2) == 4.09
    for block in net.modules():
        if isinstance(block, Bottleneck) and block.stride == 2:
            block.conv1.stride, block.conv2.stride = (2, 2), (1, 1)
    assert round(summary(net, (3, 224, 224)).total_macs / 1e9, 2) == 3.86


def test_model_summary_question_asks_macs() -> None:
    from reference.models import model_summary, zoo_summary
    worked = model_summary("resnet18_cifar", [3, 32, 32], ask="total_macs")
    assert worked.answer == zoo_summary("resnet18_cifar", [3, 32, 32]).total_macs == 555_422_720
    assert worked.mistakes["FLOPs (2·MACs) given for MACs"] == 2 * 555_422_720
    assert "the ImageNet variant instead of the CIFAR one" in worked.mistakes
