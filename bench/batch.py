"""Benchmark `grade batch` at class scale (run: `python -m bench.batch`; not a test).

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
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "assignments" / "demo" / "assignment.toml"


def answer_only_assignment(dest: Path, source: Path = DEMO) -> Path:
    """The demo assignment without its [[claim]] tables (nothing is re-run)."""
    text = source.read_text(encoding="utf-8")
    cut = text.find("[[claim]]")
    if cut >= 0:
        text = text[:cut]
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


def _children_rss_sampler(stop: threading.Event, peak: list[int]) -> None:
    """Peak of (this process + its children) RSS, sampled from /proc every 50 ms."""
    import os
    me = os.getpid()
    while not stop.is_set():
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                pid, ppid, rss_pages = int(stat.parent.name), int(fields[1]), int(fields[21])
            except (OSError, IndexError, ValueError):
                continue
            if pid == me or ppid == me:
                total += rss_pages * resource.getpagesize()
        peak[0] = max(peak[0], total)
        stop.wait(0.05)


def _timed_batch(root: Path, assignment: Path, jobs: int, out: Path) -> tuple[float, int, object]:
    from grader.batch import run_batch
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_children_rss_sampler, args=(stop, peak), daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    outcome = run_batch(root, assignment, jobs=jobs, out=out, quiet=True)
    elapsed = time.perf_counter() - t0
    stop.set()
    sampler.join()
    return elapsed, peak[0], outcome


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
        first, rss, outcome = _timed_batch(root, assignment, args.jobs, tmp / "out")
        again, _, outcome2 = _timed_batch(root, assignment, args.jobs, tmp / "out")
        n = args.students
        print(f"{n} students, --jobs {args.jobs}: first run {first:.2f} s "
              f"({1000 * first / n:.0f} ms/student; goal <= 100), unchanged re-run "
              f"{again:.2f} s (goal <= 2 s; {outcome2.skipped} skipped), peak RSS "
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
