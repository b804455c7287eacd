"""reference.attention against torch: SDPA, multi-head shapes, autograd gradients."""
from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F

from reference.attention import grad, multihead, parse_number, sdpa, softmax_jacobian

RNG = np.random.default_rng(1234)


def _t(m) -> torch.Tensor:
    return torch.tensor(np.asarray(m, dtype=float), dtype=torch.float64)


def _floats(answer) -> np.ndarray:
    return np.array([[-np.inf if x == "-inf" else x for x in row] for row in answer])


def _keep(mask, n_q: int, n_k: int) -> torch.Tensor | None:
    if mask is None:
        return None
    if mask == "causal":
        return torch.ones(n_q, n_k, dtype=torch.bool).tril()
    return torch.tensor(mask, dtype=torch.bool)


def _torch_stages(Q, K, V, keep) -> dict[str, torch.Tensor]:
    """The manual computation: scores, scaled (masked), row softmax, output."""
    q, k, v = _t(Q), _t(K), _t(V)
    scores = q @ k.T
    scaled = scores / math.sqrt(q.shape[-1])
    if keep is not None:
        scaled = scaled.masked_fill(~keep, float("-inf"))
    weights = torch.softmax(scaled, dim=-1)
    return {"scores": scores, "scaled": scaled, "weights": weights, "output": weights @ v}


def _random_mask(n_q: int, n_k: int) -> list[list[int]]:
    mask = (RNG.random((n_q, n_k)) < 0.6).astype(int)
    mask[:, 0] = 1  # no row masked throughout
    return mask.tolist()


CASES = [(3, 4, 5, 2), (2, 2, 2, 2), (4, 3, 4, 1)]  # n_q, d_k, n_k, d_v


@pytest.mark.parametrize("n_q,d_k,n_k,d_v", CASES)
@pytest.mark.parametrize("mask_kind", [None, "causal", "random"])
def test_sdpa_matches_torch_on_random_floats(n_q, d_k, n_k, d_v, mask_kind):
    Q, K, V = (RNG.normal(size=s).tolist() for s in ((n_q, d_k), (n_k, d_k), (n_k, d_v)))
    mask = _random_mask(n_q, n_k) if mask_kind == "random" else mask_kind
    keep = _keep(mask, n_q, n_k)
    expected = _torch_stages(Q, K, V, keep)
    sdpa_out = F.scaled_dot_product_attention(_t(Q), _t(K), _t(V), attn_mask=keep)
    torch.testing.assert_close(sdpa_out, expected["output"])
    for ask in ("scores", "scaled", "weights", "output"):
        got = _floats(sdpa(Q, K, V, mask=mask, ask=ask).answer)
        np.testing.assert_allclose(got, expected[ask].numpy(), atol=2e-6)
    assert sdpa(Q, K, V, mask=mask, ask="shape").answer == list(sdpa_out.shape)


@pytest.mark.parametrize("mask", [None, "causal"])
def test_sdpa_exact_on_rationals_equals_floats_and_torch(mask):
    fractions = [[Fraction(int(RNG.integers(-4, 5)), int(RNG.integers(1, 4))) for _ in range(2)]
                 for _ in range(7)]
    Q, K, V = fractions[:2], fractions[2:5], fractions[5:7] + [fractions[0]]
    as_strings = [[[f"{x.numerator}/{x.denominator}" for x in row] for row in m] for m in (Q, K, V)]
    as_floats = [[[float(x) for x in row] for row in m] for m in (Q, K, V)]
    expected = _torch_stages(*as_floats, _keep(mask, 2, 3))
    for ask in ("weights", "output"):
        exact = sdpa(*as_strings, mask=mask, ask=ask)
        assert not exact.exact.has(sympy.Float)  # exact all the way
        from_exact = np.array(exact.exact.evalf(30).tolist(), dtype=float)
        np.testing.assert_allclose(from_exact, expected[ask].numpy(), atol=1e-12)
        np.testing.assert_allclose(exact.answer, sdpa(*as_floats, mask=mask, ask=ask).answer,
                                   atol=2e-6)


