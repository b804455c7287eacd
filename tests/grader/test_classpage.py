"""The class page: what it measures (difficulty, wrong answers, claim outcomes) and that it is a
self-contained page."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.assignment import Assignment, Claim, Question
from grader.classpage import class_summary, histogram_svg, render_class_page, write_class_page
from grader.results import ClaimResult, ClaimStatus, QuestionResult, QuestionStatus, Result

S = QuestionStatus


@pytest.fixture
def assignment(tmp_path: Path) -> Assignment:
    return Assignment("hw", "Homework <3>", "answers",
                      (Question("1", "cnn.flatten", 2.0), Question("2", "value", 1.0)),
                      (Claim("5", "classification", "accuracy", "digits", points=10.0),),
                      tmp_path / "assignment.toml")


def student(name: str, a1: tuple[S, float, object], a2: tuple[S, float, object],
            claim: ClaimStatus) -> Result:
    q1 = QuestionResult("1", "cnn.flatten", a1[0], a1[1], 2.0, 3136, a1[2])
    q2 = QuestionResult("2", "value", a2[0], a2[1], 1.0, 0.5, a2[2])
    c = ClaimResult("5", claim, 91.0, 90.5, 1.0, 10.0 if claim is ClaimStatus.VERIFIED else 0.0,
                    10.0)
    return Result(name, "hw", [q1, q2], [c])


@pytest.fixture
def results() -> list[Result]:
    return [
        student("ann", (S.CORRECT, 2, "3136"), (S.CORRECT, 1, "1/2"), ClaimStatus.VERIFIED),
        student("bob", (S.INCORRECT, 0, "12544"), (S.CORRECT, 1, "0.5"), ClaimStatus.REFUTED),
        student("cy", (S.INCORRECT, 0, " 12544 "), (S.MISSING, 0, None), ClaimStatus.ERROR),
        student("dee", (S.UNPARSABLE, 0, "abc"), (S.INCORRECT, 0, "2"), ClaimStatus.VERIFIED),
        Result("zed", "hw", error="answers.toml: TOML syntax error"),
    ]


def test_summary(assignment: Assignment, results: list[Result]) -> None:
    s = class_summary(results, assignment)
    assert (s.students, s.graded, s.errors, s.max_score) == (5, 4, 1, 13)
    assert s.mean == pytest.approx((13 + 1 + 0 + 10) / 4)
    assert s.median == pytest.approx((1 + 10) / 2)
    q1, q2 = s.questions
    assert (q1.mean, q1.mean_fraction, q1.answered) == (0.5, 0.25, 4)
    assert (q1.common_wrong, q1.common_wrong_count) == ("12544", 2)   # spacing aside
    assert (q2.mean, q2.answered, q2.common_wrong) == (0.5, 3, "2")
    assert s.claims[0].counts == {"verified": 2, "refuted": 1, "unverifiable": 0, "error": 1}
    assert [r.page for r in s.rows] == ["ann.html", "bob.html", "cy.html", "dee.html", None]
    assert s.rows[-1].error and s.rows[-1].score is None


def test_page_is_self_contained_and_escaped(assignment: Assignment, results: list[Result],
                                           tmp_path: Path) -> None:
    page = render_class_page(results, assignment)
    assert "Homework &lt;3&gt;" in page and "Homework <3>" not in page
    assert not re.search(r"https?://|<link|\ssrc=|@import", page)
    assert page.count("<svg") == 1 and "<script>" in page
    assert page.count('class="error"') == 1 and "TOML syntax error" in page
    for name in ("ann", "bob", "cy", "dee"):
        assert f'<a href="{name}.html">{name}</a>' in page
    assert write_class_page(results, assignment, tmp_path / "out").read_text() == page


def test_empty_class(assignment: Assignment) -> None:
    page = render_class_page([], assignment)
    assert "0 students" in page


def test_histogram_is_plain_inline_svg() -> None:
    """No XML prologue, namespaces, metadata URLs or scripts: it sits inside the page as is."""
    from grader.report import inline_svg
    svg = histogram_svg([7.0, 7.5, 3.0, 10.0, 0.0], 10)
    assert svg.startswith("<svg") and "xmlns" not in svg and "http" not in svg
    assert "<script" not in svg and "<metadata" not in svg
    assert str(inline_svg(svg)) == svg.strip()


def _q(qid: str, status: S, score: float, given: object, expected: object = 7200,
       mistake: str | None = None, feedback: str = "") -> QuestionResult:
    return QuestionResult(qid, "cnn.flatten", status, score, 2.0, expected, given,
                          feedback=feedback, mistake=mistake)


def test_common_wrong_answer_counts_parsed_wrong_answers_after_normalisation(
        tmp_path: Path) -> None:
    asg = Assignment("hw", "hw", "answers", (Question("1", "cnn.flatten", 2.0),), (),
                     tmp_path / "assignment.toml")
    answers = [(S.INCORRECT, "7,220"), (S.PARTIAL, "15×15×32 = 7220"), (S.INCORRECT, "7220。"),
               (S.INCORRECT, "28800"), (S.UNPARSABLE, "7200 个元素, 或 28800"),
               (S.UNPARSABLE, "7200 个元素, 或 28800"), (S.UNPARSABLE, "7200 个元素, 或 28800"),
               (S.CORRECT, "7200")]
    results = [Result(f"s{i}", "hw", [_q("1", st, 1.0 if st is S.PARTIAL else 0.0, given)])
               for i, (st, given) in enumerate(answers)]
    (q,) = class_summary(results, asg).questions
    assert (q.common_wrong, q.common_wrong_count, q.unparsable) == ("7220", 3, 3)
    page = render_class_page(results, asg)
    assert "<code>7220</code> (3)" in page and "unparsable" in page


def test_pending_manual_scores_show_as_pending_and_scores_have_two_decimals(
        tmp_path: Path) -> None:
    asg = Assignment("hw", "hw", "answers", (Question("1", "cnn.flatten", 3.0),
                                             Question("2", "manual", 2.0)), (),
                     tmp_path / "assignment.toml")
    results = [Result(name, "hw", [_q("1", S.PARTIAL, score, "x"), QuestionResult(
        "2", "manual", S.MANUAL, 0.0, 2.0, None, "essay", feedback="Pending: scored by a person.",
        pending=True)])
        for name, score in (("ann", 4 / 3), ("bob", 2.0))]
    s = class_summary(results, asg)
    assert s.questions[1].pending == 2 and s.questions[1].mean is None
    assert [r.cells for r in s.rows] == [["1.33", "pending"], ["2.00", "pending"]]
    page = render_class_page(results, asg)
    assert ">1.33<" in page and ">1.3333" not in page      # shown rounded, sorted exactly
    assert page.count('class="num pending"') == 2


def test_difficulty_bar_grows_with_difficulty_and_mistakes_are_counted(tmp_path: Path) -> None:
    asg = Assignment("hw", "hw", "answers", (Question("1", "cnn.flatten", 2.0),
                                             Question("2", "cnn.flatten", 2.0)), (),
                     tmp_path / "assignment.toml")
    slip = "flatten of the output before the last pooling layer"
    results = [Result(n, "hw", [_q("1", S.CORRECT, 2.0, "7200"),
                                _q("2", S.INCORRECT, 0.0, "28800", mistake=slip)])
               for n in ("ann", "bob")]
    s = class_summary(results, asg)
    easy, hard = s.questions
    assert (easy.difficulty, hard.difficulty) == (0.0, 1.0)
    assert [(m.question, m.mistake, m.students) for m in s.mistakes] == [("2", slip, 2)]
    page = render_class_page(results, asg)
    assert "longer bar = harder" in page
    assert 'style="width: 100.0%"' in page and 'style="width: 0.0%"' in page
    assert f"<td>{slip}</td><td class=\"num\">2</td>" in page
