"""Per-student reports of `grade run` / `grade check`: one self-contained HTML page, GitHub
Markdown, and a rich table for the terminal.

The templates in `grader/templates/` receive the `Result` as it is plus a `Visibility` (what the
assignment's feedback level lets the reader see); every bit of formatting (numbers, shapes,
matrices, tolerances, the feedback line that must not give the answer away) is a Jinja filter
registered here, so the templates hold only loops and ifs.

Feedback levels (DESIGN.md `feedback`):
    answers      everything: expected answers, steps, recognised mistakes, measured values
    correctness  right/wrong, points, the student's own answer, a feedback line that reveals
                 no expected value; never `expected`, `steps`, mistakes or part notes
    format       only whether each answer parsed, and whether claims were readable; no scores
"""
from __future__ import annotations

import functools
import json

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import jinja2
from markupsafe import Markup
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from grader.i18n import N_, _, mistake, status_word
from grader.i18n import current as current_language
from grader.results import (CheckStatus, ClaimResult, ClaimStatus, QuestionResult,
                            QuestionStatus, Result)

if TYPE_CHECKING:
    from grader.key import AnswerKey


class Level(StrEnum):
    FORMAT = "format"
    CORRECTNESS = "correctness"
    ANSWERS = "answers"


@dataclass(frozen=True)
class Visibility:
    """What one feedback level shows; the templates branch on these flags only."""

    level: Level
    scores: bool        # points per question and claim, the total and its bar
    verdicts: bool      # correct / partial / refuted ... (format shows "parsed" instead)
    answers: bool       # expected values, steps, mistakes, part notes, measured metrics

    @classmethod
    def of(cls, feedback: str) -> Visibility:
        try:
            level = Level(feedback)
        except ValueError:
            raise ValueError(f"feedback level {feedback!r} is not one of "
                             f"{', '.join(repr(str(x)) for x in Level)}") from None
        return cls(level=level, scores=level is not Level.FORMAT,
                   verdicts=level is not Level.FORMAT, answers=level is Level.ANSWERS)


# ---------------------------------------------------------------------------------------------
# Formatting of values: numbers, shapes, answers, matrices
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# What each level says about a question or a claim
# ---------------------------------------------------------------------------------------------

def _answered(q: QuestionResult) -> bool:
    return q.given is not None and q.given != "" and q.given != []


def shown_status(q: QuestionResult, vis: Visibility) -> str:
    """The status word a reader sees: at `format` only missing / unparsable / parsed."""
    if vis.verdicts:
        return str(q.status)
    if q.status in (QuestionStatus.MISSING, QuestionStatus.UNPARSABLE):
        return str(q.status)
    return "parsed" if _answered(q) else str(QuestionStatus.MISSING)


def _leaves(value: Any) -> Iterable[Any]:
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif value is not None and not isinstance(value, bool):
        yield value


def _answer_tokens(q: QuestionResult) -> set[str]:
    """Every way an expected value of `q` could be written in a sentence."""
    tokens: set[str] = set()
    values = [q.expected, *(p.expected for p in q.parts)]
    for value in values:
        for shape in _shapes_in(value):
            tokens |= {fmt_shape(shape), "x".join(map(str, shape)), ", ".join(map(str, shape))}
        tokens.add(fmt_answer(value, q.kind))
        for leaf in _leaves(value):
            tokens |= {str(leaf).strip(), fmt_number(leaf)}
            if isinstance(leaf, float):
                tokens |= {f"{leaf:g}", *(f"{leaf:.{d}f}" for d in range(1, 5))}
    return {t for t in tokens if t and t != DASH}


