"""Code in the shapes students hand it in, re-run in the sandbox: for every form an honest claim
is verified and an inflated one refuted. The corpus follows the conventions of public code
(kuangliu/pytorch-cifar, pytorch/examples, the PyTorch tutorial) but was written here; only the
seed student's script is real (corpus/SOURCES.md says which is which, and why).

The weights are set so that the honest number is known without running the model (a constant
prediction: its accuracy is the share of one class in the labels; a constant next-token
distribution: its perplexity follows from the token counts), so the sandbox's number is checked
against arithmetic, not against itself. The checkpoints follow each source's saving convention.
"""
from __future__ import annotations

import glob
import json
import math
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from corpus_helpers import (CORPUS, HONEST, N_IMAGES, cifar10, constant, import_file, mnist,
                            script_namespace)
from grader.assignment import Claim
from grader.claims import ClaimVerifier
from grader.results import ClaimStatus

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")


@dataclass
class Form:
    spec: dict          # the submission's [claims."1"] table, without `value`
    dataset: str
    honest: float
    task: str = "classification"
    options: dict | None = None


def claim(form: Form) -> Claim:
    ppl = form.task == "language-model"
    return Claim(id="1", task=form.task, metric="perplexity" if ppl else "accuracy",
                 dataset=form.dataset, split="test", tolerance=0.05 if ppl else 1.0,
                 target=None, points=10, timeout=120, options=form.options or {})


def copy(name: str, dest: Path) -> None:
    src = CORPUS / name
    if src.is_dir():
        shutil.copytree(src, dest / src.name)
    else:
        shutil.copyfile(src, dest / src.name)


# ---------------------------------------------------------------- the forms

def seed_script(sub: Path, data: Path) -> Form:
    """Seed 000, question 2, as handed in: torchvision, CIFAR10(download=True) and loaders at the
    top level, training in main(); the checkpoint saved as its main() does."""
    copy("seed000/resnet_cifar10.py", sub)
    ns = script_namespace(sub / "resnet_cifar10.py", "resnet18")
    model = constant(ns["resnet18"](), "fc")
    torch.save({"epoch": 3, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": {}, "accuracy": HONEST}, sub / "best_model.pth")
    cifar10(data)
    return Form({"code": "resnet_cifar10.py", "model": "resnet18",
                 "checkpoint": "best_model.pth"}, "cifar10", HONEST)


def _kuangliu_models():
    sys.path.insert(0, str(CORPUS / "kuangliu_cifar"))
    try:
        sys.modules.pop("models", None)
        import models       # the corpus package, imported as its main.py imports it
        return models
    finally:
        sys.path.pop(0)
        for name in [m for m in sys.modules if m == "models" or m.startswith("models.")]:
            del sys.modules[name]


def kuangliu_script(sub: Path, data: Path) -> Form:
    """main.py as `code` (argparse, datasets, DataParallel at the top level); the checkpoint
    {'net', 'acc', 'epoch'} with DataParallel's `module.` keys, as its test() saves it on CUDA."""
    copy("kuangliu_cifar/main.py", sub)
    copy("kuangliu_cifar/models", sub)
    net = constant(_kuangliu_models().ResNet18(), "linear")
    state = torch.nn.DataParallel(net).state_dict()
    (sub / "checkpoint").mkdir()
    torch.save({"net": state, "acc": HONEST, "epoch": 7}, sub / "checkpoint" / "ckpt.pth")
    cifar10(data)
    return Form({"code": "main.py", "model": "ResNet18", "checkpoint": "checkpoint/ckpt.pth"},
                "cifar10", HONEST)


def package_folder(sub: Path, data: Path) -> Form:
    """`code` names the package folder; the model needs a constructor argument."""
    copy("kuangliu_cifar/models", sub)
    net = constant(_kuangliu_models().VGG("VGG11"), "classifier")
    torch.save(net.state_dict(), sub / "vgg11.pth")
    cifar10(data)
    return Form({"code": "models", "model": "VGG", "kwargs": {"vgg_name": "VGG11"},
                 "checkpoint": "vgg11.pth"}, "cifar10", HONEST)


def package_init(sub: Path, data: Path) -> Form:
    """`code` names the package's __init__.py (relative imports); safetensors weights."""
    from safetensors.torch import save_file
    copy("kuangliu_cifar/models", sub)
    net = constant(_kuangliu_models().LeNet(), "fc3")
    save_file(net.state_dict(), sub / "lenet.safetensors")
    cifar10(data)
    return Form({"code": "models/__init__.py", "model": "LeNet",
                 "checkpoint": "lenet.safetensors"}, "cifar10", HONEST)


def module_in_package(sub: Path, data: Path) -> Form:
    """`code` names one module of the package; imagenet main.py's checkpoint convention
    ({'epoch', 'arch', 'state_dict', 'best_prec1', 'optimizer'}, DataParallel keys)."""
    copy("kuangliu_cifar/models", sub)
    net = constant(_kuangliu_models().LeNet(), "fc3")
    torch.save({"epoch": 90, "arch": "lenet",
                "state_dict": torch.nn.DataParallel(net).state_dict(),
                "best_prec1": HONEST, "optimizer": {}}, sub / "model_best.pth.tar")
    cifar10(data)
    return Form({"code": "models/lenet.py", "model": "LeNet",
                 "checkpoint": "model_best.pth.tar"}, "cifar10", HONEST)


def notebook(sub: Path, data: Path) -> Form:
    """The CIFAR-10 tutorial as a notebook (a `%matplotlib inline` cell, then one cell per
    `####` block, as sphinx-gallery writes it); the weights saved with
    `torch.save(net.state_dict(), './cifar_net.pth')`."""
    import nbformat
    source = (CORPUS / "cifar10_tutorial" / "cifar10_tutorial.py").read_text()
    blocks = [b.strip("\n") for b in re.split(r"\n#{20,}\n", source)]
    cells = [nbformat.v4.new_code_cell("%matplotlib inline")]
    cells += [nbformat.v4.new_code_cell(b) for b in blocks if b.strip()]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), sub / "cifar10_tutorial.ipynb")
    ns = script_namespace(CORPUS / "cifar10_tutorial" / "cifar10_tutorial.py", "Net")
    torch.save(constant(ns["Net"](), "fc3").state_dict(), sub / "cifar_net.pth")
    cifar10(data)
    return Form({"code": "cifar10_tutorial.ipynb", "model": "Net", "checkpoint": "cifar_net.pth"},
                "cifar10", HONEST)


