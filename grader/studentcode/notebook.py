"""A Jupyter notebook as the source of one module: its code cells in order.

IPython syntax is not Python: line magics (`%matplotlib inline`), shell lines (`!pip install`)
and help lines (`obj?`) become `pass` (keeping the indentation, so a block stays a block); a
cell magic that makes the cell something else (`%%bash`, `%%writefile`, `%%html`) drops the
cell, one that only times or captures it (`%%time`, `%%capture`) drops just its first line. A
cell that still does not parse is skipped and noted. `line_of` maps a line of the joined source
back to "cell N line M" for error messages.
"""
from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import dataclass, field

KEEP_CELL_MAGICS = {"time", "timeit", "capture", "prun"}
_SHELL_ASSIGN = re.compile(r"^(\s*)[\w.,\s]+=\s*[!%]")


@dataclass
class NotebookSource:
    source: str
    starts: list[tuple[int, int]] = field(default_factory=list)   # (first line, cell number)
    skipped: list[str] = field(default_factory=list)

    def line_of(self, line: int) -> str:
        """`cell N line M` for a line of the joined source."""
        cell, first = 0, 1
        for start, number in self.starts:
            if start <= line:
                cell, first = number, start
        return f"cell {cell} line {line - first + 1}" if cell else f"line {line}"


def _cells(path: str) -> list[str]:
    """The code cells' sources, read with nbformat (plain JSON if it is not installed)."""
    try:
        import nbformat
        with warnings.catch_warnings():     # its validator's notices are not the student's output
            warnings.simplefilter("ignore")
            nb = nbformat.read(path, as_version=4)
        return [c.source for c in nb.cells if c.cell_type == "code"]
    except ImportError:
        with open(path, encoding="utf-8") as f:
            nb = json.load(f)
        return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def _python_lines(cell: str) -> list[str] | None:
    """The cell as Python lines, or None when a cell magic makes it something else."""
    lines = cell.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split()[0] if lines[0].lstrip()[2:].split() else ""
        if magic not in KEEP_CELL_MAGICS:
            return None
        lines = lines[1:]
    out = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith(("%", "!")) or _SHELL_ASSIGN.match(line) or (
                stripped.endswith("?") and not stripped.startswith("#")):
            out.append(indent + "pass")
        else:
            out.append(line)
    return out


def notebook_source(path: str) -> NotebookSource:
    nb = NotebookSource("")
    lines: list[str] = []
    for number, cell in enumerate(_cells(path), start=1):
        py = _python_lines(cell)
        if py is None:
            nb.skipped.append(f"cell {number}: a cell magic")
            continue
        try:
            ast.parse("\n".join(py))
        except SyntaxError as e:
            nb.skipped.append(f"cell {number}: does not parse (line {e.lineno}: {e.msg})")
            continue
        nb.starts.append((len(lines) + 1, number))
        lines += py
    nb.source = "\n".join(lines) + "\n"
    return nb
