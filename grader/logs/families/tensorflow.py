"""TensorFlow 1.x (slim, Estimator, the official models): "global step 3750: loss = 5.57",
"loss = 4.26, step = 100", "Saving dict for global step 32000: loss = 1.25, .. accuracy =
0.73" (an evaluation). The x axis is the step."""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import Rule
from grader.logs.epochs import blank, find_step
from grader.logs.labels import pairs

FAMILY = "tensorflow"


def _on_eval(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    rest = re.sub(r"\bglobal_step\s*=\s*\d+,?", "", text[m.end():])
    for p in pairs(rest, context="val"):
        c.record_step(float(m.group(1)), p, lineno)
    return True


def _on_step(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    step = find_step(text)
    if step is None:
        return False
    rest = blank(text, step[1])
    for p in pairs(rest, context="train"):
        c.record_step(step[0], p, lineno)
    return True


RULES = (
    Rule(FAMILY, "tf_eval", re.compile(r"Saving dict for global step (\d+):"), _on_eval),
    Rule(FAMILY, "tf_step", re.compile(r"(?:INFO:tensorflow:|tf_logging\.py:\d+\]).*\bloss\b"),
         _on_step),
)
