"""Memorisation controls on the real sandbox (issue: trust). Honest models trained here (a
digits MLP, a small CNN on CIFAR-format data, a GRU and a Transformer language model) stay
`verified` through the controls; lookup models that memorised the public test set score
perfectly on it and are refuted by the control, which the detail names. A language model
never finds a token batch waiting before it has answered the one before."""
from __future__ import annotations

import math
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn

from grader.assignment import Claim
from grader.claims import ClaimVerifier
from grader.results import CheckStatus, ClaimStatus
from sandbox_helpers import digits_accuracy

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None,
                                reason="bubblewrap (bwrap) is not installed")
ROOT = Path(__file__).resolve().parents[2]
DEVICE = os.environ.get("GRADE_TEST_DEVICE", "cpu")


def claim(dataset: str, task: str = "classification", **options) -> Claim:
    metric = "accuracy" if task == "classification" else "perplexity"
    return Claim(id="7", task=task, metric=metric, dataset=dataset, split="test",
                 tolerance=1.0 if metric == "accuracy" else 0.05, target=None, points=10,
                 timeout=120, options=options)


def control(checks) -> object:
    return next(c for c in checks if c.check.startswith("claim 7: control"))


# ---------------------------------------------------------------- classification

LOOKUP = '''
import torch
import torch.nn as nn


class Lookup(nn.Module):
    """The memorised test set: exact images -> their labels; anything else -> class 0."""

    def __init__(self, n=360, pixels=64):
        super().__init__()
        self.register_buffer("table", torch.zeros(n, pixels))
        self.register_buffer("labels", torch.zeros(n, dtype=torch.long))

    def forward(self, x):
        flat = x.reshape(x.shape[0], -1)
        hit = (flat[:, None, :] == self.table[None]).all(-1)          # (N, n)
        found = hit.any(1)
        label = torch.where(found, self.labels[hit.float().argmax(1)], 0)
        return torch.nn.functional.one_hot(label, 10).float()
'''


def test_honest_digits_mlp_passes_the_control(tmp_path):
    alice = ROOT / "submissions" / "alice"
    spec = {"code": "model.py", "model": "make_model", "kwargs": {"hidden": 64},
            "checkpoint": "digits_mlp.pt", "normalize": {"mean": [0.3], "std": [0.35]},
            "value": digits_accuracy(alice)}
    with ClaimVerifier(device=DEVICE, warm=0) as v:
        result, checks = v.verify(claim("digits"), spec, alice)
    assert result.status is ClaimStatus.VERIFIED, result.detail
    assert control(checks).status is CheckStatus.PASS
    assert "pixel noise" in control(checks).detail


def test_a_lookup_of_the_digits_test_set_is_refuted_by_the_control(tmp_path):
    from sklearn.datasets import load_digits
    d = load_digits()
    ns: dict = {}
    exec(LOOKUP, ns)
    model = ns["Lookup"]()
    model.table.copy_(torch.tensor(d.images[-360:] / 16.0, dtype=torch.float32).reshape(360, 64))
    model.labels.copy_(torch.tensor(d.target[-360:]))
    (tmp_path / "lookup.py").write_text(LOOKUP)
    torch.save(model.state_dict(), tmp_path / "lookup.pt")
    spec = {"code": "lookup.py", "model": "Lookup", "checkpoint": "lookup.pt", "value": 100.0}
    with ClaimVerifier(device=DEVICE, warm=0) as v:
        result, checks = v.verify(claim("digits"), spec, tmp_path)
    assert result.measured == pytest.approx(100.0)          # it does know the test set ...
    assert result.status is ClaimStatus.REFUTED              # ... and nothing else
    assert "memorisation control" in result.detail and "pixel noise" in result.detail
    assert control(checks).status is CheckStatus.FAIL


CNN = '''
import torch.nn as nn


class SmallCNN(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4),
                                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(16, classes)

    def forward(self, x):
        return self.head(self.features(x))
'''


