"""Grading one student: answers against the key, claims by re-running, logs for evidence.

`grade_folder` is the library function behind `grade run`, `grade check` and `grade batch`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.answers import Form, compare, parse
from grader.assignment import Assignment, Claim, find_assignment, load_assignment
from grader.errors import AnswerParseError, AssignmentError
from grader.key import KeyEntry, compute_key
from grader.manual import manual_files, manual_scores
from grader.results import (CheckStatus, ClaimResult, ClaimStatus, IntegrityCheck, Part,
                            QuestionResult, QuestionStatus, Result)
from grader.submission import Submission, check_ids, load_submission

if TYPE_CHECKING:
    from grader.claims import ClaimVerifier

DEFAULT_OUT = Path("reports")


@dataclass(frozen=True)
class GradeOptions:
    data_root: Path | None = None
    device: str = "auto"
    smoke: bool = False         # claims whose dataset is absent still load and run on zeros
    svg: bool = True            # draw the log's curves (HTML reports); `grade check` shows none


# --- finding the assignment --------------------------------------------------------------------

def resolve_assignment(folder: Path, assignment_path: Path | None) -> Assignment:
    """--assignment when given; else the id the answers file names, found near the folder."""
    if assignment_path is not None:
        return load_assignment(assignment_path)
    submission = load_submission(folder)
    if submission.assignment_id is None:
        raise AssignmentError(f"{submission.path.name}: no `assignment = \"<id>\"` line; "
                              "add one or pass --assignment PATH")
    return load_assignment(find_assignment(submission.assignment_id,
                                           [folder, folder.parent, Path.cwd()]))


# --- one student -------------------------------------------------------------------------------

def grade_folder(folder: Path, assignment: Assignment, options: GradeOptions, *,
                 verifier: "ClaimVerifier | None" = None,
                 cached_claims: dict[str, tuple[ClaimResult, list[IntegrityCheck]]] | None = None,
                 ) -> Result:
    """Grade a submission folder; raises GradeError when the folder itself is unusable."""
    submission = load_submission(folder)
    check_ids(submission, {q.id for q in assignment.questions}, {c.id for c in assignment.claims})
    own = _own_verifier(assignment, options, verifier, cached_claims)
    try:
        key = compute_key(assignment)
        manual = manual_scores(manual_files(assignment.folder, folder.parent))
        questions = [grade_question(e, submission, manual) for e in key.entries]
        claims, integrity = grade_claims(assignment, submission, options, own or verifier,
                                         cached_claims)
    finally:
        if own is not None:
            own.close()
    if submission.assignment_id not in (None, assignment.id):
        integrity.insert(0, IntegrityCheck(
            "assignment id", CheckStatus.WARN,
            f"{submission.path.name} says assignment {submission.assignment_id!r}, graded "
            f"against {assignment.id!r}"))
    return Result(submission.student, assignment.id, questions, claims, integrity)


def _own_verifier(assignment: Assignment, options: GradeOptions,
                  verifier: "ClaimVerifier | None", cached: dict | None) -> "ClaimVerifier | None":
    """One student graded alone: a verifier whose sandbox starts now, while the answers are
    graded (its start-up is most of a claim's cost); None when the caller brings its own."""
    if verifier is not None or not assignment.claims or (
            cached and all(c.id in cached for c in assignment.claims)):
        return None
    from grader.claims import ClaimVerifier
    own = ClaimVerifier(options.data_root, options.device, warm=0, smoke=options.smoke)
    own.prestart()
    return own


def grade_question(entry: KeyEntry, submission: Submission,
                   manual: dict[tuple[str, str], float] | None = None) -> QuestionResult:
    q = entry.question
    raw = submission.answers.get(q.id)
    result = QuestionResult(q.id, q.kind, QuestionStatus.MISSING, 0.0, q.points, entry.answer,
                            raw, steps=list(entry.worked.steps) if entry.worked else [])
    if q.kind == "manual":
        return _manual(result, (manual or {}).get((submission.student, q.id)))
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        return replace(result, feedback="No answer given.")
    try:
        given = parse(raw, entry.form)
    except AnswerParseError as e:
        return replace(result, status=QuestionStatus.UNPARSABLE,
                       feedback=f'{submission.where(q.id)}: "{q.id}" = {_short(raw)}: {e}')
    return _score(result, entry, given)


def _score(result: QuestionResult, entry: KeyEntry, given: Any) -> QuestionResult:
    q = entry.question
    cmp = compare(given, entry.answer, entry.form, q.tolerance)
    fraction, parts, detail = cmp.fraction, _parts(cmp.parts, given, entry), cmp.detail
    if q.kind == "cnn.shapes":
        from grader.shapechain import chain_parts
        parts = chain_parts(q.params, list(given), list(entry.answer), cmp.parts)
        fraction = sum(p.ok for p in parts) / max(len(parts), 1)
        detail = f"{sum(p.ok for p in parts)} of {len(parts)} layers credited"
    mistake = None if fraction >= 1 else _diagnose(entry, given)
    status = (QuestionStatus.CORRECT if fraction >= 1 else
              QuestionStatus.INCORRECT if fraction <= 0 else QuestionStatus.PARTIAL)
    return replace(result, status=status, score=round(q.points * fraction, 4), mistake=mistake,
                   parts=parts, feedback=_feedback(status, detail, mistake, parts))


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
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)) \
            and not isinstance(value[0], str):
        return [x for row in value for x in row]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _diagnose(entry: KeyEntry, given: Any) -> str | None:
    """The classic mistake whose answer the student's matches exactly, if any."""
    for name, wrong in (entry.worked.mistakes if entry.worked else {}).items():
        try:
            if compare(given, wrong, entry.form, entry.question.tolerance).fraction >= 1:
                return name
        except (AnswerParseError, ValueError, TypeError):
            continue            # a mistake answer of another form cannot match
    return None


