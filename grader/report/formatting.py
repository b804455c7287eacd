"""Formatting of values for every view: numbers, points, shapes, answers, matrices, measured
metrics and tolerances, each on plain Unicode (3,136; 1.5×10⁻⁵; 32×32×3; −2)."""
from __future__ import annotations

import math
from typing import Any, Iterable

from grader.results import ClaimResult

MINUS = "−"
TIMES = "×"
DASH = "—"
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
# Kinds whose flat lists of ints are tensor shapes (32×32×3), not vectors.
_SHAPE_KINDS = ("cnn.", "model.", "attention.", "rnn.")
# Kinds whose answer is a list of shapes / ints, one per asked layer.
_SHAPE_LIST_KINDS = ("cnn.shapes", "model.summary")


def fmt_number(x: Any) -> str:
    """3136 -> "3,136"; 0.70710678 -> "0.707107"; 1.5e-05 -> "1.5×10⁻⁵"; -2 -> "−2"."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return f"{x:,}".replace("-", MINUS)
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return str(x)
        if x.is_integer() and abs(x) < 1e15:
            return fmt_number(int(x))
        text = f"{x:,.6g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}{TIMES}10{str(int(exponent)).translate(_SUPERSCRIPT)}"
        return text.replace("-", MINUS)
    return str(x)


def fmt_points(x: float | int | None) -> str:
    """Scores as people write them: 4, 3.5, 2.67."""
    if x is None:
        return DASH
    x = round(float(x), 2)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_scalar(x: Any) -> bool:
    return x is None or isinstance(x, (int, float, str, bool))


def _is_shape(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(_is_int(d) for d in x)


def fmt_shape(dims: Iterable[int]) -> str:
    """[32, 32, 32] -> "32×32×32"."""
    return TIMES.join(str(d) for d in dims)


def _cell(x: Any, kind: str) -> str:
    """One element of a list, a matrix or a summary row."""
    if _is_shape(x):
        return fmt_shape(x)
    if isinstance(x, (list, tuple)):
        return fmt_answer(x, kind)
    if x is None:
        return DASH
    # One line per cell: a matrix row can then never close a Markdown code fence.
    return fmt_number(x) if isinstance(x, (int, float)) else " ".join(str(x).split())


def _is_matrix(value: Any, kind: str) -> bool:
    """A list of rows (numbers, exact strings, or summary rows `[name, [shape], params]`)."""
    if not isinstance(value, (list, tuple)) or not value:
        return False
    if not all(isinstance(r, (list, tuple)) and r for r in value):
        return False
    if kind.startswith(_SHAPE_LIST_KINDS) and all(_is_shape(r) for r in value):
        return False                        # a list of shapes, shown as 32×32×32, 16×16×32
    return True


def fmt_answer(value: Any, kind: str = "") -> str:
    """Any expected or given value on one line of plain Unicode."""
    if value is None:
        return DASH
    if isinstance(value, str):
        return value
    if _is_scalar(value):
        return fmt_number(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {fmt_answer(v, kind)}" for k, v in value.items())
    if _is_shape(value) and (kind.startswith(_SHAPE_KINDS) or not kind):
        return fmt_shape(value)
    if _is_matrix(value, kind):
        return "[" + ", ".join("[" + ", ".join(_cell(x, kind) for x in row) + "]"
                               for row in value) + "]"
    if all(isinstance(x, str) for x in value) or kind.startswith(_SHAPE_LIST_KINDS):
        return ", ".join(_cell(x, kind) for x in value)      # a list written item by item
    return "[" + ", ".join(_cell(x, kind) for x in value) + "]"


def matrix_rows(value: Any, kind: str = "") -> list[list[str]]:
    """The rows of a matrix (or summary table) as formatted cells; [] when not a matrix."""
    if not _is_matrix(value, kind):
        return []
    return [[_cell(x, kind) for x in row] for row in value]


def matrix_text(value: Any, kind: str = "") -> str:
    """A matrix as aligned lines between brackets, for Markdown code blocks and terminals."""
    rows = matrix_rows(value, kind)
    if not rows:
        return fmt_answer(value, kind)
    width = max(len(r) for r in rows)
    cols = [max((len(r[i]) for r in rows if i < len(r)), default=0) for i in range(width)]
    return "\n".join("[ " + "  ".join(c.rjust(cols[i]) for i, c in enumerate(r)) + " ]"
                     for r in rows)


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"



def metric_value(x: float | None, metric: str = "") -> str:
    if x is None:
        return DASH
    return fmt_number(round(float(x), 4)) + ("%" if metric == "accuracy" else "")


def fmt_tolerance(c: ClaimResult) -> str:
    """Accuracy tolerances are percentage points; perplexity tolerances are relative."""
    if c.metric == "perplexity":
        return f"±{fmt_number(round(c.tolerance * 100, 4))}%"
    if c.metric == "accuracy":
        return f"±{fmt_number(c.tolerance)} pp"
    return f"±{fmt_number(c.tolerance)}"
