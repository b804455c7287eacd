"""Running a submission's code in a box it cannot leave, started before the submission is known.

A `Child` is one sandboxed `sandbox_child.py`, started with `Sandbox.start(device, root)` under
bubblewrap (`bwrap`):

- namespaces: `--unshare-all` (user, pid, net, ipc, uts, cgroup), `--cap-drop ALL`,
  `--clearenv`, `--new-session`, `--die-with-parent`; the sandboxed uid is 1000, not root;
- files: read-only binds of the interpreter prefix, the virtualenv, the child script and
  grader/studentcode (which it imports); an
  EMPTY host scratch folder at /submission (read-write, the cwd) and an EMPTY host folder at
  /data (read-only); a private tmpfs /tmp (also TMPDIR and HOME); nothing else of the host, so
  no sibling submission, answer key or labels is visible;
- processes: a seccomp filter (classic BPF handed to `bwrap --seccomp`) refuses fork, vfork
  and clone without CLONE_THREAD, so threads work and no process can be spawned. RLIMIT_NPROC
  would not do: the kernel never enforces it for (host) root, which is who runs the grader;
- limits: no core files from the start; RLIMIT_CPU (counted from the request: the start-up's
  CPU time is added), RLIMIT_AS (not on CUDA, whose driver maps tens of GB of address space),
  RLIMIT_FSIZE and RLIMIT_NOFILE are set by the child itself when its request arrives, before
  any student file is read (a process may always lower its own limits, never raise them back);
  the wall clock (`timeout`) counts from the request; at the end the whole process group is
  killed, and with it bwrap's pid namespace.

Warm start: the child imports torch (and on CUDA creates its context) and then blocks on stdin.
Bind mounts are live views, so when a student comes the parent copies the student's files into
the child's scratch folder and links the inputs into its /data, THEN writes the request; nothing
student-specific exists in the box before that. Each child serves exactly one request and is
then killed, never reused. `WarmPool` keeps `size` such children started and replaces each one
handed out, from one long-lived thread: bwrap's `--die-with-parent` fires when the *thread*
that started it ends.

The reply comes back over a pipe whose write end is an inherited fd; its frame carries a random
token sent with the request. The parent stops waiting as soon as the first well-formed frame is
complete (not when the child has finished exiting, which with a CUDA context takes a while).
stdout and stderr are read into bounded buffers, never parsed.

Without bwrap the child runs as a plain subprocess with the same limits and seccomp filter,
under `unshare -n` when that works, warm started the same way; `degraded` is set and a warning
goes to stderr once.
"""
from __future__ import annotations

import ctypes
import json
import math
import os
import platform
import resource
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CHILD = Path(__file__).with_name("sandbox_child.py")
STUDENTCODE = Path(__file__).with_name("studentcode")     # imported by the child, by path
INSIDE_WORK = "/submission"
INSIDE_DATA = "/data"
INSIDE_CHILD = "/grader/sandbox_child.py"
INPUTS_NAME = "inputs.bin"
ARRAY_DTYPES = {"float32", "float64", "int64"}

_warned_degraded = False


@dataclass(frozen=True)
class Limits:
    wall_s: float = 600.0
    cpu_s: float | None = None      # default: wall_s × cores + 10
    memory_mb: int | None = 8192    # address space; None: unlimited (CUDA)
    file_mb: int = 256
    open_files: int = 512
    output_bytes: int = 32_768      # kept of stdout and of stderr each (head + tail)
    reply_bytes: int = 1 << 30

    def for_child(self, device: str) -> dict:
        """What the child applies to itself on its request (sandbox_child.apply_limits)."""
        cpu = int(self.cpu_s or self.wall_s * (os.cpu_count() or 1) + 10)
        memory = None if device.startswith("cuda") else self.memory_mb
        return {"cpu_s": cpu, "memory_mb": memory, "file_mb": self.file_mb,
                "open_files": self.open_files}


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


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


# ---------------------------------------------------------------- scratch copy

