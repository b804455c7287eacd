"""`ClaimVerifier`: re-runs claims, one per grading session, shared by every student of a class.

`verify(claim, spec, folder)` copies the submission into a fresh sandbox's scratch folder, runs
its `code` + `checkpoint` on the decoded evaluation inputs (and a memorisation control's), and
computes the metric here, from the logits or log-probabilities that come back: the labels
never enter the sandbox, and neither does any copy of the evaluation data (grader/sandbox/
mounts.py hides the data root and scikit-learn's bundled datasets).

Warm start: the verifier keeps `warm` sandboxes started ahead (`WarmPool`; default 2,
`GRADE_WARM` or the `warm` argument, 0 turns it off). A pre-started sandbox is generic and
empty until the student's files are copied in right before the request; it serves that one
student and is killed. `warm_stats` counts how the re-runs started.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.assignment import Claim
from grader.claims import controls, integrity, runs
from grader.claims.judging import accuracy, judge, perplexity, too_few
from grader.claims.spec import Verdict, claimed, kwargs, named, normalize
from grader.claims.inputs import Inputs
from grader.datasets import DatasetCache, ImageSplit, TextSplit
from grader.errors import GradeError
from grader.i18n import _
from grader.results import CheckStatus, ClaimResult, ClaimStatus, IntegrityCheck
from grader.sandbox import Child, Limits, Outcome, Sandbox, StartCaps, WarmPool, copy_submission
from grader.studentcode import hints

DEFAULT_WARM = 2


@dataclass(frozen=True)
class WarmStats:
    """How a verifier's re-runs started: `prestarted` ones came from the warm pool (`ready`:
    its start-up had finished when the request came), `cold` ones were started on the spot."""

    prestarted: int = 0
    ready: int = 0
    cold: int = 0


@dataclass
class Measured:
    value: float
    detail: str
    params: int | None = None
    control: controls.ControlResult | None = None
    refusal: str = ""               # why a measured value still cannot stand (leak, control)
    refused_by: str = ""            # "control" | "causal": which check refused it


# Device nodes a CUDA (or ROCm) torch needs; without any, torch.cuda cannot be available.
# /dev/dxg: CUDA under WSL2; /dev/nvhost-ctrl: Jetson boards; /dev/kfd: ROCm.
GPU_NODES = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg", "/dev/nvhost-ctrl", "/dev/kfd")


def resolve_device(device: str) -> str:
    if device == "auto":
        # Asking torch costs the parent a torch import (about a second of a self-check); a
        # machine with no GPU device node is answered without it.
        if not any(os.path.exists(node) for node in GPU_NODES):
            return "cpu"
        import torch
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device {device!r} is not auto, cpu or cuda")
    return device


class ClaimVerifier:
    """Re-runs claims. `warm`: sandboxes kept started ahead (default `GRADE_WARM` or 2).
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
        self.cache = DatasetCache(self.data_root)
        hidden = (str(self.data_root),) if self.data_root is not None else ()
        self.sandbox = Sandbox(hidden=hidden)
        self.caps = StartCaps()
        self._tmp = Path(tempfile.mkdtemp(prefix="grade-claims-"))
        self._lock = threading.Lock()       # `grade batch --jobs N` may share one verifier
        self.inputs = Inputs(self.cache, self._tmp, controls.session_seed(), self._lock)
        self._pool: WarmPool | None = None
        self._early: Child | None = None    # `prestart`: one sandbox started ahead, no pool
        self._stats = WarmStats()

    def __enter__(self) -> ClaimVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill the idle pre-started sandboxes and drop the decoded inputs."""
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
                self._pool = WarmPool(self.sandbox, self.device, self.warm, self._tmp,
                                      self.caps)
                weakref.finalize(self, WarmPool.close, self._pool)   # a verifier never closed
            return self._pool

    def prestart(self) -> None:
        """Start one sandbox now, for the first re-run (a single student: `grade run`, `grade
        check`): its Python and torch start-up overlaps the parent's grading of the answers,
        and no pool keeps starting replacements nobody will use."""
        with self._lock:
            if self._early is None and self.warm <= 0:
                self._early = self.sandbox.start(self.device, self._tmp, self.caps)
                self._early.prestarted = True

    def _child(self, limits: Limits) -> Child:
        """A pre-started sandbox when its caps serve `limits`, else one started now."""
        with self._lock:
            early, self._early = self._early, None
        if early is not None and early.sandbox is self.sandbox and early.alive() and \
                early.caps.serves(limits, self.device):
            return early
        if early is not None:
            early.kill()
        if self.caps.serves(limits, self.device):
            pool = self._warm_pool()
            if pool is not None:
                return pool.take()
            return self.sandbox.start(self.device, self._tmp, self.caps)
        return self.sandbox.start(self.device, self._tmp, self.caps.widened(limits))

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
        value = claimed(spec)
        try:
            m = self._measure(claim, spec, Path(folder), checks)
        except Verdict as v:
            return self._result(claim, v.status, value, None, v.detail), checks
        except Exception as e:     # a grader bug must not stop a class's grading
            return self._result(claim, ClaimStatus.ERROR, value, None,
                                _("grader error while re-running: {error}").format(
                                    error=f"{type(e).__name__}: {e}")), checks
        status, score, why = judge(claim, value, m.value)
        if m.refusal:
            status, score, why = ClaimStatus.REFUTED, 0.0, m.refusal
        result = self._result(claim, status, value, m.value, f"{m.detail}; {why}", score)
        result.params, result.refused_by = m.params, m.refused_by
        return result, checks

    def _result(self, claim: Claim, status: ClaimStatus, value: float | None,
                measured: float | None, detail: str, score: float = 0.0) -> ClaimResult:
        return ClaimResult(id=claim.id, status=status, claimed=value,
                           measured=None if measured is None else round(measured, 4),
                           tolerance=claim.tolerance, score=round(score, 4),
                           max_score=claim.points, detail=detail, metric=claim.metric)

    def _measure(self, claim: Claim, spec: dict, folder: Path, checks: list[IntegrityCheck]
                 ) -> Measured:
        code, ckpt = named(spec, "code", folder), named(spec, "checkpoint", folder)
        if code is None and ckpt is None:
            raise Verdict(ClaimStatus.UNVERIFIABLE, _("nothing to re-run: the claim names no "
                          "`code` or `checkpoint`; the training log is the only evidence"))
        lm = claim.task == "language-model"
        try:
            split = self.inputs.text(claim, spec, folder) if lm else self.inputs.images(claim)
        except Verdict as v:
            if self.smoke and v.status is ClaimStatus.UNVERIFIABLE:
                self._smoke_test(claim, spec, folder, code, ckpt, v)
            raise
        run = self._run(claim, spec, folder, split, code, ckpt, checks)
        outcome = run.outcome
        checks.extend(integrity.rows(claim, outcome, claimed(spec)))
        if not outcome.ok:
            raise Verdict(ClaimStatus.ERROR, _failure(outcome, code))
        model = f"{code}:{spec.get('model') or 'Net'}" if code else None
        what = _(" with ").join(x for x in (model, ckpt) if x) \
            + hints.how_taken(outcome.meta.get("shown"))
        params = outcome.meta.get("params") if isinstance(outcome.meta.get("params"), int) \
            else None
        m = self._language(claim, run, split, what) if lm else self._images_measured(
            claim, run, split, what)
        m.params = params
        if not lm and _normalisation_missing(claim, spec, outcome, m.value):
            m.detail += "; " + _(hints.normalize())
        if m.control is not None:
            checks.append(integrity.control_row(claim, m.control))
            if not m.control.ok:
                m.refused_by = "control"
                m.refusal = _("failed the memorisation control: {detail}").format(
                    detail=m.control.detail)
        causal = outcome.meta.get("causal") or {}
        if causal.get("checked") and not causal.get("ok"):
            m.refused_by = "causal"
            m.refusal = _("the model sees future tokens (causal-leak check failed), so its "
                          "perplexity is not a valid result")
        return m

    def _run(self, claim: Claim, spec: dict, folder: Path, split: ImageSplit | TextSplit,
             code: str | None, ckpt: str | None, checks: list[IntegrityCheck],
             controls_on: bool = True) -> runs.RunResult:
        request = self._request(claim, spec, split, code, ckpt)
        limits = Limits(wall_s=claim.timeout,
                        memory_mb=int(claim.options.get("memory_mb", 8192)))
        run = self._attempt(self._child(limits), claim, folder, split, request, limits, checks,
                            controls_on)
        if _start_up_failed(run.outcome):   # e.g. the GPU was full while it warmed up
            run = self._attempt(self.sandbox.start(self.device, self._tmp,
                                                   self.caps.widened(limits)),
                                claim, folder, split, request, limits, [], controls_on)
        return run

    def _smoke_test(self, claim: Claim, spec: dict, folder: Path, code: str | None,
                    ckpt: str | None, absent: Verdict) -> None:
        """Without the dataset: load the model and checkpoint and run them on zeros of the
        dataset's known shape (a few tokens for a language model). A failure is the claim's
        `error`; success adds what came out to the `unverifiable` detail."""
        split = self.inputs.zeros(claim)
        if split is None:
            return
        outcome = self._run(claim, spec, folder, split, code, ckpt, [], controls_on=False)
        if not outcome.outcome.ok:
            raise Verdict(ClaimStatus.ERROR, _("smoke test without the dataset failed: ")
                          + _failure(outcome.outcome, code))
        out = outcome.values.get("test")
        if out is not None and isinstance(split, ImageSplit):
            try:
                too_few(out, split.classes)
            except Verdict as v:
                raise Verdict(ClaimStatus.ERROR, _("smoke test without the dataset: ")
                              + v.detail) from None
        shape = "×".join(map(str, split.images.shape if isinstance(split, ImageSplit)
                             else split.tokens.shape))
        got = "×".join(map(str, out.shape)) if out is not None else _("nothing")
        what = _("logits") if isinstance(split, ImageSplit) else _("log-probabilities")
        taken = hints.how_taken(outcome.outcome.meta.get("shown"))
        absent.detail += _("; smoke test: the model{taken} loads and maps zeros of shape "
                           "{shape} to {what} of shape {got}").format(
                               taken=taken, shape=shape, what=what, got=got)

    def _images_measured(self, claim: Claim, run: runs.RunResult, split: ImageSplit,
                         what: str) -> Measured:
        acc = accuracy(run.values.get("test"), split.labels, split.classes)
        m = Measured(acc, _("re-ran {what} on {dataset} {split} ({count} images): "
                            "{accuracy}%").format(
            what=what, dataset=claim.dataset, split=claim.split,
            count=f"{len(split.labels):,}", accuracy=f"{acc:.2f}"))
        if "noise" in run.values:
            m.control = controls.judge_accuracy(
                claim, acc, accuracy(run.values["noise"], split.labels, split.classes))
        return m

    def _language(self, claim: Claim, run: runs.RunResult, split: TextSplit, what: str
                  ) -> Measured:
        if "test" not in run.values:
            raise Verdict(ClaimStatus.ERROR, _("no log-probabilities came back"))
        logp = run.values["test"]
        ppl = perplexity(logp)
        m = Measured(ppl, _("re-ran {what} on {dataset} {split} ({count} tokens): perplexity "
                            "{perplexity}").format(
            what=what, dataset=claim.dataset, split=claim.split, count=f"{logp.size:,}",
            perplexity=f"{ppl:.2f}"))
        if "shuffled" in run.values:
            m.control = controls.judge_perplexity(
                claim, ppl, perplexity(run.values["shuffled"]))
        return m

    # ------------------------------------------------------------ run

    def _request(self, claim: Claim, spec: dict, split: ImageSplit | TextSplit,
                 code: str | None, ckpt: str | None) -> dict[str, Any]:
        opts = claim.options
        request: dict[str, Any] = {"task": claim.task, "code": code, "checkpoint": ckpt,
                                   "model": spec.get("model"), "kwargs": kwargs(spec),
                                   "allow_tf32": bool(opts.get("allow_tf32", False))}
        if isinstance(split, ImageSplit):
            request["normalize"] = normalize(spec.get("normalize") or opts.get("normalize"),
                                             split.images.shape[1])
            request["batch_size"] = int(opts.get("batch_size",
                                                 1000 if self.device == "cuda" else 500))
            return request
        layout = str(opts.get("layout", "seq-first"))
        if layout not in ("seq-first", "batch-first"):
            raise Verdict(ClaimStatus.UNVERIFIABLE,
                          _("claim option layout = {layout} is not seq-first or "
                            "batch-first").format(layout=repr(layout)))
        return dict(request, layout=layout, bptt=int(opts.get("bptt", 35)),
                    eval_batch_size=int(opts.get("eval_batch_size", 10)))

    def _attempt(self, child: Child, claim: Claim, folder: Path,
                 split: ImageSplit | TextSplit, request: dict, limits: Limits,
                 checks: list[IntegrityCheck], controls_on: bool = True) -> runs.RunResult:
        """Put this student's files into the child's (live-bound) folder, then talk to it:
        nothing of the student's is in the sandbox before this. The child serves once."""
        try:
            dropped = copy_submission(folder, child.work, max_bytes=child.caps.scratch_mb << 20)
            if dropped:
                checks.append(IntegrityCheck(
                    f"claim {claim.id}: submission copy", CheckStatus.WARN,
                    "; ".join(f"{k}: {v}" for k, v in sorted(dropped.items())[:5])))
            if self.sandbox.bwrap:
                request = dict(request, incoming="/incoming", scratch_mb=child.caps.scratch_mb)
            if isinstance(split, ImageSplit):
                run = runs.classify(child, request,
                                    self.inputs.image_sets(claim, split, controls_on), limits)
            else:
                run = runs.language_model(child, request,
                                          self.inputs.text_streams(claim, split, controls_on), limits)
        finally:
            child.kill()
        self._count(run.outcome)
        return run


def _failure(outcome: Outcome, code: str | None) -> str:
    """The child's one line, with the student's last output and the hint for a timeout."""
    return hints.timed_out(outcome.error, outcome.stdout, outcome.stderr, code, say=_)


def _normalisation_missing(claim: Claim, spec: dict, outcome: Outcome, measured: float) -> bool:
    given = spec.get("normalize") or claim.options.get("normalize")
    return hints.normalisation_missing(claimed(spec), claim.tolerance, bool(given),
                                       outcome.meta.get("stored_acc"), measured)


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
