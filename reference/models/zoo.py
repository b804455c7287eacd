"""The reference model zoo, written here because torchvision is not a dependency.

- `lenet5`: conv 6@5×5 → pool → conv 16@5×5 → pool → fc 120 → fc 84 → fc classes, the classic
  LeNet-5 (tanh, average pooling; `activation="relu"`, `pool="max"` give the modern variant),
  for 1×32×32 inputs by default (`in_channels`, `image_size`).
- `vgg11`, `vgg13`, `vgg16`, `vgg19` and `_bn`: torchvision's VGG, module for module (features,
  AdaptiveAvgPool2d(7, 7), classifier 4096-4096-classes with dropout) and with its init.
- `resnet18`, `resnet34`, `resnet50`: torchvision's ResNet (v1.5: stride on the 3×3 conv of a
  bottleneck), same attribute names (conv1, bn1, layer1..4, downsample, fc), so state_dicts line up.
  MACs follow from that choice: resnet50 at 224×224 is 4.09 G multiply-accumulates, the number
  torchvision publishes (as "GFLOPS"). The ResNet paper's 3.8·10⁹ is v1, whose bottleneck strides
  in the first 1×1 conv, so the first 3×3 conv of stages 2-4 runs at a quarter of the positions
  (moving the stride there gives 3.86 G here; tests/reference/test_macs.py checks both).
  We keep v1.5 because it is the network students load weights into and train; resnet18/34 have
  no bottleneck and agree with the paper (1.8 and 3.6 G).
- `_cifar` variants (10 classes by default), the kuangliu/pytorch-cifar convention: ResNets with a
  3×3 stride-1 stem and no max-pool; VGGs with the same features and one Linear(512, classes)
  after a flatten (for 32×32 inputs the features end at 1×1×512).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
from torch import nn

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


