"""The hostile corpus (tests/grader/hostile/): every attack gets a verdict with a reason, nothing
escapes the sandbox, and the same verifier goes on grading everyone else."""
from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
import torch

from grader.assignment import Claim
from grader.claims import ClaimVerifier
from grader.results import ClaimStatus
from sandbox_helpers import digits_accuracy, hostile_submission, processes_with

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None,
                                reason="bubblewrap (bwrap) is not installed: no sandbox to attack")

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).with_name("hostile")
ALICE = ROOT / "submissions" / "alice"
SPEC = {"code": "model.py", "model": "make_model", "kwargs": {"hidden": 64},
        "checkpoint": "digits_mlp.pt", "normalize": {"mean": [0.3], "std": [0.35]}}


def claim(timeout: float = 60, **options) -> Claim:
    return Claim(id="5", task="classification", metric="accuracy", dataset="digits",
                 tolerance=1.0, target=None, points=10, timeout=timeout, options=options)


@pytest.fixture(scope="module")
def verifier():
    """One verifier for the whole corpus, warm started: each attack gets a sandbox that was
    started before it was known, and the next student's comes after it."""
    with ClaimVerifier(device="cpu", warm=2) as v:
        yield v


@pytest.fixture(scope="module")
def alice_accuracy() -> float:
    """alice's accuracy measured in-process, straight from sklearn's digits (no grader code)."""
    return digits_accuracy(ALICE)


def submission(tmp_path: Path, attack: str, **subs: str) -> Path:
    return hostile_submission(tmp_path / "class" / "mallory", attack, **subs)


def run(verifier, folder: Path, value: float | None = None, c: Claim | None = None, **spec):
    result, checks = verifier.verify(c or claim(), {**SPEC, "value": value, **spec}, folder)
    assert result.detail, "every verdict carries a reason"
    return result, checks


def test_pickle_that_runs_code_on_load(verifier, tmp_path):
    outside = tmp_path / "pwned-by-pickle"

    class Evil:
        def __reduce__(self):
            return exec, (f"open({str(outside)!r}, 'w').write('x')",)
    folder = submission(tmp_path, "_mlp")
    torch.save({"model_state_dict": Evil()}, folder / "digits_mlp.pt")
    result, _ = run(verifier, folder, 90.0)
    assert result.status is ClaimStatus.ERROR
    assert "checkpoint" in result.detail
    assert not outside.exists()


def test_import_time_write_outside_scratch(verifier, tmp_path, alice_accuracy):
    outside = tmp_path / "pwned"
    before = (ROOT / "grader" / "sandbox_child.py").read_bytes()
    folder = submission(tmp_path, "write_outside", outside=str(outside))
    result, _ = run(verifier, folder, alice_accuracy)
    assert result.status is ClaimStatus.VERIFIED, result.detail
    assert not outside.exists()
    assert (ROOT / "grader" / "sandbox_child.py").read_bytes() == before


def test_reading_a_sibling_submission(verifier, tmp_path, alice_accuracy):
    sibling = tmp_path / "class" / "bob" / "answers.toml"
    sibling.parent.mkdir(parents=True)
    sibling.write_text('student = "bob"\nsecret = 42\n')
    folder = submission(tmp_path, "read_sibling", sibling=str(sibling))
    result, _ = run(verifier, folder, alice_accuracy)
    assert result.status is ClaimStatus.VERIFIED, result.detail
    assert "LEAKED" not in result.detail


def test_network_connection(verifier, tmp_path, alice_accuracy):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    folder = submission(tmp_path, "network", port=str(server.getsockname()[1]))
    try:
        result, _ = run(verifier, folder, alice_accuracy)
        with pytest.raises(TimeoutError):
            server.accept()
    finally:
        server.close()
    assert result.status is ClaimStatus.VERIFIED, result.detail