def _feedback(status: QuestionStatus, detail: str, mistake: str | None,
              parts: list[Part]) -> str:
    """The safe feedback, plus the comparison's detail (which may state expected values)."""
    safe = _safe_feedback(status, mistake, parts)
    if status is QuestionStatus.CORRECT or not detail or (mistake and not parts):
        return safe         # a named mistake says more than "not equal"
    return f"{safe} {detail[0].upper()}{detail[1:]}" + ("" if detail.endswith(".") else ".")


def _safe_feedback(status: QuestionStatus, mistake: str | None, parts: list[Part]) -> str:
    """Feedback that never states an expected value, for `grade check` at `correctness`."""
    follow = [p.label.removeprefix("layer ") for p in parts if p.note.startswith("follow-through")]
    notes = [f"{p.label}: {p.note}" for p in parts
             if p.note and p.note != mistake and not p.note.startswith("follow-through")]
    if follow:      # one sentence for the chain, not one per layer
        notes.append(f"Follow-through credit for layer{'s' if len(follow) > 1 else ''} "
                     f"{', '.join(follow)}: right from your own previous shape")
    if status is QuestionStatus.CORRECT:
        return "Correct." + (" " + "; ".join(notes) + "." if notes else "")
    lines = [f"Looks like {mistake}."] if mistake else []
    lines += notes
    if not lines:
        lines = ["Partly right." if status is QuestionStatus.PARTIAL else "Not right."]
    return " ".join(line if line.endswith(".") else line + "." for line in lines)


def _manual(result: QuestionResult, score: float | None) -> QuestionResult:
    if score is None:
        return replace(result, status=QuestionStatus.MANUAL,
                       feedback="Pending: scored by a person.")
    return replace(result, status=QuestionStatus.MANUAL, score=min(score, result.max_score),
                   feedback=f"Scored by a person: {score:g} / {result.max_score:g}.")


