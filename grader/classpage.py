"""The class page (`index.html`): score histogram, per-question difficulty, claim outcomes and a
student table that sorts in the browser.

What is measured (`class_summary`) is kept apart from how it is shown (templates/class.html.j2).
The page is self-contained: inline CSS, inline JS and an inline SVG histogram, no URLs.
Opened with `#sort=<column>` (or `#sort=-<column>` for descending) it sorts itself on load.
"""
from __future__ import annotations

import io
import json
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.assignment import Assignment
from grader.i18n import _
from grader.marking import is_pending
from grader.results import ClaimStatus, QuestionStatus, Result, _num

WRONG = (QuestionStatus.INCORRECT, QuestionStatus.PARTIAL)    # parsed, and wrong


@dataclass(frozen=True)
class QuestionStats:
    id: str
    kind: str
    max_score: float
    mean: float | None              # over graded students
    mean_fraction: float | None     # mean / max_score
    answered: int
    common_wrong: str | None        # the most common wrong answer that parsed, normalised
    common_wrong_count: int
    unparsable: int = 0             # answers that could not be read (never "wrong answers")
    pending: int = 0                # manual scores no person has given yet

    @property
    def difficulty(self) -> float | None:
        """Share of the points lost on average: the bar grows as the question gets harder."""
        return None if self.mean_fraction is None else round(1 - self.mean_fraction, 4)


@dataclass(frozen=True)
class MistakeCount:
    question: str
    mistake: str
    students: int


@dataclass(frozen=True)
class ClaimStats:
    id: str
    counts: dict[str, int]          # verified / refuted / error / unverifiable -> students


@dataclass(frozen=True)
class Row:
    student: str
    page: str | None                # the student's report file, beside index.html
    score: float | None
    cells: list[str]                # per question and claim: a score, or "pending"
    sort_keys: list[str]
    error: str | None
    statuses: list[str] = field(default_factory=list)   # per cell: a claim's status, else ""


@dataclass(frozen=True)
class ClassSummary:
    title: str
    assignment: str
    max_score: float
    students: int
    graded: int
    errors: int
    mean: float | None
    median: float | None
    questions: list[QuestionStats]
    claims: list[ClaimStats]
    columns: list[str]              # the table's per-question / per-claim column ids
    rows: list[Row]
    histogram_svg: str
    mistakes: list[MistakeCount] = field(default_factory=list)   # most made first


def class_summary(results: list[Result], assignment: Assignment) -> ClassSummary:
    from grader.report import report_stem
    ok = [r for r in results if r.error is None]
    scores = sorted(r.score for r in ok)
    max_score = sum(q.points for q in assignment.questions) + sum(c.points
                                                                  for c in assignment.claims)
    columns = [q.id for q in assignment.questions] + [c.id for c in assignment.claims]
    rows = []
    for r in results:
        by_id: dict[str, Any] = {q.id: q for q in r.questions}
        cells, keys, statuses = [], [], []
        for cid in columns:
            item = by_id.get(cid) or next((c for c in r.claims if c.id == cid), None)
            claim = item is not None and cid in {c.id for c in assignment.claims}
            statuses.append(str(item.status) if claim else "")
            if item is None:
                cells.append(""), keys.append("")
            elif not claim and is_pending(item):
                cells.append("pending"), keys.append("")
            else:
                cells.append(f"{item.score:.2f}")
                keys.append(str(item.score))
        rows.append(Row(r.student, None if r.error else f"{report_stem(r.student)}.html",
                        None if r.error else _num(r.score), cells, keys, r.error, statuses))
    return ClassSummary(
        title=assignment.title, assignment=assignment.id, max_score=_num(max_score),
        students=len(results), graded=len(ok), errors=len(results) - len(ok),
        mean=_num(sum(scores) / len(scores)) if scores else None,
        median=_num(_median(scores)) if scores else None,
        questions=[_question_stats(q.id, q.kind, q.points, ok) for q in assignment.questions],
        claims=[_claim_stats(c.id, ok) for c in assignment.claims],
        columns=columns, rows=rows, histogram_svg=histogram_svg(scores, max_score),
        mistakes=_mistake_counts(ok))