def copy_submission(src: Path, dest: Path, max_bytes: int = 2 << 30) -> dict[str, str]:
    """Copy `src` into `dest` without following links out of it; returns {relpath: why dropped}."""
    root = src.resolve()
    dropped: dict[str, str] = {}
    budget = max_bytes
    dest.mkdir(parents=True, exist_ok=True)
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        rel_dir = here.relative_to(root)
        for d in list(dirs):
            if (here / d).is_symlink():
                dirs.remove(d)
                dropped[str(rel_dir / d)] = "a symlinked folder (not followed)"
            else:
                (dest / rel_dir / d).mkdir(exist_ok=True)
        for name in files:
            path, rel = here / name, rel_dir / name
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(root) or not target.is_file():
                    dropped[str(rel)] = f"a symlink pointing outside the submission ({os.readlink(path)})"
                    continue
                path = target
            elif not path.is_file():
                dropped[str(rel)] = "not a regular file"
                continue
            size = path.stat().st_size
            if size > budget:
                dropped[str(rel)] = f"over the {max_bytes >> 20} MB copy limit"
                continue
            budget -= size
            shutil.copyfile(path, dest / rel, follow_symlinks=False)
    return dropped


# ---------------------------------------------------------------- seccomp

_ARCH = {  # machine: (AUDIT_ARCH, fork, vfork, clone, clone3)
    "x86_64": (0xC000003E, 57, 58, 56, 435),
    "aarch64": (0xC00000B7, 0xFFFFFFFF, 0xFFFFFFFF, 220, 435),
}


def seccomp_program() -> bytes | None:
    """Classic BPF: refuse new processes (fork, vfork, clone without CLONE_THREAD); clone3
    answers ENOSYS so libc falls back to clone for threads. None on an unknown machine."""
    arch = _ARCH.get(platform.machine())
    if arch is None:
        return None
    audit, fork, vfork, clone, clone3 = arch
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, deny, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38   # EPERM, ENOSYS
    ins = [
        (ld, 0, 0, 4),              # 0  A = arch
        (jeq, 1, 0, audit),         # 1  native ABI?
        (ret, 0, 0, deny),          # 2  foreign ABI (ia32 via int 0x80): refuse everything
        (ld, 0, 0, 0),              # 3  A = syscall number
        (jge, 8, 0, 0x40000000),    # 4  x32 ABI -> deny (13)
        (jeq, 7, 0, fork),          # 5  -> deny
        (jeq, 6, 0, vfork),         # 6  -> deny
        (jeq, 6, 0, clone3),        # 7  -> enosys (14)
        (jeq, 1, 0, clone),         # 8  -> 10
        (ret, 0, 0, allow),         # 9
        (ld, 0, 0, 16),             # 10 A = low word of clone flags
        (jset, 0, 1, 0x00010000),   # 11 CLONE_THREAD ? allow : deny
        (ret, 0, 0, allow),         # 12
        (ret, 0, 0, deny),          # 13
        (ret, 0, 0, enosys),        # 14
    ]
    return b"".join(struct.pack("HBBI", *i) for i in ins)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _seccomp_installer(program: bytes):
    """A preexec hook installing `program` (fallback path; bwrap installs it otherwise)."""
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(program)
    prog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))

    def install() -> None:
        libc.prctl(38, 1, 0, 0, 0)                          # PR_SET_NO_NEW_PRIVS
        libc.prctl(22, 2, ctypes.byref(prog), 0, 0)         # PR_SET_SECCOMP, FILTER
    install.keep = (buf, prog)  # type: ignore[attr-defined]
    return install


# ---------------------------------------------------------------- output and reply

class _Tail:
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


MAX_HEADER = 1 << 20


