"""Scaled dot-product attention by hand: scores, scaling, masks, row softmax, output (kind `attention.sdpa`)."""
from __future__ import annotations

import numbers
from typing import Any

import sympy

from reference.attention.exact import (
    _LONG, _ask, _differing, _inexact, approx_matrix, parse_matrix, show, show_matrix, to_floats)
from reference.worked import Worked

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
