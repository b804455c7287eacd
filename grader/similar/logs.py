"""Log similarity: the same log under two names, metric series that match epoch by epoch up to
a constant offset, and identical digit runs in long series.

- Same log: the texts agree once line endings and trailing spaces are set aside.
- Series: the log reader (`grader.logs.read_log`) gives each canonical metric per epoch. Two
  students' values at their common epochs whose difference is constant, up to the precision the
  logs print, are one log with its numbers shifted (offset 0: copied as is). Independent runs
  never keep a constant difference over several epochs of a metric that moves.
- Digits: a copied log whose numbers were shifted by a round amount (+1.5) keeps the last digits
  of every number. Runs of four consecutive numbers whose last three digits agree are compared
  through an inverted index, so this also holds for logs the reader cannot parse.
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from grader import logs as log_reader
from grader.errors import GradeError
from grader.i18n import _
from grader.similar.evidence import Evidence, Kind, PairKey, SeriesRow
from grader.similar.material import Student

MIN_EPOCHS = 4               # common epochs before a constant offset means anything
FULL_EPOCHS = 6              # ...and from which it is as strong as a copied file
MIN_DISTINCT = 3             # the metric must move: a flat series matches anything
TAIL_DIGITS = 3
RUN = 4                      # consecutive numbers per digit run
MIN_RUNS = 2
COMMON_SHARE = 0.5           # a run in more than this share of the class is a shared format
_NUMBER = re.compile(r"(?<![\w.])-?\d+\.(\d{%d,})(?![\d])" % (TAIL_DIGITS + 1))


@dataclass(frozen=True)
class LogFile:
    student: str
    label: str
    digest: str                                   # of the text, layout set aside
    series: dict[str, list[tuple[float, float]]]  # canonical metric -> (epoch, value)
    runs: frozenset[int]                          # hashes of RUN consecutive digit tails


def read(student: Student, path: Path) -> LogFile:
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    layout_free = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    try:
        summary = log_reader.read_log(path)
        series = {name: list(m.series) for name, m in summary.metrics.items()}
    except GradeError:
        series = {}                               # unparsable: digit runs still compare
    tails = [m.group(1)[-TAIL_DIGITS:] for m in _NUMBER.finditer(text)]
    runs = frozenset(hash("|".join(tails[i:i + RUN])) for i in range(len(tails) - RUN + 1))
    return LogFile(student.name, student.label(path),
                   hashlib.sha256(layout_free.strip().encode()).hexdigest(), series, runs)


def compare_logs(students: list[Student]) -> dict[PairKey, Evidence]:
    files = {s.name: [read(s, p) for p in s.logs] for s in sorted(students, key=lambda s: s.name)}
    files = {k: v for k, v in files.items() if v}
    found: dict[PairKey, list[Evidence]] = defaultdict(list)
    for key, ev in _same_files(files):
        found[key].append(ev)
    for key, ev in _shared_runs(files):
        found[key].append(ev)
    for key, ev in _offset_series(files):
        found[key].append(ev)
    return {key: max(evs, key=lambda e: e.score) for key, evs in found.items()}


def _same_files(files: dict[str, list[LogFile]]) -> list[tuple[PairKey, Evidence]]:
    by_digest: dict[str, list[LogFile]] = defaultdict(list)
    for logs in files.values():
        for f in logs:
            by_digest[f.digest].append(f)
    out = []
    for digest, same in by_digest.items():
        for fa, fb in combinations(sorted(same, key=lambda f: f.student), 2):
            if fa.student != fb.student:
                out.append(((fa.student, fb.student), Evidence(
                    Kind.LOG, 1.0, _("{a} and {b} are the same log (sha256 {digest}…)").format(
                        a=fa.label, b=fb.label, digest=digest[:12]))))
    return out


def _shared_runs(files: dict[str, list[LogFile]]) -> list[tuple[PairKey, Evidence]]:
    index: dict[int, set[str]] = defaultdict(set)
    for name, logs in files.items():
        for f in logs:
            for r in f.runs:
                index[r].add(name)
    common = max(3, int(COMMON_SHARE * len(files)))
    shared: dict[PairKey, int] = defaultdict(int)
    for names in index.values():
        if 2 <= len(names) <= common:
            for a, b in combinations(sorted(names), 2):
                shared[(a, b)] += 1
    out = []
    for (a, b), count in shared.items():
        if count < MIN_RUNS:
            continue
        size = min(len(set().union(*(f.runs for f in files[a]))),
                   len(set().union(*(f.runs for f in files[b]))))
        score = min(1.0, count / max(size, 1))
        out.append(((a, b), Evidence(
            Kind.LOG, score, _("{count} runs of {run} consecutive numbers end in the same "
                               "{digits} digits ({share} of the shorter log)").format(
                count=count, run=RUN, digits=TAIL_DIGITS, share=f"{count / max(size, 1):.0%}"))))
    return out


def _offset_series(files: dict[str, list[LogFile]]) -> list[tuple[PairKey, Evidence]]:
    """Per metric, every pair at once: the spread of b − a over common epochs, in NumPy."""
    names = sorted(files)
    best: dict[PairKey, tuple[float, list[SeriesRow]]] = {}
    metrics = sorted({m for logs in files.values() for f in logs for m in f.series})
    for metric in metrics:
        series = [_first_series(files[n], metric) for n in names]
        epochs = sorted({e for s in series if s for e, _ in s})
        if len(epochs) < MIN_EPOCHS:
            continue
        col = {e: i for i, e in enumerate(epochs)}
        values = np.full((len(names), len(epochs)), np.nan)
        decimals = np.zeros(len(names))
        for i, s in enumerate(series):
            for e, v in s or []:
                values[i, col[e]] = v
            decimals[i] = max((_decimals(v) for _, v in s or []), default=0)
        for i in range(len(names) - 1):
            for j, score, offset in _offsets(values, decimals, i):
                key = (names[i], names[j])
                row = _row(metric, epochs, values[i], values[j], offset)
                old = best.get(key)
                if old is None or score > old[0]:
                    best[key] = (score, [row])
                elif score == old[0]:
                    old[1].append(row)
    out = []
    for key, (score, rows) in best.items():
        parts = [(_("{metric} at {epochs} common epochs = the classmate's exactly")
                  if r.offset == 0 else
                  _("{metric} at {epochs} common epochs = the classmate's {offset}")).format(
                      metric=r.metric, epochs=len(r.epochs), offset=f"{r.offset:+.4g}")
                 for r in rows]
        out.append((key, Evidence(Kind.LOG, score, _("; ").join(parts)
                                  + _(" (b − a constant up to the printed precision)"),
                                  series=tuple(rows))))
    return out


def _offsets(values: np.ndarray, decimals: np.ndarray, i: int
             ) -> list[tuple[int, float, float]]:
    """Students j > i whose series differ from i's by a constant: (j, score, offset)."""
    d = values[i + 1:] - values[i]                           # (n − i − 1, E)
    valid = ~np.isnan(d)
    count = valid.sum(1)
    hi = np.where(valid, d, -np.inf).max(1)
    lo = np.where(valid, d, np.inf).min(1)
    precision = 10.0 ** -np.minimum(decimals[i], decimals[i + 1:])
    flat = (hi - lo) <= 2.01 * precision
    out = []
    for k in np.nonzero(flat & (count >= MIN_EPOCHS))[0]:
        j = i + 1 + int(k)
        common = valid[k]
        if len(np.unique(values[i][common])) < MIN_DISTINCT:
            continue
        n = int(count[k])
        score = min(1.0, (n - MIN_EPOCHS + 1) / (FULL_EPOCHS - MIN_EPOCHS + 1))
        offset = float(np.median(d[k][common]))
        out.append((j, score, 0.0 if abs(offset) <= precision[k] else offset))
    return out


def _first_series(logs: list[LogFile], metric: str) -> list[tuple[float, float]] | None:
    return next((f.series[metric] for f in logs if metric in f.series), None)


def _decimals(v: float) -> int:
    """Decimals the value was printed with (the reader may have scaled fractions to percent)."""
    for d in range(9):
        if abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)):
            return d
    return 9


def _row(metric: str, epochs: list[float], a: np.ndarray, b: np.ndarray,
         offset: float) -> SeriesRow:
    keep = [k for k in range(len(epochs)) if not (np.isnan(a[k]) or np.isnan(b[k]))]
    return SeriesRow(metric, tuple(epochs[k] for k in keep), tuple(float(a[k]) for k in keep),
                     tuple(float(b[k]) for k in keep), offset)
