"""Benchmark: what a claim adds to a student's self-check (run: `python -m bench.check`; not a
test). Goals (issue 10): `grade check submissions/alice` within 2.5 s on 2 cores, and a `grade
run` with a small claim at most 2 s more than the same run without it.

Each command runs as `python -m grader.cli ...` in its own process, as a student types it,
`--runs` times per variant (alternating, so load on the machine hits both alike), on two copies
of the demo's alice: as handed in (one claim: a 4,810-parameter MLP on digits' 360 test images,
re-run in the sandbox) and with the claim's table removed from answers.toml (nothing re-run; the
key, the answers and the log are still graded). Prints the medians, their difference and ratio.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ALICE = REPO / "submissions" / "alice"


def without_claim(dest: Path) -> Path:
    """alice's folder with her `[claims."5"]` table cut out of answers.toml."""
    shutil.copytree(ALICE, dest)
    text = (dest / "answers.toml").read_text(encoding="utf-8")
    (dest / "answers.toml").write_text(re.sub(r'\n\[claims\.[^\n]*\n(?:[^\[\n][^\n]*\n?)*', "\n",
                                              text), encoding="utf-8")
    return dest


def timed(args: list[str]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the command with every process it started (the
    sandbox included): CPU is what a loaded machine cannot hide."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--commands", default="check,run", help="check, run or both")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        root = Path(tmp)
        with_claim = root / "alice"
        shutil.copytree(ALICE, with_claim)
        bare = without_claim(root / "alice-no-claim")
        demo = REPO / "assignments" / "demo"
        for command in opts.commands.split(","):
            runs: dict[str, list[tuple[float, float]]] = {"with claim": [], "without": []}
            for _ in range(opts.runs):
                for label, folder in (("with claim", with_claim), ("without", bare)):
                    args = [command, str(folder), "--assignment", str(demo)]
                    if command == "run":
                        args += ["--out", str(root / "reports")]
                    runs[label].append(timed(args))
            for i, what in ((0, "wall"), (1, "CPU")):
                a, b = (statistics.median(t[i] for t in runs[k]) for k in ("with claim", "without"))
                print(f"grade {command} {what} (median of {opts.runs}): with claim {a:.2f} s, "
                      f"without {b:.2f} s: the claim adds {a - b:+.2f} s (ratio {a / b:.2f})")
            print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

if __name__ == "__main__":
    main()
