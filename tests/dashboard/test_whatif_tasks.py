"""What-if on every task of the built-in models (multiclass class probabilities, regression predictions in target
units), with the run's explanation baseline (the same attributions as the Explainability page for the same row),
feasibility from the data, the counterfactual search and the sensitive-value flip test. The runs come from the real
pipeline on tiny configs with every test row explained."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.result import AuditResult
from dashboard._whatif import attributions_by_feature, explanation_baseline, load_preprocessor, scorer_for
from tests.dashboard.conftest import texts
from tests.dashboard.test_task_pages import MULTICLASS, REGRESSION, _multiclass_csv, _ok

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def all_rows_root(tmp_path_factory) -> Path:
    """Multiclass and regression runs whose explanation covers every test row (explain max_rows unset)."""
    from audit.config import load_config
    from audit.pipeline.runner import run_audit

    work, root = tmp_path_factory.mktemp("wi-configs"), tmp_path_factory.mktemp("wi-runs")
    _multiclass_csv(work / "kinds.csv", n=400)
    for name, text in (("multiclass", MULTICLASS.format(csv=work / "kinds.csv")), ("regression", REGRESSION)):
        config = work / f"{name}.toml"
        config.write_text(text.replace("max_rows = 40\n", ""), encoding="utf-8")
        run_audit(load_config(config), out=root / name)
    return root


def _run(root: Path, name: str):
    path = root / name
    r = AuditResult.from_dict(json.loads((path / "audit.json").read_text()))
    from audit.slices import unpack_features

    X = unpack_features(np.load(path / r.slices.test_features), [c.to_dict() for c in r.slices.features])
    return path, r, load_preprocessor(path, r.artifacts.preprocessor), X


@pytest.mark.parametrize("name", ["multiclass", "regression"])
def test_rebuilt_models_reproduce_the_recorded_predictions(all_rows_root, name):
    path, r, pre, X = _run(all_rows_root, name)
    preds = pd.read_csv(path / "predictions.csv")
    for model in r.artifacts.weights:
        scorer = scorer_for(r, path, model, pre=pre)
        part = preds[preds["model"] == model]
        out = scorer.outputs(pre.transform(X[pre.columns_]))
        if name == "multiclass":
            assert scorer.decisions(out) == part["y_pred"].astype(str).tolist()
            assert np.allclose(out.max(axis=1), part["y_score"], atol=1e-5)
        else:
            assert np.allclose(out, part["y_pred"], rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("name", ["multiclass", "regression"])
def test_the_same_row_gets_the_explainability_pages_attributions(all_rows_root, name):
    path, r, pre, X = _run(all_rows_root, name)
    for model, ex in r.explainability.items():
        assert ex.test_rows == "all" and "baseline" in ex.artifacts
        baseline, note = explanation_baseline(r, path, model, pre=pre, rows=X[pre.columns_])
        assert note is None
        stored = np.load(path / ex.artifacts["attributions"])
        scorer = scorer_for(r, path, model, pre=pre)
        k = scorer.classes.index(str(ex.explained_class)) if ex.explained_class is not None else None
        for e in ex.examples:
            enc = scorer.attribute(pre.transform(X[pre.columns_].iloc[[e.row]]), baseline=baseline, method=ex.method, k=k)
            mine = attributions_by_feature(pre, enc).set_index("feature")["attribution"]
            assert np.allclose(mine[list(ex.features)].to_numpy(), stored[e.row], atol=1e-4), (model, e.row)
            for c in e.contributions:
                assert mine[c.feature] == pytest.approx(c.attribution, abs=1e-4)


@pytest.mark.parametrize("name", ["multiclass", "regression"])
def test_whatif_page_works_on_every_task(app, all_rows_root, name):
    at = app(all_rows_root, run=name, page="whatif")
    _ok(at)
    what = "P(predicted class)" if name == "multiclass" else "prediction (target units)"
    assert f"original {what}" in at.dataframe[0].value.columns
    shown = texts(at)
    assert "Sensitive-value flip test" in shown and "with the run's explanation settings" in shown
    assert "does not store its explanation baseline" not in shown


def test_multiclass_counterfactual_reaches_the_chosen_class(app, all_rows_root):
    at = app(all_rows_root, run="multiclass", page="whatif")
    target = at.selectbox(key="wi_cf_class").options[0]
    at.selectbox(key="wi_cf_class").set_value(target)
    at.toggle(key="wi_cf_run").set_value(True).run()
    _ok(at)
    assert f"Reaches class {target}" in texts(at) or f"reaches class {target}" in texts(at)
