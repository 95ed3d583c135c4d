"""Hand-made run directories for compare tests: a record and a predictions table, no training."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.result import AuditResult


def table(rng: np.random.Generator, n: int = 4000, *, drop_female_tpr: float = 0.0) -> pd.DataFrame:
    """Predictions of two models (reference, private) on n rows with sex and race."""
    sex = np.where(rng.random(n) < 0.35, "Female", "Male")
    race = np.where(rng.random(n) < 0.8, "White", "Black")
    y = (rng.random(n) < np.where(sex == "Female", 0.15, 0.3)).astype(int)
    frames = []
    for model in ("reference", "private"):
        score = 1 / (1 + np.exp(-(2.5 * (2 * y - 1) + rng.normal(0, 1.0, n) - 0.8)))
        pred = (score >= 0.5).astype(int)
        if model == "private" and drop_female_tpr:
            flip = (sex == "Female") & (y == 1) & (pred == 1) & (rng.random(n) < drop_female_tpr)
            pred[flip], score[flip] = 0, 0.4
        frames.append(pd.DataFrame({"model": model, "y_true": y, "y_pred": pred, "y_score": score, "sex": sex,
                                    "race": race}))
    return pd.concat(frames, ignore_index=True)


def record(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema_version": "2.0", "task": "binary-classification",
        "run": {"name": "r", "data_sha256": {"data.csv": "ab" * 32}},
        "data": {"target": "income", "positive_label": ">50K", "sensitive_features": ["sex", "race"],
                 "task": "binary"},
        "models": {}, "artifacts": {"predictions": "predictions.csv"},
        "gates": [{"name": "accuracy@private", "metric": "accuracy", "model": "private", "severity": "error",
                   "passed": True, "outcome": "pass", "message": "ok"}],
        "concerns": [{"kind": "four_fifths", "severity": "warning", "title": "The four-fifths rule fails", "model": "private"}],
    }
    for key, value in over.items():
        base[key] = {**base[key], **value} if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return base


def write_run(folder: Path, preds: pd.DataFrame, *, features: pd.DataFrame | None = None, **over: Any) -> Path:
    """A run directory with audit.json and predictions.csv (and the raw test features, when given)."""
    folder.mkdir(parents=True)
    if features is not None:
        from audit.slices import pack_features

        packed, columns = pack_features(features)
        (folder / "slices").mkdir()
        np.save(folder / "slices" / "test_features.npy", packed)
        over["slices"] = {"features": columns, "test_features": "slices/test_features.npy"}
    (folder / "audit.json").write_text(AuditResult.from_dict(record(**over)).to_json(), encoding="utf-8")
    preds.to_csv(folder / "predictions.csv", index=False)
    return folder
