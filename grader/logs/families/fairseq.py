"""fairseq: "| epoch 005 | loss 2.92 | ppl 7.59 | .." (the epoch's training summary),
"| epoch 005 | valid on 'valid' subset | valid_loss 3.13 | valid_ppl 8.78 | ..", and progress
lines "| epoch 005:  1000 / 8223 loss=2.17 (3.20), .." whose running mean is in parentheses.
Validation progress ("valid on 'valid' subset  1000 / 1311 loss=2.72") is no result."""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import Rule
from grader.logs.labels import pairs

FAMILY = "fairseq"
_HEAD = re.compile(r"^\s*\|\s*epoch\s+(\d{3})\b\s*(\|\s*valid on '[^']*' subset)?\s*[:|]?")


def _on_line(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    epoch = int(m.group(1))
    rest = text[m.end():]
    valid = m.group(2) is not None
    if re.match(r"\s*\d+\s*/\s*\d+", rest):              # a progress line
        if not valid:
            found = pairs(rest, running=True, context="train")
            c.batch(epoch, None, found, lineno, train=True)
        return True
    c.at_epoch(epoch, None, lineno)
    for p in pairs(rest.replace("valid_", "valid "), context="val" if valid else "train"):
        if not (valid and p.name.startswith("train_")):
            c.record(epoch, p, lineno)
    return True


RULES = (
    Rule(FAMILY, "fairseq_epoch", _HEAD, _on_line),
)
