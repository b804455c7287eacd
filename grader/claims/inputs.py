"""The evaluation data of one grading session, shared by every student of a class.

Decoded splits (from `grader.datasets`, once each), the label-free inputs written once and
linked read-only into each sandbox, the memorisation controls' perturbed copies (drawn from the
session's seed), and the zero inputs of `grade check`'s smoke test. Problems with the data are
the claim's verdicts: `unverifiable` when the dataset is absent or unreadable, `error` when the
submission's own vocabulary file is bad.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from grader.assignment import Claim
from grader.claims import controls
from grader.claims.spec import Verdict, named
from grader.datasets import (DatasetCache, DatasetInvalid, DatasetMissing, ImageSplit,
                             TextSplit, read_vocab)
from grader.i18n import _
from grader.results import ClaimStatus
from grader.smoke import zeros_split

MAX_VOCAB_BYTES = 50 << 20


class Inputs:
    """`cache` decodes splits; inputs files go under `tmp`; `lock` is the verifier's."""

    def __init__(self, cache: DatasetCache, tmp: Path, seed: int, lock: threading.Lock) -> None:
        self.cache, self._tmp, self.seed, self._lock = cache, tmp, seed, lock
        self._made: dict[tuple, Any] = {}

    def zeros(self, claim: Claim) -> ImageSplit | TextSplit | None:
        """Zeros of the claim's dataset's known shape (None when unknown), made once."""
        key = ("zeros", claim.task, claim.dataset, claim.options.get("eval_batch_size"),
               claim.options.get("bptt"))
        return self._cached(key, lambda: zeros_split(claim))

    def images(self, claim: Claim) -> ImageSplit:
        with self._lock:
            try:
                return self.cache.images(claim.dataset, claim.split)
            except DatasetMissing as e:
                raise Verdict(ClaimStatus.UNVERIFIABLE,
                              _("dataset absent: {error}").format(error=e)) from None
            except (DatasetInvalid, OSError, ValueError, KeyError) as e:
                raise Verdict(ClaimStatus.UNVERIFIABLE,
                              _("dataset unreadable: {error}").format(error=e)) from None

    def text(self, claim: Claim, spec: dict, folder: Path) -> TextSplit:
        vocab = None
        vocab_name = spec.get("vocab") or claim.options.get("vocab")
        if vocab_name:
            path = named({"vocab": vocab_name}, "vocab", folder)
            if path is None or (folder / path).stat().st_size > MAX_VOCAB_BYTES:
                raise Verdict(ClaimStatus.ERROR, _("vocab file {name} is too large").format(
                    name=vocab_name))
            try:
                vocab = read_vocab(folder / path)
            except (DatasetInvalid, OSError, UnicodeDecodeError) as e:
                raise Verdict(ClaimStatus.ERROR, _("vocab file {name}: {error}").format(
                    name=vocab_name, error=e)) from None
        tokenizer = str(claim.options.get("tokenizer", "word"))
        with self._lock:
            try:
                return self.cache.text(claim.dataset, claim.split, tokenizer, vocab)
            except DatasetMissing as e:
                raise Verdict(ClaimStatus.UNVERIFIABLE,
                              _("dataset absent: {error}").format(error=e)) from None
            except (DatasetInvalid, OSError, UnicodeDecodeError) as e:
                raise Verdict(ClaimStatus.UNVERIFIABLE,
                              _("dataset unreadable: {error}").format(error=e)) from None

    def image_sets(self, claim: Claim, split: ImageSplit, controls_on: bool
                      ) -> dict[str, tuple[Path, np.ndarray, float]]:
        """The label-free test images and, unless the claim turns controls off, the noisy
        copy; each written once per session and linked read-only into each sandbox."""
        sets = {"test": split.images}
        if controls_on and claim.options.get("controls", True):
            sets["noise"] = self._cached(("noise", id(split)),
                                         lambda: controls.noisy_images(split, self.seed))
        return {name: (self._file((name, id(split)), images), images, split.scale)
                for name, images in sets.items()}

    def text_streams(self, claim: Claim, split: TextSplit, controls_on: bool
                      ) -> dict[str, np.ndarray]:
        streams = {"test": split.tokens}
        end = controls.line_end(split)
        if controls_on and claim.options.get("controls", True) and end is not None:
            streams["shuffled"] = self._cached(
                ("shuffled", id(split)), lambda: controls.shuffled_lines(split.tokens, end,
                                                                          self.seed))
        return streams

    def _cached(self, key: tuple, make: Any) -> Any:
        with self._lock:
            if key not in self._made:
                self._made[key] = make()
            return self._made[key]

    def _file(self, key: tuple, images: np.ndarray) -> Path:
        def write() -> Path:
            path = self._tmp / f"inputs-{len(self._made)}.bin"
            images.tofile(path)
            return path
        return self._cached(("file",) + key, write)
