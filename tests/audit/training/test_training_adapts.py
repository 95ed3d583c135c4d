"""Training that adapts to the table: automatic epochs, early stopping (reference and DP), class weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from audit.models import MLP, WeightedClassLoss, class_weights
from audit.privacy import DPSettings, train_with_settings
from audit.privacy._settings import epsilon_after
from audit.training import auto_epochs, ranking_criterion, train_reference


def _table(n: int = 1200, seed: int = 0, positives: float = 0.15):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)).astype(np.float32)
    logit = 1.5 * X[:, 0] - X[:, 1] + np.log(positives / (1 - positives))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return X, y


def test_auto_epochs_give_a_small_table_enough_steps():
    assert auto_epochs(1400, 256) * -(-1400 // 256) >= 1000  # the old default (10 epochs) took 60 steps
    assert auto_epochs(1_000_000, 256) == 10  # never fewer than 10


def test_early_stopping_keeps_the_best_epoch_of_the_reference_model():
    X, y = _table()
    X_fit, y_fit, X_val, y_val = X[:400], y[:400], X[800:], y[800:]
    criterion = ranking_criterion(X_val, y_val)
    model, info = train_reference(MLP(6, hidden=(64, 64)), X_fit, y_fit, epochs=200, batch_size=32, learning_rate=1e-2,
                                  seed=0, validation=criterion, patience=3)
    assert info["stopped_early"] and info["epochs_run"] < 200
    assert info["epochs_run"] - info["best_epoch"] == 3
    best = min(info["validation_history"])
    assert info["validation_history"][info["best_epoch"] - 1] == best
    assert criterion(model) == pytest.approx(best, abs=1e-12)  # the weights kept are the best epoch's


def test_dp_early_stopping_spends_the_epsilon_of_the_steps_taken_and_keeps_the_best_epoch():
    X, y = _table(3000)
    settings = DPSettings(epsilon=2.0, epochs=40, batch_size=300, accountant="rdp")
    criterion = ranking_criterion(X[2400:], y[2400:])
    res = train_with_settings(MLP(6, hidden=(8,)), X[:2400], y[:2400].astype(np.float32), settings=settings,
                              validation=criterion, patience=3)
    record = res.to_dict()
    assert record["stopped_early"] and record["epochs_run"] < 40
    assert record["steps"] == record["epochs_run"] * 8  # 2,400 rows at batch 300
    q = 300 / 2400
    spent = epsilon_after("rdp", ((res.noise_multiplier, q, record["steps"]),), res.delta)
    assert record["epsilon_spent"] == pytest.approx(spent, rel=1e-9) and spent < 2.0
    assert criterion(res.model) == pytest.approx(min(record["validation_history"]), abs=1e-12)


def test_a_resumed_dp_training_stops_where_the_uninterrupted_one_does(tmp_path):
    X, y = _table(2000, seed=3)
    settings = DPSettings(epsilon=2.0, epochs=30, batch_size=200, accountant="rdp")
    criterion = ranking_criterion(X[1600:], y[1600:])
    kw = dict(settings=settings, validation=criterion, patience=3, seed=5)

    def model():
        torch.manual_seed(0)  # the same initial weights for every run
        return MLP(6, hidden=(8,))

    whole = train_with_settings(model(), X[:1600], y[:1600].astype(np.float32), **kw)
    stopped = []

    def interrupt(epoch, total, info):
        if epoch == 2 and not stopped:
            stopped.append(epoch)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_with_settings(model(), X[:1600], y[:1600].astype(np.float32), checkpoint_dir=tmp_path,
                            progress=interrupt, **kw)
    resumed = train_with_settings(model(), X[:1600], y[:1600].astype(np.float32), checkpoint_dir=tmp_path, **kw)
    assert resumed.resumed_from_epoch == 2
    assert (resumed.best_epoch, resumed.epochs_run) == (whole.best_epoch, whole.epochs_run)
    for a, b in zip(whole.model.state_dict().values(), resumed.model.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


def test_class_weights_are_inverse_frequency_and_the_weighted_loss_is_a_row_mean():
    y = np.array([0] * 90 + [1] * 10)
    w = class_weights(y, "auto")
    assert w.tolist() == pytest.approx([100 / 180, 100 / 20]) and (w[y]).mean() == pytest.approx(1.0)
    assert class_weights(y, "none") is None and class_weights(np.array([0, 1] * 10), "auto") is None
    out = torch.tensor([[0.3], [-1.2], [2.0]])
    target = torch.tensor([0, 1, 1])
    per = torch.nn.functional.binary_cross_entropy_with_logits(out.reshape(-1), target.float(), reduction="none")
    loss = WeightedClassLoss(torch.tensor(w), binary=True)
    assert loss(out, target).item() == pytest.approx(float((per * torch.tensor(w, dtype=torch.float32)[target]).mean()))
    loss.reduction = "none"  # what Opacus's ghost clipping and the membership audit ask for
    assert loss(out, target).shape == (3,)


@pytest.mark.parametrize("mode", ["auto", "ghost", "hooks"])
def test_a_weighted_loss_trains_privately_in_every_clipping_mode(mode):
    X, y = _table(1000)
    loss = WeightedClassLoss(torch.tensor(class_weights(y, "balanced")), binary=True)
    res = train_with_settings(MLP(6, hidden=(8,)), X, y, settings=DPSettings(epsilon=2.0, epochs=2, batch_size=100,
                                                                          grad_sample_mode=mode, accountant="rdp"),
                              loss_fn=loss)
    assert res.epsilon_spent <= 2.0 and all(torch.isfinite(p).all() for p in res.model.parameters())
