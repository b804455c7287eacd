"""Scaled dot-product attention, multi-head dimensions and attention gradients, exactly.

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
import re
import numbers
from fractions import Fraction
from typing import Any, Callable, Sequence

import sympy
from sympy.printing.str import StrPrinter

from reference.worked import Worked

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


# ---------------------------------------------------------------------------------------------
# Scaled dot-product attention
# ---------------------------------------------------------------------------------------------

SDPA_ASKS = ("scores", "scaled", "weights", "output", "shape")


def sdpa(Q: Any, K: Any, V: Any, mask: Any = None, ask: str = "output") -> Worked:
    """Attention(Q, K, V) = softmax(QKᵀ/√d_k)·V, exactly, with the asked stage as the answer.

    ask: "scores" (QKᵀ), "scaled" (QKᵀ/√d_k, masked entries "-inf"), "weights" (row softmax),
    "output" (weights·V) or "shape" ([n_q, d_v]).
    """
    _ask(ask, SDPA_ASKS)
    q, k, v = _qkv(Q, K, V)
    keep = parse_mask(mask, q.rows, k.rows)
    d_k = q.cols
    steps = [f"Q: {q.rows}×{d_k}, K: {k.rows}×{k.cols}, V: {v.rows}×{v.cols}; "
             f"d_k = {d_k} (columns of Q and K)"]

    if ask == "shape":
        steps.append(f"softmax(QKᵀ/√d_k): n_q×n_k = {q.rows}×{k.rows}; "
                     f"times V (n_k×d_v): n_q×d_v = {q.rows}×{v.cols}")
        answer = [q.rows, v.cols]
        return Worked(answer, tuple(steps), _differing(answer, {
            "shape transposed": [v.cols, q.rows],
            "shape of the weights (n_q×n_k), not the output": [q.rows, k.rows],
            "d_k taken as the output width": [q.rows, d_k],
        }), sympy.Matrix([answer]))

    scores = q * k.T
    steps.append(f"S = QKᵀ = {show_matrix(scores)}")
    if ask == "scores":
        answer = to_floats(scores)
        return Worked(answer, tuple(steps), _differing(answer, {
            "KQᵀ instead of QKᵀ": to_floats(k * q.T) if q.rows == k.rows else None,
        }), scores)

    inexact = _inexact(q, k, v)
    scaled = masked(scores * inv_sqrt(d_k, inexact), keep)
    steps.append(f"S/√d_k = S/√{d_k} = {show_matrix(scaled)}")
    if mask is not None:
        steps.append("mask: masked scores are −∞, so their weights are exactly 0")
    no_scale = masked(scores, keep)
    by_d_k = masked(scores / d_k, keep)
    if ask == "scaled":
        answer = to_floats(scaled)
        return Worked(answer, tuple(steps), _differing(answer, {
            "no 1/√d_k scaling": to_floats(no_scale),
            "scaled by 1/d_k instead of 1/√d_k": to_floats(by_d_k),
        }), scaled)

    weights, lines = row_softmax(scaled, inexact)
    steps.extend(lines)
    steps.append(f"A = softmax(S/√d_k) ≈ {approx_matrix(weights)} (each row sums to 1)")
    wrong_weights = {
        "no 1/√d_k scaling": row_softmax(no_scale, inexact)[0],
        "scaled by 1/d_k instead of 1/√d_k": row_softmax(by_d_k, inexact)[0],
        "softmax over columns instead of rows": _column_softmax(scaled, inexact),
        "mask ignored": row_softmax(scores * inv_sqrt(d_k, inexact), inexact)[0]
        if mask is not None else None,
    }
    if ask == "weights":
        answer = to_floats(weights)
        return Worked(answer, tuple(steps), _differing(answer, {
            name: to_floats(w) for name, w in wrong_weights.items() if w is not None}), weights)

    output = weights * v
    if not inexact:
        output = output.applyfunc(sympy.together)
    closed = show_matrix(output)
    steps.append(f"O = A·V = {closed} ≈ {approx_matrix(output)}"
                 if not inexact and len(closed) <= _LONG else f"O = A·V ≈ {approx_matrix(output)}")
    answer = to_floats(output)
    candidates = {name: to_floats(w * v) for name, w in wrong_weights.items() if w is not None}
    candidates["softmax left out (S/√d_k·V)"] = (
        to_floats(scores * inv_sqrt(d_k, inexact) * v) if mask is None else None)
    return Worked(answer, tuple(steps), _differing(answer, candidates), output)


def _qkv(Q: Any, K: Any, V: Any) -> tuple[sympy.Matrix, sympy.Matrix, sympy.Matrix]:
    q, k, v = parse_matrix(Q, "Q"), parse_matrix(K, "K"), parse_matrix(V, "V")
    if q.cols != k.cols:
        raise ValueError(f"Q has {q.cols} columns but K has {k.cols}: both must be d_k wide")
    if v.rows != k.rows:
        raise ValueError(f"V has {v.rows} rows but K has {k.rows}: one value per key")
    return q, k, v


def inv_sqrt(d_k: int, inexact: bool) -> sympy.Expr:
    """1/√d_k, kept symbolic (√2/2) for exact inputs."""
    scale = 1 / sympy.sqrt(d_k)
    return sympy.Float(sympy.N(scale, 20)) if inexact else scale


def parse_mask(mask: Any, n_q: int, n_k: int) -> list[list[bool]] | None:
    """The keep-matrix: None (no mask), "causal", or n_q×n_k of true/1 (keep), false/0 (mask)."""
    if mask is None:
        return None
    if isinstance(mask, str):
        if mask.strip().lower() != "causal":
            raise ValueError(f'mask = {mask!r}: give "causal" or an n_q×n_k matrix of 0/1')
        return [[j <= i for j in range(n_k)] for i in range(n_q)]
    if hasattr(mask, "tolist"):
        mask = mask.tolist()
    if isinstance(mask, (list, tuple)) and mask and \
            all(not isinstance(row, (list, tuple)) for row in mask):
        mask = [mask]
    if not isinstance(mask, (list, tuple)) or len(mask) != n_q or any(
            not isinstance(row, (list, tuple)) or len(row) != n_k for row in mask):
        raise ValueError(f"mask must be n_q×n_k = {n_q}×{n_k} (the shape of the scores)")
    keep = []
    for i, row in enumerate(mask):
        keep_row = []
        for j, x in enumerate(row):
            if isinstance(x, bool) or (isinstance(x, numbers.Integral) and x in (0, 1)):
                keep_row.append(bool(x))
            else:
                raise ValueError(f"mask[{i}][{j}] = {x!r} is not true/false or 1/0")
        keep.append(keep_row)
    return keep


def masked(scores: sympy.Matrix, keep: list[list[bool]] | None) -> sympy.Matrix:
    if keep is None:
        return scores
    return sympy.Matrix(scores.rows, scores.cols,
                        lambda i, j: scores[i, j] if keep[i][j] else sympy.S.NegativeInfinity)


def row_softmax(s: sympy.Matrix, inexact: bool) -> tuple[sympy.Matrix, list[str]]:
    """softmax along each row in closed form; −∞ entries get weight 0. Returns (A, steps)."""
    rows, lines = [], []
    for i in range(s.rows):
        row = list(s.row(i))
        kept = [x for x in row if not x.is_infinite]
        if not kept:
            raise ValueError(f"mask row {i + 1} masks every key: its softmax is undefined")
        exps = [sympy.S.Zero if x.is_infinite else sympy.exp(x) for x in row]
        total = sum(exps, sympy.S.Zero)
        weights = [e / total for e in exps]
        if inexact:
            weights = [sympy.Float(sympy.N(w, 20)) for w in weights]
        rows.append(weights)
        closed = f"[{', '.join(show(w) for w in weights)}]"
        rounded = f"[{', '.join(f'{float(sympy.N(w, 20)):.4f}' for w in weights)}]"
        lines.append(f"row {i + 1}: softmax([{', '.join(show(x) for x in row)}]) = "
                     + (f"{closed} ≈ {rounded}" if len(closed) <= _LONG else rounded))
    return sympy.Matrix(rows), lines


def _column_softmax(s: sympy.Matrix, inexact: bool) -> sympy.Matrix | None:
    try:
        return row_softmax(s.T, inexact)[0].T
    except ValueError:  # a column masked throughout: that mistake gives nothing to compare
        return None


def softmax_jacobian(a: Any) -> Worked:
    """∂softmax/∂z = diag(a) − a·aᵀ for the softmax output a (a vector); exact when a is."""
    vec = parse_matrix(a, "a")
    if min(vec.shape) != 1:
        raise ValueError(f"a must be a vector, got a {vec.rows}×{vec.cols} matrix")
    col = vec.reshape(len(vec), 1)
    jac = sympy.diag(*col) - col * col.T
    steps = ["J = diag(a) − a·aᵀ, J_ij = a_i(δ_ij − a_j)",
             f"J = {show_matrix(jac)}"]
    if sum(col) != 1 and not _inexact(col):
        steps.append(f"note: the entries of a sum to {show(sum(col))}, not 1 (not a softmax output)")
    answer = to_floats(jac)
    return Worked(answer, tuple(steps), _differing(answer, {
        "a·aᵀ term left out (J = diag(a))": to_floats(sympy.diag(*col)),
        "diag(a) left out (J = −a·aᵀ)": to_floats(-col * col.T),
        "sign of a·aᵀ flipped (diag(a) + a·aᵀ)": to_floats(sympy.diag(*col) + col * col.T),
    }), jac)


# ---------------------------------------------------------------------------------------------
# Multi-head attention dimensions
# ---------------------------------------------------------------------------------------------

MULTIHEAD_ASKS = ("d_k", "d_v", "W_Q", "W_K", "W_V", "W_O", "concat", "output", "head")


def multihead(seq_len: int, d_model: int, heads: int, d_k: int | None = None,
              d_v: int | None = None, ask: str = "d_k") -> Worked:
    """Sizes in MultiHead(X) = Concat(head_1..head_h)·W^O, head_i = Attention(XW_i^Q, XW_i^K, XW_i^V).

    X is seq_len×d_model (row vectors). d_k defaults to d_model/h (ValueError when h does not
    divide d_model); d_v defaults to d_k. Shapes are lists [rows, cols]; d_k and d_v are ints.
    """
    _ask(ask, MULTIHEAD_ASKS)
    n, d, h = (_positive(seq_len, "seq_len"), _positive(d_model, "d_model"),
               _positive(heads, "heads"))
    steps: list[str] = []
    if d_k is None:
        if d % h:
            raise ValueError(f"heads = {h} does not divide d_model = {d}: give d_k explicitly")
        dk = d // h
        steps.append(f"d_k = d_model/h = {d}/{h} = {dk}")
    else:
        dk = _positive(d_k, "d_k")
        steps.append(f"d_k = {dk} (given)")
    if d_v is None:
        dv = dk
        steps.append(f"d_v = d_k = {dv}")
    else:
        dv = _positive(d_v, "d_v")
        steps.append(f"d_v = {dv} (given)")
    sizes = _multihead_sizes(n, d, h, dk, dv)
    steps += [
        f"W_i^Q, W_i^K: d_model×d_k = {d}×{dk}; W_i^V: d_model×d_v = {d}×{dv} "
        f"(row vectors: Q_i = X·W_i^Q, X is seq_len×d_model = {n}×{d})",
        f"head_i = softmax(Q_i K_iᵀ/√d_k)·V_i: seq_len×d_v = {n}×{dv}",
        f"Concat(head_1, …, head_{h}): seq_len×h·d_v = {n}×{h}·{dv} = {n}×{h * dv}",
        f"W^O: h·d_v×d_model = {h * dv}×{d}",
        f"MultiHead(X) = Concat·W^O: seq_len×d_model = {n}×{d}",
    ]
    answer = sizes[ask]
    wide = _multihead_sizes(n, d, h, d, d)  # every head as wide as the model
    candidates = {
        "d_k = d_model instead of d_model/h": wide[ask] if ask != "output" else None,
        "W^O shape transposed": [d, h * dv] if ask == "W_O" else None,
        "W^O sized from one head (d_v×d_model)": [dv, d] if ask == "W_O" else None,
        "concat taken as one head's width": [n, dv] if ask == "concat" else None,
        "projection shape transposed": ([sizes[ask][1], sizes[ask][0]]
                                        if ask in ("W_Q", "W_K", "W_V") else None),
        "output taken as the concatenation (W^O left out)": [n, h * dv] if ask == "output" else None,
    }
    return Worked(answer, tuple(steps), _differing(answer, candidates),
                  sympy.Integer(answer) if isinstance(answer, int) else sympy.Matrix([answer]))


def _multihead_sizes(n: int, d: int, h: int, dk: int, dv: int) -> dict[str, Any]:
    return {"d_k": dk, "d_v": dv, "W_Q": [d, dk], "W_K": [d, dk], "W_V": [d, dv],
            "W_O": [h * dv, d], "concat": [n, h * dv], "output": [n, d], "head": [n, dv]}


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} = {value!r} is not a positive integer")
    return int(value)


# ---------------------------------------------------------------------------------------------
# Gradients through attention
# ---------------------------------------------------------------------------------------------

GRAD_ASKS = ("dQ", "dK", "dV", "dA", "dS")


def grad(Q: Any, K: Any, V: Any, dO: Any = None, ask: str = "dV") -> Worked:
    """Gradients of L through O = A·V, A = softmax(S), S = QKᵀ/√d_k, given dO = ∂L/∂O.

    dO defaults to all ones (L = sum of O). Exact when the inputs are.
    """
    _ask(ask, GRAD_ASKS)
    q, k, v = _qkv(Q, K, V)
    d_o = sympy.ones(q.rows, v.cols) if dO is None else parse_matrix(dO, "dO")
    if d_o.shape != (q.rows, v.cols):
        raise ValueError(f"dO is {d_o.rows}×{d_o.cols} but O is n_q×d_v = {q.rows}×{v.cols}")
    inexact = _inexact(q, k, v, d_o)
    d_k = q.cols
    scale = inv_sqrt(d_k, inexact)
    s = q * k.T * scale
    a, _ = row_softmax(s, inexact)
    tidy = (lambda m: m) if inexact else (lambda m: m.applyfunc(sympy.together))

    steps = [f"S = QKᵀ/√d_k = {show_matrix(s)} (d_k = {d_k})",
             f"A = softmax(S) by rows ≈ {approx_matrix(a)}",
             f"dO = {show_matrix(d_o)}" + (" (L = ΣO)" if dO is None else "")]
    d_v = tidy(a.T * d_o)
    d_a = d_o * v.T
    row_dot = [sum((d_a[i, j] * a[i, j] for j in range(a.cols)), sympy.S.Zero)
               for i in range(a.rows)]
    d_s = tidy(sympy.Matrix(a.rows, a.cols, lambda i, j: a[i, j] * (d_a[i, j] - row_dot[i])))
    d_q = tidy(d_s * k * scale)
    d_kk = tidy(d_s.T * q * scale)

    steps.append(f"dV = Aᵀ·dO ≈ {approx_matrix(d_v)}")
    if ask != "dV":
        steps.append(f"dA = dO·Vᵀ = {show_matrix(d_a)}")
    if ask in ("dS", "dQ", "dK"):
        steps.append("dS_ij = A_ij(dA_ij − Σ_k dA_ik·A_ik) (row-wise softmax Jacobian "
                     "diag(a) − a·aᵀ applied to each row)")
        steps.append(f"dS ≈ {approx_matrix(d_s)}")
    if ask == "dQ":
        steps.append(f"dQ = dS·K/√d_k ≈ {approx_matrix(d_q)}")
    if ask == "dK":
        steps.append(f"dK = dSᵀ·Q/√d_k ≈ {approx_matrix(d_kk)}")

    exact = {"dQ": d_q, "dK": d_kk, "dV": d_v, "dA": d_a, "dS": d_s}[ask]
    answer = to_floats(exact)
    return Worked(answer, tuple(steps),
                  _differing(answer, _grad_mistakes(ask, q, k, v, a, d_o, d_a, d_s, scale)), exact)


def _grad_mistakes(ask: str, q: sympy.Matrix, k: sympy.Matrix, v: sympy.Matrix,
                   a: sympy.Matrix, d_o: sympy.Matrix, d_a: sympy.Matrix, d_s: sympy.Matrix,
                   scale: sympy.Expr) -> dict[str, Any]:
    square = a.rows == a.cols  # n_q == n_k: the shapes let A and Aᵀ (dS and dSᵀ) swap
    no_diag = a.multiply_elementwise(d_a)  # dS = A ⊙ dA: the −a·aᵀ part forgotten
    if ask == "dV":
        return {"Aᵀ left out of dV (dV = dO)": to_floats(d_o) if square else None,
                "A instead of Aᵀ (dV = A·dO)": to_floats(a * d_o) if square else None}
    if ask == "dA":
        return {"V instead of Vᵀ (dA = dO·V)":
                to_floats(d_o * v) if d_o.cols == v.rows else None}
    if ask == "dS":
        return {"softmax Jacobian left out (dS = dA)": to_floats(d_a),
                "only the diagonal of the softmax Jacobian (dS = A ⊙ dA)": to_floats(no_diag)}
    if ask == "dQ":
        return {"1/√d_k left out of dQ": to_floats(d_s * k),
                "softmax Jacobian left out (dS = dA)": to_floats(d_a * k * scale),
                "only the diagonal of the softmax Jacobian (dS = A ⊙ dA)":
                to_floats(no_diag * k * scale)}
    return {"1/√d_k left out of dK": to_floats(d_s.T * q),
            "softmax Jacobian left out (dS = dA)": to_floats(d_a.T * q * scale),
            "dS instead of dSᵀ (dK = dS·Q/√d_k)": to_floats(d_s * q * scale) if square else None}
