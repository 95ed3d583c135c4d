"""Cohort metrics of a classifier with several classes, per model (a bug mypy found: the loop's count rebound the
task kind, so every model after the first failed with AttributeError)."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard._cohorts import task_cohort_metrics


def test_multiclass_cohort_metrics_cover_every_model():
    preds = pd.DataFrame({"model": ["reference"] * 4 + ["private"] * 4,
                          "y_true": ["a", "b", "c", "a"] * 2,
                          "y_pred": ["a", "b", "a", "a", "a", "a", "a", "a"]})
    frame = task_cohort_metrics(preds, kind="multiclass")
    assert frame["model"].tolist() == ["reference", "private"]
    assert frame["accuracy"].tolist() == pytest.approx([0.75, 0.5])
    assert frame["error rate"].tolist() == pytest.approx([0.25, 0.5])
