"""Benchmark `grade batch` at class scale (run: `python -m bench.batch`; not a test).

Each batch runs as `python -m grader.cli batch` in its own process, as a TA would run it.
Measures, on a synthetic class made from the demo assignment (answer-only, answers.toml):
  - seconds per student for a first batch of 200 students, and for the unchanged re-run;
  - peak RSS (main process + workers) over 250 / 500 / 1000 students: it should stay flat.
Goals: <= 100 ms/student on 2 cores, <= 2 s for the unchanged re-run, peak < 1 GB.
`make_class` is also what the batch tests use to build their classes.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "assignments" / "demo" / "assignment.toml"


def answer_only_assignment(dest: Path, source: Path = DEMO, *, light: bool = False) -> Path:
    """The demo assignment without its [[claim]] tables (nothing is re-run); `light` also
    drops the whole-network questions, whose key takes seconds to compute (for tests)."""
    text = source.read_text(encoding="utf-8")
    cut = text.find("[[claim]]")
    if cut >= 0:
        text = text[:cut]
    if light:
        head, *blocks = text.split("\n[[question]]")
        text = "\n[[question]]".join(
            [head] + [b for b in blocks if 'kind = "model.summary"' not in b])
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / "assignment.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _toml_value(value: object) -> str:
    """JSON arrays, numbers and ASCII-escaped strings are valid TOML inline values."""
    return json.dumps(value, ensure_ascii=True)


def make_class(root: Path, n: int, assignment: Path, *, seed: int = 0,
               first: int = 0) -> list[Path]:
    """`n` student folders `root/s0000...` answering `assignment`: mostly right, some classic
    mistakes, some missing or unreadable answers, so every status appears."""
    from grader.assignment import load_assignment
    from grader.key import compute_key
    a = load_assignment(assignment)
    key = compute_key(a)
    folders = []
    for i in range(first, first + n):
        rng = random.Random(seed * 1_000_003 + i)
        lines = [f'assignment = "{a.id}"', f'student = "s{i:04d}"', "", "[answers]"]
        for entry in key.entries:
            if entry.question.kind == "manual":
                continue
            roll = rng.random()
            mistakes = list(entry.worked.mistakes.values()) if entry.worked else []
            if roll < 0.7:
                value = entry.answer
            elif roll < 0.85 and mistakes:
                value = rng.choice(mistakes)
            elif roll < 0.95:
                continue                                    # missing
            else:
                value = "no idea"
            lines.append(f'"{entry.question.id}" = {_toml_value(value)}')
        folder = root / f"s{i:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "answers.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        folders.append(folder)
    return folders


def _tree_rss(root_pid: int) -> int:
    """RSS of a process and all its descendants (the batch's workers), from /proc."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            pid = int(stat.parent.name)
            parent[pid], rss[pid] = int(fields[1]), int(fields[21]) * resource.getpagesize()
        except (OSError, IndexError, ValueError):
            continue
    total = 0
    for pid in rss:
        p = pid
        while p and p != root_pid:
            p = parent.get(p, 0)
        if p == root_pid:
            total += rss[pid]
    return total


def _timed_batch(root: Path, assignment: Path, jobs: int, out: Path) -> tuple[float, int, dict]:
    """`grade batch` as a TA runs it, in its own process; wall time, peak tree RSS, last run."""
    import sqlite3
    import subprocess
    cmd = [sys.executable, "-m", "grader.cli", "batch", str(root), "--assignment",
           str(assignment), "--jobs", str(jobs), "--out", str(out), "--json"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"grade batch failed: {proc.stderr.read().decode()[-2000:]}")
    db = sqlite3.connect(root / ".grade" / "gradebook.sqlite")
    cur = db.execute("SELECT graded, skipped, errors FROM runs ORDER BY id DESC LIMIT 1")
    run = dict(zip(("graded", "skipped", "errors"), cur.fetchone()))
    db.close()
    return elapsed, peak, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--sizes", default="250,500,1000", help="class sizes for peak RSS")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        assignment = answer_only_assignment(tmp / "assignment")
        root = tmp / "class"
        make_class(root, args.students, assignment)
        first, rss, _ = _timed_batch(root, assignment, args.jobs, tmp / "out")
        again, _, run2 = _timed_batch(root, assignment, args.jobs, tmp / "out")
        n = args.students
        print(f"{n} students, --jobs {args.jobs}: first run {first:.2f} s "
              f"({1000 * first / n:.0f} ms/student; goal <= 100), unchanged re-run "
              f"{again:.2f} s (goal <= 2 s; {run2['skipped']} skipped), peak RSS "
              f"{rss / 2**20:.0f} MiB")
        for size in (int(s) for s in args.sizes.split(",") if s):
            big = tmp / f"class{size}"
            make_class(big, size, assignment)
            t, peak, _ = _timed_batch(big, assignment, args.jobs, tmp / f"out{size}")
            print(f"{size:5d} students: {t:6.1f} s ({1000 * t / size:.0f} ms/student), "
                  f"peak RSS {peak / 2**20:.0f} MiB (goal < 1024)")
            shutil.rmtree(big, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
