"""Students' written answers: parse them into values of a given form, compare with the key.

    raw value (TOML/JSON: str, int, float, nested lists)
      -> notation made ASCII (module-level tables below: Unicode, full-width, LaTeX)
      -> `parse(raw, form)`: int, float, shape tuple, matrix, sympy expression, ...
      -> `compare(given, expected, form)`: a `Comparison` with element-wise partial credit.

Safety. Expressions go through sympy's own parser in its two halves (`stringify_expr`, then
`eval_expr`, which is what `parse_expr` does) with a Python-AST check in between: only
whitelisted names and calls, no attributes, subscripts, lambdas or keyword arguments, and no
exponent that would build an astronomically large number (`9**9**9`). Globals hold no
builtins. Parsing and simplifying run under a time limit (`_within`):
- on the main thread with no interval timer already running (the CLI, multiprocessing pool
  workers) a SIGALRM timer interrupts the work for real;
- elsewhere (threads, or under another timer such as pytest-timeout's) the work runs in a
  daemon thread that is joined with a timeout; past it the answer is reported as too complex
  and the abandoned thread finishes in the background (the AST check keeps that bounded).
A timeout is an `AnswerParseError` ("too complex to check").

Matrix expressions (unrolled RNNs, BPTT products) are normalized here to the mini-language of
`reference.rnn.evaluate_unrolled` (`*` the matrix product unless a side is a number, `**`
element-wise, tanh/relu/sigmoid/exp element-wise, diag of a vector, transpose) and compared
by evaluating both sides at seeded random matrices (W_hh n×n, W_xh n×m, b, h_i n×1, x_t m×1;
n=3, m=2) with that evaluator.
"""
from __future__ import annotations

import ast
import math
import random
import re
import signal
import threading
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Callable, TypeVar

import numpy as np
import sympy
from sympy.parsing.sympy_parser import (
    auto_number, auto_symbol, convert_xor, eval_expr, implicit_application,
    implicit_multiplication, stringify_expr,
)

from grader.assignment import Tolerance
from grader.errors import AnswerParseError
from reference.rnn import evaluate_unrolled

T = TypeVar("T")


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
PARSE_SECONDS = 2.0
SIMPLIFY_SECONDS = 3.0
NUMERIC_SECONDS = 3.0
MAX_EXPONENT = 1_000            # constant exponents beyond this are towers, not homework
MAX_SYMBOLIC_EXPONENT = 100     # (x+1)**1000 would make simplify expand a huge polynomial
MAX_DIGITS = 10_000             # a constant power may have at most this many digits
NUMERIC_SEED = 20_240_601
RELATIVE_AGREEMENT = 1e-9       # numeric substitutions agree at this relative precision

# Superscripts must become `^(...)` before NFKC, which would fold `10²` into `102`.
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")

# Applied after NFKC (which already folds full-width （），；［］ digits and subscripts).
UNICODE_MATH: tuple[tuple[str, str], ...] = (
    ("×", "*"), ("✕", "*"), ("⨯", "*"), ("∗", "*"), ("·", "*"), ("⋅", "*"),
    ("∙", "*"), ("•", "*"), ("÷", "/"), ("⁄", "/"), ("∕", "/"), ("−", "-"), ("–", "-"),
    ("—", "-"), ("π", "pi"), ("σ", "sigma"), ("≈", "≈"), ("≃", "≈"), ("≅", "≈"), ("∼", "≈"),
    ("⊤", "T"),
)

# LaTeX commands with a plain meaning; other `\name` become `name` (\exp, \sqrt, \alpha, ...).
LATEX_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    (r"\displaystyle", ""), (r"\left", ""), (r"\right", ""), (r"\dfrac", r"\frac"),
    (r"\tfrac", r"\frac"), (r"\times", "*"), (r"\cdot", "*"), (r"\ast", "*"), (r"\div", "/"),
    (r"\approx", "≈"), (r"\simeq", "≈"), (r"\sim", "≈"), (r"\top", "T"), (r"\ln", "log"),
    (r"\%", "%"), (r"\,", " "), (r"\;", " "), (r"\:", " "), (r"\!", ""), (r"\ ", " "),
)
LATEX_WRAPPERS = re.compile(r"\\(?:text|mathrm|operatorname|mathit|mathbf|boldsymbol|mbox|bm)"
                            r"\s*\{([^{}]*)\}")
LATEX_ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{[A-Za-z*]*\}")
LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)")
BRACED_SUBSCRIPT = re.compile(r"_\{([A-Za-z0-9]+)\}")
ROOT_SIGN = re.compile(r"√\s*(\d+(?:\.\d+)?|[A-Za-z][A-Za-z0-9_]*)")
DOLLARS = re.compile(r"^\s*(?:\$+|\\\(|\\\[)(.*?)(?:\$+|\\\)|\\\])\s*$", re.S)

