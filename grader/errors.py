"""Named exceptions for everything a user can get wrong.

    GradeError                  any input problem; the CLI prints its message as one line
    ├── AssignmentError         assignment.toml is missing, malformed or inconsistent
    ├── SubmissionError         answers.toml / answers.json is missing, malformed or inconsistent
    ├── AnswerParseError        one answer cannot be read as the form its question asks for
    ├── LogError                a training log cannot be read
    ├── ModelSpecError          a `grade ref` model / layer spec cannot be built
    ├── GradebookError          the gradebook is locked or unreadable
    ├── GradingFailed           grading one student raised something unexpected (a grader bug,
                                RecursionError, MemoryError): one line, never a traceback
    ├── DownloadError           an LMS bulk download (`grade import`) cannot be read safely
    └── RosterError             a Canvas gradebook export (`--canvas-roster`) cannot be read

Messages name the file, the line where known, the key and the value, e.g.
`answers.toml line 7: "1.3" = "abc" is not a number`.
"""
from __future__ import annotations


class GradeError(Exception):
    """An input problem a person can fix; shown as one line, never as a traceback."""


class AssignmentError(GradeError):
    """The assignment file is missing, malformed or inconsistent."""


class SubmissionError(GradeError):
    """The submission's answers file is missing, malformed or inconsistent."""


class AnswerParseError(GradeError):
    """One answer cannot be read in the form its question asks for."""


class LogError(GradeError):
    """A training log cannot be read."""


class ModelSpecError(GradeError):
    """A model or layer specification given to `grade ref` cannot be built."""


class GradebookError(GradeError):
    """The gradebook database is locked by another batch or unreadable."""


class GradingFailed(GradeError):
    """Grading one student raised an unexpected exception; its one-line description."""


class DownloadError(GradeError):
    """An LMS bulk download cannot be read, or not safely."""


class RosterError(GradeError):
    """A Canvas gradebook export given as `--canvas-roster` cannot be read."""
