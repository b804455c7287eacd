"""Unicode, full-width and LaTeX notation rewritten as plain ASCII math (for the parsers only:
messages always quote the student's own text, so a × is never shown back as *)."""
from __future__ import annotations

import re
import unicodedata

from grader.answers.forms import show
from grader.errors import AnswerParseError
from grader.i18n import _

# Superscripts must become `^(...)` before NFKC, which would fold `10²` into `102`.
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")

# Applied after NFKC (which already folds full-width （），；［］ digits and subscripts).
UNICODE_MATH: tuple[tuple[str, str], ...] = (
    ("×", "*"), ("✕", "*"), ("⨯", "*"), ("∗", "*"), ("·", "*"), ("⋅", "*"),
    ("∙", "*"), ("•", "*"), ("÷", "/"), ("⁄", "/"), ("∕", "/"), ("−", "-"), ("–", "-"),
    ("—", "-"), ("π", "pi"), ("σ", "sigma"), ("≈", "≈"), ("≃", "≈"), ("≅", "≈"), ("∼", "≈"),
    ("⊤", "T"),
)

# LaTeX commands with a plain meaning; other `\name` become `name` (\exp, \sqrt, \alpha, ...).
LATEX_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    (r"\displaystyle", ""), (r"\left", ""), (r"\right", ""), (r"\dfrac", r"\frac"),
    (r"\tfrac", r"\frac"), (r"\times", "*"), (r"\cdot", "*"), (r"\ast", "*"), (r"\div", "/"),
    (r"\approx", "≈"), (r"\simeq", "≈"), (r"\sim", "≈"), (r"\top", "T"), (r"\ln", "log"),
    (r"\%", "%"), (r"\,", " "), (r"\;", " "), (r"\:", " "), (r"\!", ""), (r"\ ", " "),
)
LATEX_WRAPPERS = re.compile(r"\\(?:text|mathrm|operatorname|mathit|mathbf|boldsymbol|mbox|bm)"
                            r"\s*\{([^{}]*)\}")
LATEX_ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{[A-Za-z*]*\}")
LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)")
BRACED_SUBSCRIPT = re.compile(r"_\{([A-Za-z0-9]+)\}")
ROOT_SIGN = re.compile(r"√\s*(\d+(?:\.\d+)?|[A-Za-z][A-Za-z0-9_]*)")
DOLLARS = re.compile(r"^\s*(?:\$+|\\\(|\\\[)(.*?)(?:\$+|\\\)|\\\])\s*$", re.S)


def ascii_math(text: str) -> str:
    """Unicode, full-width and LaTeX notation rewritten as plain ASCII math."""
    text = text.replace("ᵀ", "^T")                 # NFKC would make W_hhᵀ the name W_hhT
    text = SUPERSCRIPT_RUN.sub(lambda m: "^(" + m.group().translate(SUPERSCRIPTS) + ")", text)
    text = unicodedata.normalize("NFKC", text)      # full-width （，） and subscripts ₀₁
    for old, new in UNICODE_MATH:
        text = text.replace(old, new)
    text = ROOT_SIGN.sub(r"sqrt(\1)", text).replace("√", "sqrt")
    if match := DOLLARS.match(text):                # $...$, $$...$$, \(...\), \[...\]
        text = match.group(1)
    text = text.replace("$", " ")                   # `$64\times64$, $32\times32$`: one per item
    text = latex_to_ascii(text)
    # Spaces collapse; line breaks stay, since they separate rows and list items.
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def latex_to_ascii(text: str) -> str:
    """\\frac, \\sqrt, \\text{..}, subscripts in braces, commands and braces made plain."""
    if "\\" not in text and "{" not in text:
        return text
    text = text.replace("\\\\", ";")             # a LaTeX line break ends a matrix row
    text = LATEX_ENVIRONMENT.sub(" ", text)
    text = LATEX_WRAPPERS.sub(r"\1", text)
    text = BRACED_SUBSCRIPT.sub(r"_\1", text)       # W_{hh} -> W_hh, not a call W_(hh)
    for old, new in LATEX_REPLACEMENTS:
        text = text.replace(old, new)
    text = latex_groups(text)
    text = LATEX_COMMAND.sub(r"\1", text)
    return text.replace("{", "(").replace("}", ")")


def latex_groups(text: str) -> str:
    """\\frac{a}{b} -> ((a)/(b)), \\sqrt{x} -> sqrt(x), \\sqrt[n]{x} -> root((x),(n))."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("\\frac", i):
            num, i = latex_argument(text, i + 5)
            den, i = latex_argument(text, i)
            out.append(f"(({latex_groups(num)})/({latex_groups(den)}))")
        elif text.startswith("\\sqrt", i):
            degree = None
            i += 5
            if text[i:i + 1] == "[":
                end = text.find("]", i)
                if end < 0:
                    raise AnswerParseError(_("{answer} has an unclosed \\sqrt[").format(
                        answer=show(text)))
                degree, i = text[i + 1:end], end + 1
            body, i = latex_argument(text, i)
            body = latex_groups(body)
            out.append(f"sqrt({body})" if degree is None else f"root(({body}),({degree}))")
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def latex_argument(text: str, i: int) -> tuple[str, int]:
    """The {braced} group (or single character) starting at i, and the index after it."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        raise AnswerParseError(_("{answer} ends inside a LaTeX command").format(answer=show(text)))
    if text[i] != "{":
        return text[i], i + 1
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1:j], j + 1
    raise AnswerParseError(_("{answer} has an unmatched {{").format(answer=show(text)))

