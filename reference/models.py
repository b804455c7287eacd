"""The reference model zoo and torchsummary-style summaries (output shapes, parameters, MACs).

Zoo (`build(name)`), written here because torchvision is not a dependency:
- `lenet5`: conv 6@5×5 → pool → conv 16@5×5 → pool → fc 120 → fc 84 → fc classes, the classic
  LeNet-5 (tanh, average pooling; `activation="relu"`, `pool="max"` give the modern variant),
  for 1×32×32 inputs by default (`in_channels`, `image_size`).
- `vgg11`, `vgg13`, `vgg16`, `vgg19` and `_bn`: torchvision's VGG, module for module (features,
  AdaptiveAvgPool2d(7, 7), classifier 4096-4096-classes with dropout) and with its init.
- `resnet18`, `resnet34`, `resnet50`: torchvision's ResNet (v1.5: stride on the 3×3 conv of a
  bottleneck), same attribute names (conv1, bn1, layer1..4, downsample, fc), so state_dicts line up.
- `_cifar` variants (10 classes by default), the kuangliu/pytorch-cifar convention: ResNets with a
  3×3 stride-1 stem and no max-pool; VGGs with the same features and one Linear(512, classes)
  after a flatten (for 32×32 inputs the features end at 1×1×512).

`summary(model, input_size)` follows torchsummary: a forward pass with hooks on every module
except containers (Sequential, ModuleList, ModuleDict) and the model itself, so residual blocks get
rows too (after their children, numbered in the order their forward ends), on the meta device so
that nothing is computed. Rows count the module's own parameters; totals count every parameter of
the model once. MACs: convolution K_h·K_w·(C_in/groups)·C_out·H_out·W_out, linear in·out per
output row; batchnorm, activations, pooling, dropout and the residual additions count 0 (the
convention behind the ResNet paper's 1.8 / 3.6 GFLOPs and torchvision's 1.81 / 3.66 "GFLOPS").
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import torch
from torch import nn

from reference.worked import Worked

# ---------------------------------------------------------------- LeNet-5


class LeNet5(nn.Module):
    """LeNet-5: two conv/pool stages and three fully connected layers."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, image_size: int = 32,
                 activation: str = "tanh", pool: str = "avg") -> None:
        super().__init__()
        act = {"tanh": nn.Tanh, "relu": nn.ReLU}[activation]
        pooling = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}[pool]
        side = ((image_size - 4) // 2 - 4) // 2  # two 5×5 valid convs, each followed by a 2×2 pool
        if side < 1:
            raise ValueError(f"lenet5: image_size {image_size} is too small (needs at least 16)")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5), act(), pooling(2),
            nn.Conv2d(6, 16, 5), act(), pooling(2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * side * side, 120), act(),
            nn.Linear(120, 84), act(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.flatten(x, 1)  # (N, 16·side·side)
        return self.classifier(x)


# ---------------------------------------------------------------- VGG

_VGG_CFGS: dict[str, list[int | str]] = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}


