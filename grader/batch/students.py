"""Finding a batch's students and its assignment, and refusing the folders that cannot be graded
as themselves (symlinked folders, folders whose names give one report file)."""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Iterable

from grader.assignment import Assignment, find_assignment, load_assignment
from grader.errors import GradeError
from grader.submission import ANSWER_FILES, load_submission, refuse_linked_folder


def find_students(root: Path, skip: Iterable[Path] = ()) -> list[Path]:
    """Direct subfolders of ROOT holding answers.toml / answers.json, hidden ones left out.

    Symlinked folders and answers files are found too, so that they get an error row."""
    if not root.is_dir():
        raise GradeError(f"{root}: " + ("not a folder" if root.exists() else "no such folder"))
    skipped = {p.resolve() for p in skip}
    return sorted(
        (p for p in root.iterdir()
         if p.is_dir() and not p.name.startswith(".") and p.resolve() not in skipped
         and any(os.path.lexists(p / name) for name in ANSWER_FILES)),
        key=lambda p: p.name)


def refused_folders(folders: list[Path]) -> dict[Path, str]:
    """Folders graded as nobody, each with the one-line reason: symlinked folders, and
    folders whose names collide once made into a report file name (each names the others)."""
    from grader.report import report_stem
    refused: dict[Path, str] = {}
    for folder in folders:
        try:
            refuse_linked_folder(folder)
        except GradeError as e:
            refused[folder] = str(e)
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for folder in folders:
        if folder not in refused:
            by_stem[report_stem(folder.name).casefold()].append(folder)
    for group in by_stem.values():
        for folder in group if len(group) > 1 else ():
            others = ", ".join(repr(f.name) for f in group if f != folder)
            refused[folder] = (f"folder {folder.name!r} collides with folder {others}: both "
                               f"would be the student {report_stem(folder.name)!r} in report "
                               "file names and CSV rows; rename one (none of them is graded)")
    return refused


def batch_assignment(root: Path, assignment_path: Path | None,
                     students: list[Path]) -> Assignment:
    """--assignment, else the id named by the first student whose answers file reads."""
    if assignment_path is not None:
        return load_assignment(assignment_path)
    for folder in students:
        try:
            aid = load_submission(folder).assignment_id
        except Exception:  # noqa: BLE001 - one unreadable student never decides for the class
            continue
        if aid is not None:
            return load_assignment(find_assignment(aid, [root, Path.cwd()]))
    raise GradeError(f"{root}: no student's answers file names its assignment "
                     "(assignment = \"<id>\"); pass --assignment PATH")
