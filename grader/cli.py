"""The `grade` command: thin click commands, each over one library function.

Every `GradeError` becomes one line on stderr and a non-zero exit; anything else is a bug.
"""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable

import click

from grader.errors import GradeError


def one_line_errors(fn: Callable) -> Callable:
    """Turn the library's named errors into `click.ClickException` in one place."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GradeError as e:
            raise click.ClickException(str(e).splitlines()[0] if str(e) else type(e).__name__)
    return wrapper


def json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(fn)


def assignment_option(fn: Callable) -> Callable:
    return click.option("--assignment", "assignment_path", type=click.Path(path_type=Path),
                        help="The assignment's folder or its assignment.toml "
                             "(default: found by id under assignments/).")(fn)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


@click.group()
@click.version_option(package_name="dl-homework-grader")
def main() -> None:
    """Grade deep-learning homework: answers, claimed results, training logs.

    Example: grade run submissions/alice
    """


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@assignment_option
@click.option("--data-root", type=click.Path(path_type=Path), envvar="GRADE_DATA",
              help="Where datasets live in their distributed layouts (or $GRADE_DATA).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto",
              show_default=True, help="Where checkpoints are re-evaluated.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder for the HTML and Markdown "
              "reports (default: FOLDER/.grade).")
@click.option("--gradescope", type=click.Path(path_type=Path),
              help="Also write Gradescope's results.json here.")
@json_option
@one_line_errors
def run(folder: Path, assignment_path: Path | None, data_root: Path | None, device: str,
        out: Path | None, gradescope: Path | None, as_json: bool) -> None:
    """Grade one student's submission folder.

    Example: grade run submissions/alice --json
    """
    from grader import grading
    outcome = grading.run_one(folder, assignment_path, data_root=data_root, device=device,
                              out=out, gradescope=gradescope)
    if as_json:
        print_json(outcome.result.to_json())
    else:
        outcome.show()


@main.command()
@click.argument("folder", type=click.Path(path_type=Path), default=".")
@assignment_option
@click.option("--data-root", type=click.Path(path_type=Path), envvar="GRADE_DATA",
              help="Where datasets live (or $GRADE_DATA).")
@json_option
@one_line_errors
def check(folder: Path, assignment_path: Path | None, data_root: Path | None,
          as_json: bool) -> None:
    """Check a submission before handing it in (reveals only what the assignment allows).

    Example: grade check submissions/alice
    """
    from grader import grading
    outcome = grading.check_one(folder, assignment_path, data_root=data_root)
    if as_json:
        print_json(outcome.view)
    else:
        outcome.show()


@main.command()
@click.argument("root", type=click.Path(path_type=Path))
@assignment_option
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None,
              help="Students graded at once (default: CPU count).")
@click.option("--out", type=click.Path(path_type=Path), help="Folder for index.html, the "
              "per-student pages and grades.csv (default: ROOT/.grade/reports).")
@click.option("--db", type=click.Path(path_type=Path),
              help="Gradebook database (default: ROOT/.grade/gradebook.sqlite).")
@click.option("--data-root", type=click.Path(path_type=Path), envvar="GRADE_DATA",
              help="Where datasets live (or $GRADE_DATA).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto",
              show_default=True)
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local",
              show_default=True, help="Where students are graded.")
@click.option("--address", help="Ray cluster address (with --executor ray).")
@click.option("--force", is_flag=True, help="Re-grade everyone, even unchanged students.")
@json_option
@one_line_errors
def batch(root: Path, assignment_path: Path | None, jobs: int | None, out: Path | None,
          db: Path | None, data_root: Path | None, device: str, executor: str,
          address: str | None, force: bool, as_json: bool) -> None:
    """Grade every student folder under ROOT, in parallel, into a gradebook and reports.

    Example: grade batch submissions/ --jobs 8
    """
    from grader import batch as batch_mod
    outcome = batch_mod.run_batch(root, assignment_path, jobs=jobs, out=out, db=db,
                                  data_root=data_root, device=device, executor=executor,
                                  address=address, force=force, quiet=as_json)
    if as_json:
        print_json([r.to_json() for r in outcome.results])
    else:
        outcome.show()


@main.command()
@click.argument("assignment", type=click.Path(path_type=Path))
@json_option
@one_line_errors
def key(assignment: Path, as_json: bool) -> None:
    """Print an assignment's answer key with the work shown.

    Example: grade key assignments/demo
    """
    from grader import key as key_mod
    answer_key = key_mod.answer_key(assignment)
    if as_json:
        print_json(answer_key.to_json())
    else:
        answer_key.show()


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@json_option
@one_line_errors
def log(file: Path, as_json: bool) -> None:
    """Read a training log: metrics per epoch, best and last, and warnings.

    Example: grade log submissions/alice/train.log --json
    """
    from grader import logs
    summary = logs.read_log(file)
    if as_json:
        print_json(summary.to_json())
    else:
        logs.print_summary(summary)


@main.group()
def ref() -> None:
    """Compute reference answers for quick questions.

    Example: grade ref summary resnet18 --input 3,32,32 --num-classes 10
    """


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
