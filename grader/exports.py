"""Grades leaving the grader: grades.csv, Canvas's gradebook import, Gradescope's results.json.

Formats followed:
  - Canvas gradebook import (CSV): the columns of Canvas's own gradebook export, `Student`,
    `ID`, `SIS User ID`, `SIS Login ID`, `Section`, then one column per assignment named
    `<title> (<id>)`; the second row is `Points Possible` with the assignment's maximum. Canvas
    matches students by ID, SIS User ID or SIS Login ID; we only know the submission folder's
    name, which is put in `SIS Login ID`. A blank score (an unusable folder) changes nothing.
  - Gradescope autograder `results.json` (gradescope-autograders.readthedocs.io, "Autograder
    Specifications"): top-level `score`, `output`, `visibility`, `stdout_visibility` and
    `tests`, each test with `score`, `max_score`, `status`, `name`, `number`, `output`,
    `visibility` (visible | hidden | after_due_date | after_published).

Every CSV written here is inert (OWASP "CSV Injection"): a text cell starting with `=`, `+`,
`-`, `@`, a tab or a carriage return is prefixed with a single quote, so no spreadsheet runs a
student id such as `=HYPERLINK(...)` as a formula. Numbers stay numbers, negative ones too.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.assignment import Assignment
from grader.i18n import _, status_word
from grader.results import ClaimResult, QuestionResult, QuestionStatus, Result, _num

CANVAS_ID_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")     # OWASP's list

# feedback level -> (Gradescope visibility, may the output show expected values)
# feedback level -> (Gradescope visibility, the level whose redaction the text follows); a
# `format` assignment still shows verdicts once the instructor publishes, never answers
GRADESCOPE_LEVELS = {
    "answers": ("visible", "answers"),
    "correctness": ("visible", "correctness"),
    "format": ("after_published", "correctness"),
}


# --- inert CSV ---------------------------------------------------------------------------------

def inert(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula gets a leading `'`; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def inert_frame(frame: Any) -> Any:
    """A copy of the DataFrame with every text cell and header made inert (numbers kept)."""
    from pandas.api.types import is_numeric_dtype
    frame = frame.copy()
    for column in frame.columns:
        if not is_numeric_dtype(frame[column]):     # object or str columns: text, or mixed
            frame[column] = frame[column].map(inert)
    frame.columns = [inert(c) for c in frame.columns]
    return frame


def write_csv(frame: Any, path: Path) -> Path:
    """The one way a CSV leaves the grader: inert, UTF-8, no index, RFC 4180 line ends.

    CRLF as the line end makes the csv module quote every cell holding a `\r` or a `\n`
    (it quotes cells holding any line-end character); with pandas' default `\n`, a folder named
    "x\rmallory,6" would start a row of its own in any reader that ends lines at `\r`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    inert_frame(frame).to_csv(path, index=False, lineterminator="\r\n")
    return path


# --- grades.csv --------------------------------------------------------------------------------

def grades_frame(results: list[Result], assignment: Assignment) -> Any:
    """One row per student: a column per question and per claim, total, max_score, error."""
    import pandas as pd
    ids = [q.id for q in assignment.questions] + [c.id for c in assignment.claims]
    rows = []
    for r in results:
        row: dict[str, Any] = {"student": r.student}
        scores = {x.id: x.score for x in [*r.questions, *r.claims]}
        for i in ids:
            row[i] = scores.get(i) if r.error is None else None
        row["total"] = r.score if r.error is None else None
        row["max_score"] = _max_score(assignment)
        row["error"] = r.error or ""
        rows.append(row)
    return pd.DataFrame(rows, columns=["student", *ids, "total", "max_score", "error"])


def write_grades_csv(results: list[Result], assignment: Assignment, path: Path) -> Path:
    return write_csv(grades_frame(results, assignment), path)


def _max_score(assignment: Assignment) -> float | int:
    return _num(sum(q.points for q in assignment.questions)
                + sum(c.points for c in assignment.claims))


# --- Canvas ------------------------------------------------------------------------------------

