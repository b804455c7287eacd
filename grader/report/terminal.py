"""The terminal views: a result as rich tables (questions, claims, integrity, the total) and the
answer key with its steps. Data is never read as rich markup, and control characters are shown,
not obeyed."""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from grader.i18n import _, status_word
from grader.i18n.labels import check_name
from grader.report.formatting import fmt_answer, fmt_points, fmt_tolerance, metric_value
from grader.report.render import _context
from grader.report.visibility import (Visibility, claim_reason, feedback_line,
                                      shown_claim_status, shown_status)
from grader.results import CheckStatus, ClaimResult, QuestionResult, QuestionStatus, Result

if TYPE_CHECKING:
    from grader.key import AnswerKey


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
        console.print(_text(_("error: {error}").format(error=result.error), "bold red"))
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
            table.add_row(_text(check_name(i.check)),
                          _text(status_word(i.status), _CHECK_STYLE[i.status]),
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
