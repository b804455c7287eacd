"""Does a training log back a claimed accuracy / perplexity? The last epoch first (what the run
ended with), then the epoch the validation metric picks, a separate evaluation, the best test
value (a warning: best-on-test overstates), any epoch, and finally absent (a fail when no
series comes near the claim)."""
from __future__ import annotations

import re
from pathlib import Path

from grader.errors import LogError
from grader.i18n import _
from grader.logs.parse import read_log
from grader.logs.records import CLAIM_METRICS, LogSummary, LogVerdict, MetricSeries
from grader.results import CheckStatus, Curve


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def log_verdict(path: Path, claimed: float, metric: str) -> LogVerdict:
    """Whether the training log supports a claimed accuracy / perplexity, and the curves."""
    if metric not in CLAIM_METRICS:
        raise ValueError(f"claim metric must be one of {sorted(CLAIM_METRICS)}, not {metric!r}")
    try:
        summary = read_log(path)
    except LogError as e:
        return LogVerdict(CheckStatus.WARN, _("the training log cannot be read: {error}").format(
            error=e), None, None,
                          [], [str(e)])
    names = [n for n in CLAIM_METRICS[metric] if n in summary.metrics]
    claimed = _claim_in_log_units(claimed, metric, [summary.metrics[n] for n in names])
    curves = [Curve(n, list(m.series)) for n, m in summary.metrics.items()]
    status, text, hit = _judge(summary, names, claimed, metric)
    if summary.x == "step":                     # nanoGPT, TensorFlow: the series run by step
        text = re.sub(r"\bepoch\b", "step", text)
    warnings = list(summary.warnings)
    if status is not CheckStatus.PASS:
        warnings.append(text)
    return LogVerdict(status, text, hit[0] if hit else None, hit[1] if hit else None,
                      curves, warnings, summary.x, summary.params)


def _claim_in_log_units(claimed: float, metric: str, series: list[MetricSeries]) -> float:
    """A claimed 0.913 against a log in percent means 91.3."""
    if metric == "accuracy" and 0 < claimed <= 1 and any(s.best > 1 for s in series):
        return claimed * 100.0
    return claimed


def _matches(value: float, claimed: float, metric: str) -> bool:
    if metric == "accuracy":
        return abs(value - claimed) <= 0.05 + 1e-9
    return abs(value - claimed) <= 0.005 * abs(value) + 1e-12


_Judgement = tuple[CheckStatus, str, "tuple[str, float | None] | None"]


def _judge(s: LogSummary, names: list[str], claimed: float, metric: str) -> _Judgement:
    c = f"{claimed:g}"
    if not names:
        return (CheckStatus.WARN, _("claimed {claimed}: the log has no {names} to compare "
                                    "with").format(claimed=c,
                                                   names=" / ".join(CLAIM_METRICS[metric])), None)
    for name in names:                          # the last epoch: what the run ended with
        m = s.metrics[name]
        if _matches(m.last, claimed, metric):
            return (CheckStatus.PASS, _("claimed {claimed} matches {name} at epoch {epoch} (the "
                                        "last; best is {best} at epoch {best_epoch})").format(
                claimed=c, name=name, epoch=_fmt(m.last_epoch), best=_fmt(m.best),
                best_epoch=_fmt(m.best_epoch)),
                    (name, m.last_epoch))
    return (_selected_match(s, names, claimed, metric) or _evaluation_match(s, names, claimed, metric)
            or _best_match(s, names, claimed, metric) or _any_match(s, names, claimed, metric)
            or _absent(s, names, claimed, metric))


