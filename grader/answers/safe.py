"""Safe sympy: sympy's parser in its two halves with a Python-AST check between, under a
time limit (see the package docstring for how the limit is enforced)."""
from __future__ import annotations

import ast
import math
import re
import signal
import threading
from typing import Any, Callable, TypeVar

import sympy
from sympy.parsing.sympy_parser import (
    auto_number, auto_symbol, convert_xor, eval_expr, implicit_application,
    implicit_multiplication, stringify_expr,
)

from grader.answers.forms import (MAX_DIGITS, MAX_EXPONENT, MAX_SYMBOLIC_EXPONENT,
                                  PARSE_SECONDS, show)
from grader.errors import AnswerParseError
from grader.i18n import _

T = TypeVar("T")

# sympy names an expression may use; anything else is a plain symbol (`d_k`, `x`, `alpha`).
SAFE_FUNCTIONS: dict[str, Any] = {
    "sqrt": sympy.sqrt, "root": sympy.root, "exp": sympy.exp, "log": sympy.log,
    "ln": sympy.log, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "tanh": sympy.tanh,
    "sinh": sympy.sinh, "cosh": sympy.cosh, "sech": sympy.sech, "csch": sympy.csch,
    "coth": sympy.coth, "sec": sympy.sec, "csc": sympy.csc, "cot": sympy.cot,
    "abs": sympy.Abs, "Abs": sympy.Abs,
    "max": sympy.Max, "min": sympy.Min, "Max": sympy.Max, "Min": sympy.Min,
}
_X = sympy.Symbol("_x")
SAFE_LOCALS: dict[str, Any] = {
    "pi": sympy.pi, "e": sympy.E, "E": sympy.E,
    "sigmoid": sympy.Lambda(_X, 1 / (1 + sympy.exp(-_X))),
    "relu": sympy.Lambda(_X, sympy.Max(0, _X)),
}
_CONSTRUCTORS = {"Symbol": sympy.Symbol, "Integer": sympy.Integer, "Float": sympy.Float,
                 "Rational": sympy.Rational}
SAFE_GLOBALS: dict[str, Any] = {"__builtins__": {}, **_CONSTRUCTORS, **SAFE_FUNCTIONS}
_TRANSFORMATIONS = (auto_symbol, auto_number, convert_xor, implicit_multiplication,
                    implicit_application)   # no factorial_notation: `10**6!` would hang
_FORBIDDEN = re.compile(r"__|\blambda\b|\bimport\b|['\"\\\[\]{};:=<>!&|~`$#@%]"
                        r"|[A-Za-z_)]\s*\.\s*[A-Za-z_]")
_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant,
                  ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


class TooSlow(BaseException):
    """Raised by the time limit; a BaseException so sympy's `except Exception` can't eat it."""


def within(seconds: float, work: Callable[[], T]) -> T:
    """work() for at most `seconds`, else TooSlow (see the module docstring for how)."""
    if (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0):
        return _within_alarm(seconds, work)
    return _within_thread(seconds, work)


def _within_alarm(seconds: float, work: Callable[[], T]) -> T:
    def expire(signum: int, frame: Any) -> None:
        raise TooSlow()
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
        raise TooSlow()
    if "error" in box:
        raise box["error"]
    return box["value"]


def sympy_parse(text: str, raw: Any) -> sympy.Expr:
    """Parse plain math text with sympy, safely; AnswerParseError names `raw` and why."""
    if bad := _FORBIDDEN.search(text):
        message = _("{answer} is not a valid expression ({part} is not allowed)")
        raise AnswerParseError(message.format(answer=show(raw), part=repr(bad.group().strip())))
    try:
        return within(PARSE_SECONDS, lambda: _sympy_unlimited(text, raw))
    except TooSlow:
        raise AnswerParseError(_("{answer} is too complex to check").format(
            answer=show(raw))) from None


def _sympy_unlimited(text: str, raw: Any) -> sympy.Expr:
    local_dict = dict(SAFE_LOCALS)
    try:
        code = stringify_expr(text, local_dict, SAFE_GLOBALS, _TRANSFORMATIONS)
        tree = ast.parse(code, mode="eval")
    except Exception:       # tokenizer and syntax errors: unbalanced brackets, stray symbols
        raise AnswerParseError(_("{answer} is not a valid expression").format(
            answer=show(raw))) from None
    _check_tree(tree, raw)
    try:
        value = eval_expr(code, local_dict, dict(SAFE_GLOBALS))
    except AnswerParseError:
        raise
    except Exception as e:
        raise AnswerParseError(_("{answer} cannot be evaluated ({error})").format(
            answer=show(raw), error=type(e).__name__)) from None
    if not isinstance(value, sympy.Expr):
        raise AnswerParseError(_("{answer} is not a single expression").format(answer=show(raw)))
    return value


def _check_tree(tree: ast.AST, raw: Any) -> None:
    """Only arithmetic on whitelisted names; no exponent that builds a gigantic number."""
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            message = _("{answer} uses {syntax} syntax, which an answer may not")
            raise AnswerParseError(message.format(answer=show(raw),
                                                  syntax=type(node).__name__.lower()))
        if isinstance(node, ast.Call):
            _check_call(node, raw)
            _check_literal(node, raw)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            _check_power(node, raw)


def _check_call(node: ast.Call, raw: Any) -> None:
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if node.keywords or name not in (*SAFE_FUNCTIONS, *_CONSTRUCTORS, "sigmoid", "relu"):
        raise AnswerParseError(_("{answer} calls something that is not a math function").format(
            answer=show(raw)))
    for arg in node.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                and name not in _CONSTRUCTORS:
            raise AnswerParseError(_("{answer} is not a valid expression").format(answer=show(raw)))


_EXPONENT = re.compile(r"[eE]([+-]?\d+)$")


def _check_literal(node: ast.Call, raw: Any) -> None:
    """`1e999999` becomes Float('1e999999'), whose exact value sympy builds with big-integer
    arithmetic in C: a minute the time limit cannot interrupt. Refused before it is built."""
    text = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
    if not isinstance(text, str):
        return
    exponent = _EXPONENT.search(text)
    digits = sum(c.isdigit() for c in (text[:exponent.start()] if exponent else text))
    if (exponent and abs(int(exponent.group(1))) > MAX_EXPONENT) or digits > MAX_DIGITS:
        raise AnswerParseError(_("{answer} has an exponent too large to compute").format(
            answer=show(raw)))


def _check_power(node: ast.BinOp, raw: Any) -> None:
    base, exponent = _constant(node.left), _constant(node.right)
    if exponent is None:
        return
    limit = MAX_EXPONENT if base is not None else MAX_SYMBOLIC_EXPONENT
    digits = abs(exponent) * math.log10(abs(base)) if base and math.isfinite(base) else 0.0
    overflowed = base is not None and math.isinf(base) and abs(exponent) > 1
    if abs(exponent) > limit or digits > MAX_DIGITS or overflowed:
        raise AnswerParseError(_("{answer} has an exponent too large to compute").format(
            answer=show(raw)))


def _constant(node: ast.AST) -> float | None:
    """Float value of a constant subtree (inf when it overflows), None when it has a symbol."""
    match node:
        case ast.Constant(value=int() | float() as v):
            return as_float(v)
        case ast.Call(func=ast.Name(id="Integer" | "Float" | "Rational"), args=[ast.Constant(v)]):
            return as_float(v)
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


def as_float(value: Any) -> float:
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

