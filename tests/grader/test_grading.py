"""Scoring rules inside one question: partial, follow-through, named mistakes, manual."""
from __future__ import annotations

from pathlib import Path

import torch

from grader.assignment import Question
from grader.grading import grade_question
from grader.key import expected
from grader.submission import Submission

STACK = {"input": [32, 32, 3], "layers": [
    {"type": "conv2d", "filters": 32, "kernel": 3, "padding": "same"},
    {"type": "relu"},
    {"type": "maxpool2d", "kernel": 2},
    {"type": "conv2d", "filters": 64, "kernel": 3, "padding": "valid"},
]}


def answer(question: Question, raw) -> "QuestionResult":  # noqa: F821
    sub = Submission("s", "hw", {question.id: raw} if raw is not None else {}, {},
                     Path("."), Path("answers.toml"), f'"{question.id}" = ...\n')
    return grade_question(expected(question), sub)


def torch_shapes() -> list[list[int]]:
    x = torch.zeros(1, 3, 32, 32, device="meta")
    out = []
    for m in (torch.nn.Conv2d(3, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
              torch.nn.Conv2d(32, 64, 3)):
        x = m.to("meta")(x)
        out.append([x.shape[2], x.shape[3], x.shape[1]])
    return out


def test_follow_through_across_unasked_layers() -> None:
    q = Question("1", "cnn.shapes", 2, {**STACK, "ask": [1, 3]})
    right = torch_shapes()
    assert expected(q).answer == [right[0], right[2]]
    # layer 1 wrong ("valid"), layer 3 right *from it*: relu then pool of 30×30×32 is 15×15×32
    r = answer(q, ["30x30x32", "15x15x32"])
    assert (r.status, r.score) == ("partial", 1)
    assert r.parts[1].ok and r.parts[1].note == ("follow-through: right from your layer 1 "
                                                 "(30×30×32)")


def test_wrong_layer_and_channels_first_are_named() -> None:
    q = Question("1", "cnn.shapes", 4, STACK)
    right = torch_shapes()
    wrong_layer = [right[0], right[1], right[1], right[3]]          # layer 3 = layer 2's output
    r = answer(q, [f"{h}x{w}x{c}" for h, w, c in wrong_layer])
    assert r.parts[2].note == "the output of layer 2, not layer 3"
    channels_first = [f"{c}x{h}x{w}" for h, w, c in right]
    r = answer(q, channels_first)
    assert r.status == "partial"                # 32×32×32 reads the same either way
    assert r.mistake == "channels first (C×H×W)"
    assert "Looks like channels first (C×H×W)." in r.feedback


def test_table_partial_credit_per_row() -> None:
    q = Question("2", "model.summary", 4, {"model": "lenet5", "input": [1, 32, 32],
                                           "ask": "table"})
    rows = [list(r) for r in expected(q).answer]
    rows[0][2] = 150                                               # conv1 without its biases
    r = answer(q, rows)
    assert r.status == "partial"
    bad = [p.label for p in r.parts if not p.ok]
    assert bad == ["row 1 params"]
    assert r.score == round(4 * (len(r.parts) - 1) / len(r.parts), 4)


def test_missing_manual_and_unparsable() -> None:
    assert answer(Question("3", "value", 1, answer=896), None).status == "missing"
    assert answer(Question("3", "value", 1, answer=896), "  ").status == "missing"
    manual = answer(Question("4", "manual", 3), "because")
    assert (manual.status, manual.score, manual.feedback) == ("manual", 0,
                                                              "Pending: scored by a person.")
    bad = answer(Question("5", "value", 1, answer=896), "eight hundred")
    assert bad.status == "unparsable" and bad.feedback.startswith('answers.toml line 1: "5" = ')


def test_per_question_tolerance_overrides_the_default() -> None:
    from grader.assignment import Tolerance
    loose = Question("6", "value", 1, answer="1/sqrt(2)", tolerance=Tolerance(abs=0.1, rel=0))
    tight = Question("6", "value", 1, answer="1/sqrt(2)", tolerance=Tolerance(abs=1e-4, rel=0))
    assert answer(loose, 0.65).status == "correct"
    assert answer(tight, 0.707).status == "incorrect"
    assert answer(tight, "sqrt(2)/2").status == "correct"


def test_log_evidence_never_stops_grading(tmp_path: Path) -> None:
    from grader.assignment import Claim
    from grader.grading import with_log_evidence
    from grader.results import ClaimResult, ClaimStatus
    claim = Claim("5", "classification", "accuracy", "digits")
    base = ClaimResult("5", ClaimStatus.UNVERIFIABLE, 91.0, None, 1.0, 0, 10)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "train.log").write_bytes(b"\x00\x01binary")
    (tmp_path / "secret.log").write_text("Epoch 1/1 | Test Acc: 91.0%\n")
    checks: list = []
    same = with_log_evidence(base, claim, {"value": 91.0, "log": "train.log"},
                             tmp_path / "sub", checks)
    assert same.curves == [] and checks[0].status == "warn"
    assert "cannot be read" in checks[0].detail
    checks.clear()
    outside = with_log_evidence(base, claim, {"value": 91.0, "log": "../secret.log"},
                                tmp_path / "sub", checks)
    assert outside.curves == []
    assert checks[0].detail == "log '../secret.log' is not a file in the submission"
