"""Content hashes that decide whether a student (or one claim) is graded again: the student's
files (size + mtime reuse a known hash, so unchanged checkpoints are not re-read), the
assignment file, and one claim's own spec."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from grader.assignment import Assignment, Claim

_CHUNK = 1 << 20


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def assignment_hash(assignment: Assignment) -> str:
    """The assignment file's bytes: any rubric edit changes it."""
    return hashlib.sha256(assignment.path.read_bytes()).hexdigest()


def claim_spec_hash(claim: Claim, data_root: Path | None) -> str:
    """One claim's own spec (plus where its data lives): editing another claim leaves it alone."""
    spec = dataclasses.asdict(claim)
    spec["data_root"] = str(data_root.resolve()) if data_root else ""
    return sha256_text(json.dumps(spec, sort_keys=True, default=str))


@dataclass(frozen=True)
class FileStamp:
    path: str           # relative to the student folder, POSIX separators
    size: int
    mtime_ns: int
    sha256: str


def student_files(folder: Path) -> Iterator[Path]:
    """The files a student submitted: hidden names (.grade reports, .git) and caches excluded."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def stamp_files(folder: Path, known: dict[str, FileStamp]) -> list[FileStamp]:
    """Size, mtime and content hash of every file; unchanged size+mtime reuse the known hash."""
    stamps = []
    for path in student_files(folder):
        rel = path.relative_to(folder).as_posix()
        st = path.lstat()
        old = known.get(rel)
        if old is not None and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns:
            stamps.append(old)
            continue
        stamps.append(FileStamp(rel, st.st_size, st.st_mtime_ns, _file_sha(path)))
    return stamps


def _file_sha(path: Path) -> str:
    if path.is_symlink():       # hash where it points, never read through it
        return sha256_text("symlink:" + os.readlink(path))
    h = hashlib.sha256()
    try:
        # O_NONBLOCK: a FIFO among the files must not stall the batch; only regular files
        # are read (a link swapped in meanwhile is refused by O_NOFOLLOW)
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(mode):
                return sha256_text(f"special:{stat.S_IFMT(mode)}")
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    except OSError as e:        # unreadable file: still a stable, distinct hash
        return sha256_text(f"unreadable:{e.strerror}")
    return h.hexdigest()


def files_hash(stamps: list[FileStamp]) -> str:
    return sha256_text("\n".join(f"{s.path}\0{s.sha256}" for s in stamps))