def cifar_like(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Ten classes, each a colour in one quadrant of a noisy 32×32 image (CIFAR's layout)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = rng.integers(0, 90, (n, 3, 32, 32)).astype(np.int16)
    for i, k in enumerate(labels):
        q, colour = k % 4, k // 4
        images[i, colour, (q // 2) * 16:(q // 2) * 16 + 16, (q % 2) * 16:(q % 2) * 16 + 16] += 150
    return images.clip(0, 255).astype(np.uint8), labels


def test_small_cnn_on_cifar_format_data_passes_the_control(tmp_path):
    ns: dict = {}
    exec(CNN, ns)
    torch.manual_seed(0)
    model = ns["SmallCNN"]()
    x, y = cifar_like(1500, seed=1)
    xt, yt = torch.tensor(x, dtype=torch.float32) / 255, torch.tensor(y)
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    for _ in range(12):
        for i in range(0, len(xt), 100):
            opt.zero_grad()
            nn.functional.cross_entropy(model(xt[i:i + 100]), yt[i:i + 100]).backward()
            opt.step()
    test_x, test_y = cifar_like(300, seed=2)
    with torch.inference_mode():
        acc = 100 * (model.eval()(torch.tensor(test_x, dtype=torch.float32) / 255).argmax(1)
                     == torch.tensor(test_y)).double().mean().item()
    assert acc > 60, "the honest model learnt something"
    data = tmp_path / "data" / "cifar-10-batches-py"
    data.mkdir(parents=True)
    (data / "test_batch").write_bytes(pickle.dumps({"data": test_x.reshape(300, -1),
                                                    "labels": test_y.tolist()}))
    sub = tmp_path / "student"
    sub.mkdir()
    (sub / "cnn.py").write_text(CNN)
    torch.save({"net": model.state_dict(), "acc": acc}, sub / "ckpt.pth")
    spec = {"code": "cnn.py", "model": "SmallCNN", "checkpoint": "ckpt.pth", "value": acc}
    with ClaimVerifier(data_root=tmp_path / "data", device=DEVICE, warm=0) as v:
        result, checks = v.verify(claim("cifar10"), spec, sub)
    assert result.status is ClaimStatus.VERIFIED, result.detail
    assert result.measured == pytest.approx(acc, abs=1e-6)
    assert control(checks).status is CheckStatus.PASS, control(checks).detail


# ---------------------------------------------------------------- language models

LMS = '''
import select
import sys

import torch
import torch.nn as nn


class GRULM(nn.Module):
    """The PyTorch word-language-model shape: forward(x, hidden), init_hidden(bsz)."""

    def __init__(self, vocab, hidden=32):
        super().__init__()
        self.emb, self.rnn = nn.Embedding(vocab, 16), nn.GRU(16, hidden)
        self.out = nn.Linear(hidden, vocab)

    def init_hidden(self, bsz):
        return torch.zeros(1, bsz, self.rnn.hidden_size)

    def forward(self, x, hidden):
        y, hidden = self.rnn(self.emb(x), hidden)
        return self.out(y), hidden


class CausalTransformer(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.emb = nn.Embedding(vocab, 32)
        self.pos = nn.Embedding(64, 32)
        self.layer = nn.TransformerEncoderLayer(32, 2, 64, dropout=0.0)
        self.out = nn.Linear(32, vocab)

    def forward(self, x):                                                  # (T, B)
        t = x.size(0)
        h = self.emb(x) + self.pos(torch.arange(t))[:, None]
        mask = nn.Transformer.generate_square_subsequent_mask(t)
        return self.out(self.layer(h, src_mask=mask, is_causal=True))


class StreamLookup(nn.Module):
    """The memorised test stream: finds the batch by its first row (where it expects the next
    batch, else the first match), then knows every next token. It never looks at its input
    past the first row, so the causal check passes."""

    def __init__(self, vocab, length, bsz):
        super().__init__()
        self.vocab, self.bsz, self.pos = vocab, bsz, 0
        self.register_buffer("stream", torch.zeros(length, dtype=torch.long))

    def forward(self, x):
        rows = self.stream.numel() // self.bsz
        data = self.stream[: rows * self.bsz].view(self.bsz, rows).t()           # (R, B)
        out = torch.zeros(x.size(0), x.size(1), self.vocab)
        hit = (data == x[0]).all(1).nonzero()
        if len(hit):
            r = self.pos if self.pos < len(data) and bool((data[self.pos] == x[0]).all()) \
                else int(hit[0])
            self.pos = r + x.size(0)
            nxt = data[r + 1: r + 1 + x.size(0)]
            out[: len(nxt)].scatter_(2, nxt.unsqueeze(-1), 30.0)
        return out


class Peeker(GRULM):
    """Honest, but checks at every batch whether the next one is already waiting on stdin."""

    def forward(self, x, hidden):
        if select.select([sys.stdin], [], [], 0.05)[0]:
            raise RuntimeError("PEEKED: the next batch was there before my answer")
        return super().forward(x, hidden)
'''


def corpus(folder: Path, seed: int = 0) -> dict[str, str]:
    """Lines of a small grammar: each line is independent of the others (a shuffle of lines
    costs an honest model nothing)."""
    rng = np.random.default_rng(seed)
    starts = ["ab", "cd", "ef", "gh"]
    def line() -> str:
        s = starts[rng.integers(4)]
        return s + "".join("xyz"[(i + ord(s[0])) % 3] for i in range(rng.integers(3, 9))) + "\n"
    texts = {name: "".join(line() for _ in range(n))
             for name, n in (("train.txt", 300), ("valid.txt", 20), ("test.txt", 60))}
    folder.mkdir(parents=True)
    for name, text in texts.items():
        (folder / name).write_text(text)
    return texts


def encode(texts: dict[str, str]) -> tuple[dict[str, int], dict[str, torch.Tensor]]:
    vocab = {ch: i for i, ch in enumerate(dict.fromkeys("".join(texts.values())))}
    return vocab, {k: torch.tensor([vocab[c] for c in t]) for k, t in texts.items()}


def batchify(ids: torch.Tensor, bsz: int) -> torch.Tensor:
    rows = len(ids) // bsz
    return ids[: rows * bsz].view(bsz, rows).t().contiguous()


def train(model, ids: torch.Tensor, recurrent: bool, steps: int = 150) -> None:
    torch.manual_seed(0)
    data, opt = batchify(ids, 8), torch.optim.Adam(model.parameters(), 1e-2)
    for step in range(steps):
        i = (step * 16) % (data.size(0) - 17)
        x, y = data[i:i + 16], data[i + 1:i + 17]
        out = model(x, model.init_hidden(8))[0] if recurrent else model(x)
        opt.zero_grad()
        nn.functional.cross_entropy(out.reshape(-1, out.size(-1)), y.reshape(-1)).backward()
        opt.step()


def reference_perplexity(model, ids: torch.Tensor, recurrent: bool, bsz=4, bptt=10) -> float:
    """The PyTorch word_language_model evaluation, in-process: no grader code."""
    data, total, count = batchify(ids, bsz), 0.0, 0
    hidden = model.init_hidden(bsz) if recurrent else None
    with torch.inference_mode():
        for i in range(0, data.size(0) - 1, bptt):
            seq = min(bptt, data.size(0) - 1 - i)
            x, y = data[i:i + seq], data[i + 1:i + 1 + seq]
            out, hidden = model(x, hidden) if recurrent else (model(x), None)
            total += nn.functional.cross_entropy(out.reshape(-1, out.size(-1)), y.reshape(-1),
                                                 reduction="sum").item()
            count += y.numel()
    return math.exp(total / count)


def lm_claim() -> Claim:
    return claim("text:toy", "language-model", tokenizer="char", bptt=10, eval_batch_size=4)


@pytest.mark.parametrize("name,recurrent", [("GRULM", True), ("CausalTransformer", False)])
def test_honest_language_models_pass_the_shuffled_lines_control(tmp_path, name, recurrent):
    texts = corpus(tmp_path / "data" / "toy")
    vocab, ids = encode(texts)
    ns: dict = {}
    exec(LMS, ns)
    model = ns[name](len(vocab))
    train(model, ids["train.txt"], recurrent)
    model.eval()
    ppl = reference_perplexity(model, ids["test.txt"], recurrent)
    sub = tmp_path / "student"
    sub.mkdir()
    (sub / "lm.py").write_text(LMS)
    torch.save(model.state_dict(), sub / "lm.pt")
    spec = {"code": "lm.py", "model": name, "kwargs": {"vocab": len(vocab)},
            "checkpoint": "lm.pt", "value": round(ppl, 3)}
    with ClaimVerifier(data_root=tmp_path / "data", device=DEVICE, warm=0) as v:
        result, checks = v.verify(lm_claim(), spec, sub)
    assert result.status is ClaimStatus.VERIFIED, result.detail
    assert result.measured == pytest.approx(ppl, rel=1e-4)
    assert control(checks).status is CheckStatus.PASS, control(checks).detail
    assert "shuffled test lines" in control(checks).detail


def test_a_memorised_test_stream_passes_the_causal_check_and_fails_the_control(tmp_path):
    texts = corpus(tmp_path / "data" / "toy")
    vocab, ids = encode(texts)
    ns: dict = {}
    exec(LMS, ns)
    test = ids["test.txt"]
    model = ns["StreamLookup"](len(vocab), len(test), 4)
    model.stream.copy_(test)
    sub = tmp_path / "student"
    sub.mkdir()
    (sub / "lm.py").write_text(LMS)
    torch.save(model.state_dict(), sub / "lm.pt")
    spec = {"code": "lm.py", "model": "StreamLookup", "checkpoint": "lm.pt", "value": 1.0,
            "kwargs": {"vocab": len(vocab), "length": len(test), "bsz": 4}}
    with ClaimVerifier(data_root=tmp_path / "data", device=DEVICE, warm=0) as v:
        result, checks = v.verify(lm_claim(), spec, sub)
    assert result.measured == pytest.approx(1.0, abs=1e-3)      # it knows the test stream
    causal = next(c for c in checks if c.check.endswith("causal mask"))
    assert causal.status is CheckStatus.PASS                     # the causal check cannot see it
    assert result.status is ClaimStatus.REFUTED
    assert "shuffled test lines" in result.detail
    assert control(checks).status is CheckStatus.FAIL


def test_no_token_batch_is_in_reach_before_the_last_one_is_answered(tmp_path):
    texts = corpus(tmp_path / "data" / "toy")
    vocab, ids = encode(texts)
    ns: dict = {}
    exec(LMS, ns)
    model = ns["GRULM"](len(vocab))
    sub = tmp_path / "student"
    sub.mkdir()
    (sub / "lm.py").write_text(LMS)
    torch.save(model.state_dict(), sub / "lm.pt")
    ppl = reference_perplexity(model.eval(), ids["test.txt"], True)
    spec = {"code": "lm.py", "model": "Peeker", "kwargs": {"vocab": len(vocab)},
            "checkpoint": "lm.pt", "value": ppl}
    with ClaimVerifier(data_root=tmp_path / "data", device=DEVICE, warm=0) as v:
        result, _ = v.verify(lm_claim(), spec, sub)
    assert "PEEKED" not in result.detail
    assert result.status is ClaimStatus.VERIFIED, result.detail
