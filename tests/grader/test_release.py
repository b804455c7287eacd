"""`grade release`: the students' copy holds no instructor answer, and `grade check` works with it."""
from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.assignment import load_assignment
from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]

# Made up for this test: questions and claims that exercise every private setting the demo lacks.
EXTRA = '''
# instructor note: the answer to 9.4 is 0.7071 and 9.5 is [[7, -2], [5, 13]]
[[question]]
id = "9.4"
kind = "value"
points = 1
answer = 0.7071

[[question]]
id = "9.5"
kind = "value"
points = 1
answer = [[7, -2], [5, 13]]

[[question]]
id = "9.6"
kind = "value"
points = 1
answer = 4242

[[claim]]
id = "11"
task = "classification"
dataset = "imagefolder:/srv/private/heldout-2026"
points = 5

[[claim]]
id = "12"
task = "language-model"
metric = "perplexity"
dataset = "text:secret_corpus/ptb-private"
tokenizer = "word"
points = 5
'''


@pytest.fixture
def course(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "assignments" / "demo", tmp_path / "key" / "demo")
    toml = tmp_path / "key" / "demo" / "assignment.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
    for student in ("alice", "bob"):
        shutil.copytree(ROOT / "submissions" / student, tmp_path / "submissions" / student)
    return tmp_path


def release(course: Path) -> Path:
    result = CliRunner().invoke(main, ["release", str(course / "key" / "demo"),
                                       "--out", str(course / "student" / "demo")])
    assert result.exit_code == 0, result.output
    return course / "student" / "demo" / "assignment.toml"


def instructor_answers(toml: Path) -> list[str]:
    data = tomllib.loads(toml.read_text(encoding="utf-8"))
    out = []
    for q in data["question"]:
        if q["kind"] in ("value", "expression", "choice"):
            out.append(json.dumps(q["answer"]))
    return out


def test_student_copy_holds_no_instructor_answer(course: Path) -> None:
    copy = release(course)
    text = copy.read_text(encoding="utf-8")
    answers = instructor_answers(course / "key" / "demo" / "assignment.toml")
    assert len(answers) == 6
    for answer in answers:          # as TOML writes a string, a number or a matrix
        variants = {answer, answer.replace('"', "'"), answer.replace(", ", ","),
                    answer.strip('"')}
        for v in variants - {"b"}:  # the choice letter alone is in many words; quoted below
            assert v not in text, v
    assert not re.search(r"""["']b["']""", text)
    assert not re.search(r"(?m)^\s*answer\s*=", text)
    assert "/srv/private" not in text and "secret_corpus" not in text
    assert "instructor note" not in text            # comments are not carried over
    assert not (copy.parent / "manual.csv").exists()


def test_student_copy_keeps_what_feedback_governs(course: Path) -> None:
    copy = load_assignment(release(course))
    key = load_assignment(course / "key" / "demo")
    assert copy.student_copy and not key.student_copy
    assert copy.feedback == key.feedback and copy.id == key.id and copy.title == key.title
    assert [q.params for q in copy.questions] == [q.params for q in key.questions]
    assert {c.id: c.dataset for c in copy.claims} == {"5": "digits", "11": "private",
                                                      "12": "private"}
    assert copy.claim("12").options == {"tokenizer": "word"}


def test_release_refuses_its_own_folder_and_a_copy(course: Path) -> None:
    runner = CliRunner()
    own = runner.invoke(main, ["release", str(course / "key" / "demo"),
                               "--out", str(course / "key" / "demo")])
    assert own.exit_code == 1
    assert "is the assignment's own folder" in own.stderr
    copy = release(course)
    again = runner.invoke(main, ["release", str(copy), "--out", str(course / "again")])
    assert again.exit_code == 1 and "already a students' copy" in again.stderr


def check_json(course: Path, student: str, assignment: Path) -> dict:
    result = CliRunner().invoke(main, ["check", str(course / "submissions" / student),
                                       "--assignment", str(assignment), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_check_against_the_copy_grades_what_it_can(course: Path) -> None:
    copy = release(course)
    full = check_json(course, "alice", course / "key" / "demo")
    view = check_json(course, "alice", copy)
    assert view["not_checked"] == ["9.1", "9.2", "9.3", "9.4", "9.5", "9.6", "claim 11",
                                   "claim 12"]
    by_id = {q["id"]: q for q in view["questions"]}
    for q in full["questions"]:
        if q["id"] in view["not_checked"]:
            continue
        assert by_id[q["id"]]["status"] == q["status"], q["id"]     # computed kinds: as graded
    for qid in ("9.1", "9.2", "9.3"):       # alice answered these: read, not scored
        assert by_id[qid]["status"] == "manual"
        assert "checked when graded" in by_id[qid]["feedback"]
        assert by_id[qid]["expected"] is None
    assert by_id["9.4"]["status"] == "missing"      # alice has no answer to the made-up ones
    claims = {c["id"]: c for c in view["claims"]}
    assert claims["5"]["status"] == full["claims"][0]["status"]  # digits re-runs anywhere
    assert claims["11"]["status"] == "unverifiable"
    assert not any(p.startswith("claim 11") for p in view["problems"])


def test_check_against_the_copy_reports_an_unreadable_withheld_answer(course: Path) -> None:
    copy = release(course)
    answers = course / "submissions" / "bob" / "answers.toml"
    text = answers.read_text(encoding="utf-8")
    answers.write_text(re.sub(r'(?m)^"9\.1" = .*$', '"9.1" = "one over root two??"', text),
                       encoding="utf-8")
    view = check_json(course, "bob", copy)
    q91 = next(q for q in view["questions"] if q["id"] == "9.1")
    assert q91["status"] == "unparsable"
    assert any(p.startswith("9.1:") for p in view["problems"])


def test_check_terminal_names_what_it_cannot_check(course: Path) -> None:
    copy = release(course)
    result = CliRunner().invoke(main, ["check", str(course / "submissions" / "alice"),
                                       "--assignment", str(copy)])
    assert result.exit_code == 0, result.output
    assert "Not checked here (checked when graded): 9.1, 9.2, 9.3, 9.4, 9.5, 9.6, claim 11, " \
           "claim 12" in " ".join(result.stdout.split())
