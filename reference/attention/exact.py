"""Exact numbers for attention (reading "√2/2", showing results), and the conventions every
attention module follows.

Conventions, as in "Attention Is All You Need" (Vaswani et al., 2017):

- Tokens are ROW vectors. Q is n_q×d_k, K is n_k×d_k, V is n_k×d_v, and
  Attention(Q, K, V) = softmax(QKᵀ/√d_k)·V is n_q×d_v; the softmax runs along each ROW
  (over the keys), so every row of the weights sums to 1.
- Projections multiply on the right: Q_i = X·W_i^Q with W_i^Q of shape d_model×d_k, and
  MultiHead(X) = Concat(head_1, …, head_h)·W^O with W^O of shape h·d_v×d_model. (PyTorch stores
  the transposes: `nn.Linear.weight` is out×in because it computes x·Wᵀ.)
- A mask has the shape of the scores, n_q×n_k: true/1 = the query may attend to that key,
  false/0 = the score is replaced by −∞ before the softmax, so its weight is exactly 0 (the
  boolean `attn_mask` convention of `torch.nn.functional.scaled_dot_product_attention`).
  The string "causal" keeps key j for query i when j ≤ i (top-left aligned, like `is_causal`).
  Masked entries of the `scaled` matrix are reported as the string "-inf" (JSON has no −∞);
  `scores` is the raw QKᵀ, before any mask.

Inputs are numbers or nested lists of them: ints, fractions, floats, or exact strings such as
"1/2", "sqrt(2)/2", "-3/4", "√2/2". Strings are parsed by a small arithmetic grammar, never by
eval. Ints, strings and short decimals (at most 6 digits after the point, e.g. 0.25) are exact;
other floats are kept as floating point. When every input is exact, so is every result:
`Worked.exact` is a sympy Matrix with e.g. e^{√2/2} in it; `Worked.answer` holds floats rounded
to 6 decimals.
"""
from __future__ import annotations

import ast
import math
import numbers
import re
from fractions import Fraction
from typing import Any, Callable, Sequence

import sympy
from sympy.printing.str import StrPrinter


DECIMALS = 6
NEG_INF = "-inf"  # how a masked (−∞) score appears in a JSON-ready answer

_LONG = 160  # a closed form longer than this is shown only as ≈ decimals in a step
_SHORT_DECIMAL = 6  # floats with at most this many digits after the point are taken as exact
_FUNCTIONS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "sqrt": sympy.sqrt, "exp": sympy.exp, "log": sympy.log, "ln": sympy.log,
}
_CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "e": sympy.E}
_ROOT = re.compile(r"√\s*(?:(\d+(?:\.\d*)?|[A-Za-z_]\w*\b(?!\s*\())|\()")  # √2, √x, √(
_BINARY = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
}


# ---------------------------------------------------------------------------------------------
# Reading numbers and matrices
# ---------------------------------------------------------------------------------------------

def parse_number(value: Any, where: str = "value") -> sympy.Expr:
    """One real number as sympy: exact for ints, fractions, strings and short decimals."""
    if isinstance(value, bool):
        raise ValueError(f"{where} = {value!r} is not a number")
    if isinstance(value, numbers.Integral):
        return sympy.Integer(int(value))
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, numbers.Real) and not isinstance(value, sympy.Basic):
        return _float(float(value), where)
    if isinstance(value, str):
        return _parse_string(value, where)
    if isinstance(value, sympy.Basic) and value.is_number:
        return _checked(value, value, where)
    raise ValueError(f"{where} = {value!r} is not a number")


def parse_matrix(value: Any, name: str) -> sympy.Matrix:
    """A nested list (or array) of numbers as a sympy Matrix; a flat list is one row."""
    if hasattr(value, "tolist"):  # numpy arrays and torch tensors
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return sympy.Matrix([[parse_number(value, name)]])
    if not value:
        raise ValueError(f"{name} is empty")
    if all(not isinstance(row, (list, tuple)) for row in value):
        value = [value]  # a 1-D vector is a single row
    rows: list[list[sympy.Expr]] = []
    for i, row in enumerate(value):
        if not isinstance(row, (list, tuple)):
            raise ValueError(f"{name}[{i}] = {row!r} is not a row of numbers")
        rows.append([parse_number(x, f"{name}[{i}][{j}]") for j, x in enumerate(row)])
    widths = {len(row) for row in rows}
    if len(widths) != 1 or 0 in widths:
        raise ValueError(f"{name} rows have different lengths {sorted(widths)}: not a matrix")
    return sympy.Matrix(rows)


def _float(x: float, where: str) -> sympy.Expr:
    if not math.isfinite(x):
        raise ValueError(f"{where} = {x!r} is not a finite number")
    text = repr(x)
    if "e" not in text and "." in text and len(text.split(".")[1]) <= _SHORT_DECIMAL:
        return sympy.Rational(text)
    return sympy.Float(x)


