"""The model as students hand it in: scripts, notebooks, packages, every common checkpoint.

Runs inside the sandbox (grader/sandbox_child.py imports it by path, as `_grade_studentcode`):
standard library at import time only; torch is imported inside the functions that need it, and
no other grader module is imported. The parent uses `hints` for what only it can tell.

    loader.py      import `code` (script cut to its definitions, notebook, package)
    cut.py         the syntax-tree cut of a training script
    notebook.py    a notebook's code cells as one source, IPython syntax removed
    stubs.py       stand-ins for absent optional packages (torchvision, matplotlib, ...)
    checkpoint.py  loading a checkpoint and finding the state_dict that fits the model
    hints.py       the one change that fixes each failure
"""
from . import construct, hints
from .checkpoint import fit_state, load_checkpoint, stored_accuracy, unwrap_model
from .errors import MissingDependency, StudentCodeError
from .loader import describe, import_code, scrub

__all__ = ["MissingDependency", "construct", "hints", "StudentCodeError", "describe", "fit_state", "import_code",
           "load_checkpoint", "scrub", "stored_accuracy", "unwrap_model"]
