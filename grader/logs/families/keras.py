"""Keras 1/2/3 `fit()` printouts: "Epoch 3/20" headers, then the epoch's closing line
("1563/1563 [====] - 12s - loss: .. - acc: .. - val_loss: ..", "━━━━" in Keras 3,
"1079/1079 - 21s - loss: .." with verbose=2, "15s - loss: .." in Keras 1). A second, different
closing line in the same epoch is `evaluate()` on the test set. In Keras, `acc`/`accuracy`
without a prefix is the training accuracy."""
from __future__ import annotations

import re

from grader.logs.collector import Collector, same
from grader.logs.families.base import Rule
from grader.logs.labels import Pair, pairs

FAMILY = "keras"
_ACC_WORDS = re.compile(r"(?<![\w/])(acc|accuracy|sparse_categorical_accuracy|"
                        r"categorical_accuracy|binary_accuracy)(\s*:)")


def _keras_pairs(text: str) -> list[Pair]:
    """`acc:` in a Keras line is the training accuracy: say so before the label table guesses."""
    return pairs(_ACC_WORDS.sub(r"train_\1\2", text))


def _close(found: list[Pair], lineno: int, c: Collector) -> None:
    assert c.context is not None
    closed: set[float] = c.state.setdefault("keras_closed", set())
    row = c.points.get(c.context, {})
    if c.context in closed:
        if all(p.name in row and same(row[p.name][0], p.value) for p in found):
            return                              # the same line pasted twice
        for p in found:                         # model.evaluate(): the test set
            if p.name.startswith("train_"):
                c.record(c.context, Pair("test_" + p.name[6:], p.value, p.pct), lineno)
        return
    closed.add(c.context)
    for p in found:
        c.record(c.context, p, lineno)


def _on_step(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    done, total = int(m.group(1)), int(m.group(2))
    found = _keras_pairs(text[m.end():])
    if c.context is None and done == total and total:
        for p in found:                         # no "Epoch n/N" headers: one line per epoch
            c.unattached(p, lineno)
    elif done != total or total == 0 or c.context is None:
        c.batch(None, done / total if total else None, found, lineno, train=True)
    else:
        _close(found, lineno, c)
    return True


def _on_keras1(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    if c.context is None:
        return False
    _close(_keras_pairs(text), lineno, c)
    return True


RULES = (
    Rule(FAMILY, "keras_step", re.compile(r"^\s*(\d+)/(\d+)\s+(?:\[[=>.]*\]|━+|-\s)"), _on_step),
    Rule(FAMILY, "keras1_epoch", re.compile(r"^\s*\d+s\s+-\s+(?:\w+_)?loss:"), _on_keras1),
)
