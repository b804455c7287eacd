"""Names the grader stores in English and reports show in the reader's language: integrity
checks, and the rows and notes of a question's parts table.

A check's name is a key (`"claim 5: sandbox"` in the JSON, in the gradebook, in tests) and stays
English where it is stored; reports say it in the current language when they show it.
"""
from __future__ import annotations

import functools

from grader.i18n import N_, _, current, mistake
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


# --- the rows of a question's parts table (grader/shapechain.py, grader/marking.py) --------------

_PART_LABELS = ((N_("layer {n}"), {"n": r"\d+"}), (N_("row {n} shape"), {"n": r"\d+"}),
                (N_("row {n} params"), {"n": r"\d+"}))
_PART_NOTES = ((N_("follow-through: right from your layer {n} ({shape})"),
                {"n": r"\d+", "shape": r"[^)]*"}),
               (N_("the output of layer {j}, not layer {n}"), {"j": r"\d+", "n": r"\d+"}),
               N_("channels first (C×H×W) where H×W×C is asked"))


@functools.lru_cache(maxsize=1)
def _part_templates() -> tuple[tuple[Template, ...], tuple[Template, ...]]:
    return tuple(by_length(_PART_LABELS)), tuple(by_length(_PART_NOTES))


def part_label(label: str) -> str:
    """`layer 3` -> `第 3 层` under zh (the stored part keeps its English label)."""
    return _whole(label, _part_templates()[0])


def part_note(note: str) -> str:
    """A part's note: a follow-through, a wrong layer, or a mistake named by `reference/`."""
    said = _whole(note, _part_templates()[1])
    return said if said != note else mistake(note)


def _whole(text: str, templates: tuple[Template, ...]) -> str:
    if current() == "en" or not text:
        return text
    if any(t.pattern.fullmatch(text) for t in templates):
        return translate(text, templates, _)
    return text