def _short(raw: Any, limit: int = 60) -> str:
    text = repr(raw) if not isinstance(raw, str) else f'"{raw}"'
    return text if len(text) <= limit else text[: limit - 1] + "…\""


# --- claims ------------------------------------------------------------------------------------

def grade_claims(assignment: Assignment, submission: Submission, options: GradeOptions,
                 verifier: "ClaimVerifier | None",
                 cached: dict[str, tuple[ClaimResult, list[IntegrityCheck]]] | None,
                 ) -> tuple[list[ClaimResult], list[IntegrityCheck]]:
    if not assignment.claims:
        return [], []
    own = verifier is None
    if own:
        from grader.claims import ClaimVerifier
        # one student: no next student whose sandbox start-up a warm pool could overlap
        verifier = ClaimVerifier(options.data_root, options.device, warm=0,
                                 smoke=options.smoke)
    results: list[ClaimResult] = []
    integrity: list[IntegrityCheck] = []
    try:
        for claim in assignment.claims:
            spec = submission.claims.get(claim.id, {})
            if cached and claim.id in cached:
                result, checks = cached[claim.id]
            else:
                result, checks = verifier.verify(claim, spec, submission.folder)
            results.append(with_log_evidence(result, claim, spec, submission.folder, integrity,
                                             svg=options.svg))
            integrity.extend(checks)
    finally:
        if own:
            verifier.close()
    return results, integrity


def with_log_evidence(result: ClaimResult, claim: Claim, spec: dict, folder: Path,
                      integrity: list[IntegrityCheck], svg: bool = True) -> ClaimResult:
    """What the training log says about the claimed value, and its curves for the report."""
    log_name = spec.get("log")
    if not isinstance(log_name, str) or not log_name:
        return result
    path = (folder / log_name).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        integrity.append(IntegrityCheck(f"claim {claim.id}: log", CheckStatus.WARN,
                                        f"log {log_name!r} is not a file in the submission"))
        return result
    from grader import logs
    claimed = spec.get("value")
    if not isinstance(claimed, (int, float)) or isinstance(claimed, bool):
        return result           # no number to look for; the claim's own detail says so
    verdict = logs.log_verdict(path, float(claimed), claim.metric)  # unreadable log: a warn verdict
    integrity.append(IntegrityCheck(f"claim {claim.id}: log", verdict.status, verdict.text))
    for warning in dict.fromkeys(w for w in verdict.warnings if w != verdict.text):
        integrity.append(IntegrityCheck(f"claim {claim.id}: log", CheckStatus.WARN, warning))
    drawn = ""
    if svg and verdict.curves:      # matplotlib only where a report will show the drawing
        from grader import plots
        drawn = plots.curves_svg(verdict.curves, title=f"{log_name}")
    return replace(result, log_verdict=verdict.text, curves=list(verdict.curves),
                   curves_svg=drawn)


# --- the commands' outcomes --------------------------------------------------------------------

@dataclass
class RunOutcome:
    result: Result
    assignment: Assignment
    reports: tuple[Path, ...] = ()

    def show(self) -> None:
        from rich.console import Console

        from grader.report import print_terminal
        console = Console()
        print_terminal(self.result, console, feedback="answers")
        for path in self.reports:
            console.print(f"report: {path}")


def run_one(folder: Path, assignment_path: Path | None, *, data_root: Path | None = None,
            device: str = "auto", out: Path | None = None,
            gradescope: Path | None = None) -> RunOutcome:
    """`grade run`: grade, write the HTML and Markdown reports (and Gradescope's file)."""
    from grader.report import write_reports
    assignment = resolve_assignment(folder, assignment_path)
    result = grade_folder(folder, assignment, GradeOptions(data_root, device))
    reports = write_reports(result, out or DEFAULT_OUT, title=assignment.title)
    if gradescope is not None:
        from grader.exports import write_gradescope
        reports = (*reports, write_gradescope(result, assignment, gradescope))
    return RunOutcome(result, assignment, tuple(reports))


