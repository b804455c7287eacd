"""The answer key's kind registry: every kind has a solver and a declared set of params, the
assignment loader knows the same kinds, and a bad param of a new kind is one line naming it."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader import key
from grader.assignment import QUESTION_KINDS, load_assignment
from grader.errors import AssignmentError

ROOT = Path(__file__).resolve().parents[2]


def test_every_kind_has_a_solver_and_declared_params() -> None:
    assert set(key.SOLVERS) == set(key.PARAMS) == set(QUESTION_KINDS)


def test_the_demo_uses_only_declared_params() -> None:
    assignment = load_assignment(ROOT / "assignments" / "demo")
    for q in assignment.questions:
        extra = set(q.params) - set(key.PARAMS[q.kind])
        assert not extra, (q.id, extra)
    new = {"cnn.receptive_field", "cnn.macs", "rnn.params", "transformer.params",
           "attention.positional", "mlp.backprop", "loss.cross_entropy", "optim.step"}
    assert new <= {q.kind for q in assignment.questions}


BAD = {
    "rnn.params": ('cell = "lstn"\ninput_size = 10\nhidden_size = 20',
                   "cell 'lstn' is not one of rnn, lstm, gru"),
    "transformer.params": ("d_model = 10\nheads = 4\nd_ff = 8", "d_model 10 is not divisible by heads 4"),
    "attention.positional": ("d_model = 4\npos = 0\ni = 4", "i 4 is not an integer >= 0 below d_model = 4"),
    "optim.step": ('optimizer = { name = "sgd" }\nparams = 1.0\ngrads = 1.0', "optimizer sgd: missing lr"),
    "loss.cross_entropy": ("logits = [[1.0, 2.0]]\ntargets = [2]", "target 2 is not a class index in 0..1"),
    "mlp.backprop": ("weights = [[[1.0, 2.0]]]\nx = [1.0]\ntarget = [0.0]",
                     "x has 1 entries, the layer needs 2"),
    "cnn.receptive_field": ('input = [8, 8, 1]\nlayers = [{ type = "flatten" }]',
                            "layer 1 (flatten): every output sees the whole input; ask a layer before the flatten"),
    "cnn.macs": ('input = [8, 8, 1]\nlayers = [{ type = "upsample" }]', "layer 1 (upsample): missing 'scale'"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_params_are_one_line_naming_the_question(tmp_path: Path, kind: str) -> None:
    params, message = BAD[kind]
    path = tmp_path / "assignment.toml"
    path.write_text(f'[assignment]\nid = "t"\ntitle = "t"\n\n[[question]]\nid = "1"\nkind = "{kind}"\n'
                    f'points = 1\n[question.params]\n{params}\n', encoding="utf-8")
    with pytest.raises(AssignmentError) as error:
        key.answer_key(path)
    assert str(error.value) == f"assignment.toml line 6: question 1 ({kind}): {message}"
