"""`grade import`: an LMS bulk download (folder or zip) into one folder per student.

One module per LMS (`canvas`, `moodle`, `gradescope`), each with `claims(source)` and
`read(source)`; they are tried in the order of READERS and the report names the one that read
the download. Nothing is guessed: a file that fits no student, two students who would share a
folder, two submissions of one student, and anything refused by `archive` are reported and
left out. A student's own zip is unpacked into their folder (`unpack`). Each import also writes `OUT/.grade/import.csv` (folder, LMS, LMS id, name,
submission, late), which `grade batch --canvas-roster` uses to find Canvas' user ids.
"""
from __future__ import annotations

import csv
import re
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import DownloadError
from grader.lms import canvas, gradescope, moodle
from grader.lms.archive import Limits, copy_entry, read_source
from grader.lms.base import Match, Reading
from grader.lms.unpack import unpack_student_zip

READERS = (gradescope, moodle, canvas)      # metadata file first, then the name layouts
MANIFEST = Path(".grade") / "import.csv"
_UNSAFE_FOLDER = re.compile(r"[/\\\x00-\x1f\x7f]")

__all__ = ["ImportReport", "import_submissions", "READERS", "MANIFEST"]


@dataclass
class ImportReport:
    lms: str
    out: Path
    students: dict[str, list[str]] = field(default_factory=dict)   # folder -> files written
    notes: list[str] = field(default_factory=list)                 # renames, group copies
    problems: list[str] = field(default_factory=list)              # left out, and why

    def to_json(self) -> dict[str, Any]:
        return {"lms": self.lms, "out": str(self.out), "students": self.students,
                "notes": self.notes, "problems": self.problems}

    def show(self) -> None:
        import click
        files = sum(len(v) for v in self.students.values())
        click.echo(f"read as a {self.lms} download: {len(self.students)} students, {files} files "
                   f"into {self.out}")
        for note in self.notes:
            click.echo(f"  note: {note}")
        for problem in self.problems:
            click.echo(f"  left out: {problem}")


def import_submissions(source: Path, out: Path, *, name_by: str = "name",
                       limits: Limits = Limits()) -> ImportReport:
    """Read the download at `source` and write `out/<student>/<file>`."""
    src = read_source(source, limits)
    reader = next((r for r in READERS if r.claims(src)), None)
    if reader is None:
        sample = ", ".join(e.path.as_posix() for e in src.entries[:3]) or "no files"
        raise DownloadError(f"{source}: not a Canvas, Moodle or Gradescope download "
                            f"(first files: {sample})")
    reading = reader.read(src)
    report = ImportReport(reading.lms, Path(out), problems=[*src.refused, *reading.unmatched])
    groups = _by_folder(reading, name_by, report)
    Path(out).mkdir(parents=True, exist_ok=True)
    for folder, matches in sorted(groups.items()):
        _write_student(Path(out), folder, matches, report, limits)
    _write_manifest(Path(out), groups, report)
    return report


def _folder_name(m: Match, name_by: str) -> str:
    raw = m.lms_id if name_by == "id" else m.name
    return "_".join(raw.split())


def _by_folder(reading: Reading, name_by: str, report: ImportReport) -> dict[str, list[Match]]:
    """Matches grouped by student folder, without the groups that cannot be told apart."""
    groups: dict[str, list[Match]] = defaultdict(list)
    for m in reading.matches:
        folder = _folder_name(m, name_by)
        if not folder or folder.startswith(".") or _UNSAFE_FOLDER.search(folder):
            report.problems.append(f"{m.entry.path}: student {folder!r} cannot be a folder name")
            continue
        groups[folder].append(m)
    for folder in list(groups):
        ids = sorted({m.lms_id for m in groups[folder]})
        subs = sorted({m.submission for m in groups[folder] if m.submission})
        if len(ids) > 1:
            report.problems.append(f"{folder}: {len(ids)} students share this name "
                                   f"({reading.lms} ids {', '.join(ids)}); none imported, "
                                   "use --name-by id")
            del groups[folder]
        elif len(subs) > 1 and not any(m.note.startswith("group") for m in groups[folder]):
            report.problems.append(f"{folder}: {len(subs)} submissions ({', '.join(subs)}); "
                                   "none imported, keep one in the download")
            del groups[folder]
    return groups


def _write_student(out: Path, folder: str, matches: list[Match], report: ImportReport,
                   limits: Limits) -> None:
    target = out / folder
    if target.exists() and any(target.iterdir()):
        report.problems.append(f"{folder}: {target} already exists; not overwritten")
        return
    files: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        files[m.file.as_posix()].append(m)
    written = []
    for name, same in sorted(files.items()):
        if len(same) > 1:
            report.problems.append(f"{folder}/{name}: {len(same)} files would share this name "
                                   f"({', '.join(str(m.entry.path) for m in same)}); none kept")
            continue
        path = target / name
        try:
            copy_entry(same[0].entry, path)
        except (DownloadError, OSError, zipfile.BadZipFile, EOFError, zlib.error) as e:
            # a corrupt member (bad CRC, truncated) spoils one file, not the import
            path.unlink(missing_ok=True)
            report.problems.append(f"{same[0].entry.path}: {str(e).splitlines()[0]}")
            continue
        written.append(name)
        note = f"{folder}: {same[0].note}" if same[0].note else ""
        if note and note not in report.notes:
            report.notes.append(note)
    for name in [w for w in written if w.lower().endswith(".zip")]:
        inner, problems = unpack_student_zip(target, name, limits)
        report.problems += problems
        written.remove(name)
        written += [w for w in inner if w not in written]
        report.notes.append(f"{folder}: unpacked {name} ({len(inner)} files)")
    if written:
        report.students[folder] = sorted(written)


def _write_manifest(out: Path, groups: dict[str, list[Match]], report: ImportReport) -> None:
    path = out / MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "lms", "lms_id", "name", "submission", "late"])
        for folder in sorted(report.students):
            m = groups[folder][0]
            writer.writerow([folder, report.lms, m.lms_id, m.name, m.submission,
                             "yes" if any(x.late for x in groups[folder]) else ""])
