"""`grade batch --canvas-roster`: Canvas' own ids in canvas.csv, students missing on either side
listed; manual.csv comments reach the reports."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.batch import answer_only_assignment, make_class
from grader.batch import run_batch
from grader.cli import main
from grader.errors import RosterError
from grader.roster import read_roster

# The layout of Canvas' gradebook export (header, an indented "Points Possible" row, Canvas'
# own test student), as in the samples quoted in grader/roster.py; names and ids MADE UP.
ROSTER = '''Student,ID,SIS User ID,SIS Login ID,Section,Homework 3 (4411),Current Score
    Points Possible,,,,,30,
"Lin, Wei",50101,2026001,s0000,DL 101-01,,
"Okafor, Chi",50102,2026002,cokafor,DL 101-01,,
"Rivera, Ana",50103,s0002,arivera,DL 101-02,,
"Chen, Ben",50104,2026004,bchen,DL 101-02,,
"Student, Test",50199,,teststudent,DL 101-01,,
'''


@pytest.fixture
def klass(tmp_path: Path) -> Path:
    answer_only_assignment(tmp_path / "assignments" / "demo", light=True)
    make_class(tmp_path / "class", 4, tmp_path / "assignments" / "demo" / "assignment.toml")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    # s0001 came from `grade import` of a Canvas download: its Canvas user id is on record
    (tmp_path / "class" / ".grade").mkdir()
    (tmp_path / "class" / ".grade" / "import.csv").write_text(
        "student,lms,lms_id,name,submission,late\ns0001,Canvas,50102,s0001,208490284,\n",
        encoding="utf-8")
    return tmp_path / "class"


def test_roster_reads_students_only(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    rows = read_roster(tmp_path / "roster.csv")
    assert [r.student for r in rows] == ["Lin, Wei", "Okafor, Chi", "Rivera, Ana", "Chen, Ben"]


def test_canvas_csv_carries_canvas_ids_and_lists_both_sides(klass: Path) -> None:
    outcome = run_batch(klass, jobs=1, quiet=True, canvas_roster=klass.parent / "roster.csv")
    with open(outcome.canvas_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[1][0] == "Points Possible"
    scores = {r.student: r.score for r in outcome.results}
    body = {r[1]: r for r in rows[2:]}
    assert sorted(body) == ["50101", "50102", "50103"]     # login id, import record, SIS user id
    assert body["50101"][:5] == ["Lin, Wei", "50101", "2026001", "s0000", "DL 101-01"]
    assert float(body["50102"][5]) == scores["s0001"]
    assert float(body["50103"][5]) == scores["s0002"]
    assert outcome.roster == ["in the Canvas roster, not graded: Chen, Ben (ID 50104)",
                              "graded, not in the Canvas roster: s0003"]


def test_roster_without_canvas_columns_is_one_line(klass: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nWei,wei@example.edu\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", str(klass), "--canvas-roster", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.strip() == ("Error: bad.csv line 1: missing column(s) Student, ID, "
                                     "SIS User ID, SIS Login ID, Section; expected Canvas' "
                                     "gradebook export (Student, ID, SIS User ID, SIS Login ID, "
                                     "Section, ...)")
    with pytest.raises(RosterError):
        read_roster(bad)


def test_manual_comments_reach_json_and_reports(klass: Path) -> None:
    (klass / "manual.csv").write_text(
        "student,question,score,comment\ns0000,10,2,\"Names vanishing gradients, not why.\"\n"
        "s0001,10,3,\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(klass / "s0000"), "--json", "--out",
                                       str(klass.parent / "reports")])
    assert result.exit_code == 0, result.output
    q10 = next(q for q in json.loads(result.stdout)["questions"] if q["id"] == "10")
    assert q10["feedback"] == "Scored by a person: 2 / 3. Comment: Names vanishing gradients, " \
                              "not why."
    for ext in ("html", "md"):
        text = (klass.parent / "reports" / f"s0000.{ext}").read_text(encoding="utf-8")
        assert "Names vanishing gradients" in text
    outcome = run_batch(klass, jobs=1, quiet=True)
    s1 = next(r for r in outcome.results if r.student == "s0001")
    assert next(q.feedback for q in s1.questions if q.id == "10") == \
        "Scored by a person: 3 / 3."
    # a changed comment alone re-grades that student
    (klass / "manual.csv").write_text(
        "student,question,score,comment\ns0000,10,2,Now with a reason.\ns0001,10,3,\n",
        encoding="utf-8")
    again = run_batch(klass, jobs=1, quiet=True)
    assert (again.graded, again.skipped) == (1, 3)
