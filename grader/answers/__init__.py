"""Students' written answers: read them into values of a given form, compare with the key.

    raw value (TOML/JSON: str, int, float, nested lists)
      -> `read(raw, form)`: the plain parser of the form (`values`), else the first row of the
         notation registry (`registry.NOTATIONS`) that claims the text: summary footers and
         tables (`summaries`), torch/numpy prints (`prints`), LaTeX (`latex`), `11.17M`
         (`units`), sentences (`prose`). A `Reading` keeps the value and how it was read.
      -> `compare(given, expected, form)`: a `Comparison` with element-wise partial credit.

Modules: `forms` (Form, Comparison, Reading, limits), `notation` (Unicode, full-width and LaTeX
to ASCII math), `safe` (sympy under an AST check and a time limit), `values` (plain parsers),
`matrix_expr` (RNN matrix expressions), `compare` (comparers), and the notation readers above.

Safety. Expressions go through sympy's own parser in its two halves (`stringify_expr`, then
`eval_expr`) with a Python-AST check in between: only whitelisted names and calls, no
attributes, subscripts, lambdas or keyword arguments, and no exponent that would build an
astronomically large number (`9**9**9`). Globals hold no builtins. Parsing and simplifying run
under a time limit (`safe.within`): on the main thread with no interval timer running a SIGALRM
timer interrupts the work; elsewhere it runs in a daemon thread joined with a timeout. A
timeout is an `AnswerParseError` ("too complex to check").
"""
from __future__ import annotations

from typing import Any

from grader.answers.compare import COMPARERS, numbers_close
from grader.answers.forms import DEFAULT_TOLERANCE, Comparison, Form, Reading
from grader.answers.matrix_expr import compare_matrix_expression
from grader.answers.registry import NOTATIONS, Notation, read
from grader.assignment import Tolerance


def parse(raw: Any, form: Form | str, *, dims: int | None = None) -> Any:
    """Read a student's answer `raw` as the given form; AnswerParseError says why not.

    `dims` (SHAPE, SHAPES): the number of dimensions the question asks for.
    """
    return read(raw, form, dims=dims).value


def compare(given: Any, expected: Any, form: Form | str,
            tolerance: Tolerance | None = None) -> Comparison:
    """Compare a `parse` result with the reference answer in its JSON form."""
    return COMPARERS[Form(form)](given, expected, tolerance)


def same_method(given: Any, wrong: Any, form: Form | str,
                tolerance: Tolerance | None = None) -> bool:
    """The answer is, as a whole, what a named wrong method gives (for naming the mistake).
    Matrix expressions are compared with x_t as long as h_t, so that a method mixing up the
    two (W_hh and W_xh swapped) still evaluates."""
    if Form(form) is Form.MATRIX_EXPRESSION:
        return compare_matrix_expression(given, wrong, tolerance, square=True).fraction >= 1
    return compare(given, wrong, form, tolerance).fraction >= 1


__all__ = ["DEFAULT_TOLERANCE", "NOTATIONS", "Comparison", "Form", "Notation", "Reading",
           "compare", "numbers_close", "parse", "read", "same_method"]
