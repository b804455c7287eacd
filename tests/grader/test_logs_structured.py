"""grader.logs.structured: trainer_state.json, JSON lines and CSV files, read whole."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.logs import parse_log, read_log

WILD = Path(__file__).parent / "logs" / "wild"


def test_trainer_state_json():
    s = read_log(WILD / "hf_trainer_state_finance_repo.json")
    assert s.reader == "trainer_state.json" and s.x == "epoch"
    assert (s.epochs_seen, s.epochs_planned) == (10, 10)            # num_train_epochs
    assert s.metrics["val_acc"].series[0] == (1, pytest.approx(90.21207177814029))
    assert s.metrics["train_loss"].series[0][0] == pytest.approx(0.4830917874396135)
    assert s.lr_changes[0][1] == pytest.approx(1.9035748792270532e-05)


def test_trainer_state_run_summary_is_no_epoch_value():
    s = read_log(WILD / "hf_trainer_state_lora_repo.json")
    assert "val_acc" not in s.metrics and s.metrics["val_loss"].last_epoch == 3


def test_mmcv_json_lines_take_the_split_from_mode():
    s = read_log(WILD / "mmcv_json_val_issue.log")
    assert s.reader == "json lines"
    assert s.metrics["val_acc"].best_epoch == 1393 and s.metrics["top5"].last == 99.33333


def test_deit_log_txt_json_lines():
    # made up for this test: the shape DeiT's main.py writes to log.txt, one object per epoch
    text = ('{"train_lr": 0.0005, "train_loss": 6.8, "test_loss": 6.1, "test_acc1": 2.5, '
            '"test_acc5": 8.1, "epoch": 0, "n_parameters": 5717416}\n'
            '{"train_lr": 0.0005, "train_loss": 6.2, "test_loss": 5.0, "test_acc1": 9.9, '
            '"test_acc5": 25.0, "epoch": 1, "n_parameters": 5717416}\n')
    s = parse_log(text)
    assert s.metrics["test_acc"].series == [(0, 2.5), (1, 9.9)]
    assert s.metrics["top5"].last == 25.0 and s.params == 5717416 and s.epochs_seen == 2


def test_yolo_results_csv_box_columns_win():
    s = read_log(WILD / "yolo11_seg_results_repo.csv")
    assert s.reader == "yolo results.csv"
    assert s.metrics["map50"].last == 0.94646            # (B) column, not the (M) 0.94634
    assert s.metrics["map50_95"].best == 0.703 and s.epochs_seen == 10


def test_tensorboard_csv_names_its_metric_in_the_file_name():
    # made up for this test: TensorBoard's "Download CSV" shape
    text = "Wall time,Step,Value\n1690000000.1,100,0.91\n1690000060.2,200,0.62\n"
    s = parse_log(text, name_hint="run-resnet-tag-train_loss.csv")
    assert s.reader == "tensorboard csv" and s.x == "step"
    assert s.metrics["train_loss"].series == [(100, 0.91), (200, 0.62)]


def test_not_structured_falls_back_to_line_rules():
    assert parse_log("{'loss': 0.69, 'epoch': 0.5}\n{'loss': 0.45, 'epoch': 1.0}\n").reader \
        == "generic"
