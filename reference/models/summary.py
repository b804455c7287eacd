"""torchsummary-style summaries of any model: output shapes, parameters and MACs per module call.

`summary(model, input_size)` runs one forward pass with hooks on every module except containers
(Sequential, ModuleList, ModuleDict) and the model itself, so residual blocks get rows too (after
their children, numbered in the order their forward ends). The pass runs on the meta device, so
nothing is computed; when the model cannot run there (it makes `torch.zeros(...)` without a
device, calls `.item()`, or moves a tensor with `x.to("cpu")`), it runs again on real zeros on
the CPU. Rows count the module's own parameters plus those of any child the forward never called
(e.g. MultiheadAttention's out_proj, used through its weight); parameters that belong to the model
itself, and matmuls written in its own `forward`, get a last row named after the model. Totals
count every parameter once. MACs: see `reference.models.macs`.

Shapes: inputs are given WITHOUT the batch, in the model's own order (C, H, W for images, T for
token ids); the batch is -1 in the rows, at the position the layer keeps it (an RNN's hidden
state is [layers·directions, -1, H]).
"""
from __future__ import annotations

import copy
import dataclasses
import math
import textwrap
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import torch
from torch import nn

from reference.models.macs import CONVENTION, OpCounter, has_formula, module_macs

DTYPES: dict[str, torch.dtype] = {
    "float": torch.float32, "float32": torch.float32, "double": torch.float64,
    "float64": torch.float64, "half": torch.float16, "float16": torch.float16,
    "bfloat16": torch.bfloat16, "long": torch.int64, "int64": torch.int64, "int": torch.int32,
    "int32": torch.int32, "bool": torch.bool,
}
DUMMY_BATCH = 2  # > 1 so that a training-mode batchnorm would also run


class SummaryError(ValueError):
    """The model could not be run on the inputs given; the message names the layer and shapes."""


@dataclass(frozen=True)
class Input:
    """One model input: its shape without the batch, its dtype name, and its keyword (if any)."""

    shape: tuple[int, ...]
    dtype: str = "float"
    name: str | None = None

    def show(self) -> str:
        text = ",".join(map(str, self.shape))
        text += "" if self.dtype == "float" else f":{self.dtype}"
        return text if self.name is None else f"{self.name}={text}"


@dataclass(frozen=True)
class Row:
    """One hooked module call: torchsummary's name (`Conv2d-1`), its path, output and own parameters."""

    name: str
    path: str
    output_shape: list[Any]  # [-1, C, H, W]; a list of such lists for a tuple output
    params: int
    trainable: bool
    macs: int


@dataclass(frozen=True)
class Summary:
    """Per-module rows in call order, and totals over the model's parameters (each counted once)."""

    rows: tuple[Row, ...]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    total_macs: int
    input_size: tuple[Any, ...]
    batch_size: int = -1
    inputs: tuple[Input, ...] = field(default=())
    device: str = "meta"  # where the pass ran: "meta", or "cpu" after the fallback
    notes: tuple[str, ...] = ()

    @property
    def total_flops(self) -> int:
        return 2 * self.total_macs


_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def make_inputs(input_size: Sequence[Any], dtypes: Any = None,
                kwinputs: Mapping[str, Any] | None = None) -> list[Input]:
    """Normalise shapes (one, or a list), dtype names (one for all, or one each) and keyword inputs."""
    if all(isinstance(n, int) for n in input_size):
        shapes = [tuple(input_size)] if input_size else []
    else:
        shapes = [tuple(size) for size in input_size]
    names = [dtypes] * len(shapes) if dtypes is None or isinstance(dtypes, str) else list(dtypes)
    if len(names) != len(shapes):
        raise SummaryError(f"{len(names)} dtypes for {len(shapes)} inputs; give one, or one each")
    inputs = [Input(s, _dtype_name(d)) for s, d in zip(shapes, names)]
    for key, spec in (kwinputs or {}).items():
        shape, dtype = (spec, None) if all(isinstance(n, int) for n in spec) else spec
        inputs.append(Input(tuple(shape), _dtype_name(dtype), key))
    for spec in inputs:
        if not spec.shape and spec.name is None or any(
                isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in spec.shape):
            raise SummaryError(f"input {spec.show()} is not a shape of positive sizes")
    return inputs


