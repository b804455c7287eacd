"""The answer key on disk: read back for the same questions and code, never for changed ones,
and never from a folder someone else can write to."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader import key, keycache
from grader.assignment import load_assignment

DEMO = Path(__file__).resolve().parents[2] / "assignments" / "demo"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("GRADE_CACHE", "1")
    monkeypatch.setenv("GRADE_CACHE_DIR", str(folder))
    key._CACHE.clear()
    return folder


def test_a_second_run_reads_the_key_back_and_agrees(cache, monkeypatch):
    asg = load_assignment(DEMO)
    first = key.compute_key(asg)
    assert len(list(cache.glob("key-*.pickle"))) == 1
    key._CACHE.clear()
    monkeypatch.setattr(key, "expected", lambda *a: pytest.fail("recomputed"))
    second = key.compute_key(asg)
    assert second.to_json() == first.to_json()


def test_changed_questions_or_code_miss_the_cache(cache, monkeypatch):
    asg = load_assignment(DEMO)
    key.compute_key(asg)
    assert keycache.load(asg.questions[:-1]) is None            # other questions
    monkeypatch.setattr(keycache, "source_hash", lambda: "a changed formula")
    assert keycache.load(asg.questions) is None                 # other code


def test_a_folder_others_can_write_to_is_not_trusted(cache):
    asg = load_assignment(DEMO)
    key.compute_key(asg)
    os.chmod(cache, 0o777)
    assert keycache.load(asg.questions) is None
    os.chmod(cache, 0o700)
    assert keycache.load(asg.questions) is not None


def test_off_by_environment(cache, monkeypatch):
    monkeypatch.setenv("GRADE_CACHE", "0")
    key.compute_key(load_assignment(DEMO))
    assert not cache.exists()
