"""OpenMMLab (mmcv 1.x and mmengine): "Epoch [1][10/35] lr: .., loss: 1.40" and
"Epoch(train) [1][ 50/90] .. loss: ..", progress inside epoch 1; "Epoch(val) [1][2]
accuracy_top-1: 22.0" and mmengine's "Epoch(val) [10][313/313] accuracy/top1: 76.5", the
epoch's validation; "Saving checkpoint at 2 epochs", the end of epoch 2. (Their JSON logs go
to the structured reader.)"""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import Rule
from grader.logs.labels import pairs

FAMILY = "mmcv"


def _on_train(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    done, total = int(m.group(3)), int(m.group(4))
    found = pairs(text[m.end():], context="train")
    c.batch(int(m.group(2)), done / total if total else None, found, lineno, train=True,
            idx=float(done))
    return True


def _on_eval(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    epoch = int(m.group(2))
    if c.raw_context != epoch:
        c.at_epoch(epoch, None, lineno)
    for p in pairs(text[m.end():], context=m.group(1)):
        if p.name != "lr" and c.context is not None:
            c.record(c.context, p, lineno)
    return True


def _on_saved(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    if c.raw_context == int(m.group(1)):
        c.end_epoch()
    return True


RULES = (
    Rule(FAMILY, "mm_train", re.compile(r"Epoch(\(train\))?\s*\[(\d+)\]\[\s*(\d+)\s*/\s*(\d+)\s*\]"),
         _on_train),
    Rule(FAMILY, "mm_eval", re.compile(r"Epoch\((val|test)\)\s*\[(\d+)\](?:\[\s*\d+(?:\s*/\s*\d+)?"
                                       r"\s*\])?"), _on_eval),
    Rule(FAMILY, "mm_saved", re.compile(r"Saving checkpoint at (\d+) epochs"), _on_saved),
)
