"""Gradients through attention: dQ, dK, dV, dA, dS for an upstream dO (kind `attention.grad`)."""
from __future__ import annotations

from typing import Any

import sympy

from reference.attention.exact import (
    _ask, _differing, _inexact, approx_matrix, parse_matrix, show_matrix, to_floats)
from reference.attention.sdpa import _qkv, inv_sqrt, row_softmax
from reference.worked import Worked

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
