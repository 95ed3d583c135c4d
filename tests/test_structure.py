"""Functions that fit on a screen: no function or method in the shipped code is longer than 100 lines.

Every ``.py`` under audit/, reports/, dashboard/ and benchmarks/ is parsed with ``ast``; the length
of a function is counted from its ``def`` line to its last line, docstring and comments included
(decorators are not). Nested functions and methods count on their own, and their lines also count
towards the function around them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("audit", "reports", "dashboard", "benchmarks", "validity")
MAX_LINES = 100


def _sources(root: Path, folders: tuple[str, ...]) -> Iterator[Path]:
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            if "__pycache__" not in path.parts:
                yield path


def _function_lengths(tree: ast.AST) -> Iterator[tuple[str, int, int]]:
    """(name, def line, length in lines) of every function and method in the tree."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node.lineno, node.end_lineno - node.lineno + 1


def long_functions(root: Path, folders: tuple[str, ...], limit: int) -> list[str]:
    """``path:line name (n lines)`` for each function longer than ``limit`` lines, longest first."""
    found = []
    for path in _sources(root, folders):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, line, length in _function_lengths(tree):
            if length > limit:
                found.append((length, f"{path.relative_to(root).as_posix()}:{line} {name} ({length} lines)"))
    return [text for _, text in sorted(found, key=lambda f: -f[0])]


def test_the_check_finds_a_long_function(tmp_path):
    (tmp_path / "pkg").mkdir()
    body = "\n".join(f"        x{i} = {i}" for i in range(5))
    (tmp_path / "pkg" / "m.py").write_text(f"def short():\n    pass\n\n\nclass C:\n    def long(self):\n{body}\n")
    assert long_functions(tmp_path, ("pkg",), limit=5) == ["pkg/m.py:6 long (6 lines)"]


def test_no_function_is_longer_than_100_lines():
    offenders = long_functions(ROOT, FOLDERS, MAX_LINES)
    assert not offenders, (
        f"{len(offenders)} function(s) longer than {MAX_LINES} lines; split each into private helpers that each "
        "do one step (checks, computation, assembly of the result):\n" + "\n".join(offenders))