# `11,279,112`, `11 279 112`, `11'279'112`: one integer, the same separator between groups.
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?P<sep>[, '_])\d{3}(?:(?P=sep)\d{3})*(?:\.\d+)?$")
LEADING_LABEL = re.compile(r"^[A-Za-z][\w ()]*:\s*(?=\S)")
TRAILING_WORDS = re.compile(r"(?<=[\d)])\s+([A-Za-z][A-Za-z\s.]*)$")
KEPT_TRAILING_WORDS = {"pi", "e", "E"}
NONFINITE_WORDS = re.compile(r"\b(?:nan|inf|infinity|oo)\b|∞", re.I)

SHAPE_SEPARATOR = re.compile(r"\s*(?:[xX*,;]|\bby\b)\s*|\s+")
BATCH_MARKERS = {"none", "n", "b", "?", "-1", "batch", "batch_size"}
EMPTY_PARAMS = {"", "-", "--", "—", "0"}
TORCHSUMMARY_ROW = re.compile(r"(\S+)\s+([\[(][^\])]*[\])])\s+([\d,\s]+|--|-)")

# sympy names an expression may use; anything else is a plain symbol (`d_k`, `x`, `alpha`).
_SAFE_FUNCTIONS: dict[str, Any] = {
    "sqrt": sympy.sqrt, "root": sympy.root, "exp": sympy.exp, "log": sympy.log,
    "ln": sympy.log, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "tanh": sympy.tanh,
    "sinh": sympy.sinh, "cosh": sympy.cosh, "sech": sympy.sech, "csch": sympy.csch,
    "coth": sympy.coth, "sec": sympy.sec, "csc": sympy.csc, "cot": sympy.cot,
    "abs": sympy.Abs, "Abs": sympy.Abs,
    "max": sympy.Max, "min": sympy.Min, "Max": sympy.Max, "Min": sympy.Min,
}
_X = sympy.Symbol("_x")
_SAFE_LOCALS: dict[str, Any] = {
    "pi": sympy.pi, "e": sympy.E, "E": sympy.E,
    "sigmoid": sympy.Lambda(_X, 1 / (1 + sympy.exp(-_X))),
    "relu": sympy.Lambda(_X, sympy.Max(0, _X)),
}
_CONSTRUCTORS = {"Symbol": sympy.Symbol, "Integer": sympy.Integer, "Float": sympy.Float,
                 "Rational": sympy.Rational}
_SAFE_GLOBALS: dict[str, Any] = {"__builtins__": {}, **_CONSTRUCTORS, **_SAFE_FUNCTIONS}
_TRANSFORMATIONS = (auto_symbol, auto_number, convert_xor, implicit_multiplication,
                    implicit_application)   # no factorial_notation: `10**6!` would hang
_FORBIDDEN = re.compile(r"__|\blambda\b|\bimport\b|['\"\\\[\]{};:=<>!&|~`$#@%]"
                        r"|[A-Za-z_)]\s*\.\s*[A-Za-z_]")
_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant,
                  ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)

# Matrix expressions (RNN unrolling, BPTT): the names and functions they may use.
MATRIX_FUNCTIONS = {"tanh", "relu", "sigmoid", "exp", "diag", "transpose"}
MATRIX_NAME_ALIASES = {
    "whh": "W_hh", "w_hh": "W_hh", "wxh": "W_xh", "w_xh": "W_xh", "b": "b", "b_h": "b",
    "bh": "b", "tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", "sigma": "sigmoid",
    "sig": "sigmoid", "exp": "exp", "diag": "diag", "transpose": "transpose",
}
MATRIX_INDEXED = re.compile(r"^([hx])_?(\d+)$")
MATRIX_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)"
                          r"|(?P<name>[A-Za-z][A-Za-z0-9_]*)|(?P<op>\*\*|[-+*/^(),]))")
RNN_HIDDEN, RNN_INPUT = 3, 2    # n, m for the random substitutions
MATRIX_TRIALS = 5


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------

def parse(raw: Any, form: Form | str, *, dims: int | None = None) -> Any:
    """Read a student's answer `raw` as the given form; AnswerParseError says why not.

    `dims` (SHAPE only): the number of dimensions the question asks for, for a clear message.
    """
    form = Form(form)
    if form is Form.SHAPE:
        return _shape(raw, dims)
    return _PARSERS[form](raw)


def compare(given: Any, expected: Any, form: Form | str,
            tolerance: Tolerance | None = None) -> Comparison:
    """Compare a `parse` result with the reference answer in its JSON form."""
    return _COMPARERS[Form(form)](given, expected, tolerance)


def numbers_close(given: float, expected: float, tol: Tolerance) -> bool:
    """|given − expected| <= abs + rel·|expected| (NaN and infinities never agree)."""
    if not (math.isfinite(given) and math.isfinite(expected)):
        return False
    allowed = tol.abs + tol.rel * abs(expected)
    # A hair of slack: 1.02 − 1.0 is 0.020000000000000018 in binary, and a value written
    # exactly at the boundary must count as inside it.
    return abs(given - expected) <= allowed + 1e-12 * max(1.0, abs(expected))


# ---------------------------------------------------------------------------------------------
# Notation: Unicode, full-width and LaTeX to plain ASCII math
# ---------------------------------------------------------------------------------------------

def _show(raw: Any) -> str:
    """The value as a message quotes it: strings in double quotes, cut at 40 characters."""
    text = raw if isinstance(raw, str) else repr(raw)
    text = " ".join(text.split())
    cut = text if len(text) <= 40 else text[:40] + "…"
    return f'"{cut}"' if isinstance(raw, str) else cut


