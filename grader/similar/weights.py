"""Reading a student's checkpoint into named float arrays, without running anything in it.

`torch.load(weights_only=True)` (PyTorch's restricted unpickler: tensors and plain containers,
never arbitrary objects) or safetensors; symlinks refused, sizes bounded. A file that cannot
be read this way raises `CheckpointUnreadable` with its reason (a msgid, said in the reader's
language by `unreadable_reason`).
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from grader.i18n import N_, _
from grader.similar.material import MAX_CHECKPOINT_BYTES

MIN_NUMEL = 16              # smaller tensors carry no signal
STATE_KEYS = ("state_dict", "model_state_dict", "model", "net", "network", "params", "weights",
              "module", "ema")


class CheckpointUnreadable(Exception):
    """A checkpoint that cannot be read safely; reported as a warning, never a crash. Its text
    is English from the msgids below (it may come from a worker process, which has no
    language): `unreadable_reason` says it in the current one."""


_REASONS = (N_("a symlink; not followed"), N_("{size} bytes is past the checkpoint limit"),
            N_("no state dict (a dict of tensors) inside"), N_("no floating-point tensors"),
            N_("not a weights-only checkpoint ({error})"), N_("unreadable safetensors ({error})"))


def unreadable_reason(text: str) -> str:
    from grader.i18n import current
    from grader.i18n.matching import by_length, translate
    return text if current() == "en" else translate(text, by_length(_REASONS), _)


# --- reading -----------------------------------------------------------------------------------

def load_state(path: Path) -> OrderedDict[str, np.ndarray]:
    """Float tensors of a checkpoint as float32 arrays, `module.` prefixes dropped."""
    if path.is_symlink():
        raise CheckpointUnreadable(N_("a symlink; not followed"))
    size = path.stat().st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointUnreadable(N_("{size} bytes is past the checkpoint limit").format(
            size=f"{size:,}"))
    raw = _read_safetensors(path) if path.suffix == ".safetensors" else _read_torch(path)
    state = _find_state(raw)
    if state is None:
        raise CheckpointUnreadable(N_("no state dict (a dict of tensors) inside"))
    out: OrderedDict[str, np.ndarray] = OrderedDict()
    for name, t in state.items():
        if hasattr(t, "is_floating_point") and t.is_floating_point() and t.numel() >= MIN_NUMEL:
            key = name[7:] if name.startswith("module.") else name
            out[key] = t.detach().to("cpu").float().numpy()
    if not out:
        raise CheckpointUnreadable(N_("no floating-point tensors"))
    return out


def _read_torch(path: Path) -> Any:
    import torch
    try:
        with warnings.catch_warnings():      # torch warns about pickle protocols it refuses
            warnings.simplefilter("ignore", UserWarning)
            return _torch_load(torch, path)
    except Exception as e:   # noqa: BLE001 - a hostile or damaged file may raise anything
        raise CheckpointUnreadable(N_("not a weights-only checkpoint ({error})").format(
            error=type(e).__name__)) from None


def _torch_load(torch: Any, path: Path) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError:                 # the legacy (non-zip) format cannot be memory-mapped
        return torch.load(path, map_location="cpu", weights_only=True)


def _read_safetensors(path: Path) -> Any:
    from safetensors.torch import load_file
    try:
        return load_file(str(path))
    except Exception as e:   # noqa: BLE001 - damaged headers raise several types
        raise CheckpointUnreadable(N_("unreadable safetensors ({error})").format(
            error=type(e).__name__)) from None


def _find_state(obj: Any, depth: int = 0) -> dict[str, Any] | None:
    if not isinstance(obj, dict) or depth > 2:
        return None
    tensors = {k: v for k, v in obj.items() if hasattr(v, "is_floating_point")}
    if tensors and len(tensors) >= len(obj) / 2:
        return tensors
    for key in STATE_KEYS:
        found = _find_state(obj.get(key), depth + 1)
        if found is not None:
            return found
    return None


# --- sketches ----------------------------------------------------------------------------------