def _vgg_features(cfg: Sequence[int | str], batch_norm: bool, in_channels: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    c = in_channels
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        conv = nn.Conv2d(c, int(v), kernel_size=3, padding=1)
        layers += [conv, nn.BatchNorm2d(int(v)), nn.ReLU(inplace=True)] if batch_norm else [
            conv, nn.ReLU(inplace=True)]
        c = int(v)
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """torchvision's VGG: features, AdaptiveAvgPool2d((7, 7)), classifier 4096-4096-classes."""

    def __init__(self, cfg: Sequence[int | str], batch_norm: bool, num_classes: int = 1000,
                 in_channels: int = 3, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = _vgg_features(cfg, batch_norm, in_channels)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        _init_vgg(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))  # (N, 512, 7, 7)
        return self.classifier(torch.flatten(x, 1))


class VGGCifar(nn.Module):
    """VGG features and one Linear(512, classes): the pytorch-cifar convention for 32×32 inputs."""

    def __init__(self, cfg: Sequence[int | str], batch_norm: bool, num_classes: int = 10,
                 in_channels: int = 3) -> None:
        super().__init__()
        self.features = _vgg_features(cfg, batch_norm, in_channels)
        self.classifier = nn.Linear(512, num_classes)
        _init_vgg(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 512, 1, 1) for 32×32 inputs
        return self.classifier(torch.flatten(x, 1))


def _init_vgg(model: nn.Module) -> None:
    """torchvision's VGG init (a no-op on the meta device)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.constant_(m.bias, 0)


# ---------------------------------------------------------------- ResNet


def _conv3x3(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size=3, stride=stride, padding=1, bias=False)


def _conv1x1(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3×3 convs and an identity (or 1×1 projection) shortcut; one ReLU module used twice."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        # the shortcut runs after the main path, as in torchvision, so summary rows come in its order
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1×1 reduce, 3×3 (carrying the stride, as torchvision's v1.5), 1×1 expand by 4."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = _conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = _conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision's ResNet; `cifar=True` swaps the stem for a 3×3 stride-1 conv and drops the max-pool."""

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], layers: Sequence[int],
                 num_classes: int = 1000, in_channels: int = 3, cifar: bool = False) -> None:
        super().__init__()
        self.inplanes = 64
        if cifar:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = None if cifar else nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block: type[BasicBlock] | type[Bottleneck], planes: int, blocks: int,
                    stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(_conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        if self.maxpool is not None:
            x = self.maxpool(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)  # (N, 512·expansion)
        return self.fc(x)


# ---------------------------------------------------------------- the zoo

_RESNETS = {"resnet18": (BasicBlock, (2, 2, 2, 2)), "resnet34": (BasicBlock, (3, 4, 6, 3)),
            "resnet50": (Bottleneck, (3, 4, 6, 3))}


def _zoo() -> dict[str, Callable[..., nn.Module]]:
    zoo: dict[str, Callable[..., nn.Module]] = {"lenet5": LeNet5}
    for name, cfg in _VGG_CFGS.items():
        for bn in (False, True):
            base = name + ("_bn" if bn else "")
            zoo[base] = lambda cfg=cfg, bn=bn, **kw: VGG(cfg, bn, **kw)
            zoo[base + "_cifar"] = lambda cfg=cfg, bn=bn, **kw: VGGCifar(cfg, bn, **kw)
    for name, (block, layers) in _RESNETS.items():
        zoo[name] = lambda block=block, layers=layers, **kw: ResNet(block, layers, **kw)
        zoo[name + "_cifar"] = lambda block=block, layers=layers, **kw: ResNet(block, layers, cifar=True, **kw)
    return zoo


ZOO = _zoo()
NAMES: tuple[str, ...] = tuple(ZOO)
_CHOICES = {"activation": ("tanh", "relu"), "pool": ("avg", "max")}


def _canonical(name: str) -> str:
    """Accept `vgg16_cifar_bn` for `vgg16_bn_cifar`, and any letter case."""
    key = name.lower().strip() if isinstance(name, str) else ""
    if key.endswith("_cifar_bn"):
        key = key[: -len("_cifar_bn")] + "_bn_cifar"
    if key not in ZOO:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(NAMES)}")
    return key


def _allowed_kwargs(name: str) -> set[str]:
    if name == "lenet5":
        return {"in_channels", "image_size", "activation", "pool"}
    if name.startswith("vgg") and not name.endswith("_cifar"):
        return {"in_channels", "dropout"}
    return {"in_channels"}


