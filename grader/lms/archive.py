"""Reading a bulk download safely, as a folder or a zip: a flat list of entries.

Nothing is trusted: a name that climbs out (`../`, an absolute path, a drive letter), a
symlink, more entries or bytes than the bounds, or a member compressed more than `max_ratio`
times (a zip bomb) is refused and reported, never followed or written.
"""
from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable

from grader.errors import DownloadError


@dataclass(frozen=True)
class Limits:
    max_entries: int = 100_000
    max_total_bytes: int = 16 * 2**30       # a class's checkpoints fit; a bomb does not
    max_ratio: float = 200.0                # uncompressed / compressed, per member
    ratio_floor: int = 1 * 2**20            # members under 1 MiB may compress as they like


@dataclass(frozen=True)
class Entry:
    path: PurePosixPath                     # inside the download, '/'-separated, no '..'
    size: int
    open: Callable[[], BinaryIO]


@dataclass
class Source:
    name: str
    entries: list[Entry] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)    # "name: why"


def safe_path(name: str) -> PurePosixPath | None:
    """The member name as a relative path, or None when it could leave the output folder."""
    text = name.replace("\\", "/")
    if not text or "\x00" in text or text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return None
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return PurePosixPath(*parts)


def read_source(path: Path, limits: Limits = Limits()) -> Source:
    """A folder or a .zip bulk download as entries; refusals are listed, not raised."""
    path = Path(path)
    if path.is_dir():
        return _folder(path, limits)
    if path.is_file() and zipfile.is_zipfile(path):
        return _zip(path, limits)
    if not path.exists():
        raise DownloadError(f"{path}: no such file or folder")
    raise DownloadError(f"{path}: neither a folder nor a zip archive")


def _folder(root: Path, limits: Limits) -> Source:
    source = Source(root.name)
    total = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        for d in list(dirs):
            if (here / d).is_symlink():
                dirs.remove(d)
                source.refused.append(f"{(here / d).relative_to(root)}: a symlink, not followed")
        for name in sorted(files):
            full = here / name
            rel = full.relative_to(root).as_posix()
            info = full.lstat()
            if stat.S_ISLNK(info.st_mode):
                source.refused.append(f"{rel}: a symlink, not followed")
                continue
            if not stat.S_ISREG(info.st_mode):
                source.refused.append(f"{rel}: not a regular file")
                continue
            total += info.st_size
            if len(source.entries) >= limits.max_entries or total > limits.max_total_bytes:
                raise DownloadError(f"{root}: more than {limits.max_entries} files or "
                                   f"{limits.max_total_bytes:,} bytes; refusing to import it")
            source.entries.append(Entry(PurePosixPath(rel), info.st_size,
                                        lambda full=full: open(full, "rb")))
    return source


def _zip(path: Path, limits: Limits) -> Source:
    source = Source(path.name)
    try:
        archive = zipfile.ZipFile(path)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as e:
        raise DownloadError(f"{path}: unreadable zip ({e})") from None
    if len(infos) > limits.max_entries:
        raise DownloadError(f"{path}: {len(infos):,} members, more than {limits.max_entries:,}")
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        raise DownloadError(f"{path}: unpacks to {total:,} bytes, more than "
                           f"{limits.max_total_bytes:,}; refusing it (a zip bomb?)")
    for info in infos:
        why = _refusal(info, limits)
        if why:
            source.refused.append(f"{info.filename}: {why}")
            continue
        if info.is_dir():
            continue
        source.entries.append(Entry(safe_path(info.filename), info.file_size,   # type: ignore
                                    lambda info=info: archive.open(info)))
    return source


def _refusal(info: zipfile.ZipInfo, limits: Limits) -> str:
    if safe_path(info.filename) is None:
        return "a path that leaves the folder, refused"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "a symlink, refused"
    if info.flag_bits & 0x1:
        return "encrypted, cannot be read"
    if info.file_size > limits.ratio_floor and \
            info.file_size > limits.max_ratio * max(info.compress_size, 1):
        return (f"compressed {info.file_size / max(info.compress_size, 1):,.0f} times "
                f"(more than {limits.max_ratio:g}); refused as a zip bomb")
    return ""


def copy_entry(entry: Entry, target: Path, chunk: int = 1 << 20) -> None:
    """Stream one entry to `target`, never writing more than the size it declared."""
    written = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with entry.open() as src, open(target, "xb") as dst:
        for block in iter(lambda: src.read(chunk), b""):
            written += len(block)
            if written > entry.size:
                raise DownloadError(f"{entry.path}: longer than its declared {entry.size:,} "
                                   "bytes; refused")
            dst.write(block)
