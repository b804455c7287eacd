"""One answers corpus file (answers_wild.json, answers_heldout.json): its questions, their
answer-key entries, and each case graded and compared the way a TA marks it.

Each case is graded through `marking.grade_question` against a question of the file's own
`questions` and must get the TA's status, score fraction and named mistake; a case marked
`known_gap` is a verdict the grader does not reach yet and runs as a strict xfail.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from grader.assignment import Question, Tolerance
from grader.key import expected
from grader.marking import grade_question
from grader.results import QuestionResult
from grader.submission import Submission

Verdict = tuple[str, float, "str | None"]


class AnswerCorpus:
    def __init__(self, name: str) -> None:
        data = json.loads((Path(__file__).parent / name).read_text(encoding="utf-8"))
        self.questions: dict[str, Any] = data["questions"]
        self.cases: list[dict[str, Any]] = data["cases"]
        self.entries = {qid: expected(self._question(qid)) for qid in self.questions}

    def _question(self, qid: str) -> Question:
        spec = self.questions[qid]
        tol = spec.get("tolerance")
        return Question(qid, spec["kind"], spec["points"], spec["params"],
                        Tolerance(**tol) if tol else None,
                        working_credit=spec.get("working_credit", 0.0))

    def graded(self, case: dict[str, Any]) -> QuestionResult:
        submission = Submission("student", None, {case["q"]: case["answer"]}, {}, Path("."),
                                Path("answers.toml"))
        return grade_question(self.entries[case["q"]], submission)

    def agrees(self, case: dict[str, Any]) -> QuestionResult:
        """The case graded; fails with the feedback unless it gets the TA's verdict."""
        result = self.graded(case)
        assert verdict(result) == wanted(case), result.feedback
        return result

    def verdicts(self) -> list[tuple[dict[str, Any], Verdict]]:
        """Every case with the verdict it gets, each graded once (the figures reuse them)."""
        return [(c, verdict(self.graded(c))) for c in self.cases]

    def known_gaps(self) -> int:
        return sum("known_gap" in c for c in self.cases)

    def params(self) -> list[Any]:
        """One pytest param per case; a `known_gap` case is a strict xfail naming why."""
        return [pytest.param(c, id=f"{c['q']}:{str(c['answer']).strip()[:30]}",
                             marks=[pytest.mark.xfail(reason=c["known_gap"], strict=True)]
                             if "known_gap" in c else []) for c in self.cases]


def verdict(result: QuestionResult) -> Verdict:
    return str(result.status), round(result.score / result.max_score, 3), result.mistake


def wanted(case: dict[str, Any]) -> Verdict:
    return case["status"], round(case["score"], 3), case["mistake"]
