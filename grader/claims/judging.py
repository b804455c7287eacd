"""From measured numbers to a status and a score; the metrics computed from what came back."""
from __future__ import annotations

import math

import numpy as np

from grader.assignment import Claim
from grader.claims.spec import Verdict
from grader.i18n import _
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
        why = (_("no value claimed: no target either, so the measurement stands")
               if target is None else
               _("no value claimed: judged against the target {target}").format(
                   target=f"{target:g}{unit}"))
    else:
        allowed = claim.tolerance * claimed if lower_better else claim.tolerance
        off = measured - claimed
        status = ClaimStatus.VERIFIED if abs(off) <= allowed + 1e-9 else ClaimStatus.REFUTED
        why = _("claimed {claimed}, off by {off} (tolerance ±{allowed})").format(
            claimed=f"{claimed:g}{unit}", off=f"{off:+.2f}{unit}", allowed=f"{allowed:.2f}{unit}")
    if status is not ClaimStatus.VERIFIED:
        return status, 0.0, why
    if meets:
        return status, claim.points, why
    if claim.options.get("scoring", "proportional") == "all-or-nothing":
        return status, 0.0, why + _("; below the target {target} (all-or-nothing)").format(
            target=f"{target:g}{unit}")
    ratio = target / measured if lower_better else measured / target
    return status, claim.points * max(0.0, min(1.0, ratio)), \
        why + _("; below the target {target}: partial credit").format(target=f"{target:g}{unit}")


def accuracy(logits: np.ndarray | None, labels: np.ndarray, classes: int = 0) -> float:
    """Percent of argmax predictions equal to the labels (which never left this process)."""
    n = len(labels)
    if logits is None or logits.ndim != 2 or logits.shape[0] != n:
        got = None if logits is None else list(logits.shape)
        raise Verdict(ClaimStatus.ERROR, _("the model returned logits of shape {got}, expected "
                                           "({n}, classes)").format(got=got, n=n))
    too_few(logits, classes)
    if not np.isfinite(logits).all():
        raise Verdict(ClaimStatus.ERROR, _("the model's outputs contain NaN or infinity"))
    return 100.0 * float(np.mean(logits.argmax(axis=1) == labels))


def too_few(logits: np.ndarray, classes: int) -> None:
    """A model with fewer outputs than the dataset has classes (a sigmoid's single score on
    CIFAR-10) is wrong whatever its accuracy happens to be: its argmax never names most
    classes. More outputs are allowed (an ImageNet head on a subset)."""
    if classes and logits.ndim == 2 and logits.shape[1] < classes:
        raise Verdict(ClaimStatus.ERROR, _(
            "the model returns {got} scores per image, but the dataset has {classes} classes: "
            "its last layer needs {classes} outputs").format(got=logits.shape[1],
                                                             classes=classes))


def perplexity(logp: np.ndarray) -> float:
    """exp(mean NLL) over every next-token prediction."""
    logp = logp.astype(np.float64)
    if logp.size == 0:
        raise Verdict(ClaimStatus.ERROR, _("no token was predicted (the text is too short)"))
    if not np.isfinite(logp).all() or (logp > 1e-4).any():
        raise Verdict(ClaimStatus.ERROR, _("the log-probabilities are not finite and <= 0"))
    return math.exp(-logp.mean())
