"""`grade similar` on a class built at test time (similar_class.py): every planted pair ranks
above every honest pair, each caught by the kind of evidence it was planted in."""
from __future__ import annotations

import json
import os
import pickle
import re
from collections import Counter
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from grader.cli import main
from grader.similar import Kind, analyse, collect, find_student_folders, run_similar
from grader.similar.checkpoints import compare_checkpoints, load_state
from grader.similar.code import normalised_tokens, read_sources, starter_sources
from similar_class import (HONEST, SmallNet, build_class, disguise, permute_channels,
                           planted_pairs, synthetic_data, trained)


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    torch.set_num_threads(1)
    return build_class(tmp_path_factory.mktemp("similar"))


@pytest.fixture(scope="module")
def outcome(klass: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory):
    subs, asg = klass
    return run_similar(subs, asg, tmp_path_factory.mktemp("pages"))


def test_every_planted_pair_ranks_above_every_honest_pair(outcome) -> None:
    planted = planted_pairs()
    scores = {(p.a, p.b): p.score for p in outcome.similarity.pairs}
    students = outcome.similarity.students
    honest = [scores.get((a, b), 0.0) for i, a in enumerate(students)
              for b in students[i + 1:] if (a, b) not in planted]
    assert len(honest) == len(students) * (len(students) - 1) // 2 - len(planted)
    assert min(scores[k] for k in planted) > max(honest)
    ranked = [(p.a, p.b) for p in outcome.similarity.pairs]
    assert set(ranked[:len(planted)]) == set(planted)


@pytest.mark.parametrize("pair", sorted(planted_pairs()), ids="-".join)
def test_each_planted_pair_is_caught_by_its_own_kind(outcome, pair: tuple[str, str]) -> None:
    kind = Kind(planted_pairs()[pair])
    by_pair = {(p.a, p.b): p for p in outcome.similarity.pairs}
    honest_best = max((p.evidence[kind].score for key, p in by_pair.items()
                       if key not in planted_pairs() and kind in p.evidence), default=0.0)
    assert by_pair[pair].evidence[kind].score >= 0.9 > honest_best


def test_reasons_name_the_evidence(outcome) -> None:
    by_pair = {(p.a, p.b): p for p in outcome.similarity.pairs}
    copy = by_pair[("h1_reg", "p1_copy")].evidence[Kind.CHECKPOINT]
    assert "cosine 1.000" in copy.detail and "8/8 tensors identical" in copy.detail
    perm = by_pair[("h4_rnn", "p3_perm")].evidence[Kind.CHECKPOINT]
    assert "100%" in perm.detail                              # rows matched one-to-one
    assert all(r.rows_matched == 1.0 for r in perm.layers if r.rows_matched is not None)
    log = by_pair[("h5_rl", "p3_perm")].evidence[Kind.LOG]
    assert "val_acc at 8 common epochs = the classmate's +1.37" in log.detail
    code = by_pair[("h3_cifar", "p1_copy")].evidence[Kind.CODE]
    assert code.spans and code.spans[0].file_a == "main.py" and code.spans[0].file_b == "train.py"


def test_the_permuted_copy_is_the_same_function_with_unrelated_weights() -> None:
    """The dodge is real: outputs unchanged, per-layer cosine low, so only the permutation
    test can catch it."""
    model, _ = trained(5)
    twin = SmallNet()
    twin.load_state_dict(permute_channels(model.state_dict(), seed=1))
    model.eval(), twin.eval()
    x = synthetic_data()[2]
    torch.testing.assert_close(twin(x), model(x), rtol=1e-5, atol=1e-5)
    w = model.state_dict()["conv2.weight"].flatten()
    v = twin.state_dict()["conv2.weight"].flatten()
    assert float(w @ v / (w.norm() * v.norm())) < 0.5


def test_the_sketch_path_finds_the_same_checkpoint_pairs(klass: tuple[Path, Path]) -> None:
    """With full comparison of every pair switched off, the all-pairs sketches still nominate
    exactly the planted checkpoint pairs."""
    students = list(collect(find_student_folders(klass[0])).students)
    found = compare_checkpoints(students, [], full_pairs=0)
    planted = {k for k, v in planted_pairs().items() if v == "checkpoint"}
    assert {k for k, ev in found.items() if ev.score >= 0.9} == planted


