"""Finding English left in output rendered in Chinese: runs of English words outside code and
identifiers.

What is not prose and so never counts: HTML tags, scripts and styles, <code> and <pre>, text in
backticks, Python's own exception messages (`TypeError: ...` up to the next Chinese text),
tokens holding digits, dots, slashes, underscores or brackets (file names, layer names, shapes),
single letters, the worked steps of an HTML report (formulas, never translated), and the strings
a test names as data (titles, answers the student wrote). A run is two or more English words in
a row separated by single spaces; a word ending a clause (`,` `;` `:` `.`) ends its run.
"""
from __future__ import annotations

import html
import re
from typing import Iterable

_DROP_BLOCKS = re.compile(r"<(script|style|code|pre)\b[^>]*>.*?</\1>", re.DOTALL | re.IGNORECASE)
_STEPS = re.compile(r'<ol class="steps">.*?</ol>', re.DOTALL)     # worked steps are formulas
_ATTRIBUTES = re.compile(r'\b(?:title|aria-label|alt)="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")
_BACKTICKS = re.compile(r"`[^`\n]*`")
_EXCEPTION = re.compile(r"\b[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Warning)\b:?"
                        r"[^\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\n│|]*")
_CJK_OR_BREAK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\n│┃|]"
_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"^[\"'(\[]?([A-Za-z][a-z]*|[A-Z]+)[\"',;:.!?)\]]*$")
_CODE_LIKE = re.compile(r"[0-9_./\\\[\]{}=<>@#$%&*+~^]|[a-z][A-Z]|\(\)")


def visible_text(page: str) -> str:
    """The text a reader sees on an HTML page, with the titles of elements; plain text as is."""
    if "<" not in page:
        return page
    titles = " \n".join(_ATTRIBUTES.findall(page))
    body = _TAG.sub("\n", _DROP_BLOCKS.sub("\n", _STEPS.sub("\n", page)))
    return html.unescape(body + "\n" + titles)


def english_runs(text: str, allowed: Iterable[str] = (), min_words: int = 2) -> list[str]:
    """Every run of `min_words` or more English words in `text` (HTML or plain)."""
    text = visible_text(text)
    for data in sorted(allowed, key=len, reverse=True):
        if data:
            text = text.replace(data, " ¦ ")
    text = _BACKTICKS.sub(" ¦ ", text)
    text = _EXCEPTION.sub(" ¦ ", text)
    runs: list[str] = []
    for piece in re.split(_CJK_OR_BREAK, text):
        words: list[str] = []
        for token in _TOKEN.findall(piece):
            word = _WORD.match(token)
            if word and len(word.group(1)) > 1 and not _CODE_LIKE.search(token):
                words.append(token)
                if token[-1] in ",;:.!?)\"'":       # a clause ends: the run ends with it
                    _flush(words, runs, min_words)
            else:
                _flush(words, runs, min_words)
        _flush(words, runs, min_words)
    return runs


def _flush(words: list[str], runs: list[str], min_words: int) -> None:
    if len(words) >= min_words:
        runs.append(" ".join(words))
    words.clear()
