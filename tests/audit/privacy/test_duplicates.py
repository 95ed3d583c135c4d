"""Members and non-members are selected alike (vectors unique in the table); copies are counted and stated."""

from __future__ import annotations

import numpy as np
import torch

from audit.models import MLP
from audit.privacy._duplicates import duplicate_mask, table_unique_mask
from audit.privacy._membership_audit import MIN_ROWS_PER_SIDE, membership_audit


def test_exact_and_near_duplicates_are_found_and_counted():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(100, 4)).astype(np.float32)
    held = rng.normal(size=(50, 4)).astype(np.float32)
    held[:7] = train[:7]
    held[7:10] = train[10:13] + 1e-5
    held[10] = -0.0 * held[10] + train[20] * 1.0
    d = duplicate_mask(train, held)
    assert d["n_exact"] == 8 and d["n_near"] == 3
    assert not (d["exact"] & d["near"]).any() and d["keep"].sum() == 50 - 11
    assert duplicate_mask(train, held, near_decimals=None)["n_near"] == 0


def test_membership_audit_attacks_only_clean_nonmembers_and_says_how_many_it_removed():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    X_held, y_held = X[300:].copy(), y[300:].copy()
    X_held[:40] = X[:40]  # 40 "non-members" that are training rows
    torch.manual_seed(0)
    res = membership_audit({"m": MLP(5, hidden=(4,))}, X_train=X[:300], y_train=y[:300], X_heldout=X_held,
                           y_heldout=y_held, reference_models=0)["m"]
    c = res["nonmember_cleaning"]
    assert c["exact_duplicates_removed"] == 40 and c["clean_heldout_rows"] == 260
    assert c["clean_train_rows"] == 260  # the 40 training rows with a copy held out are not attacked either
    assert res["n_nonmembers"] == res["n_members"] == 260
    assert res["reference_models"]["skipped"] == "privacy.reference_models = 0" and res["inconclusive_reason"] is None


def test_too_few_population_rows_skip_the_reference_attack_with_the_reason():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(550, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    torch.manual_seed(0)
    model = MLP(5, hidden=(4,))
    res = membership_audit({"m": model}, X_train=X[:300], y_train=y[:300], X_heldout=X[300:], y_heldout=y[300:],
                           trainers={"m": (lambda X, y, seed: model, "same")}, reference_models=4)["m"]
    assert res["n_nonmembers"] == 125 and res["nonmember_cleaning"]["population_rows"] == 125
    assert res["reference_models"]["k"] == 0 and "at least 50 per model" in res["reference_models"]["skipped"]
    assert set(res["attacks"]) == {"loss_threshold", "score"}


def _coarse_table(n: int, seed: int):
    """A table of 3 coarse categorical features (most rows share their vector) whose label rate depends on rarity."""
    rng = np.random.default_rng(seed)
    codes = np.stack([rng.zipf(1.6, n) % 12, rng.zipf(1.6, n) % 9, rng.integers(0, 40, n) * (rng.random(n) < 0.3)], 1)
    X = np.concatenate([np.eye(12)[codes[:, 0]], np.eye(9)[codes[:, 1]], np.eye(40)[codes[:, 2]]], 1).astype(np.float32)
    rare = (codes[:, 2] > 0) | (codes[:, 0] > 3)
    y = (rng.random(n) < np.where(rare, 0.7, 0.2)).astype(np.float32)
    return X, y


class _Constant(torch.nn.Module):
    """A model that predicts one class for every row: no membership effect at all."""

    def forward(self, x):
        return torch.full((len(x), 1), -1.0)


def test_members_and_nonmembers_are_selected_alike_so_a_constant_model_is_not_a_leak():
    X, y = _coarse_table(5000, 0)
    u = table_unique_mask(X[:3500], X[3500:])
    assert u["duplicated_share"] > 0.5
    # The old selection (non-members cleaned, members not) pits rare non-members against common members:
    old_non = duplicate_mask(X[:3500], X[3500:])["keep"]
    from audit.privacy._membership import membership_inference

    old = membership_inference(_Constant(), X_members=X[:1000], y_members=y[:1000], X_nonmembers=X[3500:][old_non],
                               y_nonmembers=y[3500:][old_non])["attacks"]["loss_threshold"]
    assert abs(old["auc"] - 0.5) > 0.1  # "rare vs common", not membership
    res = membership_audit({"c": _Constant()}, X_train=X[:3500], y_train=y[:3500], X_heldout=X[3500:],
                           y_heldout=y[3500:], reference_models=0)["c"]
    c = res["nonmember_cleaning"]
    assert res["n_members"] == res["n_nonmembers"] == min(c["clean_train_rows"], c["clean_heldout_rows"])
    assert c["duplicated_share"] == round(u["duplicated_share"], 6) and c["population_overlap"] == 0
    assert all(not a["above_chance"] for a in res["attacks"].values())
    assert abs(res["attacks"]["loss_threshold"]["auc"] - 0.5) < 0.1


def test_too_few_unique_rows_make_the_attack_inconclusive_and_say_why():
    X, y = _coarse_table(800, 1)
    res = membership_audit({"c": _Constant()}, X_train=X[:560], y_train=y[:560], X_heldout=X[560:], y_heldout=y[560:],
                           reference_models=0)["c"]
    assert res["n_members"] < MIN_ROWS_PER_SIDE
    assert "inconclusive" in res["inconclusive_reason"] and "allow_inconclusive" in res["inconclusive_reason"]


def test_the_reference_population_never_holds_a_copy_of_an_attacked_row():
    X, y = _coarse_table(3000, 2)
    model = _Constant()
    res = membership_audit({"c": model}, X_train=X[:1500], y_train=y[:1500], X_heldout=X[1500:], y_heldout=y[1500:],
                           trainers={"c": (lambda X, y, seed: model, "same")}, reference_models=2)["c"]
    c = res["nonmember_cleaning"]
    assert res["reference_models"]["k"] == 2 and c["population_overlap"] == 0
    assert c["population_rows"] == 1500 - res["n_nonmembers"]  # every other held-out row, duplicates included
