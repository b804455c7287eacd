"""Children started ahead, each handed out once (warm start)."""
from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from grader.sandbox.child import Child
from grader.sandbox.limits import StartCaps

if TYPE_CHECKING:
    from grader.sandbox.box import Sandbox


class WarmPool:
    """`size` children started ahead for one sandbox and device, each handed out once.

    One long-lived thread starts them: bwrap's --die-with-parent (PR_SET_PDEATHSIG) fires when
    the thread that started bwrap ends, so a short-lived thread would kill its children."""

    def __init__(self, sandbox: Sandbox, device: str, size: int, root: Path,
                 caps: StartCaps | None = None) -> None:
        self.sandbox, self.device, self.size, self.root = sandbox, device, max(0, size), root
        self.caps = caps or StartCaps()
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
        return self.sandbox.start(self.device, self.root, self.caps)

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
                child = self.sandbox.start(self.device, self.root, self.caps)
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


