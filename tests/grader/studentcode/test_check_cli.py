"""`grade check` as a student runs it, without the dataset: the claim is loaded and run on zeros."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from corpus_helpers import CORPUS, import_file
from grader.cli import main

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

# MADE UP: a one-question assignment with a CIFAR-10 claim, and a student's answers to it.
ASSIGNMENT = '''[assignment]
id = "hw"
title = "ResNet on CIFAR-10"
feedback = "format"

[[question]]
id = "1"
kind = "value"
points = 1
answer = "1/sqrt(2)"

[[claim]]
id = "2"
task = "classification"
metric = "accuracy"
dataset = "cifar10"
split = "test"
tolerance = 1.0
points = 10
timeout = 60
'''
ANSWERS = '''assignment = "hw"

[answers]
"1" = "0.7071"

[claims."2"]
value = 91.0
code = "models"
model = "LeNet"
checkpoint = "lenet.pth"
'''


def test_check_without_the_dataset_loads_and_runs_the_model(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADE_DATA", raising=False)
    (tmp_path / "hw").mkdir()
    (tmp_path / "hw" / "assignment.toml").write_text(ASSIGNMENT)
    sub = tmp_path / "alice"
    sub.mkdir()
    (sub / "answers.toml").write_text(ANSWERS)
    shutil.copytree(CORPUS / "kuangliu_cifar" / "models", sub / "models")
    lenet = import_file(CORPUS / "kuangliu_cifar" / "models" / "lenet.py", "cli_lenet").LeNet()
    torch.save(lenet.state_dict(), sub / "lenet.pth")
    args = ["check", str(sub), "--assignment", str(tmp_path / "hw"), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    view = json.loads(result.output)
    assert view["problems"] == [
        f"claim 2: dataset absent: dataset 'cifar10' needs --data-root (or GRADE_DATA); smoke "
        "test: the model (imported the package models/) loads and maps zeros of shape "
        "2×3×32×32 to logits of shape 2×10"]
    torch.save({"net": {"conv1.weight": torch.zeros(1)}}, sub / "lenet.pth")
    broken = json.loads(CliRunner().invoke(main, args).output)
    assert broken["claims"][0]["detail"].startswith(
        "smoke test without the dataset failed: checkpoint (checkpoint['net']) does not fit the "
        "model: missing conv1.bias")