def _shapes_in(value: Any) -> Iterable[list[int]]:
    if _is_shape(value):
        yield list(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _shapes_in(v)


def reveals_answer(text: str, q: QuestionResult) -> bool:
    """True when `text` contains one of the expected values of `q` as a whole token."""
    for token in _answer_tokens(q):
        if re.search(r"(?<![\w.])" + re.escape(token) + r"(?!\w)", text):
            return True
    return False


_GENERIC = {        # msgids; translated where shown
    QuestionStatus.CORRECT: N_("Correct."),
    QuestionStatus.PARTIAL: N_("Partly correct."),
    QuestionStatus.INCORRECT: N_("Not correct."),
    QuestionStatus.MISSING: N_("No answer given."),
    QuestionStatus.UNPARSABLE: N_("This answer could not be read."),
    QuestionStatus.MANUAL: N_("Graded by hand."),
}


def feedback_line(q: QuestionResult, vis: Visibility) -> str:
    """The grader's feedback, or at lower levels a line that gives no expected value away."""
    if vis.answers:
        return q.feedback
    if not vis.verdicts:
        if q.status == QuestionStatus.UNPARSABLE and q.feedback and not reveals_answer(
                q.feedback, q):
            return q.feedback               # the parse error says what to fix
        if shown_status(q, vis) == "parsed":
            return _("Parsed.")
        return _(_GENERIC[q.status])
    if q.feedback and not reveals_answer(q.feedback, q):
        return q.feedback
    if q.status == QuestionStatus.PARTIAL and q.parts:
        right = sum(p.ok for p in q.parts)
        return _("Partly correct: {right} of {total} parts right.").format(
            right=right, total=len(q.parts))
    return _(_GENERIC[q.status])


def shown_claim_status(c: ClaimResult, vis: Visibility) -> str:
    """At `format`: whether the claim could be read and the code ran, not whether it holds."""
    if vis.verdicts or c.status == ClaimStatus.ERROR:
        return str(c.status)
    return "readable" if c.claimed is not None else "missing"


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


# ---------------------------------------------------------------------------------------------
# Escaping for Markdown, sanitising inline SVG
# ---------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|])")


def md_escape(text: Any) -> str:
    """Text safe inside a GitHub Markdown paragraph or table cell: no HTML, no links, no
    emphasis, no column breaks, one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


_SVG_PROLOGUE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->|<metadata>.*?</metadata>",
                           re.DOTALL | re.IGNORECASE)
# Anything that runs or loads: scripts, event handlers, foreign HTML, off-page references.
_SVG_FORBIDDEN = re.compile(r"<script|<foreignobject|<image|javascript:|\son\w+\s*=|"
                            r"href\s*=\s*[\"'](?!#)|url\(\s*(?!#)|@import", re.IGNORECASE)


def inline_svg(svg: str) -> Markup:
    """The curves SVG, ready to sit inside the page: no XML prologue, no metadata with its
    namespaces, and nothing that loads or runs (otherwise the plot is left out)."""
    body = _SVG_PROLOGUE.sub("", svg or "").strip()
    if not body:
        return Markup("")
    if not body.lower().startswith("<svg") or _SVG_FORBIDDEN.search(body):
        return Markup('<p class="muted">{}</p>').format(
            _("(plot left out: it was not a plain SVG drawing)"))
    return Markup(body)


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment: package templates, strict variables, HTML autoescaped.

    Built once per process: a batch renders hundreds of pages, and compiling the templates
    again for each one cost about 80 ms a student."""
    env = jinja2.Environment(
        extensions=["jinja2.ext.i18n"],
        loader=jinja2.PackageLoader("grader", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: name is not None and ".html" in name,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        num=fmt_number, points=fmt_points, shape=fmt_shape, answer=fmt_answer,
        matrix=matrix_rows, matrix_text=matrix_text, mark=mark, md=md_escape,
        svg=inline_svg, status=shown_status, claim_status=shown_claim_status,
        feedback_line=feedback_line, metric=metric_value, tolerance=fmt_tolerance,
        say=status_word, mistake=mistake,
    )
    # the current language is looked up at each call, so one cached environment serves all
    from grader import i18n
    env.install_gettext_callables(gettext=lambda s: i18n._(s),    # type: ignore[attr-defined]
                                  ngettext=lambda s, p, n: i18n.ngettext(s, p, n),
                                  newstyle=True)
    return env


_FORMAT = Visibility.of("format")


def _context(result: Result, title: str, feedback: str) -> dict[str, Any]:
    vis = Visibility.of(feedback)
    score, max_score = result.score, result.max_score
    percent = 0.0 if max_score <= 0 else max(0.0, min(100.0, 100.0 * score / max_score))
    statuses = Counter(shown_status(q, vis) for q in result.questions)
    order = [*map(str, QuestionStatus), "parsed"]
    return {
        "result": result, "title": title, "vis": vis, "lang": current_language(),
        "score": fmt_points(score), "max_score": fmt_points(max_score),
        "percent": round(percent, 1), "percent_text": f"{percent:.0f}%",
        "bar": "█" * round(percent / 5) + "░" * (20 - round(percent / 5)),
        "status_counts": [(s, statuses[s]) for s in order if statuses[s]],
        "parsed_count": sum(shown_status(q, _FORMAT) == "parsed" for q in result.questions),
    }


def render_html(result: Result, *, title: str = "", feedback: str = "answers",
                sandbox_note: str = "") -> str:
    """One self-contained HTML page (inline CSS, no scripts, no external resources)."""
    env = environment()
    style = env.loader.get_source(env, "_style.css")[0]   # type: ignore[union-attr]
    return env.get_template("report.html.j2").render(
        **_context(result, title, feedback), sandbox_note=sandbox_note, style=Markup(style))


def render_markdown(result: Result, *, title: str = "", feedback: str = "answers") -> str:
    """The same report as GitHub-flavoured Markdown."""
    return environment().get_template("report.md.j2").render(**_context(result, title, feedback))


def render_key_markdown(key: Mapping[str, Any], *, title: str = "") -> str:
    """The answer key (the `grade key --json` object: assignment, questions with id, kind,
    answer, steps) as GitHub Markdown with the work shown."""
    return environment().get_template("key.md.j2").render(key=key, title=title)


def print_key(key: "AnswerKey", console: Console | None = None) -> None:
    """The key for a terminal: each answer under its question, the steps indented."""
    console = console or Console()
    a = key.assignment
    console.print(f"[bold]{escape(a.title)}[/bold]  ({a.id}, {len(key.entries)} questions)")
    for entry in key.entries:
        q = entry.question
        console.print(f"\n[bold cyan]{q.id}[/bold cyan] {q.kind}  [dim]{q.points:g} pt[/dim]  "
                      f"{escape(q.title)}")
        if entry.worked is None:
            why = "scored by a person" if q.kind == "manual" else "answer not in this copy"
            console.print(f"  [dim]({why})[/dim]")
            continue
        for step in entry.worked.steps:
            console.print(f"  {escape(step)}", highlight=False)
        answer = json.dumps(entry.answer, ensure_ascii=False)
        console.print(f"  [green]answer:[/green] {escape(answer)}", highlight=False)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _text(value: Any, style: str = "") -> Text:
    """Terminal text from data: never read as rich markup, and with control characters (an
    ESC from a student's answer echoed in a parse error) shown as � instead of obeyed."""
    return Text(_CONTROL.sub("\ufffd", str(value)), style=style)


_CHECK_STYLE = {CheckStatus.PASS: "green", CheckStatus.WARN: "yellow", CheckStatus.FAIL: "bold red",
                CheckStatus.INFO: "blue"}
_STATUS_STYLE = {
    "correct": "bold green", "partial": "bold yellow", "incorrect": "bold red",
    "missing": "dim", "unparsable": "bold magenta", "manual": "bold blue", "parsed": "green",
    "verified": "bold green", "refuted": "bold red", "unverifiable": "yellow",
    "error": "bold red", "readable": "green",
}


def print_terminal(result: Result, console: Console | None = None, *,
                   feedback: str = "answers") -> None:
    """Questions and claims as rich tables, then the total."""
    console = console or Console()
    vis = Visibility.of(feedback)
    head = Text.assemble(_text(result.student, "bold"), " · ", _text(result.assignment))
    console.print(head)
    if result.error:
        console.print(_text(f"error: {result.error}", "bold red"))
    if result.questions:
        table = Table(title=_("Questions"), title_justify="left", expand=False)
        table.add_column(_("id"), no_wrap=True)
        table.add_column(_("kind"), no_wrap=True)
        table.add_column(_("status"), no_wrap=True)
        if vis.scores:
            table.add_column(_("points"), justify="right", no_wrap=True)
        table.add_column(_("feedback"))
        for q in result.questions:
            status = shown_status(q, vis)
            row = [_text(q.id), _text(q.kind),
                   _text(status_word(status), _STATUS_STYLE.get(status, ""))]
            if vis.scores:
                row.append(_text(f"{fmt_points(q.score)} / {fmt_points(q.max_score)}"))
            # the grader's feedback already names a recognised mistake
            row.append(_text(feedback_line(q, vis) + _working(q, vis)))
            table.add_row(*row)
        console.print(table)
    if result.claims:
        console.print(_claims_table(result.claims, vis))
    if any(i.status not in (CheckStatus.PASS, CheckStatus.INFO) for i in result.integrity):
        table = Table(title=_("Integrity"), title_justify="left")
        for name in (_("check"), _("status"), _("detail")):
            table.add_column(name, no_wrap=name == _("status"))
        for i in result.integrity:
            table.add_row(_text(i.check), _text(status_word(i.status), _CHECK_STYLE[i.status]),
                          _text(i.detail))
        console.print(table)
    elif result.integrity:
        n = len(result.integrity)
        passed = sum(i.status == CheckStatus.PASS for i in result.integrity)
        console.print(_text(_("Integrity checks: {n} of {n} pass").format(n=n), "green")
                      if passed == n else
                      _text(_("Integrity checks: {passed} pass, {info} for information").format(
                          passed=passed, info=n - passed), "green"))
    ctx = _context(result, "", feedback)
    if vis.scores:
        console.print(Text.assemble((_("Total: "), "bold"),
                                    (f"{ctx['score']} / {ctx['max_score']}", "bold"),
                                    f" ({ctx['percent_text']})"))
    else:
        console.print(Text(_("{parsed} of {total} answers parsed").format(
            parsed=ctx['parsed_count'], total=len(result.questions))))


def _working(q: QuestionResult, vis: Visibility) -> str:
    """At `answers`: the expected answer and the key's working under the feedback, as
    `grade check --json` gives them (a correct answer needs neither)."""
    if not vis.answers or q.expected is None or q.status in (QuestionStatus.CORRECT,
                                                              QuestionStatus.MANUAL):
        return ""
    lines = [_("Expected:") + f" {fmt_answer(q.expected, q.kind)}"]
    if q.steps:
        lines += [_("Working:"), *(f"  {step}" for step in q.steps)]
    return "\n" + "\n".join(lines)


def claim_reason_shown(c: ClaimResult, vis: Visibility) -> bool:
    """Why a claim could not be verified, or was refuted, is shown at every level that shows
    the verdict (an error always); `claim_reason` cuts it to what the level may say."""
    if vis.answers or c.status == ClaimStatus.ERROR:
        return True
    return c.status == ClaimStatus.UNVERIFIABLE or (vis.verdicts
                                                    and c.status == ClaimStatus.REFUTED)


def claim_reason(c: ClaimResult, vis: Visibility) -> str:
    """The claim's detail as the level may show it: below `answers`, a refutation without the
    measured number."""
    if not claim_reason_shown(c, vis):
        return ""
    if c.status == ClaimStatus.REFUTED and not vis.answers:
        return refuted_reason(c)
    return c.detail


def refuted_reason(c: ClaimResult) -> str:
    """Why the re-run does not support the claim, in words that state no measured number."""
    if c.detail.startswith("refuted: "):
        return c.detail                 # already cut (a redacted result)
    if "causal-leak" in c.detail:
        return ("refuted: the model sees future tokens (causal-leak check failed), so its "
                "perplexity is not a valid result")
    if "control" in c.detail:
        return ("refuted: a memorisation control failed (the result does not survive "
                "slightly changed inputs)")
    if c.claimed is None or c.measured is None:
        return "refuted: no value claimed, and the re-run falls short of the assignment's target"
    worse = c.measured > c.claimed if c.metric == "perplexity" else c.measured < c.claimed
    return (f"refuted: the re-run measures {'worse' if worse else 'better'} than the claimed "
            "value, by more than the tolerance")


def _claims_table(claims: list[ClaimResult], vis: Visibility) -> Table:
    table = Table(title=_("Claims"), title_justify="left")
    table.add_column(_("id"), no_wrap=True)
    table.add_column(_("status"), no_wrap=True)
    table.add_column(_("claimed"), justify="right", no_wrap=True)
    if vis.answers:
        table.add_column(_("measured"), justify="right", no_wrap=True)
        table.add_column(_("tol."), justify="right", no_wrap=True)
    if vis.scores:
        table.add_column(_("points"), justify="right", no_wrap=True)
    table.add_column(_("detail"))
    for c in claims:
        status = shown_claim_status(c, vis)
        row = [_text(c.id), _text(status_word(status), _STATUS_STYLE.get(status, "")),
               _text(metric_value(c.claimed, c.metric))]
        if vis.answers:
            row += [_text(metric_value(c.measured, c.metric)), _text(fmt_tolerance(c))]
        if vis.scores:
            row.append(_text(f"{fmt_points(c.score)} / {fmt_points(c.max_score)}"))
        row.append(_text(claim_reason(c, vis)))
        table.add_row(*row)
    return table


_UNSAFE_FILENAME = re.compile(r"[^\w.-]+")     # \w: letters of any script (张三 keeps its name)
_STEM_BYTES = 150                                # + ".html" stays far below 255 bytes


RESERVED_STEMS = {"index"}


def report_stem(student: str) -> str:
    """A file name from a student id that cannot leave the output folder.

    Two ids with one stem (up to case) would share a page: `grade batch` refuses such folders
    by name (batch.colliding_folders), so every page belongs to exactly one folder."""
    stem = _UNSAFE_FILENAME.sub("_", unicodedata.normalize("NFC", student)).strip("._")
    stem = stem.encode("utf-8")[:_STEM_BYTES].decode("utf-8", "ignore").strip("._") or "student"
    # the class page is index.html (and grades/canvas are .csv): a student named "index"
    # must not overwrite it
    return f"{stem}_" if stem.lower() in RESERVED_STEMS else stem


def write_reports(result: Result, out: Path, *, title: str = "",
                  feedback: str = "answers") -> tuple[Path, Path]:
    """Write out/<student>.html and out/<student>.md (creating `out`); return both paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = report_stem(result.student)
    html_path, md_path = out / f"{stem}.html", out / f"{stem}.md"
    html_path.write_text(render_html(result, title=title, feedback=feedback), encoding="utf-8")
    md_path.write_text(render_markdown(result, title=title, feedback=feedback), encoding="utf-8")
    return html_path, md_path
