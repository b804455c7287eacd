"""Running a submission's code in a box it cannot leave.

`Sandbox.run` starts `sandbox_child.py` under bubblewrap (`bwrap`):

- namespaces: `--unshare-all` (user, pid, net, ipc, uts, cgroup), `--cap-drop ALL`,
  `--clearenv`, `--new-session`, `--die-with-parent`; the sandboxed uid is 1000, not root;
- files: read-only binds of the interpreter prefix, the virtualenv, the child script and the
  decoded inputs; a scratch COPY of the student's folder at /submission (read-write, the cwd);
  a private tmpfs /tmp (also TMPDIR and HOME); nothing else of the host, so no sibling
  submission, answer key or labels is visible;
- processes: a seccomp filter (classic BPF handed to `bwrap --seccomp`) refuses fork, vfork
  and clone without CLONE_THREAD, so threads work and no process can be spawned. RLIMIT_NPROC
  would not do: the kernel never enforces it for (host) root, which is who runs the grader;
- limits: RLIMIT_CPU, RLIMIT_AS (not on CUDA, whose driver maps tens of GB of address space),
  RLIMIT_FSIZE, RLIMIT_NOFILE, no core files, and the wall clock (`timeout`); at the end the
  whole process group is killed, and with it bwrap's pid namespace;
- the reply comes back over a pipe whose write end is an inherited fd; its header carries a
  random token sent on stdin. stdout and stderr are read into bounded buffers, never parsed.

Without bwrap the child runs as a plain subprocess with the same rlimits and seccomp filter,
under `unshare -n` when that works; `degraded` is set and a warning goes to stderr once.
"""
from __future__ import annotations

import ctypes
import json
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
INSIDE_WORK = "/submission"
INSIDE_CHILD = "/grader/sandbox_child.py"
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


@dataclass
class Outcome:
    """What came back from one sandboxed run."""

    ok: bool
    error: str = ""                         # one line when not ok
    meta: dict = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    wall_s: float = 0.0
    degraded: bool = False


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


# ---------------------------------------------------------------- running

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


class _Reply:
    """Reads the reply pipe, refusing more than `cap` bytes."""

    def __init__(self, fd: int, cap: int) -> None:
        self.data, self.overflow, self.cap = bytearray(), False, cap
        self.thread = threading.Thread(target=self._pump, args=(fd,), daemon=True)
        self.thread.start()

    def _pump(self, fd: int) -> None:
        with os.fdopen(fd, "rb", buffering=0) as f:
            while chunk := f.read(1 << 20):
                if len(self.data) + len(chunk) > self.cap:
                    self.overflow = True
                    return
                self.data += chunk


