"""Membership inference, the one-run canary bound, the identifier scan and the utility curve."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import mannwhitneyu

from audit.models import MLP
from audit.privacy import (
    canary_audit,
    epsilon_lower_bound,
    identifier_scan,
    membership_inference,
    privacy_utility_curve,
    train_non_private,
)


# ---- epsilon_lower_bound: pure, against closed forms and the paper's monotonicity ----
def test_bound_for_all_correct_guesses_matches_the_closed_form():
    # delta=0, v=r: P[Bin(r, q) >= r] = q^r < 0.05  <=>  eps > logit(0.05 ** (1 / r))
    for r in (10, 100, 1000):
        q = 0.05 ** (1 / r)
        assert epsilon_lower_bound(m=2 * r, n_guesses=r, n_correct=r, delta=0.0) == pytest.approx(math.log(q / (1 - q)), rel=1e-6)


def test_bound_is_monotone_and_zero_at_chance():
    b = [epsilon_lower_bound(m=1000, n_guesses=200, n_correct=v, delta=1e-5) for v in range(100, 201, 10)]
    assert b[0] == 0.0 and all(x <= y for x, y in zip(b, b[1:], strict=False)) and b[-1] > 3
    more_delta = epsilon_lower_bound(m=1000, n_guesses=200, n_correct=180, delta=1e-3)
    assert more_delta < epsilon_lower_bound(m=1000, n_guesses=200, n_correct=180, delta=0.0)
    assert epsilon_lower_bound(m=1000, n_guesses=200, n_correct=180, delta=0, confidence=0.99) < epsilon_lower_bound(
        m=1000, n_guesses=200, n_correct=180, delta=0, confidence=0.9
    )


def test_bound_rejects_impossible_counts():
    from audit.exceptions import DataError

    with pytest.raises(DataError, match="n_correct <= n_guesses"):
        epsilon_lower_bound(m=10, n_guesses=5, n_correct=6, delta=0.0)


# ---- membership inference ----
def _memorising(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2 * n, 10)).astype(np.float32)
    y = rng.integers(0, 2, size=2 * n).astype(np.float32)  # random labels: only memorisation fits them
    torch.manual_seed(seed)
    model = train_non_private(MLP(10, hidden=(128, 128)), X[:n], y[:n], epochs=100, batch_size=100, learning_rate=1e-2)
    return model, X, y, n


def test_attack_finds_membership_in_a_memorising_model_and_matches_scipy():
    model, X, y, n = _memorising()
    res = membership_inference(model, X_members=X[:n], y_members=y[:n], X_nonmembers=X[n:], y_nonmembers=y[n:])
    lt = res["attacks"]["loss_threshold"]
    assert lt["auc"] > 0.75 and lt["advantage"] > 0.4
    # Cross-check AUC: Mann-Whitney U / (n1 n2) is the ROC AUC.
    from audit.privacy import per_example_loss

    lm, ln = per_example_loss(model, X[:n], y[:n]), per_example_loss(model, X[n:], y[n:])
    u = mannwhitneyu(-lm, -ln).statistic
    assert lt["auc"] == pytest.approx(u / (n * n), abs=1e-12)
    assert len(lt["roc"]["fpr"]) <= 200 and lt["roc"]["fpr"][0] == 0.0 and lt["roc"]["tpr"][-1] == 1.0
    # 200 non-members: 2 may pass a 1% threshold, 0 a 0.1% one: too few to report either TPR.
    assert lt["tpr_at_0.1pct_fpr"] is None and lt["tpr_at_1pct_fpr"] is None
    assert [p["false_positive_allowance"] for p in lt["low_fpr"]] == [2, 0]


def test_attack_is_at_chance_on_an_untrained_model():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4000, 5)).astype(np.float32)
    y = rng.integers(0, 2, 4000).astype(np.float32)
    res = membership_inference(MLP(5), X_members=X[:2000], y_members=y[:2000], X_nonmembers=X[2000:], y_nonmembers=y[2000:])
    assert abs(res["attacks"]["loss_threshold"]["auc"] - 0.5) < 0.05
    assert abs(res["attacks"]["score"]["auc"] - 0.5) < 0.05


# ---- canary audit validity (item 5) ----
@pytest.mark.slow
def test_canary_bound_is_well_above_zero_without_dp():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 10)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    res = canary_audit(lambda: MLP(10, hidden=(128, 128)), X, y, m=100, epsilon=None, epochs=100, batch_size=100,
                       learning_rate=1e-2)
    assert res["private"] is False and res["epsilon_accountant"] is None
    assert res["epsilon_lower_bound"] > 1.0
    assert res["n_correct"] <= res["n_guesses"] == res["k_plus"] + res["k_minus"]


@pytest.mark.slow
def test_canary_bound_never_exceeds_the_accountant_epsilon_under_dp():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 10)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    for eps in (1.0, 4.0):
        res = canary_audit(lambda: MLP(10, hidden=(32,)), X, y, m=200, epsilon=eps, epochs=10, batch_size=100,
                           accountant="rdp", learning_rate=5e-2)
        assert res["private"] is True
        assert 0 < res["epsilon_accountant"] <= eps
        assert res["epsilon_lower_bound"] <= res["epsilon_accountant"]


# ---- identifier scan ----
def test_scan_flags_identifiers_and_nothing_in_adult():
    from audit.data.datasets import load_adult

    train, _ = load_adult()
    assert identifier_scan(train) == []
    n = 50
    df = pd.DataFrame({
        "customer_id": range(n), "full_name": [f"P{i}" for i in range(n)], "contact": [f"a{i}@x.org" for i in range(n)],
        "phone": ["+1 555 0100"] * n, "date_of_birth": ["1990-01-01"] * n, "ticket": [f"T-{i:05d}" for i in range(n)],
        "valid": [True] * n, "age": [30 + i % 5 for i in range(n)],
    }).convert_dtypes(dtype_backend="pyarrow")
    kinds = {r["column"]: r["kind"] for r in identifier_scan(df)}
    assert kinds == {"customer_id": "record_number", "full_name": "name", "contact": "email", "phone": "phone",
                     "date_of_birth": "date_of_birth", "ticket": "record_number"}
    assert all(r["recommendation"] and r["reason"] for r in identifier_scan(df))


# ---- privacy-utility curve ----
@pytest.mark.slow
def test_curve_reports_accuracy_and_fairness_matching_fairlearn(adult_small):
    from fairlearn.metrics import MetricFrame, demographic_parity_difference
    from sklearn.metrics import accuracy_score

    from audit.models import predict_proba

    X, y, Xt, yt, sens = adult_small
    curve = privacy_utility_curve(model_factory=lambda: MLP(X.shape[1]), X_train=X, y_train=y, X_test=Xt, y_test=yt,
                                  sensitive_test=sens, epsilons=(2.0,), epochs=5, batch_size=256, accountant="rdp")
    assert [p["epsilon"] for p in curve] == [2.0, None]
    nonpriv = curve[-1]
    torch.manual_seed(0)
    model = train_non_private(MLP(X.shape[1]), X, y, epochs=5, batch_size=256)
    pred = (predict_proba(model, Xt) >= 0.5).astype(int)
    assert nonpriv["accuracy"] == pytest.approx(accuracy_score(yt, pred), abs=1e-12)
    mf = MetricFrame(metrics=accuracy_score, y_true=yt, y_pred=pred, sensitive_features=sens["sex"].astype(str))
    assert nonpriv["by_group_accuracy"]["sex"] == pytest.approx(mf.by_group.to_dict(), abs=1e-12)
    assert nonpriv["demographic_parity_difference"]["sex"] == pytest.approx(
        demographic_parity_difference(yt, pred, sensitive_features=sens["sex"].astype(str)), abs=1e-12)
    drop = curve[0]["accuracy_drop_by_group"]["race"]
    assert set(drop) == set(nonpriv["by_group_accuracy"]["race"])
