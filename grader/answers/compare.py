"""Comparers, one per form: a parsed answer against the key's answer in its JSON form."""
from __future__ import annotations

import math
import random
from typing import Any, Callable

import sympy

from grader.answers.forms import (DEFAULT_TOLERANCE, NUMERIC_SECONDS, NUMERIC_SEED,
                                  RELATIVE_AGREEMENT, SIMPLIFY_SECONDS, Comparison, Form, show,
                                  times)
from grader.answers.matrix_expr import compare_matrix_expression
from grader.answers.safe import TooSlow, within
from grader.answers.values import (read_choice, read_expression, read_matrix,
                                   read_number, read_text)
from grader.assignment import Tolerance
from grader.errors import AnswerParseError
from grader.i18n import _

def numbers_close(given: float, expected: float, tol: Tolerance) -> bool:
    """|given − expected| <= abs + rel·|expected| (NaN and infinities never agree)."""
    if not (math.isfinite(given) and math.isfinite(expected)):
        return False
    allowed = tol.abs + tol.rel * abs(expected)
    # A hair of slack: 1.02 − 1.0 is 0.020000000000000018 in binary, and a value written
    # exactly at the boundary must count as inside it.
    return abs(given - expected) <= allowed + 1e-12 * max(1.0, abs(expected))


def _verdict(ok: bool, yes: str, no: str, parts: tuple[bool, ...] = ()) -> Comparison:
    return Comparison(1.0 if ok else 0.0, parts, yes if ok else no)


def _scalar_close(given: float, expected: Any, tolerance: Tolerance | None) -> Comparison:
    """Integers compare exactly unless a tolerance is given; floats within the tolerance."""
    if isinstance(expected, str):
        expected = read_number(expected)    # an instructor's exact "1/2" or "sqrt(2)/2"
    if isinstance(expected, int) and not isinstance(expected, bool) and tolerance is None:
        return _verdict(given == expected, _("equal"),
                        _("not equal (whole numbers compare exactly)"))
    tol = tolerance or DEFAULT_TOLERANCE
    allowed = f"±({tol.abs:g} + {tol.rel:g}·|expected|)"
    return _verdict(numbers_close(float(given), float(expected), tol),
                    _("within tolerance {allowed}").format(allowed=allowed),
                    _("outside tolerance {allowed}").format(allowed=allowed))


