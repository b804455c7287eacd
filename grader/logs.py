"""Training logs: what they show per epoch, and what a TA should worry about.

The parser is a table of line recognisers (`RULES`): each is a named regex with a handler,
tried in order; the first whose handler claims a line turns it into events on a `_Collector`
(metrics at an epoch, a batch progress update, a learning-rate change). Metric labels go
through one label table (`_LABELS`, English and Chinese) to the canonical names DESIGN.md
fixes for `grade log --json`. `_Collector.finish` then builds the `LogSummary` and its warnings.

Batch progress lines never create epochs of their own: they only set the current epoch, and
their running train loss/accuracy fill `train_loss`/`train_acc` for completed epochs when the
log has no per-epoch train metric at all (the CIFAR tutorial and MNIST example print nothing else).
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from rich.console import Console
from rich.table import Table

from grader.errors import LogError
from grader.inputs import read_bytes
from grader.results import CheckStatus, Curve

MAX_BYTES = 50 * 1024 * 1024
CANONICAL = ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc",
             "val_ppl", "test_ppl", "top1", "top5")
ACCURACIES = frozenset({"train_acc", "val_acc", "test_acc", "top1", "top5"})
CLAIM_METRICS = {"accuracy": ("test_acc", "val_acc", "top1"), "perplexity": ("test_ppl", "val_ppl")}
GAP_POINTS = 15.0           # train - eval accuracy at the best epoch that signals overfitting
DIVERGE_FACTOR = 3.0        # final loss this many times its minimum: training diverged


# ----------------------------------------------------------------------------- records

@dataclass(frozen=True)
class MetricSeries:
    """One canonical metric, epoch by epoch, in epoch order."""

    name: str
    series: list[tuple[float, float]]

    @property
    def higher_is_better(self) -> bool:
        return self.name in ACCURACIES

    def _best_point(self) -> tuple[float, float]:
        pick = max if self.higher_is_better else min
        return pick(self.series, key=lambda p: p[1])    # first epoch wins a tie

    @property
    def best(self) -> float:
        return self._best_point()[1]

    @property
    def best_epoch(self) -> float:
        return self._best_point()[0]

    @property
    def last(self) -> float:
        return self.series[-1][1]

    @property
    def last_epoch(self) -> float:
        return self.series[-1][0]

    def value_at(self, epoch: float) -> float | None:
        return next((v for e, v in self.series if e == epoch), None)

    def to_json(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "last": self.last,
                "last_epoch": self.last_epoch, "series": [[e, v] for e, v in self.series]}


@dataclass(frozen=True)
class LogSummary:
    epochs_seen: int
    epochs_planned: int | None
    metrics: dict[str, MetricSeries]
    lr_changes: list[tuple[float, float]] = field(default_factory=list)   # (epoch, lr); first = start
    warnings: list[str] = field(default_factory=list)
    # metric values printed outside the epoch table (a final re-evaluation, an initial one)
    evaluations: list[tuple[str, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Exactly DESIGN.md's `grade log --json` object, plus `lr_changes`."""
        return {"epochs_seen": self.epochs_seen, "epochs_planned": self.epochs_planned,
                "metrics": {name: s.to_json() for name, s in self.metrics.items()},
                "warnings": list(self.warnings),
                "lr_changes": [[e, lr] for e, lr in self.lr_changes]}


@dataclass(frozen=True)
class LogVerdict:
    """What a training log says about one claimed number."""

    status: CheckStatus
    text: str
    matched_metric: str | None
    matched_epoch: float | None
    curves: list[Curve]
    warnings: list[str]


# ----------------------------------------------------------------------------- labels

_NUM = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)(?![a-z])"
_SPLITS = {"train": "train", "training": "train", "trn": "train", "val": "val", "valid": "val",
           "validation": "val", "eval": "val", "dev": "val", "test": "test", "testing": "test",
           "训练": "train", "训练集": "train", "验证": "val", "验证集": "val", "测试": "test",
           "测试集": "test"}
_BASES = {"loss": "loss", "avg loss": "loss", "average loss": "loss", "mean loss": "loss",
          "acc": "acc", "accuracy": "acc", "avg acc": "acc", "categorical accuracy": "acc",
          "sparse categorical accuracy": "acc", "ppl": "ppl", "perplexity": "ppl",
          "损失": "loss", "准确率": "acc", "正确率": "acc", "准确度": "acc", "精度": "acc",
          "困惑度": "ppl",
          "top1": "top1", "top 1": "top1", "acc@1": "top1", "prec@1": "top1", "top1 acc": "top1",
          "top 1 acc": "top1", "top1 accuracy": "top1", "top 1 accuracy": "top1",
          "top5": "top5", "top 5": "top5", "acc@5": "top5", "prec@5": "top5", "top5 acc": "top5",
          "top 5 acc": "top5", "top5 accuracy": "top5", "top 5 accuracy": "top5"}
