"""Training logs: what they show per epoch (or step), and what a TA should worry about.

A package, one module per topic: `records` (the result types), `text` (bytes -> lines),
`labels` (printed labels -> canonical names), `epochs` (epochs, steps, planned epochs, parameter
counts in a line), `collector` (state while reading), `families/` (one module of line rules per
framework printout, plus the generic context-aware reader), `structured` (trainer_state.json,
JSON lines, CSV), `parse` (the dispatcher), `summary` and `alerts` (series and warnings),
`verdict` (a claim against the log) and `render` (the terminal table).
"""
from grader.logs.parse import parse_log, read_log
from grader.logs.records import (ACCURACIES, CANONICAL, CLAIM_METRICS, LogSummary, LogVerdict,
                                 MetricSeries)
from grader.logs.render import print_summary
from grader.logs.text import MAX_BYTES
from grader.logs.verdict import log_verdict

__all__ = ["ACCURACIES", "CANONICAL", "CLAIM_METRICS", "MAX_BYTES", "LogSummary", "LogVerdict",
           "MetricSeries", "log_verdict", "parse_log", "print_summary", "read_log"]
