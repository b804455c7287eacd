"""Checkpoint similarity, read safely and at class scale.

Reading (grader/similar/weights.py): `torch.load(weights_only=True)` or safetensors; symlinks
refused, sizes bounded.

Measures for two checkpoints, tensors aligned by name, else by shape in order:
- per-layer cosine of the weights (independent trainings from different seeds are near 0, a
  copy or a one-epoch fine-tune near 1), and the share of bit-identical tensors;
- a permutation-invariant match for the classic dodge of permuting channels: each output row
  of a weight matrix, its values sorted, does not change when input channels are permuted, and
  permuting output channels only reorders the rows. A row whose nearest row in the other model
  is four times closer than the second nearest is "matched one-to-one". Honest models match
  almost no rows; a permuted copy matches all of them.

Activation-based comparison (linear CKA on a probe batch) would also compare different
architectures, but needs the students' model code to run, which happens only inside the
grading sandbox; this module never runs student code, so it uses the weight statistic above.

Scale: every checkpoint is read once into a small sketch (sampled coordinates of each weight
for the cosine, sorted row-norm quantiles for the permutation test, hashes for identical
tensors). Sketches of same-architecture students are compared all-pairs in NumPy; the full
comparison runs only for candidate pairs (or every pair of a small class).
"""
from __future__ import annotations

import hashlib
import math
import multiprocessing
import os
from collections import OrderedDict, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from grader.i18n import _
from grader.similar.evidence import Evidence, Kind, LayerRow, PairKey
from grader.similar.material import Student
from grader.similar.weights import CheckpointUnreadable, load_state, unreadable_reason

SAMPLE = 512                # coordinates sampled per weight for the cosine sketch
QUANTILES = 16              # points of the sorted row-norm curve kept per weight
RATIO = 0.25                # best match this much closer than the second: matched one-to-one
SIGNATURE = 64              # order statistics kept per sorted row for the permutation test
MAX_ROWS = 8192             # larger matrices (embeddings) skip the permutation test
FULL_PAIRS = 15             # at most this many same-architecture pairs (6 students): all full
CANDIDATE_COSINE = 0.3      # sketch cosine above this: compare fully
CANDIDATE_PERM = 0.2        # row-norm curve this much closer than the class's typical pair
PARALLEL_FROM = 32          # checkpoints before sketching moves to worker processes
@dataclass(frozen=True)
class Sketch:
    student: str
    path: Path
    shapes: tuple[tuple[int, ...], ...]      # every tensor, in order: the architecture
    samples: np.ndarray                      # (L, SAMPLE) unit rows, one per weight matrix
    curves: np.ndarray                       # (L, QUANTILES) sorted row norms / their mean
    hashes: frozenset[bytes]                 # of each non-constant tensor's sampled values


_SAMPLE_INDEX: dict[tuple[int, ...], np.ndarray] = {}


def _sample_index(shape: tuple[int, ...]) -> np.ndarray:
    """The same coordinates for every tensor of one shape, so samples of two are comparable."""
    if shape not in _SAMPLE_INDEX:
        numel = math.prod(shape)
        seed = int.from_bytes(hashlib.blake2b(repr(shape).encode(), digest_size=4).digest(),
                              "big")
        rng = np.random.default_rng(seed)
        _SAMPLE_INDEX[shape] = (np.arange(numel) if numel <= SAMPLE
                                else np.sort(rng.choice(numel, SAMPLE, replace=False)))
    return _SAMPLE_INDEX[shape]


def sketch(student: str, path: Path, state: OrderedDict[str, np.ndarray]) -> Sketch:
    samples, curves, hashes = [], [], set()
    for arr in state.values():
        flat = arr.reshape(-1)
        picked = flat[_sample_index(arr.shape)]
        if picked.min() != picked.max():
            # equal samples nominate a pair; the full comparison checks every value
            hashes.add(hashlib.blake2b(repr(arr.shape).encode() + picked.tobytes(),
                                       digest_size=16).digest())
        if arr.ndim < 2:
            continue
        s = np.zeros(SAMPLE, np.float32)
        s[:picked.size] = picked
        samples.append(s / (np.linalg.norm(s) or 1.0))
        norms = np.sort(np.linalg.norm(arr.reshape(arr.shape[0], -1), axis=1))
        grid = np.interp(np.linspace(0, norms.size - 1, QUANTILES), np.arange(norms.size), norms)
        curves.append(grid / (grid.mean() or 1.0))
    empty = np.zeros((0, SAMPLE), np.float32)
    return Sketch(student, path, tuple(a.shape for a in state.values()),
                  np.stack(samples) if samples else empty,
                  np.stack(curves) if curves else np.zeros((0, QUANTILES)),
                  frozenset(hashes))


