"""detectron2's event printer (`d2.utils.events`): "eta: 0:01:23  iter: 19  total_loss: 1.475
loss_cls: 0.72 .. lr: 6.2e-06  max_mem: 824M". A run is counted in iterations, not epochs: the
x axis is the step, `total_loss` is the training loss (the parts, `loss_cls`, `loss_box_reg`,
are not), and `lr` is the schedule."""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import Rule
from grader.logs.labels import pairs

FAMILY = "detectron2"


def _on_iter(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    step = float(m.group(1))
    for p in pairs(text[m.end():], context="train"):
        c.record_step(step, p, lineno)
    return True


RULES = (
    # "iter: N" right before the losses; the lookahead is fixed text, so no backtracking
    Rule(FAMILY, "d2_iter", re.compile(r"(?<![\w.])iter: (\d+)\s{1,8}(?=total_loss: )"), _on_iter,
         lambda line, c: "total_loss" in line),
)