def _text(raw: Any, what: str) -> str:
    """The raw answer as a string of bounded length, or AnswerParseError."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise AnswerParseError(f"{_show(raw)} is not {what}")
    text = str(raw)
    if len(text) > MAX_CHARS:
        raise AnswerParseError(f"{_show(raw)} is too long ({len(text):,} characters; "
                               f"the limit is {MAX_CHARS:,})")
    if not text.strip():
        raise AnswerParseError(f"the answer is empty; expected {what}")
    return text


def _ascii_math(text: str) -> str:
    """Unicode, full-width and LaTeX notation rewritten as plain ASCII math."""
    text = text.replace("ᵀ", "^T")                 # NFKC would make W_hhᵀ the name W_hhT
    text = SUPERSCRIPT_RUN.sub(lambda m: "^(" + m.group().translate(SUPERSCRIPTS) + ")", text)
    text = unicodedata.normalize("NFKC", text)      # full-width （，） and subscripts ₀₁
    for old, new in UNICODE_MATH:
        text = text.replace(old, new)
    text = ROOT_SIGN.sub(r"sqrt(\1)", text).replace("√", "sqrt")
    if match := DOLLARS.match(text):                # $...$, $$...$$, \(...\), \[...\]
        text = match.group(1)
    text = _latex_to_ascii(text)
    # Spaces collapse; line breaks stay, since they separate rows and list items.
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _latex_to_ascii(text: str) -> str:
    """\\frac, \\sqrt, \\text{..}, subscripts in braces, commands and braces made plain."""
    if "\\" not in text and "{" not in text:
        return text
    text = text.replace("\\\\", ";")             # a LaTeX line break ends a matrix row
    text = LATEX_ENVIRONMENT.sub(" ", text)
    text = LATEX_WRAPPERS.sub(r"\1", text)
    text = BRACED_SUBSCRIPT.sub(r"_\1", text)       # W_{hh} -> W_hh, not a call W_(hh)
    for old, new in LATEX_REPLACEMENTS:
        text = text.replace(old, new)
    text = _latex_groups(text)
    text = LATEX_COMMAND.sub(r"\1", text)
    return text.replace("{", "(").replace("}", ")")


def _latex_groups(text: str) -> str:
    """\\frac{a}{b} -> ((a)/(b)), \\sqrt{x} -> sqrt(x), \\sqrt[n]{x} -> root((x),(n))."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("\\frac", i):
            num, i = _latex_argument(text, i + 5)
            den, i = _latex_argument(text, i)
            out.append(f"(({_latex_groups(num)})/({_latex_groups(den)}))")
        elif text.startswith("\\sqrt", i):
            degree = None
            i += 5
            if text[i:i + 1] == "[":
                end = text.find("]", i)
                if end < 0:
                    raise AnswerParseError(f"{_show(text)} has an unclosed \\sqrt[")
                degree, i = text[i + 1:end], end + 1
            body, i = _latex_argument(text, i)
            body = _latex_groups(body)
            out.append(f"sqrt({body})" if degree is None else f"root(({body}),({degree}))")
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _latex_argument(text: str, i: int) -> tuple[str, int]:
    """The {braced} group (or single character) starting at i, and the index after it."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        raise AnswerParseError(f"{_show(text)} ends inside a LaTeX command")
    if text[i] != "{":
        return text[i], i + 1
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1:j], j + 1
    raise AnswerParseError(f"{_show(text)} has an unmatched {{")


# ---------------------------------------------------------------------------------------------
# Safe sympy
# ---------------------------------------------------------------------------------------------

class _TooSlow(BaseException):
    """Raised by the time limit; a BaseException so sympy's `except Exception` can't eat it."""


def _within(seconds: float, work: Callable[[], T]) -> T:
    """work() for at most `seconds`, else _TooSlow (see the module docstring for how)."""
    if (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0):
        return _within_alarm(seconds, work)
    return _within_thread(seconds, work)


def _within_alarm(seconds: float, work: Callable[[], T]) -> T:
    def expire(signum: int, frame: Any) -> None:
        raise _TooSlow()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return work()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _within_thread(seconds: float, work: Callable[[], T]) -> T:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as e:      # handed to the caller's thread below
            box["error"] = e
    worker = threading.Thread(target=run, daemon=True, name="answer-check")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _TooSlow()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _sympy(text: str, raw: Any) -> sympy.Expr:
    """Parse plain math text with sympy, safely; AnswerParseError names `raw` and why."""
    if bad := _FORBIDDEN.search(text):
        raise AnswerParseError(f"{_show(raw)} is not a valid expression "
                               f"({bad.group().strip()!r} is not allowed)")
    try:
        return _within(PARSE_SECONDS, lambda: _sympy_unlimited(text, raw))
    except _TooSlow:
        raise AnswerParseError(f"{_show(raw)} is too complex to check") from None


def _sympy_unlimited(text: str, raw: Any) -> sympy.Expr:
    local_dict = dict(_SAFE_LOCALS)
    try:
        code = stringify_expr(text, local_dict, _SAFE_GLOBALS, _TRANSFORMATIONS)
        tree = ast.parse(code, mode="eval")
    except Exception:       # tokenizer and syntax errors: unbalanced brackets, stray symbols
        raise AnswerParseError(f"{_show(raw)} is not a valid expression") from None
    _check_tree(tree, raw)
    try:
        value = eval_expr(code, local_dict, dict(_SAFE_GLOBALS))
    except AnswerParseError:
        raise
    except Exception as e:
        raise AnswerParseError(f"{_show(raw)} cannot be evaluated ({type(e).__name__})") from None
    if not isinstance(value, sympy.Expr):
        raise AnswerParseError(f"{_show(raw)} is not a single expression")
    return value


def _check_tree(tree: ast.AST, raw: Any) -> None:
    """Only arithmetic on whitelisted names; no exponent that builds a gigantic number."""
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise AnswerParseError(f"{_show(raw)} uses {type(node).__name__.lower()} syntax, "
                                   "which an answer may not")
        if isinstance(node, ast.Call):
            _check_call(node, raw)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            _check_power(node, raw)


def _check_call(node: ast.Call, raw: Any) -> None:
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if node.keywords or name not in (*_SAFE_FUNCTIONS, *_CONSTRUCTORS, "sigmoid", "relu"):
        raise AnswerParseError(f"{_show(raw)} calls something that is not a math function")
    for arg in node.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                and name not in _CONSTRUCTORS:
            raise AnswerParseError(f"{_show(raw)} is not a valid expression")


def _check_power(node: ast.BinOp, raw: Any) -> None:
    base, exponent = _constant(node.left), _constant(node.right)
    if exponent is None:
        return
    limit = MAX_EXPONENT if base is not None else MAX_SYMBOLIC_EXPONENT
    digits = abs(exponent) * math.log10(abs(base)) if base and math.isfinite(base) else 0.0
    overflowed = base is not None and math.isinf(base) and abs(exponent) > 1
    if abs(exponent) > limit or digits > MAX_DIGITS or overflowed:
        raise AnswerParseError(f"{_show(raw)} has an exponent too large to compute")


def _constant(node: ast.AST) -> float | None:
    """Float value of a constant subtree (inf when it overflows), None when it has a symbol."""
    match node:
        case ast.Constant(value=int() | float() as v):
            return _as_float(v)
        case ast.Call(func=ast.Name(id="Integer" | "Float" | "Rational"), args=[ast.Constant(v)]):
            return _as_float(v)
        case ast.Name(id="pi"):
            return math.pi
        case ast.Name(id="e" | "E"):
            return math.e
        case ast.UnaryOp(op=ast.USub(), operand=inner):
            value = _constant(inner)
            return None if value is None else -value
        case ast.BinOp(left=left, op=op, right=right):
            a, b = _constant(left), _constant(right)
            return None if a is None or b is None else _apply(op, a, b)
    return None


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def _apply(op: ast.operator, a: float, b: float) -> float:
    try:
        match op:
            case ast.Add(): return a + b
            case ast.Sub(): return a - b
            case ast.Mult(): return a * b
            case ast.Div(): return a / b if b else math.inf
            case ast.Pow(): return abs(a) ** b if a or b > 0 else math.inf
    except OverflowError:
        return math.inf
    return math.nan


# ---------------------------------------------------------------------------------------------
# Parsers, one per form
# ---------------------------------------------------------------------------------------------

def _number_text(raw: Any) -> str:
    """The part of a written number that is the number: `= 896 params` -> `896`."""
    text = " ".join(_ascii_math(_text(raw, "a number")).split())
    text = re.split(r"=|≈", text)[-1].strip().lstrip("~")    # `... = 896`: the last value
    text = LEADING_LABEL.sub("", text)
    text = text.removesuffix("%").strip()           # accuracies are in percent already
    if (words := TRAILING_WORDS.search(text)) and words.group(1).strip() not in \
            KEPT_TRAILING_WORDS:
        text = text[:words.start()].strip()         # `896 params`, `0.5 per head`
    if match := THOUSANDS.match(text):
        text = text.replace(match.group("sep"), "")
    return text


def _exact_number(raw: Any) -> sympy.Expr:
    """A constant sympy value for a written number, or AnswerParseError."""
    text = _number_text(raw)
    if not text:
        raise AnswerParseError(f"{_show(raw)} is not a number")
    if NONFINITE_WORDS.search(text):
        raise AnswerParseError(f"{_show(raw)} is not a finite number")
    value = _sympy(text, raw)
    if value.free_symbols:
        names = ", ".join(sorted(map(str, value.free_symbols)))
        raise AnswerParseError(f"{_show(raw)} is not a number (it contains {names})")
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise AnswerParseError(f"{_show(raw)} is not a finite number")
    return value


def _finite(value: float, raw: Any) -> float:
    if not math.isfinite(value):
        raise AnswerParseError(f"{_show(raw)} is not a finite number")
    return value


def _number(raw: Any) -> float:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return _finite(_as_float(raw), raw)
    value = _exact_number(raw)
    try:        # evalf of exp(exp(exp(10))) can take long or overflow
        result = _within(PARSE_SECONDS, lambda: complex(value.evalf(20)))
    except _TooSlow:
        raise AnswerParseError(f"{_show(raw)} is too complex to check") from None
    except OverflowError:
        raise AnswerParseError(f"{_show(raw)} is not a finite number") from None
    except (TypeError, ValueError):
        raise AnswerParseError(f"{_show(raw)} is not a number") from None
    if abs(result.imag) > 1e-12 * max(1.0, abs(result.real)):
        raise AnswerParseError(f"{_show(raw)} is not a real number")
    return _finite(result.real, raw)


def _int(raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        value = _exact_number(raw)
        if value.is_Integer:
            return int(value)       # exact: `3*3*3*32+32`, `11,279,112`, 10**20
    number = _number(raw)
    if abs(number - round(number)) > 1e-9 * max(1.0, abs(number)):
        raise AnswerParseError(f"{_show(raw)} is not a whole number")
    return int(round(number))


def _dimension(token: Any, raw: Any) -> int:
    """One dimension of a shape: a positive whole number."""
    if isinstance(token, str):
        token = token.strip()
    try:
        value = _int(token)
    except AnswerParseError:
        raise AnswerParseError(f"{_show(raw)} is not a shape ({_show(token)} is not a "
                               "whole number)") from None
    if value < 1:
        raise AnswerParseError(f"{_show(raw)} is not a shape ({value} is not a dimension)")
    return value


def _shape(raw: Any, dims: int | None = None) -> tuple[int, ...]:
    """`30×30×64`, `(30, 30, 64)`, `[30,30,64]`, `（30，30，64）`, `(None, 30, 30, 64)`."""
    if isinstance(raw, (list, tuple)):
        tokens = list(raw)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        tokens = [raw]
    else:
        text = _ascii_math(_text(raw, "a shape")).strip()
        text = re.sub(r"^[\[(]\s*(.*?)\s*[\])]$", r"\1", text)
        tokens = [t for t in SHAPE_SEPARATOR.split(text) if t]
    if len(tokens) > 1 and str(tokens[0]).strip().lower() in BATCH_MARKERS:
        tokens = tokens[1:]         # Keras prints (None, H, W, C), torchsummary [-1, C, H, W]
    if not tokens:
        raise AnswerParseError(f"{_show(raw)} is not a shape")
    shape = tuple(_dimension(t, raw) for t in tokens)
    if dims is not None and len(shape) != dims:
        named = " (H×W×C)" if dims == 3 else ""
        raise AnswerParseError(f"{_show(raw)} has {len(shape)} dimension"
                               f"{'s' if len(shape) != 1 else ''}; expected {dims}{named}")
    return shape


def _shape_or_int(item: Any) -> tuple[int, ...] | int:
    """One element of a SHAPES answer: a bare whole number is a flatten/dense output size."""
    if isinstance(item, int) and not isinstance(item, bool):
        return item
    if isinstance(item, str) and re.fullmatch(r"\s*\d[\d_]*\s*", item):
        return _int(item)       # `3,136` here is a 2-D shape: commas separate dimensions
    return _shape(item)


def _shapes(raw: Any) -> list[tuple[int, ...] | int]:
    """A list of shapes: a TOML array, or `32x32x32, 16x16x32` / `;` / newline separated."""
    if isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        text = _ascii_math(_text(raw, "a list of shapes")) if isinstance(raw, str) else raw
        if isinstance(text, str) and re.fullmatch(r"\[\s*[\[(].*[\])]\s*\]", text, re.S):
            text = text[1:-1]       # [[32,32,32],[16,16,32]]: the outer list
        separators = ";\n" if re.search(r"[;\n]", str(text)) else ",;\n"
        items = [t.strip() for t in _split_top(str(text), separators) if t.strip()]
    if not items:
        raise AnswerParseError(f"{_show(raw)} is not a list of shapes")
    return [_shape_or_int(item) for item in items]


def _split_top(text: str, separators: str) -> list[str]:
    """Split at separator characters outside (), [] and {}."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += 1 if char in "([{" else -1 if char in ")]}" else 0
        if depth == 0 and char in separators:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _matrix(raw: Any) -> list[list[float]]:
    """Nested lists (TOML arrays or `[[1, 2], [3, 4]]`), `[1 2; 3 4]`, rows on lines."""
    if isinstance(raw, (list, tuple)):
        rows = [list(r) if isinstance(r, (list, tuple)) else None for r in raw]
        rows = [list(raw)] if all(r is None for r in rows) else rows    # a flat vector: one row
        if any(r is None for r in rows):
            raise AnswerParseError(f"{_show(raw)} mixes rows and numbers; expected a matrix")
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        rows = [[raw]]
    else:
        rows = _matrix_rows(_ascii_math(_text(raw, "a matrix")))
    if not rows or not rows[0]:
        raise AnswerParseError(f"{_show(raw)} is not a matrix")
    if len({len(r) for r in rows}) > 1:
        lengths = ", ".join(str(len(r)) for r in rows)
        raise AnswerParseError(f"{_show(raw)} has rows of {lengths} entries; "
                               "a matrix needs rows of equal length")
    return [[_number(entry) for entry in row] for row in rows]


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
    if re.fullmatch(r"\[.*\]|\(.*\)", body, re.S) and len(_split_top(body, " ")) == 1:
        body = body[1:-1]           # [1 2; 3 4]: the outer bracket
    rows = [r.strip() for r in _split_top(body, ";\n") if r.strip()]
    if len(rows) == 1 and re.fullmatch(r"\s*[\[(].*[\])]\s*", rows[0]):
        rows = [g for g in _split_top(rows[0], ", ") if g.strip()]     # [1 2] [3 4]
    return [_row_entries(r) for r in rows]


