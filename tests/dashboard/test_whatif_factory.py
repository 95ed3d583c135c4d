"""What-if rebuilds a factory model only when whoever started the dashboard trusted that factory (issue 25, item 10).

A run names its factory (``[model] kind = "factory"``); importing it runs the user's code, so a run alone must never
cause it. ``rai-audit dashboard --trust-factory module:function`` is the confirmation (as ``score --factory`` asks);
then What-if scores edited rows with the factory's model and the run's verified weights, as it does the built-in MLP.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from audit.records.rundir import RunDirWriter
from dashboard.launch import build_command
from tests.dashboard._synthetic import make_run
from tests.dashboard.conftest import texts

_FACTORY = '''
from audit.models import MLP


def build(n_features):
    return MLP(n_features, hidden=(8,))
'''


def make_factory_run(folder: Path) -> Path:
    """``folder/runs/factory``: a sealed binary run whose model came from ``trusted_mod:build``, and
    ``folder/trusted_mod.py`` (importable from ``folder``); returns the runs root."""
    src = make_run(folder / "src", "factory", n=300)
    data = json.loads((src / "audit.json").read_text())
    data["run"]["config"]["model"] = {"kind": "factory", "factory": "trusted_mod:build"}
    root = folder / "runs"
    with RunDirWriter(root / "factory") as w:
        for f in src.rglob("*"):
            if f.is_file() and f.name not in {"manifest.json", "audit.json"}:
                (w.path / f.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, w.path / f.relative_to(src))
        w.write_json("audit.json", data)
    (folder / "trusted_mod.py").write_text(_FACTORY)
    return root


@pytest.fixture
def factory_root(tmp_path, monkeypatch):
    """The runs root of :func:`make_factory_run`, with the working folder where ``trusted_mod`` imports from."""
    root = make_factory_run(tmp_path)
    monkeypatch.chdir(tmp_path)
    yield root
    sys.modules.pop("trusted_mod", None)


def _scores_shown(at) -> bool:
    return any("original" in " ".join(map(str, df.value.columns)) for df in at.dataframe)


def test_an_untrusted_factory_is_never_imported(app, factory_root, monkeypatch):
    monkeypatch.setenv("RAI_AUDIT_TRUST_FACTORIES", "other_mod:build")  # trusting another factory trusts not this one
    at = app(factory_root, run="factory", page="whatif")
    assert not at.exception
    assert "--trust-factory trusted_mod:build" in texts(at) and not _scores_shown(at)
    assert "trusted_mod" not in sys.modules


def test_a_trusted_factory_model_scores_edited_rows(app, factory_root, monkeypatch):
    monkeypatch.setenv("RAI_AUDIT_TRUST_FACTORIES", "trusted_mod:build")
    at = app(factory_root, run="factory", page="whatif")
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert _scores_shown(at)
    assert "trusted_mod" in sys.modules
    scores = next(df.value for df in at.dataframe if "original" in " ".join(map(str, df.value.columns)))
    column = next(c for c in scores.columns if str(c).startswith("original"))
    assert np.isfinite(scores[column].astype(float)).all()


def test_the_launcher_passes_trusted_factories_to_the_server_and_refuses_a_malformed_one(tmp_path):
    from audit.exceptions import ConfigError

    cmd = build_command(tmp_path, trust_factories=["trusted_mod:build", "pkg.models:make"])
    tail = cmd[cmd.index("--"):]
    assert tail.count("--trust-factory") == 2 and "pkg.models:make" in tail
    with pytest.raises(ConfigError, match="module:function"):
        build_command(tmp_path, trust_factories=["not a factory; rm -rf /"])
