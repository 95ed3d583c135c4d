"""No import cycles among the modules of audit, reports and dashboard, function-local imports included.

Every module is parsed with ``ast``; every ``import`` and ``from ... import`` anywhere in it (top
level, inside functions, inside ``try``) is an edge, relative imports resolved. Rules:

* ``import a.b.c`` is an edge to ``a.b.c``; ``from a.b import c`` is an edge to ``a.b.c`` when that is
  a module, else to ``a.b`` (``from audit import load_config`` is an edge to the package ``audit``).
* The implicit import of parent packages (``import audit.x`` runs ``audit/__init__`` first) is not
  an edge: every submodule would otherwise "import" its package, and each package's ``__init__``
  imports some of its submodules, so every package would be one big cycle without telling anyone
  anything. A package ``__init__`` is an ordinary node: its own imports, lazy ones included
  (``audit.__getattr__`` imports ``audit.pipeline.runner``), are its edges, and a module that imports the
  package by name (``from audit import X``) is an edge into it, so a re-export that closes a loop
  is caught.
* Imports under ``if TYPE_CHECKING:`` never run, so they are not edges.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("audit", "reports", "dashboard")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    out = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "__pycache__" not in path.parts:
                out[_module_name(path, root)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in the tree, skipping ``if TYPE_CHECKING:`` bodies."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is one of our modules."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports (anywhere in its body)."""
    modules = _modules(root, packages)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    module = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    module = node.module or ""
                targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module for alias in node.names]
            for target in targets:
                resolved = _resolve(target, modules)
                if resolved is not None and resolved != name:
                    graph[name].add(resolved)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a closed path of modules) per strongly connected component that has one (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for component in components:
        members = set(component)
        start = min(component)
        # Shortest way back to start inside the component (breadth first): a readable cycle.
        paths = {start: [start]}
        frontier = [start]
        cycle = None
        while frontier and cycle is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & members):
                    if w == start:
                        cycle = [*paths[v], start]
                        break
                    if w not in paths:
                        paths[w] = [*paths[v], w]
                        nxt.append(w)
                if cycle:
                    break
            frontier = nxt
        cycles.append(cycle or sorted(component))
    return cycles


