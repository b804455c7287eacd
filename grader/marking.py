"""Marking one answer as a TA would: read it (saying how), compare it with the key, name a
recognised wrong method (which then earns nothing, bar a shape chain's follow-through and a
table's right rows), credit right working with an arithmetic slip (`working_credit`), and treat
answers filed under unknown ids as warnings, not a failed submission.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from grader.answers import Form, Reading, compare, read, same_method
from grader.assignment import Assignment
from grader.errors import AnswerParseError
from grader.i18n import _, mistake as say_mistake
from grader.i18n.labels import part_label
from grader.key import KeyEntry, zero_h0
from grader.release import answer_withheld, read_only
from grader.results import CheckStatus, IntegrityCheck, Part, QuestionResult, QuestionStatus
from grader.submission import Submission


ANSWERS_FILE_CHECK = "answers file"


def forgiving_ids(submission: Submission, assignment: Assignment
                  ) -> tuple[Submission, list[IntegrityCheck]]:
    """Answers to ids the assignment lacks are warnings, all of them, not a failed submission;
    `1.2 = 7200` (TOML reads a bare dotted key as table "1" holding "2") counts as "1.2"."""
    questions = {q.id for q in assignment.questions}
    answers: dict[str, Any] = {}
    warnings: list[IntegrityCheck] = []
    for qid, value in submission.answers.items():
        for dotted, answer in _dotted(qid, value, questions):
            where = _where(submission, dotted.split(".")[0] if dotted != qid else qid)
            if dotted != qid:
                warnings.append(IntegrityCheck(ANSWERS_FILE_CHECK, CheckStatus.WARN, _(
                    '{where}: {id} = {answer} is a TOML nesting slip (a bare {id} is read as a '
                    'table); write "{id}" = {answer} with quotes. Graded as the answer to '
                    'question {id}').format(where=where, id=dotted, answer=_short(answer))))
            if dotted in questions:
                answers[dotted] = answer
            else:
                known = ", ".join(sorted(questions)) or _("none")
                warnings.append(IntegrityCheck(ANSWERS_FILE_CHECK, CheckStatus.WARN, _(
                    '{where}: "{id}" is not a question of this assignment; ignored '
                    "(questions: {known})").format(where=where, id=dotted, known=known)))
    claim_ids = {c.id for c in assignment.claims}
    for cid in submission.claims:
        if cid not in claim_ids:
            warnings.append(IntegrityCheck(ANSWERS_FILE_CHECK, CheckStatus.WARN, _(
                '{where}: claim "{id}" is not a claim of this assignment; ignored '
                "(claims: {known})").format(where=_where(submission, cid), id=cid,
                                            known=", ".join(sorted(claim_ids)) or _("none"))))
    claims = {k: v for k, v in submission.claims.items() if k in claim_ids}
    return replace(submission, answers=answers, claims=claims), warnings


def _where(submission: Submission, key: str) -> str:
    """`answers.toml line 7`, in the reader's language (Submission.where is for errors)."""
    line = submission.line_of(key)
    name = submission.path.name
    return _("{file} line {line}").format(file=name, line=line) if line else name


def _dotted(qid: str, value: Any, questions: set[str]) -> list[tuple[str, Any]]:
    """("1", {"2": 7200}) -> [("1.2", 7200)] when "1" is no question but the table's keys are."""
    if qid in questions or not isinstance(value, dict) or not value:
        return [(qid, value)]
    return [pair for key, inner in value.items()
            for pair in _dotted(f"{qid}.{key}", inner, questions)]


def grade_question(entry: KeyEntry, submission: Submission,
                   manual: dict[tuple[str, str], float] | None = None,
                   comments: dict[tuple[str, str], str] | None = None) -> QuestionResult:
    q = entry.question
    raw = submission.answers.get(q.id)
    result = QuestionResult(q.id, q.kind, QuestionStatus.MISSING, 0.0, q.points, entry.answer,
                            raw, steps=list(entry.worked.steps) if entry.worked else [])
    if q.kind == "manual":
        who = (submission.student, q.id)
        return _manual(result, (manual or {}).get(who), (comments or {}).get(who, ""))
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        return replace(result, feedback=_("No answer given."))
    if answer_withheld(q):              # a students' copy: the answer is checked when graded
        return read_only(result, raw)
    try:
        reading = read(raw, entry.form, expect_dims=_dims(entry))
    except AnswerParseError as e:
        return replace(result, status=QuestionStatus.UNPARSABLE,
                       feedback=_('{where}: "{id}" = {answer}: {error}').format(
                           where=_where(submission, q.id), id=q.id, answer=_short(raw), error=e))
    return _score(result, entry, reading)


