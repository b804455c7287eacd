"""Benchmark: re-evaluating a claimed CIFAR accuracy, ours against the usual ways.

    python -m bench.reeval [--n 1000] [--students 5] [--device cpu|cuda|auto] [--batch 500]

On synthetic data in the CIFAR-10 layout and ResNet-18-CIFAR (reference.models), times
  1. ours: `ClaimVerifier.verify` per student (sandbox start, import torch, load, evaluate),
  2. the student-style loop: a Dataset doing PIL -> ToTensor -> Normalize per image (written
     by hand: no torchvision), DataLoader batch 128,
  3. forward only, with the normalized data already resident on the device,
and prints the ratios and the parent's peak RSS after each student (it must stay flat).
Not a test: numbers depend on the machine.
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
    for name in ("__init__.py", "models.py", "worked.py"):
        shutil.copyfile(ROOT / "reference" / name, folder / "reference" / name)
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="test images")
    ap.add_argument("--students", type=int, default=5)
    ap.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
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
        print(f"ResNet-18-CIFAR, {args.n} synthetic CIFAR images, device {device}, "
              f"{torch.get_num_threads()} threads")
        ours, accs = [], []
        with ClaimVerifier(data_root=tmp / "data", device=device) as verifier:
            for s in range(args.students):
                folder = tmp / "class" / f"student{s}"
                make_student(folder, model)
                start = time.perf_counter()
                result, _ = verifier.verify(claim, spec, folder)
                ours.append(time.perf_counter() - start)
                accs.append(result.measured)
                print(f"  student {s}: {ours[-1]:6.2f} s  {result.status} measured "
                      f"{result.measured}  parent peak RSS {peak_rss_mb():7.1f} MB")
        model = model.to(device)
        loop_s, loop_acc = student_loop(model, images, labels, device)
        fwd_s = forward_only(model, images, device, args.batch)
        per = sorted(ours)[len(ours) // 2]
        print(f"ours (median per student, sandbox start included): {per:7.2f} s")
        print(f"student-style loop (PIL/ToTensor/Normalize, batch 128): {loop_s:7.2f} s  "
              f"(accuracy {loop_acc:.2f}% vs ours {accs[0]})")
        print(f"forward only, data resident:                          {fwd_s:7.2f} s")
        print(f"ratios: student loop / ours = {loop_s / per:.2f}x; ours / forward only = "
              f"{per / fwd_s:.2f}x (overhead {per - fwd_s:.2f} s per student)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
