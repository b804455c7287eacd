"""What one comparison found: a score in [0, 1], a one-line reason and what the pair page shows.

These records sit below every analyser (code, checkpoints, logs), the ranking and the pages, so
none of those imports another."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    CODE = "code"
    CHECKPOINT = "checkpoint"
    LOG = "log"


@dataclass(frozen=True)
class SpanPair:
    """A stretch of code the two students share, as each of them wrote it."""

    file_a: str
    lines_a: tuple[int, int]        # 1-based, inclusive
    text_a: str
    file_b: str
    lines_b: tuple[int, int]
    text_b: str
    tokens: int                     # normalised tokens the stretch covers


@dataclass(frozen=True)
class LayerRow:
    """One aligned tensor of two checkpoints."""

    name_a: str
    name_b: str
    shape: tuple[int, ...]
    cosine: float | None            # None: a vector (bias, norm), where cosine says little
    identical: bool
    rows_matched: float | None      # share of rows matched one-to-one under a permutation


@dataclass(frozen=True)
class SeriesRow:
    """One metric of two logs, epoch by epoch."""

    metric: str
    epochs: tuple[float, ...]
    values_a: tuple[float, ...]
    values_b: tuple[float, ...]
    offset: float | None            # b − a when it is constant, else None


@dataclass(frozen=True)
class Evidence:
    kind: Kind
    score: float                    # 0 = nothing alike, 1 = the same thing
    detail: str
    spans: tuple[SpanPair, ...] = field(default=())
    layers: tuple[LayerRow, ...] = field(default=())
    series: tuple[SeriesRow, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        return {"score": round(self.score, 4), "detail": self.detail}


PairKey = tuple[str, str]           # (a, b) with a < b


def pair_key(a: str, b: str) -> PairKey:
    return (a, b) if a < b else (b, a)
