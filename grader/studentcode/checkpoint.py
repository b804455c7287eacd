"""Checkpoints in every common saving convention, and the state_dict in them that fits.

Conventions: a bare state_dict; a dict holding one (`{'net': ..., 'acc': ..., 'epoch': ...}`,
`model_state_dict`, Lightning's `state_dict`, an EMA copy beside the model, ...); a whole pickled
model (`torch.save(model)`, also from `python train.py`, whose classes live in `__main__`);
DataParallel (`module.`) and `torch.compile` (`_orig_mod.`) wrappers, in any order and nesting;
Lightning's `model.` prefix (any one common leading component); safetensors files.

`fit_state(model, obj, notes)` tries every state_dict in the checkpoint, each with the wrapper
prefixes stripped and, failing an exact fit, its common leading component dropped; the first
that fits exactly is loaded. When none fits, the error names the closest one's differences and
the change that fixes them.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys

from . import hints
from .errors import StudentCodeError

STORED_ACC_KEYS = ("test_acc", "best_acc", "acc", "accuracy", "val_acc", "best_val_acc",
                   "top1", "best_prec1", "best_acc1", "acc1")
STATE_KEYS = ("model_state_dict", "state_dict", "model", "net", "model_state", "weights",
              "module", "network", "params")
WRAPPERS = ("module.", "_orig_mod.")
# The script serves as `__main__` while a pickle loads, so a missing class is named on either.
_MAIN_CLASS = re.compile(r"Can't get attribute '([\w.]+)' on <module '[^']*'")


@contextlib.contextmanager
def _as_main(module):
    """Pickles saved by `python train.py` name `__main__.Net`: let them find the script's."""
    saved = sys.modules.get("__main__")
    if module is not None:
        sys.modules["__main__"] = module
    try:
        yield
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


def load_checkpoint(path: str, module=None, code: str | None = None):
    """The checkpoint's object: tensors only when possible, a full unpickling otherwise (only
    ever inside the sandbox)."""
    import torch
    if not os.path.isfile(path):
        raise StudentCodeError(f"checkpoint {path} not found")
    with open(path, "rb") as f:
        head = f.read(16)
    if path.endswith(".safetensors") or (len(head) >= 9 and head[8:9] == b"{"):
        try:
            from safetensors.torch import load_file
            return load_file(path)
        except Exception as e:
            if path.endswith(".safetensors"):
                raise StudentCodeError(f"checkpoint {path} is not readable safetensors: "
                                       f"{type(e).__name__}: {e}") from None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        pass
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())    # pickles naming the student's own modules (`model.Net`)
    try:
        with _as_main(module):
            return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:
        found = _MAIN_CLASS.search(str(e))
        if found:
            raise StudentCodeError(hints.main_pickle(found.group(1), code)) from None
        from .loader import describe
        raise StudentCodeError(f"checkpoint {path} cannot be loaded: {describe(e)}") from None


def unwrap_model(obj):
    """The network inside DataParallel / DistributedDataParallel / torch.compile wrappers."""
    while True:
        inner = getattr(obj, "_orig_mod", None) or (
            getattr(obj, "module", None) if type(obj).__name__.endswith("DataParallel") else None)
        if inner is None:
            return obj
        obj = inner


def stored_accuracy(obj) -> list | None:
    """[key, value] of the accuracy the checkpoint stores about itself, if any."""
    import torch
    if not isinstance(obj, dict):
        return None
    for k in STORED_ACC_KEYS:
        v = obj.get(k)
        if isinstance(v, torch.Tensor) and v.numel() == 1:
            v = v.item()
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return [k, float(v)]
    return None


def _is_state(d) -> bool:
    import torch
    return isinstance(d, dict) and bool(d) and all(isinstance(k, str) for k in d) and all(
        isinstance(v, torch.Tensor) for v in d.values())


