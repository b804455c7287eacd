"""What the sandbox writes in English comes out in Chinese on the parent's side: the texts here
are made by the very functions the child and the sandbox use (hints, deaths, bounds, the
checkpoint that does not fit, the child's own failures), then said through `from_sandbox`.
English stays byte for byte as sent; Python's own messages and the student's words stay too."""
from __future__ import annotations

import ast
import re
import signal
import types
from pathlib import Path

import pytest
import torch.nn as nn

from english_scan import english_runs
from grader import sandbox_child
from grader.i18n import use_language
from grader.i18n.labels import check_name
from grader.i18n.matching import compile_template, translate
from grader.i18n.sandbox_text import from_sandbox, msgids, templates
from grader.sandbox import Outcome, describe
from grader.sandbox.protocol import death, explain
from grader.studentcode import hints, stubs
from grader.studentcode.checkpoint import fit_state
from grader.studentcode.errors import StudentCodeError

ROOT = Path(__file__).resolve().parents[2]


class Net(nn.Module):
    def __init__(self, width: int, classes: int = 10) -> None:
        super().__init__()
        self.fc = nn.Linear(4, width)
        self.out = nn.Linear(width, classes)


def _mismatch(own: nn.Module, other: dict, factory=None) -> str:
    with pytest.raises(StudentCodeError) as e:
        fit_state(own, other, [], "Net", factory)
    return str(e.value)


def _raised(fn, *args) -> str:
    with pytest.raises(Exception) as e:
        fn(*args)
    return str(e.value)


def _failure(fn, *args) -> str:
    with pytest.raises(sandbox_child.Failure) as e:
        fn(*args)
    return str(e.value)


def _filled() -> list[str]:
    """The note `construct.arguments` writes when a required parameter gets the student's class."""
    from grader.studentcode import construct
    block = types.ModuleType("model")
    block.ResBlock = type("ResBlock", (), {})
    notes: list[str] = []

    def resnet(ResBlock, num_classes=10):  # noqa: N803 (named as the real homework names it)
        return None
    assert construct.arguments(resnet, {}, block, notes) == {"ResBlock": block.ResBlock}
    return notes


def child_texts() -> dict[str, str]:
    """name -> an English text exactly as the child or the sandbox writes it."""
    module = types.ModuleType("model")
    module.DigitsMLP = type("DigitsMLP", (), {"__module__": "model"})
    module.width = 3
    empty = types.ModuleType("empty")
    late = Outcome(False, death(1, False, 60.0), stderr="loading...\nKilled\n")
    explain(late)
    return {
        "unknown kwarg": "model.py line 12: TypeError: Net.__init__() got an unexpected keyword "
                         "argument 'depth': " + hints.constructor("Net", Net, {"width": 3,
                                                                              "depth": 2}),
        "missing kwargs": hints.constructor("Net", Net, {}),
        "missing kwarg": hints.constructor("Net", Net, {"classes": 3}),
        "no arguments": hints.constructor("f", lambda: None, {"x": 1}),
        "missing module": "train.py line 3: ModuleNotFoundError: No module named 'wandb': "
                          + hints.missing_module("wandb.sdk", "train.py"),
        "import timeout": hints.import_timeout("train.py", 20.0, "utils.py"),
        "missing module, no file": hints.missing_module("helpers", "your code"),
        "missing dependency": "model.py line 5: MissingDependency: " + _raised(
            stubs._Missing("wandb.Table")),
        "pickled main": hints.main_pickle("Net", "model.py"),
        "pickled main, no code": hints.main_pickle("Net", None),
        "not weights": hints.not_a_state_dict("dict with keys ['epoch', 'optimizer']"),
        "shapes": _mismatch(Net(8), Net(16).state_dict(), Net),
        "other network": _mismatch(Net(8), {"conv.weight": Net(8).fc.weight.detach(),
                                            "fc.bias": Net(8).fc.bias.detach()}),
        "timeout with training": hints.timed_out(
            death(None, True, 60.0), "epoch 1 loss 2.3\nepoch 2 loss 1.9\n", "", "train.py",
            say=lambda m: m),
        "segfault": death(-int(signal.SIGSEGV), False, 60.0),
        "oom": death(-int(signal.SIGKILL), False, 60.0),
        "exit status, last stderr": late.error,
        "bounds": describe(Outcome(False, bounds={
            "cgroup": "cgroup v2", "pids": 512, "peak_mb": 147,
            "tmpfs_mb": {"/tmp": 512, "/dev/shm": 256, "/submission": 2048}})),
        "no cgroup": describe(Outcome(False, bounds={"cgroup": None, "tmpfs_mb": {}})),
        "no such model": _failure(sandbox_child._factory, module, "Net", "model.py"),
        "no class at all": _failure(sandbox_child._factory, empty, "Net", "model.py"),
        "not callable": _failure(sandbox_child._factory, module, "width", "model.py"),
        "unknown name, close": "model.py line 30: NameError: name 'PositionEncoding' is not "
                               "defined: " + hints.unknown_name("PositionEncoding",
                                                                ["PositionalEncoding", "Net"]),
        "unknown name": "model.py line 4: NameError: name 'nn' is not defined: "
                        + hints.unknown_name("nn", ["Net"]),
        "batch in forward": "mnist.ipynb cell 3 line 21: RuntimeError: shape '[64, -1]' is "
                            "invalid for input of size 12544: forward assumes a batch of 64 "
                            "images, and the grader's batches have other sizes: write "
                            "`x.view(x.size(0), -1)`",
        "flattened": "the images were flattened to 784 features: the model's first layer is a "
                     "Linear",
        "block class filled": "; ".join(_filled()),
        "seq2seq forward": "Seq2Seq.forward takes (src, tgt), and a language-model claim calls "
                           "model(x), model(x, src_mask) or model(x, hidden) with "
                           "init_hidden(batch): give the model a forward(x) that returns the "
                           "next-token logits",
    }


