"""The assignment file (`assignments/<id>/assignment.toml`): read, validate, find by id."""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from grader.errors import AssignmentError
from grader.inputs import key_line, read_toml

FEEDBACK_LEVELS = ("format", "correctness", "answers")
LANGUAGES = ("en", "zh")
QUESTION_KINDS = (
    "cnn.shapes", "cnn.flatten", "cnn.params", "model.summary", "attention.sdpa",
    "attention.multihead", "attention.grad", "rnn.unroll", "rnn.bptt",
    "cnn.receptive_field", "cnn.macs", "rnn.params", "transformer.params", "attention.positional",
    "mlp.backprop", "loss.cross_entropy", "optim.step",
    "value", "expression", "choice", "manual",
)
# Every key an assignment may hold, per level; anything else is a typo worth an error.
TOP_KEYS = ("assignment", "question", "claim")
ASSIGNMENT_KEYS = ("id", "title", "feedback", "lang", "starter", "description",
                   "copy")                # copy = "student": written by `grade release`
QUESTION_KEYS = ("id", "kind", "points", "params", "params_from", "tolerance", "answer", "title",
                 "working_credit")
TOLERANCE_KEYS = ("abs", "rel")
CLAIM_KEYS = ("id", "task", "metric", "dataset", "split", "tolerance", "target", "points",
              "timeout")
CLAIM_OPTIONS = ("scoring", "tokenizer", "layout", "bptt", "eval_batch_size", "vocab",
                 "normalize", "batch_size", "memory_mb", "allow_tf32")   # see claims.py
CLAIM_TASKS = ("classification", "language-model")
CLAIM_METRICS = {"classification": ("accuracy",), "language-model": ("perplexity",)}


@dataclass(frozen=True)
class Tolerance:
    """Numbers agree when |given − expected| <= abs + rel·|expected|."""

    abs: float = 0.01
    rel: float = 0.01


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    points: float
    params: dict[str, Any] = field(default_factory=dict)
    tolerance: Tolerance | None = None      # None: the kind's default
    answer: Any = None                      # value / expression / choice: the instructor's answer
    title: str = ""
    params_from: str | None = None          # the question whose params this one starts from
    working_credit: float = 0.0             # share of the points for right working with a slip


@dataclass(frozen=True)
class Claim:
    id: str
    task: str
    metric: str
    dataset: str
    split: str = "test"
    tolerance: float = 1.0
    target: float | None = None
    points: float = 0.0
    timeout: float = 600.0
    options: dict[str, Any] = field(default_factory=dict)   # tokenizer, layout, bptt, ...


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    feedback: str
    questions: tuple[Question, ...]
    claims: tuple[Claim, ...]
    path: Path                              # the assignment.toml
    lang: str = "en"                        # reports and feedback: en | zh (or --lang)
    student_copy: bool = False              # written by `grade release`: answers withheld

    @property
    def folder(self) -> Path:
        return self.path.parent

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    def claim(self, cid: str) -> Claim | None:
        return next((c for c in self.claims if c.id == cid), None)


QuestionCheck = Callable[["Question", "Where"], list[str]]


def load_assignment(path: Path | str, checks: Sequence[QuestionCheck] = ()) -> Assignment:
    """Read an assignment from its folder or its TOML file. `checks` add problems per question
    (key.py's params per kind), so that every problem of the file is reported in one run."""
    path = Path(path)
    if path.is_dir():
        path = path / "assignment.toml"
    data, text = read_toml(path, AssignmentError)
    where = Where(path, text)
    problems = unknown_keys(data, TOP_KEYS, where, "")
    head = data.get("assignment")
    if not isinstance(head, dict):
        raise AssignmentError(f"{path.name}: missing [assignment] table")
    problems += unknown_keys(head, ASSIGNMENT_KEYS, where, "[assignment]: ")
    aid = _req_str(head, "id", where, "assignment.id")
    feedback = head.get("feedback", "answers")
    if feedback not in FEEDBACK_LEVELS:
        raise AssignmentError(where.at("feedback", f"feedback = {feedback!r} is not one of "
                                       + ", ".join(FEEDBACK_LEVELS)))
    lang = head.get("lang", "en")
    if lang not in LANGUAGES:
        raise AssignmentError(where.at("lang", f"lang = {lang!r} is not one of "
                                       + ", ".join(LANGUAGES)))
    student_copy = head.get("copy") == "student"     # `grade release` withheld the answers
    questions = tuple(_collect(problems, _question, q, where, student_copy)
                      for q in _array(data, "question", where))
    claims = tuple(_collect(problems, _claim, c, where) for c in _array(data, "claim", where))
    problems += [p for q in questions if q is not None for check in checks for p in check(q, where)]
    if problems:
        raise AssignmentError(joined_problems(path, problems))
    _no_duplicates([q.id for q in questions] + [c.id for c in claims], where)
    questions = _with_params_from(questions, where)
    return Assignment(aid, str(head.get("title", aid)), feedback, questions, claims, path,
                      lang=lang, student_copy=student_copy)


