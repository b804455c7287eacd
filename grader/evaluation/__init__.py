"""Evaluation inside the sandbox: the student's model run on the inputs the parent sent.

Child-side, like grader/studentcode: bound beside grader/sandbox_child.py and imported there by
path (as `_grade_evaluation`), so it may import only the standard library, numpy and torch.
`images`: the logits of each classification input set. `language`: a language model answering
token batches one message at a time, and the causal-leak check. No labels and no metric here:
the parent computes every number from what comes back.
"""
from __future__ import annotations

import os
import sys

# The folder bound as /grade (this package's parent): frames there are the grader's own.
_GRADER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Failure(Exception):
    """A problem with the submission's model, reported to the parent as one line."""


def where(e: BaseException) -> str:
    """`file line N: ` of the student's frame that raised, `cell N line M` in a notebook (its
    module holds the cells' first lines, see grader/studentcode/loader.py)."""
    tb, last = e.__traceback__, None
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith((sys.prefix, _GRADER)):
            last = tb
        tb = tb.tb_next
    if last is None:
        return ""
    name, line = os.path.basename(last.tb_frame.f_code.co_filename), last.tb_lineno
    cells = [c for c in last.tb_frame.f_globals.get("__grade_cells__", ()) if c[0] <= line]
    if cells:
        return f"{name} cell {cells[-1][1]} line {line - cells[-1][0] + 1}: "
    return f"{name} line {line}: "