def test_homework_example_has_e_to_the_one_over_root_two():
    worked = sdpa([[1, 0], [0, 1]], [[1, 0], [0, 1]], [[1, 2], [3, 4]], ask="weights")
    e = sympy.exp(1 / sympy.sqrt(2))
    assert sympy.simplify(worked.exact - sympy.Matrix([[e / (e + 1), 1 / (e + 1)],
                                                        [1 / (e + 1), e / (e + 1)]])) == sympy.zeros(2)
    assert any("e^{√2/2}" in step for step in worked.steps)
    expected = _torch_stages([[1, 0], [0, 1]], [[1, 0], [0, 1]], [[1, 2], [3, 4]], None)
    np.testing.assert_allclose(worked.answer, expected["weights"].numpy(), atol=1e-6)


def test_sdpa_mistakes_are_the_named_computations_and_differ():
    Q, K, V = [[1, 2], [0, 1], [1, 1]], [[1, 0], [2, 1], [0, 1]], [[1, 2], [3, 4], [5, 6]]
    q, k, v = _t(Q), _t(K), _t(V)
    for ask in ("scaled", "weights", "output"):
        worked = sdpa(Q, K, V, ask=ask)
        assert worked.mistakes and all(m != worked.answer for m in worked.mistakes.values())
        json.dumps([worked.answer, worked.mistakes])  # JSON-ready
    output = sdpa(Q, K, V, ask="output").mistakes
    np.testing.assert_allclose(output["no 1/√d_k scaling"],
                               (torch.softmax(q @ k.T, -1) @ v).numpy(), atol=1e-6)
    np.testing.assert_allclose(output["softmax over columns instead of rows"],
                               (torch.softmax(q @ k.T / math.sqrt(2), 0) @ v).numpy(), atol=1e-6)
    np.testing.assert_allclose(output["scaled by 1/d_k instead of 1/√d_k"],
                               (torch.softmax(q @ k.T / 2, -1) @ v).numpy(), atol=1e-6)
    shape = sdpa(Q, K, [[1], [2], [3]], ask="shape")
    assert shape.mistakes["shape transposed"] == [1, 3] and shape.answer == [3, 1]


def test_masked_scores_are_minus_inf_strings_and_json_ready():
    worked = sdpa([[1, 0], [0, 1]], [[1, 0], [0, 1]], [[1, 2], [3, 4]], mask="causal", ask="scaled")
    assert worked.answer[0][1] == "-inf"
    json.loads(json.dumps(worked.answer))  # strict JSON survives the round trip


def test_sdpa_input_errors_name_the_entry():
    with pytest.raises(ValueError, match=r"Q\[0\]\[1\].*abc"):
        sdpa([[1, "abc"]], [[1, 0]], [[1]])
    with pytest.raises(ValueError, match="__import__"):
        sdpa([["__import__('os').system('true')", 1]], [[1, 0]], [[1]])
    with pytest.raises(ValueError, match="d_k"):
        sdpa([[1, 0]], [[1, 0, 0]], [[1]])
    with pytest.raises(ValueError, match="every key"):
        sdpa([[1, 0]], [[1, 0]], [[1]], mask=[[0]])
    with pytest.raises(ValueError, match="mask"):
        sdpa([[1, 0]], [[1, 0]], [[1]], mask=[[2]])
    with pytest.raises(ValueError, match="ask"):
        sdpa([[1, 0]], [[1, 0]], [[1]], ask="everything")


@pytest.mark.parametrize("text,value", [("1/2", sympy.Rational(1, 2)),
                                        ("sqrt(2)/2", sympy.sqrt(2) / 2),
                                        ("√2/2", sympy.sqrt(2) / 2), ("−3/4", sympy.Rational(-3, 4)),
                                        ("0.1", sympy.Rational(1, 10)), (0.25, sympy.Rational(1, 4))])
