"""`grade similar` and the class page's section: find the students, read the starter code,
run the analysis, write the pages.

The batch calls `class_section`, which keeps its pages beside the class page and skips the
work when no student's files changed since the pages were written (a stamp of every file's
path, size and modification time)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

import grader
from grader.assignment import Assignment, find_assignment, load_assignment
from grader.errors import AssignmentError, GradeError
from grader.i18n import _, current, use_language
from grader.inputs import key_line, read_toml
from grader.similar.code import starter_sources
from grader.similar.material import collect, find_student_folders
from grader.similar.pages import kind_word, kinds_text, pair_page_name, write_pages
from grader.similar.ranking import THRESHOLD, Similarity, analyse
from grader.submission import load_submission

SECTION_PAIRS = 10           # pairs the class page shows; the rest are one click away


@dataclass(frozen=True)
class SimilarOutcome:
    similarity: Similarity
    index: Path
    lang: str = "en"                # of the pages, the details and `show`

    def to_json(self) -> dict[str, object]:
        return self.similarity.to_json()

    def show(self, console: Console | None = None) -> None:
        console = console or Console()
        with use_language(self.lang):
            self._show(console)

    def _show(self, console: Console) -> None:
        listed = self.similarity.listed()
        table = Table(title=_("{count} pairs scoring at least {threshold}").format(
            count=len(listed), threshold=THRESHOLD))
        for col in ("a", "b", _("score"), _("evidence")):
            table.add_column(col)
        for p in listed:
            table.add_row(p.a, p.b, f"{p.score:.3f}", _("; ").join(
                f"{kind_word(k)} {ev.score:.2f}: {ev.detail}" for k, ev in p.evidence.items()))
        console.print(table)
        for w in self.similarity.warnings:
            console.print(_("not compared: {why}").format(why=w), markup=False,
                          highlight=False, soft_wrap=True)
        console.print(_("pages: {index}").format(index=self.index), markup=False,
                      highlight=False, soft_wrap=True)


def run_similar(root: Path, assignment_path: Path | None = None,
                out: Path | None = None, lang: str | None = None) -> SimilarOutcome:
    """Compare every pair of students under ROOT; pages into OUT (default ROOT/.grade/similar),
    in `lang` (default: the assignment's `lang`, else English)."""
    root = Path(root)
    out = Path(out) if out is not None else root / ".grade" / "similar"
    folders = find_student_folders(root, skip=(out,))
    assignment = _assignment(root, assignment_path, folders)
    lang = lang or (assignment.lang if assignment else "en")
    with use_language(lang):
        similarity = similarity_of(folders, starter_paths(assignment) if assignment else [])
        title = assignment.title if assignment else root.resolve().name
        return SimilarOutcome(similarity, write_pages(similarity, out, title), lang)


def similarity_of(folders: list[Path], starter: list[Path],
                  notes: tuple[str, ...] = ()) -> Similarity:
    material = collect(folders)
    material = replace(material, warnings=notes + material.warnings)
    return analyse(material, starter_sources(starter), tuple(starter))


def starter_paths(assignment: Assignment) -> list[Path]:
    """`starter = "path"` (or a list) under [assignment], relative to the assignment folder."""
    data, text = read_toml(assignment.path, AssignmentError)
    value = data.get("assignment", {}).get("starter")
    if value is None:
        return []
    line = key_line(text, "starter")
    where = f"{assignment.path.name} line {line}" if line else assignment.path.name
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise AssignmentError(f"{where}: starter = {value!r} must be a path or a list of paths")
    paths = [assignment.folder / v for v in values]
    for v, p in zip(values, paths):
        if not p.is_file() or p.is_symlink():
            raise AssignmentError(f"{where}: starter = {v!r}: no such file beside the "
                                  "assignment")
    return paths


def _assignment(root: Path, assignment_path: Path | None,
                folders: list[Path]) -> Assignment | None:
    """--assignment, else the id the first readable answers file names; none is fine (no
    starter to subtract)."""
    if assignment_path is not None:
        return load_assignment(assignment_path)
    for folder in folders:
        try:
            aid = load_submission(folder).assignment_id
        except GradeError:
            continue
        if aid is not None:
            try:
                return load_assignment(find_assignment(aid, [root, Path.cwd()]))
            except AssignmentError:
                return None
    return None


# --- the class page's section ------------------------------------------------------------------

@dataclass(frozen=True)
class SectionPair:
    a: str
    b: str
    score: float
    kinds: str
    page: str                     # relative to the class page


@dataclass(frozen=True)
class SimilarSection:
    index: str                    # relative to the class page
    listed: int
    pairs: list[SectionPair]
    digest: str                   # changes when any student's files change


def class_section(folders: list[Path], assignment: Assignment, out: Path,
                  subdir: str = "similar") -> SimilarSection:
    """The analysis for `grade batch`: pages in OUT/similar/, a short list for the class page."""
    target = out / subdir
    try:
        starter, notes = starter_paths(assignment), ()
    except AssignmentError as e:          # grading goes on; the page says what was not done
        starter, notes = [], (_("starter code not subtracted: {error}").format(error=e),)
    stamp = _stamp(folders, assignment, starter)
    marker, pairs_json = target / ".stamp", target / "pairs.json"
    if not (marker.is_file() and pairs_json.is_file()
            and marker.read_text(encoding="utf-8") == stamp):
        similarity = similarity_of(folders, starter, notes)
        marker.unlink(missing_ok=True)
        write_pages(similarity, target, assignment.title)
        marker.write_text(stamp, encoding="utf-8")
    data = json.loads(pairs_json.read_text(encoding="utf-8"))["pairs"]
    from grader.similar.ranking import Pair
    shown = [SectionPair(p["a"], p["b"], float(p["score"]), kinds_text(p),
                         f"{subdir}/{pair_page_name(Pair(p['a'], p['b'], 0.0, {}))}")
             for p in data[:SECTION_PAIRS]]
    return SimilarSection(f"{subdir}/index.html", len(data), shown, stamp)


def _stamp(folders: list[Path], assignment: Assignment, starter: list[Path]) -> str:
    h = hashlib.sha256((grader.__version__ + current()).encode())   # pages in one language
    for path in [assignment.path, *starter]:
        h.update(f"{path}:{path.stat().st_size}:{path.stat().st_mtime_ns}".encode())
    for student in collect(folders).students:
        for path in (*student.code, *student.checkpoints, *student.logs):
            st = path.stat()
            h.update(f"{path}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()
