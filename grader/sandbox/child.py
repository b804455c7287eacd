"""One sandboxed child: started before its student is known, it serves one request and dies.

The parent copies the student's files into the child's host folder `work` (bound read-only at
/incoming) and links the inputs into `data` (/data), then sends the request; the child copies
/incoming into its bounded /submission first thing. Nothing student-specific exists in the box
before that. A conversation (`Child.talk`) lets the parent send further messages, each only
after the answer to the one before: that is how a language model gets its tokens.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from grader.sandbox.cgroups import Cgroup
from grader.sandbox.limits import MB, Limits, StartCaps
from grader.sandbox.mounts import INSIDE_DATA
from grader.sandbox.protocol import Frame, Outcome, Replies, Tail, death, explain, message

if TYPE_CHECKING:
    from grader.sandbox.box import Sandbox

INPUTS_NAME = "inputs.bin"


class Child:
    """`work` and `data` are its empty host folders; `cgroup` bounds it where there is one."""

    def __init__(self, sandbox: Sandbox, device: str, root: Path, caps: StartCaps) -> None:
        self.sandbox, self.device, self.caps, self.prestarted = sandbox, device, caps, False
        self.name = "grade-child-" + secrets.token_hex(6)   # in its argv: findable in /proc
        self.home = root / self.name
        self.work, self.data = self.home / "work", self.home / "data"
        self.work.mkdir(parents=True)
        self.data.mkdir()
        self._dead = False
        self.cgroup = Cgroup.create(caps.cgroup_bytes(), caps.pids) if sandbox.use_cgroups \
            else None
        seccomp_fd = sandbox.seccomp_fd()
        self._read, write = os.pipe()
        self._write_inside = write          # pass_fds keeps the number in the child
        keep = [write] + ([seccomp_fd] if seccomp_fd is not None else [])
        try:
            self.proc = subprocess.Popen(
                sandbox.command(self, seccomp_fd), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.work,
                start_new_session=True, close_fds=True, pass_fds=keep,
                preexec_fn=sandbox.preexec(self), env=sandbox.env(self.work))
        except BaseException:
            os.close(self._read)
            self._drop_folders()
            raise
        finally:
            for fd in keep:
                os.close(fd)
        keep_bytes = Limits().output_bytes
        self._out = Tail(self.proc.stdout, keep_bytes)    # drained from the start: a full
        self._err = Tail(self.proc.stderr, keep_bytes)    # pipe would stall the start-up

    def alive(self) -> bool:
        return not self._dead and self.proc.poll() is None

    @property
    def bounds(self) -> dict:
        """What bounds this box, for the integrity rows."""
        caps = self.caps
        return {"cgroup": self.cgroup.label if self.cgroup else None,
                "tmpfs_mb": ({"/tmp": caps.tmp_mb, "/dev/shm": caps.shm_mb,
                              "/submission": caps.scratch_mb} if self.sandbox.bwrap else {}),
                "pids": caps.pids if self.cgroup else None}

    def inputs_path(self, name: str = INPUTS_NAME) -> str:
        """Where the child reads inputs placed by `place_inputs`."""
        if self.sandbox.bwrap:
            return f"{INSIDE_DATA}/{name}"
        return str(self.data / name)

    def place_inputs(self, path: Path, name: str = INPUTS_NAME) -> None:
        """Link (or copy) decoded inputs into the child's read-only /data."""
        try:
            os.link(path, self.data / name)
        except OSError:
            shutil.copyfile(path, self.data / name)

    def serve(self, request: dict, limits: Limits) -> Outcome:
        """Send `request` (its files already in place), take the one reply, kill the child."""
        talk = self.talk(request, limits, more=False)
        frame = talk.receive()
        return talk.finish(frame)

    def talk(self, request: dict, limits: Limits, more: bool = True) -> Conversation:
        """Start a conversation with `request`; with `more`, stdin stays open for messages."""
        return Conversation(self, request, limits, more)

    def kill(self) -> None:
        """Kill the child with its pid namespace and drop its folders; safe to call twice."""
        if self._dead:
            return
        self._dead = True
        try:
            os.killpg(self.proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        if self._read >= 0:
            os.close(self._read)
            self._read = -1
        self._drop_folders()

    def _drop_folders(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)
        if getattr(self, "cgroup", None) is not None:
            self.cgroup.remove()

    def wait_gone(self, timeout: float = 5.0) -> bool:
        """Whether every process of the box has exited: they all held its stdout."""
        self._out.thread.join(timeout)
        return not self._out.thread.is_alive()


class Conversation:
    """The request, then messages and frames in turn, within `limits.wall_s` from the
    request; `finish` kills the child and says how it went."""

    def __init__(self, child: Child, request: dict, limits: Limits, more: bool) -> None:
        self.child, self.limits = child, limits
        self.token = secrets.token_hex(16)
        self.meta: dict = {}
        self.error = ""
        if child.cgroup is not None:        # the claim's own memory, lowered from the caps
            try:
                child.cgroup.limit(child.caps.cgroup_bytes(limits.memory_mb), child.caps.pids)
            except OSError:
                pass        # already above it: the kernel refuses; the caps still hold
        req = dict(request, token=self.token, result_fd=child._write_inside,
                   device=child.device, limits=limits.for_child(child.device))
        self.replies = Replies(child._read, limits.reply_bytes, self.token)
        child._read = -1                    # the reply thread closes it
        self.start = time.monotonic()
        self.send(req)
        if not more:
            self.close_input()

    def remaining(self) -> float:
        return max(0.0, self.limits.wall_s - (time.monotonic() - self.start))

    def send(self, header: dict, arrays: dict[str, np.ndarray] | None = None) -> bool:
        """One message; False when the child is no longer listening."""
        try:
            self.child.proc.stdin.write(message(header, arrays))
            self.child.proc.stdin.flush()
            return True
        except (OSError, ValueError):
            return False        # the child died; its status tells why

    def close_input(self) -> None:
        try:
            self.child.proc.stdin.close()
        except OSError:
            pass

    def receive(self) -> Frame | None:
        """The next frame; None when the child died, timed out or flooded the pipe."""
        frame = self.replies.next(self.remaining())
        if frame is not None:
            self.meta.update(frame.meta)
            if not frame.ok:
                self.error = str(frame.header.get("error", ""))[:500] or "failed"
        return frame

    def finish(self, frame: Frame | None) -> Outcome:
        """Kill the child and describe the run; `frame`'s arrays become the outcome's."""
        child = self.child
        timed_out = self.replies.timed_out
        if frame is None and not timed_out and not self.replies.overflow:
            try:        # the pipe closed without a frame: the child died; why, its status says
                child.proc.wait(timeout=max(0.1, self.remaining()))
            except subprocess.TimeoutExpired:
                timed_out = True
        oom = child.cgroup is not None and child.cgroup.oom_killed()
        peak = child.cgroup.peak_bytes() if child.cgroup is not None else None
        child.kill()
        self.replies.thread.join(timeout=5)
        outcome = self._outcome(frame, timed_out, oom)
        outcome.wall_s = time.monotonic() - self.start
        outcome.stdout, outcome.stderr = child._out.text(), child._err.text()
        outcome.degraded, outcome.prestarted = child.sandbox.degraded, child.prestarted
        outcome.bounds = dict(child.bounds, peak_mb=None if peak is None else peak // MB)
        warm = outcome.meta.get("warm")
        outcome.ready = child.prestarted and isinstance(warm, dict) and warm.get("ready") is True
        explain(outcome)
        return outcome

    def _outcome(self, frame: Frame | None, timed_out: bool, oom: bool) -> Outcome:
        if self.replies.overflow:
            return Outcome(False, f"the reply exceeded {self.limits.reply_bytes:,} bytes",
                           self.meta)
        if self.error:
            return Outcome(False, self.error, self.meta)
        if frame is None:
            why = death(self.child.proc.returncode, timed_out, self.limits.wall_s)
            if oom:
                why = ("went over its memory limit (the sandbox's cgroup: process memory and "
                       "/tmp, /dev/shm, /submission together) before returning a result")
            return Outcome(False, why, self.meta)
        return Outcome(True, "", self.meta, dict(frame.arrays))


def describe(outcome: Outcome) -> str:
    """A one-line account of a box's bounds (for an integrity row)."""
    b = outcome.bounds
    parts = [f"{b['cgroup']}: memory and {b['pids']} tasks" if b.get("cgroup") else
             "NO memory cgroup on this machine: memory bounded by rlimits and tmpfs sizes only"]
    if b.get("tmpfs_mb"):
        parts.append("tmpfs " + ", ".join(f"{k} {v} MB" for k, v in b["tmpfs_mb"].items()))
    if b.get("peak_mb") is not None:
        parts.append(f"peak {b['peak_mb']} MB")
    return "; ".join(parts)

