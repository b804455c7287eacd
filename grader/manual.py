"""`manual.csv`: scores a person gave to `manual` questions (columns student, question, score).

`student` is the submission folder's name, the one id the grader knows a student by; the file
is read like every other input (no links, bounded size, see `inputs.py`)."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from grader.errors import AssignmentError
from grader.inputs import read_text

REQUIRED = ("student", "question", "score")


def manual_files(assignment_folder: Path, submissions_root: Path) -> list[Path]:
    """manual.csv beside the assignment and at the submissions root; the latter wins."""
    return [p for p in (assignment_folder / "manual.csv", submissions_root / "manual.csv")
            if p.is_file()]


def read_manual(path: Path) -> dict[tuple[str, str], float]:
    text = read_text(path, AssignmentError)
    reader = csv.DictReader(io.StringIO(text))
    try:
        fields = reader.fieldnames or []
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as e:      # e.g. a field past the csv module's size limit
        raise AssignmentError(f"{path.name} line {reader.line_num}: {e}") from None
    missing = [c for c in REQUIRED if c not in fields]
    if missing:
        raise AssignmentError(f"{path.name} line 1: missing column(s) {', '.join(missing)}; "
                              "expected student,question,score")
    scores: dict[tuple[str, str], float] = {}
    for line, row in rows:
        raw = (row.get("score") or "").strip()
        try:
            score = float(raw)
        except ValueError:
            raise AssignmentError(f"{path.name} line {line}: score {raw!r} is not a number") \
                from None
        if not math.isfinite(score) or score < 0:
            raise AssignmentError(f"{path.name} line {line}: score {raw!r} must be a "
                                  "non-negative number")
        scores[((row.get("student") or "").strip(), (row.get("question") or "").strip())] = score
    return scores


def manual_scores(paths: list[Path]) -> dict[tuple[str, str], float]:
    merged: dict[tuple[str, str], float] = {}
    for path in paths:
        merged.update(read_manual(path))
    return merged


def read_comments(path: Path) -> dict[tuple[str, str], str]:
    """The optional `comment` column: what the person who scored the answer wrote to the student.

    Read apart from the scores so a file without the column stays valid; blank comments are
    left out."""
    reader = csv.DictReader(io.StringIO(read_text(path, AssignmentError)))
    if "comment" not in (reader.fieldnames or []):
        return {}
    return {((row.get("student") or "").strip(), (row.get("question") or "").strip()):
            " ".join((row.get("comment") or "").split())
            for row in reader if (row.get("comment") or "").strip()}


def manual_comments(paths: list[Path]) -> dict[tuple[str, str], str]:
    """Comments from every manual.csv; as with scores, the later file wins."""
    merged: dict[tuple[str, str], str] = {}
    for path in paths:
        merged.update(read_comments(path))
    return merged