def _selected_match(s: LogSummary, names: list[str], claimed: float, metric: str) -> _Judgement | None:
    """Test value at the epoch the validation metric picks (or the best val / top-1 itself)."""
    for name in names:
        m = s.metrics[name]
        if name.startswith("test_"):
            pick = _val_pick(s, metric)
            if pick is None:
                continue
            value = m.value_at(pick.best_epoch)
            if value is not None and _matches(value, claimed, metric):
                return (CheckStatus.PASS, _("claimed {claimed} matches {name} at epoch {epoch}, "
                                            "the epoch the best {pick} picks").format(
                    claimed=f"{claimed:g}", name=name, epoch=_fmt(pick.best_epoch),
                    pick=pick.name),
                        (name, pick.best_epoch))
        elif _matches(m.best, claimed, metric):
            return (CheckStatus.PASS, _("claimed {claimed} matches the best {name}, at epoch "
                                        "{epoch} (last is {last} at epoch {last_epoch})").format(
                claimed=f"{claimed:g}", name=name, epoch=_fmt(m.best_epoch), last=_fmt(m.last),
                last_epoch=_fmt(m.last_epoch)),
                    (name, m.best_epoch))
    return None


def _val_pick(s: LogSummary, metric: str) -> MetricSeries | None:
    order = ("val_acc", "val_loss") if metric == "accuracy" else ("val_ppl", "val_loss")
    return next((s.metrics[n] for n in order if n in s.metrics), None)


def _evaluation_match(s: LogSummary, names: list[str], claimed: float, metric: str) -> _Judgement | None:
    for name, value in s.evaluations:
        if name in names and _matches(value, claimed, metric):
            return (CheckStatus.PASS, _("claimed {claimed} matches a separate {name} evaluation "
                                        "in the log ({value})").format(
                claimed=f"{claimed:g}", name=name, value=_fmt(value)), (name, None))
    return None


def _best_match(s: LogSummary, names: list[str], claimed: float, metric: str) -> _Judgement | None:
    for name in names:
        m = s.metrics[name]
        if name.startswith("test_") and _matches(m.best, claimed, metric):
            return (CheckStatus.WARN, _("claimed {claimed} matches {name} at epoch {epoch} (the "
                                        "best; last is {last} at epoch {last_epoch}): a "
                                        "best-on-test pick, which overstates the result").format(
                claimed=f"{claimed:g}", name=name, epoch=_fmt(m.best_epoch), last=_fmt(m.last),
                last_epoch=_fmt(m.last_epoch)),
                    (name, m.best_epoch))
    return None


def _any_match(s: LogSummary, names: list[str], claimed: float, metric: str) -> _Judgement | None:
    for name in names:
        m = s.metrics[name]
        for epoch, value in m.series:
            if _matches(value, claimed, metric):
                return (CheckStatus.WARN, _("claimed {claimed} matches {name} only at epoch "
                                            "{epoch}, neither the best ({best} at epoch "
                                            "{best_epoch}) nor the last ({last} at epoch "
                                            "{last_epoch})").format(
                    claimed=f"{claimed:g}", name=name, epoch=_fmt(epoch), best=_fmt(m.best),
                    best_epoch=_fmt(m.best_epoch), last=_fmt(m.last),
                    last_epoch=_fmt(m.last_epoch)), (name, epoch))
    return None


def _absent(s: LogSummary, names: list[str], claimed: float, metric: str) -> _Judgement:
    """Nowhere in the log: a fail when no series comes near it, else a warning."""
    best = {n: s.metrics[n].best for n in names}
    if metric == "accuracy":
        contradicted = all(claimed > b + 1.0 for b in best.values())
    else:
        contradicted = all(claimed < b * 0.95 for b in best.values())
    name = names[0]
    m = s.metrics[name]
    text = _("claimed {claimed} appears nowhere in the log: the best {name} is {best} at epoch "
             "{best_epoch}, the last {last} at epoch {last_epoch}").format(
        claimed=f"{claimed:g}", name=name, best=_fmt(m.best), best_epoch=_fmt(m.best_epoch),
        last=_fmt(m.last), last_epoch=_fmt(m.last_epoch))
    return (CheckStatus.FAIL if contradicted else CheckStatus.WARN, text, None)
