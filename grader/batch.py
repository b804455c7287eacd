"""`grade batch`: every student folder under ROOT, graded in parallel into the gradebook.

The main process owns the gradebook (the only writer) and decides, per student, whether the
stored result still holds (`gradebook.py`). Students that need grading go to workers:
  - local (default): our own small pool of long-lived worker processes, one student at a time
    each. Unlike `concurrent.futures.ProcessPoolExecutor`, where one dead worker breaks the whole
    pool and every pending future, we know which student each worker holds: a worker that dies
    (segfault, OOM kill) or hangs past its budget costs exactly that student an error row, is
    replaced, and the batch goes on. Each worker keeps one `ClaimVerifier` for its lifetime.
  - ray: one Ray task per student (`num_gpus=1` for students whose claims are re-run on a GPU).
Each finished student is committed at once, so a killed batch resumes where it stopped.

The folder is the student (`submission.py`): every row is keyed by the folder's name. Folders
that cannot be graded as themselves are refused by name before anything is graded, and their
error rows are never stored (they are decided afresh on every run): a folder that is a symlink
(it would be graded as whoever it points to), and two folders whose names give one report file
(`report.report_stem`, up to case), e.g. `Alice` and `alice`, or `index` and `index_`.
Whatever goes wrong while grading one student is that student's error row, never the batch's.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

import grader
from grader.assignment import Assignment, find_assignment, load_assignment
from grader.errors import GradebookError, GradeError
from grader.gradebook import (ClaimKey, FileStamp, Gradebook, StudentKey, VerifierOutput,
                              assignment_hash, claim_spec_hash, files_hash, result_to_json,
                              sha256_text, stamp_files)
from grader.results import ClaimResult, IntegrityCheck, Result
from grader.submission import ANSWER_FILES, load_submission, refuse_linked_folder

BASE_TIMEOUT_S = 300.0          # answers alone never take this long; past it a worker is stuck
CLAIM_TIMEOUT_FACTOR = 1.5      # the sandbox enforces each claim's own timeout; this is a backstop
RAY_MISSING = "--executor ray needs the `ray` package: pip install ray"

GradeFn = Callable[..., Result]  # grading.grade_folder's signature


# --- finding students and the assignment -------------------------------------------------------

def find_students(root: Path, skip: Iterable[Path] = ()) -> list[Path]:
    """Direct subfolders of ROOT holding answers.toml / answers.json, hidden ones left out.

    Symlinked folders and answers files are found too, so that they get an error row."""
    if not root.is_dir():
        raise GradeError(f"{root}: " + ("not a folder" if root.exists() else "no such folder"))
    skipped = {p.resolve() for p in skip}
    return sorted(
        (p for p in root.iterdir()
         if p.is_dir() and not p.name.startswith(".") and p.resolve() not in skipped
         and any(os.path.lexists(p / name) for name in ANSWER_FILES)),
        key=lambda p: p.name)


def refused_folders(folders: list[Path]) -> dict[Path, str]:
    """Folders graded as nobody, each with the one-line reason: symlinked folders, and
    folders whose names collide once made into a report file name (each names the others)."""
    from grader.report import report_stem
    refused: dict[Path, str] = {}
    for folder in folders:
        try:
            refuse_linked_folder(folder)
        except GradeError as e:
            refused[folder] = str(e)
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for folder in folders:
        if folder not in refused:
            by_stem[report_stem(folder.name).casefold()].append(folder)
    for group in by_stem.values():
        for folder in group if len(group) > 1 else ():
            others = ", ".join(repr(f.name) for f in group if f != folder)
            refused[folder] = (f"folder {folder.name!r} collides with folder {others}: both "
                               f"would be the student {report_stem(folder.name)!r} in report "
                               "file names and CSV rows; rename one (none of them is graded)")
    return refused


def batch_assignment(root: Path, assignment_path: Path | None,
                     students: list[Path]) -> Assignment:
    """--assignment, else the id named by the first student whose answers file reads."""
    if assignment_path is not None:
        return load_assignment(assignment_path)
    for folder in students:
        try:
            aid = load_submission(folder).assignment_id
        except Exception:  # noqa: BLE001 - one unreadable student never decides for the class
            continue
        if aid is not None:
            return load_assignment(find_assignment(aid, [root, Path.cwd()]))
    raise GradeError(f"{root}: no student's answers file names its assignment "
                     "(assignment = \"<id>\"); pass --assignment PATH")


# --- jobs: what a worker receives and sends back -----------------------------------------------

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


# --- the local pool ----------------------------------------------------------------------------

def _worker_main(conn: multiprocessing.connection.Connection, setup: Setup) -> None:
    state = WorkerState(setup)
    try:
        while (job := conn.recv()) is not None:
            conn.send(state.run(job))
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        state.close()


class _Worker:
    def __init__(self, ctx: Any, setup: Setup) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, setup), daemon=True)
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.deadline = 0.0

    def give(self, job: Job) -> None:
        self.job, self.deadline = job, time.monotonic() + job.timeout_s
        self.conn.send(job)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
            self.process.join(timeout=5)
            if self.process.is_alive():
                self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


def run_local(jobs: list[Job], setup: Setup, n_workers: int,
              on_done: Callable[[Done], None]) -> None:
    """Grade `jobs` on `n_workers` processes; every job ends in exactly one `on_done` call."""
    if not jobs:
        return
    # spawn: the main process may hold threads (the progress bar), so no fork
    ctx = multiprocessing.get_context("spawn")
    pending = deque(jobs)
    workers = [_Worker(ctx, setup) for _ in range(min(n_workers, len(jobs)))]
    try:
        while pending or any(w.job for w in workers):
            for w in workers:
                if w.job is None and pending:
                    w.give(pending.popleft())
            busy = [w for w in workers if w.job is not None]
            multiprocessing.connection.wait(
                [w.conn for w in busy] + [w.process.sentinel for w in busy],
                timeout=min(1.0, max(0.01, min(w.deadline for w in busy) - time.monotonic())))
            for i, w in enumerate(workers):
                if w.job is not None:
                    done = _collect(w, setup)
                    if done is not None:
                        on_done(done)
                        if w.job is not None:           # the worker is gone: replace it
                            w.stop(kill=True)
                            w.job = None
                            workers[i] = _Worker(ctx, setup)
    finally:
        for w in workers:
            w.stop(kill=w.job is not None)


def _collect(w: _Worker, setup: Setup) -> Done | None:
    """The worker's answer if it has one; an error row if it died or overran; else None."""
    job = w.job
    assert job is not None
    try:
        if w.conn.poll():
            done = w.conn.recv()
            w.job = None
            return done
    except (EOFError, OSError):
        pass
    if not w.process.is_alive():
        w.process.join(timeout=1)
        code = w.process.exitcode
        why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        message = f"the grading process died while grading this folder ({why})"
    elif time.monotonic() > w.deadline:
        w.process.kill()
        message = f"grading took longer than {job.timeout_s:g} s and was stopped"
    else:
        return None
    return Done(job.folder, error_result(job.folder, setup.assignment, message))


