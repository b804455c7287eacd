"""What Python prints, pasted as an answer: `torch.Size([3, 2])`, `tensor([[…]], dtype=…,
device=…)`, `array([…], dtype=float32)`, numpy and torch prints without commas or across lines,
and a `name =` prefix (`O = [[3, 4], …]`)."""
from __future__ import annotations

import re

from grader.answers.forms import Form, Reading
from grader.answers.values import read_int, read_matrix, read_number, read_shape, split_top
from grader.errors import AnswerParseError
from grader.i18n import _

TORCH_SIZE = re.compile(r"torch\.Size\(\s*\[([^\]]*)\]\s*\)")
CONSTRUCTOR = re.compile(r"(?:\b(?:torch|np|numpy)\.)?\b(tensor|array|Tensor|matrix)\(")
KEYWORD_ARGUMENT = re.compile(r"^\s*[A-Za-z_]\w*\s*=")
# `O =`, `softmax(S) =`, `A_{ij} =`: a name before the value (no bracket before the `=`).
NAME_PREFIX = re.compile(r"^[^\[\n]*=\s*(?=[\[(\d\-+.]|tensor|array|torch|np\.)")
NUMBER_IN_PRINT = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def read_torch_size(text: str, form: Form, dims: int | None) -> Reading | None:
    """`torch.Size([3, 2])`; for a list of shapes, every torch.Size in the text, in order."""
    found = TORCH_SIZE.findall(text)
    if not found:
        return None
    shapes = [read_shape(f"({inner})") for inner in found]
    if form is Form.SHAPES:
        return Reading(shapes, _("read {count} torch.Size prints").format(count=len(shapes)))
    if len(set(shapes)) > 1:
        raise AnswerParseError(_("read {count} different torch.Size prints ({first} and "
                                 "{second}); write just the one you mean").format(
            count=len(set(shapes)), first=found[0], second=found[1]))
    return Reading(shapes[0], _("read {shape} from your torch.Size print").format(
        shape="×".join(map(str, shapes[0]))))


def read_constructor(text: str, form: Form, dims: int | None) -> Reading | None:
    """`tensor(…)` / `array(…)` with dtype, device or grad_fn arguments after the data."""
    match = CONSTRUCTOR.search(text)
    if not match:
        return None
    inner = _call_body(text, match.end())
    if inner is None:
        return None
    data = [a for a in split_top(inner, ",") if not KEYWORD_ARGUMENT.match(a)]
    body = ",".join(data).strip()
    value = _value(body, form)
    if value is None:
        return None
    return Reading(value, _("read the data of your {call}(…) print").format(call=match.group(1)))


def read_bare_print(text: str, form: Form, dims: int | None) -> Reading | None:
    """A numpy/torch print without its call: `[[0.5 0.5]\\n [0.2 0.8]]` (no commas)."""
    stripped = text.strip()
    if form is not Form.MATRIX or not re.fullmatch(r"[\[\]\s\d.eE+\-,]+", stripped) \
            or not stripped.startswith("["):
        return None
    return Reading(read_matrix(_with_commas(stripped)), "read your printed array")


def read_name_prefix(text: str, form: Form, dims: int | None) -> Reading | None:
    """`O = [[3, 4], [5, 6]]`, `d_k = 2`: the value after the name."""
    if form not in (Form.MATRIX, Form.SHAPE, Form.SHAPES):
        return None
    rest = text
    while match := NAME_PREFIX.match(rest):
        rest = rest[match.end():]
    if rest == text:
        return None
    value = _value(rest.strip(), form)
    return None if value is None else Reading(value, "read the value after the `=`")


def _call_body(text: str, start: int) -> str | None:
    depth = 1
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i]
    return None


def _with_commas(body: str) -> str:
    """Commas between the entries and rows of a print that has none."""
    body = re.sub(rf"(?<=[\d.])\s+(?={NUMBER_IN_PRINT})", ", ", body.strip())
    return re.sub(r"\]\s*(?=\[)", "], ", body)


def _value(body: str, form: Form) -> object | None:
    """The body of a print read in the asked form; None when it is not that form."""
    try:
        if form is Form.MATRIX:
            return read_matrix(_with_commas(body))
        if form is Form.INT:
            return read_int(body)
        if form is Form.NUMBER:
            return read_number(body)
        if form in (Form.SHAPE, Form.SHAPES):
            if TORCH_SIZE.search(body):
                return read_torch_size(body, form, None).value
            return read_shape(body) if form is Form.SHAPE else None
    except AnswerParseError:
        return None
    return None
