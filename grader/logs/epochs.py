"""Where a line says which epoch (or step) it is about, how many epochs were planned, how far a
progress bar has got, and how many parameters the model has."""
from __future__ import annotations

import re
from dataclasses import dataclass

from grader.logs.labels import NUM

_EPOCH_RES = (
    re.compile(r"(?<![\w/\\.])(?:epoch|ep)\s*[:#=]?\s*\[?\s*(\d+)\s*(?:(?:/|of)\s*(\d+))?\s*\]?",
               re.I),
    re.compile(r"[\"']epoch[\"']\s*:\s*(\d+(?:\.\d+)?)()"),     # Hugging Face Trainer dicts
    re.compile(r"第\s*(\d+)\s*(?:/\s*(\d+)\s*)?(?:轮|个?epoch|次)", re.I),
    re.compile(r"轮次?\s*[:=]?\s*(\d+)(?:\s*/\s*(\d+))?"),
)
_PLANNED_RES = (
    re.compile(r"(?<![\w-])(?:--|num_|n_|total_|max_|nb_|train_)?(?:epochs|epoches|n_epoch)\b"
               r"[\"']?\s*[:=]?\s*(\d+)(?!\s*[/\d.])", re.I),
    re.compile(r"(?:num_train_epochs|max_epochs|num_epochs|total_epochs)[\"']?\s*[:=]\s*"
               r"(\d+)(?:\.0+)?\b", re.I),
    re.compile(r"\bmax:\s*(\d+)\s+epochs\b"),                  # mmcv's "workflow: ..., max: 30 epochs"
    re.compile(r"\b(?:train(?:ing)?|run(?:ning)?)\s+(?:for\s+)?(\d+)\s+epochs\b", re.I),
    re.compile(r"(?:总轮数|训练轮数|轮数|总轮次)\s*[:=]?\s*(\d+)"),
    re.compile(r"共\s*(\d+)\s*(?:轮|个\s*epoch)", re.I),
)
_PARAMS_RES = (
    re.compile(r"\btotal\s+params\s*[:=]\s*([\d,]+)", re.I),
    re.compile(r"(?:模型)?总参数量?\s*[:=]\s*([\d,]+)"),
    re.compile(r"\b(?:number|num|#|n)[\s_]*(?:of[\s_]+)?param(?:eter)?s\s*[:=]\s*([\d,.]+)\s*([MK])?",
               re.I),
    re.compile(r"\bn_parameters[\"']?\s*[:=]\s*(\d+)"),
    re.compile(r"\b(\d[\d,]*)\s+parameters\b"),                # "157 layers, 7026307 parameters"
    re.compile(r"\btrainable\s+params\s*[:=]\s*([\d,]+)", re.I),
)
_STEP = re.compile(r"(?<![\w/])(?:global[_ ]steps?|step|iter(?:ation)?)\s*[:=]?\s*(\d+)\b", re.I)


@dataclass(frozen=True)
class Epoch:
    number: float       # an int when whole; Hugging Face logs fractional epochs
    planned: int | None
    span: tuple[int, int]


def find_epoch(text: str) -> Epoch | None:
    for rx in _EPOCH_RES:
        m = rx.search(text)
        if m:
            number = float(m.group(1))
            return Epoch(int(number) if number.is_integer() else number,
                         int(m.group(2)) if m.group(2) else None, m.span())
    return None


def leads(text: str, epoch: Epoch) -> bool:
    """The epoch opens the line ("Epoch 3/20", "| end of epoch 2 |", "第 3 轮"), not a remark."""
    indent = len(text) - len(text.lstrip(" \t|[*=-#>"))
    return epoch.span[0] <= indent + len("end of ")


def closes(text: str, epoch: Epoch) -> bool:
    """Nothing but punctuation after the epoch: a header ("SqueezeNet - Epoch 0/49")."""
    return not re.search(r"\w", text[epoch.span[1]:])


def blank(text: str, span: tuple[int, int]) -> str:
    return text[:span[0]] + " " * (span[1] - span[0]) + text[span[1]:]


def planned(text: str) -> int | None:
    for rx in _PLANNED_RES:
        m = rx.search(text)
        if m and int(m.group(1)) > 0:
            return int(m.group(1))
    return None


def params(text: str) -> int | None:
    for rx in _PARAMS_RES:
        m = rx.search(text)
        if m:
            value = float(m.group(1).replace(",", ""))
            scale = {"M": 1e6, "K": 1e3}.get(m.group(2) or "", 1) if m.lastindex == 2 else 1
            return int(round(value * scale))
    return None


def find_step(text: str) -> tuple[float, tuple[int, int]] | None:
    m = _STEP.search(text)
    return (float(m.group(1)), m.span()) if m else None


_PROGRESS_RES = (                        # batch progress markers; groups: done, total
    re.compile(r"\[\s*(\d+)\s*/\s*(\d+)\s*(?:\(\s*\d+%\s*\))?\s*\]"),
    re.compile(r"(\d+)\s*/\s*(\d+)\s+batches", re.I),
    re.compile(r"(\d+)\s*/\s*(\d+)\s*\[\d"),                        # tqdm "391/391 [00:31<..."
    re.compile(r"(\d+)\s*/\s*(\d+)\s+\d+(?:\.\d+)?%"),              # "5/60 8.33%"
    re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s+of\b", re.I),              # "30/42 of epoch 28/30"
    re.compile(r"\d+%\|()()"),
    re.compile(r"\b(?:mini)?batch(?:es)?\s*[:#]?\s*(\d+)()", re.I),
    re.compile(r"\b(?:iter(?:ation)?|step)\s*[:#=]?\s*\[?\s*(\d+)()", re.I),  # "Step=20"
)


def progress(text: str) -> tuple[bool, float | None, float | None]:
    """(is a batch progress line, fraction of the epoch done, batch counter) as the line says."""
    found, frac, idx = False, None, None
    for rx in _PROGRESS_RES:
        m = rx.search(text)
        if m:
            found = True
            if m.group(1) and idx is None:
                idx = float(m.group(1))
            if frac is None and m.group(2) and int(m.group(2)) > 0:
                frac = int(m.group(1)) / int(m.group(2))
    return found, frac, idx


NUMBER = re.compile(NUM)