# --- Ray ---------------------------------------------------------------------------------------

_RAY_STATE: dict[tuple[str, ...], WorkerState] = {}


def _ray_job(setup: Setup, job: Job) -> Done:
    """Runs inside a Ray worker process, which Ray reuses: one WorkerState (and so one
    ClaimVerifier) per process and batch setup."""
    key = (str(setup.assignment.path), str(setup.data_root), setup.device, str(setup.out))
    if key not in _RAY_STATE:
        _RAY_STATE[key] = WorkerState(setup)
    return _RAY_STATE[key].run(job)


def run_ray(jobs: list[Job], setup: Setup, n_workers: int, on_done: Callable[[Done], None],
            address: str | None = None, ray_init: dict[str, Any] | None = None) -> None:
    """Same contract as `run_local`, on a Ray cluster (or a local one started here)."""
    try:
        import ray
    except ImportError:
        raise GradebookError(RAY_MISSING) from None
    started = not ray.is_initialized()
    if started:
        kwargs: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False,
                                      configure_logging=False)
        if address:
            kwargs["address"] = address
        else:
            kwargs["num_cpus"] = n_workers
        kwargs.update(ray_init or {})
        ray.init(**kwargs)
    try:
        has_gpu = ray.cluster_resources().get("GPU", 0) >= 1
        remote = ray.remote(_ray_job)
        setup_ref = ray.put(setup)
        refs: dict[Any, tuple[Job, float]] = {}
        for job in jobs:
            opts: dict[str, Any] = {"num_cpus": 1, "max_retries": 0}
            if job.needs_gpu and has_gpu:
                opts["num_gpus"] = 1
            refs[remote.options(**opts).remote(setup_ref, job)] = (job, time.monotonic())
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1, timeout=1.0)
            for ref in ready:
                job, _t = refs.pop(ref)
                try:
                    on_done(ray.get(ref))
                except ray.exceptions.RayError as e:
                    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                    on_done(Done(job.folder, error_result(
                        job.folder, setup.assignment, f"the Ray task failed: {first[:200]}")))
            now = time.monotonic()
            for ref, (job, t0) in list(refs.items()):
                if now - t0 > job.timeout_s + 600:   # queue time included, hence the slack
                    ray.cancel(ref, force=True)
                    refs.pop(ref)
                    on_done(Done(job.folder, error_result(
                        job.folder, setup.assignment,
                        f"grading took longer than {job.timeout_s:g} s and was stopped")))
    finally:
        if started:
            ray.shutdown()