def _row_entries(row: str) -> list[str]:
    row = re.sub(r"^[\[(](.*)[\])]$", r"\1", row.strip()).strip()
    separators = "&" if "&" in row else "," if "," in row else " "
    return [e.strip() for e in _split_top(row, separators) if e.strip()]


def _expression(raw: Any) -> sympy.Expr:
    """A sympy expression: `(x+1)^2`, `\\frac{1}{\\sqrt{d_k}}`, `e^{1/√2}`, `h_2 = ...`."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return sympy.sympify(_finite(_as_float(raw), raw))
    text = " ".join(_ascii_math(_text(raw, "an expression")).split())
    text = text.split("=")[-1].split("≈")[0].strip()    # `y = ...`; `√2/2 ≈ 0.707`
    if not text:
        raise AnswerParseError(f"{_show(raw)} is not an expression")
    value = _sympy(text, raw)
    if value.has(sympy.zoo, sympy.nan):
        raise AnswerParseError(f"{_show(raw)} is not a finite expression")
    return value


def _choice(raw: Any) -> str:
    """`(b)`, `B`, `b)`, `Option B` -> `b`; `A and C` -> `a,c`; other text case-folded."""
    text = unicodedata.normalize("NFKC", _text(raw, "a choice")).strip().casefold()
    text = re.sub(r"^(?:option|answer|choice)\s*[:\-]?\s*", "", text)
    tokens = [t.strip("()[]{}.: ") for t in re.split(r"[\s,;/&]+|\band\b", text)]
    tokens = [t for t in tokens if t]
    if tokens and all(len(t) == 1 and t.isalpha() for t in tokens):
        return ",".join(sorted(set(tokens)))
    return " ".join(text.rstrip(".").split())


def _free_text(raw: Any) -> str:
    return " ".join(_text(raw, "text").split())


def _table(raw: Any) -> list[list[Any]]:
    """Per-layer rows [name, shape, params] from a TOML array or lines of `a | shape | n`."""
    if isinstance(raw, str):
        rows = _table_rows(_text(raw, "a table"))
    elif isinstance(raw, (list, tuple)):
        rows = [_row_cells(r) for r in raw]
    else:
        raise AnswerParseError(f"{_show(raw)} is not a table")
    if not rows:
        raise AnswerParseError(f"{_show(raw)} is not a table")
    return [[str(name).strip(), _shape(shape), _params(params)] for name, shape, params in rows]


def _row_cells(row: Any) -> list[Any]:
    if isinstance(row, dict):
        row = [row.get("name", row.get("layer", "")), row.get("shape", row.get("output")),
               row.get("params", row.get("parameters"))]
    if not isinstance(row, (list, tuple)) or len(row) != 3 or row[1] is None:
        raise AnswerParseError(f"table row {_show(row)} is not [name, shape, params]")
    return list(row)


def _table_rows(text: str) -> list[list[Any]]:
    rows = []
    for line in (ln.strip().strip("|") for ln in re.split(r"[\n;]", text)):
        if not line or re.fullmatch(r"[\s|:+=-]+", line):
            continue            # blank or a Markdown / ASCII-art rule
        pasted = TORCHSUMMARY_ROW.fullmatch(line)
        if "|" in line or "\t" in line:
            cells = [c.strip() for c in re.split(r"[|\t]", line)]
        elif pasted:            # torchsummary's own columns, pasted: `Conv2d-1  [-1, 6, 28, 28]  156`
            cells = list(pasted.groups())
        else:
            cells = [c.strip() for c in _split_top(line, ",")]
            cells = cells[:2] + [",".join(cells[2:])]       # `conv1, (32,32,64), 1,792`
        if len(cells) != 3:
            raise AnswerParseError(f"table row {_show(line)} is not name | shape | params")
        if not rows and not re.search(r"\d", cells[2]):
            continue            # a header line
        rows.append(cells)
    return rows


def _params(cell: Any) -> int:
    if isinstance(cell, str) and cell.strip() in EMPTY_PARAMS:
        return 0                # torchsummary prints `--` for a layer without parameters
    value = _int(cell)
    if value < 0:
        raise AnswerParseError(f"{_show(cell)} is not a parameter count")
    return value


def _matrix_expression(raw: Any) -> str:
    """Normalized matrix expression, e.g. `tanh(W_hh*h0 + W_xh*x1 + b)`."""
    text = _ascii_math(_text(raw, "a matrix expression")).replace("@", "*")
    text = text.split("=")[-1].strip()
    tokens = _matrix_tokens(text, raw)
    for (kind, value), after in zip(tokens, tokens[1:] + [("end", "")]):
        if value in MATRIX_FUNCTIONS and after != ("op", "("):
            raise AnswerParseError(f"{_show(raw)}: {value} needs parentheses, as in {value}(...)")
    normalized = _join_matrix_tokens(_implicit_products(_transposes(tokens)))
    try:
        tree = ast.parse(normalized, mode="eval")
    except SyntaxError:
        raise AnswerParseError(f"{_show(raw)} is not a valid expression") from None
    _check_matrix_tree(tree, raw)
    return normalized


def _matrix_tokens(text: str, raw: Any) -> list[tuple[str, str]]:
    """(kind, text) tokens with names made canonical: Whh/W_{hh} -> W_hh, h_0 -> h0."""
    tokens, i = [], 0
    while i < len(text.rstrip()):
        match = MATRIX_TOKEN.match(text, i)
        if not match:
            raise AnswerParseError(f"{_show(raw)} has {text[i:].strip()[:1]!r}, which a matrix "
                                   "expression may not")
        kind = match.lastgroup or "op"
        value = match.group(kind)
        if kind == "name":
            value = _matrix_name(value, raw)
        tokens.append((kind, "**" if value == "^" else value))
        i = match.end()
    return tokens


def _matrix_name(name: str, raw: Any) -> str:
    if indexed := MATRIX_INDEXED.match(name):
        return indexed.group(1) + str(int(indexed.group(2)))
    if name == "T":
        return name             # the transpose mark in W_hh^T
    canonical = MATRIX_NAME_ALIASES.get(name.lower())
    if canonical is None:
        raise AnswerParseError(f"{_show(raw)} uses {name!r}; a matrix expression may use W_hh, "
                               "W_xh, b, h0, h1, ..., x1, x2, ... and "
                               + ", ".join(sorted(MATRIX_FUNCTIONS)))
    return canonical


def _transposes(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`W_hh ** T` (from W_hh^T, W_hhᵀ, W_hh^\\top) -> `transpose ( W_hh )`."""
    out: list[tuple[str, str]] = []
    for token in tokens:
        if token == ("name", "T") and len(out) >= 2 and out[-1] == ("op", "**") \
                and out[-2][0] == "name":
            out[-2:] = [("name", "transpose"), ("op", "("), out[-2], ("op", ")")]
        else:                           # a lone T fails the name check in _check_matrix_tree
            out.append(token)
    return out


