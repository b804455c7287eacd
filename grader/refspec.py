"""`grade ref`: read the quick specs people type (layers, shapes, matrices, model files).

Each function returns plain data for a `reference/` function, or raises ModelSpecError naming
the value it could not read.
"""
from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

from grader.errors import ModelSpecError
from grader.inputs import read_toml


def parse_shape(text: str) -> list[int]:
    """`32x32x3`, `32,32,3`, `(32, 32, 3)` -> [32, 32, 3]."""
    parts = [p for p in re.split(r"[x×*,()\[\]\s（），]+", text.strip()) if p]
    try:
        shape = [int(p) for p in parts]
    except ValueError:
        raise ModelSpecError(f"--input {text!r} is not a shape like 32x32x3") from None
    if not shape or any(d <= 0 for d in shape):
        raise ModelSpecError(f"--input {text!r} is not a shape of positive sizes")
    return shape


def _value(text: str) -> Any:
    """`3` -> 3, `3,3` -> [3, 3], `same` -> "same", `true` -> True."""
    if "," in text:
        return [_value(t) for t in text.split(",") if t]
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        return text


def parse_layer(text: str) -> dict[str, Any]:
    """`conv2d filters=32 kernel=3 padding=same` -> a layer dict of DESIGN.md's layer keys."""
    words = text.replace(";", " ").split()
    if not words:
        raise ModelSpecError("--layer '' is empty; e.g. --layer 'conv2d filters=32 kernel=3'")
    layer: dict[str, Any] = {"type": words[0]}
    for word in words[1:]:
        if "=" not in word:
            raise ModelSpecError(f"--layer {text!r}: {word!r} is not key=value")
        k, v = word.split("=", 1)
        layer[k] = _value(v)
    return layer


def read_stack(path: Path) -> tuple[list[int] | None, list[dict[str, Any]]]:
    """A TOML file with `input = [...]` and `layers = [...]` (a question's params)."""
    data, _ = read_toml(path, ModelSpecError)
    params = data.get("params", data)
    layers = params.get("layers")
    if not isinstance(layers, list) or not all(isinstance(x, dict) for x in layers):
        raise ModelSpecError(f"{path.name}: needs `layers = [{{ type = ... }}, ...]`")
    return params.get("input"), layers


def parse_matrix(text: str, name: str) -> list[list[Any]]:
    """`[[1,0],[0,1]]` or `1 0; 0 1` -> nested lists; entries may be exact strings like 1/2."""
    text = text.strip()
    try:
        if text.startswith("["):
            value = json.loads(text)
        else:
            value = [row.replace(",", " ").split() for row in text.split(";") if row.strip()]
    except json.JSONDecodeError as e:
        raise ModelSpecError(f"--{name} {text!r} is not a matrix: {e.msg}") from None
    if value and not isinstance(value[0], list):
        value = [value]
    if not value or any(not isinstance(r, list) or len(r) != len(value[0]) for r in value):
        raise ModelSpecError(f"--{name} {text!r} is not a rectangular matrix")
    return value


def read_qkv(path: Path) -> dict[str, Any]:
    """A TOML file with Q, K, V (and optionally mask)."""
    data, _ = read_toml(path, ModelSpecError)
    params = data.get("params", data)
    missing = [m for m in ("Q", "K", "V") if m not in params]
    if missing:
        raise ModelSpecError(f"{path.name}: missing {', '.join(missing)}")
    return params


def load_model_file(spec: str, kwargs: dict[str, Any]) -> Any:
    """`model.py:Net` -> Net(**kwargs). Runs the file: only for your own code, never students'."""
    file, _, name = spec.partition(":")
    path = Path(file)
    if not path.is_file():
        raise ModelSpecError(f"{file}: no such file")
    module_name = f"_grade_ref_{path.stem}"
    loader = importlib.util.spec_from_file_location(module_name, path)
    if loader is None or loader.loader is None:
        raise ModelSpecError(f"{file}: not a Python file")
    module = importlib.util.module_from_spec(loader)
    sys.modules[module_name] = module
    try:
        loader.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - the user's file; report, don't crash
        raise ModelSpecError(f"{file}: importing it failed: {type(e).__name__}: {e}") from None
    name = name or _single_module_class(module, file)
    factory = getattr(module, name, None)
    if not callable(factory):
        raise ModelSpecError(f"{file}: defines no callable {name!r}")
    try:
        return factory(**kwargs)
    except Exception as e:  # noqa: BLE001
        raise ModelSpecError(f"{file}:{name}(**{kwargs}) failed: {type(e).__name__}: {e}") \
            from None


def _single_module_class(module: Any, file: str) -> str:
    import torch.nn as nn
    names = [n for n, v in vars(module).items() if isinstance(v, type)
             and issubclass(v, nn.Module) and v.__module__ == module.__name__]
    if len(names) != 1:
        raise ModelSpecError(f"{file}: name the model as {file}:NAME (found "
                             f"{', '.join(names) or 'no nn.Module class'})")
    return names[0]


def parse_kwargs(items: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ModelSpecError(f"--kwarg {item!r} is not key=value")
        k, v = item.split("=", 1)
        out[k] = _value(v)
    return out


def stack_table(shape: list[int], layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per layer: output shape, parameters, and the step that gives the shape."""
    from reference import cnn
    rows = []
    prev: Any = shape
    for i, (worked, layer) in enumerate(zip(cnn.propagate(shape, layers), layers), start=1):
        params = cnn.layer_params(prev, layer, i).answer
        rows.append({"index": i, "type": layer.get("type", "?"), "output": worked.answer,
                     "params": params, "step": worked.steps[-1] if worked.steps else ""})
        prev = worked.answer
    return rows


def default_input(model: str) -> list[int]:
    """The input size a zoo model is usually shown at."""
    if model.startswith("lenet"):
        return [1, 32, 32]
    return [3, 32, 32] if model.endswith("_cifar") else [3, 224, 224]


def summary_json(summary: Any) -> dict[str, Any]:
    return {"rows": [{"name": r.name, "path": r.path, "output_shape": list(r.output_shape),
                      "params": r.params, "trainable": r.trainable, "macs": r.macs}
                     for r in summary.rows],
            "total_params": summary.total_params, "trainable_params": summary.trainable_params,
            "non_trainable_params": summary.non_trainable_params,
            "total_macs": summary.total_macs}
