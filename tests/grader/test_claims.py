"""Claims re-run end to end: real claims verified, inflated ones refuted, broken ones `error`,
on synthetic data in every layout; scoring rules; the perplexity path and the causal-leak check."""
from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.assignment import Claim
from grader.claims import ClaimVerifier, judge
from grader.results import CheckStatus, ClaimStatus
from grader.sandbox import Sandbox
from sandbox_helpers import digits_accuracy

ROOT = Path(__file__).resolve().parents[2]
# GRADE_TEST_DEVICE=cuda runs these re-runs on a GPU (as checked on an H100); CI has none.
DEVICE = os.environ.get("GRADE_TEST_DEVICE", "cpu")
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None,
                                 reason="bubblewrap (bwrap) is not installed")


def claim(dataset: str = "digits", task: str = "classification", **kw) -> Claim:
    metric = "accuracy" if task == "classification" else "perplexity"
    fields = dict(id="5", task=task, metric=metric, dataset=dataset, split="test",
                  tolerance=1.0 if metric == "accuracy" else 0.05, target=None, points=10,
                  timeout=60)
    options = kw.pop("options", {})
    return Claim(**{**fields, **kw}, options=options)


@pytest.fixture(scope="module")
def verifier():
    with ClaimVerifier(device=DEVICE) as v:
        yield v


# ---------------------------------------------------------------- scoring (no re-run)

@pytest.mark.parametrize("claimed,measured,status", [
    (91.3, 91.1, ClaimStatus.VERIFIED), (91.3, 90.3, ClaimStatus.VERIFIED),
    (91.3, 90.2, ClaimStatus.REFUTED), (91.3, 95.0, ClaimStatus.REFUTED)])
def test_accuracy_tolerance_is_in_points(claimed, measured, status):
    assert judge(claim(), claimed, measured)[0] is status


def test_perplexity_tolerance_is_relative():
    c = claim("text:x", "language-model")
    assert judge(c, 100.0, 104.9)[0] is ClaimStatus.VERIFIED
    assert judge(c, 100.0, 105.1)[0] is ClaimStatus.REFUTED


def test_below_target_scores_in_proportion_or_nothing():
    acc = claim(target=95.0)
    assert judge(acc, 96.0, 96.2)[1] == 10
    assert judge(acc, 90.0, 90.5)[1] == pytest.approx(10 * 90.5 / 95.0)
    ppl = claim("text:x", "language-model", target=100.0)
    assert judge(ppl, 120.0, 121.0)[1] == pytest.approx(10 * 100.0 / 121.0)
    strict = claim(target=95.0, options={"scoring": "all-or-nothing"})
    assert judge(strict, 90.0, 90.5)[:2] == (ClaimStatus.VERIFIED, 0.0)


def test_no_claimed_value_is_judged_by_the_target():
    status, score, why = judge(claim(target=90.0), None, 92.0)
    assert (status, score) == (ClaimStatus.VERIFIED, 10) and "no value claimed" in why
    assert judge(claim(target=90.0), None, 80.0)[:2] == (ClaimStatus.REFUTED, 0.0)


def test_nothing_to_rerun_and_absent_data_are_unverifiable(verifier, tmp_path):
    result, _ = verifier.verify(claim(), {"value": 90.0, "log": "train.log"}, tmp_path)
    assert result.status is ClaimStatus.UNVERIFIABLE and "nothing to re-run" in result.detail
    (tmp_path / "m.py").write_text("")
    result, _ = ClaimVerifier(data_root=tmp_path, device=DEVICE).verify(
        claim("cifar10"), {"code": "m.py"}, tmp_path)
    assert result.status is ClaimStatus.UNVERIFIABLE
    assert str(tmp_path / "cifar-10-batches-py") in result.detail
    result, _ = verifier.verify(claim(), {"code": "model.py"}, tmp_path)
    assert result.status is ClaimStatus.UNVERIFIABLE and "model.py" in result.detail


# ---------------------------------------------------------------- the demo submissions

DEMO = {"code": "model.py", "model": "make_model", "kwargs": {"hidden": 64},
        "checkpoint": "digits_mlp.pt", "log": "train.log",
        "normalize": {"mean": [0.3], "std": [0.35]}}