def _parse_string(text: str, where: str) -> sympy.Expr:
    cleaned = (text.strip().replace("−", "-").replace("×", "*").replace("·", "*")
               .replace("^", "**"))
    cleaned = _ROOT.sub(lambda m: f"sqrt({m.group(1)})" if m.group(1) else "sqrt(", cleaned)
    if len(cleaned) > 200:
        raise ValueError(f"{where} = {text!r} is too long for a number")
    try:
        tree = ast.parse(cleaned, mode="eval")
        value = _exact(tree.body, where, text)
    except (SyntaxError, RecursionError):
        raise ValueError(f"{where} = {text!r} is not a number") from None
    return _checked(value, text, where)


def _exact(node: ast.AST, where: str, text: str) -> sympy.Expr:
    """Arithmetic on exact numbers only: literals, + − × ÷ **, sqrt/exp/log, pi, e."""
    def bad() -> ValueError:
        return ValueError(f"{where} = {text!r} is not a number")

    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        # A decimal written in a string is the exact decimal the person wrote.
        return sympy.Rational(repr(node.value)) if isinstance(node.value, float) \
            else sympy.Integer(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _exact(node.operand, where, text)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_exact(node.left, where, text),
                                      _exact(node.right, where, text))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, power = _exact(node.left, where, text), _exact(node.right, where, text)
        if not (power.is_Rational and abs(power) <= 64):  # keeps 9**9**9 from running away
            raise bad()
        if base.is_Rational and abs(base.p).bit_length() + abs(base.q).bit_length() > 4096:
            raise bad()  # ((10**64)**64)**64 … would take a very long time
        return base ** power
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _FUNCTIONS and len(node.args) == 1 and not node.keywords:
        return _FUNCTIONS[node.func.id](_exact(node.args[0], where, text))
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    raise bad()


def _checked(value: sympy.Expr, shown: Any, where: str) -> sympy.Expr:
    if not (value.is_real and value.is_finite):
        raise ValueError(f"{where} = {shown!r} is not a finite real number")
    return value


def _inexact(*matrices: sympy.Matrix) -> bool:
    return any(x.has(sympy.Float) for m in matrices for x in m)


# ---------------------------------------------------------------------------------------------
# Showing numbers: Unicode math for steps, rounded floats for answers
# ---------------------------------------------------------------------------------------------

class _MathPrinter(StrPrinter):
    """sympy's str form with √, e^{…}, · and ^, as a student writes it."""

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        base, power = expr.as_base_exp()
        if power == sympy.S.Half:
            return "√" + self._wrapped(base)
        if power == -sympy.S.Half:
            return "1/√" + self._wrapped(base)
        return super()._print_Pow(expr, rational)

    def _print_exp(self, expr: sympy.exp) -> str:
        return "e^{" + self._print(expr.args[0]) + "}"

    def _wrapped(self, base: sympy.Expr) -> str:
        text = self._print(base)
        return text if base.is_Atom else f"({text})"


def show(x: sympy.Expr, width: int = 48) -> str:
    """An entry for a step: the exact form when short, else ≈ 4 decimals."""
    if x is sympy.S.NegativeInfinity:
        return "−∞"
    if x.is_Rational:
        return _MathPrinter().doprint(x)
    if x.has(sympy.Float):
        return f"{float(x):.4f}"
    text = _MathPrinter().doprint(x).replace("**", "^").replace("*", "·")
    return text if len(text) <= width else f"≈{float(sympy.N(x, 20)):.4f}"


def show_matrix(m: sympy.Matrix, width: int = 48) -> str:
    rows = ", ".join("[" + ", ".join(show(x, width) for x in m.row(i)) + "]"
                     for i in range(m.rows))
    return f"[{rows}]"


def approx_matrix(m: sympy.Matrix) -> str:
    """The 4-decimal form of a matrix, for the `≈ …` half of a step."""
    return show_matrix(m.applyfunc(lambda x: x if x.is_infinite else sympy.Float(sympy.N(x, 20))))


def to_floats(m: sympy.Matrix) -> list[list[float | str]]:
    """JSON-ready rows of floats rounded to 6 decimals; −∞ becomes "-inf"."""
    return [[_round(m[i, j]) for j in range(m.cols)] for i in range(m.rows)]


def _round(x: sympy.Expr) -> float | str:
    if x is sympy.S.NegativeInfinity:
        return NEG_INF
    return round(float(sympy.N(x, 20)), DECIMALS) + 0.0  # + 0.0 turns −0.0 into 0.0


def _differing(answer: Any, candidates: dict[str, Any]) -> dict[str, Any]:
    """Only the mistakes that give something other than the right answer."""
    return {name: value for name, value in candidates.items()
            if value is not None and value != answer}


def _ask(ask: str, allowed: Sequence[str]) -> str:
    if ask not in allowed:
        raise ValueError(f"ask = {ask!r} is not one of {', '.join(allowed)}")
    return ask
