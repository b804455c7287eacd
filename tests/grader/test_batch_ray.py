"""`grade batch --executor ray` on a local two-CPU Ray started for the test."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.batch import answer_only_assignment, make_class
from grader.batch import run_batch
from grader.cli import main

ray = pytest.importorskip("ray", reason="needs the `ray` package (pip install ray)")

# Ray puts unix sockets under its temp dir: session_<date>_<pid>/sockets/plasma_store
SOCKET_TAIL = len("/session_2026-01-01_00-00-00_000000_4194304/sockets/plasma_store")


@pytest.mark.slow
def test_ray(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "r"
    if len(str(temp)) + SOCKET_TAIL > 107:
        pytest.skip(f"{temp} is too long for Ray's unix sockets (107 bytes)")
    monkeypatch.setenv("HOME", str(tmp_path))           # nothing written outside the test
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    asg = answer_only_assignment(tmp_path / "assignments" / "demo", light=True)
    root = tmp_path / "class"
    make_class(root, 12, asg)
    (root / "zz-broken").mkdir()
    (root / "zz-broken" / "answers.toml").write_text("[answers\n")
    init = {"_temp_dir": str(temp), "object_store_memory": 80 * 2**20}

    outcome = run_batch(root, jobs=2, executor="ray", quiet=True, out=tmp_path / "ray-out",
                        ray_init=init)
    assert not ray.is_initialized()                     # the Ray it started is shut down
    assert (outcome.graded, outcome.skipped) == (13, 0)
    errors = [r.student for r in outcome.results if r.error]
    assert errors == ["zz-broken"]

    # the same class on the local pool gives the same results
    local = CliRunner().invoke(main, ["batch", str(root), "--jobs", "2", "--force", "--json",
                                      "--db", str(tmp_path / "local.sqlite")])
    assert local.exit_code == 0, local.output
    assert json.loads(local.stdout) == [r.to_json() for r in outcome.results]
    assert sorted(p.name for p in (tmp_path / "ray-out").glob("*.html")) == \
        sorted([f"s{i:04d}.html" for i in range(12)] + ["index.html"])
