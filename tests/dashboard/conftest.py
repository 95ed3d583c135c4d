"""Fixtures of the dashboard tests: a runs root with synthetic and real runs, and an AppTest factory."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.dashboard._synthetic import ALL_SECTIONS, make_run

# Pages draw charts unvalidated (the cost of a page); under test every chart is validated against Vega-Lite's schema.
os.environ["RAI_AUDIT_VALIDATE_CHARTS"] = "1"

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
PAGES = ["runs", "overview", "fairness", "error_analysis", "cohorts", "whatif", "compare", "releases", "privacy",
         "explainability", "robustness", "compute", "card", "evidence", "review"]


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Path:
    """A read-only runs root: ``full`` (every section), ``bare`` (no optional section, no private model)."""
    root = tmp_path_factory.mktemp("dash-runs")
    make_run(root, "full", n=1500, sections=ALL_SECTIONS)
    make_run(root, "bare", n=400, sections=(), private=False, seed=1)
    return root


@pytest.fixture
def runs_root(synthetic_root, tmp_path) -> Path:
    """A writable copy of the synthetic runs root (tests that record reviews or add files use this)."""
    target = tmp_path / "runs"
    shutil.copytree(synthetic_root, target)
    return target


@pytest.fixture
def real_root(tiny_run, tmp_path) -> Path:
    """A runs root holding a copy of the session's real pipeline run (``tiny_run`` from tests/conftest.py)."""
    target = tmp_path / "real-runs"
    target.mkdir()
    shutil.copytree(tiny_run, target / tiny_run.name)
    return target


@pytest.fixture
def app(monkeypatch) -> Callable[..., object]:
    """``app(root, run=None, page=None)``: an AppTest of the dashboard on ``root``, run once (and on ``page``)."""
    from streamlit.testing.v1 import AppTest

    def make(root: Path, *, run: str | None = None, page: str | None = None):
        monkeypatch.setenv("RAI_AUDIT_RUNS_ROOT", str(root))
        at = AppTest.from_file(str(APP), default_timeout=60)
        if run is not None:
            at.query_params["run"] = run
        at.run()
        if page is not None and page != "runs":
            at.switch_page(f"views/{page}.py")
            at.run()
        return at

    return make


def texts(at) -> str:
    """Every text the app showed (markdown, captions, alerts, titles, metric labels/values) in one string."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "text", "code"):
        parts += [str(e.value) for e in at.get(kind)]
    for m in at.get("metric"):
        parts += [str(m.label), str(m.value)]
    return "\n".join(parts)
