"""Question kind `model.summary`: a zoo model's parameters, table rows or shapes, with mistakes."""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import torch
from torch import nn

from reference.models.summary import Summary, SummaryError, summary
from reference.models.zoo import _allowed_kwargs, _canonical, build
from reference.worked import Worked


def zoo_options(name: str, input: Sequence[int], kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build options for a zoo model at input [C, H, W]: channels (and LeNet's size) from the input."""
    key = _canonical(name)
    options = dict(kwargs or {})
    options.setdefault("in_channels", input[0])
    if key == "lenet5":
        options.setdefault("image_size", input[1])
    return options


def zoo_summary(name: str, input: Sequence[int], kwargs: Mapping[str, Any] | None = None) -> Summary:
    """The summary of zoo model `name` at input [C, H, W], built on the meta device."""
    key = _canonical(name)
    with torch.device("meta"):
        net = build(key, **zoo_options(key, input, kwargs))
    try:
        return summary(net, tuple(input))
    except SummaryError as error:  # e.g. an input too small for the network
        raise ValueError(f"{key} cannot take input {','.join(map(str, input))} (C,H,W): {error}") from None


ASKS = ("total_params", "table", "shapes", "total_macs")
FLOPS_FOR_MACS = "FLOPs (2·MACs) given for MACs"
WRONG_CLASSES = "counted with the wrong number of classes"
NO_BN = "batchnorm parameters left out"
NO_BIAS = "biases left out"
BN_RUNNING_STATS = "batchnorm running statistics counted as parameters"
IMAGENET_FOR_CIFAR = "the ImageNet variant instead of the CIFAR one"
CIFAR_FOR_IMAGENET = "the CIFAR variant instead of the ImageNet one"


def _answer(s: Summary, ask: str) -> Any:
    if ask == "total_macs":
        return s.total_macs
    if ask == "total_params":
        return s.total_params
    if ask == "shapes":
        return [r.output_shape for r in s.rows]
    return [[r.name, r.output_shape, r.params] for r in s.rows]


def _without(model: nn.Module, s: Summary, ask: str, dropped: Callable[[nn.Module, str], bool]) -> Any:
    """The answer when the parameters `dropped(module, name)` selects are not counted."""
    gone = {path: sum(p.numel() for n, p in m.named_parameters(recurse=False) if dropped(m, n))
            for path, m in model.named_modules()}
    if not any(gone.values()):
        return None
    if ask == "total_params":
        return s.total_params - sum(gone.values())
    if ask == "table":
        return [[r.name, r.output_shape, r.params - gone.get(r.path, 0)] for r in s.rows]
    return None  # shapes and MACs do not depend on which parameters are counted


def _stage_steps(model: nn.Module, s: Summary) -> list[str]:
    steps = []
    for name, child in model.named_children():
        n = sum(p.numel() for p in child.parameters())
        if n:
            steps.append(f"{name}: {n:,}")
    steps.append(f"total: {s.total_params:,} parameters ({s.trainable_params:,} trainable)")
    steps.append(f"MACs per image: {s.total_macs:,}")
    return steps


def model_summary(model: str, input: Sequence[int], ask: str = "total_params",
                  kwargs: Mapping[str, Any] | None = None) -> Worked:
    """Question kind `model.summary`: a zoo model's total parameters, table rows, output shapes,
    or MACs per image (`total_macs`, the convention of `reference.models.macs`).

    `input` is [C, H, W]; `kwargs` go to `build` (num_classes, in_channels, ...). For lenet5 the
    input's channels and size are used unless `kwargs` say otherwise; other models take
    `in_channels` from the input. Table rows are `[name, [-1, C, H, W], params]` as torchsummary
    prints them, and `shapes` lists those output shapes.
    """
    if ask not in ASKS:
        raise ValueError(f"ask {ask!r} is not one of {', '.join(ASKS)}")
    if (isinstance(input, (str, bytes)) or not isinstance(input, Sequence) or len(input) != 3
            or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in input)):
        raise ValueError(f"input {input!r} is not [C, H, W] of positive integers")
    key = _canonical(model)
    options = zoo_options(key, input, kwargs)

    def measure(name: str, opts: Mapping[str, Any]) -> tuple[nn.Module, Summary]:
        with torch.device("meta"):
            net = build(name, **opts)
        try:
            return net, summary(net, tuple(input))
        except SummaryError as error:  # e.g. an input too small for the network
            raise ValueError(f"{name} cannot take input {','.join(map(str, input))} (C,H,W): "
                             f"{error}") from None

    net, s = measure(key, options)
    answer = _answer(s, ask)
    found: dict[str, Any] = {}
    classes = _last_linear(net)
    wrong_classes = 1000 if classes.out_features != 1000 else 10
    alternatives = {WRONG_CLASSES: (key, {**options, "num_classes": wrong_classes})}
    if key.startswith(("resnet", "vgg")):
        other = key[: -len("_cifar")] if key.endswith("_cifar") else key + "_cifar"
        alt_opts = {k: v for k, v in options.items() if k in _allowed_kwargs(other)}
        alt_opts.setdefault("num_classes", classes.out_features)
        name = IMAGENET_FOR_CIFAR if key.endswith("_cifar") else CIFAR_FOR_IMAGENET
        alternatives[name] = (other, alt_opts)
    for name, (alt_key, alt_opts) in alternatives.items():
        try:
            found[name] = _answer(measure(alt_key, alt_opts)[1], ask)
        except ValueError:
            continue
    found[NO_BN] = _without(net, s, ask, lambda m, n: isinstance(m, nn.modules.batchnorm._BatchNorm))
    found[NO_BIAS] = _without(net, s, ask, lambda m, n: n == "bias")
    if ask == "total_macs":
        found[FLOPS_FOR_MACS] = 2 * s.total_macs
    if ask == "total_params":
        buffers = sum(m.running_mean.numel() + m.running_var.numel() for m in net.modules()
                      if isinstance(m, nn.modules.batchnorm._BatchNorm))
        found[BN_RUNNING_STATS] = s.total_params + buffers if buffers else None
    mistakes = {n: v for n, v in found.items() if v is not None and v != answer}
    return Worked(answer=answer, steps=tuple(_stage_steps(net, s)), mistakes=mistakes)


def _last_linear(model: nn.Module) -> nn.Linear:
    return [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
