"""Collector -> LogSummary: series per canonical metric, epochs seen and planned, the x axis.

Decisions taken here, once the whole log is read: which values a restart superseded, which
epochs the progress bars completed, whether an unlabeled accuracy was an evaluation, and whether
each accuracy was printed as a fraction (then it becomes percent, per metric).
"""
from __future__ import annotations

import bisect
import math
from dataclasses import replace

from grader.logs import alerts
from grader.logs.collector import Collector
from grader.logs.labels import Pair
from grader.logs.records import ACCURACIES, CANONICAL, LogSummary, MetricSeries


def summarise(c: Collector, reader: str, partial: bool = False) -> LogSummary:
    notes = list(c.notes)
    if not c.points and not c.batch_last and (c.step_points or c.step_progress):
        return _by_step(c, reader, notes)
    _drop_superseded(c)
    _fill_train_from_batches(c, partial, notes)
    _place_pending(c, notes)
    _place_implicit(c, notes)
    scale = {n for n in ACCURACIES if n not in c.pct and _all_fractions(c, n)}
    warnings: list[str] = []
    metrics = _series(c.points, scale, warnings, "epoch")
    evaluations = [(n, _scaled(v, n in scale)) for n, v in c.evaluations]
    summary = LogSummary(_epochs_seen(c), _planned(c), metrics, _lr_changes(c.lrs), [],
                         evaluations, "epoch", c.params, reader)
    return replace(summary, warnings=warnings + alerts.batch_nan(c) + alerts.review(summary, c)
                   + notes)


def _by_step(c: Collector, reader: str, notes: list[str]) -> LogSummary:
    """Logs without epochs (nanoGPT, TensorFlow, caffe): the step is the x axis; evaluation
    lines ("step 3000: train loss, val loss") are the series when there are any."""
    table = c.step_points or c.step_progress
    scale = {n for n in ACCURACIES if n not in c.pct and _fractions(
        [row[n][0] for row in table.values() if n in row])}
    warnings: list[str] = []
    metrics = _series(table, scale, warnings, "step")
    if c.step_points:
        warnings += alerts.progress_nan(c.step_progress)
    warnings += alerts.unfinished_steps(c, max(table) if table else None)
    return LogSummary(0, c.planned_config, metrics, _lr_changes(c.lrs), warnings + notes,
                      [], "step", c.params, reader)


def _drop_superseded(c: Collector) -> None:
    """After a restart the later run counts: earlier values of the epochs it ran again go.

    A value printed at line L of epoch E is superseded when some restart after line L went
    back to an epoch at or below E: with the restarts in line order and the lowest epoch each
    suffix of them went back to, one binary search per value decides."""
    if not c.went_back:
        return
    events = sorted((line, to) for _, to, line in c.went_back)
    lines_at = [line for line, _ in events]
    lowest = [to for _, to in events]
    for i in range(len(lowest) - 2, -1, -1):
        lowest[i] = min(lowest[i], lowest[i + 1])
    for epoch in list(c.points):
        row = c.points[epoch]
        for name, (_, ln) in list(row.items()):
            i = bisect.bisect_right(lines_at, ln)
            if i < len(lowest) and epoch >= lowest[i]:
                del row[name]
        if not row:
            del c.points[epoch]


def _completed_batches(c: Collector) -> set[float]:
    """Epochs whose progress lines ran to the end: every epoch before the last one, and the
    last one when a line said so, a bar reached 100%, or its batch counter reached the count
    the earlier epochs reached."""
    if not c.batch_last:
        return set()
    last = max(c.batch_last)
    done = {e for e in c.batch_last if e < last} | (c.batch_done & set(c.batch_last))
    earlier = [i for e, i in c.batch_idx.items() if e < last]
    if earlier and last in c.batch_idx and c.batch_idx[last] >= max(earlier):
        done.add(last)
    if last in c.points:
        done.add(last)
    return done


def _fill_train_from_batches(c: Collector, partial: bool, notes: list[str]) -> None:
    """Per-epoch train metrics from the last progress line of each completed epoch."""
    done = _completed_batches(c)
    if partial and not c.points and not done and c.batch_last:
        done = set(c.batch_last)             # nothing else to show: say what it is
        c.state["unfinished_epochs"] = done
        notes.append("no epoch in this log is complete: the values are the last batch "
                     "values printed in each epoch")
    for name in ("train_loss", "train_acc"):
        if any(name in row for row in c.points.values()):
            continue
        for epoch in sorted(done):
            value = c.batch_last.get(epoch, {}).get(name)
            if value is not None:
                c.points.setdefault(epoch, {})[name] = (value, 0)


