"""`grade check` never reveals more than the assignment's `feedback` level allows."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.key import answer_key

ROOT = Path(__file__).resolve().parents[2]

# Expected values bob got wrong, as they would be printed: none may appear below `answers`.
SECRETS = ["896", "3136", "3,136", "5418", "5,418", "11173962", "11,173,962", "0.760368",
           "1.154701", "0.074416", "3·3·3·32", "tanh(W_hh*tanh(W_hh*tanh(W_hh*h0 + W_xh*x1 + b)"]


def course_with(level: str, tmp_path: Path) -> Path:
    folder = tmp_path / "assignments" / "demo"
    shutil.copytree(ROOT / "assignments" / "demo", folder)
    toml = folder / "assignment.toml"
    toml.write_text(toml.read_text().replace('feedback = "answers"', f'feedback = "{level}"'))
    shutil.copytree(ROOT / "submissions" / "bob", tmp_path / "submissions" / "bob")
    return tmp_path


def check(course: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", str(course / "submissions" / "bob"),
                                       "--assignment", str(course / "assignments" / "demo"),
                                       *extra])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout


def test_secrets_are_real_expected_values() -> None:
    """Guard the guard: each secret really is in the answer key's JSON or steps."""
    text = json.dumps(answer_key(ROOT / "assignments" / "demo").to_json(), ensure_ascii=False)
    for secret in SECRETS:
        assert secret in text or secret.replace(",", "") in text, secret


@pytest.mark.parametrize("level", ["format", "correctness"])
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "terminal"])
def test_no_expected_value_leaks(level: str, as_json: bool, tmp_path: Path) -> None:
    code, out = check(course_with(level, tmp_path), *(["--json"] if as_json else []))
    assert code == 0
    leaked = [s for s in SECRETS if s in out]
    assert leaked == []
    if as_json:
        view = json.loads(out)
        assert view["feedback"] == level
        assert all("expected" not in q and "steps" not in q for q in view["questions"])
        assert all("measured" not in c for c in view["claims"])


def test_format_level_shows_no_scores_or_verdicts(tmp_path: Path) -> None:
    code, out = check(course_with("format", tmp_path), "--json")
    view = json.loads(out)
    assert "score" not in view
    statuses = {q["status"] for q in view["questions"]}
    assert statuses <= {"parsed", "missing", "unparsable"}
    assert [c["status"] for c in view["claims"]] == ["readable"]   # bob's claim has a value
    assert not re.search(r'"(correct|incorrect|partial|verified|refuted)"', out)
    by_id = {q["id"]: q for q in view["questions"]}
    assert by_id["6.4"]["status"] == "unparsable"      # the one thing a student must fix
    assert view["ready"] is False
    assert any(p.startswith("6.4: answers.toml line 17") for p in view["problems"])


def test_correctness_level_marks_without_answers(tmp_path: Path) -> None:
    code, out = check(course_with("correctness", tmp_path), "--json")
    by_id = {q["id"]: q for q in json.loads(out)["questions"]}
    assert by_id["1.3"]["status"] == "incorrect"
    assert by_id["1.3"]["feedback"] == "Looks like parameters without the biases."
    assert by_id["6.1"]["status"] == "correct"


def test_answers_level_shows_everything(tmp_path: Path) -> None:
    code, out = check(course_with("answers", tmp_path), "--json")
    view = json.loads(out)
    q13 = next(q for q in view["questions"] if q["id"] == "1.3")
    assert q13["expected"] == 896
    assert q13["steps"] == ["layer 1 (conv2d): 3·3·3·32 + 32 = 896"]


def _without_checkpoint(course: Path) -> Path:
    answers = course / "submissions" / "bob" / "answers.toml"
    text = answers.read_text(encoding="utf-8")
    answers.write_text(re.sub(r'^(code|checkpoint|model|kwargs) = .*\n', "", text, flags=re.M),
                       encoding="utf-8")
    return course


@pytest.mark.parametrize("level", ["format", "correctness", "answers"])
def test_the_reason_a_claim_is_unverifiable_shows_at_every_level(level: str,
                                                                  tmp_path: Path) -> None:
    course = _without_checkpoint(course_with(level, tmp_path))
    _, out = check(course, "--json")
    (claim,) = json.loads(out)["claims"]
    assert claim["detail"].startswith("nothing to re-run: the claim names no `code` or "
                                      "`checkpoint`")
    _, terminal = check(course)
    assert "nothing to re-run" in terminal


def test_a_refuted_claim_says_why_without_the_measured_number() -> None:
    from grader.grading import redact
    from grader.results import ClaimResult, ClaimStatus, Result
    claim = ClaimResult("5", ClaimStatus.REFUTED, 99.5, 97.2, 1.0, 0.0, 10.0,
                        detail="re-ran model.py on digits test: 97.22%; claimed 99.5%, off by "
                               "-2.28%", metric="accuracy")
    (shown,) = redact(Result("bob", "demo", [], [claim]), "correctness").claims
    assert shown.detail == ("refuted: the re-run measures worse than the claimed value, by more "
                            "than the tolerance")


def test_answers_level_terminal_shows_expected_and_working(tmp_path: Path) -> None:
    _, out = check(_without_checkpoint(course_with("answers", tmp_path)))
    assert "Expected: 896" in out
    cells = re.sub(r"[\s│]", "", out)         # the feedback cell, its wrapped lines joined
    assert "Expected:896Working:layer1(conv2d):3·3·3·32+32=896" in cells


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_check_with_a_claim_never_imports_torch_in_the_grader(tmp_path: Path) -> None:
    """The parent only reads logits back; torch (about a second of start-up) is imported by the
    sandboxed child alone. The answer key comes from the cache a first check writes."""
    import os
    import subprocess
    import sys
    from grader.claims.verifier import GPU_NODES
    if any(os.path.exists(node) for node in GPU_NODES):
        pytest.skip("a GPU machine asks torch which device to use")
    shutil.copytree(ROOT / "submissions" / "alice", tmp_path / "alice")
    probe = ("import sys\nfrom grader.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code\n"
             "print('TORCH', 'torch' in sys.modules, 'EXIT', code)\n")
    env = dict(os.environ, GRADE_CACHE="1", GRADE_CACHE_DIR=str(tmp_path / "cache"))
    args = ["check", str(tmp_path / "alice"), "--assignment", str(ROOT / "assignments" / "demo")]
    for _ in range(2):      # the first fills the key cache (model summaries need torch)
        out = subprocess.run([sys.executable, "-c", probe, *args], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300).stdout
    assert "verified" in out and out.rstrip().endswith("TORCH False EXIT 0"), out[-600:]