def _dtype_name(name: str | None) -> str:
    key = (name or "float").lower()
    if key not in DTYPES:
        raise SummaryError(f"dtype {name!r} is not one of {', '.join(DTYPES)}")
    return "float" if DTYPES[key] is torch.float32 else key


def _meta_copy(model: nn.Module) -> nn.Module:
    """A copy of `model` on the meta device, without copying any weight data."""
    memo: dict[int, Any] = {}
    for p in model.parameters():
        memo[id(p)] = nn.Parameter(torch.empty_like(p, device="meta"), requires_grad=p.requires_grad)
    for b in model.buffers():
        memo[id(b)] = torch.empty_like(b, device="meta")
    return copy.deepcopy(model, memo)


def _tensor(spec: Input, device: str, vocab: int | None, batch_dim: int,
            generator: torch.Generator) -> torch.Tensor:
    shape = list(spec.shape)
    shape.insert(min(batch_dim, len(shape)), DUMMY_BATCH)
    dtype = DTYPES[spec.dtype]
    if device == "cpu" and vocab and not dtype.is_floating_point and dtype is not torch.bool:
        return torch.randint(0, vocab, shape, dtype=dtype, generator=generator)  # token ids
    return torch.zeros(shape, dtype=dtype, device=device)


def _batch_axes(module: nn.Module, output: Any, default: int) -> Any:
    """Where the batch is in each output tensor: an RNN keeps it at 1 in its hidden state."""
    if isinstance(module, nn.RNNBase) and isinstance(output, tuple):
        seq = 0 if module.batch_first else 1
        hidden = output[1]
        return (seq, tuple(1 for _ in hidden) if isinstance(hidden, tuple) else 1)
    if isinstance(module, nn.MultiheadAttention) and isinstance(output, tuple):
        return (0 if module.batch_first else 1, 0)
    return default


def _shape(output: Any, batch_size: int, axis: Any = 0) -> list[Any]:
    if isinstance(output, torch.Tensor):
        shape: list[Any] = list(output.shape)
        if isinstance(axis, int) and axis < len(shape) and shape[axis] == DUMMY_BATCH:
            shape[axis] = batch_size
        return shape
    if isinstance(output, (tuple, list)):
        axes = axis if isinstance(axis, tuple) else (axis,) * len(output)
        return [_shape(o, batch_size, a) for o, a in zip(output, axes)
                if isinstance(o, (torch.Tensor, tuple, list))]
    return []


def _shapes_of(values: Sequence[Any]) -> str:
    shapes = [list(v.shape) for v in values if isinstance(v, torch.Tensor)]
    return ", ".join(str(s) for s in shapes) or "no tensor"


@dataclass
class _Frame:
    """One module call in progress: the MACs of functional ops booked to it, and its inputs."""

    module: nn.Module
    inputs: str
    macs: int = 0