def canvas_column(assignment: Assignment) -> str:
    return f"{assignment.title} ({assignment.id})"


def canvas_frame(results: list[Result], assignment: Assignment) -> Any:
    import pandas as pd
    column = canvas_column(assignment)
    rows: list[dict[str, Any]] = [
        {"Student": "Points Possible", "ID": "", "SIS User ID": "", "SIS Login ID": "",
         "Section": "", column: _max_score(assignment)}]
    for r in results:
        rows.append({"Student": r.student, "ID": "", "SIS User ID": "",
                     "SIS Login ID": r.student, "Section": "",
                     column: _num(r.score) if r.error is None else ""})
    return pd.DataFrame(rows, columns=[*CANVAS_ID_COLUMNS, column])


def write_canvas_csv(results: list[Result], assignment: Assignment, path: Path) -> Path:
    return write_csv(canvas_frame(results, assignment), path)


# --- Gradescope --------------------------------------------------------------------------------

def gradescope_results(result: Result, assignment: Assignment) -> dict[str, Any]:
    """Gradescope's results.json for one student, revealing what `feedback` allows."""
    from grader.grading import redact
    visibility, level = GRADESCOPE_LEVELS.get(assignment.feedback, ("hidden", "correctness"))
    if result.error is not None:
        return {"score": 0, "output": _("This submission could not be graded: {error}").format(
                    error=result.error),
                "visibility": visibility, "stdout_visibility": "hidden", "tests": []}
    shown = redact(result, level)       # the same cut `grade check` makes; scores are kept
    tests = [_question_test(q, assignment, visibility) for q in shown.questions]
    tests += [_claim_test(c, visibility) for c in shown.claims]
    warnings = [f"{i.check}: {i.detail}" for i in result.integrity if str(i.status) != "pass"]
    output = _("Score {score} / {max_score}.").format(score=_num(result.score),
                                                       max_score=_num(result.max_score))
    if warnings:
        output += "\n" + "\n".join(warnings)
    return {"score": _num(result.score), "output": output, "visibility": visibility,
            "stdout_visibility": "hidden", "tests": tests}


def _question_test(q: QuestionResult, assignment: Assignment, visibility: str) -> dict[str, Any]:
    question = assignment.question(q.id)
    title = question.title if question is not None and question.title else q.kind
    lines = [f"{status_word(q.status)}: {q.feedback}".strip()]
    if q.status not in (QuestionStatus.MISSING, QuestionStatus.MANUAL):
        lines.append(_("Your answer: {value}").format(value=_text(q.given)))
    if q.expected is not None:          # only left in by the `answers` level
        lines.append(_("Expected: {value}").format(value=_text(q.expected)))
        lines += q.steps
    return {"score": _num(q.score), "max_score": _num(q.max_score),
            "status": "passed" if q.score >= q.max_score else "failed",
            "name": _("Question {id}: {title}").format(id=q.id, title=title), "number": q.id,
            "output": "\n".join(lines),
            "visibility": visibility}


def _claim_test(c: ClaimResult, visibility: str) -> dict[str, Any]:
    lines = [_("{status}: claimed {value}").format(status=status_word(c.status),
                                                   value=_text(c.claimed))]
    if c.measured is not None:          # only left in by the `answers` level
        lines.append(_("measured {value} (tolerance {tolerance})").format(
            value=_text(c.measured), tolerance=f"{c.tolerance:g}"))
    if c.detail:
        lines.append(c.detail)
    return {"score": _num(c.score), "max_score": _num(c.max_score),
            "status": "passed" if c.score >= c.max_score else "failed",
            "name": _("Claim {id}").format(id=c.id) + (f": {c.metric}" if c.metric else ""),
            "number": c.id,
            "output": "\n".join(lines), "visibility": visibility}


def _text(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def write_gradescope(result: Result, assignment: Assignment, path: Path) -> Path:
    """Write results.json (a folder gets `results.json` inside it)."""
    path = Path(path)
    if path.is_dir() or path.suffix == "":
        path = path / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gradescope_results(result, assignment), ensure_ascii=False,
                               indent=2), encoding="utf-8")
    return path
