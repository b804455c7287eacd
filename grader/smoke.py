"""The self-check without the dataset: zeros of the dataset's known shape.

`grade check` on a student's machine rarely has CIFAR-10 under a data root. The claim is then
`unverifiable`, but the student should still learn before hand-in whether the model and the
checkpoint load and what they output: `ClaimVerifier` (smoke=True) re-runs the claim on
`zeros_split(claim)`, two all-zero images of the dataset's shape, or a few zero tokens for a
language model (token 0 exists in every vocabulary).
"""
from __future__ import annotations

import numpy as np

from grader.assignment import Claim
from grader.datasets import ImageSplit, TextSplit

# (C, H, W) of the datasets a claim can name; imagefolder:PATH has no known shape.
KNOWN_SHAPES = {"cifar10": (3, 32, 32), "cifar100": (3, 32, 32), "mnist": (1, 28, 28),
                "tiny-imagenet": (3, 64, 64), "digits": (1, 8, 8)}
# The classes each names: a model with fewer outputs cannot be right however it is trained.
KNOWN_CLASSES = {"cifar10": 10, "cifar100": 100, "mnist": 10, "tiny-imagenet": 200, "digits": 10}
IMAGES = 2
STEPS = 8           # token rows per batch column for a language model


def zeros_split(claim: Claim) -> ImageSplit | TextSplit | None:
    """All-zero inputs shaped like the claim's dataset, or None when the shape is not known."""
    if claim.task == "language-model":
        bsz = int(claim.options.get("eval_batch_size", 10))
        return TextSplit("zeros", np.zeros(bsz * (STEPS + 1), dtype=np.int64), ())
    shape = KNOWN_SHAPES.get(claim.dataset.strip())
    if shape is None:
        return None
    return ImageSplit("zeros", np.zeros((IMAGES, *shape), dtype=np.uint8),
                      np.zeros(IMAGES, dtype=np.int64), 255.0,
                      KNOWN_CLASSES.get(claim.dataset.strip(), 0))
