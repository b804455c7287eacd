"""What the student changes to fix a failed re-run: one hint per kind of failure.

Pure functions of strings and numbers, used inside the sandbox (as the failure is described)
and by the parent (for what only it knows: the claim, the measurement, the captured output).
Every text here has a test asserting it (tests/grader/studentcode/test_hints.py).
"""
from __future__ import annotations

import inspect
import os
import re
from typing import Callable


def N_(message: str) -> str:
    """Marks a hint for the catalogs; the parent translates it (grader.i18n is not importable
    inside the sandbox)."""
    return message


TRAINING_WORDS = re.compile(r"\b(epoch|loss|iter|step|batch|train)", re.IGNORECASE)


def _same(message: str) -> str:
    return message


# The hints as msgids. Inside the sandbox they are filled in English; the parent finds them in
# what the child sent and says them in the reader's language (grader/i18n/sandbox_text.py).
TOP_LEVEL = N_("{file} is imported, so its top level runs: move the model into its own file "
               'or guard the training with `if __name__ == "__main__":`')
MISSING_MODULE = N_("{importer} imports `{module}`, which is neither in the submission nor "
                    "installed where the grader runs: hand in {top}.py (or the {top}/ folder) "
                    "with your code")
REMOVE_KWARGS = N_("remove {names} from `kwargs`: {name} takes {takes}")
REMOVE_KWARGS_NONE = N_("remove {names} from `kwargs`: {name} takes no arguments")
ADD_KWARGS = N_("add `{table}` to `kwargs` ({name} needs {missing})")
ADD_KWARGS_TABLE = N_("add `kwargs = {{{table}}}` to the claim ({name} needs {missing})")
MAIN_PICKLE_CODE = N_("the checkpoint is a whole pickled model of class `{cls}` from the script "
                      "that saved it, and {code} defines no `{cls}`: name that script as `code`")
MAIN_PICKLE = N_("the checkpoint is a whole pickled model of class `{cls}` from the script that "
                 "saved it: name that script as `code`")
NOT_A_STATE_DICT = N_("the checkpoint holds a {kind}, not weights: save it with "
                      "`torch.save(model.state_dict(), path)`")
SHAPES_DIFFER = N_("the checkpoint was trained with other sizes: set the constructor arguments "
                   "in `kwargs`")
SHAPES_DIFFER_TAKES = N_("the checkpoint was trained with other sizes: set the constructor "
                         "arguments in `kwargs` ({name} takes {params})")
OTHER_NETWORK = N_("does `model` name the network whose weights these are? hand in the code "
                   "that trained the checkpoint")
NORMALIZE = N_("no `normalize` given, and the checkpoint's own accuracy agrees with your claim: "
               "did you train with normalisation? add `normalize = {mean = [...], std = [...]}` "
               "to the claim")
IMPORT_TIMEOUT = N_("importing {code} took over {seconds} s; {why}")
LAST_OUTPUT = N_("last output: {output}")
TRAINING_RAN = N_("it looks like training ran: {why}")
DID_YOU_MEAN = N_("did you mean `{close}`? (the code defines `{close}`, not `{name}`)")
DEFINE_NAME = N_("define `{name}` in the code you hand in, or import it there")


def top_level(file: str, say: Callable[[str], str] = _same) -> str:
    """The student's file ran work at import (training, data loading, argument parsing).
    `say`: the parent's translator (inside the sandbox the hint stays English)."""
    return say(TOP_LEVEL).format(file=file)


def missing_module(module: str, importer: str) -> str:
    """An import of a module that is neither handed in nor installed."""
    return MISSING_MODULE.format(importer=importer, module=module, top=module.split(".")[0])


def unknown_name(name: str, defined: list[str]) -> str:
    """A name the student's code reads but never defines: the closest name it does define."""
    import difflib
    close = difflib.get_close_matches(name, [d for d in defined if not d.startswith("__")], 1)
    if close:
        return DID_YOU_MEAN.format(close=close[0], name=name)
    return DEFINE_NAME.format(name=name)


