"""A simple RNN unrolled by hand, and its BPTT Jacobian ∂h_t/∂h_k.

Conventions: COLUMN vectors, h_t = f(W_hh·h_{t−1} + W_xh·x_t + b), with h_t and b of length n,
x_t of length m, W_hh n×n and W_xh n×m (the transpose of the row-vector x·W form used in
reference.attention). f is tanh unless told otherwise; h0 defaults to zeros.

Expressions are strings in a small matrix language, the one `evaluate_unrolled` reads:
names (W_hh, W_xh, b, h0, x1, x2, …, h1, h2, …), numbers, `+ - /`, `*` for the matrix product
(also written `@`; with a number on either side it scales), `**` with a number as exponent
(elementwise), `.T`, and calls of tanh, relu, sigmoid, exp (elementwise), diag (vector ->
diagonal matrix) and transpose (what grader.answers makes of W_hhᵀ). Vectors are columns (n, 1).
`·`, `×`, `−` and `^` are read as `*`, `*`, `-` and `**`.

    unroll(2) -> "tanh(W_hh*tanh(W_hh*h0 + W_xh*x1 + b) + W_xh*x2 + b)"

BPTT: ∂h_t/∂h_k = Π_{i=t…k+1} diag(1 − h_i²)·W_hh, the factor for i = t on the left, because
∂h_i/∂h_{i−1} = diag(tanh′(a_i))·W_hh and tanh′(a_i) = 1 − h_i². Numbers go through numpy in
float64 (tanh leaves nothing exact to keep), so `Worked.exact` is None here.
"""
from __future__ import annotations

import ast
from typing import Any, Callable, Mapping

import numpy as np

from reference.attention import DECIMALS, parse_matrix
from reference.worked import Worked

ACTIVATIONS = ("tanh", "relu", "sigmoid", "identity")
MAX_STEPS = 60  # each step nests one more pair of parentheses; Python's parser stops near 200


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


_ELEMENTWISE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "sigmoid": _sigmoid, "exp": np.exp,
}
_CALLS = (*_ELEMENTWISE, "diag", "transpose")


# ---------------------------------------------------------------------------------------------
# Unrolling
# ---------------------------------------------------------------------------------------------

