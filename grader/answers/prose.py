"""Values read out of sentences, Chinese or English: `参数总数为 5×5×3×16+16 = 1216 个`,
`最终输出矩阵的形状是 3×2。`, `卷积层 I 输出尺寸为 64×64×16，池化层 I 为 32×32×16`.

The rule, as a TA reads:
- only values of the form the question asks for count (a shape question ignores `步长为 2`);
- in a clause holding an equation, only the value after its last `=` counts (unless that `=`
  restates a given after the answer: `… = 64 … at d_model=512`);
- a chain of shapes reads as the list (a table's whole-number cells are flatten/dense sizes);
- where candidates differ: the question's givens restated (`输入大小 63x63x16`, a table's Input
  row, `分头数为 2`) are not answers; a rounded `11.17M` beside `11,173,962` is the same count;
  then the value the sentence concludes with (因此, 所以, 那么, 得到, so, answer, output) wins, else
  the one value written as a parameter count (`21,282,122`, `1216 trainable parameters`);
- a sentence describing one layer gives its output as H×W and channels said apart
  (`卷积后图片大小为 28*28`, `6通道输出` -> 28×28×6), not the input's size or the kernel's;
- two different candidates left: unparsable, naming both in the student's own notation.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from grader.answers.forms import Form, Reading, show
from grader.answers.units import SUFFIXED, scaled
from grader.answers.values import read_int, read_number
from grader.errors import AnswerParseError
from grader.i18n import _

# `(2)`, `（2）`, `2)`, `2、`, `Q2:`, `- ` at the start of a line: an item label, not a value.
LIST_MARKER = re.compile(r"^\s*(?:[-*•]\s*)?(?:[(（]\s*\d{1,2}\s*[)）]|\d{1,2}\s*[)）、](?!\d)"
                         r"|\d{1,2}\.\s+(?=[^\d\n]*\d)"      # `3. Total params: …`
                         r"|[Qq]\d{1,2}(?:\.\d{1,2})?\s*[:：.]?)\s*", re.M)
# Clauses end at sentence punctuation, table bars, a full-width comma, or a comma before words.
CLAUSE_END = re.compile(r"[。；;！!？?\n|，]|,\s*(?=[^\d\s(\[+\-])")
EQUALS = re.compile(r"=|≈")
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?)(?:[eE][-+]?\d+)?(?:[kKM](?![A-Za-z])|万|亿)?"
_OP = r"\s*(?:[×xX*·/+\-−^]|\\times|\\cdot)\s*"
_ATOM = rf"(?:\(\s*)*{_NUM}(?:\s*\))*"
_BEFORE = r"(?<![A-Za-z_\d.^第])"
NUMBER_RUN = re.compile(rf"{_BEFORE}{_ATOM}(?:{_OP}{_ATOM})*(?![A-Za-z_\d])")
SHAPE_RUN = re.compile(rf"{_BEFORE}\d+(?:\s*(?:[×xX*]|\\times)\s*\d+)+(?![\dA-Za-z_]|\.\d)"
                       r"|[(\[]\s*(?:(?:-1|None|N|B)\s*,\s*)?\d+(?:\s*,\s*\d+)+\s*[)\]]")
# A small number naming a layer or step (`第 1 层`, `layer 2`, `3 个时间步`) is not a value.
ORDINAL_BEFORE = re.compile(r"(?:layer|conv|step|head|block|stage|epoch|第|题)\s*$", re.I)
# Prose has words: Chinese characters, or an English word that is not a math function.
CJK = re.compile(r"[\u3400-\u9fff]")
WORD = re.compile(r"[A-Za-z]{3,}")
MATH_WORDS = {"sqrt", "exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "max", "min",
              "abs", "frac", "times", "cdot", "softmax", "diag", "transpose", "inf", "nan"}
ORDINAL_AFTER = re.compile(r"^\s*(?:层|个时间步|个头|步|个基本块|轮|个滤波器)")
# What a value is, from the words just before it in its clause: the question's input restated
# (`输入大小 63x63x16`, `Input [32,32,1]`) or the value a sentence concludes with (`因此答案是
# 7600`, `所以参数数量为 … = 156`, `output là 29x29x32`).
GIVEN_BEFORE = re.compile(r"(?:输入|\binput)[^\d,，。;；:：]{0,10}$", re.I)
# A multi-head question's givens, `分头数为 2`, `h = 8`, `num_heads 값을 8`: whole numbers only (in a
# real-valued answer `h = 0.46` is a hidden state, not a head count).
SIZE_GIVEN_BEFORE = re.compile(r"(?:头数|num_heads|(?<![\w/])heads?\s*[=:]|(?<![\w/])h\s*=|"
                               r"d_model\s*=|seq_len\s*=|序列长度)[^\d,，。;；]{0,6}$", re.I)
# A value said to be a parameter count: `21,282,122`, `1216 trainable parameters`, `896 个参数`.
COUNT_AFTER = re.compile(r"^\s*(?:(?:total|trainable)\s+)*(?:params|parameters|个参数|参数)(?![A-Za-z])",
                         re.I)
CONCLUSION = re.compile(r"因此|所以|故|答案|最终|即为|那么|得到|结果[为是]|"
                        r"\b(?:therefore|thus|hence|so|answer|yields?)\b|"
                        r"=>|⇒|(?:输出|\boutput)[^\d,，。;；]{0,10}$", re.I)
# A sentence describing one layer (`输入 1 通道图片,图片大小为 32*32， 6通道输出，采用 5*5 卷积核，卷积后图片大小
#为 28*28`; `输出特征图的大小为 28x28，通道数为 6`; `30x30 with 64 channels`): the output's H×W and the
# output channels said apart, beside the input's size and the kernel's.
SIZE_2D = re.compile(r"(?<![\d.×xX*])(\d+)\s*[×xX*]\s*(\d+)(?![\d.×xX*])")
KERNEL_AFTER = re.compile(r"^\s*的?\s*(?:卷积核|核|kernel|filter|滤波器|窗口|stride|步长|步幅)", re.I)
CHANNELS = re.compile(r"(?:通道数?|channels?)\s*(?:为|是|:|：|=)?\s*(\d+)(?![\d.×xX*])"
                      r"|(?<![\d.×xX*])(\d+)\s*(?:个)?\s*(?:通道|channels?\b|feature maps?\b)", re.I)
INPUT_CHANNELS = re.compile(r"(?:输入|\binput)\s*$", re.I)
SIDE_WORD = re.compile(r"(?P<input>输入|\binput)|(?P<output>输出|\boutput|卷积后|池化后|\bafter\b)", re.I)
SENTENCE_END = re.compile(r"[。；;！!？?\n]")


@dataclass(frozen=True)
class _Candidate:
    written: str        # as the student wrote it (× kept), for messages
    value: object
    approximate: bool = False
    role: str = ""      # "given": the question's input restated; "concluded": the sentence's
                        # conclusion (after 因此, 所以, answer, output …); "": neither
    count: bool = False     # written as a parameter count (thousands separators, `params`)


@dataclass(frozen=True)
class Clause:
    lead: str           # the words before the value: its table row's earlier cells, `=` included
    body: str           # where the values are read: the value after the last `=`, or all
    cell: bool = False  # a whole cell of a Markdown table (`| FC1 | 500 |`), no `=` in it
    line: int = 0       # which line (table row) of the text the clause is on


def _role(clause: Clause, start: int, *, sizes: bool = True) -> str:
    before = clause.lead + clause.body[:start]
    return ("given" if restates_given(before, sizes=sizes) else
            "concluded" if CONCLUSION.search(" ".join(before.split())) else "")


def read_sentence(text: str, form: Form, dims: int | None) -> Reading | None:
    """The prose row: claims a sentence holding values of the asked form."""
    if not is_sentence(text):
        return None
    if form in (Form.INT, Form.NUMBER):
        return _one(text, _numbers(text, form), "value")
    if form is Form.SHAPE:
        return _one(text, _shapes(text, dims), "shape")
    if form is Form.SHAPES:
        found = _shapes(text, dims, sizes=True)
        if not found:
            return None
        how = _("read {count} shapes from your sentences").format(count=len(found))
        return Reading([c.value for c in found], how)
    return None


def is_sentence(text: str) -> bool:
    """Words around the numbers (not `x + 1` or `sqrt(-1)`, which are math)."""
    return bool(CJK.search(text)) or any(w.lower() not in MATH_WORDS for w in WORD.findall(text))


def clauses(text: str, *, sizes: bool = False) -> list[Clause]:
    """The clauses of a text, each cut to what follows its last `=` when it holds one (unless
    that restates a given, `… at d_model=512`: then the `=` before it)."""
    text = LIST_MARKER.sub("", folded(text))
    out, row, line = [], "", 0
    pieces = re.split(f"({CLAUSE_END.pattern})", text)
    for clause, after in zip(pieces[::2], [*pieces[1::2], ""]):
        lead = row
        cell = (after == "|" or row.endswith("|")) and not EQUALS.search(clause)
        if EQUALS.search(clause):
            before, value = _last_answer(EQUALS.split(clause), sizes)
            lead += before
            run = NUMBER_RUN.search(value) or SHAPE_RUN.search(value)
            value = run.group() if run else ""       # the value right after the `=`
        else:
            value = clause
        if value.strip():
            out.append(Clause(lead, value, cell, line))
        row = row + clause + after if after == "|" else ""     # a table row's cells so far
        line += after == "\n"
    return out


def _last_answer(segments: list[str], sizes: bool) -> tuple[str, str]:
    """The text up to the `=` whose value is the answer, and what follows it: the last `=`,
    stepping back over a given restated after the answer (`= 64 … at d_model=512`)."""
    last = len(segments) - 1
    while last > 1 and restates_given("=".join(segments[:last]) + "=", sizes=sizes):
        last -= 1
    return "=".join(segments[:last]) + "=", segments[last]


def restates_given(before: str, *, sizes: bool) -> bool:
    """The words before a value name one of the question's givens (`输入大小`, `d_model =`)."""
    before = " ".join(before.split())
    return bool(GIVEN_BEFORE.search(before) or (sizes and SIZE_GIVEN_BEFORE.search(before)))


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
    for clause in clauses(text, sizes=form is Form.INT):
        for match in NUMBER_RUN.finditer(clause.body):
            if _is_ordinal(clause.body, match):
                continue
            candidate = _evaluate(_balanced(match.group().strip()), form)
            if candidate is not None:
                count = bool(re.search(r"\d,\d{3}", candidate.written)
                             or COUNT_AFTER.match(clause.body[match.end():]))
                role = _role(clause, match.start(), sizes=form is Form.INT)
                found.append(replace(candidate, role=role, count=count))
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