class _Reply:
    """Reads the reply pipe until the first well-formed frame is complete, the pipe closes or
    more than `cap` bytes came, then sets `done`: the parent need not wait for the child to
    finish exiting (a CUDA context takes a while to tear down)."""

    def __init__(self, fd: int, cap: int, token: str) -> None:
        self.data, self.overflow, self.complete, self.cap = bytearray(), False, False, cap
        self.mark = b"\n" + token.encode() + b" "
        self.done = threading.Event()
        self._scan, self._end = 0, -1
        self.thread = threading.Thread(target=self._pump, args=(fd,), daemon=True)
        self.thread.start()

    def _pump(self, fd: int) -> None:
        try:
            with os.fdopen(fd, "rb", buffering=0) as f:
                while chunk := f.read(1 << 20):
                    if len(self.data) + len(chunk) > self.cap:
                        self.overflow = True
                        return
                    self.data += chunk
                    if self._frame_complete():
                        self.complete = True
                        return
        finally:
            self.done.set()

    def _frame_complete(self) -> bool:
        if self._end < 0:       # the header is searched once; then only the length counts
            frame, self._scan = _find_frame(self.data, self.mark, self._scan)
            if frame is None:
                return False
            self._end = frame[2]
        return len(self.data) >= self._end


def _find_frame(data: bytearray, mark: bytes, at: int = 0
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
                    return (header, nl + 1, nl + 1 + _body_bytes(header)), at
            except (ValueError, TypeError):
                pass
        at = data.find(mark, at + 1)
    return None, max(0, len(data) - len(mark) + 1)


def _array_spec(spec: object) -> tuple[str, np.dtype, tuple[int, ...]]:
    name, dtype, shape = spec       # type: ignore[misc]  (ValueError/TypeError when not 3)
    if dtype not in ARRAY_DTYPES or not isinstance(shape, list) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise ValueError(f"array {name!r}: {dtype} {shape}")
    return str(name), np.dtype(dtype).newbyteorder("<"), tuple(shape)


def _body_bytes(header: dict) -> int:
    if not header.get("ok"):
        return 0
    specs = [_array_spec(s) for s in header.get("arrays", [])]
    return sum(math.prod(shape) * dtype.itemsize for _, dtype, shape in specs)


def _arrays(specs: list, body: memoryview) -> dict[str, np.ndarray]:
    arrays, at = {}, 0
    for name, dtype, shape in map(_array_spec, specs):
        count = math.prod(shape)
        arrays[name] = np.frombuffer(body, dtype=dtype, count=count, offset=at).reshape(shape)
        at += count * dtype.itemsize
    return arrays


def _outcome(proc: subprocess.Popen, reply: _Reply, timed_out: bool, limits: Limits) -> Outcome:
    if reply.overflow:
        return Outcome(False, f"the reply exceeded {limits.reply_bytes:,} bytes")
    frame, _ = _find_frame(reply.data, reply.mark)
    if frame is None or frame[2] > len(reply.data):
        return Outcome(False, _death(proc.returncode, timed_out, limits))
    header, start, end = frame
    meta = header.get("meta") if isinstance(header.get("meta"), dict) else {}
    if not header.get("ok"):
        return Outcome(False, str(header.get("error", ""))[:500], meta)
    return Outcome(True, "", meta, _arrays(header.get("arrays", []),
                                           memoryview(reply.data)[start:end]))


# ---------------------------------------------------------------- one child

class Child:
    """One sandboxed child: started before its student is known, it serves one request and is
    killed. `work` (bound at /submission) and `data` (at /data) are its empty host folders."""

    def __init__(self, sandbox: Sandbox, device: str, root: Path) -> None:
        self.sandbox, self.device, self.prestarted = sandbox, device, False
        self.name = "grade-child-" + secrets.token_hex(6)   # in its argv: findable in /proc
        self.home = root / self.name
        self.work, self.data = self.home / "work", self.home / "data"
        self.work.mkdir(parents=True)
        self.data.mkdir()
        self._dead = False
        seccomp_fd = sandbox._seccomp_fd()
        self._read, write = os.pipe()
        self._write_inside = write          # pass_fds keeps the number in the child
        keep = [write] + ([seccomp_fd] if seccomp_fd is not None else [])
        try:
            self.proc = subprocess.Popen(
                sandbox._command(self, seccomp_fd), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.work,
                start_new_session=True, close_fds=True, pass_fds=keep,
                preexec_fn=sandbox._preexec(), env=sandbox._env(self.work))
        except BaseException:
            os.close(self._read)
            shutil.rmtree(self.home, ignore_errors=True)
            raise
        finally:
            for fd in keep:
                os.close(fd)
        keep_bytes = Limits().output_bytes
        self._out = _Tail(self.proc.stdout, keep_bytes)   # drained from the start: a full
        self._err = _Tail(self.proc.stderr, keep_bytes)   # pipe would stall the start-up

    def alive(self) -> bool:
        return not self._dead and self.proc.poll() is None

    @property
    def inputs_path(self) -> str:
        """Where the child reads the inputs placed by `place_inputs`."""
        if self.sandbox.bwrap:
            return f"{INSIDE_DATA}/{INPUTS_NAME}"
        return str(self.data / INPUTS_NAME)

    def place_inputs(self, path: Path) -> None:
        """Link (or copy) the decoded inputs into the child's read-only /data."""
        try:
            os.link(path, self.data / INPUTS_NAME)
        except OSError:
            shutil.copyfile(path, self.data / INPUTS_NAME)

    def serve(self, request: dict, limits: Limits) -> Outcome:
        """Send `request` (its files already in place), wait for the reply within `limits.wall_s`
        counted from now, then kill the child: it serves nobody else."""
        token = secrets.token_hex(16)
        req = dict(request, token=token, result_fd=self._write_inside, device=self.device,
                   limits=limits.for_child(self.device))
        reply = _Reply(self._read, limits.reply_bytes, token)
        self._read = -1                     # the reply thread closes it
        start = time.monotonic()
        try:
            self.proc.stdin.write(json.dumps(req).encode())
            self.proc.stdin.close()
        except OSError:
            pass        # the child died before reading; its status tells why
        timed_out = not reply.done.wait(limits.wall_s)
        if not timed_out and not reply.complete and not reply.overflow:
            try:        # the pipe closed without a frame: the child died; why, its status says
                self.proc.wait(timeout=max(0.0, limits.wall_s - (time.monotonic() - start)))
            except subprocess.TimeoutExpired:
                timed_out = True
        self.kill()
        reply.thread.join(timeout=5)
        outcome = _outcome(self.proc, reply, timed_out, limits)
        outcome.wall_s = time.monotonic() - start
        outcome.stdout, outcome.stderr = self._out.text(), self._err.text()
        outcome.degraded, outcome.prestarted = self.sandbox.degraded, self.prestarted
        warm = outcome.meta.get("warm")
        outcome.ready = self.prestarted and isinstance(warm, dict) and warm.get("ready") is True
        _explain(outcome)
        return outcome

    def kill(self) -> None:
        """Kill the child with its pid namespace and drop its folders; safe to call twice."""
        if self._dead:
            return
        self._dead = True
        _kill_group(self.proc)
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        if self._read >= 0:
            os.close(self._read)
            self._read = -1
        shutil.rmtree(self.home, ignore_errors=True)

    def wait_gone(self, timeout: float = 5.0) -> bool:
        """Whether every process of the box has exited: they all held its stdout."""
        self._out.thread.join(timeout)
        return not self._out.thread.is_alive()


def _explain(outcome: Outcome) -> None:
    """Give a death without a message the student's last stderr line, or at least some words."""
    if not outcome.ok and outcome.error.endswith("before returning a result"):
        last = next((l for l in reversed(outcome.stderr.splitlines()) if l.strip()), "")
        if last:
            outcome.error += f"; last stderr line: {last.strip()[:200]}"
    if not outcome.ok and not outcome.error.strip():
        outcome.error = "failed without a message"


# ---------------------------------------------------------------- starting children

class Sandbox:
    """Starts sandboxed children; holds nothing between runs except the seccomp program."""

    def __init__(self, python: str | None = None, use_bwrap: bool | None = None) -> None:
        self.python = python or sys.executable
        self.bwrap = bwrap_path() if use_bwrap is not False else None
        self.program = seccomp_program()
        self._unshare: list[str] | None = None

    @property
    def degraded(self) -> bool:
        return self.bwrap is None

    def start(self, device: str, root: Path) -> Child:
        """A child for `device`, started now, with its (empty) folders under `root`."""
        return Child(self, device, root)

    def _seccomp_fd(self) -> int | None:
        """The filter for `bwrap --seccomp` (the fallback installs it in preexec instead)."""
        if not (self.bwrap and self.program):
            return None
        fd = os.memfd_create("seccomp", 0)
        os.write(fd, self.program)
        os.lseek(fd, 0, os.SEEK_SET)
        return fd

    def _command(self, child: Child, seccomp_fd: int | None) -> list[str]:
        argv = [child.device, child.name]
        if self.bwrap:
            return self._bwrap_cmd(child, seccomp_fd) + [self.python, "-I", "-B", INSIDE_CHILD,
                                                         *argv]
        return self._plain_prefix() + [self.python, "-I", "-B", str(CHILD), *argv]

    def _bwrap_cmd(self, child: Child, seccomp_fd: int | None) -> list[str]:
        prefixes = sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.prefix,
                                                         sys.exec_prefix)})
        cmd = [self.bwrap, "--unshare-all", "--cap-drop", "ALL", "--clearenv", "--new-session",
               "--die-with-parent", "--uid", "1000", "--gid", "1000",
               "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        for p in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/etc/ld.so.cache",
                  "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives"):
            cmd += ["--ro-bind-try", p, p]
        for p in prefixes:
            cmd += ["--ro-bind", p, p]
        venv = os.path.realpath(os.path.dirname(os.path.dirname(self.python)))
        if venv not in prefixes:
            cmd += ["--ro-bind", venv, venv]
        if child.device.startswith("cuda"):
            for dev in sorted(Path("/dev").glob("nvidia*")):
                cmd += ["--dev-bind", str(dev), str(dev)]
            cmd += ["--ro-bind-try", "/sys", "/sys"]
            libs = _cuda_library_dirs()            # the driver's libcuda lives outside /usr here
            for lib in libs:
                cmd += ["--ro-bind-try", lib, lib]
            cmd += ["--setenv", "LD_LIBRARY_PATH", ":".join(libs)]
        # Empty now; live views of the host folders the student's files go into later.
        cmd += ["--ro-bind", str(CHILD), INSIDE_CHILD,
                "--ro-bind", str(STUDENTCODE), os.path.join(os.path.dirname(INSIDE_CHILD),
                                                            STUDENTCODE.name),
                "--bind", str(child.work), INSIDE_WORK, "--ro-bind", str(child.data), INSIDE_DATA,
                "--chdir", INSIDE_WORK]
        for k, v in self._env(Path(INSIDE_WORK)).items():
            cmd += ["--setenv", k, v]
        if seccomp_fd is not None:
            cmd += ["--seccomp", str(seccomp_fd)]
        return cmd + ["--"]

    def _plain_prefix(self) -> list[str]:
        _warn_degraded()
        if self._unshare is None:       # checked once: it costs a process start
            unshare = shutil.which("unshare")
            works = unshare and subprocess.run([unshare, "-n", "true"],
                                               capture_output=True).returncode == 0
            self._unshare = [unshare, "-n"] if works else []
        return list(self._unshare)

    def _env(self, work: Path) -> dict[str, str]:
        tmp = "/tmp" if self.bwrap else str(work)
        return {"HOME": tmp, "TMPDIR": tmp, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
                "MALLOC_ARENA_MAX": "2"}      # fewer 64 MB arenas: less address space per thread

    def _preexec(self):
        """No core files from the start; the other limits wait for the request (the child
        lowers them itself), so that the start-up's CPU time is not charged to the student."""
        install = _seccomp_installer(self.program) if (self.program and not self.bwrap) else None

        def preexec() -> None:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if install:
                install()
        return preexec


