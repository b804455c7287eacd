"""Shapes of real homework that the re-run met and now handles (a robustness pass against 18
real scripts and notebooks). Each student program below is WRITTEN HERE after the shape of the
real one named beside it (public code is not copied into the repo); the comment says what of
it the test keeps."""
from __future__ import annotations

import ast
import json
import sys

import pytest
import torch

from grader.evaluation import Failure
from grader.evaluation.images import _explain, _forward
from grader.studentcode import construct
from grader.studentcode.cut import cut_module
from grader.studentcode.notebook import notebook_source


def run_cut(source: str, model: str) -> dict:
    tree = cut_module(source, "student.py", {model}).tree
    namespace: dict = {"__name__": "student"}
    exec(compile(tree, "student.py", "exec"), namespace)
    return namespace


# Written after west2-online-reserve/collection-ai work1/wjord2023/AI-Work03/CNN-mnist.ipynb:
# a notebook whose data cell binds `x, y` from a torchvision loader before the model's cell;
# the model's forward names its own argument `x`.
NOTEBOOK_MODEL = '''import torch
import torchvision
loader = torch.utils.data.DataLoader(torchvision.datasets.MNIST(root="./data"), batch_size=64)
x, y = next(iter(loader))
class Model(torch.nn.Module):
    def __init__(self):
        super(Model, self).__init__()
        self.fc = torch.nn.Linear(4, 10)
    def forward(self, x):
        x = x.flatten(start_dim=1)
        return self.fc(x)
'''


def test_a_method_local_name_does_not_pull_in_the_top_level_binding_of_that_name():
    text = ast.unparse(cut_module(NOTEBOOK_MODEL, "nb.py", {"Model"}).tree)
    assert "class Model" in text
    assert "next(iter(loader))" not in text and "MNIST" not in text


# Written after liyunzhi19871120/home diary/20210722.py: imports, device and the network class
# all inside `if __name__ == "__main__":`, the model built and printed there.
MAIN_BLOCK_MODEL = '''"""learning"""
if __name__ == "__main__":
    import torch
    from torch import nn
    device = "cuda" if torch.cuda.is_available() else "cpu"
    class NeuralNetwork(nn.Module):
        def __init__(self):
            super(NeuralNetwork, self).__init__()
            self.flatten = nn.Flatten()
            self.stack = nn.Sequential(nn.Linear(28 * 28, 16), nn.ReLU(), nn.Linear(16, 10))
        def forward(self, x):
            return self.stack(self.flatten(x))
    model = NeuralNetwork().to(device)
    print(model)
    raise SystemExit("training ran")
'''


def test_a_class_defined_inside_the_main_block_is_hoisted_without_the_block():
    namespace = run_cut(MAIN_BLOCK_MODEL, "NeuralNetwork")
    net = namespace["NeuralNetwork"]()
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert "model" not in namespace             # the block's own statements did not run


# Written after a public word-language-model's model.py (index file 25144461163): RNNModel
# beside a ModelWrapper whose __init__ uses MultiConvModule from conv_model.py, not handed in.
TWO_MODELS = '''import torch.nn as nn
from conv_model import MultiConvModule
class RNNModel(nn.Module):
    def __init__(self, ntoken, nhid):
        super(RNNModel, self).__init__()
        self.encoder = nn.Embedding(ntoken, nhid)
class ModelWrapper(nn.Module):
    def __init__(self, ntoken, nhid):
        super(ModelWrapper, self).__init__()
        self.conv_module = MultiConvModule(1, nhid)
'''


def test_an_import_only_another_class_uses_is_not_needed_by_the_model():
    namespace = run_cut(TWO_MODELS, "RNNModel")
    assert namespace["RNNModel"](5, 3).encoder.num_embeddings == 5
    with pytest.raises(NameError, match="MultiConvModule"):
        namespace["ModelWrapper"](5, 3)


def test_a_global_a_method_reads_is_still_kept():
    source = "import torch.nn as nn\nHIDDEN = 7\nclass Net(nn.Module):\n" \
             "    def __init__(self):\n        super().__init__()\n" \
             "        self.fc = nn.Linear(HIDDEN, 2)\n"
    assert run_cut(source, "Net")["Net"]().fc.in_features == 7


# Written after west2-online-reserve/collection-ai pre_task/2023/work2/theory7766/01.py:
# `ResNet(ResBlock, num_classes)` takes the block class as a required argument.
BLOCK_ARGUMENT = '''import torch.nn as nn
class ResBlock(nn.Module):
    def __init__(self, c_in, c_out):
        super(ResBlock, self).__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
class ResNet(nn.Module):
    def __init__(self, ResBlock, num_classes):
        super(ResNet, self).__init__()
        self.layer1 = ResBlock(3, 4)
        self.linear = nn.Linear(4, num_classes)
'''