def constructor(name: str, factory, kwargs: dict) -> str | None:
    """The kwargs change that makes `factory(**kwargs)` bind, or None if it already binds."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return None
    params = sig.parameters.values()
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
    unknown = [k for k in kwargs if k not in sig.parameters and not takes_any]
    missing = [p.name for p in params if p.default is p.empty and p.name not in kwargs
               and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if unknown:
        takes = ", ".join(p.name for p in params if p.kind not in (p.VAR_POSITIONAL,
                                                                   p.VAR_KEYWORD))
        names = ", ".join(f"`{k}`" for k in unknown)
        return (REMOVE_KWARGS.format(names=names, name=name, takes=takes) if takes else
                REMOVE_KWARGS_NONE.format(names=names, name=name))
    if missing:
        table = ", ".join(f"{m} = ..." for m in missing)
        return (ADD_KWARGS if kwargs else ADD_KWARGS_TABLE).format(
            table=table, name=name, missing=", ".join(missing))
    return None


def main_pickle(cls: str, code: str | None) -> str:
    """A whole model pickled from `python train.py`: its class lives in `__main__`."""
    if code:
        return MAIN_PICKLE_CODE.format(cls=cls, code=code)
    return MAIN_PICKLE.format(cls=cls)


def not_a_state_dict(kind: str) -> str:
    return NOT_A_STATE_DICT.format(kind=kind)


def shapes_differ(name: str, params: list[str]) -> str:
    """Same layers, other sizes: the model was built with other constructor arguments."""
    if params:
        return SHAPES_DIFFER_TAKES.format(name=name, params=", ".join(params))
    return SHAPES_DIFFER


def other_network() -> str:
    return OTHER_NETWORK


def normalize() -> str:
    """A msgid as it is (its braces are TOML, not fields): the parent translates it."""
    return NORMALIZE


def import_timeout(code: str, seconds: float, running: str) -> str:
    """Importing `code` did not finish: `running` is the file whose top level was running."""
    return IMPORT_TIMEOUT.format(code=code, seconds=f"{seconds:g}", why=top_level(running))


def output_tail(stdout: str, stderr: str, lines: int = 3, width: int = 160,
                say: Callable[[str], str] = _same) -> str:
    """The last non-empty lines of the student's own output, as one quoted phrase."""
    def last(text: str) -> list[str]:
        out = [l.strip() for l in text.replace("\r", "\n").splitlines() if l.strip()]
        return out[-lines:]
    # The grader's own report of the crash is not the student's output: drop the traceback.
    cut = stderr.rfind("Traceback (most recent call last):")
    tail = last(stderr[:cut] if cut >= 0 else stderr) or last(stdout)
    if not tail:
        return ""
    return say(LAST_OUTPUT).format(
        output=no_grader_paths(" | ".join(l[:width] for l in tail)))


def no_grader_paths(text: str) -> str:
    """What the student reads names their files and classes, never the grader's paths."""
    text = re.sub(r"<module '__main__' from '[^']*'>", "the script's `__main__`", text)
    path = r"[^\s'\"]*"
    inside = "|".join(re.escape(os.sep + name + os.sep) for name in ("grader", "grade"))
    return re.sub(path + f"(?:{inside})" + path + r"\.py", "the grader", text)


def timed_out(error: str, stdout: str, stderr: str, code: str | None,
              say: Callable[[str], str] = _same) -> str:
    """A timeout or crash, with the student's last output and, if it looks like training, why
    (`say`: the parent's translator for the words it adds; the child's error stays as sent)."""
    parts = [_from_child(no_grader_paths(error), say)]
    tail = output_tail(stdout, stderr, say=say)
    if tail:
        parts.append(tail)
    if code and error.startswith("timed out") and TRAINING_WORDS.search(stdout + stderr):
        parts.append(say(TRAINING_RAN).format(why=top_level(code, say)))
    return say("; ").join(parts)


def _from_child(text: str, say: Callable[[str], str]) -> str:
    """What the child wrote, in the reader's language when the parent asks (`say` given);
    inside the sandbox, and in English, it stays as sent."""
    if say is _same:
        return text
    from grader.i18n.sandbox_text import from_sandbox     # the parent only
    return from_sandbox(text)


def how_taken(shown) -> str:
    """How the model was taken from the submission (cut script, pickled class, prefixes), as a
    parenthesis for the claim's detail; "" when there is nothing worth saying. Used by the
    parent only: the child's notes are said in the current language."""
    items = [str(s) for s in shown or [] if isinstance(s, str)]
    if not items:
        return ""
    from grader.i18n import _
    from grader.i18n.sandbox_text import from_sandbox
    return _(" ({notes})").format(notes=_("; ").join(from_sandbox(s) for s in items))


def normalisation_missing(claimed: float | None, tolerance: float, given: bool, stored,
                          measured: float) -> bool:
    """Refuted low, no normalisation given, and the checkpoint's own accuracy (a fraction or a
    percentage) agrees with the claim: the `normalize` hint applies."""
    if claimed is None or given or not (isinstance(stored, list) and len(stored) == 2
                                        and isinstance(stored[1], (int, float))):
        return False
    own = float(stored[1]) * (100 if float(stored[1]) <= 1.0 else 1)
    return measured < claimed - tolerance and abs(own - claimed) <= tolerance
