"""The Ray executor: one Ray task per student (`num_gpus=1` for students whose claims are re-run
on a GPU), with the same contract as the local pool."""
from __future__ import annotations

import time
from typing import Any, Callable

from grader.batch.jobs import (RAY_MISSING, Done, Job, Setup, WorkerState, error_result,
                               too_long)
from grader.errors import GradebookError

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
                        too_long(job.timeout_s, setup.assignment.lang))))
    finally:
        if started:
            ray.shutdown()
