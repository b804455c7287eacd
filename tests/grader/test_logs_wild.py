"""grader.logs on real logs from the wild (tests/grader/logs/wild/): the facts a TA reads by eye.

`facts.json` holds, per log, its source (repository + path, issue URL, or seed file), its format
family, and the facts read by a person: epochs seen / planned, the x axis, the parameter count,
best and last of each metric with their epochs, and the warnings a TA would raise. Each fact is
one check; the test prints the fraction read right and asks for 95%. No real log may be refused.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from grader.logs import LogSummary, read_log

WILD = Path(__file__).parent / "logs" / "wild"
FACTS: dict[str, dict[str, Any]] = json.loads((WILD / "facts.json").read_text(encoding="utf-8"))
# a warning kind -> words its message must carry
KINDS = {"unfinished": "unfinished", "nan": "training diverged or the loss overflowed",
         "diverged": " diverged: ", "selected_on_test": "selected on the test set",
         "restart": "restarted"}
FAMILIES = ("pytorch-examples", "pytorch-tutorial", "kuangliu", "timm-deit", "mmcv", "huggingface",
            "lightning", "keras", "fairseq", "nanogpt", "yolo", "tf-estimator", "detectron2",
            "paddle", "chinese", "seeds-zh", "generic")


def _close(got: float | None, want: float) -> bool:
    return got is not None and (math.isclose(got, want, rel_tol=1e-3, abs_tol=1e-9)
                                or (math.isnan(got) and math.isnan(want)))


def _checks(s: LogSummary, facts: dict[str, Any]) -> list[tuple[str, bool]]:
    """(fact, read right) for every fact written down for one log."""
    out: list[tuple[str, bool]] = []
    for key in ("epochs_seen", "epochs_planned", "x", "params"):
        if key in facts:
            out.append((f"{key}={facts[key]} (read {getattr(s, key, None)})",
                        getattr(s, key, None) == facts[key]))
    for name, want in facts.get("metrics", {}).items():
        m = s.metrics.get(name)
        for field, value in want.items():
            got = getattr(m, field) if m else None
            ok = _close(got, value) if "epoch" not in field else got is not None and math.isclose(
                got, value, abs_tol=1e-6)
            out.append((f"{name}.{field}={value} (read {got})", ok))
    raised = {k for k, words in KINDS.items() if any(words in w for w in s.warnings)}
    for kind in facts.get("warnings", []):
        out.append((f"warning {kind}", kind in raised))
    for kind in sorted(raised - set(facts.get("warnings", []))):
        out.append((f"no warning {kind}", False))
    return out


def test_corpus_is_real_and_covers_every_family():
    logs = {p.name for p in WILD.iterdir() if p.name not in ("facts.json", "README.md")}
    assert logs == set(FACTS), "every log has its facts and every fact its log"
    assert len(FACTS) >= 60
    counts = Counter(f["family"] for f in FACTS.values())
    assert set(counts) <= set(FAMILIES)
    assert all(f["source"] for f in FACTS.values())
    print(f"\nwild corpus: {len(FACTS)} logs; families: {dict(sorted(counts.items()))}")


def test_no_real_log_is_refused():
    refused = []
    for name in FACTS:
        try:
            read_log(WILD / name)
        except Exception as e:             # noqa: BLE001 - any refusal counts, and is named
            refused.append(f"{name}: {e}")
    assert not refused, "\n".join(refused)


def test_facts_read_right():
    right, total, wrong = 0, 0, []
    held = [0, 0]                       # logs added after the reader was built (held_out)
    for name, entry in sorted(FACTS.items()):
        for fact, ok in _checks(read_log(WILD / name), entry["facts"]):
            total += 1
            right += ok
            if entry.get("held_out"):
                held[0] += ok
                held[1] += 1
            if not ok:
                wrong.append(f"{name}: {fact}")
    share = right / total
    print(f"\nwild corpus: {right}/{total} facts read right ({share:.1%}); of them on the "
          f"held-out logs: {held[0]}/{held[1]}")
    print("\n".join(wrong))
    assert share >= 0.95


@pytest.mark.parametrize("name", sorted(FACTS))
def test_reader_is_named(name: str):
    assert read_log(WILD / name).reader