def _compare_int(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    return _scalar_close(given, expected, tolerance)


def _compare_number(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    return _scalar_close(given, expected, tolerance)


def _expected_shape(expected: Any) -> tuple[int, ...] | int:
    if isinstance(expected, (list, tuple)):
        dims = list(expected)
        if len(dims) > 1 and dims[0] in (-1, None):
            dims = dims[1:]     # torchsummary's batch dimension
        return tuple(int(d) for d in dims)
    return int(expected)


def same_shape(given: Any, expected: Any) -> bool:
    """Shapes equal; a one-dimensional shape (3136,) also equals the flatten size 3136."""
    want = _expected_shape(expected)
    have = tuple(given) if isinstance(given, (list, tuple)) else given
    if isinstance(want, int) != isinstance(have, int):
        one_d = have if isinstance(want, int) else want
        scalar = want if isinstance(want, int) else have
        return isinstance(one_d, tuple) and one_d == (scalar,)
    return have == want


def _compare_shape(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    want = _expected_shape(expected)
    want = want if isinstance(want, tuple) else (want,)
    if len(given) != len(want):
        return Comparison(0.0, (), _("{expected} dimensions expected, {given} given").format(
            expected=len(want), given=len(given)))
    parts = tuple(g == w for g, w in zip(given, want))
    return _verdict(all(parts), _("equal"), _("{wrong} of {total} dimensions differ").format(
        wrong=parts.count(False), total=len(parts)), parts)


def _compare_shapes(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    expected = expected if isinstance(expected, list) else [expected]
    parts = tuple(i < len(given) and same_shape(given[i], e) for i, e in enumerate(expected))
    detail = _("{right} of {total} shapes correct").format(right=sum(parts), total=len(parts))
    if len(given) != len(expected):
        detail += _("; {given} given, {expected} expected").format(given=len(given),
                                                                   expected=len(expected))
    return Comparison(sum(parts) / len(parts) if parts else 0.0, parts, detail)


def _compare_matrix(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    want = read_matrix(expected)
    have = [list(row) for row in given]
    shape_have, shape_want = (len(have), len(have[0])), (len(want), len(want[0]))
    if shape_have != shape_want and 1 in shape_have and shape_have[::-1] == shape_want:
        have = [list(col) for col in zip(*have)]    # a vector written as a row, or a column
    elif shape_have != shape_want:
        return Comparison(0.0, (), _("shape {expected} expected, {given} given").format(
            expected=times(shape_want), given=times(shape_have)))
    tol = tolerance or DEFAULT_TOLERANCE
    parts = tuple(numbers_close(g, e, tol) for hr, wr in zip(have, want) for g, e in zip(hr, wr))
    return Comparison(sum(parts) / len(parts), parts,
                      _("{right} of {total} entries within tolerance").format(
                          right=sum(parts), total=len(parts)))


def _compare_table(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    parts: list[bool] = []
    for i, (_name, shape, params) in enumerate(expected):
        row = given[i] if i < len(given) else None
        parts.append(row is not None and same_shape(row[1], shape))
        parts.append(row is not None and row[2] == int(params))
    detail = _("{right} of {total} table cells correct (shape and parameters per row)").format(
        right=sum(parts), total=len(parts))
    if len(given) != len(expected):
        detail += _("; {given} rows given, {expected} expected").format(
            given=len(given), expected=len(expected))
    return Comparison(sum(parts) / len(parts) if parts else 0.0, tuple(parts), detail)


def _compare_expression(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    want = expected if isinstance(expected, sympy.Basic) else read_expression(expected)
    have = given if isinstance(given, sympy.Basic) else read_expression(given)
    ok, how = _expressions_equal(have, want)
    return _verdict(ok, how, how)


def _expressions_equal(a: sympy.Expr, b: sympy.Expr) -> tuple[bool, str]:
    """simplify(a − b) == 0, else a.equals(b), else agreement at seeded random points."""
    if a == b:
        return True, _("equal")
    for attempt in (lambda: sympy.simplify(a - b) == 0, lambda: a.equals(b) is True):
        try:
            if within(SIMPLIFY_SECONDS, attempt):
                return True, _("equal (sympy proves it)")
        except TooSlow:
            pass
        except Exception:       # sympy gives up on some inputs; the numbers below decide
            pass
    try:
        agree = within(NUMERIC_SECONDS, lambda: _agree_numerically(a, b))
    except TooSlow:
        raise AnswerParseError(_("{answer} is too complex to check").format(
            answer=show(str(a)))) from None
    if agree is None:
        return False, _("could not be evaluated to check it")
    return agree, (_("equal at random values of its symbols") if agree
                   else _("not equal to the expected expression"))


def _agree_numerically(a: sympy.Expr, b: sympy.Expr) -> bool | None:
    """True/False from seeded random substitutions; None when too few points evaluate."""
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(NUMERIC_SEED)
    checked = 0
    for _point in range(12):
        point = {s: sympy.Float(rng.uniform(0.3, 1.7)) for s in symbols}
        try:
            va, vb = complex(a.evalf(20, subs=point)), complex(b.evalf(20, subs=point))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            continue
        if not all(map(math.isfinite, (va.real, va.imag, vb.real, vb.imag))):
            continue
        if abs(va - vb) > RELATIVE_AGREEMENT * max(1.0, abs(va), abs(vb)):
            return False
        checked += 1
        if checked >= 5 or not symbols:
            return True
    return True if checked >= 3 else None




def _compare_choice(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    return _verdict(read_choice(given) == read_choice(expected), _("equal"),
                    _("a different choice"))


def _compare_text(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    same = read_text(given).casefold() == read_text(expected).casefold()
    return _verdict(same, _("equal"), _("different text"))


COMPARERS: dict[Form, Callable[[Any, Any, Tolerance | None], Comparison]] = {
    Form.INT: _compare_int, Form.NUMBER: _compare_number, Form.SHAPE: _compare_shape,
    Form.SHAPES: _compare_shapes, Form.MATRIX: _compare_matrix, Form.TABLE: _compare_table,
    Form.EXPRESSION: _compare_expression, Form.MATRIX_EXPRESSION: compare_matrix_expression,
    Form.CHOICE: _compare_choice, Form.TEXT: _compare_text,
}

