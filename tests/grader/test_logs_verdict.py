"""grader.logs.log_verdict: does the training log back a claimed accuracy / perplexity?"""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.logs import log_verdict
from grader.results import CheckStatus

LOGS = Path(__file__).parent / "logs"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "train.log"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("claimed, status, metric_epoch", [
    (91.1, CheckStatus.PASS, ("test_acc", 30)),       # the last epoch
    (91.12, CheckStatus.PASS, ("test_acc", 30)),      # within rounding (0.05)
    (91.3, CheckStatus.WARN, ("test_acc", 28)),       # only the best-on-test epoch
    (91.02, CheckStatus.WARN, ("test_acc", 29)),      # only a non-final, non-best epoch
    (95.0, CheckStatus.FAIL, (None, None)),           # above everything the log shows
    (60.0, CheckStatus.WARN, (None, None)),           # absent, but not contradicted
])
def test_accuracy_claims_against_a_test_only_log(claimed, status, metric_epoch):
    v = log_verdict(LOGS / "resnet_cifar10_pipes.log", claimed, "accuracy")
    assert v.status is status, v.text
    assert (v.matched_metric, v.matched_epoch) == metric_epoch
    assert f"claimed {claimed:g}" in v.text and "\n" not in v.text
    if status is not CheckStatus.PASS:
        assert v.text in v.warnings
    assert any("selected on the test set" in w for w in v.warnings)


def test_best_on_test_text_reads_like_a_ta_sentence():
    v = log_verdict(LOGS / "resnet_cifar10_pipes.log", 91.3, "accuracy")
    assert v.text.startswith("claimed 91.3 matches test_acc at epoch 28 (the best; last is 91.1 "
                             "at epoch 30)")


def test_test_value_at_the_epoch_validation_picks_passes(tmp_path: Path):
    path = write(tmp_path, "Epoch 1 | val acc 80.0 | test acc 79.0\n"
                           "Epoch 2 | val acc 84.0 | test acc 82.5\n"
                           "Epoch 3 | val acc 83.0 | test acc 83.1\n")
    v = log_verdict(path, 82.5, "accuracy")
    assert (v.status, v.matched_metric, v.matched_epoch) == (CheckStatus.PASS, "test_acc", 2)
    assert "val_acc" in v.text


def test_best_validation_or_top1_passes():
    v = log_verdict(LOGS / "keras_fit.log", 78.24, "accuracy")
    assert (v.status, v.matched_metric, v.matched_epoch) == (CheckStatus.PASS, "val_acc", 19)
    v = log_verdict(LOGS / "imagenet_example.log", 41.3, "accuracy")
    assert (v.status, v.matched_metric, v.matched_epoch) == (CheckStatus.PASS, "top1", 3)


def test_fraction_claim_against_percent_log():
    v = log_verdict(LOGS / "keras_fit.log", 0.7731, "accuracy")
    assert (v.status, v.matched_epoch) == (CheckStatus.PASS, 20)


@pytest.mark.parametrize("claimed, status, metric", [
    (126.5, CheckStatus.PASS, "test_ppl"),    # 126.47 in the log: 0.5% relative tolerance
    (132.95, CheckStatus.PASS, "val_ppl"),
    (100.0, CheckStatus.FAIL, None),          # far better than anything logged
    (150.0, CheckStatus.WARN, None),          # worse than the log: absent, not contradicted
])
def test_perplexity_claims(claimed, status, metric):
    v = log_verdict(LOGS / "word_language_model.log", claimed, "perplexity")
    assert (v.status, v.matched_metric) == (status, metric), v.text


def test_separate_final_evaluation_matches(tmp_path: Path):
    path = write(tmp_path, "Epoch 1 | val acc 80.0 | test acc 79.0\n"
                           "Epoch 2 | val acc 84.0 | test acc 82.5\n"
                           "Test accuracy of the reloaded model: 82.9\n")
    v = log_verdict(path, 82.9, "accuracy")
    assert (v.status, v.matched_metric) == (CheckStatus.PASS, "test_acc")


def test_log_without_the_claimed_kind_of_metric_warns():
    v = log_verdict(LOGS / "word_language_model.log", 91.0, "accuracy")
    assert v.status is CheckStatus.WARN and v.matched_metric is None


def test_unreadable_log_is_a_warning_not_a_crash(tmp_path: Path):
    v = log_verdict(tmp_path / "missing.log", 91.0, "accuracy")
    assert v.status is CheckStatus.WARN and "no such file" in v.text and v.curves == []


def test_curves_are_the_logged_series():
    v = log_verdict(LOGS / "resnet_cifar10_pipes.log", 91.1, "accuracy")
    assert [c.metric for c in v.curves] == ["train_loss", "train_acc", "test_loss", "test_acc"]
    assert all(len(c.points) == 30 for c in v.curves)


def test_unknown_claim_metric_is_a_programming_error():
    with pytest.raises(ValueError):
        log_verdict(LOGS / "keras_fit.log", 1.0, "bleu")


def test_step_logs_judge_by_step():
    path = Path(__file__).parent / "logs" / "wild" / "t2t_estimator_eval_issue.log"
    v = log_verdict(path, 73.4, "accuracy")
    assert v.x == "step" and v.matched_epoch == 32000 and "at step 32000" in v.text
