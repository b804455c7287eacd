"""The dispatcher: a structured reader claims the whole file if it can (trainer_state.json,
JSON lines, CSV); otherwise every line goes through the family rules in order, the first rule
whose handler claims it wins, and the family that claimed most lines names the reader."""
from __future__ import annotations

import re
from pathlib import Path

from grader.errors import LogError
from grader.logs import epochs, structured
from grader.logs.collector import Collector
from grader.logs.families import RULES
from grader.logs.records import LogSummary
from grader.logs.summary import summarise
from grader.logs.text import lines, read_text

_PLANNED_HINT = re.compile(r"epoch|轮|max: \d", re.I)


def parse_log(text: str, name_hint: str = "", partial: bool = False) -> LogSummary:
    """Read a training log's text into per-epoch (or per-step) metrics and warnings.

    `name_hint`: the file name (a TensorBoard CSV export names its metric there);
    `partial`: when no epoch completes, still report the last batch values (with a warning).
    """
    found = structured.read(text, name_hint)
    if found is not None:
        return summarise(found[0], found[1], partial)
    c = Collector()
    for lineno, line in lines(text):
        _prescan(line, c)
        for rule in RULES:
            m = rule.pattern.search(line)
            if m and rule.handle(m, line, lineno, c):
                c.readers[rule.family] += 1
                break
    return summarise(c, _reader(c), partial)


def _prescan(line: str, c: Collector) -> None:
    """Planned epochs from config dumps, the parameter count from model summaries."""
    if _PLANNED_HINT.search(line):
        planned = epochs.planned(line)
        if planned:
            c.planned_config = planned
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