def build(name: str, num_classes: int | None = None, **kwargs: Any) -> nn.Module:
    """A zoo model by name; `num_classes` defaults to 10 for lenet5 and `_cifar` variants, else 1000.

    Build inside `with torch.device("meta"):` to count parameters without allocating them.
    """
    key = _canonical(name)
    unknown = set(kwargs) - _allowed_kwargs(key)
    if unknown:
        raise ValueError(f"{key}: unknown option {sorted(unknown)[0]!r}; "
                         f"known: num_classes, {', '.join(sorted(_allowed_kwargs(key)))}")
    for option, choices in _CHOICES.items():
        if option in kwargs and kwargs[option] not in choices:
            raise ValueError(f"{key}: {option} {kwargs[option]!r} is not one of {', '.join(choices)}")
    for option in ("num_classes", "in_channels", "image_size"):
        value = num_classes if option == "num_classes" else kwargs.get(option, 1)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{key}: {option} {value!r} is not a positive integer")
    if num_classes is None:
        num_classes = 10 if key == "lenet5" or key.endswith("_cifar") else 1000
    return ZOO[key](num_classes=num_classes, **kwargs)


# ---------------------------------------------------------------- summary: measured


@dataclass(frozen=True)
class Row:
    """One hooked module call: torchsummary's name (`Conv2d-1`), its path, output and own parameters."""

    name: str
    path: str
    output_shape: list[Any]  # [-1, C, H, W]; a list of such lists for a tuple output
    params: int
    trainable: bool
    macs: int


@dataclass(frozen=True)
class Summary:
    """Per-module rows in call order, and totals over the model's parameters (each counted once)."""

    rows: tuple[Row, ...]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    total_macs: int
    input_size: tuple[Any, ...]
    batch_size: int = -1


_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def _meta_copy(model: nn.Module) -> nn.Module:
    """A copy of `model` on the meta device, without copying any weight data."""
    memo: dict[int, Any] = {}
    for p in model.parameters():
        memo[id(p)] = nn.Parameter(torch.empty_like(p, device="meta"), requires_grad=p.requires_grad)
    for b in model.buffers():
        memo[id(b)] = torch.empty_like(b, device="meta")
    return copy.deepcopy(model, memo)


def _macs(module: nn.Module, output: torch.Tensor) -> int:
    """Multiply-accumulates of one call, per sample (see the module docstring for the convention)."""
    if isinstance(module, nn.modules.conv._ConvNd):
        per_output = math.prod(module.kernel_size) * module.in_channels // module.groups
        return per_output * output[0].numel()
    if isinstance(module, nn.Linear):
        return module.in_features * output[0].numel()
    return 0


def _shape(output: Any, batch_size: int) -> list[Any]:
    if isinstance(output, torch.Tensor):
        return [batch_size, *output.shape[1:]]
    if isinstance(output, (tuple, list)):
        return [_shape(o, batch_size) for o in output if isinstance(o, (torch.Tensor, tuple, list))]
    return []


def _input_sizes(input_size: Sequence[Any]) -> list[tuple[int, ...]]:
    """One (C, H, W)-like tuple per model input; a flat sequence of ints is a single input."""
    if all(isinstance(n, int) for n in input_size):
        return [tuple(input_size)]
    return [tuple(size) for size in input_size]


def summary(model: nn.Module, input_size: Sequence[Any], *, batch_size: int = -1) -> Summary:
    """torchsummary's table as data: hooks on every non-container module, one meta forward pass.

    `input_size` is one shape without the batch, e.g. (3, 224, 224), or a list of them for a
    model with several inputs. The model itself is not touched (a meta copy runs).
    """
    sizes = _input_sizes(input_size)
    meta = _meta_copy(model).eval()
    paths = {m: path for path, m in meta.named_modules()}
    rows: list[Row] = []

    def hook(module: nn.Module, _inputs: Any, output: Any) -> None:
        own = list(module.parameters(recurse=False))
        tensor = output if isinstance(output, torch.Tensor) else None
        rows.append(Row(
            name=f"{type(module).__name__}-{len(rows) + 1}",
            path=paths[module],
            output_shape=_shape(output, batch_size),
            params=sum(p.numel() for p in own),
            trainable=all(p.requires_grad for p in own),
            macs=_macs(module, tensor) if tensor is not None else 0,
        ))

    handles = [m.register_forward_hook(hook) for m in meta.modules()
               if m is not meta and not isinstance(m, _CONTAINERS)]
    try:
        with torch.no_grad():
            meta(*[torch.zeros(2, *size, device="meta") for size in sizes])  # 2: batchnorm needs > 1
    finally:
        for handle in handles:
            handle.remove()
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return Summary(rows=tuple(rows), total_params=total, trainable_params=trainable,
                   non_trainable_params=total - trainable, total_macs=sum(r.macs for r in rows),
                   input_size=tuple(sizes[0]) if len(sizes) == 1 else tuple(sizes),
                   batch_size=batch_size)