_OTHER = {"lr": "lr", "learning rate": "lr", "学习率": "lr", "epoch": "epoch", "ep": "epoch",
          "轮次": "epoch", "轮": "epoch"}
_BEST_WORDS = ("best", "max", "highest", "最佳", "最好", "最优", "最高")


def _label_table() -> dict[str, tuple[str | None, str]]:
    """normalised label -> (split or None, kind); kind: loss/acc/ppl/top1/top5/lr/epoch."""
    table: dict[str, tuple[str | None, str]] = {k: (None, v) for k, v in {**_BASES, **_OTHER}.items()}
    for word, split in _SPLITS.items():
        for base, kind in _BASES.items():
            for sep in (" ", " set ", ""):      # "train loss", "test set accuracy", "测试准确率"
                table[f"{word}{sep}{base}"] = (split, kind)
    return table


_LABELS = _label_table()


def _normalise(label: str) -> str:
    return re.sub(r"[\s_\-]+", " ", label.lower()).strip()


@functools.lru_cache(maxsize=4096)   # a log repeats the same few labels on every line
def _canonical(label: str, hint: str | None) -> tuple[str | None, bool]:
    """(canonical name or "lr"/"epoch" or None, whether the label says "best ...")."""
    text = _normalise(label)
    for i in range(len(text)):
        # a suffix starts at a word boundary, or anywhere after a CJK character
        if i and text[i - 1].isascii() and text[i - 1] not in " @":
            continue
        hit = _LABELS.get(text[i:].strip())
        if hit is None:
            continue
        split, kind = hit
        is_best = any(w in text[:i] for w in _BEST_WORDS)
        if kind in ("top1", "top5", "lr", "epoch"):
            return kind, is_best
        name = f"{split or hint or 'train'}_{kind}"
        return (name if name in CANONICAL else None), is_best
    head = re.match(r"(.+?) (?:of|on) ", text)      # "test accuracy of the reloaded model"
    return _canonical(head.group(1), hint) if head else (None, False)


_HINT = re.compile(r"(?:^|[\s\[|(*])(train(?:ing)?|val(?:id(?:at(?:e|ing|ion))?)?|"
                   r"eval(?:uat(?:e|ing|ion))?|test(?:ing)?|dev|训练|验证|测试)(?:\s*set|集)?"
                   r"\s*(?:[:\]|)]|-\s|$)", re.I)


def _hint(text: str) -> str | None:
    """The split a line is about when its labels say only "loss" / "acc" ("Test set: ...")."""
    m = _HINT.search(text)
    if m is None:
        return None
    word = m.group(1).lower()
    if word in _SPLITS:
        return _SPLITS[word]
    return {"tra": "train", "val": "val", "eva": "val", "tes": "test"}[word[:3]]


_LABEL_RE = r"[^\W\d][\w@\-]*(?:[ \t]+[^\W\d][\w@\-]*)*"
_PAIR = re.compile(rf"(?P<label>{_LABEL_RE})[\"']?\s*[:=]?\s*(?P<num>{_NUM})(?:\s*/\s*(?P<den>\d+))?"
                   rf"\s*(?P<pct>%)?(?:\s*\(\s*(?P<avg>{_NUM})\s*\))?", re.I)


@dataclass(frozen=True)
class _Pair:
    name: str           # canonical metric, or "lr"
    value: float
    pct: bool           # written with a % sign (or as correct/total): never rescaled


def _pairs(text: str, running: bool = False) -> list[_Pair]:
    """Every `label: number` the label table knows; `running`: prefer `1.2 (1.3)`'s average."""
    hint = _hint(text)
    out = []
    for m in _PAIR.finditer(text):
        name, is_best = _canonical(m["label"], hint)
        if name is None or name == "epoch" or is_best:
            continue
        value = float(m["avg"] if running and m["avg"] else m["num"])
        if m["den"] and name in ACCURACIES and int(m["den"]) > 0:
            out.append(_Pair(name, 100.0 * value / int(m["den"]), True))   # 9838/10000 (98%)
        else:
            out.append(_Pair(name, value, bool(m["pct"])))
    return out


# ----------------------------------------------------------------------------- epochs