def candidates(obj) -> list[tuple[str, dict]]:
    """(where, state_dict) for every state_dict in the checkpoint, usual keys first."""
    import torch
    if isinstance(obj, torch.nn.Module):
        return [("the pickled model", unwrap_model(obj).state_dict())]
    if _is_state(obj):
        return [("", dict(obj))]
    if not isinstance(obj, dict):
        return []
    keys = [k for k in STATE_KEYS if k in obj] + [k for k in obj if k not in STATE_KEYS]
    out = []
    for k in keys:
        v = obj[k]
        if isinstance(v, torch.nn.Module):
            v = unwrap_model(v).state_dict()
        if _is_state(v):
            out.append((f"checkpoint[{k!r}]", dict(v)))
    return out


def _strip_wrappers(state: dict) -> tuple[dict, list[str]]:
    """Strip `module.` / `_orig_mod.` while every key starts with one, in any order."""
    stripped = []
    while True:
        prefix = next((p for p in WRAPPERS if all(k.startswith(p) for k in state)), None)
        if prefix is None:
            return state, stripped
        state = {k[len(prefix):]: v for k, v in state.items()}
        stripped.append(prefix)


def _variants(state: dict):
    """The state as saved, wrappers stripped, then with one common leading component dropped."""
    base, stripped = _strip_wrappers(state)
    yield base, stripped
    firsts = {k.split(".", 1)[0] for k in base}
    if len(firsts) == 1 and all("." in k for k in base):
        lead = next(iter(firsts)) + "."
        dropped, more = _strip_wrappers({k[len(lead):]: v for k, v in base.items()})
        yield dropped, stripped + [lead] + more


def _fits(state: dict, own: dict) -> bool:
    # Old checkpoints lack BatchNorm's num_batches_tracked; load_state_dict tolerates that.
    missing = {k for k in own if k not in state and not k.endswith("num_batches_tracked")}
    return not missing and set(state) <= set(own) and all(
        state[k].shape == own[k].shape for k in state)


def fit_state(model, obj, notes: list[str], name: str = "the model", factory=None) -> None:
    """Load the state_dict of `obj` that fits `model` exactly; StudentCodeError with a hint if
    none does."""
    own = model.state_dict()
    found = candidates(obj)
    if not found:
        kind = type(obj).__name__ + (f" with keys {list(obj)[:6]}" if isinstance(obj, dict)
                                     else "")
        raise StudentCodeError(hints.not_a_state_dict(kind))
    tried = []
    for where, state in found:
        for variant, dropped in _variants(state):
            if _fits(variant, own):
                if where:
                    notes.append(f"weights read from {where}")
                if dropped:
                    notes.append("key prefixes dropped: " + ", ".join(f"'{p}'" for p in dropped))
                missing_bn = [k for k in own if k not in variant]
                model.load_state_dict({**{k: own[k] for k in missing_bn}, **variant},
                                      strict=True)
                return
            tried.append((where, variant))
    raise StudentCodeError(_mismatch(tried, own, name, factory))


def _mismatch(tried: list[tuple[str, dict]], own: dict, name: str, factory) -> str:
    where, state = max(tried, key=lambda t: len(set(t[1]) & set(own)))
    missing = [k for k in own if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k} {list(state[k].shape)} vs model {list(own[k].shape)}"
              for k in own if k in state and state[k].shape != own[k].shape]
    parts = []
    for label, items in (("missing", missing), ("unexpected", unexpected), ("shape", shapes)):
        if items:
            more = f" (+{len(items) - 4} more)" if len(items) > 4 else ""
            parts.append(f"{label} {', '.join(items[:4])}{more}")
    text = "checkpoint" + (f" ({where})" if where else "") + " does not fit the model: " \
        + "; ".join(parts)
    if shapes and not missing and not unexpected:
        return f"{text}: {hints.shapes_differ(name, _params(factory))}"
    return f"{text}: {hints.other_network()}"


def _params(factory) -> list[str]:
    import inspect
    try:
        return [p for p in inspect.signature(factory).parameters
                if p not in ("args", "kwargs")] if factory is not None else []
    except (TypeError, ValueError):
        return []
