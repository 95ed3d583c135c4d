"""Non-members that repeat a training row are removed, counted and stated."""

from __future__ import annotations

import numpy as np
import torch

from audit.modeling import MLP
from audit.privacy._duplicates import duplicate_mask
from audit.privacy._membership_audit import membership_audit


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
    assert res["n_nonmembers"] == 260 and res["reference_models"]["skipped"] == "privacy.reference_models = 0"


def test_too_few_population_rows_skip_the_reference_attack_with_the_reason():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    torch.manual_seed(0)
    model = MLP(5, hidden=(4,))
    res = membership_audit({"m": model}, X_train=X[:200], y_train=y[:200], X_heldout=X[200:], y_heldout=y[200:],
                           trainers={"m": (lambda X, y, seed: model, "same")}, reference_models=4)["m"]
    assert res["reference_models"]["k"] == 0 and "at least 50 per model" in res["reference_models"]["skipped"]
    assert set(res["attacks"]) == {"loss_threshold", "score"}
