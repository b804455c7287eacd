"""The students' copy of an assignment (`grade release`), and how `grade check` reads one.

Students need the assignment file to run `grade check`, but the instructor's file is the key:
`value` / `expression` / `choice` questions hold typed-in answers, and a claim may point at a
private split (`imagefolder:PATH`, `text:PATH`). The students' copy, like Otter-Grader's and
nbgrader's student notebooks, is written apart from the instructor's:

  - `answer` is removed from `value`, `expression` and `choice` questions; computed kinds keep
    their params (the answer is computed from them, as the student must do);
  - a claim's private dataset path becomes `dataset = "private"`;
  - everything `feedback` governs is kept as it is, and `[assignment] copy = "student"` marks
    the file so the loader accepts the missing answers;
  - comments are dropped (an instructor's comment may hold an answer); manual.csv is never copied.

`grade check` against the copy grades what it can and lists the rest as not checked locally.
"""
from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader.answers import Form, parse
from grader.assignment import Assignment, Claim, load_assignment
from grader.errors import AnswerParseError, AssignmentError
from grader.i18n import N_, _
from grader.results import ClaimResult, ClaimStatus, QuestionResult, QuestionStatus

STUDENT_COPY = "student"                   # [assignment] copy = "student"
ANSWER_KINDS = ("value", "expression", "choice")
PRIVATE_DATASET = "private"
PRIVATE_DATASET_PREFIXES = ("imagefolder:", "text:")
# The forms a typed-in answer may take, tried in order when the answer itself is not there.
_FORMS = {"value": (Form.NUMBER, Form.MATRIX, Form.SHAPE), "expression": (Form.EXPRESSION,),
          "choice": (Form.CHOICE,)}


@dataclass(frozen=True)
class Release:
    path: Path                  # the students' assignment.toml
    removed: tuple[str, ...]    # what was taken out, e.g. "question 9.1: answer"
    copied: tuple[Path, ...]    # files copied beside it (the starter code)

    def show(self) -> None:
        import click
        click.echo(f"students' copy: {self.path}")
        for item in self.removed:
            click.echo(f"  removed {item}")
        for path in self.copied:
            click.echo(f"  copied {path.name}")


def release(assignment_path: Path, out: Path) -> Release:
    """Write the students' copy of the assignment at `assignment_path` into folder `out`."""
    assignment = load_assignment(assignment_path)       # never release a broken key
    if assignment.student_copy:
        raise AssignmentError(f"{assignment.path}: this is already a students' copy")
    out = Path(out)
    if out.resolve() == assignment.folder.resolve():
        raise AssignmentError(f"--out {out} is the assignment's own folder; the students' copy "
                              "would overwrite the key")
    data = tomllib.loads(assignment.path.read_text(encoding="utf-8"))
    removed = _strip(data)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "assignment.toml"
    target.write_text(_dump(data, assignment), encoding="utf-8")
    copied = _copy_starter(data, assignment.folder, out)
    load_assignment(target)                             # the copy must load as it stands
    return Release(target, tuple(removed), copied)


def _strip(data: dict[str, Any]) -> list[str]:
    """Remove answers and private paths in place; say what went."""
    removed = []
    data.setdefault("assignment", {})["copy"] = STUDENT_COPY
    for q in data.get("question", []):
        if q.get("kind") in ANSWER_KINDS and "answer" in q:
            del q["answer"]
            removed.append(f"question {q.get('id')}: answer")
    for c in data.get("claim", []):
        dataset = str(c.get("dataset", ""))
        if dataset.startswith(PRIVATE_DATASET_PREFIXES):
            c["dataset"] = PRIVATE_DATASET
            removed.append(f"claim {c.get('id')}: dataset path")
    return removed


def _dump(data: dict[str, Any], assignment: Assignment) -> str:
    import tomlkit
    head = (f"# Students' copy of {assignment.id!r}, written by `grade release`: run\n"
            "# `grade check` with it. Typed-in answers and private dataset paths are not in it.\n")
    for table in [*data.get("question", []), *data.get("claim", [])]:
        for key, value in list(table.get("params", {}).items()):
            table["params"][key] = _inline(value)
    return head + tomlkit.dumps(data)


def _inline(value: Any) -> Any:
    """A list of tables (a question's layers) as one inline table a line, as people write it."""
    import tomlkit
    if not (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
        return value
    array = tomlkit.array()
    for item in value:
        inline = tomlkit.inline_table()
        inline.update(item)
        array.append(inline)
    return array.multiline(True)


def _copy_starter(data: dict[str, Any], source: Path, out: Path) -> tuple[Path, ...]:
    starter = data.get("assignment", {}).get("starter")
    if not isinstance(starter, str):
        return ()
    src = (source / starter).resolve()
    if not src.is_relative_to(source.resolve()) or not src.is_file():
        return ()               # `grade validate` reports a bad starter; nothing to copy here
    dst = out / starter
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return (dst,)


# --- `grade check` against a students' copy ----------------------------------------------------

NOT_LOCAL = N_("Read; checked when graded (the answer is not in the students' copy).")
PRIVATE_CLAIM = N_("checked when graded, on a split that is not in the students' copy")


def answer_withheld(question: Any) -> bool:
    """A typed-in answer question whose answer the file does not hold (a students' copy)."""
    return question.kind in ANSWER_KINDS and question.answer is None


def read_only(result: QuestionResult, raw: Any) -> QuestionResult:
    """Whether the answer parses in a form its kind allows; never a score."""
    errors = []
    for form in _FORMS.get(result.kind, (Form.TEXT,)):
        try:
            parse(raw, form)
        except AnswerParseError as e:
            errors.append(str(e))
            continue
        return replace(result, status=QuestionStatus.MANUAL, feedback=_(NOT_LOCAL))
    return replace(result, status=QuestionStatus.UNPARSABLE,
                   feedback=f'"{result.id}": {errors[0] if errors else "cannot be read"}')


def private_claim(claim: Claim, spec: dict) -> ClaimResult | None:
    """A claim evaluated on a private split: not re-run by `grade check`."""
    if claim.dataset != PRIVATE_DATASET:
        return None
    claimed = spec.get("value")
    claimed = float(claimed) if isinstance(claimed, (int, float)) \
        and not isinstance(claimed, bool) else None
    return ClaimResult(claim.id, ClaimStatus.UNVERIFIABLE, claimed, None, claim.tolerance, 0.0,
                       claim.points, detail=_(PRIVATE_CLAIM), metric=claim.metric)


def not_checked(assignment: Assignment) -> list[str]:
    """The ids `grade check` cannot check with this file: withheld answers, private claims."""
    return [q.id for q in assignment.questions if answer_withheld(q)] + \
        [f"claim {c.id}" for c in assignment.claims if c.dataset == PRIVATE_DATASET]
