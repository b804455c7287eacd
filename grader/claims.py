"""Verifying a claimed result by re-running the student's model on the evaluation data.

`ClaimVerifier.verify(claim, spec, folder)` copies the submission into a scratch folder, runs its
`code` + `checkpoint` in the sandbox (grader/sandbox.py) on the decoded evaluation inputs, and
computes the metric here, from the logits (classification) or per-token log-probabilities
(language models) that come back: the labels never enter the sandbox.

Statuses (DESIGN.md): `verified` when the measured number is within the claim's tolerance of the
claimed `value` (accuracy: percentage points; perplexity: relative); `refuted` otherwise;
`unverifiable` when there is nothing to re-run (no code / checkpoint named, a named file absent)
or the dataset is not under the data root (the detail names the path looked for); `error` when
the submission's code or checkpoint fails (crash, timeout, attack, keys that do not fit).
Without a claimed `value`, the claim is verified iff the measurement meets the `target`.

Warm start: a class is re-run through one verifier, which keeps `warm` sandboxes started ahead
(`WarmPool`, grader/sandbox.py; default 2, `GRADE_WARM` or the `warm` argument, 0 turns it off):
Python, torch and on CUDA the context are ready before the student is known, so a student costs
little more than loading and evaluating the model. A pre-started sandbox is generic and empty
until the student's files are copied in right before the request; it serves that one student and
is killed. `warm_stats` counts how the re-runs started.

Scoring: full points when verified and the measurement meets `target` (or there is none);
verified below target earns `points · measured/target` (accuracy) or `points · target/measured`
(perplexity, lower is better); refuted, error and unverifiable earn 0.

Extra keys of the assignment's [[claim]] table (`claim.options`):
    scoring          "proportional" (default, as above) | "all-or-nothing" (0 below target)
    tokenizer        "word" (default) | "char"            (language models)
    layout           "seq-first" (default) | "batch-first"
    bptt             35 (default);  eval_batch_size  10 (default)
    vocab            a vocabulary file in the submission (the submission's `vocab` key wins)
    normalize        { mean = [...], std = [...] } used when the submission gives none
    batch_size       images per forward pass (default 500 on CPU, 1000 on CUDA)
    memory_mb        address-space limit of the re-run (default 8192; none on CUDA)
    allow_tf32       false (default): strict fp32 on CUDA; TF32 can flip near-tie predictions
"""
from __future__ import annotations

import math
import os
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from grader.assignment import Claim
from grader.datasets import (DatasetCache, DatasetInvalid, DatasetMissing, ImageSplit,
                             TextSplit, read_vocab)
from grader.errors import GradeError
from grader.results import CheckStatus, ClaimResult, ClaimStatus, IntegrityCheck
from grader.sandbox import Child, Limits, Outcome, Sandbox, WarmPool, copy_submission
from grader.smoke import zeros_split
from grader.studentcode import hints

MAX_VOCAB_BYTES = 50 << 20
DEFAULT_WARM = 2


@dataclass(frozen=True)
class WarmStats:
    """How a verifier's re-runs started: `prestarted` ones came from the warm pool (`ready`:
    its start-up had finished when the request came), `cold` ones were started on the spot."""

    prestarted: int = 0
    ready: int = 0
    cold: int = 0


