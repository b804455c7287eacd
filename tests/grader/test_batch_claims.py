"""Incremental re-grading with claims: a claim is re-run only when its own inputs change."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.batch import answer_only_assignment, make_class
from grader.batch import run_batch
from grader.results import ClaimStatus

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
