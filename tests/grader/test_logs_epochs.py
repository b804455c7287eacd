"""grader.logs.epochs: epochs, planned epochs and parameter counts as lines print them."""
from __future__ import annotations

import pytest

from grader.logs import parse_log
from grader.logs.epochs import find_epoch, params, planned, progress


@pytest.mark.parametrize("line, expected", [
    ("Namespace(epoches=1000, lr=0.1)", 1000),               # the unfinished 225 of 1000
    ("python train.py --epochs 30 --lr 0.1", 30),
    ("epochs: 300", 300),                                    # a YAML config
    ('  "num_train_epochs": 3,', 3),                         # trainer_state.json / TrainingArguments
    ("max_epochs=20", 20),
    ("2021-07-14 13:52:19,825 - mmcls - INFO - workflow: [('train', 1)], max: 30 epochs", 30),
    ("{'batch_size': 32, 'epochs': 100}<br>", 100),
    ("开始训练,共200个epoch...", 200),
    ("Training for 50 epochs on cuda", 50),
    ("warmup_epochs=5", None),
    ("Saving checkpoint at 2 epochs", None),
])
def test_planned(line: str, expected: int | None):
    assert planned(line) == expected


@pytest.mark.parametrize("line, expected", [
    ("Total params: 11,173,962", 11173962),
    ("Trainable params: 407,050", 407050),
    ("模型总参数量: 11,173,962 | |", 11173962),
    ("number of parameters: 85.00M", 85_000_000),
    ("Model summary: 157 layers, 7026307 parameters, 0 gradients, 15.8 GFLOPs", 7026307),
    ("Number of parameters: 2,106,080", 2106080),
    ("loss: 0.5", None),
])
def test_params(line: str, expected: int | None):
    assert params(line) == expected


def test_epoch_forms():
    assert find_epoch("SqueezeNetBypass - Epoch 0/49").planned == 49
    assert find_epoch("  epoch                    =       30.0").number == 30
    assert find_epoch("{'loss': 0.6, 'epoch': 0.5}").number == 0.5
    assert find_epoch("第 3 轮 训练损失: 0.7").number == 3
    assert find_epoch("loading checkpoints/epoch5.pt") is None


def test_zero_based_headers_plan_one_more_epoch():
    text = "".join(f"Epoch {e}/4\n----------\ntrain Loss: {1 - e / 10:.2f}\n" for e in range(5))
    s = parse_log(text)
    assert (s.epochs_seen, s.epochs_planned) == (5, 5) and not s.warnings
    cut = parse_log(text.split("Epoch 3/4")[0])
    assert (cut.epochs_seen, cut.epochs_planned) == (3, 5)


def test_steps_without_epochs_are_the_x_axis():
    s = parse_log("iter 10: loss 4.0863, time 561.94ms\niter 20: loss 3.7441, time 563.15ms\n")
    assert s.x == "step" and s.metrics["train_loss"].series == [(10, 4.0863), (20, 3.7441)]


def test_step_counters_beside_an_epoch_are_batches_of_that_epoch():
    # two lines of tests/grader/logs/wild/heldout3_xla_devices_pr.log (PyTorch/XLA)
    line = "| Training Device=xla:0/6 Epoch=1 Step=20 Loss=0.01571 Rate=798.11 GlobalRate=981.24"
    assert progress(line) == (True, None, 20.0)
    s = parse_log("Epoch 1 train begin 21:35:02\n" + line.replace("20", "0", 1) + "\n" + line,
                  partial=True)           # a cut log, as read_log reads files
    assert s.epochs_seen == 0 and s.metrics["train_loss"].series == [(1, 0.01571)]
    assert not any("more than once" in w for w in s.warnings)