_EPOCH_RES = (
    re.compile(r"(?<![\w/\\.])(?:epoch|ep)\s*[:#]?\s*\[?\s*(\d+)\s*(?:(?:/|of)\s*(\d+))?\s*\]?", re.I),
    re.compile(r"[\"']epoch[\"']\s*:\s*(\d+(?:\.\d+)?)()"),     # Hugging Face Trainer dicts
    re.compile(r"第\s*(\d+)\s*(?:/\s*(\d+)\s*)?(?:轮|个?epoch|次)", re.I),
    re.compile(r"轮次?\s*[:=]?\s*(\d+)(?:\s*/\s*(\d+))?"),
)
_PLANNED_RES = (
    re.compile(r"(?<![\w-])(?:--|num_|n_|total_|max_|nb_)?epochs\b[\"']?\s*[:=]?\s*(\d+)"
               r"(?!\s*[/\d.])", re.I),
    re.compile(r"(?:总轮数|训练轮数|轮数|总轮次)\s*[:=]?\s*(\d+)"),
    re.compile(r"共\s*(\d+)\s*轮"),
)


@dataclass(frozen=True)
class _Epoch:
    number: float       # an int when whole; Hugging Face logs fractional epochs
    planned: int | None
    span: tuple[int, int]


def _find_epoch(text: str) -> _Epoch | None:
    for rx in _EPOCH_RES:
        m = rx.search(text)
        if m:
            number = float(m.group(1))
            return _Epoch(int(number) if number.is_integer() else number,
                          int(m.group(2)) if m.group(2) else None, m.span())
    return None


def _leads(text: str, epoch: _Epoch) -> bool:
    """The epoch opens the line ("Epoch 3/20", "| end of epoch 2 |", "第 3 轮"), not a remark."""
    indent = len(text) - len(text.lstrip(" \t|[*=-#"))
    return epoch.span[0] <= indent + len("end of ")


def _blank(text: str, span: tuple[int, int]) -> str:
    return text[:span[0]] + " " * (span[1] - span[0]) + text[span[1]:]


_BEST_LINE = re.compile(r"\bbest\b|improved from|最佳|最好|最优|最高", re.I)
_MENTIONS_TEST = re.compile(r"\btest|测试", re.I)
_MENTIONS_VAL = re.compile(r"\bval|验证|\bdev\b", re.I)
_PROGRESS_RES = (                        # batch progress markers; groups: done, total
    re.compile(r"\[\s*(\d+)\s*/\s*(\d+)\s*(?:\(\s*\d+%\s*\))?\s*\]"),
    re.compile(r"(\d+)\s*/\s*(\d+)\s+batches", re.I),
    re.compile(r"(\d+)\s*/\s*(\d+)\s*\[\d"),                        # tqdm "391/391 [00:31<..."
    re.compile(r"\d+%\|()()"),
    re.compile(r"\b(?:mini)?batch(?:es)?\s*[:#]?\s*\d+()()", re.I),
    re.compile(r"\b(?:iter(?:ation)?|step)\s*[:#]?\s*\d+()()", re.I),
)


def _progress(text: str) -> tuple[bool, float | None]:
    """(is a batch progress line, fraction of the epoch done if the line says)."""
    found, frac = False, None
    for rx in _PROGRESS_RES:
        m = rx.search(text)
        if m:
            found = True
            if frac is None and m.group(1) and int(m.group(2)) > 0:
                frac = int(m.group(1)) / int(m.group(2))
    return found, frac


# ----------------------------------------------------------------------------- collecting

