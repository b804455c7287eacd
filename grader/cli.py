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


def lang_option(fn: Callable) -> Callable:
    return click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
                        help="Language of reports and feedback (default: the assignment's "
                             "`lang`, else en).")(fn)


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
              "reports (default: ./reports).")
@click.option("--gradescope", type=click.Path(path_type=Path),
              help="Also write Gradescope's results.json here.")
@lang_option
@json_option
@one_line_errors
def run(folder: Path, assignment_path: Path | None, data_root: Path | None, device: str,
        out: Path | None, gradescope: Path | None, lang: str | None, as_json: bool) -> None:
    """Grade one student's submission folder.

    Example: grade run submissions/alice --json
    """
    from grader import grading
    outcome = grading.run_one(folder, assignment_path, data_root=data_root, device=device,
                              out=out, gradescope=gradescope, lang=lang)
    if as_json:
        print_json(outcome.result.to_json())
    else:
        outcome.show()


@main.command()
@click.argument("folder", type=click.Path(path_type=Path), default=".")
@assignment_option
@click.option("--data-root", type=click.Path(path_type=Path), envvar="GRADE_DATA",
              help="Where datasets live (or $GRADE_DATA).")
@lang_option
@json_option
@one_line_errors
def check(folder: Path, assignment_path: Path | None, data_root: Path | None,
          lang: str | None, as_json: bool) -> None:
    """Check a submission before handing it in (reveals only what the assignment allows).

    Example: grade check submissions/alice
    """
    from grader import grading
    outcome = grading.check_one(folder, assignment_path, data_root=data_root, lang=lang)
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
@click.option("--canvas-roster", type=click.Path(path_type=Path),
              help="Canvas' gradebook export: canvas.csv then carries Canvas' own ids.")
@lang_option
@json_option
@one_line_errors
def batch(root: Path, assignment_path: Path | None, jobs: int | None, out: Path | None,
          db: Path | None, data_root: Path | None, device: str, executor: str,
          address: str | None, force: bool, canvas_roster: Path | None, lang: str | None,
          as_json: bool) -> None:
    """Grade every student folder under ROOT, in parallel, into a gradebook and reports.

    Example: grade batch submissions/ --jobs 8
    """
    from grader import batch as batch_mod
    outcome = batch_mod.run_batch(root, assignment_path, jobs=jobs, out=out, db=db,
                                  data_root=data_root, device=device, executor=executor,
                                  address=address, force=force, quiet=as_json,
                                  canvas_roster=canvas_roster, lang=lang)
    if as_json:
        print_json([r.to_json() for r in outcome.results])
    else:
        outcome.show()


@main.command()
@click.argument("assignment", type=click.Path(path_type=Path))
@click.option("--markdown", is_flag=True, help="Print the key as Markdown, e.g. to publish it.")
@json_option
@one_line_errors
def key(assignment: Path, markdown: bool, as_json: bool) -> None:
    """Print an assignment's answer key with the work shown.

    Example: grade key assignments/demo --markdown > solutions.md
    """
    from grader import key as key_mod
    answer_key = key_mod.answer_key(assignment)
    if as_json:
        print_json(answer_key.to_json())
    else:
        answer_key.show(markdown=markdown)


@main.command()
@click.argument("assignment", type=click.Path(path_type=Path))
@one_line_errors
def validate(assignment: Path) -> None:
    """Check an assignment file strictly (unknown keys, params, answers) without grading.

    Example: grade validate assignments/demo
    """
    from grader import key as key_mod
    key_mod.validate(assignment).show()


@main.command()
@click.argument("assignment", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Folder for the students' assignment.toml (not the assignment's own).")
@one_line_errors
def release(assignment: Path, out: Path) -> None:
    """Write the students' copy of an assignment: typed-in answers and private paths removed.

    Example: grade release assignments/demo --out release/demo
    """
    from grader import release as release_mod
    release_mod.release(assignment, out).show()


