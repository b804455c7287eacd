"""Reading the files people write: safely, and with one-line errors that name file and line.

This is the one reader for every file the grader takes from outside (answers, logs,
manual.csv, assignments; code and checkpoints through `open_inside`):
  - never through a symbolic link: the file is opened with O_NOFOLLOW and, when it lies inside
    a submission (`within=`), every folder between the submission and the file is opened with
    O_NOFOLLOW too, one `openat` at a time, so no link can be swapped in between a check and
    the read;
  - only regular files (a FIFO or a device named `answers.toml` neither hangs nor streams);
  - size bounded before reading, and never more than the limit read;
  - nesting depth bounded before parsing: a cheap scan over brackets, braces and dotted keys
    refuses 200,000 nested `[` with one line, where tomllib or json would hit Python's
    recursion limit (and tomllib's dotted keys take quadratic time and memory).
"""
from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any, BinaryIO

from grader.errors import GradeError

MAX_BYTES = 2_000_000       # an answers or assignment file is a few KB; refuse pasted datasets
MAX_DEPTH = 32              # answers are at most matrices in a table in a table (depth 4);
#                             assignments reach about 6 (question.params.layers[i]{...})

_NOFOLLOW = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
_PLAIN = ("/", ".", "..")


# --- opening without following links -----------------------------------------------------------

def _relative(path: Path, within: Path, error: type[GradeError], label: str) -> list[str]:
    """The parts of `path` below `within`, refusing absolute escapes and `..`."""
    try:
        rel = Path(os.path.normpath(path)).relative_to(os.path.normpath(within))
    except ValueError:
        raise error(f"{label}: outside the submission folder") from None
    if not rel.parts or any(p in _PLAIN for p in rel.parts):
        raise error(f"{label}: not a file in the submission folder")
    return list(rel.parts)


