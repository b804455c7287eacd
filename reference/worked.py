"""The record every reference function returns: an answer, its steps, and classic mistakes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Worked:
    """An exact answer with the work that leads to it.

    answer:   JSON-ready value (int, float, list of lists, str) in the form DESIGN.md calls
              `expected`.
    steps:    short human-readable lines, e.g. "(32 + 2·1 − 3)/1 + 1 = 32".
    mistakes: classic mistake name -> the answer that mistake produces, in the same form as
              `answer`, so a grader can name the misconception behind a wrong number.
    exact:    optional exact form (e.g. a sympy Matrix) for display; `answer` stays JSON-ready.
    """

    answer: Any
    steps: tuple[str, ...] = ()
    mistakes: Mapping[str, Any] = field(default_factory=dict)
    exact: Any = None