@main.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Folder to fill with one folder per student, e.g. submissions/.")
@click.option("--name-by", type=click.Choice(["name", "id"]), default="name", show_default=True,
              help="Name each folder by the student's name in the LMS or by the LMS's id.")
@json_option
@one_line_errors
def import_(source: Path, out: Path, name_by: str, as_json: bool) -> None:
    """Turn a Canvas, Moodle or Gradescope bulk download (folder or zip) into student folders.

    Example: grade import submissions.zip --out submissions/
    """
    from grader import lms
    report = lms.import_submissions(source, out, name_by=name_by)
    if as_json:
        print_json(report.to_json())
    else:
        report.show()


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


@main.command()
@click.argument("root", type=click.Path(path_type=Path))
@assignment_option
@click.option("--out", type=click.Path(path_type=Path), help="Folder for index.html and a page "
              "per pair (default: ROOT/.grade/similar).")
@lang_option
@json_option
@one_line_errors
def similar(root: Path, assignment_path: Path | None, out: Path | None, lang: str | None,
            as_json: bool) -> None:
    """Pairs of students whose code, checkpoints or training logs are alike, with the evidence.

    Example: grade similar submissions/ --assignment assignments/demo
    """
    from grader.similar import run_similar
    outcome = run_similar(root, assignment_path, out, lang)
    if as_json:
        print_json(outcome.to_json())
    else:
        outcome.show()


@main.group()
def ref() -> None:
    """Compute reference answers for quick questions.

    Example: grade ref summary resnet18 --input 3,32,32 --num-classes 10
    """


def _print_worked(title: str, worked: Any, as_json: bool) -> None:
    if as_json:
        print_json({"answer": worked.answer, "steps": list(worked.steps)})
        return
    click.echo(title)
    for step in worked.steps:
        click.echo(f"  {step}")
    click.echo(f"= {worked.answer}")


@ref.command("shapes")
@click.option("--input", "input_shape", help="Input as H×W×C, e.g. 32x32x3.")
@click.option("--layer", "layers", multiple=True,
              help="A layer, e.g. 'conv2d filters=32 kernel=3 padding=same'; repeat in order.")
@click.option("--file", "stack_file", type=click.Path(path_type=Path),
              help="A TOML file with `input` and `layers` (a question's params).")
@json_option
@one_line_errors
def ref_shapes(input_shape: str | None, layers: tuple[str, ...], stack_file: Path | None,
               as_json: bool) -> None:
    """Output shape and parameters of every layer of a stack.

    Example: grade ref shapes --input 32x32x3 --layer 'conv2d filters=32 kernel=3 padding=same' --layer 'maxpool2d kernel=2'
    """
    from grader import refspec
    file_input, stack = refspec.read_stack(stack_file) if stack_file else (None, [])
    stack += [refspec.parse_layer(text) for text in layers]
    shape = refspec.parse_shape(input_shape, refspec.IMAGE_HWC) if input_shape else file_input
    if shape is None or not stack:
        raise GradeError("give --input and at least one --layer (or --file)")
    try:
        rows = refspec.stack_table(shape, stack)
    except ValueError as e:
        raise GradeError(str(e)) from None
    if as_json:
        print_json(rows)
        return
    click.echo(f"{'#':>3}  {'layer':<15} {'output (H×W×C)':<16} {'params':>12} {'MACs':>14} "
               f"{'RF/jump':>9}   step")
    for row in rows:
        field = "" if row["rf"] is None else f"{row['rf']:g}/{row['jump']:g}"
        click.echo(f"{row['index']:>3}  {row['type']:<15} {row['output']!s:<16} "
                   f"{row['params']:>12,} {row['macs']:>14,} {field:>9}   {row['step']}")


@ref.command("summary")
@click.argument("model")
@click.option("--input", "input_shapes", multiple=True, help="One model input without the batch, "
              "C,H,W for images (T for token ids), optionally :DTYPE (35:long); repeat for several "
              "inputs. Default: the zoo model's usual size.")
