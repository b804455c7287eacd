"""The class page and a student page in a real browser (headless Chromium): no console
messages, the student table sorts, and the pages render to something that is not blank."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.batch import answer_only_assignment, make_class
from grader.assignment import load_assignment
from grader.classpage import write_class_page
from grader.grading import GradeOptions, grade_folder
from grader.report import write_reports
from grader.results import Result

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs headless chromium: apt-get install "
                       "chromium (.ci/run installs it)"),
]


def chromium(tmp: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
           "--window-size=1200,1600", *extra, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, cwd=tmp)


def console_messages(stderr: str) -> list[str]:
    """Every console.* call and uncaught error is logged as a `:CONSOLE` line."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Result]]:
    tmp = tmp_path_factory.mktemp("site")
    assignment = load_assignment(answer_only_assignment(tmp / "asg", light=True))
    results = [grade_folder(f, assignment, GradeOptions())
               for f in make_class(tmp / "class", 7, assignment.path, seed=11)]
    results.append(Result("zz-broken", assignment.id, error="answers.toml: TOML syntax error"))
    out = tmp / "out"
    for r in results[:-1]:
        write_reports(r, out, title=assignment.title)
    write_class_page(results, assignment, out)
    return out, results


def student_order(dom: str) -> list[str]:
    table = dom[dom.index('id="students"'):]
    return re.findall(r"<tr[^>]*>\s*<td data-sort=\"([^\"]*)\"", table)


@pytest.mark.parametrize("column, descending", [("score", True), ("score", False),
                                                ("student", True)])
def test_table_sorts_from_the_url(site: tuple[Path, list[Result]], tmp_path: Path,
                                  column: str, descending: bool) -> None:
    out, results = site
    url = (out / "index.html").as_uri() + f"#sort={'-' if descending else ''}{column}"
    run = chromium(tmp_path, url, "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    assert console_messages(run.stderr) == []
    graded = [r for r in results if r.error is None]
    if column == "score":
        want = [r.student for r in sorted(graded, key=lambda r: r.score, reverse=descending)]
        got = student_order(run.stdout)
        assert got[-1] == "zz-broken"                   # no score: last either way
        scores = {r.student: r.score for r in graded}
        assert [scores[s] for s in got[:-1]] == [scores[s] for s in want]
    else:
        assert student_order(run.stdout) == sorted((r.student for r in results),
                                                   reverse=descending)


@pytest.mark.parametrize("page", ["index.html", "s0000.html"])
def test_pages_render_without_console_errors(site: tuple[Path, list[Result]], tmp_path: Path,
                                             page: str) -> None:
    from PIL import Image
    out, _ = site
    shot = tmp_path / "shot.png"
    run = chromium(tmp_path, (out / page).as_uri(), f"--screenshot={shot}")
    assert run.returncode == 0, run.stderr[-2000:]
    assert console_messages(run.stderr) == []
    with Image.open(shot) as img:
        colors = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 1


def test_wide_class_page_scrolls_inside_the_table_box_at_1280px(tmp_path: Path) -> None:
    """40 questions, long names and a long wrong answer: at 1280 px the page itself has no
    horizontal overflow; the student table is wider than its box and scrolls inside it."""
    from grader.assignment import Assignment, Question
    from grader.results import QuestionResult, QuestionStatus
    questions = tuple(Question(f"{i // 10 + 1}.{i % 10 + 1}", "cnn.flatten", 2.0)
                      for i in range(40))
    assignment = Assignment("wide", "Wide homework", "answers", questions, (),
                            tmp_path / "assignment.toml")
    long_wrong = "卷积层 I 输出尺寸为 64×64×16，池化层 I 为 32×32×16，" * 4
    results = [Result(f"student-with-a-rather-long-name-{n:02d}", "wide", [
        QuestionResult(q.id, q.kind, QuestionStatus.INCORRECT, 0.0, 2.0, 7200, long_wrong)
        for q in questions]) for n in range(5)]
    out = tmp_path / "out"
    page = write_class_page(results, assignment, out).read_text(encoding="utf-8")
    probe = ("<script>var d = document.documentElement, box = document.getElementById("
             "'students-box'); document.body.setAttribute('data-page-overflow', d.scrollWidth - "
             "d.clientWidth); document.body.setAttribute('data-box-overflow', box.scrollWidth - "
             "box.clientWidth); document.body.setAttribute('data-width', d.clientWidth);</script>")
    (out / "probe.html").write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    run = chromium(tmp_path, (out / "probe.html").as_uri(), "--window-size=1280,900",
                   "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    assert console_messages(run.stderr) == []
    found = dict(re.findall(r'data-(page-overflow|box-overflow|width)="(-?\d+)"', run.stdout))
    assert int(found["width"]) in range(1260, 1281)     # the viewport, less any scroll bar
    assert int(found["page-overflow"]) == 0
    assert int(found["box-overflow"]) > 0
