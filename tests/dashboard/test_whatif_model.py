"""What-if's model rebuild on a real pipeline run: the rebuilt MLP reproduces predictions.csv exactly, its
Integrated Gradients are complete, and weights that do not fit the recorded architecture are refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import ModelError
from audit.result import AuditResult
from audit.slices import slice_mask, unpack_features
from dashboard._whatif import load_preprocessor, load_scorer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real(tiny_run):
    r = AuditResult.from_dict(json.loads((tiny_run / "audit.json").read_text()))
    pre = load_preprocessor(tiny_run, r.artifacts.preprocessor)
    X = unpack_features(np.load(tiny_run / r.slices.test_features), [c.to_dict() for c in r.slices.features])
    return tiny_run, r, pre, X


def test_rebuilt_models_reproduce_the_recorded_scores(real):
    path, r, pre, X = real
    preds = pd.read_csv(path / "predictions.csv")
    for model, rel in r.artifacts.weights.items():
        scorer = load_scorer(path, rel, n_features=len(pre.feature_names_), hidden=r.run.config["model"]["hidden"])
        recorded = preds.loc[preds["model"] == model, "y_score"].to_numpy()
        assert np.allclose(scorer.outputs(pre.transform(X[pre.columns_])), recorded, atol=1e-6)


def test_integrated_gradients_are_complete(real):
    import torch

    from audit.models import positive_logit

    path, r, pre, X = real
    scorer = load_scorer(path, r.artifacts.weights["reference"], n_features=len(pre.feature_names_), hidden=None)
    x = pre.transform(X[pre.columns_].head(1))
    zero = np.zeros_like(x)
    att = scorer.attribute(x, baseline=zero)[0]  # the audit's Integrated Gradients (its steps and rule)
    with torch.no_grad():
        gap = float(positive_logit(scorer.model(torch.as_tensor(x))) - positive_logit(scorer.model(torch.as_tensor(zero))))
    assert att.sum() == pytest.approx(gap, abs=0.02 * max(1.0, abs(gap)))


def test_weights_that_do_not_fit_the_recorded_architecture_are_refused(real):
    path, r, pre, X = real
    with pytest.raises(ModelError, match="built-in MLP"):
        load_scorer(path, r.artifacts.weights["reference"], n_features=len(pre.feature_names_), hidden=[3, 3])


def test_stored_features_match_the_recorded_slices(real):
    path, r, pre, X = real
    preds = pd.read_csv(path / "predictions.csv")
    part = preds[preds["model"] == "reference"].reset_index(drop=True)
    wrong = (part["y_true"] != part["y_pred"]).to_numpy()
    for s in r.slices.models["reference"].by_error_rate[:5]:
        m = slice_mask(X, [c.to_dict() for c in s.conditions])
        assert m.sum() == s.size and wrong[m].sum() == s.errors
