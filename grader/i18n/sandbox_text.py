"""What the sandbox says (its errors, the student-code hints, its notes, the box's bounds), in the
reader's language, translated on the parent's side.

The child cannot read the catalogs (grader.i18n is not importable inside the sandbox), so it
writes English from fixed templates. Those templates are listed here as msgids, word for word
as the child writes them (the hints are `grader.studentcode.hints`' own constants), and
`from_sandbox` finds them in the text that arrives and says them in the current language
(grader.i18n.matching). Python's own exception messages and the student's output are kept as
they are; a message no template knows stays English. `tests/grader/test_i18n_sandbox.py` feeds
the texts the child really writes through it.
"""
from __future__ import annotations

import functools
import re

from grader.i18n import N_, _, current
from grader.i18n.matching import Field, Spec, Template, by_length, translate
from grader.studentcode import hints

ANY = r".+"
LIST = r"[^;:]+"                    # names separated by commas, up to the next clause


# Phrases said only inside the field made for them (they are too short to look for anywhere).
_SKIPPED = (N_("the __main__ block"), N_("a loop"), N_("a call"),
            N_("an assignment the model does not need"), N_("an import the model does not need"),
            (N_("a {kind} statement"), {"kind": r"[a-z]+"}),
            (N_("(×{count})"), {"count": r"\d+"}),
            N_("cell {cell}: a cell magic"),
            (N_("cell {cell}: does not parse (line {line}: {msg})"), {"msg": r"[^)]+"}))
_MISMATCH = ((N_("missing {keys}"), {"keys": LIST}), (N_("unexpected {keys}"), {"keys": LIST}),
             (N_("shape {shapes}"), {"shapes": LIST}),
             (N_("{key} {got} vs model {want}"), {"key": r"[\w.]+", "got": r"\[[\d, ]*\]",
                                                  "want": r"\[[\d, ]*\]"}),
             (N_("(+{count} more)"), {"count": r"\d+"}))

