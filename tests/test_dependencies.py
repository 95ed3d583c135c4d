"""Every third-party module the package imports comes from a distribution declared in pyproject.toml.

A module that is only installed because something else pulls it in (MarkupSafe through Jinja2,
filelock through torch) breaks the day that dependency drops it; declare what you import.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("audit", "reports", "dashboard")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements() -> list[str]:
    """The core dependencies and those of the user-facing extras (an extra's import says how to install it when
    missing, e.g. ``pip install 'rai-audit[transformers]'``); the dev extra declares nothing the package imports."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    return [*project["dependencies"], *(req for name, reqs in extras.items() if name != "dev" for req in reqs)]


def _declared() -> set[str]:
    return {_normalise(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req).group(0)) for req in _requirements()}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_version_check(test: ast.expr) -> bool:
    return "sys.version_info" in ast.unparse(test)


def _imports(tree: ast.AST, *, conditional: bool = False):
    """Yield (top-level module, imported only on some Python versions); type-only imports skipped.

    An import under ``if TYPE_CHECKING:`` never runs, so it is no runtime dependency; one under
    ``if sys.version_info ...`` (either branch) runs on some Python versions only, so the
    distribution it needs is declared with an environment marker and may be absent here.
    """
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), conditional=conditional)
            continue
        version_branch = conditional or (isinstance(node, ast.If) and _is_version_check(node.test))
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], conditional
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], conditional
        else:
            yield from _imports(node, conditional=version_branch)


def _third_party_imports() -> dict[str, tuple[set[str], bool]]:
    """Top-level module -> (files importing it, imported only on some Python versions).

    Relative and type-only imports excluded.
    """
    found: dict[str, tuple[set[str], bool]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for top, conditional in _imports(tree):
                if top in sys.stdlib_module_names or top in (*PACKAGES, "__future__"):
                    continue
                files, was_conditional = found.get(top, (set(), True))
                files.add(str(path.relative_to(ROOT)))
                found[top] = (files, was_conditional and conditional)
    return found


def test_every_imported_third_party_module_is_declared():
    provided_by = packages_distributions()
    declared = _declared()
    problems = []
    for module, (files, conditional) in sorted(_third_party_imports().items()):
        dists = {_normalise(d) for d in provided_by.get(module, [])}
        if conditional and not dists:
            # Not installed on this Python: its distribution must still be declared (with a marker);
            # the module name is the distribution's here (tomli), as for every such import we have.
            if _normalise(module) not in declared:
                problems.append(f"{module} (imported by {sorted(files)[0]} on some Python versions) "
                                "is not declared in [project].dependencies")
        elif not dists:
            problems.append(f"{module} (imported by {sorted(files)[0]}) is not installed, so no distribution provides it")
        elif not dists & declared:
            problems.append(f"{module} (imported by {sorted(files)[0]}) comes from {sorted(dists)}, "
                            "which [project].dependencies does not declare")
    assert not problems, "undeclared dependencies:\n" + "\n".join(problems)


def test_the_check_finds_the_imports_it_must_judge():
    imports = _third_party_imports()
    assert {"yaml", "filelock", "markupsafe", "torch"} <= set(imports)
    assert imports["tomli"][1], "tomli is imported on Python 3.10 only"
    assert not imports["torch"][1]


def test_type_only_and_version_imports_are_told_apart():
    tree = ast.parse(
        "import sys\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from _typeshed import X\n"
        "if sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    import tomli\nimport numpy\n")
    assert dict(_imports(tree)) == {"sys": False, "typing": False, "tomllib": True, "tomli": True, "numpy": False}