def _open_nofollow(path: Path, error: type[GradeError], label: str,
                   within: Path | None) -> int:
    """A read-only descriptor of the regular file at `path`, opened through no symlink."""
    dir_fd: int | None = None
    try:
        if within is None:
            name = str(path)
        else:
            parts = _relative(path, within, error, label)
            dir_fd = os.open(within, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            for part in parts[:-1]:
                try:
                    fd = os.open(part, _NOFOLLOW | os.O_DIRECTORY, dir_fd=dir_fd)
                except OSError as e:
                    raise error(_why(e, f"{label}: folder {part!r}", folder=True)) from None
                os.close(dir_fd)
                dir_fd = fd
            name = parts[-1]
        try:
            fd = os.open(name, _NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        except OSError as e:
            raise error(_why(e, label)) from None
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise error(f"{label}: not a regular file")
    os.set_blocking(fd, True)
    return fd


def _why(e: OSError, what: str, folder: bool = False) -> str:
    """One line for a failed open; ELOOP / ENOTDIR under O_NOFOLLOW mean a symlink."""
    if e.errno == errno.ELOOP or (folder and e.errno == errno.ENOTDIR):
        return (f"{what} is a symbolic link; the grader never reads through links "
                "(submit the file itself)")
    if e.errno == errno.ENOENT:
        return f"{what}: no such file"
    if e.errno == errno.EISDIR:
        return f"{what}: not a file"
    return f"{what}: cannot be read ({e.strerror})"


def open_inside(root: Path, rel: str | Path, error: type[GradeError]) -> BinaryIO:
    """A binary file object for `root/rel`, refusing links anywhere below `root`.

    For copying code and checkpoints out of a submission: the caller reads in chunks and
    bounds the total itself."""
    path = Path(root) / rel
    fd = _open_nofollow(path, error, Path(rel).as_posix(), Path(root))
    return os.fdopen(fd, "rb")


def is_link_free(root: Path, rel: str | Path) -> bool:
    """True when `root/rel` exists and neither it nor a folder between it and `root` is a
    symlink (for files read by path afterwards, e.g. a training log)."""
    parts = Path(rel).parts
    if not parts or Path(rel).is_absolute() or any(p in _PLAIN for p in parts):
        return False
    here = Path(root)
    for part in parts:
        here = here / part
        if here.is_symlink() or not os.path.lexists(here):
            return False
    return True


# --- bytes and text ----------------------------------------------------------------------------

def read_bytes(path: Path, error: type[GradeError], *, limit: int = MAX_BYTES,
               label: str | None = None, within: Path | None = None) -> bytes:
    """A file's bytes, refusing a missing, linked, special, oversized or empty file.

    `label` is how messages name the file (default: its name). `within`: the file lies in
    this folder (a submission) and no folder between them may be a link either."""
    path = Path(path)
    label = label or path.name
    if within is None and not os.path.lexists(path):
        raise error(f"{path}: no such file")
    if within is None and path.is_dir():
        raise error(f"{path}: not a file")
    fd = _open_nofollow(path, error, label, within)
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise error(f"{label}: {size:,} bytes is too large for this file (limit {limit:,})")
        raw = f.read(limit + 1)             # a file that grows meanwhile is still bounded
    if len(raw) > limit:
        raise error(f"{label}: more than {limit:,} bytes is too large for this file")
    if not raw.strip():
        raise error(f"{label}: the file is empty")
    return raw


def read_text(path: Path, error: type[GradeError], *, within: Path | None = None) -> str:
    """The file's text, or `error` with a message naming the file and what is wrong."""
    raw = read_bytes(path, error, within=within)
    if b"\x00" in raw:
        raise error(f"{path.name}: binary data (NUL bytes); expected UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise error(f"{path.name} line {line}: byte 0x{raw[e.start]:02x} is not UTF-8; "
                    "save the file as UTF-8") from None
    return text


# --- nesting depth, before any parser sees the text --------------------------------------------

# Strings are matched as unrolled loops ("[^"\\]*(?:\\.[^"\\]*)*"): one regex step per run of
# plain characters, not one alternation per character; possessive quantifiers (`*+`) and the
# `word` token keep a long bare word or an unterminated string from costing quadratic time.
_BASIC = r'"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"'
_LITERAL = r"'[^'\n]*+'"
_TOML_PART = rf"(?:[A-Za-z0-9_-]++|{_BASIC}|{_LITERAL})"
_TOML_TOKENS = re.compile(
    r'(?P<skip>"""[^"\\]*+(?:(?:\\[\s\S]|"(?!""))[^"\\]*+)*+"""'      # multi-line strings
    r"|'''[^']*+(?:'(?!'')[^']*+)*+''')"
    rf"|(?P<dotted>(?:{_TOML_PART}[ \t]*+\.[ \t]*+)++{_TOML_PART})"  # a.b."c".d (and 1.5)
    rf"|(?P<string>{_BASIC}|{_LITERAL}|#[^\n]*+)"                     # strings, comments
    r"|(?P<word>[A-Za-z0-9_-]++)"
    r"|(?P<open>[\[{])|(?P<close>[\]}])")
_JSON_TOKENS = re.compile(r'(?P<string>"[^"\\]*+(?:\\[\s\S][^"\\]*+)*+")'
                          r"|(?P<open>[\[{])|(?P<close>[\]}])")


def check_depth(text: str, name: str, error: type[GradeError], *, toml: bool,
                limit: int = MAX_DEPTH) -> None:
    """Refuse nesting deeper than `limit` (arrays, tables, dotted keys) with one line."""
    depth = 0
    for m in (_TOML_TOKENS if toml else _JSON_TOKENS).finditer(text):
        kind = m.lastgroup
        if kind == "open":
            depth += 1
            if depth > limit:
                _too_deep(text, m.start(), name, error, limit, "nested [ or {")
        elif kind == "close":
            depth = max(depth - 1, 0)
        elif kind == "dotted" and m.group().count(".") >= limit:
            _too_deep(text, m.start(), name, error, limit, "parts in a dotted key")


def _too_deep(text: str, pos: int, name: str, error: type[GradeError], limit: int,
              what: str) -> None:
    line = text.count("\n", 0, pos) + 1
    raise error(f"{name} line {line}: more than {limit} {what}; nothing graded is nested "
                "this deep")


# --- TOML and JSON -----------------------------------------------------------------------------

def read_toml(path: Path, error: type[GradeError], *,
              within: Path | None = None) -> tuple[dict[str, Any], str]:
    text = read_text(path, error, within=within)
    check_depth(text, path.name, error, toml=True)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(f"{path.name}: TOML syntax error: {e}") from None
    except (ValueError, RecursionError) as e:   # e.g. an integer of 5,000 digits
        raise error(f"{path.name}: {_first_line(e)}") from None
    _no_nan(data, path, text, error)
    return data, text


def read_json(path: Path, error: type[GradeError], *,
              within: Path | None = None) -> tuple[Any, str]:
    text = read_text(path, error, within=within)
    check_depth(text, path.name, error, toml=False)

    def reject(const: str) -> None:
        raise error(f"{path.name} line {key_line(text, const) or '?'}: {const} is not a number "
                    "a grade can use")
    try:
        data = json.loads(text, parse_constant=reject)
    except json.JSONDecodeError as e:
        raise error(f"{path.name} line {e.lineno}: JSON syntax error: {e.msg}") from None
    except (ValueError, RecursionError) as e:
        raise error(f"{path.name}: {_first_line(e)}") from None
    return data, text


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return (text.splitlines()[0] if text else type(e).__name__)[:200]


def key_line(text: str, key: str, after: str | None = None) -> int | None:
    """1-based line where `key` is first written (as a key or bare), optionally after `after`."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        for i, line in enumerate(lines):
            if after in line:
                start = i
                break
    pattern = re.compile(r'^\s*(?:"%s"|\'%s\'|%s)\s*[=:]' % ((re.escape(key),) * 3))
    for i in range(start, len(lines)):
        if pattern.search(lines[i]):
            return i + 1
    for i in range(start, len(lines)):
        if key in lines[i]:
            return i + 1
    return None


def _no_nan(value: Any, path: Path, text: str, error: type[GradeError], key: str = "") -> None:
    """tomllib accepts `nan` and `inf`; no grade can be computed from them."""
    if isinstance(value, float) and not math.isfinite(value):
        line = key_line(text, key) if key else None
        where = f"{path.name} line {line}" if line else path.name
        raise error(f"{where}: {key or 'value'} = {value} is not a finite number")
    if isinstance(value, dict):
        for k, v in value.items():
            _no_nan(v, path, text, error, str(k))
    elif isinstance(value, list):
        for v in value:
            _no_nan(v, path, text, error, key)

