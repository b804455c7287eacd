"""The gradebook: lossless storage, per-student atomic commits, the lock, content hashes."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from grader import gradebook
from grader.errors import GradebookError
from grader.gradebook import ClaimKey, Gradebook, StudentKey, files_hash, stamp_files
from grader.results import (CheckStatus, ClaimResult, ClaimStatus, Curve, IntegrityCheck, Part,
                            QuestionResult, QuestionStatus, Result)


def sample_result(student: str = "alice") -> Result:
    q = QuestionResult("1.1", "cnn.shapes", QuestionStatus.PARTIAL, 2.0, 4.0,
                       [[32, 32, 32], [16, 16, 32]], ["32x32x32", "8x8x32"], "Partly right.",
                       steps=["(32 + 2·1 − 3)/1 + 1 = 32"], mistake="stride ignored",
                       parts=[Part("[1]", [32, 32, 32], [32, 32, 32], True),
                              Part("[2]", [16, 16, 32], [8, 8, 32], False, "pool twice")])
    c = ClaimResult("2", ClaimStatus.VERIFIED, 91.3, 91.1, 1.0, 10.0, 10.0, "re-ran", "accuracy",
                    "log agrees", [Curve("val_acc", [(1.0, 80.0), (2.0, 91.0)])], "<svg/>")
    return Result(student, "demo", [q], [c], [IntegrityCheck("log", CheckStatus.WARN, "short")])


def test_results_round_trip_losslessly() -> None:
    r = sample_result()
    back = gradebook.result_from_json(gradebook.result_to_json(r))
    assert back == r
    assert isinstance(back.questions[0].status, QuestionStatus)
    assert isinstance(back.claims[0].curves[0].points[0], tuple)
    out = gradebook.verifier_from_json(gradebook.verifier_to_json((r.claims[0], r.integrity)))
    assert out == (r.claims[0], r.integrity)


def test_record_and_read_back(tmp_path: Path) -> None:
    key = StudentKey("f", "e", "a", "v")
    ckey = ClaimKey("f", "s", "v")
    r = sample_result()
    with Gradebook(tmp_path / "gb.sqlite") as book:
        book.record("alice-folder", key, r, [], {"2": (ckey, (r.claims[0], r.integrity))})
        stored = book.stored("alice-folder")
        assert stored is not None and stored.key == key and stored.result == r
        assert book.cached_claims("alice-folder", {"2": ckey}) == {"2": (r.claims[0],
                                                                           r.integrity)}
        assert book.cached_claims("alice-folder", {"2": ClaimKey("other", "s", "v")}) == {}
    con = sqlite3.connect(tmp_path / "gb.sqlite")
    assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert con.execute("SELECT status, score FROM question_results").fetchall() == \
        [("partial", 2.0)]


def test_a_failed_commit_leaves_no_partial_student(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    r = sample_result()

    def boom(*args: object) -> str:
        raise RuntimeError("disk full")
    monkeypatch.setattr(gradebook.book, "verifier_to_json", boom)   # where Gradebook looks it up
    with Gradebook(tmp_path / "gb.sqlite") as book:
        with pytest.raises(RuntimeError):
            book.record("alice", StudentKey("f", "e", "a", "v"), r, [],
                        {"2": (ClaimKey("f", "s", "v"), (r.claims[0], r.integrity))})
        assert book.stored("alice") is None
        assert book._db.execute("SELECT COUNT(*) FROM question_results").fetchone() == (0,)


def test_second_open_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    db = tmp_path / "gb.sqlite"
    with Gradebook(db):
        with pytest.raises(GradebookError) as e:
            Gradebook(db, lock_wait_s=0.2).open()
    assert str(e.value) == (f"{db} is in use by another grade batch (pid {os.getpid()}); "
                            "wait for it or pass --db")
    with Gradebook(db, lock_wait_s=0.2):        # released on close
        pass


def test_not_a_database(tmp_path: Path) -> None:
    db = tmp_path / "gb.sqlite"
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(GradebookError, match="not a readable gradebook"):
        Gradebook(db).open()


def test_files_hash_covers_submitted_files_only(tmp_path: Path) -> None:
    folder = tmp_path / "alice"
    (folder / "sub").mkdir(parents=True)
    (folder / "answers.toml").write_text("[answers]\n")
    (folder / "sub" / "model.py").write_text("x = 1\n")
    base = files_hash(stamp_files(folder, {}))
    (folder / ".grade").mkdir()
    (folder / ".grade" / "alice.html").write_text("report")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "m.pyc").write_bytes(b"\0")
    assert files_hash(stamp_files(folder, {})) == base
    (folder / "sub" / "model.py").write_text("x = 2\n")
    assert files_hash(stamp_files(folder, {})) != base
    (folder / "sub" / "model.py").write_text("x = 1\n")
    assert files_hash(stamp_files(folder, {})) == base


def test_unchanged_size_and_mtime_reuse_the_stored_hash(tmp_path: Path) -> None:
    folder = tmp_path / "alice"
    folder.mkdir()
    ckpt = folder / "model.pth"
    ckpt.write_bytes(b"a" * 1000)
    known = {s.path: s for s in stamp_files(folder, {})}
    st = ckpt.stat()
    ckpt.write_bytes(b"b" * 1000)                           # same size...
    os.utime(ckpt, ns=(st.st_atime_ns, st.st_mtime_ns))     # ...and mtime: not re-read
    assert stamp_files(folder, known) == list(known.values())
    os.utime(ckpt, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert stamp_files(folder, known)[0].sha256 != known["model.pth"].sha256