_TEMPLATES: tuple[Spec, ...] = (
    # --- where: a line of the student's file (loader, notebooks, the child's tracebacks)
    (N_("{file} line {line}"), {"file": r"[\w.\-]+"}),
    (N_("{file} cell {cell} line {line}"), {"file": r"[\w.\-]+"}),
    # --- the box ended without an answer (grader/sandbox/protocol.py, child.py)
    N_("timed out after {seconds} s (the claim's timeout)"),
    N_("CPU time limit exceeded before returning a result"),
    N_("file size limit exceeded before returning a result"),
    N_("killed (out of memory?) before returning a result"),
    N_("segmentation fault before returning a result"),
    N_("exited with status {status} before returning a result"),
    N_("went over its memory limit (the sandbox's cgroup: process memory and /tmp, /dev/shm, "
       "/submission together) before returning a result"),
    (N_("last stderr line: {last}"), {"last": r".+"}),
    N_("failed without a message"),
    (N_("the reply exceeded {count} bytes"), {"count": r"[\d,]+"}),
    # --- the box's bounds (grader/sandbox/child.py `describe`)
    (N_("{cgroup}: memory and {pids} tasks"), {"cgroup": r"cgroup v\d", "pids": r"\d+|None"}),
    N_("NO memory cgroup on this machine: memory bounded by rlimits and tmpfs sizes only"),
    (N_("tmpfs {sizes}"), {"sizes": r"/[^;]+"}),
    (N_("peak {mb} MB"), {"mb": r"\d+"}),
    # --- the child (grader/sandbox_child.py)
    N_("the grader closed the conversation early"),
    N_("the submission does not fit the sandbox's scratch quota ({mb} MB)"),
    (N_("could not copy the submission into the sandbox: {error}"), {"error": ANY}),
    N_("the checkpoint is a whole pickled model of class {cls} from {module}"),
    N_("the checkpoint is a whole pickled model of class {cls}"),
    N_("the checkpoint holds only weights: name the file that defines the model as `code`"),
    N_("the claim names no `code` to build the model from"),
    N_("no checkpoint: the model's initial weights were evaluated"),
    (N_("{code} defines no {name}: set `model` to one of {names}"), {"names": LIST}),
    N_("{code} defines no {name}: set `model` to the class or function that builds it"),
    (N_("{code}: {name} is a {kind}, not a class or function: set `model` to the class or "
        "function that builds the network"), {"kind": r"\w+"}),
    (N_("{code}: {name}(...) returned {kind}, not an nn.Module: set `model` to the class or "
        "function that returns the network"), {"kind": r"\w+"}),
    (N_("{code}: {name}(...) failed: {reason}"), {"reason": ANY}),
    (N_("model output is {got}; expected (batch, classes) logits"), {"got": r"[^;]+?"}),
    (N_("the inputs file ends after {count} bytes"), {"count": r"[\d,]+"}),
    (N_("language model output is {shape}; expected ({dims}, vocab)"),
     {"shape": r"\[[\d, ]*\]", "dims": r"T, B|B, T"}),
    (N_("{cls}.forward takes ({params}), and a language-model claim calls model(x), model(x, "
        "src_mask) or model(x, hidden) with init_hidden(batch): give the model a forward(x) "
        "that returns the next-token logits"), {"cls": r"[\w.]+", "params": r"[^)]*"}),
    (N_("forward assumes a batch of {count} images, and the grader's batches have other sizes: "
        "write `x.view(x.size(0), -1)`"), {"count": r"\d+"}),
    (N_("the images were flattened to {count} features: the model's first layer is a Linear"),
     {"count": r"\d+"}),
    # --- loading the student's code and checkpoint (grader/studentcode/)
    N_("code {code} is a folder without an __init__.py: name the .py file that defines the "
       "model as `code`"),
    N_("code file {code} not found"),
    N_("code {code} is not a .py file, a notebook (.ipynb) or a package folder"),
    (N_("imported the package {package}/"), {"package": r"[\w.\-]+"}),
    (N_("imported {module} from the package {package}/"),
     {"module": r"[\w.]+", "package": r"[\w.\-]+"}),
    (N_("read the code cells of {code} (skipped {skipped})"),
     {"skipped": Field(r".+(?=\)$)", _SKIPPED)}),
    N_("read the code cells of {code}"),
    (N_("{code} was cut to its imports and definitions; its top level was not run "
        "(skipped {skipped})"), {"skipped": Field(r".+(?=\)$)", _SKIPPED)}),
    N_("checkpoint {file} not found"),
    (N_("checkpoint {file} is not readable safetensors: {text}"), {"text": ANY}),
    (N_("checkpoint {file} cannot be loaded: {reason}"), {"reason": ANY}),
    (N_("checkpoint ({where}) does not fit the model: {parts}: {hint}"),
     {"where": Field(r"[^)]+", (N_("the pickled model"),)),
      "parts": Field(r"[^:]+", _MISMATCH), "hint": ANY}),
    (N_("the model uses `{path}`, which needs {top}; {top} is not installed where the grader "
        "runs: build the model from torch alone (copy the network's definition into your code)"),
     {"path": r"[\w.]+", "top": r"\w+"}),
    (N_("checkpoint does not fit the model: {parts}: {hint}"),
     {"parts": Field(r"[^:]+", _MISMATCH), "hint": ANY}),
    (N_("weights read from {where}"), {"where": r"[^;]+"}),
    (N_("key prefixes dropped: {prefixes}"), {"prefixes": r"[^;]+"}),
    (N_("{name} = the class {name} of the code"), {"name": r"\w+"}),
    # --- the hints (grader/studentcode/hints.py)
    (hints.TOP_LEVEL, {"file": r"[\w.\-]+"}),
    (hints.MISSING_MODULE, {"importer": Field(r"your code|[\w.\-]+", (N_("your code"),)),
                            "module": r"[\w.]+", "top": r"\w+"}),
    (hints.REMOVE_KWARGS_NONE, {"names": r"`[^;:]+`"}),
    (hints.REMOVE_KWARGS, {"names": r"`[^;:]+`", "takes": LIST}),
    (hints.ADD_KWARGS, {"table": r"[^`]+", "missing": r"[^)]+"}),
    (hints.ADD_KWARGS_TABLE, {"table": r"[^}]+", "missing": r"[^)]+"}),
    (hints.MAIN_PICKLE_CODE, {"cls": r"[\w.]+"}),
    (hints.MAIN_PICKLE, {"cls": r"[\w.]+"}),
    (hints.NOT_A_STATE_DICT,
     {"kind": Field(r".+?", ((N_("{kind} with keys {keys}"), {"kind": r"\w+",
                                                               "keys": r"\[.*\]"}),))}),
    (hints.SHAPES_DIFFER_TAKES, {"params": r"[^)]+"}),
    hints.SHAPES_DIFFER,
    hints.OTHER_NETWORK,
    (hints.IMPORT_TIMEOUT, {"why": ANY}),
    (hints.LAST_OUTPUT, {"output": ANY}),
    (hints.TRAINING_RAN, {"why": ANY}),
    (hints.DID_YOU_MEAN, {"close": r"[\w.]+", "name": r"[\w.]+"}),
    (hints.DEFINE_NAME, {"name": r"[\w.]+"}),
)


def msgids() -> list[str]:
    """Every msgid the table knows, those said only inside a field included (for the test
    that every phrase the child writes has its template)."""
    out: list[str] = []

    def walk(specs) -> None:
        for spec in specs:
            msgid, fields = (spec, {}) if isinstance(spec, str) else spec
            out.append(msgid)
            for f in fields.values():
                if isinstance(f, Field):
                    walk(f.within)
    walk(_TEMPLATES)
    return out


@functools.lru_cache(maxsize=1)
def templates() -> tuple[Template, ...]:
    return tuple(by_length(_TEMPLATES))


# "; " joining clauses the child wrote, where a translated clause stands on either side
_JOIN = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef]); |; (?=[\u3000-\u9fff\uff00-\uffef])")


def from_sandbox(text: str) -> str:
    """`text` from the sandbox in the current language (English: exactly as it came)."""
    if current() == "en" or not text:
        return text
    return _JOIN.sub(_("; "), translate(text, templates(), _))