def _shapes(text: str, dims: int | None, *, sizes: bool = False) -> list[_Candidate]:
    """Shapes of the asked dimensions; when the sentence has none, every shape in it (a 3-D
    answer to a 2-D question is read, and then marked wrong, not refused). The question's input
    restated (`输入大小 63x63x16`) is not an answer when the sentence holds others. `sizes`: a
    table cell holding a whole number is a flatten/dense size in the list."""
    found = (_shapes_of(text, dims, sizes=sizes) or (dims == 3 and _layer_sentences(text))
             or (_shapes_of(text, None, sizes=sizes) if dims else []))
    answers = [c for c in found if c.role != "given"]
    return answers or found


def _layer_sentences(text: str) -> list[_Candidate]:
    """H×W and the output channels said apart, one shape per sentence that has both."""
    return [shape for sentence in SENTENCE_END.split(folded(text))
            if (shape := _layer_sentence(sentence)) is not None]


def _layer_sentence(sentence: str) -> _Candidate | None:
    """`…图片大小为 32*32， 6通道输出，采用 5*5 卷积核，卷积后图片大小为 28*28` -> 28×28×6: the input's
    size (after 输入/input, before any 输出/output word) and a kernel's size are not the output."""
    sizes = {(int(m[1]), int(m[2])) for m in SIZE_2D.finditer(sentence)
             if _side(sentence[:m.start()]) != "input"
             and not KERNEL_AFTER.match(sentence[m.end():])}
    channels = {int(m[1] or m[2]) for m in CHANNELS.finditer(sentence)
                if not INPUT_CHANNELS.search(sentence[:m.start()])}
    if len(sizes) != 1 or len(channels) != 1 or 0 in channels:
        return None
    (height, width), depth = sizes.pop(), channels.pop()
    return _Candidate(f"{height}×{width}×{depth}", (height, width, depth))


