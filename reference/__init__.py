"""Exact answers to deep-learning homework, with the work shown.

Pure functions of numbers and arrays: no files, no printing, nothing from `grader`.
Every public function returns a `Worked` (answer + steps + the answers classic mistakes give).
"""
from reference.worked import Worked

__all__ = ["Worked"]
