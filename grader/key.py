"""The answer key: each question kind mapped to the `reference/` function that answers it.

The key is computed, never typed in: `expected(question)` calls the reference function with the
question's params and says in which form (`answers.Form`) a student's answer is read.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from grader.answers import Form, parse
from grader.assignment import Assignment, Question, load_assignment
from grader.errors import AnswerParseError, AssignmentError
from grader import keycache
from grader.i18n import N_
from grader.question_params import PARAMS, check_params, params_problems  # noqa: F401
from reference.worked import Worked


@dataclass(frozen=True)
class KeyEntry:
    question: Question
    worked: Worked | None           # None for `manual` questions
    form: Form

    @property
    def answer(self) -> Any:
        return None if self.worked is None else self.worked.answer

    def to_json(self) -> dict[str, Any]:
        return {"id": self.question.id, "kind": self.question.kind, "answer": self.answer,
                "steps": list(self.worked.steps) if self.worked else []}


@dataclass(frozen=True)
class AnswerKey:
    assignment: Assignment
    entries: tuple[KeyEntry, ...]

    def __getitem__(self, qid: str) -> KeyEntry:
        return next(e for e in self.entries if e.question.id == qid)

    def to_json(self) -> dict[str, Any]:
        return {"assignment": self.assignment.id, "questions": [e.to_json() for e in self.entries]}

    def show(self, markdown: bool = False) -> None:
        from grader import report
        if markdown:
            print(report.render_key_markdown(self.to_json(), title=self.assignment.title), end="")
        else:
            report.print_key(self)


def validate(path: Path | str) -> "Validation":
    """`grade validate`: read the assignment strictly and compute every answer, grading nothing."""
    assignment = load_assignment(path, checks=(params_problems,))
    return Validation(compute_key(assignment))


@dataclass(frozen=True)
class Validation:
    key: AnswerKey

    def show(self) -> None:
        a = self.key.assignment
        print(f"{a.path}: ok: {len(a.questions)} questions, {len(a.claims)} claims, "
              f"{sum(q.points for q in a.questions) + sum(c.points for c in a.claims):g} points")


def answer_key(path: Path | str) -> AnswerKey:
    """`grade key`: the answer key of the assignment at `path` (folder or TOML)."""
    return compute_key(load_assignment(path, checks=(params_problems,)))


_CACHE: dict[tuple[str, int], AnswerKey] = {}


def compute_key(assignment: Assignment) -> AnswerKey:
    """Every question's expected answer; cached per assignment file version (batches reuse it)."""
    try:
        stamp = (str(assignment.path.resolve()), assignment.path.stat().st_mtime_ns)
    except OSError:
        stamp = None
    if stamp is not None and stamp in _CACHE and _CACHE[stamp].assignment == assignment:
        return _CACHE[stamp]
    check_params(assignment)
    entries = keycache.load(assignment.questions)   # a repeated `grade check`: seconds saved
    if entries is None:
        entries = tuple(expected(q, assignment) for q in assignment.questions)
        keycache.store(assignment.questions, entries)
    key = AnswerKey(assignment, entries)
    if stamp is not None:
        _CACHE[stamp] = key
    return key


def expected(question: Question, assignment: Assignment | None = None) -> KeyEntry:
    """Compute one question's answer; bad params become an AssignmentError naming the question."""
    if question.kind in ("value", "expression", "choice") and question.answer is None:
        return KeyEntry(question, None, Form.TEXT)      # a students' copy: answer withheld
    solver = SOLVERS[question.kind]
    try:
        worked, form = solver(question)
    except (ValueError, TypeError, KeyError, ZeroDivisionError, AnswerParseError) as e:
        where = _where(question, assignment)
        raise AssignmentError(f"{where}question {question.id} ({question.kind}): "
                              f"{_one_line(e)}") from None
    return KeyEntry(question, worked, form)


