"""`grade log` in the terminal: metrics (best@epoch, last@epoch), epochs seen/planned, the
reader that claimed the log, the parameter count, LR changes, warnings in yellow."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from grader.logs.records import LogSummary


def print_summary(summary: LogSummary, console: Console | None = None) -> None:
    """Metrics (best@epoch, last@epoch), epochs seen/planned, LR changes, warnings in yellow."""
    console = console or Console()
    title = f"Training log (read as a {summary.reader} log)" if summary.reader else "Training log"
    table = Table(title=title)
    for col in ("metric", "best", f"at {summary.x}", "last", f"at {summary.x}", "points"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for name, s in summary.metrics.items():
        table.add_row(name, _fmt(s.best), _fmt(s.best_epoch), _fmt(s.last), _fmt(s.last_epoch),
                      str(len(s.series)))
    console.print(table)
    planned = f" of {summary.epochs_planned} planned" if summary.epochs_planned else ""
    if summary.x == "epoch" or summary.epochs_planned:
        console.print(f"epochs seen: {summary.epochs_seen}{planned}")
    if summary.params is not None:
        console.print(f"parameters: {summary.params:,}")
    if summary.lr_changes:
        steps = ", ".join(f"{_fmt(lr)} from epoch {_fmt(e)}" for e, lr in summary.lr_changes)
        console.print(f"learning rate: {steps}")
    for w in summary.warnings:
        console.print(f"warning: {w}", style="yellow", markup=False)


def _fmt(x: float) -> str:
    return f"{x:.6g}"
