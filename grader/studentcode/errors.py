"""The one exception the student-code loaders raise: a problem with the submission, one line."""
from __future__ import annotations


class StudentCodeError(Exception):
    """A problem with the submission's code or checkpoint; the message is the claim's detail."""


class MissingDependency(StudentCodeError):
    """The model uses a package that is not installed where the grader runs."""
