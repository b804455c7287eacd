"""Incremental re-grading with claims: a claim is re-run only when its own inputs change."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.batch import answer_only_assignment, make_class
from grader.batch import run_batch
from grader.results import ClaimStatus
from sandbox_helpers import ALICE, hostile_submission

CLAIM = """
[[claim]]
id = "5"
task = "classification"
metric = "accuracy"
dataset = "digits"
tolerance = 1.0
points = 10
timeout = 60
"""


def verified_at(db: Path) -> dict[str, str]:
    con = sqlite3.connect(db)
    rows = dict(con.execute("SELECT folder, verified_at FROM claim_results WHERE claim='5'"))
    con.close()
    return rows


@pytest.mark.slow
def test_rubric_edits_rerun_only_the_claims_they_touch(tmp_path: Path) -> None:
    asg = answer_only_assignment(tmp_path / "assignments" / "demo", light=True)
    text = asg.read_text() + CLAIM
    asg.write_text(text)
    root = tmp_path / "class"
    for folder in make_class(root, 4, asg):
        with (folder / "answers.toml").open("a") as f:
            f.write('\n[claims."5"]\nvalue = 97.5\nlog = "train.log"\n')
    db = root / ".grade" / "gradebook.sqlite"

    first = run_batch(root, jobs=2, quiet=True)
    assert all(r.claims[0].status is ClaimStatus.UNVERIFIABLE for r in first.results)
    t1 = verified_at(db)
    assert len(t1) == 4

    # a question's points change: everyone is re-graded, no claim is re-run
    asg.write_text(text.replace('id = "1.2"\nkind = "cnn.flatten"\ntitle = "Number of '
                                'elements after the Flatten layer"\npoints = 2',
                                'id = "1.2"\nkind = "cnn.flatten"\ntitle = "Number of '
                                'elements after the Flatten layer"\npoints = 5'))
    assert asg.read_text() != text
    second = run_batch(root, jobs=2, quiet=True)
    assert (second.graded, second.skipped) == (4, 0)
    assert all(r.max_score == first.results[0].max_score + 3 for r in second.results)
    assert [r.claims[0].to_json() for r in second.results] == \
        [r.claims[0].to_json() for r in first.results]
    assert verified_at(db) == t1

    # the claim's own spec changes: every claim is re-run
    asg.write_text(asg.read_text().replace("tolerance = 1.0\npoints = 10",
                                           "tolerance = 2.0\npoints = 10"))
    run_batch(root, jobs=2, quiet=True)
    t3 = verified_at(db)
    assert all(t3[f] > t1[f] for f in t1)

    # one student adds a file: only that student's claim is re-run
    (root / "s0000" / "model.py").write_text("import torch\n")
    fourth = run_batch(root, jobs=2, quiet=True)
    assert (fourth.graded, fourth.skipped) == (1, 3)
    t4 = verified_at(db)
    assert t4["s0000"] > t3["s0000"] and all(t4[f] == t3[f] for f in t3 if f != "s0000")

    # one student fixes an answer: re-graded, but the checkpoint is not re-run
    answers = root / "s0001" / "answers.toml"
    lines = [ln for ln in answers.read_text().splitlines() if not ln.startswith('"9.3"')]
    lines.insert(lines.index("[answers]") + 1, '"9.3" = "a"')
    answers.write_text("\n".join(lines) + "\n")
    fifth = run_batch(root, jobs=2, quiet=True)
    assert (fifth.graded, fifth.skipped) == (1, 3)
    assert verified_at(db) == t4


SPEC = ('[claims."5"]\nvalue = {value}\ncode = "model.py"\nmodel = "make_model"\n'
        'checkpoint = "digits_mlp.pt"\nkwargs = {{hidden = 64}}\n'
        'normalize = {{mean = [0.3], std = [0.35]}}\n')


def claimant(root: Path, name: str, value: float, attack: str | None = None,
             **subs: str) -> Path:
    """A student whose claim re-runs alice's digits MLP, after `attack` (if any) has run."""
    folder = hostile_submission(root / name, attack, **subs)
    (folder / "answers.toml").write_text('assignment = "demo"\n\n[answers]\n"1.2" = 3136\n\n'
                                         + SPEC.format(value=value))
    return folder


@pytest.mark.slow
def test_a_class_of_sandbox_attacks_completes_and_grades_the_honest(tmp_path: Path) -> None:
    """Issue 9: one class holding hostile claims beside honest ones. Every attack is its own
    student's claim `error` (or `refuted`) with a reason; the honest students are verified."""
    from sandbox_helpers import digits_accuracy
    asg = answer_only_assignment(tmp_path / "assignments" / "demo", light=True)
    asg.write_text(asg.read_text() + CLAIM)
    root = tmp_path / "class"
    honest = round(digits_accuracy(ALICE), 2)
    claimant(root, "ann", honest)
    claimant(root, "ben", honest)
    claimant(root, "forker", 99.0, "fork_bomb")
    claimant(root, "hoarder", 99.0, "fill_folder", target="/dev/shm")
    claimant(root, "tracer", 99.0, "ptrace_pid1")
    claimant(root, "looker", 99.0, "host_paths", project=str(ALICE.parents[1]),
             venv="/nowhere", scratch="/nowhere")
    (root / "nested").mkdir()
    (root / "nested" / "answers.toml").write_text('assignment = "demo"\nx = ' + "[" * 200_000)

    outcome = run_batch(root, jobs=2, quiet=True)

    by = {r.student: r for r in outcome.results}
    assert set(by) == {"ann", "ben", "forker", "hoarder", "tracer", "looker", "nested"}
    for name in ("ann", "ben"):
        assert by[name].error is None and by[name].claims[0].status is ClaimStatus.VERIFIED
    for name in ("forker", "hoarder", "tracer", "looker"):
        claim = by[name].claims[0]
        assert claim.status is ClaimStatus.ERROR and claim.detail, (name, claim.detail)
        assert claim.score == 0
    assert "Operation not permitted" in by["forker"].claims[0].detail
    assert "before OSError" in by["hoarder"].claims[0].detail
    assert "ptrace=-1/Operation not permitted" in by["tracer"].claims[0].detail
    assert "hidden=" in by["looker"].claims[0].detail
    assert by["nested"].error and "answers.toml" in by["nested"].error
