"""grades.csv, Canvas's gradebook import CSV and Gradescope's results.json, checked against the
published formats."""
from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench.batch import answer_only_assignment, make_class
from grader.assignment import Assignment, load_assignment
from grader.exports import (gradescope_results, inert, write_canvas_csv, write_csv,
                            write_gradescope, write_grades_csv)
from grader.grading import GradeOptions, grade_folder
from grader.results import Result

# Gradescope autograder specification (gradescope-autograders.readthedocs.io/en/latest/specs/):
# the keys results.json may hold, their types, and the allowed visibility / status values.
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
TOP_KEYS = {"score": (int, float), "execution_time": (int, float), "output": str,
            "output_format": str, "test_output_format": str, "test_name_format": str,
            "visibility": str, "stdout_visibility": str, "extra_data": dict, "tests": list,
            "leaderboard": list}
TEST_KEYS = {"score": (int, float), "max_score": (int, float), "status": str, "name": str,
             "name_format": str, "number": str, "output": str, "output_format": str,
             "tags": list, "visibility": str, "extra_data": dict}


def check_gradescope(doc: dict[str, Any]) -> None:
    """Structural check of results.json against the specification."""
    assert set(doc) <= set(TOP_KEYS), set(doc) - set(TOP_KEYS)
    for key, types in TOP_KEYS.items():
        if key in doc:
            assert isinstance(doc[key], types) and not isinstance(doc[key], bool), key
    # `score` is required unless every test carries its own
    assert "score" in doc or all("score" in t for t in doc.get("tests", []))
    for key in ("visibility", "stdout_visibility"):
        if key in doc:
            assert doc[key] in VISIBILITY
    for test in doc.get("tests", []):
        assert set(test) <= set(TEST_KEYS), set(test) - set(TEST_KEYS)
        for key, types in TEST_KEYS.items():
            if key in test:
                assert isinstance(test[key], types) and not isinstance(test[key], bool), key
        assert test.get("status", "passed") in {"passed", "failed"}
        assert test.get("visibility", "visible") in VISIBILITY
        if "max_score" in test:
            assert 0 <= test["score"] <= test["max_score"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Assignment, list[Result]]:
    tmp = tmp_path_factory.mktemp("exports")
    assignment = load_assignment(answer_only_assignment(tmp / "asg", light=True))
    folders = make_class(tmp / "class", 8, assignment.path, seed=3)
    results = [grade_folder(f, assignment, GradeOptions()) for f in folders]
    results.append(Result("zz-broken", assignment.id, error="answers.toml: TOML syntax error"))
    return assignment, results


def max_points(a: Assignment) -> float:
    return sum(q.points for q in a.questions) + sum(c.points for c in a.claims)


def test_canvas_import_format(graded: tuple[Assignment, list[Result]], tmp_path: Path) -> None:
    assignment, results = graded
    path = write_canvas_csv(results, assignment, tmp_path / "canvas.csv")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       f"{assignment.title} ({assignment.id})"]
    assert rows[1][:5] == ["Points Possible", "", "", "", ""]
    assert float(rows[1][5]) == max_points(assignment)
    body = {r[0]: r for r in rows[2:]}
    assert len(body) == len(results)
    for r in results:
        if r.error:
            assert body[r.student][5] == ""             # blank: Canvas leaves the grade alone
        else:
            assert float(body[r.student][5]) == pytest.approx(r.score)
            assert body[r.student][3] == r.student


def test_grades_csv(graded: tuple[Assignment, list[Result]], tmp_path: Path) -> None:
    assignment, results = graded
    path = write_grades_csv(results, assignment, tmp_path / "grades.csv")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = {r["student"]: r for r in reader}
        header = reader.fieldnames
    assert header == ["student", *(q.id for q in assignment.questions), "total", "max_score",
                      "error"]
    for r in results:
        row = rows[r.student]
        if r.error:
            assert row["error"] == r.error and row["total"] == ""
            continue
        assert row["error"] == ""
        for q in r.questions:
            assert float(row[q.id]) == pytest.approx(q.score)
        assert float(row["total"]) == pytest.approx(sum(q.score for q in r.questions))


# OWASP "CSV Injection": the cells a spreadsheet runs, and lookalikes it does not
FORMULA_CELLS = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+1", "-2+3", "\tx", "\rx",
                 "=cmd|' /C calc'!A0"]
PLAIN_CELLS = ["alice", "a=b", " =1", "", "'=already quoted", "张三"]


def test_inert_prefixes_formula_cells_only() -> None:
    assert [inert(c) for c in FORMULA_CELLS] == ["'" + c for c in FORMULA_CELLS]
    assert [inert(c) for c in PLAIN_CELLS] == PLAIN_CELLS
    assert [inert(x) for x in (-1.5, 0, 3, None)] == [-1.5, 0, 3, None]


def test_inert_frame_keeps_numbers_numbers(tmp_path: Path) -> None:
    """Opened by pandas: a negative score is still a number, text cells are inert text."""
    import pandas as pd
    frame = pd.DataFrame({"student": FORMULA_CELLS, "score": [-1.5, 2, 3, -4, 5, 6, 7],
                          "mixed": [-1, "", "-x", 2, "", "", ""]})
    path = write_csv(frame, tmp_path / "x.csv")
    back = pd.read_csv(path, keep_default_na=False)
    assert back["student"].tolist() == ["'" + c for c in FORMULA_CELLS]
    assert pd.api.types.is_numeric_dtype(back["score"])
    assert back["score"].tolist() == [-1.5, 2, 3, -4, 5, 6, 7]
    assert back["mixed"].tolist()[:3] == ["-1", "", "'-x"]      # a number in a text column
    assert frame["student"].tolist() == FORMULA_CELLS            # the input is not changed


