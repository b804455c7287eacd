"""The course kinds (rnn.params, transformer.params, attention.positional, mlp.backprop,
loss.cross_entropy, optim.step): random cases against torch, and each classic mistake named."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reference import losses, mlp, optim, rnn, transformer

R = random.Random(13)


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------- rnn.params

RNN_CASES = [(R.choice(["rnn", "lstm", "gru"]), R.randint(1, 40), R.randint(1, 40), R.randint(1, 3),
              R.random() < 0.5, R.random() < 0.7) for _ in range(30)]


@pytest.mark.parametrize("cell,n_in,hidden,layers,bidirectional,bias", RNN_CASES)
def test_rnn_params_match_torch(cell: str, n_in: int, hidden: int, layers: int,
                                bidirectional: bool, bias: bool) -> None:
    module = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](
        n_in, hidden, num_layers=layers, bidirectional=bidirectional, bias=bias)
    assert rnn.rnn_params(cell, n_in, hidden, layers, bidirectional, bias).answer == count(module)


def test_rnn_params_mistakes() -> None:
    worked = rnn.rnn_params("lstm", 10, 20, layers=2, bidirectional=True)
    assert worked.mistakes["one bias vector per gate instead of two (b_ih and b_hh)"] == \
        worked.answer - 2 * 2 * 4 * 20
    assert worked.mistakes["upper layers' input taken as H, not 2H, in a bidirectional stack"] == \
        worked.answer - 2 * 4 * 20 * 20
    assert worked.steps[0] == "layer 1 (×2 directions): 4·20·(10 + 20) + 2·4·20 = 2,560 → 5,120"
    with pytest.raises(ValueError, match="cell 'rnm' is not one of rnn, lstm, gru"):
        rnn.rnn_params("rnm", 10, 20)


# ---------------------------------------------------------------- transformer.params

TRANSFORMER_CASES = [(R.choice([1, 2, 4]) * R.randint(1, 8), R.choice([1, 2, 4]), R.randint(1, 64),
                      R.choice(["encoder", "decoder"]), R.random() < 0.7, R.choice(["post", "pre"]))
                     for _ in range(20)]


@pytest.mark.parametrize("d,heads,d_ff,block,bias,norm", TRANSFORMER_CASES)
def test_transformer_params_match_torch(d: int, heads: int, d_ff: int, block: str, bias: bool,
                                        norm: str) -> None:
    heads = heads if d % heads == 0 else 1
    cls = nn.TransformerEncoderLayer if block == "encoder" else nn.TransformerDecoderLayer
    module = cls(d, heads, d_ff, bias=bias, norm_first=norm == "pre")
    assert transformer.transformer_params(d, heads, d_ff, block, bias, norm).answer == count(module)


def test_transformer_mistakes() -> None:
    worked = transformer.transformer_params(512, 8, 2048)
    assert worked.answer == 3_152_384  # the base model's encoder layer
    assert worked.mistakes[transformer.NO_OUTPUT_PROJECTION] == 3_152_384 - 512 * 512 - 512
    decoder = transformer.transformer_params(512, 8, 2048, block="decoder")
    assert decoder.mistakes[transformer.NO_CROSS_ATTENTION] == 3_152_384 + 2 * 512
    with pytest.raises(ValueError, match="d_model 10 is not divisible by heads 4"):
        transformer.transformer_params(10, 4, 8)


# ---------------------------------------------------------------- attention.positional


def torch_pe(d_model: int, length: int) -> torch.Tensor:
    """The PyTorch tutorial's PositionalEncoding table (pe[pos, i])."""
    position = torch.arange(length, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(length, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


@pytest.mark.parametrize("d_model", [4, 8, 16, 512])
def test_positional_matches_the_torch_tutorial(d_model: int) -> None:
    pe = torch_pe(d_model, 60)
    for _ in range(10):
        pos, i = R.randrange(60), R.randrange(d_model)
        assert transformer.positional(d_model, pos, i).answer == pytest.approx(float(pe[pos, i]), abs=1e-6)
    table = transformer.positional(d_model, [0, 5, 59], list(range(d_model))).answer
    assert np.allclose(table, pe[[0, 5, 59]].numpy(), atol=1e-6)


def test_positional_forms_and_mistakes() -> None:
    assert transformer.positional(8, [1, 2], 0).answer == [[0.841471, 0.909297]]
    worked = transformer.positional(8, 3, 5)
    assert worked.answer == round(math.cos(3 / 10000 ** (4 / 8)), 6)
    assert worked.mistakes[transformer.SIN_COS_SWAPPED] == round(math.sin(3 / 10000 ** (4 / 8)), 6)
    assert worked.mistakes[transformer.PAIR_INDEX] == round(math.cos(3 / 10000 ** (10 / 8)), 6)
    with pytest.raises(ValueError, match="i 8 is not an integer >= 0 below d_model = 8"):
        transformer.positional(8, 0, 8)


# ---------------------------------------------------------------- mlp.backprop


def torch_backprop(ws, bs, x, target, activation, loss):
    W = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in ws]
    B = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in bs]
    a = torch.tensor(x, dtype=torch.float64)
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "identity": lambda z: z}[activation]
    for l, (w, b) in enumerate(zip(W, B)):
        z = w @ a + b
        a = z if (l == len(W) - 1 and loss == "cross_entropy") else act(z)
    if loss == "cross_entropy":
        value = F.cross_entropy(a.unsqueeze(0), torch.tensor([target]))
    elif loss == "mse":
        value = F.mse_loss(a, torch.tensor(target, dtype=torch.float64))
    else:
        value = 0.5 * ((a - torch.tensor(target, dtype=torch.float64)) ** 2).sum()
    value.backward()
    return a.detach().numpy(), float(value.detach()), [w.grad.numpy() for w in W], [b.grad.numpy() for b in B]


