"""grader.answers: every notation students write, per form; comparisons; hostile input."""
from __future__ import annotations

import json
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import sympy
import torch

from grader.answers import safe
from grader.answers import DEFAULT_TOLERANCE, Comparison, Form, compare, numbers_close, parse
from grader.assignment import Tolerance
from grader.errors import AnswerParseError
from reference.rnn import evaluate_unrolled, unroll

CASES = json.loads((Path(__file__).parent / "answer_cases.json").read_text(encoding="utf-8"))


def _label(case: dict) -> str:
    return f"{case['form']}:{str(case['raw'])[:40]}"


def _same(parsed, value, form: Form) -> bool:
    """The parsed value equals the JSON-written one (tuples as lists, floats to 1e-12)."""
    if form is Form.EXPRESSION:
        return sympy.simplify(parsed - sympy.sympify(value)) == 0
    if isinstance(parsed, (list, tuple)):
        return isinstance(value, list) and len(parsed) == len(value) and all(
            _same(p, v, form) for p, v in zip(parsed, value))
    if isinstance(parsed, float):
        return math.isclose(parsed, value, rel_tol=1e-12, abs_tol=1e-15)
    return parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("case", CASES["accept"], ids=_label)
def test_accepts(case: dict) -> None:
    form = Form(case["form"])
    parsed = parse(case["raw"], form)
    assert _same(parsed, case["value"], form), parsed


@pytest.mark.parametrize("case", CASES["reject"], ids=_label)
def test_rejects_with_a_message_naming_why(case: dict) -> None:
    with pytest.raises(AnswerParseError) as info:
        parse(case["raw"], Form(case["form"]))
    message = str(info.value)
    assert case["error"] in message
    assert "\n" not in message and len(message) < 200


def test_every_form_has_accept_and_reject_cases() -> None:
    accepted = {c["form"] for c in CASES["accept"]}
    rejected = {c["form"] for c in CASES["reject"]}
    assert accepted == {str(f) for f in Form}
    assert rejected >= {str(f) for f in Form} - {"text"}


# --- numbers ----------------------------------------------------------------------------------

def test_parameter_arithmetic_matches_torch() -> None:
    conv = torch.nn.Conv2d(3, 32, kernel_size=3)
    assert parse("3*3*3*32+32", Form.INT) == sum(p.numel() for p in conv.parameters())


def test_thousands_separators_are_one_int_but_dimensions_in_a_shape() -> None:
    assert parse("11,279,112", Form.INT) == 11_279_112
    assert parse("11,279,112", Form.SHAPE) == (11, 279, 112)
    assert parse("30*30*64", Form.INT) == 30 * 30 * 64        # arithmetic where a number is asked
    assert parse("30*30*64", Form.SHAPE) == (30, 30, 64)      # separators where a shape is asked


def test_int_results_are_python_ints() -> None:
    assert type(parse("8.96e2", Form.INT)) is int
    assert type(parse("1/2", Form.NUMBER)) is float


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_floats_are_rejected(raw: float) -> None:
    with pytest.raises(AnswerParseError, match="is not a finite number"):
        parse(raw, Form.NUMBER)


def test_shape_of_the_wrong_rank_names_what_was_expected() -> None:
    with pytest.raises(AnswerParseError) as info:
        parse("32x32", Form.SHAPE, dims=3)
    assert str(info.value) == '"32x32" has 2 dimensions; expected 3 (H×W×C)'
    assert parse("32x32x3", Form.SHAPE, dims=3) == (32, 32, 3)


# --- tolerance --------------------------------------------------------------------------------

@pytest.mark.parametrize("given, expected, tol, ok", [
    (1.02, 1.0, DEFAULT_TOLERANCE, True),           # exactly abs + rel·|e| away
    (0.98, 1.0, DEFAULT_TOLERANCE, True),
    (1.0201, 1.0, DEFAULT_TOLERANCE, False),
    (0.0, 0.01, DEFAULT_TOLERANCE, True),           # abs part alone: 0.01 + 0.0001
    (110.0, 100.0, Tolerance(abs=0.0, rel=0.1), True),
    (110.0001, 100.0, Tolerance(abs=0.0, rel=0.1), False),
    (2.5, 2.0, Tolerance(abs=0.5, rel=0.0), True),
    (2.5000001, 2.0, Tolerance(abs=0.5, rel=0.0), False),
    (3.0, 3.0, Tolerance(abs=0.0, rel=0.0), True),
    (float("nan"), 1.0, DEFAULT_TOLERANCE, False),
    (1.0, float("inf"), DEFAULT_TOLERANCE, False),
])
def test_numbers_close_at_the_boundary(given, expected, tol, ok) -> None:
    assert numbers_close(given, expected, tol) is ok


