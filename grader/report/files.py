"""Report files: a safe file name per student (`report_stem`) and `write_reports`, which writes
out/<student>.html and out/<student>.md."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from grader.report.render import render_html, render_markdown
from grader.results import Result

_UNSAFE_FILENAME = re.compile(r"[^\w.-]+")     # \w: letters of any script (张三 keeps its name)
_STEM_BYTES = 150                                # + ".html" stays far below 255 bytes


RESERVED_STEMS = {"index"}


def report_stem(student: str) -> str:
    """A file name from a student id that cannot leave the output folder.

    Two ids with one stem (up to case) would share a page: `grade batch` refuses such folders
    by name (batch.refused_folders), so every page belongs to exactly one folder."""
    stem = _UNSAFE_FILENAME.sub("_", unicodedata.normalize("NFC", student)).strip("._")
    stem = stem.encode("utf-8")[:_STEM_BYTES].decode("utf-8", "ignore").strip("._") or "student"
    # the class page is index.html (and grades/canvas are .csv): a student named "index"
    # must not overwrite it
    return f"{stem}_" if stem.lower() in RESERVED_STEMS else stem


def write_reports(result: Result, out: Path, *, title: str = "",
                  feedback: str = "answers") -> tuple[Path, Path]:
    """Write out/<student>.html and out/<student>.md (creating `out`); return both paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = report_stem(result.student)
    html_path, md_path = out / f"{stem}.html", out / f"{stem}.md"
    html_path.write_text(render_html(result, title=title, feedback=feedback), encoding="utf-8")
    md_path.write_text(render_markdown(result, title=title, feedback=feedback), encoding="utf-8")
    return html_path, md_path
