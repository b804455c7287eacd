"""The scratch copy of a submission: regular files only, never through a symlink.

A symlink in a submission is dropped whether it points inside or out (DESIGN: files are never
read through symlinks), and each file is opened with O_NOFOLLOW and checked to be a regular
file on the descriptor itself, so swapping a file for a link mid-copy gains nothing."""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path


def copy_submission(src: Path, dest: Path, max_bytes: int = 2 << 30) -> dict[str, str]:
    """Copy `src` into `dest`; returns {relpath: why it was dropped}."""
    root = Path(src)
    dropped: dict[str, str] = {}
    budget = max_bytes
    dest.mkdir(parents=True, exist_ok=True)
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        rel_dir = here.relative_to(root)
        for d in list(dirs):
            if (here / d).is_symlink():
                dirs.remove(d)
                dropped[str(rel_dir / d)] = "a symlinked folder (not followed)"
            else:
                (dest / rel_dir / d).mkdir(exist_ok=True)
        for name in files:
            rel = rel_dir / name
            why = _copy_one(here / name, dest / rel, budget, max_bytes)
            if isinstance(why, str):
                dropped[str(rel)] = why
            else:
                budget -= why
    return dropped


def _copy_one(path: Path, to: Path, budget: int, max_bytes: int) -> str | int:
    """Copy one regular file; the bytes copied, or why it was not."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        if path.is_symlink():
            return "a symlink: submit the file itself"
        return f"unreadable ({e.strerror})"
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file"
        if info.st_size > budget:
            return f"over the {max_bytes >> 20} MB copy limit"
        with open(to, "wb") as out:
            shutil.copyfileobj(f, out, 1 << 20)
    return info.st_size
