"""Hugging Face Trainer printouts: `{'loss': .., 'epoch': 0.5}` dicts (the generic reader,
fractional epochs), `{'train_runtime': .., 'train_loss': ..}` (the whole run's mean: no epoch's
value), and `trainer.log_metrics` blocks "***** eval metrics *****" / "predict" / "train",
whose lines are "  eval_accuracy = 0.9918". (trainer_state.json goes to the structured reader.)"""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import Rule
from grader.logs.labels import pairs

FAMILY = "huggingface"
_SPLIT = {"train": "train", "eval": "val", "predict": "test", "test": "test"}


def _on_block(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    c.state["hf_block"] = _SPLIT.get(m.group(1).lower())
    return True


def _on_block_line(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    if "hf_block" not in c.state:
        return False
    split = c.state["hf_block"]
    label = m.group(1)
    if label == "epoch":
        c.at_epoch(float(m.group(2)) if "." in m.group(2) and not m.group(2).endswith(".0")
                   else int(float(m.group(2))), None, lineno)
        return True
    if split is None or label.startswith("best") or label == "train_loss":
        return True                 # "best metrics", and train_loss: the run's mean
    for p in pairs(text, context=split):
        if p.name != "lr":
            c.unattached(p, lineno)
    return True


def _on_run_summary(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    c.evaluations.extend((p.name, p.value) for p in pairs(text) if p.name != "lr")
    return True


RULES = (
    Rule(FAMILY, "hf_block", re.compile(r"^\s*\*{3,}\s*(train|eval|predict|test|best)\s+metrics"
                                        r"\s*\*{3,}", re.I), _on_block),
    Rule(FAMILY, "hf_block_line", re.compile(r"^\s*(\w+)\s+=\s+([\d.:]+)\s*$"), _on_block_line),
    Rule(FAMILY, "hf_run_summary", re.compile(r"[\"']train_runtime[\"']"), _on_run_summary),
)
