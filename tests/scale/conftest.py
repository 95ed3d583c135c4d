"""Shared data: predictions with a missing-value group, two sensitive features (an intersection), scores on a grid.

Scores are multiples of 1e-3, so the AUC histogram (bin width 1e-4) resolves every score and ROC AUC
on an engine is exact; ``approximate_scores`` are not on a grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

SENSITIVE = ["sex", "race"]
OPTIONS = {"n_boot": 200, "min_group_size": 30, "seed": 3}


def make_predictions(n: int = 6000, *, seed: int = 0, grid: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["F", "M", None], dtype=object), n, p=[0.45, 0.45, 0.10])
    race = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    y = rng.integers(0, 2, n)
    logit = 1.5 * (y - 0.5) + 0.4 * (sex == "M") - 0.3 * (race == "c") + rng.normal(0, 1, n)
    score = 1 / (1 + np.exp(-logit))
    if grid:
        score = np.round(score, 3)
    return pd.DataFrame({"sex": sex, "race": race, "y_true": y, "y_pred": (score >= 0.5).astype(int),
                         "y_score": score, "model": "reference"})


@pytest.fixture(scope="session")
def predictions() -> pd.DataFrame:
    return make_predictions()


@pytest.fixture(scope="session")
def parquet_folder(predictions, tmp_path_factory) -> str:
    """The predictions as a folder of 4 Parquet files (partitions of unequal size)."""
    folder = tmp_path_factory.mktemp("preds") / "preds"
    folder.mkdir()
    bounds = [0, 700, 2500, 4100, len(predictions)]
    for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
        predictions.iloc[a:b].to_parquet(folder / f"part-{i}.parquet", index=False)
    return str(folder)


def flatten(obj, path: str = ""):
    """(path, leaf) pairs of a JSON-like object."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from flatten(v, f"{path}/{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from flatten(v, f"{path}[{i}]")
    else:
        yield path, obj


def differences(a: dict, b: dict, *, tol: float = 1e-9) -> list[str]:
    """Where two reports differ: keys present in one only, or leaves further apart than ``tol``."""
    fa, fb = dict(flatten(a)), dict(flatten(b))
    out = [f"only in one: {k}" for k in sorted(set(fa) ^ set(fb))]
    for k in fa.keys() & fb.keys():
        x, y = fa[k], fb[k]
        if isinstance(x, float) and isinstance(y, float):
            if not abs(x - y) <= tol:
                out.append(f"{k}: {x!r} != {y!r}")
        elif x != y or type(x) is not type(y):
            out.append(f"{k}: {x!r} != {y!r}")
    return sorted(out)


def in_memory(frame: pd.DataFrame, **options) -> dict:
    from audit.fairness import fairness_report

    return fairness_report(y_true=frame["y_true"], y_pred=frame["y_pred"], y_score=frame["y_score"],
                           sensitive=frame[SENSITIVE], **{**OPTIONS, **options})


def without_counting(report: dict) -> dict:
    """The report less the note on how ROC AUC was counted (the one key the engine path adds)."""
    report["ci"]["score_metrics"].pop("roc_auc_counting")
    return report
