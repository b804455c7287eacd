"""The mutable state while one log is read: what each line said, before any judgement.

Family rules call its methods: `at_epoch` when a line names an epoch, `record` for a metric at
an epoch, `unattached` for a metric on a line without one, `batch` for a progress line inside an
epoch, `end_epoch` when a line says an epoch is over ("Finished Training", "Saving checkpoint at
2 epochs"), and the `step` methods for logs whose x axis is the step. Epoch numbers going back
are either a new stage (the previous `fit()` reached its planned epochs: the numbering goes on)
or a restart (the later run's values win; `summary` drops what it superseded and says so).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from grader.logs.labels import Pair


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@dataclass
class Collector:
    context: float | None = None            # the epoch being trained (after stage offsets)
    raw_context: float | None = None        # the same, as the log numbers it
    offset: float = 0                       # added to raw epochs: earlier stages' epochs
    stages: int = 1
    stage_planned: int | None = None
    points: dict[float, dict[str, tuple[float, int]]] = field(default_factory=dict)
    pct: set[str] = field(default_factory=set)
    implicit: set[str] = field(default_factory=set)      # accuracies whose split was a guess
    conflicts: list[tuple[float, str, int, int]] = field(default_factory=list)
    went_back: list[tuple[float, float, int]] = field(default_factory=list)  # (from, to, line)
    batch_last: dict[float, dict[str, float]] = field(default_factory=dict)
    batch_idx: dict[float, float] = field(default_factory=dict)   # highest batch counter seen
    batch_done: set[float] = field(default_factory=set)
    batch_bad: list[tuple[float, str, float, int]] = field(default_factory=list)  # NaN in bars
    # metrics before any epoch number: (name, value, line, block); a name printed again
    # opens the next block, so a log without epoch numbers still counts its evaluations
    pending: list[tuple[str, float, int, int]] = field(default_factory=list)
    block: int = 1
    evaluations: list[tuple[str, float]] = field(default_factory=list)
    lrs: list[tuple[float, float]] = field(default_factory=list)
    planned_config: int | None = None       # Namespace(epochs=..), --epochs, num_train_epochs
    planned_header: int | None = None       # "Epoch 3/20"
    header_zero: bool = False               # a header counted from 0 ("Epoch 0/49")
    best_lines: list[tuple[int, str]] = field(default_factory=list)
    phase: str | None = None                # split of the phase header in force ("Test set:")
    step_context: float | None = None
    step_points: dict[float, dict[str, tuple[float, int]]] = field(default_factory=dict)
    step_progress: dict[float, dict[str, tuple[float, int]]] = field(default_factory=dict)
    params: int | None = None
    readers: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)      # warnings a reader raises as it reads
    csv: tuple[str, list[str | None]] | None = None      # a table in force: (separator, columns)
    state: dict[str, Any] = field(default_factory=dict)  # a family's own memory while reading

    # -------------------------------------------------------------- epochs

    def at_epoch(self, raw: float, planned: int | None = None, lineno: int = 0,
                 header: bool = False) -> None:
        """`header`: the line names the epoch and nothing else ("Epoch 3/20")."""
        if self.raw_context is not None and raw < self.raw_context:
            if self._stage_complete():
                self.offset = (self.context or 0) + 1 - raw
                self.stages += 1
            else:
                self.went_back.append((self.context or 0, raw + self.offset, lineno))
        elif (header and planned and raw == self.raw_context and self._stage_complete()
              and self.context in self.points):
            self.offset = (self.context or 0) + 1 - raw       # "Epoch 1/1" again: next fit()
            self.stages += 1
        if planned:
            self.stage_planned = planned
            self.planned_header = int(self.offset) + planned
        self.raw_context = raw
        self.context = raw + self.offset
        self.phase = None

    def _stage_complete(self) -> bool:
        if not self.stage_planned or self.raw_context is None:
            return False
        last = self.stage_planned - 1 if self.header_zero else self.stage_planned
        return self.raw_context >= last

    def record(self, epoch: float, pair: Pair, lineno: int) -> None:
        if pair.name == "lr":
            self.lrs.append((epoch, pair.value))
            return
        if pair.pct:
            self.pct.add(pair.name)
        if pair.implicit:
            self.implicit.add(pair.name)
        row = self.points.setdefault(epoch, {})
        old = row.get(pair.name)
        if old is not None and not same(old[0], pair.value) and old[1] != lineno:
            self.conflicts.append((epoch, pair.name, old[1], lineno))
        row[pair.name] = (pair.value, lineno)

    def unattached(self, pair: Pair, lineno: int) -> None:
        """A metric on a line without an epoch: it belongs to the epoch being trained."""
        if self.context is None:
            if pair.name == "lr":
                return                       # a config printout, not a schedule
            if pair.pct:
                self.pct.add(pair.name)
            if any(n == pair.name and b == self.block for n, _, _, b in self.pending[-16:]):
                self.block += 1
            self.pending.append((pair.name, pair.value, lineno, self.block))
            return
        old = self.points.get(self.context, {}).get(pair.name)
        if old is not None and not same(old[0], pair.value) and pair.name != "lr":
            self.evaluations.append((pair.name, pair.value))    # e.g. a final re-evaluation
            return
        self.record(self.context, pair, lineno)

    def batch(self, raw: float | None, frac: float | None, pairs: list[Pair], lineno: int,
              train: bool = True, idx: float | None = None, planned: int | None = None) -> None:
        """A progress line inside an epoch: it sets the epoch, never makes one by itself."""
        if raw is not None and (self.raw_context is None or raw != self.raw_context):
            self.at_epoch(raw, planned, lineno)
        if self.context is None or not train:
            return
        if frac is not None and frac >= 1.0:
            self.batch_done.add(self.context)
        if idx is not None:
            self.batch_idx[self.context] = max(idx, self.batch_idx.get(self.context, idx))
        last = self.batch_last.setdefault(self.context, {})
        for p in pairs:
            if p.name == "lr":
                self.lrs.append((self.context, p.value))
            elif p.name in ("train_loss", "train_acc"):
                last[p.name] = p.value
                if p.pct:
                    self.pct.add(p.name)
                if not math.isfinite(p.value):
                    self.batch_bad.append((self.context, p.name, p.value, lineno))

    def end_epoch(self) -> None:
        """A line that closes the epoch being trained ("Finished Training", "Epoch Time")."""
        if self.context is not None:
            self.batch_done.add(self.context)

    # -------------------------------------------------------------- steps

    def at_step(self, step: float) -> None:
        self.step_context = step

    def record_step(self, step: float, pair: Pair, lineno: int, progress: bool = False) -> None:
        self.step_context = step
        if pair.name == "lr":
            self.lrs.append((step, pair.value))
            return
        if pair.pct:
            self.pct.add(pair.name)
        table = self.step_progress if progress else self.step_points
        table.setdefault(step, {})[pair.name] = (pair.value, lineno)

    def step_unattached(self, pair: Pair, lineno: int) -> bool:
        """A metric beside a step printout (caffe's "Train net output"): the current step."""
        if self.step_context is None or self.points or self.context is not None:
            return False
        self.record_step(self.step_context, pair, lineno)
        return True