@dataclass
class _Collector:
    """Mutable state while reading one log; `finish()` turns it into a `LogSummary`."""

    context: float | None = None
    first_epoch: float | None = None
    points: dict[float, dict[str, tuple[float, int]]] = field(default_factory=dict)
    pct: set[str] = field(default_factory=set)
    conflicts: list[tuple[float, str, int, int]] = field(default_factory=list)
    went_back: list[tuple[float, float, int]] = field(default_factory=list)
    batch_last: dict[float, dict[str, float]] = field(default_factory=dict)
    batch_done: set[float] = field(default_factory=set)
    pending: list[tuple[str, float, int]] = field(default_factory=list)
    evaluations: list[tuple[str, float]] = field(default_factory=list)
    lrs: list[tuple[float, float]] = field(default_factory=list)
    planned: int | None = None
    best_lines: list[tuple[int, str]] = field(default_factory=list)
    csv: tuple[str, list[str | None]] | None = None     # (separator, column -> canonical)

    def at_epoch(self, epoch: float, planned: int | None = None, lineno: int = 0) -> None:
        if self.first_epoch is None:
            self.first_epoch = epoch
        if self.context is not None and epoch < self.context:
            self.went_back.append((self.context, epoch, lineno))
        self.context = epoch
        if planned:
            self.planned = planned

    def record(self, epoch: float, pair: _Pair, lineno: int) -> None:
        if pair.name == "lr":
            self.lrs.append((epoch, pair.value))
            return
        if pair.pct:
            self.pct.add(pair.name)
        row = self.points.setdefault(epoch, {})
        old = row.get(pair.name)
        if old is not None and not _same(old[0], pair.value):
            self.conflicts.append((epoch, pair.name, old[1], lineno))
        row[pair.name] = (pair.value, lineno)

    def unattached(self, pair: _Pair, lineno: int) -> None:
        """A metric on a line without an epoch: it belongs to the epoch being trained."""
        if self.context is None:
            self.pending.append((pair.name, pair.value, lineno))
            return
        old = self.points.get(self.context, {}).get(pair.name)
        if old is not None and not _same(old[0], pair.value):
            self.evaluations.append((pair.name, pair.value))    # e.g. a final re-evaluation
            return
        self.record(self.context, pair, lineno)

    def batch(self, epoch: float | None, frac: float | None, pairs: list[_Pair],
              lineno: int, train: bool) -> None:
        if epoch is not None:
            self.at_epoch(epoch, None, lineno)
        if self.context is None or not train:
            return
        if frac is not None and frac >= 1.0:
            self.batch_done.add(self.context)
        last = self.batch_last.setdefault(self.context, {})
        for p in pairs:
            if p.name == "lr":
                self.lrs.append((self.context, p.value))
            elif p.name in ("train_loss", "train_acc"):
                last[p.name] = p.value
                if p.pct:
                    self.pct.add(p.name)

    def finish(self) -> LogSummary:
        return _summarise(self)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


# ----------------------------------------------------------------------------- rules

@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    handle: Callable[[re.Match[str], str, int, _Collector], bool]   # True: line consumed


def _on_lr_reduce(m: re.Match[str], text: str, lineno: int, c: _Collector) -> bool:
    epoch = int(m.group(1)) if m.group(1) else c.context
    c.lrs.append((epoch if epoch is not None else 0, float(m.group(2))))
    return True


def _on_csv_header(m: re.Match[str], text: str, lineno: int, c: _Collector) -> bool:
    sep = next(s for s in (",", "\t", ";") if s in text)
    names = [_canonical(f, None)[0] if f.strip() else None for f in text.split(sep)]
    if "epoch" not in names or not any(n in CANONICAL for n in names):
        return False
    c.csv = (sep, names)
    return True


def _on_csv_row(m: re.Match[str], text: str, lineno: int, c: _Collector) -> bool:
    if c.csv is None:
        return False
    sep, names = c.csv
    fields = [f.strip() for f in text.split(sep)]
    try:
        values = [float(f) if f else None for f in fields]
    except ValueError:
        values = []
    if len(values) != len(names) or values[names.index("epoch")] is None:
        c.csv = None                                    # the table ended
        return False
    number = float(values[names.index("epoch")])   # type: ignore[arg-type]
    epoch = int(number) if number.is_integer() else number
    c.at_epoch(epoch, None, lineno)
    for name, value in zip(names, values):
        if value is not None and name in (*CANONICAL, "lr"):
            c.record(epoch, _Pair(name, value, False), lineno)
    return True


def _on_tutorial_accuracy(m: re.Match[str], text: str, lineno: int, c: _Collector) -> bool:
    split = "test" if m.group(1).lower().startswith("test") else "val"
    c.unattached(_Pair(f"{split}_acc", float(m.group(2)), True), lineno)
    return True


def _on_keras_step(m: re.Match[str], text: str, lineno: int, c: _Collector) -> bool:
    done, total = int(m.group(1)), int(m.group(2))
    pairs = _pairs(text[m.end():])
    if done == total and total > 0 and c.context is not None:   # the epoch's closing line
        for p in pairs:
            c.record(c.context, p, lineno)
    else:
        c.batch(None, done / total if total else None, pairs, lineno, train=True)
    return True


def _on_bracket_batch(m: re.Match[str], text: str, lineno: int, c: _Collector) -> bool:
    c.batch(int(m.group(1)), None, _pairs(text[m.end():], running=True), lineno, train=True)
    return True


