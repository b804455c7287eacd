"""grader.logs.alerts: the warnings a TA acts on, with the right line numbers, and none raised
falsely (single runs are no restarts, improving runs do not diverge, a config is no schedule)."""
from __future__ import annotations

from pathlib import Path

from grader.logs import parse_log, read_log

WILD = Path(__file__).parent / "logs" / "wild"


def warned(text_or_summary, *words: str) -> bool:           # type: ignore[no-untyped-def]
    s = parse_log(text_or_summary) if isinstance(text_or_summary, str) else text_or_summary
    return any(all(w in msg for w in words) for msg in s.warnings)


def test_nan_loss_names_epoch_and_line():
    s = parse_log("Epoch 1 | loss 0.9\nEpoch 2 | loss 0.7\nEpoch 3 | loss nan\n")
    assert warned(s, "train_loss is nan at epoch 3 (line 3)")


def test_divergence_and_no_false_alarm_on_an_improving_run():
    assert warned("Epoch 1 | loss 0.5\nEpoch 2 | loss 0.9\nEpoch 3 | loss 2.4\n",
                  "train_loss diverged", "epoch 1", "epoch 3")
    improving = "".join(f"Epoch {e} | test loss {2.0 / e:.3f}\n" for e in range(1, 8))
    assert not warned(improving, "diverged")


def test_selection_on_test_loss_as_well_as_test_accuracy():
    assert warned("Epoch 1 | loss 1.0 | test loss 0.9\nSaving best model (test loss 0.9)\n"
                  "Epoch 2 | loss 0.8 | test loss 0.7\n", "selected on the test set", "line 2")
    assert warned(read_log(WILD / "test_set_best_accuracy_issue.log"), "selected on the test set")
    assert not warned("Epoch 1 | val loss 0.9 | test loss 0.9\nSaving best model (val loss "
                      "0.9)\nEpoch 2 | val loss 0.8 | test loss 0.8\n", "selected on the test set")


def test_unfinished_runs_from_config_dumps():
    s = parse_log("Namespace(epoches=1000, lr=0.01)\n" +
                  "".join(f"Epoch {e} | loss {1 / e:.3f}\n" for e in range(1, 226)))
    assert warned(s, "unfinished", "225 of 1000")


def test_a_real_restart_keeps_the_later_run_and_says_so():
    first = "".join(f"Epoch {e}/20 | loss {1.0 - e / 100:.2f}\n" for e in range(1, 10))
    second = "".join(f"Epoch {e}/20 | loss {0.5 - e / 100:.2f}\n" for e in range(1, 21))
    s = parse_log(first + second)
    assert s.epochs_seen == 20                          # not 29 of 20
    assert s.metrics["train_loss"].value_at(5) == 0.45  # the later run's epoch 5
    assert warned(s, "go back from 9 to 1 at line 10", "the later run's values are kept")


def test_no_restart_warning_on_single_runs():
    for name in ("seed000_resnet_cifar_zh.log", "fairseq_transformer_issue.log",
                 "ner_step_total_zh_issue.log", "phase_header_lr_1based_repo.log"):
        assert not warned(read_log(WILD / name), "restarted"), name


def test_a_line_never_conflicts_with_itself():
    s = parse_log("Epoch 1 | loss 0.9 | loss 0.8\nEpoch 2 | loss 0.7\n")
    assert not any("lines 1 and 1" in w for w in s.warnings)


def test_learning_rate_from_a_config_printout_is_no_change():
    s = parse_log("hyperparameters: lr=0.01, lr0=0.01, momentum=0.9\n"
                  "Epoch 1 | loss 0.9 | lr 0.1\nEpoch 2 | loss 0.8 | lr 0.1\n")
    assert s.lr_changes == [(1, 0.1)]


def test_last_epoch_of_a_batch_progress_log_is_kept():
    text = ("".join(f"Epoch: {e} Minibatch: {b:5d} loss: {1 / (e + b / 1000):.3f}\n"
                    for e in range(1, 11) for b in (1, 101, 201, 301)) + "Finished Training\n")
    s = parse_log(text)
    assert s.epochs_seen == 10 and s.metrics["train_loss"].last_epoch == 10
