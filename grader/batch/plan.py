"""Planning: per student, the stored result if it still holds (its files, manual rows, assignment
and grader version unchanged), else a job that re-runs only the claims whose inputs changed."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grader
from grader.assignment import Assignment
from grader.batch.jobs import BASE_TIMEOUT_S, CLAIM_TIMEOUT_FACTOR, Job
from grader.gradebook import (ClaimKey, FileStamp, Gradebook, StudentKey, assignment_hash,
                              claim_spec_hash, files_hash, sha256_text, stamp_files)
from grader.results import Result
from grader.submission import ANSWER_FILES, load_submission


@dataclass
class Plan:
    folder: Path
    stamps: list[FileStamp]
    files_hash: str
    claim_keys: dict[str, ClaimKey]
    stored: Result | None = None
    stored_json: str = ""



class Planner:
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

    def key(self, plan: Plan) -> StudentKey:
        return StudentKey(plan.files_hash, self.extra_hash(plan.folder.name), self.a_hash,
                          self.version)

    def plan(self, folder: Path) -> Plan:
        stamps = stamp_files(folder, self.book.file_stamps(folder.name))
        fh = files_hash(stamps)
        claim_keys = self._claim_keys(folder, stamps)
        plan = Plan(folder, stamps, fh, claim_keys)
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

    def job(self, plan: Plan) -> Job:
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
