"""grader/inputs.py, the one reader: no links, regular files only, bounded size and depth.

The hostile files here are made up for the test (each is described where it is written)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from grader.errors import SubmissionError
from grader.inputs import (MAX_DEPTH, check_depth, is_link_free, open_inside, read_bytes,
                           read_json, read_toml)

REPO = Path(__file__).resolve().parents[2]


def test_a_symlinked_file_is_refused_not_read(tmp_path: Path) -> None:
    (tmp_path / "bob.toml").write_text('student = "bob"\n')
    (tmp_path / "answers.toml").symlink_to(tmp_path / "bob.toml")
    with pytest.raises(SubmissionError) as e:
        read_toml(tmp_path / "answers.toml", SubmissionError)
    assert str(e.value) == ("answers.toml is a symbolic link; the grader never reads through "
                            "links (submit the file itself)")


def test_a_symlinked_folder_inside_the_submission_is_refused(tmp_path: Path) -> None:
    sub, elsewhere = tmp_path / "mallory", tmp_path / "bob"
    (elsewhere / "logs").mkdir(parents=True)
    (elsewhere / "logs" / "train.log").write_text("epoch 1 loss 0.5\n")
    sub.mkdir()
    (sub / "logs").symlink_to(elsewhere / "logs")
    with pytest.raises(SubmissionError, match=r"^logs/train.log: folder 'logs' is a symbolic "):
        read_bytes(sub / "logs" / "train.log", SubmissionError, within=sub,
                   label="logs/train.log")
    with pytest.raises(SubmissionError, match="is a symbolic link"):
        open_inside(sub, "logs/train.log", SubmissionError)
    assert not is_link_free(sub, "logs/train.log")
    assert not is_link_free(sub, "../bob/logs/train.log")
    # the same file reached without a link is read
    (sub / "real").mkdir()
    (sub / "real" / "train.log").write_text("epoch 1 loss 0.5\n")
    assert is_link_free(sub, "real/train.log")
    with open_inside(sub, "real/train.log", SubmissionError) as f:
        assert f.read() == b"epoch 1 loss 0.5\n"


def test_paths_leaving_the_submission_are_refused(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("x")
    (tmp_path / "sub").mkdir()
    with pytest.raises(SubmissionError, match="^../secret: outside the submission folder$"):
        open_inside(tmp_path / "sub", "../secret", SubmissionError)
    with pytest.raises(SubmissionError, match="outside the submission folder"):
        open_inside(tmp_path / "sub", "/etc/passwd", SubmissionError)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "answers.toml")
    t0 = time.monotonic()
    with pytest.raises(SubmissionError, match="^answers.toml: not a regular file$"):
        read_toml(tmp_path / "answers.toml", SubmissionError, within=tmp_path)
    assert time.monotonic() - t0 < 5


def test_size_is_bounded_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_bytes(b" " * 2_000_001)
    with pytest.raises(SubmissionError, match=r"^answers.json: 2,000,001 bytes is too large"):
        read_json(path, SubmissionError)


@pytest.mark.parametrize("name,text,line", [
    # 200,000 nested `[` closed again (400 KB): valid syntax, deeper than any parser recurses
    ("answers.toml", 'assignment = "hw"\n[answers]\n"1" = ' + "[" * 200_000 + "]" * 200_000,
     3),
    ("answers.toml", 'assignment = "hw"\n[answers]\n"1" = ' + "[" * 200_000, 3),
    ("answers.json", '{"answers": {"1": ' + "[" * 200_000 + "]" * 200_000 + "}}", 1),
    ("answers.json", "{\n" + '"a": {' * 100_000, 2),
    ("answers.toml", 'x = ' + "{a = " * 100_000, 1),
], ids=["toml-balanced", "toml-open", "json-balanced", "json-objects", "toml-inline-tables"])
def test_deep_nesting_is_one_line_naming_the_file(tmp_path: Path, name: str, text: str,
                                                  line: int) -> None:
    path = tmp_path / name
    path.write_text(text)
    reader = read_toml if name.endswith(".toml") else read_json
    with pytest.raises(SubmissionError) as e:
        reader(path, SubmissionError)
    assert str(e.value) == (f"{name} line {line}: more than {MAX_DEPTH} nested [ or {{; "
                            "nothing graded is nested this deep")


def test_long_dotted_keys_are_refused_before_tomllib(tmp_path: Path) -> None:
    """tomllib takes quadratic time and memory on 100,000 dotted key parts."""
    path = tmp_path / "answers.toml"
    path.write_text('assignment = "hw"\n' + "a." * 100_000 + "a = 1\n")
    t0 = time.monotonic()
    with pytest.raises(SubmissionError, match=r"^answers.toml line 2: more than 32 parts in a "
                                              "dotted key"):
        read_toml(path, SubmissionError)
    assert time.monotonic() - t0 < 5
    path.write_text('["' + '"."'.join(["a"] * 1000) + '"]\n')        # quoted parts count too
    with pytest.raises(SubmissionError, match="dotted key"):
        read_toml(path, SubmissionError)


def test_brackets_in_strings_and_comments_do_not_count() -> None:
    deep = "[" * 100
    check_depth(f'a = "{deep}"\nb = \'{deep}\'\n# {deep}\nc = """\n{deep}\n"""\n'
                f"d = '''{deep}'''\ne = \"\\\"{deep}\"\n", "x.toml", SubmissionError, toml=True)
    check_depth(json.dumps({"a": deep, "b": "\\\"" + deep}), "x.json", SubmissionError,
                toml=False)
    # floats in a long row are not a dotted key
    check_depth("m = [" + ", ".join(["1.5"] * 1000) + "]\n", "x.toml", SubmissionError,
                toml=True)


def test_real_files_pass_the_depth_scan() -> None:
    """Every assignment and answers file in the repository (instructor-written, real)."""
    files = [*REPO.glob("assignments/*/assignment.toml"), *REPO.glob("submissions/*/answers.*")]
    assert files
    for path in files:
        check_depth(path.read_text(encoding="utf-8"), path.name, SubmissionError,
                    toml=path.suffix == ".toml")


def test_an_integer_of_5000_digits_is_one_line(tmp_path: Path) -> None:
    for name, text in (("answers.toml", "x = " + "1" * 5000), ("answers.json", "1" * 5000)):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(SubmissionError, match=rf"^{name}: Exceeds the limit"):
            (read_toml if name.endswith("toml") else read_json)(path, SubmissionError)


def test_a_training_log_behind_a_link_is_not_read(tmp_path: Path) -> None:
    """bob's log reached from mallory's folder by a linked file or a linked folder."""
    from grader.assignment import Claim
    from grader.grading import with_log_evidence
    from grader.results import ClaimResult, ClaimStatus
    claim = Claim("5", "classification", "accuracy", "digits")
    base = ClaimResult("5", ClaimStatus.UNVERIFIABLE, 91.0, None, 1.0, 0, 10)
    bob, mallory = tmp_path / "bob", tmp_path / "mallory"
    (bob / "logs").mkdir(parents=True)
    (bob / "logs" / "train.log").write_text("Epoch 1/1 | Test Acc: 91.0%\n")
    mallory.mkdir()
    (mallory / "train.log").symlink_to(bob / "logs" / "train.log")
    (mallory / "logs").symlink_to(bob / "logs")
    for name in ("train.log", "logs/train.log"):
        checks: list = []
        result = with_log_evidence(base, claim, {"value": 91.0, "log": name}, mallory, checks)
        assert result.curves == [] and result.log_verdict == ""
        assert [(c.status, c.detail) for c in checks] == [
            ("warn", f"log {name!r} is not a file in the submission")]
    # the same log as mallory's own file is read
    (mallory / "own.log").write_text("Epoch 1/1 | Test Acc: 91.0%\n")
    checks = []
    assert with_log_evidence(base, claim, {"value": 91.0, "log": "own.log"}, mallory,
                             checks).log_verdict
