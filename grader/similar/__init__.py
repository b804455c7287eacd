"""Integrity across a class: which students' code, checkpoints or training logs are alike.

    material.py     each student's files (code, checkpoints, logs), safely and bounded
    code.py         winnowed k-gram fingerprints over Python tokens, starter code subtracted
    weights.py      weights-only reading of a checkpoint (torch weights_only, safetensors)
    checkpoints.py  per-layer cosine, identical tensors, permutation test, at class scale
    logs.py         the same log twice, series equal up to a constant, shared digit runs
    evidence.py     the records every analyser returns
    ranking.py      evidence per pair, pairs most similar first, the JSON
    pages.py        index.html and a page per pair
    analysis.py     `grade similar` and the class page's section

Evidence, not verdicts: every pair gets a score per kind and a short reason; a person decides.
"""
from __future__ import annotations

from grader.similar.analysis import (SimilarOutcome, SimilarSection, class_section,
                                     run_similar, similarity_of)
from grader.similar.evidence import Evidence, Kind
from grader.similar.material import Student, collect, find_student_folders
from grader.similar.pages import write_pages
from grader.similar.ranking import THRESHOLD, Pair, Similarity, analyse

__all__ = ["Evidence", "Kind", "Pair", "SimilarOutcome", "SimilarSection", "Similarity",
           "Student", "THRESHOLD", "analyse", "class_section", "collect",
           "find_student_folders", "run_similar", "similarity_of", "write_pages"]
