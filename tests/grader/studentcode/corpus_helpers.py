"""Building submissions from the corpus: models imported the way the tests need them, weights
set so that the honest number is known without running the model, data in real layouts."""
from __future__ import annotations

import importlib.util
import pickle
import sys
import types
from pathlib import Path

import numpy as np
import torch

from grader.studentcode.cut import cut_module

CORPUS = Path(__file__).with_name("corpus")
N_IMAGES = 20
FAVOURITE = 3                    # the class a constant model predicts
LABELS = [FAVOURITE] * 12 + [0, 1, 2, 4, 5, 6, 7, 8]      # 12 of 20: 60 %
HONEST = 100.0 * LABELS.count(FAVOURITE) / len(LABELS)


def script_namespace(path: Path, model: str, name: str = "__main__") -> dict:
    """The cut script executed in a fresh namespace (how a test gets its classes)."""
    cut = cut_module(path.read_text(encoding="utf-8"), str(path), {model})
    ns: dict = {"__name__": name}
    exec(compile(cut.tree, str(path), "exec"), ns)
    return ns


def import_file(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def constant(model: torch.nn.Module, last: str, favourite: int = FAVOURITE) -> torch.nn.Module:
    """Make the model predict `favourite` for every input: its last Linear weights zero, the
    bias one-hot. The honest accuracy is then the share of that class in the labels."""
    layer = model.get_submodule(last)
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.zero_()
        layer.bias[favourite] = 5.0
    return model.eval()


def cifar10(root: Path, n: int = N_IMAGES) -> Path:
    rng = np.random.default_rng(0)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    images = rng.integers(0, 256, (n, 3 * 32 * 32), dtype=np.uint8)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({"data": images, "labels": LABELS[:n]}, f)
    return root


def mnist(root: Path, n: int = N_IMAGES) -> Path:
    folder = root / "MNIST" / "raw"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    (folder / "t10k-images-idx3-ubyte").write_bytes(
        b"\x00\x00\x08\x03" + np.array([n, 28, 28], ">u4").tobytes() + images.tobytes())
    (folder / "t10k-labels-idx1-ubyte").write_bytes(
        b"\x00\x00\x08\x01" + np.array([n], ">u4").tobytes()
        + np.array(LABELS[:n], np.uint8).tobytes())
    return root
