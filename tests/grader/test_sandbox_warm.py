"""The warm pool: pre-started sandboxes serve the next students, hold nothing of a student before
the request, serve one student each, count limits from the request, and die on close()."""
from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from grader.assignment import Claim
from grader.claims import ClaimVerifier
from grader.results import ClaimStatus
from grader.sandbox import Sandbox
from sandbox_helpers import processes_with

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None,
                                reason="bubblewrap (bwrap) is not installed")

ROOT = Path(__file__).resolve().parents[2]
ALICE = ROOT / "submissions" / "alice"
SPEC = {"code": "model.py", "model": "make_model", "kwargs": {"hidden": 64},
        "checkpoint": "digits_mlp.pt", "normalize": {"mean": [0.3], "std": [0.35]}}


def claim(timeout: float = 60, **options) -> Claim:
    return Claim(id="5", task="classification", metric="accuracy", dataset="digits",
                 tolerance=1.0, target=None, points=10, timeout=timeout, options=options)


def student(tmp_path: Path, name: str, prologue: str = "") -> Path:
    """alice's model and checkpoint, with `prologue` run when model.py is imported (from a
    helper module: the grader cuts model.py's own top level down to its definitions)."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "prologue.py").write_text(prologue)
    (folder / "model.py").write_text("from prologue import *\n" + (ALICE / "model.py").read_text())
    shutil.copyfile(ALICE / "digits_mlp.pt", folder / "digits_mlp.pt")
    return folder


def wait_idle(verifier: ClaimVerifier, n: int, within: float = 30.0) -> list:
    deadline = time.monotonic() + within
    while len(idle := verifier._pool.idle()) < n:
        assert time.monotonic() < deadline, "the pool did not fill"
        time.sleep(0.05)
    return idle


def test_the_next_students_are_served_by_prestarted_sandboxes(tmp_path):
    with ClaimVerifier(device="cpu", warm=1) as v:
        first, _ = v.verify(claim(), SPEC, ALICE)
        second, _ = v.verify(claim(), SPEC, ALICE)
        stats = v.warm_stats
    assert first.status is second.status is ClaimStatus.VERIFIED, second.detail
    assert first.measured == second.measured
    assert (stats.cold, stats.prestarted) == (1, 1)


def test_without_the_pool_every_sandbox_starts_cold():
    with ClaimVerifier(device="cpu", warm=0) as v:
        v.verify(claim(), SPEC, ALICE)
        v.verify(claim(), SPEC, ALICE)
        assert (v.warm_stats.cold, v.warm_stats.prestarted) == (2, 0)
        assert v._pool is None


def test_idle_sandboxes_hold_nothing_and_each_student_gets_a_fresh_one(tmp_path):
    leave = student(tmp_path, "leaver", "open('left.txt', 'w').write('x')\n"
                                        "open('/tmp/left.txt', 'w').write('x')\n")
    check = student(tmp_path, "checker", "import os\n"
                                         "if os.path.exists('left.txt') or "
                                         "os.path.exists('/tmp/left.txt'):\n"
                                         "    raise RuntimeError('LEFTOVER')\n")
    with ClaimVerifier(device="cpu", warm=2) as v:
        v.prewarm()
        idle = wait_idle(v, 2)
        assert len({c.work for c in idle}) == 2
        for child in idle:          # started before any student: nothing of one inside
            assert list(child.work.iterdir()) == [] and list(child.data.iterdir()) == []
        for folder in (leave, check):
            result, _ = v.verify(claim(), SPEC, folder)
            assert result.status is ClaimStatus.VERIFIED, result.detail
        assert v.warm_stats.prestarted == 2
        for child in idle:          # served once, then killed and removed
            assert not child.alive() and not child.home.exists()
        assert not {c.name for c in v._pool.idle()} & {c.name for c in idle}


def test_close_kills_the_idle_sandboxes(tmp_path):
    v = ClaimVerifier(device="cpu", warm=2)
    v.prewarm()
    idle = wait_idle(v, 2)
    assert all(processes_with(c.name) for c in idle)
    v.close()
    for child in idle:
        assert processes_with(child.name) == []
        assert not child.home.exists()


def test_limits_count_from_the_request(tmp_path):
    """The claim's wall clock starts at the request, however long the sandbox waited before;
    its CPU allowance comes on top of what the start-up used; memory is the claim's."""
    report = student(tmp_path, "limits", (
        "import resource\n"
        "cpu = resource.getrlimit(resource.RLIMIT_CPU)\n"
        "mem = resource.getrlimit(resource.RLIMIT_AS)\n"
        "u = resource.getrusage(resource.RUSAGE_SELF)\n"
        "raise RuntimeError(f'LIMITS {cpu[0]} {cpu[1]} {u.ru_utime + u.ru_stime:.3f} '\n"
        "                   f'{mem[0]} {mem[1]}')\n"))
    with ClaimVerifier(device="cpu", warm=1) as v:
        v.prewarm()
        wait_idle(v, 1)
        time.sleep(3.5)             # longer than the claim's timeout below
        result, _ = v.verify(claim(timeout=3, memory_mb=3000), SPEC, report)
        assert v.warm_stats.prestarted == 1
    assert result.status is ClaimStatus.ERROR
    soft, hard, used, mem_soft, mem_hard = re.search(
        r"LIMITS (\d+) (\d+) ([\d.]+) (\d+) (\d+)", result.detail).groups()
    allowance = 3 * (os.cpu_count() or 1) + 10
    assert int(soft) == int(hard) and int(mem_soft) == int(mem_hard) == 3000 << 20
    assert float(used) > 0.3, "torch was imported before the request"
    assert float(used) + allowance - 1 <= int(soft) <= float(used) + allowance + 2


def test_the_fallback_without_bwrap_is_warm_started_too():
    with ClaimVerifier(device="cpu", warm=1) as v:
        v.sandbox = Sandbox(use_bwrap=False)
        results = [v.verify(claim(), SPEC, ALICE)[0] for _ in range(2)]
        assert all(r.status is ClaimStatus.VERIFIED for r in results), results[-1].detail
        assert v.warm_stats.prestarted == 1
        assert all(not c.sandbox.bwrap for c in v._pool.idle())


def test_the_pool_follows_a_replaced_sandbox():
    with ClaimVerifier(device="cpu", warm=1) as v:
        v.prewarm()
        old = wait_idle(v, 1)
        v.sandbox = Sandbox(use_bwrap=False)
        result, _ = v.verify(claim(), SPEC, ALICE)
        assert result.status is ClaimStatus.VERIFIED, result.detail
        assert not old[0].alive()       # the old sandbox's children are not used


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a CUDA-less torch")
def test_a_sandbox_whose_start_up_failed_is_not_charged_to_its_student():
    """On a CPU-only torch a CUDA sandbox's warm-up fails: the student then gets a cold start
    (which fails the same way here, with the real message)."""
    with ClaimVerifier(device="cpu", warm=1) as v:
        v.device = "cuda"
        v.verify(claim(), SPEC, ALICE)
        wait_idle(v, 1)
        result, _ = v.verify(claim(), SPEC, ALICE)
        assert (v.warm_stats.prestarted, v.warm_stats.cold) == (1, 2)
    assert result.status is ClaimStatus.ERROR and "CUDA" in result.detail
