"""Softmax and cross-entropy by hand (kind `loss.cross_entropy`), as F.cross_entropy computes them.

logits: an N×C matrix (a single row for one sample); targets: N class indices (0-based), or an
N×C matrix of target probabilities. softmax(z)_c = e^{z_c} / Σ_j e^{z_j}, along each ROW;
loss_n = −Σ_c t_nc·ln softmax(z_n)_c (= −ln p_n[y_n] for an index), then the mean over the N
samples (reduction "mean", torch's default), or their sum ("sum"). Natural logarithm throughout.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from reference.worked import Worked

ASKS = ("softmax", "loss")
REDUCTIONS = ("mean", "sum")
DECIMALS = 6
LOG10 = "cross-entropy with log base 10"
LOG2 = "cross-entropy with log base 2"
SUM_FOR_MEAN = "summed over the samples instead of averaged"
MEAN_FOR_SUM = "averaged over the samples instead of summed"
COLUMNS = "softmax down the columns instead of along each row"
NO_LOG = "probability of the target given instead of −ln p"


def _logits(value: Any) -> np.ndarray:
    try:
        z = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"logits {value!r} are not a matrix of numbers") from None
    z = z[None, :] if z.ndim == 1 else z
    if z.ndim != 2 or z.size == 0:
        raise ValueError("logits are not an N×C matrix")
    return z


def _targets(value: Any, n: int, c: int) -> np.ndarray:
    """An N×C matrix of target probabilities (one-hot rows for class indices)."""
    values = value if isinstance(value, list) else [value]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        if len(values) != n:
            raise ValueError(f"{len(values)} targets for {n} rows of logits")
        for v in values:
            if not 0 <= v < c:
                raise ValueError(f"target {v} is not a class index in 0..{c - 1}")
        return np.eye(c)[values]
    t = np.array(values, dtype=float)
    t = t[None, :] if t.ndim == 1 else t
    if t.shape != (n, c):
        raise ValueError(f"targets are {'×'.join(map(str, t.shape))}, the logits {n}×{c}")
    return t


def _softmax(z: np.ndarray, axis: int = 1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _rounded(m: np.ndarray) -> list[list[float]]:
    return [[round(float(v), DECIMALS) for v in row] for row in m]


def cross_entropy(logits: Any, targets: Any, ask: str = "loss", reduction: str = "mean") -> Worked:
    """Row softmax of the logits, or the cross-entropy loss against the targets."""
    if ask not in ASKS:
        raise ValueError(f"ask {ask!r} is not one of {', '.join(ASKS)}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction {reduction!r} is not one of {', '.join(REDUCTIONS)}")
    z = _logits(logits)
    n, c = z.shape
    t = _targets(targets, n, c)
    p = _softmax(z)
    steps = [f"row {i + 1}: softmax = [{', '.join(f'{v:.4f}' for v in row)}]" for i, row in enumerate(p)]
    if ask == "softmax":
        answer = _rounded(p)
        found = {COLUMNS: _rounded(_softmax(z, axis=0)) if n > 1 else None}
    else:
        per = -(t * np.log(p)).sum(axis=1)
        steps += [f"row {i + 1}: −Σ t·ln p = {v:.6f}" for i, v in enumerate(per)]
        reduce = np.mean if reduction == "mean" else np.sum
        total = float(reduce(per))
        steps.append(f"{reduction} over {n} rows = {total:.6f}")
        answer = round(total, DECIMALS)
        found = {
            LOG10: float(reduce(-(t * np.log10(p)).sum(axis=1))),
            LOG2: float(reduce(-(t * np.log2(p)).sum(axis=1))),
            (SUM_FOR_MEAN if reduction == "mean" else MEAN_FOR_SUM):
                float((np.sum if reduction == "mean" else np.mean)(per)) if n > 1 else None,
            COLUMNS: float(reduce(-(t * np.log(_softmax(z, axis=0))).sum(axis=1))) if n > 1 else None,
            NO_LOG: float(reduce((t * p).sum(axis=1))),
        }
        found = {k: (round(v, DECIMALS) if v is not None else None) for k, v in found.items()}
    mistakes = {k: v for k, v in found.items() if v is not None and v != answer}
    return Worked(answer=answer, steps=tuple(steps), mistakes=mistakes)