# ---------------------------------------------------------------- summary: shown

_RULE = 80


def format_table(summary: Summary) -> str:
    """torchsummary's text table, with a MACs column and a total-MACs line."""
    line = "{:>20}  {:>25} {:>15} {:>15}"
    out = ["-" * _RULE, line.format("Layer (type)", "Output Shape", "Param #", "MACs"), "=" * _RULE]
    out += [line.format(r.name, str(r.output_shape), f"{r.params:,}", f"{r.macs:,}") for r in summary.rows]
    batch = abs(summary.batch_size)
    sizes = _input_sizes(summary.input_size)
    input_mb = sum(math.prod(s) for s in sizes) * batch * 4 / 1024**2
    outputs_mb = 2 * sum(_numel(r.output_shape) for r in summary.rows) * batch * 4 / 1024**2
    params_mb = summary.total_params * 4 / 1024**2
    out += [
        "=" * _RULE,
        f"Total params: {summary.total_params:,}",
        f"Trainable params: {summary.trainable_params:,}",
        f"Non-trainable params: {summary.non_trainable_params:,}",
        f"Total MACs: {summary.total_macs:,} ({summary.total_macs / 1e9:.2f} G)",
        "-" * _RULE,
        f"Input size (MB): {input_mb:.2f}",
        f"Forward/backward pass size (MB): {outputs_mb:.2f}",
        f"Params size (MB): {params_mb:.2f}",
        f"Estimated Total Size (MB): {input_mb + outputs_mb + params_mb:.2f}",
        "-" * _RULE,
    ]
    return "\n".join(out)


def _numel(shape: list[Any]) -> int:
    """Elements per sample of a row's output (the batch entry left out)."""
    if shape and isinstance(shape[0], list):
        return sum(_numel(s) for s in shape)
    return math.prod(shape[1:]) if shape else 0


# ---------------------------------------------------------------- the homework question

ASKS = ("total_params", "table", "shapes")
WRONG_CLASSES = "counted with the wrong number of classes"
NO_BN = "batchnorm parameters left out"
NO_BIAS = "biases left out"
BN_RUNNING_STATS = "batchnorm running statistics counted as parameters"
IMAGENET_FOR_CIFAR = "the ImageNet variant instead of the CIFAR one"
CIFAR_FOR_IMAGENET = "the CIFAR variant instead of the ImageNet one"


def _answer(s: Summary, ask: str) -> Any:
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
    return None  # shapes do not depend on which parameters are counted


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
    """Question kind `model.summary`: a zoo model's total parameters, table rows or output shapes.

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
    options = dict(kwargs or {})
    options.setdefault("in_channels", input[0])
    if key == "lenet5":
        options.setdefault("image_size", input[1])

    def measure(name: str, opts: Mapping[str, Any]) -> tuple[nn.Module, Summary]:
        with torch.device("meta"):
            net = build(name, **opts)
        try:
            return net, summary(net, tuple(input))
        except RuntimeError as error:  # e.g. an input too small for the network
            raise ValueError(f"{name} cannot take input {list(input)}: {error}".splitlines()[0]) from None

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
    if ask == "total_params":
        buffers = sum(m.running_mean.numel() + m.running_var.numel() for m in net.modules()
                      if isinstance(m, nn.modules.batchnorm._BatchNorm))
        found[BN_RUNNING_STATS] = s.total_params + buffers if buffers else None
    mistakes = {n: v for n, v in found.items() if v is not None and v != answer}
    return Worked(answer=answer, steps=tuple(_stage_steps(net, s)), mistakes=mistakes)


def _last_linear(model: nn.Module) -> nn.Linear:
    return [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
