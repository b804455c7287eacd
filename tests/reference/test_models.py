"""reference.models: published parameter counts, real forward shapes, MACs against torch's counter."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from reference import models
from reference.worked import Worked


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def on_meta(name: str, **kwargs) -> nn.Module:
    with torch.device("meta"):
        return models.build(name, **kwargs)


# Counts published by torchvision (its model cards) and by kuangliu/pytorch-cifar (ResNet18: 11.17M).
@pytest.mark.parametrize("name, kwargs, expected", [
    ("resnet18", {}, 11_689_512),
    ("resnet34", {}, 21_797_672),
    ("resnet50", {}, 25_557_032),
    ("vgg11", {}, 132_863_336),
    ("vgg16", {}, 138_357_544),
    ("vgg16_bn", {}, 138_365_992),
    ("resnet18_cifar", {"num_classes": 10}, 11_173_962),
    ("lenet5", {"num_classes": 10}, 61_706),
])
def test_published_parameter_counts(name: str, kwargs: dict, expected: int) -> None:
    assert count(on_meta(name, **kwargs)) == expected


def test_default_classes() -> None:
    assert on_meta("resnet18").fc.out_features == 1000
    assert on_meta("resnet18_cifar").fc.out_features == 10
    assert on_meta("vgg11_bn_cifar").classifier.out_features == 10
    assert on_meta("lenet5").classifier[-1].out_features == 10


def test_state_dict_names_follow_torchvision() -> None:
    keys = set(on_meta("resnet18").state_dict())
    for key in ("conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                "layer2.0.downsample.1.num_batches_tracked", "layer4.1.bn2.bias", "fc.weight", "fc.bias"):
        assert key in keys
    assert "layer1.0.downsample.0.weight" not in keys  # identity shortcut in the first stage
    assert "layer1.0.downsample.0.weight" in set(on_meta("resnet50").state_dict())
    vgg = set(on_meta("vgg16").state_dict())
    assert {"features.0.weight", "features.28.weight", "classifier.0.weight", "classifier.6.bias"} <= vgg
    vgg_bn = set(on_meta("vgg11_bn").state_dict())
    assert {"features.1.running_var", "classifier.6.weight"} <= vgg_bn


def test_cifar_variants_keep_the_imagenet_body() -> None:
    cifar, imagenet = on_meta("resnet50_cifar"), on_meta("resnet50", num_classes=10)
    assert cifar.conv1.kernel_size == (3, 3) and cifar.conv1.stride == (1, 1) and cifar.maxpool is None
    assert count(imagenet) - count(cifar) == 64 * 3 * (7 * 7 - 3 * 3)
    assert count(on_meta("vgg16_cifar")) == count(on_meta("vgg16").features) + 512 * 10 + 10


def test_unknown_name_and_option() -> None:
    with pytest.raises(ValueError, match="unknown model 'resnet101'; known: lenet5, .*resnet50_cifar"):
        models.build("resnet101")
    with pytest.raises(ValueError, match="unknown option 'width'"):
        models.build("resnet18", width=2)
    assert count(on_meta("vgg11_cifar_bn")) == count(on_meta("vgg11_bn_cifar"))


# ---------------------------------------------------------------- summary


def real_shapes(model: nn.Module, input_size: tuple[int, ...]) -> list[list[int]]:
    """Output shapes of every non-container module call on a real forward pass over zeros."""
    shapes: list[list[int]] = []
    hooks = [m.register_forward_hook(lambda m, i, o: shapes.append([-1, *o.shape[1:]]))
             for m in model.modules()
             if m is not model and not isinstance(m, (nn.Sequential, nn.ModuleList))]
    with torch.no_grad():
        model.eval()(torch.zeros(2, *input_size))
    for h in hooks:
        h.remove()
    return shapes


@pytest.mark.parametrize("name, input_size", [("lenet5", (1, 32, 32)), ("resnet18_cifar", (3, 16, 16)),
                                              ("vgg11_bn_cifar", (3, 32, 32))])
def test_summary_matches_real_forward(name: str, input_size: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    model = models.build(name)
    s = models.summary(model, input_size)
    assert [r.output_shape for r in s.rows] == real_shapes(model, input_size)
    assert s.total_params == count(model) == s.trainable_params
    assert s.non_trainable_params == 0
    params_by_path = {path: sum(p.numel() for p in m.parameters(recurse=False))
                      for path, m in model.named_modules()}
    assert all(r.params == params_by_path[r.path] for r in s.rows)
    assert next(model.parameters()).device.type == "cpu"  # the model itself was not moved


def test_summary_rows_are_torchsummary_style() -> None:
    s = models.summary(on_meta("resnet18"), (3, 224, 224))
    assert s.rows[0] == models.Row("Conv2d-1", "conv1", [-1, 64, 112, 112], 9408, True, 7 * 7 * 3 * 64 * 112 * 112)
    assert [r.name for r in s.rows[:4]] == ["Conv2d-1", "BatchNorm2d-2", "ReLU-3", "MaxPool2d-4"]
    # a block's row follows its children; the block's ReLU module is called twice
    assert s.rows[10].name == "BasicBlock-11" and s.rows[10].path == "layer1.0"
    assert [r.path for r in s.rows[4:10]].count("layer1.0.relu") == 2
    assert s.rows[-1].name == "Linear-68" and s.rows[-1].output_shape == [-1, 1000]
    downsample = [r.path for r in s.rows if "downsample" in r.path][:2]
    assert downsample == ["layer2.0.downsample.0", "layer2.0.downsample.1"]


def test_frozen_parameters_are_non_trainable() -> None:
    model = models.build("lenet5")
    for p in model.features.parameters():
        p.requires_grad_(False)
    s = models.summary(model, (1, 32, 32))
    assert s.non_trainable_params == count(model.features) and s.trainable_params == count(model.classifier)
    assert s.rows[0].trainable is False and s.rows[-1].trainable is True


@pytest.mark.parametrize("name, published", [("resnet18", 1.814e9), ("resnet34", 3.664e9), ("resnet50", 4.089e9)])
def test_macs_match_published(name: str, published: float) -> None:
    s = models.summary(on_meta(name), (3, 224, 224))
    assert abs(s.total_macs - published) <= 0.03 * published


@pytest.mark.parametrize("name, input_size", [("resnet18", (3, 224, 224)), ("vgg11_bn_cifar", (3, 32, 32)),
                                              ("lenet5", (1, 32, 32))])
def test_macs_are_half_torch_flop_counter(name: str, input_size: tuple[int, ...]) -> None:
    model = on_meta(name)
    s = models.summary(model, input_size)
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, *input_size, device="meta"))
    assert 2 * s.total_macs == counter.get_total_flops()  # torch counts a multiply-add as 2 FLOPs


def test_format_table() -> None:
    model = models.build("lenet5")
    text = models.format_table(models.summary(model, (1, 32, 32)))
    lines = text.splitlines()
    assert lines[1].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#", "MACs"]
    assert lines[3].split() == ["Conv2d-1", "[-1,", "6,", "28,", "28]", "156", "117,600"]
    assert f"Total params: {count(model):,}" in lines
    assert f"Trainable params: {count(model):,}" in lines
    assert "Non-trainable params: 0" in lines
    assert any(line.startswith("Total MACs: ") for line in lines)


def test_format_table_sizes_match_torchsummary_for_resnet18() -> None:
    # torchsummary's well-known resnet18 footer at 3×224×224
    text = models.format_table(models.summary(on_meta("resnet18"), (3, 224, 224)))
    for line in ("Input size (MB): 0.57", "Forward/backward pass size (MB): 62.79",
                 "Params size (MB): 44.59", "Estimated Total Size (MB): 107.96"):
        assert line in text.splitlines()


# ---------------------------------------------------------------- the homework question


def test_model_summary_total_params() -> None:
    worked = models.model_summary("resnet18_cifar", [3, 32, 32])
    assert isinstance(worked, Worked)
    assert worked.answer == count(on_meta("resnet18_cifar"))
    assert worked.steps[-2] == f"total: {worked.answer:,} parameters ({worked.answer:,} trainable)"
    assert "layer1: 147,968" in worked.steps  # two BasicBlocks of 64 channels: 4·(3·3·64·64 + 2·64)
    assert worked.mistakes[models.WRONG_CLASSES] == count(on_meta("resnet18_cifar", num_classes=1000))
    assert worked.mistakes[models.IMAGENET_FOR_CIFAR] == count(on_meta("resnet18", num_classes=10))
    bn = sum(count(m) for m in on_meta("resnet18_cifar").modules() if isinstance(m, nn.BatchNorm2d))
    assert worked.mistakes[models.NO_BN] == worked.answer - bn
    assert worked.mistakes[models.BN_RUNNING_STATS] == worked.answer + bn
    assert worked.mistakes[models.NO_BIAS] == worked.answer - 10 - bn // 2


def test_model_summary_imagenet_side_and_kwargs() -> None:
    worked = models.model_summary("resnet34", [3, 224, 224], kwargs={"num_classes": 10})
    assert worked.answer == count(on_meta("resnet34", num_classes=10))
    assert worked.mistakes[models.WRONG_CLASSES] == 21_797_672
    assert worked.mistakes[models.CIFAR_FOR_IMAGENET] == count(on_meta("resnet34_cifar"))


def test_model_summary_table_and_shapes() -> None:
    model = models.build("lenet5")
    table = models.model_summary("lenet5", [1, 32, 32], ask="table")
    assert table.answer[0] == ["Conv2d-1", [-1, 6, 28, 28], 156]
    assert sum(row[2] for row in table.answer) == count(model)
    assert table.mistakes[models.NO_BIAS][0] == ["Conv2d-1", [-1, 6, 28, 28], 150]
    shapes = models.model_summary("lenet5", [1, 32, 32], ask="shapes")
    assert shapes.answer == real_shapes(model, (1, 32, 32))
    assert shapes.mistakes[models.WRONG_CLASSES][-1] == [-1, 1000]


def test_model_summary_lenet_takes_the_input_size() -> None:
    worked = models.model_summary("lenet5", [1, 28, 28])
    assert worked.answer == count(models.build("lenet5", image_size=28))


def test_model_summary_bad_arguments() -> None:
    with pytest.raises(ValueError, match="ask 'params' is not one of total_params, table, shapes"):
        models.model_summary("lenet5", [1, 32, 32], ask="params")
    with pytest.raises(ValueError, match="input"):
        models.model_summary("lenet5", [32, 32])
    with pytest.raises(ValueError, match="unknown model 'alexnet'"):
        models.model_summary("alexnet", [3, 224, 224])
