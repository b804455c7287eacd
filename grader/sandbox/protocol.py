"""The wire between the grader and a sandboxed child, and what comes back.

Parent -> child (the child's stdin): messages, each a JSON header line followed by the raw
little-endian bytes of the arrays its `"arrays"` list names (`[name, dtype, shape]`). The first
message is the request. A language model's tokens come as further messages, one batch each,
sent only once the child has answered the batch before: the child never holds a target it has
not yet been asked to predict.

Child -> parent (an inherited pipe): frames, each `\\n<token> <json header>\\n` and the header's
arrays, the token being a random one sent with the request. Whatever else the student's code
writes to the pipe is skipped. stdout and stderr are read into bounded buffers, never parsed.
"""
from __future__ import annotations

import json
import math
import os
import signal
import threading
from dataclasses import dataclass, field

import numpy as np

ARRAY_DTYPES = {"uint8", "float32", "float64", "int64"}
MAX_HEADER = 1 << 20


@dataclass
class Outcome:
    """What came back from one sandboxed run."""

    ok: bool
    error: str = ""                         # one line when not ok
    meta: dict = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    wall_s: float = 0.0                     # from the request to the reply
    degraded: bool = False
    prestarted: bool = False                # the child was started before this student came
    ready: bool = False                     # ... and had finished starting up
    bounds: dict = field(default_factory=dict)   # what bounded the box (sandbox.Child.bounds)


@dataclass(frozen=True)
class Frame:
    """One reply frame: its header and arrays."""

    header: dict
    arrays: dict[str, np.ndarray]

    @property
    def ok(self) -> bool:
        return bool(self.header.get("ok"))

    @property
    def meta(self) -> dict:
        meta = self.header.get("meta")
        return meta if isinstance(meta, dict) else {}


def message(header: dict, arrays: dict[str, np.ndarray] | None = None) -> bytes:
    """One parent -> child message."""
    arrays = arrays or {}
    head = dict(header, arrays=[[k, str(a.dtype), list(a.shape)] for k, a in arrays.items()])
    return json.dumps(head).encode() + b"\n" + b"".join(
        np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
        for a in arrays.values())


