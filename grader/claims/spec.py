"""The submission's [claims."ID"] table, read defensively: every bad value ends the claim with a
verdict and a one-line reason."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from grader.results import ClaimStatus


class Verdict(Exception):
    """Ends a verification early with a status and a one-line detail."""

    def __init__(self, status: ClaimStatus, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def claimed(spec: dict) -> float | None:
    v = spec.get("value")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def kwargs(spec: dict) -> dict:
    kw = spec.get("kwargs", {})
    if not isinstance(kw, dict):
        raise Verdict(ClaimStatus.ERROR, f"kwargs = {kw!r} must be a table")
    return kw


def named(spec: dict, key: str, folder: Path) -> str | None:
    """A file the claim names, relative to the submission; verdicts for bad or absent ones."""
    name = spec.get(key)
    if name is None or name == "":
        return None
    if not isinstance(name, str):
        raise Verdict(ClaimStatus.ERROR, f"{key} = {name!r} must be a file name")
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts:
        raise Verdict(ClaimStatus.ERROR, f"{key} = {name!r} points outside the submission")
    path = folder / rel
    if path.is_symlink():
        raise Verdict(ClaimStatus.ERROR, f"{key} {name} is a symlink; submit the file itself")
    if not path.is_file() and not (key == "code" and path.is_dir()):   # a package folder
        raise Verdict(ClaimStatus.UNVERIFIABLE, f"{key} {name} is not in the submission")
    return rel.as_posix()


def normalize(norm: Any, channels: int) -> dict | None:
    if norm is None:
        return None
    if not isinstance(norm, dict) or not {"mean", "std"} <= set(norm):
        raise Verdict(ClaimStatus.ERROR, f"normalize = {norm!r} needs mean and std")
    out = {}
    for k in ("mean", "std"):
        v = norm[k]
        v = [v] if isinstance(v, (int, float)) else v
        if not isinstance(v, list) or not all(isinstance(x, (int, float)) and
                                              not isinstance(x, bool) for x in v) \
                or len(v) not in (1, channels):
            raise Verdict(ClaimStatus.ERROR, f"normalize.{k} = {norm[k]!r} must be 1 or "
                          f"{channels} numbers")
        out[k] = [float(x) for x in v] * (channels if len(v) == 1 else 1)
    if any(s <= 0 for s in out["std"]):
        raise Verdict(ClaimStatus.ERROR, f"normalize.std = {norm['std']!r} must be positive")
    return out
