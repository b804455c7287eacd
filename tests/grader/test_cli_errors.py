"""Every malformed input ends in one line on stderr, a non-zero exit, and no traceback."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main

ASSIGNMENT = """\
[assignment]
id = "hw"
title = "Tiny"

[[question]]
id = "1"
kind = "value"
points = 2
answer = 896

[[question]]
id = "2"
kind = "value"
points = 1
answer = "1/sqrt(2)"
"""


@pytest.fixture
def course(tmp_path: Path) -> Path:
    (tmp_path / "assignments" / "hw").mkdir(parents=True)
    (tmp_path / "assignments" / "hw" / "assignment.toml").write_text(ASSIGNMENT)
    (tmp_path / "submissions" / "ann").mkdir(parents=True)
    return tmp_path


def grade(course: Path, answers: bytes | str, name: str = "answers.toml",
          *extra: str) -> tuple[int, str, str]:
    folder = course / "submissions" / "ann"
    data = answers.encode() if isinstance(answers, str) else answers
    (folder / name).write_bytes(data)
    runner = CliRunner()
    result = runner.invoke(main, ["run", str(folder), "--json", "--out", str(course / "out"),
                                  *extra], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


CASES = [
    ("toml syntax", 'assignment = "hw"\n[answers]\n"1" = = 3\n',
     "Error: answers.toml: TOML syntax error: Invalid value (at line 3, column 7)"),
    ("answers not a table", 'assignment = "hw"\nanswers = 5\n',
     "Error: answers.toml line 2: [answers] must be a table of question id = answer"),
    ("empty", "  \n", "Error: answers.toml: the file is empty"),
    ("binary", b"\x00\x01\x02garbage", "Error: answers.toml: binary data (NUL bytes); "
     "expected UTF-8 text"),
    ("not utf-8", 'assignment = "hw"\n[answers]\n"1" = "caf\xe9"\n'.encode("latin-1"),
     "Error: answers.toml line 3: byte 0xe9 is not UTF-8; save the file as UTF-8"),
    ("nan", 'assignment = "hw"\n[answers]\n"1" = nan\n',
     "Error: answers.toml line 3: 1 = nan is not a finite number"),
    ("inf", 'assignment = "hw"\n[answers]\n"2" = -inf\n',
     "Error: answers.toml line 3: 2 = -inf is not a finite number"),
    ("unknown assignment", 'assignment = "nope"\n[answers]\n"1" = 896\n',
     "Error: assignment 'nope' not found under assignments/ here or in a parent folder; "
     "pass --assignment PATH"),
    ("no assignment id", '[answers]\n"1" = 896\n',
     'Error: answers.toml: no `assignment = "<id>"` line; add one or pass --assignment PATH'),
]


@pytest.mark.parametrize("label,answers,line", CASES, ids=[c[0] for c in CASES])
def test_malformed_answers_give_one_line(course: Path, label: str, answers, line: str) -> None:
    code, stdout, stderr = grade(course, answers)
    assert code == 1
    assert stdout == ""
    assert one_line(stderr) == line


def test_ten_megabyte_file_is_refused(course: Path) -> None:
    code, _, stderr = grade(course, 'assignment = "hw"\n#' + "x" * 10_000_000 + "\n")
    assert code == 1
    assert one_line(stderr) == ("Error: answers.toml: 10,000,020 bytes is too large for this "
                                "file (limit 2,000,000)")


def test_json_syntax_error_names_the_line(course: Path) -> None:
    code, _, stderr = grade(course, '{"assignment": "hw",\n "answers": {"1": 896,,}}',
                            "answers.json")
    assert code == 1
    assert one_line(stderr) == ("Error: answers.json line 2: JSON syntax error: "
                                "Expecting property name enclosed in double quotes")


def test_json_nan_is_refused(course: Path) -> None:
    code, _, stderr = grade(course, '{"assignment": "hw",\n "answers": {"1": NaN}}',
                            "answers.json")
    assert code == 1
    assert one_line(stderr) == "Error: answers.json line 2: NaN is not a number a grade can use"


def test_missing_folder(course: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(course / "submissions" / "zed")])
    assert result.exit_code == 1
    assert one_line(result.stderr) == f"Error: {course / 'submissions' / 'zed'}: no such folder"


def test_folder_without_answers(course: Path) -> None:
    folder = course / "submissions" / "ann"
    result = CliRunner().invoke(main, ["run", str(folder)])
    assert result.exit_code == 1
    assert one_line(result.stderr) == f"Error: {folder}: no answers.toml or answers.json"


@pytest.mark.parametrize("edit,line", [
    (('kind = "value"\npoints = 2', 'kind = "valeu"\npoints = 2'),
     "Error: assignment.toml line 7: question 1: kind = 'valeu' is not one of cnn.shapes, "
     "cnn.flatten, cnn.params, model.summary, attention.sdpa, attention.multihead, "
     "attention.grad, rnn.unroll, rnn.bptt, cnn.receptive_field, cnn.macs, rnn.params, "
     "transformer.params, attention.positional, mlp.backprop, loss.cross_entropy, optim.step, "
     "value, expression, choice, manual"),
    (('title = "Tiny"', 'title = "Tiny"\nfeedback = "everything"'),
     "Error: assignment.toml line 4: feedback = 'everything' is not one of format, "
     "correctness, answers"),
    (("points = 1", "points = -1"),
     "Error: assignment.toml line 14: question 2: points = -1 must be a non-negative finite "
     "number"),
    (('answer = "1/sqrt(2)"', 'answer = "1/sqrt("'),
     None),
])
def test_malformed_assignment_gives_one_line(course: Path, edit, line) -> None:
    path = course / "assignments" / "hw" / "assignment.toml"
    path.write_text(ASSIGNMENT.replace(*edit))
    code, _, stderr = grade(course, 'assignment = "hw"\n[answers]\n"1" = 896\n')
    assert code == 1
    got = one_line(stderr)
    if line is None:     # the instructor's own answer must parse; the message names it
        assert got.startswith("Error: assignment.toml line 12: question 2 (value): ")
    else:
        assert got == line


def test_a_bad_answer_is_unparsable_not_fatal(course: Path) -> None:
    import json
    code, stdout, stderr = grade(course, 'assignment = "hw"\n[answers]\n"1" = "abc"\n'
                                 '"2" = "0.7071"\n')
    assert code == 0, stderr
    out = json.loads(stdout)
    by_id = {q["id"]: q for q in out["questions"]}
    assert by_id["1"]["status"] == "unparsable"
    assert by_id["1"]["feedback"].startswith('answers.toml line 3: "1" = "abc": ')
    assert by_id["2"]["status"] == "correct"
    assert out["score"] == 1 and out["max_score"] == 3