@dataclass
class CheckOutcome:
    result: Result
    feedback: str
    view: dict[str, Any] = field(default_factory=dict)

    def show(self) -> None:
        from rich.console import Console

        from grader.report import print_terminal
        print_terminal(redact(self.result, self.feedback), Console(), feedback=self.feedback)


def check_one(folder: Path, assignment_path: Path | None, *,
              data_root: Path | None = None) -> CheckOutcome:
    """`grade check`: the student's view, never more than the assignment's feedback level."""
    assignment = resolve_assignment(folder, assignment_path)
    result = grade_folder(folder, assignment,
                          GradeOptions(data_root, "auto", smoke=True, svg=False))
    return CheckOutcome(result, assignment.feedback, student_view(result, assignment.feedback))


def redact(result: Result, level: str) -> Result:
    """A copy of the result holding only what `level` may show."""
    if level == "answers":
        return result
    questions = [replace(q, expected=None, steps=[], parts=[
        replace(p, expected=None, note="" if level == "format" else p.note) for p in q.parts],
        mistake=None if level == "format" else q.mistake,
        feedback=_redacted_feedback(q, level)) for q in result.questions]
    claims = [_redacted_claim(c, level) for c in result.claims]
    return replace(result, questions=questions, claims=claims)


def _redacted_feedback(q: QuestionResult, level: str) -> str:
    if q.status in (QuestionStatus.MISSING, QuestionStatus.UNPARSABLE, QuestionStatus.MANUAL):
        return q.feedback
    if level == "format":
        return "Parsed."
    return _safe_feedback(q.status, q.mistake, q.parts)


def _redacted_claim(c: ClaimResult, level: str) -> ClaimResult:
    """Below `answers`, a claim shows whether it held, not the number measured."""
    if c.status in (ClaimStatus.VERIFIED, ClaimStatus.REFUTED):
        detail = ("the checkpoint loads and runs" if level == "format" else
                  f"the re-run {'agrees with' if c.status is ClaimStatus.VERIFIED else 'does not support'}"
                  " the claimed value")
        c = replace(c, detail=detail)
    return replace(c, measured=None, curves=[], curves_svg="", log_verdict="",
                   score=0.0 if level == "format" else c.score)


def student_view(result: Result, level: str) -> dict[str, Any]:
    """`grade check --json`: problems first; scores only from `correctness` up."""
    shown = redact(result, level)
    problems = [f"{q.id}: {q.feedback}" for q in shown.questions
                if q.status in (QuestionStatus.MISSING, QuestionStatus.UNPARSABLE)]
    problems += [f"claim {c.id}: {c.detail}" for c in shown.claims
                 if c.status in (ClaimStatus.ERROR, ClaimStatus.UNVERIFIABLE)]
    view: dict[str, Any] = {"student": result.student, "assignment": result.assignment,
                            "feedback": level, "ready": not problems, "problems": problems}
    if level == "format":
        # the same status words the terminal and HTML views use at this level
        from grader.report import Visibility, shown_claim_status, shown_status
        vis = Visibility.of(level)
        view["questions"] = [{"id": q.id, "kind": q.kind, "status": shown_status(q, vis),
                              "given": q.given, "feedback": q.feedback} for q in shown.questions]
        view["claims"] = [{"id": c.id, "status": shown_claim_status(c, vis), "claimed": c.claimed,
                           "detail": c.detail if c.status is ClaimStatus.ERROR else ""}
                          for c in shown.claims]
        return view
    full = shown.to_json()
    if level == "correctness":
        for q in full["questions"]:
            q.pop("expected")
        for c in full["claims"]:
            c.pop("measured")
            c.pop("tolerance")
    view.update(score=full["score"], max_score=full["max_score"], questions=full["questions"],
                claims=full["claims"])
    if level == "answers":
        for q, src in zip(view["questions"], shown.questions):
            q["steps"] = src.steps
    return view
