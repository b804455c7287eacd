"""Gradescope "Export Submissions": a folder per submission and `submission_metadata.yml`.

Layout (Gradescope's programming-assignment export; the metadata keys as read by scripts that
rename exports, e.g. `record[':submitters'][0][':sid']`):

    assignment_<id>_export/submission_metadata.yml
    assignment_<id>_export/submission_<id>/<files the student uploaded>

    submission_<id>:
      :submitters:
      - :name: Pair One
        :sid: '200'
        :email: one@example.edu
      :created_at: ...

A group submission has several submitters: each gets a copy, and the report says so.
"""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import yaml

from grader.errors import DownloadError
from grader.lms.archive import Entry, Source
from grader.lms.base import Match, Reading

NAME = "Gradescope"
METADATA = "submission_metadata.yml"
MAX_METADATA_BYTES = 32 * 2**20


def _metadata_entry(source: Source) -> Entry | None:
    found = [e for e in source.entries if e.path.name == METADATA and len(e.path.parts) <= 2]
    return found[0] if len(found) == 1 else None


def claims(source: Source) -> bool:
    return _metadata_entry(source) is not None


def read(source: Source) -> Reading:
    meta_entry = _metadata_entry(source)
    assert meta_entry is not None
    base = meta_entry.path.parent
    metadata = _load(meta_entry)
    reading = Reading(NAME)
    seen: set[str] = set()
    for entry in source.entries:
        if entry is meta_entry:
            continue
        rel = entry.path.relative_to(base) if entry.path.is_relative_to(base) else None
        if rel is None or len(rel.parts) < 2:
            reading.unmatched.append(f"{entry.path}: outside any submission_<id>/ folder")
            continue
        record = metadata.get(rel.parts[0])
        if record is None:
            reading.unmatched.append(f"{entry.path}: {rel.parts[0]} is not in {METADATA}")
            continue
        seen.add(rel.parts[0])
        submitters = _submitters(record)
        if not submitters:
            reading.unmatched.append(f"{entry.path}: {rel.parts[0]} lists no submitter")
            continue
        note = (f"group submission {rel.parts[0]}: copied to each of {len(submitters)} "
                "submitters") if len(submitters) > 1 else ""
        for name, sid in submitters:
            reading.matches.append(Match(entry, name, sid, PurePosixPath(*rel.parts[1:]),
                                         rel.parts[0].removeprefix("submission_"), note=note))
    for key in sorted(set(metadata) - seen):
        reading.unmatched.append(f"{METADATA}: {key} has no files in the download")
    return reading


def _load(entry: Entry) -> dict[str, Any]:
    if entry.size > MAX_METADATA_BYTES:
        raise DownloadError(f"{entry.path}: {entry.size:,} bytes, too large for metadata")
    with entry.open() as f:
        text = f.read(MAX_METADATA_BYTES + 1)
    try:
        data = yaml.load(text, Loader=_Loader)     # safe, plus Ruby tags read as plain data
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise DownloadError(f"{entry.path}{where}: not readable YAML") from None
    if not isinstance(data, dict):
        raise DownloadError(f"{entry.path}: expected submission_<id>: entries")
    return {str(k): v for k, v in data.items()}


def _submitters(record: Any) -> list[tuple[str, str]]:
    people = record.get(":submitters") if isinstance(record, dict) else None
    out = []
    for p in people if isinstance(people, list) else []:
        if isinstance(p, dict) and (p.get(":sid") or p.get(":email") or p.get(":name")):
            sid = str(p.get(":sid") or p.get(":email") or "")
            out.append((str(p.get(":name") or sid), sid))
    return out


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads `!ruby/...` tags as the plain data under them."""


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)       # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _untagged)
