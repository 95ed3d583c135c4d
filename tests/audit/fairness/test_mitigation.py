"""Mitigation on Adult reduces the targeted disparity; the table is JSON with intervals."""

from __future__ import annotations

import json

import pytest

from audit.fairness import mitigation_report


def _row(rep, method):
    return next(r for r in rep["rows"] if r["method"] == method)


def test_threshold_optimizer_reduces_demographic_parity_on_adult(adult):
    tr, te = adult["train"], adult["test"]
    rep = mitigation_report(y_fit=tr["y01"], scores_fit=tr["score"], sensitive_fit=tr["df"]["sex"],
                            y_test=te["y01"], scores_test=te["score"], sensitive_test=te["df"]["sex"], n_boot=100)
    json.dumps(rep, allow_nan=False)
    before = _row(rep, "unmitigated")["metrics"]["demographic_parity_difference"]
    after = _row(rep, "threshold_optimizer")["metrics"]["demographic_parity_difference"]
    assert before["value"] > 0.1  # Adult's sex gap in selection rate
    assert after["value"] < before["value"] / 2
    assert after["ci"][0] <= after["value"] <= after["ci"][1]
    assert rep["target_disparity"] == "demographic_parity_difference"
    assert any("ExponentiatedGradient skipped" in n for n in rep["notes"])


def test_threshold_optimizer_equal_opportunity_on_adult(adult):
    tr, te = adult["train"], adult["test"]
    rep = mitigation_report(y_fit=tr["y01"], scores_fit=tr["score"], sensitive_fit=tr["df"]["sex"],
                            y_test=te["y01"], scores_test=te["score"], sensitive_test=te["df"]["sex"],
                            constraint="equal_opportunity", n_boot=0)
    before = _row(rep, "unmitigated")["metrics"]["equal_opportunity_difference"]["value"]
    after = _row(rep, "threshold_optimizer")["metrics"]["equal_opportunity_difference"]["value"]
    assert after < before


def test_exponentiated_gradient_reduces_demographic_parity_of_stand_in(adult):
    tr, te = adult["train"], adult["test"]
    n = 3000  # a subsample keeps the 50 reductions fits quick
    rep = mitigation_report(y_fit=tr["y01"][:n], scores_fit=tr["score"][:n], sensitive_fit=tr["df"]["sex"][:n],
                            y_test=te["y01"], scores_test=te["score"], sensitive_test=te["df"]["sex"],
                            X_fit=tr["X"][:n], X_test=te["X"], n_boot=0, eg_max_iter=20)
    base = _row(rep, "stand_in_unmitigated")["metrics"]["demographic_parity_difference"]["value"]
    eg = _row(rep, "exponentiated_gradient")["metrics"]["demographic_parity_difference"]["value"]
    assert eg < base / 2
    assert any("stand-in linear model" in n for n in rep["notes"])


def test_unknown_constraint_names_the_choices(adult):
    from audit.exceptions import ConfigError

    te = adult["test"]
    with pytest.raises(ConfigError, match="equal_opportunity"):
        mitigation_report(y_fit=te["y01"], scores_fit=te["score"], sensitive_fit=te["df"]["sex"],
                          y_test=te["y01"], scores_test=te["score"], sensitive_test=te["df"]["sex"], constraint="nope")


def test_mismatched_lengths_raise_data_error(adult):
    from audit.exceptions import DataError

    te = adult["test"]
    with pytest.raises(DataError, match="disagree in length"):
        mitigation_report(y_fit=te["y01"][:10], scores_fit=te["score"], sensitive_fit=te["df"]["sex"],
                          y_test=te["y01"], scores_test=te["score"], sensitive_test=te["df"]["sex"])
    with pytest.raises(DataError, match="together"):
        mitigation_report(y_fit=te["y01"], scores_fit=te["score"], sensitive_fit=te["df"]["sex"],
                          y_test=te["y01"], scores_test=te["score"], sensitive_test=te["df"]["sex"], X_fit=te["X"])
