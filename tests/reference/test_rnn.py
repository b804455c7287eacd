"""reference.rnn against torch: unrolled expressions, BPTT Jacobians, the safe evaluator."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from reference.rnn import ACTIVATIONS, bptt, evaluate_unrolled, unroll

RNG = np.random.default_rng(7)
N, M = 3, 2  # hidden size n, input size m


def _weights(scale: float = 0.8) -> dict[str, np.ndarray]:
    return {"W_hh": RNG.normal(scale=scale / np.sqrt(N), size=(N, N)),
            "W_xh": RNG.normal(size=(N, M)), "b": RNG.normal(size=N), "h0": RNG.normal(size=N)}


def _torch_run(w: dict[str, np.ndarray], xs: list[np.ndarray], activation: str) -> torch.Tensor:
    """h_T from an nn.RNNCell with its weights set to W_xh, W_hh, b (tanh/relu), else a loop."""
    h = torch.tensor(w["h0"]).unsqueeze(0)  # (1, n): torch cells take row batches
    if activation in ("tanh", "relu"):
        cell = torch.nn.RNNCell(M, N, nonlinearity=activation, dtype=torch.float64)
        with torch.no_grad():
            cell.weight_ih.copy_(torch.tensor(w["W_xh"]))
            cell.weight_hh.copy_(torch.tensor(w["W_hh"]))
            cell.bias_ih.copy_(torch.tensor(w["b"]))
            cell.bias_hh.zero_()
            for x in xs:
                h = cell(torch.tensor(x).unsqueeze(0), h)
        return h[0]
    f = torch.sigmoid if activation == "sigmoid" else (lambda z: z)
    w_hh, w_xh, b = (torch.tensor(w[k]) for k in ("W_hh", "W_xh", "b"))
    h = h[0]
    for x in xs:
        h = f(w_hh @ h + w_xh @ torch.tensor(x) + b)
    return h


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("steps", [1, 2, 4])
def test_unrolled_expression_equals_a_torch_rnn(activation, steps):
    worked = unroll(steps, activation)
    for _ in range(3):
        w = _weights()
        xs = [RNG.normal(size=M) for _ in range(steps)]
        values = w | {f"x{t}": x for t, x in enumerate(xs, start=1)}
        got = evaluate_unrolled(worked.answer, values)
        assert got.shape == (N, 1)  # column vectors
        np.testing.assert_allclose(got.ravel(), _torch_run(w, xs, activation).numpy(), atol=1e-12)
    assert len([s for s in worked.steps if s.startswith("h")]) == steps


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_unroll_mistakes_are_different_functions(activation):
    worked = unroll(3, activation)
    assert {"the same x used at every step", "W_hh and W_xh swapped", "bias left out"} \
        <= set(worked.mistakes)
    square = {"W_hh": RNG.normal(size=(N, N)), "W_xh": RNG.normal(size=(N, N)),
              "b": RNG.normal(size=N), "h0": RNG.normal(size=N)}
    values = square | {f"x{t}": RNG.normal(size=N) for t in (1, 2, 3)}
    right = evaluate_unrolled(worked.answer, values)
    for name, expr in worked.mistakes.items():
        assert not np.allclose(evaluate_unrolled(expr, values), right), name


def test_unroll_two_steps_reads_as_in_the_textbook():
    worked = unroll(2)
    assert worked.steps[0] == "h1 = tanh(W_hh*h0 + W_xh*x1 + b)"
    assert worked.steps[1] == "h2 = tanh(W_hh*h1 + W_xh*x2 + b)"
    with pytest.raises(ValueError, match="activation"):
        unroll(2, "gelu")
    with pytest.raises(ValueError, match="steps"):
        unroll(0)


def _problem():
    w = _weights(scale=0.9)
    xs = [RNG.normal(size=M) for _ in range(5)]
    return w, xs


def _torch_hs(w, xs) -> list[torch.Tensor]:
    w_hh, w_xh, b = (torch.tensor(w[k]) for k in ("W_hh", "W_xh", "b"))
    hs = [torch.tensor(w["h0"])]
    for x in xs:
        hs.append(torch.tanh(w_hh @ hs[-1] + w_xh @ torch.tensor(x) + b))
    return hs


def _torch_jacobian(w, xs, t: int, k: int) -> torch.Tensor:
    w_hh, w_xh, b = (torch.tensor(w[key]) for key in ("W_hh", "W_xh", "b"))

    def h_t(h_k: torch.Tensor) -> torch.Tensor:
        h = h_k
        for x in xs[k:t]:  # x_{k+1} … x_t
            h = torch.tanh(w_hh @ h + w_xh @ torch.tensor(x) + b)
        return h

    return torch.autograd.functional.jacobian(h_t, _torch_hs(w, xs)[k])


@pytest.mark.parametrize("t,k", [(1, 0), (3, 1), (5, 0), (5, 4), (4, 2)])
def test_bptt_jacobian_expression_and_bound_match_autograd(t, k):
    w, xs = _problem()
    args = dict(W_hh=w["W_hh"].tolist(), W_xh=w["W_xh"].tolist(), b=w["b"].tolist(),
                xs=[x.tolist() for x in xs], h0=w["h0"].tolist(), t=t, k=k)
    expected = _torch_jacobian(w, xs, t, k).numpy()
    jac = bptt(**args, ask="jacobian")
    np.testing.assert_allclose(jac.answer, expected, atol=2e-6)

    expr = bptt(**args, ask="expression").answer
    values = {"W_hh": w["W_hh"]} | {f"h{i}": h.numpy() for i, h in enumerate(_torch_hs(w, xs))}
    np.testing.assert_allclose(evaluate_unrolled(expr, values), expected, atol=1e-12)

    bound = bptt(**args, ask="norm_bound")
    assert bound.answer >= np.linalg.norm(expected, 2) - 1e-6
    assert any("vanish" in step for step in bound.steps)

    for name, wrong in jac.mistakes.items():
        assert wrong != jac.answer, name
    if t - k > 1:
        tanh_less = np.linalg.matrix_power(w["W_hh"], t - k)
        np.testing.assert_allclose(jac.mistakes["tanh′ factor left out (W_hh^(t−k))"],
                                   tanh_less, atol=1e-6)
        assert "factors multiplied in the wrong order" in jac.mistakes


def test_bptt_expression_names_factors_from_t_down():
    w, xs = _problem()
    worked = bptt(w["W_hh"].tolist(), w["W_xh"].tolist(), w["b"].tolist(),
                  [x.tolist() for x in xs], t=3, k=1, ask="expression")
    assert worked.answer == "diag(1 - h3**2)*W_hh*diag(1 - h2**2)*W_hh"


def test_bptt_exact_strings_equal_floats_and_scalar_inputs_work():
    as_strings = bptt([["1/2", "-1/4"], ["1/4", "1/2"]], [["1"], ["1/2"]], ["1/10", 0],
                      ["1", "2", "-1"], t=3, k=0)
    as_floats = bptt([[0.5, -0.25], [0.25, 0.5]], [[1.0], [0.5]], [0.1, 0.0],
                     [[1.0], [2.0], [-1.0]], t=3, k=0)
    assert as_strings.answer == as_floats.answer


def test_bptt_input_errors():
    w, xs = _problem()
    base = dict(W_hh=w["W_hh"].tolist(), W_xh=w["W_xh"].tolist(), b=w["b"].tolist(),
                xs=[x.tolist() for x in xs])
    with pytest.raises(ValueError, match="k < t"):
        bptt(**base, t=2, k=2)
    with pytest.raises(ValueError, match="square"):
        bptt(**base | {"W_hh": [[1, 2, 3]]}, t=2, k=0)
    with pytest.raises(ValueError, match=r"b\[0\]\[1\].*oops"):
        bptt(**base | {"b": [0, "oops", 0]}, t=2, k=0)
    with pytest.raises(ValueError, match="ask"):
        bptt(**base, t=2, k=0, ask="everything")


@pytest.mark.parametrize("expr,message", [
    ("__import__('os')", "only tanh, relu, sigmoid, exp, diag, transpose"),
    ("W_hh.__class__", "only .T"),
    ("x1.shape", "only .T"),
    ("W_hh*foo", "unknown name 'foo'"),
    ("W_hh*x2", r"shape mismatch in W_hh \* x2"),
    ("W_hh + x1", "shape mismatch"),
    ("W_hh[0]", "not allowed"),
    ("(lambda: 1)()", "only tanh"),
    ("open('x')", "only tanh"),
    ("tanh(W_hh, x1)", "exactly one argument"),
    ("x1 ** x1", "exponent"),
    ("W_hh * (", "not a valid expression"),
    ("'a' + 'b'", "not a number"),
])
def test_evaluate_unrolled_refuses(expr, message):
    values = {"W_hh": np.eye(3), "x1": np.ones(3), "x2": np.ones(2)}
    with pytest.raises(ValueError, match=message):
        evaluate_unrolled(expr, values)


def test_evaluate_unrolled_arithmetic():
    w = RNG.normal(size=(2, 2))
    h = RNG.normal(size=2)
    got = evaluate_unrolled("2·diag(1 − h1^2)*W.T @ h1 / 4 + sigmoid(h1) - relu(-h1)"
                            " + transpose(W)*exp(h1)", {"W": w, "h1": h})
    sigmoid = 1 / (1 + np.exp(-h))
    expected = (0.5 * np.diag(1 - h ** 2) @ w.T @ h + sigmoid - np.maximum(-h, 0)
                + w.T @ np.exp(h))
    np.testing.assert_allclose(got.ravel(), expected, atol=1e-12)
