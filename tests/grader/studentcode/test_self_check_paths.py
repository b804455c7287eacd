"""What keeps `grade check` fast, checked for what it must not change (the timings themselves
are measured by bench/check.py, not asserted here)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import numpy as np

from grader.assignment import Claim
from grader.claims import ClaimVerifier
from grader.datasets import load_images
from grader.grading import GradeOptions, grade_folder, resolve_assignment
from grader.results import ClaimStatus

ROOT = Path(__file__).resolve().parents[3]


def test_digits_read_without_scikit_learn_match_load_digits():
    from sklearn.datasets import load_digits
    d = load_digits()
    test, train = load_images("digits", "test", None), load_images("digits", "train", None)
    assert test.images.dtype == np.uint8 and np.array_equal(test.images[:, 0], d.images[-360:])
    assert test.labels.dtype == np.int64 and np.array_equal(test.labels, d.target[-360:])
    assert len(train.labels) == len(d.target) - 360


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_one_student_uses_the_sandbox_started_before_the_answers():
    claim = Claim(id="5", task="classification", metric="accuracy", dataset="digits",
                  split="test", tolerance=1.0, target=None, points=10, timeout=60)
    spec = {"value": 92.2, "code": "model.py", "model": "make_model", "kwargs": {"hidden": 64},
            "checkpoint": "digits_mlp.pt", "normalize": {"mean": [0.3], "std": [0.35]}}
    with ClaimVerifier(device="cpu", warm=0) as v:
        v.prestart()
        result, _ = v.verify(claim, spec, ROOT / "submissions" / "alice")
        assert v.warm_stats.prestarted == 1 and v.warm_stats.cold == 0
    assert result.status is ClaimStatus.VERIFIED, result.detail


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_self_check_draws_no_curves_but_keeps_the_log_verdict():
    alice = ROOT / "submissions" / "alice"
    assignment = resolve_assignment(alice, None)
    result = grade_folder(alice, assignment, GradeOptions(smoke=True, svg=False))
    claim = result.claims[0]
    assert claim.status is ClaimStatus.VERIFIED and claim.log_verdict and claim.curves
    assert claim.curves_svg == ""
