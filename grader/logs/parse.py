"""The dispatcher: a structured reader claims the whole file if it can (trainer_state.json,
JSON lines, CSV); otherwise every line goes through the family rules in order, the first rule
whose handler claims it wins, and the family that claimed most lines names the reader.

Speed: a long log is mostly batch progress lines printed by one statement. Lines are keyed by
their shape (digits collapsed): only the rules whose regex matched a shape before are tried on
it again, and in a run of same-shape progress lines of one epoch only the last line matters
(it holds the epoch's final running values), so the ones before it are skipped.
"""
from __future__ import annotations

import re
from pathlib import Path

from grader.errors import LogError
from grader.logs import epochs, structured
from grader.logs.collector import Collector
from grader.logs.families import RULES
from grader.logs.records import LogSummary
from grader.logs.summary import summarise
from grader.logs.text import lines, read_text, shape

_PLANNED_HINT = re.compile(r"epoch|轮|max: \d", re.I)
_SHAPES = 20_000                   # line shapes remembered (a log has a few dozen)
_NO_PLAN: set[str] = set()         # shapes that name no planned epochs, across logs
# rules whose lines are progress inside an epoch: a run of them needs only its last line
_PROGRESS = frozenset({"progress", "lightning_bar", "bracket_batch", "mm_train", "timm_train"})


class _Reader:
    """Feeds lines to the rules, remembering which rules a line shape needs."""

    def __init__(self) -> None:
        self.c = Collector()
        self.candidates: dict[str, tuple[int, ...]] = {}
        # progress shapes -> which digit run holds the epoch number (None: no epoch on it)
        self.progress_shapes: dict[str, int | None] = {}
        self.held: tuple[int, str, str] | None = None        # a progress line not yet read
        self.held_epoch: str | None = None

    def feed(self, lineno: int, line: str) -> None:
        key, runs = shape(line)
        if key in self.progress_shapes:
            k = self.progress_shapes[key]
            epoch = runs[k] if k is not None and k < len(runs) else None
            if self.held is not None and self.held[2] == key and self.held_epoch == epoch:
                self.held = (lineno, line, key)              # same run, same epoch: later wins
                return
            self.release()
            self.held, self.held_epoch = (lineno, line, key), epoch
            return
        self.release()
        self.read(lineno, line, key)

    def release(self) -> None:
        if self.held is not None:
            held, self.held = self.held, None
            self.read(*held)

    def read(self, lineno: int, line: str, key: str) -> None:
        c = self.c
        _prescan(line, key, c)
        tried = self.candidates.get(key)
        if tried is None:
            tried = tuple(i for i, rule in enumerate(RULES) if rule.pattern.search(line))
            if len(self.candidates) < _SHAPES:
                self.candidates[key] = tried
        for i in tried:
            rule = RULES[i]
            if rule.guard is not None and not rule.guard(line, c):
                continue
            m = rule.pattern.search(line)
            if m and rule.handle(m, line, lineno, c):
                c.readers[rule.family] += 1
                if rule.name in _PROGRESS and len(self.progress_shapes) < _SHAPES:
                    self.progress_shapes[key] = _epoch_run(line)
                break


def _epoch_run(line: str) -> int | None:
    """Which run of digits in a progress line is its epoch number."""
    epoch = epochs.find_epoch(line)
    if epoch is None:
        return None
    return len(_RUNS.findall(line[:epoch.span[1]])) - 1


_RUNS = re.compile(r"\d+")


def parse_log(text: str, name_hint: str = "", partial: bool = False) -> LogSummary:
    """Read a training log's text into per-epoch (or per-step) metrics and warnings.

    `name_hint`: the file name (a TensorBoard CSV export names its metric there);
    `partial`: when no epoch completes, still report the last batch values (with a warning).
    """
    found = structured.read(text, name_hint)
    if found is not None:
        return summarise(found[0], found[1], partial)
    reader = _Reader()
    for lineno, line in lines(text):
        reader.feed(lineno, line)
    reader.release()
    return summarise(reader.c, _reader(reader.c), partial)


def _prescan(line: str, key: str, c: Collector) -> None:
    """Planned epochs from config dumps, the parameter count from model summaries."""
    if key not in _NO_PLAN and _PLANNED_HINT.search(line):
        planned = epochs.planned(line)
        if planned:
            c.planned_config = planned
        elif len(_NO_PLAN) < _SHAPES:
            _NO_PLAN.add(key)
    if c.params is None and ("param" in line or "参数" in line):
        c.params = epochs.params(line)


def _reader(c: Collector) -> str:
    specific = {f: n for f, n in c.readers.items() if f != "generic"}
    if specific:
        return max(specific, key=lambda f: specific[f])
    return "generic" if c.readers else ""


def read_log(path: Path) -> LogSummary:
    """Read a training log file; `LogError` (one line: file + problem) when it is unusable:
    missing, empty, binary, undecodable, or without a single metric line."""
    path = Path(path)
    summary = parse_log(read_text(path), path.name, partial=True)
    if not summary.metrics:
        raise LogError(f"{path}: no training metric found (no loss, accuracy or perplexity "
                       "per epoch)")
    return summary
