"""Translating English text that was written where no catalog is at hand (inside the sandbox,
in a worker process), by matching it against the templates it was written from.

A template is a msgid with `{fields}`: `"timed out after {seconds} s (the claim's timeout)"`.
Each becomes a regular expression (the literal words as they are, each field a stretch of
text), and every place the English text holds one is replaced by the msgid's translation with
the same field values. Fields are kept as written (file names, numbers, identifiers), except
that a field holding a whole sentence is itself translated. Text no template matches stays as
it is: an unknown message is shown in English rather than guessed at.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Callable, Iterable

# What a field may span unless its template says otherwise: never across a clause ("; "), and
# the last field of a template runs to the end of its clause.
INNER = r"[^;]+?"
LAST = r"[^;]+"
# Fields named like these hold one token (a file name, a number, a Python name).
TOKEN_FIELDS = {"line": r"\d+", "cell": r"\d+", "count": r"[\d,]+", "code": r"[^\s;:]+",
                "file": r"[^\s;:]+", "seconds": r"[\d.e+-]+", "mb": r"[\d?]+",
                "status": r"-?\d+|None", "name": r"[\w.'\"]+"}

# Fields that hold someone else's words (the student's output, Python's message): never
# translated, even where a template would match inside them.
VERBATIM = {"output", "text", "msg", "error", "last"}


@dataclass(frozen=True)
class Field:
    """What a field may span, and the only templates its value is translated with (a list of
    layer names is said only by the templates made for it, not by every template)."""

    span: str
    within: tuple[str | tuple[str, dict], ...] = ()


@dataclass(frozen=True)
class Template:
    msgid: str
    pattern: re.Pattern[str]
    fields: tuple[str, ...]
    within: dict[str, tuple["Template", ...]]


Spec = str | tuple[str, dict[str, "str | Field"]]


def compile_template(msgid: str, fields: dict[str, str | Field] | None = None) -> Template:
    """The regular expression of `msgid`; `fields` overrides what a field may span."""
    fields = {k: v if isinstance(v, Field) else Field(v) for k, v in (fields or {}).items()}
    parts = list(string.Formatter().parse(msgid))
    names = tuple(name for _, name, _, _ in parts if name)
    # A match starts at a word (or, for a leading field, a token) boundary: no search tries
    # every position inside a long word, and "a call" is not found in "a callable".
    start = r"(?<!\w)" if msgid[:1].isalnum() else r"(?<!\S)" if msgid[:1] == "{" else ""
    regex, seen = [start], set()
    for i, (literal, name, _, _) in enumerate(parts):
        regex.append(re.escape(literal))
        if name and name in seen:           # the same value again: {top}.py (or the {top}/ ...)
            regex.append(f"(?P={name})")
        elif name:
            seen.add(name)
            last = i == len(parts) - 1
            span = (fields[name].span if name in fields else TOKEN_FIELDS.get(name)
                    or (LAST if last else INNER))
            regex.append(f"(?P<{name}>{span})")
    if msgid[-1:].isalnum():
        regex.append(r"(?!\w)")
    within = {k: tuple(by_length(f.within)) for k, f in fields.items() if f.within}
    return Template(msgid, re.compile("".join(regex)), tuple(dict.fromkeys(names)), within)


def translate(text: str, templates: Iterable[Template], say: Callable[[str], str]) -> str:
    """`text` with every stretch a template matches said by `say` (the catalog's gettext);
    the fields are translated in turn, so a hint inside an error comes out translated too."""
    templates = list(templates)

    def render(t: Template, m: re.Match[str]) -> str:
        values = {name: m.group(name) if name in VERBATIM else
                  translate(m.group(name), t.within.get(name, templates), say)
                  for name in t.fields}
        return say(t.msgid).format(**values)

    for t in templates:
        text = t.pattern.sub(lambda m, t=t: render(t, m), text)
    return text


def by_length(msgids: Iterable[Spec]) -> list[Template]:
    """Templates, the one with the most literal text first, so a long message is matched
    whole before a short one could match a piece of it."""
    out = [compile_template(m) if isinstance(m, str) else compile_template(*m) for m in msgids]
    return sorted(out, key=lambda t: -len(re.sub(r"\{\w+\}", "", t.msgid)))
