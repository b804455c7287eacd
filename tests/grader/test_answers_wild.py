"""Answers as the seed students write them, marked as a TA would mark them (answers_wild.json).

Each case is graded through `marking.grade_question` against a question of the table's own
`questions`, and must get the TA's status, score fraction and named mistake. Cases marked
`known_gap` are verdicts this grader does not reach yet: they run as strict xfails, so fixing one
shows up. `test_agreement` prints the share of all cases marked as a TA would.
"""
from __future__ import annotations

from typing import Any

import pytest

from answer_corpus import AnswerCorpus, wanted

CORPUS = AnswerCorpus("answers_wild.json")
QUESTIONS = CORPUS.questions


@pytest.mark.parametrize("case", CORPUS.params())
def test_marked_as_a_ta_would(case: dict[str, Any]) -> None:
    CORPUS.agrees(case)


def test_agreement() -> None:
    marked = CORPUS.verdicts()
    agree = sum(v == wanted(c) for c, v in marked)
    right = [v[0] == "correct" for c, v in marked if c["status"] == "correct"]
    wrong = [v == wanted(c) for c, v in marked if c["status"] in ("incorrect", "partial")]
    print(f"\nanswers_wild: {agree}/{len(marked)} marked as a TA would "
          f"({100 * agree / len(marked):.1f}%); right answers read {sum(right)}/{len(right)}, "
          f"wrong ones caught with the TA's mark {sum(wrong)}/{len(wrong)}")
    assert len(marked) >= 200
    assert agree == len(marked) - CORPUS.known_gaps()


def test_every_case_names_its_source_and_a_known_question() -> None:
    for case in CORPUS.cases:
        assert case["source"] and case["q"] in QUESTIONS


def test_feedback_says_how_a_sentence_was_read() -> None:
    case = {"q": "1.3", "answer": "参数总数为 5×5×3×16+16 = 1216 个"}
    assert "Read 1216 from your sentence." in CORPUS.graded(case).feedback


def test_two_candidates_are_named_in_the_students_notation() -> None:
    result = CORPUS.graded({"q": "6.5", "answer": "形状从 3×3 变为 3×2"})
    assert "3×3 and 3×2" in result.feedback and "*" not in result.feedback


def test_an_arithmetic_slip_is_named_without_the_expected_value() -> None:
    result = CORPUS.graded({"q": "1.2", "answer": "15×15×32 = 7220"})
    assert "arithmetic slip" in result.feedback and "7200" not in result.feedback


def test_messages_quote_the_students_notation() -> None:
    """An unparsable answer's message never shows a × the student wrote as `*`."""
    for case in CORPUS.cases:
        result = CORPUS.graded(case)
        if result.status == "unparsable" and "×" in str(case["answer"]):
            assert "*" not in result.feedback.replace(str(case["answer"]), ""), result.feedback


ROWS = [  # (answer, form, the registry row that claims it, value)
    ("Total params: 11,173,962\nTrainable params: 11,173,962", "int", "summary footer",
     11173962),
    ("torch.Size([3, 2])", "shape", "torch.Size", (3, 2)),
    ("tensor([[1., 2.]], device='cuda:0', dtype=torch.float64)", "matrix", "tensor/array print",
     [[1.0, 2.0]]),
    ("array(1216)", "int", "tensor/array print", 1216),
    ("[[1 2]\n [3 4]]", "matrix", "plain", [[1.0, 2.0], [3.0, 4.0]]),
    ("2\\begin{bmatrix}1 & 2\\end{bmatrix}", "matrix", "LaTeX matrix", [[2.0, 4.0]]),
    ("W^K \\in \\mathbb{R}^{8 \\times 4}", "shape", "LaTeX \\mathbb{R}", (8, 4)),
    ("O = [[3, 4]]", "matrix", "name =", [[3.0, 4.0]]),
    ("11.17M", "int", "number with a suffix", 11170000),
    ("(3) 1216。", "int", "label and full stop", 1216),
    ("共 １２１６ 个参数", "int", "sentence", 1216),
]


@pytest.mark.parametrize(("raw", "form", "row", "value"), ROWS, ids=[r[2] for r in ROWS])
def test_the_registry_records_which_row_read_the_answer(raw: str, form: str, row: str,
                                                        value: Any) -> None:
    from grader.answers import NOTATIONS, read
    reading = read(raw, form)
    assert (reading.notation, reading.value) == (row, value)
    assert row == "plain" or row in {n.name for n in NOTATIONS}


@pytest.mark.parametrize("level", ["format", "correctness"])
def test_every_feedback_level_says_how_the_answer_was_read(level: str) -> None:
    from grader.grading import redact
    from grader.results import Result
    result = CORPUS.graded({"q": "1.2", "answer": "总元素数量为 15×15×32 = 7220"})
    (shown,) = redact(Result("s", "hw", [result]), level).questions
    assert "Read 7220 after the last =." in shown.feedback
    assert ("arithmetic slip" in shown.feedback) is (level == "correctness")
    assert "7200" not in shown.feedback
