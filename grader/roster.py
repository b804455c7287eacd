"""`grade batch --canvas-roster EXPORT.csv`: the Canvas import keyed by Canvas' own ids.

Canvas matches an imported gradebook CSV on its `ID`, `SIS User ID` or `SIS Login ID` columns,
which the instructor exports from the Gradebook (Export > Export Entire Gradebook). The export
(as in the samples quoted by find_string ids 58510738441, 53371966002, 70321388582):

    Student,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (23),...
        Points Possible,,,,,10.00
    "Smith, Jane",12345,20123456,jsmith,CS 326-01,8.00
    "Student, Test",15,,teststudent,CS 326-01,,          (Canvas' own test student)

A graded folder is the roster row whose SIS Login ID, SIS User ID or ID equals the folder name,
or whose ID is the Canvas user id `grade import` recorded for the folder (.grade/import.csv).
Nothing else is guessed (names are not matched): the rest are listed on both sides.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from grader.assignment import Assignment
from grader.errors import RosterError
from grader.exports import CANVAS_ID_COLUMNS, _max_score, canvas_column
from grader.inputs import read_text
from grader.results import Result, _num

TEST_STUDENT = "Student, Test"
MATCH_COLUMNS = ("SIS Login ID", "SIS User ID", "ID")


@dataclass(frozen=True)
class RosterRow:
    line: int
    cells: dict[str, str]           # the five id columns, as exported

    @property
    def student(self) -> str:
        return self.cells["Student"]


@dataclass
class RosterMatch:
    rows: list[tuple[RosterRow, Result]] = field(default_factory=list)
    not_graded: list[RosterRow] = field(default_factory=list)       # in Canvas, no folder
    not_in_roster: list[str] = field(default_factory=list)          # graded, not in Canvas

    def lines(self) -> list[str]:
        from grader.i18n import _
        out = [_("in the Canvas roster, not graded: {student} (ID {id})").format(
            student=r.student, id=r.cells["ID"]) for r in self.not_graded]
        out += [_("graded, not in the Canvas roster: {student}").format(student=s)
                for s in self.not_in_roster]
        return out


def read_roster(path: Path) -> list[RosterRow]:
    """The student rows of a Canvas gradebook export (Points Possible and the test student out)."""
    text = read_text(Path(path), RosterError)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in CANVAS_ID_COLUMNS if c not in header]
    if missing:
        raise RosterError(f"{Path(path).name} line 1: missing column(s) {', '.join(missing)}; "
                          "expected Canvas' gradebook export (Student, ID, SIS User ID, "
                          "SIS Login ID, Section, ...)")
    reader.fieldnames = header
    rows = []
    for raw in reader:
        cells = {c: (raw.get(c) or "").strip() for c in CANVAS_ID_COLUMNS}
        if not cells["ID"] or cells["Student"] == TEST_STUDENT:
            continue            # "Points Possible", "Manual Posting" and the test student
        rows.append(RosterRow(reader.line_num, cells))
    return rows


def read_import_ids(root: Path) -> dict[str, str]:
    """folder -> Canvas user id, from the manifest `grade import` wrote for a Canvas download."""
    from grader.lms import MANIFEST
    path = Path(root) / MANIFEST
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {r["student"]: r["lms_id"] for r in csv.DictReader(f)
                if r.get("lms") == "Canvas" and r.get("lms_id")}


def match_roster(results: list[Result], roster: list[RosterRow],
                 canvas_ids: dict[str, str]) -> RosterMatch:
    by_key: dict[tuple[str, str], RosterRow] = {}
    for row in roster:
        for column in MATCH_COLUMNS:
            if row.cells[column]:
                by_key.setdefault((column, row.cells[column]), row)
    match = RosterMatch()
    used: set[int] = set()
    for result in results:
        keys = [(c, result.student) for c in MATCH_COLUMNS]
        if result.student in canvas_ids:
            keys.append(("ID", canvas_ids[result.student]))
        row = next((by_key[k] for k in keys if k in by_key), None)
        if row is None or row.line in used:
            match.not_in_roster.append(result.student)
            continue
        used.add(row.line)
        match.rows.append((row, result))
    match.not_graded = [r for r in roster if r.line not in used]
    return match


def write_roster_csv(results: list[Result], assignment: Assignment, roster: list[RosterRow],
                     root: Path, path: Path) -> RosterMatch:
    """canvas.csv with the roster's own id columns for every matched student."""
    match = match_roster(results, roster, read_import_ids(root))
    column = canvas_column(assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*CANVAS_ID_COLUMNS, column])
        writer.writerow(["Points Possible", "", "", "", "", _max_score(assignment)])
        for row, result in match.rows:
            score = _num(result.score) if result.error is None else ""
            writer.writerow([*(row.cells[c] for c in CANVAS_ID_COLUMNS), score])
    return match
