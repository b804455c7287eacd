"""A whole class graded in Chinese leaves no English sentence on any page: the terminal report,
each student's HTML report, the class page and the similarity pages, for a class whose claims
are really re-run (one verified, the others failing inside the sandbox in the ways students make
them fail), whose answers files draw every forgiving warning, and whose students share work.

The assignment and the answers are made up for this test; the model, checkpoint and training
log are the demo's (submissions/alice), copied as they are. The broken model files below are
made up too.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rich.console import Console

from english_scan import english_runs
from grader.batch import run_batch
from grader.i18n import use_language
from grader.report import print_terminal
from grader.results import ClaimStatus
from grader.similar import run_similar

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "submissions" / "alice"
TITLE = "卷积与分类"

ASSIGNMENT = f"""[assignment]
id = "hw-zh"
title = "{TITLE}"
lang = "zh"

[[question]]
id = "1"
kind = "value"
points = 2
answer = 896

[[question]]
id = "2"
kind = "expression"
points = 1
answer = "1/sqrt(2)"

[[question]]
id = "3.1"
kind = "value"
points = 1
answer = 7200

[[claim]]
id = "5"
task = "classification"
metric = "accuracy"
dataset = "digits"
split = "test"
tolerance = 1.0
target = 90.0
points = 10
timeout = 120
"""

CLAIM = ('[claims."5"]\nvalue = {value}\ncode = "{code}"\nmodel = "{model}"\n'
         'kwargs = {kwargs}\ncheckpoint = "digits_mlp.pt"\nlog = "train.log"\n'
         'normalize = {{ mean = [0.3], std = [0.35] }}\n')

NET_NEEDING_HELPERS = """import torch.nn as nn
from my_helpers import HIDDEN


class DigitsMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, HIDDEN)
"""

# student: (answers, claim fields, extra files)
STUDENTS = {
    # all right, the demo's claim as alice made it: verified
    "ann": ('"1" = 896\n"2" = "1/sqrt(2)"\n"3.1" = 7200\n',
            dict(value=92.2, code="model.py", model="make_model", kwargs="{ hidden = 64 }"), {}),
    # ann's files (a similar pair); every forgiving warning; a model name the code lacks
    "ben": ('"1" = 895\n"9" = 3\n3.1 = 7200\n',
            dict(value=92.2, code="model.py", model="Net", kwargs="{ hidden = 64 }"), {}),
    # an unreadable answer; a keyword the constructor does not take
    "cat": ('"1" = "see my sheet"\n"2" = "sqrt(2)/2"\n',
            dict(value=95.0, code="model.py", model="DigitsMLP", kwargs="{ width = 3 }"), {}),
    # code importing a module nobody handed in; a checkpoint that is not one
    "dan": ('"1" = 896\n',
            dict(value=92.2, code="net.py", model="DigitsMLP", kwargs="{}"),
            {"net.py": NET_NEEDING_HELPERS,
             "digits_mlp.pt": "this is not a checkpoint\n"}),
}
EXTRA_ANSWERS = {"ben": 'student = "benjamin"\n', "ann": ""}
EXTRA_CLAIMS = {"ben": '\n[claims."7"]\nvalue = 50.0\n'}


def make_class(tmp: Path) -> tuple[Path, Path]:
    asg = tmp / "assignments" / "hw-zh"
    asg.mkdir(parents=True)
    (asg / "assignment.toml").write_text(ASSIGNMENT, encoding="utf-8")
    root = tmp / "class"
    for name, (answers, claim, files) in STUDENTS.items():
        folder = root / name
        folder.mkdir(parents=True)
        for f in ("model.py", "digits_mlp.pt", "train.log"):
            shutil.copyfile(DEMO / f, folder / f)
        for f, text in files.items():
            (folder / f).write_text(text, encoding="utf-8")
        text = ('assignment = "hw-zh"\n' + EXTRA_ANSWERS.get(name, "") + "\n[answers]\n"
                + answers + "\n" + CLAIM.format(**claim) + EXTRA_CLAIMS.get(name, ""))
        (folder / "answers.toml").write_text(text, encoding="utf-8")
    return root, asg


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("zh-class")
    root, asg = make_class(tmp)
    out = tmp / "out"
    outcome = run_batch(root, asg, jobs=2, out=out, db=tmp / "book.sqlite", quiet=True)
    return root, asg, out, outcome


# What the students wrote and the assignment's own names (its title, the claim's dataset and
# split) are data, not the grader's words.
DATA = (TITLE, "digits test", "see my sheet", "sqrt(2)/2", "1/sqrt(2)", "benjamin")


def assert_chinese(name: str, text: str) -> None:
    runs = english_runs(text, DATA)
    assert runs == [], f"{name} still has English: {runs[:12]}"



@pytest.mark.slow
def test_the_class_exercises_claims_warnings_and_similar_pairs(graded) -> None:
    _, _, out, outcome = graded
    by = {r.student: r for r in outcome.results}
    assert by["ann"].claims[0].status is ClaimStatus.VERIFIED
    assert {by[s].claims[0].status for s in ("ben", "cat", "dan")} == {ClaimStatus.ERROR}
    checks = [i.check for i in by["ben"].integrity]
    assert checks.count("answers file") == 3 and "student" in checks     # 9, 3.1 and claim 7
    assert (out / "similar" / "ann--ben.html").is_file()


@pytest.mark.slow
def test_student_reports_are_chinese_in_html_and_on_the_terminal(graded) -> None:
    _, _, out, outcome = graded
    for result in outcome.results:
        assert_chinese(f"{result.student}.html",
                       (out / f"{result.student}.html").read_text(encoding="utf-8"))
        console = Console(record=True, width=200, color_system=None, force_terminal=False)
        with use_language("zh"):
            print_terminal(result, console)
        assert_chinese(f"{result.student} on the terminal", console.export_text())


@pytest.mark.slow
def test_class_page_and_similarity_pages_are_chinese(graded) -> None:
    _, _, out, _ = graded
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in page and "已验证" in page and "出错" in page
    assert_chinese("index.html", page)
    pages = sorted((out / "similar").glob("*.html"))
    assert len(pages) >= 2
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert '<html lang="zh">' in text
        assert_chinese(f"similar/{path.name}", text)


@pytest.mark.slow
def test_batch_and_similar_terminal_lines_are_chinese(graded, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root, asg, _, outcome = graded
    outcome.show()
    run_similar(root, asg, tmp_path / "similar").show(Console(width=200))
    printed = capsys.readouterr().out
    assert "名学生" in printed and "对得分不低于" in printed
    assert_chinese("the terminal", printed.replace(str(tmp_path), "").replace(
        str(outcome.out.parent), ""))
