"""`grade batch`: a class graded in parallel into the gradebook, incrementally, crash-safely."""
from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.batch import answer_only_assignment, make_class
from grader.batch import RAY_MISSING, run_batch
from grader.cli import main
from grader.errors import GradebookError
from grader.report import report_stem

REPO = Path(__file__).resolve().parents[2]

# Grading functions the worker processes import by name from tmp_path (spawned workers get
# the parent's sys.path): one that dies or hangs on chosen students, one that is slow.
HELPERS = '''
import os, time
from grader.grading import grade_folder

def crash_or_hang(folder, assignment, options, **kw):
    if folder.name == "s0001":
        os._exit(3)                     # a segfault / OOM kill looks like this from outside
    if folder.name == "s0002":
        time.sleep(600)
    return grade_folder(folder, assignment, options, **kw)

def slow(folder, assignment, options, **kw):
    time.sleep(float(os.environ.get("SLOW_GRADE_S", "0.3")))
    return grade_folder(folder, assignment, options, **kw)
'''


@pytest.fixture
def klass(tmp_path: Path) -> Path:
    """tmp/assignments/demo (the demo without claims) and tmp/class with 6 students."""
    answer_only_assignment(tmp_path / "assignments" / "demo", light=True)
    make_class(tmp_path / "class", 6, tmp_path / "assignments" / "demo" / "assignment.toml")
    return tmp_path / "class"


@pytest.fixture
def helpers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "batch_helpers.py").write_text(HELPERS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def runs(db: Path) -> list[dict]:
    con = sqlite3.connect(db)
    cur = con.execute("SELECT * FROM runs ORDER BY id")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    con.close()
    return rows


def graded_at(db: Path) -> dict[str, str]:
    con = sqlite3.connect(db)
    rows = dict(con.execute("SELECT folder, graded_at FROM students").fetchall())
    con.close()
    return rows


@pytest.mark.slow
def test_class_of_200_then_unchanged_rerun_skips_everyone(tmp_path: Path) -> None:
    assignment = answer_only_assignment(tmp_path / "assignments" / "demo", light=True)
    root = tmp_path / "class"
    make_class(root, 200, assignment)
    out = tmp_path / "out"
    args = ["batch", str(root), "--jobs", "2", "--out", str(out), "--json"]

    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    rows = json.loads(first.stdout)
    assert [r["student"] for r in rows] == [f"s{i:04d}" for i in range(200)]
    assert all("error" not in r and r["assignment"] == "demo" for r in rows)
    pages = sorted(p.name for p in out.glob("*.html"))
    assert pages == sorted([f"s{i:04d}.html" for i in range(200)] + ["index.html"])
    with (out / "grades.csv").open(newline="") as f:
        grades = list(csv.DictReader(f))
    assert len(grades) == 200
    # the CSV total is the JSON score of the same student, and the sum of its question columns
    by_student = {r["student"]: r for r in rows}
    for g in grades:
        assert float(g["total"]) == pytest.approx(by_student[g["student"]]["score"])
        qsum = sum(float(g[q["id"]]) for q in by_student[g["student"]]["questions"])
        assert qsum == pytest.approx(float(g["total"]))

    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout) == rows
    last = runs(root / ".grade" / "gradebook.sqlite")[-1]
    assert (last["graded"], last["skipped"], last["errors"]) == (0, 200, 0)


def test_broken_folder_is_an_error_row_and_everyone_else_is_graded(klass: Path) -> None:
    (klass / "zz-broken").mkdir()
    (klass / "zz-broken" / "answers.toml").write_text('assignment = "demo"\n[answers\n')
    (klass / "zz-typo").mkdir()
    (klass / "zz-typo" / "answers.json").write_text('{"answers": {"99.9": 1}}')
    (klass / ".hidden").mkdir()
    (klass / ".hidden" / "answers.toml").write_text("[answers]\n")
    (klass / "notes").mkdir()                   # no answers file: not a student folder

    outcome = run_batch(klass, jobs=2, quiet=True)

    assert [r.student for r in outcome.results] == [*(f"s{i:04d}" for i in range(6)),
                                                    "zz-broken", "zz-typo"]
    errors = {r.student: r.error for r in outcome.results if r.error}
    assert set(errors) == {"zz-broken"}     # an unknown question id is a warning (issue 11)
    assert errors["zz-broken"].startswith("answers.toml: TOML syntax error")
    typo = next(r for r in outcome.results if r.student == "zz-typo")
    assert any('"99.9" is not a question of this assignment' in c.detail for c in typo.integrity)
    assert "\n" not in errors["zz-broken"]
    assert all(r.questions for r in outcome.results if not r.error)
    with (outcome.out / "grades.csv").open(newline="") as f:
        grades = {g["student"]: g for g in csv.DictReader(f)}
    assert grades["zz-broken"]["error"] == errors["zz-broken"]
    assert grades["zz-broken"]["total"] == ""
    index = (outcome.out / "index.html").read_text()
    assert "zz-broken" in index and 'href="zz-broken.html"' not in index
    assert not (outcome.out / "zz-broken.html").exists()


def test_assignment_found_from_the_students_answers(klass: Path) -> None:
    """No --assignment: `assignment = "demo"` is looked up beside ROOT (tmp/assignments)."""
    outcome = run_batch(klass, jobs=1, quiet=True)
    assert {r.assignment for r in outcome.results} == {"demo"}
    assert all(r.error is None for r in outcome.results)


