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


CLASSES = ["craft", "sales", "tech"]


def class_table(rng: np.random.Generator, n: int = 3000, *, noise: float = 0.6, drop_female_sales_recall: float = 0.0,
                training_seed: int | None = None) -> pd.DataFrame:
    """Predictions of two multiclass models (reference, private) on n rows with sex; ``noise`` sets how often
    a model errs at random. ``drop_female_sales_recall`` moves that share of women's right 'sales' to 'craft';
    ``training_seed`` draws the models' own errors apart from the rows (another training on the same rows)."""
    sex = np.where(rng.random(n) < 0.4, "Female", "Male")
    y = rng.choice(3, n, p=[0.4, 0.35, 0.25])
    rng = rng if training_seed is None else np.random.default_rng(training_seed)
    frames = []
    for model in ("reference", "private"):
        logits = 2.0 * np.eye(3)[y] + rng.normal(0, noise * 2, (n, 3))
        proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        pred = proba.argmax(axis=1)
        if model == "private" and drop_female_sales_recall:
            flip = (sex == "Female") & (y == 1) & (pred == 1) & (rng.random(n) < drop_female_sales_recall)
            pred[flip] = 0
        labels = np.asarray(CLASSES, dtype=object)
        frames.append(pd.DataFrame({"model": model, "y_true": labels[y], "y_pred": labels[pred],
                                    "y_score": proba[np.arange(n), pred], "sex": sex}))
    return pd.concat(frames, ignore_index=True)


def regression_table(rng: np.random.Generator, n: int = 1200, *, female_bias: float = 0.0) -> pd.DataFrame:
    """Predictions of two regression models on n rows with sex; ``female_bias`` adds that much to the private
    model's predictions for women (a planted regression of their MAE and mean error)."""
    sex = np.where(rng.random(n) < 0.45, "Female", "Male")
    y = rng.normal(150, 60, n)
    frames = []
    for model in ("reference", "private"):
        pred = y + rng.normal(0, 40, n)
        if model == "private":
            pred = pred + female_bias * (sex == "Female")
        frames.append(pd.DataFrame({"model": model, "y_true": y, "y_pred": pred, "y_score": pred, "sex": sex}))
    return pd.concat(frames, ignore_index=True)


def task_record(task: str) -> dict[str, Any]:
    """The record's overrides of a multiclass or regression run (``write_run(..., **task_record(task))``)."""
    data = {"target": "occupation" if task == "multiclass" else "progression", "positive_label": None,
            "sensitive_features": ["sex"], "task": task}
    if task == "multiclass":
        data["classes"] = CLASSES
    result_task = "multiclass-classification" if task == "multiclass" else "regression"
    return {"task": result_task, "data": data,
            "gates": [{"name": "mae@private", "metric": "mae", "model": "private", "severity": "error", "passed": True,
                       "outcome": "pass", "message": "ok"}]}
