"""Optimizer steps by hand (kind `optim.step`), with PyTorch's update rules.

SGD (torch.optim.SGD), per step t with gradient g:
    g ← g + λ·θ                                  (weight_decay λ)
    b ← g at t = 1, else μ·b + (1 − dampening)·g (momentum μ > 0)
    g ← g + μ·b if nesterov, else b
    θ ← θ − η·g
Adam (torch.optim.Adam; AdamW decays θ by η·λ·θ first instead of adding λ·θ to g, with
λ = 0.01 unless told, as torch's default):
    m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²
    m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ),  θ ← θ − η·m̂/(√v̂ + ε)

`params` is a number, a vector or a matrix; `grads` has its shape (the same gradient at every
step) or is a list of `steps` such gradients. The answer is θ after the last step, in the shape
of `params` (a vector as one row). Floats in float64, rounded to 6 decimals.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from reference.worked import Worked

NAMES = ("sgd", "adam", "adamw")
DECIMALS = 6
NO_MOMENTUM = "momentum ignored"
NO_WEIGHT_DECAY = "weight decay ignored"
MOMENTUM_AS_AVERAGE = "momentum as an average (b = μb + (1 − μ)g)"
ASCENT = "step taken up the gradient (θ + η·g)"
NO_BIAS_CORRECTION = "Adam without bias correction"
EPS_INSIDE_ROOT = "ε inside the square root (√(v̂ + ε))"
_SETTINGS = {"sgd": {"name", "lr", "momentum", "weight_decay", "nesterov", "dampening"},
             "adam": {"name", "lr", "betas", "eps", "weight_decay"},
             "adamw": {"name", "lr", "betas", "eps", "weight_decay"}}


@dataclass(frozen=True)
class Settings:
    name: str
    lr: float
    momentum: float = 0.0
    weight_decay: float = 0.0
    nesterov: bool = False
    dampening: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    # slips, off unless a mistake is being computed
    average_momentum: bool = False
    ascent: bool = False
    no_bias_correction: bool = False
    eps_inside: bool = False


def _settings(optimizer: Any) -> Settings:
    if isinstance(optimizer, str):
        raise ValueError(f'optimizer {optimizer!r} needs its settings: {{ name = "{optimizer}", lr = ... }}')
    if not isinstance(optimizer, Mapping):
        raise ValueError(f"optimizer {optimizer!r} is not a table like {{ name = \"sgd\", lr = 0.1 }}")
    name = str(optimizer.get("name", "")).lower()
    if name not in NAMES:
        raise ValueError(f"optimizer name {optimizer.get('name')!r} is not one of {', '.join(NAMES)}")
    unknown = set(optimizer) - _SETTINGS[name]
    if unknown:
        raise ValueError(f"optimizer {name}: unknown setting {sorted(unknown)[0]!r} "
                         f"(known: {', '.join(sorted(_SETTINGS[name]))})")
    if "lr" not in optimizer:
        raise ValueError(f"optimizer {name}: missing lr")
    values = {k: v for k, v in optimizer.items() if k != "name"}
    if name == "adamw":
        values.setdefault("weight_decay", 0.01)  # torch.optim.AdamW's default, unlike Adam's 0
    for key, value in values.items():
        if key == "nesterov":
            if not isinstance(value, bool):
                raise ValueError(f"optimizer {name}: nesterov {value!r} is not true or false")
        elif key == "betas":
            if not (isinstance(value, list) and len(value) == 2 and all(0 <= b < 1 for b in value)):
                raise ValueError(f"optimizer {name}: betas {value!r} is not [β₁, β₂] in [0, 1)")
            values[key] = (float(value[0]), float(value[1]))
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"optimizer {name}: {key} {value!r} is not a non-negative number")
    settings = Settings(name=name, **values)
    if settings.nesterov and (settings.momentum <= 0 or settings.dampening != 0):
        raise ValueError("optimizer sgd: nesterov needs momentum > 0 and dampening 0")
    return settings


def _array(value: Any, name: str) -> np.ndarray:
    try:
        return np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a number, vector or matrix") from None


def _gradients(grads: Any, shape: tuple[int, ...], steps: int) -> list[np.ndarray]:
    g = _array(grads, "grads")
    if g.shape == shape:
        return [g] * steps
    if g.shape == (steps, *shape):
        return list(g)
    raise ValueError(f"grads have shape {list(g.shape)}; params have {list(shape)} "
                     f"(give one gradient, or a list of {steps})")


def _run(s: Settings, theta: np.ndarray, grads: list[np.ndarray]) -> tuple[np.ndarray, list[str]]:
    buf, m, v = None, np.zeros_like(theta), np.zeros_like(theta)
    lines = []
    sign = 1.0 if s.ascent else -1.0
    for t, g in enumerate(grads, start=1):
        if s.name == "adamw":
            theta = theta * (1 - s.lr * s.weight_decay)
        elif s.weight_decay:
            g = g + s.weight_decay * theta
        if s.name == "sgd":
            line = f"step {t}: g = {_show(g)}"
            if s.momentum:
                damp = (1 - s.momentum) if s.average_momentum else (1 - s.dampening)
                buf = g.copy() if buf is None and not s.average_momentum else (
                    (s.momentum * (buf if buf is not None else 0)) + damp * g)
                line += f", b = {_show(buf)}" + (" (b = g at the first step)" if t == 1 else
                                                 f" ({s.momentum}·b + {damp:g}·g)")
                g = g + s.momentum * buf if s.nesterov else buf
            theta = theta + sign * s.lr * g
            lines.append(f"{line}, θ = θ − {s.lr}·{_show(g)} = {_show(theta)}")
            continue
        b1, b2 = s.betas
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m if s.no_bias_correction else m / (1 - b1 ** t)
        v_hat = v if s.no_bias_correction else v / (1 - b2 ** t)
        denom = np.sqrt(v_hat + s.eps) if s.eps_inside else np.sqrt(v_hat) + s.eps
        theta = theta + sign * s.lr * m_hat / denom
        lines.append(f"step {t}: m̂ = {_show(m_hat)}, v̂ = {_show(v_hat)}, θ = {_show(theta)}")
    return theta, lines


def _answer(theta: np.ndarray) -> Any:
    if theta.ndim == 0:
        return round(float(theta), DECIMALS)
    return [[round(float(x), DECIMALS) for x in row] for row in np.atleast_2d(theta)]


def _show(a: np.ndarray) -> str:
    return f"{float(a):.6g}" if a.ndim == 0 else "[" + ", ".join(f"{x:.6g}" for x in a.ravel()) + "]"


def step(optimizer: Any, params: Any, grads: Any, steps: int = 1) -> Worked:
    """θ after `steps` updates of `optimizer` from `params` with the given gradients."""
    s = _settings(optimizer)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps {steps!r} is not a positive integer")
    theta = _array(params, "params")
    gs = _gradients(grads, theta.shape, steps)
    final, lines = _run(s, theta, gs)
    answer = _answer(final)
    slips: dict[str, Settings] = {ASCENT: dataclasses.replace(s, ascent=True)}
    if s.weight_decay:
        slips[NO_WEIGHT_DECAY] = dataclasses.replace(s, weight_decay=0.0)
    if s.name == "sgd" and s.momentum:
        slips[NO_MOMENTUM] = dataclasses.replace(s, momentum=0.0, nesterov=False)
        slips[MOMENTUM_AS_AVERAGE] = dataclasses.replace(s, average_momentum=True)
    if s.name != "sgd":
        slips[NO_BIAS_CORRECTION] = dataclasses.replace(s, no_bias_correction=True)
        slips[EPS_INSIDE_ROOT] = dataclasses.replace(s, eps_inside=True)
    mistakes: dict[str, Any] = {}
    for name, alt in slips.items():
        value = _answer(_run(alt, theta, gs)[0])
        if value != answer and value not in mistakes.values():
            mistakes[name] = value
    return Worked(answer=answer, steps=tuple(lines), mistakes=mistakes)
