"""A student's submission folder: `answers.toml` (or `answers.json`) plus the files claims name.

The folder is the student: its name is the id every report, gradebook row, CSV row and
manual.csv lookup uses. A `student = "..."` line in the answers file is only what the student
wrote; when it names someone else it becomes a warning (`identity_check`), never an identity.
"""
from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import SubmissionError
from grader.inputs import key_line, read_json, read_toml
from grader.results import CheckStatus, IntegrityCheck

ANSWER_FILES = ("answers.toml", "answers.json")


@dataclass(frozen=True)
class Submission:
    student: str                # the folder's name, always
    assignment_id: str | None
    answers: dict[str, Any]
    claims: dict[str, dict[str, Any]]
    folder: Path
    path: Path                  # the answers file
    text: str = field(repr=False, default="")
    stated_student: Any = None      # the answers file's `student` value, as written (or None)

    def line_of(self, key: str) -> int | None:
        """Line of an answer's key in the file, for messages."""
        return key_line(self.text, key)

    def where(self, key: str) -> str:
        line = self.line_of(key)
        return f"{self.path.name} line {line}" if line else self.path.name


def folder_student(folder: Path) -> str:
    """The student a folder is: its own name (`.` is the current folder's name). Parents are
    not resolved, so only the folder's own name counts."""
    return Path(os.path.abspath(folder)).name


def refuse_linked_folder(folder: Path) -> None:
    """A student folder that is a symlink would be graded as whoever it points to."""
    if folder.is_symlink():
        raise SubmissionError(f"{folder}: the student folder is a symbolic link (to "
                              f"{os.readlink(folder)}); it is not graded, submit the folder "
                              "itself")


def answers_file(folder: Path) -> Path:
    refuse_linked_folder(folder)
    for name in ANSWER_FILES:
        if os.path.lexists(folder / name):     # a link is found here and refused when read
            return folder / name
    if not folder.exists():
        raise SubmissionError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise SubmissionError(f"{folder}: not a folder")
    raise SubmissionError(f"{folder}: no answers.toml or answers.json")


def load_submission(folder: Path | str) -> Submission:
    """Read and validate a student's answers file; the student is the folder's name."""
    folder = Path(folder)
    path = answers_file(folder)
    if path.suffix == ".json":
        data, text = read_json(path, SubmissionError, within=folder)
    else:
        data, text = read_toml(path, SubmissionError, within=folder)
    if not isinstance(data, dict):
        raise SubmissionError(f"{path.name}: the top level must be a table/object")
    aid = data.get("assignment")
    if aid is not None and not isinstance(aid, (str, int)):
        raise SubmissionError(f"{path.name} line {key_line(text, 'assignment')}: assignment = "
                              f"{aid!r} must be an id string")
    answers = data.get("answers", {})
    if not isinstance(answers, dict):
        raise SubmissionError(f"{path.name} line {key_line(text, 'answers')}: [answers] must be a "
                              "table of question id = answer")
    claims = data.get("claims", {})
    if not isinstance(claims, dict) or not all(isinstance(v, dict) for v in claims.values()):
        raise SubmissionError(f"{path.name} line {key_line(text, 'claims')}: [claims.\"ID\"] must "
                              "be tables")
    return Submission(folder_student(folder), None if aid is None else str(aid),
                      {str(k): v for k, v in answers.items()},
                      {str(k): v for k, v in claims.items()}, folder, path, text,
                      data.get("student"))


def identity_check(submission: Submission) -> IntegrityCheck | None:
    """A `warn` row when the answers file names another student than the folder is."""
    stated = submission.stated_student
    if stated is None:
        return None
    from grader.i18n import _
    line = submission.line_of("student")
    where = (_("{file} line {line}").format(file=submission.path.name, line=line) if line
             else submission.path.name)
    if isinstance(stated, bool) or not isinstance(stated, (str, int)):
        return IntegrityCheck("student", CheckStatus.WARN, _(
            "{where}: student = {stated} is not a name; graded as folder {folder}").format(
                where=where, stated=_quoted(stated), folder=repr(submission.student)))
    if _same_name(str(stated), submission.student):
        return None
    return IntegrityCheck("student", CheckStatus.WARN, _(
        "{where} says student = {stated}, but the folder is {folder}; graded as {folder} (the "
        "folder decides whose grade it is)").format(where=where, stated=_quoted(stated),
                                                    folder=repr(submission.student)))


def _same_name(a: str, b: str) -> bool:
    """Names that differ only in case, spacing or Unicode form are the same name."""
    def norm(s: str) -> str:
        return unicodedata.normalize("NFC", s).strip().casefold()
    return norm(a) == norm(b)


def _quoted(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_ids(submission: Submission, question_ids: set[str], claim_ids: set[str]) -> None:
    """An answer to a question the assignment does not have is a typo worth stopping for."""
    for qid in submission.answers:
        if qid not in question_ids:
            known = ", ".join(sorted(question_ids)) or "none"
            raise SubmissionError(f'{submission.where(qid)}: "{qid}" is not a question of this '
                                  f"assignment (questions: {known})")
    for cid in submission.claims:
        if cid not in claim_ids:
            known = ", ".join(sorted(claim_ids)) or "none"
            raise SubmissionError(f'{submission.where(cid)}: claim "{cid}" is not a claim of '
                                  f"this assignment (claims: {known})")
