"""The names of integrity checks as a reader sees them.

A check's name is a key (`"claim 5: sandbox"` in the JSON, in the gradebook, in tests) and stays
English where it is stored; reports say it in the current language when they show it.
"""
from __future__ import annotations

import functools

from grader.i18n import N_, _, current
from grader.i18n.matching import Template, by_length, translate

_CLAIM = {"id": r"[^:]+"}
_NAMES = (N_("answers file"), N_("student"), N_("assignment id"),
          (N_("claim {id}: sandbox"), _CLAIM), (N_("claim {id}: parameters"), _CLAIM),
          (N_("claim {id}: causal mask"), _CLAIM), (N_("claim {id}: log"), _CLAIM),
          (N_("claim {id}: checkpoint's own accuracy"), _CLAIM),
          (N_("claim {id}: submission copy"), _CLAIM),
          (N_("claim {id}: control ({control})"), {**_CLAIM, "control": r"[^)]+"}),
          N_("pixel noise"), N_("shuffled lines"))


@functools.lru_cache(maxsize=1)
def _templates() -> tuple[Template, ...]:
    return tuple(by_length(_NAMES))


def check_name(name: str) -> str:
    """`claim 5: sandbox` -> `声明 5：沙箱` under zh; unknown names as they are."""
    if current() == "en":
        return name
    text = str(name)
    for t in _templates():          # the whole name, not a piece of it
        m = t.pattern.fullmatch(text)
        if m:
            return translate(text, (t, *_templates()), _)
    return text
