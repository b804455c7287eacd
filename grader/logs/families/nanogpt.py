"""nanoGPT: "step 2000: train loss 1.02, val loss 1.47" (the evaluations: the series) and
"iter 2010: loss 0.98, time 35.2ms, mfu 14%" (per-iteration progress). The x axis is the
step; the iteration losses become the series only when the log has no evaluation lines."""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import Rule
from grader.logs.labels import pairs

FAMILY = "nanogpt"


def _on_eval(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    for p in pairs(text[m.end():]):
        c.record_step(float(m.group(1)), p, lineno)
    return True


def _on_iter(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    for p in pairs(text[m.end():], context="train"):
        if p.name == "train_loss":
            c.record_step(float(m.group(1)), p, lineno, progress=True)
    return True


RULES = (
    Rule(FAMILY, "nanogpt_eval", re.compile(r"\bstep (\d+): (?=train loss|val loss)"), _on_eval),
    Rule(FAMILY, "nanogpt_iter", re.compile(r"\biter (\d+): (?=loss)"), _on_iter),
)
