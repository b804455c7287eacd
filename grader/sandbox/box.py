"""Starting sandboxed children: bubblewrap's command line, the environment, the preexec hook.

Under bubblewrap (`bwrap`): `--unshare-all` (user, pid, net, ipc, uts, cgroup), `--cap-drop
ALL`, `--clearenv`, `--new-session`, `--die-with-parent`, uid 1000; the mounts of
grader/sandbox/mounts.py; the seccomp filter of grader/sandbox/seccomp.py. Before bubblewrap
runs, the preexec hook sets the start caps' rlimits and joins the child's cgroup, so bubblewrap
and its pid 1 are bounded too.

Without bwrap the child runs as a plain subprocess with the same limits, cgroup and filter,
in a network namespace of its own when that works; `degraded` is set and a warning goes to stderr once.
"""
from __future__ import annotations

import ctypes
import os
import resource
import shutil
import sys
from pathlib import Path

from grader.sandbox import cgroups
from grader.sandbox.child import Child
from grader.sandbox.limits import MB, StartCaps
from grader.sandbox.mounts import (INSIDE_CODE, INSIDE_DATA, INSIDE_INCOMING, INSIDE_WORK, SYSTEM,
                                   dataset_copies, inside_python, masks, project_traces,
                                   python_binds)
from grader.sandbox.seccomp import seccomp_installer, seccomp_program

GRADER = Path(__file__).resolve().parent.parent
CHILD = GRADER / "sandbox_child.py"
CHILD_PACKAGES = ("studentcode", "evaluation")   # child-side packages bound beside the child
INSIDE_CHILD = f"{INSIDE_CODE}/sandbox_child.py"

_warned_degraded = False


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


class Sandbox:
    """Starts sandboxed children; `hidden` host paths (evaluation data) are masked in the box
    wherever a bind would show them."""

    def __init__(self, python: str | None = None, use_bwrap: bool | None = None,
                 hidden: tuple[str, ...] = (), use_cgroups: bool = True) -> None:
        self.python = python or sys.executable
        self.bwrap = bwrap_path() if use_bwrap is not False else None
        self.program = seccomp_program()
        self.hidden = tuple(str(h) for h in hidden) + dataset_copies()
        self.use_cgroups = use_cgroups

    @property
    def degraded(self) -> bool:
        return self.bwrap is None

    def start(self, device: str, root: Path, caps: StartCaps | None = None) -> Child:
        """A child for `device`, started now under `caps`, its (empty) folders under `root`."""
        return Child(self, device, root, caps or StartCaps())

    def seccomp_fd(self) -> int | None:
        """The filter for `bwrap --seccomp` (the fallback installs it in preexec instead)."""
        if not (self.bwrap and self.program):
            return None
        fd = os.memfd_create("seccomp", 0)
        os.write(fd, self.program)
        os.lseek(fd, 0, os.SEEK_SET)
        return fd

    def command(self, child: Child, seccomp_fd: int | None) -> list[str]:
        argv = [child.device, child.name]
        if self.bwrap:
            return self._bwrap_cmd(child, seccomp_fd) + [
                inside_python(self.python), "-I", "-B", INSIDE_CHILD, *argv]
        _warn_degraded()
        return [self.python, "-I", "-B", str(CHILD), *argv]

    def _bwrap_cmd(self, child: Child, seccomp_fd: int | None) -> list[str]:
        caps = child.caps
        # --as-pid-1: the child itself is pid 1, so no reaper process (bwrap's own, dumpable,
        # unfiltered) shares the box: a test could open its /proc/1/mem from inside.
        cmd = [self.bwrap, "--unshare-all", "--as-pid-1", "--cap-drop", "ALL", "--clearenv",
               "--new-session", "--die-with-parent", "--uid", "1000", "--gid", "1000",
               "--proc", "/proc",
               "--dev", "/dev", "--size", str(caps.shm_mb * MB), "--tmpfs", "/dev/shm",
               "--remount-ro", "/dev", "--size", str(caps.tmp_mb * MB), "--tmpfs", "/tmp"]
        binds = [(p, p) for p in SYSTEM if os.path.exists(p)] + list(python_binds(self.python))
        if child.device.startswith("cuda"):
            for dev in sorted(Path("/dev").glob("nvidia*")):
                cmd += ["--dev-bind", str(dev), str(dev)]
            binds.append(("/sys", "/sys"))
            libs = _cuda_library_dirs()            # the driver's libcuda lives outside /usr here
            binds += [(lib, lib) for lib in libs]
            cmd += ["--setenv", "LD_LIBRARY_PATH", ":".join(libs)]
        binds += self._code_binds()
        for host, inside in binds:
            cmd += ["--ro-bind", host, inside]
        traces = [t for host, _ in binds for t in project_traces(host)
                  if host.endswith("site-packages")]
        empty = child.home / "empty"
        empty.touch()
        cmd += masks(binds, list(self.hidden) + traces, str(empty))
        # Empty now; live views of the host folders the student's files go into later.
        cmd += ["--ro-bind", str(child.work), INSIDE_INCOMING,
                "--ro-bind", str(child.data), INSIDE_DATA,
                "--size", str(caps.scratch_mb * MB), "--tmpfs", INSIDE_WORK,
                "--remount-ro", "/", "--chdir", INSIDE_WORK]
        for k, v in self.env(Path(INSIDE_WORK)).items():
            cmd += ["--setenv", k, v]
        if seccomp_fd is not None:
            cmd += ["--seccomp", str(seccomp_fd)]
        return cmd + ["--"]

    def _code_binds(self) -> list[tuple[str, str]]:
        out = [(str(CHILD), INSIDE_CHILD)]
        for name in CHILD_PACKAGES:
            if (GRADER / name).is_dir():
                out.append((str(GRADER / name), f"{INSIDE_CODE}/{name}"))
        return out

    def env(self, work: Path) -> dict[str, str]:
        tmp = "/tmp" if self.bwrap else str(work)
        return {"HOME": tmp, "TMPDIR": tmp, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
                "MALLOC_ARENA_MAX": "2"}      # fewer 64 MB arenas: less address space per thread

    def preexec(self, child: Child):
        """Runs in the forked process before bwrap: the start caps' rlimits and the cgroup
        (inherited by bwrap, its pid 1 and the child); the filter too without bwrap. The
        claim's own, lower, limits wait for the request, so start-up CPU is not charged."""
        plain = not self.bwrap
        install = seccomp_installer(self.program) if (self.program and plain) else None
        rlimits = child.caps.rlimits(child.device)
        procs = child.cgroup.procs_files() if child.cgroup is not None else []

        def preexec() -> None:
            if procs:
                cgroups.join(procs)
            for what, value in rlimits:
                resource.setrlimit(what, (value, value))
            if plain:
                _no_network()
            if install:     # last: the filter refuses unshare itself
                install()
        return preexec


def _no_network() -> None:
    """Without bwrap: a network namespace of its own where the kernel allows (as unshare -n)."""
    try:
        ctypes.CDLL(None, use_errno=True).unshare(0x40000000)     # CLONE_NEWNET
    except (OSError, AttributeError):
        pass


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