def random_mlp(rng: random.Random):
    sizes = [rng.randint(1, 4) for _ in range(rng.randint(2, 4))]
    ws = [[[round(rng.uniform(-1, 1), 2) for _ in range(sizes[l])] for _ in range(sizes[l + 1])]
          for l in range(len(sizes) - 1)]
    bs = [[round(rng.uniform(-1, 1), 2) for _ in range(sizes[l + 1])] for l in range(len(sizes) - 1)]
    x = [round(rng.uniform(-1, 1), 2) for _ in range(sizes[0])]
    loss = rng.choice(mlp.LOSSES)
    target = (rng.randrange(sizes[-1]) if loss == "cross_entropy"
              else [round(rng.uniform(0, 1), 2) for _ in range(sizes[-1])])
    return ws, bs, x, target, rng.choice(mlp.ACTIVATIONS), loss


@pytest.mark.parametrize("seed", range(25))
def test_backprop_matches_autograd(seed: int) -> None:
    ws, bs, x, target, activation, loss = random_mlp(random.Random(seed))
    y, value, dws, dbs = torch_backprop(ws, bs, x, target, activation, loss)
    ask = lambda a: mlp.backprop(ws, bs, x, target, activation, loss, ask=a).answer  # noqa: E731
    assert ask("loss") == pytest.approx(value, abs=1e-6)
    assert np.allclose(ask("output"), [y], atol=1e-6)
    for l, (dw, db) in enumerate(zip(dws, dbs), start=1):
        assert np.allclose(ask(f"dW{l}"), dw, atol=1e-6)
        assert np.allclose(ask(f"db{l}"), [db], atol=1e-6)


