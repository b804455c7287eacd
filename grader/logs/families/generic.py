"""The context-aware key-value reader every log falls back on: phase headers ("Train",
"Test set:", "Evaluating..."), tables whose header names the columns (CSV, TSV, Markdown),
epoch-end markers, `accuracy on <split>: x`, learning-rate changes, progress bars, and
`label: value` lines at the epoch they name or the epoch being trained."""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import Rule, metric_line, progress_line
from grader.logs.labels import NUM, Pair, canonical, split_word
from grader.logs.records import CANONICAL

FAMILY = "generic"
_PHASE = re.compile(r"(?:^|[\s\]>:-])(train(?:ing)?|test(?:ing)?|val(?:id(?:at(?:e|ing|ion))?)?|"
                    r"eval(?:uat(?:e|ing|ion))?)(?:\s+set)?(?:\s+phase)?\s*[.:…]*\s*$", re.I)
_END = re.compile(r"^\W*(?:finished training|training (?:finished|complete|done)|"
                  r"epoch (?:time|end|finished|complete|done)\b)|^\W*end of epoch\W*$", re.I)


def _on_lr_reduce(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    epoch = int(m.group(1)) if m.group(1) else c.context
    c.lrs.append((epoch if epoch is not None else 0, float(m.group(2))))
    return True


def _on_phase(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    """"Train", "Test set:", "INFO Evaluating ...": the lines below are about that split."""
    c.phase = split_word(m.group(1))
    return True


def _on_end(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    c.end_epoch()
    return True


def _on_accuracy_on(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    """"Accuracy on test set: 81.23%", "Accuracies on val: class : 96.75"."""
    kind = "loss" if m.group(1).lower().startswith("loss") else "acc"
    name = f"{split_word(m.group(2))}_{kind}"
    c.unattached(Pair(name, float(m.group(3)), bool(m.group(4))), lineno)
    return True


def _on_catalyst(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    """Catalyst: "1/2 * Epoch 1 (valid): ... accuracy01=60.9 | loss=1.68"."""
    c.at_epoch(int(m.group(3)), None, lineno)
    c.planned_header = int(m.group(2))
    return metric_line(text[m.end():], lineno, c, split=split_word(m.group(4)))


def _columns(text: str) -> tuple[str, list[str]] | None:
    sep = "|" if text.count("|") >= 2 else next((s for s in (",", "\t", ";") if s in text), None)
    if sep is None:
        return None
    fields = [f.strip() for f in text.strip().strip("|").split(sep)] if sep == "|" else \
        [f.strip() for f in text.split(sep)]
    return sep, fields


_QUALIFIER = re.compile(r"\s*\((?:avg|average|mean|%|percent)\)", re.I)   # "train/loss (avg)"


def _on_table_header(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    cols = _columns(text)
    if cols is None:
        return False
    sep, fields = cols
    names = [canonical(_QUALIFIER.sub("", f), None)[0] if f else None for f in fields]
    names = [n if n in (*CANONICAL, "lr", "epoch") else None for n in names]
    if "epoch" not in names or not any(n in CANONICAL for n in names):
        return False
    c.csv = (sep, names)
    return True


_CELL = re.compile(rf"^\s*({NUM})\s*(%?)\s*$")


def _on_table_row(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    if c.csv is None:
        return False
    sep, names = c.csv
    cols = _columns(text)
    if cols and set("".join(cols[1])) <= set("-: "):
        return True                                         # Markdown's |---|---| rule
    cells = [_CELL.match(f) if f else None for f in (cols[1] if cols else [])]
    if cols is None or len(cells) != len(names) or cells[names.index("epoch")] is None:
        c.csv = None                                        # the table ended
        return False
    number = float(cells[names.index("epoch")].group(1))   # type: ignore[union-attr]
    c.at_epoch(int(number) if number.is_integer() else number, None, lineno)
    for name, cell in zip(names, cells):
        if cell is not None and name in (*CANONICAL, "lr"):
            c.record(c.context, Pair(name, float(cell.group(1)), bool(cell.group(2))), lineno)
    return True


def _on_model_part(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    """"[BlockConv] Acc: 0.7188 .. Loss: 5.61": one part of the model (a layer-wise trained
    block's own head), not the model's accuracy or loss: the line is read and dropped."""
    return True


def _on_progress(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    return progress_line(text, lineno, c)


def _on_key_values(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    return metric_line(text, lineno, c)


RULES = (
    Rule(FAMILY, "lr_reduce", re.compile(rf"(?:epoch\s*(\d+)\s*:.*?)?reduc\w* learning rate"
                                         rf"(?: of group \d+)? to\s*({NUM})", re.I), _on_lr_reduce),
    Rule(FAMILY, "end_of_epoch", _END, _on_end),
    Rule(FAMILY, "phase_header", _PHASE, _on_phase),
    Rule(FAMILY, "accuracy_on", re.compile(
        rf"^\W*(accurac(?:y|ies)|acc|loss(?:es)?)\s+on\s+(?:the\s+)?(?:[\d,]+\s+)?"
        rf"(train\w*|val\w*|test\w*|dev)(?:\s+(?:set|images|samples|data))?\s*:\s*"
        rf"(?:[^\d\s:]+\s*:\s*)?({NUM})\s*(%)?", re.I), _on_accuracy_on),
    Rule(FAMILY, "catalyst", re.compile(r"^\s*(\d+)/(\d+) \* Epoch (\d+) \((train|valid|test)\):"),
         _on_catalyst),
    Rule(FAMILY, "table_header", re.compile(
        r"^\s*\|?\s*[^\W\d][\w@ \-/().%]*+(?:\s*[,\t;|]\s*[\w@ \-/().%]*+)+\|?\s*$"), _on_table_header,
         lambda line, c: "poch" in line or "POCH" in line),        # a table needs its epochs
    Rule(FAMILY, "table_row", re.compile(r"^[^,\t;|]*[,\t;|]"), _on_table_row,
         lambda line, c: c.csv is not None),
    # a line tagged with a PyTorch module's class name: "[Sequential]", "[BlockConv]", "[Conv2d]"
    Rule(FAMILY, "model_part", re.compile(
        r"^\s*\[(?:Sequential|Module(?:List|Dict)|[A-Z]?\w*(?:Block|Layer|Conv|Linear)\w*)\]"),
         _on_model_part),
    Rule(FAMILY, "progress", re.compile(r"\d\s*/\s*\d|(?<!\d)\d+%\||batch|iter|step", re.I), _on_progress),
    Rule(FAMILY, "key_values", re.compile(r"\S"), _on_key_values),
)
