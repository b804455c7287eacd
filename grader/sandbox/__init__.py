"""Running a submission's code in a box it cannot leave, started before the submission is known.

One module per topic:
- `box`       starting children: bubblewrap's command line, environment, preexec hook;
- `mounts`    what a child sees of the host (and which evaluation data is masked);
- `limits`    rlimits and tmpfs sizes: at the start (inherited by bubblewrap) and per claim;
- `cgroups`   a memory and pids cgroup per box, v2 or v1, where the machine offers one;
- `seccomp`   the filter: no new processes, no ptrace, no mounts;
- `child`     one child: files in, request, conversation, outcome;
- `protocol`  the wire: messages in, frames out, bounded output buffers;
- `pool`      children started ahead (warm start), each handed out once;
- `files`     the scratch copy of a submission, never through a symlink.

The threat model and how each promise is tested: docs/SECURITY.md.
"""
from grader.sandbox.box import CHILD, INSIDE_CHILD, Sandbox, bwrap_path
from grader.sandbox.child import INPUTS_NAME, Child, Conversation, describe
from grader.sandbox.files import copy_submission
from grader.sandbox.limits import Limits, StartCaps
from grader.sandbox.mounts import INSIDE_DATA, INSIDE_WORK
from grader.sandbox.pool import WarmPool
from grader.sandbox.protocol import (Frame, Outcome, Replies, Tail, find_frame, message,
                                     parse_arrays)
from grader.sandbox.seccomp import seccomp_program

__all__ = ["CHILD", "INPUTS_NAME", "INSIDE_CHILD", "INSIDE_DATA", "INSIDE_WORK", "Child",
           "Conversation", "Frame", "Limits", "Outcome", "Replies", "Sandbox", "StartCaps",
           "Tail", "WarmPool", "bwrap_path", "copy_submission", "describe", "find_frame",
           "message", "parse_arrays", "seccomp_program"]
