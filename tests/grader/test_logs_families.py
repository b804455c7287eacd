"""grader.logs.families: one test group per framework printout, on real logs from wild/
(their sources are in wild/facts.json) and on lines cut from them."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.logs import parse_log, read_log

WILD = Path(__file__).parent / "logs" / "wild"


def points(path: str, name: str) -> list[tuple[float, float]]:
    return [(e, pytest.approx(v)) for e, v in read_log(WILD / path).metrics[name].series]


@pytest.mark.parametrize("name, reader", [
    ("keras1_val_issue.log", "keras"), ("fairseq_lstm_issue.log", "fairseq"),
    ("mmcls_mmcv_issue.log", "mmcv"), ("hf_metrics_printout_repo.log", "huggingface"),
    ("deit_metric_logger_issue.log", "timm/deit"), ("nanogpt_iters_issue.log", "nanogpt"),
    ("tf_slim_steps_issue.log", "tensorflow"), ("caffe_iterations_issue.log", "caffe"),
    ("lightning_sagemaker_mpi_issue.log", "lightning"), ("seed004_brackets_finished.log", "pytorch"),
    ("phase_header_frac_repo.log", "generic"), ("heldout5_d2go_warmup_issue.log", "detectron2"),
    ("heldout5_paddleseg_iters_pr.log", "paddle"),
    ("heldout5_ultralytics_console_hub_issue.log", "yolo"),
])
def test_the_family_that_claims_the_log_names_the_reader(name: str, reader: str):
    assert read_log(WILD / name).reader == reader


# ----------------------------------------------------------------------------- keras

def test_keras_evaluate_after_fit_is_the_test_set_not_a_restart():
    s = read_log(WILD / "keras2_html_br_zh_course.log")
    assert s.metrics["test_acc"].series == [(5, pytest.approx(97.88))]
    assert s.metrics["train_acc"].last == pytest.approx(98.94)
    assert s.params == 407050 and not s.warnings


def test_keras_fit_stages_join_into_one_series():
    s = read_log(WILD / "keras2_fit_stages_issue.log")
    assert [e for e, _ in s.metrics["train_loss"].series] == [1, 2, 3, 4, 5]
    assert s.epochs_seen == 5
    assert any("5 training stages" in w for w in s.warnings)
    assert not any("restarted" in w for w in s.warnings)


def test_keras_lines_without_epoch_headers_count_epochs():
    line = ("469/469 [==============================] - 2s 4ms/step - loss: {:.4f} - "
            "accuracy: 0.9\n")
    s = parse_log("".join(line.format(1 / e) for e in range(1, 4)))
    assert [e for e, _ in s.metrics["train_loss"].series] == [1, 2, 3]


# ----------------------------------------------------------------------------- fairseq, mmcv

def test_fairseq_validation_progress_is_no_result():
    assert points("fairseq_lstm_issue.log", "val_loss") == [(4, 3.69), (5, 3.13)]
    assert points("fairseq_lstm_issue.log", "train_loss") == [(5, 2.92)]
    assert points("fairseq_fp16_overflow_issue.log", "train_loss") == [
        (8, 4.752), (9, 4.576), (10, 4.44)]                 # not valid_nll_loss


def test_mmcv_val_epoch_and_saved_checkpoint_closes_the_epoch():
    s = read_log(WILD / "mmcls_mmcv_issue.log")
    assert s.metrics["val_acc"].series == [(1, 22.0)]
    assert s.metrics["train_loss"].series == [(1, 0.3445), (2, 0.5266)]
    assert (s.epochs_seen, s.epochs_planned) == (2, 30)


# ----------------------------------------------------------------------------- HF, timm, Lightning

def test_hugging_face_metric_blocks():
    s = read_log(WILD / "hf_metrics_printout_repo.log")
    assert s.metrics["val_acc"].series == [(30, pytest.approx(99.18))]
    assert s.metrics["test_acc"].series == [(30, pytest.approx(98.26))]
    assert "train_loss" not in s.metrics                  # the run's mean is no epoch's value


def test_deit_averaged_stats_use_the_global_average():
    assert points("deit_metric_logger_issue.log", "train_loss") == [
        (66, 0.0097), (67, 0.0141), (68, 0.0114)]


def test_lightning_bars_in_an_mpi_log_with_escaped_carriage_returns():
    s = read_log(WILD / "lightning_sagemaker_mpi_issue.log")
    assert s.metrics["val_acc"].series == [(0, pytest.approx(16.6))]
    assert s.epochs_seen == 1


# ----------------------------------------------------------------------------- steps

def test_nanogpt_evaluations_are_the_series_and_iteration_nan_warns():
    s = read_log(WILD / "nanogpt_nan_quoted_issue.log")
    assert s.x == "step" and s.metrics["val_loss"].series == [(3000, 4.0427)]
    assert any("train_loss is nan at step 3010 (line 23)" in w for w in s.warnings)


def test_tensorflow_and_caffe_steps():
    s = read_log(WILD / "t2t_estimator_eval_issue.log")
    assert s.x == "step" and s.metrics["val_acc"].series == [(32000, pytest.approx(73.40964))]
    c = read_log(WILD / "caffe_iterations_issue.log")
    assert c.metrics["train_acc"].series[0] == (1851300, pytest.approx(96.875))


# ----------------------------------------------------------------------------- PyTorch, generic

def test_finished_training_completes_the_last_epoch():
    s = read_log(WILD / "seed003_minibatch_finished.log")
    assert s.epochs_seen == 10 and s.metrics["train_loss"].last_epoch == 10


def test_kuangliu_bars_without_epoch_headers_count_epochs_by_the_training_set_size():
    s = read_log(WILD / "heldout4_kuangliu_mobilenetv2_repo.log")
    assert s.epochs_seen == 15 and s.reader == "pytorch"
    assert s.metrics["test_acc"].best_epoch == 14 and s.metrics["test_acc"].last == 84.01
    assert s.metrics["train_acc"].series[:2] == [(1, 37.226), (2, 56.554)]
    assert any("over 50000 samples" in w for w in s.warnings)
    # two epochs cut from DPN92_CIFAR10_10.txt (the same fork): 391/391 trains, 100/100 tests
    lines = ["  Step: 4s478ms | Tot: 1m51s | Loss: 1.788 | Acc: 34.418% (17209/50000)",
             "  Step: 61ms | Tot: 6s236ms | Loss: 1.471 | Acc: 47.040% (4704/10000)",
             "  Step: 202ms | Tot: 1m46s | Loss: 1.276 | Acc: 53.906% (26953/50000)",
             "  Step: 61ms | Tot: 6s164ms | Loss: 1.103 | Acc: 60.560% (6056/10000)"]
    s = parse_log("\n".join(f"{t:<91}{'391/391' if '50000' in t else '100/100'}" for t in lines))
    assert s.metrics["test_loss"].series == [(1, 1.471), (2, 1.103)]
    assert s.metrics["train_loss"].series == [(1, 1.788), (2, 1.276)]
    headed = parse_log("Epoch: 0\n" + lines[0] + "\n" + lines[1] + "\n")
    assert headed.metrics["test_acc"].series == [(0, 47.04)] and headed.epochs_seen == 1


def test_a_benchmark_accuracy_before_the_first_epoch_is_a_separate_evaluation():
    s = read_log(WILD / "heldout2_cosface_lfw_issue.log")        # "LFWACC=0.6500" on line 1
    assert s.evaluations == [("test_acc", pytest.approx(65.0))]


def test_lines_tagged_with_a_model_part_are_not_the_models_metrics():
    s = read_log(WILD / "heldout2_signalprop_blocks_issue.log")
    assert s.metrics["train_acc"].series == [(9, pytest.approx(10.13))]
    assert s.metrics["train_loss"].series == [(9, pytest.approx(2.4259))]
    assert s.metrics["test_acc"].series == [(9, pytest.approx(12.62))]
    tagged = parse_log("Epoch 1\n[Train] Acc: 0.50 Loss: 1.2\n[BlockConv] Acc: 0.70 Loss: 5.6\n")
    assert tagged.metrics["train_acc"].series == [(1, 50.0)]         # "[Train]" is a split


def test_phase_headers_give_an_unlabeled_accuracy_its_split():
    s = read_log(WILD / "phase_header_frac_repo.log")
    assert s.metrics["test_acc"].series[0] == (0, pytest.approx(27.58))
    assert s.metrics["train_acc"].series[0] == (0, pytest.approx(32.73))
    s = parse_log("Epoch: 6\nTrain\nAccuracy: 50.52%\tLoss: 0.72\nTest\nAccuracy: 50.02%\n")
    assert s.metrics["test_acc"].last == 50.02


def test_an_accuracy_printed_now_and_then_is_an_evaluation():
    s = read_log(WILD / "noprop_sparse_acc_repo.log")
    assert points("noprop_sparse_acc_repo.log", "test_acc") == [
        (10, 9.32), (20, 11.77), (30, 11.52)]
    assert any("read as test_acc" in w for w in s.warnings)
    every = parse_log("Epoch 1: loss=0.9 acc=0.6\nEpoch 2: loss=0.8 acc=0.7\n")
    assert any("read as train_acc" in w for w in every.warnings)      # never silently


def test_markdown_table_with_column_headers():
    s = read_log(WILD / "markdown_table_repo.log")
    assert s.metrics["val_acc"].best_epoch == 19 and s.epochs_seen == 20


def test_blocks_without_epoch_numbers_count_epochs():
    s = parse_log("Train loss: 0.5\nTest set: Average loss: 0.3, Accuracy: 9000/10000 (90%)\n"
                  "Train loss: 0.4\nTest set: Average loss: 0.25, Accuracy: 9200/10000 (92%)\n")
    assert s.metrics["test_acc"].series == [(1, 90.0), (2, 92.0)]
    assert any("numbers no epochs" in w for w in s.warnings)


def test_timm_train_and_test_lines():
    # made up for this test, in the shape timm's train.py prints (no real timm text log found)
    text = ("Train: 0 [   0/1251 (  0%)]  Loss: 6.95 (6.95)  Time: 2.1s  LR: 1.0e-06\n"
            "Train: 0 [1250/1251 (100%)]  Loss: 6.81 (6.88)  Time: 0.3s  LR: 1.0e-06\n"
            "Test: [   0/48]  Time: 1.2 (1.2)  Loss: 6.5 (6.5)  Acc@1: 1.0 (1.0)  Acc@5: 4.0 (4.0)\n"
            "Test: [  48/48]  Time: 0.2 (0.3)  Loss: 6.4 (6.6)  Acc@1: 2.0 (1.4)  Acc@5: 6.0 (5.1)\n")
    s = parse_log(text)
    assert s.metrics["test_acc"].series == [(0, 1.4)] and s.metrics["top5"].last == 5.1
    assert s.metrics["train_loss"].series == [(0, 6.88)] and s.epochs_seen == 1


# ----------------------------------------------------------------------------- detectron2

@pytest.mark.parametrize("name, series", [
    ("heldout5_d2go_warmup_issue.log",
     [(19, 1.475), (39, 1.383), (59, 1.339), (79, 1.348), (99, 1.163)]),
    # the newer header: "[04/14 09:05:02] d2.utils.events INFO:  eta: .."
    ("heldout5_querydet_d2_info_issue.log",
     [(119, 9.214), (139, 8.534), (159, 9.459), (179, 9.233), (199, 8.972), (219, 8.772)]),
])
def test_detectron2_events_total_loss_by_iteration(name: str, series: list[tuple[int, float]]):
    s = read_log(WILD / name)
    assert s.x == "step" and list(s.metrics) == ["train_loss"]     # loss_cls etc. are parts
    assert points(name, "train_loss") == series
    assert s.lr_changes[0] == (series[0][0], pytest.approx(s.lr_changes[0][1]))


# ----------------------------------------------------------------------------- paddle

def test_paddleseg_iterations_are_the_x_axis_and_the_planned_count_is_kept():
    s = read_log(WILD / "heldout5_paddleseg_iters_pr.log")
    assert s.x == "step" and points("heldout5_paddleseg_iters_pr.log", "train_loss")[-1] == (
        140, pytest.approx(1.4884))
    assert any("step 140 of 500 planned steps" in w for w in s.warnings)


def test_paddleseg_finished_run_is_not_unfinished():
    # made up for this test, in the shape of the PaddleSeg lines above: the last iteration
    text = ("2021-03-30 06:55:57 [INFO]\t[TRAIN] epoch: 1, iter: 480/500, loss: 1.2, lr: 0.001\n"
            "2021-03-30 06:56:04 [INFO]\t[TRAIN] epoch: 1, iter: 500/500, loss: 1.1, lr: 0.001\n")
    s = parse_log(text)
    assert s.metrics["train_loss"].series == [(480, 1.2), (500, 1.1)] and not s.warnings


def test_paddleclas_train_and_eval_avg_lines():
    s = read_log(WILD / "heldout5_paddleclas_flowers_repo.log")
    assert points("heldout5_paddleclas_flowers_repo.log", "val_acc") == [
        (5, pytest.approx(58.627)), (10, pytest.approx(89.118)), (15, pytest.approx(91.863)),
        (20, pytest.approx(92.059))]
    assert s.epochs_seen == 20 and s.epochs_planned == 20


# ----------------------------------------------------------------------------- yolo console

def test_ultralytics_console_blocks_give_epochs_and_map():
    s = read_log(WILD / "heldout5_ultralytics_console_multigpu_issue.log")
    assert s.epochs_seen == 153 and s.epochs_planned == 200
    assert points("heldout5_ultralytics_console_multigpu_issue.log", "map50_95") == [
        (151, pytest.approx(0.82)), (152, pytest.approx(0.82)), (153, pytest.approx(0.821))]
    assert any("153 of 200" in w for w in s.warnings)


def test_ultralytics_segmentation_row_takes_the_boxes_and_a_revalidation_is_an_evaluation():
    # made up for this test, in the shape ultralytics prints for a segmentation model (box and
    # mask columns) and for the validation of best.pt after the last epoch
    head = ("      Epoch    GPU_mem   box_loss   seg_loss   cls_loss   dfl_loss  Instances       Size\n"
            "        1/1      2.31G      1.493      2.329      2.628      1.206         60        640: 100%\n"
            "                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95)"
            "     Mask(P          R      mAP50  mAP50-95): 100%\n")
    row = "                   all        128        929      0.742      0.136      0.231      0.139" \
          "      0.749      0.139      0.234      0.141\n"
    best = row.replace("0.231", "0.251")
    s = parse_log(head + row + "Validating runs/segment/train/weights/best.pt...\n" + best)
    assert s.metrics["map50"].series == [(1, 0.231)] and s.metrics["map50_95"].last == 0.139
    assert ("map50", 0.251) in s.evaluations
