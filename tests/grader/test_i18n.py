"""Reports in the students' language: the demo rendered in English and Chinese against golden
files, catalogs complete, JSON keys and status words untouched, CJK text drawn by a real font."""
from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner
from rich.console import Console

from bench.batch import answer_only_assignment
from english_scan import english_runs
from grader import report
from grader.assignment import load_assignment
from grader.cli import main
from grader.grading import GradeOptions, grade_folder
from grader.i18n import LOCALE_DIR, translations, use_language
from grader.key import compute_key
from grader.results import Result

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
STUDENTS = ("alice", "bob")
CATALOG = LOCALE_DIR / "zh" / "LC_MESSAGES" / "grader.po"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Result]:
    """The demo's answers graded in each language (claims left out: their re-run depends on the
    machine's sandbox, which would make the golden files differ from machine to machine)."""
    tmp = tmp_path_factory.mktemp("demo")
    path = answer_only_assignment(tmp / "assignments" / "demo")
    shutil.copy(ROOT / "assignments" / "demo" / "manual.csv", path.parent / "manual.csv")
    base = load_assignment(path)
    out = {}
    for student in STUDENTS:        # their answers, without the claim the assignment lost
        strip_claims(ROOT / "submissions" / student, tmp / "submissions" / student)
    for lang in ("en", "zh"):
        assignment = replace(base, lang=lang)
        for student in STUDENTS:
            out[(student, lang)] = grade_folder(tmp / "submissions" / student, assignment,
                                                GradeOptions())
    return out


def strip_claims(source: Path, folder: Path) -> Path:
    """The student's answers.toml without its [claims] tables (the assignment has none here)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (source / "answers.toml").read_text(encoding="utf-8")
    (folder / "answers.toml").write_text(text[:text.index("[claims")], encoding="utf-8")
    return folder


def render(result: Result, lang: str, ext: str) -> str:
    with use_language(lang):
        if ext == "html":
            return report.render_html(result, title="Demo: CNNs, RNNs and attention")
        if ext == "md":
            return report.render_markdown(result, title="Demo: CNNs, RNNs and attention")
        console = Console(record=True, width=120, color_system=None, force_terminal=False)
        report.print_terminal(result, console)
        return console.export_text()


def check_golden(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"golden file {path} is missing; create it with --update-golden and review it")
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if intended, rerun with --update-golden")


@pytest.mark.parametrize("ext", ["html", "md", "txt"])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("student", STUDENTS)
def test_demo_matches_golden_in_both_languages(demo, student: str, lang: str, ext: str,
                                               update_golden: bool) -> None:
    check_golden(f"demo_{student}_{lang}.{ext}", render(demo[(student, lang)], lang, ext),
                 update_golden)


def test_chinese_report_has_no_english_template_text(demo) -> None:
    html = render(demo[("bob", "zh")], "zh", "html")
    assert '<html lang="zh">' in html
    for english in ("Your answer", "Questions", "Expected", "Recognised mistake", "Working",
                    "Report by", ">incorrect<", ">partial<"):
        assert english not in html, english
    for chinese in ("你的答案", "题目", "标准答案", "识别出的错误", "解题过程", "部分正确"):
        assert chinese in html, chinese


@pytest.mark.parametrize("student", STUDENTS)
def test_chinese_demo_pages_hold_no_english_sentence(demo, student: str) -> None:
    """Only people's words stay English: the assignment's title, what the student wrote, the
    TA's comments in manual.csv; and the worked steps, which are formulas."""
    result = demo[(student, "zh")]
    with open(ROOT / "assignments" / "demo" / "manual.csv", encoding="utf-8") as f:
        comments = [row["comment"] for row in csv.DictReader(f) if row.get("comment")]
    people = ["Demo: CNNs, RNNs and attention", *comments,
              *(q.given for q in result.questions if isinstance(q.given, str)),
              *(step for q in result.questions for step in q.steps)]
    console = Console(record=True, width=1000, color_system=None, force_terminal=False)
    with use_language("zh"):
        report.print_terminal(result, console)      # wide: no step is cut across lines
    for name, text in (("html", render(result, "zh", "html")), ("txt", console.export_text())):
        assert english_runs(text, people) == [], name


