"""A student's own zip inside the download (Canvas and Moodle keep an uploaded `hw3.zip` as is):
unpacked into the student's folder with the same refusals as the download itself, one level
deep, so `answers.toml` is where the grader looks for it."""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path, PurePosixPath

from grader.errors import DownloadError
from grader.lms.archive import Entry, Limits, copy_entry, read_source

_JUNK = ("__MACOSX", ".DS_Store", "Thumbs.db")      # what archivers add, not the student


def unpack_student_zip(folder: Path, name: str, limits: Limits) -> tuple[list[str], list[str]]:
    """Unpack `folder/name` into `folder`; returns (files written, problems). The zip is removed
    once unpacked; a file already in the folder is never overwritten."""
    archive = folder / name
    try:
        source = read_source(archive, limits)
    except DownloadError as e:
        return [], [f"{folder.name}/{name}: {e}"]
    problems = [f"{folder.name}/{name}: {why}" for why in source.refused]
    entries = [e for e in source.entries if not any(p in _JUNK for p in e.path.parts)]
    strip = _common_top(entries)
    written = []
    for entry in entries:
        rel = PurePosixPath(*entry.path.parts[strip:])
        dest = folder / rel
        if dest.exists():
            problems.append(f"{folder.name}/{name}: {rel} is already in the folder; kept that one")
            continue
        try:
            copy_entry(entry, dest)
        except (DownloadError, OSError, zipfile.BadZipFile, EOFError, zlib.error) as e:
            dest.unlink(missing_ok=True)
            problems.append(f"{folder.name}/{name}: {rel}: {str(e).splitlines()[0]}")
            continue
        written.append(rel.as_posix())
    archive.unlink()
    return written, problems


def _common_top(entries: list[Entry]) -> int:
    """1 when every file sits in one top folder (`hw3/answers.toml`), which is then dropped."""
    tops = {e.path.parts[0] for e in entries}
    return 1 if len(tops) == 1 and all(len(e.path.parts) > 1 for e in entries) else 0
