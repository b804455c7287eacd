"""Grading one student: answers against the key, claims by re-running, logs for evidence.

`grade_folder` is the library function behind `grade run`, `grade check` and `grade batch`.
"""
from __future__ import annotations

import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from grader.assignment import Assignment, Claim, find_assignment, load_assignment
from grader.errors import AssignmentError, GradeError, GradingFailed
from grader.i18n import _, use_language
from grader.inputs import is_link_free
from grader.key import compute_key
from grader.manual import manual_comments, manual_files, manual_scores
from grader.marking import (ANSWERS_FILE_CHECK, forgiving_ids, grade_question, safe_feedback,
                            with_notes)
from grader.release import not_checked, private_claim
from grader.results import (CheckStatus, ClaimResult, ClaimStatus, IntegrityCheck,
                            QuestionResult, QuestionStatus, Result)
from grader.submission import Submission, identity_check, load_submission

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
    """Grade a submission folder; raises GradeError when the folder itself is unusable.

    The result is the folder's (`submission.student` is the folder name); a `student` line
    naming someone else is only a warning row. Feedback is written in the assignment's `lang`."""
    with use_language(assignment.lang):
        return _grade_folder(folder, assignment, options, verifier, cached_claims)


def _grade_folder(folder: Path, assignment: Assignment, options: GradeOptions,
                  verifier: "ClaimVerifier | None",
                  cached_claims: dict[str, tuple[ClaimResult, list[IntegrityCheck]]] | None,
                  ) -> Result:
    submission, warnings = forgiving_ids(load_submission(folder), assignment)
    own = _own_verifier(assignment, options, verifier, cached_claims)
    try:
        key = compute_key(assignment)
        files = manual_files(assignment.folder, folder.parent)
        manual, comments = manual_scores(files), manual_comments(files)
        questions = [grade_question(e, submission, manual, comments) for e in key.entries]
        claims, integrity = grade_claims(assignment, submission, options, own or verifier,
                                         cached_claims)
    finally:
        if own is not None:
            own.close()
    integrity[:0] = warnings
    if submission.assignment_id not in (None, assignment.id):
        integrity.insert(0, IntegrityCheck(
            "assignment id", CheckStatus.WARN,
            _("{file} says assignment {stated}, graded against {assignment}").format(
                file=submission.path.name, stated=repr(submission.assignment_id),
                assignment=repr(assignment.id))))
    if (who := identity_check(submission)) is not None:
        integrity.insert(0, who)
    return Result(submission.student, assignment.id, questions, claims, integrity)


def _own_verifier(assignment: Assignment, options: GradeOptions,
                  verifier: "ClaimVerifier | None", cached: dict | None) -> "ClaimVerifier | None":
    """One student graded alone: a verifier whose sandbox starts now, while the answers are
    graded (its start-up is most of a claim's cost); None when the caller brings its own."""
    if verifier is not None or not assignment.claims or (
            cached and all(c.id in cached for c in assignment.claims)):
        return None
    own = _new_verifier(options)
    own.prestart()
    return own


def _new_verifier(options: GradeOptions) -> "ClaimVerifier":
    """A verifier for one student: no next student whose start-up a warm pool could overlap."""
    from grader.claims import ClaimVerifier
    return ClaimVerifier(options.data_root, options.device, warm=0, smoke=options.smoke)


# --- claims ------------------------------------------------------------------------------------

