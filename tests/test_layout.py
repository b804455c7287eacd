"""Architecture rules that keep the project's shape."""
from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "reference").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_reference_never_imports_grader(path: Path) -> None:
    bad = {m for m in imported_modules(path) if m == "grader" or m.startswith("grader.")}
    assert not bad, f"{path.name} imports {bad}"


def test_no_utils_module() -> None:
    assert not list(ROOT.glob("*/utils.py"))


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, cmd in group.commands.items():
        found.append((prefix + name, cmd))
        if isinstance(cmd, click.Group):
            found += all_commands(cmd, prefix + name + " ")
    return found


@pytest.mark.parametrize("name,cmd", all_commands(main), ids=lambda x: x if isinstance(x, str) else "")
def test_every_command_has_help_with_an_example(name: str, cmd: click.Command) -> None:
    assert cmd.help and "Example: grade " in cmd.help, f"`grade {name}` needs an Example: line"
