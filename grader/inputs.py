"""Reading the TOML / JSON files people write, with one-line errors that name file and line."""
from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from grader.errors import GradeError

MAX_BYTES = 2_000_000       # an answers or assignment file is a few KB; refuse pasted datasets


def read_bytes(path: Path, error: type[GradeError], *, limit: int = MAX_BYTES,
               label: str | None = None) -> bytes:
    """A file's bytes, refusing a missing, oversized or empty file with a one-line `error`.

    `label` is how messages name the file (default: its name)."""
    label = label or path.name
    if not path.exists():
        raise error(f"{path}: no such file")
    if not path.is_file():
        raise error(f"{path}: not a file")
    size = path.stat().st_size
    if size > limit:
        raise error(f"{label}: {size:,} bytes is too large for this file (limit {limit:,})")
    raw = path.read_bytes()
    if not raw.strip():
        raise error(f"{label}: the file is empty")
    return raw


def read_text(path: Path, error: type[GradeError]) -> str:
    """The file's text, or `error` with a message naming the file and what is wrong."""
    raw = read_bytes(path, error)
    if b"\x00" in raw:
        raise error(f"{path.name}: binary data (NUL bytes); expected UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise error(f"{path.name} line {line}: byte 0x{raw[e.start]:02x} is not UTF-8; "
                    "save the file as UTF-8") from None
    return text


def read_toml(path: Path, error: type[GradeError]) -> tuple[dict[str, Any], str]:
    text = read_text(path, error)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(f"{path.name}: TOML syntax error: {e}") from None
    _no_nan(data, path, text, error)
    return data, text


def read_json(path: Path, error: type[GradeError]) -> tuple[Any, str]:
    text = read_text(path, error)

    def reject(const: str) -> None:
        raise error(f"{path.name} line {key_line(text, const) or '?'}: {const} is not a number "
                    "a grade can use")
    try:
        data = json.loads(text, parse_constant=reject)
    except json.JSONDecodeError as e:
        raise error(f"{path.name} line {e.lineno}: JSON syntax error: {e.msg}") from None
    return data, text


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
