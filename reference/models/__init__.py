"""The model zoo, summaries of any model (shapes, parameters, MACs) and the `model.summary` kind.

One module per topic: `zoo` (LeNet-5, VGG, ResNet), `macs` (the counting convention),
`summary` (the hooked pass and its table), `question` (answers and classic mistakes).
"""
from reference.models.macs import CONVENTION, rnn_macs_per_token
from reference.models.question import (
    ASKS, BN_RUNNING_STATS, CIFAR_FOR_IMAGENET, IMAGENET_FOR_CIFAR, NO_BIAS, NO_BN, WRONG_CLASSES,
    model_summary, zoo_options, zoo_summary)
from reference.models.summary import (
    DTYPES, Input, Row, Summary, SummaryError, format_table, make_inputs, summary)
from reference.models.zoo import NAMES, ZOO, VGG, BasicBlock, Bottleneck, LeNet5, ResNet, VGGCifar, build

__all__ = [
    "ASKS", "BN_RUNNING_STATS", "CIFAR_FOR_IMAGENET", "CONVENTION", "DTYPES", "IMAGENET_FOR_CIFAR",
    "NAMES", "NO_BIAS", "NO_BN", "WRONG_CLASSES", "ZOO", "VGG", "BasicBlock", "Bottleneck", "Input",
    "LeNet5", "ResNet", "Row", "Summary", "SummaryError", "VGGCifar", "build", "format_table",
    "make_inputs", "model_summary", "rnn_macs_per_token", "summary", "zoo_options", "zoo_summary",
]