def grade_claims(assignment: Assignment, submission: Submission, options: GradeOptions,
                 verifier: "ClaimVerifier | None",
                 cached: dict[str, tuple[ClaimResult, list[IntegrityCheck]]] | None,
                 ) -> tuple[list[ClaimResult], list[IntegrityCheck]]:
    if not assignment.claims:
        return [], []
    from grader.claims import params
    own: "ClaimVerifier | None" = None      # made only if a claim must really be re-run
    results: list[ClaimResult] = []
    integrity: list[IntegrityCheck] = []
    try:
        for claim in assignment.claims:
            spec = submission.claims.get(claim.id, {})
            private = private_claim(claim, spec)    # a students' copy: no private split here
            if private is not None:
                results.append(private)
                continue
            if cached and claim.id in cached:
                result, checks = cached[claim.id]
            else:
                if verifier is None:
                    verifier = own = _new_verifier(options)
                result, checks = verifier.verify(claim, spec, submission.folder)
            result = with_log_evidence(result, claim, spec, submission.folder, integrity,
                                       svg=options.svg)
            results.append(result)
            checks = list(checks)
            params.reconcile(result, params.stated_counts(claim, spec, result,
                                                          submission.answers), checks)
            integrity.extend(checks)
    finally:
        if own is not None:
            own.close()
    return results, integrity


def with_log_evidence(result: ClaimResult, claim: Claim, spec: dict, folder: Path,
                      integrity: list[IntegrityCheck], svg: bool = True) -> ClaimResult:
    """What the training log says about the claimed value, and its curves for the report."""
    log_name = spec.get("log")
    if not isinstance(log_name, str) or not log_name:
        return result
    path = folder / log_name
    if not is_link_free(folder, log_name) or not path.is_file():
        # the log is read with O_NOFOLLOW; no folder on the way to it may be a link either
        integrity.append(IntegrityCheck(f"claim {claim.id}: log", CheckStatus.WARN,
                                        _("log {name} is not a file in the submission")
                                        .format(name=repr(log_name))))
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
        drawn = plots.curves_svg(verdict.curves, title=f"{log_name}", x=verdict.x)
    return replace(result, log_verdict=verdict.text, curves=list(verdict.curves),
                   curves_svg=drawn, log_params=verdict.params)


# --- the commands' outcomes --------------------------------------------------------------------

def describe_failure(e: BaseException) -> str:
    """One line for an unexpected exception while grading one student: its type, the first
    line of its message and where it was raised (file name and line, no path)."""
    text = str(e).strip()
    first = text.splitlines()[0][:200] if text else ""
    tb = traceback.extract_tb(e.__traceback__)
    where = f" ({Path(tb[-1].filename).name} line {tb[-1].lineno})" if tb else ""
    return f"internal grader error: {type(e).__name__}" + (f": {first}" if first else "") + where


@contextmanager
def one_student(folder: Path) -> Iterator[None]:
    """Whatever goes wrong grading one student (RecursionError, MemoryError, a bug) leaves
    as one line naming the folder, never as a traceback."""
    try:
        yield
    except GradeError:
        raise
    except Exception as e:  # noqa: BLE001 - DESIGN: one line and a non-zero exit, no traceback
        raise GradingFailed(f"{folder}: {describe_failure(e)}") from None


@dataclass
class RunOutcome:
    result: Result
    assignment: Assignment
    reports: tuple[Path, ...] = ()

    def show(self) -> None:
        from rich.console import Console

        from grader.report import print_terminal
        console = Console()
        with use_language(self.assignment.lang):
            print_terminal(self.result, console, feedback="answers")
            for path in self.reports:
                console.print(_("report: {path}").format(path=path), highlight=False)


def with_language(assignment: Assignment, lang: str | None) -> Assignment:
    """The assignment as graded in `lang` (`--lang`), or in its own `lang`."""
    return assignment if lang is None else replace(assignment, lang=lang)


