"""`run_batch`: find and plan the students, grade the changed ones on an executor, commit each
one to the gradebook as it finishes, then write the class outputs."""
from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import grader
from grader.batch.jobs import RAY_MISSING, Done, GradeFn, Job, Setup, error_result
from grader.batch.local_pool import run_local
from grader.batch.outputs import BatchOutcome, write_outputs
from grader.batch.plan import Plan, Planner
from grader.batch.ray_tasks import run_ray
from grader.batch.students import batch_assignment, find_students, refused_folders
from grader.errors import GradebookError, GradeError
from grader.gradebook import Gradebook, result_to_json, sha256_text
from grader.results import Result


def run_batch(root: Path, assignment_path: Path | None = None, *, jobs: int | None = None,
              out: Path | None = None, db: Path | None = None, data_root: Path | None = None,
              device: str = "auto", executor: str = "local", address: str | None = None,
              force: bool = False, quiet: bool = False, timeout_s: float | None = None,
              grade: GradeFn | None = None, ray_init: dict[str, Any] | None = None,
              canvas_roster: Path | None = None, lang: str | None = None) -> BatchOutcome:
    """Grade every student folder under `root`; unchanged students come from the gradebook."""
    t0 = time.monotonic()
    root = Path(root)
    out = Path(out) if out is not None else root / ".grade" / "reports"
    db_path = Path(db) if db is not None else root / ".grade" / "gradebook.sqlite"
    if executor not in ("local", "ray"):
        raise GradeError(f"--executor {executor!r}: expected local or ray")
    if executor == "ray":
        try:
            import ray  # noqa: F401 - fail before any grading, with the install hint
        except ImportError:
            raise GradebookError(RAY_MISSING) from None
    roster = None
    if canvas_roster is not None:       # read before grading: a bad export fails at once
        from grader.roster import read_roster
        roster = read_roster(canvas_roster)
    folders = find_students(root, skip=[out])
    refused = refused_folders(folders)
    folders = [f for f in folders if f not in refused]
    assignment = batch_assignment(root, assignment_path, folders)
    if lang is not None:                # --lang: feedback and pages in that language
        assignment = replace(assignment, lang=lang)
    n_workers = jobs or os.cpu_count() or 1
    setup = Setup(assignment, data_root, device, out, grade)
    with Gradebook(db_path) as book:
        planner = Planner(book, assignment, root, data_root, force, out, timeout_s, device)
        plans: dict[Path, Plan] = {}
        for f in folders:
            try:
                plans[f] = planner.plan(f)
            except Exception as e:  # noqa: BLE001 - an unplannable folder is one error row
                from grader.grading import describe_failure
                refused[f] = describe_failure(e)
        todo = [planner.job(p) for p in plans.values() if p.stored is None]
        todo += [Job(p.folder, render=p.stored) for p in plans.values()
                 if p.stored is not None and planner.page_missing(p.stored)]
        results: dict[Path, Result] = {p.folder: p.stored for p in plans.values() if p.stored}
        # per student, a hash of the result's JSON: what the class outputs are written from
        digests = {p.folder: sha256_text(p.stored_json) for p in plans.values() if p.stored}
        skipped = len(results)
        for folder, message in refused.items():     # decided afresh each run, never stored
            results[folder] = error_result(folder, assignment, message)
            digests[folder] = sha256_text(result_to_json(results[folder]))
        book.start_run(assignment, planner.a_hash)
        graded = 0
        with _progress(quiet, len(todo)) as advance:
            def on_done(done: Done) -> None:
                nonlocal graded
                if done.page_only:
                    advance(False)
                    return
                plan = plans[done.folder]
                result = replace(done.result, student=done.folder.name)
                if done.store:
                    text = book.record(
                        done.folder.name, planner.key(plan), result, plan.stamps,
                        {cid: (plan.claim_keys[cid], output)
                         for cid, output in done.verified.items() if cid in plan.claim_keys})
                else:
                    text = result_to_json(result)
                digests[done.folder] = sha256_text(text)
                results[done.folder] = result
                graded += 1
                advance(result.error is not None)

            if executor == "ray":
                run_ray(todo, setup, n_workers, on_done, address, ray_init)
            else:
                run_local(todo, setup, n_workers, on_done)
        ordered = sorted(results.items(), key=lambda kv: (kv[1].student, kv[0].name))
        final = [r for _, r in ordered]
        digest = sha256_text(planner.a_hash + grader.__version__
                             + "".join(digests[f] for f, _ in ordered))
        book.finish_run(graded, skipped, sum(r.error is not None for r in final))
    from grader.i18n import use_language
    from grader.similar import class_section      # alike code, checkpoints, logs (issue 14)
    with use_language(assignment.lang):           # its pages in the class page's language
        similar = class_section([f for f in folders if f not in refused], assignment, out)
    index, grades_csv, canvas_csv = write_outputs(final, assignment, out,
                                                  sha256_text(digest + similar.digest), similar)
    roster_lines: list[str] = []
    if roster is not None:      # canvas.csv keyed by Canvas' own ids instead
        from grader.roster import write_roster_csv
        with use_language(assignment.lang):
            roster_lines = write_roster_csv(final, assignment, roster, root, canvas_csv).lines()
        (out / ".batch-outputs").unlink(missing_ok=True)   # a plain re-run rewrites canvas.csv
    return BatchOutcome(final, graded, skipped, out, db_path, index, grades_csv, canvas_csv,
                        time.monotonic() - t0, roster_lines, assignment.lang)



class _progress:
    """A rich progress bar on stderr with a running error count; silent when quiet."""

    def __init__(self, quiet: bool, total: int) -> None:
        self.quiet, self.total, self.errors = quiet or total == 0, total, 0
        self._bar: Any = None

    def __enter__(self) -> Callable[[bool], None]:
        if not self.quiet:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)
            self._bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[errors]} errors"), TimeElapsedColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True),
                                 transient=False)
            self._bar.start()
            self._task = self._bar.add_task("grading", total=self.total, errors=0)
        return self.advance

    def advance(self, error: bool) -> None:
        self.errors += error
        if self._bar is not None:
            self._bar.update(self._task, advance=1, errors=self.errors)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