class Tail:
    """Reads a stream to its end, keeping a bounded head and tail."""

    def __init__(self, stream, keep: int) -> None:
        self.head, self.tail, self.total, self.keep = b"", b"", 0, keep
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream) -> None:
        while chunk := stream.read(65536):
            self.total += len(chunk)
            if len(self.head) < self.keep // 2:
                self.head += chunk[: self.keep // 2 - len(self.head)]
            self.tail = (self.tail + chunk)[-(self.keep // 2):]
        stream.close()

    def text(self) -> str:
        self.thread.join(timeout=5)
        if self.total <= self.keep:
            return (self.head + self.tail[len(self.head) - self.total:] if self.total > len(
                self.head) else self.head).decode(errors="replace")
        cut = self.total - len(self.head) - len(self.tail)
        return (self.head.decode(errors="replace") + f"\n[... {cut:,} bytes cut ...]\n"
                + self.tail.decode(errors="replace"))


class Replies:
    """Reads the reply pipe on a thread; `next(deadline)` hands out its frames in order.

    At most `cap` bytes not yet handed out are held: a child that floods the pipe is cut off
    (`overflow`). The parent never waits for the child to finish exiting (a CUDA context takes
    a while to tear down): a complete frame is enough."""

    def __init__(self, fd: int, cap: int, token: str) -> None:
        self.data, self.overflow, self.closed, self.cap = bytearray(), False, False, cap
        self.timed_out = False
        self._ready: Frame | None = None
        self.mark = b"\n" + token.encode() + b" "
        self._cond = threading.Condition()
        self._scan = 0
        self._file = os.fdopen(fd, "rb", buffering=0)
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        try:
            with self._file as f:
                while chunk := f.read(1 << 20):
                    with self._cond:
                        if len(self.data) + len(chunk) > self.cap:
                            self.overflow = True
                            return
                        self.data += chunk
                        self._cond.notify_all()
        except (OSError, ValueError):
            pass
        finally:
            with self._cond:
                self.closed = True
                self._cond.notify_all()

    def next(self, timeout: float) -> Frame | None:
        """The next complete frame, or None when the pipe closed, overflowed or `timeout`
        seconds passed first (`timed_out` tells which)."""
        with self._cond:
            self.timed_out = not self._cond.wait_for(
                lambda: self._take() is not None or self.closed or self.overflow, timeout)
            return self._taken()

    def _take(self) -> Frame | None:
        """Cut the first complete frame off the buffer into `_ready` (called under the lock)."""
        if self._ready is not None:
            return self._ready
        found, self._scan = find_frame(self.data, self.mark, self._scan)
        if found is None or found[2] > len(self.data):
            return None
        header, start, end = found
        arrays = parse_arrays(header.get("arrays", []) if header.get("ok") else [],
                              bytes(self.data[start:end]))
        del self.data[:end]
        self._scan = 0
        self._ready = Frame(header, arrays)
        return self._ready

    def _taken(self) -> Frame | None:
        frame = self._take()
        self._ready = None
        return frame


def find_frame(data: bytearray, mark: bytes, at: int = 0
               ) -> tuple[tuple[dict, int, int] | None, int]:
    """The first well-formed frame from `at` as (header, body start, body end), or None, and
    where to search again once more data came (a header line still arriving is not skipped).
    Garbage the student wrote into the pipe, even with the token, is skipped."""
    at = data.find(mark, at)
    while at >= 0:
        start = at + len(mark)
        nl = data.find(b"\n", start, start + MAX_HEADER)
        if nl < 0 and len(data) - start < MAX_HEADER:
            return None, at
        if nl >= 0:
            try:
                header = json.loads(data[start:nl])
                if isinstance(header, dict):
                    return (header, nl + 1, nl + 1 + body_bytes(header)), at
            except (ValueError, TypeError):
                pass
        at = data.find(mark, at + 1)
    return None, max(0, len(data) - len(mark) + 1)


def array_spec(spec: object) -> tuple[str, np.dtype, tuple[int, ...]]:
    name, dtype, shape = spec       # type: ignore[misc]  (ValueError/TypeError when not 3)
    if dtype not in ARRAY_DTYPES or not isinstance(shape, list) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise ValueError(f"array {name!r}: {dtype} {shape}")
    return str(name), np.dtype(dtype).newbyteorder("<"), tuple(shape)


def body_bytes(header: dict) -> int:
    if not header.get("ok"):
        return 0
    specs = [array_spec(s) for s in header.get("arrays", [])]
    return sum(math.prod(shape) * dtype.itemsize for _, dtype, shape in specs)


def parse_arrays(specs: list, body: bytes) -> dict[str, np.ndarray]:
    arrays, at = {}, 0
    for name, dtype, shape in map(array_spec, specs):
        count = math.prod(shape)
        arrays[name] = np.frombuffer(body, dtype=dtype, count=count, offset=at).reshape(shape)
        at += count * dtype.itemsize
    return arrays


def death(code: int | None, timed_out: bool, wall_s: float) -> str:
    """Why a child ended without a (complete) reply, in words."""
    if timed_out:
        return f"timed out after {wall_s:g} s (the claim's timeout)"
    sig = -code if code is not None and code < 0 else (code - 128 if code and code > 128 else 0)
    named = {int(signal.SIGXCPU): "CPU time limit exceeded",
             int(signal.SIGXFSZ): "file size limit exceeded",
             int(signal.SIGKILL): "killed (out of memory?)",
             int(signal.SIGSEGV): "segmentation fault"}
    if sig in named:
        return f"{named[sig]} before returning a result"
    return f"exited with status {code} before returning a result"


def explain(outcome: Outcome) -> None:
    """Give a death without a message the student's last stderr line, or at least some words."""
    if not outcome.ok and outcome.error.endswith("before returning a result"):
        last = next((l for l in reversed(outcome.stderr.splitlines()) if l.strip()), "")
        if last:
            outcome.error += f"; last stderr line: {last.strip()[:200]}"
    if not outcome.ok and not outcome.error.strip():
        outcome.error = "failed without a message"
