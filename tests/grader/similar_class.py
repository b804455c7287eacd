"""A class built at test time for the similarity tests: honest students and planted copies.

Every student trains the same small CNN on the same synthetic data (made up: Gaussian 1×8×8
images labelled by a fixed random teacher) from their own seed, and writes a checkpoint and a
per-epoch log in the Keras-like `Epoch 3/8 - train_loss: ...` format, in the real submission
layout (answers.toml naming code, checkpoint and log). Their code files are scripts from
`similar_corpus/`, written here after the conventions of public PyTorch examples (see
SOURCES.md), one different script per student; they stand for the students' code and are not
what trained the checkpoints.

Planted (each pair is the copier first, the source second):
- p1_copy: checkpoint = h1_reg's file under another name; code = h3_cifar's script with every
  defined name renamed, comments replaced, layout reflowed and two functions swapped.
- p2_tune: checkpoint = h2_seq's, fine-tuned one more epoch on their own batches.
- p3_perm: checkpoint = h4_rnn's with the channels of both conv layers permuted (the same
  function, checked in the tests); log = h5_rl's with every accuracy +1.37 and loss +0.0213;
  code = a notebook made from vae_main.py's top-level blocks.
- The starter (utils.py) sits in h1, h2, p2 and, pasted above their own script, h4: honest
  pairs that share only the starter.
"""
from __future__ import annotations

import ast
import builtins
import io
import json
import keyword
import re
import shutil
import tokenize
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

CORPUS = Path(__file__).parent / "similar_corpus"
EPOCHS = 8
HONEST = {"h1_reg": "regression_main.py", "h2_seq": "time_sequence_train.py",
          "h3_cifar": "pytorch_cifar_main.py", "h4_rnn": "mnist_rnn_main.py",
          "h5_rl": "reinforce.py"}
PLANTED = {("p1_copy", "h1_reg"): "checkpoint", ("p1_copy", "h3_cifar"): "code",
           ("h2_seq", "p2_tune"): "checkpoint", ("h4_rnn", "p3_perm"): "checkpoint",
           ("h5_rl", "p3_perm"): "log"}
STARTER_USERS = ("h1_reg", "h2_seq", "p2_tune")
ASSIGNMENT = """[assignment]
id = "sim-hw"
title = "Similarity test class"
starter = "utils.py"

[[claim]]
id = "2"
task = "classification"
metric = "accuracy"
dataset = "digits"
points = 10
"""


class SmallNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16 * 2 * 2, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:      # x: (N, 1, 8, 8)
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)   # (N, 8, 4, 4)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)   # (N, 16, 2, 2)
        return self.fc(x.flatten(1))


def synthetic_data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(640, 1, 8, 8, generator=g)
    teacher = torch.randn(64, 10, generator=g)
    y = (x.flatten(1) @ teacher).argmax(1)
    return x[:512], y[:512], x[512:], y[512:]


def train(model: SmallNet, seed: int, epochs: int, start: int = 1) -> list[str]:
    """SGD on the synthetic data; one log line per epoch."""
    xtr, ytr, xva, yva = synthetic_data()
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    lines = []
    for epoch in range(start, start + epochs):
        model.train()
        order = torch.randperm(len(xtr), generator=g)
        total, correct, seen = 0.0, 0, 0
        for i in range(0, len(xtr), 32):
            idx = order[i:i + 32]
            out = model(xtr[idx])
            loss = F.cross_entropy(out, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            correct += int((out.argmax(1) == ytr[idx]).sum())
            seen += len(idx)
        model.eval()
        with torch.no_grad():
            out = model(xva)
            val_loss = F.cross_entropy(out, yva).item()
            val_acc = 100.0 * float((out.argmax(1) == yva).float().mean())
        lines.append(f"Epoch {epoch}/{start + epochs - 1} - train_loss: {total / seen:.4f} - "
                     f"train_acc: {100.0 * correct / seen:.2f} - val_loss: {val_loss:.4f} - "
                     f"val_acc: {val_acc:.2f}")
    return lines


def trained(seed: int) -> tuple[SmallNet, list[str]]:
    torch.manual_seed(seed)
    model = SmallNet()
    return model, train(model, seed, EPOCHS)


def permute_channels(state: dict[str, torch.Tensor], seed: int) -> dict[str, torch.Tensor]:
    """The same network with conv1's and conv2's output channels in another order."""
    g = torch.Generator().manual_seed(seed)
    p1, p2 = torch.randperm(8, generator=g), torch.randperm(16, generator=g)
    s = {k: v.clone() for k, v in state.items()}
    for name, perm in (("conv1", p1), ("conv2", p2)):
        s[f"{name}.weight"] = s[f"{name}.weight"][perm]
        s[f"{name}.bias"] = s[f"{name}.bias"][perm]
    for name, perm in (("bn1", p1), ("bn2", p2)):
        for part in ("weight", "bias", "running_mean", "running_var"):
            s[f"{name}.{part}"] = s[f"{name}.{part}"][perm]
    s["conv2.weight"] = s["conv2.weight"][:, p1]
    s["fc.weight"] = s["fc.weight"].reshape(10, 16, 4)[:, p2].reshape(10, 64)
    return s


def disguise(source: str) -> str:
    """Rename every name the file defines, replace comments, reflow layout, swap the first two
    top-level functions: the classic ways to hide a copy."""
    source = _swap_functions(source)
    defined = _defined_names(source)
    mapping = {name: f"v{i}_{len(name)}" for i, name in enumerate(sorted(defined))}
    out = []
    prev = ""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        text = tok.string
        if tok.type == tokenize.NAME and text in mapping and prev != ".":
            text = mapping[text]
        elif tok.type == tokenize.COMMENT:
            text = "# done"
        out.append((tok.type, text))
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            prev = tok.string
    return tokenize.untokenize(out)


def _defined_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return {n for n in names if not keyword.iskeyword(n) and not hasattr(builtins, n)}


def _swap_functions(source: str) -> str:
    lines = source.splitlines(keepends=True)
    funcs = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)][:2]
    if len(funcs) < 2:
        return source
    (a0, a1), (b0, b1) = [(f.lineno - 1, f.end_lineno) for f in funcs]
    return "".join(lines[:a0] + lines[b0:b1] + lines[a1:b0] + lines[a0:a1] + lines[b1:])