def unknown_keys(table: Any, valid: tuple[str, ...], where: "Where", label: str,
                 after: str | None = None) -> list[str]:
    """`file line N: label unknown key "point"; did you mean "points"?` for each stray key."""
    if not isinstance(table, dict):
        return []
    problems = []
    for key in table:
        if key not in valid:
            near = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.5)
            hint = f'; did you mean "{near[0]}"?' if near else \
                f" (valid: {', '.join(valid)})"
            problems.append(where.at(str(key), f'{label}unknown key "{key}"{hint}', after))
    return problems


def _collect(problems: list[str], build: Any, table: dict, where: "Where", *extra: Any) -> Any:
    """build(table, where), its unknown keys and errors added to `problems` (None on error)."""
    try:
        return build(table, where, problems, *extra)
    except AssignmentError as e:
        problems.append(str(e))
        return None


def joined_problems(path: Path, problems: list[str]) -> str:
    """Every problem of the file on one line (the CLI shows one line)."""
    if len(problems) == 1:
        return problems[0]
    cut = [p.removeprefix(f"{path.name} ") for p in problems]
    return f"{path.name}: {len(problems)} problems: " + "; ".join(cut)


def _with_params_from(questions: tuple[Question, ...], where: "Where") -> tuple[Question, ...]:
    """`params_from = "6.1"`: the other question's params, with this question's own on top."""
    by_id = {q.id: q for q in questions}

    def resolved(q: Question, seen: tuple[str, ...]) -> dict[str, Any]:
        if q.params_from is None:
            return q.params
        anchor = f'id = "{q.id}"'
        source = by_id.get(q.params_from)
        if source is None:
            raise AssignmentError(where.at("params_from", f'question {q.id}: params_from = '
                                           f'"{q.params_from}" is not a question of this '
                                           "assignment", anchor))
        if source.id in seen:
            raise AssignmentError(where.at("params_from", f"question {q.id}: params_from "
                                           f"goes round in a circle ({' -> '.join(seen)})", anchor))
        return {**resolved(source, (*seen, source.id)), **q.params}

    return tuple(replace(q, params=resolved(q, (q.id,))) for q in questions)


def find_assignment(aid: str, near: list[Path]) -> Path:
    """Find `assignments/<aid>/assignment.toml` in the given folders or any of their parents."""
    seen: set[Path] = set()
    for start in near:
        for folder in [start.resolve(), *start.resolve().parents]:
            if folder in seen:
                continue
            seen.add(folder)
            for candidate in (folder / "assignments" / aid / "assignment.toml",
                              folder / aid / "assignment.toml"):
                if candidate.is_file():
                    return candidate
    raise AssignmentError(f"assignment {aid!r} not found under assignments/ here or in a parent "
                          "folder; pass --assignment PATH")


