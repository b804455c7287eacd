"""Benchmark: re-evaluating a claimed CIFAR accuracy for a class, ours against the usual ways.

    python -m bench.reeval [--n 1000] [--students 5] [--device cpu|cuda|auto] [--batch 500]
                           [--warm 2]

On synthetic data in the CIFAR-10 layout and ResNet-18-CIFAR (reference.models), times
  1. ours: a class of S students end to end through ONE `ClaimVerifier` (copy in, load,
     evaluate, and whatever sandbox start-up the warm pool of `--warm` pre-started sandboxes
     does not hide; `--warm 0` starts each cold). The first student (whose sandbox starts cold
     while the pool fills) is reported apart; steady state = (total - first) / (S - 1);
  2. the student-style loop: a Dataset doing PIL -> ToTensor -> Normalize per image (written
     by hand: no torchvision), DataLoader batch 128;
  3. forward only, with the normalized data already resident on the device;
and prints the ratios, the class's overhead over S forward passes, and the parent's peak RSS
after each student (it must stay flat). Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import pickle
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from grader.assignment import Claim
from grader.claims import ClaimVerifier, resolve_device

ROOT = Path(__file__).resolve().parent.parent
MEAN, STD = [0.4914, 0.4822, 0.4465], [0.2023, 0.1994, 0.2010]
STUDENT_MODEL = "from reference.models import build\n\n\ndef make():\n    return build('resnet18_cifar')\n"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_data(root: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, n)
    (root / "cifar-10-batches-py").mkdir(parents=True)
    with open(root / "cifar-10-batches-py" / "test_batch", "wb") as f:
        pickle.dump({"data": images.reshape(n, -1), "labels": labels.tolist()}, f)
    return images, labels


def make_student(folder: Path, model: torch.nn.Module) -> None:
    """A submission whose model.py imports a copy of the reference zoo, as a student's helpers."""
    (folder / "reference").mkdir(parents=True)
    for name in ("__init__.py", "worked.py"):
        shutil.copyfile(ROOT / "reference" / name, folder / "reference" / name)
    shutil.copytree(ROOT / "reference" / "models", folder / "reference" / "models",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "model.py").write_text(STUDENT_MODEL)
    torch.save({"model_state_dict": model.state_dict(), "best_acc": 10.0}, folder / "best.pth")


class StudentDataset(torch.utils.data.Dataset):
    """What a student writes without torchvision: PIL image -> ToTensor -> Normalize, per item."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.images, self.labels = images, labels
        self.mean = torch.tensor(MEAN).view(3, 1, 1)
        self.std = torch.tensor(STD).view(3, 1, 1)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        from PIL import Image
        img = Image.fromarray(self.images[i].transpose(1, 2, 0))             # (H, W, C)
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
        return (x - self.mean) / self.std, int(self.labels[i])


def student_loop(model, images, labels, device) -> tuple[float, float]:
    start = time.perf_counter()
    loader = torch.utils.data.DataLoader(StudentDataset(images, labels), batch_size=128)
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += int((model(x.to(device)).argmax(1).cpu() == y).sum())
    return time.perf_counter() - start, 100.0 * correct / len(labels)


def forward_only(model, images, device, batch: int) -> float:
    x = ((torch.from_numpy(images).float() / 255 - torch.tensor(MEAN).view(1, 3, 1, 1))
         / torch.tensor(STD).view(1, 3, 1, 1)).to(device)
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            model(x[i:i + batch])
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def run_class(verifier: ClaimVerifier, claim: Claim, spec: dict, folders: list[Path]
              ) -> tuple[list[float], list]:
    """Each student through the one verifier, timed; prints how its sandbox had started."""
    times, results = [], []
    for s, folder in enumerate(folders):
        before = verifier.warm_stats
        start = time.perf_counter()
        result, _ = verifier.verify(claim, spec, folder)
        times.append(time.perf_counter() - start)
        results.append(result)
        after = verifier.warm_stats
        how = ("cold" if after.cold > before.cold else
               "pre-started, ready" if after.ready > before.ready else "pre-started, warming")
        print(f"  student {s}: {times[-1]:6.2f} s  {result.status} measured {result.measured}"
              f"  sandbox {how}  parent peak RSS {peak_rss_mb():7.1f} MB")
    return times, results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="test images")
    ap.add_argument("--students", type=int, default=5)
    ap.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--warm", type=int, default=2, help="pre-started sandboxes (0: none)")
    args = ap.parse_args()
    if args.students < 2:
        ap.error("--students must be at least 2 (the first is reported apart)")
    device = resolve_device(args.device)
    from reference.models import build
    torch.manual_seed(0)
    model = build("resnet18_cifar").eval()
    tmp = Path(tempfile.mkdtemp(prefix="bench-reeval-"))
    try:
        images, labels = make_data(tmp / "data", args.n)
        claim = Claim(id="1", task="classification", metric="accuracy", dataset="cifar10",
                      tolerance=1.0, points=10, timeout=600,
                      options={"batch_size": args.batch})
        spec = {"value": 10.0, "code": "model.py", "model": "make", "checkpoint": "best.pth",
                "normalize": {"mean": MEAN, "std": STD}}
        folders = [tmp / "class" / f"student{s}" for s in range(args.students)]
        for folder in folders:
            make_student(folder, model)
        print(f"ResNet-18-CIFAR, {args.n} synthetic CIFAR images, device {device}, "
              f"{torch.get_num_threads()} threads, {args.students} students, warm {args.warm}")
        start = time.perf_counter()
        with ClaimVerifier(data_root=tmp / "data", device=device, warm=args.warm) as verifier:
            times, results = run_class(verifier, claim, spec, folders)
            total = time.perf_counter() - start
        model = model.to(device)
        # the same arithmetic as ours (strict fp32: no TF32), so the ratios compare like with like
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
        loop_s, loop_acc = student_loop(model, images, labels, device)
        fwd_s = forward_only(model, images, device, args.batch)
        report(args, device, total, times, results, loop_s, loop_acc, fwd_s)
        if device == "cuda":
            torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True
            print(f"(for reference, forward only with TF32 allowed, which torch's cuDNN does by "
                  f"default: {forward_only(model, images, device, args.batch):.2f} s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(args, device: str, total: float, times: list[float], results: list,
           loop_s: float, loop_acc: float, fwd_s: float) -> None:
    s = args.students
    steady = (total - times[0]) / (s - 1)
    overhead = (total - s * fwd_s) / (s * fwd_s)
    print(f"ours, class of {s} end to end: {total:7.2f} s  (first student {times[0]:.2f} s, "
          f"steady state {steady:.2f} s per student)")
    print(f"student-style loop (PIL/ToTensor/Normalize, batch 128): {loop_s:7.2f} s  "
          f"(accuracy {loop_acc:.2f}% vs ours {results[0].measured})")
    print(f"forward only, data resident:                          {fwd_s:7.2f} s")
    tag = f"[{device}, n={args.n}, S={s}, batch {args.batch}, warm {args.warm}]"
    print(f"SUMMARY {tag} student loop / ours steady state = {loop_s / steady:.2f}x "
          f"({loop_s:.2f} s vs {steady:.2f} s per student)")
    print(f"SUMMARY {tag} ours steady state / forward only = {steady / fwd_s:.2f}x "
          f"({steady:.2f} s vs {fwd_s:.2f} s; overhead {steady - fwd_s:.2f} s per student)")
    print(f"SUMMARY {tag} class total / ({s} x forward only) = {total / (s * fwd_s):.2f}x "
          f"(overhead {100 * overhead:+.0f}%, first student included)")


if __name__ == "__main__":
    main()
