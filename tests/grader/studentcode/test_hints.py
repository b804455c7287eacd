"""Every failure tells the student the one change that fixes it: each hint's text, and the
hints as they come out of real re-runs in the sandbox."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from corpus_helpers import CORPUS, HONEST, cifar10, constant, script_namespace
from grader.assignment import Claim
from grader.claims import ClaimVerifier
from grader.datasets import tokenize
from grader.results import ClaimStatus
from grader.studentcode import hints

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")


def claim(dataset: str = "cifar10", timeout: int = 60) -> Claim:
    return Claim(id="1", task="classification", metric="accuracy", dataset=dataset,
                 split="test", tolerance=1.0, target=None, points=10, timeout=timeout)


# ---------------------------------------------------------------- the texts

def test_top_level_hint():
    assert hints.top_level("train.py") == ("train.py is imported, so its top level runs: move "
                                           "the model into its own file or guard the training "
                                           'with `if __name__ == "__main__":`')


def test_constructor_hint_names_the_missing_parameters():
    def VGG(vgg_name, num_classes=10):
        pass
    assert hints.constructor("VGG", VGG, {}) == ("add `kwargs = {vgg_name = ...}` to the claim "
                                                 "(VGG needs vgg_name)")
    assert hints.constructor("VGG", VGG, {"depth": 3}) == ("remove `depth` from `kwargs`: VGG "
                                                           "takes vgg_name, num_classes")
    assert hints.constructor("VGG", VGG, {"vgg_name": "VGG11"}) is None


def test_normalize_hint():
    assert hints.normalize() == (
        "no `normalize` given, and the checkpoint's own accuracy agrees with your claim: did you "
        "train with normalisation? add `normalize = {mean = [...], std = [...]}` to the claim")


def test_missing_module_hint():
    assert hints.missing_module("fp16util", "main.py") == (
        "main.py imports `fp16util`, which is neither in the submission nor installed where the "
        "grader runs: hand in fp16util.py (or the fp16util/ folder) with your code")


def test_main_pickle_hint():
    assert hints.main_pickle("Net", None) == (
        "the checkpoint is a whole pickled model of class `Net` from the script that saved it: "
        "name that script as `code`")


def test_timeout_shows_the_last_output_and_the_top_level_hint():
    text = hints.timed_out("timed out after 60 s (the claim's timeout)",
                           "Epoch 1 loss 2.3\nEpoch 2 loss 1.9\n", "", "train.py")
    assert text == ("timed out after 60 s (the claim's timeout); last output: Epoch 1 loss 2.3 | "
                    "Epoch 2 loss 1.9; it looks like training ran: " + hints.top_level("train.py"))


def test_words_split_lines_at_newlines_only():
    text = "a b\x0cc\nd\u2028e\x85f\n"
    assert tokenize(text, "word") == ["a", "b", "c", "<eos>", "d", "e", "f", "<eos>"]


# ---------------------------------------------------------------- from real re-runs

@pytest.fixture(scope="module")
def verifier(tmp_path_factory):
    data = cifar10(tmp_path_factory.mktemp("data"))
    with ClaimVerifier(data_root=data, device="cpu") as v:
        yield v


def _copy(name: str, sub: Path) -> None:
    src = CORPUS / name
    (shutil.copytree if src.is_dir() else shutil.copyfile)(src, sub / src.name)


@needs_bwrap
def test_missing_constructor_argument(verifier, tmp_path):
    _copy("kuangliu_cifar/models", tmp_path)
    result, _ = verifier.verify(claim(), {"value": 90.0, "code": "models", "model": "VGG"},
                                tmp_path)
    assert result.status is ClaimStatus.ERROR
    assert result.detail.endswith("add `kwargs = {vgg_name = ...}` to the claim (VGG needs "
                                  "vgg_name)")


@needs_bwrap
def test_star_import_of_a_file_not_handed_in(verifier, tmp_path):
    _copy("imagenet/main.py", tmp_path)
    result, _ = verifier.verify(claim(), {"value": 90.0, "code": "main.py",
                                          "model": "models.resnet18"}, tmp_path)
    assert result.status is ClaimStatus.ERROR
    assert hints.missing_module("fp16util", "main.py") in result.detail


@needs_bwrap
def test_model_that_builds_on_torchvision(verifier, tmp_path):
    # MADE UP: a student's model wrapping torchvision's ResNet-18.
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\nimport torchvision\n\n\nclass Net(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.body = torchvision.models.resnet18(num_classes=10)\n\n"
        "    def forward(self, x):\n        return self.body(x)\n")
    result, _ = verifier.verify(claim(), {"value": 90.0, "code": "model.py"}, tmp_path)
    assert result.status is ClaimStatus.ERROR
    assert "the model uses `torchvision.models.resnet18`, which needs torchvision; torchvision " \
           "is not installed where the grader runs" in result.detail


@needs_bwrap
def test_whole_model_pickled_from_a_script_without_code(verifier, tmp_path, monkeypatch):
    import sys
    _copy("seed000/resnet_cifar10.py", tmp_path)
    ns = script_namespace(tmp_path / "resnet_cifar10.py", "BasicBlock")
    for name in ("ResNet", "BasicBlock"):
        monkeypatch.setattr(sys.modules["__main__"], name, ns[name], raising=False)
    torch.save(ns["ResNet"](ns["BasicBlock"], [1, 1, 1, 1]), tmp_path / "whole.pth")
    result, _ = verifier.verify(claim(), {"value": 90.0, "checkpoint": "whole.pth"}, tmp_path)
    assert result.status is ClaimStatus.ERROR
    assert result.detail.startswith(hints.main_pickle("ResNet", None))


@needs_bwrap
def test_top_level_crash_of_a_helper_module(verifier, tmp_path):
    # MADE UP: the model file imports a helper whose top level reads the training data.
    (tmp_path / "data_utils.py").write_text("import numpy as np\n"
                                            "train = np.load('train.npy')\n")
    (tmp_path / "model.py").write_text("import torch.nn as nn\nfrom data_utils import train\n\n"
                                       "class Net(nn.Linear):\n"
                                       "    def __init__(self):\n"
                                       "        super().__init__(len(train), 10)\n")
    result, _ = verifier.verify(claim(), {"value": 90.0, "code": "model.py"}, tmp_path)
    assert result.status is ClaimStatus.ERROR
    assert result.detail.startswith("data_utils.py line 2: FileNotFoundError")
    assert result.detail.endswith(hints.top_level("data_utils.py"))


@needs_bwrap
def test_crash_shows_the_students_last_output(verifier, tmp_path):
    # MADE UP: a model whose forward prints, then fails.
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\n\nclass Net(nn.Module):\n    def forward(self, x):\n"
        "        print('shape', tuple(x.shape))\n        raise RuntimeError('boom')\n")
    result, _ = verifier.verify(claim(), {"value": 90.0, "code": "model.py"}, tmp_path)
    assert result.status is ClaimStatus.ERROR
    assert "last output: shape (20, 3, 32, 32)" in result.detail


@needs_bwrap
def test_normalisation_missing(verifier, tmp_path):
    # MADE UP weights: a model that is right only on normalised inputs (it predicts class 3
    # when a pixel is negative), with the checkpoint's own accuracy stored beside it.
    (tmp_path / "model.py").write_text(
        "import torch\nimport torch.nn as nn\n\nclass Net(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(1, 10)\n"
        "    def forward(self, x):\n        return self.fc(-x.amin((1, 2, 3)).unsqueeze(1))\n")
    fc = torch.nn.Linear(1, 10)
    with torch.no_grad():
        fc.weight.zero_()
        fc.bias.zero_()
        fc.weight[3] = 100.0
        fc.bias[0] = 1.0
    torch.save({"net": {"fc.weight": fc.weight, "fc.bias": fc.bias}, "acc": HONEST},
               tmp_path / "ckpt.pth")
    spec = {"value": HONEST, "code": "model.py", "checkpoint": "ckpt.pth"}
    result, _ = verifier.verify(claim(), spec, tmp_path)
    assert result.status is ClaimStatus.REFUTED
    assert hints.normalize() in result.detail
    fixed, _ = verifier.verify(claim(), {**spec, "normalize": {"mean": [0.5], "std": [0.25]}},
                               tmp_path)
    assert fixed.status is ClaimStatus.VERIFIED, fixed.detail


@needs_bwrap
def test_grade_check_smoke_test_without_the_dataset(tmp_path):
    _copy("kuangliu_cifar/models", tmp_path)
    net = constant(__import__("corpus_helpers").import_file(
        CORPUS / "kuangliu_cifar" / "models" / "lenet.py", "corpus_lenet").LeNet(), "fc3")
    torch.save(net.state_dict(), tmp_path / "lenet.pth")
    spec = {"value": 70.0, "code": "models/lenet.py", "model": "LeNet", "checkpoint": "lenet.pth"}
    with ClaimVerifier(data_root=tmp_path / "nodata", device="cpu", warm=0, smoke=True) as v:
        ok, _ = v.verify(claim(), spec, tmp_path)
        assert ok.status is ClaimStatus.UNVERIFIABLE
        assert ok.detail.endswith("smoke test: the model (imported models.lenet from the package "
                                  "models/) loads and maps zeros of shape 2×3×32×32 to logits of "
                                  "shape 2×10")
        torch.save({"fc9.weight": torch.zeros(1)}, tmp_path / "lenet.pth")
        broken, _ = v.verify(claim(), spec, tmp_path)
    assert broken.status is ClaimStatus.ERROR
    assert broken.detail.startswith("smoke test without the dataset failed: checkpoint does not "
                                    "fit the model")
    assert broken.detail.endswith(hints.other_network())


def test_normalisation_hint_applies_only_when_the_checkpoint_agrees():
    assert hints.normalisation_missing(92.0, 1.0, False, ["acc", 0.921], 40.0)
    assert not hints.normalisation_missing(92.0, 1.0, True, ["acc", 0.921], 40.0)   # given
    assert not hints.normalisation_missing(92.0, 1.0, False, ["acc", 60.0], 40.0)   # disagrees
    assert not hints.normalisation_missing(92.0, 1.0, False, ["acc", 92.0], 91.5)   # verified
    assert not hints.normalisation_missing(92.0, 1.0, False, None, 40.0)


def test_smoke_test_language_model_on_zero_tokens(tmp_path):
    from grader.smoke import zeros_split
    lm = Claim(id="1", task="language-model", metric="perplexity", dataset="text:wt2",
               split="test", tolerance=0.05, target=None, points=10, timeout=60,
               options={"eval_batch_size": 4})
    split = zeros_split(lm)
    assert split.tokens.shape == (36,) and not split.tokens.any()
    assert zeros_split(claim("imagefolder:val")) is None


def test_details_never_name_grader_paths():
    error = ("AttributeError: Can't get attribute 'Net' on <module '__main__' from "
             "'/grader/sandbox_child.py'>")
    assert hints.timed_out(error, "", 'File "/grader/sandbox_child.py", line 9\n', None) == (
        "AttributeError: Can't get attribute 'Net' on the script's `__main__`; last output: "
        "File \"the grader\", line 9")


def test_import_that_runs_too_long_stops_with_the_top_level_hint(tmp_path, monkeypatch):
    import sys
    from grader.studentcode import StudentCodeError, import_code
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    # MADE UP: a helper whose top level trains forever, star-imported by the model's file.
    (tmp_path / "trainer.py").write_text("import time\nwhile True:\n    time.sleep(0.01)\n")
    (tmp_path / "net.py").write_text("from trainer import *\n\nclass Net:\n    pass\n")
    try:
        with pytest.raises(StudentCodeError) as e:
            import_code("net.py", "Net", [], seconds=0.5)
    finally:
        sys.modules.pop("net", None)
        sys.modules.pop("trainer", None)
    assert str(e.value) == "importing net.py took over 0.5 s; " + hints.top_level("trainer.py")


def test_unknown_name_names_the_close_definition_or_says_to_define_it():
    # As in the real programs: `PositionEncoding` beside a defined `PositionalEncoding`; a
    # notebook whose cells never import `nn`.
    assert hints.unknown_name("PositionEncoding", ["__name__", "PositionalEncoding", "math"]) == (
        "did you mean `PositionalEncoding`? (the code defines `PositionalEncoding`, not "
        "`PositionEncoding`)")
    assert hints.unknown_name("nn", ["__name__", "Net", "Net2"]) == (
        "define `nn` in the code you hand in, or import it there")
