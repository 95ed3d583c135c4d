"""Shared fixtures: Adult predictions from a simple logistic regression, and random many-group data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from audit.data.datasets import load_adult  # noqa: E402

SENSITIVE = ["sex", "race"]


def encode(df: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """One-hot categoricals and standardise numerics (fitted on the frame itself; tests only)."""
    X = df.drop(columns=["income"])
    num = X.select_dtypes("number")
    cat = X.drop(columns=num.columns).astype(object).fillna("<missing>")
    out = pd.concat([(num - num.mean()) / num.std(), pd.get_dummies(cat, dtype=float)], axis=1)
    return out if columns is None else out.reindex(columns=columns, fill_value=0.0)


@pytest.fixture(scope="session")
def adult():
    """Adult train (6000 rows) and test (6000 rows) with a logistic regression's labels and scores."""
    train, test = load_adult()
    train = train.sample(6000, random_state=0).reset_index(drop=True)
    test = test.sample(6000, random_state=1).reset_index(drop=True)
    Xtr = encode(train)
    Xte = encode(test, list(Xtr.columns))
    ytr = (train["income"] == ">50K").to_numpy(int)
    model = LogisticRegression(max_iter=2000).fit(Xtr.to_numpy(), ytr)
    out = {}
    for name, df, X in (("train", train, Xtr), ("test", test, Xte)):
        score = model.predict_proba(X.to_numpy())[:, 1]
        out[name] = {
            "df": df,
            "X": X.to_numpy(),
            "y_true": df["income"],  # strings '<=50K' / '>50K' (pyarrow-backed)
            "y01": (df["income"] == ">50K").to_numpy(int),
            "score": score,
            "y_pred": pd.Series(np.where(score >= 0.5, ">50K", "<=50K")),
            "p01": (score >= 0.5).astype(int),
            "sensitive": df[SENSITIVE],
        }
    return out


def random_groups(seed: int, n: int = 3000, n_groups: int = 12) -> dict:
    """Random labels/predictions over many groups, some with no actual or predicted positives."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, n_groups, n)
    h = rng.choice(["u", "v", "w"], n)
    base = rng.random(n_groups)
    base[:2] = 0.0  # groups 0, 1: no actual positives
    base[2] = 1.0  # group 2: no actual negatives
    y = (rng.random(n) < base[g]).astype(int)
    p = (rng.random(n) < rng.random(n_groups)[g]).astype(int)
    p[g == 3] = 0  # group 3: no predicted positives
    return {
        "y": y,
        "p": p,
        "score": rng.random(n),
        "sensitive": pd.DataFrame({"g": pd.Series([f"g{i:02d}" for i in g], dtype="string"), "h": h}),
    }
