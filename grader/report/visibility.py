"""What each feedback level lets the reader see (DESIGN.md `feedback`), and the words that follow
from it: the status shown, a feedback line that gives no expected value away, a claim's reason.

    answers      everything: expected answers, steps, recognised mistakes, measured values
    correctness  right/wrong, points, the student's own answer, a feedback line that reveals
                 no expected value; never `expected`, `steps`, mistakes or part notes
    format       only whether each answer parsed, and whether claims were readable; no scores
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Iterable

from grader.i18n import N_, _
from grader.report.formatting import DASH, _is_shape, fmt_answer, fmt_number, fmt_shape
from grader.results import ClaimResult, ClaimStatus, QuestionResult, QuestionStatus


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
    lead = _("refuted: ")
    if c.detail.startswith(lead):
        return c.detail                 # already cut (a redacted result)
    if c.refused_by == "causal":
        return lead + _("the model sees future tokens (causal-leak check failed), so its "
                        "perplexity is not a valid result")
    if c.refused_by == "control":
        return lead + _("a memorisation control failed (the result does not survive slightly "
                        "changed inputs)")
    if c.claimed is None or c.measured is None:
        return lead + _("no value claimed, and the re-run falls short of the assignment's "
                        "target")
    worse = c.measured > c.claimed if c.metric == "perplexity" else c.measured < c.claimed
    return lead + (_("the re-run measures worse than the claimed value, by more than the "
                     "tolerance") if worse else
                   _("the re-run measures better than the claimed value, by more than the "
                     "tolerance"))