def _on_progress(m: re.Match[str], text: str, lineno: int, c: _Collector) -> bool:
    epoch = _find_epoch(text)
    rest = _blank(text, epoch.span) if epoch else text
    is_batch, frac = _progress(rest)
    if not is_batch:
        return False
    hint = _hint(rest)
    pairs = _pairs(rest, running=True)
    c.batch(epoch.number if epoch else None, frac, pairs, lineno, train=hint in (None, "train"))
    if epoch is not None and frac is not None and frac >= 1.0:
        for p in pairs:             # Lightning's closing bar carries the epoch's val metrics
            if not p.name.startswith("train_") and p.name != "lr":
                c.record(epoch.number, p, lineno)
    return True


def _on_run_summary(m: re.Match[str], text: str, lineno: int, c: _Collector) -> bool:
    """Hugging Face's closing dict: its train_loss averages the whole run, no epoch's value."""
    c.evaluations.extend((p.name, p.value) for p in _pairs(text) if p.name != "lr")
    return True


def _on_key_values(m: re.Match[str], text: str, lineno: int, c: _Collector) -> bool:
    epoch = _find_epoch(text)
    if _BEST_LINE.search(text):
        c.best_lines.append((lineno, text.strip()))
        if epoch is None or not _leads(text, epoch):
            return True             # "best test acc 91.3 at epoch 118": evidence, not a new point
    pairs = _pairs(_blank(text, epoch.span) if epoch else text)
    if epoch is not None and not pairs and not _leads(text, epoch):
        return False                # "loading checkpoints/epoch5.pt" is no epoch of this run
    if epoch is not None:
        c.at_epoch(epoch.number, epoch.planned, lineno)
        for p in pairs:
            c.record(epoch.number, p, lineno)
    else:
        for p in pairs:
            if p.name == "lr":
                c.lrs.append((c.context if c.context is not None else 0, p.value))
            else:
                c.unattached(p, lineno)
    return bool(pairs) or epoch is not None


RULES: tuple[_Rule, ...] = (
    _Rule("lr_reduce", re.compile(rf"(?:epoch\s*(\d+)\s*:.*?)?reduc\w* learning rate"
                                  rf"(?: of group \d+)? to\s*({_NUM})", re.I), _on_lr_reduce),
    _Rule("csv_header", re.compile(r"^\s*[^\W\d][\w@ \-/]*(?:\s*[,\t;]\s*[\w@ \-/]*)+$"),
          _on_csv_header),
    _Rule("csv_row", re.compile(r"^[\s\w.+\-]*(?:[,\t;][\s\w.+\-]*)+$"), _on_csv_row),
    _Rule("tutorial_accuracy", re.compile(
        rf"accuracy of the network on the (?:\d+\s+)?(test|val\w*)\s+images\s*:\s*({_NUM})\s*%",
        re.I), _on_tutorial_accuracy),
    _Rule("keras_step", re.compile(r"^\s*(\d+)/(\d+)\s+(?:\[[=>.]*\]|━+|-\s)"), _on_keras_step),
    _Rule("bracket_batch", re.compile(r"^\s*\[\s*(\d+)\s*,\s*(\d+)\s*\]"), _on_bracket_batch),
    _Rule("progress", re.compile(r"\d\s*/\s*\d|\d+%\||batch|iter|step", re.I), _on_progress),
    _Rule("run_summary", re.compile(r"[\"']train_runtime[\"']"), _on_run_summary),
    _Rule("key_values", re.compile(r"\S"), _on_key_values),
)


# ----------------------------------------------------------------------------- text -> lines

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _lines(text: str) -> list[tuple[int, str]]:
    """(line number, text): ANSI and full-width forms gone, tqdm's `\\r` updates split apart,
    numbers broken across a copy-paste line end joined again."""
    text = unicodedata.normalize("NFKC", _ANSI.sub("", text))
    out: list[tuple[int, str]] = []
    for n, raw in enumerate(text.split("\n"), start=1):
        for part in raw.split("\r"):
            if not part.strip():
                continue
            if out and _continues(out[-1][1], part):
                out[-1] = (out[-1][0], _join(out[-1][1], part))
            else:
                out.append((n, part))
    return out


def _continues(prev: str, nxt: str) -> bool:
    prev, nxt = prev.rstrip(), nxt.lstrip()
    return bool((re.search(r"[:=]\s*\d+\.$|[:=]$", prev) and re.match(r"\d", nxt))
                or (re.search(r"[:=]\s*\d+$", prev) and re.match(r"\.\d", nxt)))


