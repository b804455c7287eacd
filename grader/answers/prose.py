"""Values read out of sentences, Chinese or English: `参数总数为 5×5×3×16+16 = 1216 个`,
`最终输出矩阵的形状是 3×2。`, `卷积层 I 输出尺寸为 64×64×16，池化层 I 为 32×32×16`.

The rule, as a TA reads:
- only values of the form the question asks for count (a shape question ignores `步长为 2`);
- in a clause holding an equation, only the value after its last `=` counts;
- a chain of shapes reads as the list;
- two different candidates left: unparsable, naming both in the student's own notation.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from grader.answers.forms import Form, Reading, show
from grader.answers.units import SUFFIXED, scaled
from grader.answers.values import read_int, read_number
from grader.errors import AnswerParseError
from grader.i18n import _

# `(2)`, `（2）`, `2)`, `2、`, `Q2:`, `- ` at the start of a line: an item label, not a value.
LIST_MARKER = re.compile(r"^\s*(?:[-*•]\s*)?(?:[(（]\s*\d{1,2}\s*[)）]|\d{1,2}\s*[)）、](?!\d)"
                         r"|[Qq]\d{1,2}(?:\.\d{1,2})?\s*[:：.]?)\s*", re.M)
# Clauses end at sentence punctuation, table bars, a full-width comma, or a comma before words.
CLAUSE_END = re.compile(r"[。；;！!？?\n|，]|,\s*(?=[^\d\s(\[+\-])")
EQUALS = re.compile(r"=|≈")
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?)(?:[eE][-+]?\d+)?(?:[kKM](?![A-Za-z])|万|亿)?"
_OP = r"\s*(?:[×xX*·/+\-−^]|\\times|\\cdot)\s*"
_ATOM = rf"(?:\(\s*)*{_NUM}(?:\s*\))*"
_BEFORE = r"(?<![A-Za-z_\d.^第])"
NUMBER_RUN = re.compile(rf"{_BEFORE}{_ATOM}(?:{_OP}{_ATOM})*(?![A-Za-z_\d])")
SHAPE_RUN = re.compile(rf"{_BEFORE}\d+(?:\s*(?:[×xX*]|\\times)\s*\d+)+(?![\d.A-Za-z_])"
                       r"|[(\[]\s*(?:(?:-1|None|N|B)\s*,\s*)?\d+(?:\s*,\s*\d+)+\s*[)\]]")
# A small number naming a layer or step (`第 1 层`, `layer 2`, `3 个时间步`) is not a value.
ORDINAL_BEFORE = re.compile(r"(?:layer|conv|step|head|block|stage|epoch|第|题)\s*$", re.I)
# Prose has words: Chinese characters, or an English word that is not a math function.
CJK = re.compile(r"[\u3400-\u9fff]")
WORD = re.compile(r"[A-Za-z]{3,}")
MATH_WORDS = {"sqrt", "exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "max", "min",
              "abs", "frac", "times", "cdot", "softmax", "diag", "transpose", "inf", "nan"}
ORDINAL_AFTER = re.compile(r"^\s*(?:层|个时间步|个头|步|个基本块|轮|个滤波器)")


@dataclass(frozen=True)
class _Candidate:
    written: str        # as the student wrote it (× kept), for messages
    value: object
    approximate: bool = False


def read_sentence(text: str, form: Form, dims: int | None) -> Reading | None:
    """The prose row: claims a sentence holding values of the asked form."""
    if not is_sentence(text):
        return None
    if form in (Form.INT, Form.NUMBER):
        return _one(text, _numbers(text, form), "value")
    if form is Form.SHAPE:
        return _one(text, _shapes(text, dims), "shape")
    if form is Form.SHAPES:
        found = _shapes(text, dims)
        if not found:
            return None
        how = _("read {count} shapes from your sentences").format(count=len(found))
        return Reading([c.value for c in found], how)
    return None


def is_sentence(text: str) -> bool:
    """Words around the numbers (not `x + 1` or `sqrt(-1)`, which are math)."""
    return bool(CJK.search(text)) or any(w.lower() not in MATH_WORDS for w in WORD.findall(text))


def clauses(text: str) -> list[str]:
    """The clauses of a text, each cut to what follows its last `=` when it holds one."""
    text = LIST_MARKER.sub("", folded(text))
    out = []
    for clause in CLAUSE_END.split(text):
        if EQUALS.search(clause):
            clause = EQUALS.split(clause)[-1]
            run = NUMBER_RUN.search(clause) or SHAPE_RUN.search(clause)
            clause = run.group() if run else ""       # the value right after the `=`
        if clause.strip():
            out.append(clause)
    return out


def folded(text: str) -> str:
    """Full-width digits and brackets made ASCII (× is kept), LaTeX products and $ dropped.
    The full-width comma and full stop stay: they end clauses (NFKC would make `，` a `,`)."""
    text = "".join(c if c in "，。" else unicodedata.normalize("NFKC", c) for c in text)
    for old, new in (("\\times", "×"), ("\\cdot", "·"), ("$", " "), ("\\,", ""), ("{", ""),
                     ("}", "")):
        text = text.replace(old, new)
    return text


def _numbers(text: str, form: Form) -> list[_Candidate]:
    found = []
    for clause in clauses(text):
        for match in NUMBER_RUN.finditer(clause):
            if _is_ordinal(clause, match):
                continue
            candidate = _evaluate(_balanced(match.group().strip()), form)
            if candidate is not None:
                found.append(candidate)
    return found


def _is_ordinal(clause: str, match: re.Match[str]) -> bool:
    return match.group().strip().isdigit() and len(match.group().strip()) <= 2 and bool(
        ORDINAL_BEFORE.search(clause[:match.start()]) or ORDINAL_AFTER.match(clause[match.end():]))


def _evaluate(written: str, form: Form) -> _Candidate | None:
    """The value of a run like `5×5×3×16+16`, `11,173,962`, `11.17M`; None if it has none."""
    text = _balanced(written)
    approximate = bool(re.search(SUFFIXED, text))
    text = re.sub(SUFFIXED, lambda m: f"({scaled(m['digits'], m['suffix'])})", text)
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    text = re.sub(r"\s*[xX]\s*", "*", text).replace("−", "-")
    try:
        value = read_int(text) if form is Form.INT else read_number(text)
    except AnswerParseError:
        return None
    return _Candidate(written, value, approximate)


def _balanced(text: str) -> str:
    """Drop brackets the run caught from the sentence around it: `3)` -> `3`."""
    while text.count("(") > text.count(")") and text.startswith("("):
        text = text[1:].lstrip()
    while text.count(")") > text.count("(") and text.endswith(")"):
        text = text[:-1].rstrip()
    return text


def _shapes(text: str, dims: int | None) -> list[_Candidate]:
    """Shapes of the asked dimensions; when the sentence has none, every shape in it (a 3-D
    answer to a 2-D question is read, and then marked wrong, not refused)."""
    return _shapes_of(text, dims) or (_shapes_of(text, None) if dims else [])


def _shapes_of(text: str, dims: int | None) -> list[_Candidate]:
    found = []
    for clause in clauses(text):
        for match in SHAPE_RUN.finditer(clause):
            numbers = [int(n) for n in re.findall(r"\d+", re.sub(r"^[(\[]\s*(?:-1|None|N|B)\s*,",
                                                                  "(", match.group()))]
            if len(numbers) >= 2 and (dims is None or len(numbers) == dims) and all(numbers):
                found.append(_Candidate(match.group().strip(), tuple(numbers)))
    return found


def _one(text: str, found: list[_Candidate], what: str) -> Reading | None:
    """The single value the candidates agree on; two different ones make the answer unparsable."""
    if not found:
        return None
    values = list(dict.fromkeys(_key(c.value) for c in found))
    if len(values) > 1:
        first = found[0]
        second = next(c for c in found if _key(c.value) != _key(first.value))
        message = (_("{answer} holds two different shapes, {first} and {second}; write just the "
                     "one you mean") if what == "shape" else
                   _("{answer} holds two different values, {first} and {second}; write just the "
                     "one you mean"))
        raise AnswerParseError(message.format(answer=show(text), first=first.written,
                                              second=second.written))
    chosen = found[-1]
    shown = "×".join(map(str, chosen.value)) if isinstance(chosen.value, tuple) else \
        f"{chosen.value:g}" if isinstance(chosen.value, float) else str(chosen.value)
    return Reading(chosen.value, _("read {value} from your sentence").format(value=shown),
                   approximate=any(c.approximate for c in found))


def _key(value: object) -> object:
    return round(value, 9) if isinstance(value, float) else value