def _implicit_products(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`W_hh h0`, `W_hh(h0)`, `2 tanh(...)`: insert the `*` a reader sees."""
    out: list[tuple[str, str]] = []
    for token in tokens:
        if out and _ends_operand(out[-1]) and _starts_operand(token):
            out.append(("op", "*"))
        out.append(token)
    return out


def _ends_operand(token: tuple[str, str]) -> bool:
    kind, value = token
    return kind == "num" or (kind == "name" and value not in MATRIX_FUNCTIONS) or value == ")"


def _starts_operand(token: tuple[str, str]) -> bool:
    kind, value = token
    return kind in ("num", "name") or value == "("


def _join_matrix_tokens(tokens: list[tuple[str, str]]) -> str:
    out = []
    for index, (kind, value) in enumerate(tokens):
        binary = index > 0 and _ends_operand(tokens[index - 1])
        out.append(f" {value} " if value in "+-" and binary else value)
    return "".join(out).replace(",", ", ")


def _check_matrix_tree(tree: ast.AST, raw: Any) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and not (
                isinstance(node.func, ast.Name) and node.func.id in MATRIX_FUNCTIONS
                and len(node.args) == 1 and not node.keywords):
            raise AnswerParseError(f"{_show(raw)}: only tanh(...), relu(...), sigmoid(...), "
                                   "exp(...), diag(...), transpose(...) may be called")
        if isinstance(node, ast.Name) and node.id == "T":
            raise AnswerParseError(f"{_show(raw)}: write a transpose as W_hh^T")


_PARSERS: dict[Form, Callable[[Any], Any]] = {
    Form.INT: _int, Form.NUMBER: _number, Form.SHAPES: _shapes, Form.MATRIX: _matrix,
    Form.EXPRESSION: _expression, Form.MATRIX_EXPRESSION: _matrix_expression,
    Form.CHOICE: _choice, Form.TABLE: _table, Form.TEXT: _free_text,
}


# ---------------------------------------------------------------------------------------------
# Comparers, one per form
# ---------------------------------------------------------------------------------------------

def _verdict(ok: bool, yes: str, no: str, parts: tuple[bool, ...] = ()) -> Comparison:
    return Comparison(1.0 if ok else 0.0, parts, yes if ok else no)


def _scalar_close(given: float, expected: Any, tolerance: Tolerance | None) -> Comparison:
    """Integers compare exactly unless a tolerance is given; floats within the tolerance."""
    if isinstance(expected, str):
        expected = _number(expected)    # an instructor's exact "1/2" or "sqrt(2)/2"
    if isinstance(expected, int) and not isinstance(expected, bool) and tolerance is None:
        return _verdict(given == expected, "equal", "not equal (whole numbers compare exactly)")
    tol = tolerance or DEFAULT_TOLERANCE
    allowed = f"±({tol.abs:g} + {tol.rel:g}·|expected|)"
    return _verdict(numbers_close(float(given), float(expected), tol),
                    f"within tolerance {allowed}", f"outside tolerance {allowed}")


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


def _same_shape(given: Any, expected: Any) -> bool:
    """Shapes equal; a one-dimensional shape (3136,) also equals the flatten size 3136."""
    want = _expected_shape(expected)
    have = tuple(given) if isinstance(given, (list, tuple)) else given
    if isinstance(want, int) != isinstance(have, int):
        one_d = have if isinstance(want, int) else want
        scalar = want if isinstance(want, int) else have
        return isinstance(one_d, tuple) and one_d == (scalar,)
    return have == want


def _times(shape: Any) -> str:
    return "×".join(map(str, shape)) if isinstance(shape, (list, tuple)) else str(shape)


def _compare_shape(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    want = _expected_shape(expected)
    want = want if isinstance(want, tuple) else (want,)
    if len(given) != len(want):
        return Comparison(0.0, (), f"{len(want)} dimensions expected, {len(given)} given")
    parts = tuple(g == w for g, w in zip(given, want))
    return _verdict(all(parts), "equal", f"{parts.count(False)} of {len(parts)} dimensions "
                    "differ", parts)


def _compare_shapes(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    expected = expected if isinstance(expected, list) else [expected]
    parts = tuple(i < len(given) and _same_shape(given[i], e) for i, e in enumerate(expected))
    detail = f"{sum(parts)} of {len(parts)} shapes correct"
    if len(given) != len(expected):
        detail += f"; {len(given)} given, {len(expected)} expected"
    return Comparison(sum(parts) / len(parts) if parts else 0.0, parts, detail)


def _compare_matrix(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    want = _matrix(expected)
    have = [list(row) for row in given]
    shape_have, shape_want = (len(have), len(have[0])), (len(want), len(want[0]))
    if shape_have != shape_want and 1 in shape_have and shape_have[::-1] == shape_want:
        have = [list(col) for col in zip(*have)]    # a vector written as a row, or a column
    elif shape_have != shape_want:
        return Comparison(0.0, (), f"shape {_times(shape_want)} expected, "
                          f"{_times(shape_have)} given")
    tol = tolerance or DEFAULT_TOLERANCE
    parts = tuple(numbers_close(g, e, tol) for hr, wr in zip(have, want) for g, e in zip(hr, wr))
    return Comparison(sum(parts) / len(parts), parts,
                      f"{sum(parts)} of {len(parts)} entries within tolerance")


def _compare_table(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    parts: list[bool] = []
    for i, (_, shape, params) in enumerate(expected):
        row = given[i] if i < len(given) else None
        parts.append(row is not None and _same_shape(row[1], shape))
        parts.append(row is not None and row[2] == int(params))
    detail = f"{sum(parts)} of {len(parts)} table cells correct (shape and parameters per row)"
    if len(given) != len(expected):
        detail += f"; {len(given)} rows given, {len(expected)} expected"
    return Comparison(sum(parts) / len(parts) if parts else 0.0, tuple(parts), detail)


def _compare_expression(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    want = expected if isinstance(expected, sympy.Basic) else _expression(expected)
    have = given if isinstance(given, sympy.Basic) else _expression(given)
    ok, how = _expressions_equal(have, want)
    return _verdict(ok, how, how)


def _expressions_equal(a: sympy.Expr, b: sympy.Expr) -> tuple[bool, str]:
    """simplify(a − b) == 0, else a.equals(b), else agreement at seeded random points."""
    if a == b:
        return True, "equal"
    for attempt in (lambda: sympy.simplify(a - b) == 0, lambda: a.equals(b) is True):
        try:
            if _within(SIMPLIFY_SECONDS, attempt):
                return True, "equal (sympy proves it)"
        except _TooSlow:
            pass
        except Exception:       # sympy gives up on some inputs; the numbers below decide
            pass
    try:
        agree = _within(NUMERIC_SECONDS, lambda: _agree_numerically(a, b))
    except _TooSlow:
        raise AnswerParseError(f"{_show(str(a))} is too complex to check") from None
    if agree is None:
        return False, "could not be evaluated to check it"
    return agree, ("equal at random values of its symbols" if agree
                   else "not equal to the expected expression")


def _agree_numerically(a: sympy.Expr, b: sympy.Expr) -> bool | None:
    """True/False from seeded random substitutions; None when too few points evaluate."""
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(NUMERIC_SEED)
    checked = 0
    for _ in range(12):
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


def _compare_matrix_expression(given: Any, expected: Any,
                               tolerance: Tolerance | None) -> Comparison:
    want = _matrix_expression(expected)
    have = given if isinstance(given, str) else _matrix_expression(given)
    for values in _rnn_substitutions(have + " " + want):
        try:
            got = np.asarray(evaluate_unrolled(have, values), dtype=float)
        except Exception as e:      # the student's shapes don't fit: a wrong answer
            return Comparison(0.0, (), f"does not evaluate: {e}")
        ref = np.asarray(evaluate_unrolled(want, values), dtype=float)
        if got.shape != ref.shape:
            return Comparison(0.0, (), f"gives a {_times(got.shape)} result, "
                              f"{_times(ref.shape)} expected")
        if not np.allclose(got, ref, rtol=1e-9, atol=1e-12):
            return Comparison(0.0, (), "differs from the expected expression at random values")
    return Comparison(1.0, (), f"equal at {MATRIX_TRIALS} random substitutions")


def _compare_choice(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    return _verdict(_choice(given) == _choice(expected), "equal", "a different choice")


def _compare_text(given: Any, expected: Any, tolerance: Tolerance | None) -> Comparison:
    same = _free_text(given).casefold() == _free_text(expected).casefold()
    return _verdict(same, "equal", "different text")


_COMPARERS: dict[Form, Callable[[Any, Any, Tolerance | None], Comparison]] = {
    Form.INT: _compare_int, Form.NUMBER: _compare_number, Form.SHAPE: _compare_shape,
    Form.SHAPES: _compare_shapes, Form.MATRIX: _compare_matrix, Form.TABLE: _compare_table,
    Form.EXPRESSION: _compare_expression, Form.MATRIX_EXPRESSION: _compare_matrix_expression,
    Form.CHOICE: _compare_choice, Form.TEXT: _compare_text,
}


# ---------------------------------------------------------------------------------------------
# Matrix expressions: random substitutions
# ---------------------------------------------------------------------------------------------

def _rnn_substitutions(names_from: str) -> list[dict[str, np.ndarray]]:
    """MATRIX_TRIALS seeded draws of W_hh, W_xh, b, h0.., x1.. for the indices used."""
    hidden = {int(i) for i in re.findall(r"\bh(\d+)\b", names_from)} | {0}
    inputs = {int(i) for i in re.findall(r"\bx(\d+)\b", names_from)} | {1}
    draws = []
    for seed in range(MATRIX_TRIALS):
        rng = np.random.default_rng(seed)
        n, m = RNN_HIDDEN, RNN_INPUT
        values = {"W_hh": rng.normal(0, 0.6, (n, n)), "W_xh": rng.normal(0, 0.6, (n, m)),
                  "b": rng.normal(0, 0.3, (n, 1))}
        values |= {f"h{i}": rng.uniform(-0.9, 0.9, (n, 1)) for i in sorted(hidden)}
        values |= {f"x{t}": rng.normal(0, 1, (m, 1)) for t in sorted(inputs)}
        draws.append(values)
    return draws
