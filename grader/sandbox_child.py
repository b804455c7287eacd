"""What runs inside the sandbox: load the student's model and checkpoint, return raw outputs.

Run as a plain script (`python -I sandbox_child.py DEVICE NAME`), importing only the standard
library, numpy, torch, safetensors, grader/studentcode and grader/evaluation (bound beside this
script, imported by path): the rest of the grader package is not visible in the sandbox. How the model is taken from
what the student handed in (a script cut to its definitions, a notebook, a package, every
checkpoint convention) lives in grader/studentcode; `build` below calls it.

It starts before any student is known (grader/sandbox/, warm pool): it makes itself
non-dumpable, imports torch and, on CUDA, creates its context and loads the common kernels,
then blocks on stdin. Its request comes as the first message on stdin (a JSON line) once the
parent has put the student's files in /incoming and the inputs in /data. The first things it
does then are lower its own limits (CPU time counted from now, address space, file size, open
files) and copy /incoming into its bounded scratch folder /submission; only then is any
student file read. Replies go to the inherited file descriptor named in the request, as frames:
a JSON header line (after the parent's random token) followed by raw little-endian arrays.
stdout and stderr belong to the student's code and are only shown, never parsed.

No labels come in: classification returns the logits of each input set (the test images and a
memorisation control's); a language model answers token batches one message at a time (see
grader/evaluation/language.py); the parent computes every metric. On CUDA the evaluation is strict fp32 (no
TF32) unless the request allows TF32: TF32 can flip predictions near a tie, and a re-run must
give the student's number.
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import resource
import select
import sys
import time
import traceback

MAX_HEADER = 1 << 20


class Failure(Exception):
    """A problem with the submission, reported as one line (grader/evaluation raises its own
    `Failure`, reported the same way)."""


def main() -> None:
    _not_dumpable()
    device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
    warm = warm_up(device)
    warm["ready"] = not select.select([sys.stdin], [], [], 0)[0]   # no request waiting yet
    line = sys.stdin.buffer.readline(MAX_HEADER)
    if not line:
        os._exit(0)     # a pre-started child sent away without a student
    request = json.loads(line)
    channel = Channel(request)
    meta: dict = {"notes": [], "warm": warm}
    try:
        apply_limits(request.get("limits") or {})
        take_in(request)
        arrays = run(request, meta, channel)
        header = {"ok": True, "final": True, "meta": meta}
    except BaseException as e:   # SystemExit from student code too: it is a failure to report
        failure = isinstance(e, Failure) or type(e).__module__ == "_grade_evaluation"
        detail = str(e) if failure else _one_line(e)
        header, arrays = {"ok": False, "error": detail, "meta": meta}, {}
        if not failure:  # a Failure is already one line; stderr stays the student's
            traceback.print_exc()
    _release_output()
    channel.send(header, arrays)
    os._exit(0)      # skip interpreter teardown: student atexit hooks get no say


class Channel:
    """The conversation with the parent: messages in on stdin (a JSON line, then the arrays it
    names), frames out on the inherited result pipe (after the request's token)."""

    def __init__(self, request: dict) -> None:
        self.token = request["token"]
        self.out = os.fdopen(request["result_fd"], "wb")
        os.set_inheritable(self.out.fileno(), False)

    def send(self, header: dict, arrays: dict) -> None:
        header = dict(header, arrays=[[k, str(a.dtype), list(a.shape)] for k, a in
                                      arrays.items()])
        self.out.write(_frame(self.token, header))
        for a in arrays.values():
            self.out.write(a.tobytes())
        self.out.flush()

    def receive(self) -> tuple[dict, dict]:
        """The next message: its header and arrays (numpy)."""
        import numpy as np
        line = sys.stdin.buffer.readline(MAX_HEADER)
        if not line:
            raise Failure("the grader closed the conversation early")
        header = json.loads(line)
        arrays = {}
        for name, dtype, shape in header.get("arrays", []):
            count = math.prod(shape)
            raw = sys.stdin.buffer.read(count * np.dtype(dtype).itemsize)
            arrays[name] = np.frombuffer(raw, dtype=dtype, count=count).reshape(shape)
        return header, arrays


def _not_dumpable() -> None:
    """No core dumps and no /proc/PID/mem for anyone else: PR_SET_DUMPABLE = 0."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def take_in(request: dict) -> None:
    """Copy the student's files from the read-only /incoming into this box's bounded scratch
    folder (the cwd): whatever the code writes there counts against the box's quota."""
    src = request.get("incoming")
    if not src:
        return
    import errno
    import shutil
    try:
        shutil.copytree(src, ".", dirs_exist_ok=True, symlinks=True)
    except OSError as e:
        if e.errno == errno.ENOSPC or "No space" in str(e):
            raise Failure("the submission does not fit the sandbox's scratch quota "
                          f"({request.get('scratch_mb', '?')} MB)") from None
        raise Failure(f"could not copy the submission into the sandbox: {e}") from None


def _release_output() -> None:
    """Flush stdout and stderr and point them at /dev/null: the parent stops reading them when
    they close, and need not wait for this process to finish exiting."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
    except OSError:
        pass


# ---------------------------------------------------------------- before the student

def warm_up(device: str) -> dict:
    """Everything no student can influence, done before the request: the imports, and on CUDA
    the context, cuDNN/cuBLAS and the kernels of common layers (loaded lazily on first use)."""
    start = time.monotonic()
    try:
        import numpy  # noqa: F401
        import torch
        import torch.nn.functional as F
        try:
            import safetensors.torch  # noqa: F401
        except ImportError:
            pass
        for package in BOUND:   # the grader's own code, loaded before the request's lower limits
            _bound(package)
        dev = torch.device(device)
        strict_fp32(torch, allow_tf32=False)
        with torch.inference_mode():
            x = torch.zeros(2, 3, 8, 8, dtype=torch.uint8).pin_memory() if dev.type == "cuda" \
                else torch.zeros(2, 3, 8, 8, dtype=torch.uint8)
            x = x.to(dev, non_blocking=True).float().div_(255.0)
            y = F.relu(F.conv2d(x, torch.zeros(8, 3, 3, 3, device=dev), padding=1))
            y = F.batch_norm(y, torch.zeros(8, device=dev), torch.ones(8, device=dev))
            y = F.adaptive_avg_pool2d(F.max_pool2d(y, 2), 1).flatten(1)
            F.linear(y, torch.zeros(4, 8, device=dev)).log_softmax(-1).cpu()
            if dev.type == "cuda":
                warm_common_convs(torch, F, dev)
    except Exception as e:      # the request's own run reports the same problem properly
        return {"error": _one_line(e), "s": round(time.monotonic() - start, 3)}
    return {"s": round(time.monotonic() - start, 3)}


# (C_in, C_out, H, stride) of the 3×3 and 1×1 convolutions CIFAR-style ResNets and VGGs run.
COMMON_CONVS = ((3, 64, 32, 1), (64, 64, 32, 1), (64, 128, 32, 2), (128, 128, 16, 1),
                (128, 256, 16, 2), (256, 256, 8, 1), (256, 512, 8, 2), (512, 512, 4, 1))
WARM_BATCH = 1000       # the CUDA batch size claims.py asks for by default


def warm_common_convs(torch, F, dev) -> None:
    """cuDNN chooses and loads kernels per convolution shape on first use: about 0.25 s of a
    ResNet-18's first pass on an H100. Running the common shapes here, before any student is
    known, takes that off each student's critical path; nothing student-specific runs."""
    for c_in, c_out, h, stride in COMMON_CONVS:
        x = torch.zeros(WARM_BATCH, c_in, h, h, device=dev)
        for k in (3, 1):
            w = torch.zeros(c_out, c_in, k, k, device=dev)
            y = F.conv2d(x, w, stride=stride, padding=k // 2)
            F.relu(F.batch_norm(y, torch.zeros(c_out, device=dev),
                                torch.ones(c_out, device=dev)))
    torch.cuda.synchronize()


def strict_fp32(torch, allow_tf32: bool) -> None:
    torch.backends.cudnn.allow_tf32 = allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = allow_tf32


def apply_limits(limits: dict) -> None:
    """Lower this process's limits for the student's run. CPU time is counted from now: what
    the start-up used is added, so a pre-started child gets the claim's whole allowance."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = limits.get("cpu_s")
    if cpu:
        _lower(resource.RLIMIT_CPU, math.ceil(used.ru_utime + used.ru_stime) + int(cpu))
    if limits.get("memory_mb"):
        _lower(resource.RLIMIT_AS, int(limits["memory_mb"]) << 20)
    if limits.get("file_mb"):
        _lower(resource.RLIMIT_FSIZE, int(limits["file_mb"]) << 20)
    if limits.get("open_files"):
        _lower(resource.RLIMIT_NOFILE, int(limits["open_files"]))
    _lower(resource.RLIMIT_CORE, 0)


def _lower(what: int, value: int) -> None:
    """Set soft and hard limit to `value`, or to the hard limit if that is already lower."""
    hard = resource.getrlimit(what)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(what, (value, value))


def _frame(token: str, header: dict) -> bytes:
    """`\\n<token> <json>\\n`: whatever the student's code wrote to the pipe before is skipped."""
    return b"\n" + token.encode() + b" " + json.dumps(header).encode() + b"\n"


def _one_line(e: BaseException) -> str:
    try:        # the student's file and line, a notebook's cell (grader/evaluation `where`)
        where = _bound("evaluation").where(e)
    except Exception:       # the package itself failed to load: say the error alone
        where = ""
    text = f"{type(e).__name__}: {e}".splitlines()[0] if str(e) else type(e).__name__
    return (where + text)[:400]


def run(request: dict, meta: dict, channel: Channel) -> dict:
    import torch
    torch.set_grad_enabled(False)
    device = torch.device(request["device"])
    start = time.monotonic()
    model = build(request, meta)
    model.eval().to(device)
    strict_fp32(torch, bool(request.get("allow_tf32")))   # again: the student's import may flip it
    meta["params"] = int(sum(p.numel() for p in model.parameters()))
    loaded = time.monotonic()
    evaluation = _bound("evaluation")
    if request["task"] == "classification":
        arrays = {f"logits:{spec['name']}":
                  evaluation.images.classify(model, request, spec, device,
                                             meta.setdefault("shown", [])).numpy()
                  for spec in request["inputs"]}
    else:       # the token batches' answers went out one by one; the last frame is the meta
        arrays = {}
        meta["causal"] = evaluation.language.language_model(model, request, device, channel)
    meta["timing"] = {"load_s": round(loaded - start, 3),
                      "evaluate_s": round(time.monotonic() - loaded, 3)}
    return arrays


# ---------------------------------------------------------------- loading

HERE = os.path.dirname(os.path.abspath(__file__))
BOUND = ("studentcode", "evaluation")   # grader/sandbox/box.py binds them beside this script


def _bound(package: str):
    """grader/<package> (bound beside this script), imported by path under a name no student
    module can take: the grader package itself is not importable in here."""
    name = f"_grade_{package}"
    if name not in sys.modules:
        folder = os.path.join(HERE, package)
        spec = importlib.util.spec_from_file_location(
            name, os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        if package == "evaluation":     # its submodules, under the same private name
            for sub in ("images", "language"):
                importlib.import_module(f"{name}.{sub}")
    return sys.modules[name]


def _studentcode():
    return _bound("studentcode")


def build(request: dict, meta: dict):
    """The student's model with its checkpoint loaded; Failure (one line + the fix) if not."""
    import torch
    sc = _studentcode()
    code, ckpt = request.get("code"), request.get("checkpoint")
    name = request.get("model") or "Net"
    notes: list[str] = meta["notes"]
    shown: list[str] = meta.setdefault("shown", [])     # notes the claim's detail repeats
    module = _import(code, name, shown) if code else None
    try:
        obj = sc.load_checkpoint(ckpt, module, code) if ckpt else None
    except sc.StudentCodeError as e:
        raise Failure(sc.scrub(str(e))) from None
    stored = sc.stored_accuracy(obj)
    if stored:
        meta["stored_acc"] = stored
    if isinstance(obj, torch.nn.Module):
        model = sc.unwrap_model(obj)
        cls = type(model)
        shown.append(f"the checkpoint is a whole pickled model of class {cls.__qualname__}"
                     + (f" from {cls.__module__}" if cls.__module__ not in ("__main__",) else ""))
        return model
    if module is None:
        raise Failure("the checkpoint holds only weights: name the file that defines the model "
                      "as `code`" if ckpt else "the claim names no `code` to build the model from")
    factory = _factory(module, name, code)
    kwargs = sc.construct.arguments(factory, request.get("kwargs") or {}, module, shown)
    model = _construct(sc, factory, name, code, kwargs)
    if obj is None:
        notes.append("no checkpoint: the model's initial weights were evaluated")
        return model
    try:
        _fit(sc, model, obj, notes, shown, name, factory)
    except sc.StudentCodeError as e:
        raise Failure(sc.scrub(str(e))) from None
    return model


def _import(code: str, name: str, shown: list[str]):
    sc = _studentcode()
    try:
        return sc.import_code(code, name, shown)
    except sc.StudentCodeError as e:
        raise Failure(sc.scrub(str(e))) from None
    except BaseException as e:      # SystemExit from argparse at the top level too
        raise Failure(sc.describe(e, phase="import")) from None


def _factory(module, name: str, code: str):
    """`model` names a callable of `code`; a dotted name reaches into it (`models.resnet18`)."""
    obj = module
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            defined = sorted(k for k, v in vars(module).items() if isinstance(v, type)
                             and not k.startswith("_") and getattr(v, "__module__", "")
                             == module.__name__)
            raise Failure(f"{code} defines no {name!r}"
                          + (f": set `model` to one of {', '.join(defined[:6])}" if defined
                             else ": set `model` to the class or function that builds it"))
    if not callable(obj):
        raise Failure(f"{code}: {name} is a {type(obj).__name__}, not a class or function: set "
                      "`model` to the class or function that builds the network")
    return obj


def _construct(sc, factory, name: str, code: str, kwargs: dict):
    import torch
    if isinstance(factory, torch.nn.Module):
        return factory          # `model` names an instance the cut kept (`net = Net()`)
    try:
        model = factory(**kwargs)
    except sc.StudentCodeError as e:
        raise Failure(sc.scrub(str(e))) from None
    except TypeError as e:
        hint = sc.hints.constructor(name, factory, kwargs)
        raise Failure(_failed_in(sc, e, code, name) + (f": {hint}" if hint else "")) from None
    except BaseException as e:
        raise Failure(_failed_in(sc, e, code, name)) from None
    model = sc.construct.network(model)     # `model, optimizer = get_model()`
    if not isinstance(model, torch.nn.Module):
        raise Failure(f"{code}: {name}(...) returned {type(model).__name__}, not an nn.Module: "
                      "set `model` to the class or function that returns the network")
    return model


def _failed_in(sc, e: BaseException, code: str, name: str) -> str:
    """The student's line when the failure is in their code, else which call failed."""
    text = sc.describe(e)
    return text if " line " in text.split(":", 1)[0] else f"{code}: {name}(...) failed: {text}"


def _fit(sc, model, obj, notes: list[str], shown: list[str], name: str, factory) -> None:
    before = len(notes)
    sc.fit_state(model, obj, notes, name, factory)
    shown.extend(n for n in notes[before:] if n.startswith("key prefixes"))


if __name__ == "__main__":
    main()
