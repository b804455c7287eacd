"""Data made safe for a page: escaping for GitHub Markdown, and the curves SVG cleaned of
anything that loads or runs before it is inlined."""
from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from grader.i18n import _

_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|])")


def md_escape(text: Any) -> str:
    """Text safe inside a GitHub Markdown paragraph or table cell: no HTML, no links, no
    emphasis, no column breaks, one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


_SVG_PROLOGUE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->|<metadata>.*?</metadata>",
                           re.DOTALL | re.IGNORECASE)
# Anything that runs or loads: scripts, event handlers, foreign HTML, off-page references.
_SVG_FORBIDDEN = re.compile(r"<script|<foreignobject|<image|javascript:|\son\w+\s*=|"
                            r"href\s*=\s*[\"'](?!#)|url\(\s*(?!#)|@import", re.IGNORECASE)


def inline_svg(svg: str) -> Markup:
    """The curves SVG, ready to sit inside the page: no XML prologue, no metadata with its
    namespaces, and nothing that loads or runs (otherwise the plot is left out)."""
    body = _SVG_PROLOGUE.sub("", svg or "").strip()
    if not body:
        return Markup("")
    if not body.lower().startswith("<svg") or _SVG_FORBIDDEN.search(body):
        return Markup('<p class="muted">{}</p>').format(
            _("(plot left out: it was not a plain SVG drawing)"))
    return Markup(body)
