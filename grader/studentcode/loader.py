"""Importing the model's code as the student handed it in: a module, a training script, a
notebook or a package, without running the script's training.

`import_code(code, model, notes)`:
- a folder (or its `__init__.py`): imported as a package, relative imports working;
- a `.py` inside a package folder: imported as `package.module`;
- a `.py` or `.ipynb`: its source cut by `cut.cut_module` to what builds `model`, executed as a
  module named after the file (so pickles naming `model.Net` resolve), also serving as
  `__main__` for pickles saved by `python train.py`.
Absent optional packages (torchvision, matplotlib, ...) get stand-ins (`stubs.py`).
`describe(e)` turns a student's exception into one line naming their file and line, never a
grader path.
"""
from __future__ import annotations

import importlib
import os
import re
import signal
import sys
import traceback
import types
import warnings

from . import cut, hints, notebook, stubs
from .errors import StudentCodeError

IMPORT_SECONDS = 30.0
LIBRARY_WARNINGS = r"(torch|numpy|nbformat|safetensors)(\.|$)"
_NOTEBOOKS: dict[str, notebook.NotebookSource] = {}
CELLS = "__grade_cells__"        # a notebook module's ((first line, cell number), ...)
_HERE = os.path.dirname(os.path.abspath(__file__))
_GRADER = os.path.dirname(_HERE)


class _ImportTimeout(BaseException):
    """Raised in the main thread when importing the student's code takes too long."""


def import_code(code: str, model: str | None, notes: list[str],
                seconds: float = IMPORT_SECONDS) -> types.ModuleType:
    stubs.install()
    # Libraries' own notices (torch's nested-tensor warning, ...) are not the student's output.
    warnings.filterwarnings("ignore", module=LIBRARY_WARNINGS)
    path = os.path.abspath(code)
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "__init__.py")):
            raise StudentCodeError(f"code {code} is a folder without an __init__.py: name the "
                                   ".py file that defines the model as `code`")
        return _guarded(code, seconds, _package, path, notes)
    if not os.path.isfile(path):
        raise StudentCodeError(f"code file {code} not found")
    if os.path.basename(path) == "__init__.py":
        return _guarded(code, seconds, _package, os.path.dirname(path), notes)
    if not path.endswith((".py", ".ipynb")):
        raise StudentCodeError(f"code {code} is not a .py file, a notebook (.ipynb) or a "
                               "package folder")
    if path.endswith(".py") and os.path.isfile(os.path.join(os.path.dirname(path),
                                                            "__init__.py")):
        return _guarded(code, seconds, _in_package, path, notes)
    return _guarded(code, seconds, _script, path, code, model, notes)


def _guarded(code: str, seconds: float, fn, *args):
    """Run an import with a deadline: a top level that trains is stopped with the hint."""
    def expire(signum, frame):
        raise _ImportTimeout()
    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    except _ImportTimeout as e:      # name the file whose top level was running
        frames = _student_frames(e)
        where = os.path.basename(frames[-1].filename) if frames else os.path.basename(code)
        raise StudentCodeError(hints.import_timeout(code, seconds, where)) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _package(folder: str, notes: list[str]) -> types.ModuleType:
    name = os.path.basename(folder)
    sys.path.insert(0, os.path.dirname(folder))
    notes.append(f"imported the package {name}/")
    return importlib.import_module(name)


def _in_package(path: str, notes: list[str]) -> types.ModuleType:
    folder = os.path.dirname(path)
    name = f"{os.path.basename(folder)}.{os.path.splitext(os.path.basename(path))[0]}"
    sys.path.insert(0, os.path.dirname(folder))
    notes.append(f"imported {name} from the package {os.path.basename(folder)}/")
    return importlib.import_module(name)


def _script(path: str, code: str, model: str | None, notes: list[str]) -> types.ModuleType:
    folder = os.path.dirname(path)
    sys.path.insert(0, folder)    # the submission's own helper modules
    if path.endswith(".ipynb"):
        nb = notebook.notebook_source(path)
        _NOTEBOOKS[path] = nb
        source, skipped = nb.source, list(nb.skipped)
        notes.append(f"read the code cells of {code}"
                     + (f" (skipped {'; '.join(skipped)})" if skipped else ""))
    else:
        with open(path, encoding="utf-8-sig") as f:
            source = f.read()
    root = (model or "Net").split(".")[0]
    try:
        result = cut.cut_module(source, path, {root})
    except SyntaxError as e:
        raise StudentCodeError(f"{_where_line(path, e.lineno)}: SyntaxError: {e.msg}") from None
    if any("import" not in s for s in result.skipped):    # unused imports alone: no cut to tell
        notes.append(f"{code} was cut to its imports and definitions; its top level was not run "
                     f"(skipped {cut.summary(result.skipped)})")
    name = _module_name(os.path.splitext(os.path.basename(path))[0])
    module = types.ModuleType(name)
    module.__file__ = path
    if path.endswith(".ipynb"):     # so the evaluation can name "cell N line M" too
        module.__dict__[CELLS] = tuple(_NOTEBOOKS[path].starts)
    sys.modules[name] = module          # so pickled classes `model.Net` resolve
    exec(compile(result.tree, path, "exec"), module.__dict__)
    return module


def _module_name(stem: str) -> str:
    """The file's own name, unless that would replace a module already imported (`random`)."""
    if stem.isidentifier() and stem not in sys.modules:
        return stem
    safe = re.sub(r"\W", "_", stem)
    return f"student_{safe}"


# ---------------------------------------------------------------- describing failures

def _where_line(path: str, line: int | None) -> str:
    name = os.path.basename(path)
    nb = _NOTEBOOKS.get(path)
    if nb is not None and line:
        return f"{name} {nb.line_of(line)}"
    return f"{name} line {line}" if line else name


def _student_frames(e: BaseException) -> list[traceback.FrameSummary]:
    cwd = os.getcwd() + os.sep
    return [f for f in traceback.extract_tb(e.__traceback__)
            if f.filename.startswith(cwd) and not f.filename.startswith(_GRADER + os.sep)]


def scrub(text: str) -> str:
    """No grader-internal path in what the student reads."""
    return hints.no_grader_paths(text).replace(os.getcwd() + os.sep, "")


def describe(e: BaseException, phase: str = "") -> str:
    """One line: the student's file and line, the exception, and the hint that fixes it."""
    frames = _student_frames(e)
    where = _where_line(frames[-1].filename, frames[-1].lineno) if frames else ""
    text = f"{type(e).__name__}: {e}".splitlines()[0] if str(e) else type(e).__name__
    line = scrub(f"{where}: {text}" if where else text)[:400]
    hint = _hint(e, frames, phase)
    return f"{line}: {hint}" if hint else line


def _names_where(e: BaseException) -> list[str]:
    """The global names of the student's frame that raised `e`."""
    tb, names, cwd = e.__traceback__, [], os.getcwd() + os.sep
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.startswith(cwd) and not name.startswith(_GRADER + os.sep):
            names = list(tb.tb_frame.f_globals)
        tb = tb.tb_next
    return names


def _hint(e: BaseException, frames: list[traceback.FrameSummary], phase: str) -> str:
    if isinstance(e, NameError) and getattr(e, "name", None) and frames:
        return hints.unknown_name(e.name, _names_where(e))
    if isinstance(e, ModuleNotFoundError) and e.name:
        importer = os.path.basename(frames[-1].filename) if frames else "your code"
        return hints.missing_module(e.name, importer)
    if phase == "import" and frames and frames[-1].name == "<module>":
        return hints.top_level(os.path.basename(frames[-1].filename))
    return ""
