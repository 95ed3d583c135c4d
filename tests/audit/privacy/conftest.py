"""Shared fixtures: small encoded Adult samples and a synthetic task."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch


def encode_adult(n_train: int | None = None, n_test: int | None = None, seed: int = 0):
    """One-hot categoricals and standardised numerics, fitted on the training split only."""
    from audit.data.datasets import load_adult

    train, test = load_adult()
    if n_train:
        train = train.sample(n=n_train, random_state=seed)
    if n_test:
        test = test.sample(n=n_test, random_state=seed)
    y_tr = (train.pop("income") == ">50K").to_numpy(np.float32)
    y_te = (test.pop("income") == ">50K").to_numpy(np.float32)
    sensitive = test[["sex", "race"]].reset_index(drop=True)
    num = [c for c in train.columns if pd.api.types.is_numeric_dtype(train[c])]
    cat = [c for c in train.columns if c not in num]
    mu, sd = train[num].astype(float).mean(), train[num].astype(float).std()

    def enc(df):
        n = ((df[num].astype(float) - mu) / sd).fillna(0.0)
        c = pd.get_dummies(df[cat].astype(object).fillna("<missing>"), dtype=np.float32)
        return n, c

    n_tr, c_tr = enc(train)
    n_te, c_te = enc(test)
    c_te = c_te.reindex(columns=c_tr.columns, fill_value=0.0)
    X_tr = np.hstack([n_tr.to_numpy(np.float32), c_tr.to_numpy(np.float32)])
    X_te = np.hstack([n_te.to_numpy(np.float32), c_te.to_numpy(np.float32)])
    return X_tr, y_tr, X_te, y_te, sensitive


@pytest.fixture(scope="session")
def adult_small():
    return encode_adult(n_train=4000, n_test=2000)


@pytest.fixture()
def synthetic():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.float32)
    return X, y


@pytest.fixture(autouse=True)
def _quiet_and_seeded():
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