def test_steps_stay_formulas_and_mistakes_are_translated_by_msgid(demo) -> None:
    en, zh = demo[("bob", "en")], demo[("bob", "zh")]
    for q_en, q_zh in zip(en.questions, zh.questions):
        assert q_en.steps == q_zh.steps                 # formulas are not translated
        assert q_en.mistake == q_zh.mistake             # the record keeps reference's English
        assert q_en.status == q_zh.status and q_en.score == q_zh.score
    named = [q for q in zh.questions if q.mistake]
    assert named
    with use_language("zh"):
        for q in named:
            assert report.mistake(q.mistake) != q.mistake, q.mistake
            assert report.mistake(q.mistake) in q.feedback
    html = render(zh, "zh", "html")
    assert "识别出的错误：</strong> 参数量漏了偏置" in html


def test_catalog_translates_every_message_and_every_demo_mistake() -> None:
    with open(CATALOG, "rb") as f:
        catalog = read_po(f, locale="zh")
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
    with open(LOCALE_DIR / "grader.pot", "rb") as f:
        template = read_po(f)
    assert {m.id for m in template if m.id} == {m.id for m in catalog if m.id}
    key = compute_key(load_assignment(ROOT / "assignments" / "demo"))
    names = {n for e in key.entries if e.worked for n in e.worked.mistakes}
    zh = translations("zh")
    assert names and [n for n in names if zh.gettext(n) == n] == []
    # placeholders survive translation
    for m in catalog:
        if m.id:
            assert set(re.findall(r"\{\w+\}|%\(\w+\)s", m.id)) == \
                set(re.findall(r"\{\w+\}|%\(\w+\)s", m.string)), m.id


def test_extraction_is_current(tmp_path: Path) -> None:
    """The committed template holds exactly what pybabel extracts now (run `make catalogs`)."""
    pybabel = shutil.which("pybabel", path=str(Path(__import__("sys").executable).parent))
    if pybabel is None:
        pytest.skip("pybabel not installed")
    out = tmp_path / "now.pot"
    run = subprocess.run([pybabel, "--quiet", "extract", "-F", "babel.cfg", "-k", "N_",
                          "--no-location", "--sort-output", "-o", str(out), "."], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    with open(out, "rb") as f:
        now = {m.id for m in read_po(f) if m.id}
    with open(LOCALE_DIR / "grader.pot", "rb") as f:
        committed = {m.id for m in read_po(f) if m.id}
    assert now == committed, ("catalog out of date; run `make catalogs`: new "
                              f"{sorted(now - committed)[:5]}, gone {sorted(committed - now)[:5]}")


def test_cli_lang_zh_keeps_json_keys_and_status_words(tmp_path: Path) -> None:
    course = tmp_path / "course"
    answer_only_assignment(course / "assignments" / "demo")
    strip_claims(ROOT / "submissions" / "bob", course / "submissions" / "bob")
    args = ["run", str(course / "submissions" / "bob"), "--out", str(tmp_path / "r"), "--json"]
    en = json.loads(CliRunner().invoke(main, args).stdout)
    zh = json.loads(CliRunner().invoke(main, [*args, "--lang", "zh"]).stdout)
    assert list(zh) == list(en)
    assert [q["status"] for q in zh["questions"]] == [q["status"] for q in en["questions"]]
    q13 = next(q for q in zh["questions"] if q["id"] == "1.3")
    assert q13["feedback"] == "可能的错误：参数量漏了偏置。"
    assert "你的答案" in (tmp_path / "r" / "bob.html").read_text(encoding="utf-8")


def test_lang_in_the_assignment_and_a_bad_lang(tmp_path: Path) -> None:
    course = tmp_path / "course"
    toml = answer_only_assignment(course / "assignments" / "demo")
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'feedback = "answers"', 'feedback = "correctness"\nlang = "zh"'), encoding="utf-8")
    strip_claims(ROOT / "submissions" / "bob", course / "submissions" / "bob")
    check = CliRunner().invoke(main, ["check", str(course / "submissions" / "bob")])
    assert check.exit_code == 0, check.output
    assert "题目" in check.stdout and "Questions" not in check.stdout
    english = CliRunner().invoke(main, ["check", str(course / "submissions" / "bob"),
                                        "--lang", "en"])
    assert "Questions" in english.stdout
    toml.write_text(toml.read_text(encoding="utf-8").replace('lang = "zh"', 'lang = "fr"'),
                    encoding="utf-8")
    bad = CliRunner().invoke(main, ["check", str(course / "submissions" / "bob")])
    assert bad.exit_code == 1
    assert bad.stderr.strip().endswith('lang = \'fr\' is not one of en, zh')
    assert "line" in bad.stderr