def _side(before: str) -> str:
    """"input" or "output": the last such word before a value in its sentence."""
    words = list(SIDE_WORD.finditer(before))
    return "" if not words else "input" if words[-1]["input"] else "output"


def _shapes_of(text: str, dims: int | None, *, sizes: bool = False) -> list[_Candidate]:
    rows: dict[int, list[_Candidate]] = {}
    for clause in clauses(text):
        rows.setdefault(clause.line, []).extend(_clause_shapes(clause, dims, sizes))
    return [c for row in rows.values() for c in _one_size_per_row(row)]


def _clause_shapes(clause: Clause, dims: int | None, sizes: bool) -> list[_Candidate]:
    if sizes and clause.cell and clause.body.strip().isdigit():
        return [_Candidate(clause.body.strip(), int(clause.body), role=_role(clause, 0))]
    found = []
    for match in SHAPE_RUN.finditer(clause.body):
        numbers = [int(n) for n in re.findall(r"\d+", re.sub(r"^[(\[]\s*(?:-1|None|N|B)\s*,",
                                                              "(", match.group()))]
        if len(numbers) >= 2 and (dims is None or len(numbers) == dims) and all(numbers):
            found.append(_Candidate(match.group().strip(), tuple(numbers),
                                    role=_role(clause, match.start())))
    return found


