"""Details built from numbers (comparisons, parse errors, claim and log verdicts, the class page)
come out in the students' language, with the same numbers, and unchanged in English."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.answers import Form, compare, read
from grader.assignment import Assignment, Claim, Question
from grader.claims import judge
from grader.classpage import render_class_page
from grader.errors import AnswerParseError
from grader.i18n import use_language
from grader.logs import log_verdict
from grader.results import ClaimResult, ClaimStatus, QuestionResult, QuestionStatus, Result

LOGS = Path(__file__).parent / "logs"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_comparison_detail_and_reading_note_follow_the_language() -> None:
    with use_language("en"):
        en = compare([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 5.0]], Form.MATRIX, None)
        how = read("There are 1216 trainable parameters.", Form.INT).how
    assert en.detail == "3 of 4 entries within tolerance"
    assert how == "read 1216 from your sentence"
    with use_language("zh"):
        zh = compare([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 5.0]], Form.MATRIX, None)
        how = read("There are 1216 trainable parameters.", Form.INT).how
    assert zh.fraction == en.fraction and zh.detail == "4 个元素中有 3 个在容差之内"
    assert "1216" in how and CJK.search(how)


def test_parse_error_names_the_answer_in_chinese() -> None:
    with use_language("zh"), pytest.raises(AnswerParseError) as e:
        read("see my handwritten sheet", Form.NUMBER)
    assert str(e.value).startswith('"see') and CJK.search(str(e.value))
    assert "is not" not in str(e.value)


def test_claim_reason_keeps_its_numbers_in_chinese() -> None:
    claim = Claim("5", "classification", "accuracy", "cifar10", points=10.0, tolerance=0.5)
    with use_language("en"):
        en = judge(claim, 92.2, 90.0)
    with use_language("zh"):
        zh = judge(claim, 92.2, 90.0)
    assert en[:2] == zh[:2] and en[2] == "claimed 92.2%, off by -2.20% (tolerance ±0.50%)"
    assert zh[2] == "声明值 92.2%，相差 -2.20%（容差 ±0.50%）"


def test_step_logs_still_say_step_in_chinese() -> None:
    path = LOGS / "wild" / "t2t_estimator_eval_issue.log"
    with use_language("zh"):
        v = log_verdict(path, 73.4, "accuracy")
    assert v.status is not None and "step 32000" in v.text and "epoch" not in v.text
    assert CJK.search(v.text)


def test_class_page_in_chinese(tmp_path: Path) -> None:
    asg = Assignment("hw", "Homework", "answers", (Question("1", "value", 1.0),),
                     (Claim("5", "classification", "accuracy", "digits", points=10.0),),
                     tmp_path / "assignment.toml")
    result = Result("ann", "hw", [QuestionResult("1", "value", QuestionStatus.CORRECT, 1.0, 1.0,
                                                 0.5, "0.5")],
                    [ClaimResult("5", ClaimStatus.VERIFIED, 91.0, 90.5, 1.0, 10.0, 10.0)])
    render_class_page([result], asg)   # compiled in English first: nothing may stay frozen in it
    with use_language("zh"):
        page = render_class_page([result], asg)
    assert '<html lang="zh">' in page and 'data-key="score"' in page     # keys stay English
    for english in ("Click a column header", "<h2>Students</h2>", "<th>question</th>",
                    "students ·", ">verified<"):
        assert english not in page, english
    for chinese in ("点击列标题排序", "<h2>学生</h2>", "已验证"):
        assert chinese in page, chinese


def test_grade_similar_speaks_the_chosen_language(tmp_path: Path) -> None:
    """`--lang zh`: the pages, the JSON's `detail` and the terminal in Chinese; keys, kinds
    and scores as in English. The training log is a real one (tests/grader/logs/wild)."""
    import json

    from click.testing import CliRunner

    from grader.cli import main
    log = next(p for p in sorted((LOGS / "wild").glob("*.log")) if p.stat().st_size > 2000)
    for student, name in (("x", "train.log"), ("y", "my_log.txt")):
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / name).write_bytes(log.read_bytes())
    runs = {lang: CliRunner().invoke(main, ["similar", str(tmp_path / "class"), "--out",
                                            str(tmp_path / lang), "--lang", lang, "--json"])
            for lang in ("en", "zh")}
    en, zh = (json.loads(runs[lang].stdout)["pairs"] for lang in ("en", "zh"))
    assert [(p["a"], p["b"], p["score"], list(p["evidence"])) for p in en] == \
        [(p["a"], p["b"], p["score"], list(p["evidence"])) for p in zh] == \
        [("x", "y", 1.0, ["log"])]
    assert en[0]["evidence"]["log"]["detail"].startswith("train.log and my_log.txt are the same")
    assert zh[0]["evidence"]["log"]["detail"].startswith("train.log 和 my_log.txt 是同一份日志")
    page = (tmp_path / "zh" / "x--y.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in page and "日志：1.000" in page and "← 全部配对" in page
    shown = CliRunner().invoke(main, ["similar", str(tmp_path / "class"), "--out",
                                      str(tmp_path / "zh"), "--lang", "zh"])
    assert "1 对得分不低于 0.3" in shown.output and "页面：" in shown.output


def test_the_english_scanner_finds_sentences_and_leaves_code_alone() -> None:
    from english_scan import english_runs
    assert english_runs("<p>未比较：not compared</p>") == ["not compared"]
    assert english_runs('<td title="share of the points lost">难度</td>') == \
        ["share of the points lost"]
    code = ("<p>model.py 第 3 行: TypeError: got an unexpected keyword 'x'：请删掉</p>"
            "<code>nn.Linear in features</code> `torch.save(model state)` conv1.weight "
            "checkpoint['best_acc'] 32×32×3 (T, B, vocab)")
    assert english_runs(code) == []
    assert english_runs("卷积：Your answer here", allowed=["Your answer here"]) == []
    english = (Path(__file__).parents[1] / "golden" / "demo_bob_en.html").read_text("utf-8")
    assert len(english_runs(english)) > 100        # the English page is full of sentences
