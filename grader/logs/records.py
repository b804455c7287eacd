"""What a training log shows, as records: one metric's series, the whole log's summary, and
what a log says about one claimed number. Canonical metric names are DESIGN.md's
(`grade log --json`), plus the detection metrics of YOLO's `results.csv` (`map50`, `map50_95`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.results import CheckStatus, Curve

CANONICAL = ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc",
             "val_ppl", "test_ppl", "top1", "top5", "map50", "map50_95")
ACCURACIES = frozenset({"train_acc", "val_acc", "test_acc", "top1", "top5"})   # in percent
HIGHER_IS_BETTER = ACCURACIES | {"map50", "map50_95"}
CLAIM_METRICS = {"accuracy": ("test_acc", "val_acc", "top1"), "perplexity": ("test_ppl", "val_ppl")}


@dataclass(frozen=True)
class MetricSeries:
    """One canonical metric, epoch (or step) by epoch, in order."""

    name: str
    series: list[tuple[float, float]]

    @property
    def higher_is_better(self) -> bool:
        return self.name in HIGHER_IS_BETTER

    def _best_point(self) -> tuple[float, float]:
        pick = max if self.higher_is_better else min
        return pick(self.series, key=lambda p: p[1])    # first epoch wins a tie

    @property
    def best(self) -> float:
        return self._best_point()[1]

    @property
    def best_epoch(self) -> float:
        return self._best_point()[0]

    @property
    def last(self) -> float:
        return self.series[-1][1]

    @property
    def last_epoch(self) -> float:
        return self.series[-1][0]

    def value_at(self, epoch: float) -> float | None:
        return next((v for e, v in self.series if e == epoch), None)

    def to_json(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "last": self.last,
                "last_epoch": self.last_epoch, "series": [[e, v] for e, v in self.series]}


@dataclass(frozen=True)
class LogSummary:
    epochs_seen: int
    epochs_planned: int | None
    metrics: dict[str, MetricSeries]
    lr_changes: list[tuple[float, float]] = field(default_factory=list)   # (epoch, lr); first = start
    warnings: list[str] = field(default_factory=list)
    # metric values printed outside the epoch table (a final re-evaluation, an initial one)
    evaluations: list[tuple[str, float]] = field(default_factory=list)
    x: str = "epoch"                    # what the series are indexed by: "epoch" | "step"
    params: int | None = None           # the parameter count the log prints, if it does
    reader: str = ""                    # which reader claimed the log: "keras", "fairseq", ...

    def to_json(self) -> dict[str, Any]:
        """DESIGN.md's `grade log --json` object, plus `params`, `reader` and `lr_changes`."""
        return {"epochs_seen": self.epochs_seen, "epochs_planned": self.epochs_planned,
                "x": self.x, "params": self.params, "reader": self.reader,
                "metrics": {name: s.to_json() for name, s in self.metrics.items()},
                "warnings": list(self.warnings),
                "lr_changes": [[e, lr] for e, lr in self.lr_changes]}


@dataclass(frozen=True)
class LogVerdict:
    """What a training log says about one claimed number."""

    status: CheckStatus
    text: str
    matched_metric: str | None
    matched_epoch: float | None
    curves: list[Curve]
    warnings: list[str]
    x: str = "epoch"                    # the curves' x axis: "epoch" | "step"
    params: int | None = None           # the parameter count the log prints, if it does
