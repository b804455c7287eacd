"""A small made-up class for the identity and hostile-class tests: honest alice and bob.

The assignment, answers and manual.csv are made up for the tests (not real material)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
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
kind = "expression"
points = 1
answer = "1/sqrt(2)"

[[question]]
id = "3"
kind = "manual"
points = 3
"""

HONEST = {
    "alice": '"1" = 896\n"2" = "1/sqrt(2)"\n',          # 3 + manual 3 = 6
    "bob": '"1" = 895\n"2" = "sqrt(2)/2"\n',             # 1 + manual 1 = 2
}
EXPECTED = {"alice": 6, "bob": 2}
MANUAL = "student,question,score\nalice,3,3\nbob,3,1\n"


def answers(body: str, student: str | None = None) -> str:
    head = 'assignment = "hw"\n' + (f"student = {json.dumps(student)}\n" if student else "")
    return head + "[answers]\n" + body


def make_course(tmp_path: Path) -> Path:
    """tmp/assignments/hw and tmp/class with alice and bob; returns the class folder."""
    (tmp_path / "assignments" / "hw").mkdir(parents=True)
    (tmp_path / "assignments" / "hw" / "assignment.toml").write_text(ASSIGNMENT)
    root = tmp_path / "class"
    for name, body in HONEST.items():
        add(root, name, answers(body, name))
    (root / "manual.csv").write_text(MANUAL)
    return root


def add(root: Path, folder: str, text: str, name: str = "answers.toml") -> Path:
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / folder / name).write_text(text, encoding="utf-8")
    return root / folder


def batch(root: Path) -> tuple[dict[str, dict], Path]:
    """`grade batch ROOT --json`: rows by student, and the output folder."""
    out = root.parent / "out"
    run = CliRunner().invoke(main, ["batch", str(root), "--jobs", "1", "--out", str(out),
                                    "--json"])
    assert run.exit_code == 0, run.output
    assert "Traceback" not in run.output
    rows = json.loads(run.stdout)
    by_student = {r["student"]: r for r in rows}
    assert len(by_student) == len(rows), "one row per folder"
    return by_student, out


def assert_honest_untouched(rows: dict[str, dict], out: Path) -> None:
    for name, score in EXPECTED.items():
        row = rows[name]
        assert "error" not in row and row["score"] == score, row
        assert all(i["status"] == "pass" for i in row["integrity"]), row["integrity"]
        assert f"<title>" in (out / f"{name}.html").read_text(encoding="utf-8")
    canvas = pd.read_csv(out / "canvas.csv")
    logins = canvas["SIS Login ID"].dropna().tolist()
    for name, score in EXPECTED.items():
        assert logins.count(name) == 1
        assert float(canvas.loc[canvas["SIS Login ID"] == name, "Tiny (hw)"].iloc[0]) == score