@needs_bwrap
def test_demo_alice_verified_and_bob_refuted(verifier):
    c = claim(target=95.0)
    alice = digits_accuracy(ROOT / "submissions" / "alice")
    result, checks = verifier.verify(c, {**DEMO, "value": round(alice, 1)},
                                     ROOT / "submissions" / "alice")
    assert result.status is ClaimStatus.VERIFIED, result.detail
    assert result.measured == pytest.approx(alice, abs=1e-3)
    assert result.score == pytest.approx(min(10, 10 * alice / 95.0), abs=1e-3)
    params = sum(p.numel() for p in torch.nn.Sequential(torch.nn.Linear(64, 64),
                                                        torch.nn.Linear(64, 10)).parameters())
    assert any(f"{params:,} parameters" in ch.detail for ch in checks)
    assert any("own accuracy" in ch.check and ch.status is CheckStatus.PASS for ch in checks)
    bob = digits_accuracy(ROOT / "submissions" / "bob")
    assert bob < 98.5
    result, _ = verifier.verify(c, {**DEMO, "value": 99.5}, ROOT / "submissions" / "bob")
    assert result.status is ClaimStatus.REFUTED and result.score == 0
    assert result.measured == pytest.approx(bob, abs=1e-3)


# ---------------------------------------------------------------- every image layout

INTENSITY_MODEL = '''
import torch
import torch.nn as nn


class Intensity(nn.Module):
    """Classifies a flat image by its mean value: the class whose centre is nearest."""

    def __init__(self, classes=10):
        super().__init__()
        self.centers = nn.Parameter(torch.zeros(classes))

    def forward(self, x):
        m = x.mean(dim=(1, 2, 3))
        return -(m[:, None] - self.centers[None]) ** 2


def make(classes=10):
    return Intensity(classes)
'''


def level(k: int, classes: int) -> int:
    return 20 + k * (200 // classes)


def flat_images(true: list[int], classes: int, c: int, h: int) -> np.ndarray:
    return np.stack([np.full((c, h, h), level(k, classes), dtype=np.uint8) for k in true])


def write_layout(layout: str, root: Path, true: list[int], labels: list[int]) -> int:
    """Writes flat images of class `true[i]` labelled `labels[i]`; returns the class count."""
    import pickle
    import struct
    if layout in ("cifar10", "cifar100"):
        classes = 10 if layout == "cifar10" else 100
        folder, name, key = (("cifar-10-batches-py", "test_batch", "labels") if classes == 10
                             else ("cifar-100-python", "test", "fine_labels"))
        (root / folder).mkdir(parents=True)
        data = flat_images(true, classes, 3, 32).reshape(len(true), -1)
        (root / folder / name).write_bytes(pickle.dumps({"data": data, key: labels}))
        return classes
    if layout == "mnist":
        raw = root / "MNIST" / "raw"
        raw.mkdir(parents=True)
        imgs = flat_images(true, 10, 1, 28)[:, 0]
        (raw / "t10k-images-idx3-ubyte").write_bytes(
            struct.pack(">HBBIII", 0, 8, 3, *imgs.shape) + imgs.tobytes())
        (raw / "t10k-labels-idx1-ubyte").write_bytes(
            struct.pack(">HBBI", 0, 8, 1, len(labels)) + bytes(labels))
        return 10
    from PIL import Image
    classes = 3
    names = ["n0003", "n0001", "n0002"]
    if layout == "tiny-imagenet":
        base = root / "tiny-imagenet-200"
        (base / "val" / "images").mkdir(parents=True)
        (base / "wnids.txt").write_text("\n".join(names))
        rows = []
        for i, (k, lab) in enumerate(zip(true, labels)):
            v = level(k, classes)
            Image.new("RGB", (64, 64), (v, v, v)).save(base / "val" / "images" / f"val_{i:03}.JPEG",
                                                       "JPEG")
            rows.append(f"val_{i:03}.JPEG\t{sorted(names)[lab]}\t0\t0\t1\t1")
        (base / "val" / "val_annotations.txt").write_text("\n".join(rows))
        return classes
    for i, (k, lab) in enumerate(zip(true, labels)):      # imagefolder
        folder = root / "pics" / "test" / f"class{lab}"
        folder.mkdir(parents=True, exist_ok=True)
        v = level(k, classes)
        Image.new("RGB", (12, 12), (v, v, v)).save(folder / f"{i}.png")
    return classes


DATASET = {"cifar10": "cifar10", "cifar100": "cifar100", "mnist": "mnist",
           "tiny-imagenet": "tiny-imagenet", "imagefolder": "imagefolder:pics"}


@needs_bwrap
@pytest.mark.parametrize("layout", list(DATASET))
def test_each_layout_real_claim_verified_inflated_refuted(verifier, tmp_path, layout):
    classes = {"cifar100": 100, "tiny-imagenet": 3, "imagefolder": 3}.get(layout, 10)
    n = 40
    true = [i % classes for i in range(n)]
    labels = [(k + 1) % classes if i % 4 == 0 else k for i, k in enumerate(true)]  # 25% wrong
    data = tmp_path / "data"
    assert write_layout(layout, data, true, labels) == classes
    expected = 100.0 * np.mean([t == lab for t, lab in zip(true, labels)])
    # Normalised per channel, the mean over channels of a flat grey image of value v.
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]
    channels = 1 if layout == "mnist" else 3
    mean, std = mean[:channels], std[:channels]
    centers = torch.tensor([float(np.mean([(level(k, classes) / 255 - m) / s
                                           for m, s in zip(mean, std)])) for k in range(classes)])
    sub = tmp_path / "student"
    sub.mkdir()
    (sub / "model.py").write_text(INTENSITY_MODEL)
    torch.save({"state_dict": {"centers": centers}}, sub / "best.pth")
    spec = {"code": "model.py", "model": "make", "kwargs": {"classes": classes},
            "checkpoint": "best.pth", "normalize": {"mean": mean, "std": std}}
    with ClaimVerifier(data_root=data, device=DEVICE) as v:
        result, _ = v.verify(claim(DATASET[layout]), {**spec, "value": expected}, sub)
        assert result.status is ClaimStatus.VERIFIED, result.detail
        assert result.measured == pytest.approx(expected)
        result, _ = v.verify(claim(DATASET[layout]), {**spec, "value": expected + 5}, sub)
        assert result.status is ClaimStatus.REFUTED, result.detail