def test_a_required_parameter_named_after_a_class_of_the_code_gets_that_class():
    module = type(sys)("student")
    module.__dict__.update(run_cut(BLOCK_ARGUMENT, "ResNet"))
    notes: list[str] = []
    kwargs = construct.arguments(module.ResNet, {"num_classes": 100}, module, notes)
    net = module.ResNet(**kwargs)
    assert isinstance(net.layer1, module.ResBlock) and net.linear.out_features == 100
    assert notes == ["ResBlock = the class ResBlock of the code"]
    assert construct.arguments(module.ResNet, {"num_classes": 1}, type(sys)("empty"), []) \
        == {"num_classes": 1}


# Written after west2-online-reserve/collection-ai pre_task/2023/work1/AI组第三轮/mnist02.py:
# `def get_model(): model = Net(); return model, optim.Adam(model.parameters(), lr=0.001)`.
def test_a_factory_returning_the_model_and_its_optimizer_gives_the_model():
    net = torch.nn.Linear(2, 2)
    assert construct.network((net, torch.optim.Adam(net.parameters()))) is net
    assert construct.network(net) is net
    assert construct.network(("a", 1)) == ("a", 1)        # nothing to take: the caller says so


# Written after west2-online-reserve/collection-ai pre_task/2023/work1/cyb66666/cyb_mnist.py:
# an MLP whose first layer is Linear(28*28, 64); the script calls `net(x.view(-1, 28*28))`.
class FlatMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.li1 = torch.nn.Linear(28 * 28, 64)
        self.li2 = torch.nn.Linear(64, 10)

    def forward(self, x):
        return self.li2(torch.relu(self.li1(x)))


def test_an_mlp_taking_vectors_gets_the_images_flattened_and_a_note():
    notes: list[str] = []
    y, flat = _forward(FlatMLP(), torch.zeros(3, 1, 28, 28), False, notes)
    assert y.shape == (3, 10) and flat
    assert notes == ["the images were flattened to 784 features: the model's first layer is a "
                     "Linear"]
    y, flat = _forward(FlatMLP(), torch.zeros(2, 1, 28, 28), True, notes)
    assert y.shape == (2, 10) and len(notes) == 1


# Written after west2-online-reserve/collection-ai pre_task/2023/work1/Starryship/mnist.ipynb:
# forward flattens with `x = x.view(64, -1)`, the training loader's batch size.
class FixedBatch(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 3, 3)
        self.fc = torch.nn.Linear(3 * 26 * 26, 10)

    def forward(self, x):
        x = self.conv(x)
        x = x.view(64, -1)
        return self.fc(x)


def test_a_batch_size_written_into_forward_is_one_line_naming_the_fix():
    with pytest.raises(Failure) as failed:
        _forward(FixedBatch(), torch.zeros(2, 1, 28, 28), False, [])
    line = str(failed.value)
    assert line.startswith("test_real_shapes.py line ")
    assert line.endswith("RuntimeError: shape '[64, -1]' is invalid for input of size 4056: "
                         "forward assumes a batch of 64 images, and the grader's batches have "
                         "other sizes: write `x.view(x.size(0), -1)`")
    assert "\n" not in line


def test_a_shape_error_of_the_grader_batch_itself_gets_no_batch_hint():
    try:
        torch.zeros(2, 3).view(2, -1, 5)
    except RuntimeError as e:
        assert "forward assumes" not in _explain(e, 2)


def test_reading_a_notebook_without_cell_ids_prints_no_validator_warning(tmp_path, capfd):
    # Cell ids are absent from notebooks saved by nbformat < 4.5, as many homework notebooks are.
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": ["import torch\n"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "hw.ipynb").write_text(json.dumps(nb))
    assert notebook_source(str(tmp_path / "hw.ipynb")).source == "import torch\n"
    assert "Warning" not in capfd.readouterr().err


# Written after a public transformer language model (index file 14531374948, tab-indented):
# TransformerModel.__init__ builds `PositionEncoding(d_model, dropout)` while the file defines
# `PositionalEncoding`; forward is `forward(self, src, src_mask)`.
TAB_TRANSFORMER = (
    "import math\nimport torch\nfrom torch import nn\n"
    "class TransformerModel(nn.Module):\n"
    "\tdef __init__(self, n_token, d_model):\n"
    "\t\tsuper().__init__()\n"
    "\t\tself.pos_encoder = PositionEncoding(d_model)\n"
    "class PositionalEncoding(nn.Module):\n"
    "\tdef __init__(self, d_model):\n"
    "\t\tsuper().__init__()\n")


def test_a_misspelt_class_name_is_one_line_naming_the_defined_one(tmp_path, monkeypatch):
    from grader.studentcode.loader import describe, import_code
    monkeypatch.chdir(tmp_path)
    (tmp_path / "transformer.py").write_text(TAB_TRANSFORMER)
    module = import_code("transformer.py", "TransformerModel", [])
    try:
        module.TransformerModel(12, 16)
    except NameError as e:
        line = describe(e)
    assert line == ("transformer.py line 7: NameError: name 'PositionEncoding' is not defined: "
                    "did you mean `PositionalEncoding`? (the code defines `PositionalEncoding`, "
                    "not `PositionEncoding`)")
    sys.modules.pop("transformer", None)


