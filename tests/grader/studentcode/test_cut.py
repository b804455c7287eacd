"""The syntax-tree cut, the notebook reader and the optional-import stand-ins, without a sandbox."""
from __future__ import annotations

import ast
import sys

import nbformat
import pytest

from corpus_helpers import CORPUS
from grader.studentcode import MissingDependency
from grader.studentcode.cut import cut_module, summary
from grader.studentcode.notebook import notebook_source
from grader.studentcode.stubs import OptionalImports


def kept(path, model: str) -> str:
    return ast.unparse(cut_module(path.read_text(encoding="utf-8"), str(path), {model}).tree)


def test_seed_script_keeps_its_network_and_drops_its_training():
    text = kept(CORPUS / "seed000" / "resnet_cifar10.py", "resnet18")
    for name in ("class BasicBlock", "class ResNet", "def resnet18", "import torch.nn as nn",
                 "import torch.nn.functional as F"):
        assert name in text
    for gone in ("CIFAR10", "DataLoader(", "import torchvision", "matplotlib", "manual_seed",
                 "__main__", "device = "):
        assert gone not in text


def test_training_script_keeps_star_imports_and_drops_argparse():
    text = kept(CORPUS / "kuangliu_cifar" / "main.py", "ResNet18")
    assert "from models import *" in text
    for gone in ("parse_args", "from prune_params import", "from utils import progress_bar",
                 "net = torch.nn.DataParallel(net)", "datasets.CIFAR10", "import torchvision"):
        assert gone not in text


def test_needed_assignments_follow_what_the_model_uses():
    source = ("import torch.nn as nn\nimport json\nWIDTH = 2 * BASE\nBASE = 8\nunused = open('x')\n"
              "cfg = json.load(open('cfg.json'))\n"
              "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
              "        self.fc = nn.Linear(WIDTH, 10)\n"
              "for epoch in range(10):\n    train()\n")
    cut = cut_module(source, "train.py", {"Net"})
    text = ast.unparse(cut.tree)
    assert "WIDTH = 2 * BASE" in text and "BASE = 8" in text
    assert "unused" not in text and "cfg" not in text and "import json" not in text
    assert summary(cut.skipped) == ("an assignment the model does not need (×2), "
                                    "an import the model does not need, a loop")


def test_guarded_imports_keep_their_fallback():
    source = ("try:\n    from tqdm import tqdm\nexcept ImportError:\n    tqdm = list\n"
              "def Net():\n    return tqdm([1])\n")
    text = ast.unparse(cut_module(source, "m.py", {"Net"}).tree)
    assert "except ImportError:" in text and "tqdm = list" in text


def test_notebook_magics_and_shell_lines_are_not_python(tmp_path):
    cells = ["%matplotlib inline\n!pip install torch", "%%bash\nls -l",
             "%%time\nimport torch.nn as nn", "for i in range(3):\n    !echo {i}",
             "x = !ls", "class Net(nn.Module):\n    pass", "def broken(:\n    pass"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, tmp_path / "hw.ipynb")
    src = notebook_source(str(tmp_path / "hw.ipynb"))
    ast.parse(src.source)
    assert "import torch.nn as nn" in src.source and "class Net" in src.source
    assert src.skipped == ["cell 2: a cell magic",
                           "cell 7: does not parse (line 1: invalid syntax)"]
    assert src.line_of(src.source.splitlines().index("class Net(nn.Module):") + 1) == \
        "cell 6 line 1"


def test_absent_optional_packages_import_and_fail_only_when_used():
    finder = OptionalImports()
    finder._present["wandb"] = False        # as where wandb is not installed
    sys.meta_path.insert(0, finder)
    try:
        sys.modules.pop("wandb", None)
        import wandb
        with pytest.raises(MissingDependency, match=r"the model uses `wandb.init`, which needs "
                                                    r"wandb; wandb is not installed"):
            wandb.init(project="hw")
        with pytest.raises(MissingDependency):
            class Net(wandb.Model):
                pass
    finally:
        sys.meta_path.remove(finder)
        sys.modules.pop("wandb", None)