def _dims(entry: KeyEntry) -> int | None:
    """The dimensions every asked shape has, so prose ignores `卷积核 7×7` in a 3-D question."""
    answer = entry.answer
    if entry.form is Form.SHAPE and isinstance(answer, (list, tuple)):
        return len([d for d in answer if d not in (-1, None)])
    if entry.form is Form.SHAPES and isinstance(answer, list) and answer and all(
            isinstance(a, (list, tuple)) for a in answer):
        lengths = {len([d for d in a if d not in (-1, None)]) for a in answer}
        return lengths.pop() if len(lengths) == 1 else None
    return None


def _score(result: QuestionResult, entry: KeyEntry, reading: Reading) -> QuestionResult:
    q, given = entry.question, _zero_h0(entry, reading.value)
    cmp = compare(given, entry.answer, entry.form, q.tolerance)
    fraction, parts, detail = cmp.fraction, _parts(cmp.parts, given, entry), cmp.detail
    if q.kind == "cnn.shapes":
        from grader.shapechain import chain_parts
        parts = chain_parts(q.params, list(given), list(entry.answer), cmp.parts)
        fraction = sum(p.ok for p in parts) / max(len(parts), 1)
        detail = _("{right} of {total} layers credited").format(
            right=sum(p.ok for p in parts), total=len(parts))
    # a rounded count (1.2k) that lands on a mistake's number is a coincidence, not a method
    mistake = None if fraction >= 1 or reading.approximate else _diagnose(entry, given)
    if mistake and q.kind != "cnn.shapes" and entry.form is not Form.TABLE:
        # a recognised wrong method: coincidentally right entries earn nothing. A shape chain
        # keeps its follow-through credit and a per-layer table its right rows: those are
        # worked out one by one, not coincidences of the wrong method.
        fraction, parts = 0.0, [replace(p, ok=False) for p in parts]
    working = ""
    if fraction < 1 and not mistake and _right_working(entry, reading):
        fraction = max(fraction, q.working_credit)
        working = (_("your working before the last = is right; the value after it is an "
                     "arithmetic slip (credit {credit} of the points)").format(
                         credit=f"{q.working_credit:g}") if q.working_credit else
                   _("your working before the last = is right; the value after it is an "
                     "arithmetic slip"))
    elif fraction < 1 and reading.approximate:
        working = _("a rounded count (k, M) is accepted only within the question's tolerance")
    status = (QuestionStatus.CORRECT if fraction >= 1 else
              QuestionStatus.INCORRECT if fraction <= 0 else QuestionStatus.PARTIAL)
    feedback = _feedback(status, detail, mistake, parts)
    return replace(result, status=status, score=round(q.points * fraction, 4), mistake=mistake,
                   parts=parts, read_as=reading.how, working=working,
                   feedback=with_notes(feedback, reading.how, working))


def with_notes(feedback: str, *notes: str) -> str:
    """How the answer was read, and a word on the working, after the verdict."""
    extra = " ".join(f"{n[0].upper()}{n[1:]}" + _(".") for n in notes if n)
    return f"{feedback} {extra}" if extra else feedback


def _right_working(entry: KeyEntry, reading: Reading) -> bool:
    """The working before the last `=` evaluates to the key's answer (the slip came after)."""
    if reading.working is None or entry.form not in (Form.INT, Form.NUMBER):
        return False
    try:
        return compare(reading.working, entry.answer, entry.form,
                       entry.question.tolerance).fraction >= 1
    except (AnswerParseError, ValueError, TypeError):
        return False


def _zero_h0(entry: KeyEntry, given: Any) -> Any:
    """`h0 = 0`: a W_hh·h0 term the student kept is zero, so it cannot make the answer wrong."""
    q = entry.question
    if q.kind == "rnn.unroll" and q.params.get("h0") == 0 and isinstance(given, str):
        return zero_h0(given)
    return given


