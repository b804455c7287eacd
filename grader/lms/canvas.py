"""Canvas "Download Submissions": one flat zip, the student in each file name.

Layout (Canvas, Assignments > Download Submissions; as seen in mikewesthad/canvas-unzipper's
README, `smithbob_340934_208490284_BobsWork.zip`, and TimHanneman/Canvas_submission_sort):

    <name>_<user id>_<submission id>_<original file name>
    <name>_LATE_<user id>_<submission id>_<original file name>     (handed in after the due date)

`<name>` is the sortable name in lower case without spaces or punctuation (Smith, Bob ->
`smithbob`). A file handed in again under the same name gets `-1`, `-2`... before its
extension (`answers-1.toml`); that suffix is taken off when it leaves no clash, and said so.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath

from grader.lms.archive import Source
from grader.lms.base import Match, Reading

NAME = "Canvas"
PATTERN = re.compile(r"^(?P<name>[^_/]+)_(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<sid>\d+)_"
                     r"(?P<file>.+)$")
_RESUBMITTED = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.[^.]+)?$")


def claims(source: Source) -> bool:
    """Most top-level files follow the pattern."""
    names = [e.path for e in source.entries if len(e.path.parts) == 1]
    return bool(names) and sum(bool(PATTERN.match(n.name)) for n in names) * 2 > len(names)


def read(source: Source) -> Reading:
    reading = Reading(NAME)
    for entry in source.entries:
        m = PATTERN.match(entry.path.as_posix()) if len(entry.path.parts) == 1 else None
        if m is None:
            reading.unmatched.append(f"{entry.path}: not <name>_<user id>_<submission id>_<file>")
            continue
        reading.matches.append(Match(entry, m["name"], m["uid"], PurePosixPath(m["file"]),
                                     m["sid"], late=bool(m["late"])))
    reading.matches = _drop_resubmission_suffix(reading.matches)
    return reading


def _drop_resubmission_suffix(matches: list[Match]) -> list[Match]:
    """`answers-1.toml` -> `answers.toml` where the student has no other file by that name."""
    taken = {(m.lms_id, m.file.name) for m in matches}
    out = []
    for m in matches:
        s = _RESUBMITTED.match(m.file.name)
        plain = f"{s['stem']}{s['ext'] or ''}" if s else None
        if plain and (m.lms_id, plain) not in taken:
            taken.add((m.lms_id, plain))
            m = Match(m.entry, m.name, m.lms_id, PurePosixPath(plain), m.submission, m.late,
                      note=f"{m.file.name} -> {plain} (Canvas resubmission suffix)")
        out.append(m)
    return out