@pytest.mark.slow
def test_a_worker_that_dies_or_hangs_costs_only_its_student(klass: Path, helpers: Path) -> None:
    from batch_helpers import crash_or_hang
    t0 = time.monotonic()
    # 15 s: a replaced worker imports the grader again before its next student, which takes a
    # few seconds on a loaded 2-core machine; the hang (600 s) is still far beyond it.
    outcome = run_batch(klass, jobs=2, quiet=True, timeout_s=15, grade=crash_or_hang)
    assert time.monotonic() - t0 < 120
    errors = {r.student: r.error for r in outcome.results if r.error}
    assert errors == {
        "s0001": "the grading process died while grading this folder (exit code 3)",
        "s0002": "grading took longer than 15 s and was stopped",
    }
    assert len([r for r in outcome.results if r.error is None]) == 4


@pytest.mark.slow
def test_kill_halfway_then_resume_loses_nothing(klass: Path, helpers: Path) -> None:
    make_class(klass, 14, klass.parent / "assignments" / "demo" / "assignment.toml", first=6)
    db = klass / ".grade" / "gradebook.sqlite"
    script = ("import sys; from pathlib import Path; from grader.batch import run_batch; "
              "from batch_helpers import slow; "
              "run_batch(Path(sys.argv[1]), jobs=1, quiet=True, grade=slow)")
    env = dict(os.environ, PYTHONPATH=f"{helpers}{os.pathsep}{REPO}", SLOW_GRADE_S="0.4")
    proc = subprocess.Popen([sys.executable, "-c", script, str(klass)], cwd=helpers, env=env,
                            start_new_session=True, stderr=subprocess.PIPE)
    committed: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while len(committed) < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        if db.exists():
            try:
                committed = graded_at(db)
            except sqlite3.OperationalError:        # tables not created yet
                pass
    os.killpg(proc.pid, signal.SIGKILL)             # the batch and its workers, mid-grading
    proc.wait()
    assert 4 <= len(committed) < 20, proc.stderr.read().decode()[-2000:]
    committed = graded_at(db)                       # what survived the kill

    outcome = run_batch(klass, jobs=2, quiet=True)

    assert len(outcome.results) == 20 and all(r.error is None for r in outcome.results)
    after = graded_at(db)
    assert {f: after[f] for f in committed} == committed       # not graded again
    last = runs(db)[-1]
    assert (last["graded"], last["skipped"]) == (20 - len(committed), len(committed))
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.slow
def test_a_second_batch_on_the_same_gradebook_is_refused(klass: Path, helpers: Path) -> None:
    db = klass / ".grade" / "gradebook.sqlite"
    script = ("import sys; from pathlib import Path; from grader.batch import run_batch; "
              "from batch_helpers import slow; "
              "run_batch(Path(sys.argv[1]), jobs=1, quiet=True, grade=slow)")
    env = dict(os.environ, PYTHONPATH=f"{helpers}{os.pathsep}{REPO}", SLOW_GRADE_S="0.8")
    proc = subprocess.Popen([sys.executable, "-c", script, str(klass)], cwd=helpers, env=env,
                            stderr=subprocess.PIPE)
    lock = db.with_name(db.name + ".lock")
    deadline = time.monotonic() + 30
    while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        result = CliRunner().invoke(main, ["batch", str(klass), "--json"])
        assert result.exit_code == 1
        assert result.stderr.strip() == (f"Error: {db} is in use by another grade batch "
                                          f"(pid {proc.pid}); wait for it or pass --db")
    finally:
        assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()[-2000:]
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("SELECT COUNT(*) FROM students").fetchone() == (6,)
    # and once the first is done, the gradebook is free again
    assert run_batch(klass, jobs=1, quiet=True).skipped == 6


def test_force_regrades_everyone(klass: Path) -> None:
    run_batch(klass, jobs=2, quiet=True)
    again = run_batch(klass, jobs=2, quiet=True, force=True)
    assert (again.graded, again.skipped) == (6, 0)


def test_changed_files_and_manual_rows_regrade_only_those_students(klass: Path) -> None:
    (klass / "manual.csv").write_text("student,question,score\ns0000,10,1\ns0003,10,2\n")
    first = run_batch(klass, jobs=2, quiet=True)
    score10 = {r.student: next(q.score for q in r.questions if q.id == "10")
               for r in first.results}
    assert (score10["s0000"], score10["s0003"], score10["s0001"]) == (1, 2, 0)

    (klass / "manual.csv").write_text("student,question,score\ns0000,10,3\ns0003,10,2\n")
    (klass / "s0005" / "notes.txt").write_text("an extra file changes the content hash")
    (klass / ".grade" / "scratch.txt").write_text("not a student")
    second = run_batch(klass, jobs=2, quiet=True)

    assert (second.graded, second.skipped) == (2, 4)
    last = runs(klass / ".grade" / "gradebook.sqlite")[-1]
    assert (last["graded"], last["skipped"]) == (2, 4)
    s0000 = next(r for r in second.results if r.student == "s0000")
    assert next(q.score for q in s0000.questions if q.id == "10") == 3


def test_deleted_page_is_rewritten_without_regrading(klass: Path) -> None:
    first = run_batch(klass, jobs=2, quiet=True)
    page = first.out / f"{report_stem('s0004')}.html"
    page.unlink()
    second = run_batch(klass, jobs=2, quiet=True)
    assert second.graded == 0 and page.is_file()


def test_executor_ray_without_ray_is_one_line(klass: Path, monkeypatch: pytest.MonkeyPatch,
                                              ) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)       # `import ray` now raises ImportError
    result = CliRunner().invoke(main, ["batch", str(klass), "--executor", "ray"])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {RAY_MISSING}"
    with pytest.raises(GradebookError):
        run_batch(klass, executor="ray", quiet=True)


def test_root_that_is_not_a_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {tmp_path / 'nope'}: no such folder"