def test_integers_compare_exactly_unless_a_tolerance_is_given() -> None:
    assert compare(parse("897", Form.INT), 896, Form.INT).fraction == 0.0
    assert compare(parse("896", Form.INT), 896, Form.INT) == Comparison(1.0, (), "equal")
    assert compare(897, 896, Form.INT, Tolerance(abs=1, rel=0)).fraction == 1.0
    assert compare(2.001, 2, Form.NUMBER).fraction == 0.0      # an int key is exact
    assert compare(2.001, 2.0, Form.NUMBER).fraction == 1.0    # a float key has the default


def test_number_key_may_be_an_exact_string() -> None:
    assert compare(parse("0.707", Form.NUMBER), "sqrt(2)/2", Form.NUMBER).fraction == 1.0
    assert compare(parse("0.75", Form.NUMBER), "sqrt(2)/2", Form.NUMBER).fraction == 0.0


# --- shapes, matrices, tables -----------------------------------------------------------------

def test_shape_from_full_width_punctuation_compares_equal() -> None:
    result = compare(parse("（30，30，64）", Form.SHAPE), [30, 30, 64], Form.SHAPE)
    assert result.fraction == 1.0 and result.parts == (True, True, True)
    wrong = compare(parse("30x30x32", Form.SHAPE), [30, 30, 64], Form.SHAPE)
    assert wrong.fraction == 0.0 and wrong.parts == (True, True, False)
    assert compare((30, 30), [30, 30, 64], Form.SHAPE).fraction == 0.0


def test_shapes_earn_credit_element_by_element() -> None:
    expected = [[32, 32, 32], [16, 16, 32], [14, 14, 64], [7, 7, 64], 3136]
    given = parse("32x32x32; 16x16x32; 14x14x64; 7x7x32; (None, 3136)", Form.SHAPES)
    result = compare(given, expected, Form.SHAPES)
    assert result.parts == (True, True, True, False, True)
    assert result.fraction == pytest.approx(4 / 5)
    assert result.detail == "4 of 5 shapes correct"


def test_a_shape_where_an_int_is_expected_is_wrong() -> None:
    result = compare([(7, 7, 64), 10], [3136, 10], Form.SHAPES)
    assert result.parts == (False, True)
    short = compare([(32, 32, 32)], [[32, 32, 32], [16, 16, 32]], Form.SHAPES)
    assert short.parts == (True, False) and "1 given, 2 expected" in short.detail


def test_matrix_partial_credit_is_the_fraction_of_entries() -> None:
    result = compare(parse("[1 2; 3 5]", Form.MATRIX), [[1, 2], [3, 4]], Form.MATRIX)
    assert result.parts == (True, True, True, False)
    assert result.fraction == 0.75
    assert result.detail == "3 of 4 entries within tolerance"


def test_matrix_entries_use_the_tolerance() -> None:
    expected = [[0.5, 0.7071067811865476]]
    assert compare(parse("[0.5, 0.71]", Form.MATRIX), expected, Form.MATRIX).fraction == 1.0
    strict = Tolerance(abs=0.001, rel=0.0)
    assert compare(parse("[0.5, 0.71]", Form.MATRIX), expected, Form.MATRIX,
                   strict).parts == (True, False)
    assert compare([[0.5, 0.70710678]], [["1/2", "sqrt(2)/2"]], Form.MATRIX, strict).fraction == 1


def test_matrix_of_the_wrong_shape_scores_zero_naming_both_shapes() -> None:
    result = compare(parse("[[1,2,3],[4,5,6]]", Form.MATRIX), [[1, 2], [3, 4], [5, 6]],
                     Form.MATRIX)
    assert result == Comparison(0.0, (), "shape 3×2 expected, 2×3 given")


def test_a_vector_may_be_written_flat() -> None:
    assert compare(parse([1, 2, 3], Form.MATRIX), [[1], [2], [3]], Form.MATRIX).fraction == 1


