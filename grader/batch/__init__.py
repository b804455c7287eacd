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

Modules: `students` (finding students and the assignment, refused folders), `jobs` (what a worker
receives and returns, `WorkerState`), `local_pool` and `ray_tasks` (the two executors), `plan`
(stored result or re-grade), `outputs` (class page, CSVs, `BatchOutcome`), `run` (`run_batch`).
"""
from grader.batch.jobs import (BASE_TIMEOUT_S, CLAIM_TIMEOUT_FACTOR, RAY_MISSING, Done, GradeFn,
                               Job, Setup, WorkerState, error_result)
from grader.batch.local_pool import run_local
from grader.batch.outputs import BatchOutcome, write_outputs
from grader.batch.ray_tasks import run_ray
from grader.batch.run import run_batch
from grader.batch.students import batch_assignment, find_students, refused_folders

__all__ = [
    "BASE_TIMEOUT_S", "CLAIM_TIMEOUT_FACTOR", "RAY_MISSING", "BatchOutcome", "Done", "GradeFn",
    "Job", "Setup", "WorkerState", "batch_assignment", "error_result", "find_students",
    "refused_folders", "run_batch", "run_local", "run_ray", "write_outputs",
]
