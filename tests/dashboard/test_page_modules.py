"""Every dashboard page is a module with a ``render()`` function: importing it draws nothing, and ``render()`` draws
the page on its own (``st.navigation`` runs the page's file, which calls it)."""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

from tests.dashboard.conftest import PAGES, texts

VIEWS = Path(__file__).resolve().parents[2] / "dashboard" / "views"
MODULES = sorted(p.stem for p in VIEWS.glob("*.py") if p.stem != "__init__")


def test_every_page_in_the_app_is_a_page_module():
    assert set(PAGES) | {"text"} == set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_a_page_module_only_defines_until_it_is_run_as_a_page(name):
    tree = ast.parse((VIEWS / f"{name}.py").read_text(encoding="utf-8"))
    *body, last = tree.body
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.Assign, ast.AnnAssign)
    drawn = [ast.unparse(node).splitlines()[0] for node in body
             if not isinstance(node, allowed) and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    assert not drawn, f"{name}.py runs statements at import: {drawn}"
    assert ast.unparse(last) == "if __name__ == '__main__':\n    render()", f"{name}.py must end by calling render() as a page"


@pytest.mark.parametrize("name", MODULES)
def test_importing_a_page_draws_nothing(name, monkeypatch):
    from streamlit.delta_generator import DeltaGenerator

    def drawn(*args, **kwargs):
        raise AssertionError(f"dashboard.views.{name} drew an element at import")

    monkeypatch.setattr(DeltaGenerator, "_enqueue", drawn)
    monkeypatch.delitem(sys.modules, f"dashboard.views.{name}", raising=False)
    module = importlib.import_module(f"dashboard.views.{name}")
    assert callable(module.render)


def _compute_page() -> None:
    from dashboard.views.compute import render

    render()


def test_a_page_renders_on_its_own(synthetic_root, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RAI_AUDIT_RUNS_ROOT", str(synthetic_root))
    at = AppTest.from_function(_compute_page, default_timeout=60)
    at.session_state["run"] = "full"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Compute and environmental impact" and "Stages" in texts(at)
