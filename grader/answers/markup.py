"""Markdown and HTML around an answer, as students paste it from their notes or a quiz page:
`- 7600`, `- [x] 29x29x32.`, `> 29x29x32`, `<b>Answer</b>: 29x29x32.<br>`, `` `1400` ``,
`**Resposta:**\n\n29 x 29 x 32`, `64 ✓`, math copied from a KaTeX page, a markdown heading
over the value (`### Final Output:`), a note after a row (`[0.05, 0.78], ← "The" attends…`),
and LaTeX drawn as a codecogs image link (`![W](https://latex.codecogs.com/svg.latex?…)`, as
GitHub READMEs showed math before they rendered it), read as its decoded LaTeX. `unmarked`
takes the markup away; the registry then reads what is left as if the student had written only
that.

A dash with a space before a count is a list bullet: counts and sizes are never negative, so for
whole-number and shape answers `- 7600` is 7600 (plain reading made it −7600). For other forms
(a gradient, a matrix entry) the dash stays a sign unless a checkbox or quote follows it.
"""
from __future__ import annotations

import re
from urllib.parse import unquote

from grader.answers.forms import Form

HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
QUOTE = re.compile(r"^\s*(?:>\s*)+")
CHECKBOX = re.compile(r"^\s*(?:[-*+•]\s+)?\[[ xX✓✔]\]\s*")
STAR_BULLET = re.compile(r"^\s*[*+•]\s+")
DASH_BULLET = re.compile(r"^\s*-\s+(?=\S)")
# `Answer:`, `Ans.`, `**Resposta:**`, `答案：`, bold or not, before the value.
ANSWER_LABEL = re.compile(r"^\s*(?:\*\*|__)?\s*(?:answers?|ans|resposta|respuesta|réponse|antwort|"
                          r"solution|正确答案|答案|答|解)\s*[.:：]?\s*(?:\*\*|__)?\s*[.:：]?\s*", re.I)
LATEX_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*https?://latex\.codecogs\.com/[^?()\s]*\?"
                         r"([^()\s]*)\s*\)")
# codecogs's drawing options in front of the LaTeX: background, resolution, font size.
LATEX_IMAGE_OPTIONS = re.compile(r"\\(?:bg_\w+|dpi\{\d+\}|fn_\w+|tiny|small|large|Large|huge)\s*")
HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+[^\n]*(?:\n|$)", re.M)
# `←` after a value, a bracket or a comma starts the student's note on that line, not math.
ARROW_NOTE = re.compile(r"(?<=[\d\]),])[ \t]*←[^\n]*")
UNSIGNED = frozenset({Form.INT, Form.SHAPE, Form.SHAPES})
CHECK_MARK = re.compile(r"\s*[✓✔✅☑]+\s*$")
# Math copied from a KaTeX page brings the rendered text, the TeX source and the screen-reader
# text run together, each glued to the next: `22×22×2122 \times 22 \times 2122×22×2122, times,
# 22, times, 21`. The first number (where the paste starts) and the screen-reader text after its
# first number (`, times, 22, times, 21`) are the parts that read cleanly.
KATEX_LEAD = re.compile(r"^\s*(\d+(?:\.\d+)?)")
KATEX_SPOKEN_TAIL = re.compile(r"(?:,\s*times,\s*\d+(?:\.\d+)?)+\s*$")


def unmarked(text: str, form: Form) -> str | None:
    """The answer without the markup around it, or None when it has none."""
    out = HTML_TAG.sub(" ", text) if HTML_TAG.search(text) else text
    if HEADING.sub("", out).strip():
        out = HEADING.sub("", out)          # a heading over the value, not the value
    out = ARROW_NOTE.sub("", out)
    out = LATEX_IMAGE.sub(lambda m: LATEX_IMAGE_OPTIONS.sub("", unquote(m[1])), out)
    for _ in range(4):              # `> - [x] **Answer:** …`: a few layers, outermost first
        before = out
        out = QUOTE.sub("", out, count=1)
        out = CHECKBOX.sub("", out, count=1)
        out = STAR_BULLET.sub("", out, count=1)
        if form in UNSIGNED:
            out = DASH_BULLET.sub("", out, count=1)
        out = ANSWER_LABEL.sub("", out, count=1)
        if out == before:
            break
    out = CHECK_MARK.sub("", out)           # `64 ✓`: the student's own tick
    if out.count("`") >= 2 and out.count("`") % 2 == 0:
        out = out.replace("`", "")      # inline code: `50*3*3*3 + 50 = 1400`
    if "\\times" in out and (tail := KATEX_SPOKEN_TAIL.search(out)) and \
            (lead := KATEX_LEAD.match(out)):
        out = "×".join([lead[1], *re.findall(r"\d+(?:\.\d+)?", tail.group())])
    out = out.strip()
    return out if out and out != text.strip() else None
