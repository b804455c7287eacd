"""The forms an answer takes, what a comparison says, what a reading records, and limits."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from grader.assignment import Tolerance
from grader.errors import AnswerParseError
from grader.i18n import _

class Form(StrEnum):
    """The form a question's answer takes, deciding how it is parsed and compared."""

    INT = "int"
    NUMBER = "number"
    SHAPE = "shape"
    SHAPES = "shapes"
    MATRIX = "matrix"
    EXPRESSION = "expression"
    MATRIX_EXPRESSION = "matrix_expression"
    CHOICE = "choice"
    TABLE = "table"
    TEXT = "text"


@dataclass(frozen=True)
class Comparison:
    """How a parsed answer compares with the expected one."""

    fraction: float             # 0..1 credit; element-wise for SHAPES, MATRIX, TABLE
    parts: tuple[bool, ...]     # per-element verdicts (row-major); () for scalars
    detail: str                 # short, never the expected value itself


DEFAULT_TOLERANCE = Tolerance(abs=0.01, rel=0.01)   # hand-rounded floats; ints compare exactly

# ---------------------------------------------------------------------------------------------
# Limits and notation tables
# ---------------------------------------------------------------------------------------------

MAX_CHARS = 2_000               # longer than any honest answer; bounds tokenizing and parsing
MAX_TABLE_CHARS = 50_000        # a pasted ResNet-50 summary; tables are read line by line
PARSE_SECONDS = 2.0
SIMPLIFY_SECONDS = 3.0
NUMERIC_SECONDS = 3.0
MAX_EXPONENT = 1_000            # constant exponents beyond this are towers, not homework
MAX_SYMBOLIC_EXPONENT = 100     # (x+1)**1000 would make simplify expand a huge polynomial
MAX_DIGITS = 10_000             # a constant power may have at most this many digits
NUMERIC_SEED = 20_240_601
RELATIVE_AGREEMENT = 1e-9       # numeric substitutions agree at this relative precision


def show(raw: Any) -> str:
    """The value as a message quotes it: strings in double quotes, cut at 40 characters."""
    text = raw if isinstance(raw, str) else repr(raw)
    text = " ".join(text.split())
    cut = text if len(text) <= 40 else text[:40] + "…"
    return f'"{cut}"' if isinstance(raw, str) else cut


def bounded_text(raw: Any, what: str, limit: int = MAX_CHARS) -> str:
    """The raw answer as a string of bounded length, or AnswerParseError."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise AnswerParseError(_("{answer} is not {what}").format(answer=show(raw), what=_(what)))
    text = str(raw)
    if len(text) > limit:
        raise AnswerParseError(_("{answer} is too long ({length} characters; the limit is "
                                 "{limit})").format(answer=show(raw), length=f"{len(text):,}",
                                                    limit=f"{limit:,}"))
    if not text.strip():
        raise AnswerParseError(_("the answer is empty; expected {what}").format(what=_(what)))
    return text



@dataclass(frozen=True)
class Reading:
    """A parsed answer and how it was read, so feedback can say so ("read 1216 from your
    sentence")."""

    value: Any
    how: str = ""                   # "" when the answer is written as just the value
    notation: str = "plain"         # the registry row that claimed the answer
    working: Any = None             # INT/NUMBER: the value of the working before the last `=`
    approximate: bool = False       # a rounded count (11.17M): equal only within a tolerance


def times(shape: Any) -> str:
    return "×".join(map(str, shape)) if isinstance(shape, (list, tuple)) else str(shape)
