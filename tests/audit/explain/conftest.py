"""Fixtures for the explain tests: a small Adult subsample and an MLP trained on it.

Training takes about a second; everything is seeded so the numbers the tests
check are stable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import torch

from audit.data import TabularPreprocessor
from audit.data.datasets import load_adult
from audit.models import MLP, binary_loss

N_TRAIN, N_TEST = 4000, 1500


@dataclass
class AdultSample:
    raw_train: pd.DataFrame
    raw_test: pd.DataFrame
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    feature_groups: dict[str, list[int]]
    model: torch.nn.Module

    @property
    def features(self) -> list[str]:
        return list(self.feature_groups)


def train_mlp(X: np.ndarray, y: np.ndarray, *, epochs: int = 8, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = MLP(X.shape[1], hidden=(32, 16))
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(epochs):
        perm = torch.randperm(len(X_t))
        for s in range(0, len(X_t), 256):
            i = perm[s : s + 256]
            opt.zero_grad()
            binary_loss(model(X_t[i]), y_t[i]).backward()
            opt.step()
    return model.eval()


@pytest.fixture(scope="session")
def adult() -> AdultSample:
    train, test = load_adult()
    rng = np.random.default_rng(0)
    train = train.iloc[np.sort(rng.choice(len(train), N_TRAIN, replace=False))].reset_index(drop=True)
    test = test.iloc[np.sort(rng.choice(len(test), N_TEST, replace=False))].reset_index(drop=True)
    features = [c for c in train.columns if c != "income"]
    pre = TabularPreprocessor().fit(train[features])
    X_train, X_test = pre.transform(train[features]), pre.transform(test[features])
    y_train = (train["income"] == ">50K").to_numpy().astype(np.int64)
    y_test = (test["income"] == ">50K").to_numpy().astype(np.int64)
    model = train_mlp(X_train, y_train)
    return AdultSample(train, test, X_train, X_test, y_train, y_test, pre.feature_names_, pre.feature_groups_, model)
