"""`grade key` and `grade ref`: the answer key and quick reference answers from the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from click.testing import CliRunner

from grader.assignment import QUESTION_KINDS
from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_key_json_has_every_kind_with_steps() -> None:
    code, out, _ = invoke("key", str(ROOT / "assignments" / "demo"), "--json")
    assert code == 0
    key = json.loads(out)
    assert key["assignment"] == "demo"
    assert {q["kind"] for q in key["questions"]} == set(QUESTION_KINDS)
    for q in key["questions"]:
        assert list(q) == ["id", "kind", "answer", "steps"]
        if q["kind"] not in ("manual", "choice", "expression"):
            assert q["steps"], f"{q['id']} has no steps"
    by_id = {q["id"]: q for q in key["questions"]}
    assert by_id["1.3"]["answer"] == sum(p.numel() for p in torch.nn.Conv2d(3, 32, 3).parameters())
    assert by_id["10"]["answer"] is None


def test_key_terminal_shows_steps() -> None:
    code, out, _ = invoke("key", str(ROOT / "assignments" / "demo"))
    assert code == 0
    assert "3·3·3·32 + 32 = 896" in out


def test_key_of_a_missing_assignment() -> None:
    code, _, err = invoke("key", "no/such/place")
    assert code == 1
    assert err.strip() == "Error: no/such/place: no such file"


def test_ref_shapes_matches_torch() -> None:
    code, out, _ = invoke("ref", "shapes", "--input", "32x32x3", "--json",
                          "--layer", "conv2d filters=32 kernel=3 padding=same",
                          "--layer", "maxpool2d kernel=2",
                          "--layer", "conv2d filters=64 kernel=3 stride=2")
    assert code == 0
    rows = json.loads(out)
    x = torch.zeros(1, 3, 32, 32, device="meta")
    convs = [torch.nn.Conv2d(3, 32, 3, padding=1), torch.nn.MaxPool2d(2),
             torch.nn.Conv2d(32, 64, 3, stride=2)]
    for row, layer in zip(rows, convs):
        x = layer.to("meta")(x)
        assert row["output"] == [x.shape[2], x.shape[3], x.shape[1]]
        assert row["params"] == sum(p.numel() for p in layer.parameters())


def test_ref_shapes_bad_layer_is_one_line() -> None:
    code, _, err = invoke("ref", "shapes", "--input", "8x8x3", "--layer", "conv2d filters=4 kernel=9")
    assert code == 1
    assert err.strip().startswith("Error: layer 1 (conv2d): kernel 9")
    assert len(err.strip().splitlines()) == 1


def test_ref_summary_zoo_and_file(tmp_path: Path) -> None:
    code, out, _ = invoke("ref", "summary", "resnet18_cifar", "--num-classes", "10", "--json")
    assert code == 0
    assert json.loads(out)["total_params"] == 11_173_962
    model_py = tmp_path / "net.py"
    model_py.write_text("import torch.nn as nn\nclass Net(nn.Module):\n"
                        "    def __init__(self, width=8):\n        super().__init__()\n"
                        "        self.conv = nn.Conv2d(1, width, 3)\n"
                        "    def forward(self, x):\n        return self.conv(x)\n")
    code, out, _ = invoke("ref", "summary", f"{model_py}:Net", "--kwarg", "width=4",
                          "--input", "1,10,10")
    assert code == 0
    assert "Conv2d-1" in out and "[-1, 4, 8, 8]" in out and "Total params: 40" in out


def test_ref_summary_unknown_model() -> None:
    code, _, err = invoke("ref", "summary", "resnet19")
    assert code == 1
    assert err.startswith("Error: resnet19: ")


def test_ref_attention_inline() -> None:
    code, out, _ = invoke("ref", "attention", "--Q", "1 0; 0 1", "--K", "[[1,0],[0,1]]",
                          "--V", "[[1,2],[3,4]]", "--json")
    assert code == 0
    got = json.loads(out)
    q = torch.eye(2)[None]
    v = torch.tensor([[1.0, 2.0], [3.0, 4.0]])[None]
    want = torch.nn.functional.scaled_dot_product_attention(q, q, v)[0]
    assert torch.allclose(torch.tensor(got["output"]["answer"]), want, atol=1e-6)
    assert got["shape"]["answer"] == [2, 2]


def test_ref_attention_bad_matrix() -> None:
    code, _, err = invoke("ref", "attention", "--Q", "[[1,0],[0]]", "--K", "1", "--V", "1")
    assert code == 1
    assert err.strip() == "Error: --Q '[[1,0],[0]]' is not a rectangular matrix"


def test_ref_attention_from_a_file_with_a_causal_mask(tmp_path: Path) -> None:
    qkv = tmp_path / "qkv.toml"
    qkv.write_text('Q = [[1, 0], [0, 1], [1, 1]]\nK = [[1, 0], [0, 1], [1, 1]]\n'
                   'V = [["1/2", 0], [0, 1], [1, 1]]\n')
    code, out, _ = invoke("ref", "attention", "--file", str(qkv), "--mask", "causal", "--json")
    assert code == 0
    q = torch.tensor([[1.0, 0], [0, 1], [1, 1]])[None]
    v = torch.tensor([[0.5, 0], [0, 1], [1, 1]])[None]
    want = torch.nn.functional.scaled_dot_product_attention(q, q, v, is_causal=True)[0]
    assert torch.allclose(torch.tensor(json.loads(out)["output"]["answer"]), want, atol=1e-6)


def test_key_as_markdown_shows_answers_and_steps() -> None:
    code, out, _ = invoke("key", str(ROOT / "assignments" / "demo"), "--markdown")
    assert code == 0
    assert out.startswith("# Answer key · demo")
    assert "## 1.3 · *cnn.params*" in out and "3·3·3·32 + 32 = 896" in out
