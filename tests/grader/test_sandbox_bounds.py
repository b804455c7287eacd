"""Each bound of the box measured by an attack on the real sandbox (issue: trust): memory held
in /tmp, /dev/shm and by the processes together, the scratch folder's total, ptrace of
bubblewrap's pid 1, and what of the host a student's code can see."""
from __future__ import annotations

import re
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest

from grader.assignment import Claim
from grader.claims import ClaimVerifier
from grader.results import CheckStatus, ClaimStatus
from grader.sandbox import StartCaps
from grader.sandbox import cgroups
from sandbox_helpers import hostile_submission

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None,
                                reason="bubblewrap (bwrap) is not installed: no sandbox to bound")

ROOT = Path(__file__).resolve().parents[2]
ALICE = ROOT / "submissions" / "alice"
SPEC = {"code": "model.py", "model": "make_model", "kwargs": {"hidden": 64},
        "checkpoint": "digits_mlp.pt", "normalize": {"mean": [0.3], "std": [0.35]}}
# Small on purpose: a bound is measured by filling it, and filling 2 GB would slow the suite.
CAPS = StartCaps(tmp_mb=48, shm_mb=32, scratch_mb=64)


def claim(**options) -> Claim:
    return Claim(id="5", task="classification", metric="accuracy", dataset="digits",
                 tolerance=1.0, target=None, points=10, timeout=60, options=options)


@pytest.fixture(scope="module")
def verifier():
    with ClaimVerifier(device="cpu", warm=1) as v:
        v.caps = CAPS
        yield v


def attack(tmp_path: Path, name: str, **subs: str) -> Path:
    return hostile_submission(tmp_path / "class" / "mallory", name, **subs)


def held_mb(detail: str) -> int:
    found = re.search(r"held (\d+) MB", detail)
    assert found, detail
    return int(found.group(1))


@pytest.mark.parametrize("target,cap", [("/tmp", CAPS.tmp_mb), ("/dev/shm", CAPS.shm_mb),
                                        (".", CAPS.scratch_mb)])
def test_ram_backed_folders_and_the_scratch_folder_are_bounded(verifier, tmp_path, target, cap):
    result, _ = verifier.verify(claim(), {**SPEC, "value": 90.0},
                                attack(tmp_path, "fill_folder", target=target))
    assert result.status is ClaimStatus.ERROR
    assert held_mb(result.detail) <= cap, result.detail     # the model.py itself takes a little
    assert "before OSError" in result.detail


def test_root_and_dev_are_read_only(verifier, tmp_path):
    for target in ("/", "/dev"):
        result, _ = verifier.verify(claim(), {**SPEC, "value": 90.0},
                                    attack(tmp_path / target.strip("/").replace("/", "_"),
                                           "fill_folder", target=target))
        assert held_mb(result.detail) == 0, result.detail


def test_ptrace_of_bubblewraps_pid_1_is_refused(verifier, tmp_path):
    result, _ = verifier.verify(claim(), {**SPEC, "value": 90.0}, attack(tmp_path, "ptrace_pid1"))
    assert result.status is ClaimStatus.ERROR
    assert "ptrace=-1/Operation not permitted" in result.detail
    assert "process_vm_readv=-1/Operation not permitted" in result.detail
    # pid 1 is the student's own process: no reaper, no other process to reach at all
    assert "pids=1 self=1" in result.detail, result.detail


@pytest.mark.skipif(cgroups.available() is None, reason="no writable memory cgroup here")
def test_memory_held_every_way_at_once_is_bounded_by_the_cgroup(verifier, tmp_path):
    result, checks = verifier.verify(claim(memory_mb=600), {**SPEC, "value": 90.0},
                                     attack(tmp_path, "memory_hoard"))
    assert result.status is ClaimStatus.ERROR
    assert "memory" in result.detail.lower(), result.detail
    box = next(c for c in checks if c.check == "claim 5: sandbox")
    peak = int(re.search(r"peak (\d+) MB", box.detail).group(1))
    limit = 600 + CAPS.tmp_mb + CAPS.shm_mb + CAPS.scratch_mb
    assert peak <= limit, box.detail


def test_the_box_shows_no_host_folder_it_does_not_need(verifier, tmp_path):
    venv = str(Path(sys.prefix))
    scratch = str(verifier._tmp)
    result, _ = verifier.verify(claim(), {**SPEC, "value": 90.0},
                                attack(tmp_path, "host_paths", project=str(ROOT), venv=venv,
                                       scratch=scratch))
    seen = result.detail
    assert "seen exe=/venv/bin/python hidden=3 hooks=[] " in seen, seen
    root = seen.split("root=")[1].split(":")[0].split(",")     # a hint may follow the listing
    assert set(root) <= {"bin", "dev", "etc", "grade", "incoming", "lib", "lib32", "lib64",
                         "proc", "root", "submission", "tmp", "usr", "venv", "data"}, root


def test_sklearn_bundled_digits_are_not_readable_in_the_box(verifier, tmp_path):
    folder = attack(tmp_path, "sklearn_lookup")
    (folder / "model.py").write_text((folder / "model.py").read_text().replace(
        "return DigitsMLP(hidden)", "return Lookup(hidden)"))
    result, _ = verifier.verify(claim(), {**SPEC, "checkpoint": None, "value": 100.0}, folder)
    assert result.status is ClaimStatus.ERROR, result.detail
    assert "digits.csv" in result.detail or "No such file" in result.detail, result.detail


def test_the_data_root_is_hidden_even_under_a_visible_folder(tmp_path):
    """A data root inside site-packages (visible in the box at /venv/...) is masked there."""
    site = Path(sysconfig.get_paths()["purelib"])
    root = site / "grade-test-data"
    inside = f"/venv/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages/" \
             "grade-test-data"
    root.mkdir(exist_ok=True)
    try:
        (root / "secret-labels.txt").write_text("7 2 1 0\n")
        folder = tmp_path / "peek"
        folder.mkdir()
        (folder / "peek.py").write_text(
            "import os\n"
            f"raise RuntimeError('listing: ' + (repr(os.listdir({inside!r})) "
            f"if os.path.isdir({inside!r}) else 'absent'))\n")
        (folder / "model.py").write_text("from peek import *\n")
        with ClaimVerifier(data_root=root, device="cpu", warm=0) as v:
            result, _ = v.verify(claim(), {"code": "model.py", "value": 90.0}, folder)
        assert "listing: []" in result.detail, result.detail     # there, and empty
    finally:
        shutil.rmtree(root)


def test_an_honest_model_still_verifies_under_the_small_caps(verifier):
    result, checks = verifier.verify(claim(), {**SPEC, "value": 92.2}, ALICE)
    assert result.status is ClaimStatus.VERIFIED, result.detail
    box = next(c for c in checks if c.check == "claim 5: sandbox")
    assert box.status in (CheckStatus.PASS, CheckStatus.WARN)
    assert "/tmp 48 MB" in box.detail
