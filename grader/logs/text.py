"""A log file's bytes -> text -> numbered lines, as pasted: ANSI colours and HTML line tags
gone, full-width forms folded (NFKC), tqdm's `\\r` updates (and their `#015` escapes in
MPI/SageMaker logs) split apart, numbers broken across a copy-paste line end joined again."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from grader.errors import LogError
from grader.inputs import read_bytes

MAX_BYTES = 50 * 1024 * 1024
_DIGIT_RUNS = re.compile(r"(\d+)")


def shape(line: str) -> tuple[str, list[str]]:
    """(the line with every run of digits a single 0, the runs). Lines printed by the same
    statement share a shape, and no rule's regex tells one number from another, so the rules
    that matched one line of a shape are the only ones worth trying on the next."""
    parts = _DIGIT_RUNS.split(line)
    return "0".join(parts[::2]), parts[1::2]


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|#033\[[0-9;?]*[A-Za-z]")
_BOLD = re.compile(r"\*\*([-+.\deE]+)\*\*")
_QUOTE = re.compile(r"^[ \t]*>(?!>)[ \t]?", re.M)
_TAGS = re.compile(r"</?(?:br|font|p|b|span|code|pre)\b[^>]*>", re.I)


def read_text(path: Path) -> str:
    raw = read_bytes(path, LogError, limit=MAX_BYTES, label=str(path))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")     # PowerShell's `>` writes UTF-16
    if b"\x00" in raw[:65536]:
        raise LogError(f"{path}: binary data (NUL bytes), not a text log")
    return _decode(path, raw)


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")        # Chinese Windows consoles save logs as GBK
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8", errors="replace")
    if text.count("\ufffd") > len(text) // 20:
        raise LogError(f"{path}: not UTF-8 text (too many undecodable bytes); save the log "
                       "as UTF-8")
    return text


def lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) for every non-blank piece of the log."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    if "\x1b" in text or "#033" in text:
        text = _ANSI.sub("", text)
    if "<" in text:
        text = _TAGS.sub("", text)
    text = text.replace("#015", "\r")
    if "**" in text:
        text = _BOLD.sub(r"\1", text)            # Markdown bold around a number, in a paste
    if ">" in text:
        text = _QUOTE.sub("", text)               # "> " quoting an earlier post
    out: list[tuple[int, str]] = []
    for n, raw in enumerate(text.split("\n"), start=1):
        for part in raw.split("\r") if "\r" in raw else (raw,):
            if not part.strip():
                continue
            if out and _continues(out[-1][1], part):
                out[-1] = (out[-1][0], _join(out[-1][1], part))
            else:
                out.append((n, part))
    return out


_CONT_A = re.compile(r"[:=]\s*\d+\.$|[:=]$")
_CONT_B = re.compile(r"[:=]\s*\d+$")


def _continues(prev: str, nxt: str) -> bool:
    nxt = nxt.lstrip()
    if not nxt or not (nxt[0].isdigit() or nxt[0] == "."):
        return False
    prev = prev.rstrip()
    return bool((_CONT_A.search(prev) and nxt[0].isdigit())
                or (_CONT_B.search(prev) and re.match(r"\.\d", nxt)))


def _join(prev: str, nxt: str) -> str:
    prev = prev.rstrip()
    return prev + (" " if prev.endswith((":", "=")) else "") + nxt.lstrip()
