"""Multiply-accumulates (MACs) of one module call, and of the functional matmuls between modules.

The convention, printed under every summary table (`CONVENTION`):
- one MAC is one multiply-accumulate of a weight (or of two activations, in attention) per sample;
  FLOPs = 2·MACs (a multiply and an add), the convention of torch's FlopCounterMode and fvcore's
  doubled count;
- conv: K_h·K_w·(C_in/groups)·C_out per output position; transposed conv: the same product per
  INPUT position (each input pixel is spread over a K_h·K_w window; counting output positions
  overcounts by stride²);
- linear: in·out per row; bilinear: in1·in2·out per row;
- RNN / LSTM / GRU: per token, layer and direction g·H·(in + H) with g = 1, 4, 3 gates (in = the
  layer's input size: the input size for layer 1, H·directions above; an LSTM projection adds
  H·P); cells the same for one step;
- multi-head attention: the Q, K, V projections, QKᵀ (L·S·E), weights·V (L·S·E) and the output
  projection (L·E·E);
- anything else that multiplies matrices inside `forward` (torch.mm with a Parameter, `@`,
  einsum, F.linear, F.scaled_dot_product_attention, F.conv2d) is counted from the operation
  itself and booked to the innermost module running it;
- norms, activations, pooling, dropout, embeddings (a lookup), softmax and residual additions: 0,
  the convention behind the ResNet paper's 1.8 / 3.6 G and torchvision's published numbers.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence
from torch.utils._python_dispatch import TorchDispatchMode

CONVENTION = ("MACs per sample: conv, transposed conv, linear, RNN/LSTM/GRU gates, attention "
              "(projections, QKᵀ, weights·V) and functional matmuls; norms, activations, pooling, "
              "embeddings and additions count 0. FLOPs = 2·MACs.")

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_CELL_GATES = {nn.RNNCell: 1, nn.LSTMCell: 4, nn.GRUCell: 3}


def _first_tensor(args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> Any:
    return args[0] if args else kwargs.get(name)


def _conv(m: nn.modules.conv._ConvNd, args: tuple, kwargs: dict, out: Any) -> int:
    per_position = math.prod(m.kernel_size) * (m.in_channels // m.groups) * m.out_channels
    if m.transposed:  # every input position is spread over one kernel window
        x = _first_tensor(args, kwargs, "input")
        return per_position * (x.numel() // m.in_channels)
    return per_position * (out.numel() // m.out_channels)


def _linear(m: nn.Linear, args: tuple, kwargs: dict, out: Any) -> int:
    return m.in_features * out.numel()


def _bilinear(m: nn.Bilinear, args: tuple, kwargs: dict, out: Any) -> int:
    return m.in1_features * m.in2_features * out.numel()


def rnn_macs_per_token(mode: str, input_size: int, hidden: int, layers: int = 1,
                       bidirectional: bool = False, proj_size: int = 0) -> int:
    """Σ over layers and directions of g·H·(in + H_out) (+ H·P for an LSTM projection)."""
    gates, dirs = _GATES[mode], 2 if bidirectional else 1
    h_out = proj_size or hidden
    total = 0
    for layer in range(layers):
        n_in = input_size if layer == 0 else h_out * dirs
        total += dirs * (gates * hidden * (n_in + h_out) + hidden * proj_size)
    return total


def _rnn(m: nn.RNNBase, args: tuple, kwargs: dict, out: Any) -> int:
    x = _first_tensor(args, kwargs, "input")
    if isinstance(x, PackedSequence):
        tokens = x.data.shape[0]  # the packed rows: every real token of every sequence, once
    else:
        tokens = math.prod(x.shape[:-1])  # (T, N) or (N, T), or T unbatched
    per = rnn_macs_per_token(m.mode, m.input_size, m.hidden_size, m.num_layers,
                             m.bidirectional, getattr(m, "proj_size", 0))
    return tokens * per


def _cell(m: nn.RNNCellBase, args: tuple, kwargs: dict, out: Any) -> int:
    x = _first_tensor(args, kwargs, "input")
    rows = x.shape[0] if x.dim() == 2 else 1
    gates = next(g for cls, g in _CELL_GATES.items() if isinstance(m, cls))
    return rows * gates * m.hidden_size * (m.input_size + m.hidden_size)


def _attention(m: nn.MultiheadAttention, args: tuple, kwargs: dict, out: Any) -> int:
    names = ("query", "key", "value")
    q, k, v = (args[i] if len(args) > i else kwargs[n] for i, n in enumerate(names))
    if q.dim() == 2:  # unbatched (L, E)
        batch, length, source = 1, q.shape[0], k.shape[0]
    elif m.batch_first:  # (N, L, E)
        batch, length, source = q.shape[0], q.shape[1], k.shape[1]
    else:  # (L, N, E)
        batch, length, source = q.shape[1], q.shape[0], k.shape[0]
    e = m.embed_dim
    projections = length * e * e + source * m.kdim * e + source * m.vdim * e
    products = 2 * length * source * e  # QKᵀ and weights·V, all heads together
    return batch * (projections + products + length * e * e)  # + output projection


_FORMULAS: tuple[tuple[type, Callable[..., int]], ...] = (
    (nn.modules.conv._ConvNd, _conv), (nn.Linear, _linear), (nn.Bilinear, _bilinear),
    (nn.RNNBase, _rnn), (nn.RNNCellBase, _cell), (nn.MultiheadAttention, _attention),
)


def has_formula(module: nn.Module) -> bool:
    """Modules whose MACs come from their own formula (the operations inside are not counted)."""
    return any(isinstance(module, cls) for cls, _ in _FORMULAS)


def module_macs(module: nn.Module, args: tuple, kwargs: dict, output: Any) -> int:
    """MACs of one call over the whole batch given, by the module's formula (0 without one)."""
    out = output[0] if isinstance(output, (tuple, list)) and output else output
    for cls, formula in _FORMULAS:
        if isinstance(module, cls):
            return formula(module, args, kwargs, out)
    return 0


