"""timm and DeiT (MetricLogger): "Epoch: [67]  [ 0/31] .. loss: 0.0082 (0.0082)" progress,
"Averaged stats: lr: .. loss: 0.0065 (0.0141)" the epoch's train stats (the global average is
in parentheses), "Epoch: [67] Total time", the end of epoch 67, and timm's
"Train: 12 [ 100/1251 (  8%)]" progress with its last "Test: [  48/48]" line, the epoch's
validation (averages in parentheses). "Max accuracy: 81.8%" is best-so-far, no new point."""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import BEST_LINE, Rule
from grader.logs.labels import pairs

FAMILY = "timm/deit"


def _on_averaged(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    for p in pairs(text[m.end():], running=True, context="train"):
        if c.context is not None:
            c.record(c.context, p, lineno)
    return True


def _on_total_time(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    if c.raw_context != int(m.group(1)):
        c.at_epoch(int(m.group(1)), None, lineno)
    c.end_epoch()
    return True


def _on_timm_train(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    done, total = int(m.group(2)), int(m.group(3))
    c.batch(int(m.group(1)), (done + 1) / total if total else None,
            pairs(text[m.end():], running=True, context="train"), lineno, idx=float(done))
    return True


def _on_timm_test(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    """timm's validation: its last line ("Test: [  48/48]") holds the averages in parentheses."""
    if int(m.group(1)) != int(m.group(2)) or c.context is None:
        return False                # a batch of the evaluation: the generic reader skips it
    for p in pairs(text[m.end():], running=True, context="test"):
        c.record(c.context, p, lineno)
    return True


def _on_max(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    if BEST_LINE.search(text):
        c.best_lines.append((lineno, text.strip()))
    return True


RULES = (
    Rule(FAMILY, "averaged_stats", re.compile(r"Averaged stats:"), _on_averaged),
    Rule(FAMILY, "total_time", re.compile(r"Epoch: \[(\d+)\] Total time"), _on_total_time),
    Rule(FAMILY, "timm_train", re.compile(r"^\s*Train:\s*(\d+)\s*\[\s*(\d+)\s*/\s*(\d+)"),
         _on_timm_train),
    Rule(FAMILY, "timm_test", re.compile(r"^\s*Test:\s*\[\s*(\d+)\s*/\s*(\d+)\]"),
         _on_timm_test),
    Rule(FAMILY, "max_accuracy", re.compile(r"^\s*(?:Max accuracy|\*\*\* Best metric)"), _on_max),
)
