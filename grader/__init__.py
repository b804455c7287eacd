"""The deep-learning homework grader: harness, CLI and reports around `reference/`."""
__version__ = "0.1.0"