@click.option("--kw-input", "kw_inputs", multiple=True,
              help="A keyword tensor input, NAME=SHAPE[:DTYPE] (e.g. mask=35:bool); repeatable.")
@click.option("--dtype", default=None, help="dtype of every input without its own: float "
              "(default), long (token ids), int, bool, half, double.")
@click.option("--vocab", type=click.IntRange(min=1), default=None,
              help="Token ids are drawn from [0, VOCAB) when the model must run on real tensors.")
@click.option("--batch-dim", type=click.IntRange(min=0), default=0, show_default=True,
              help="Where the batch goes in each input (1 for seq-first RNN models).")
@click.option("--forward-kwarg", "forward_kwargs", multiple=True,
              help="key=value passed to forward as a plain value (e.g. scalar=5); repeatable.")
@click.option("--num-classes", type=int, default=None, help="Classes of the final layer.")
@click.option("--kwarg", "kwargs", multiple=True, help="key=value for the model; repeatable.")
@json_option
@one_line_errors
def ref_summary(model: str, input_shapes: tuple[str, ...], kw_inputs: tuple[str, ...],
                dtype: str | None, vocab: int | None, batch_dim: int,
                forward_kwargs: tuple[str, ...], num_classes: int | None,
                kwargs: tuple[str, ...], as_json: bool) -> None:
    """torchsummary-style table (shapes, parameters, MACs) of a zoo model or of your own model.

    MODEL is a zoo name (lenet5, vgg11..19[_bn], resnet18/34/50[_cifar]) or FILE.py[:NAME].

    Example: grade ref summary resnet18_cifar --num-classes 10
    """
    from grader import refspec
    extra = refspec.parse_kwargs(kwargs)
    if num_classes is not None:
        extra["num_classes"] = num_classes
    summary = refspec.summarise(model, input_shapes, kw_inputs, dtype, vocab, batch_dim,
                                refspec.parse_kwargs(forward_kwargs, "--forward-kwarg"), extra)
    if as_json:
        print_json(refspec.summary_json(summary))
    else:
        from reference import models
        click.echo(models.format_table(summary))


@ref.command("attention")
@click.option("--Q", "q", help="Queries, e.g. '[[1,0],[0,1]]' or '1 0; 0 1'.")
@click.option("--K", "k", help="Keys.")
@click.option("--V", "v", help="Values.")
@click.option("--file", "qkv_file", type=click.Path(path_type=Path),
              help="A TOML file with Q, K, V (and mask).")
@click.option("--mask", default=None, help="'causal', or a 0/1 matrix (1 = keep).")
@json_option
@one_line_errors
def ref_attention(q: str | None, k: str | None, v: str | None, qkv_file: Path | None,
                  mask: str | None, as_json: bool) -> None:
    """Scaled dot-product attention by hand: scores, scaling, softmax, output.

    Example: grade ref attention --Q '[[1,0],[0,1]]' --K '[[1,0],[0,1]]' --V '[[1,2],[3,4]]'
    """
    from grader import refspec
    from reference import attention
    params = refspec.read_qkv(qkv_file) if qkv_file else {}
    for name, text in (("Q", q), ("K", k), ("V", v)):
        if text is not None:
            params[name] = refspec.parse_matrix(text, name)
    if mask is not None:
        params["mask"] = mask if mask == "causal" else refspec.parse_matrix(mask, "mask")
    missing = [m for m in ("Q", "K", "V") if m not in params]
    if missing:
        raise GradeError(f"missing {', '.join('--' + m for m in missing)} (or --file)")
    try:
        parts = {ask: attention.sdpa(params["Q"], params["K"], params["V"],
                                     mask=params.get("mask"), ask=ask)
                 for ask in ("scores", "scaled", "weights", "output", "shape")}
    except ValueError as e:
        raise GradeError(str(e)) from None
    if as_json:
        print_json({ask: {"answer": w.answer, "steps": list(w.steps)} for ask, w in parts.items()})
        return
    for ask, worked in parts.items():
        _print_worked(ask, worked, False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
