"""The notation registry: one row per way students write a value around it, tried in order.

`read(raw, form)` first tries the plain parser of the form (the answer written as just the
value). When that fails, each row whose forms include the asked one may claim the text; the
first that does gives the value and records how it read it, so feedback can say "read 1216 from
your sentence". A row that claims the text but finds it ambiguous raises AnswerParseError; a
row that does not recognise it returns None. Nothing claims it: the plain parser's error stands.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Callable

from grader.answers import latex, markup, named, prints, prose, summaries, units
from grader.answers.forms import MAX_CHARS, MAX_TABLE_CHARS, Form, Reading, bounded_text
from grader.answers.matrix_expr import read_matrix_expression
from grader.answers.values import (read_choice, read_expression, read_int, read_matrix,
                                   read_number, read_shape, read_shapes, read_text)
from grader.errors import AnswerParseError
from grader.i18n import N_, _

NUMERIC = frozenset({Form.INT, Form.NUMBER})
SHAPED = frozenset({Form.SHAPE, Form.SHAPES})
ALL = frozenset(Form) - {Form.TEXT, Form.CHOICE}
EQUATION = re.compile(r"=|≈")


@dataclass(frozen=True)
class Notation:
    name: str                                               # "torchsummary footer"
    forms: frozenset[Form]
    read: Callable[[str, Form, int | None], Reading | None]
    before_plain: bool = False      # the plain parser would misread it (drops a scalar factor)


def _read_marked(text: str, form: Form, dims: int | None) -> Reading | None:
    """An item label in front (`(3)`, `Q2:`) or a full stop after, around a plain answer."""
    stripped = prose.LIST_MARKER.sub("", text, count=1).strip().rstrip("。.；;，,").strip()
    if stripped == text.strip() or not stripped or _given_after_the_answer(stripped, form):
        return None
    try:
        value = plain(stripped, form, dims)
    except AnswerParseError:
        return None
    return Reading(value, _("read {value} without the label or full stop around it").format(
        value=_shown(value)))


def _read_unmarked(text: str, form: Form, dims: int | None) -> Reading | None:
    """Markdown or HTML around the answer (`- [x] 7600.`, `<b>Answer</b>: 29x29x32`): the rest
    is read through the whole registry, as if the student had written only that."""
    rest = markup.unmarked(text, form)
    if rest is None:
        return None
    try:
        found = read(rest, form, expect_dims=dims)
    except AnswerParseError:
        return None
    how = found.how or _("read {value} without the markup around it").format(
        value=_shown(found.value))
    return replace(found, how=how)


LAST_EQUALS = re.compile(r"=|≈|\\approx|→|⇒")


def _read_after_last_equals(text: str, form: Form, dims: int | None) -> Reading | None:
    """`Q = K = I, V = … → Output ≈ [[1.66, 2.66], …]`, `… \\approx 0.0158`: the value after the
    last `=` (or ≈, →) outside brackets, as numbers are read; the working before it is kept."""
    cuts = [m.end() for m in LAST_EQUALS.finditer(text) if _depth(text[:m.start()]) == 0]
    if not cuts or not text[cuts[-1]:].strip():
        return None
    try:
        found = read(text[cuts[-1]:].strip(), form, expect_dims=dims)
    except AnswerParseError:
        return None
    return replace(found, how=found.how or _("read the value after the last =, ≈ or →"))


def _depth(text: str) -> int:
    return sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")


NOTATIONS: tuple[Notation, ...] = (
    Notation("indexed entries", frozenset({Form.MATRIX}), named.read_indexed, before_plain=True),
    Notation("markdown or HTML", ALL, _read_unmarked, before_plain=True),
    Notation("summary footer", frozenset({Form.INT}), summaries.read_footer),
    Notation("torch.Size", SHAPED, prints.read_torch_size),
    Notation("tensor/array print", ALL, prints.read_constructor),
    Notation("printed array", frozenset({Form.MATRIX}), prints.read_bare_print),
    Notation("LaTeX matrix", frozenset({Form.MATRIX}), latex.read_matrix_env, before_plain=True),
    Notation("LaTeX \\mathbb{R}", SHAPED, latex.read_real_space),
    Notation("labelled shapes", SHAPED, named.read_labelled_shapes),
    Notation("name =", frozenset({Form.MATRIX, Form.SHAPE, Form.SHAPES}), prints.read_name_prefix),
    Notation("number with a suffix", NUMERIC, units.read_suffixed),
    Notation("label and full stop", ALL, _read_marked),
    Notation("value after the last =", frozenset({Form.MATRIX}), _read_after_last_equals),
    Notation("sentence", NUMERIC | SHAPED, prose.read_sentence),
)

_PLAIN: dict[Form, Callable[[Any], Any]] = {
    Form.INT: read_int, Form.NUMBER: read_number, Form.SHAPES: read_shapes,
    Form.MATRIX: read_matrix, Form.EXPRESSION: read_expression,
    Form.MATRIX_EXPRESSION: read_matrix_expression, Form.CHOICE: read_choice,
    Form.TABLE: summaries.read_table, Form.TEXT: read_text,
}


def plain(raw: Any, form: Form, dims: int | None = None) -> Any:
    """The answer written as just the value, in the given form."""
    if form is Form.SHAPE:
        return read_shape(raw, dims)
    return _PLAIN[form](raw)


def read(raw: Any, form: Form | str, *, dims: int | None = None,
         expect_dims: int | None = None) -> Reading:
    """Read a student's answer as the given form, saying how; AnswerParseError says why not.

    `dims`: a shape must have this many dimensions (else unparsable). `expect_dims`: the
    dimensions the key's shapes have, used only to pick the shapes out of a sentence (a plain
    `3×2×1` still reads, and is then marked wrong).
    """
    form = Form(form)
    pick = dims or expect_dims
    if not isinstance(raw, str):
        return Reading(plain(raw, form, dims))
    if form is Form.INT and len(raw) > MAX_CHARS:
        # A whole model summary pasted as the parameter count (ResNet-18's torchsummary table is
        # 6,000 characters): only its footer is read, as long as a table may be.
        bounded_text(raw, N_("an answer"), MAX_TABLE_CHARS)
        if found := summaries.read_footer(raw, form, pick):
            return replace(found, notation="summary footer")
    bounded_text(raw, N_("an answer"), MAX_TABLE_CHARS if form is Form.TABLE else MAX_CHARS)
    for row in NOTATIONS:
        if row.before_plain and form in row.forms and (found := row.read(raw, form, pick)):
            return replace(found, notation=row.name)
    fallback: Reading | None = None
    try:
        value = plain(raw, form, dims)
    except AnswerParseError as error:
        first_error = error
    else:
        equation = form in NUMERIC and EQUATION.search(raw) is not None
        fallback = Reading(value, _("read {value} after the last =").format(
            value=_shown(value)) if equation else "", working=_working(raw, form))
        if not (equation and _given_after_the_answer(raw, form)):
            return fallback
    for row in NOTATIONS:
        if row.before_plain or form not in row.forms:
            continue
        if (found := row.read(raw, form, pick)) is not None:
            return replace(found, notation=row.name, working=_working(raw, form))
    if fallback is not None:
        return fallback     # a given restated last, but no row reads the sentence otherwise
    raise first_error


def _given_after_the_answer(raw: str, form: Form) -> bool:
    """A sentence ending on a given restated (`… = 64 … at d_model=512`): the value after its
    last `=` is the given's, so the sentence row reads it instead."""
    before = EQUATION.split(prose.folded(raw))
    return form in NUMERIC and prose.is_sentence(raw) and len(before) > 2 and prose.restates_given(
        "=".join(before[:-1]) + "=", sizes=form is Form.INT)


def _working(raw: str, form: Form) -> Any:
    """The value of the working just before the last `=` (`15×15×32 = 7220` -> 7200), if any."""
    if form not in NUMERIC or not EQUATION.search(raw):
        return None
    before = EQUATION.split(raw)[-2]
    runs = list(prose.NUMBER_RUN.finditer(prose.folded(before)))
    if not runs:
        return None
    try:
        reading = read(runs[-1].group().strip(), form)
    except AnswerParseError:
        return None
    return reading.value


def _shown(value: Any) -> str:
    """A value as feedback names it: 1216, 0.5, 3×2 (a shape in the student's ×)."""
    if isinstance(value, tuple):
        return "×".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)
