"""The folder is the student: one hostile student can neither take nor lose anyone's grade.

Each attack is a real `grade batch` (CliRunner) over a small made-up class in tmp_path: honest
alice and bob, plus the attacker. The class, its answers and manual.csv are made up for the
tests; the attacks are the ones issue 9 lists.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from class_helpers import EXPECTED, add, answers, assert_honest_untouched, batch, make_course
from click.testing import CliRunner

from grader.cli import main


def test_a_student_line_naming_alice_is_a_warning_not_alices_grade(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    add(root, "mallory", answers('"1" = 896\n', "alice"))

    rows, out = batch(root)

    assert_honest_untouched(rows, out)
    mallory = rows["mallory"]
    assert mallory["score"] == 2                        # her own answers, no manual score
    manual = next(q for q in mallory["questions"] if q["id"] == "3")
    assert (manual["status"], manual["score"]) == ("manual", 0)
    warn = [i for i in mallory["integrity"] if i["status"] == "warn"]
    assert warn == [{"check": "student", "status": "warn", "detail":
                     "answers.toml line 2 says student = 'alice', but the folder is 'mallory'; "
                     "graded as 'mallory' (the folder decides whose grade it is)"}]
    assert "mallory" in (out / "mallory.html").read_text(encoding="utf-8")
    grades = pd.read_csv(out / "grades.csv")
    assert grades["student"].tolist() == ["alice", "bob", "mallory"]


def test_an_answers_file_linked_to_bobs_is_an_error_row(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    (root / "mallory").mkdir()
    (root / "mallory" / "answers.toml").symlink_to(root / "bob" / "answers.toml")

    rows, out = batch(root)

    assert_honest_untouched(rows, out)
    assert rows["mallory"]["error"] == ("answers.toml is a symbolic link; the grader never "
                                        "reads through links (submit the file itself)")
    assert rows["mallory"]["questions"] == [] and not (out / "mallory.html").exists()


def test_a_student_folder_linked_to_bobs_is_an_error_row(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    (root / "mallory").symlink_to(root / "bob")

    rows, out = batch(root)

    assert_honest_untouched(rows, out)
    error = rows["mallory"]["error"]
    assert error.endswith(f"mallory: the student folder is a symbolic link (to {root / 'bob'}); "
                          "it is not graded, submit the folder itself")
    assert not (out / "mallory.html").exists()


@pytest.mark.parametrize("name", ["answers.toml", "answers.json"])
def test_200000_nested_brackets_are_an_error_row(tmp_path: Path, name: str) -> None:
    root = make_course(tmp_path)
    text = ('assignment = "hw"\n[answers]\n"1" = ' + "[" * 200_000 + "]" * 200_000
            if name.endswith("toml") else
            '{"assignment": "hw", "answers": {"1": ' + "[" * 200_000 + "]" * 200_000 + "}}")
    add(root, "mallory", text, name)

    rows, out = batch(root)

    assert_honest_untouched(rows, out)
    line = 3 if name.endswith("toml") else 1
    assert rows["mallory"]["error"] == (f"{name} line {line}: more than 32 nested [ or {{; "
                                        "nothing graded is nested this deep")


# a folder name cannot hold "/", so the folder's HYPERLINK has no "//"
FORMULAS = ['=HYPERLINK("x","y")', "@SUM(1+1)", "+1+2", "-3+4", "\tTAB"]
STATED = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "=1+2"]


def test_formula_ids_are_inert_in_every_csv(tmp_path: Path) -> None:
    """As folder names and as `student =` values; pandas reads back text, never a formula."""
    root = make_course(tmp_path)
    for formula in FORMULAS:
        add(root, formula, answers('"1" = 896\n', formula))
    for i, formula in enumerate(STATED):
        add(root, f"eve{i}", answers('"1" = 895\n', formula))

    rows, out = batch(root)

    assert_honest_untouched(rows, out)
    for path, column in ((out / "grades.csv", "student"), (out / "canvas.csv", "SIS Login ID")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        cells = [c for col in frame.columns for c in frame[col]] + list(frame.columns)
        assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), path
        ids = frame[column].tolist()
        for formula in FORMULAS:
            assert ids.count("'" + formula) == 1, (path, ids)
        assert formula not in " ".join(ids).replace("'" + formula, "")
    grades = pd.read_csv(out / "grades.csv")
    assert pd.api.types.is_numeric_dtype(grades["total"])        # numbers stay numbers
    for formula in FORMULAS:
        assert rows[formula]["score"] == 2 and "error" not in rows[formula]
    for i, formula in enumerate(STATED):       # the stated id is a warning, never a row
        assert rows[f"eve{i}"]["integrity"][0]["check"] == "student"
        assert formula in rows[f"eve{i}"]["integrity"][0]["detail"]
    # report pages exist for each folder, under a file name that cannot leave the folder
    assert len(list(out.glob("*.html"))) == 1 + len(EXPECTED) + len(FORMULAS) + len(STATED)


def test_folders_colliding_after_sanitising_are_refused_by_name(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    add(root, "Carol", answers('"1" = 896\n'))
    add(root, "carol", answers('"1" = 1\n'))
    add(root, "dan!", answers('"1" = 896\n'))
    add(root, "dan?", answers('"1" = 1\n'))
    add(root, "index", answers('"1" = 896\n'))
    add(root, "index_", answers('"1" = 1\n'))
    add(root, "张三", answers('"1" = 896\n'))        # names in other scripts do not collide
    add(root, "李四", answers('"1" = 1\n'))

    rows, out = batch(root)

    assert_honest_untouched(rows, out)
    assert rows["Carol"]["error"] == (
        "folder 'Carol' collides with folder 'carol': both would be the student 'Carol' in "
        "report file names and CSV rows; rename one (none of them is graded)")
    assert "folder 'carol' collides with folder 'Carol'" in rows["carol"]["error"]
    assert "folder 'dan!' collides with folder 'dan?'" in rows["dan!"]["error"]
    assert "folder 'index_' collides with folder 'index'" in rows["index_"]["error"]
    for name in ("Carol", "carol", "dan!", "dan?", "index", "index_"):
        assert rows[name]["questions"] == []
    assert rows["张三"]["score"] == 2 and rows["李四"]["score"] == 0
    assert (out / "张三.html").is_file() and (out / "李四.html").is_file()
    assert not (out / "index_.html").exists() and not (out / "Carol.html").exists()


def test_the_refusal_lifts_once_the_collision_is_renamed(tmp_path: Path) -> None:
    """Refusals are never stored: the gradebook cannot get stuck on them."""
    root = make_course(tmp_path)
    add(root, "Carol", answers('"1" = 896\n'))
    add(root, "carol", answers('"1" = 1\n'))
    rows, _ = batch(root)
    assert "error" in rows["Carol"] and "error" in rows["carol"]

    os.rename(root / "carol", root / "carol2")
    rows, out = batch(root)

    assert rows["Carol"]["score"] == 2 and rows["carol2"]["score"] == 0
    assert "carol" not in rows
    assert_honest_untouched(rows, out)


# --- grade run: one line, never a traceback ----------------------------------------------------

def run(folder: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(folder.parent / "out"),
                                       "--json", *extra], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_grade_run_keys_the_result_by_the_folder(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    mallory = add(root, "mallory", answers('"1" = 896\n', "alice"))
    code, stdout, _ = run(mallory)
    assert code == 0
    result = json.loads(stdout)
    assert result["student"] == "mallory" and result["integrity"][0]["status"] == "warn"
    assert (root / "out" / "mallory.html").is_file() and not (root / "out" / "alice.html").exists()


def test_grade_run_refuses_a_linked_folder_in_one_line(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    (root / "mallory").symlink_to(root / "bob")
    code, stdout, stderr = run(root / "mallory")
    assert (code, stdout) == (1, "")
    assert stderr == (f"Error: {root / 'mallory'}: the student folder is a symbolic link (to "
                      f"{root / 'bob'}); it is not graded, submit the folder itself\n")


@pytest.mark.parametrize("exc", [RecursionError("maximum recursion depth exceeded"),
                                 MemoryError(), ZeroDivisionError("division by zero")])
def test_any_exception_in_grade_run_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                exc: Exception) -> None:
    """An exception injected into grading: exit 1, one line naming folder and type."""
    import grader.grading

    def broken(*args: object, **kwargs: object) -> None:
        raise exc
    monkeypatch.setattr(grader.grading, "compute_key", broken)
    root = make_course(tmp_path)
    code, stdout, stderr = run(root / "alice")
    assert (code, stdout) == (1, "")
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert stderr.startswith(f"Error: {root / 'alice'}: internal grader error: "
                             f"{type(exc).__name__}")
    assert "(test_identity.py line " in stderr       # where it was raised, no path
