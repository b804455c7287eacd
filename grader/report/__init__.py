"""Per-student reports of `grade run` / `grade check`: one self-contained HTML page, GitHub
Markdown, and a rich table for the terminal.

The templates in `grader/templates/` receive the `Result` as it is plus a `Visibility` (what the
assignment's feedback level lets the reader see); every bit of formatting (numbers, shapes,
matrices, tolerances, the feedback line that must not give the answer away) is a Jinja filter
registered in `render.environment`, so the templates hold only loops and ifs.

Feedback levels (DESIGN.md `feedback`):
    answers      everything: expected answers, steps, recognised mistakes, measured values
    correctness  right/wrong, points, the student's own answer, a feedback line that reveals
                 no expected value; never `expected`, `steps`, mistakes or part notes
    format       only whether each answer parsed, and whether claims were readable; no scores

Modules: `visibility` (feedback levels and what each shows), `formatting` (values),
`escaping` (Markdown, inline SVG), `render` (Jinja: HTML, Markdown, the answer key),
`terminal` (rich tables, the key on a terminal), `files` (file names, `write_reports`).
"""
from grader.i18n import mistake, status_word
from grader.report.escaping import inline_svg, md_escape
from grader.report.files import RESERVED_STEMS, report_stem, write_reports
from grader.report.formatting import (DASH, MINUS, TIMES, fmt_answer, fmt_number, fmt_points,
                                      fmt_shape, fmt_tolerance, mark, matrix_rows, matrix_text,
                                      metric_value)
from grader.report.render import (environment, render_html, render_key_markdown,
                                  render_markdown)
from grader.report.terminal import print_key, print_terminal
from grader.report.visibility import (Level, Visibility, claim_reason, claim_reason_shown,
                                      feedback_line, refuted_reason, reveals_answer,
                                      shown_claim_status, shown_status)

__all__ = [
    "DASH", "MINUS", "RESERVED_STEMS", "TIMES", "Level", "Visibility", "claim_reason",
    "claim_reason_shown", "environment", "feedback_line", "fmt_answer", "fmt_number",
    "fmt_points", "fmt_shape", "fmt_tolerance", "inline_svg", "mark", "matrix_rows",
    "matrix_text", "md_escape", "metric_value", "mistake", "print_key", "print_terminal",
    "refuted_reason", "render_html", "render_key_markdown", "render_markdown", "report_stem",
    "reveals_answer", "shown_claim_status", "shown_status", "status_word", "write_reports",
]