# ---------------------------------------------------------------- the warm pool

class WarmPool:
    """`size` children started ahead for one sandbox and device, each handed out once.

    One long-lived thread starts them: bwrap's --die-with-parent (PR_SET_PDEATHSIG) fires when
    the thread that started bwrap ends, so a short-lived thread would kill its children."""

    def __init__(self, sandbox: Sandbox, device: str, size: int, root: Path) -> None:
        self.sandbox, self.device, self.size, self.root = sandbox, device, max(0, size), root
        self.prestarted = self.cold = 0
        self._idle: list[Child] = []
        self._cond = threading.Condition()
        self._filling = self._closed = False
        self._thread = threading.Thread(target=self._keep_filled, name="grade-warm-pool",
                                        daemon=True)
        self._thread.start()

    def idle(self) -> list[Child]:
        with self._cond:
            return list(self._idle)

    def fill(self) -> None:
        """Start warming `size` children now (otherwise at the first `take`)."""
        with self._cond:
            self._filling = True
            self._cond.notify_all()

    def take(self) -> Child:
        """An idle pre-started child if one is alive, else one started now; either way the
        pool starts a replacement, which warms up while this child serves its student."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the warm pool is closed")
            self._filling = True
            self._cond.notify_all()
            while self._idle:
                child = self._idle.pop(0)
                if child.alive():
                    child.prestarted = True
                    self.prestarted += 1
                    return child
                child.kill()            # died while idle: never hand out a dead one
            self.cold += 1
        return self.sandbox.start(self.device, self.root)

    def close(self) -> None:
        """Kill every idle child and wait until they are gone; the pool takes no more."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        self._thread.join(timeout=60)
        for child in idle:
            child.kill()
        for child in idle:
            child.wait_gone()

    def _keep_filled(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or (
                    self._filling and len(self._idle) < self.size))
                if self._closed:
                    return
            try:
                child = self.sandbox.start(self.device, self.root)
            except OSError as e:    # out of processes or memory: `take` starts cold ones
                print(f"warning: could not pre-start a sandbox: {e}", file=sys.stderr)
                with self._cond:
                    self._filling = False
                continue
            with self._cond:
                if not self._closed:
                    self._idle.append(child)
                    continue
            child.kill()
            return