class MaskedLM(torch.nn.Module):
    """forward(src, src_mask) as in PyTorch's transformer tutorial (seq-first)."""

    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(12, 8)
        layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
        self.enc = torch.nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        self.out = torch.nn.Linear(8, 12)

    def forward(self, src, src_mask):
        return self.out(self.enc(self.emb(src), src_mask))


def test_a_transformer_taking_src_mask_gets_the_causal_mask():
    from grader.evaluation.language import _causal_check, _forward as lm_forward
    model = MaskedLM().eval()
    x = torch.randint(0, 12, (6, 3))
    logp, hidden = lm_forward(model, x, None, "seq-first", 6, 3)
    assert logp.shape == (6, 3, 12) and hidden is None
    assert _causal_check(model, x, "seq-first", 3, False)["ok"]


# Written after a public seq2seq file (index file 14792787676): TinyTransformer.forward(src, tgt).
class Seq2Seq(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(12, 4)

    def forward(self, src, tgt):
        return self.emb(src) + self.emb(tgt)


def test_a_model_needing_two_inputs_is_one_line_naming_the_forward_to_write():
    from grader.evaluation.language import _forward as lm_forward
    with pytest.raises(Failure) as failed:
        lm_forward(Seq2Seq(), torch.zeros(5, 2, dtype=torch.long), None, "batch-first", 5, 2)
    assert str(failed.value) == (
        "Seq2Seq.forward takes (src, tgt), and a language-model claim calls model(x), "
        "model(x, src_mask) or model(x, hidden) with init_hidden(batch): give the model a "
        "forward(x) that returns the next-token logits")


def test_a_library_warning_while_importing_is_not_the_students_output(tmp_path, monkeypatch):
    # As torch's `enable_nested_tensor is True, but ...` notice, raised from torch's own module
    # while the student's TinyTransformer is built (it came back as the student's last output).
    import warnings
    from grader.studentcode.loader import import_code
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny_lm.py").write_text("import torch\n")
    import_code("tiny_lm.py", "LM", [])
    raise_in = ("import warnings\nwarnings.warn('enable_nested_tensor is True', UserWarning)\n"
                "warnings.warn('the student says so', UserWarning)\n")
    with warnings.catch_warnings(record=True) as seen:
        exec(compile(raise_in, "transformer.py", "exec"),
             {"__name__": "torch.nn.modules.transformer"})
        exec(compile(raise_in.splitlines()[0] + "\n" + raise_in.splitlines()[2], "tiny_lm.py",
                     "exec"), {"__name__": "tiny_lm"})
    assert [str(w.message) for w in seen] == ["the student says so"]
    sys.modules.pop("tiny_lm", None)


def test_the_batch_size_hint_names_the_notebook_cell(tmp_path, monkeypatch):
    # The notebook shape of Starryship/mnist.ipynb: imports in cell 1, the network in cell 2.
    import nbformat
    from grader.studentcode.loader import import_code
    monkeypatch.chdir(tmp_path)
    network = ("class net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
               "        self.conv = nn.Conv2d(1, 3, 3)\n        self.fc = nn.Linear(3 * 26 * 26, 10)\n"
               "    def forward(self, x):\n        x = self.conv(x)\n        x = x.view(64, -1)\n"
               "        return self.fc(x)\n")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%matplotlib inline\nimport torch\nfrom torch import nn"),
        nbformat.v4.new_code_cell(network)])
    nbformat.write(nb, str(tmp_path / "mnist_nb.ipynb"))
    model = import_code("mnist_nb.ipynb", "net", []).net()
    with pytest.raises(Failure) as failed:
        _forward(model, torch.zeros(2, 1, 28, 28), False, [])
    assert str(failed.value).startswith("mnist_nb.ipynb cell 2 line 8: RuntimeError: shape "
                                        "'[64, -1]' is invalid")
    sys.modules.pop("mnist_nb", None)


def test_the_main_block_gives_definitions_and_imports_never_its_assignments():
    # kuangliu-style: `device` at the top level, `args`/`device` again inside the main block;
    # a method reads `device`. Hoisting the block's assignments would run parse_args.
    source = ("import torch\nimport argparse\ndevice = 'cpu'\n"
              "class Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
              "        self.fc = torch.nn.Linear(2, 2).to(device)\n"
              "if __name__ == '__main__':\n    import math\n"
              "    args = argparse.ArgumentParser().parse_args(['--nope'])\n"
              "    device = torch.device(args.device)\n"
              "    class Head(torch.nn.Module):\n        def forward(self, x):\n"
              "            return x * math.pi\n")
    namespace = run_cut(source, "Net")
    assert namespace["Net"]().fc.weight.device.type == "cpu"
    assert float(namespace["Head"]()(torch.ones(1))) == pytest.approx(3.14159, abs=1e-4)
    assert "args" not in namespace
