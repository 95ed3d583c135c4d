"""Reference ("shadow") models for the membership attacks that calibrate per example (RMIA, LiRA).

An attack with reference models asks "is the target model more confident on *this* row than
models that never saw it?", instead of "is it confident?". The reference models must be
trained as the audited model was, or the comparison measures the trainer, not membership:

- the **same trainer and settings** (a ``train_fn(X, y, seed) -> model`` the caller builds from
  the audited model's own trainer: :func:`private_trainer` for a DP model, with the audit's
  :class:`~audit.privacy.DPSettings`; the pipeline's reference trainer for a non-private one);
- on **population rows that are not members** of the audited model, split into ``k``
  **disjoint** parts, one per reference model, and disjoint from the rows attacked, so every
  attacked row is "out" for every reference model (the offline attacks).

These models exist only in memory during the audit: they are never saved.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from audit.exceptions import DataError
from audit.models import binary_loss

__all__ = ["TrainFn", "disjoint_splits", "logit_confidence", "log_true_probability", "model_logits",
           "private_trainer", "train_reference_models"]

#: ``train_fn(X, y, seed)`` trains a fresh model as the audited model was trained and returns it.
TrainFn = Callable[[np.ndarray, np.ndarray, int], nn.Module]

_SPLIT = ("reference models need at least {need} population rows ({k} model(s) x {per} rows); found {n}. Fix: use "
          "fewer reference models (privacy.reference_models) or more held-out rows.")
MIN_ROWS_PER_REFERENCE = 50


def disjoint_splits(n: int, k: int, *, seed: int) -> list[np.ndarray]:
    """``k`` disjoint, near-equal random subsets of ``range(n)`` (every row in exactly one).

    Examples
    --------
    >>> parts = disjoint_splits(10, 3, seed=0)
    >>> sorted(np.concatenate(parts).tolist()) == list(range(10)), [len(p) for p in parts]
    (True, [4, 3, 3])
    """
    if not 1 <= k <= n:
        raise DataError(_SPLIT.format(need=max(k, 1), k=k, per=1, n=n))
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.array_split(order, k)]


def train_reference_models(train_fn: TrainFn, X_population: Any, y_population: Any, *, k: int, seed: int,
                           progress: Callable[[str], None] | None = None) -> tuple[list[nn.Module], dict]:
    """Train ``k`` reference models, each on its own disjoint part of the population rows.

    Returns the models and what to record: ``k``, rows per model, seconds per model.
    """
    X_population, y_population = np.asarray(X_population), np.asarray(y_population)
    n = len(X_population)
    if n < k * MIN_ROWS_PER_REFERENCE:
        raise DataError(_SPLIT.format(need=k * MIN_ROWS_PER_REFERENCE, k=k, per=MIN_ROWS_PER_REFERENCE, n=n))
    models, seconds = [], []
    splits = disjoint_splits(n, k, seed=seed)
    for i, rows in enumerate(splits):
        t0 = time.perf_counter()
        models.append(train_fn(X_population[rows], y_population[rows], int(seed) + 1 + i).eval())
        seconds.append(time.perf_counter() - t0)
        if progress is not None:
            progress(f"reference model {i + 1}/{k}: {len(rows)} population rows, {seconds[-1]:.1f}s")
    return models, {"k": int(k), "rows_per_model": [len(r) for r in splits], "population_rows": int(n),
                    "seconds_per_model": [round(s, 3) for s in seconds], "saved": False}


def private_trainer(model_factory: Callable[[], nn.Module], settings: Any, *, n_target: int,
                    loss_fn: Callable = binary_loss) -> TrainFn:
    """A ``train_fn`` that trains with DP-SGD at the audit's settings, as the private model was.

    The settings are the audit's :class:`~audit.privacy.DPSettings` with two adaptations to the
    smaller reference split: the batch size is scaled so that the steps per epoch, hence the
    sample rate q = 1/ceil(n/B) and the noise multiplier, are those of the audited model; and
    δ stays the audited model's (or the default rule for the split, if that δ is not below
    1/n of the split). Randomness is seeded (the models are never released).
    """
    from audit.privacy._settings import default_delta, steps_per_epoch
    from audit.privacy._train import train_with_settings

    _, n_batches = steps_per_epoch(int(n_target), int(settings.batch_size))
    target_delta = settings.delta if settings.delta is not None else default_delta(int(n_target))

    def train(X: np.ndarray, y: np.ndarray, seed: int) -> nn.Module:
        n = len(X)
        delta = target_delta if target_delta < 1.0 / n else default_delta(n)
        scaled = dataclasses.replace(settings, batch_size=max(1, math.ceil(n / n_batches)), delta=delta,
                                     secure_rng=False)
        torch.manual_seed(seed)
        return train_with_settings(model_factory(), X, y, settings=scaled, seed=seed, loss_fn=loss_fn).model

    return train


@torch.no_grad()
def model_logits(model: nn.Module, X: Any, batch_size: int = 8192) -> np.ndarray:
    """The model's raw outputs in float64: shape (n,) for one logit, (n, classes) otherwise."""
    X_t = X if torch.is_tensor(X) else torch.as_tensor(np.asarray(X, dtype=np.float32))
    was_training = model.training
    model.eval()
    parts = [model(X_t[i : i + batch_size]).double() for i in range(0, len(X_t), batch_size)]
    model.train(was_training)
    out = torch.cat(parts) if parts else torch.zeros(0, dtype=torch.float64)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    return out.numpy()


def _margin(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if logits.ndim == 1:  # binary: one logit for the positive class
        return np.where(y.reshape(-1) > 0.5, logits, -logits)
    yi = y.reshape(-1).astype(np.int64)
    true = logits[np.arange(len(yi)), yi]
    others = logits.copy()
    others[np.arange(len(yi)), yi] = -np.inf
    rest = np.max(others, axis=1)
    rest = rest + np.log(np.sum(np.exp(others - rest[:, None]), axis=1))
    return true - rest


def logit_confidence(logits: np.ndarray, y: Any) -> np.ndarray:
    """log(p_y / (1 - p_y)) of the true label, exactly, from the logits (LiRA's statistic).

    For one logit it is the logit signed by the label; for several, z_y - logsumexp_{j != y} z_j.

    Examples
    --------
    >>> logit_confidence(np.array([2.0, 2.0]), np.array([1, 0])).tolist()
    [2.0, -2.0]
    """
    return _margin(np.asarray(logits, dtype=np.float64), np.asarray(y))


def log_true_probability(logits: np.ndarray, y: Any) -> np.ndarray:
    """log p_y, the log-probability of the true label, in float64 (log p = -softplus(-margin))."""
    margin = logit_confidence(logits, y)
    return -np.logaddexp(0.0, -margin)