# --- the Chinese page in a real browser, with a CJK font -----------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _cjk_font() -> bool:
    fc = shutil.which("fc-list")
    return fc is not None and bool(subprocess.run([fc, ":lang=zh"], capture_output=True,
                                                  text=True).stdout.strip())


def _shot(tmp: Path, page: Path, name: str):
    from PIL import Image
    shot = tmp / f"{name}.png"
    run = subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
                          "--no-first-run", f"--user-data-dir={tmp / ('profile-' + name)}",
                          "--window-size=900,700", f"--screenshot={shot}", page.as_uri()],
                         capture_output=True, text=True, timeout=90, cwd=tmp)
    assert run.returncode == 0, run.stderr[-2000:]
    with Image.open(shot) as img:
        return img.convert("L").copy()


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None or not _cjk_font(),
                    reason="needs headless chromium and a CJK font: apt-get install chromium "
                           "fonts-noto-cjk (make test installs them where it can)")
def test_chinese_page_draws_real_glyphs_in_chromium(demo, tmp_path: Path) -> None:
    """Missing glyphs all draw as the same empty box, so two pages that differ only in which
    Chinese characters they hold look alike without a CJK font and differ with one."""
    from PIL import ImageChops
    html = render(demo[("bob", "zh")], "zh", "html")
    page = tmp_path / "bob.html"
    page.write_text(html, encoding="utf-8")
    swapped = tmp_path / "swapped.html"     # same layout, other characters of the same count
    swapped.write_text(html.replace("你的答案", "题目状态"), encoding="utf-8")
    a, b = _shot(tmp_path, page, "a"), _shot(tmp_path, swapped, "b")
    assert a.getextrema() != (255, 255) and a.getextrema()[0] < 128    # not a blank page
    assert ImageChops.difference(a, b).getbbox() is not None


def test_gradescope_results_in_chinese(tmp_path: Path) -> None:
    course = tmp_path / "course"
    answer_only_assignment(course / "assignments" / "demo")
    strip_claims(ROOT / "submissions" / "bob", course / "submissions" / "bob")
    result = CliRunner().invoke(main, ["run", str(course / "submissions" / "bob"), "--out",
                                       str(tmp_path / "r"), "--gradescope", str(tmp_path / "gs"),
                                       "--lang", "zh"])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "gs" / "results.json").read_text(encoding="utf-8"))
    assert doc["output"].startswith("得分 ")
    q13 = next(t for t in doc["tests"] if t["number"] == "1.3")
    assert q13["name"].startswith("第 1.3 题：")
    assert q13["output"].splitlines()[:2] == ["错误: 可能的错误：参数量漏了偏置。", "你的答案：864"]
    assert q13["status"] == "failed"            # Gradescope's own words stay
