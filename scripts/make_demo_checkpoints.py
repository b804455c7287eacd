"""Train the demo submissions' digits MLPs and write their checkpoints and training logs.

    python scripts/make_demo_checkpoints.py            # writes submissions/{alice,bob}/

alice trains 30 epochs (a real, good model); bob trains 2 epochs at a small learning rate (a
real but weaker model, whose answers.toml then claims more than it measures). Both normalize
pixel/16 with mean 0.3, std 0.35 and train on the digits train split (all but the last 360
samples), holding out its last 10% for the per-epoch validation accuracy. Deterministic: seed 0,
one thread. Prints each model's accuracy on the digits test split as the grader measures it.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.datasets import load_images  # noqa: E402

MEAN, STD = 0.3, 0.35
PLAN = {"alice": {"epochs": 30, "lr": 1e-2, "wrap": True},
        "bob": {"epochs": 2, "lr": 1e-3, "wrap": False}}


def _model(folder: Path, hidden: int = 64) -> torch.nn.Module:
    spec = importlib.util.spec_from_file_location(f"demo_{folder.name}", folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_model(hidden=hidden)


def _inputs(split) -> torch.Tensor:
    return (split.images.float() / split.scale - MEAN) / STD


def _accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.inference_mode():
        return 100.0 * (model(x).argmax(1) == y).double().mean().item()


def train(name: str, epochs: int, lr: float, wrap: bool) -> float:
    folder = ROOT / "submissions" / name
    torch.manual_seed(0)
    train_split, test_split = load_images("digits", "train", None), load_images("digits", "test", None)
    x, y = _inputs(train_split), train_split.labels
    cut = int(len(y) * 0.9)
    xt, yt, xv, yv = x[:cut], y[:cut], x[cut:], y[cut:]
    model = _model(folder)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    lines, best = [f"Training DigitsMLP(hidden=64) for {epochs} epochs, Adam lr={lr}, batch 64",
                   f"Total params: {sum(p.numel() for p in model.parameters()):,}"], 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(len(yt))
        total, correct = 0.0, 0
        for i in range(0, len(yt), 64):
            idx = perm[i:i + 64]
            out = model(xt[idx])
            loss = F.cross_entropy(out, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            correct += int((out.argmax(1) == yt[idx]).sum())
        val = _accuracy(model, xv, yv)
        best = max(best, val)
        lines.append(f"Epoch {epoch}/{epochs} | Train Loss: {total / len(yt):.4f} | "
                     f"Train Acc: {100.0 * correct / len(yt):.2f}% | Val Acc: {val:.2f}%")
    test = _accuracy(model, _inputs(test_split), test_split.labels)
    lines.append(f"Test Acc: {test:.2f}%")
    state = model.state_dict()
    torch.save({"epoch": epochs, "model_state_dict": state, "best_acc": round(test, 2)}
               if wrap else state, folder / "digits_mlp.pt")
    (folder / "train.log").write_text("\n".join(lines) + "\n")
    return test


if __name__ == "__main__":
    for student, plan in PLAN.items():
        print(f"{student}: test accuracy {train(student, **plan):.2f}%")
