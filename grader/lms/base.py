"""What every LMS reader returns: which file belongs to which student, and what fits no one."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from grader.lms.archive import Entry


@dataclass(frozen=True)
class Match:
    entry: Entry
    name: str                   # the student as the LMS names them (folder name by default)
    lms_id: str                 # Canvas user id, Moodle participant id, Gradescope SID
    file: PurePosixPath         # where the file goes inside the student's folder
    submission: str = ""        # the LMS's submission id, where it has one
    late: bool = False
    note: str = ""              # e.g. a Canvas resubmission suffix taken off the file name


@dataclass
class Reading:
    lms: str
    matches: list[Match] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)     # "path: why"