@needs_bwrap
def test_broken_model_is_an_error_with_a_reason(verifier, tmp_path):
    (tmp_path / "model.py").write_text("def make_model(hidden=64):\n    return 1 / 0\n")
    shutil.copyfile(ROOT / "submissions" / "alice" / "digits_mlp.pt", tmp_path / "digits_mlp.pt")
    result, _ = verifier.verify(claim(), {**DEMO, "value": 90.0}, tmp_path)
    assert result.status is ClaimStatus.ERROR
    assert result.detail == "model.py line 2: ZeroDivisionError: division by zero"


def test_wrong_output_shape_is_one_line_from_the_evaluation(verifier, tmp_path):
    # MADE UP: a model that returns one score per image instead of (batch, classes) logits.
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\n\n\nclass Flat(nn.Module):\n"
        "    def forward(self, x):\n        return x.flatten(1).sum(1)\n\n\n"
        "def make_model(hidden=64):\n    return Flat()\n")
    result, _ = verifier.verify(claim(), {"code": "model.py", "model": "make_model",
                                          "value": 90.0}, tmp_path)
    assert result.status is ClaimStatus.ERROR
    assert "model output is [360]; expected (batch, classes) logits" in result.detail
    assert "Traceback" not in result.detail and "/grade/" not in result.detail


ONE_SCORE = ("import torch.nn as nn\n\n\nclass Net(nn.Module):\n"
             "    def __init__(self, pixels=64):\n        super().__init__()\n"
             "        self.fc = nn.Linear(pixels, 1)\n\n"
             "    def forward(self, x):\n        return self.fc(x.flatten(1)).sigmoid()\n")


def test_fewer_outputs_than_classes_is_an_error_not_an_accuracy(verifier, tmp_path):
    # MADE UP after a real homework's sigmoid head (one score per image) on a 10-class set:
    # its argmax is always class 0, so it "scores" the share of zeros in the labels.
    (tmp_path / "model.py").write_text(ONE_SCORE)
    result, _ = verifier.verify(claim(), {"code": "model.py", "model": "Net", "value": 10.0},
                                tmp_path)
    assert result.status is ClaimStatus.ERROR
    assert result.detail == ("the model returns 1 scores per image, but the dataset has 10 "
                             "classes: its last layer needs 10 outputs")


@needs_bwrap
def test_smoke_test_names_a_head_too_small_for_the_dataset(tmp_path):
    (tmp_path / "model.py").write_text(ONE_SCORE)
    with ClaimVerifier(device=DEVICE, smoke=True, warm=0) as v:
        result, _ = v.verify(claim("cifar10"), {"code": "model.py", "model": "Net",
                                                "kwargs": {"pixels": 3072}, "value": 90.0},
                             tmp_path)
    assert result.status is ClaimStatus.ERROR
    assert result.detail.startswith("smoke test without the dataset: the model returns 1 scores "
                                    "per image, but the dataset has 10 classes")


