"""From measured numbers to a status and a score; the metrics computed from what came back."""
from __future__ import annotations

import math

import numpy as np
import torch

from grader.assignment import Claim
from grader.claims.spec import Verdict
from grader.results import ClaimStatus


def judge(claim: Claim, claimed: float | None, measured: float
          ) -> tuple[ClaimStatus, float, str]:
    """Status, score and the reason, from the claimed and measured numbers."""
    lower_better = claim.metric == "perplexity"
    unit = "" if lower_better else "%"
    target = claim.target
    meets = target is None or (measured <= target if lower_better else measured >= target)
    if claimed is None:
        status = ClaimStatus.VERIFIED if meets else ClaimStatus.REFUTED
        why = ("no value claimed: " + ("no target either, so the measurement stands"
               if target is None else f"judged against the target {target:g}{unit}"))
    else:
        allowed = claim.tolerance * claimed if lower_better else claim.tolerance
        off = measured - claimed
        status = ClaimStatus.VERIFIED if abs(off) <= allowed + 1e-9 else ClaimStatus.REFUTED
        why = (f"claimed {claimed:g}{unit}, off by {off:+.2f}{unit} "
               f"(tolerance ±{allowed:.2f}{unit})")
    if status is not ClaimStatus.VERIFIED:
        return status, 0.0, why
    if meets:
        return status, claim.points, why
    if claim.options.get("scoring", "proportional") == "all-or-nothing":
        return status, 0.0, why + f"; below the target {target:g}{unit} (all-or-nothing)"
    ratio = target / measured if lower_better else measured / target
    return status, claim.points * max(0.0, min(1.0, ratio)), \
        why + f"; below the target {target:g}{unit}: partial credit"


def accuracy(logits: np.ndarray | None, labels: torch.Tensor) -> float:
    """Percent of argmax predictions equal to the labels (which never left this process)."""
    n = len(labels)
    if logits is None or logits.ndim != 2 or logits.shape[0] != n:
        got = None if logits is None else list(logits.shape)
        raise Verdict(ClaimStatus.ERROR, f"the model returned logits of shape {got}, "
                      f"expected ({n}, classes)")
    if not np.isfinite(logits).all():
        raise Verdict(ClaimStatus.ERROR, "the model's outputs contain NaN or infinity")
    pred = torch.from_numpy(logits.argmax(axis=1))
    return 100.0 * (pred == labels).double().mean().item()


def perplexity(logp: np.ndarray) -> float:
    """exp(mean NLL) over every next-token prediction."""
    logp = logp.astype(np.float64)
    if logp.size == 0:
        raise Verdict(ClaimStatus.ERROR, "no token was predicted (the text is too short)")
    if not np.isfinite(logp).all() or (logp > 1e-4).any():
        raise Verdict(ClaimStatus.ERROR, "the log-probabilities are not finite and <= 0")
    return math.exp(-logp.mean())
