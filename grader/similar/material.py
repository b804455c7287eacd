"""Each student's files that similarity looks at: code, checkpoints, training logs.

Files are never read through symlinks, hidden folders and caches are skipped, and every kind
has a size bound, so one odd submission cannot make the class analysis slow or large. Files a
claim names in answers.toml count whatever their suffix (a log called `output.txt`)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GradeError
from grader.i18n import _
from grader.submission import load_submission

CODE_SUFFIXES = frozenset({".py", ".ipynb"})
CHECKPOINT_SUFFIXES = frozenset({".pt", ".pth", ".ckpt", ".bin", ".safetensors", ".tar"})
LOG_SUFFIXES = frozenset({".log"})
MAX_FILES = 200                  # per student and kind; a folder past this is a dataset
MAX_CODE_BYTES = 2_000_000
MAX_CHECKPOINT_BYTES = 2 * 1024**3
MAX_LOG_BYTES = 50 * 1024 * 1024
SKIP_DIRS = frozenset({"__pycache__", ".ipynb_checkpoints", "node_modules", "data", "datasets"})


@dataclass(frozen=True)
class Student:
    name: str
    folder: Path
    code: tuple[Path, ...] = ()
    checkpoints: tuple[Path, ...] = ()
    logs: tuple[Path, ...] = ()

    def label(self, path: Path) -> str:
        """A file as the pages name it: relative to the student's folder."""
        return path.relative_to(self.folder).as_posix()


@dataclass(frozen=True)
class ClassMaterial:
    students: tuple[Student, ...]
    warnings: tuple[str, ...] = field(default=())


def find_student_folders(root: Path, skip: tuple[Path, ...] = ()) -> list[Path]:
    """Direct, non-hidden subfolders of ROOT (symlinks left out): one per student."""
    if not root.is_dir():
        raise GradeError(f"{root}: " + ("not a folder" if root.exists() else "no such folder"))
    skipped = {p.resolve() for p in skip}
    return sorted((p for p in root.iterdir()
                   if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
                   and p.resolve() not in skipped), key=lambda p: p.name)


def collect(folders: list[Path]) -> ClassMaterial:
    warnings: list[str] = []
    students = tuple(_student(folder, warnings) for folder in folders)
    return ClassMaterial(students, tuple(warnings))


def _student(folder: Path, warnings: list[str]) -> Student:
    named = _claimed_files(folder)
    code, checkpoints, logs = [], [], []
    for path in _walk(folder):
        suffix = path.suffix.lower()
        if suffix in CODE_SUFFIXES:
            code.append(path)
        elif suffix in CHECKPOINT_SUFFIXES or named.get(path) == "checkpoint":
            checkpoints.append(path)
        elif suffix in LOG_SUFFIXES or named.get(path) == "log" or _looks_like_log(path):
            logs.append(path)
    return Student(folder.name,
                   folder,
                   _bounded(folder, code, MAX_CODE_BYTES, "code", warnings),
                   _bounded(folder, checkpoints, MAX_CHECKPOINT_BYTES, "checkpoint", warnings),
                   _bounded(folder, logs, MAX_LOG_BYTES, "log", warnings))


def _looks_like_log(path: Path) -> bool:
    return path.suffix.lower() in (".txt", ".csv") and "log" in path.stem.lower()


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if not name.startswith(".") and not path.is_symlink() and path.is_file():
                found.append(path)
    return found


def _claimed_files(folder: Path) -> dict[Path, str]:
    """Paths that answers.toml's claims name as `checkpoint` or `log`."""
    try:
        claims = load_submission(folder).claims
    except GradeError:
        return {}                        # no or broken answers file: suffixes still find files
    named: dict[Path, str] = {}
    for spec in claims.values():
        for role in ("checkpoint", "log"):
            value = spec.get(role)
            if isinstance(value, str):
                named[folder / value] = role
    return named


def _bounded(folder: Path, paths: list[Path], limit: int, kind: str,
             warnings: list[str]) -> tuple[Path, ...]:
    kept = []
    for path in paths:
        size = path.stat().st_size
        if size > limit:
            warnings.append(_("{file}: {size} bytes is past the {kind} limit ({limit}); not "
                              "compared").format(
                file=f"{folder.name}/{path.relative_to(folder).as_posix()}", size=f"{size:,}",
                kind=_(kind), limit=f"{limit:,}"))
        elif size:
            kept.append(path)
    if len(kept) > MAX_FILES:
        warnings.append(_("{student}: {count} {kind} files; only the first {first} are "
                          "compared").format(student=folder.name, count=len(kept),
                                             kind=_(kind), first=MAX_FILES))
    return tuple(kept[:MAX_FILES])
