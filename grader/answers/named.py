"""Values written under their names. A matrix entry by entry or row by row, each under its
indices, as worked solutions list it: `S^{00} = 1/\\sqrt{2} \\approx 0.707`, `S^{01} = 0`, …
or `A^{0j} ≈ [0.401, 0.198, 0.401]`, `A^{1j} = [0.198, 0.401, 0.401]`; also `a_{12} = 3`,
`A_12 = 3`, `A[0,1] = 3`, `A[1] = [..]`.

Each line that names an indexed entry gives the value after its last `=` (or ≈, \\approx);
lines about other things (`Z_0 = 5.056`, `exp(0.707) ≈ 2.028`) are left out. The entries of the
name listed most often must fill the whole grid (rows from 0 or from 1), else nothing is read.

Shapes under labels, `W_Q, W_K: [8 × 4], W_V: [8 × 4]`: one shape when they all agree (the
question asks one of them; a list of different ones is ambiguous), or the list in order.
"""
from __future__ import annotations

import re
from collections import Counter

from grader.answers.forms import Form, Reading
from grader.answers.values import read_matrix, read_number, read_shape
from grader.errors import AnswerParseError
from grader.i18n import _

# `S^{00}`, `S_{0,1}`, `a_12`, `A[0, 1]`, `A^{0j}`, `A_{1,:}`, `A[1]`: the name, then its indices.
INDEXED = re.compile(r"(?P<name>\\?[A-Za-z]+)\s*(?:[\^_]\s*\{\s*(?P<braced>[^{}]+?)\s*\}"
                     r"|_(?P<bare>\d\d?)|\[\s*(?P<bracket>[^\[\]]+?)\s*\])\s*(?==|≈|\\approx)")
LAST_EQUALS = re.compile(r"=|≈|\\approx")
FREE = re.compile(r"^(?:[a-z]|:|\*)$")     # `j`, `:`, `*`: every column of the row
LABEL = r"[A-Za-z][\w^{}]*"
# `W_Q, W_K: [8 × 4]`, `- Output: 4×4`: labels, a colon, a shape in brackets or with ×.
LABELLED = re.compile(rf"(?:^|[,;\n])\s*(?:[-*•]\s+)?{LABEL}(?:\s*,\s*{LABEL})*\s*[:：]\s*"
                      r"(?P<shape>\[[^\[\]]*\]|\([^()]*\)|\d+(?:\s*[×xX*]\s*\d+)+)\s*")


def read_indexed(text: str, form: Form, dims: int | None) -> Reading | None:
    """The matrix the indexed entries (or rows) of the text fill, or None."""
    if form is not Form.MATRIX:
        return None
    cells: dict[str, dict[tuple[int, int], float]] = {}
    rows: dict[str, dict[int, list[float]]] = {}
    for line in text.splitlines():
        found = _entry(line)
        if found is None:
            continue
        name, index, value = found
        if isinstance(value, list):
            rows.setdefault(name, {})[index[0]] = value
        else:
            cells.setdefault(name, {})[index] = value
    counts = Counter({n: len(c) for n, c in cells.items()} | {n: len(r) for n, r in rows.items()})
    if not counts or counts.most_common(1)[0][1] < 2:
        return None
    name = counts.most_common(1)[0][0]
    if name in rows:
        matrix = _grid_of_rows(rows[name])
        how = _("read the rows you listed under {name}")
    else:
        matrix = _grid_of_cells(cells[name])
        how = _("read the entries you listed under {name}")
    return None if matrix is None else Reading(matrix, how.format(name=name.lstrip("\\")))


def _entry(line: str) -> tuple[str, tuple[int, int], float | list[float]] | None:
    """(name, (row, column or -1), value) of a line naming one indexed entry or row."""
    text = line.replace("$", " ")
    match = INDEXED.search(text)
    if match is None:
        return None
    index = _index(match["braced"] or match["bare"] or match["bracket"])
    if index is None:
        return None
    value_text = LAST_EQUALS.split(text[match.end():])[-1].strip().rstrip(".,;。")
    if index[1] < 0 and not value_text.startswith("["):
        return None                 # `Z_0 = 5.056`: one index and a number is no row
    try:
        if index[1] < 0:
            value: float | list[float] = read_matrix(f"[{value_text}]")[0]
        else:
            value = read_number(value_text)
    except (AnswerParseError, IndexError):
        return None
    return match["name"], index, value


def _index(raw: str) -> tuple[int, int] | None:
    """`00` / `0,1` / `12` -> (row, column); `0j` / `1,:` / `1` -> (row, -1); else None."""
    parts = [p.strip() for p in raw.split(",")] if "," in raw else list(raw.replace(" ", ""))
    if len(parts) == 1 and parts[0].isdigit():
        return int(parts[0]), -1
    if len(parts) != 2 or not parts[0].isdigit():
        return None
    if parts[1].isdigit():
        return int(parts[0]), int(parts[1])
    return (int(parts[0]), -1) if FREE.match(parts[1]) else None


def _grid_of_cells(cells: dict[tuple[int, int], float]) -> list[list[float]] | None:
    low_r, low_c = min(r for r, _ in cells), min(c for _, c in cells)
    if low_r not in (0, 1) or low_c not in (0, 1):
        return None
    n_rows = max(r for r, _ in cells) - low_r + 1
    n_cols = max(c for _, c in cells) - low_c + 1
    if len(cells) != n_rows * n_cols:
        return None                 # a gap: not the whole matrix
    return [[cells[(r + low_r, c + low_c)] for c in range(n_cols)] for r in range(n_rows)]


def _grid_of_rows(rows: dict[int, list[float]]) -> list[list[float]] | None:
    low = min(rows)
    if low not in (0, 1) or sorted(rows) != list(range(low, low + len(rows))):
        return None
    if len({len(r) for r in rows.values()}) != 1:
        return None
    return [rows[r] for r in sorted(rows)]


def read_labelled_shapes(text: str, form: Form, dims: int | None) -> Reading | None:
    """Shapes under labels, when the text is nothing else."""
    if form not in (Form.SHAPE, Form.SHAPES):
        return None
    found = list(LABELLED.finditer(text))
    if not found or LABELLED.sub("", text).strip(" \t\n.;,。"):
        return None
    try:
        shapes = [read_shape(m["shape"], dims) for m in found]
    except AnswerParseError:
        return None
    if form is Form.SHAPES:
        return Reading(shapes, _("read {count} shapes under their labels").format(
            count=len(shapes)))
    if len(set(shapes)) > 1:
        raise AnswerParseError(_("read {count} different shapes under your labels; write just "
                                 "the one asked").format(count=len(set(shapes))))
    return Reading(shapes[0], _("read the shape under your labels"))