def candidate_pairs(sketches: list[Sketch], full_pairs: int = FULL_PAIRS) -> set[PairKey]:
    """Pairs worth a full comparison: from all-pairs sketch matrices per architecture, plus
    any pair sharing a bit-identical tensor (across architectures too)."""
    out: set[PairKey] = set()
    by_hash: dict[bytes, list[str]] = defaultdict(list)
    for s in sketches:
        for h in s.hashes:
            by_hash[h].append(s.student)
    for names in by_hash.values():
        out.update(combinations(sorted(set(names)), 2))
    groups: dict[tuple[tuple[int, ...], ...], list[Sketch]] = defaultdict(list)
    for s in sketches:
        groups[s.shapes].append(s)
    for group in groups.values():
        group.sort(key=lambda s: s.student)
        n = len(group)
        if n < 2:
            continue
        if n * (n - 1) // 2 <= full_pairs or group[0].samples.shape[0] == 0:
            out.update((a.student, b.student) for a, b in combinations(group, 2))
            continue
        cos = _sketch_cosine(group)
        perm = _sketch_perm(group)
        ii, jj = np.nonzero(np.triu((cos > CANDIDATE_COSINE) | (perm < CANDIDATE_PERM), 1))
        out.update((group[i].student, group[j].student) for i, j in zip(ii, jj))
    return out


def _sketch_cosine(group: list[Sketch]) -> np.ndarray:
    """(n, n): mean over weight layers of the sampled cosine, negatives as 0."""
    x = np.stack([s.samples for s in group])                 # (n, L, SAMPLE)
    total = np.zeros((len(group), len(group)), np.float32)
    for layer in range(x.shape[1]):
        v = x[:, layer, :]
        total += np.clip(v @ v.T, 0.0, 1.0)
    return total / x.shape[1]


def _sketch_perm(group: list[Sketch]) -> np.ndarray:
    """(n, n): median over layers of the row-norm curve distance, relative to the class's
    median pair for that layer (a permuted copy is ~0, a typical honest pair ~1)."""
    x = np.stack([s.curves for s in group])                  # (n, L, Q)
    n, layers = x.shape[0], x.shape[1]
    rel = np.empty((layers, n, n), np.float32)
    upper = np.triu_indices(n, 1)
    for layer in range(layers):
        v = x[:, layer, :]
        sq = (v * v).sum(1)
        d = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * v @ v.T, 0.0))
        typical = float(np.median(d[upper])) or 1.0
        rel[layer] = d / typical
    return np.median(rel, axis=0)


# --- the full comparison -----------------------------------------------------------------------

class Loaded:
    """A checkpoint's tensors, and the sorted-row signatures the permutation test needs,
    computed once however many candidate pairs the checkpoint is in."""

    def __init__(self, state: OrderedDict[str, np.ndarray]) -> None:
        self.state = state
        self._signatures: dict[str, np.ndarray | None] = {}

    def signature(self, name: str) -> np.ndarray | None:
        if name not in self._signatures:
            self._signatures[name] = row_signature(self.state[name])
        return self._signatures[name]


def row_signature(x: np.ndarray) -> np.ndarray | None:
    """Each output row's values sorted, thinned to SIGNATURE order statistics: unchanged when
    the input channels are permuted; permuting output channels only reorders the rows."""
    rows = x.shape[0]
    if x.ndim < 2 or rows < 4 or rows > MAX_ROWS:
        return None
    s = np.sort(x.reshape(rows, -1), axis=1)      # faster than a 64-way np.partition
    if s.shape[1] > SIGNATURE:
        s = s[:, np.linspace(0, s.shape[1] - 1, SIGNATURE).round().astype(int)]
    return s.astype(np.float64)


def compare_states(a: Loaded, b: Loaded) -> Evidence:
    rows = [_layer_row(na, a, nb, b) for na, nb in align(a.state, b.state)]
    if not rows:
        return Evidence(Kind.CHECKPOINT, 0.0, _("no tensors of the same shape"))
    weights = [r for r in rows if r.cosine is not None]
    cos = float(np.mean([max(0.0, r.cosine) for r in weights])) if weights else 0.0
    same = sum(r.identical for r in rows)
    matched = [r.rows_matched for r in weights if r.rows_matched is not None]
    perm = float(np.mean(matched)) if matched else 0.0
    ident = same / len(rows)
    score = max(cos, ident, perm)
    parts = []
    if weights:
        parts.append(_("layers {first}…{last}: cosine {cosine}").format(
            first=_layer_name(weights[0].name_a), last=_layer_name(weights[-1].name_a),
            cosine=f"{cos:.3f}"))
    parts.append(_("{same}/{total} tensors identical").format(same=same, total=len(rows)))
    if matched:
        full = sum(m >= 0.9 for m in matched)
        parts.append(_("rows matched one-to-one under a channel permutation: {share} "
                       "({full}/{layers} layers nearly all)").format(
            share=f"{perm:.0%}", full=full, layers=len(matched)))
    return Evidence(Kind.CHECKPOINT, min(1.0, score), _("; ").join(parts), layers=tuple(rows))


