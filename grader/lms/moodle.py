"""Moodle "Download all submissions": a zip named per participant.

Layouts (Moodle assign module; folder name format as documented in e.g. the Moodle feedback
workflow notes "First Last_participantId_assignsubmission_file_", and the flat form used when
"Download submissions in folders" is off):

    <Full Name>_<participant id>_assignsubmission_file_/<file>      (in folders, the default)
    <Full Name>_<participant id>_assignsubmission_file_<file>       (flat)
    <Full Name>_<participant id>_assignsubmission_onlinetext_/onlinetext.html

Online-text parts are not files a grader reads; they are reported, not imported.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath

from grader.lms.archive import Source
from grader.lms.base import Match, Reading

NAME = "Moodle"
PATTERN = re.compile(r"^(?P<name>.+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_"
                     r"(?P<rest>.*)$")


def claims(source: Source) -> bool:
    tops = {e.path.parts[0] for e in source.entries}
    return bool(tops) and sum(bool(PATTERN.match(t)) for t in tops) * 2 > len(tops)


def read(source: Source) -> Reading:
    reading = Reading(NAME)
    for entry in source.entries:
        top, *inner = entry.path.parts
        m = PATTERN.match(top)
        if m is None:
            reading.unmatched.append(f"{entry.path}: not <Full Name>_<id>_assignsubmission_...")
            continue
        if m["plugin"] != "file":
            reading.unmatched.append(f"{entry.path}: Moodle {m['plugin']} part, not a file")
            continue
        parts = ([m["rest"]] if m["rest"] else []) + inner
        if not parts:
            reading.unmatched.append(f"{entry.path}: no file name after the participant")
            continue
        reading.matches.append(Match(entry, m["name"], m["pid"], PurePosixPath(*parts)))
    return reading