def run_one(folder: Path, assignment_path: Path | None, *, data_root: Path | None = None,
            device: str = "auto", out: Path | None = None,
            gradescope: Path | None = None, lang: str | None = None) -> RunOutcome:
    """`grade run`: grade, write the HTML and Markdown reports (and Gradescope's file)."""
    from grader.report import write_reports
    with one_student(folder):
        assignment = with_language(resolve_assignment(folder, assignment_path), lang)
        result = grade_folder(folder, assignment, GradeOptions(data_root, device))
    with use_language(assignment.lang):
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
    not_checked: list[str] = field(default_factory=list)    # a students' copy cannot check these
    lang: str = "en"

    def show(self) -> None:
        from rich.console import Console

        from grader.report import print_terminal
        console = Console()
        with use_language(self.lang):
            print_terminal(redact(self.result, self.feedback), console, feedback=self.feedback)
            if self.not_checked:
                console.print(_("Not checked here (checked when graded): {ids}").format(
                    ids=", ".join(self.not_checked)), highlight=False)


def check_one(folder: Path, assignment_path: Path | None, *,
              data_root: Path | None = None, lang: str | None = None) -> CheckOutcome:
    """`grade check`: the student's view, never more than the assignment's feedback level."""
    with one_student(folder):
        assignment = with_language(resolve_assignment(folder, assignment_path), lang)
        result = grade_folder(folder, assignment,
                              GradeOptions(data_root, "auto", smoke=True, svg=False))
    with use_language(assignment.lang):
        view = student_view(result, assignment.feedback)
    skipped = not_checked(assignment)
    if skipped:             # a students' copy: what it cannot check is not the student's problem
        claims = [s for s in skipped if s.startswith("claim ")]
        view["problems"] = [p for p in view["problems"]
                            if not any(p.startswith(f"{c}: ") for c in claims)]
        view["ready"] = not view["problems"]
        view["not_checked"] = skipped
    return CheckOutcome(result, assignment.feedback, view, skipped, assignment.lang)


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
    if level == "format":       # how it was read, yes; whether the working was right, no
        return with_notes(_("Parsed."), q.read_as)
    return with_notes(safe_feedback(q.status, q.mistake, q.parts), q.read_as, q.working)


def _redacted_claim(c: ClaimResult, level: str) -> ClaimResult:
    """Below `answers`, a claim shows whether it held and why not, never the number measured
    (an unverifiable claim's reason holds no measurement, so it stays as it is)."""
    if c.status is ClaimStatus.VERIFIED or (c.status is ClaimStatus.REFUTED and level == "format"):
        detail = (_("the checkpoint loads and runs") if level == "format" else
                  _("the re-run agrees with the claimed value"))
        c = replace(c, detail=detail)
    elif c.status is ClaimStatus.REFUTED:
        from grader.report import refuted_reason
        c = replace(c, detail=refuted_reason(c))
    return replace(c, measured=None, curves=[], curves_svg="", log_verdict="",
                   score=0.0 if level == "format" else c.score)


def student_view(result: Result, level: str) -> dict[str, Any]:
    """`grade check --json`: problems first; scores only from `correctness` up."""
    shown = redact(result, level)
    problems = [f"{q.id}: {q.feedback}" for q in shown.questions
                if q.status in (QuestionStatus.MISSING, QuestionStatus.UNPARSABLE)]
    problems += [f"claim {c.id}: {c.detail}" for c in shown.claims
                 if c.status in (ClaimStatus.ERROR, ClaimStatus.UNVERIFIABLE)]
    # an answer filed under an id the assignment lacks is ignored: the student must know
    problems += [i.detail for i in result.integrity if i.check == ANSWERS_FILE_CHECK]
    view: dict[str, Any] = {"student": result.student, "assignment": result.assignment,
                            "feedback": level, "ready": not problems, "problems": problems}
    if level == "format":
        # the same status words the terminal and HTML views use at this level
        from grader.report import (Visibility, claim_reason_shown, shown_claim_status,
                                   shown_status)
        vis = Visibility.of(level)
        view["questions"] = [{"id": q.id, "kind": q.kind, "status": shown_status(q, vis),
                              "given": q.given, "feedback": q.feedback} for q in shown.questions]
        view["claims"] = [{"id": c.id, "status": shown_claim_status(c, vis), "claimed": c.claimed,
                           "detail": c.detail if claim_reason_shown(c, vis) else ""}
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
