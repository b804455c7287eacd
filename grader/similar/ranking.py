"""The class analysis: every kind of evidence gathered per pair, pairs ranked most similar
first. A pair's score is its strongest kind of evidence (each is in [0, 1]); ties go to the
pair with more kinds of evidence. Nothing here changes a grade: a person reads the evidence."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.similar.code import Source, compare_code
from grader.similar.checkpoints import FULL_PAIRS, compare_checkpoints
from grader.similar.evidence import Evidence, Kind, PairKey
from grader.similar.logs import compare_logs
from grader.similar.material import ClassMaterial

THRESHOLD = 0.3              # pairs listed in JSON and on the pages


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    score: float
    evidence: dict[Kind, Evidence]

    def to_json(self) -> dict[str, object]:
        return {"a": self.a, "b": self.b, "score": round(self.score, 4),
                "evidence": {str(k): ev.to_json() for k, ev in self.evidence.items()}}


@dataclass(frozen=True)
class Similarity:
    students: tuple[str, ...]
    pairs: tuple[Pair, ...]                  # every pair with any evidence, most similar first
    warnings: tuple[str, ...] = field(default=())
    starter: tuple[Path, ...] = field(default=())

    def listed(self, threshold: float = THRESHOLD) -> list[Pair]:
        return [p for p in self.pairs if p.score >= threshold]

    def to_json(self, threshold: float = THRESHOLD) -> dict[str, object]:
        """DESIGN.md's `grade similar --json`: {"pairs": [...]} most similar first."""
        return {"pairs": [p.to_json() for p in self.listed(threshold)]}


def analyse(material: ClassMaterial, starter: list[Source] | None = None,
            starter_paths: tuple[Path, ...] = (), full_pairs: int = FULL_PAIRS) -> Similarity:
    students = list(material.students)
    warnings = list(material.warnings)
    found: dict[PairKey, dict[Kind, Evidence]] = {}
    for kind, results in ((Kind.CODE, compare_code(students, starter)),
                          (Kind.CHECKPOINT, compare_checkpoints(students, warnings, full_pairs)),
                          (Kind.LOG, compare_logs(students))):
        for key, ev in results.items():
            if ev.score > 0:
                found.setdefault(key, {})[kind] = ev
    pairs = [Pair(a, b, max(ev.score for ev in evs.values()),
                  dict(sorted(evs.items())))
             for (a, b), evs in found.items()]
    pairs.sort(key=lambda p: (-p.score, -sum(e.score for e in p.evidence.values()), p.a, p.b))
    return Similarity(tuple(s.name for s in students), tuple(pairs), tuple(warnings),
                      starter_paths)