def _mistake_counts(ok: list[Result]) -> list[MistakeCount]:
    """Per question and named mistake, how many students made it."""
    counts = Counter((q.id, q.mistake) for r in ok for q in r.questions if q.mistake)
    return [MistakeCount(qid, mistake, n) for (qid, mistake), n in
            sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _median(xs: list[float]) -> float:
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def _question_stats(qid: str, kind: str, points: float, ok: list[Result]) -> QuestionStats:
    found = [q for r in ok for q in r.questions if q.id == qid]
    pending = sum(is_pending(q) for q in found)
    marked = [q for q in found if not is_pending(q)]
    mean = sum(q.score for q in marked) / len(marked) if marked else None
    wrong = Counter(normalised(q.given, q.expected) for q in marked if q.status in WRONG)
    common = wrong.most_common(1)
    return QuestionStats(qid, kind, points, None if mean is None else _num(mean),
                         None if mean is None or not points else round(mean / points, 4),
                         sum(q.status is not QuestionStatus.MISSING for q in found),
                         common[0][0] if common else None, common[0][1] if common else 0,
                         sum(q.status is QuestionStatus.UNPARSABLE for q in found), pending)


def normalised(given: Any, expected: Any) -> str:
    """One spelling per wrong answer: `7,220`, `7220。` and `= 7220` are one; `3x2`, `(3, 2)`
    and `3×2` are one. Read as the key's answer is (a number, a shape), else spacing aside."""
    from grader.answers import Form, parse
    from grader.errors import AnswerParseError
    form = (Form.NUMBER if isinstance(expected, (int, float)) and not isinstance(expected, bool)
            else Form.SHAPE if isinstance(expected, list) and expected
            and all(isinstance(d, int) for d in expected) else None)
    if form is not None:
        try:
            value = parse(given, form)
        except AnswerParseError:
            pass
        else:
            return f"{value:.6g}" if form is Form.NUMBER else "×".join(map(str, value))
    text = given if isinstance(given, str) else json.dumps(given, ensure_ascii=False)
    return " ".join(text.split())


def _claim_stats(cid: str, ok: list[Result]) -> ClaimStats:
    counts = {str(s): 0 for s in ClaimStatus}
    for r in ok:
        for c in r.claims:
            if c.id == cid:
                counts[str(c.status)] += 1
    return ClaimStats(cid, counts)


# --- the histogram -----------------------------------------------------------------------------

_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.DOTALL)


def histogram_svg(scores: list[float], max_score: float) -> str:
    """Score histogram as inline SVG (no XML prologue, no namespace URLs)."""
    import matplotlib
    from matplotlib.figure import Figure     # not pyplot: no global state, faster import
    # The labels stay text in the SVG (the browser draws them, CJK included): matplotlib's
    # warning that its own font lacks a Chinese glyph only concerns its width estimate.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "class-page"}), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Glyph .* missing from", UserWarning)
        fig = Figure(figsize=(6.4, 2.6))
        ax = fig.subplots()
        top = max(max_score, max(scores, default=0.0), 1.0)
        bins = min(20, max(5, int(top) if float(top).is_integer() else 10))
        ax.hist(scores, bins=bins, range=(0, top), color="#4c72b0", edgecolor="white")
        ax.set_xlabel(_("score"))
        ax.set_ylabel(_("students"))
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    return _XMLNS.sub("", _METADATA.sub("", svg)).replace("xlink:href", "href")


# --- rendering ---------------------------------------------------------------------------------

def render_class_page(results: list[Result], assignment: Assignment,
                      similar: Any = None) -> str:
    """`similar`: a `grader.similar.SimilarSection` (batch), shown as its own section."""
    from grader.i18n import current
    from grader.report import environment
    return environment().get_template("class.html.j2").render(
        summary=class_summary(results, assignment), similar=similar, lang=current())


def write_class_page(results: list[Result], assignment: Assignment, out: Path,
                     similar: Any = None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(render_class_page(results, assignment, similar), encoding="utf-8")
    return path