TEXTS = child_texts()


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_english_comes_through_byte_for_byte(name: str) -> None:
    text = TEXTS[name]
    with use_language("en"):
        assert from_sandbox(text) == text
    assert translate(text, templates(), lambda m: m) == text     # the match loses nothing


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_child_text_is_said_in_chinese(name: str) -> None:
    with use_language("zh"):
        said = from_sandbox(TEXTS[name])
    assert said != TEXTS[name]
    assert english_runs(said, ["loading..."]) == [], said


def test_numbers_names_and_python_messages_stay_as_they_are() -> None:
    with use_language("zh"):
        said = from_sandbox(TEXTS["unknown kwarg"])
        shapes = from_sandbox(TEXTS["shapes"])
    assert said.startswith("model.py 第 12 行: TypeError: Net.__init__() got an unexpected "
                           "keyword argument 'depth'")
    assert "从 `kwargs` 中删掉 `depth`：Net 接受的参数是 width, classes" in said
    assert "fc.weight [16, 4] vs model [8, 4]" not in shapes
    assert "fc.weight 为 [16, 4]，模型中为 [8, 4]" in shapes and "Net 接受 width, classes" in shapes


def test_an_unknown_message_stays_english() -> None:
    with use_language("zh"):
        assert from_sandbox("something nobody templated") == "something nobody templated"


def test_child_notes_in_the_claim_detail_are_chinese() -> None:
    shown = ["the checkpoint is a whole pickled model of class Net from model",
             "key prefixes dropped: 'module.'"]
    assert hints.how_taken(shown) == " (" + "; ".join(shown) + ")"
    with use_language("zh"):
        said = hints.how_taken(shown)
    assert said == "（检查点是整个 pickle 保存的 Net 类模型，来自 model；去掉了键的前缀：'module.'）"


def test_integrity_check_names_are_said_and_kept() -> None:
    names = ["answers file", "claim 5: sandbox", "claim 5: control (pixel noise)",
             "claim 12: checkpoint's own accuracy", "something new"]
    with use_language("en"):
        assert [check_name(n) for n in names] == names
    with use_language("zh"):
        assert [check_name(n) for n in names] == [
            "答案文件", "声明 5：沙箱", "声明 5：对照（像素噪声）", "声明 12：检查点自带的准确率",
            "something new"]


def test_a_field_repeated_in_a_template_must_hold_the_same_value() -> None:
    t = compile_template("hand in {top}.py (or the {top}/ folder)")
    assert t.pattern.fullmatch("hand in a.py (or the a/ folder)")
    assert not t.pattern.fullmatch("hand in a.py (or the b/ folder)")


# Literals of the sandbox's files that never reach a reader on their own: regexes and markers
# the code looks for, defaults that are filled into a sentence, Python's words.
NOT_SHOWN = {"No space", "key prefixes", "before returning a result", "the model",
             "Can't get attribute '([\\w.]+)' on <module '[^']*'", ": not installed>",
             " bytes cut ...]\n"}
SANDBOX_FILES = ["grader/sandbox_child.py", "grader/sandbox/protocol.py",
                 "grader/sandbox/child.py", "grader/studentcode/checkpoint.py",
                 "grader/studentcode/cut.py", "grader/studentcode/loader.py",
                 "grader/studentcode/notebook.py", "grader/studentcode/stubs.py",
                 "grader/studentcode/construct.py",
                 "grader/evaluation/images.py", "grader/evaluation/language.py"]


def _phrases(path: Path):
    """String literals of two or more words, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docs and " " in node.value.strip() \
                and len(re.findall(r"[A-Za-z]{2,}", node.value)) >= 2:
            yield node.lineno, node.value


@pytest.mark.parametrize("name", SANDBOX_FILES)
def test_every_phrase_the_sandbox_writes_has_its_template(name: str) -> None:
    """A message added to the child without its template here would reach Chinese readers in
    English: each literal piece of it must be part of a msgid in grader/i18n/sandbox_text.py."""
    known = " ¦ ".join(msgids())
    missing = [f"{name}:{line}: {text!r}" for line, text in _phrases(ROOT / name)
               if text not in NOT_SHOWN and text.strip(" ;:,(") not in known]
    assert missing == []
