"""grader.plots.curves_svg: an inline, self-contained, deterministic SVG."""
from __future__ import annotations

import re
from pathlib import Path

from grader.logs import log_verdict
from grader.plots import curves_svg
from grader.results import Curve

LOGS = Path(__file__).parent / "logs"
ALLOWED = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_svg_is_inline_and_references_nothing_outside():
    curves = log_verdict(LOGS / "word_language_model.log", 126.5, "perplexity").curves
    svg = curves_svg(curves, "word LM")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "DOCTYPE" not in svg
    assert set(re.findall(r"https?://[^\s\"'<>)]+", svg)) <= ALLOWED
    assert "<text" not in svg or "font-family" not in svg     # glyphs drawn as paths


def test_svg_is_deterministic():
    curves = [Curve("train_loss", [(1, 1.0), (2, 0.6), (3, 0.4)]),
              Curve("test_acc", [(1, 50.0), (2, 70.0), (3, 80.0)])]
    assert curves_svg(curves, "run") == curves_svg(curves, "run")


def test_svg_draws_every_curve_and_handles_none():
    curves = [Curve("train_loss", [(1, 1.0), (2, 0.6)]), Curve("val_loss", [(1, 1.1), (2, 0.9)]),
              Curve("val_acc", [(1, 60.0), (2, 70.0)])]
    svg = curves_svg(curves)
    assert len(re.findall(r'<g id="line2d_\d+">', svg)) >= 3
    assert curves_svg([]).startswith("<svg")


def test_svg_x_axis_label_follows_the_log():
    curves = [Curve("train_loss", [(100, 4.0), (200, 3.5)])]
    assert curves_svg(curves, x="step") != curves_svg(curves)     # the label is drawn
