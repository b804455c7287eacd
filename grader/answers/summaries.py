"""Per-layer tables (torchsummary, torchinfo, ours from `grade ref summary`, Markdown, TOML
arrays) and their footers (`Total params: 11,173,962`)."""
from __future__ import annotations

import re
from typing import Any

from grader.answers.forms import MAX_TABLE_CHARS, Form, Reading, bounded_text, show
from grader.answers.values import read_int, read_shape, split_top
from grader.errors import AnswerParseError
from grader.i18n import N_, _

EMPTY_PARAMS = {"", "-", "--", "—", "0"}
# `Conv2d-1  [-1, 6, 28, 28]  156` (torchsummary), with a MACs column (ours), or torchinfo's
# `├─Conv2d: 1-1  [1, 64, 32, 32]  1,728` once its tree characters are stripped.
TORCHSUMMARY_ROW = re.compile(r"(\S+(?::\s*\d+-\d+)?)\s+([\[(][^\])]*[\])])\s+([\d,]+|--|-)"
                              r"(?:\s+(?:[\d,]+|--|-))?")
TREE_PREFIX = re.compile(r"^[│├└─|\s]+")
# Header and footer lines of a pasted summary: not rows.
SUMMARY_NOISE = re.compile(r"^(?:Layer \(type|(?:Total|Trainable|Non-trainable) params|Total MACs"
                           r"|Total mult-adds|Input size|Forward/backward|Params size"
                           r"|Estimated Total Size|```)", re.I)
TOTAL_PARAMS = re.compile(r"Total params:\s*([\d,]+)")


def read_table(raw: Any) -> list[list[Any]]:
    """Per-layer rows [name, shape, params] from a TOML array or lines of `a | shape | n`."""
    if isinstance(raw, str):
        rows = _table_rows(bounded_text(raw, N_("a table"), MAX_TABLE_CHARS))
    elif isinstance(raw, (list, tuple)):
        rows = [_row_cells(r) for r in raw]
    else:
        raise AnswerParseError(_("{answer} is not a table").format(answer=show(raw)))
    if not rows:
        raise AnswerParseError(_("{answer} is not a table").format(answer=show(raw)))
    return [[str(name).strip(), read_shape(shape), _params(params)] for name, shape, params in rows]


def _row_cells(row: Any) -> list[Any]:
    if isinstance(row, dict):
        row = [row.get("name", row.get("layer", "")), row.get("shape", row.get("output")),
               row.get("params", row.get("parameters"))]
    if not isinstance(row, (list, tuple)) or len(row) != 3 or row[1] is None:
        raise AnswerParseError(_("table row {row} is not [name, shape, params]").format(
            row=show(row)))
    return list(row)


def _table_rows(text: str) -> list[list[Any]]:
    rows = []
    for line in (ln.strip().strip("|") for ln in re.split(r"[\n;]", text)):
        if not line or re.fullmatch(r"[\s|:+=-]+", line) or SUMMARY_NOISE.match(line.strip()):
            continue            # blank, a Markdown / ASCII-art rule, a summary's header or footer
        line = TREE_PREFIX.sub("", line) if line.startswith(("├", "└", "│")) else line
        pasted = TORCHSUMMARY_ROW.fullmatch(line)
        if "|" in line or "\t" in line:
            cells = [c.strip() for c in re.split(r"[|\t]", line)]
        elif pasted:            # torchsummary's columns: `Conv2d-1  [-1, 6, 28, 28]  156`
            cells = list(pasted.groups())
        else:
            cells = [c.strip() for c in split_top(line, ",")]
            cells = cells[:2] + [",".join(cells[2:])]       # `conv1, (32,32,64), 1,792`
        if len(cells) != 3:
            raise AnswerParseError(_("table row {row} is not name | shape | params").format(
                row=show(line)))
        if not rows and not re.search(r"\d", cells[2]):
            continue            # a header line
        rows.append(cells)
    return rows


def _params(cell: Any) -> int:
    if isinstance(cell, str) and cell.strip() in EMPTY_PARAMS:
        return 0                # torchsummary prints `--` for a layer without parameters
    value = read_int(cell)
    if value < 0:
        raise AnswerParseError(_("{answer} is not a parameter count").format(answer=show(cell)))
    return value



def read_footer(text: str, form: Form, dims: int | None) -> Reading | None:
    """The summary-footer row: `Total params: 11,173,962` (torchsummary, torchinfo, ours)."""
    if form is not Form.INT:
        return None
    found = TOTAL_PARAMS.findall(text)
    if not found:
        return None
    values = {int(v.replace(",", "")) for v in found}
    if len(values) > 1:
        raise AnswerParseError(_("two different Total params lines, {first} and {second}; paste "
                                 "just one summary").format(first=found[0], second=found[1]))
    value = values.pop()
    return Reading(value, _("read {value} from the Total params line").format(value=value))
