"""Grading results: per question, per claim, per integrity check, per student.

`Result.to_json()` is exactly the object DESIGN.md fixes for `grade run --json`; the richer
fields (steps, mistake, parts, log verdicts, curves) feed the reports only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class QuestionStatus(StrEnum):
    CORRECT = "correct"
    PARTIAL = "partial"
    INCORRECT = "incorrect"
    MISSING = "missing"
    UNPARSABLE = "unparsable"
    MANUAL = "manual"


class ClaimStatus(StrEnum):
    VERIFIED = "verified"
    REFUTED = "refuted"
    UNVERIFIABLE = "unverifiable"
    ERROR = "error"


class CheckStatus(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    INFO = "info"           # a fact with nothing to compare it against: neither pass nor warn


@dataclass
class Part:
    """One element of a list/matrix answer, for partial-credit tables in reports."""

    label: str
    expected: Any
    given: Any
    ok: bool
    note: str = ""          # e.g. "follow-through from your layer 1", "same padding used"


@dataclass
class QuestionResult:
    id: str
    kind: str
    status: QuestionStatus
    score: float
    max_score: float
    expected: Any
    given: Any
    feedback: str = ""
    steps: list[str] = field(default_factory=list)
    mistake: str | None = None          # name of the classic mistake recognised, if any
    parts: list[Part] = field(default_factory=list)
    read_as: str = ""                   # how the answer was read: "read 1216 from your sentence"
    working: str = ""                   # a word on right working with a slip (no expected value)
    pending: bool = False               # a manual question no person has scored yet

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": str(self.status),
                "score": _num(self.score), "max_score": _num(self.max_score),
                "expected": self.expected, "given": self.given, "feedback": self.feedback}


@dataclass
class Curve:
    """One metric series from a training log, for plots."""

    metric: str
    points: list[tuple[float, float]]


@dataclass
class ClaimResult:
    id: str
    status: ClaimStatus
    claimed: float | None
    measured: float | None
    tolerance: float
    score: float
    max_score: float
    detail: str = ""
    metric: str = ""
    log_verdict: str = ""               # what the training log says about the claimed value
    curves: list[Curve] = field(default_factory=list)
    curves_svg: str = ""                # inline SVG of the curves (matplotlib), for HTML reports
    params: int | None = None           # the re-run model's parameter count
    log_params: int | None = None       # the count the training log prints, if it does
    refused_by: str = ""                # "control" | "causal": the check that refuted a measure

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": str(self.status), "claimed": self.claimed,
                "measured": self.measured, "tolerance": self.tolerance,
                "score": _num(self.score), "max_score": _num(self.max_score),
                "detail": self.detail}


@dataclass
class IntegrityCheck:
    check: str
    status: CheckStatus
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "status": str(self.status), "detail": self.detail}


@dataclass
class Result:
    student: str
    assignment: str
    questions: list[QuestionResult] = field(default_factory=list)
    claims: list[ClaimResult] = field(default_factory=list)
    integrity: list[IntegrityCheck] = field(default_factory=list)
    error: str | None = None            # set when the folder itself was unusable (batch rows)

    @property
    def score(self) -> float:
        return round(sum(q.score for q in self.questions) + sum(c.score for c in self.claims), 4)

    @property
    def max_score(self) -> float:
        return sum(q.max_score for q in self.questions) + sum(c.max_score for c in self.claims)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "student": self.student, "assignment": self.assignment,
            "score": _num(self.score), "max_score": _num(self.max_score),
            "questions": [q.to_json() for q in self.questions],
            "claims": [c.to_json() for c in self.claims],
            "integrity": [i.to_json() for i in self.integrity],
        }
        if self.error is not None:
            out["error"] = self.error
        return out


def _num(x: float) -> float | int:
    """Scores print as 4, not 4.0, when whole."""
    return int(x) if float(x).is_integer() else round(float(x), 4)
