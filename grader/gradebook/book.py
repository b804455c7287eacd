"""The class gradebook itself: one SQLite file (WAL) that remembers every student's graded result.

Why a database and not a folder of JSON: each student's result is committed in its own
transaction the moment it is graded, so a batch killed halfway loses nothing and the next run
resumes; and two batches on one class cannot interleave (an exclusive lock file beside the DB).

What decides whether a student is graded again (`Gradebook.plan`):
  - the student key: content hash of the student's files, hash of the assignment file, the
    grader version, the student's rows in manual.csv and (when the assignment has claims) the
    data root. Unchanged key: the stored result is used as is.
  - a claim is re-run only when the student's files, that claim's own spec (or the data root),
    or the grader version changed; otherwise its stored verifier output is passed to grading
    as `cached_claims`. Questions are cheap and are always recomputed when a student is.

Tables: runs, students (one row per student folder, with the full result as JSON),
question_results, claim_results (with the time each claim was verified) and file_hashes
(size + mtime per file, so unchanged checkpoints are not re-read on every run).
"""
from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import grader
from grader.assignment import Assignment
from grader.errors import GradebookError
from grader.gradebook.codec import (VerifierOutput, result_from_json, result_to_json,
                                    verifier_from_json, verifier_to_json)
from grader.gradebook.hashing import FileStamp
from grader.results import Result

