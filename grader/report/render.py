"""HTML and Markdown rendering: the Jinja environment (the templates in `grader/templates/`,
every formatting function registered as a filter), a result's report pages, and the answer key
as Markdown."""
from __future__ import annotations

import functools
from collections import Counter
from typing import Any, Mapping

import jinja2
from markupsafe import Markup

from grader.i18n import current as current_language
from grader.i18n import mistake, status_word
from grader.i18n.labels import check_name, part_label, part_note
from grader.report.escaping import inline_svg, md_escape
from grader.report.formatting import (fmt_answer, fmt_number, fmt_points, fmt_shape,
                                      fmt_tolerance, mark, matrix_rows, matrix_text,
                                      metric_value)
from grader.report.visibility import (Visibility, feedback_line, shown_claim_status,
                                      shown_status)
from grader.results import QuestionStatus, Result


@functools.lru_cache(maxsize=1)
def _at_render(translate):
    """A translating filter Jinja may not fold at compile time: `{{ "verified"|say }}` on a
    literal would otherwise be frozen in the language the template was first compiled in."""
    return jinja2.pass_eval_context(lambda _ctx, value: translate(value))


def environment() -> jinja2.Environment:
    """The template environment: package templates, strict variables, HTML autoescaped.

    Built once per process: a batch renders hundreds of pages, and compiling the templates
    again for each one cost about 80 ms a student."""
    env = jinja2.Environment(
        extensions=["jinja2.ext.i18n"],
        loader=jinja2.PackageLoader("grader", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: name is not None and ".html" in name,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        num=fmt_number, points=fmt_points, shape=fmt_shape, answer=fmt_answer,
        matrix=matrix_rows, matrix_text=matrix_text, mark=mark, md=md_escape,
        svg=inline_svg, status=shown_status, claim_status=shown_claim_status,
        feedback_line=feedback_line, metric=metric_value, tolerance=fmt_tolerance,
        say=_at_render(status_word), mistake=_at_render(mistake),
        kind=_at_render(_kind_word), check=_at_render(check_name),
        part_label=_at_render(part_label), part_note=_at_render(part_note),
    )
    # the current language is looked up at each call, so one cached environment serves all
    from grader import i18n
    env.install_gettext_callables(gettext=lambda s: i18n._(s),    # type: ignore[attr-defined]
                                  ngettext=lambda s, p, n: i18n.ngettext(s, p, n),
                                  pgettext=lambda c, s: i18n.pgettext(c, s),
                                  newstyle=True)
    return env


def _kind_word(kind: str) -> str:
    from grader.similar.pages import kind_word
    return kind_word(kind)


_FORMAT = Visibility.of("format")


def _context(result: Result, title: str, feedback: str) -> dict[str, Any]:
    vis = Visibility.of(feedback)
    score, max_score = result.score, result.max_score
    percent = 0.0 if max_score <= 0 else max(0.0, min(100.0, 100.0 * score / max_score))
    statuses = Counter(shown_status(q, vis) for q in result.questions)
    order = [*map(str, QuestionStatus), "parsed"]
    return {
        "result": result, "title": title, "vis": vis, "lang": current_language(),
        "score": fmt_points(score), "max_score": fmt_points(max_score),
        "percent": round(percent, 1), "percent_text": f"{percent:.0f}%",
        "bar": "█" * round(percent / 5) + "░" * (20 - round(percent / 5)),
        "status_counts": [(s, statuses[s]) for s in order if statuses[s]],
        "parsed_count": sum(shown_status(q, _FORMAT) == "parsed" for q in result.questions),
    }


def render_html(result: Result, *, title: str = "", feedback: str = "answers",
                sandbox_note: str = "") -> str:
    """One self-contained HTML page (inline CSS, no scripts, no external resources)."""
    env = environment()
    style = env.loader.get_source(env, "_style.css")[0]   # type: ignore[union-attr]
    return env.get_template("report.html.j2").render(
        **_context(result, title, feedback), sandbox_note=sandbox_note, style=Markup(style))


def render_markdown(result: Result, *, title: str = "", feedback: str = "answers") -> str:
    """The same report as GitHub-flavoured Markdown."""
    return environment().get_template("report.md.j2").render(**_context(result, title, feedback))


def render_key_markdown(key: Mapping[str, Any], *, title: str = "") -> str:
    """The answer key (the `grade key --json` object: assignment, questions with id, kind,
    answer, steps) as GitHub Markdown with the work shown."""
    return environment().get_template("key.md.j2").render(key=key, title=title)