class _Recorder:
    """Hooks that build the rows and the op counter that books functional matmuls to frames."""

    def __init__(self, model: nn.Module, batch_size: int, batch_dim: int) -> None:
        self.model, self.batch_size, self.batch_dim = model, batch_size, batch_dim
        self.paths = {m: path for path, m in model.named_modules()}
        self.rows: list[Row] = []
        self.called: set[nn.Module] = set()
        self.stack: list[_Frame] = [_Frame(model, "")]

    def pre(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        self.stack.append(_Frame(module, _shapes_of([*args, *kwargs.values()])))

    def post(self, module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        frame = self.stack.pop()
        if isinstance(module, _CONTAINERS):
            self.stack[-1].macs += frame.macs  # containers get no row: their ops go up
            return
        macs = module_macs(module, args, kwargs, output) if has_formula(module) else frame.macs
        self.called.add(module)
        self.rows.append(self._row(module, output, macs))

    def on_op(self, macs: int) -> None:
        if not any(has_formula(f.module) for f in self.stack):  # formulas count their own ops
            self.stack[-1].macs += macs

    def _row(self, module: nn.Module, output: Any, macs: int) -> Row:
        own = list(module.parameters(recurse=False))
        axis = _batch_axes(module, output, self.batch_dim)
        return Row(name=f"{type(module).__name__}-{len(self.rows) + 1}", path=self.paths[module],
                   output_shape=_shape(output, self.batch_size, axis), params=0,
                   trainable=all(p.requires_grad for p in own), macs=macs)

    def finish(self, output: Any) -> list[Row]:
        """Rows with parameters filled in, plus the model's own row when it has anything to show."""
        rows = [dataclasses.replace(r, params=self._params(self._module(r.path))) for r in self.rows]
        own_params = self._params(self.model)
        root = self.stack[0]
        if self.model not in self.called and (own_params or root.macs):
            axis = self.batch_dim
            rows.append(Row(name=f"{type(self.model).__name__}-{len(rows) + 1}", path="",
                            output_shape=_shape(output, self.batch_size, axis),
                            params=own_params, macs=root.macs,
                            trainable=all(p.requires_grad for p in self.model.parameters(False))))
        return rows

    def _module(self, path: str) -> nn.Module:
        return self.model.get_submodule(path)

    def _params(self, module: nn.Module) -> int:
        """Own parameters, and those of children the forward never called (and theirs)."""
        total = sum(p.numel() for p in module.parameters(recurse=False))
        for child in module.children():
            if child not in self.called:
                total += self._params(child)
        return total

    def where(self) -> str:
        """The innermost module still running: the one whose forward raised."""
        frame = self.stack[-1]
        if frame.module is self.model:
            return f"forward of {type(self.model).__name__}"
        path = self.paths.get(frame.module, "?")
        return (f"layer {path} ({type(frame.module).__name__}) given {frame.inputs} "
                f"(the dry run's batch of {DUMMY_BATCH} included)")


def _run(model: nn.Module, inputs: Sequence[Input], extra: Mapping[str, Any], device: str,
         vocab: int | None, batch_size: int, batch_dim: int) -> list[Row]:
    recorder = _Recorder(model, batch_size, batch_dim)
    generator = torch.Generator().manual_seed(0)
    tensors = [_tensor(spec, device, vocab, batch_dim, generator) for spec in inputs]
    args = [t for t, spec in zip(tensors, inputs) if spec.name is None]
    kwargs = {spec.name: t for t, spec in zip(tensors, inputs) if spec.name is not None}
    # a bare layer (no children) is its own only row; a model's rows are its modules'
    bare = has_formula(model) or not list(model.children())
    hooked = [m for m in model.modules() if m is not model or bare]
    handles = [m.register_forward_pre_hook(recorder.pre, with_kwargs=True) for m in hooked]
    handles += [m.register_forward_hook(recorder.post, with_kwargs=True) for m in hooked]
    training = {m: m.training for m in model.modules()}
    fastpath = torch.backends.mha.get_fastpath_enabled()
    model.eval()
    torch.backends.mha.set_fastpath_enabled(False)  # the fused path skips the submodules' hooks
    try:
        with torch.no_grad(), OpCounter(recorder.on_op):
            output = model(*args, **kwargs, **extra)
    except Exception as error:  # noqa: BLE001 - anything a model's forward raises is reported
        raise SummaryError(f"{recorder.where()}: {type(error).__name__}: "
                           f"{(str(error).strip() or 'failed').splitlines()[0]}") from error
    finally:
        for handle in handles:
            handle.remove()
        for m, mode in training.items():
            m.train(mode)
        torch.backends.mha.set_fastpath_enabled(fastpath)
    return recorder.finish(output)


def summary(model: nn.Module, input_size: Sequence[Any], *, batch_size: int = -1,
            dtypes: Any = None, kwinputs: Mapping[str, Any] | None = None,
            extra: Mapping[str, Any] | None = None, vocab: int | None = None,
            batch_dim: int = 0) -> Summary:
    """torchsummary's table as data; the model itself is not changed.

    `input_size`: one shape without the batch, e.g. (3, 224, 224), or a list of them for several
    positional inputs. `dtypes`: one dtype name for all ("float", "long", ...) or one per input.
    `kwinputs`: keyword tensor inputs {name: shape or (shape, dtype)}; `extra`: plain keyword
    values for forward. `vocab`: integer inputs hold random ids in [0, vocab) when the pass runs
    on the CPU (zeros otherwise). `batch_dim`: where the batch goes (1 for seq-first models).
    Raises SummaryError naming the failing layer and its input shapes (batch included, N = 2).
    """
    inputs = make_inputs(input_size, dtypes, kwinputs)
    extra = dict(extra or {})
    device = "meta"
    try:
        rows = _run(_meta_copy(model), inputs, extra, "meta", vocab, batch_size, batch_dim)
    except SummaryError as meta_error:
        if any(p.device.type != "cpu" for p in [*model.parameters(), *model.buffers()]):
            raise meta_error from None  # nothing real to fall back on
        device = "cpu"
        rows = _run(model, inputs, extra, "cpu", vocab, batch_size, batch_dim)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    macs = sum(r.macs for r in rows) // DUMMY_BATCH  # per sample
    rows = [dataclasses.replace(r, macs=r.macs // DUMMY_BATCH) for r in rows]
    positional = [spec.shape for spec in inputs if spec.name is None]
    return Summary(notes=tuple(_seq_first_notes(model, batch_dim)), rows=tuple(rows), total_params=total, trainable_params=trainable,
                   non_trainable_params=total - trainable, total_macs=macs,
                   input_size=positional[0] if len(positional) == 1 else tuple(positional),
                   batch_size=batch_size, inputs=tuple(inputs), device=device)


def _seq_first_notes(model: nn.Module, batch_dim: int) -> list[str]:
    """Seq-first layers given batch-first inputs read the dummy batch as time: say so."""
    if batch_dim != 0:
        return []
    paths = [path or type(model).__name__ for path, m in model.named_modules()
             if isinstance(m, (nn.RNNBase, nn.MultiheadAttention)) and not m.batch_first]
    if not paths:
        return []
    return [f"Note: {', '.join(paths[:3])} {'is' if len(paths) == 1 else 'are'} seq-first "
            "(batch_first=False); if the inputs are (T, N), put the batch at dimension 1 "
            "(batch_dim=1, --batch-dim 1)."]


# ---------------------------------------------------------------- shown

_RULE = 80


def format_table(summary: Summary) -> str:
    """torchsummary's text table, with a MACs column, FLOPs and the counting convention below."""
    line = "{:>20}  {:>25} {:>15} {:>15}"
    out = ["-" * _RULE, line.format("Layer (type)", "Output Shape", "Param #", "MACs"), "=" * _RULE]
    out += [line.format(r.name, str(r.output_shape), f"{r.params:,}", f"{r.macs:,}") for r in summary.rows]
    batch = abs(summary.batch_size)
    inputs = summary.inputs or tuple(Input(s) for s in _sizes(summary.input_size))
    input_mb = sum(math.prod(s.shape) * DTYPES[s.dtype].itemsize for s in inputs) * batch / 1024**2
    outputs_mb = 2 * sum(_numel(r.output_shape) for r in summary.rows) * batch * 4 / 1024**2
    params_mb = summary.total_params * 4 / 1024**2
    out += [
        "=" * _RULE,
        f"Total params: {summary.total_params:,}",
        f"Trainable params: {summary.trainable_params:,}",
        f"Non-trainable params: {summary.non_trainable_params:,}",
        f"Total MACs: {summary.total_macs:,} ({summary.total_macs / 1e9:.2f} G)",
        f"Total FLOPs (2·MACs): {summary.total_flops:,} ({summary.total_flops / 1e9:.2f} G)",
        "-" * _RULE,
        f"Input size (MB): {input_mb:.2f}",
        f"Forward/backward pass size (MB): {outputs_mb:.2f}",
        f"Params size (MB): {params_mb:.2f}",
        f"Estimated Total Size (MB): {input_mb + outputs_mb + params_mb:.2f}",
        "-" * _RULE,
        *textwrap.wrap(CONVENTION, _RULE),
    ]
    out += [line for note in summary.notes for line in textwrap.wrap(note, _RULE)]
    if summary.device == "cpu":
        out.append("Shapes from a pass on real zeros on the CPU (the model cannot run on the meta device).")
    return "\n".join(out)


def _sizes(input_size: Sequence[Any]) -> list[tuple[int, ...]]:
    if all(isinstance(n, int) for n in input_size):
        return [tuple(input_size)]
    return [tuple(size) for size in input_size]


def _numel(shape: list[Any]) -> int:
    """Elements per sample of a row's output (the batch entry left out)."""
    if shape and isinstance(shape[0], list):
        return sum(_numel(s) for s in shape)
    return math.prod(abs(n) for n in shape if n != -1) if shape else 0
