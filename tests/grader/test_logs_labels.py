"""grader.logs.labels: printed labels -> canonical names, and `label: number` pairs."""
from __future__ import annotations

import pytest

from grader.logs.labels import Pair, canonical, hint, pairs


@pytest.mark.parametrize("label, split, expected", [
    ("Average loss", "test", "test_loss"),
    ("valid_nll_loss", None, None),                   # fairseq: not the loss
    ("train/box_loss", None, None),                   # YOLO: one of three losses
    ("metrics-translate_enpl_wmt8k/targets/neg_log_perplexity", None, None),
    ("metrics-translate_enpl_wmt8k/targets/accuracy", "val", "val_acc"),
    ("train/loss", None, "train_loss"),
    ("val/loss", None, "val_loss"),
    ("accuracy/top1", "val", "val_acc"),              # mmengine: top-1 on a split is its accuracy
    ("accuracy/top5", "val", "top5"),
    ("Top-5 Acc", "train", None),                     # top-5 counts on held-out data only
    ("Acc@1", None, "top1"),
    ("test_acc1", None, "test_acc"),                  # DeiT log.txt
    ("accuracy01", "val", "val_acc"),                 # catalyst
    ("eval_accuracy", None, "val_acc"),
    ("predict_accuracy", None, "test_acc"),
    ("curr val acc", None, "val_acc"),
    ("accuray", "test", "test_acc"),                  # a typo seen in a real log
    ("测试准确率", None, "test_acc"),
    ("LFWACC", None, "test_acc"),                     # CosFace: a face benchmark is held out
    ("agedb acc", "train", "test_acc"),
])
def test_canonical(label: str, split: str | None, expected: str | None):
    assert canonical(label, split)[0] == expected


def test_best_and_max_labels_are_no_points():
    assert canonical("best_acc", None)[1] is True
    assert canonical("Max accuracy", None) == (None, True, False)


def test_an_accuracy_without_any_split_is_marked_as_a_guess():
    assert canonical("acc", None) == ("train_acc", False, True)
    assert canonical("loss", None)[0] == "train_loss"
    assert not pairs("loss: 0.5")[0].implicit           # only accuracies are flagged


@pytest.mark.parametrize("line, expected", [
    ("test Loss: 2.5926 Acc: 0.2758", "test"),
    ("Test set: Average loss: 0.0648", "test"),
    ("0/2 * Epoch 0 (valid): accuracy01=33.59", "val"),
    ("val loss: 1.12, acc: 0.62", "val"),
    ("Epoch 1 | train acc 70.1 | valid acc 65.2 | top-5 90.0", None),   # several splits named
    ("Epoch 3: loss=0.41", None),
])
def test_hint(line: str, expected: str | None):
    assert hint(line) == expected


def test_pairs_read_tensor_printouts_and_correct_over_total():
    got = pairs("train loss: 1.937, acc: tensor(0.3262, device='cuda:0', dtype=torch.float64)")
    assert [(p.name, p.value) for p in got] == [("train_loss", 1.937), ("train_acc", 0.3262)]
    got = pairs("Test set: Average loss: 0.0648, Accuracy: 58591/60000 (98%)")
    assert got[1].name == "test_acc" and got[1].value == pytest.approx(97.6517, abs=1e-4)
    assert got[1].pct                                  # percent already: never rescaled


def test_pairs_running_mean_and_units_between_labels():
    assert pairs("loss: 0.0065 (0.0141)", running=True)[0].value == 0.0141
    got = pairs("Time: 40.13s\tTrain Loss: 2.0710\tTest Acc: 31.90%")
    assert [(p.name, p.value) for p in got] == [("train_loss", 2.071), ("test_acc", 31.9)]


def test_pairs_take_the_split_from_context_and_flag_bare_accuracies():
    assert pairs("loss 0.9, acc 71.0", context="val")[1].name == "val_acc"
    bare = pairs("Epoch 10 loss 12.3880 | train 2.1s | Acc 9.32%")
    assert bare[-1].name == "train_acc" and bare[-1].implicit


def test_pairs_read_a_bracketed_total_between_label_and_value():
    # from wild/heldout5_segmentation_eval_total_repo.log (beam-transfer's dev_records.md)
    assert pairs("Eval Acc (total): 0.8812751913070679") == [Pair("val_acc", 0.8812751913070679,
                                                                  False, False)]
    # a bracket that is not a total still ends the label: no value is taken from afar
    assert pairs("Eval Acc (per class): 0.88") == []
