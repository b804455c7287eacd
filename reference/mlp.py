"""Forward and backward pass of a small fully connected network by hand (kind `mlp.backprop`).

Conventions: COLUMN vectors, as in reference.rnn. Layer l has W_l of shape n_l × n_{l−1} (the
layout of `nn.Linear.weight`) and b_l of length n_l:

    z_l = W_l·a_{l−1} + b_l,   a_l = f(z_l),   a_0 = x

f is the `activation` (one name for every layer, or one per layer). Losses:
- "sse": E = ½·Σ (a_L − t)²   (the textbook's, whose ½ cancels in the gradient: ∂E/∂a_L = a_L − t)
- "mse": E = mean (a_L − t)²  (torch's F.mse_loss: ∂E/∂a_L = 2(a_L − t)/n)
- "cross_entropy": the last layer's z_L are logits (no activation); E = −log softmax(z_L)[t] with
  t a class index, so δ_L = softmax(z_L) − onehot(t).

Backward: δ_L = ∂E/∂a_L ⊙ f′(z_L); δ_l = (W_{l+1}ᵀ·δ_{l+1}) ⊙ f′(z_l); ∂E/∂W_l = δ_l·a_{l−1}ᵀ;
∂E/∂b_l = δ_l. Asks: output, loss, z1.., a1.., delta1.., dW1.., db1.. (vectors come back as one
row, [[...]]). Floats in float64, rounded to 6 decimals.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from reference.worked import Worked

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
LOSSES = ("sse", "mse", "cross_entropy")
DECIMALS = 6
NO_DERIVATIVE = "activation derivative f′(z) left out of δ"
GRADIENT_TRANSPOSED = "∂E/∂W transposed (a·δᵀ instead of δ·aᵀ)"
SSE_HALF_KEPT = "the ½ of E = ½Σ(a − t)² not cancelled (∂E/∂a = 2(a − t))"
MSE_MEAN_DROPPED = "the 1/n of the mean left out of ∂E/∂a"
DERIVATIVE_OF_A = "f′ evaluated at a instead of z (σ′ = σ(a)(1 − σ(a)))"


def _f(name: str, z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    return z


def _df(name: str, z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        s = _f("sigmoid", z)
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0).astype(float)
    return np.ones_like(z)


@dataclass(frozen=True)
class _Net:
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    x: np.ndarray
    target: np.ndarray | int
    activations: list[str]
    loss: str


def _matrix(value: Any, name: str) -> np.ndarray:
    try:
        m = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a matrix of numbers") from None
    if m.ndim == 1:
        m = m[None, :]  # a single row [a, b] is a 1×n matrix
    if m.ndim != 2 or m.size == 0:
        raise ValueError(f"{name} is not a matrix (a list of equal-length rows)")
    return m


def _vector(value: Any, name: str, size: int) -> np.ndarray:
    try:
        v = np.array(value, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a list of numbers") from None
    if v.size != size:
        raise ValueError(f"{name} has {v.size} entries, the layer needs {size}")
    return v


def _parse(weights: Any, biases: Any, x: Any, target: Any, activation: Any, loss: str) -> _Net:
    if not isinstance(weights, list) or not weights:
        raise ValueError("weights must be a list of matrices, one per layer")
    ws = [_matrix(w, f"weights[{i + 1}]") for i, w in enumerate(weights)]
    x_vec = _vector(x, "x", ws[0].shape[1])
    for i in range(1, len(ws)):
        if ws[i].shape[1] != ws[i - 1].shape[0]:
            raise ValueError(f"weights[{i + 1}] is {ws[i].shape[0]}×{ws[i].shape[1]}, but layer {i} "
                             f"has {ws[i - 1].shape[0]} outputs")
    bs = ([np.zeros(w.shape[0]) for w in ws] if biases is None else
          [_vector(b, f"biases[{i + 1}]", ws[i].shape[0]) for i, b in enumerate(biases)])
    if len(bs) != len(ws):
        raise ValueError(f"{len(bs)} bias vectors for {len(ws)} layers")
    acts = [activation] * len(ws) if isinstance(activation, str) else list(activation)
    if len(acts) != len(ws) or any(a not in ACTIVATIONS for a in acts):
        raise ValueError(f"activation {activation!r} is not one of {', '.join(ACTIVATIONS)} "
                         "(or a list, one per layer)")
    if loss not in LOSSES:
        raise ValueError(f"loss {loss!r} is not one of {', '.join(LOSSES)}")
    n_out = ws[-1].shape[0]
    if loss == "cross_entropy":
        if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < n_out:
            raise ValueError(f"target {target!r} is not a class index in 0..{n_out - 1}")
        t: np.ndarray | int = target
    else:
        t = _vector(target, "target", n_out)
    return _Net(ws, bs, x_vec, t, acts, loss)


def _passes(net: _Net, *, no_derivative: bool = False, transposed: bool = False,
            loss_scale: float = 1.0, derivative_of_a: bool = False) -> dict[str, Any]:
    """Every forward and backward quantity, keyed by its ask name."""
    out: dict[str, Any] = {}
    a, zs, acts = net.x, [], [net.x]
    last = len(net.weights)
    for l, (w, b) in enumerate(zip(net.weights, net.biases), start=1):
        z = w @ a + b  # (n_l,)
        a = z if (l == last and net.loss == "cross_entropy") else _f(net.activations[l - 1], z)
        zs.append(z)
        acts.append(a)
        out[f"z{l}"], out[f"a{l}"] = z, a
    y = acts[-1]
    out["output"] = y
    if net.loss == "cross_entropy":
        p = np.exp(y - y.max())
        p /= p.sum()
        out["loss"] = float(-np.log(p[net.target]))
        delta = p - np.eye(len(p))[net.target]
    else:
        diff = y - net.target
        out["loss"] = float(0.5 * (diff ** 2).sum() if net.loss == "sse" else (diff ** 2).mean())
        grad = diff if net.loss == "sse" else 2 * diff / diff.size
        delta = loss_scale * grad * _slope(net, last, zs, acts, no_derivative, derivative_of_a)
    for l in range(last, 0, -1):
        out[f"delta{l}"] = delta
        out[f"db{l}"] = delta
        dw = np.outer(delta, acts[l - 1])  # (n_l, n_{l−1})
        out[f"dW{l}"] = dw.T if transposed else dw
        if l > 1:
            delta = (net.weights[l - 1].T @ delta) * _slope(net, l - 1, zs, acts, no_derivative,
                                                            derivative_of_a)
    return out


def _slope(net: _Net, l: int, zs: list[np.ndarray], acts: list[np.ndarray], no_derivative: bool,
           derivative_of_a: bool) -> np.ndarray:
    """f′ of layer l (1-based) at its z, or a classic slip of it."""
    if no_derivative:
        return np.ones_like(zs[l - 1])
    return _df(net.activations[l - 1], acts[l] if derivative_of_a else zs[l - 1])


def _answer(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DECIMALS)
    m = np.atleast_2d(value)
    return [[round(float(v), DECIMALS) for v in row] for row in m]


def backprop(weights: Any, biases: Any, x: Any, target: Any, activation: Any = "sigmoid",
             loss: str = "sse", ask: str = "dW1") -> Worked:
    """One forward and backward pass; `ask` picks the quantity (see the module docstring)."""
    net = _parse(weights, biases, x, target, activation, loss)
    found = _passes(net)
    if ask not in found or not re.fullmatch(r"output|loss|(z|a|delta|dW|db)\d+", ask):
        layers = len(net.weights)
        raise ValueError(f"ask {ask!r} is not output, loss, or z/a/delta/dW/db 1..{layers}")
    answer = _answer(found[ask])
    steps = []
    for l in range(1, len(net.weights) + 1):
        steps.append(f"z{l} = W{l}·a{l - 1} + b{l} = {_show(found[f'z{l}'])}; "
                     f"a{l} = {_show(found[f'a{l}'])}")
    steps.append(f"loss ({loss}) = {found['loss']:.6f}")
    for l in range(len(net.weights), 0, -1):
        steps.append(f"δ{l} = {_show(found[f'delta{l}'])}; ∂E/∂W{l} = δ{l}·a{l - 1}ᵀ")
    slips = {NO_DERIVATIVE: {"no_derivative": True}, GRADIENT_TRANSPOSED: {"transposed": True}}
    if loss == "sse":
        slips[SSE_HALF_KEPT] = {"loss_scale": 2.0}
    if loss == "mse":
        slips[MSE_MEAN_DROPPED] = {"loss_scale": float(len(found["output"]))}
    if "sigmoid" in net.activations or "tanh" in net.activations:
        slips[DERIVATIVE_OF_A] = {"derivative_of_a": True}
    mistakes: dict[str, Any] = {}
    for name, flags in slips.items():
        value = _answer(_passes(net, **flags)[ask])
        if value != answer and value not in mistakes.values():
            mistakes[name] = value
    return Worked(answer=answer, steps=tuple(steps), mistakes=mistakes)


def _show(v: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:.4f}" for x in np.ravel(v)) + "]"