LOCK_WAIT_S = 3.0               # how long a second batch waits for the first before refusing
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT,
    pid INTEGER NOT NULL, assignment TEXT NOT NULL, assignment_hash TEXT NOT NULL,
    grader_version TEXT NOT NULL, graded INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS students (
    folder TEXT PRIMARY KEY, student TEXT NOT NULL, files_hash TEXT NOT NULL,
    extra_hash TEXT NOT NULL, assignment_hash TEXT NOT NULL, grader_version TEXT NOT NULL,
    run_id INTEGER NOT NULL, graded_at TEXT NOT NULL, score REAL, max_score REAL, error TEXT,
    result_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS question_results (
    folder TEXT NOT NULL, question TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, given_json TEXT, graded_at TEXT NOT NULL,
    PRIMARY KEY (folder, question));
CREATE TABLE IF NOT EXISTS claim_results (
    folder TEXT NOT NULL, claim TEXT NOT NULL, status TEXT NOT NULL, claimed REAL,
    measured REAL, score REAL NOT NULL, max_score REAL NOT NULL, detail TEXT NOT NULL,
    files_hash TEXT NOT NULL, spec_hash TEXT NOT NULL, grader_version TEXT NOT NULL,
    verified_at TEXT NOT NULL, verifier_json TEXT NOT NULL,
    PRIMARY KEY (folder, claim));
CREATE TABLE IF NOT EXISTS file_hashes (
    folder TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL, PRIMARY KEY (folder, path));
"""


@dataclass(frozen=True)
class StudentKey:
    """Everything a student's stored result depends on."""

    files_hash: str
    extra_hash: str             # manual.csv rows, data root
    assignment_hash: str
    grader_version: str


@dataclass(frozen=True)
class Stored:
    """A student's row: the key it was graded under and the result."""

    key: StudentKey
    student: str
    result: Result
    json: str


@dataclass(frozen=True)
class ClaimKey:
    files_hash: str
    spec_hash: str
    grader_version: str


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Gradebook:
    """An open, exclusively locked gradebook. Use as a context manager."""

    def __init__(self, path: Path, *, lock_wait_s: float = LOCK_WAIT_S) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock_wait_s = lock_wait_s
        self._lock_fd: int | None = None
        self.db: sqlite3.Connection | None = None
        self.run_id: int | None = None

    # -- opening, locking -----------------------------------------------------------------------

    def __enter__(self) -> "Gradebook":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise GradebookError(f"{self.path}: cannot create its folder ({e.strerror})") from None
        self._lock()
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")    # WAL + NORMAL: durable per commit
            self.db.executescript(_SCHEMA)
            self._check_version()
        except sqlite3.DatabaseError as e:
            self.close()
            raise GradebookError(f"{self.path}: not a readable gradebook ({e}); move it away "
                                 "or pass --db") from None

    def _lock(self) -> None:
        """flock on a file beside the DB: released by the OS even when a batch is killed."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self._lock_wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                    os.close(fd)
                    raise GradebookError(f"{self.path} is in use by another grade batch "
                                         f"(pid {holder}); wait for it or pass --db") from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def _check_version(self) -> None:
        assert self.db is not None
        row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise GradebookError(f"{self.path}: gradebook schema {row[0]}, this grader writes "
                                 f"{SCHEMA_VERSION}; pass --db to start a new one")

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    @property
    def _db(self) -> sqlite3.Connection:
        if self.db is None:
            raise GradebookError(f"{self.path}: the gradebook is not open")
        return self.db

    # -- runs -----------------------------------------------------------------------------------

    def start_run(self, assignment: Assignment, a_hash: str) -> int:
        cur = self._db.execute(
            "INSERT INTO runs (started_at, pid, assignment, assignment_hash, grader_version) "
            "VALUES (?, ?, ?, ?, ?)", (_now(), os.getpid(), assignment.id, a_hash,
                                       grader.__version__))
        self.run_id = int(cur.lastrowid or 0)
        return self.run_id

    def finish_run(self, graded: int, skipped: int, errors: int) -> None:
        self._db.execute("UPDATE runs SET finished_at=?, graded=?, skipped=?, errors=? "
                         "WHERE id=?", (_now(), graded, skipped, errors, self.run_id))

    def runs(self) -> list[dict[str, Any]]:
        cur = self._db.execute("SELECT * FROM runs ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    # -- reading --------------------------------------------------------------------------------

    def stored(self, folder: str) -> Stored | None:
        row = self._db.execute(
            "SELECT files_hash, extra_hash, assignment_hash, grader_version, student, "
            "result_json FROM students WHERE folder=?", (folder,)).fetchone()
        if row is None:
            return None
        try:
            result = result_from_json(row[5])
        except (ValueError, KeyError, TypeError):   # written by another grader version
            return None
        return Stored(StudentKey(*row[:4]), row[4], result, row[5])

    def file_stamps(self, folder: str) -> dict[str, FileStamp]:
        rows = self._db.execute("SELECT path, size, mtime_ns, sha256 FROM file_hashes "
                                "WHERE folder=?", (folder,)).fetchall()
        return {r[0]: FileStamp(*r) for r in rows}

    def cached_claims(self, folder: str, wanted: dict[str, ClaimKey],
                      ) -> dict[str, VerifierOutput]:
        """Stored verifier outputs whose key still matches: these claims need no re-run."""
        rows = self._db.execute("SELECT claim, files_hash, spec_hash, grader_version, "
                                "verifier_json FROM claim_results WHERE folder=?",
                                (folder,)).fetchall()
        out: dict[str, VerifierOutput] = {}
        for cid, fh, sh, gv, payload in rows:
            if wanted.get(cid) == ClaimKey(fh, sh, gv):
                try:
                    out[cid] = verifier_from_json(payload)
                except (ValueError, KeyError, TypeError):
                    continue
        return out

    def students(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT folder FROM students ORDER BY folder")]

    # -- writing: one transaction per student ---------------------------------------------------

    def record(self, folder: str, key: StudentKey, result: Result, stamps: list[FileStamp],
               verified: dict[str, tuple[ClaimKey, VerifierOutput]]) -> str:
        """Commit one student's result atomically (all of its rows or none); its JSON."""
        db, now, text = self._db, _now(), result_to_json(result)
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT OR REPLACE INTO students VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       (folder, result.student, key.files_hash, key.extra_hash,
                        key.assignment_hash, key.grader_version, self.run_id or 0, now,
                        result.score, result.max_score, result.error, text))
            db.execute("DELETE FROM question_results WHERE folder=?", (folder,))
            db.executemany(
                "INSERT INTO question_results VALUES (?,?,?,?,?,?,?,?)",
                [(folder, q.id, q.kind, str(q.status), q.score, q.max_score,
                  json.dumps(q.given, default=str), now) for q in result.questions])
            self._record_claims(folder, result, verified, now)
            db.execute("DELETE FROM file_hashes WHERE folder=?", (folder,))
            db.executemany("INSERT INTO file_hashes VALUES (?,?,?,?,?)",
                           [(folder, s.path, s.size, s.mtime_ns, s.sha256) for s in stamps])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return text

    def _record_claims(self, folder: str, result: Result,
                       verified: dict[str, tuple[ClaimKey, VerifierOutput]], now: str) -> None:
        """Claims re-run now get a new timestamp; cached ones keep theirs."""
        db = self._db
        if result.error is not None:
            return
        keep = [c.id for c in result.claims]
        db.execute(f"DELETE FROM claim_results WHERE folder=? AND claim NOT IN "
                   f"({','.join('?' * len(keep))})", (folder, *keep))
        for cid, (ckey, output) in verified.items():
            claim = output[0]
            db.execute("INSERT OR REPLACE INTO claim_results VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       (folder, cid, str(claim.status), claim.claimed, claim.measured,
                        claim.score, claim.max_score, claim.detail, ckey.files_hash,
                        ckey.spec_hash, ckey.grader_version, now, verifier_to_json(output)))