def test_backprop_the_textbook_example_and_its_mistakes() -> None:
    """Matt Mazur's worked example (2-2-2 sigmoid network, E = ½Σ(t − o)²): ∂E/∂w5 = 0.082167041."""
    ws = [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
    bs = [[0.35, 0.35], [0.60, 0.60]]
    worked = mlp.backprop(ws, bs, [0.05, 0.10], [0.01, 0.99], "sigmoid", "sse", ask="dW2")
    assert worked.answer[0][0] == pytest.approx(0.082167041, abs=1e-6)
    assert mlp.backprop(ws, bs, [0.05, 0.10], [0.01, 0.99], ask="loss").answer == pytest.approx(0.298371109, abs=1e-6)
    assert mlp.NO_DERIVATIVE in worked.mistakes and mlp.SSE_HALF_KEPT in worked.mistakes
    assert worked.mistakes[mlp.SSE_HALF_KEPT][0][0] == pytest.approx(2 * 0.082167041, abs=1e-6)


# ---------------------------------------------------------------- loss.cross_entropy


@pytest.mark.parametrize("seed", range(20))
def test_cross_entropy_matches_torch(seed: int) -> None:
    rng = random.Random(seed)
    n, c = rng.randint(1, 4), rng.randint(2, 5)
    logits = [[round(rng.uniform(-3, 3), 2) for _ in range(c)] for _ in range(n)]
    targets = [rng.randrange(c) for _ in range(n)]
    reduction = rng.choice(losses.REDUCTIONS)
    z = torch.tensor(logits, dtype=torch.float64)
    expected = F.cross_entropy(z, torch.tensor(targets), reduction=reduction)
    assert losses.cross_entropy(logits, targets, reduction=reduction).answer == pytest.approx(float(expected), abs=1e-6)
    assert np.allclose(losses.cross_entropy(logits, targets, ask="softmax").answer, z.softmax(1), atol=1e-6)
    soft = torch.softmax(torch.tensor([[rng.random() for _ in range(c)] for _ in range(n)]), 1).tolist()
    assert losses.cross_entropy(logits, soft).answer == pytest.approx(
        float(F.cross_entropy(z, torch.tensor(soft, dtype=torch.float64))), abs=1e-6)


def test_cross_entropy_mistakes() -> None:
    worked = losses.cross_entropy([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], [0, 1])
    assert worked.mistakes[losses.LOG10] == pytest.approx(worked.answer / math.log(10), abs=1e-6)
    assert worked.mistakes[losses.SUM_FOR_MEAN] == pytest.approx(2 * worked.answer, abs=1e-6)
    with pytest.raises(ValueError, match="target 3 is not a class index in 0..2"):
        losses.cross_entropy([[2.0, 1.0, 0.1]], [3])


# ---------------------------------------------------------------- optim.step


def torch_steps(settings: dict, params, grads, steps: int):
    theta = torch.tensor(params, dtype=torch.float64, requires_grad=True)
    opts = {k: (tuple(v) if k == "betas" else v) for k, v in settings.items() if k != "name"}
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[settings["name"]]
    opt = cls([theta], **opts)
    g = np.array(grads, dtype=float)
    for t in range(steps):
        theta.grad = torch.tensor(g if g.shape == np.shape(params) else g[t], dtype=torch.float64)
        opt.step()
    return theta.detach().numpy()


def random_optimizer(rng: random.Random) -> dict:
    name = rng.choice(optim.NAMES)
    settings = {"name": name, "lr": rng.choice([0.01, 0.1, 0.5])}
    if rng.random() < 0.5:
        settings["weight_decay"] = rng.choice([0.01, 0.1])
    if name == "sgd" and rng.random() < 0.7:
        settings["momentum"] = rng.choice([0.5, 0.9])
        if rng.random() < 0.3:
            settings["nesterov"] = True
        elif rng.random() < 0.3:
            settings["dampening"] = 0.1
    if name != "sgd" and rng.random() < 0.5:
        settings["betas"] = [0.8, 0.99]
    return settings


@pytest.mark.parametrize("seed", range(30))
def test_optimizer_steps_match_torch(seed: int) -> None:
    rng = random.Random(seed)
    settings, steps = random_optimizer(rng), rng.randint(1, 4)
    params = [[round(rng.uniform(-1, 1), 2) for _ in range(2)] for _ in range(rng.randint(1, 2))]
    shape = (steps, len(params), 2) if rng.random() < 0.5 else (len(params), 2)
    grads = np.round(np.array([rng.uniform(-1, 1) for _ in range(int(np.prod(shape)))]).reshape(shape), 2).tolist()
    expected = torch_steps(settings, params, grads, steps)
    assert np.allclose(optim.step(settings, params, grads, steps).answer, expected, atol=1e-6)


def test_optimizer_mistakes() -> None:
    adam = optim.step({"name": "adam", "lr": 0.1}, [1.0, -1.0], [0.5, 0.2], steps=1)
    assert adam.answer == [[0.9, -1.1]]  # the first Adam step moves every weight by lr·sign(g)
    raw = [[1 - 0.1 * 0.05 / math.sqrt(0.00025), -1 - 0.1 * 0.02 / math.sqrt(0.00004)]]
    assert adam.mistakes[optim.NO_BIAS_CORRECTION][0] == pytest.approx(raw[0], abs=1e-5)
    sgd = optim.step({"name": "sgd", "lr": 0.1, "momentum": 0.9}, 1.0, [1.0, 1.0], steps=2)
    assert sgd.answer == pytest.approx(1 - 0.1 - 0.1 * 1.9)
    assert sgd.mistakes[optim.NO_MOMENTUM] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="optimizer sgd: unknown setting 'beta'"):
        optim.step({"name": "sgd", "lr": 0.1, "beta": 0.9}, 1.0, 1.0)