def test_table_credit_per_shape_and_parameter_cell() -> None:
    expected = [["Conv2d-1", [-1, 64, 32, 32], 1792], ["ReLU-2", [-1, 64, 32, 32], 0],
                ["Linear-3", [-1, 10], 655370]]
    given = parse("Conv2d-1 | 64x32x32 | 1,792\nReLU-2 | 64x32x32 | --\n"
                  "Linear-3 | 10 | 655,360", Form.TABLE)
    result = compare(given, expected, Form.TABLE)
    assert result.parts == (True, True, True, True, True, False)
    assert result.fraction == pytest.approx(5 / 6)


# --- expressions ------------------------------------------------------------------------------

@pytest.mark.parametrize("given, expected, ok", [
    ("(x+1)^2", "x**2 + 2*x + 1", True),
    ("x^2 + 2x", "x**2 + 2*x + 1", False),
    (r"\frac{1}{\sqrt{d_k}}", "d_k**(-1/2)", True),
    ("√2/2", "1/sqrt(2)", True),
    ("e^{1/√2}", "exp(2**(-1/2))", True),
    ("sigmoid(z)", "1/(1 + exp(-z))", True),
    ("tanh(x)", "(exp(2*x) - 1)/(exp(2*x) + 1)", True),
    ("x*y", "y*x + 0*z", True),
    ("x", "y", False),
])
def test_expression_equivalence(given: str, expected: str, ok: bool) -> None:
    result = compare(parse(given, Form.EXPRESSION), expected, Form.EXPRESSION)
    assert result.fraction == (1.0 if ok else 0.0), result.detail


def test_random_substitution_decides_when_sympy_is_inconclusive(monkeypatch) -> None:
    monkeypatch.setattr(sympy, "simplify", lambda expr: expr)       # never proves anything
    monkeypatch.setattr(sympy.Expr, "equals", lambda self, other: None)
    same = compare(parse("(x+1)^2", Form.EXPRESSION), "x**2 + 2*x + 1", Form.EXPRESSION)
    assert same == Comparison(1.0, (), "equal at random values of its symbols")
    differ = compare(parse("(x+1)^2", Form.EXPRESSION), "x**2 + 2*x", Form.EXPRESSION)
    assert differ.fraction == 0.0


# --- matrix expressions -----------------------------------------------------------------------

@pytest.mark.parametrize("given", [
    "tanh(W_hh tanh(W_hh h_0 + W_xh x_1 + b) + W_xh x_2 + b)",
    r"\tanh(W_{xh} x_{2} + b + W_{hh} \tanh(b + W_{xh} x_{1} + W_{hh} h_{0}))",
    "tanh(Whh·tanh(Wxh·x1 + Whh·h0 + b) + Wxh·x2 + b)",
    "h_2 = tanh(W_hh @ tanh(W_hh @ h_0 + W_xh @ x_1 + b) + W_xh @ x_2 + b)",
])
def test_unrolled_rnn_in_any_notation_matches_the_reference(given: str) -> None:
    result = compare(parse(given, Form.MATRIX_EXPRESSION), unroll(2).answer,
                     Form.MATRIX_EXPRESSION)
    assert result.fraction == 1.0, result.detail


def test_classic_unrolling_mistakes_score_zero() -> None:
    worked = unroll(2)
    assert worked.mistakes
    for name, wrong in worked.mistakes.items():
        given = parse(wrong, Form.MATRIX_EXPRESSION)
        assert compare(given, worked.answer, Form.MATRIX_EXPRESSION).fraction == 0.0, name


def test_product_order_matters() -> None:
    expected = "tanh(W_hh*h0 + W_xh*x1 + b)"
    swapped = compare(parse("tanh(W_hh h0 + x1 W_xh + b)", Form.MATRIX_EXPRESSION), expected,
                      Form.MATRIX_EXPRESSION)
    assert swapped.fraction == 0.0 and swapped.detail.startswith("does not evaluate")
    transposed = compare(parse("tanh(W_hh^T h0 + W_xh x1 + b)", Form.MATRIX_EXPRESSION),
                         expected, Form.MATRIX_EXPRESSION)
    assert transposed.fraction == 0.0