def pickled_main(sub: Path, data: Path, monkeypatch) -> Form:
    """`torch.save(model, ...)` from `python main.py`: the pickle names `__main__.Net`."""
    copy("mnist/main.py", sub)
    ns = script_namespace(sub / "main.py", "Net")
    monkeypatch.setattr(sys.modules["__main__"], "Net", ns["Net"], raising=False)
    torch.save(constant(ns["Net"](), "fc2"), sub / "mnist_cnn.pt")
    mnist(data)
    return Form({"code": "main.py", "checkpoint": "mnist_cnn.pt"}, "mnist", HONEST)


def compiled_dataparallel(sub: Path, data: Path) -> Form:
    """torch.compile over DataParallel: `_orig_mod.module.` keys (stripped in any order)."""
    copy("mnist/main.py", sub)
    ns = script_namespace(sub / "main.py", "Net")
    net = constant(ns["Net"](), "fc2")
    torch.save(torch.compile(torch.nn.DataParallel(net)).state_dict(), sub / "mnist_cnn.pt")
    mnist(data)
    return Form({"code": "main.py", "model": "Net", "checkpoint": "mnist_cnn.pt"}, "mnist",
                HONEST)


def lightning(sub: Path, data: Path) -> Form:
    """A Lightning checkpoint (MADE UP: the layout Lightning writes, the module holding the
    network as `self.model`): keys `model.*` under 'state_dict', beside the trainer's state."""
    copy("mnist/main.py", sub)
    ns = script_namespace(sub / "main.py", "Net")
    net = constant(ns["Net"](), "fc2")
    state = {f"model.{k}": v for k, v in net.state_dict().items()}
    torch.save({"epoch": 2, "global_step": 300, "pytorch-lightning_version": "2.2.0",
                "state_dict": state, "optimizer_states": [{}], "lr_schedulers": []},
               sub / "epoch=2-step=300.ckpt")
    mnist(data)
    return Form({"code": "main.py", "model": "Net", "checkpoint": "epoch=2-step=300.ckpt"},
                "mnist", HONEST)


TEXT = {"train.txt": "the cat sat on the mat\nthe dog sat\x0con the log\n",
        "valid.txt": "the cat sat\n",
        "test.txt": "the dog sat on the mat\u2028the cat\nthe log sat on the cat\n" * 4}


