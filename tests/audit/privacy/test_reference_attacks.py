"""RMIA and LiRA (offline): stronger than the threshold attacks where a model memorises, within ε under DP."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from audit.models import MLP
from audit.privacy import DPSettings, train_with_settings
from audit.privacy._lowfpr import clopper_pearson
from audit.privacy._membership_audit import membership_audit
from audit.privacy._plain import train_non_private
from audit.privacy._reference_models import disjoint_splits, log_true_probability, logit_confidence, private_trainer


def _task(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(6 * n, 10)).astype(np.float32)
    y = ((X[:, 0] + 0.5 * X[:, 1]) > 0).astype(np.float32)
    flip = rng.random(len(y)) < 0.15  # hard rows: only memorisation fits them
    y[flip] = 1 - y[flip]
    return X, y


def _overfit(X, y, seed):
    torch.manual_seed(seed)
    return train_non_private(MLP(10, hidden=(128,)), X, y, epochs=100, batch_size=50, learning_rate=1e-2, seed=seed)


def test_reference_attacks_beat_the_threshold_attack_at_low_fpr_on_a_memorising_model():
    n = 500
    X, y = _task(n)
    target = _overfit(X[:n], y[:n], 100)
    res = membership_audit({"t": target}, X_train=X[:n], y_train=y[:n], X_heldout=X[n:], y_heldout=y[n:],
                           trainers={"t": (_overfit, "same trainer")}, reference_models=4, max_rows=n,
                           min_false_positives=5)["t"]
    a = res["attacks"]
    assert res["reference_models"]["k"] == 4 and res["reference_models"]["rows_per_model"] == [500] * 4
    assert res["reference_models"]["saved"] is False
    loss, rmia, lira = (a[k]["low_fpr"][0] for k in ("loss_threshold", "rmia", "lira"))
    # RMIA identifies members at 1% FPR beyond chance even with the threshold's uncertainty in its interval,
    # and finds more of them than the threshold attack (500 rows per side cannot make those intervals disjoint).
    assert rmia["tpr_ci"][0] > 0.01 and rmia["tpr"] > 2 * loss["tpr"]
    assert lira["tpr"] > loss["tpr"] and a["lira"]["auc"] > a["loss_threshold"]["auc"]
    assert all(a[k]["above_chance"] for k in ("loss_threshold", "rmia", "lira"))
    assert a["rmia"]["auc"] > a["loss_threshold"]["auc"] + 0.03


def test_reference_attack_under_dp_stays_within_what_epsilon_allows():
    n, eps = 1000, 1.0
    X, y = _task(n, seed=1)
    settings = DPSettings(epsilon=eps, epochs=5, batch_size=100, delta=1e-5)
    torch.manual_seed(0)
    target = train_with_settings(MLP(10, hidden=(32,)), X[:n], y[:n], settings=settings, seed=0).model
    trainer = private_trainer(lambda: MLP(10, hidden=(32,)), settings, n_target=n)
    res = membership_audit({"p": target}, X_train=X[:n], y_train=y[:n], X_heldout=X[n:], y_heldout=y[n:],
                           trainers={"p": (trainer, "dp")}, reference_models=2, max_rows=n, min_false_positives=5)["p"]
    for name in ("loss_threshold", "score", "rmia", "lira"):
        roc = res["attacks"][name]["roc"]
        n_non = res["n_nonmembers"]
        for lo_tpr, fp in zip(roc["tpr_lower"], roc["false_positives"], strict=True):
            fpr_hi = clopper_pearson(fp, n_non)[1]
            assert lo_tpr <= math.exp(eps) * fpr_hi + 1e-5, (name, lo_tpr, fp)


def test_private_trainer_keeps_the_audited_models_sample_rate():
    from audit.privacy._settings import steps_per_epoch

    settings = DPSettings(epsilon=2.0, epochs=1, batch_size=1024)
    seen = {}

    def fake(model, X, y, *, settings, seed, loss_fn):  # record what the trainer would use
        seen.update(batch=settings.batch_size, delta=settings.delta)
        raise StopIteration

    import audit.privacy._train as train_mod

    orig = train_mod.train_with_settings
    train_mod.train_with_settings = fake
    try:
        with pytest.raises(StopIteration):
            private_trainer(lambda: MLP(3), settings, n_target=32561)(np.zeros((4000, 3), np.float32), np.zeros(4000), 1)
    finally:
        train_mod.train_with_settings = orig
    assert steps_per_epoch(4000, seen["batch"])[1] == steps_per_epoch(32561, 1024)[1] == 32
    assert seen["delta"] == 1e-6


def test_splits_are_disjoint_and_cover_the_population():
    parts = disjoint_splits(1001, 4, seed=3)
    allrows = np.concatenate(parts)
    assert len(allrows) == len(set(allrows.tolist())) == 1001


def test_statistics_are_exact_from_logits():
    logits = np.array([40.0, -40.0, 0.5])
    y = np.array([1.0, 1.0, 0.0])
    assert logit_confidence(logits, y).tolist() == [40.0, -40.0, -0.5]
    assert log_true_probability(logits, y)[0] == pytest.approx(-math.exp(-40.0), rel=1e-9)  # no saturation at p = 1
    multi = np.array([[2.0, 0.0, 0.0]])
    assert logit_confidence(multi, np.array([0]))[0] == pytest.approx(2.0 - math.log(2.0))


@pytest.fixture(autouse=True)
def _one_thread():
    # Small MLPs train faster on one thread, and the machine may be shared.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