# ---------------------------------------------------------------- functional operations


def _mm(a: torch.Tensor, b: torch.Tensor) -> int:
    return a.shape[0] * a.shape[1] * b.shape[-1]


def _bmm(a: torch.Tensor, b: torch.Tensor) -> int:
    return a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]


def _convolution(x: torch.Tensor, w: torch.Tensor, out: torch.Tensor, transposed: bool) -> int:
    # weight: (C_out, C_in/g, K...) or, transposed, (C_in, C_out/g, K...)
    if transposed:
        return (x.numel() // w.shape[0]) * w.numel()
    return (out.numel() // w.shape[0]) * w.numel()


def _sdpa(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> int:
    batch = math.prod(q.shape[:-2])
    return batch * q.shape[-2] * k.shape[-2] * (q.shape[-1] + v.shape[-1])


def _op_macs(name: str, args: tuple, out: Any) -> int:
    """MACs of one aten operation, or 0 when it multiplies no matrices."""
    if name in ("mm", "addmm"):
        a, b = (args[0], args[1]) if name == "mm" else (args[1], args[2])
        return _mm(a, b)
    if name in ("bmm", "baddbmm"):
        a, b = (args[0], args[1]) if name == "bmm" else (args[1], args[2])
        return _bmm(a, b)
    if name in ("mv", "addmv"):
        a = args[0] if name == "mv" else args[1]
        return a.shape[0] * a.shape[1]
    if name == "dot":
        return args[0].numel()
    if name in ("convolution", "_convolution"):
        result = out[0] if isinstance(out, (tuple, list)) else out
        return _convolution(args[0], args[1], result, bool(args[6]))
    if name.startswith("_scaled_dot_product") and "attention" in name and "backward" not in name:
        return _sdpa(args[0], args[1], args[2])
    return 0


class OpCounter(TorchDispatchMode):
    """Books the MACs of every matrix-multiplying aten op to `on_op(macs)` while active."""

    def __init__(self, on_op: Callable[[int], None]) -> None:
        super().__init__()
        self.on_op = on_op

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        name = func._overloadpacket.__name__
        try:
            macs = _op_macs(name, args, out)
        except (AttributeError, IndexError, TypeError):  # an overload this table does not know
            macs = 0
        if macs:
            self.on_op(macs)
        return out
