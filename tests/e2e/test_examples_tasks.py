"""The three example configs of issue 18 (multiclass, regression, text) through the installed `rai-audit run`.

Each runs in a fresh process on its real data (bundled Adult occupations, scikit-learn's diabetes
data, UCI Farm Ads from the ``dmba`` package), exits 0 (gates pass) or 1 (a gate fails), leaves a
complete run directory, and writes an ``audit.json`` that validates against the published schema.
Slow (minutes): ``pytest -m "not slow"`` skips them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

def _command() -> list[str]:
    script = Path(sys.executable).with_name("rai-audit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "audit.cli"]


def _run_example(name: str, out: Path) -> tuple[subprocess.CompletedProcess, dict]:
    config = REPO / "examples" / name / "audit.toml"
    proc = subprocess.run([*_command(), "run", str(config), "--out", str(out), "--quiet"], cwd=REPO,
                          capture_output=True, text=True, timeout=1800)
    shown = f"\n--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}"
    assert proc.returncode in (0, 1), f"{name}: exit {proc.returncode}{shown}"
    assert "Traceback" not in proc.stdout + proc.stderr, shown
    from audit.records.rundir import is_complete_run, verify_run

    assert is_complete_run(out) and verify_run(out)["ok"], f"{name}: incomplete run directory{shown}"
    data = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert (proc.returncode == 0) == (data["verdict"] == "pass"), shown
    return proc, data


def _schema_errors(data: dict) -> list[str]:
    from reports._schema import load_schema, schema_problems

    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(load_schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)] + schema_problems(data)


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory):
    """Each example run once per session (they take minutes), keyed by name."""
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = _run_example(name, tmp_path_factory.mktemp("examples") / name)
        return cache[name]

    return get


@pytest.mark.parametrize(("name", "task"), [("multiclass", "multiclass-classification"), ("regression", "regression"),
                                            ("text", "text-classification")])
def test_example_runs_to_a_verdict(example_runs, name, task):
    if name == "text":
        pytest.importorskip("dmba")
    _, data = example_runs(name)
    from audit.result import AuditResult

    result = AuditResult.from_dict(data)
    assert result.task == task
    assert result.to_dict() == data
    assert all(g.outcome in ("pass", "fail", "inconclusive") for g in result.gates) and result.gates


@pytest.mark.parametrize("name", ["multiclass", "regression", "text"])
def test_example_audit_json_validates_against_the_schema(example_runs, name):
    if name == "text":
        pytest.importorskip("dmba")
    _, data = example_runs(name)
    assert _schema_errors(data) == []
