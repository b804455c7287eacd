"""Forgiving answers files, strict assignments (issue 11, item 4): CLI exit codes and exact lines."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.assignment import load_assignment
from grader.cli import main
from grader.errors import AssignmentError
from grader.key import PARAMS, SOLVERS, compute_key

HEAD = '[assignment]\nid = "hw"\n\n'
FLATTEN = """[[question]]
id = "1.1"
kind = "cnn.flatten"
points = 2
[question.params]
input = [64, 64, 3]
layers = [{ type = "conv2d", filters = 16, kernel = 5, padding = "same" },
          { type = "maxpool2d", kernel = 2 }, { type = "flatten" }]

"""


def _course(tmp_path: Path, assignment: str, answers: str | None = None) -> Path:
    (tmp_path / "assignments" / "hw").mkdir(parents=True)
    (tmp_path / "assignments" / "hw" / "assignment.toml").write_text(assignment, encoding="utf-8")
    if answers is not None:
        (tmp_path / "submissions" / "ann").mkdir(parents=True)
        (tmp_path / "submissions" / "ann" / "answers.toml").write_text(answers, encoding="utf-8")
    return tmp_path


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_validate_accepts_a_good_assignment(tmp_path: Path) -> None:
    course = _course(tmp_path, HEAD + FLATTEN)
    result = _invoke("validate", str(course / "assignments" / "hw"))
    assert result.exit_code == 0
    assert result.stdout.endswith("assignment.toml: ok: 1 questions, 0 claims, 2 points\n")


@pytest.mark.parametrize(("extra", "line", "key", "near"), [
    ('point = 3\n', 8, "point", "points"),                  # the typo that was silently ignored
    ('[question.tolerance]\nabss = 1\n', 14, "abss", "abs"),
])
def test_unknown_question_keys_name_file_line_key_and_nearest(tmp_path: Path, extra: str,
                                                              line: int, key: str,
                                                              near: str) -> None:
    text = HEAD + FLATTEN.replace('points = 2\n', 'points = 2\n' + extra if key == "point"
                                  else 'points = 2\n') + (extra if key != "point" else "")
    course = _course(tmp_path, text)
    result = _invoke("validate", str(course / "assignments" / "hw"))
    assert result.exit_code == 1
    assert f'assignment.toml line {line}: ' in result.stderr
    assert f'unknown key "{key}"; did you mean "{near}"?' in result.stderr


def test_an_unknown_param_is_an_error_with_the_nearest_param(tmp_path: Path) -> None:
    course = _course(tmp_path, HEAD + FLATTEN.replace("input =", "inputs ="))
    result = _invoke("validate", str(course / "assignments" / "hw"))
    assert result.stderr.strip() == ('Error: assignment.toml line 9: question 1.1: params '
                                     'unknown key "inputs"; did you mean "input"?')


def test_unknown_claim_field_and_top_level_key(tmp_path: Path) -> None:
    claim = ('[[claim]]\nid = "2"\ndataset = "digits"\npoints = 1\ntokeniser = "char"\n\n'
             '[extra]\nx = 1\n')
    course = _course(tmp_path, HEAD + claim)
    result = _invoke("validate", str(course / "assignments" / "hw"))
    line = result.stderr.strip()
    assert line.startswith("Error: assignment.toml: 2 problems: ")
    assert 'unknown key "extra"' in line
    assert 'line 8: claim 2: unknown key "tokeniser"; did you mean "tokenizer"?' in line


def test_every_problem_of_the_file_in_one_run(tmp_path: Path) -> None:
    text = HEAD + FLATTEN.replace("points = 2", "point = 2") + FLATTEN.replace(
        '"1.1"', '"1.2"').replace("kind =", "knd = 1\nkind =")
    with pytest.raises(AssignmentError) as info:
        load_assignment(_course(tmp_path, text) / "assignments" / "hw")
    message = str(info.value)
    assert message.startswith("assignment.toml: 2 problems: ") and "\n" not in message
    assert '"point"; did you mean "points"?' in message
    assert '"knd"; did you mean "kind"?' in message


def test_params_from_takes_the_other_questions_params(tmp_path: Path) -> None:
    shared = FLATTEN + '[[question]]\nid = "1.2"\nkind = "cnn.params"\nparams_from = "1.1"\n' \
        '[question.params]\nlayer = 1\n'
    assignment = load_assignment(_course(tmp_path, HEAD + shared) / "assignments" / "hw")
    key = compute_key(assignment)
    assert key["1.1"].answer == 32 * 32 * 16
    assert key["1.2"].answer == 5 * 5 * 3 * 16 + 16
    assert assignment.question("1.2").params["input"] == [64, 64, 3]


def test_params_from_an_unknown_question_is_an_error(tmp_path: Path) -> None:
    text = HEAD + FLATTEN.replace('points = 2\n', 'points = 2\nparams_from = "6.1"\n')
    result = _invoke("validate", str(_course(tmp_path, text) / "assignments" / "hw"))
    assert result.stderr.strip() == ('Error: assignment.toml line 8: question 1.1: params_from '
                                     '= "6.1" is not a question of this assignment')


def test_every_kind_declares_its_params() -> None:
    # kinds added later (key.py) declare theirs beside the solver; these are checked
    assert set(PARAMS) <= set(SOLVERS)


def _run_json(course: Path) -> dict:
    result = _invoke("run", str(course / "submissions" / "ann"), "--json",
                     "--out", str(course / "out"))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_answers_to_unknown_ids_are_warnings_all_of_them(tmp_path: Path) -> None:
    answers = 'assignment = "hw"\n[answers]\n"1.1" = 16384\n"9" = 1\n"Q6.5" = "3x2"\n'
    report = _run_json(_course(tmp_path, HEAD + FLATTEN, answers))
    assert report["questions"][0]["status"] == "correct"
    warned = [i["detail"] for i in report["integrity"] if i["status"] == "warn"]
    assert warned == [
        'answers.toml line 4: "9" is not a question of this assignment; ignored (questions: 1.1)',
        'answers.toml line 5: "Q6.5" is not a question of this assignment; ignored '
        "(questions: 1.1)"]


def test_a_bare_dotted_key_is_explained_as_a_toml_nesting_slip(tmp_path: Path) -> None:
    answers = 'assignment = "hw"\n[answers]\n1.1 = 16384\n'
    report = _run_json(_course(tmp_path, HEAD + FLATTEN, answers))
    assert report["questions"][0]["status"] == "correct"
    (warning,) = [i["detail"] for i in report["integrity"]]
    assert warning == ('answers.toml line 3: 1.1 = 16384 is a TOML nesting slip (a bare 1.1 is '
                       'read as a table); write "1.1" = 16384 with quotes. Graded as the answer '
                       "to question 1.1")


def test_working_credit_and_h0_are_read_from_the_assignment(tmp_path: Path) -> None:
    text = HEAD + FLATTEN.replace("points = 2\n", "points = 2\nworking_credit = 0.5\n") + \
        '[[question]]\nid = "3.1"\nkind = "rnn.unroll"\n[question.params]\nsteps = 2\nh0 = 0\n'
    answers = ('assignment = "hw"\n[answers]\n"1.1" = "32×32×16 = 16380"\n'
               '"3.1" = "tanh(W_hh*tanh(W_xh*x1) + W_xh*x2)"\n')
    report = _run_json(_course(tmp_path, text, answers))
    slip, unroll = report["questions"]
    assert (slip["status"], slip["score"]) == ("partial", 1.0)
    assert "arithmetic slip (credit 0.5 of the points)" in slip["feedback"]
    assert (unroll["status"], unroll["score"]) == ("incorrect", 0.0)
    assert "bias left out" in unroll["feedback"]


def test_a_typo_inside_a_layer_names_the_nearest_layer_key(tmp_path: Path) -> None:
    text = HEAD + FLATTEN.replace('{ type = "maxpool2d", kernel = 2 }',
                                  '{ type = "maxpool2d", kernal = 2 }')
    result = _invoke("validate", str(_course(tmp_path, text) / "assignments" / "hw"))
    assert result.stderr.strip() == ('Error: assignment.toml line 11: question 1.1: layer 2 '
                                     '(maxpool2d) unknown key "kernal"; did you mean "kernel"?')


def test_validate_reports_key_and_param_problems_together(tmp_path: Path) -> None:
    text = HEAD + FLATTEN.replace("points = 2", "point = 2").replace("input =", "inputs =")
    result = _invoke("validate", str(_course(tmp_path, text) / "assignments" / "hw"))
    line = result.stderr.strip()
    assert line.startswith("Error: assignment.toml: 2 problems: ")
    assert '"point"; did you mean "points"?' in line and '"inputs"; did you mean "input"?' in line


def test_grade_check_lists_an_ignored_answer_as_a_problem(tmp_path: Path) -> None:
    answers = 'assignment = "hw"\n[answers]\n"1.1" = 16384\n"Q1.1" = 16384\n'
    course = _course(tmp_path, HEAD + FLATTEN, answers)
    result = _invoke("check", str(course / "submissions" / "ann"), "--json")
    view = json.loads(result.stdout)
    assert view["ready"] is False
    assert view["problems"] == ['answers.toml line 4: "Q1.1" is not a question of this '
                                "assignment; ignored (questions: 1.1)"]