def _parts(verdicts: tuple[bool, ...], given: Any, entry: KeyEntry) -> list[Part]:
    """Element verdicts as report rows (matrices row-major, lists in order)."""
    if not verdicts:
        return []
    if entry.form is Form.TABLE:        # two verdicts a row: its shape, its parameter count
        exp, giv = list(entry.answer), list(given)
        return [Part(f"row {i // 2 + 1} {'shape' if i % 2 == 0 else 'params'}",
                     _cell(exp, i), _cell(giv, i), ok) for i, ok in enumerate(verdicts)]
    exp, giv = _flat(entry.answer), _flat(given)
    return [Part(f"[{i + 1}]", exp[i] if i < len(exp) else None,
                 giv[i] if i < len(giv) else None, ok) for i, ok in enumerate(verdicts)]


def _cell(rows: list, i: int) -> Any:
    row = rows[i // 2] if i // 2 < len(rows) else None
    return None if row is None else row[1 + i % 2]


def _flat(value: Any) -> list:
    """Elements in order; a shape list may mix shapes and the ints of flatten/dense layers."""
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        return [x for row in value for x in (row if isinstance(row, (list, tuple)) else [row])]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _diagnose(entry: KeyEntry, given: Any) -> str | None:
    """The classic mistake whose answer the student's matches exactly, if any."""
    for name, wrong in (entry.worked.mistakes if entry.worked else {}).items():
        try:
            if same_method(given, wrong, entry.form, entry.question.tolerance):
                return name
        except (AnswerParseError, ValueError, TypeError):
            continue            # a mistake answer of another form cannot match
    return None


def _feedback(status: QuestionStatus, detail: str, mistake: str | None,
              parts: list[Part]) -> str:
    """The safe feedback, plus the comparison's detail (which may state expected values)."""
    safe = safe_feedback(status, mistake, parts)
    if status is QuestionStatus.CORRECT or not detail or (mistake and not parts):
        return safe         # a named mistake says more than "not equal"
    return f"{safe} " + _sentence(f"{detail[0].upper()}{detail[1:]}")


def _sentence(line: str) -> str:
    """The line with a full stop in the current language, unless it has one."""
    return line if line.endswith((".", "。")) else line + _(".")


def safe_feedback(status: QuestionStatus, mistake: str | None, parts: list[Part]) -> str:
    """Feedback that never states an expected value, for `grade check` at `correctness`."""
    follow = [p.label.removeprefix("layer ") for p in parts if p.note.startswith("follow-through")]
    notes = [_("{part}: {note}").format(part=part_label(p.label), note=say_mistake(p.note))
             for p in parts
             if p.note and p.note != mistake and not p.note.startswith("follow-through")]
    if follow:      # one sentence for the chain, not one per layer
        notes.append((_("Follow-through credit for layers {layers}: right from your own "
                        "previous shape") if len(follow) > 1 else
                      _("Follow-through credit for layer {layers}: right from your own "
                        "previous shape")).format(layers=", ".join(follow)))
    if status is QuestionStatus.CORRECT:
        return _("Correct.") + (" " + _sentence("; ".join(notes)) if notes else "")
    lines = [_("Looks like {mistake}.").format(mistake=say_mistake(mistake))] if mistake else []
    lines += notes
    if not lines:
        lines = [_("Partly right.") if status is QuestionStatus.PARTIAL else _("Not right.")]
    return " ".join(_sentence(line) for line in lines)


def is_pending(q: QuestionResult) -> bool:
    """A manual question no person has scored yet (its 0 is not a mark)."""
    return q.status is QuestionStatus.MANUAL and q.pending


def _manual(result: QuestionResult, score: float | None, comment: str = "") -> QuestionResult:
    """A person's score from manual.csv, with their comment (its `comment` column) after it."""
    said = " " + _("Comment: {comment}").format(comment=comment) if comment else ""
    if score is None:
        return replace(result, status=QuestionStatus.MANUAL, pending=True,
                       feedback=_("Pending: scored by a person.") + said)
    return replace(result, status=QuestionStatus.MANUAL, score=min(score, result.max_score),
                   feedback=_("Scored by a person: {score} / {max_score}.").format(
                       score=f"{score:g}", max_score=f"{result.max_score:g}") + said)


def _short(raw: Any, limit: int = 60) -> str:
    text = repr(raw) if not isinstance(raw, str) else f'"{raw}"'
    return text if len(text) <= limit else text[: limit - 1] + "…\""