class _Verdict(Exception):
    """Ends a verification early with a status and a one-line detail."""

    def __init__(self, status: ClaimStatus, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device {device!r} is not auto, cpu or cuda")
    return device


class ClaimVerifier:
    """Re-runs claims; one per grading session, shared by every student of a class.

    `warm`: sandboxes kept started ahead (default `GRADE_WARM` or 2; 0: start each on demand).
    `smoke`: when a claim's dataset is absent, still load the model and run it on zeros of the
    dataset's known shape (`grade check`)."""

    def __init__(self, data_root: Path | None = None, device: str = "auto",
                 warm: int | None = None, smoke: bool = False) -> None:
        if data_root is None and os.environ.get("GRADE_DATA"):
            data_root = Path(os.environ["GRADE_DATA"])
        self.data_root = Path(data_root) if data_root is not None else None
        self.device = resolve_device(device)
        self.warm = _warm_size(warm)
        self.smoke = smoke
        self._zeros: dict[tuple, ImageSplit | TextSplit | None] = {}
        self.cache = DatasetCache(self.data_root)
        self.sandbox = Sandbox()
        self._tmp = Path(tempfile.mkdtemp(prefix="grade-claims-"))
        self._inputs: dict[tuple, Path] = {}
        self._lock = threading.Lock()       # `grade batch --jobs N` may share one verifier
        self._pool: WarmPool | None = None
        self._early: Child | None = None    # `prestart`: one sandbox started ahead, no pool
        self._stats = WarmStats()

    def __enter__(self) -> ClaimVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill the idle pre-started sandboxes and drop the decoded inputs; every sandboxed run
        has already ended."""
        with self._lock:
            pool, self._pool = self._pool, None
            early, self._early = self._early, None
        if pool is not None:
            pool.close()
        if early is not None:
            early.kill()
        shutil.rmtree(self._tmp, ignore_errors=True)

    @property
    def warm_stats(self) -> WarmStats:
        return self._stats

    def prewarm(self) -> None:
        """Start the warm pool now, before the first student (otherwise at the first re-run)."""
        pool = self._warm_pool()
        if pool is not None:
            pool.fill()

    def _warm_pool(self) -> WarmPool | None:
        with self._lock:
            if self.warm <= 0:
                return None
            if self._pool is not None and self._pool.sandbox is not self.sandbox:
                self._pool.close()          # the sandbox was replaced (tests do): start afresh
                self._pool = None
            if self._pool is None:
                self._pool = WarmPool(self.sandbox, self.device, self.warm, self._tmp)
                weakref.finalize(self, WarmPool.close, self._pool)   # a verifier never closed
            return self._pool

    def prestart(self) -> None:
        """Start one sandbox now, for the first re-run (a single student: `grade run`, `grade
        check`): its Python and torch start-up overlaps the parent's grading of the answers,
        and no pool keeps starting replacements nobody will use."""
        with self._lock:
            if self._early is None and self.warm <= 0:
                self._early = self.sandbox.start(self.device, self._tmp)
                self._early.prestarted = True

    def _child(self) -> Child:
        """The sandbox for one student: pre-started from the pool, or started now."""
        with self._lock:
            early, self._early = self._early, None
        if early is not None and early.sandbox is self.sandbox and early.alive():
            return early
        if early is not None:
            early.kill()
        pool = self._warm_pool()
        return pool.take() if pool is not None else self.sandbox.start(self.device, self._tmp)

    def _count(self, outcome: Outcome) -> None:
        with self._lock:
            s = self._stats
            self._stats = WarmStats(s.prestarted + outcome.prestarted, s.ready + outcome.ready,
                                    s.cold + (not outcome.prestarted))

    # ------------------------------------------------------------ verify

    def verify(self, claim: Claim, spec: dict, folder: Path
               ) -> tuple[ClaimResult, list[IntegrityCheck]]:
        checks: list[IntegrityCheck] = []
        spec = spec if isinstance(spec, dict) else {}
        claimed = _claimed(spec)
        try:
            measured, detail, leak = self._measure(claim, spec, Path(folder), checks)
        except _Verdict as v:
            return self._result(claim, v.status, claimed, None, v.detail), checks
        except Exception as e:     # a grader bug must not stop a class's grading
            return self._result(claim, ClaimStatus.ERROR, claimed, None,
                                f"grader error while re-running: {type(e).__name__}: {e}"), checks
        status, score, why = judge(claim, claimed, measured)
        if leak:
            status, score, why = ClaimStatus.REFUTED, 0.0, leak
        return self._result(claim, status, claimed, measured, f"{detail}; {why}", score), checks

    def _result(self, claim: Claim, status: ClaimStatus, claimed: float | None,
                measured: float | None, detail: str, score: float = 0.0) -> ClaimResult:
        return ClaimResult(id=claim.id, status=status, claimed=claimed,
                           measured=None if measured is None else round(measured, 4),
                           tolerance=claim.tolerance, score=round(score, 4),
                           max_score=claim.points, detail=detail, metric=claim.metric)

    def _measure(self, claim: Claim, spec: dict, folder: Path, checks: list[IntegrityCheck]
                 ) -> tuple[float, str, str]:
        code, ckpt = _named(spec, "code", folder), _named(spec, "checkpoint", folder)
        if code is None and ckpt is None:
            raise _Verdict(ClaimStatus.UNVERIFIABLE, "nothing to re-run: the claim names no "
                           "`code` or `checkpoint`; the training log is the only evidence")
        lm = claim.task == "language-model"
        try:
            split = self._text(claim, spec, folder) if lm else self._images(claim)
        except _Verdict as v:
            if self.smoke and v.status is ClaimStatus.UNVERIFIABLE:
                self._smoke_test(claim, spec, folder, code, ckpt, v)
            raise
        inputs = self._inputs_file(split)
        outcome = self._outcome(claim, spec, folder, split, inputs, code, ckpt, checks)
        checks.extend(_integrity(claim, outcome, _claimed(spec)))
        if not outcome.ok:
            raise _Verdict(ClaimStatus.ERROR, _failure(outcome, code))
        what = " with ".join(x for x in (f"{code}:{spec.get('model') or 'Net'}" if code else None,
                                         ckpt) if x)
        what += _shown(outcome)
        if lm:
            ppl, n = _perplexity(outcome, split, claim)
            causal = outcome.meta.get("causal") or {}
            leak = ("the model sees future tokens (causal-leak check failed), so its "
                    "perplexity is not a valid result") if causal.get("checked") and \
                not causal.get("ok") else ""
            return ppl, f"re-ran {what} on {claim.dataset} {claim.split} ({n:,} tokens): " \
                        f"perplexity {ppl:.2f}", leak
        acc = _accuracy(outcome, split)
        detail = f"re-ran {what} on {claim.dataset} {claim.split} " \
                 f"({len(split.labels):,} images): {acc:.2f}%"
        if _normalisation_missing(claim, spec, outcome, acc):
            detail += "; " + hints.normalize()
        return acc, detail, ""

    def _outcome(self, claim: Claim, spec: dict, folder: Path, split: ImageSplit | TextSplit,
                 inputs: Path, code: str | None, ckpt: str | None,
                 checks: list[IntegrityCheck]) -> Outcome:
        run = (claim, spec, folder, split, inputs, code, ckpt)
        outcome = self._attempt(self._child(), *run, checks)
        if _start_up_failed(outcome):   # e.g. the GPU was full while it warmed up: not theirs
            outcome = self._attempt(self.sandbox.start(self.device, self._tmp), *run, [])
        return outcome

    def _smoke_test(self, claim: Claim, spec: dict, folder: Path, code: str | None,
                    ckpt: str | None, absent: _Verdict) -> None:
        """Without the dataset: load the model and checkpoint and run them on zeros of the
        dataset's known shape (a few tokens for a language model). A failure is the claim's
        `error`; success adds what came out to the `unverifiable` detail."""
        key = (claim.task, claim.dataset, claim.options.get("eval_batch_size"),
               claim.options.get("bptt"))
        with self._lock:
            if key not in self._zeros:
                self._zeros[key] = zeros_split(claim)
            split = self._zeros[key]
        if split is None:
            return
        inputs = self._inputs_file(split)
        outcome = self._outcome(claim, spec, folder, split, inputs, code, ckpt, [])
        if not outcome.ok:
            raise _Verdict(ClaimStatus.ERROR, "smoke test without the dataset failed: "
                           + _failure(outcome, code))
        out = outcome.arrays.get("logits", outcome.arrays.get("logprobs"))
        shape = "×".join(map(str, split.images.shape if isinstance(split, ImageSplit)
                             else split.tokens.shape))
        got = "×".join(map(str, out.shape)) if out is not None else "nothing"
        what = "logits" if isinstance(split, ImageSplit) else "log-probabilities"
        absent.detail += (f"; smoke test: the model{_shown(outcome)} loads and maps zeros of "
                          f"shape {shape} to {what} of shape {got}")

    # ------------------------------------------------------------ data

    def _images(self, claim: Claim) -> ImageSplit:
        with self._lock:
            try:
                return self.cache.images(claim.dataset, claim.split)
            except DatasetMissing as e:
                raise _Verdict(ClaimStatus.UNVERIFIABLE, f"dataset absent: {e}") from None
            except (DatasetInvalid, OSError, ValueError, KeyError) as e:
                raise _Verdict(ClaimStatus.UNVERIFIABLE, f"dataset unreadable: {e}") from None

    def _text(self, claim: Claim, spec: dict, folder: Path) -> TextSplit:
        vocab = None
        vocab_name = spec.get("vocab") or claim.options.get("vocab")
        if vocab_name:
            path = _named({"vocab": vocab_name}, "vocab", folder)
            if path is None or (folder / path).stat().st_size > MAX_VOCAB_BYTES:
                raise _Verdict(ClaimStatus.ERROR, f"vocab file {vocab_name} is too large")
            try:
                vocab = read_vocab(folder / path)
            except (DatasetInvalid, OSError, UnicodeDecodeError) as e:
                raise _Verdict(ClaimStatus.ERROR, f"vocab file {vocab_name}: {e}") from None
        tokenizer = str(claim.options.get("tokenizer", "word"))
        with self._lock:
            try:
                return self.cache.text(claim.dataset, claim.split, tokenizer, vocab)
            except DatasetMissing as e:
                raise _Verdict(ClaimStatus.UNVERIFIABLE, f"dataset absent: {e}") from None
            except (DatasetInvalid, OSError, UnicodeDecodeError) as e:
                raise _Verdict(ClaimStatus.UNVERIFIABLE, f"dataset unreadable: {e}") from None

    def _inputs_file(self, split: ImageSplit | TextSplit) -> Path:
        """The label-free inputs as raw bytes, written once per split and bound read-only."""
        with self._lock:
            key = id(split)
            if key not in self._inputs:
                path = self._tmp / f"inputs-{len(self._inputs)}.bin"
                data = split.images if isinstance(split, ImageSplit) else split.tokens
                data.numpy().tofile(path)
                self._inputs[key] = path
            return self._inputs[key]

    # ------------------------------------------------------------ run

    def _attempt(self, child: Child, *run: Any) -> Outcome:
        try:
            outcome = self._run(child, *run)
        finally:
            child.kill()        # single use: whatever the student left dies with it
        self._count(outcome)
        return outcome

    def _run(self, child: Child, claim: Claim, spec: dict, folder: Path,
             split: ImageSplit | TextSplit, inputs: Path, code: str | None, ckpt: str | None,
             checks: list[IntegrityCheck]) -> Outcome:
        """Put this student's files and the inputs into the child's (live-bound) folders, then
        send the request: nothing of the student's is in the sandbox before this."""
        dropped = copy_submission(folder, child.work)
        child.place_inputs(inputs)
        if dropped:
            checks.append(IntegrityCheck(f"claim {claim.id}: submission copy", CheckStatus.WARN,
                                         "; ".join(f"{k}: {v}" for k, v in
                                                   sorted(dropped.items())[:5])))
        if self.sandbox.degraded:
            checks.append(IntegrityCheck("sandbox", CheckStatus.WARN, "bubblewrap is not "
                                         "installed: the re-run had no filesystem isolation"))
        request: dict[str, Any] = {"task": claim.task, "code": code, "checkpoint": ckpt,
                                   "model": spec.get("model"), "kwargs": _kwargs(spec)}
        opts = claim.options
        if isinstance(split, ImageSplit):
            request["normalize"] = _normalize(spec.get("normalize") or opts.get("normalize"),
                                              split.images.shape[1])
            request["inputs"] = {"shape": list(split.images.shape), "scale": split.scale,
                                 "path": child.inputs_path}
            request["batch_size"] = int(opts.get("batch_size",
                                                 1000 if self.device == "cuda" else 500))
        else:
            layout = str(opts.get("layout", "seq-first"))
            if layout not in ("seq-first", "batch-first"):
                raise _Verdict(ClaimStatus.UNVERIFIABLE,
                               f"claim option layout = {layout!r} is not seq-first or batch-first")
            request.update(inputs={"shape": [len(split.tokens)], "path": child.inputs_path},
                           layout=layout,
                           bptt=int(opts.get("bptt", 35)),
                           eval_batch_size=int(opts.get("eval_batch_size", 10)))
        request["allow_tf32"] = bool(opts.get("allow_tf32", False))
        limits = Limits(wall_s=claim.timeout, memory_mb=int(opts.get("memory_mb", 8192)))
        return child.serve(request, limits)


def _start_up_failed(outcome: Outcome) -> bool:
    """A pre-started sandbox whose own start-up (imports, CUDA context) failed before its
    student came: a cold start gets the student a fair run."""
    warm = outcome.meta.get("warm")
    return (not outcome.ok and outcome.prestarted and isinstance(warm, dict)
            and bool(warm.get("error")))


def _warm_size(warm: int | None) -> int:
    if warm is not None:
        return max(0, int(warm))
    raw = os.environ.get("GRADE_WARM", "").strip()
    if not raw:
        return DEFAULT_WARM
    if not raw.isdigit():
        raise GradeError(f"GRADE_WARM = {raw!r} is not a whole number of sandboxes (0 = off)")
    return int(raw)


# ---------------------------------------------------------------- judging

def judge(claim: Claim, claimed: float | None, measured: float
          ) -> tuple[ClaimStatus, float, str]:
    """Status, score and the reason, from the claimed and measured numbers."""
    lower_better = claim.metric == "perplexity"
    unit = "" if lower_better else "%"
    target = claim.target
    meets = target is None or (measured <= target if lower_better else measured >= target)
    if claimed is None:
        status = ClaimStatus.VERIFIED if meets else ClaimStatus.REFUTED
        why = ("no value claimed: " + ("no target either, so the measurement stands"
               if target is None else f"judged against the target {target:g}{unit}"))
    else:
        allowed = claim.tolerance * claimed if lower_better else claim.tolerance
        off = measured - claimed
        status = ClaimStatus.VERIFIED if abs(off) <= allowed + 1e-9 else ClaimStatus.REFUTED
        why = (f"claimed {claimed:g}{unit}, off by {off:+.2f}{unit} "
               f"(tolerance ±{allowed:.2f}{unit})")
    if status is not ClaimStatus.VERIFIED:
        return status, 0.0, why
    if meets:
        return status, claim.points, why
    if claim.options.get("scoring", "proportional") == "all-or-nothing":
        return status, 0.0, why + f"; below the target {target:g}{unit} (all-or-nothing)"
    ratio = target / measured if lower_better else measured / target
    return status, claim.points * max(0.0, min(1.0, ratio)), \
        why + f"; below the target {target:g}{unit}: partial credit"


def _accuracy(outcome: Outcome, split: ImageSplit) -> float:
    logits = outcome.arrays.get("logits")
    n = len(split.labels)
    if logits is None or logits.ndim != 2 or logits.shape[0] != n:
        got = None if logits is None else list(logits.shape)
        raise _Verdict(ClaimStatus.ERROR, f"the model returned logits of shape {got}, "
                       f"expected ({n}, classes)")
    if not np.isfinite(logits).all():
        raise _Verdict(ClaimStatus.ERROR, "the model's outputs contain NaN or infinity")
    pred = torch.from_numpy(logits.argmax(axis=1))
    return 100.0 * (pred == split.labels).double().mean().item()


def _perplexity(outcome: Outcome, split: TextSplit, claim: Claim) -> tuple[float, int]:
    """exp(mean NLL) over every next-token prediction of the batchified stream."""
    logp = outcome.arrays.get("logprobs")
    bsz = int(claim.options.get("eval_batch_size", 10))
    expected = (len(split.tokens) // bsz - 1) * bsz
    if logp is None or logp.ndim != 1 or logp.shape[0] != expected:
        got = None if logp is None else list(logp.shape)
        raise _Verdict(ClaimStatus.ERROR, f"got log-probabilities of shape {got}, expected "
                       f"({expected},)")
    logp = logp.astype(np.float64)
    if not np.isfinite(logp).all() or (logp > 1e-4).any():
        raise _Verdict(ClaimStatus.ERROR, "the log-probabilities are not finite and <= 0")
    return math.exp(-logp.mean()), expected


def _integrity(claim: Claim, outcome: Outcome, claimed: float | None) -> list[IntegrityCheck]:
    out, meta = [], outcome.meta
    if isinstance(meta.get("params"), int):
        out.append(IntegrityCheck(f"claim {claim.id}: parameters", CheckStatus.PASS,
                                  f"the re-run model has {meta['params']:,} parameters"))
    stored = meta.get("stored_acc")
    if isinstance(stored, list) and len(stored) == 2 and isinstance(stored[1], (int, float)):
        key, value = str(stored[0]), float(stored[1])
        pct = value * 100 if value <= 1.0 else value
        if claimed is None or claim.metric != "accuracy":
            out.append(IntegrityCheck(f"claim {claim.id}: checkpoint's own accuracy",
                                      CheckStatus.PASS, f"checkpoint[{key!r}] = {value:g}"))
        else:
            ok = abs(pct - claimed) <= claim.tolerance
            out.append(IntegrityCheck(
                f"claim {claim.id}: checkpoint's own accuracy",
                CheckStatus.PASS if ok else CheckStatus.WARN,
                f"checkpoint[{key!r}] = {value:g} ({pct:.2f}%) "
                + ("agrees with" if ok else "disagrees with") + f" the claimed {claimed:g}%"))
    causal = meta.get("causal")
    if isinstance(causal, dict) and causal.get("checked"):
        ok = bool(causal.get("ok"))
        out.append(IntegrityCheck(
            f"claim {claim.id}: causal mask", CheckStatus.PASS if ok else CheckStatus.FAIL,
            f"changing tokens from position {causal.get('position')} on changed earlier outputs "
            f"by at most {float(causal.get('max_change', 0)):.2g}"
            + ("" if ok else ": the model reads future tokens")))
    return out


def _failure(outcome: Outcome, code: str | None) -> str:
    """The child's one line, with the student's last output and the hint for a timeout."""
    return hints.timed_out(outcome.error, outcome.stdout, outcome.stderr, code)


def _shown(outcome: Outcome) -> str:
    return hints.how_taken(outcome.meta.get("shown"))


def _normalisation_missing(claim: Claim, spec: dict, outcome: Outcome, measured: float) -> bool:
    given = spec.get("normalize") or claim.options.get("normalize")
    return hints.normalisation_missing(_claimed(spec), claim.tolerance, bool(given),
                                       outcome.meta.get("stored_acc"), measured)


# ---------------------------------------------------------------- the submission's table

def _claimed(spec: dict) -> float | None:
    v = spec.get("value")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def _kwargs(spec: dict) -> dict:
    kw = spec.get("kwargs", {})
    if not isinstance(kw, dict):
        raise _Verdict(ClaimStatus.ERROR, f"kwargs = {kw!r} must be a table")
    return kw


def _named(spec: dict, key: str, folder: Path) -> str | None:
    """A file the claim names, relative to the submission; verdicts for bad or absent ones."""
    name = spec.get(key)
    if name is None or name == "":
        return None
    if not isinstance(name, str):
        raise _Verdict(ClaimStatus.ERROR, f"{key} = {name!r} must be a file name")
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts:
        raise _Verdict(ClaimStatus.ERROR, f"{key} = {name!r} points outside the submission")
    path = folder / rel
    if path.is_symlink() and not path.resolve().is_relative_to(folder.resolve()):
        raise _Verdict(ClaimStatus.ERROR, f"{key} {name} is a symlink pointing outside the "
                       "submission; submit the file itself")
    if not path.is_file() and not (key == "code" and path.is_dir()):   # a package folder
        raise _Verdict(ClaimStatus.UNVERIFIABLE, f"{key} {name} is not in the submission")
    return rel.as_posix()


def _normalize(norm: Any, channels: int) -> dict | None:
    if norm is None:
        return None
    if not isinstance(norm, dict) or not {"mean", "std"} <= set(norm):
        raise _Verdict(ClaimStatus.ERROR, f"normalize = {norm!r} needs mean and std")
    out = {}
    for k in ("mean", "std"):
        v = norm[k]
        v = [v] if isinstance(v, (int, float)) else v
        if not isinstance(v, list) or not all(isinstance(x, (int, float)) and
                                              not isinstance(x, bool) for x in v) \
                or len(v) not in (1, channels):
            raise _Verdict(ClaimStatus.ERROR, f"normalize.{k} = {norm[k]!r} must be 1 or "
                           f"{channels} numbers")
        out[k] = [float(x) for x in v] * (channels if len(v) == 1 else 1)
    if any(s <= 0 for s in out["std"]):
        raise _Verdict(ClaimStatus.ERROR, f"normalize.std = {norm['std']!r} must be positive")
    return out
