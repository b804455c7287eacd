"""Matrix expressions (unrolled RNNs, BPTT products), normalized to the mini-language of
`reference.rnn.evaluate_unrolled` (`*` the matrix product unless a side is a number, `**`
element-wise, tanh/relu/sigmoid/exp element-wise, diag of a vector, transpose) and compared by
evaluating both sides at seeded random matrices (W_hh n×n, W_xh n×m, b, h_i n×1, x_t m×1;
n=3, m=2) with that evaluator."""
from __future__ import annotations

import ast
import re
from typing import Any

import numpy as np

from grader.answers.forms import Comparison, bounded_text, show, times
from grader.answers.notation import ascii_math
from grader.assignment import Tolerance
from grader.errors import AnswerParseError
from grader.i18n import N_, _
from reference.rnn import evaluate_unrolled

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


def read_matrix_expression(raw: Any) -> str:
    """Normalized matrix expression, e.g. `tanh(W_hh*h0 + W_xh*x1 + b)`."""
    text = ascii_math(bounded_text(raw, N_("a matrix expression"))).replace("@", "*")
    text = text.split("=")[-1].strip()
    tokens = _matrix_tokens(text, raw)
    for (kind, value), after in zip(tokens, tokens[1:] + [("end", "")]):
        if value in MATRIX_FUNCTIONS and after != ("op", "("):
            message = _("{answer}: {name} needs parentheses, as in {name}(...)")
            raise AnswerParseError(message.format(answer=show(raw), name=value))
    normalized = _join_matrix_tokens(_implicit_products(_transposes(tokens)))
    try:
        tree = ast.parse(normalized, mode="eval")
    except SyntaxError:
        raise AnswerParseError(_("{answer} is not a valid expression").format(
            answer=show(raw))) from None
    _check_matrix_tree(tree, raw)
    return normalized


def _matrix_tokens(text: str, raw: Any) -> list[tuple[str, str]]:
    """(kind, text) tokens with names made canonical: Whh/W_{hh} -> W_hh, h_0 -> h0."""
    tokens, i = [], 0
    while i < len(text.rstrip()):
        match = MATRIX_TOKEN.match(text, i)
        if not match:
            message = _("{answer} has {char}, which a matrix expression may not")
            raise AnswerParseError(message.format(answer=show(raw),
                                                  char=repr(text[i:].strip()[:1])))
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
        raise AnswerParseError(_("{answer} uses {name}; a matrix expression may use W_hh, W_xh, "
                                 "b, h0, h1, ..., x1, x2, ... and {functions}").format(
            answer=show(raw), name=repr(name), functions=", ".join(sorted(MATRIX_FUNCTIONS))))
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
            raise AnswerParseError(_("{answer}: only tanh(...), relu(...), sigmoid(...), "
                                     "exp(...), diag(...), transpose(...) may be called").format(
                answer=show(raw)))
        if isinstance(node, ast.Name) and node.id == "T":
            raise AnswerParseError(_("{answer}: write a transpose as W_hh^T").format(
                answer=show(raw)))



def compare_matrix_expression(given: Any, expected: Any, tolerance: Tolerance | None, *,
                              square: bool = False) -> Comparison:
    """Equal at random substitutions. `square`: x_t as long as h_t (m = n), so that a wrong
    method which mixes them up (W_hh and W_xh swapped) still evaluates and can be recognised."""
    want = read_matrix_expression(expected)
    have = given if isinstance(given, str) else read_matrix_expression(given)
    for values in rnn_substitutions(have + " " + want, square=square):
        try:
            got = np.asarray(evaluate_unrolled(have, values), dtype=float)
        except Exception as e:      # the student's shapes don't fit: a wrong answer
            return Comparison(0.0, (), _("does not evaluate: {error}").format(error=e))
        ref = np.asarray(evaluate_unrolled(want, values), dtype=float)
        if got.shape != ref.shape:
            return Comparison(0.0, (), _("gives a {given} result, {expected} expected").format(
                given=times(got.shape), expected=times(ref.shape)))
        if not np.allclose(got, ref, rtol=1e-9, atol=1e-12):
            return Comparison(0.0, (), _("differs from the expected expression at random values"))
    return Comparison(1.0, (), _("equal at {count} random substitutions").format(
        count=MATRIX_TRIALS))


def rnn_substitutions(names_from: str, *, square: bool = False) -> list[dict[str, np.ndarray]]:
    """MATRIX_TRIALS seeded draws of W_hh, W_xh, b, h0.., x1.. for the indices used."""
    hidden = {int(i) for i in re.findall(r"\bh(\d+)\b", names_from)} | {0}
    inputs = {int(i) for i in re.findall(r"\bx(\d+)\b", names_from)} | {1}
    draws = []
    for seed in range(MATRIX_TRIALS):
        rng = np.random.default_rng(seed)
        n, m = RNN_HIDDEN, RNN_HIDDEN if square else RNN_INPUT
        values = {"W_hh": rng.normal(0, 0.6, (n, n)), "W_xh": rng.normal(0, 0.6, (n, m)),
                  "b": rng.normal(0, 0.3, (n, 1))}
        values |= {f"h{i}": rng.uniform(-0.9, 0.9, (n, 1)) for i in sorted(hidden)}
        values |= {f"x{t}": rng.normal(0, 1, (m, 1)) for t in sorted(inputs)}
        draws.append(values)
    return draws
