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


IMAGE_HWC = "H×W×C"      # the textbook order of layer stacks (`ref shapes`, cnn.* kinds)
MODEL_CHW = "C,H,W"      # PyTorch's order, batch left out (`ref summary`, model.summary)
_EXAMPLE = {IMAGE_HWC: "32x32x3", MODEL_CHW: "3,32,32"}
_CHANNELS = (1, 3, 4)    # grey, RGB, RGBA: what a channel count next to two equal sides looks like


def parse_shape(text: str, order: str = IMAGE_HWC) -> list[int]:
    """`32x32x3`, `32,32,3`, `(32, 32, 3)` -> [32, 32, 3], read in `order`.

    A three-number image shape that reads naturally only in the other order (3x32x32 for H×W×C,
    32,32,3 for C,H,W) is refused with the rewrite, never silently misread.
    """
    parts = [p for p in re.split(r"[x×*,()\[\]\s（），]+", text.strip()) if p]
    try:
        shape = [int(p) for p in parts]
    except ValueError:
        raise ModelSpecError(f"--input {text!r} is not a shape like {_EXAMPLE[order]} "
                             f"({order})") from None
    if not shape or any(d <= 0 for d in shape):
        raise ModelSpecError(f"--input {text!r} is not a shape of positive sizes ({order})")
    if len(shape) == 3:
        first, middle, last = shape
        if order == IMAGE_HWC and first in _CHANNELS and middle == last and first < middle:
            raise ModelSpecError(f"--input {text!r} looks like C×H×W; this command reads "
                                 f"{IMAGE_HWC}: write {middle}x{last}x{first}")
        if order == MODEL_CHW and last in _CHANNELS and first == middle and last < first:
            raise ModelSpecError(f"--input {text!r} looks like H×W×C; this command reads "
                                 f"{MODEL_CHW}: write {last},{first},{middle}")
    return shape


def parse_model_input(text: str) -> tuple[list[int], str | None]:
    """`3,32,32` or `35:long` -> (shape in C,H,W order, dtype name or None)."""
    shape_text, _, dtype = text.partition(":")
    return parse_shape(shape_text, MODEL_CHW), (dtype or None)


def parse_kw_inputs(items: tuple[str, ...]) -> dict[str, tuple[list[int], str | None]]:
    """`mask=35:bool` -> {"mask": ([35], "bool")}."""
    out = {}
    for item in items:
        name, sep, spec = item.partition("=")
        if not sep or not name.isidentifier():
            raise ModelSpecError(f"--kw-input {item!r} is not NAME=SHAPE[:DTYPE], e.g. mask=35:bool")
        out[name] = parse_model_input(spec)
    return out


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


def parse_kwargs(items: tuple[str, ...], option: str = "--kwarg") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ModelSpecError(f"{option} {item!r} is not key=value")
        k, v = item.split("=", 1)
        out[k] = _value(v)
    return out


def stack_table(shape: list[int], layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per layer: output shape (H×W×C), parameters, MACs, receptive field and jump
    (None once flat), and the step that gives the shape."""
    from reference import cnn
    fields: list[Any] = [None] * len(layers)
    spatial = [i for i, layer in enumerate(layers, start=1)
               if str(layer.get("type", "")).lower() not in ("flatten", "dense", "globalavgpool")]
    cut = next((i for i in range(1, len(layers) + 1) if i not in spatial), len(layers) + 1)
    asked = [i for i in spatial if i < cut]
    if asked:
        for i, (rf, jump) in zip(asked, cnn.receptive_field(shape, layers, ask=asked).answer):
            fields[i - 1] = (rf, jump)
    rows = []
    prev: Any = shape
    for i, (worked, layer) in enumerate(zip(cnn.propagate(shape, layers), layers), start=1):
        params = cnn.layer_params(prev, layer, i).answer
        rows.append({"index": i, "type": layer.get("type", "?"), "output": worked.answer,
                     "params": params, "macs": cnn.macs(shape, layers, layer=i).answer,
                     "rf": fields[i - 1][0] if fields[i - 1] else None,
                     "jump": fields[i - 1][1] if fields[i - 1] else None,
                     "step": worked.steps[-1] if worked.steps else ""})
        prev = worked.answer
    return rows


def summarise(model: str, input_texts: tuple[str, ...], kw_texts: tuple[str, ...],
              dtype: str | None, vocab: int | None, batch_dim: int,
              forward_kwargs: dict[str, Any], kwargs: dict[str, Any]) -> Any:
    """`grade ref summary`: the summary of a zoo model or of a model file, errors as one line."""
    inputs = [parse_model_input(text) for text in input_texts]
    kw_inputs = parse_kw_inputs(kw_texts)
    shown = " ".join([*input_texts, *kw_texts]) or "(default)"
    where = f"{model} on input {shown} ({MODEL_CHW} for images, batch left out)"
    if not model.split(":")[0].endswith(".py"):
        if kw_inputs or forward_kwargs or len(inputs) > 1 or dtype or any(d for _, d in inputs):
            raise ModelSpecError(f"{model}: a zoo model takes one image input (C,H,W)")
        return _zoo_summary(model, inputs[0][0] if inputs else None, kwargs, where)
    if not inputs and not kw_inputs:
        raise ModelSpecError(f"{model}: give --input (C,H,W for images, T for token ids)")
    from reference import models
    module = load_model_file(model, kwargs)
    import torch.nn as nn
    if not isinstance(module, nn.Module):
        raise ModelSpecError(f"{model}: gave a {type(module).__name__}, not an nn.Module")
    dtypes = [d or dtype for _, d in inputs] if any(d for _, d in inputs) else dtype
    try:
        return models.summary(module, [shape for shape, _ in inputs], dtypes=dtypes,
                              kwinputs={k: (s, d or dtype) for k, (s, d) in kw_inputs.items()},
                              extra=forward_kwargs, vocab=vocab, batch_dim=batch_dim)
    except models.SummaryError as e:
        raise ModelSpecError(f"{where}: {str(e).splitlines()[0]}") from None


def _zoo_summary(model: str, shape: list[int] | None, kwargs: dict[str, Any], where: str) -> Any:
    """A zoo model at one C,H,W input (its usual size by default)."""
    from reference import models
    if model.lower().strip() not in models.NAMES and not model.lower().endswith("_cifar_bn"):
        raise ModelSpecError(f"{model}: not a zoo model ({', '.join(models.NAMES)}) "
                             "nor FILE.py[:NAME]")
    shape = shape or default_input(model)
    if len(shape) != 3:
        raise ModelSpecError(f"{where}: a zoo model takes one image input of 3 sizes (C,H,W)")
    try:
        return models.zoo_summary(model, shape, kwargs)
    except (ValueError, TypeError) as e:
        text = str(e).splitlines()[0]
        if isinstance(e, TypeError):  # raised inside torch by a wrong-typed option
            text = f"building it with {kwargs} failed: {text}"
        raise ModelSpecError(text if text.startswith(model.lower()) else f"{model}: {text}") from None


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
            "total_macs": summary.total_macs, "total_flops": summary.total_flops,
            "device": summary.device, "notes": list(summary.notes)}
