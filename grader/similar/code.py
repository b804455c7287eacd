"""Code similarity: winnowed k-gram fingerprints over Python tokens (Schleimer, Wilkerson and
Aiken 2003, the scheme MOSS and Dolos use).

1. Tokenize each file with the standard library's `tokenize`; drop comments and blank lines;
   write every identifier as `N`, every number as `0` and every string as `S`, so renaming
   variables, editing comments or reflowing whitespace changes nothing. Notebooks are read with
   nbformat and contribute their code cells (IPython `%magic` / `!shell` lines dropped).
2. Hash every run of K tokens; winnowing keeps the minimum hash of each window of W hashes, so
   any shared run of at least K + W − 1 tokens leaves at least one shared fingerprint.
3. Fingerprints of the instructor's starter code are removed first, and so are fingerprints
   most of the class shares (boilerplate everyone copied from the same tutorial).
4. An inverted index (fingerprint -> students) yields the pairs that share anything; only those
   are scored, never all pairs. Score: shared fingerprints over the mean of the two counts.
"""
from __future__ import annotations

import hashlib
import io
import keyword
import math
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from grader.i18n import _
from grader.similar.evidence import Evidence, Kind, PairKey, SpanPair
from grader.similar.material import Student

K = 20                   # tokens per k-gram: about two lines of code
W = 12                   # winnowing window: shared runs of K + W − 1 = 31 tokens always show
COMMON_SHARE = 0.5       # a fingerprint in more than this share of the class is boilerplate
COMMON_MIN = 4           # ...but never drop one that fewer students share
MIN_SHARED = 3           # fewer shared fingerprints than this is coincidence
MAX_SPANS = 6            # stretches shown side by side on a pair's page
MAX_SPAN_LINES = 40


@dataclass(frozen=True)
class Token:
    text: str            # normalised
    source: int          # index into the student's sources
    line: int


@dataclass(frozen=True)
class Source:
    label: str           # file name, or "notebook.ipynb cell 3"
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Fingerprints:
    tokens: tuple[Token, ...]
    sources: tuple[Source, ...]
    marks: dict[int, list[int]]      # fingerprint hash -> k-gram start positions


# --- tokens ------------------------------------------------------------------------------------

def normalised_tokens(text: str, source: int = 0) -> list[Token]:
    """Python tokens with identifiers and literals abstracted; comments and layout dropped.

    A file that stops tokenizing (a syntax error, an unfinished notebook cell) keeps the tokens
    read so far: half a file is still evidence."""
    out: list[Token] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = _kind(tok)
            if kind is not None:
                out.append(Token(kind, source, tok.start[0]))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def _kind(tok: tokenize.TokenInfo) -> str | None:
    if tok.type == tokenize.NAME:
        return tok.string if keyword.iskeyword(tok.string) else "N"
    if tok.type == tokenize.NUMBER:
        return "0"
    if tok.type == tokenize.STRING:
        return "S"
    if tok.type == tokenize.OP:
        return tok.string
    return {tokenize.NEWLINE: ";", tokenize.INDENT: "{", tokenize.DEDENT: "}"}.get(tok.type)


def read_sources(student: Student) -> list[Source]:
    sources: list[Source] = []
    for path in student.code:
        label = student.label(path)
        if path.suffix.lower() == ".ipynb":
            sources += [Source(_("{file} cell {cell}").format(file=label, cell=i),
                               tuple(cell.splitlines()))
                        for i, cell in _notebook_cells(path)]
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
            sources.append(Source(label, tuple(text.splitlines())))
    return sources


def _notebook_cells(path: Path) -> list[tuple[int, str]]:
    """Code cells of a notebook, numbered from 1; IPython-only lines blanked (line numbers
    stay right). A notebook nbformat cannot read contributes nothing."""
    import nbformat
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception:      # noqa: BLE001 - nbformat raises many types for damaged JSON
        return []
    cells = []
    for i, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1):
        lines = ["" if ln.lstrip().startswith(("%", "!")) else ln
                 for ln in str(cell.source).splitlines()]
        cells.append((i, "\n".join(lines) + "\n"))
    return cells


def fingerprints(sources: list[Source], exclude: frozenset[int] = frozenset()) -> Fingerprints:
    tokens: list[Token] = []
    for i, src in enumerate(sources):
        tokens += normalised_tokens("\n".join(src.lines) + "\n", i)
        tokens.append(Token("\x00", i, len(src.lines)))      # no k-gram spans two files
    hashes = kgram_hashes([t.text for t in tokens])
    marks: dict[int, list[int]] = defaultdict(list)
    for h, pos in winnow(hashes):
        if h not in exclude:
            marks[h].append(pos)
    return Fingerprints(tuple(tokens), tuple(sources), dict(marks))


def kgram_hashes(texts: list[str]) -> list[int]:
    """A stable 64-bit hash of every K consecutive tokens (the same in every process)."""
    return [int.from_bytes(hashlib.blake2b("\x1f".join(texts[i:i + K]).encode(),
                                          digest_size=8).digest(), "big")
            for i in range(len(texts) - K + 1)]


