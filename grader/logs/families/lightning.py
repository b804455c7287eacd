"""PyTorch Lightning's progress bars: "Epoch 3: 100%|████| 391/391 [.., loss=0.5, v_num=0,
val_acc=0.81]" (the closing bar carries the epoch's logged metrics), and the validation
bars, which carry none."""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import Rule, progress_line

FAMILY = "lightning"


def _on_bar(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    return progress_line(text, lineno, c)


def _on_validation_bar(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    return True


RULES = (
    Rule(FAMILY, "lightning_bar", re.compile(r"\bEpoch \d+:\s+\d+%.*\bv_num="), _on_bar),
    Rule(FAMILY, "validation_bar", re.compile(r"^\W*(?:Validation(?: DataLoader \d+)?|Sanity "
                                              r"Checking(?: DataLoader \d+)?|Validating)\s*:"),
         _on_validation_bar),
)