# --- the batch ---------------------------------------------------------------------------------

@dataclass
class BatchOutcome:
    results: list[Result]
    graded: int
    skipped: int
    out: Path
    db: Path
    index: Path | None = None
    grades_csv: Path | None = None
    canvas_csv: Path | None = None
    elapsed_s: float = 0.0
    roster: list[str] = field(default_factory=list)     # --canvas-roster: missing either side

    @property
    def errors(self) -> list[Result]:
        return [r for r in self.results if r.error is not None]

    def show(self) -> None:
        from rich.console import Console
        console = Console()
        console.print(f"{len(self.results)} students: {self.graded} graded, {self.skipped} "
                      f"unchanged, {len(self.errors)} with errors ({self.elapsed_s:.1f} s)")
        for label, path in (("class page", self.index), ("grades", self.grades_csv),
                            ("Canvas import", self.canvas_csv), ("gradebook", self.db)):
            if path is not None:
                console.print(f"{label}: {path}", markup=False, highlight=False, soft_wrap=True)
        for r in self.errors:
            console.print(f"error: {r.student}: {r.error}", markup=False, highlight=False,
                          soft_wrap=True)
        for line in self.roster:
            console.print(line, markup=False, highlight=False, soft_wrap=True)


@dataclass
class _Plan:
    folder: Path
    stamps: list[FileStamp]
    files_hash: str
    claim_keys: dict[str, ClaimKey]
    stored: Result | None = None
    stored_json: str = ""


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
        planner = _Planner(book, assignment, root, data_root, force, out, timeout_s, device)
        plans: dict[Path, _Plan] = {}
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
    from grader.similar import class_section      # alike code, checkpoints, logs (issue 14)
    similar = class_section([f for f in folders if f not in refused], assignment, out)
    index, grades_csv, canvas_csv = write_outputs(final, assignment, out,
                                                  sha256_text(digest + similar.digest), similar)
    roster_lines: list[str] = []
    if roster is not None:      # canvas.csv keyed by Canvas' own ids instead
        from grader.roster import write_roster_csv
        roster_lines = write_roster_csv(final, assignment, roster, root, canvas_csv).lines()
        (out / ".batch-outputs").unlink(missing_ok=True)   # a plain re-run rewrites canvas.csv
    return BatchOutcome(final, graded, skipped, out, db_path, index, grades_csv, canvas_csv,
                        time.monotonic() - t0, roster_lines)


