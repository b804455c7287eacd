"""The integrity rows of one re-run: what the box held it to, what the model is, and what the
checkpoint, the causal check and the controls say."""
from __future__ import annotations

from grader.assignment import Claim
from grader.claims.controls import ControlResult
from grader.i18n import _
from grader.i18n.sandbox_text import from_sandbox
from grader.results import CheckStatus, IntegrityCheck
from grader.sandbox import Outcome, describe


def rows(claim: Claim, outcome: Outcome, claimed: float | None) -> list[IntegrityCheck]:
    out = [_bounds(claim, outcome)]
    meta = outcome.meta
    if isinstance(meta.get("params"), int):
        out.append(IntegrityCheck(f"claim {claim.id}: parameters", CheckStatus.INFO,
                                  _("the re-run model has {params} parameters (nothing to "
                                    "compare it with)").format(params=f"{meta['params']:,}")))
    stored = _stored(claim, meta, claimed)
    if stored:
        out.append(stored)
    causal = meta.get("causal")
    if isinstance(causal, dict) and causal.get("checked"):
        ok = bool(causal.get("ok"))
        out.append(IntegrityCheck(
            f"claim {claim.id}: causal mask", CheckStatus.PASS if ok else CheckStatus.FAIL,
            _("changing tokens from position {position} on changed earlier outputs by at most "
              "{change}").format(position=causal.get('position'),
                                 change=f"{float(causal.get('max_change', 0)):.2g}")
            + ("" if ok else _(": the model reads future tokens"))))
    return out


def control_row(claim: Claim, control: ControlResult) -> IntegrityCheck:
    return IntegrityCheck(f"claim {claim.id}: control ({control.name})",
                          CheckStatus.PASS if control.ok else CheckStatus.FAIL, control.detail)


def _bounds(claim: Claim, outcome: Outcome) -> IntegrityCheck:
    """Loud where the machine offers no cgroup or no bubblewrap: the bounds are weaker."""
    text = from_sandbox(describe(outcome)) if outcome.bounds else _("bounds unknown")
    if outcome.degraded:
        return IntegrityCheck(f"claim {claim.id}: sandbox", CheckStatus.WARN,
                              _("bubblewrap is not installed: the re-run had no filesystem "
                                "isolation; ") + text)
    ok = bool(outcome.bounds.get("cgroup"))
    return IntegrityCheck(f"claim {claim.id}: sandbox", CheckStatus.PASS if ok else
                          CheckStatus.WARN, text)


def _stored(claim: Claim, meta: dict, claimed: float | None) -> IntegrityCheck | None:
    stored = meta.get("stored_acc")
    if not (isinstance(stored, list) and len(stored) == 2
            and isinstance(stored[1], (int, float))):
        return None
    key, value = str(stored[0]), float(stored[1])
    pct = value * 100 if value <= 1.0 else value
    name = f"claim {claim.id}: checkpoint's own accuracy"
    if claimed is None or claim.metric != "accuracy":
        return IntegrityCheck(name, CheckStatus.INFO, f"checkpoint[{key!r}] = {value:g}")
    ok = abs(pct - claimed) <= claim.tolerance
    return IntegrityCheck(name, CheckStatus.PASS if ok else CheckStatus.WARN,
                          (_("{stored} ({percent}%) agrees with the claimed {claimed}%") if ok
                           else _("{stored} ({percent}%) disagrees with the claimed {claimed}%")
                           ).format(stored=f"checkpoint[{key!r}] = {value:g}",
                                    percent=f"{pct:.2f}", claimed=f"{claimed:g}"))
