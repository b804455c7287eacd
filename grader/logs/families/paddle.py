"""PaddlePaddle's suites. PaddleSeg counts its run in iterations, the epoch beside them is
where the data loader is: "[TRAIN] epoch: 1, iter: 20/500, loss: 2.0859, lr: 0.009657, ..";
the x axis is the iteration. (PaddleClas' "[Train][Epoch 3/20][Avg]CELoss: .." and
"[Eval][Epoch 5][Avg]..top1: .." lines are epoch lines the generic reader already reads.)"""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import Rule
from grader.logs.labels import pairs

FAMILY = "paddle"


def _on_seg_train(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    step = float(m.group(1))
    c.state["planned_steps"] = int(m.group(2))
    for p in pairs(text[m.end():], context="train"):
        c.record_step(step, p, lineno)
    return True


RULES = (
    Rule(FAMILY, "paddleseg_train", re.compile(r"\[TRAIN\] epoch: \d+, iter: (\d+)/(\d+),"),
         _on_seg_train, lambda line, c: "[TRAIN]" in line),
)