def winnow(hashes: list[int]) -> list[tuple[int, int]]:
    """(hash, position) of each window's minimum, rightmost on ties, each kept once."""
    if not hashes:
        return []
    if len(hashes) <= W:
        i = min(range(len(hashes)), key=lambda j: (hashes[j], -j))
        return [(hashes[i], i)]
    picked: list[tuple[int, int]] = []
    last = -1
    for start in range(len(hashes) - W + 1):
        window = hashes[start:start + W]
        low = min(window)
        i = start + W - 1 - window[::-1].index(low)
        if i != last:
            picked.append((low, i))
            last = i
    return picked


# --- the class ---------------------------------------------------------------------------------

def compare_code(students: list[Student], starter: list[Source] | None = None
                 ) -> dict[PairKey, Evidence]:
    """Evidence for every pair of students sharing more than a few fingerprints."""
    excluded = frozenset(kgram_hashes([t.text for t in _all_tokens(starter or [])]))
    prints = {s.name: fingerprints(read_sources(s), excluded) for s in students}
    index: dict[int, list[str]] = defaultdict(list)
    for name, fp in sorted(prints.items()):
        for h in fp.marks:
            index[h].append(name)
    common = max(COMMON_MIN, math.ceil(COMMON_SHARE * len(students)))
    shared: dict[PairKey, list[int]] = defaultdict(list)
    for h, names in index.items():
        if 2 <= len(names) <= common:
            for a, b in combinations(names, 2):      # names are in sorted order
                shared[(a, b)].append(h)
    boiler = {h for h, names in index.items() if len(names) > common}
    out = {}
    for (a, b), hs in shared.items():
        if len(hs) < MIN_SHARED:
            continue
        na = len(prints[a].marks.keys() - boiler)
        nb = len(prints[b].marks.keys() - boiler)
        score = min(1.0, 2 * len(hs) / (na + nb))
        out[(a, b)] = _evidence(prints[a], prints[b], hs, score, na, nb)
    return out


def _all_tokens(sources: list[Source]) -> list[Token]:
    tokens: list[Token] = []
    for i, src in enumerate(sources):
        tokens += normalised_tokens("\n".join(src.lines) + "\n", i)
    return tokens


def starter_sources(paths: list[Path]) -> list[Source]:
    return [Source(p.name, tuple(p.read_text(encoding="utf-8", errors="replace").splitlines()))
            for p in paths]


def _evidence(fa: Fingerprints, fb: Fingerprints, hs: list[int], score: float,
              na: int, nb: int) -> Evidence:
    spans = shared_spans(fa, fb, hs)
    longest = max((s.tokens for s in spans), default=0)
    detail = _("{count} shared fingerprints ({of_a} of a's, {of_b} of b's)").format(
        count=len(hs), of_a=f"{len(hs) / max(na, 1):.0%}", of_b=f"{len(hs) / max(nb, 1):.0%}")
    if spans:
        s = spans[0]
        detail += _("; longest stretch {tokens} tokens: {file_a} lines {a}–{a_end} ≈ {file_b} "
                    "lines {b}–{b_end}").format(
            tokens=longest, file_a=s.file_a, a=s.lines_a[0], a_end=s.lines_a[1],
            file_b=s.file_b, b=s.lines_b[0], b_end=s.lines_b[1])
    return Evidence(Kind.CODE, score, detail, spans=tuple(spans))


def shared_spans(fa: Fingerprints, fb: Fingerprints, hs: list[int]) -> list[SpanPair]:
    """Chains of matching fingerprints that advance together in both files, longest first."""
    matches = sorted((pa, pb) for h in hs for pa in fa.marks[h][:4] for pb in fb.marks[h][:4])
    chains: list[list[tuple[int, int]]] = []
    for pa, pb in matches:
        for chain in chains:
            la, lb = chain[-1]
            if 0 < pa - la <= K + W and 0 < pb - lb <= K + W:
                chain.append((pa, pb))
                break
        else:
            chains.append([(pa, pb)])
    spans: list[SpanPair] = []
    for span in sorted((_span(fa, fb, c) for c in chains), key=lambda s: -s.tokens):
        if not any(_inside(span, kept) for kept in spans):     # a piece of one already shown
            spans.append(span)
    return spans[:MAX_SPANS]


def _inside(s: SpanPair, t: SpanPair) -> bool:
    return (s.file_a == t.file_a and t.lines_a[0] <= s.lines_a[0] <= s.lines_a[1] <= t.lines_a[1]
            or s.file_b == t.file_b and t.lines_b[0] <= s.lines_b[0] <= s.lines_b[1]
            <= t.lines_b[1])


def _span(fa: Fingerprints, fb: Fingerprints, chain: list[tuple[int, int]]) -> SpanPair:
    (a0, b0), (a1, b1) = chain[0], chain[-1]
    file_a, lines_a, text_a = _cut(fa, a0, a1 + K - 1)
    file_b, lines_b, text_b = _cut(fb, b0, b1 + K - 1)
    return SpanPair(file_a, lines_a, text_a, file_b, lines_b, text_b, a1 + K - a0)


def _cut(fp: Fingerprints, start: int, end: int) -> tuple[str, tuple[int, int], str]:
    first = fp.tokens[start]
    last = fp.tokens[min(end, len(fp.tokens) - 1)]
    line_end = last.line if last.source == first.source else len(fp.sources[first.source].lines)
    line_end = min(max(line_end, first.line), first.line + MAX_SPAN_LINES - 1)
    src = fp.sources[first.source]
    return src.label, (first.line, line_end), "\n".join(src.lines[first.line - 1:line_end])
