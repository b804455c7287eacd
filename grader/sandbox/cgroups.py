"""A memory and pids cgroup per sandbox, where the machine offers one (v2, or v1's hierarchies).

RLIMIT_AS bounds one process's address space, not what it keeps in RAM-backed files, and does
not hold on CUDA; a cgroup bounds the whole box: every process bubblewrap starts (its pid 1
too), threads, and the tmpfs pages they write. The child's process joins the cgroup in its
preexec hook, before bubblewrap runs, so nothing in the box is ever outside it.

`Cgroup.create` returns None where no writable hierarchy with both controllers exists; the
grader then says so in an integrity row (rlimits and tmpfs sizes still bound the box).
"""
from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


@dataclass
class Cgroup:
    """One sandbox's cgroup: `dirs` are its folders (one for v2; memory and pids for v1)."""

    version: int
    dirs: tuple[Path, ...]

    @classmethod
    def create(cls, memory_bytes: int, pids: int, root: Path = ROOT) -> Cgroup | None:
        name = "grade-box-" + secrets.token_hex(6)
        for make in (_v2, _v1):
            try:
                group = make(root, name)
            except OSError:
                continue
            if group is None:
                continue
            try:
                group.limit(memory_bytes, pids)
                return group
            except OSError:
                group.remove()
        return None

    @property
    def label(self) -> str:
        return f"cgroup v{self.version}"

    def procs_files(self) -> list[str]:
        """Where a process writes its pid to join (read in the preexec hook: no allocation)."""
        return [str(d / "cgroup.procs") for d in self.dirs]

    def limit(self, memory_bytes: int, pids: int) -> None:
        """Set the bounds; lowering only once processes run (v1 wants memory <= memory+swap)."""
        if self.version == 2:
            _write(self.dirs[0] / "memory.max", memory_bytes)
            _write(self.dirs[0] / "memory.swap.max", 0, missing_ok=True)
            _write(self.dirs[0] / "pids.max", pids)
        else:
            memory, pid_dir = self.dirs
            _write(memory / "memory.limit_in_bytes", memory_bytes)
            _write(memory / "memory.memsw.limit_in_bytes", memory_bytes, missing_ok=True)
            _write(pid_dir / "pids.max", pids)

    def peak_bytes(self) -> int | None:
        """The most memory the box held at once (None where the kernel does not say)."""
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        try:
            return int((self.dirs[0] / name).read_text())
        except (OSError, ValueError):
            return None

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of the box for its memory limit."""
        try:
            if self.version == 2:
                events = (self.dirs[0] / "memory.events").read_text().split()
                return int(dict(zip(events[::2], events[1::2])).get("oom_kill", 0)) > 0
            text = (self.dirs[0] / "memory.oom_control").read_text().split()
            stats = dict(zip(text[::2], text[1::2]))
            if "oom_kill" in stats:
                return int(stats["oom_kill"]) > 0
            return int((self.dirs[0] / "memory.failcnt").read_text()) > 0
        except (OSError, ValueError):
            return False

    def remove(self) -> None:
        """Remove the folders once the box's processes are gone. A process holding a lot of
        memory can take seconds to be reaped: what is still busy after a short wait is left to
        a background thread that keeps trying for a minute."""
        busy = [d for d in self.dirs if not _rmdir(d, tries=25)]
        if busy:
            threading.Thread(target=lambda: [_rmdir(d, tries=600, pause=0.1) for d in busy],
                             daemon=True).start()


def available() -> str | None:
    """The kind of cgroup this machine offers the sandbox ('cgroup v1'/'v2'), or None."""
    group = Cgroup.create(64 << 20, 16)
    if group is None:
        return None
    group.remove()
    return group.label


def _rmdir(d: Path, tries: int, pause: float = 0.02) -> bool:
    for _ in range(tries):
        try:
            d.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            time.sleep(pause)
    return False


def _own_path(controller: str) -> str:
    """This process's cgroup path for `controller` ('' for v2's unified line)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if (controller == "" and names == "") or controller in names.split(","):
            return path.lstrip("/")
    return ""


def _parent(mount: Path, own: str) -> Path:
    """Create beside the grader's own cgroup when it is visible (limits nest), else at the
    hierarchy's root."""
    here = mount / own
    return here if own and here.is_dir() else mount


def _v2(root: Path, name: str) -> Cgroup | None:
    if not (root / "cgroup.controllers").exists():
        return None     # v1 or hybrid: a unified mount without controllers cannot help
    base = _parent(root, _own_path(""))
    for candidate in (base, base.parent):
        wanted = (candidate / "cgroup.subtree_control")
        if wanted.exists() and {"memory", "pids"} <= set(wanted.read_text().split()):
            d = candidate / name
            d.mkdir()
            return Cgroup(2, (d,))
    return None


def _v1(root: Path, name: str) -> Cgroup | None:
    memory, pids = root / "memory", root / "pids"
    if not (memory / "memory.limit_in_bytes").exists() or not (pids / "cgroup.procs").exists():
        return None
    made = []
    try:
        for mount, controller in ((memory, "memory"), (pids, "pids")):
            d = _parent(mount, _own_path(controller)) / name
            d.mkdir()
            made.append(d)
    except OSError:
        for d in made:
            d.rmdir()
        raise
    return Cgroup(1, tuple(made))


def _write(path: Path, value: int, missing_ok: bool = False) -> None:
    try:
        path.write_text(str(value))
    except FileNotFoundError:
        if not missing_ok:
            raise
    except PermissionError:
        if not missing_ok:
            raise


def join(procs_files: list[str]) -> None:
    """Move the calling process into the cgroup (called in the preexec hook, after fork)."""
    pid = str(os.getpid()).encode()
    for f in procs_files:
        fd = os.open(f, os.O_WRONLY)
        try:
            os.write(fd, pid)
        finally:
            os.close(fd)
