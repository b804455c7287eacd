"""The similarity pages: `index.html` (pairs above the threshold, most similar first) and one
page per listed pair with its evidence side by side. Self-contained HTML, no scripts, with the
same Content-Security-Policy as the student reports."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from grader.i18n import N_, _, current
from grader.similar.evidence import Evidence, Kind
from grader.similar.ranking import THRESHOLD, Pair, Similarity


@dataclass(frozen=True)
class ListedPair:
    a: str
    b: str
    score: float
    page: str                                # beside index.html
    evidence: list[tuple[str, Evidence]]


def pair_page_name(pair: Pair) -> str:
    from grader.report import report_stem
    return f"{report_stem(pair.a)}--{report_stem(pair.b)}.html"


def listed_pairs(similarity: Similarity, threshold: float = THRESHOLD) -> list[ListedPair]:
    return [ListedPair(p.a, p.b, p.score, pair_page_name(p),
                       [(str(k), ev) for k, ev in p.evidence.items()])
            for p in similarity.listed(threshold)]


def write_pages(similarity: Similarity, out: Path, title: str,
                threshold: float = THRESHOLD) -> Path:
    """index.html, a page per listed pair and pairs.json into `out`; returns index.html."""
    from grader.report import environment
    env = environment()
    out.mkdir(parents=True, exist_ok=True)
    listed = listed_pairs(similarity, threshold)
    pair_template = env.get_template("similar_pair.html.j2")
    for p in listed:
        (out / p.page).write_text(pair_template.render(a=p.a, b=p.b, score=p.score,
                                                       evidence=p.evidence, lang=current()),
                                  encoding="utf-8")
    index = out / "index.html"
    index.write_text(env.get_template("similar.html.j2").render(
        title=title, students=len(similarity.students), pairs=listed, threshold=threshold,
        total_pairs=len(similarity.pairs), warnings=list(similarity.warnings),
        starter=[p.name for p in similarity.starter], lang=current()), encoding="utf-8")
    (out / "pairs.json").write_text(json.dumps(similarity.to_json(threshold),
                                               ensure_ascii=False, indent=1), encoding="utf-8")
    return index


KIND_WORDS = {Kind.CODE: N_("code"), Kind.CHECKPOINT: N_("checkpoint"), Kind.LOG: N_("log")}


def kind_word(kind: str) -> str:
    """A kind of evidence as the reader calls it (JSON keys stay English)."""
    return _(KIND_WORDS.get(Kind(kind), kind)) if kind in set(map(str, Kind)) else kind


def kinds_text(pair: dict[str, object]) -> str:
    """`code 0.93, log 1.00` from a pair's JSON, for terminals and the class page."""
    evidence = pair.get("evidence", {})
    assert isinstance(evidence, dict)
    return _(", ").join(f"{kind_word(k)} {float(v['score']):.2f}" for k, v in evidence.items()
                        if k in {str(kind) for kind in Kind})
