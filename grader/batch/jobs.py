"""Jobs: what a worker receives (`Setup` once, a `Job` per student) and sends back (`Done`), and
`WorkerState`, which runs a job in a worker process with that worker's one ClaimVerifier."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from grader.assignment import Assignment
from grader.errors import GradeError
from grader.gradebook import VerifierOutput
from grader.results import ClaimResult, IntegrityCheck, Result

BASE_TIMEOUT_S = 300.0          # answers alone never take this long; past it a worker is stuck
CLAIM_TIMEOUT_FACTOR = 1.5      # the sandbox enforces each claim's own timeout; this is a backstop
RAY_MISSING = "--executor ray needs the `ray` package: pip install ray"

GradeFn = Callable[..., Result]  # grading.grade_folder's signature


@dataclass(frozen=True)
class Setup:
    """Sent once to each worker: what every job of this batch shares."""

    assignment: Assignment
    data_root: Path | None
    device: str
    out: Path
    grade: GradeFn | None = None       # tests substitute a function; None: grading.grade_folder


@dataclass(frozen=True)
class Job:
    folder: Path
    cached_claims: dict[str, VerifierOutput] = field(default_factory=dict)
    render: Result | None = None       # only (re)write this stored result's page
    timeout_s: float = BASE_TIMEOUT_S
    needs_gpu: bool = False


@dataclass(frozen=True)
class Done:
    folder: Path
    result: Result
    verified: dict[str, VerifierOutput] = field(default_factory=dict)   # claims re-run now
    rendered: bool = False
    store: bool = True          # False for the grader's own bugs: retried by the next run
    page_only: bool = False     # a stored result whose page was rewritten, nothing graded


def too_long(timeout_s: float, lang: str) -> str:
    """The error row of a student whose grading overran, in the class's language."""
    from grader.i18n import _, use_language
    with use_language(lang):
        return _("grading took longer than {seconds} s and was stopped").format(
            seconds=f"{timeout_s:g}")


def error_result(folder: Path, assignment: Assignment, message: str) -> Result:
    lines = message.strip().splitlines()
    return Result(folder.name, assignment.id, error=lines[0] if lines else "unusable folder")


class _RecordingVerifier:
    """Hands grading the worker's one ClaimVerifier and remembers each claim's raw output,
    which is what the gradebook caches (the log evidence is recomputed around it)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory, self._inner = factory, None
        self.outputs: dict[str, VerifierOutput] = {}

    def verify(self, claim: Any, spec: dict, folder: Path) -> tuple[ClaimResult,
                                                                   list[IntegrityCheck]]:
        if self._inner is None:
            self._inner = self._factory()
        output = self._inner.verify(claim, spec, folder)
        self.outputs[claim.id] = output
        return output

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()
            self._inner = None


class WorkerState:
    """Per worker process: the setup and one verifier, created on first use and reused."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self._verifier: Any = None

    def verifier_factory(self) -> Any:
        if self._verifier is None:
            from grader.claims import ClaimVerifier
            self._verifier = ClaimVerifier(self.setup.data_root, self.setup.device)
        return self._verifier

    def run(self, job: Job) -> Done:
        s = self.setup
        if job.render is not None:
            return Done(job.folder, job.render, rendered=_write_page(job.render, s),
                        page_only=True)
        recorder = _RecordingVerifier(self.verifier_factory)
        from grader.grading import GradeOptions, describe_failure, grade_folder
        try:
            grade = s.grade or grade_folder
            result = grade(job.folder, s.assignment, GradeOptions(s.data_root, s.device),
                           verifier=recorder, cached_claims=dict(job.cached_claims))
            result = replace(result, student=job.folder.name)     # the folder is the student
            return Done(job.folder, result, recorder.outputs, _write_page(result, s))
        except GradeError as e:
            message = str(e).splitlines()[0] if str(e) else type(e).__name__
            return Done(job.folder, error_result(job.folder, s.assignment, message))
        except Exception as e:  # noqa: BLE001 - a grader bug costs one student, not the batch
            # RecursionError, MemoryError or a bug: not stored, so the next run tries again
            return Done(job.folder, error_result(job.folder, s.assignment, describe_failure(e)),
                        store=False)

    def close(self) -> None:
        if self._verifier is not None:
            self._verifier.close()


def _write_page(result: Result, setup: Setup) -> bool:
    if result.error is not None:
        return False
    from grader.i18n import use_language
    from grader.report import write_reports
    with use_language(setup.assignment.lang):
        write_reports(result, setup.out, title=setup.assignment.title, feedback="answers")
    return True