def _join(prev: str, nxt: str) -> str:
    prev = prev.rstrip()
    return prev + (" " if prev.endswith((":", "=")) else "") + nxt.lstrip()


# ----------------------------------------------------------------------------- public API

def parse_log(text: str) -> LogSummary:
    """Read a training log's text into per-epoch metrics and warnings."""
    c = _Collector()
    for lineno, line in _lines(text):
        _planned(line, c)
        for rule in RULES:
            m = rule.pattern.search(line)
            if m and rule.handle(m, line, lineno, c):
                break
    return c.finish()


def _planned(line: str, c: _Collector) -> None:
    for rx in _PLANNED_RES:
        m = rx.search(line)
        if m and int(m.group(1)) > 0:
            c.planned = int(m.group(1))


def read_log(path: Path) -> LogSummary:
    """Read a training log file; `LogError` (one line: file + problem) when it is unusable."""
    summary = parse_log(_read_text(Path(path)))
    if not summary.metrics:
        raise LogError(f"{path}: no training metric found (no loss, accuracy or perplexity "
                       "per epoch)")
    return summary


def _read_text(path: Path) -> str:
    raw = read_bytes(path, LogError, limit=MAX_BYTES, label=str(path))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")     # PowerShell's `>` writes UTF-16
    if b"\x00" in raw[:65536]:
        raise LogError(f"{path}: binary data (NUL bytes), not a text log")
    return _decode(path, raw)


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")        # Chinese Windows consoles save logs as GBK
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8", errors="replace")
    if text.count("\ufffd") > len(text) // 20:
        raise LogError(f"{path}: not UTF-8 text (too many undecodable bytes); save the log "
                       "as UTF-8")
    return text


