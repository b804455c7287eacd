"""`grade ref summary` / `ref shapes`: models a student writes summarise from the CLI, and every
failure the issue lists is one line on stderr, never a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main

MODELS = Path(__file__).resolve().parent / "ref_models" / "torchinfo_like.py"


def ref(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["ref", *args])
    return result.exit_code, result.stdout, result.stderr


def one_line_error(*args: str) -> str:
    code, out, err = ref(*args)
    assert code == 1 and out == "", (code, out, err)
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err.removeprefix("Error: ").strip()


@pytest.mark.parametrize("name,args,row", [
    ("LSTMNet", ["--input", "100", "--dtype", "long", "--batch-dim", "1"],
     "LSTM-2  [[100, -1, 512], [[2, -1, 512], [2, -1, 512]]]"),
    ("MultipleInputNetDifferentDtypes", ["--input", "1,300", "--input", "1,300:long"],
     "Linear-4                [-1, 1, 10]"),
    ("SiameseNets", ["--input", "1,88,88", "--input", "1,88,88"], "Linear-9                 [-1, 4096]"),
    ("ScalarNet", ["--input", "64,28,28", "--forward-kwarg", "scalar=5"], "Conv2d-1           [-1, 64, 28, 28]"),
    ("PackPaddedLSTM", ["--input", "10:long", "--batch-dim", "1", "--forward-kwarg", "lengths=10,10"],
     "Embedding-1              [10, -1, 128]"),
    ("SimpleRNN", ["--input", "3"], "LSTMCell-7         [[-1, 2], [-1, 2]]"),
    ("MultiDeviceModel", ["--input", "10"], "Linear-3                    [-1, 5]"),
])
def test_torchinfo_fixture_models_summarise(name: str, args: list[str], row: str) -> None:
    code, out, err = ref("summary", f"{MODELS}:{name}", *args)
    assert code == 0, err
    assert row in out


def test_lstm_hidden_state_rows_show_layers_and_batch(tmp_path: Path) -> None:
    code, out, _ = ref("summary", f"{MODELS}:LSTMNet", "--input", "35:long", "--batch-dim", "1",
                       "--kwarg", "num_layers=3", "--json")
    assert code == 0
    import json
    data = json.loads(out)
    lstm = data["rows"][1]
    assert lstm["output_shape"] == [[35, -1, 512], [[3, -1, 512], [3, -1, 512]]]
    assert data["total_flops"] == 2 * data["total_macs"] == 2 * sum(r["macs"] for r in data["rows"])
    assert data["device"] == "meta" and data["notes"] == []


def write(tmp_path: Path, body: str) -> str:
    path = tmp_path / "net.py"
    path.write_text("import torch\nfrom torch import nn\n\n" + body)
    return str(path)


FALLBACK = {
    "zeros without a device": "h = torch.zeros(x.size(0), 8)\n        return self.fc(x) + h",
    ".item()": "return self.fc(x) * float(x.sum().item() + 1)",
    'x.to("cpu")': 'return self.fc(x.to("cpu"))',
}


@pytest.mark.parametrize("forward", FALLBACK.values(), ids=list(FALLBACK))
def test_meta_failures_fall_back_to_real_zeros(tmp_path: Path, forward: str) -> None:
    model = write(tmp_path, "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                  f"        self.fc = nn.Linear(4, 8)\n\n    def forward(self, x):\n        {forward}\n")
    code, out, err = ref("summary", model, "--input", "4")
    assert code == 0, err
    assert "Linear-1                    [-1, 8]              40              32" in out
    assert "real zeros on the CPU" in out


NET = ("class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
       "        self.fc1 = nn.Linear(320, 50)\n\n    def forward(self, x, y=None):\n        {}\n")


@pytest.mark.parametrize("forward,expected", [
    ("return self.fc1(x)",
     "net.py on input 400 (C,H,W for images, batch left out): layer fc1 (Linear) given [2, 400] "
     "(the dry run's batch of 2 included): "
     "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x400 and 320x50)"),
    ("raise TypeError('expects a dict')",
     "net.py on input 400 (C,H,W for images, batch left out): forward of Net: TypeError: expects a dict"),
    ("assert x.dim() == 4, 'want images'",
     "net.py on input 400 (C,H,W for images, batch left out): forward of Net: AssertionError: want images"),
])
def test_forward_failures_name_the_layer_and_shapes(tmp_path: Path, forward: str, expected: str) -> None:
    model = write(tmp_path, NET.format(forward))
    assert one_line_error("summary", model, "--input", "400").endswith(expected.removeprefix("net.py"))


def test_several_inputs_missing_one(tmp_path: Path) -> None:
    model = write(tmp_path, NET.format("return self.fc1(x) + y"))
    assert "forward of Net: TypeError: unsupported operand" in one_line_error(
        "summary", model, "--input", "320")


@pytest.mark.parametrize("args,expected", [
    (["shapes", "--input", "3x32x32", "--layer", "conv2d filters=8 kernel=3"],
     "--input '3x32x32' looks like C×H×W; this command reads H×W×C: write 32x32x3"),
    (["summary", "resnet18", "--input", "32x32x3"],
     "--input '32x32x3' looks like H×W×C; this command reads C,H,W: write 3,32,32"),
    (["summary", "resnet18", "--input", "a,b"], "--input 'a,b' is not a shape like 3,32,32 (C,H,W)"),
    (["summary", "resnet18", "--input", "3,32,32", "--input", "3,32,32"],
     "resnet18: a zoo model takes one image input (C,H,W)"),
    (["summary", "lenet5", "--input", "1,8,8"], "lenet5: image_size 8 is too small (needs at least 16)"),
    (["summary", "nosuch.py", "--input", "3"], "nosuch.py: no such file"),
    (["summary", "resnet18", "--input", "3,32,32", "--dtype", "long"],
     "resnet18: a zoo model takes one image input (C,H,W)"),
    (["summary", f"{MODELS}:MultiDeviceModel", "--input", "10", "--dtype", "complex"],
     "dtype 'complex' is not one of"),
])
def test_input_mistakes_are_one_line(args: list[str], expected: str) -> None:
    assert expected in one_line_error(*args)


def test_file_model_needs_an_input(tmp_path: Path) -> None:
    model = write(tmp_path, NET.format("return self.fc1(x)"))
    assert one_line_error("summary", model) == f"{model}: give --input (C,H,W for images, T for token ids)"


def test_lenet5_at_28_by_28() -> None:
    code, out, err = ref("summary", "lenet5", "--input", "1,28,28")
    assert code == 0, err
    assert "Linear-7                  [-1, 120]          30,840" in out


def test_ref_shapes_rows_carry_macs_and_receptive_fields() -> None:
    import json
    code, out, err = ref("shapes", "--input", "32x32x3", "--json",
                         "--layer", "conv2d filters=32 kernel=3 padding=same",
                         "--layer", "maxpool2d kernel=2",
                         "--layer", "convtranspose2d filters=8 kernel=2 stride=2",
                         "--layer", "flatten")
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["macs"], r["rf"], r["jump"]) for r in rows] == [
        (3 * 3 * 3 * 32 * 32 * 32, 3, 1), (0, 4, 2), (262_144, 4, 1), (0, None, None)]


def test_seq_first_layers_fed_batch_first_get_a_note() -> None:
    _, out, _ = ref("summary", f"{MODELS}:LSTMNet", "--input", "100", "--dtype", "long")
    assert "Note: encoder is seq-first (batch_first=False); if the inputs are (T, N)" in out
    _, out, _ = ref("summary", f"{MODELS}:LSTMNet", "--input", "100", "--dtype", "long",
                    "--batch-dim", "1")
    assert "Note:" not in out