def _layer_name(name: str) -> str:
    return name.removesuffix(".weight")


def align(a: OrderedDict[str, np.ndarray], b: OrderedDict[str, np.ndarray]
          ) -> list[tuple[str, str]]:
    """Tensor pairs: the same name and shape first, then the rest by shape in order (renamed
    keys or a wrapped model still line up)."""
    pairs = [(k, k) for k in a if k in b and a[k].shape == b[k].shape]
    used_a = {k for k, _ in pairs}
    used_b = set(used_a)
    rest_b: dict[tuple[int, ...], list[str]] = defaultdict(list)
    for k, v in b.items():
        if k not in used_b:
            rest_b[v.shape].append(k)
    for k, v in a.items():
        if k not in used_a and rest_b.get(v.shape):
            pairs.append((k, rest_b[v.shape].pop(0)))
    order = {k: i for i, k in enumerate(a)}
    return sorted(pairs, key=lambda p: order[p[0]])


def _layer_row(na: str, a: Loaded, nb: str, b: Loaded) -> LayerRow:
    x, y = a.state[na], b.state[nb]
    identical = bool(np.array_equal(x, y)) and x.min() != x.max()
    if x.ndim < 2:
        return LayerRow(na, nb, tuple(x.shape), None, identical, None)
    fx, fy = x.reshape(-1), y.reshape(-1)
    denom = float(np.sqrt(np.dot(fx, fx)) * np.sqrt(np.dot(fy, fy)))
    cosine = min(1.0, float(np.dot(fx, fy)) / denom) if denom else 0.0
    sx, sy = a.signature(na), b.signature(nb)
    matched = None if sx is None or sy is None else rows_matched(sx, sy)
    return LayerRow(na, nb, tuple(x.shape), cosine, identical, matched)


def rows_matched(sx: np.ndarray, sy: np.ndarray) -> float:
    """Share of x's row signatures with one clear nearest row in y (RATIO test)."""
    sq_y = (sy * sy).sum(1)
    hits = 0
    for start in range(0, sx.shape[0], 2048):                # (2048, rows) distances at a time
        block = sx[start:start + 2048]
        d = np.sqrt(np.maximum((block * block).sum(1)[:, None] + sq_y[None, :]
                               - 2 * block @ sy.T, 0.0))
        two = np.partition(d, 1, axis=1)[:, :2]
        hits += int(np.sum(two[:, 0] < RATIO * two[:, 1]))
    return hits / sx.shape[0]


# --- the class ---------------------------------------------------------------------------------

def compare_checkpoints(students: list[Student], warnings: list[str],
                        full_pairs: int = FULL_PAIRS) -> dict[PairKey, Evidence]:
    """Each student's first readable checkpoint, sketched once; candidates compared fully."""
    chosen: dict[str, Path] = {}
    sketches: list[Sketch] = []
    for s, outcome in _sketch_all(sorted(students, key=lambda s: s.name)):
        for path, result in outcome:
            if isinstance(result, str):
                warnings.append(_("{file}: {reason}; not compared").format(
                    file=f"{s.name}/{s.label(path)}", reason=unreadable_reason(result)))
            else:
                sketches.append(result)
                chosen[s.name] = path
    cache: OrderedDict[str, Loaded] = OrderedDict()
    out = {}
    for a, b in sorted(candidate_pairs(sketches, full_pairs)):
        ev = compare_states(_cached(cache, chosen[a]), _cached(cache, chosen[b]))
        if ev.score > 0:
            out[(a, b)] = ev
    return out


SketchOutcome = list[tuple[Path, "Sketch | str"]]


def _sketch_all(students: list[Student]) -> list[tuple[Student, SketchOutcome]]:
    """Sketch every student's checkpoint; a large class in worker processes (one per core:
    reading and sketching 45 MB takes a core for a fraction of a second)."""
    jobs = [(s.name, s.checkpoints) for s in students]
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return [(s, _first_sketch(*job)) for s, job in zip(students, jobs)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        results = list(pool.map(_first_sketch, *zip(*jobs), chunksize=4))
    return list(zip(students, results))


def _first_sketch(student: str, paths: tuple[Path, ...]) -> SketchOutcome:
    """The sketch of the first readable checkpoint, after the reasons others were not."""
    tried: SketchOutcome = []
    for path in paths:
        try:
            tried.append((path, sketch(student, path, load_state(path))))
            break
        except CheckpointUnreadable as e:
            tried.append((path, str(e)))
    return tried


def _cached(cache: OrderedDict[str, Loaded], path: Path) -> Loaded:
    """Pairs come sorted, so the same `a` is needed many times in a row: keep a few."""
    key = str(path)
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    cache[key] = Loaded(load_state(path))
    while len(cache) > 4:
        cache.popitem(last=False)
    return cache[key]
