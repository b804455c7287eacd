"""Evaluation inside the sandbox: the student's model run on the inputs the parent sent.

Child-side, like grader/studentcode: bound beside grader/sandbox_child.py and imported there by
path (as `_grade_evaluation`), so it may import only the standard library, numpy and torch.
`images`: the logits of each classification input set. `language`: a language model answering
token batches one message at a time, and the causal-leak check. No labels and no metric here:
the parent computes every number from what comes back.
"""
from __future__ import annotations


class Failure(Exception):
    """A problem with the submission's model, reported to the parent as one line."""
