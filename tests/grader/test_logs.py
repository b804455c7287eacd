"""grader.logs: one test per log format (realistic samples under logs/), damaged variants,
canonical names, dedupe, best/last, warnings, the `grade log --json` object and file errors."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from grader.errors import LogError
from grader.logs import CANONICAL, LogSummary, MetricSeries, parse_log, print_summary, read_log

LOGS = Path(__file__).parent / "logs"


def series(summary: LogSummary, name: str) -> list[tuple[float, float]]:
    return [(e, pytest.approx(v)) for e, v in summary.metrics[name].series]


def has_warning(summary: LogSummary, *words: str) -> bool:
    return any(all(w in msg for w in words) for msg in summary.warnings)


# ----------------------------------------------------------------------------- samples

def test_pipe_summary_lines_with_lr_column_and_best_on_test():
    s = read_log(LOGS / "resnet_cifar10_pipes.log")
    assert (s.epochs_seen, s.epochs_planned) == (30, 30)
    assert set(s.metrics) == {"train_loss", "train_acc", "test_loss", "test_acc"}
    acc = s.metrics["test_acc"]
    assert (acc.best, acc.best_epoch, acc.last, acc.last_epoch) == (91.30, 28, 91.10, 30)
    assert [e for e, _ in acc.series] == list(range(1, 31))
    # the "Best test acc" / "Saving best model (test acc ..)" lines add no points of their own
    assert len(acc.series) == 30
    assert [lr for _, lr in s.lr_changes] == [0.1, 0.01, 0.001]
    assert [e for e, _ in s.lr_changes][1:] == [16, 26]
    assert has_warning(s, "selected on the test set")
    assert not has_warning(s, "unfinished")


def test_copy_paste_damage_tabs_spaces_debris_split_numbers_duplicates():
    text = (LOGS / "damaged_unfinished.log").read_text()
    s = parse_log(text)
    assert (s.epochs_seen, s.epochs_planned) == (57, 120)
    assert has_warning(s, "unfinished", "57 of 120")
    # every epoch exactly once despite tabs, space runs, `| |` debris and two pasted-twice lines
    for name in ("train_loss", "train_acc", "test_loss", "test_acc"):
        assert [e for e, _ in s.metrics[name].series] == list(range(1, 58))
    assert not has_warning(s, "more than once")         # identical duplicates are deduped quietly
    # epoch 7's "Test Acc: 42." + newline + "07%" is one number again
    split = re.search(r"Test Acc: (\d+\.)\n(\d+)%", text)
    assert split is not None
    assert s.metrics["test_acc"].value_at(7) == pytest.approx(float(split[1] + split[2]))
    assert s.lr_changes[-1] == (31, 0.005)


def test_keras_fit_output_with_carriage_return_progress():
    s = read_log(LOGS / "keras_fit.log")
    assert (s.epochs_seen, s.epochs_planned) == (20, 20)
    assert set(s.metrics) == {"train_loss", "train_acc", "val_loss", "val_acc"}
    closing = re.findall(r"1563/1563 \[=+\].*?- val_accuracy: ([\d.]+)",
                         (LOGS / "keras_fit.log").read_text())
    assert len(closing) == 20
    assert [v for _, v in s.metrics["val_acc"].series] == pytest.approx([100 * float(x) for x in closing])
    assert s.metrics["val_acc"].last == pytest.approx(77.31)
    assert s.metrics["val_acc"].best_epoch == 19
    assert s.lr_changes[0] == (1, 0.001) and s.lr_changes[-1][1] == pytest.approx(1e-4)
    assert not has_warning(s, "selected on the test set")  # Keras picks on val_accuracy


@pytest.mark.parametrize("name, first_epoch, rows", [("keras_csvlogger.csv", 0, 15),
                                                      ("plain_metrics.csv", 1, 10)])
def test_csv_logs_with_header(name: str, first_epoch: int, rows: int):
    lines = (LOGS / name).read_text().splitlines()
    header = lines[0].split(",")
    s = read_log(LOGS / name)
    assert set(s.metrics) == {"train_loss", "train_acc", "val_loss", "val_acc"}
    assert s.epochs_seen == rows
    col = header.index("val_accuracy" if "val_accuracy" in header else "val_acc")
    expected = [(float(r.split(",")[0]), 100 * float(r.split(",")[col])) for r in lines[1:]]
    assert series(s, "val_acc") == expected            # fractions become percent
    assert s.metrics["val_acc"].series[0][0] == first_epoch


def test_imagenet_example_batches_are_not_epochs_and_star_line_gives_top1_top5():
    s = read_log(LOGS / "imagenet_example.log")
    assert set(s.metrics) == {"train_loss", "top1", "top5"}
    assert series(s, "top1") == [(0, 18.304), (1, 29.876), (2, 36.112), (3, 41.302)]
    assert s.metrics["top5"].last == pytest.approx(66.118)
    # 0-based epochs 0..3 done, epoch 4 only started: 4 of 90 (`--epochs 90` on the command line)
    assert (s.epochs_seen, s.epochs_planned) == (4, 90)
    assert has_warning(s, "unfinished")
    assert [e for e, _ in s.metrics["train_loss"].series] == [0, 1, 2, 3]


def test_word_language_model_example():
    s = read_log(LOGS / "word_language_model.log")
    assert (s.epochs_seen, s.epochs_planned) == (6, 6)
    assert [v for _, v in s.metrics["val_loss"].series] == [5.52, 5.19, 5.03, 5.06, 4.91, 4.89]
    assert s.metrics["val_ppl"].best_epoch == 6
    assert s.metrics["test_ppl"].last == pytest.approx(126.47)
    assert s.metrics["test_loss"].last == pytest.approx(4.84)
    assert [lr for _, lr in s.lr_changes] == [20.0, 5.0] and s.lr_changes[1][0] == 5
    assert "train_ppl" not in s.metrics                 # not a canonical name
    assert len(s.metrics["train_loss"].series) == 6     # batch lines: one point per epoch


def test_cifar_tutorial_running_loss_and_final_accuracy():
    s = read_log(LOGS / "cifar_tutorial.log")
    assert series(s, "test_acc") == [(2, 54.0)]         # not the per-class accuracies
    assert series(s, "train_loss") == [(1, 1.463), (2, 1.268)]
    assert s.epochs_seen == 2


def test_mnist_example_test_set_lines():
    s = read_log(LOGS / "mnist_example.log")
    assert series(s, "test_acc") == [(1, 98.22), (2, 98.68), (3, 98.90)]   # 9822/10000 ...
    assert series(s, "test_loss") == [(1, 0.06), (2, 0.03), (3, 0.02)]
    assert (s.epochs_seen, s.epochs_planned) == (3, 14)


def test_tqdm_remnants_and_key_value_epoch_lines():
    s = read_log(LOGS / "tqdm_keyvalue.log")
    assert (s.epochs_seen, s.epochs_planned) == (10, 10)
    assert s.metrics["val_acc"].series[2] == (3, pytest.approx(69.5))
    assert s.metrics["train_loss"].series[0] == (1, pytest.approx(0.95))   # not tqdm's loss=1.00


def test_mixed_chinese_and_english_labels_and_overfitting_gap():
    s = read_log(LOGS / "chinese_mixed.log")
    assert set(s.metrics) == {"train_loss", "train_acc", "val_loss", "val_acc", "test_acc"}
    assert (s.epochs_seen, s.epochs_planned) == (12, 12)
    assert s.metrics["test_acc"].last == pytest.approx(77.9)    # 测试准确率：77.9% (full-width colon)
    assert has_warning(s, "gap")
    assert not any("50000" in w for w in s.warnings)            # 训练集大小 is no metric


def test_diverging_loss_and_nan():
    s = read_log(LOGS / "diverged.log")
    assert has_warning(s, "train_loss is nan", "epoch 11")
    assert has_warning(s, "train_loss diverged", "epoch 5")
    assert [e for e, _ in s.metrics["train_loss"].series] == list(range(1, 11))  # NaN dropped
    assert has_warning(s, "unfinished", "11 of 15")


def test_restarted_run_warns_and_keeps_the_later_values():
    s = read_log(LOGS / "restarted.log")
    assert has_warning(s, "more than once", "6, 7, 8")
    assert has_warning(s, "go back from 8")
    assert s.metrics["train_loss"].value_at(7) == pytest.approx(0.9 - 0.07 * 7)
    assert [e for e, _ in s.metrics["val_acc"].series] == list(range(1, 11))
    assert s.epochs_seen == 10


# ----------------------------------------------------------------------------- line shapes

@pytest.mark.parametrize("text, expected", [
    ("epoch:1; loss:0.950\nepoch:2; loss:0.650\nepoch:3; loss:0.450\n",
     {"train_loss": [(1, 0.95), (2, 0.65), (3, 0.45)]}),
    ("Epoch 3: train_loss=0.41 val_acc=0.873\nEpoch 4: train_loss=0.35 val_acc=0.881\n",
     {"train_loss": [(3, 0.41), (4, 0.35)], "val_acc": [(3, 87.3), (4, 88.1)]}),
    ("Epoch [1/5], Loss: 0.9, Test Accuracy: 71.5 %\nEpoch [2/5], Loss: 0.7, Test Accuracy: 75 %\n",
     {"train_loss": [(1, 0.9), (2, 0.7)], "test_acc": [(1, 71.5), (2, 75.0)]}),
    ("Epoch 1/2\tTrain Loss: 1.0\tVal Loss: 1.1\tVal Acc: 60.0%\n"
     "Epoch 2/2    Train Loss: 0.8    Val Loss: 1.0    Val Acc: 65.0%\n",
     {"train_loss": [(1, 1.0), (2, 0.8)], "val_loss": [(1, 1.1), (2, 1.0)],
      "val_acc": [(1, 60.0), (2, 65.0)]}),
    ("轮次: 1 训练损失: 0.9 测试准确率: 80.5%\n第 2 轮 训练损失: 0.7 测试准确率: 83.5%\n",
     {"train_loss": [(1, 0.9), (2, 0.7)], "test_acc": [(1, 80.5), (2, 83.5)]}),
    ("Epoch 1 | train acc 70.1 | valid acc 65.2 | test acc 64.0 | top-5 90.0\n",
     {"train_acc": [(1, 70.1)], "val_acc": [(1, 65.2)], "test_acc": [(1, 64.0)],
      "top5": [(1, 90.0)]}),
    ("Epoch 1\nval: loss 0.9, acc 71.0\nEpoch 2\nval: loss 0.8, acc 74.0\n",
     {"val_loss": [(1, 0.9), (2, 0.8)], "val_acc": [(1, 71.0), (2, 74.0)]}),
    ("Epoch 1 | eval_loss 0.9 | eval_accuracy 0.71\nEpoch 2 | eval_loss 0.8 | eval_accuracy 0.74\n",
     {"val_loss": [(1, 0.9), (2, 0.8)], "val_acc": [(1, 71.0), (2, 74.0)]}),
])
def test_summary_line_shapes(text: str, expected: dict):
    s = parse_log(text)
    assert {k: series(s, k) for k in s.metrics} == expected


@pytest.mark.parametrize("text", [
    "Train Epoch: 3 [6400/50000 (13%)]\tLoss: 1.402211\n",
    "[2, 4000] loss: 1.204\n",
    "[9, 200] loss: 61.03 | Acc: 81.250% (20800/25600)\n",
    "Epoch: 2 Minibatch:   201 loss: 1.402\n",
    "Epoch: [7][120/391]\tTime  0.3 ( 0.3)\tLoss 1.2e+00 (1.3e+00)\tAcc@1  71.09 ( 68.52)\n",
    "| epoch   2 |   400/ 2983 batches | lr 20.00 | ms/batch  9.80 | loss  6.11 | ppl   450.12\n",
    "Epoch 3/10:  45%|████▌     | 176/391 [00:14<00:17, 12.5it/s, loss=0.9, acc=60.1]\n",
    "Epoch [3/20], Step [100/600], Loss: 0.5123\n",
])
def test_batch_progress_lines_alone_make_no_epochs(text: str):
    s = parse_log(text * 3)
    assert s.metrics == {} and s.epochs_seen == 0


def test_batch_lines_between_epoch_summaries_add_nothing():
    text = ("Epoch 1 | train loss 0.9 | test acc 60.0\n"
            "Train Epoch: 2 [6400/50000 (13%)]\tLoss: 0.5\n"
            "Epoch: 2 Minibatch:   201 loss: 0.45\n"
            "Epoch 2 | train loss 0.7 | test acc 65.0\n")
    s = parse_log(text)
    assert series(s, "train_loss") == [(1, 0.9), (2, 0.7)]
    assert not s.warnings


def test_epochs_planned_forms():
    for line, planned in [("Epoch 3/120 | loss 0.5", 120), ("epochs=30\nepoch:1; loss:0.5", 30),
                          ("python train.py --epochs 30\nepoch:1; loss:0.5", 30),
                          ("num_epochs: 50\nepoch:1; loss:0.5", 50),
                          ("Epoch 3/20\n1563/1563 [====] - 1s - loss: 0.5", 20),
                          ("warmup_epochs=5\nepoch:1; loss:0.5", None)]:
        assert parse_log(line).epochs_planned == planned, line


def test_fraction_accuracies_become_percent_only_when_all_are_fractions():
    s = parse_log("Epoch 1: acc=0.853 val_acc=71.5%\nEpoch 2: acc=0.9 val_acc=0.8%\n")
    assert series(s, "train_acc") == [(1, 85.3), (2, 90.0)]
    assert series(s, "val_acc") == [(1, 71.5), (2, 0.8)]     # written with %: never rescaled


def test_canonical_names_only():
    names = set()
    for path in LOGS.iterdir():
        if path.is_file():                              # wild/ has its own test
            names |= set(read_log(path).metrics)
    assert names <= set(CANONICAL)
    # the samples cover every name DESIGN.md lists; YOLO's map50/map50_95 come from wild/
    assert names == set(CANONICAL) - {"map50", "map50_95"}


def test_duplicate_epoch_with_different_values_warns():
    s = parse_log("Epoch 1: loss=0.9\nEpoch 2: loss=0.8\nEpoch 2: loss=0.75\nEpoch 3: loss=0.7\n")
    assert series(s, "train_loss") == [(1, 0.9), (2, 0.75), (3, 0.7)]
    assert has_warning(s, "epoch 2 appears more than once")


def test_identical_duplicates_and_repeated_device_lines_are_silent():
    block = "Using device: cuda\nEpoch 1: loss=0.9\nUsing device: cuda\nEpoch 2: loss=0.8\n"
    s = parse_log(block + block)
    assert series(s, "train_loss") == [(1, 0.9), (2, 0.8)] and s.warnings == []


def test_best_and_last_directions():
    loss = MetricSeries("val_loss", [(1, 0.9), (2, 0.5), (3, 0.6)])
    acc = MetricSeries("top1", [(1, 50.0), (2, 70.0), (3, 70.0), (4, 65.0)])
    assert (loss.best, loss.best_epoch, loss.last, loss.last_epoch) == (0.5, 2, 0.6, 3)
    assert (acc.best, acc.best_epoch, acc.last, acc.last_epoch) == (70.0, 2, 65.0, 4)


def test_lr_reduce_on_plateau_message():
    s = parse_log("Epoch 30 | loss 0.5 | LR: 0.01\n"
                  "Epoch 31: reducing learning rate of group 0 to 1.0000e-03.\n"
                  "Epoch 31 | loss 0.4 | LR: 0.001\n")
    assert s.lr_changes == [(30, 0.01), (31, 0.001)]


def test_selected_on_test_without_validation():
    s = parse_log("Epoch 1 | loss 1.0 | test acc 50\nsaving best model\n"
                  "Epoch 2 | loss 0.5 | test acc 60\nsaving best model\n")
    assert has_warning(s, "selected on the test set")
    ok = parse_log("Epoch 1 | loss 1.0 | val acc 50 | test acc 49\nNew best val acc 50, saving\n"
                   "Epoch 2 | loss 0.5 | val acc 60 | test acc 58\n")
    assert not has_warning(ok, "selected on the test set")


def test_train_test_gap_over_15_points():
    s = parse_log("Epoch 1 | train acc 70 | test acc 60\nEpoch 2 | train acc 99.5 | test acc 80\n")
    assert has_warning(s, "gap", "19.5")
    assert not parse_log("Epoch 1 | train acc 95 | test acc 81\n").warnings


def test_unfinished_run_warning():
    s = parse_log("Epoch 1/5 | loss 1.0\nEpoch 2/5 | loss 0.8\n")
    assert (s.epochs_seen, s.epochs_planned) == (2, 5)
    assert has_warning(s, "unfinished", "2 of 5")
    done = parse_log("Epoch 1/2 | loss 1.0\nEpoch 2/2 | loss 0.8\n")
    assert not has_warning(done, "unfinished")


# ----------------------------------------------------------------------------- JSON, terminal

def test_to_json_is_designs_grade_log_object():
    data = json.loads(json.dumps(read_log(LOGS / "resnet_cifar10_pipes.log").to_json()))
    assert set(data) == {"epochs_seen", "epochs_planned", "x", "metrics", "warnings",
                         "lr_changes", "params", "reader"}
    assert data["x"] == "epoch" and data["reader"] == "generic"
    for name, m in data["metrics"].items():
        assert name in CANONICAL
        assert set(m) == {"best", "best_epoch", "last", "last_epoch", "series"}
        assert all(isinstance(p, list) and len(p) == 2 for p in m["series"])
    assert data["metrics"]["test_acc"]["series"][0] == [1, 46.32]
    assert isinstance(data["metrics"]["test_acc"]["best_epoch"], int)   # whole epochs print as ints


def test_print_summary_shows_metrics_epochs_and_warnings():
    out = io.StringIO()
    print_summary(read_log(LOGS / "damaged_unfinished.log"), Console(file=out, width=120))
    text = out.getvalue()
    assert "test_acc" in text and "57 of 120 planned" in text
    assert "warning: the run is unfinished" in text


# ----------------------------------------------------------------------------- file errors

@pytest.mark.parametrize("content, problem", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (b"PK\x03\x04\x00\x00archive/data.pkl\x00\x80\x02", "binary"),
    (bytes(range(128, 256)) * 50, "not UTF-8"),
    (b"Using device: cuda\nFiles already downloaded and verified\n", "no training metric"),
])
def test_read_log_errors_name_the_file(tmp_path: Path, content: bytes, problem: str):
    path = tmp_path / "train.log"
    path.write_bytes(content)
    with pytest.raises(LogError, match=problem) as err:
        read_log(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_read_log_missing_and_too_large(tmp_path: Path):
    with pytest.raises(LogError, match="no such file"):
        read_log(tmp_path / "nope.log")
    big = tmp_path / "big.log"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024 + 1)        # sparse: no 50 MB actually written
    with pytest.raises(LogError, match="too large"):
        read_log(big)


def test_read_log_gbk_and_utf16_logs(tmp_path: Path):
    text = "第 1 轮 训练损失: 0.9 测试准确率: 80.5%\n第 2 轮 训练损失: 0.7 测试准确率: 83.5%\n"
    for encoding in ("gbk", "utf-16"):
        path = tmp_path / f"{encoding}.log"
        path.write_bytes(text.encode(encoding))
        assert series(read_log(path), "test_acc") == [(1, 80.5), (2, 83.5)]


def test_hugging_face_trainer_dicts_fractional_epochs():
    s = parse_log(
        "{'loss': 0.6931, 'grad_norm': 3.2, 'learning_rate': 4.5e-05, 'epoch': 0.5}\n"
        "{'loss': 0.4512, 'grad_norm': 2.1, 'learning_rate': 4e-05, 'epoch': 1.0}\n"
        "{'eval_loss': 0.4012, 'eval_accuracy': 0.8523, 'eval_runtime': 3.2, 'epoch': 1.0}\n"
        "{'loss': 0.2512, 'grad_norm': 2.1, 'learning_rate': 2e-05, 'epoch': 2.0}\n"
        "{'eval_loss': 0.3912, 'eval_accuracy': 0.8623, 'eval_runtime': 3.2, 'epoch': 2.0}\n"
        "{'train_runtime': 120.5, 'train_loss': 0.42, 'epoch': 2.0}\n")
    assert series(s, "train_loss") == [(0.5, 0.6931), (1, 0.4512), (2, 0.2512)]
    assert series(s, "val_acc") == [(1, 85.23), (2, 86.23)]
    assert s.epochs_seen == 2 and s.warnings == []
    assert [lr for _, lr in s.lr_changes] == [4.5e-05, 4e-05, 2e-05]


def test_keras3_bars_and_lightning_closing_bars():
    keras3 = ("Epoch 1/2\n1563/1563 ━━━━━━━━━━━━━━━━━━━━ 12s 8ms/step - accuracy: 0.7150 - "
              "loss: 0.8123 - val_accuracy: 0.6900 - val_loss: 0.9000\nEpoch 2/2\n"
              "\r 200/1563 ━━━━━━━━━━━━━━━━━━━━ 10s 8ms/step - accuracy: 0.7 - loss: 0.8"
              "\r1563/1563 ━━━━━━━━━━━━━━━━━━━━ 12s 8ms/step - accuracy: 0.7550 - loss: 0.7123 - "
              "val_accuracy: 0.7100 - val_loss: 0.8500\n")
    s = parse_log(keras3)
    assert series(s, "train_loss") == [(1, 0.8123), (2, 0.7123)]
    assert series(s, "val_acc") == [(1, 69.0), (2, 71.0)]
    lightning = "".join(
        f"Epoch {e}:  50%|█████     | 196/391 [00:15<00:15, 12.5it/s, v_num=0, train_loss=0.9]"
        f"\rEpoch {e}: 100%|██████████| 391/391 [00:31<00:00, 12.5it/s, v_num=0, "
        f"train_loss=0.5{e}, val_loss=0.6{e}, val_acc=0.8{e}]\n" for e in range(3))
    s = parse_log(lightning)
    assert series(s, "val_acc") == [(0, 80.0), (1, 81.0), (2, 82.0)]
    assert series(s, "train_loss") == [(0, 0.5), (1, 0.51), (2, 0.52)]
    assert s.epochs_seen == 3


def test_hostile_long_lines_read_in_linear_time():
    """A student's log is untrusted: a line of a million digits or spaces once sent two rules
    (the progress rule's `\\d+%\\|`, the table header's ambiguous spaces) into quadratic
    backtracking, a grading process stuck for hours. Read now in about a second."""
    text = ("Epoch 1 loss: 0.5 acc: " + "9" * 1_000_000 + "\n"
            + "Epoch 1 " + " " * 1_000_000 + "x\n"
            + "Epoch 1 | " + "a " * 500_000 + "\n"
            + "loss" + " " * 1_000_000 + "x\n" + "Eval Acc" + "\t" * 1_000_000 + "(total) x\n"
            + "Epoch 1: loss 0.25, accuracy 80.5%\nEpoch 2: loss 0.20, accuracy 82.5%\n")
    summary = parse_log(text)
    assert summary.metrics["train_loss"].last == 0.20
