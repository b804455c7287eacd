"""LaTeX beyond plain math: `W^Q \\in \\mathbb{R}^{8 \\times 4}` as a shape, and `pmatrix` /
`bmatrix` / `array` environments with `\\frac` / `\\sqrt` entries, a scalar factor in front
(`\\frac{1}{\\sqrt{2}}\\begin{pmatrix}…\\end{pmatrix}` multiplies every entry) and a `name =`;
in a product written out (`A \\times B = C`) the matrix after the last `=` is the answer."""
from __future__ import annotations

import re

from grader.answers.forms import Form, Reading
from grader.answers.values import read_number
from grader.errors import AnswerParseError
from grader.i18n import _

# `\in \mathbb{R}^{8 \times 4}`, `∈ ℝ^{8×4}`, `\in R^{8\times4}`
REAL_SPACE = re.compile(r"(?:\\in|∈)\s*(?:\\mathbb\s*\{?\s*R\s*\}?|ℝ|R)\s*\^\s*\{([^{}]*)\}")
MATRIX_ENV = re.compile(r"\\begin\s*\{(?P<env>[pbvBV]?matrix|array)\}(?:\s*\{[lcr|\s]*\})?"
                        r"(?P<body>.*?)\\end\s*\{(?P=env)\}", re.S)
TIMES = re.compile(r"\\times|×|\\cdot|[xX*]")


def read_real_space(text: str, form: Form, dims: int | None) -> Reading | None:
    """Shapes written as the space a matrix lives in; several (W^Q, W^K, …) read as a list."""
    if form not in (Form.SHAPE, Form.SHAPES):
        return None
    found = REAL_SPACE.findall(text)
    if not found:
        return None
    shapes = [_dims(group) for group in found]
    if form is Form.SHAPES:
        return Reading(shapes, _("read {count} shapes from your \\mathbb{{R}}^{{…}}").format(
            count=len(shapes)))
    if len(set(shapes)) > 1:
        raise AnswerParseError(_("read {count} different shapes from your \\mathbb{{R}}^{{…}} "
                                 "({first} and {second}); write just one").format(
            count=len(set(shapes)), first=found[0], second=found[1]))
    return Reading(shapes[0], _("read the shape from your \\mathbb{R}^{…}"))


def read_matrix_env(text: str, form: Form, dims: int | None) -> Reading | None:
    """A LaTeX matrix environment, with an optional scalar factor written before it."""
    if form is not Form.MATRIX:
        return None
    match = _result_env(text)
    if not match:
        return None
    before = text[:match.start()].split("=")[-1].strip().strip("$").strip()
    factor = read_number(before) if before else 1.0
    rows = [r for r in re.split(r"\\\\", match["body"]) if r.strip()]
    matrix = [[factor * read_number(cell.strip()) for cell in row.split("&")] for row in rows]
    how = (_("read your LaTeX matrix times the factor {factor}").format(factor=before) if before
           else _("read your LaTeX matrix"))
    return Reading(matrix, how)


def _result_env(text: str) -> re.Match[str] | None:
    """The environment holding the answer: the first after the last `=` outside environments
    (`X \\times X^T = \\begin{bmatrix}…`: the product's result, not its factors), else the first."""
    envs = list(MATRIX_ENV.finditer(text))
    if not envs:
        return None
    outside = MATRIX_ENV.sub(lambda m: " " * len(m.group()), text)
    equals = outside.rfind("=")
    after = [m for m in envs if m.start() > equals]
    return after[0] if equals >= 0 and after else envs[0]


def _dims(group: str) -> tuple[int, ...]:
    parts = [p.strip() for p in TIMES.split(group)]
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        message = _("\\mathbb{{R}}^{{{group}}} is not a shape of whole numbers")
        raise AnswerParseError(message.format(group=group))
    return tuple(int(p) for p in parts)
