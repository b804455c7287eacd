"""Shared by the sandbox and claim tests: ground truth computed without grader code, and a
look at which processes are still alive."""
from __future__ import annotations

import os
from pathlib import Path

import torch


def digits_accuracy(folder: Path) -> float:
    """A demo submission's accuracy computed in-process from sklearn's digits, no grader code."""
    from sklearn.datasets import load_digits
    ns: dict = {}
    exec((folder / "model.py").read_text(), ns)
    model = ns["make_model"](hidden=64)
    ckpt = torch.load(folder / "digits_mlp.pt", weights_only=True)
    model.load_state_dict(ckpt.get("model_state_dict", ckpt))
    d = load_digits()
    x = (torch.tensor(d.images[-360:], dtype=torch.float32).unsqueeze(1) / 16 - 0.3) / 0.35
    with torch.inference_mode():
        pred = model.eval()(x).argmax(1)
    return 100.0 * (pred == torch.tensor(d.target[-360:])).double().mean().item()


def processes_with(marker: str) -> list[int]:
    """Pids whose command line holds `marker`: what a test's sandbox may have left running."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            pass
    return found


HOSTILE = Path(__file__).with_name("hostile")
ALICE = Path(__file__).resolve().parents[2] / "submissions" / "alice"


def hostile_submission(folder: Path, attack: str | None, **subs: str) -> Path:
    """`folder` made a submission whose model is alice's digits MLP (and her checkpoint), and
    whose model.py first imports the hostile module `attack` from tests/grader/hostile/, with
    `__KEY__` placeholders replaced by `subs`. The attack runs as a helper module: the grader
    cuts model.py's own top level to its definitions, but runs the modules it imports."""
    folder.mkdir(parents=True)
    head = ""
    if attack:
        code = (HOSTILE / f"{attack}.py").read_text()
        for key, value in subs.items():
            code = code.replace(f"__{key.upper()}__", value)
        (folder / "attack.py").write_text(code)
        head = "from attack import *\n\n"
    (folder / "model.py").write_text(head + (HOSTILE / "_mlp.py").read_text())
    (folder / "digits_mlp.pt").write_bytes((ALICE / "digits_mlp.pt").read_bytes())
    return folder