# ---------------------------------------------------------------- helpers

def _death(code: int | None, timed_out: bool, limits: Limits) -> str:
    if timed_out:
        return f"timed out after {limits.wall_s:g} s (the claim's timeout)"
    sig = -code if code is not None and code < 0 else (code - 128 if code and code > 128 else 0)
    named = {int(signal.SIGXCPU): "CPU time limit exceeded",
             int(signal.SIGXFSZ): "file size limit exceeded",
             int(signal.SIGKILL): "killed (out of memory?)",
             int(signal.SIGSEGV): "segmentation fault"}
    if sig in named:
        return f"{named[sig]} before returning a result"
    return f"exited with status {code} before returning a result"


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the child's process group (bwrap, and with it its pid namespace)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _warn_degraded() -> None:
    global _warned_degraded
    if not _warned_degraded:
        _warned_degraded = True
        print("warning: bubblewrap (bwrap) not found: student code runs WITHOUT filesystem "
              "isolation (rlimits and a no-fork filter only); install bubblewrap",
              file=sys.stderr)


def _cuda_library_dirs() -> list[str]:
    """Where the NVIDIA driver's user-space libraries are: LD_LIBRARY_PATH and the usual mounts."""
    dirs = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    dirs += ["/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/usr/local/cuda/lib64"]
    return [d for d in dict.fromkeys(os.path.realpath(d) for d in dirs) if os.path.isdir(d)]