def _one_size_per_row(row: list[_Candidate]) -> list[_Candidate]:
    """A table row's whole-number cell is its size only when the row has no shape and no other
    such cell (`| FC1 | 500 |`, not the kernel and stride of `| conv1 | 3 | 1 | 30x30x32 |`)."""
    ints = [c for c in row if isinstance(c.value, int)]
    if len(ints) == 1 and len(row) == 1:
        return row
    return [c for c in row if not isinstance(c.value, int)]


def _one(text: str, found: list[_Candidate], what: str) -> Reading | None:
    """The single value the candidates agree on; two different ones make the answer unparsable."""
    if not found:
        return None
    found = _preferred(found)
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


def _preferred(found: list[_Candidate]) -> list[_Candidate]:
    """Where the candidates differ, as a TA reads: the question's input restated is not the
    answer, and a value the sentence concludes with beats the working before it."""
    if len({_key(c.value) for c in found}) < 2:
        return found
    found = [c for c in found if c.role != "given"] or found
    exact = [c.value for c in found if not c.approximate]
    found = [c for c in found if not _restates(c, exact)]
    for picked in ([c for c in found if c.role == "concluded"], [c for c in found if c.count]):
        if len({_key(c.value) for c in picked}) == 1:
            return picked           # the conclusion, else the one value written as a count
    return found


def _restates(candidate: _Candidate, exact: list[object]) -> bool:
    """`11.17M` beside `11,173,962`: the same count rounded, not a second value."""
    match = re.search(SUFFIXED, candidate.written)
    if not candidate.approximate or not match:
        return False
    decimals = len(match["digits"].partition(".")[2])
    half_unit = scaled("1", match["suffix"]) / 10 ** decimals / 2
    return any(isinstance(e, (int, float)) and abs(e - candidate.value) <= half_unit
               for e in exact)


def _key(value: object) -> object:
    return round(value, 9) if isinstance(value, float) else value

