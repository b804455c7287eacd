"""What a batch leaves for the class: index.html, grades.csv and canvas.csv (rewritten only when a
result changed), and the `BatchOutcome` shown on the terminal."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.assignment import Assignment
from grader.results import Result


@dataclass
class BatchOutcome:
    results: list[Result]
    graded: int
    skipped: int
    out: Path
    db: Path
    index: Path | None = None
    grades_csv: Path | None = None
    canvas_csv: Path | None = None
    elapsed_s: float = 0.0
    roster: list[str] = field(default_factory=list)     # --canvas-roster: missing either side
    lang: str = "en"                                    # of the lines `show` prints

    @property
    def errors(self) -> list[Result]:
        return [r for r in self.results if r.error is not None]

    def show(self) -> None:
        from grader.i18n import use_language
        with use_language(self.lang):
            self._show()

    def _show(self) -> None:
        from rich.console import Console

        from grader.i18n import N_, _
        console = Console()
        console.print(_("{students} students: {graded} graded, {skipped} unchanged, {errors} "
                        "with errors ({seconds} s)").format(
            students=len(self.results), graded=self.graded, skipped=self.skipped,
            errors=len(self.errors), seconds=f"{self.elapsed_s:.1f}"))
        for label, path in ((N_("class page"), self.index), (N_("grades"), self.grades_csv),
                            (N_("Canvas import"), self.canvas_csv), (N_("gradebook"), self.db)):
            if path is not None:
                console.print(f"{_(label)}: {path}", markup=False, highlight=False,
                              soft_wrap=True)
        for r in self.errors:
            console.print(_("error: {student}: {error}").format(student=r.student,
                                                                 error=r.error),
                          markup=False, highlight=False, soft_wrap=True)
        for line in self.roster:
            console.print(line, markup=False, highlight=False, soft_wrap=True)



def write_outputs(results: list[Result], assignment: Assignment, out: Path,
                  digest: str, similar: Any = None) -> tuple[Path, Path, Path]:
    """index.html, grades.csv and canvas.csv; not rewritten when `digest` (of every result)
    is the one they were written from (the unchanged re-run then needs neither matplotlib nor
    pandas)."""
    paths = (out / "index.html", out / "grades.csv", out / "canvas.csv")
    marker = out / ".batch-outputs"
    if all(p.is_file() for p in paths) and marker.is_file() \
            and marker.read_text(encoding="utf-8") == digest:
        return paths
    from grader import classpage, exports
    out.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    from grader.i18n import use_language
    with use_language(assignment.lang):
        classpage.write_class_page(results, assignment, out, similar=similar)
    exports.write_grades_csv(results, assignment, paths[1])
    exports.write_canvas_csv(results, assignment, paths[2])
    marker.write_text(digest, encoding="utf-8")
    return paths
