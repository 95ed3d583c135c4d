"""Code that reads in one sitting: no function longer than 100 lines, no module longer than 500, no task name compared.

Every ``.py`` under audit/, reports/, dashboard/ and benchmarks/ is parsed with ``ast``; the length
of a function is counted from its ``def`` line to its last line, docstring and comments included
(decorators are not). Nested functions and methods count on their own, and their lines also count
towards the function around them. A module's length is its line count. A task name compared outside the task
package (``task == "regression"``) is a branch the task classes should own; the few that remain are listed with
their reason.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("audit", "reports", "dashboard", "benchmarks", "validity")
MAX_LINES = 100
MAX_MODULE_LINES = 500


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


def long_modules(root: Path, folders: tuple[str, ...], limit: int) -> list[str]:
    """``path (n lines)`` for each module longer than ``limit`` lines."""
    sizes = ((len(p.read_text(encoding="utf-8").splitlines()), p) for p in _sources(root, folders))
    return [f"{p.relative_to(root).as_posix()} ({n} lines)" for n, p in sorted(sizes, key=lambda s: -s[0]) if n > limit]


def test_no_module_is_longer_than_500_lines():
    offenders = long_modules(ROOT, FOLDERS, MAX_MODULE_LINES)
    assert not offenders, ("modules longer than 500 lines; split each by concept into private modules behind the "
                           "package's __init__:\n" + "\n".join(offenders))


#: A comparison with a task's name: ``== "regression"``, ``in ("multiclass", ...)``, ``"binary-classification"``.
TASK_NAME = re.compile(r"""(==|!=)\s*["'](binary|multiclass|regression|\w+-classification)["']"""
                       r"""|\bin\s*[(\[{]\s*["'](binary|multiclass|regression)["']|["'](binary|multiclass)-classification["']""")
#: Where a task name may still appear outside audit/tasks and audit/choices.py, and why.
TASK_NAME_ALLOWED = {
    "audit/result/__init__.py": "reading a record: the record's task string is mapped to its kind and input here, once",
    "audit/scale/_score.py": "a record written before the task field existed is a binary table model",
}


def test_task_names_are_compared_only_where_listed():
    found = {}
    for path in _sources(ROOT, ("audit", "reports", "dashboard")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("audit/tasks/") or rel == "audit/choices.py":
            continue
        lines = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if TASK_NAME.search(line)]
        if lines:
            found[rel] = lines
    unexpected = {rel: lines for rel, lines in found.items() if rel not in TASK_NAME_ALLOWED}
    assert not unexpected, ("task names compared outside audit/tasks (give the branch to the task classes or read "
                            f"AuditResult.kind / TaskKind flags): {unexpected}")
    stale = set(TASK_NAME_ALLOWED) - set(found)
    assert not stale, f"no task name is compared in {sorted(stale)} any more: drop them from TASK_NAME_ALLOWED"
