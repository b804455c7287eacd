"""The plain parsers, one per form: an answer written as just the value (`896`, `30×30×64`,
`[[1, 2], [3, 4]]`, `3*3*3*32+32 = 896`). Notation around the value is the registry's job."""
from __future__ import annotations

import ast
import math
import re
import unicodedata
from typing import Any

import sympy

from grader.answers.forms import PARSE_SECONDS, bounded_text, show
from grader.answers.notation import ascii_math
from grader.answers.safe import TooSlow, as_float, sympy_parse, within
from grader.errors import AnswerParseError
from grader.i18n import N_, _

# `11,279,112`, `11 279 112`, `11'279'112`: one integer, the same separator between groups.
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?P<sep>[, '_])\d{3}(?:(?P=sep)\d{3})*(?:\.\d+)?$")
LEADING_LABEL = re.compile(r"^[A-Za-z][\w ()]*:\s*(?=\S)")
TRAILING_WORDS = re.compile(r"(?<=[\d)])\s+([A-Za-z][A-Za-z\s.]*)$")
KEPT_TRAILING_WORDS = {"pi", "e", "E"}
NONFINITE_WORDS = re.compile(r"\b(?:nan|inf|infinity|oo)\b|∞", re.I)

SHAPE_SEPARATOR = re.compile(r"\s*(?:[xX*,;]|\bby\b)\s*|\s+")
BATCH_MARKERS = {"none", "n", "b", "?", "-1", "batch", "batch_size"}


def _number_text(raw: Any) -> str:
    """The part of a written number that is the number: `= 896 params` -> `896`."""
    text = " ".join(ascii_math(bounded_text(raw, N_("a number"))).split())
    text = re.split(r"=|≈", text)[-1].strip().lstrip("~")    # `... = 896`: the last value
    text = LEADING_LABEL.sub("", text)
    text = text.removesuffix("%").strip()           # accuracies are in percent already
    if (words := TRAILING_WORDS.search(text)) and words.group(1).strip() not in \
            KEPT_TRAILING_WORDS:
        text = text[:words.start()].strip()         # `896 params`, `0.5 per head`
    if match := THOUSANDS.match(text):
        text = text.replace(match.group("sep"), "")
    return text


def exact_number(raw: Any) -> sympy.Expr:
    """A constant sympy value for a written number, or AnswerParseError."""
    text = _number_text(raw)
    if not text:
        raise AnswerParseError(_("{answer} is not a number").format(answer=show(raw)))
    if NONFINITE_WORDS.search(text):
        raise AnswerParseError(_("{answer} is not a finite number").format(answer=show(raw)))
    value = sympy_parse(text, raw)
    if value.free_symbols:
        names = ", ".join(sorted(map(str, value.free_symbols)))
        raise AnswerParseError(_("{answer} is not a number (it contains {names})").format(
            answer=show(raw), names=names))
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise AnswerParseError(_("{answer} is not a finite number").format(answer=show(raw)))
    return value


def finite(value: float, raw: Any) -> float:
    if not math.isfinite(value):
        raise AnswerParseError(_("{answer} is not a finite number").format(answer=show(raw)))
    return value


def read_number(raw: Any) -> float:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return finite(as_float(raw), raw)
    value = exact_number(raw)
    try:        # evalf of exp(exp(exp(10))) can take long or overflow
        result = within(PARSE_SECONDS, lambda: complex(value.evalf(20)))
    except TooSlow:
        raise AnswerParseError(_("{answer} is too complex to check").format(
            answer=show(raw))) from None
    except OverflowError:
        raise AnswerParseError(_("{answer} is not a finite number").format(
            answer=show(raw))) from None
    except (TypeError, ValueError):
        raise AnswerParseError(_("{answer} is not a number").format(answer=show(raw))) from None
    if abs(result.imag) > 1e-12 * max(1.0, abs(result.real)):
        raise AnswerParseError(_("{answer} is not a real number").format(answer=show(raw)))
    return finite(result.real, raw)


def read_int(raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        value = exact_number(raw)
        if value.is_Integer:
            return int(value)       # exact: `3*3*3*32+32`, `11,279,112`, 10**20
    number = read_number(raw)
    if abs(number - round(number)) > 1e-9 * max(1.0, abs(number)):
        raise AnswerParseError(_("{answer} is not a whole number").format(answer=show(raw)))
    return int(round(number))


def _dimension(token: Any, raw: Any) -> int:
    """One dimension of a shape: a positive whole number."""
    if isinstance(token, str):
        token = token.strip()
    try:
        value = read_int(token)
    except AnswerParseError:
        raise AnswerParseError(_("{answer} is not a shape ({token} is not a whole number)").format(
            answer=show(raw), token=show(token))) from None
    if value < 1:
        raise AnswerParseError(_("{answer} is not a shape ({value} is not a dimension)").format(
            answer=show(raw), value=value))
    return value


def read_shape(raw: Any, dims: int | None = None) -> tuple[int, ...]:
    """`30×30×64`, `(30, 30, 64)`, `[30,30,64]`, `（30，30，64）`, `(None, 30, 30, 64)`."""
    if isinstance(raw, (list, tuple)):
        tokens = list(raw)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        tokens = [raw]
    else:
        text = ascii_math(bounded_text(raw, N_("a shape"))).strip()
        text = re.sub(r"^[\[(]\s*(.*?)\s*[\])]$", r"\1", text)
        tokens = [t for t in SHAPE_SEPARATOR.split(text) if t]
    if len(tokens) > 1 and str(tokens[0]).strip().lower() in BATCH_MARKERS:
        tokens = tokens[1:]         # Keras prints (None, H, W, C), torchsummary [-1, C, H, W]
    if not tokens:
        raise AnswerParseError(_("{answer} is not a shape").format(answer=show(raw)))
    shape = tuple(_dimension(t, raw) for t in tokens)
    if dims is not None and len(shape) != dims:
        named = " (H×W×C)" if dims == 3 else ""
        message = (_("{answer} has {count} dimension; expected {dims}{named}") if len(shape) == 1
                   else _("{answer} has {count} dimensions; expected {dims}{named}"))
        raise AnswerParseError(message.format(answer=show(raw), count=len(shape), dims=dims,
                                              named=named))
    return shape


def _shape_or_int(item: Any) -> tuple[int, ...] | int:
    """One element of a SHAPES answer: a bare whole number is a flatten/dense output size."""
    if isinstance(item, int) and not isinstance(item, bool):
        return item
    if isinstance(item, str) and re.fullmatch(r"\s*\d[\d_]*\s*", item):
        return read_int(item)       # `3,136` here is a 2-D shape: commas separate dimensions
    return read_shape(item)


def read_shapes(raw: Any) -> list[tuple[int, ...] | int]:
    """A list of shapes: a TOML array, or `32x32x32, 16x16x32` / `;` / newline separated."""
    if isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        text = (ascii_math(bounded_text(raw, N_("a list of shapes"))) if isinstance(raw, str)
                else raw)
        if isinstance(text, str):
            text = re.sub(r"\s*(?:→|->|⟶|=>)\s*", ";", text)     # a chain: 32×32×3 → 16×16×3
        if isinstance(text, str) and re.fullmatch(r"\[\s*[\[(].*[\])]\s*\]", text, re.S):
            text = text[1:-1]       # [[32,32,32],[16,16,32]]: the outer list
        separators = ";\n" if re.search(r"[;\n]", str(text)) else ",;\n"
        items = [t.strip() for t in split_top(str(text), separators) if t.strip()]
    if not items:
        raise AnswerParseError(_("{answer} is not a list of shapes").format(answer=show(raw)))
    shapes = []
    for number, item in enumerate(items, 1):
        try:
            shapes.append(_shape_or_int(item))
        except AnswerParseError:
            if not isinstance(raw, str):
                raise               # the student's own array item, quoted as written
            # the item is text made ASCII (× became *): name it by position, never rewritten
            message = _("{answer}: item {number} of the list is not a shape or a whole number")
            raise AnswerParseError(message.format(answer=show(raw), number=number)) from None
    return shapes


def split_top(text: str, separators: str) -> list[str]:
    """Split at separator characters outside (), [] and {}."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += 1 if char in "([{" else -1 if char in ")]}" else 0
        if depth == 0 and char in separators:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def read_matrix(raw: Any) -> list[list[float]]:
    """Nested lists (TOML arrays or `[[1, 2], [3, 4]]`), `[1 2; 3 4]`, rows on lines."""
    if isinstance(raw, (list, tuple)):
        rows = [list(r) if isinstance(r, (list, tuple)) else None for r in raw]
        rows = [list(raw)] if all(r is None for r in rows) else rows    # a flat vector: one row
        if any(r is None for r in rows):
            raise AnswerParseError(_("{answer} mixes rows and numbers; expected a matrix").format(
                answer=show(raw)))
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        rows = [[raw]]
    else:
        rows = _matrix_rows(ascii_math(bounded_text(raw, N_("a matrix"))))
    if not rows or not rows[0]:
        raise AnswerParseError(_("{answer} is not a matrix").format(answer=show(raw)))
    if len({len(r) for r in rows}) > 1:
        lengths = ", ".join(str(len(r)) for r in rows)
        raise AnswerParseError(_("{answer} has rows of {lengths} entries; a matrix needs rows of "
                                 "equal length").format(answer=show(raw), lengths=lengths))
    return [[read_number(entry) for entry in row] for row in rows]


def _matrix_rows(text: str) -> list[list[str]]:
    """Entries (as text) of a matrix written as a nested list, or rows by `;` / lines / `\\\\`."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        tree = None
    if isinstance(tree, (ast.List, ast.Tuple)):
        if all(isinstance(e, (ast.List, ast.Tuple)) for e in tree.elts):
            return [[ast.get_source_segment(text, x) or "" for x in row.elts] for row in tree.elts]
        return [[ast.get_source_segment(text, x) or "" for x in tree.elts]]
    body = text.replace("\\\\", ";").strip()
    if re.fullmatch(r"\[.*\]|\(.*\)", body, re.S) and len(split_top(body, " ")) == 1:
        body = body[1:-1]           # [1 2; 3 4]: the outer bracket
    rows = [r.strip() for r in split_top(body, ";\n") if r.strip()]
    if len(rows) == 1 and re.fullmatch(r"\s*[\[(].*[\])]\s*", rows[0]):
        rows = [g for g in split_top(rows[0], ", ") if g.strip()]     # [1 2] [3 4]
    return [_row_entries(r) for r in rows]


def _row_entries(row: str) -> list[str]:
    row = re.sub(r"^[\[(](.*)[\])]$", r"\1", row.strip()).strip()
    separators = "&" if "&" in row else "," if "," in row else " "
    return [e.strip() for e in split_top(row, separators) if e.strip()]


def read_expression(raw: Any) -> sympy.Expr:
    """A sympy expression: `(x+1)^2`, `\\frac{1}{\\sqrt{d_k}}`, `e^{1/√2}`, `h_2 = ...`."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return sympy.sympify(finite(as_float(raw), raw))
    text = " ".join(ascii_math(bounded_text(raw, N_("an expression"))).split())
    text = text.split("=")[-1].split("≈")[0].strip()    # `y = ...`; `√2/2 ≈ 0.707`
    if not text:
        raise AnswerParseError(_("{answer} is not an expression").format(answer=show(raw)))
    value = sympy_parse(text, raw)
    if value.has(sympy.zoo, sympy.nan):
        raise AnswerParseError(_("{answer} is not a finite expression").format(answer=show(raw)))
    return value


def read_choice(raw: Any) -> str:
    """`(b)`, `B`, `b)`, `Option B` -> `b`; `A and C` -> `a,c`; other text case-folded."""
    text = unicodedata.normalize("NFKC", bounded_text(raw, N_("a choice"))).strip().casefold()
    text = re.sub(r"^(?:option|answer|choice)\s*[:\-]?\s*", "", text)
    tokens = [t.strip("()[]{}.: ") for t in re.split(r"[\s,;/&]+|\band\b", text)]
    tokens = [t for t in tokens if t]
    if tokens and all(len(t) == 1 and t.isalpha() for t in tokens):
        return ",".join(sorted(set(tokens)))
    return " ".join(text.rstrip(".").split())


def read_text(raw: Any) -> str:
    return " ".join(bounded_text(raw, N_("text")).split())


