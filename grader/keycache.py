"""The answer key kept on disk between runs of the grader.

Computing a key runs model summaries on the meta device (seconds for a ResNet); a student runs
`grade check` again and again on the same assignment. The entries are stored under
`$GRADE_CACHE_DIR` (default `$XDG_CACHE_HOME/grade` or `~/.cache/grade`), keyed by the questions
themselves and by the source of everything that computes answers (reference/ and
grader/key.py): a changed formula or question never serves a stale key. `GRADE_CACHE=0` turns
it off (the test suite does). Pickles are only read from a folder the current user owns and
nobody else can write to.
"""
from __future__ import annotations

import functools
import hashlib
import os
import pickle
import stat
import tempfile
from pathlib import Path
from typing import Any

GRADER = Path(__file__).resolve().parent
SOURCES = (GRADER.parent / "reference", GRADER / "key.py")


def folder() -> Path | None:
    if os.environ.get("GRADE_CACHE", "1") == "0":
        return None
    base = os.environ.get("GRADE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "grade")
    return Path(base)


@functools.cache
def source_hash() -> str:
    """What computes the answers, as one digest (read once per process)."""
    h = hashlib.sha256()
    for src in SOURCES:
        files = sorted(src.rglob("*.py")) if src.is_dir() else [src]
        for f in files:
            h.update(str(f.relative_to(GRADER.parent)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _path(questions: tuple) -> Path | None:
    root = folder()
    if root is None:
        return None
    digest = hashlib.sha256((source_hash() + repr(questions)).encode()).hexdigest()[:32]
    return root / f"key-{digest}.pickle"


def _trusted(root: Path) -> bool:
    """Owned by this user and writable by nobody else: a pickle from there is our own."""
    try:
        info = root.stat()
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load(questions: tuple) -> Any | None:
    path = _path(questions)
    if path is None or not _trusted(path.parent):
        return None
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def store(questions: tuple, entries: Any) -> None:
    """Write atomically; a cache that cannot be written is simply not used."""
    path = _path(questions)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _trusted(path.parent):
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(entries, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass
