"""Per-student reports: golden files for the rendered output, plus the properties that must hold
whatever the layout: self-contained HTML, escaped student text, nothing revealed below the
`answers` feedback level."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from grader import report
from grader.results import (CheckStatus, ClaimResult, ClaimStatus, IntegrityCheck, Part,
                            QuestionResult, QuestionStatus, Result)

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
LEVELS = ("answers", "correctness", "format")
FAKE_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 60 30" width="60" height="30">'
            '<polyline fill="none" stroke="#2f6fde" points="0,28 20,14 40,8 60,5"/></svg>')
HOSTILE = '<script>alert("x")</script>'


def full_marks() -> Result:
    return Result("alice", "dl-hw3", questions=[
        QuestionResult("1.1", "cnn.shapes", QuestionStatus.CORRECT, 4, 4,
                       expected=[[32, 32, 32], [16, 16, 32], [14, 14, 64], [7, 7, 64]],
                       given=["32x32x32", "(16, 16, 32)", "14×14×64", "7x7x64"],
                       feedback="All four shapes are right.",
                       steps=["conv 3×3 same: ceil(32/1) = 32 → 32×32×32",
                              "maxpool 2/2: (32 − 2)/2 + 1 = 16 → 16×16×32",
                              "conv 3×3 valid: (16 − 3)/1 + 1 = 14 → 14×14×64",
                              "maxpool 2/2: (14 − 2)/2 + 1 = 7 → 7×7×64"]),
        QuestionResult("1.2", "model.summary", QuestionStatus.CORRECT, 2, 2,
                       expected=11173962, given="11,173,962", feedback="Right.",
                       steps=["conv1 3·64·7·7 = 9,408", "…", "total 11,173,962"]),
        QuestionResult("2.1", "attention.sdpa", QuestionStatus.CORRECT, 3, 3,
                       expected=[["1/2", "1/2"], ["e/(1 + e)", "1/(1 + e)"]],
                       given=[[0.5, 0.5], [0.731, 0.269]], feedback="Matches to 3 digits.",
                       steps=["S = Q·Kᵀ", "S/√d_k with d_k = 4", "row softmax"]),
    ], claims=[
        ClaimResult("3", ClaimStatus.VERIFIED, claimed=91.3, measured=91.1, tolerance=1.0,
                    score=10, max_score=10, detail="Re-ran best_model.pth on 10,000 test images.",
                    metric="accuracy", log_verdict="The log's best test_acc, 91.3 at epoch 58, "
                    "matches the claim.", curves_svg=FAKE_SVG),
    ], integrity=[IntegrityCheck("checkpoint loads into the submitted model", CheckStatus.PASS,
                                 "all 122 tensors matched")])


def with_mistakes() -> Result:
    return Result("bob", "dl-hw3", questions=[
        QuestionResult("1.1", "cnn.shapes", QuestionStatus.PARTIAL, 2.5, 4,
                       expected=[[32, 32, 32], [16, 16, 32], [14, 14, 64], [7, 7, 64]],
                       given=["30x30x32", "15x15x32", "13x13x64", "6x6x64"],
                       feedback="3 of 4 layers earn follow-through credit.",
                       steps=["conv 3×3 same: ceil(32/1) = 32 → 32×32×32",
                              "maxpool 2/2: (32 − 2)/2 + 1 = 16 → 16×16×32"],
                       mistake="'valid' padding used where the layer says 'same'",
                       parts=[Part("layer 1", [32, 32, 32], "30x30x32", False,
                                   "'valid' padding gives 30, 'same' keeps 32"),
                              Part("layer 2", [16, 16, 32], "15x15x32", True,
                                   "follow-through from your layer 1"),
                              Part("layer 3", [14, 14, 64], "13x13x64", True,
                                   "follow-through from your layer 2"),
                              Part("layer 4", [7, 7, 64], "6x6x64", True,
                                   "follow-through from your layer 3")]),
        QuestionResult("1.2", "cnn.params", QuestionStatus.INCORRECT, 0, 2,
                       expected=896, given="864", feedback="Expected 896: 3·3·3·32 + 32.",
                       steps=["3·3·3·32 weights = 864", "+ 32 biases = 896"],
                       mistake="parameters without the biases"),
        QuestionResult("2.1", "attention.sdpa", QuestionStatus.INCORRECT, 0, 3,
                       expected=[["1/2", "1/2"], [0.7311, -0.2689]],
                       given=[[1, 2], [HOSTILE, "|a|"]],
                       feedback="The scores were not divided by √d_k.",
                       steps=["S = Q·Kᵀ", "S/√d_k with d_k = 4"]),
        QuestionResult("2.2", "attention.multihead", QuestionStatus.MISSING, 0, 1,
                       expected=[512, 64], given=None, steps=["d_k = d_model/h = 512/8 = 64"]),
        QuestionResult("2.3", "value", QuestionStatus.UNPARSABLE, 0, 1,
                       expected=0.7071067811865476, given="<img src=x onerror=alert(1)>",
                       feedback="cannot read '<img src=x onerror=alert(1)>' as a number"),
        QuestionResult("3", "manual", QuestionStatus.MANUAL, 4, 5, expected=None,
                       given="Gradients vanish: [bold red]tanh'[/] < 1\n| twice |",
                       feedback="Graded by hand (TA: kim)."),
    ], claims=[
        ClaimResult("4", ClaimStatus.REFUTED, claimed=91.3, measured=84.6, tolerance=1.0,
                    score=0, max_score=10, detail="Re-run gives 84.6%, 6.7 points below the claim.",
                    metric="accuracy", log_verdict="The log never reports more than 85.2.",
                    curves_svg=FAKE_SVG),
        ClaimResult("5", ClaimStatus.ERROR, claimed=123.4, measured=None, tolerance=0.05,
                    score=0, max_score=5, detail="model.py raised ImportError: no module 'timm'",
                    metric="perplexity"),
        ClaimResult("6", ClaimStatus.UNVERIFIABLE, claimed=None, measured=None, tolerance=1.0,
                    score=0, max_score=0, detail="No checkpoint was submitted.",
                    metric="accuracy"),
    ], integrity=[
        IntegrityCheck("checkpoint loads into the submitted model", CheckStatus.PASS),
        IntegrityCheck("log covers the planned epochs", CheckStatus.WARN, "30 of 60 epochs"),
        IntegrityCheck("answers.toml student id", CheckStatus.FAIL, "says 'carol', folder 'bob'"),
    ])


CASES = {"full": full_marks, "mistakes": with_mistakes}


def terminal_text(result: Result, feedback: str = "answers") -> str:
    console = Console(record=True, width=100, color_system=None)
    report.print_terminal(result, console, feedback=feedback)
    return console.export_text()


def render(result: Result, ext: str, feedback: str = "answers") -> str:
    if ext == "html":
        return report.render_html(result, title="CNNs, RNNs and attention", feedback=feedback,
                                  sandbox_note="Claims re-run offline in a sandbox.")
    if ext == "md":
        return report.render_markdown(result, title="CNNs, RNNs and attention",
                                      feedback=feedback)
    return terminal_text(result, feedback)


def check_golden(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"golden file {path} is missing; create it with "
                    f"`pytest tests/grader/test_report.py --update-golden` and review it")
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if the change is intended, rerun with "
        "--update-golden and review the diff")


GOLDEN_CASES = [(case, "answers", ext) for case in CASES for ext in ("html", "md", "txt")]
GOLDEN_CASES += [("mistakes", level, ext) for level in ("correctness", "format")
                 for ext in ("html", "md", "txt")]


@pytest.mark.parametrize(("case", "level", "ext"), GOLDEN_CASES)
def test_output_matches_golden_file(case: str, level: str, ext: str, update_golden: bool) -> None:
    suffix = "" if level == "answers" else f"_{level}"
    check_golden(f"report_{case}{suffix}.{ext}", render(CASES[case](), ext, level),
                 update_golden)


# --- self-contained HTML ---------------------------------------------------------------------

SVG_NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")


class _Tags(HTMLParser):
    """The page's real tags and attributes (escaped text such as `&lt;img src=x&gt;` is text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_style = tag == "style"
        if tag in ("link", "script", "iframe", "object", "embed", "img", "image"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip()
            if name == "src" or name.startswith("on"):
                self.found.append(f"{name}={value}")
            elif name.endswith("href") and not value.startswith("#"):
                self.found.append(f"{name}={value}")
            elif name == "style" and re.search(r"url\(|@import", value):
                self.found.append(f"style={value}")

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False

    def handle_data(self, data: str) -> None:
        if self.in_style and re.search(r"url\((?!#)|@import", data):
            self.found.append("style sheet loads a resource")


def off_page_references(page: str) -> list[str]:
    """Every URL in the page, and every tag or attribute that would load or run something."""
    found = [u for u in re.findall(r"""https?://[^\s"'<>)]+""", page)
             if u not in SVG_NAMESPACES]
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return found + parser.found


def matplotlib_svg() -> str:
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2, 3], [40.0, 71.5, 88.2], label="test_acc")
    ax.legend()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    return buf.getvalue()


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("case", CASES)
def test_html_loads_nothing_from_outside(case: str, level: str) -> None:
    page = report.render_html(CASES[case](), feedback=level)
    assert off_page_references(page) == []
    assert "<style>" in page                # the design travels inside the file


def test_a_real_matplotlib_plot_is_inlined_without_its_metadata_urls() -> None:
    svg = matplotlib_svg()
    assert off_page_references(svg)         # matplotlib's own file names dc/cc/rdf URLs
    result = full_marks()
    result.claims[0].curves_svg = svg
    page = report.render_html(result)
    assert off_page_references(page) == []
    assert "<svg" in page and "<?xml" not in page and "<!DOCTYPE svg" not in page


@pytest.mark.parametrize("svg", [
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)">x</a></svg>',
    '<div>not an svg</div>',
])
def test_svg_that_runs_or_loads_anything_is_left_out(svg: str) -> None:
    result = full_marks()
    result.claims[0].curves_svg = svg
    page = report.render_html(result)
    assert off_page_references(page) == []
    assert "alert(1)" not in page and "not an svg" not in page
    assert "plot left out" in page


def test_a_typical_page_stays_small() -> None:
    for make in CASES.values():
        assert len(report.render_html(make()).encode()) < 30_000


# --- hostile student text --------------------------------------------------------------------

def hostile_result() -> Result:
    result = with_mistakes()
    result.student = HOSTILE
    result.questions[0].given = [HOSTILE, "16x16x32"]
    result.questions[0].parts[0].given = HOSTILE
    result.questions[1].given = HOSTILE
    result.claims[0].detail = f"log line: {HOSTILE}"
    result.integrity[0].detail = HOSTILE
    return result


@pytest.mark.parametrize("level", LEVELS)
def test_html_escapes_everything_the_student_wrote(level: str) -> None:
    page = report.render_html(hostile_result(), feedback=level)
    assert "<script" not in page
    assert "<img" not in page
    assert html.escape(HOSTILE, quote=False) in page.replace("&#34;", '"')


@pytest.mark.parametrize("level", LEVELS)
def test_markdown_has_no_raw_html_outside_code_blocks(level: str) -> None:
    text = report.render_markdown(hostile_result(), feedback=level)
    prose = re.sub(r"```text\n.*?```", "", text, flags=re.DOTALL)
    assert re.findall(r"(?<!\\)<", prose) == []
    # A stray pipe would add a column: every row of a table has as many as its header.
    columns = [len(re.findall(r"(?<!\\)\|", line)) for line in prose.splitlines()]
    for line, n, before in zip(prose.splitlines(), columns, [0, *columns]):
        assert n == 0 or line.startswith("|"), line
        assert before == 0 or n == 0 or before == n, line


def test_terminal_shows_rich_markup_in_answers_literally() -> None:
    result = with_mistakes()
    text = terminal_text(result, "format")
    assert result.questions[4].feedback in text      # the parse error, with its <img ...>
    result.questions[5].feedback = "[bold red]not markup[/]"
    assert "[bold red]not markup[/]" in terminal_text(result)


def test_terminal_does_not_pass_escape_sequences_through() -> None:
    result = with_mistakes()
    result.questions[4].feedback = "cannot read '\x1b[2J\x1b]0;pwned\x07' as a number"
    text = terminal_text(result)
    assert "\x1b" not in text and "\x07" not in text
    assert "[2J" in text                     # the rest of the answer is still shown


# --- feedback levels -------------------------------------------------------------------------

def revealing_strings(result: Result) -> list[str]:
    """Expected values, steps, mistakes, notes and measured metrics, as the reports write them."""
    out: list[str] = []
    for q in result.questions:
        if q.expected is not None:
            out.append(report.fmt_answer(q.expected, q.kind))
            out += [cell for row in report.matrix_rows(q.expected, q.kind) for cell in row]
        out += q.steps
        out += [q.mistake] if q.mistake else []
        out += [report.fmt_answer(p.expected, q.kind) for p in q.parts]
        out += [p.note for p in q.parts]
    out += [report.metric_value(c.measured, c.metric) for c in result.claims
            if c.measured is not None]
    return out


@pytest.mark.parametrize("ext", ["html", "md", "txt"])
@pytest.mark.parametrize("level", ["correctness", "format"])
def test_lower_levels_reveal_no_expected_value(level: str, ext: str) -> None:
    result = with_mistakes()
    text = render(result, ext, level)
    if ext == "html":
        text = html.unescape(text)
    elif ext == "md":
        text = text.replace("\\", "")
    leaks = [s for s in revealing_strings(result) if s in text]
    assert leaks == []
    assert "896" not in text                 # the feedback line "Expected 896: ..." is replaced


@pytest.mark.parametrize("ext", ["html", "md", "txt"])
def test_correctness_level_still_says_right_or_wrong_and_gives_points(ext: str) -> None:
    result = with_mistakes()
    text = render(result, ext, "correctness")
    for q in result.questions:
        assert str(q.status) in text
        assert f"{report.fmt_points(q.score)} / {report.fmt_points(q.max_score)}" in text
    assert "refuted" in text


@pytest.mark.parametrize("ext", ["html", "md", "txt"])
@pytest.mark.parametrize("case", CASES)
def test_format_level_shows_no_scores_or_verdicts(case: str, ext: str) -> None:
    result = CASES[case]()
    text = re.sub(r"<style>.*?</style>", "", render(result, ext, "format"), flags=re.DOTALL)
    assert re.findall(r"\d\s*/\s*\d", text) == []
    verdicts = r"\b(correct|partial|incorrect|verified|refuted|unverifiable)\b"
    assert re.findall(verdicts, text, re.IGNORECASE) == []
    assert "parsed" in text


@pytest.mark.parametrize("level", LEVELS)
def test_statuses_given_as_plain_strings_render_like_the_enums(level: str) -> None:
    plain = with_mistakes()
    for item in [*plain.questions, *plain.claims, *plain.integrity]:
        item.status = str(item.status)
    for ext in ("html", "md", "txt"):
        assert render(plain, ext, level) == render(with_mistakes(), ext, level)


def test_unknown_feedback_level_is_refused() -> None:
    with pytest.raises(ValueError, match="'everything'"):
        report.render_markdown(full_marks(), feedback="everything")


# --- formatting helpers ----------------------------------------------------------------------

@pytest.mark.parametrize(("value", "kind", "shown"), [
    (11173962, "model.summary", "11,173,962"),
    (896.0, "cnn.params", "896"),
    (-0.25, "attention.sdpa", "−0.25"),
    (1.5e-05, "value", "1.5×10⁻⁵"),
    ([32, 32, 3], "cnn.shapes", "32×32×3"),
    ([512, 64], "attention.multihead", "512×64"),
    ([[32, 32, 32], [16, 16, 32], 3136], "cnn.shapes", "32×32×32, 16×16×32, 3,136"),
    (["30x30x32", "15x15x32"], "cnn.shapes", "30x30x32, 15x15x32"),
    ([[1, 0], ["1/2", -2]], "attention.grad", "[[1, 0], [1/2, −2]]"),
    (None, "manual", "—"),
])
def test_answers_read_as_plain_unicode(value: object, kind: str, shown: str) -> None:
    assert report.fmt_answer(value, kind) == shown


def test_summary_rows_become_a_table_with_shapes_and_separators() -> None:
    rows = [["Conv2d-1", [64, 16, 16], 9408], ["Linear-2", [10], 5130]]
    assert report.matrix_rows(rows, "model.summary") == [["Conv2d-1", "64×16×16", "9,408"],
                                                         ["Linear-2", "10", "5,130"]]
    assert report.matrix_rows([[32, 32, 32], [16, 16, 32]], "cnn.shapes") == []


def test_markdown_escape_keeps_a_cell_on_one_line() -> None:
    assert report.md_escape("a | b\n*c* <d>") == r"a \| b \*c\* \<d\>"


# --- files -----------------------------------------------------------------------------------

def test_write_reports_writes_both_files_into_a_new_folder(tmp_path: Path) -> None:
    result = with_mistakes()
    out = tmp_path / "reports" / "bob"
    html_path, md_path = report.write_reports(result, out, title="CNNs", feedback="answers")
    assert (html_path, md_path) == (out / "bob.html", out / "bob.md")
    assert html_path.read_text(encoding="utf-8") == report.render_html(result, title="CNNs")
    assert md_path.read_text(encoding="utf-8") == report.render_markdown(result, title="CNNs")


def test_write_reports_keeps_a_hostile_student_id_inside_the_folder(tmp_path: Path) -> None:
    result = full_marks()
    result.student = "../../etc/passwd"
    out = tmp_path / "out"
    paths = report.write_reports(result, out)
    assert all(p.parent == out and p.exists() for p in paths)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)


def test_print_terminal_defaults_to_a_new_console(capsys: pytest.CaptureFixture[str]) -> None:
    report.print_terminal(full_marks())
    out = capsys.readouterr().out
    assert "Total: 19 / 19" in out and "1.1" in out


# --- answer key ------------------------------------------------------------------------------

def answer_key() -> dict[str, object]:
    """A `grade key --json` object, built from the same questions as the full-marks report."""
    return {"assignment": "dl-hw3",
            "questions": [{"id": q.id, "kind": q.kind, "answer": q.expected, "steps": q.steps}
                          for q in full_marks().questions]}


def test_answer_key_matches_golden_file(update_golden: bool) -> None:
    check_golden("report_key.md",
                 report.render_key_markdown(answer_key(), title="CNNs, RNNs and attention"),
                 update_golden)


def test_answer_key_shows_every_answer_and_step() -> None:
    text = report.render_key_markdown(answer_key())
    for q in full_marks().questions:
        shown = report.matrix_text(q.expected, q.kind)       # one line unless a matrix
        assert all(line in text for line in shown.splitlines())
        assert all(step in text for step in q.steps)


def test_a_student_named_index_does_not_overwrite_the_class_page() -> None:
    from grader.report import report_stem
    assert report_stem("index") == "index_"
    assert report_stem("Index") == "Index_"
    assert report_stem("../../etc/passwd") not in ("", "index")
    assert report_stem("alice") == "alice"