def test_bptt_expression_means_what_autograd_computes() -> None:
    # ∂h2/∂h0 for h_t = tanh(W_hh h_{t−1} + W_xh x_t + b), written the way students do.
    torch.manual_seed(0)
    w_hh, w_xh = torch.randn(3, 3, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)
    b, h0 = torch.randn(3, 1, dtype=torch.float64), torch.randn(3, 1, dtype=torch.float64)
    x1, x2 = torch.randn(2, 1, dtype=torch.float64), torch.randn(2, 1, dtype=torch.float64)

    def h2_from(h: torch.Tensor) -> torch.Tensor:
        h1 = torch.tanh(w_hh @ h + w_xh @ x1 + b)
        return torch.tanh(w_hh @ h1 + w_xh @ x2 + b)
    jacobian = torch.autograd.functional.jacobian(h2_from, h0).reshape(3, 3).numpy()
    h1 = torch.tanh(w_hh @ h0 + w_xh @ x1 + b)
    values = {"W_hh": w_hh.numpy(), "h1": h1.numpy(), "h2": h2_from(h0).numpy()}
    written = parse("diag(1 − h_2²) · W_hh · diag(1 − h_1²) · W_hh", Form.MATRIX_EXPRESSION)
    np.testing.assert_allclose(evaluate_unrolled(written, values), jacobian, rtol=1e-12)


# --- choices and text -------------------------------------------------------------------------

def test_choice_and_text_compare_ignoring_case_and_spacing() -> None:
    assert compare(parse("(B)", Form.CHOICE), "b", Form.CHOICE).fraction == 1.0
    assert compare(parse("C, A", Form.CHOICE), "a and c", Form.CHOICE).fraction == 1.0
    assert compare(parse("a", Form.CHOICE), "b", Form.CHOICE).fraction == 0.0
    assert compare(parse("Vanishing  gradients", Form.TEXT), "vanishing gradients",
                   Form.TEXT).fraction == 1.0


# --- hostile input and time limits --------------------------------------------------------------

@pytest.mark.parametrize("raw", ["9**9**9**9", "9" * 10_000, '__import__("os").system("ls")',
                                 "2**2**2**2**2**2", "(" * 1_500 + "1" + ")" * 1_500,
                                 # exact values sympy would build in C, past the time limit
                                 "1e999999", "1e-999999", "0." + "1" * 20_000])
def test_pathological_input_is_an_error_not_a_hang(raw: str) -> None:
    for form in (Form.INT, Form.NUMBER, Form.EXPRESSION):
        with pytest.raises(AnswerParseError):
            parse(raw, form)


def test_time_limit_interrupts_on_the_main_thread() -> None:
    assert threading.current_thread() is threading.main_thread()
    with pytest.raises(safe.TooSlow):
        safe.within(0.05, lambda: time.sleep(5))
    assert safe.within(1.0, lambda: 42) == 42


def test_time_limit_works_inside_worker_threads() -> None:
    def slow() -> None:
        safe.within(0.05, lambda: time.sleep(0.5))
    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(safe.TooSlow):
            pool.submit(slow).result()
        same = pool.submit(lambda: compare(parse("(x+1)^2", Form.EXPRESSION), "x**2+2*x+1",
                                           Form.EXPRESSION)).result()
    assert same.fraction == 1.0


def test_a_slow_parse_is_reported_as_too_complex(monkeypatch) -> None:
    def stall(text, raw):
        time.sleep(5)
    monkeypatch.setattr(safe, "_sympy_unlimited", stall)
    monkeypatch.setattr(safe, "PARSE_SECONDS", 0.05)
    with pytest.raises(AnswerParseError, match="is too complex to check"):
        parse("x + 1", Form.EXPRESSION)


def test_a_whole_summary_pasted_as_the_count_is_read_from_its_footer() -> None:
    """Students paste torchsummary's whole table as the parameter count; ResNet-18's is about
    6,000 characters, past the 2,000 an answer may otherwise have."""
    from click.testing import CliRunner
    from grader.cli import main
    table = CliRunner().invoke(main, ["ref", "summary", "resnet18"]).output
    assert len(table) > 2_000 and "Total params: 11,689,512" in table
    assert parse("ResNet-18 的 summary：\n" + table, Form.INT) == 11_689_512
    with pytest.raises(AnswerParseError, match="too long"):       # no footer: still bounded
        parse(table.replace("Total params", "Params"), Form.INT)
    with pytest.raises(AnswerParseError, match="too long"):
        parse("9" * 60_000, Form.INT)
