"""The local executor: our own pool of long-lived worker processes, one student at a time each.

A worker that dies or hangs past its job's budget costs exactly that student an error row and is
replaced; the batch goes on (unlike `ProcessPoolExecutor`, where one dead worker breaks the pool).
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import time
from collections import deque
from typing import Any, Callable

from grader.batch.jobs import Done, Job, Setup, WorkerState, error_result, too_long
from grader.i18n import _, use_language


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
        with use_language(setup.assignment.lang):
            why = (_("killed by signal {signal}").format(signal=-code)
                   if code is not None and code < 0 else
                   _("exit code {code}").format(code=code))
            message = _("the grading process died while grading this folder ({why})").format(
                why=why)
    elif time.monotonic() > w.deadline:
        w.process.kill()
        message = too_long(job.timeout_s, setup.assignment.lang)
    else:
        return None
    return Done(job.folder, error_result(job.folder, setup.assignment, message))