class Sandbox:
    """Starts sandboxed children; holds nothing between runs except the seccomp program."""

    def __init__(self, python: str | None = None, use_bwrap: bool | None = None) -> None:
        self.python = python or sys.executable
        self.bwrap = bwrap_path() if use_bwrap is not False else None
        self.program = seccomp_program()

    @property
    def degraded(self) -> bool:
        return self.bwrap is None

    def run(self, scratch: Path, request: dict, inputs: Path | None, limits: Limits,
            device: str = "cpu") -> Outcome:
        """Run the child on `request` in `scratch`; `inputs` is bound read-only at /data."""
        token = secrets.token_hex(16)
        inside_inputs = "/data/inputs.bin" if self.bwrap else (str(inputs) if inputs else None)
        r, w = os.pipe()
        req = dict(request, token=token, result_fd=w, device=device)
        if inputs is not None:
            req["inputs"] = dict(req["inputs"], path=inside_inputs)
        keep = [w]
        seccomp_fd = None
        if self.bwrap and self.program:
            seccomp_fd = os.memfd_create("seccomp", 0)
            os.write(seccomp_fd, self.program)
            os.lseek(seccomp_fd, 0, os.SEEK_SET)
            keep.append(seccomp_fd)
        cmd = (self._bwrap_cmd(scratch, inputs, device, seccomp_fd) if self.bwrap
               else self._plain_cmd(scratch))
        start = time.monotonic()
        proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=scratch, start_new_session=True, close_fds=True,
            preexec_fn=self._preexec(limits, device), pass_fds=keep, env=self._env(scratch))
        os.close(w)
        if seccomp_fd is not None:
            os.close(seccomp_fd)
        reply = _Reply(r, limits.reply_bytes)
        out = _Tail(proc.stdout, limits.output_bytes)
        err = _Tail(proc.stderr, limits.output_bytes)
        timed_out = False
        try:
            proc.stdin.write(json.dumps(req).encode())
            proc.stdin.close()
        except OSError:
            pass        # the child died before reading; its status tells why
        try:
            proc.wait(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        _kill_group(proc)
        reply.thread.join(timeout=5)
        outcome = self._outcome(proc, reply, token, timed_out, limits)
        outcome.stdout, outcome.stderr = out.text(), err.text()
        outcome.wall_s = time.monotonic() - start
        outcome.degraded = self.degraded
        if not outcome.ok and outcome.error.endswith("before returning a result"):
            last = next((l for l in reversed(outcome.stderr.splitlines()) if l.strip()), "")
            if last:
                outcome.error += f"; last stderr line: {last.strip()[:200]}"
        if not outcome.ok and not outcome.error.strip():
            outcome.error = "failed without a message"
        return outcome

    # -- command lines

    def _bwrap_cmd(self, scratch: Path, inputs: Path | None, device: str,
                   seccomp_fd: int | None) -> list[str]:
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
        if device.startswith("cuda"):
            for dev in sorted(Path("/dev").glob("nvidia*")):
                cmd += ["--dev-bind", str(dev), str(dev)]
            cmd += ["--ro-bind-try", "/sys", "/sys"]
            for lib in _cuda_library_dirs():       # the driver's libcuda lives outside /usr here
                cmd += ["--ro-bind-try", lib, lib]
            cmd += ["--setenv", "LD_LIBRARY_PATH", ":".join(_cuda_library_dirs())]
        cmd += ["--ro-bind", str(CHILD), INSIDE_CHILD,
                "--bind", str(scratch), INSIDE_WORK, "--chdir", INSIDE_WORK]
        if inputs is not None:
            cmd += ["--ro-bind", str(inputs), "/data/inputs.bin"]
        for k, v in self._env(Path(INSIDE_WORK)).items():
            cmd += ["--setenv", k, v]
        if seccomp_fd is not None:
            cmd += ["--seccomp", str(seccomp_fd)]
        return cmd + ["--", self.python, "-I", "-B", INSIDE_CHILD]

    def _plain_cmd(self, scratch: Path) -> list[str]:
        _warn_degraded()
        cmd = [self.python, "-I", "-B", str(CHILD)]
        unshare = shutil.which("unshare")
        if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
            cmd = [unshare, "-n", *cmd]
        return cmd

    def _env(self, work: Path) -> dict[str, str]:
        tmp = "/tmp" if self.bwrap else str(work)
        return {"HOME": tmp, "TMPDIR": tmp, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
                "MALLOC_ARENA_MAX": "2"}      # fewer 64 MB arenas: less address space per thread

    def _preexec(self, limits: Limits, device: str):
        cpu = int(limits.cpu_s or limits.wall_s * (os.cpu_count() or 1) + 10)
        rl = [(resource.RLIMIT_CPU, cpu), (resource.RLIMIT_FSIZE, limits.file_mb << 20),
              (resource.RLIMIT_NOFILE, limits.open_files), (resource.RLIMIT_CORE, 0)]
        if limits.memory_mb and not device.startswith("cuda"):
            rl.append((resource.RLIMIT_AS, limits.memory_mb << 20))
        install = _seccomp_installer(self.program) if (self.program and not self.bwrap) else None

        def preexec() -> None:
            for what, value in rl:
                resource.setrlimit(what, (value, value))
            if install:
                install()
        return preexec

    def _outcome(self, proc, reply: _Reply, token: str, timed_out: bool,
                 limits: Limits) -> Outcome:
        if reply.overflow:
            return Outcome(False, f"the reply exceeded {limits.reply_bytes:,} bytes")
        data = bytes(reply.data)
        mark = b"\n" + token.encode() + b" "
        at = data.find(mark)
        while at >= 0:      # the first well-formed frame; garbage the student wrote is skipped
            head, _, body = data[at + len(mark):].partition(b"\n")
            try:
                header = json.loads(head)
                if isinstance(header, dict):
                    meta = header.get("meta") if isinstance(header.get("meta"), dict) else {}
                    if not header.get("ok"):
                        return Outcome(False, str(header.get("error", ""))[:500], meta)
                    return Outcome(True, "", meta, _arrays(header.get("arrays", []), body))
            except (ValueError, TypeError):
                pass
            at = data.find(mark, at + 1)
        return Outcome(False, _death(proc.returncode, timed_out, limits))


def _arrays(specs: list, body: bytes) -> dict[str, np.ndarray]:
    arrays, at = {}, 0
    for name, dtype, shape in specs:
        if dtype not in ARRAY_DTYPES or not all(isinstance(s, int) and s >= 0 for s in shape):
            raise ValueError(f"array {name!r}: {dtype} {shape}")
        n = int(np.prod(shape)) * np.dtype(dtype).itemsize
        if at + n > len(body):
            raise ValueError(f"array {name!r} is truncated")
        arrays[str(name)] = np.frombuffer(body, dtype=np.dtype(dtype).newbyteorder("<"),
                                          count=int(np.prod(shape)), offset=at).reshape(shape)
        at += n
    if at != len(body):
        raise ValueError("the reply's length does not match its header")
    return arrays


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
