"""`grade log` through click: JSON on a sample, one error line on an unusable file."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main

LOGS = Path(__file__).parent / "logs"


def test_grade_log_json():
    result = CliRunner().invoke(main, ["log", str(LOGS / "keras_fit.log"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["epochs_seen"] == 20 and data["metrics"]["val_acc"]["best_epoch"] == 19


def test_grade_log_terminal_summary():
    result = CliRunner().invoke(main, ["log", str(LOGS / "damaged_unfinished.log")])
    assert result.exit_code == 0, result.output
    assert "test_acc" in result.output and "unfinished" in result.output


def test_grade_log_empty_file_is_one_error_line(tmp_path: Path):
    path = tmp_path / "train.log"
    path.write_text("")
    result = CliRunner().invoke(main, ["log", str(path)])
    assert result.exit_code == 1
    assert result.output == f"Error: {path}: the file is empty\n"


def test_grade_log_json_has_x_params_and_reader():
    wild = LOGS / "wild"
    result = CliRunner().invoke(main, ["log", str(wild / "keras2_html_br_zh_course.log"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["x"], data["params"], data["reader"]) == ("epoch", 407050, "keras")
    steps = json.loads(CliRunner().invoke(
        main, ["log", str(wild / "nanogpt_iters_issue.log"), "--json"]).output)
    assert steps["x"] == "step" and steps["params"] is None


def test_grade_log_terminal_names_the_reader():
    result = CliRunner().invoke(main, ["log", str(LOGS / "wild" / "fairseq_lstm_issue.log")])
    assert result.exit_code == 0 and "read as a fairseq log" in result.output