def test_the_starter_is_subtracted(klass: tuple[Path, Path]) -> None:
    """h1, h2 and p2 hand in the starter beside their own code, h4 pasted it into theirs: with
    it subtracted they share nothing; without, they would be listed."""
    subs, asg = klass
    material = collect(find_student_folders(subs))
    users = [("h1_reg", "h2_seq"), ("h1_reg", "h4_rnn"), ("h2_seq", "p2_tune")]
    without = {(p.a, p.b): p for p in analyse(material).pairs}
    with_starter = {(p.a, p.b): p for p in
                    analyse(material, starter_sources([asg / "utils.py"])).pairs}
    for key in users:
        assert without[key].evidence[Kind.CODE].score >= 0.3
        kept = with_starter.get(key)
        assert kept is None or kept.evidence.get(Kind.CODE) is None \
            or kept.evidence[Kind.CODE].score < 0.1


def test_renaming_comments_layout_and_order_leave_the_tokens_alone() -> None:
    """The disguise changes every defined name, comment and the function order; the
    normalised tokens are the same multiset (and the same sequence, function by function)."""
    text = (Path(__file__).parent / "similar_corpus" / "reinforce.py").read_text()
    changed = disguise(text)
    assert "select_action" not in changed and "# done" in changed
    assert Counter(t.text for t in normalised_tokens(changed)) == \
        Counter(t.text for t in normalised_tokens(text))


def test_notebooks_are_compared_by_their_code_cells(klass: tuple[Path, Path]) -> None:
    student = next(s for s in collect(find_student_folders(klass[0])).students
                   if s.name == "p3_perm")
    sources = read_sources(student)
    assert sources and all(s.label.startswith("homework.ipynb cell ") for s in sources)
    assert not any("%matplotlib" in line for s in sources for line in s.lines)


def test_json_follows_design(klass: tuple[Path, Path], tmp_path: Path) -> None:
    subs, asg = klass
    run = CliRunner().invoke(main, ["similar", str(subs), "--assignment", str(asg),
                                    "--out", str(tmp_path / "o"), "--json"])
    assert run.exit_code == 0, run.output
    pairs = json.loads(run.output)["pairs"]
    assert [p["score"] for p in pairs] == sorted((p["score"] for p in pairs), reverse=True)
    for p in pairs:
        assert set(p) == {"a", "b", "score", "evidence"}
        assert 0.0 <= p["score"] <= 1.0
        for kind, ev in p["evidence"].items():
            assert kind in {"code", "checkpoint", "log"} and set(ev) == {"score", "detail"}
            assert 0.0 <= ev["score"] <= p["score"]
    assert {(p["a"], p["b"]) for p in pairs[:len(planted_pairs())]} == set(planted_pairs())
    assert (tmp_path / "o" / "index.html").is_file()
    assert (tmp_path / "o" / "h1_reg--p1_copy.html").is_file()


def test_unusable_input_is_one_line(tmp_path: Path) -> None:
    run = CliRunner().invoke(main, ["similar", str(tmp_path / "nope")])
    assert run.exit_code == 1
    assert run.output == f"Error: {tmp_path / 'nope'}: no such folder\n"
    (tmp_path / "asg").mkdir()
    (tmp_path / "asg" / "assignment.toml").write_text(
        '[assignment]\nid = "x"\nstarter = "missing.py"\n')
    (tmp_path / "class").mkdir()
    run = CliRunner().invoke(main, ["similar", str(tmp_path / "class"), "--assignment",
                                    str(tmp_path / "asg")])
    assert run.exit_code == 1
    assert run.output == ("Error: assignment.toml line 3: starter = 'missing.py': no such "
                          "file beside the assignment\n")


class Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_checkpoints_are_read_without_running_pickled_code(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.chdir(tmp_path)
    for name, payload in (("a", {"w": torch.randn(8, 8), "x": Boom()}),
                          ("b", {"w": torch.randn(8, 8)})):
        (tmp_path / name).mkdir()
        with open(tmp_path / name / "model.pt", "wb") as f:
            pickle.dump(payload, f) if name == "a" else torch.save(payload, f)
    (tmp_path / "c").mkdir()
    os.symlink(tmp_path / "b" / "model.pt", tmp_path / "c" / "model.pt")
    warnings: list[str] = []
    students = list(collect(find_student_folders(tmp_path)).students)
    compare_checkpoints(students, warnings)
    assert not (tmp_path / "pwned").exists()
    assert warnings == ["a/model.pt: not a weights-only checkpoint (UnpicklingError); "
                        "not compared"]
    assert [s.checkpoints for s in students if s.name == "c"] == [()]   # symlink not followed
    assert list(load_state(tmp_path / "b" / "model.pt")) == ["w"]


def test_every_honest_student_is_in_the_class(outcome) -> None:
    assert set(HONEST) <= set(outcome.similarity.students)


def test_the_batch_class_page_shows_the_pairs(klass: tuple[Path, Path], tmp_path: Path) -> None:
    from grader.batch import run_batch
    from similar_class import claims_unchecked
    subs, asg = klass
    out = tmp_path / "out"
    run_batch(subs, asg, jobs=1, out=out, db=tmp_path / "book.sqlite", quiet=True,
              grade=claims_unchecked)
    page = (out / "index.html").read_text(encoding="utf-8")
    section = page[page.index('id="similar"'):page.index("<h2>Students</h2>")]
    assert 'href="similar/index.html"' in section
    linked = re.findall(r'href="similar/([^"]+)--([^"]+)\.html"', section)
    assert set(linked[:len(planted_pairs())]) == set(planted_pairs())
    assert all((out / "similar" / f"{a}--{b}.html").is_file() for a, b in linked)
    written = (out / "similar" / "index.html").stat().st_mtime_ns
    run_batch(subs, asg, jobs=1, out=out, db=tmp_path / "book.sqlite", quiet=True,
              grade=claims_unchecked)
    assert (out / "similar" / "index.html").stat().st_mtime_ns == written   # files unchanged


def test_sketching_in_worker_processes_gives_the_same_pairs(klass: tuple[Path, Path],
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from grader.similar import checkpoints
    students = list(collect(find_student_folders(klass[0])).students)
    inline = compare_checkpoints(students, [], full_pairs=0)
    monkeypatch.setattr(checkpoints, "PARALLEL_FROM", 2)
    monkeypatch.setattr(checkpoints.os, "cpu_count", lambda: 2)
    pooled = compare_checkpoints(students, [], full_pairs=0)
    assert {k: v.detail for k, v in pooled.items()} == {k: v.detail for k, v in inline.items()}


def _log_class(root: Path, logs: dict[str, tuple[str, str]]) -> list:
    for student, (name, text) in logs.items():
        (root / student).mkdir(parents=True)
        (root / student / name).write_bytes(text.encode())
    return list(collect(find_student_folders(root)).students)


def test_the_same_log_under_another_name(tmp_path: Path) -> None:
    from grader.similar.logs import compare_logs
    from similar_class import trained
    honest = "\n".join(trained(1)[1]) + "\n"
    other = "\n".join(trained(2)[1]) + "\n"
    students = _log_class(tmp_path, {"x": ("train.log", honest),
                                     "y": ("my_log.txt", honest.replace("\n", "\r\n")),
                                     "z": ("train.log", other)})
    found = compare_logs(students)
    assert set(found) == {("x", "y")}
    assert found[("x", "y")].score == 1.0
    assert found[("x", "y")].detail.startswith("train.log and my_log.txt are the same log")


def test_digit_runs_survive_a_round_shift_in_a_log_the_reader_cannot_parse(tmp_path: Path
                                                                            ) -> None:
    """Bare columns of numbers (no labels): only the digit runs can tell. Adding 1 to every
    number keeps their last digits."""
    import random
    rng = random.Random(4)
    rows = [[rng.random() for _ in range(3)] for _ in range(30)]
    text = "\n".join(" ".join(f"{v:.6f}" for v in r) for r in rows) + "\n"
    shifted = "\n".join(" ".join(f"{v + 1:.6f}" for v in r) for r in rows) + "\n"
    fresh = "\n".join(" ".join(f"{rng.random():.6f}" for _ in range(3))
                      for _ in range(30)) + "\n"
    from grader.similar.logs import compare_logs
    found = compare_logs(_log_class(tmp_path, {"x": ("run.log", text),
                                               "y": ("run.log", shifted),
                                               "z": ("run.log", fresh)}))
    assert set(found) == {("x", "y")}
    assert found[("x", "y")].score >= 0.9 and "end in the same 3 digits" in \
        found[("x", "y")].detail


def test_terminal_output_lists_pairs_and_the_pages(klass: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    subs, asg = klass
    run = CliRunner().invoke(main, ["similar", str(subs), "--assignment", str(asg),
                                    "--out", str(tmp_path / "o")])
    assert run.exit_code == 0, run.output
    assert "pairs scoring at least 0.3" in run.output
    assert f"pages: {tmp_path / 'o' / 'index.html'}" in run.output.replace("\n", "")
