"""Benchmark: `grade log` on a 100,000-line training log, against a plain line-count pass.

    python -m bench.logs [--lines 100000] [--repeat 3]

Two logs of `--lines` lines each, written to a temporary folder:
  1. a long run as the PyTorch MNIST example prints it (synthetic: batch progress lines, a
     "Test set:" line per epoch, a summary line), 200 progress lines per epoch;
  2. the real logs of tests/grader/logs/wild/ (text ones), concatenated and repeated.
For each, the best of `--repeat` timings of `read_log` (read, decode, parse, summarise) and of a
plain pass that reads the file and counts its lines, and their ratio. The goal: under 2 s for
100,000 lines on 2 cores. Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from grader.logs import read_log

WILD = Path(__file__).resolve().parent.parent / "tests" / "grader" / "logs" / "wild"


def synthetic_run(lines: int) -> str:
    """Made up for the benchmark: the MNIST example's shape, 202 lines per epoch."""
    out: list[str] = []
    epoch = 0
    while len(out) < lines:
        epoch += 1
        for i in range(200):
            out.append(f"Train Epoch: {epoch} [{i * 300}/60000 ({i // 2}%)]\tLoss: "
                       f"{1.0 / (epoch + i / 200):.6f}")
        out.append(f"Test set: Average loss: {0.5 / epoch:.4f}, Accuracy: "
                   f"{min(9999, 9000 + epoch)}/10000 ({90 + epoch % 10}%)")
        out.append(f"Epoch {epoch} | train loss {1.0 / epoch:.4f} | test acc {90 + epoch / 1e3:.3f}")
    return "\n".join(out[:lines]) + "\n"


def wild_repeated(lines: int) -> str:
    texts = [p.read_text(encoding="utf-8") for p in sorted(WILD.iterdir())
             if p.suffix == ".log"]
    pool = "\n".join(texts).splitlines()
    out = (pool * (lines // len(pool) + 1))[:lines]
    return "\n".join(out) + "\n"


def best_of(repeat: int, fn) -> float:        # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def count_lines(path: Path) -> int:
    with path.open(encoding="utf-8", errors="replace") as f:
        return sum(1 for _ in f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in (("synthetic MNIST-example run", synthetic_run(args.lines)),
                           ("wild corpus, repeated", wild_repeated(args.lines))):
            path = Path(tmp) / "train.log"
            path.write_text(text, encoding="utf-8")
            parse = best_of(args.repeat, lambda: read_log(path))
            plain = best_of(args.repeat, lambda: count_lines(path))
            print(f"{name}: {count_lines(path):,} lines, {path.stat().st_size / 1e6:.1f} MB; "
                  f"read_log {parse:.2f} s, line count {plain:.3f} s, ratio {parse / plain:.0f}x"
                  f" ({'under' if parse < 2 else 'OVER'} the 2 s goal)")


if __name__ == "__main__":
    main()