@needs_bwrap
def test_whole_pickled_module_checkpoint(verifier, tmp_path):
    import sys
    import types
    (tmp_path / "net.py").write_text(INTENSITY_MODEL)
    mod = types.ModuleType("net")       # pickled as net.Intensity, as the student's import names it
    exec(INTENSITY_MODEL, mod.__dict__)
    sys.modules["net"] = mod
    try:
        torch.save(mod.make(10), tmp_path / "whole.pt")
    finally:
        del sys.modules["net"]
    result, _ = verifier.verify(claim(), {"code": "net.py", "checkpoint": "whole.pt"}, tmp_path)
    assert result.status is ClaimStatus.VERIFIED, result.detail     # no value, no target
    assert result.measured is not None


# ---------------------------------------------------------------- degraded sandbox

def test_without_bwrap_the_run_is_flagged_and_forks_still_refused(tmp_path):
    alice = ROOT / "submissions" / "alice"
    with ClaimVerifier(device=DEVICE) as v:
        v.sandbox = Sandbox(use_bwrap=False)
        result, checks = v.verify(claim(), {**DEMO, "value": digits_accuracy(alice)}, alice)
        assert result.status is ClaimStatus.VERIFIED, result.detail
        assert any(c.check == "claim 5: sandbox" and c.status is CheckStatus.WARN for c in checks)
        (tmp_path / "forks.py").write_text("import os\nos.fork()\n")     # a helper's top level runs
        (tmp_path / "model.py").write_text("from forks import *\n")
        result, _ = v.verify(claim(), {"code": "model.py"}, tmp_path)
        assert result.status is ClaimStatus.ERROR and "Operation not permitted" in result.detail


# ---------------------------------------------------------------- language models

LM_MODELS = '''
import torch
import torch.nn as nn


class Bigram(nn.Module):
    """Next-token log-probabilities from the current token alone: forward(x)."""

    def __init__(self, vocab):
        super().__init__()
        self.table = nn.Embedding(vocab, vocab)

    def forward(self, x):
        return self.table(x)


class BigramRNN(Bigram):
    """The same, in the PyTorch word-language-model shape: forward(x, hidden), flat output."""

    def init_hidden(self, bsz):
        return torch.zeros(1, bsz, 4)

    def forward(self, x, hidden):
        out = self.table(x)
        return out.reshape(-1, out.size(-1)), hidden


class TinyTransformer(nn.Module):
    def __init__(self, vocab, masked=True):
        super().__init__()
        self.masked = masked
        self.emb = nn.Embedding(vocab, 16)
        self.layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0)
        self.out = nn.Linear(16, vocab)

    def forward(self, x):                                   # x: (T, B)
        mask = nn.Transformer.generate_square_subsequent_mask(x.size(0)) if self.masked else None
        return self.out(self.layer(self.emb(x), src_mask=mask, is_causal=self.masked))
'''


def write_corpus(folder: Path) -> dict[str, str]:
    rng = np.random.default_rng(0)
    words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran"]
    texts = {}
    for name, lines in (("train.txt", 60), ("valid.txt", 10), ("test.txt", 25)):
        texts[name] = "".join(" ".join(rng.choice(words, 5)) + "\n" for _ in range(lines))
    folder.mkdir(parents=True)
    for name, text in texts.items():
        (folder / name).write_text(text)
    return texts


def bigram_table(texts: dict[str, str]) -> tuple[dict[str, int], torch.Tensor]:
    vocab = {ch: i for i, ch in enumerate(dict.fromkeys("".join(texts.values())))}
    train = [vocab[ch] for ch in texts["train.txt"]]
    counts = torch.ones(len(vocab), len(vocab))
    for a, b in zip(train, train[1:]):
        counts[a, b] += 1
    return vocab, (counts / counts.sum(1, keepdim=True)).log()