def test_no_import_cycles():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles (function-local imports count):\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_graph_sees_lazy_and_relative_imports(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("def __getattr__(name):\n    from pkg import runner\n    return runner\n")
    (pkg / "runner.py").write_text("from pkg.sub import a\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from . import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..sub.a import f\n")
    (pkg / "config.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import runner\n")
    (pkg / "uses_package.py").write_text("from pkg import config\nfrom pkg import something_reexported\n")
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg"] == {"pkg.runner"}
    assert graph["pkg.runner"] == {"pkg.sub.a"}
    assert graph["pkg.sub.a"] == {"pkg.sub.b"} and graph["pkg.sub.b"] == {"pkg.sub.a"}
    assert graph["pkg.config"] == set()  # TYPE_CHECKING only
    assert graph["pkg.uses_package"] == {"pkg.config", "pkg"}
    assert find_cycles(graph) == [["pkg.sub.a", "pkg.sub.b", "pkg.sub.a"]]


@pytest.mark.parametrize("importer, imported", [
    ("audit.config", "audit.verdict.gates"), ("audit.records.review", "audit.records.rundir"),
    ("audit.explain._aggregate", "audit.explain._base"),
])
def test_the_former_cycles_would_be_caught(importer, imported):
    graph = import_graph()
    graph[importer] = graph[importer] | {imported}  # the import the old code had
    assert any(importer in c and imported in c for c in find_cycles(graph))


def _package(module: str) -> str:
    """The node a module belongs to in the package graph: ``reports``, ``dashboard``, or ``audit.<package>``."""
    parts = module.split(".")
    return parts[0] if parts[0] != "audit" or len(parts) == 1 else ".".join(parts[:2])


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The module graph collapsed to packages (a module's edges become its package's; edges inside a package dropped)."""
    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        node = _package(module)
        out.setdefault(node, set()).update(_package(t) for t in targets if _package(t) != node)
    return out


def test_the_core_never_imports_its_readers():
    # reports and dashboard read audit; audit reaches them only through its command line (audit.cli) and through
    # entry points (the card renderer, audit.records.renderers), never by import.
    edges = [(m, t) for m, targets in import_graph().items() for t in targets
             if _package(m).startswith("audit") and _package(m) != "audit.cli" and _package(t) in ("reports", "dashboard")]
    assert not edges, "audit imports its readers:\n" + "\n".join(f"{m} -> {t}" for m, t in edges)


def test_the_package_graph_check_sees_a_cycle_between_packages():
    graph = {"audit.a.x": {"audit.b.y"}, "audit.b.y": {"audit.a.z"}, "audit.a.z": set()}
    assert find_cycles(package_graph(graph)) == [["audit.a", "audit.b", "audit.a"]]


# The layers, lowest first: a package imports only packages of its own layer or of a layer below it
# (docs/architecture.md, "Layers"). A new package must be placed here before it can be imported.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("foundation: allowed values, errors, visible text, group labels",
     frozenset({"audit.choices", "audit.exceptions", "audit._visible", "audit._groups"})),
    ("the record: typed result, files, gate metrics", frozenset({"audit.result", "audit.records", "audit.metrics"})),
    ("configuration", frozenset({"audit.config"})),
    ("networks (torch only)", frozenset({"audit.models"})),
    ("measures over arrays and models, blind to the task", frozenset({"audit.fairness", "audit.explain",
                                                                       "audit.slices", "audit._slice_cuts",
                                                                       "audit.robustness"})),
    ("tasks", frozenset({"audit.tasks"})),
    ("data, text inputs and training", frozenset({"audit.data", "audit.text", "audit.training"})),
    ("privacy, compute, scale-out and the verdict", frozenset({"audit.privacy", "audit.runtime", "audit.scale",
                                                               "audit.verdict", "audit.compare"})),
    ("the pipeline", frozenset({"audit.pipeline"})),
    ("evidence packs: a sealed run mapped to governance frameworks", frozenset({"audit.evidence"})),
    ("readers", frozenset({"reports", "dashboard"})),
    ("entry points", frozenset({"audit", "audit.cli"})),
)


def _layer_of() -> dict[str, int]:
    return {package: i for i, (_, packages) in enumerate(LAYERS) for package in packages}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every module edge that reaches a package of a higher layer, as ``module -> target (layer -> layer)``."""
    layer = _layer_of()
    out = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            a, b = _package(module), _package(target)
            if a != b and layer[b] > layer[a]:
                out.append(f"{module} -> {target} ({LAYERS[layer[a]][0]} -> {LAYERS[layer[b]][0]})")
    return out


def test_every_package_has_a_layer():
    packages = set(package_graph(import_graph()))
    assert packages <= set(_layer_of()), f"place these packages in LAYERS: {sorted(packages - set(_layer_of()))}"


def test_packages_import_only_their_own_layer_or_below():
    edges = upward_imports(import_graph())
    assert not edges, "imports that go up a layer:\n" + "\n".join(edges)


def test_no_cycle_between_packages():
    cycles = find_cycles(package_graph(import_graph()))
    assert not cycles, "cycles between packages:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("importer, imported", [
    ("audit.models._builtin", "audit.training._loop"),  # the dashboard's model would pull in training
    ("audit.tasks._binary", "audit.data._prepare"),
    ("audit.fairness._report", "audit.tasks._binary"),
    ("audit.config._validate", "audit.verdict.gates"),
])
def test_an_upward_import_would_be_caught(importer, imported):
    graph = import_graph()
    graph[importer] = graph[importer] | {imported}
    assert any(edge.startswith(f"{importer} -> {imported} ") for edge in upward_imports(graph))
