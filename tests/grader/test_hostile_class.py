"""One class holding every malformed and hostile submission the file half of issue 9 handles.

`grade batch` over it completes: every honest student is graded as in a class of honest
students alone, every hostile one is an error row with a one-line reason (or, where the attack
is only a false `student` line, graded as its own folder with a warning). Re-runs neither stop
nor stick. All submissions here are made up for the test; each says what it attacks.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from class_helpers import EXPECTED, add, answers, assert_honest_untouched, make_course
from click.testing import CliRunner

from grader.batch import run_batch
from grader.cli import main

DEEP = "[" * 200_000 + "]" * 200_000

# folder -> (file name, contents), or a callable building something no text can
HOSTILE: dict[str, tuple[str, str]] = {
    "deep-toml": ("answers.toml", 'assignment = "hw"\n[answers]\n"1" = ' + DEEP),
    "deep-json": ("answers.json", '{"assignment": "hw", "answers": {"1": ' + DEEP + "}}"),
    "dotted-keys": ("answers.toml", 'assignment = "hw"\n' + "a." * 100_000 + "a = 1\n"),
    "inline-tables": ("answers.toml", 'assignment = "hw"\nx = ' + "{a = " * 100_000),
    "huge-int": ("answers.toml", 'assignment = "hw"\n[answers]\n"1" = ' + "9" * 5000 + "\n"),
    "oversized": ("answers.toml", 'assignment = "hw"\n#' + "x" * 2_000_100 + "\n"),
    "not-utf8": ("answers.toml", "assignment = \"hw\"\n[answers]\n\"1\" = \"caf\udce9\"\n"),
    "nul-bytes": ("answers.toml", "\x00\x01garbage"),
    "empty": ("answers.toml", "  \n"),
    "syntax": ("answers.toml", 'assignment = "hw"\n[answers\n'),
    "top-array": ("answers.json", "[1, 2, 3]"),
    "nan": ("answers.toml", 'assignment = "hw"\n[answers]\n"1" = nan\n'),
    "claims-alice": ("answers.toml", answers('"1" = 896\n', "alice")),
    "not-a-name": ("answers.toml", 'assignment = "hw"\nstudent = ["bob"]\n[answers]\n"1" = 1\n'),
    "=HYPERLINK(\"x\",\"y\")": ("answers.toml", answers('"1" = 896\n', "@SUM(1+1)")),
    "Carol": ("answers.toml", answers('"1" = 896\n')),
    "carol": ("answers.toml", answers('"1" = 1\n')),
}
GRADED_WITH_WARNING = {"claims-alice": 2, "not-a-name": 0, "=HYPERLINK(\"x\",\"y\")": 2}


def hostile_class(tmp_path: Path) -> Path:
    root = make_course(tmp_path)
    for folder, (name, text) in HOSTILE.items():
        (root / folder).mkdir()
        (root / folder / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    (root / "link-answers").mkdir()                      # answers.toml -> bob's
    (root / "link-answers" / "answers.toml").symlink_to(root / "bob" / "answers.toml")
    (root / "link-folder").symlink_to(root / "bob")      # the folder itself -> bob's
    (root / "fifo").mkdir()                              # a FIFO as answers: must not hang
    os.mkfifo(root / "fifo" / "answers.toml")
    (root / "dir-answers" / "answers.toml").mkdir(parents=True)
    add(root, "fifo-model", answers('"1" = 896\n'))      # a FIFO beside honest answers:
    os.mkfifo(root / "fifo-model" / "model.pt")          # hashing it must not hang the batch
    add(root, "new\nline", answers('"1" = 896\n'))       # odd but honest names are graded,
    add(root, "cr\rmallory,6", answers('"1" = 896\n'))   # and start no CSV row of their own
    add(root, "张三", answers('"1" = 896\n'))
    return root


ERRORS = {   # folder -> the start of its one-line error
    "deep-toml": "answers.toml line 3: more than 32 nested [ or {",
    "deep-json": "answers.json line 1: more than 32 nested [ or {",
    "dotted-keys": "answers.toml line 2: more than 32 parts in a dotted key",
    "inline-tables": "answers.toml line 2: more than 32 nested [ or {",
    "huge-int": "answers.toml: Exceeds the limit (4300 digits)",
    "oversized": "answers.toml: 2,000,120 bytes is too large for this file",
    "not-utf8": "answers.toml line 3: byte 0xe9 is not UTF-8",
    "nul-bytes": "answers.toml: binary data (NUL bytes)",
    "empty": "answers.toml: the file is empty",
    "syntax": "answers.toml: TOML syntax error",
    "top-array": "answers.json: the top level must be a table/object",
    "nan": "answers.toml line 3: 1 = nan is not a finite number",
    "Carol": "folder 'Carol' collides with folder 'carol'",
    "carol": "folder 'carol' collides with folder 'Carol'",
    "link-answers": "answers.toml is a symbolic link; the grader never reads through links",
    "link-folder": "",          # names the folder's path, checked below
    "fifo": "answers.toml: not a regular file",
    "dir-answers": "answers.toml: not a regular file",
}
HONEST_TOO = {"fifo-model": 2, "new\nline": 2, "cr\rmallory,6": 2, "张三": 2}


def check_outcome(rows: dict[str, dict], out: Path) -> None:
    assert_honest_untouched(rows, out)
    assert set(rows) == {*EXPECTED, *ERRORS, *GRADED_WITH_WARNING, *HONEST_TOO}
    for folder, start in ERRORS.items():
        error = rows[folder]["error"]
        assert error.startswith(start), (folder, error)
        assert "\n" not in error and "Traceback" not in error
        assert rows[folder]["questions"] == []
    assert rows["link-folder"]["error"].endswith(
        "the student folder is a symbolic link (to "
        f"{out.parent / 'class' / 'bob'}); it is not graded, submit the folder itself")
    for folder, score in {**GRADED_WITH_WARNING, **HONEST_TOO}.items():
        assert "error" not in rows[folder] and rows[folder]["score"] == score, rows[folder]
    for folder in GRADED_WITH_WARNING:
        assert rows[folder]["integrity"][0]["check"] == "student"
    grades = pd.read_csv(out / "grades.csv")
    assert len(grades) == len(rows)
    assert grades["error"].fillna("").str.len().gt(0).sum() == len(ERRORS)
    canvas = pd.read_csv(out / "canvas.csv", dtype=str, keep_default_na=False)
    assert "'=HYPERLINK(\"x\",\"y\")" in canvas["SIS Login ID"].tolist()


def test_a_batch_over_every_hostile_case_completes_and_reruns(tmp_path: Path) -> None:
    root = hostile_class(tmp_path)
    out = tmp_path / "out"
    args = ["batch", str(root), "--jobs", "2", "--out", str(out), "--json"]

    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "Traceback" not in first.output
    rows = {r["student"]: r for r in json.loads(first.stdout)}
    check_outcome(rows, out)

    # the unchanged re-run reads the gradebook and gives the same rows
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert {r["student"]: r for r in json.loads(second.stdout)} == rows

    # once fixed, a hostile student is graded: no stored error sticks
    (root / "deep-toml" / "answers.toml").write_text(answers('"1" = 896\n'))
    os.unlink(root / "link-folder")
    third = CliRunner().invoke(main, args)
    rows = {r["student"]: r for r in json.loads(third.stdout)}
    assert rows["deep-toml"]["score"] == 2 and "link-folder" not in rows


# Grading functions the spawned workers import by name from tmp_path: each raises what a
# grader bug or an exhausted interpreter raises, for one chosen student.
INJECT = '''
from grader.grading import grade_folder

def boom(folder, assignment, options, **kw):
    if folder.name == "recursion":
        def down(n):
            return down(n + 1)
        down(0)
    if folder.name == "memory":
        raise MemoryError()
    if folder.name == "bug":
        {}["missing"]
    return grade_folder(folder, assignment, options, **kw)
'''


def test_any_exception_grading_one_student_is_its_error_row(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "inject_helpers.py").write_text(INJECT, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    from inject_helpers import boom
    root = make_course(tmp_path)
    for name in ("recursion", "memory", "bug"):
        add(root, name, answers('"1" = 896\n'))

    outcome = run_batch(root, jobs=2, quiet=True, out=tmp_path / "out", grade=boom)

    rows = {r.student: r for r in outcome.results}
    assert rows["recursion"].error.startswith("internal grader error: RecursionError: maximum "
                                              "recursion depth exceeded")
    assert rows["memory"].error.startswith("internal grader error: MemoryError (")
    assert rows["bug"].error == "internal grader error: KeyError: 'missing' (inject_helpers.py line 12)"
    assert {n: r.score for n, r in rows.items() if r.error is None} == {**EXPECTED}
    assert_honest_untouched({r.student: r.to_json() for r in outcome.results}, outcome.out)

    # not stored: the next run (the bug fixed) grades them
    again = run_batch(root, jobs=2, quiet=True, out=tmp_path / "out")
    assert {r.student: r.score for r in again.results if r.error is None} == {
        **EXPECTED, "recursion": 2, "memory": 2, "bug": 2}
    assert (again.graded, again.skipped) == (3, 2)