def test_parse_number_is_exact(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("bad", ["1/0", "x", "sqrt(-1)", "9**9**9", "().__class__", "[1]"])
def test_parse_number_refuses(bad):
    with pytest.raises(ValueError):
        parse_number(bad)


# --- multi-head ----------------------------------------------------------------------------

@pytest.mark.parametrize("seq_len,d_model,heads", [(5, 12, 3), (4, 16, 4), (3, 8, 1)])
def test_multihead_shapes_match_torch_module_and_manual_heads(seq_len, d_model, heads):
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(d_model, heads, batch_first=True, dtype=torch.float64)
    x = torch.randn(1, seq_len, d_model, dtype=torch.float64)
    expected, _ = mha(x, x, x, need_weights=False)

    # torch computes x·Wᵀ: split in_proj_weight (3·d_model × d_model) and transpose per head.
    w_q, w_k, w_v = mha.in_proj_weight.split(d_model)
    b_q, b_k, b_v = mha.in_proj_bias.split(d_model)
    d_k = multihead(seq_len, d_model, heads, ask="d_k").answer
    assert d_k == mha.head_dim
    heads_out = []
    for i in range(heads):
        part = slice(i * d_k, (i + 1) * d_k)
        wq_i, wk_i, wv_i = w_q[part].T, w_k[part].T, w_v[part].T  # (d_model, d_k)
        assert list(wq_i.shape) == multihead(seq_len, d_model, heads, ask="W_Q").answer
        assert list(wk_i.shape) == multihead(seq_len, d_model, heads, ask="W_K").answer
        assert list(wv_i.shape) == multihead(seq_len, d_model, heads, ask="W_V").answer
        head = F.scaled_dot_product_attention(x[0] @ wq_i + b_q[part], x[0] @ wk_i + b_k[part],
                                              x[0] @ wv_i + b_v[part])  # (seq_len, d_v)
        assert list(head.shape) == multihead(seq_len, d_model, heads, ask="head").answer
        heads_out.append(head)
    concat = torch.cat(heads_out, dim=-1)  # (seq_len, h·d_v)
    assert list(concat.shape) == multihead(seq_len, d_model, heads, ask="concat").answer
    w_o = mha.out_proj.weight.T  # (h·d_v, d_model)
    assert list(w_o.shape) == multihead(seq_len, d_model, heads, ask="W_O").answer
    output = concat @ w_o + mha.out_proj.bias
    torch.testing.assert_close(output, expected[0])
    assert list(output.shape) == multihead(seq_len, d_model, heads, ask="output").answer
    assert multihead(seq_len, d_model, heads, ask="d_v").answer == d_k


def test_multihead_explicit_sizes_and_errors():
    assert multihead(10, 100, 3, d_k=20, d_v=30, ask="W_O").answer == [90, 100]
    assert multihead(10, 100, 3, d_k=20, ask="d_v").answer == 20
    with pytest.raises(ValueError, match="does not divide"):
        multihead(10, 100, 3)
    with pytest.raises(ValueError, match="heads"):
        multihead(10, 100, 0)


@pytest.mark.parametrize("ask", ["d_k", "W_Q", "W_O", "concat", "head", "output"])
def test_multihead_mistakes_differ_and_are_json(ask):
    worked = multihead(10, 512, 8, d_v=32, ask=ask)  # d_v < d_model/h: W^O is not square
    assert worked.mistakes and all(m != worked.answer for m in worked.mistakes.values())
    json.dumps([worked.answer, worked.mistakes, worked.steps])
    if ask == "W_O":
        assert worked.mistakes["W^O shape transposed"] == worked.answer[::-1]


# --- gradients -----------------------------------------------------------------------------

def _autograd(Q, K, V, dO) -> dict[str, np.ndarray]:
    q, k, v = (_t(m).requires_grad_() for m in (Q, K, V))
    s = q @ k.T / math.sqrt(q.shape[-1])
    s.retain_grad()
    a = torch.softmax(s, dim=-1)
    a.retain_grad()
    (a @ v).backward(_t(dO))
    return {"dQ": q.grad, "dK": k.grad, "dV": v.grad, "dA": a.grad, "dS": s.grad}


@pytest.mark.parametrize("n_q,d_k,n_k,d_v", CASES)
def test_grad_matches_autograd_on_random_floats(n_q, d_k, n_k, d_v):
    Q, K, V, dO = (RNG.normal(size=s).tolist()
                   for s in ((n_q, d_k), (n_k, d_k), (n_k, d_v), (n_q, d_v)))
    expected = _autograd(Q, K, V, dO)
    for ask, value in expected.items():
        np.testing.assert_allclose(grad(Q, K, V, dO=dO, ask=ask).answer, value.numpy(),
                                   atol=2e-6, err_msg=ask)


def test_grad_exact_on_rationals_with_default_ones():
    Q, K, V = [[1, "1/2"], [0, 1]], [["-1/3", 1], [1, 0]], [[1, 2], [3, 4]]
    floats = [[[float(sympy.Rational(x)) for x in row] for row in m] for m in (Q, K, V)]
    expected = _autograd(*floats, np.ones((2, 2)))
    for ask, value in expected.items():
        worked = grad(Q, K, V, ask=ask)
        assert not worked.exact.has(sympy.Float)
        np.testing.assert_allclose(np.array(worked.exact.evalf(30).tolist(), dtype=float),
                                   value.numpy(), atol=1e-12, err_msg=ask)


def test_grad_mistakes_are_the_named_shortcuts():
    Q, K, V = [[1, 2], [0, 1]], [[1, 0], [2, 1]], [[1, 2], [3, 4]]
    dO = [[1, -1], [2, 0]]
    expected = _autograd(Q, K, V, dO)
    d_s = grad(Q, K, V, dO=dO, ask="dS")
    np.testing.assert_allclose(d_s.mistakes["softmax Jacobian left out (dS = dA)"],
                               expected["dA"].numpy(), atol=1e-6)
    d_q = grad(Q, K, V, dO=dO, ask="dQ")
    np.testing.assert_allclose(d_q.mistakes["1/√d_k left out of dQ"],
                               (expected["dQ"] * math.sqrt(2)).numpy(), atol=1e-6)
    d_v = grad(Q, K, V, dO=dO, ask="dV")
    assert d_v.mistakes["Aᵀ left out of dV (dV = dO)"] == [[1.0, -1.0], [2.0, 0.0]]
    for ask in ("dQ", "dK", "dV", "dA", "dS"):
        worked = grad(Q, K, V, dO=dO, ask=ask)
        assert worked.mistakes and all(m != worked.answer for m in worked.mistakes.values())


def test_grad_rejects_wrong_dO_shape():
    with pytest.raises(ValueError, match="dO"):
        grad([[1, 0]], [[1, 0]], [[1, 2]], dO=[[1]])


def test_softmax_jacobian_matches_autograd():
    z = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    a = torch.softmax(z, 0)
    expected = torch.autograd.functional.jacobian(lambda u: torch.softmax(u, 0), z)
    worked = softmax_jacobian(a.tolist())
    np.testing.assert_allclose(worked.answer, expected.numpy(), atol=1e-6)
    assert all(m != worked.answer for m in worked.mistakes.values())
    exact = softmax_jacobian(["1/2", "1/3", "1/6"]).exact
    assert exact == sympy.diag(sympy.Rational(1, 2), sympy.Rational(1, 3), sympy.Rational(1, 6)) \
        - sympy.Matrix([[sympy.Rational(1, n) for n in (2, 3, 6)]]).T \
        * sympy.Matrix([[sympy.Rational(1, n) for n in (2, 3, 6)]])