@pytest.mark.slow
def test_infinite_loop_times_out(verifier, tmp_path):
    result, _ = run(verifier, submission(tmp_path, "infinite_loop"), 90.0, claim(timeout=6))
    assert result.status is ClaimStatus.ERROR
    assert "timed out after 6 s" in result.detail


@pytest.mark.slow
def test_memory_bomb(verifier, tmp_path):
    result, _ = run(verifier, submission(tmp_path, "memory_bomb"), 90.0, claim(memory_mb=1536))
    assert result.status is ClaimStatus.ERROR
    assert "MemoryError" in result.detail or "memory" in result.detail


def test_fork_bomb_is_refused(verifier, tmp_path):
    result, _ = run(verifier, submission(tmp_path, "fork_bomb"), 90.0)
    assert result.status is ClaimStatus.ERROR
    assert "Operation not permitted" in result.detail


def test_no_process_outlives_grading(verifier, tmp_path, alice_accuracy):
    marker = f"outlive-{os.getpid()}-{tmp_path.name}"
    folder = submission(tmp_path, "outlive", marker=marker)
    result, _ = run(verifier, folder, alice_accuracy)
    assert result.status is ClaimStatus.VERIFIED, result.detail
    assert processes_with(marker) == []


def test_exit_at_import(verifier, tmp_path):
    result, _ = run(verifier, submission(tmp_path, "exit_at_import"), 90.0)
    assert result.status is ClaimStatus.ERROR
    assert "before returning a result" in result.detail


def test_fake_verdict_on_stdout_is_ignored(verifier, tmp_path, alice_accuracy):
    result, _ = run(verifier, submission(tmp_path, "fake_verdict"), 100.0)
    assert result.status is ClaimStatus.REFUTED
    assert result.measured == pytest.approx(alice_accuracy, abs=1e-3)


@pytest.mark.slow
def test_flood_of_output(verifier, tmp_path, alice_accuracy):
    result, _ = run(verifier, submission(tmp_path, "flood_output"), alice_accuracy)
    assert result.status is ClaimStatus.VERIFIED, result.detail


def test_symlink_out_of_the_submission(verifier, tmp_path):
    elsewhere = tmp_path / "elsewhere.pt"
    shutil.copyfile(ALICE / "digits_mlp.pt", elsewhere)
    folder = submission(tmp_path, "_mlp")
    (folder / "digits_mlp.pt").unlink()
    (folder / "digits_mlp.pt").symlink_to(elsewhere)
    (folder / "secrets").symlink_to("/etc/passwd")
    result, _ = run(verifier, folder, 90.0)
    assert result.status is ClaimStatus.ERROR
    assert "is a symlink; submit the file itself" in result.detail


def test_checkpoint_that_is_not_a_checkpoint(verifier, tmp_path):
    folder = submission(tmp_path, "_mlp")
    (folder / "digits_mlp.pt").write_bytes(os.urandom(4096))
    result, _ = run(verifier, folder, 90.0)
    assert result.status is ClaimStatus.ERROR
    assert "cannot be loaded" in result.detail


def test_wrong_shapes_and_keys(verifier, tmp_path):
    folder = submission(tmp_path, "_mlp")
    ns: dict = {}
    exec((HOSTILE / "_mlp.py").read_text(), ns)
    state = ns["make_model"](hidden=32).state_dict()
    state["extra.weight"] = state.pop("fc2.bias")
    torch.save(state, folder / "digits_mlp.pt")
    result, _ = run(verifier, folder, 90.0)
    assert result.status is ClaimStatus.ERROR
    for expected in ("missing fc2.bias", "unexpected extra.weight", "fc1.weight [32, 64]"):
        assert expected in result.detail


def test_grading_goes_on_after_the_attacks(verifier, alice_accuracy):
    result, checks = run(verifier, ALICE, alice_accuracy)
    assert result.status is ClaimStatus.VERIFIED, result.detail
    assert any(c.check.endswith("parameters") for c in checks)
    assert verifier.warm_stats.prestarted > 0, "the attacks met pre-started sandboxes"
