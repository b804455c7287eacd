"""What bounds one sandboxed run, and which bounds are set before bubblewrap starts.

Two moments:
- at the start (`StartCaps`, applied in the preexec hook, so bubblewrap and its pid 1 inherit
  them): address space (not on CUDA), file size, open files, CPU time, no core files, the
  cgroup's memory and pids, and the sizes of the box's RAM-backed folders;
- at the request (`Limits.for_child`): the child lowers its own limits to the claim's (CPU time
  counted from the request), before any student file is read. A process may lower its limits,
  never raise them, so a pre-started child serves only claims within its start caps.
"""
from __future__ import annotations

import os
import resource
from dataclasses import dataclass, replace

MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    wall_s: float = 600.0
    cpu_s: float | None = None      # default: wall_s × cores + 10
    memory_mb: int | None = 8192    # address space; None: unlimited (CUDA)
    file_mb: int = 256
    open_files: int = 512
    output_bytes: int = 32_768      # kept of stdout and of stderr each (head + tail)
    reply_bytes: int = 1 << 30

    def cpu_seconds(self) -> int:
        return int(self.cpu_s or self.wall_s * (os.cpu_count() or 1) + 10)

    def for_child(self, device: str) -> dict:
        """What the child applies to itself on its request (sandbox_child.apply_limits)."""
        memory = None if device.startswith("cuda") else self.memory_mb
        return {"cpu_s": self.cpu_seconds(), "memory_mb": memory, "file_mb": self.file_mb,
                "open_files": self.open_files}


@dataclass(frozen=True)
class StartCaps:
    """The bounds a child starts under, before its student is known.

    The box's RAM-backed folders are tmpfs mounts of fixed size: /tmp, /dev/shm, and the
    scratch folder /submission (the student's files are copied into it, and whatever the code
    writes stays within it). The cgroup holds all of it: process memory plus those folders."""

    memory_mb: int = 8192           # address space per process (CPU runs) and the cgroup base
    cpu_s: int = 600 * (os.cpu_count() or 1) + 310    # start-up (up to 300 s) + a long claim
    file_mb: int = 256
    open_files: int = 512
    pids: int = 512                 # tasks, threads included (torch starts one per core)
    tmp_mb: int = 512
    shm_mb: int = 256
    scratch_mb: int = 2048

    def cgroup_bytes(self, memory_mb: int | None = None) -> int:
        """The whole box: process memory plus everything its tmpfs folders may hold."""
        return ((memory_mb or self.memory_mb) + self.tmp_mb + self.shm_mb + self.scratch_mb) * MB

    def serves(self, limits: Limits, device: str) -> bool:
        """Whether a child started under these caps can serve `limits` (it can only lower)."""
        memory_ok = device.startswith("cuda") or (limits.memory_mb or 1 << 40) <= self.memory_mb
        return (memory_ok and limits.cpu_seconds() <= self.cpu_s
                and limits.file_mb <= self.file_mb and limits.open_files <= self.open_files)

    def widened(self, limits: Limits) -> StartCaps:
        """These caps, widened just enough for `limits` (a cold start for an unusual claim)."""
        return replace(self, memory_mb=max(self.memory_mb, limits.memory_mb or 0),
                       cpu_s=max(self.cpu_s, limits.cpu_seconds() + 310),
                       file_mb=max(self.file_mb, limits.file_mb),
                       open_files=max(self.open_files, limits.open_files))

    def rlimits(self, device: str) -> list[tuple[int, int]]:
        """(resource, value) pairs set in the preexec hook, before bubblewrap runs."""
        out = [(resource.RLIMIT_CORE, 0), (resource.RLIMIT_CPU, self.cpu_s),
               (resource.RLIMIT_FSIZE, self.file_mb * MB),
               (resource.RLIMIT_NOFILE, self.open_files)]
        if not device.startswith("cuda"):   # the CUDA driver maps tens of GB of address space
            out.append((resource.RLIMIT_AS, self.memory_mb * MB))
        return out


def lower_to(what: int, value: int) -> None:
    """Set soft and hard limit to `value`, or to the hard limit if that is already lower."""
    hard = resource.getrlimit(what)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(what, (value, value))