def expected_perplexity(ids: list[int], table: torch.Tensor, bsz: int) -> float:
    cols = torch.tensor(ids[: len(ids) // bsz * bsz]).view(bsz, -1)      # (B, L) streams
    nll = -table[cols[:, :-1], cols[:, 1:]]
    return math.exp(nll.double().mean().item())


@needs_bwrap
@pytest.mark.parametrize("model,layout", [("Bigram", "seq-first"), ("BigramRNN", "batch-first")])
def test_perplexity_verified_and_inflated_refuted(tmp_path, model, layout):
    texts = write_corpus(tmp_path / "data" / "toy")
    vocab, table = bigram_table(texts)
    ppl = expected_perplexity([vocab[ch] for ch in texts["test.txt"]], table, bsz=4)
    sub = tmp_path / "student"
    sub.mkdir()
    (sub / "lm.py").write_text(LM_MODELS)
    torch.save({"model_state_dict": {"table.weight": table}}, sub / "lm.pt")
    c = claim("text:toy", "language-model", options={"tokenizer": "char", "layout": layout,
                                                     "bptt": 7, "eval_batch_size": 4})
    spec = {"code": "lm.py", "model": model, "kwargs": {"vocab": len(vocab)},
            "checkpoint": "lm.pt"}
    with ClaimVerifier(data_root=tmp_path / "data", device=DEVICE) as v:
        result, checks = v.verify(c, {**spec, "value": round(ppl, 2)}, sub)
        assert result.status is ClaimStatus.VERIFIED, result.detail
        assert result.measured == pytest.approx(ppl, abs=1e-4)   # reported to 4 decimals
        assert any(ch.check.endswith("causal mask") and ch.status is CheckStatus.PASS
                   for ch in checks)
        result, _ = v.verify(c, {**spec, "value": ppl * 0.8}, sub)
        assert result.status is ClaimStatus.REFUTED


@needs_bwrap
@pytest.mark.parametrize("masked", [True, False])
def test_causal_leak_check(tmp_path, masked):
    texts = write_corpus(tmp_path / "data" / "toy")
    vocab = dict.fromkeys("".join(texts.values()))
    sub = tmp_path / "student"
    sub.mkdir()
    (sub / "lm.py").write_text(LM_MODELS)
    ns: dict = {}
    exec(LM_MODELS, ns)
    torch.manual_seed(0)
    torch.save(ns["TinyTransformer"](len(vocab)).state_dict(), sub / "tf.pt")
    c = claim("text:toy", "language-model", options={"tokenizer": "char", "bptt": 16,
                                                     "eval_batch_size": 4})
    spec = {"code": "lm.py", "model": "TinyTransformer",
            "kwargs": {"vocab": len(vocab), "masked": masked}, "checkpoint": "tf.pt"}
    with ClaimVerifier(data_root=tmp_path / "data", device=DEVICE) as v:
        result, checks = v.verify(c, spec, sub)
    check = next(ch for ch in checks if ch.check.endswith("causal mask"))
    if masked:
        assert check.status is CheckStatus.PASS and result.status is ClaimStatus.VERIFIED
    else:
        assert check.status is CheckStatus.FAIL and result.status is ClaimStatus.REFUTED
        assert "future tokens" in result.detail


@needs_bwrap
def test_a_language_model_failing_in_a_notebook_names_the_cell(tmp_path):
    """An error inside a notebook's forward names the cell and its line, as a student sees the
    notebook (the child's catch-all line used to name only the flattened script's line)."""
    import nbformat
    write_corpus(tmp_path / "data" / "toy")
    sub = tmp_path / "student"
    sub.mkdir()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import torch\nimport torch.nn as nn"),
        nbformat.v4.new_code_cell("class Broken(nn.Module):\n"
                                  "    def __init__(self, vocab):\n"
                                  "        super().__init__()\n"
                                  "        self.table = nn.Embedding(vocab, vocab)\n\n"
                                  "    def forward(self, x):\n"
                                  "        return self.table(x) / 0 if x.sum() < 0 else 1 // 0"),
    ])
    nbformat.write(nb, sub / "lm.ipynb")
    c = claim("text:toy", "language-model", options={"tokenizer": "char", "bptt": 7,
                                                     "eval_batch_size": 4})
    with ClaimVerifier(data_root=tmp_path / "data", device=DEVICE, warm=0) as v:
        result, _ = v.verify(c, {"code": "lm.ipynb", "model": "Broken",
                                 "kwargs": {"vocab": 40}, "value": 5.0}, sub)
    assert result.status is ClaimStatus.ERROR
    assert "lm.ipynb cell 2 line 7: ZeroDivisionError: integer division or modulo by zero" \
        in result.detail, result.detail