def unroll(steps: int, activation: str = "tanh") -> Worked:
    """h_T after T = `steps` steps, as one expression in W_hh, W_xh, b, x1..xT and h0."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps = {steps!r} is not an integer from 1 to {MAX_STEPS}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation = {activation!r} is not one of {', '.join(ACTIVATIONS)}")
    answer = unrolled_expression(steps, activation)
    lines = [f"h{t} = {_apply(activation, f'W_hh*h{t - 1} + W_xh*x{t} + b')}"
             for t in range(1, steps + 1)]
    if steps > 1:
        earlier = "h1" if steps == 2 else f"h1 … h{steps - 1}"
        lines.append(f"substituting {earlier}: h{steps} = {answer}")
    candidates = {
        "the same x used at every step": unrolled_expression(steps, activation, x=lambda t: 1),
        "the last input xT used at every step":
            unrolled_expression(steps, activation, x=lambda t: steps),
        "W_hh and W_xh swapped": unrolled_expression(steps, activation, swap=True),
        "bias left out": unrolled_expression(steps, activation, bias=False),
        "h0 term left out of the first step": unrolled_expression(steps, activation, h0=False),
        "activation left out": unrolled_expression(steps, "identity"),
    }
    return Worked(answer, tuple(lines),
                  {name: expr for name, expr in candidates.items() if expr != answer})


def unrolled_expression(steps: int, activation: str = "tanh", *,
                        x: Callable[[int], int] = lambda t: t, swap: bool = False,
                        bias: bool = True, h0: bool = True) -> str:
    """The h_T string; the keywords build the classic wrong versions."""
    w_h, w_x = ("W_xh", "W_hh") if swap else ("W_hh", "W_xh")
    h = "h0"
    for t in range(1, steps + 1):
        terms = [] if (t == 1 and not h0) else [f"{w_h}*{_atom(h, activation)}"]
        terms.append(f"{w_x}*x{x(t)}")
        if bias:
            terms.append("b")
        h = _apply(activation, " + ".join(terms))
    return h


def _apply(activation: str, pre: str) -> str:
    return pre if activation == "identity" else f"{activation}({pre})"


def _atom(expr: str, activation: str) -> str:
    """Parenthesise a previous h that is a bare sum (identity activation) before W_hh*…"""
    return f"({expr})" if activation == "identity" and " " in expr else expr


# ---------------------------------------------------------------------------------------------
# Evaluating expressions safely
# ---------------------------------------------------------------------------------------------

def evaluate_unrolled(expr: str, values: Mapping[str, Any]) -> np.ndarray:
    """Evaluate an expression of the mini-language at numeric values (no eval, only `ast`).

    values maps names to numbers, vectors (taken as columns) or matrices. Raises ValueError
    naming the problem: a construct that is not allowed, an unknown name, a shape mismatch.
    """
    if not isinstance(expr, str):
        raise ValueError(f"expression {expr!r} is not a string")
    text = expr.replace("·", "*").replace("×", "*").replace("−", "-").replace("^", "**")
    if len(text) > 20_000:
        raise ValueError("expression is longer than 20000 characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ValueError(f"not a valid expression: {expr!r} ({err.msg})") from None
    env = {name: _as_array(name, value) for name, value in values.items()}
    try:
        with np.errstate(all="ignore"):
            return _Evaluator(env).visit(tree.body)
    except RecursionError:
        raise ValueError("expression is nested too deeply") from None


def _as_array(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"value of {name} is not numeric: {value!r}") from None
    if arr.ndim == 1:
        return arr.reshape(-1, 1)  # vectors are columns
    if arr.ndim > 2:
        raise ValueError(f"value of {name} has {arr.ndim} dimensions; give a vector or matrix")
    return arr


class _Evaluator:
    """Walks the parsed tree; everything not handled below is refused."""

    def __init__(self, env: Mapping[str, np.ndarray]) -> None:
        self.env = env

    def visit(self, node: ast.AST) -> np.ndarray:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            raise ValueError(f"{_src(node)} is not allowed in an expression "
                             f"({type(node).__name__})")
        return method(node)

    def visit_Constant(self, node: ast.Constant) -> np.ndarray:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ValueError(f"{node.value!r} is not a number")
        return np.float64(node.value)

    def visit_Name(self, node: ast.Name) -> np.ndarray:
        if node.id in self.env:
            return self.env[node.id]
        if node.id in _CALLS:
            raise ValueError(f"{node.id} is a function: write {node.id}(...)")
        known = ", ".join(sorted(self.env)) or "none"
        raise ValueError(f"unknown name {node.id!r} (known: {known})")

    def visit_UnaryOp(self, node: ast.UnaryOp) -> np.ndarray:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ValueError(f"{_src(node)}: only + and − may stand before a term")
        value = self.visit(node.operand)
        return -value if isinstance(node.op, ast.USub) else value

    def visit_BinOp(self, node: ast.BinOp) -> np.ndarray:
        left, right = self.visit(node.left), self.visit(node.right)
        op = node.op
        if isinstance(op, (ast.Add, ast.Sub)):
            if left.ndim and right.ndim and left.shape != right.shape:
                raise ValueError(f"shape mismatch in {_src(node)}: {left.shape} and {right.shape}")
            return left + right if isinstance(op, ast.Add) else left - right
        if isinstance(op, (ast.Mult, ast.MatMult)):
            if not left.ndim or not right.ndim:
                if isinstance(op, ast.MatMult):
                    raise ValueError(f"{_src(node)}: @ needs matrices on both sides")
                return left * right
            if left.shape[1] != right.shape[0]:
                raise ValueError(f"shape mismatch in {_src(node)}: "
                                 f"{left.shape} times {right.shape}")
            return left @ right
        if isinstance(op, ast.Div):
            if right.ndim:
                raise ValueError(f"{_src(node)}: only division by a number is allowed")
            return left / right
        if isinstance(op, ast.Pow):
            if right.ndim:
                raise ValueError(f"{_src(node)}: the exponent of ** must be a number")
            return np.power(left, right)
        raise ValueError(f"{_src(node)}: operator {type(op).__name__} is not allowed")

    def visit_Call(self, node: ast.Call) -> np.ndarray:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in _CALLS:
            raise ValueError(f"{_src(node)}: only {', '.join(_CALLS)} may be called")
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            raise ValueError(f"{_src(node)}: {name} takes exactly one argument")
        arg = self.visit(node.args[0])
        if name == "diag":
            if arg.ndim != 2 or 1 not in arg.shape:
                raise ValueError(f"{_src(node)}: diag needs a vector, got shape {arg.shape}")
            return np.diag(arg.ravel())
        if name == "transpose":
            return arg.T
        return _ELEMENTWISE[name](arg)

    def visit_Attribute(self, node: ast.Attribute) -> np.ndarray:
        if node.attr != "T":
            raise ValueError(f"{_src(node)}: .{node.attr} is not allowed (only .T)")
        return self.visit(node.value).T


def _src(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------------------------
# Backpropagation through time
# ---------------------------------------------------------------------------------------------

BPTT_ASKS = ("jacobian", "expression", "norm_bound")


def bptt(W_hh: Any, W_xh: Any, b: Any, xs: Any, h0: Any = None, t: int | None = None,
         k: int = 0, ask: str = "jacobian") -> Worked:
    """∂h_t/∂h_k for h_i = tanh(W_hh·h_{i−1} + W_xh·x_i + b), after a forward pass over xs.

    ask: "jacobian" (n×n matrix, floats rounded to 6 decimals), "expression" (the product as a
    string evaluate_unrolled reads, in h_i names) or "norm_bound" (Π‖diag(1 − h_i²)‖₂·‖W_hh‖₂).
    t defaults to len(xs); 0 <= k < t <= len(xs).
    """
    if ask not in BPTT_ASKS:
        raise ValueError(f"ask = {ask!r} is not one of {', '.join(BPTT_ASKS)}")
    w_hh, w_xh, bias, inputs, h_start = _rnn_inputs(W_hh, W_xh, b, xs, h0)
    t = len(inputs) if t is None else t
    for name, value in (("t", t), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} = {value!r} is not an integer")
    if not 0 <= k < t <= len(inputs):
        raise ValueError(f"need 0 ≤ k < t ≤ {len(inputs)} (the number of inputs); "
                         f"got t = {t}, k = {k}")

    hs = forward(w_hh, w_xh, bias, inputs, h_start)[: t + 1]  # hs[i] = h_i
    steps = [f"h{i} = tanh(W_hh·h{i - 1} + W_xh·x{i} + b) = {_vec(hs[i])}"
             for i in range(1, t + 1)]
    steps.append(f"∂h{t}/∂h{k} = Π_(i={t}…{k + 1}) diag(1 − h_i²)·W_hh "
                 f"(∂h_i/∂h_(i−1) = diag(1 − h_i²)·W_hh, since tanh′ = 1 − tanh²)")
    order = range(t, k, -1)
    factors = {i: np.diag(1 - hs[i] ** 2) @ w_hh for i in order}
    steps += [f"i = {i}: diag(1 − h{i}²)·W_hh = {_mat(factors[i])}" for i in order]
    jac = _product(factors[i] for i in order)
    steps.append(f"∂h{t}/∂h{k} = {_mat(jac)}")

    sigma = float(np.linalg.norm(w_hh, 2))
    gammas = {i: float(np.max(1 - hs[i] ** 2)) for i in order}
    bound = float(np.prod([gammas[i] * sigma for i in order]))
    gamma = max(gammas.values())
    steps.append(
        f"‖∂h{t}/∂h{k}‖₂ = {np.linalg.norm(jac, 2):.4f} ≤ Π‖diag(1 − h_i²)‖₂·‖W_hh‖₂ = "
        f"{bound:.4f} ≤ (γ·σ_max(W_hh))^(t−k) = ({gamma:.4f}·{sigma:.4f})^{t - k}, "
        f"γ = max tanh′ ≤ 1: when γ·σ_max < 1 the gradient vanishes geometrically in t − k "
        f"(and can explode when it is > 1)")

    if ask == "expression":
        answer: Any = jacobian_expression(t, k)
        candidates: dict[str, Any] = {
            "tanh′ factor left out (W_hh^(t−k))": "*".join(["W_hh"] * (t - k)),
            "factors multiplied in the wrong order": jacobian_expression(t, k, reverse=True),
            "tanh′ taken as 1 − h (not 1 − h²)": jacobian_expression(t, k, square=False),
            "W_hh before diag(1 − h_i²) in each factor": "*".join(
                f"W_hh*diag(1 - h{i}**2)" for i in order),
        }
    elif ask == "norm_bound":
        answer = round(bound, DECIMALS)
        candidates = {
            "tanh′ factor left out (W_hh^(t−k))": round(sigma ** (t - k), DECIMALS),
            "tanh′ taken as 1 − h (not 1 − h²)": round(float(np.prod(
                [np.max(np.abs(1 - hs[i])) * sigma for i in order])), DECIMALS),
        }
    else:
        answer = _rounded(jac)
        candidates = {
            "tanh′ factor left out (W_hh^(t−k))":
                _rounded(np.linalg.matrix_power(w_hh, t - k)),
            "factors multiplied in the wrong order":
                _rounded(_product(factors[i] for i in reversed(order))),
            "tanh′ taken as 1 − h (not 1 − h²)":
                _rounded(_product(np.diag(1 - hs[i]) @ w_hh for i in order)),
            "W_hh before diag(1 − h_i²) in each factor":
                _rounded(_product(w_hh @ np.diag(1 - hs[i] ** 2) for i in order)),
            "Jacobian transposed (the Wᵀ of the backward pass)": _rounded(jac.T),
        }
    return Worked(answer, tuple(steps),
                  {name: value for name, value in candidates.items() if value != answer})


def jacobian_expression(t: int, k: int, *, reverse: bool = False, square: bool = True) -> str:
    """diag(1 - h_t**2)*W_hh*…*diag(1 - h_(k+1)**2)*W_hh (reverse: i = k+1 first)."""
    order = range(k + 1, t + 1) if reverse else range(t, k, -1)
    power = "**2" if square else ""
    return "*".join(f"diag(1 - h{i}{power})*W_hh" for i in order)


def forward(w_hh: np.ndarray, w_xh: np.ndarray, b: np.ndarray, xs: list[np.ndarray],
            h0: np.ndarray) -> list[np.ndarray]:
    """[h0, h1, …, h_T] with h_i = tanh(W_hh·h_{i−1} + W_xh·x_i + b), as 1-D arrays."""
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(w_hh @ hs[-1] + w_xh @ x + b))
    return hs


def _rnn_inputs(W_hh: Any, W_xh: Any, b: Any, xs: Any, h0: Any
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
    w_hh = _floats(parse_matrix(W_hh, "W_hh"))
    n = w_hh.shape[0]
    if w_hh.shape != (n, n):
        raise ValueError(f"W_hh is {w_hh.shape[0]}×{w_hh.shape[1]}; it must be square (n×n)")
    w_xh = _floats(parse_matrix(W_xh, "W_xh"))
    if w_xh.shape[0] != n:
        raise ValueError(f"W_xh has {w_xh.shape[0]} rows; it needs n = {n} (one per hidden unit)")
    m = w_xh.shape[1]
    bias = _vector(b, "b", n)
    start = np.zeros(n) if h0 is None else _vector(h0, "h0", n)
    if hasattr(xs, "tolist"):
        xs = xs.tolist()
    if not isinstance(xs, (list, tuple)) or not xs:
        raise ValueError("xs must be a non-empty list of input vectors")
    inputs = [_vector(x, f"xs[{i}]", m) for i, x in enumerate(xs)]
    return w_hh, w_xh, bias, inputs, start


def _vector(value: Any, name: str, size: int) -> np.ndarray:
    """A row, a column or (for size 1) a bare number, as a 1-D float array of `size`."""
    m = parse_matrix(value, name)
    if min(m.shape) != 1 or len(m) != size:
        raise ValueError(f"{name} is {m.rows}×{m.cols}; it must be a vector of length {size}")
    return _floats(m).ravel()


def _floats(m: Any) -> np.ndarray:
    return np.array(m.evalf(20).tolist(), dtype=float)


def _product(matrices: Any) -> np.ndarray:
    result = None
    for mat in matrices:
        result = mat if result is None else result @ mat
    return result


def _rounded(m: np.ndarray) -> list[list[float]]:
    return [[round(float(x), DECIMALS) + 0.0 for x in row] for row in m]


def _vec(v: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:.4f}" for x in v) + "]"


def _mat(m: np.ndarray) -> str:
    return "[" + ", ".join(_vec(row) for row in m) + "]"
