"""Hostile runs: HTML/script in names and values is shown as text; nothing outside RUNS_ROOT is read."""

from __future__ import annotations

import json
import re

import pytest

from audit.exceptions import RunDirError
from dashboard._data import md_escape, run_file
from tests.dashboard._synthetic import SCRIPT, make_run
from tests.dashboard.conftest import PAGES, texts

HOSTILE_DIR = "<img src=x onerror=alert(1)> run"  # a directory name cannot hold '/', so no closing tags
_UNESCAPED_TAG = re.compile(r"(?<!\\)<\s*(script|img|svg|iframe)", re.I)


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    make_run(root, HOSTILE_DIR, n=400, hostile=True)
    return root


@pytest.mark.parametrize("page", PAGES)
def test_html_in_names_and_values_is_escaped(app, hostile_root, page):
    at = app(hostile_root, run=HOSTILE_DIR, page=page)
    assert not at.exception, [e.message for e in at.exception]
    shown = texts(at) + "\n".join(str(e.value) for e in at.sidebar.get("markdown")) + "\n".join(
        str(e.value) for e in at.sidebar.get("caption"))
    # Markdown-rendered text never carries a live tag: every '<' that comes from the run is backslash-escaped.
    assert not _UNESCAPED_TAG.search(shown), _UNESCAPED_TAG.search(shown)
    if page == "explainability":
        assert md_escape(SCRIPT) in shown  # the run's warning is shown, as text, not dropped
    if page == "overview":
        cells = {str(v) for df in at.dataframe for v in df.value.to_numpy().ravel()}
        assert SCRIPT in cells  # tables render cells as text: the raw string is shown verbatim


def test_hostile_directory_name_is_listed_as_text(app, hostile_root):
    at = app(hostile_root, page="runs")
    assert at.sidebar.selectbox[0].value == HOSTILE_DIR
    assert HOSTILE_DIR in set(at.dataframe[0].value["run"])


def test_md_escape_neutralises_markup():
    out = md_escape("<b>x</b> [link](http://e.x) ![img](http://e.x/a.png) $x$ `c` *e*")
    assert not _UNESCAPED_TAG.search(out)
    for raw in ("](", "![", "$x$", "`c`", "*e*"):
        assert raw not in out


def test_query_param_path_outside_root_is_refused(app, tmp_path):
    root = tmp_path / "root"
    make_run(root, "inside", n=200)
    make_run(tmp_path, "outside", n=123, seed=3)
    at = app(root, run="../outside", page="overview")
    assert not at.exception
    assert "is not a run under the runs root" in "\n".join(e.value for e in at.sidebar.error)
    assert at.sidebar.selectbox[0].value == "inside"
    rows = {m.label: m.value for m in at.metric}["test rows"]
    assert rows == "200"  # the inside run's figures, not the outside run's 123 rows


def test_symlink_to_a_run_outside_root_is_refused(app, tmp_path):
    root = tmp_path / "root"
    make_run(root, "inside", n=200)
    outside = make_run(tmp_path / "elsewhere", "secret", n=200, seed=4)
    (root / "link").symlink_to(outside, target_is_directory=True)
    at = app(root, run="link", page="overview")
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert "outside the runs root" in errors
    assert not at.dataframe  # nothing from the linked run is shown
    runs = app(root, page="runs")
    assert "outside the runs root" in "\n".join(e.value for e in runs.error)
    assert set(runs.dataframe[0].value["run"]) == {"inside"}


def test_artifact_path_escaping_the_run_is_refused(app, tmp_path):
    root = tmp_path / "root"
    run = make_run(root, "r", n=200)
    (tmp_path / "secret.md").write_text("# TOP SECRET", encoding="utf-8")
    audit = json.loads((run / "audit.json").read_text())
    audit["artifacts"]["cards"]["markdown"] = "../../secret.md"
    (run / "audit.json").write_text(json.dumps(audit))
    at = app(root, page="card")
    assert not at.exception
    assert "outside the runs root" in "\n".join(e.value for e in at.error) or "outside" in "\n".join(e.value for e in at.error)
    assert "TOP SECRET" not in texts(at)


@pytest.mark.parametrize("rel", ["../x", "/etc/passwd", "", None, 3])
def test_run_file_refuses_paths_outside_the_run(tmp_path, rel):
    (tmp_path / "run").mkdir()
    with pytest.raises(RunDirError):
        run_file(tmp_path / "run", rel)


def test_run_file_refuses_a_link_out(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (tmp_path / "secret").write_text("s")
    (run / "card.md").symlink_to(tmp_path / "secret")
    with pytest.raises(RunDirError, match="outside"):
        run_file(run, "card.md")


def test_no_call_renders_raw_html():
    import ast
    from pathlib import Path

    import dashboard

    offenders = []
    for path in Path(dashboard.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                kw = {k.arg for k in node.keywords}
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if kw & {"unsafe_allow_html", "unsafe_allow_javascript"} or name in {"html", "iframe"}:
                    offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders
