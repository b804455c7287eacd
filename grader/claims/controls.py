"""Memorisation controls: the claim measured again on inputs an honest model barely notices.

A public test set can be memorised into a checkpoint (all of CIFAR-10's test images are 30 MB),
and a model that looks each input up in such a table scores 100% without having learnt
anything. One more pass catches the exact-match table:

- classification: every pixel moved by -1, 0 or +1 step of its stored scale (±1/255 for CIFAR),
  at random; an honest model's accuracy moves by a fraction of a point;
- language models: the test lines in a shuffled order; an honest model loses at most the
  context across line ends.

The randomness is drawn per grading session from the OS, so the perturbed inputs cannot be
precomputed from the grader's (public) code. A table keyed on near neighbours is not caught:
against that, only a private split helps (DESIGN.md: `imagefolder:PATH`, `text:PATH`).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from grader.assignment import Claim
from grader.datasets import ImageSplit, TextSplit
from grader.i18n import _

NOISE_DROP_POINTS = 5.0     # accuracy may fall by max(this, 2 × tolerance) points
SHUFFLE_RATIO = 1.5         # perplexity may rise by this factor


@dataclass(frozen=True)
class ControlResult:
    name: str               # "pixel noise" | "shuffled lines"
    measured: float         # the claim's metric on the original inputs
    control: float          # ... on the perturbed ones
    ok: bool
    detail: str


def session_seed() -> int:
    return secrets.randbits(63)


def noisy_images(split: ImageSplit, seed: int) -> np.ndarray:
    """Each stored value moved by -1, 0 or +1 of its own scale, clipped to [0, scale]."""
    step = np.random.default_rng(seed).integers(-1, 2, split.images.shape, dtype=np.int16)
    top = 255 if split.scale > 255 else int(split.scale)
    return np.clip(split.images.astype(np.int16) + step, 0, top).astype(np.uint8)


def line_end(split: TextSplit) -> int | None:
    """The token that closes a line: `<eos>` (word level) or a newline (characters)."""
    for token in ("<eos>", "\n"):
        if token in split.vocab:
            return split.vocab.index(token)
    return None


def shuffled_lines(tokens: np.ndarray, end: int, seed: int) -> np.ndarray:
    """The same lines (each closed by `end`) in a random order; a trailing partial line stays
    last."""
    ids = tokens
    cuts = np.flatnonzero(ids == end) + 1
    lines = np.split(ids, cuts)
    tail = lines.pop() if len(lines) and (len(lines[-1]) == 0 or lines[-1][-1] != end) else None
    order = np.random.default_rng(seed).permutation(len(lines))
    parts = [lines[i] for i in order] + ([tail] if tail is not None and len(tail) else [])
    return np.concatenate(parts) if parts else ids.copy()


def judge_accuracy(claim: Claim, measured: float, noisy: float) -> ControlResult:
    allowed = max(NOISE_DROP_POINTS, 2 * claim.tolerance)
    drop = measured - noisy
    ok = drop <= allowed
    detail = (_("pixel noise (±1 step per pixel): {noisy}% against {measured}% (drop {drop} "
                "points, at most {allowed} allowed)").format(
                    noisy=f"{noisy:.2f}", measured=f"{measured:.2f}", drop=f"{drop:+.2f}",
                    allowed=f"{allowed:g}")
              + ("" if ok else _(": the model recognises the exact test images, not digits or "
                                 "objects; a lookup table of the test set behaves like this")))
    return ControlResult("pixel noise", measured, noisy, ok, detail)


def judge_perplexity(claim: Claim, measured: float, shuffled: float) -> ControlResult:
    ratio = shuffled / measured if measured > 0 else float("inf")
    ok = ratio <= SHUFFLE_RATIO
    detail = (_("shuffled test lines: perplexity {shuffled} against {measured} (×{ratio}, at "
                "most ×{allowed} allowed)").format(
                    shuffled=f"{shuffled:.2f}", measured=f"{measured:.2f}", ratio=f"{ratio:.2f}",
                    allowed=f"{SHUFFLE_RATIO:g}")
              + ("" if ok else _(": the model knows the test text's order, not the language; a "
                                 "memorised test stream behaves like this")))
    return ControlResult("shuffled lines", measured, shuffled, ok, detail)