def print_summary(summary: LogSummary, console: Console | None = None) -> None:
    """Metrics (best@epoch, last@epoch), epochs seen/planned, LR changes, warnings in yellow."""
    console = console or Console()
    table = Table(title="Training log")
    for col in ("metric", "best", "at epoch", "last", "at epoch", "points"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for name, s in summary.metrics.items():
        table.add_row(name, _fmt(s.best), _fmt(s.best_epoch), _fmt(s.last), _fmt(s.last_epoch),
                      str(len(s.series)))
    console.print(table)
    planned = f" of {summary.epochs_planned} planned" if summary.epochs_planned else ""
    console.print(f"epochs seen: {summary.epochs_seen}{planned}")
    if summary.lr_changes:
        steps = ", ".join(f"{_fmt(lr)} from epoch {_fmt(e)}" for e, lr in summary.lr_changes)
        console.print(f"learning rate: {steps}")
    for w in summary.warnings:
        console.print(f"warning: {w}", style="yellow", markup=False)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


# ----------------------------------------------------------------------------- summarising

def _summarise(c: _Collector) -> LogSummary:
    _fill_train_from_batches(c)
    if not c.points and c.pending:                  # only final numbers, no epochs at all
        for name, value, lineno in c.pending:
            c.record(0, _Pair(name, value, name in c.pct), lineno)
    else:
        c.evaluations.extend((name, value) for name, value, _ in c.pending)
    scale = {n for n in ACCURACIES if n not in c.pct and _all_fractions(c, n)}
    warnings: list[str] = []
    metrics = _series(c, scale, warnings)
    evaluations = [(n, _scaled(v, n in scale)) for n, v in c.evaluations]
    summary = LogSummary(epochs_seen=_epochs_seen(c), epochs_planned=c.planned, metrics=metrics,
                         lr_changes=_lr_changes(c.lrs), warnings=[], evaluations=evaluations)
    warnings += _warnings(summary, c)
    return LogSummary(summary.epochs_seen, summary.epochs_planned, metrics,
                      summary.lr_changes, warnings, evaluations)


def _fill_train_from_batches(c: _Collector) -> None:
    """Per-epoch train metrics from the last progress line of each completed epoch."""
    if not c.batch_last:
        return
    last_batch_epoch = max(c.batch_last)
    for name in ("train_loss", "train_acc"):
        if any(name in row for row in c.points.values()):
            continue
        for epoch, values in sorted(c.batch_last.items()):
            done = epoch < last_batch_epoch or epoch in c.batch_done or epoch in c.points
            if done and name in values:
                c.points.setdefault(epoch, {})[name] = (values[name], 0)


def _all_fractions(c: _Collector, name: str) -> bool:
    values = [row[name][0] for row in c.points.values() if name in row]
    values += [v for n, v in c.evaluations if n == name] + [v for n, v, _ in c.pending if n == name]
    finite = [v for v in values if math.isfinite(v)]
    return bool(finite) and all(0 <= v <= 1.0 for v in finite)


def _scaled(v: float, scale: bool) -> float:
    return round(v * 100.0, 10) if scale else v


def _series(c: _Collector, scale: set[str], warnings: list[str]) -> dict[str, MetricSeries]:
    out: dict[str, MetricSeries] = {}
    for name in CANONICAL:
        points, bad = [], []
        for epoch in sorted(c.points):
            if name in c.points[epoch]:
                value, lineno = c.points[epoch][name]
                (points if math.isfinite(value) else bad).append((epoch, value, lineno))
        if bad:
            e, v, n = bad[0]
            where = f" (line {n})" if n else ""
            warnings.append(f"{name} is {v} at epoch {e}{where}: training diverged or the "
                            "loss overflowed")
        if points:
            out[name] = MetricSeries(name, [(e, _scaled(v, name in scale)) for e, v, _ in points])
    return out


def _epochs_seen(c: _Collector) -> int:
    """Epochs the run got through: the last complete epoch, counted from 0 or 1 as the log does."""
    done = set(c.points) | c.batch_done
    if c.batch_last:
        done |= {e for e in c.batch_last if e < max(c.batch_last)}
    if not done or c.first_epoch is None:
        return 0
    return int(max(done)) + (1 if c.first_epoch == 0 else 0)


def _lr_changes(lrs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for epoch, lr in lrs:
        if not out or not math.isclose(out[-1][1], lr, rel_tol=1e-6):
            out.append((epoch, lr))
    return out


# ----------------------------------------------------------------------------- warnings

def _warnings(s: LogSummary, c: _Collector) -> list[str]:
    found = [_unfinished(s), _selected_on_test(s, c), _gap(s), *_divergence(s), _restarts(c)]
    return [w for w in found if w]


def _unfinished(s: LogSummary) -> str | None:
    if s.epochs_planned and s.epochs_seen < s.epochs_planned:
        return (f"the run is unfinished: the log shows {s.epochs_seen} of "
                f"{s.epochs_planned} planned epochs")
    return None


def _selected_on_test(s: LogSummary, c: _Collector) -> str | None:
    has_val = any(n.startswith("val_") for n in s.metrics)
    tracks_test = any(n.startswith("test_") and len(m.series) > 1 for n, m in s.metrics.items())
    for lineno, text in c.best_lines:
        says_test = _MENTIONS_TEST.search(text) and not _MENTIONS_VAL.search(text)
        silent = not _MENTIONS_TEST.search(text) and not _MENTIONS_VAL.search(text)
        if says_test or (silent and tracks_test and not has_val):
            return (f"the model was selected on the test set (line {lineno}: "
                    f"\"{text[:60]}\"): a best-on-test number is optimistic; a validation "
                    "split should pick the epoch")
    return None


def _gap(s: LogSummary) -> str | None:
    train = s.metrics.get("train_acc")
    for name in ("test_acc", "val_acc"):
        held_out = s.metrics.get(name)
        if train is None or held_out is None:
            continue
        t = train.value_at(held_out.best_epoch)
        if t is not None and t - held_out.best > GAP_POINTS:
            return (f"train accuracy {t:.1f}% vs {name} {held_out.best:.1f}% at epoch "
                    f"{held_out.best_epoch} (the best {name}): a {t - held_out.best:.1f}-point "
                    "gap, the model overfits")
    return None


def _divergence(s: LogSummary) -> Iterator[str]:
    for name, m in s.metrics.items():
        if not name.endswith("_loss") or len(m.series) < 3:
            continue
        if m.best > 0 and m.last > DIVERGE_FACTOR * m.best and m.last_epoch > m.best_epoch:
            yield (f"{name} diverged: it rose from {m.best:.4g} at epoch {m.best_epoch} to "
                   f"{m.last:.4g} at epoch {m.last_epoch}")


def _restarts(c: _Collector) -> str | None:
    if not c.conflicts:
        return None                     # repeated identical lines are just pasted twice
    epochs = sorted({e for e, *_ in c.conflicts})
    first = c.conflicts[0]
    back = (f"; epochs go back from {c.went_back[0][0]} to {c.went_back[0][1]} at line "
            f"{c.went_back[0][2]}" if c.went_back else "")
    shown = ", ".join(map(str, epochs[:8])) + (" ..." if len(epochs) > 8 else "")
    return (f"epoch{'s' if len(epochs) > 1 else ''} {shown} appear{'' if len(epochs) > 1 else 's'}"
            f" more than once with different values (e.g. {first[1]} at lines {first[2]} and "
            f"{first[3]}){back}: the run was restarted or two runs were joined; the later "
            "values are kept")


# ----------------------------------------------------------------------------- claims

def log_verdict(path: Path, claimed: float, metric: str) -> LogVerdict:
    """Whether the training log supports a claimed accuracy / perplexity, and the curves."""
    if metric not in CLAIM_METRICS:
        raise ValueError(f"claim metric must be one of {sorted(CLAIM_METRICS)}, not {metric!r}")
    try:
        summary = read_log(path)
    except LogError as e:
        return LogVerdict(CheckStatus.WARN, f"the training log cannot be read: {e}", None, None,
                          [], [str(e)])
    names = [n for n in CLAIM_METRICS[metric] if n in summary.metrics]
    claimed = _claim_in_log_units(claimed, metric, [summary.metrics[n] for n in names])
    curves = [Curve(n, list(m.series)) for n, m in summary.metrics.items()]
    status, text, hit = _judge(summary, names, claimed, metric)
    warnings = list(summary.warnings)
    if status is not CheckStatus.PASS:
        warnings.append(text)
    return LogVerdict(status, text, hit[0] if hit else None, hit[1] if hit else None,
                      curves, warnings)


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
    c = f"claimed {claimed:g}"
    if not names:
        return (CheckStatus.WARN, f"{c}: the log has no {' / '.join(CLAIM_METRICS[metric])} "
                "to compare with", None)
    for name in names:                          # the last epoch: what the run ended with
        m = s.metrics[name]
        if _matches(m.last, claimed, metric):
            return (CheckStatus.PASS, f"{c} matches {name} at epoch {_fmt(m.last_epoch)} (the "
                    f"last; best is {_fmt(m.best)} at epoch {_fmt(m.best_epoch)})",
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
                return (CheckStatus.PASS, f"claimed {claimed:g} matches {name} at epoch "
                        f"{_fmt(pick.best_epoch)}, the epoch the best {pick.name} picks",
                        (name, pick.best_epoch))
        elif _matches(m.best, claimed, metric):
            return (CheckStatus.PASS, f"claimed {claimed:g} matches the best {name}, at epoch "
                    f"{_fmt(m.best_epoch)} (last is {_fmt(m.last)} at epoch {_fmt(m.last_epoch)})",
                    (name, m.best_epoch))
    return None


def _val_pick(s: LogSummary, metric: str) -> MetricSeries | None:
    order = ("val_acc", "val_loss") if metric == "accuracy" else ("val_ppl", "val_loss")
    return next((s.metrics[n] for n in order if n in s.metrics), None)


def _evaluation_match(s: LogSummary, names: list[str], claimed: float, metric: str) -> _Judgement | None:
    for name, value in s.evaluations:
        if name in names and _matches(value, claimed, metric):
            return (CheckStatus.PASS, f"claimed {claimed:g} matches a separate {name} evaluation "
                    f"in the log ({_fmt(value)})", (name, None))
    return None


def _best_match(s: LogSummary, names: list[str], claimed: float, metric: str) -> _Judgement | None:
    for name in names:
        m = s.metrics[name]
        if name.startswith("test_") and _matches(m.best, claimed, metric):
            return (CheckStatus.WARN, f"claimed {claimed:g} matches {name} at epoch "
                    f"{_fmt(m.best_epoch)} (the best; last is {_fmt(m.last)} at epoch "
                    f"{_fmt(m.last_epoch)}): a best-on-test pick, which overstates the result",
                    (name, m.best_epoch))
    return None


def _any_match(s: LogSummary, names: list[str], claimed: float, metric: str) -> _Judgement | None:
    for name in names:
        m = s.metrics[name]
        for epoch, value in m.series:
            if _matches(value, claimed, metric):
                return (CheckStatus.WARN, f"claimed {claimed:g} matches {name} only at epoch "
                        f"{_fmt(epoch)}, neither the best ({_fmt(m.best)} at epoch "
                        f"{_fmt(m.best_epoch)}) nor the last ({_fmt(m.last)} at epoch "
                        f"{_fmt(m.last_epoch)})", (name, epoch))
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
    text = (f"claimed {claimed:g} appears nowhere in the log: the best {name} is "
            f"{_fmt(m.best)} at epoch {_fmt(m.best_epoch)}, the last {_fmt(m.last)} at epoch "
            f"{_fmt(m.last_epoch)}")
    return (CheckStatus.FAIL if contradicted else CheckStatus.WARN, text, None)
