"""The parameters check compares something: the re-run count against the student's answer to
the named model.summary question and the log's printed count (issue: trust)."""
from __future__ import annotations

from pathlib import Path

from grader.assignment import Claim
from grader.claims.params import reconcile, stated_counts
from grader.results import CheckStatus, ClaimResult, ClaimStatus, IntegrityCheck


def claim(**options) -> Claim:
    return Claim(id="5", task="classification", metric="accuracy", dataset="digits",
                 tolerance=1.0, target=None, points=10, timeout=60, options=options)


def result(params: int | None) -> ClaimResult:
    r = ClaimResult("5", ClaimStatus.VERIFIED, 90.0, 90.0, 1.0, 10, 10)
    r.params = params
    return r


def row() -> list[IntegrityCheck]:
    return [IntegrityCheck("claim 5: parameters", CheckStatus.INFO, "the re-run model has ...")]


def test_a_stated_count_that_differs_is_a_warning_with_both_numbers(tmp_path: Path):
    stated = stated_counts(claim(summary="3.1"), {}, result(5266), {"3.1": "11,173,962"})
    rows = row()
    reconcile(result(5266), stated, rows)
    assert rows[0].status is CheckStatus.WARN
    assert "5,266" in rows[0].detail and "your answer to 3.1 says 11,173,962" in rows[0].detail


def test_a_matching_count_passes(tmp_path: Path):
    rows = row()
    reconcile(result(5266), stated_counts(claim(summary="3.1"), {}, result(5266), {"3.1": 5266}),
              rows)
    assert rows[0].status is CheckStatus.PASS and "as your answer to 3.1 says 5,266" in \
        rows[0].detail


def test_with_nothing_to_compare_the_row_stays_information(tmp_path: Path):
    rows = row()
    reconcile(result(5266), stated_counts(claim(), {}, result(5266), {}), rows)
    assert rows[0].status is CheckStatus.INFO


def test_an_unparsable_answer_states_nothing(tmp_path: Path):
    assert stated_counts(claim(summary="3.1"), {}, result(5266), {"3.1": "lots"}) == {}


def test_the_logs_printed_count_is_compared(tmp_path: Path):
    """The issue's case: a log stating 11,173,962 parameters beside a 5,266-parameter model.
    The log is made up; its footer has the form seed 002 pastes (`Total params: 11,279,112`)."""
    from grader.grading import with_log_evidence
    (tmp_path / "train.log").write_text(
        "Total params: 11,173,962\nTrainable params: 11,173,962\n"
        "Epoch 1/2 loss: 1.20 test_acc: 55.0\nEpoch 2/2 loss: 0.90 test_acc: 61.0\n")
    spec = {"log": "train.log", "value": 61.0}
    r = with_log_evidence(result(5266), claim(), spec, tmp_path, [])
    rows = row()
    reconcile(r, stated_counts(claim(), spec, r, {}), rows)
    assert rows[0].status is CheckStatus.WARN
    assert "5,266" in rows[0].detail and "the log train.log says 11,173,962" in rows[0].detail
