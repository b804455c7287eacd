"""Warnings a TA can act on: NaN/inf, divergence, model selection on the test set, unfinished
runs, real restarts (identical pasted-twice lines are silent), each with its line number."""
from __future__ import annotations

import math
import re
from typing import Iterator

from grader.i18n import _
from grader.logs.collector import Collector
from grader.logs.records import LogSummary

GAP_POINTS = 15.0           # train - eval accuracy at the best epoch that signals overfitting
DIVERGE_FACTOR = 3.0        # final loss this many times its minimum: training diverged
_MENTIONS_TEST = re.compile(r"\btest|测试", re.I)
_MENTIONS_VAL = re.compile(r"\bval|验证|\bdev\b", re.I)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def nan_message(name: str, value: float, at: float, lineno: int, x: str = "epoch") -> str:
    where = _(" (line {lineno})").format(lineno=lineno) if lineno else ""
    return _("{name} is {value} at {x} {at}{where}: training diverged or the loss "
             "overflowed").format(name=name, value=value, x=x, at=_fmt(at), where=where)


def batch_nan(c: Collector) -> list[str]:
    """NaN in progress lines only (an epoch summary may never have been printed)."""
    if not c.batch_bad or any(not math.isfinite(v) for row in c.points.values()
                              for v, _ in row.values()):
        return []
    epoch, name, value, lineno = c.batch_bad[0]
    return [nan_message(name, value, epoch, lineno)]


def progress_nan(table: dict[float, dict[str, tuple[float, int]]]) -> list[str]:
    for step in sorted(table):
        for name, (value, lineno) in table[step].items():
            if not math.isfinite(value):
                return [nan_message(name, value, step, lineno, "step")]
    return []


def review(s: LogSummary, c: Collector) -> list[str]:
    found = [_unfinished(s), _selected_on_test(s, c), _gap(s), *_divergence(s), _restarts(c),
             _stages(c)]
    return [w for w in found if w]


def _unfinished(s: LogSummary) -> str | None:
    if s.epochs_planned and s.epochs_seen < s.epochs_planned:
        return _("the run is unfinished: the log shows {seen} of {planned} planned "
                 "epochs").format(seen=s.epochs_seen, planned=s.epochs_planned)
    return None


def unfinished_steps(c: Collector, last_step: float | None) -> list[str]:
    """A run counted in iterations that printed its planned count ("iter: 140/500") and
    stopped short of it."""
    planned = c.state.get("planned_steps")
    if not planned or last_step is None or last_step >= planned:
        return []
    return [_("the run is unfinished: the log ends at step {seen} of {planned} planned "
              "steps").format(seen=int(last_step), planned=planned)]


def _selected_on_test(s: LogSummary, c: Collector) -> str | None:
    has_val = any(n.startswith("val_") for n in s.metrics)
    tracks_test = any(n.startswith("test_") for n in s.metrics)
    for lineno, text in c.best_lines:
        says_test = _MENTIONS_TEST.search(text) and not _MENTIONS_VAL.search(text)
        silent = not _MENTIONS_TEST.search(text) and not _MENTIONS_VAL.search(text)
        if says_test or (silent and tracks_test and not has_val):
            return _("the model was selected on the test set (line {lineno}: \"{text}\"): a "
                     "best-on-test number is optimistic; a validation split should pick the "
                     "epoch").format(lineno=lineno, text=text[:60])
    return None


def _gap(s: LogSummary) -> str | None:
    train = s.metrics.get("train_acc")
    for name in ("test_acc", "val_acc"):
        held_out = s.metrics.get(name)
        if train is None or held_out is None:
            continue
        t = train.value_at(held_out.best_epoch)
        if t is not None and t - held_out.best > GAP_POINTS:
            return _("train accuracy {train}% vs {name} {held_out}% at epoch {epoch} (the best "
                     "{name}): a {gap}-point gap, the model overfits").format(
                train=f"{t:.1f}", name=name, held_out=f"{held_out.best:.1f}",
                epoch=_fmt(held_out.best_epoch), gap=f"{t - held_out.best:.1f}")
    return None


def _divergence(s: LogSummary) -> Iterator[str]:
    for name, m in s.metrics.items():
        if not name.endswith("_loss") or len(m.series) < 3:
            continue
        if m.best > 0 and m.last > DIVERGE_FACTOR * m.best and m.last_epoch > m.best_epoch:
            yield _("{name} diverged: it rose from {best} at epoch {best_epoch} to {last} at "
                    "epoch {last_epoch}").format(
                name=name, best=f"{m.best:.4g}", best_epoch=_fmt(m.best_epoch),
                last=f"{m.last:.4g}", last_epoch=_fmt(m.last_epoch))


def _restarts(c: Collector) -> str | None:
    if not c.conflicts:
        return None                     # repeated identical lines are just pasted twice
    epochs = sorted({e for e, *_ in c.conflicts})
    first = c.conflicts[0]
    back = (_("; epochs go back from {start} to {to} at line {lineno}").format(
        start=_fmt(c.went_back[0][0]), to=_fmt(c.went_back[0][1]), lineno=c.went_back[0][2])
        if c.went_back else "")
    shown = ", ".join(map(_fmt, epochs[:8])) + (" ..." if len(epochs) > 8 else "")
    plural = len(epochs) > 1
    said = (_("epochs {shown} appear more than once with different values (e.g. {metric} at "
              "lines {first} and {second}){back}") if plural else
            _("epoch {shown} appears more than once with different values (e.g. {metric} at "
              "lines {first} and {second}){back}")).format(
        shown=shown, metric=first[1], first=first[2], second=first[3], back=back)
    if c.went_back:
        return said + _(": the run was restarted or two runs were joined; the later run's values "
                        "are kept")
    return said + _(": a second evaluation, or lines of two runs mixed; the later values are kept")


def _stages(c: Collector) -> str | None:
    if c.stages < 2:
        return None
    return _("the log holds {stages} training stages (separate fit() calls, each counting its "
             "epochs from the start): they are joined into one series").format(stages=c.stages)