def write_outputs(results: list[Result], assignment: Assignment, out: Path,
                  digest: str, similar: Any = None) -> tuple[Path, Path, Path]:
    """index.html, grades.csv and canvas.csv; not rewritten when `digest` (of every result)
    is the one they were written from (the unchanged re-run then needs neither matplotlib nor
    pandas)."""
    paths = (out / "index.html", out / "grades.csv", out / "canvas.csv")
    marker = out / ".batch-outputs"
    if all(p.is_file() for p in paths) and marker.is_file() \
            and marker.read_text(encoding="utf-8") == digest:
        return paths
    from grader import classpage, exports
    out.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    from grader.i18n import use_language
    with use_language(assignment.lang):
        classpage.write_class_page(results, assignment, out, similar=similar)
    exports.write_grades_csv(results, assignment, paths[1])
    exports.write_canvas_csv(results, assignment, paths[2])
    marker.write_text(digest, encoding="utf-8")
    return paths


class _Planner:
    """Decides, per student, between the stored result and a (partial) re-grade."""

    def __init__(self, book: Gradebook, assignment: Assignment, root: Path,
                 data_root: Path | None, force: bool, out: Path, timeout_s: float | None,
                 device: str) -> None:
        from grader.manual import manual_comments, manual_files, manual_scores
        self.book, self.assignment, self.force, self.out = book, assignment, force, out
        self.data_root, self.device = data_root, device
        # feedback is stored in the language it was written in: another language re-grades
        self.a_hash = assignment_hash(assignment) + \
            ("" if assignment.lang == "en" else f":{assignment.lang}")
        self.version = grader.__version__
        self.manual = manual_scores(manual_files(assignment.folder, root))
        self.comments = manual_comments(manual_files(assignment.folder, root))
        self.base_timeout = timeout_s if timeout_s is not None else BASE_TIMEOUT_S
        self.data_hash = (sha256_text(str(data_root.resolve()) if data_root else "")
                          if assignment.claims else "")
        self.spec_hashes = {c.id: claim_spec_hash(c, data_root) for c in assignment.claims}

    def extra_hash(self, student: str) -> str:
        """The student's manual.csv rows and, for claims, the data root."""
        rows = sorted((q, s) for (who, q), s in self.manual.items() if who == student)
        said = sorted((q, c) for (who, q), c in self.comments.items() if who == student)
        return sha256_text(repr(rows) + (repr(said) if said else "") + self.data_hash)

    def key(self, plan: _Plan) -> StudentKey:
        return StudentKey(plan.files_hash, self.extra_hash(plan.folder.name), self.a_hash,
                          self.version)

    def plan(self, folder: Path) -> _Plan:
        stamps = stamp_files(folder, self.book.file_stamps(folder.name))
        fh = files_hash(stamps)
        claim_keys = self._claim_keys(folder, stamps)
        plan = _Plan(folder, stamps, fh, claim_keys)
        if not self.force:
            stored = self.book.stored(folder.name)
            if stored is not None and stored.key == StudentKey(
                    fh, self.extra_hash(folder.name), self.a_hash, self.version) \
                    and stored.result.student == folder.name:
                plan.stored, plan.stored_json = stored.result, stored.json
        return plan

    def _claim_keys(self, folder: Path, stamps: list[FileStamp]) -> dict[str, ClaimKey]:
        """A claim's inputs: the student's files except the answers file, plus that claim's
        own table in it (so fixing an answer does not re-run a checkpoint)."""
        if not self.assignment.claims:
            return {}
        try:
            tables = load_submission(folder).claims
        except Exception:  # noqa: BLE001 - grading reports why; here it only keys the cache
            tables = {}
        others = files_hash([s for s in stamps if s.path not in ANSWER_FILES])
        return {cid: ClaimKey(sha256_text(others + repr(sorted(tables.get(cid, {}).items()))),
                              spec, self.version) for cid, spec in self.spec_hashes.items()}

    def job(self, plan: _Plan) -> Job:
        cached = {} if self.force else self.book.cached_claims(plan.folder.name, plan.claim_keys)
        rerun = [c for c in self.assignment.claims if c.id not in cached]
        timeout = self.base_timeout + CLAIM_TIMEOUT_FACTOR * sum(c.timeout for c in rerun)
        gpu = bool(rerun) and self.device in ("auto", "cuda")
        return Job(plan.folder, cached, timeout_s=timeout, needs_gpu=gpu)

    def page_missing(self, result: Result) -> bool:
        if result.error is not None:
            return False
        from grader.report import report_stem
        return not (self.out / f"{report_stem(result.student)}.html").is_file()


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