def language_model(sub: Path, data: Path) -> Form:
    """word_language_model: model.py's RNNModel pickled whole (`torch.save(model, f)`, as its
    main.py saves it), scored on text whose lines hold \\x0c and \\u2028 (not line ends)."""
    folder = data / "text"
    folder.mkdir(parents=True)
    for name, text in TEXT.items():
        (folder / name).write_text(text, encoding="utf-8")
    corpus = import_file(CORPUS / "word_language_model" / "data.py", "wlm_data").Corpus(str(folder))
    copy("word_language_model/model.py", sub)
    module = import_file(sub / "model.py", "model")
    try:
        ntoken = len(corpus.dictionary)
        model = module.RNNModel("LSTM", ntoken, 8, 8, 1, dropout=0.0)
        bias = torch.linspace(-1.0, 1.0, ntoken)
        with torch.no_grad():
            model.decoder.weight.zero_()
            model.decoder.bias.copy_(bias)
        torch.save(model, sub / "model.pt")
    finally:
        del sys.modules["model"]
    # The honest perplexity: a constant distribution over the evaluated next tokens.
    bsz = 2
    ids = corpus.test
    rows = ids[: ids.size(0) // bsz * bsz].view(bsz, -1).t()
    logp = torch.log_softmax(bias, 0)[rows[1:].flatten()]
    honest = math.exp(-logp.double().mean().item())
    return Form({"code": "model.py", "checkpoint": "model.pt"}, "text:text", honest,
                task="language-model", options={"eval_batch_size": bsz, "bptt": 5})


FORMS = {"seed script": seed_script, "training script": kuangliu_script,
         "package folder": package_folder, "package __init__.py": package_init,
         "module in a package": module_in_package, "notebook": notebook,
         "pickled __main__ model": pickled_main, "compiled DataParallel": compiled_dataparallel,
         "lightning": lightning, "language model": language_model}


@pytest.fixture(scope="module")
def verifier(tmp_path_factory):
    with ClaimVerifier(data_root=tmp_path_factory.mktemp("data"), device="cpu") as v:
        yield v


@pytest.mark.parametrize("name", list(FORMS))
def test_honest_claim_verified_inflated_refuted(name, tmp_path, monkeypatch, verifier):
    sub, data = tmp_path / "sub", tmp_path / "data"
    sub.mkdir()
    build = FORMS[name]
    form = build(sub, data, monkeypatch) if name == "pickled __main__ model" else build(sub, data)
    verifier.data_root = data
    verifier.cache.data_root = data
    honest, _ = verifier.verify(claim(form), {**form.spec, "value": round(form.honest, 3)}, sub)
    assert honest.status is ClaimStatus.VERIFIED, honest.detail
    assert honest.measured == pytest.approx(form.honest, rel=1e-3)
    inflated = form.honest * (0.5 if form.task == "language-model" else 1) + (
        0 if form.task == "language-model" else 30)
    refuted, _ = verifier.verify(claim(form), {**form.spec, "value": inflated}, sub)
    assert refuted.status is ClaimStatus.REFUTED, refuted.detail


def test_the_script_cut_is_named_in_the_detail(tmp_path, verifier):
    sub, data = tmp_path / "sub", tmp_path / "data"
    sub.mkdir()
    form = seed_script(sub, data)
    verifier.data_root = verifier.cache.data_root = data
    result, _ = verifier.verify(claim(form), {**form.spec, "value": HONEST}, sub)
    assert "resnet_cifar10.py was cut to its imports and definitions; its top level was not " \
           "run (skipped" in result.detail
    assert "the __main__ block" in result.detail


def test_pickled_model_detail_names_its_class_not_grader_paths(tmp_path, monkeypatch, verifier):
    sub, data = tmp_path / "sub", tmp_path / "data"
    sub.mkdir()
    form = pickled_main(sub, data, monkeypatch)
    verifier.data_root = verifier.cache.data_root = data
    result, _ = verifier.verify(claim(form), {**form.spec, "value": HONEST}, sub)
    assert "the checkpoint is a whole pickled model of class Net from main" in result.detail
    assert "/grader/" not in result.detail and "sandbox_child" not in result.detail


def test_seed_fixture_differs_from_the_seed_only_by_indentation():
    seeds = glob.glob(str(Path(__file__).resolve().parents[4] / "shared" / "seeds" / "000_*.txt"))
    if not seeds:
        pytest.skip("the seed homework is not beside the repository")
    lines = Path(seeds[0]).read_text(encoding="utf-8").split("\n")[22:283]
    seed = [re.sub(r" \|( \|)?$", "", l) for l in lines]
    ours = (CORPUS / "seed000" / "resnet_cifar10.py").read_text(encoding="utf-8").splitlines()
    assert [l.lstrip() for l in ours] == seed
