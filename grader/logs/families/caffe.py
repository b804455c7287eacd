"""Caffe's solver: "Iteration 1851300, loss = 0.18", "Iteration 1851300, lr = 0.00017",
"Train net output #0: accuracy = 0.97" / "Test net output #0: ..". The x axis is the step."""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import Rule
from grader.logs.labels import pairs

FAMILY = "caffe"


def _on_iteration(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    for p in pairs(text[m.end():], context="train"):
        c.record_step(float(m.group(1)), p, lineno)
    c.at_step(float(m.group(1)))
    return True


def _on_output(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    if c.step_context is None:
        return True
    for p in pairs(text[m.end():], context=m.group(1).lower()):
        c.record_step(c.step_context, p, lineno)
    return True


RULES = (
    Rule(FAMILY, "caffe_iteration", re.compile(r"\bIteration (\d+),"), _on_iteration),
    Rule(FAMILY, "caffe_output", re.compile(r"\b(Train|Test) net output #\d+:"), _on_output),
)
