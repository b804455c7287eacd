"""The bundled demo end to end: alice earns full marks, bob's classic mistakes are named."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_json(student: str, tmp_path: Path) -> dict:
    result = CliRunner().invoke(main, ["run", str(ROOT / "submissions" / student), "--json",
                                       "--assignment", str(ROOT / "assignments" / "demo"),
                                       "--out", str(tmp_path / "reports")])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def alice(tmp_path_factory) -> dict:
    return run_json("alice", tmp_path_factory.mktemp("alice"))


@pytest.fixture(scope="module")
def bob(tmp_path_factory) -> dict:
    return run_json("bob", tmp_path_factory.mktemp("bob"))


def test_json_contract_keys(alice: dict) -> None:
    assert list(alice) == ["student", "assignment", "score", "max_score", "questions", "claims",
                           "integrity"]
    assert all(list(q) == ["id", "kind", "status", "score", "max_score", "expected", "given",
                           "feedback"] for q in alice["questions"])
    assert all(list(c) == ["id", "status", "claimed", "measured", "tolerance", "score",
                           "max_score", "detail"] for c in alice["claims"])
    assert all(list(i) == ["check", "status", "detail"] for i in alice["integrity"])


def test_alice_scores_full_marks(alice: dict) -> None:
    wrong = [(q["id"], q["status"], q["feedback"]) for q in alice["questions"]
             if q["score"] != q["max_score"]]
    assert wrong == []
    assert [c["status"] for c in alice["claims"]] == ["verified"]
    assert alice["score"] == alice["max_score"] == 78


def test_alice_expected_shapes_are_the_homework_answers(alice: dict) -> None:
    q = next(q for q in alice["questions"] if q["id"] == "1.1")
    assert q["expected"] == [[32, 32, 32], [16, 16, 32], [14, 14, 64], [7, 7, 64]]
    assert q["given"][3] == "（7，7，64）"


BOB = {
    "1.1": ("partial", '"valid" padding used where the layer is "same"'),
    "1.2": ("incorrect", "flatten of the output before the last pooling layer"),
    "1.3": ("incorrect", "parameters without the biases"),
    "1.4": ("incorrect", "batchnorm running statistics counted as parameters"),
    "2.1": ("incorrect", "counted with the wrong number of classes"),
    "2.2": ("missing", "No answer given."),
    "3.1": ("incorrect", "bias left out"),
    "4.1": ("incorrect", "tanh′ factor left out"),
    "4.2": ("incorrect", "tanh′ factor left out"),
    "6.1": ("correct", "Correct."),
    "6.2": ("incorrect", "no 1/√d_k scaling"),   # a whole wrong method: its zeros earn nothing
    "6.3": ("incorrect", "softmax over columns instead of rows"),
    "6.4": ("unparsable", 'answers.toml line 17: "6.4" = "see my handwritten sheet"'),
    "6.5": ("incorrect", "shape transposed"),
    "7.1": ("incorrect", "d_k = d_model instead of d_model/h"),
    "7.2": ("incorrect", "d_k = d_model instead of d_model/h"),
    "7.3": ("incorrect", "W^O sized from one head"),
    "7.4": ("correct", "Correct."),
    "8.1": ("incorrect", "Aᵀ left out of dV"),
    "8.2": ("incorrect", "1/√d_k left out of dQ"),
    "9.1": ("incorrect", "Not right."),
    "10": ("manual", "Scored by a person: 1 / 3."),
    "11.1": ("incorrect", "receptive field without the jump (kernel sizes simply added)"),
    "11.3": ("partial", "layer 1: the convolution formula used for a transposed convolution"),
    "12.1": ("incorrect", "one bias vector per gate instead of two (b_ih and b_hh)"),
    "13.1": ("incorrect", "W^O left out of the attention"),
    "14.2": ("incorrect", "activation derivative f′(z) left out of δ"),
    "15.2": ("incorrect", "cross-entropy with log base 10"),
    "16.2": ("incorrect", "Adam without bias correction"),   # a whole wrong method
}


@pytest.mark.parametrize("qid", sorted(BOB))
def test_bob_mistakes_are_named(bob: dict, qid: str) -> None:
    q = next(q for q in bob["questions"] if q["id"] == qid)
    status, phrase = BOB[qid]
    assert q["status"] == status
    assert phrase in q["feedback"]


def test_bob_follow_through_credit(bob: dict) -> None:
    q = next(q for q in bob["questions"] if q["id"] == "1.1")
    assert q["score"] == 3 and q["max_score"] == 4
    assert ("Follow-through credit for layers 2, 3, 4: right from your own previous shape"
            in q["feedback"])


def test_bob_inflated_claim_is_refuted(bob: dict) -> None:
    claim = bob["claims"][0]
    assert claim["status"] == "refuted"
    assert claim["claimed"] == 99.5 and claim["measured"] < 98.5
    assert claim["score"] == 0


def test_reports_are_written(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(ROOT / "submissions" / "bob"),
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "bob.html").read_text(encoding="utf-8")
    assert "softmax over columns instead of rows" in html
    assert (tmp_path / "bob.md").is_file()
    assert f"report: {tmp_path / 'bob.html'}" in result.stdout


def test_report_shows_the_training_curve(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(ROOT / "submissions" / "alice"),
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "alice.html").read_text(encoding="utf-8")
    start = html.index('<figure class="curves"><svg')
    svg = html[start:html.index("</svg>", start)]
    assert svg.count("<path") > 10                      # drawn curves, not an empty frame


def test_demo_answer_key_matches_golden_file(update_golden: bool) -> None:
    """The demo's key with every step, each question kind once or more: read its diff on change."""
    result = CliRunner().invoke(main, ["key", str(ROOT / "assignments" / "demo"), "--markdown"])
    assert result.exit_code == 0, result.stderr
    golden = Path(__file__).resolve().parent.parent / "golden" / "demo_key.md"
    if update_golden:
        golden.write_text(result.stdout, encoding="utf-8")
        return
    assert result.stdout == golden.read_text(encoding="utf-8"), (
        "the demo's answer key changed; if intended, rerun with --update-golden and read the diff")