def notebook_from(source: str) -> str:
    """A notebook whose code cells are the script's top-level blocks."""
    import nbformat
    blocks = [b for b in re.split(r"\n(?=\S)", source) if b.strip()]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Homework 2")]
    nb.cells += [nbformat.v4.new_code_cell(b) for b in blocks]
    nb.cells.insert(2, nbformat.v4.new_code_cell("%matplotlib inline"))
    return nbformat.writes(nb)


def shift_log(lines: list[str]) -> list[str]:
    def shift(m: re.Match[str]) -> str:
        label, value = m.group(1), float(m.group(2))
        delta = 1.37 if label.endswith("acc") else 0.0213
        decimals = len(m.group(2).split(".")[1])
        return f"{label}: {value + delta:.{decimals}f}"
    return [re.sub(r"(\w+_(?:acc|loss)): ([\d.]+)", shift, line) for line in lines]


def write_student(folder: Path, code: dict[str, str], state: dict[str, torch.Tensor] | None,
                  log: list[str], checkpoint: str = "model.pt",
                  log_name: str = "train.log") -> None:
    folder.mkdir(parents=True)
    for name, text in code.items():
        (folder / name).write_text(text, encoding="utf-8")
    if state is not None:
        torch.save(state, folder / checkpoint)
    (folder / log_name).write_text("\n".join(log) + "\n", encoding="utf-8")
    code_file = next(iter(code))
    (folder / "answers.toml").write_text(
        f'assignment = "sim-hw"\n\n[claims."2"]\nvalue = 90.0\ncode = "{code_file}"\n'
        f'model = "SmallNet"\ncheckpoint = "{checkpoint}"\nlog = "{log_name}"\n',
        encoding="utf-8")


def build_class(root: Path) -> tuple[Path, Path]:
    """(submissions folder, assignment folder)."""
    asg = root / "assignment"
    asg.mkdir(parents=True)
    (asg / "assignment.toml").write_text(ASSIGNMENT, encoding="utf-8")
    starter = (CORPUS / "pytorch_cifar_utils.py").read_text(encoding="utf-8")
    (asg / "utils.py").write_text(starter, encoding="utf-8")
    subs = root / "submissions"
    runs = {name: trained(seed) for seed, name in enumerate(HONEST, start=11)}
    for name, script in HONEST.items():
        text = (CORPUS / script).read_text(encoding="utf-8")
        code = {"main.py": starter + "\n\n" + text} if name == "h4_rnn" else {"main.py": text}
        if name in STARTER_USERS:
            code["utils.py"] = starter
        model, log = runs[name]
        write_student(subs / name, code, model.state_dict(), log)

    # p1: h1's checkpoint file as is, h3's code disguised; its own honest log
    _, log = trained(101)
    cifar = (CORPUS / "pytorch_cifar_main.py").read_text(encoding="utf-8")
    write_student(subs / "p1_copy", {"train.py": disguise(cifar)}, None, log,
                  checkpoint="best_model.pth")
    shutil.copyfile(subs / "h1_reg" / "model.pt", subs / "p1_copy" / "best_model.pth")

    # p2: h2's checkpoint fine-tuned one epoch; its own code plus the starter
    model = SmallNet()
    model.load_state_dict(runs["h2_seq"][0].state_dict())
    log = train(model, seed=202, epochs=1, start=EPOCHS + 1)
    write_student(subs / "p2_tune", {"hogwild.py": (CORPUS / "mnist_hogwild_train.py")
                                     .read_text(encoding="utf-8"), "utils.py": starter},
                  model.state_dict(), log)

    # p3: h4's checkpoint with channels permuted, h5's log shifted, code in a notebook
    state = permute_channels(runs["h4_rnn"][0].state_dict(), seed=303)
    vae = (CORPUS / "vae_main.py").read_text(encoding="utf-8")
    write_student(subs / "p3_perm", {"homework.ipynb": notebook_from(vae)}, state,
                  shift_log(runs["h5_rl"][1]), checkpoint="weights.pth", log_name="log.txt")
    return subs, asg


def planted_pairs() -> dict[tuple[str, str], str]:
    return {tuple(sorted(k)): v for k, v in PLANTED.items()}


def json_pairs(text: str) -> list[dict]:
    return json.loads(text)["pairs"]


def claims_unchecked(folder: Path, assignment, options, **kw):
    """`grade batch` stand-in for grading: the batch tests here look at the similarity section
    of the class page, not at grades (and re-running claims would need the sandbox)."""
    from grader.results import Result
    return Result(folder.name, assignment.id)
