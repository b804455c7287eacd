"""A line rule: a named regex with a handler that turns the line into collector events, and
the handlers several families share (a metric line at an epoch, a progress line)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from grader.logs.collector import Collector
from grader.logs.epochs import Epoch, blank, closes, find_epoch, leads, progress
from grader.logs.labels import hint, pairs

BEST_LINE = re.compile(r"\bbest\b|\bmax(?:imum)? acc|improved from|最佳|最好|最优|最高", re.I)


@dataclass(frozen=True)
class Rule:
    family: str                 # the reader named when its rules claim most lines
    name: str
    pattern: re.Pattern[str]
    handle: Callable[[re.Match[str], str, int, Collector], bool]   # True: line consumed
    # a cheap test of the line and the state before the regex runs (speed only)
    guard: Callable[[str, Collector], bool] | None = None


def header(c: Collector, epoch: Epoch, lineno: int) -> None:
    """An epoch header line ("Epoch 3/20", "#### Epoch 0/99")."""
    if c.raw_context is None and epoch.planned and epoch.number == 0:
        c.header_zero = True                  # "Epoch 0/49": counted from 0, 50 planned
    c.at_epoch(epoch.number, epoch.planned, lineno, header=True)


def metric_line(text: str, lineno: int, c: Collector, running: bool = False,
                split: str | None = None) -> bool:
    """A line of `label: value` pairs, at the epoch it names or the epoch being trained."""
    epoch = find_epoch(text)
    if BEST_LINE.search(text):
        c.best_lines.append((lineno, text.strip()))
        if epoch is None or not leads(text, epoch):
            return True             # "best test acc 91.3 at epoch 118": evidence, not a point
    rest = blank(text, epoch.span) if epoch else text
    found = pairs(rest, running, split or (hint(text) if epoch else None) or c.phase)
    if epoch is not None and not found:
        if leads(text, epoch) or closes(text, epoch):
            header(c, epoch, lineno)
            return True
        return False                # "loading checkpoints/epoch5.pt" is no epoch of this run
    if epoch is not None:
        c.at_epoch(epoch.number, epoch.planned, lineno)
        for p in found:
            c.record(c.context if c.context is not None else epoch.number, p, lineno)
        return True
    for p in found:
        if p.name == "lr" and c.context is None:
            continue                # a config printout, not the schedule
        if not c.step_unattached(p, lineno):
            c.unattached(p, lineno)
    return bool(found)


def progress_line(text: str, lineno: int, c: Collector) -> bool:
    """A batch progress line (tqdm bar, `[120/391]`, `Minibatch: 201`): sets the epoch and keeps
    the running train metrics; a closing bar (100%) also carries the epoch's val metrics."""
    epoch = find_epoch(text)
    rest = blank(text, epoch.span) if epoch else text
    is_batch, frac, idx = progress(rest)
    if not is_batch:
        return False
    split = hint(rest)
    found = pairs(rest, running=True)
    c.batch(epoch.number if epoch else None, frac, found, lineno,
            train=split in (None, "train"), idx=idx, planned=epoch.planned if epoch else None)
    if epoch is not None and frac is not None and frac >= 1.0:
        for p in found:             # Lightning's closing bar carries the epoch's val metrics
            if not p.name.startswith("train_") and p.name != "lr" and c.context is not None:
                c.record(c.context, p, lineno)
    return True