def _first_epoch(c: Collector) -> float | None:
    seen = set(c.points) | set(c.batch_last)
    return min(seen) if seen else None


def _place_pending(c: Collector, notes: list[str]) -> None:
    """Metrics printed before any epoch number: blocks of them in a log that never numbers its
    epochs (one evaluation block per epoch), its only numbers (epoch 0), or a cut log's last
    evaluation before its first epoch line."""
    if not c.pending:
        return
    first = _first_epoch(c)
    if not c.points and first is None and c.block > 1:
        for name, value, lineno, block in c.pending:
            c.points.setdefault(block, {})[name] = (value, lineno)
        notes.append(f"the log numbers no epochs: {c.block} epochs are counted from its "
                     "repeated blocks of metric lines")
        return
    if not c.points:
        for name, value, lineno, _ in c.pending:
            c.record(0 if first is None else first, Pair(name, value, name in c.pct), lineno)
        return
    named = {n for row in c.points.values() for n in row}
    for name, value, lineno, _ in c.pending:
        if name in named or first is None or first < 2:
            c.evaluations.append((name, value))
        else:
            c.points.setdefault(first - 1, {})[name] = (value, lineno)


def _place_implicit(c: Collector, notes: list[str]) -> None:
    """An accuracy with no split label: printed every epoch beside the training loss it is
    the training accuracy; printed only now and then, it is an evaluation (test)."""
    for name in sorted(c.implicit):
        if name != "train_acc":
            continue
        acc = [e for e, row in c.points.items() if name in row]
        loss = [e for e, row in c.points.items() if "train_loss" in row]
        evaluation = len(loss) >= 4 and len(acc) * 2 <= len(loss)
        if evaluation and not any("test_acc" in row for row in c.points.values()):
            for e in acc:
                c.points[e]["test_acc"] = c.points[e].pop(name)
            if name in c.pct:
                c.pct.add("test_acc")
            notes.append(f"an accuracy without a split label, printed at {len(acc)} of "
                         f"{len(loss)} epochs, is read as test_acc (an evaluation)")
        else:
            notes.append("an accuracy without a split label is read as train_acc: it is "
                         "printed beside the training loss")


def _fractions(values: list[float]) -> bool:
    finite = [v for v in values if math.isfinite(v)]
    return bool(finite) and all(0 <= v <= 1.0 for v in finite)


def _all_fractions(c: Collector, name: str) -> bool:
    values = [row[name][0] for row in c.points.values() if name in row]
    values += [v for n, v in c.evaluations if n == name]
    return _fractions(values)


def _scaled(v: float, scale: bool) -> float:
    return round(v * 100.0, 10) if scale else v


def _series(table: dict[float, dict[str, tuple[float, int]]], scale: set[str],
            warnings: list[str], x: str) -> dict[str, MetricSeries]:
    out: dict[str, MetricSeries] = {}
    for name in CANONICAL:
        points, bad = [], []
        for epoch in sorted(table):
            if name in table[epoch]:
                value, lineno = table[epoch][name]
                (points if math.isfinite(value) else bad).append((epoch, value, lineno))
        if bad:
            warnings.append(alerts.nan_message(name, bad[0][1], bad[0][0], bad[0][2], x))
        if points:
            out[name] = MetricSeries(name, [(_whole(e), _scaled(v, name in scale))
                                            for e, v, _ in points])
    return out


def _whole(e: float) -> float:
    return int(e) if float(e).is_integer() else e


def _epochs_seen(c: Collector) -> int:
    """Epochs the run got through: the last complete epoch, counted from 0 or 1 as the log does."""
    done = (set(c.points) | _completed_batches(c)) - c.state.get("unfinished_epochs", set())
    first = _first_epoch(c)
    if not done or first is None:
        return 0
    if any(not float(e).is_integer() for e in done):
        return int(max(done))               # Hugging Face's fractional epochs: whole ones done
    return int(max(done)) + (1 if first == 0 else 0)


def _planned(c: Collector) -> int | None:
    if c.planned_config:
        return c.planned_config
    if c.planned_header:
        return c.planned_header + (1 if c.header_zero else 0)
    return None


def _lr_changes(lrs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for epoch, lr in lrs:
        if not out or not math.isclose(out[-1][1], lr, rel_tol=1e-6):
            out.append((_whole(epoch), lr))
    return out
