"""Benchmark `grade similar` on checkpoints at class scale (run: `python -m bench.similar`; not
a test). Goal: 500 students with ResNet-18 checkpoints (11.2M parameters, 45 MB each) in under
5 minutes on 2 cores, peak memory printed.

The class is made up: each student's state dict has ResNet-18's names and shapes (from
`reference.models`) filled with independent Gaussian weights at Kaiming scale, so honest pairs
look like independent trainings. Three pairs are planted and must come out on top: a copied
file, a copy with a small perturbation (a stand-in for a fine-tune) and a channel-permuted
copy. The class needs students × 45 MB of disk (500: 22 GB); `--students` makes it smaller.
Generation time is reported apart from the analysis time.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from grader.similar import find_student_folders
from reference.models import build


def resnet18_shapes() -> dict[str, tuple[int, ...]]:
    with torch.device("meta"):
        model = build("resnet18", num_classes=1000)
    return {k: tuple(v.shape) for k, v in model.state_dict().items() if v.is_floating_point()}


def random_state(shapes: dict[str, tuple[int, ...]], seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in shapes.items():
        fan_in = max(1, int(torch.tensor(shape[1:]).prod()) if len(shape) > 1 else 1)
        state[name] = torch.randn(shape, generator=g) * (2.0 / fan_in) ** 0.5
        if name.endswith("running_var"):
            state[name] = state[name].abs()
    return state


def permuted(state: dict[str, torch.Tensor], seed: int) -> dict[str, torch.Tensor]:
    """The same network with channels reordered: the 64-channel stream from conv1 through
    layer1 (conv1, bn1, each block's conv2/bn2 outputs; each block's conv1 and layer2.0's
    inputs) and, independently, each layer1 block's inner channels."""
    g = torch.Generator().manual_seed(seed)
    s = dict(state)

    def rows(name: str, perm: torch.Tensor) -> None:
        s[name] = s[name][perm]

    def cols(name: str, perm: torch.Tensor) -> None:
        s[name] = s[name][:, perm]

    def norm(name: str, perm: torch.Tensor) -> None:
        for part in ("weight", "bias", "running_mean", "running_var"):
            rows(f"{name}.{part}", perm)

    stream = torch.randperm(64, generator=g)
    rows("conv1.weight", stream)
    norm("bn1", stream)
    for block in ("layer1.0", "layer1.1"):
        inner = torch.randperm(64, generator=g)
        cols(f"{block}.conv1.weight", stream)
        rows(f"{block}.conv1.weight", inner)
        norm(f"{block}.bn1", inner)
        cols(f"{block}.conv2.weight", inner)
        rows(f"{block}.conv2.weight", stream)
        norm(f"{block}.bn2", stream)
    cols("layer2.0.conv1.weight", stream)
    cols("layer2.0.downsample.0.weight", stream)
    return s


def make_class(root: Path, students: int) -> list[tuple[str, str]]:
    shapes = resnet18_shapes()
    states = {}
    for i in range(students):
        name = f"s{i:04d}"
        (root / name).mkdir(parents=True)
        state = random_state(shapes, seed=i)
        if i < 6:
            states[name] = state
        torch.save(state, root / name / "model.pth")
    planted = [("s0000", "s0003"), ("s0001", "s0004"), ("s0002", "s0005")]
    shutil.copyfile(root / "s0000" / "model.pth", root / "s0003" / "model.pth")
    g = torch.Generator().manual_seed(99)
    tuned = {k: v + 0.05 * v.std() * torch.randn(v.shape, generator=g)
             for k, v in states["s0001"].items()}
    torch.save(tuned, root / "s0004" / "model.pth")
    torch.save(permuted(states["s0002"], 7), root / "s0005" / "model.pth")
    return planted


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=500)
    ap.add_argument("--keep", type=Path, help="Build the class here and keep it; a folder "
                    "kept before is reused as it is.")
    args = ap.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-similar-"))
    try:
        t0 = time.perf_counter()
        if args.keep is not None and (args.keep / "planted.json").is_file():
            planted = [tuple(p) for p in json.loads((args.keep / "planted.json").read_text())]
            args.students = len(find_student_folders(args.keep))
        else:
            planted = make_class(root, args.students)
            if args.keep is not None:
                (args.keep / "planted.json").write_text(json.dumps(planted))
        built = time.perf_counter() - t0
        # the command a TA runs, in its own process: its time and peak memory alone
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "grader.cli", "similar", str(root),
                              "--out", str(root / ".grade" / "similar"), "--json"],
                             capture_output=True, text=True, env={**os.environ,
                                                                  "OMP_NUM_THREADS": "2"})
        took = time.perf_counter() - t0
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    if run.returncode != 0:
        print(run.stderr)
        return 1
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss / 1024.0                                          # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime                # the command and its sketch workers
    pairs = json.loads(run.stdout)["pairs"]
    flagged = sorted((p["a"], p["b"]) for p in pairs if p["score"] >= 0.5)
    print(f"students {args.students} ({args.students * (args.students - 1) // 2:,} pairs), "
          f"ResNet-18 state dicts ({sum(math.prod(s) for s in resnet18_shapes().values()):,} "
          "floats each)")
    print(f"class generated or found in {built:.1f} s (not part of the analysis)")
    print(f"grade similar: {took:.1f} s wall ({1000 * took / args.students:.0f} ms/student), "
          f"{cpu:.1f} s CPU ({1000 * cpu / args.students:.0f} ms/student), peak RSS "
          f"{peak:.0f} MB (largest single process)")
    print(f"flagged (score >= 0.5): {flagged}; planted: {planted}")
    ok = flagged == sorted(planted)
    print("planted pairs found, nothing else flagged" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
