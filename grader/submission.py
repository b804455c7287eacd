"""A student's submission folder: `answers.toml` (or `answers.json`) plus the files claims name."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import SubmissionError
from grader.inputs import key_line, read_json, read_toml

ANSWER_FILES = ("answers.toml", "answers.json")


@dataclass(frozen=True)
class Submission:
    student: str
    assignment_id: str | None
    answers: dict[str, Any]
    claims: dict[str, dict[str, Any]]
    folder: Path
    path: Path                  # the answers file
    text: str = field(repr=False, default="")

    def line_of(self, key: str) -> int | None:
        """Line of an answer's key in the file, for messages."""
        return key_line(self.text, key)

    def where(self, key: str) -> str:
        line = self.line_of(key)
        return f"{self.path.name} line {line}" if line else self.path.name


def answers_file(folder: Path) -> Path:
    for name in ANSWER_FILES:
        if (folder / name).is_file():
            return folder / name
    if not folder.exists():
        raise SubmissionError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise SubmissionError(f"{folder}: not a folder")
    raise SubmissionError(f"{folder}: no answers.toml or answers.json")


def load_submission(folder: Path | str) -> Submission:
    """Read and validate a student's answers file; the student defaults to the folder name."""
    folder = Path(folder)
    path = answers_file(folder)
    if path.suffix == ".json":
        data, text = read_json(path, SubmissionError)
    else:
        data, text = read_toml(path, SubmissionError)
    if not isinstance(data, dict):
        raise SubmissionError(f"{path.name}: the top level must be a table/object")
    student = data.get("student", folder.resolve().name)
    if not isinstance(student, (str, int)) or not str(student).strip():
        raise SubmissionError(f"{path.name} line {key_line(text, 'student')}: student = "
                              f"{student!r} must be a name")
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
    return Submission(str(student), None if aid is None else str(aid),
                      {str(k): v for k, v in answers.items()},
                      {str(k): v for k, v in claims.items()}, folder, path, text)


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