def _where(question: Question, assignment: Assignment | None) -> str:
    if assignment is None:
        return ""
    from grader.inputs import key_line
    text = assignment.path.read_text(encoding="utf-8", errors="replace")
    line = key_line(text, "id", after=f'id = "{question.id}"')
    return f"{assignment.path.name} line {line}: " if line else f"{assignment.path.name}: "


def _one_line(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    if isinstance(e, KeyError):
        text = f"missing parameter {text}"
    return text.splitlines()[0]


# --- one solver per kind: params -> (Worked, Form) -------------------------------------------

def _p(question: Question, name: str, default: Any = ...) -> Any:
    """A required (or defaulted) parameter, with the error naming it."""
    if name in question.params:
        return question.params[name]
    if default is ...:
        raise KeyError(f"params.{name}")
    return default


def _cnn_shapes(q: Question) -> tuple[Worked, Form]:
    from reference import cnn
    return cnn.shapes(_p(q, "input"), _p(q, "layers"), _p(q, "ask", None)), Form.SHAPES


def _cnn_flatten(q: Question) -> tuple[Worked, Form]:
    from reference import cnn
    return cnn.flatten_size(_p(q, "input"), _p(q, "layers")), Form.INT


def _cnn_params(q: Question) -> tuple[Worked, Form]:
    from reference import cnn
    return cnn.params(_p(q, "input"), _p(q, "layers"), _p(q, "layer", "total")), Form.INT


def _model_summary(q: Question) -> tuple[Worked, Form]:
    from reference import models
    ask = _p(q, "ask", "total_params")
    form = {"total_params": Form.INT, "table": Form.TABLE, "shapes": Form.SHAPES,
            "total_macs": Form.INT}.get(ask)
    if form is None:
        raise ValueError(f"ask = {ask!r} is not one of total_params, table, shapes, total_macs")
    worked = models.model_summary(_p(q, "model"), _p(q, "input"), ask=ask,
                                  kwargs=_p(q, "kwargs", None))
    return _with_zoo_confusions(worked, q, ask), form


# Zoo confusions a TA names, as (mistake, the model counted instead, its num_classes).
# N_ marks them for the catalog; they are translated where shown, like reference/'s names.
TORCHVISION_BUILD = N_("torchvision's ImageNet build (ImageNet stem and 1,000 classes)")
WITH_BN = N_("the batchnorm variant counted (with batchnorm)")


def _with_zoo_confusions(worked: Worked, q: Question, ask: str) -> Worked:
    """Beyond the reference's own mistakes: the torchvision build of a CIFAR model (both its
    stem and its 1,000 classes), and the `_bn` variant of a VGG asked without batchnorm."""
    from reference import models
    name = str(_p(q, "model")).lower()
    kwargs = dict(_p(q, "kwargs", None) or {})
    others = {}
    if name.endswith("_cifar"):
        others[TORCHVISION_BUILD] = (name.removesuffix("_cifar"), {**kwargs, "num_classes": 1000})
    if name.startswith("vgg") and "_bn" not in name:
        others[WITH_BN] = (name.replace("_cifar", "") + "_bn" + ("_cifar" if name.endswith(
            "_cifar") else ""), kwargs)
    mistakes = dict(worked.mistakes)
    for mistake, (other, other_kwargs) in others.items():
        try:
            answer = models.model_summary(other, _p(q, "input"), ask=ask,
                                          kwargs=other_kwargs).answer
        except (ValueError, KeyError, TypeError):
            continue                # the zoo has no such variant
        if answer != worked.answer and answer not in mistakes.values():
            mistakes[mistake] = answer
    return replace(worked, mistakes=mistakes)


def _sdpa(q: Question) -> tuple[Worked, Form]:
    from reference import attention
    ask = _p(q, "ask", "output")
    worked = attention.sdpa(_p(q, "Q"), _p(q, "K"), _p(q, "V"), mask=_p(q, "mask", None), ask=ask)
    return worked, Form.SHAPE if ask == "shape" else Form.MATRIX


def _multihead(q: Question) -> tuple[Worked, Form]:
    from reference import attention
    ask = _p(q, "ask", "d_k")
    worked = attention.multihead(_p(q, "seq_len"), _p(q, "d_model"), _p(q, "heads"),
                                 d_k=_p(q, "d_k", None), d_v=_p(q, "d_v", None), ask=ask)
    return worked, Form.INT if ask in ("d_k", "d_v") else Form.SHAPE


def _attention_grad(q: Question) -> tuple[Worked, Form]:
    from reference import attention
    worked = attention.grad(_p(q, "Q"), _p(q, "K"), _p(q, "V"), dO=_p(q, "dO", None),
                            ask=_p(q, "ask", "dV"))
    return worked, Form.MATRIX


def _rnn_unroll(q: Question) -> tuple[Worked, Form]:
    """`h0 = 0`: the zero initial state, so the right h_T has no W_hh·h0 term."""
    from reference import rnn
    steps, activation = _p(q, "steps"), _p(q, "activation", "tanh")
    worked = rnn.unroll(steps, activation)
    h0 = _p(q, "h0", None)
    if h0 is None:
        return worked, Form.MATRIX_EXPRESSION
    if h0 != 0:
        raise ValueError(f"h0 = {h0!r}: only h0 = 0 (the zero initial state) can be given")
    answer = rnn.unrolled_expression(steps, activation, h0=False)
    mistakes = {n: zero_h0(e) for n, e in worked.mistakes.items()
                if e != answer and "h0 term" not in n}
    steps_shown = (*worked.steps, "h0 = 0, so the W_hh·h0 term of the first step vanishes: "
                   f"h{steps} = {answer}")
    return replace(worked, answer=answer, steps=steps_shown, mistakes=mistakes), \
        Form.MATRIX_EXPRESSION


def zero_h0(expression: str) -> str:
    """The expression with h0 = 0: `h0` becomes `(0*h0)`, so its terms vanish when evaluated."""
    return re.sub(r"\bh0\b", "(0*h0)", expression)


def _rnn_bptt(q: Question) -> tuple[Worked, Form]:
    from reference import rnn
    ask = _p(q, "ask", "jacobian")
    form = {"jacobian": Form.MATRIX, "expression": Form.MATRIX_EXPRESSION,
            "norm_bound": Form.NUMBER}.get(ask)
    if form is None:
        raise ValueError(f"ask = {ask!r} is not one of jacobian, expression, norm_bound")
    h0 = _p(q, "h0", None)
    h0 = None if h0 == 0 else h0        # `h0 = 0`: the zero vector, whatever n is
    worked = rnn.bptt(_p(q, "W_hh"), _p(q, "W_xh"), _p(q, "b"), _p(q, "xs"), h0,
                      _p(q, "t"), _p(q, "k"), ask=ask)
    return worked, form


def _receptive_field(q: Question) -> tuple[Worked, Form]:
    from reference import cnn
    jump = _p(q, "jump", True)
    worked = cnn.receptive_field(_p(q, "input"), _p(q, "layers"), _p(q, "ask", None), jump=jump,
                                 axis=_p(q, "axis", "H"))
    return worked, Form.MATRIX


def _cnn_macs(q: Question) -> tuple[Worked, Form]:
    from reference import cnn
    return cnn.macs(_p(q, "input"), _p(q, "layers"), _p(q, "layer", "total")), Form.INT


def _rnn_params(q: Question) -> tuple[Worked, Form]:
    from reference import rnn
    worked = rnn.rnn_params(_p(q, "cell"), _p(q, "input_size"), _p(q, "hidden_size"),
                            _p(q, "layers", 1), _p(q, "bidirectional", False), _p(q, "bias", True))
    return worked, Form.INT


def _transformer_params(q: Question) -> tuple[Worked, Form]:
    from reference import transformer
    worked = transformer.transformer_params(_p(q, "d_model"), _p(q, "heads"), _p(q, "d_ff"),
                                            _p(q, "block", "encoder"), _p(q, "bias", True),
                                            _p(q, "norm", "post"))
    return worked, Form.INT


def _positional(q: Question) -> tuple[Worked, Form]:
    from reference import transformer
    worked = transformer.positional(_p(q, "d_model"), _p(q, "pos"), _p(q, "i"))
    return worked, Form.MATRIX if isinstance(worked.answer, list) else Form.NUMBER


def _mlp_backprop(q: Question) -> tuple[Worked, Form]:
    from reference import mlp
    ask = _p(q, "ask", "dW1")
    worked = mlp.backprop(_p(q, "weights"), _p(q, "biases", None), _p(q, "x"), _p(q, "target"),
                          _p(q, "activation", "sigmoid"), _p(q, "loss", "sse"), ask=ask)
    return worked, Form.NUMBER if ask == "loss" else Form.MATRIX


def _cross_entropy(q: Question) -> tuple[Worked, Form]:
    from reference import losses
    ask = _p(q, "ask", "loss")
    worked = losses.cross_entropy(_p(q, "logits"), _p(q, "targets"), ask=ask,
                                  reduction=_p(q, "reduction", "mean"))
    return worked, Form.NUMBER if ask == "loss" else Form.MATRIX


def _optim_step(q: Question) -> tuple[Worked, Form]:
    from reference import optim
    worked = optim.step(_p(q, "optimizer"), _p(q, "params"), _p(q, "grads"), _p(q, "steps", 1))
    return worked, Form.MATRIX if isinstance(worked.answer, list) else Form.NUMBER


def _value(q: Question) -> tuple[Worked, Form]:
    """The instructor's own number, matrix or exact string ("1/sqrt(2)"), read like a student's."""
    answer = q.answer
    if isinstance(answer, list):
        form = Form.MATRIX if answer and isinstance(answer[0], list) else Form.SHAPE
        value = parse(answer, form)
        value = [list(r) for r in value] if form is Form.MATRIX else list(value)
        return Worked(value, (f"given by the instructor: {json.dumps(answer)}",)), form
    if isinstance(answer, int) and not isinstance(answer, bool):
        return Worked(answer, ()), Form.INT
    value = parse(answer, Form.NUMBER)
    steps = () if isinstance(answer, float) else (f"{answer} ≈ {value:.6g}",)
    return Worked(value, steps), Form.NUMBER


def _expression(q: Question) -> tuple[Worked, Form]:
    parse(str(q.answer), Form.EXPRESSION)      # the instructor's answer must itself parse
    return Worked(str(q.answer), ()), Form.EXPRESSION


def _choice(q: Question) -> tuple[Worked, Form]:
    return Worked(parse(str(q.answer), Form.CHOICE), ()), Form.CHOICE


def _manual(q: Question) -> tuple[Worked | None, Form]:
    return None, Form.TEXT


SOLVERS: dict[str, Callable[[Question], tuple[Worked | None, Form]]] = {
    "cnn.shapes": _cnn_shapes, "cnn.flatten": _cnn_flatten, "cnn.params": _cnn_params,
    "model.summary": _model_summary, "attention.sdpa": _sdpa,
    "attention.multihead": _multihead, "attention.grad": _attention_grad,
    "rnn.unroll": _rnn_unroll, "rnn.bptt": _rnn_bptt, "value": _value,
    "expression": _expression, "choice": _choice, "manual": _manual,
    "cnn.receptive_field": _receptive_field, "cnn.macs": _cnn_macs, "rnn.params": _rnn_params,
    "transformer.params": _transformer_params, "attention.positional": _positional,
    "mlp.backprop": _mlp_backprop, "loss.cross_entropy": _cross_entropy, "optim.step": _optim_step,
}
