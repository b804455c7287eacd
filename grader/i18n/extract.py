"""A Babel extractor for the mistake names of `reference/` (pure English, never wrapped in _()).

`babel.cfg` names it for `reference/**.py`. It yields the phrases a mistake name can be: string
constants of module-level names (`NO_BIAS = "parameters without the biases"`), string keys of
dict literals and of item assignments (`found["channels first (C×H×W)"] = ...`), when they read
as words (a space, no format fields). Mistake names built at run
time from pieces are not seen; `tests/grader/test_i18n.py` checks every name the demo key
produces has a translation.
"""
from __future__ import annotations

import ast
from typing import Any, BinaryIO, Iterator


def _phrase(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        if " " in text.strip() and "{" not in text and "\n" not in text and len(text) < 120:
            return text
    return None


def extract_phrases(fileobj: BinaryIO, keywords: Any, comment_tags: Any,
                    options: dict) -> Iterator[tuple[int, str | None, str, list[str]]]:
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        found: list[ast.AST] = []
        if isinstance(node, ast.Dict):
            found = [k for k in node.keys if k is not None]
        elif isinstance(node, ast.Assign) and node in tree.body and \
                all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
            found = [node.value]
        elif isinstance(node, ast.Assign):      # found["channels first (C×H×W)"] = ...
            found = [t.slice for t in node.targets if isinstance(t, ast.Subscript)]
        for item in found:
            text = _phrase(item)
            if text is not None:
                yield item.lineno, None, text, ["mistake name from reference/"]