def test_a_line_break_in_an_id_cannot_start_a_row(tmp_path: Path) -> None:
    import pandas as pd
    names = ["x\rmallory,6", "y\nmallory,6", "z\r\nmallory,6"]
    path = write_csv(pd.DataFrame({"student": names, "total": [0, 0, 0]}), tmp_path / "x.csv")
    with path.open(newline="", encoding="utf-8") as f:
        assert [r["student"] for r in csv.DictReader(f)] == names
    assert pd.read_csv(path)["student"].tolist() == names


def test_grades_and_canvas_csv_are_inert(graded: tuple[Assignment, list[Result]],
                                         tmp_path: Path) -> None:
    import pandas as pd
    assignment, results = graded
    hostile = [replace(results[0], student=c) for c in FORMULA_CELLS]
    hostile.append(Result("zz", assignment.id, error="-x: an error text starting with a dash"))
    grades = pd.read_csv(write_grades_csv(hostile, assignment, tmp_path / "g.csv"),
                         dtype=str, keep_default_na=False)
    canvas = pd.read_csv(write_canvas_csv(hostile, assignment, tmp_path / "c.csv"),
                         dtype=str, keep_default_na=False)
    assert grades["student"].tolist()[:-1] == ["'" + c for c in FORMULA_CELLS]
    assert grades["error"].tolist()[-1] == "'-x: an error text starting with a dash"
    assert canvas["SIS Login ID"].tolist()[1:-1] == ["'" + c for c in FORMULA_CELLS]
    for frame in (grades, canvas):
        cells = [c for col in frame.columns for c in frame[col]]
        assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    numbers = pd.read_csv(tmp_path / "g.csv")
    assert pd.api.types.is_numeric_dtype(numbers["total"])


@pytest.mark.parametrize("level, visibility", [("answers", "visible"),
                                               ("correctness", "visible"),
                                               ("format", "after_published")])
def test_gradescope_results(graded: tuple[Assignment, list[Result]], level: str,
                            visibility: str) -> None:
    assignment, results = graded
    assignment = replace(assignment, feedback=level)
    for r in results[:-1]:
        doc = gradescope_results(r, assignment)
        check_gradescope(doc)
        json.dumps(doc)                                 # plain JSON
        assert doc["score"] == pytest.approx(r.score)
        assert sum(t["score"] for t in doc["tests"]) == pytest.approx(r.score)
        assert sum(t["max_score"] for t in doc["tests"]) == pytest.approx(max_points(assignment))
        assert [t["number"] for t in doc["tests"]] == [q.id for q in r.questions]
        assert {t["visibility"] for t in doc["tests"]} == {visibility}
        wrong = [q for q in r.questions if q.status in ("incorrect", "partial")]
        for q in wrong:
            out = next(t["output"] for t in doc["tests"] if t["number"] == q.id)
            exp = q.expected if isinstance(q.expected, str) else json.dumps(q.expected,
                                                                            ensure_ascii=False)
            shown = f"Expected: {exp}"
            assert (shown in out) == (level == "answers")


def test_gradescope_for_an_unusable_folder(graded: tuple[Assignment, list[Result]],
                                           tmp_path: Path) -> None:
    assignment, results = graded
    doc = gradescope_results(results[-1], assignment)
    check_gradescope(doc)
    assert doc["score"] == 0 and doc["tests"] == [] and results[-1].error in doc["output"]
    path = write_gradescope(results[0], assignment, tmp_path / "gs")
    assert path == tmp_path / "gs" / "results.json"
    check_gradescope(json.loads(path.read_text()))


def test_the_check_rejects_what_gradescope_rejects() -> None:
    with pytest.raises(AssertionError):
        check_gradescope({"score": 1, "tests": [{"score": 1, "visibility": "public"}]})
    with pytest.raises(AssertionError):
        check_gradescope({"tests": [{"name": "no score anywhere"}]})
    with pytest.raises(AssertionError):
        check_gradescope({"score": "10"})


def test_gradescope_below_answers_hides_details_that_state_the_answer() -> None:
    """A comparison detail may name the expected shape; only the `answers` level shows it."""
    from grader.assignment import Question
    from grader.results import QuestionResult, QuestionStatus
    result = Result("ann", "hw", [QuestionResult(
        "7.2", "attention.multihead", QuestionStatus.INCORRECT, 0, 1, [8, 4], "4x8",
        feedback="Not right. Shape 8×4 expected, 4×8 given.")])
    hw = Assignment("hw", "HW", "correctness", (Question("7.2", "attention.multihead", 1),),
                    (), Path("assignment.toml"))
    for level, leaks in (("answers", True), ("correctness", False), ("format", False)):
        out = gradescope_results(result, replace(hw, feedback=level))["tests"][0]["output"]
        assert ("8×4" in out) == leaks, (level, out)
        assert ("Your answer: 4x8" in out)
