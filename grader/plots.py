"""Training curves as an inline SVG string for HTML reports (matplotlib, no pyplot state).

Losses go on the left axis, accuracies and perplexities on a right axis. The output is
byte-for-byte deterministic (fixed hash salt, no date, glyphs as paths rather than font
references) so golden files stay stable and reports need no network or fonts.
"""
from __future__ import annotations

import io
import re

import matplotlib
from matplotlib.figure import Figure

from grader.results import Curve

_RC = {"svg.hashsalt": "grade-log-curves", "svg.fonttype": "path", "font.family": "DejaVu Sans",
       "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
       "legend.fontsize": 8}
_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)      # XML declaration, DOCTYPE, comments


def curves_svg(curves: list[Curve], title: str = "", x: str = "epoch") -> str:
    """An `<svg ...>...</svg>` string plotting `curves` against `x` ("epoch" or "step")."""
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(6.4, 3.6), dpi=72)
        ax = fig.add_subplot()
        _draw(ax, curves, title, x)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata=_METADATA)
    return _PROLOG.sub("", buf.getvalue()).strip()


def _draw(ax, curves: list[Curve], title: str, x: str) -> None:   # ax: matplotlib.axes.Axes
    losses = [c for c in curves if c.metric.endswith("loss") and c.points]
    others = [c for c in curves if not c.metric.endswith("loss") and c.points]
    ax.set_title(title)
    ax.set_xlabel(x)
    if not losses and not others:
        ax.text(0.5, 0.5, "no curves in the log", ha="center", va="center",
                transform=ax.transAxes)
        return
    lines = []
    left = ax if losses else None
    right = (ax.twinx() if losses else ax) if others else None
    if left is not None:
        left.set_ylabel("loss")
        lines += [_plot(left, c, "-") for c in losses]
    if right is not None:
        right.set_ylabel(_right_label(others))
        lines += [_plot(right, c, "--" if losses else "-") for c in others]
    ax.legend(handles=lines, loc="best", frameon=False)
    ax.grid(True, alpha=0.3)


def _plot(ax, curve: Curve, style: str):
    xs = [p[0] for p in curve.points]
    ys = [p[1] for p in curve.points]
    marker = "o" if len(xs) <= 2 else None      # a lone final evaluation must still show
    (line,) = ax.plot(xs, ys, style, marker=marker, markersize=3, linewidth=1.2,
                      label=curve.metric)
    return line


def _right_label(curves: list[Curve]) -> str:
    kinds = {"perplexity" if c.metric.endswith("ppl") else "accuracy (%)" for c in curves}
    return " / ".join(sorted(kinds))