class Where:
    """Builds `file line N: message` strings."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def at(self, key: str, message: str, after: str | None = None) -> str:
        line = key_line(self.text, key, after)
        return f"{self.path.name} line {line}: {message}" if line else f"{self.path.name}: {message}"


def _array(data: dict, name: str, where: Where) -> list[dict]:
    items = data.get(name, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise AssignmentError(where.at(name, f"[[{name}]] must be an array of tables"))
    return items


def _req_str(table: dict, key: str, where: Where, label: str, after: str | None = None) -> str:
    value = table.get(key)
    if value is None:
        raise AssignmentError(where.at(after or key, f"{label} is missing", after))
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise AssignmentError(where.at(key, f"{label} = {value!r} must be a string", after))
    return str(value)


def _number(table: dict, key: str, default: float | None, where: Where, label: str,
            after: str | None = None) -> float | None:
    value = table.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0:
        raise AssignmentError(where.at(key, f"{label} {key} = {value!r} must be a non-negative "
                                       "finite number", after))
    return float(value)


def _question(q: dict, where: Where, problems: list[str], student_copy: bool = False
              ) -> Question:
    qid = _req_str(q, "id", where, "question id", after="[[question]]")
    anchor = f'id = "{qid}"'
    problems += unknown_keys(q, QUESTION_KEYS, where, f"question {qid}: ", anchor)
    kind = q.get("kind")
    if kind not in QUESTION_KINDS:
        raise AssignmentError(where.at("kind", f"question {qid}: kind = {kind!r} is not one of "
                                       + ", ".join(QUESTION_KINDS), anchor))
    points = _number(q, "points", 1.0, where, f"question {qid}:", anchor)
    params = q.get("params", {})
    if not isinstance(params, dict):
        raise AssignmentError(where.at("params", f"question {qid}: params must be a table", anchor))
    tol = q.get("tolerance")
    tolerance = None
    if tol is not None:
        if isinstance(tol, (int, float)) and not isinstance(tol, bool):
            tol = {"abs": tol, "rel": 0.0}
        problems += unknown_keys(tol, TOLERANCE_KEYS, where, f"question {qid}: tolerance ",
                                 anchor)
        if not isinstance(tol, dict):
            raise AssignmentError(where.at("tolerance", f"question {qid}: tolerance = {tol!r} "
                                           "must be { abs = ..., rel = ... }", anchor))
        tolerance = Tolerance(_number(tol, "abs", 0.0, where, f"question {qid}: tolerance", anchor),
                              _number(tol, "rel", 0.0, where, f"question {qid}: tolerance", anchor))
    answer = q.get("answer")
    if kind in ("value", "expression", "choice") and answer is None and not student_copy:
        raise AssignmentError(where.at("kind", f"question {qid}: kind {kind!r} needs an `answer`",
                                       anchor))
    params_from = q.get("params_from")
    if params_from is not None and not isinstance(params_from, str):
        raise AssignmentError(where.at("params_from", f"question {qid}: params_from = "
                                       f'{params_from!r} must be a question id like "6.1"', anchor))
    credit = _number(q, "working_credit", 0.0, where, f"question {qid}:", anchor) or 0.0
    if credit > 1:
        raise AssignmentError(where.at("working_credit", f"question {qid}: working_credit = "
                                       f"{credit:g} must be a share of the points, 0 to 1", anchor))
    return Question(qid, kind, points or 0.0, params, tolerance, answer, str(q.get("title", "")),
                    params_from, credit)


def _claim(c: dict, where: Where, problems: list[str]) -> Claim:
    cid = _req_str(c, "id", where, "claim id", after="[[claim]]")
    anchor = f'id = "{cid}"'
    problems += unknown_keys(c, CLAIM_KEYS + CLAIM_OPTIONS, where, f"claim {cid}: ", anchor)
    task = c.get("task", "classification")
    if task not in CLAIM_TASKS:
        raise AssignmentError(where.at("task", f"claim {cid}: task = {task!r} is not one of "
                                       + ", ".join(CLAIM_TASKS), anchor))
    metric = c.get("metric", CLAIM_METRICS[task][0])
    if metric not in CLAIM_METRICS[task]:
        raise AssignmentError(where.at("metric", f"claim {cid}: metric = {metric!r} does not fit "
                                       f"task {task!r}", anchor))
    dataset = _req_str(c, "dataset", where, f"claim {cid}: dataset", anchor)
    default_tol = 1.0 if metric == "accuracy" else 0.05
    known = {"id", "task", "metric", "dataset", "split", "tolerance", "target", "points", "timeout"}
    return Claim(
        id=cid, task=task, metric=metric, dataset=dataset, split=str(c.get("split", "test")),
        tolerance=_number(c, "tolerance", default_tol, where, f"claim {cid}:", anchor),
        target=_number(c, "target", None, where, f"claim {cid}:", anchor),
        points=_number(c, "points", 0.0, where, f"claim {cid}:", anchor) or 0.0,
        timeout=_number(c, "timeout", 600.0, where, f"claim {cid}:", anchor) or 600.0,
        options={k: v for k, v in c.items() if k not in known},
    )


def _no_duplicates(ids: list[str], where: Where) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise AssignmentError(where.at("id", f"id {i!r} is used twice", f'id = "{i}"'))
        seen.add(i)
