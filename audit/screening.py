"""Data checks before encoding and training: what must not become a feature, and what the split hides.

- **Identifiers, raw dates and free text** among the features (found by
  :func:`~audit.privacy.identifier_scan`) are excluded before encoding, with the reason,
  or refused (``data.identifier_columns = "refuse"``); ``data.keep_columns`` accepts a
  flagged column on purpose. Encoded as categories, such a column becomes one feature
  per distinct value (a raw table with names and timestamps became 41,340 columns).
- **Encoded width**: more than ``data.max_encoded_features`` columns after one-hot
  encoding is refused before encoding, naming the widest columns.
- **Target leakage**: a single feature that predicts the target almost perfectly
  (ROC AUC ≥ ``data.leakage_auc`` on the training rows; categorical features by
  out-of-fold target rates) is refused, named with its score, unless listed in
  ``data.allow_leakage``. Post-outcome columns make accuracy meaningless.
- **Train/test duplicates**: test rows whose encoded features equal a training row's
  are counted; they inflate test accuracy and weaken the membership audit.

Examples
--------
>>> import numpy as np, pandas as pd
>>> frame = pd.DataFrame({"age": np.arange(100) % 50, "paid": np.arange(100) % 2})
>>> y = (np.arange(100) % 2).astype(np.int64)
>>> leaking_features(frame, y=y, features=["age", "paid"], threshold=0.95)
[{'column': 'paid', 'auc': 1.0}]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from audit.config import DEFAULT_LEAKAGE_AUC, DEFAULT_MAX_ENCODED_FEATURES
from audit.exceptions import DataError

__all__ = ["ScreeningPolicy", "Screening", "leaking_features", "screen_features", "train_test_duplicates", "width_problem"]

_REFUSED_IDENTIFIER = ("column {column!r} looks like {kind} ({reason}) and would be a feature. Fix: drop it "
                       "(data.drop_columns), or list it in data.keep_columns if it really is a feature.")
_LEAK = ("column {column!r} predicts the target almost perfectly on its own (ROC AUC {auc:.3f} ≥ data.leakage_auc = "
         "{threshold}): it is probably recorded after the outcome (target leakage), and every accuracy figure would be "
         "meaningless. Fix: drop it (data.drop_columns), or list it in data.allow_leakage if it is legitimately available "
         "at prediction time.")
_WIDTH = ("the features would encode into {width} columns, above data.max_encoded_features = {limit}: {widest}. "
          "High-cardinality text columns (identifiers, free text, raw dates, codes) make one column per distinct value. "
          "Fix: drop or bin those columns, or raise data.max_encoded_features.")
_SUMMARY = "The data cannot be used as features as given ({n} problem{s}); nothing was trained:\n{body}"


@dataclass(frozen=True)
class ScreeningPolicy:
    """What to do with what the screening finds (the ``[data]`` keys of the config)."""

    identifier_columns: str = "exclude"  # one of audit.choices.IDENTIFIER_POLICIES
    keep_columns: tuple[str, ...] = ()
    max_encoded_features: int = DEFAULT_MAX_ENCODED_FEATURES
    leakage_auc: float = DEFAULT_LEAKAGE_AUC
    allow_leakage: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, data: Any) -> ScreeningPolicy:
        """The policy a config's ``[data]`` section states."""
        return cls(identifier_columns=data.identifier_columns, keep_columns=tuple(data.keep_columns),
                   max_encoded_features=data.max_encoded_features, leakage_auc=data.leakage_auc,
                   allow_leakage=tuple(data.allow_leakage))


@dataclass
class Screening:
    """What the screening decided: the features kept and why the others were left out."""

    features: list[str]
    scan: list[dict[str, Any]] = field(default_factory=list)
    excluded: list[dict[str, Any]] = field(default_factory=list)
    leakage: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The record's ``data.screening`` section."""
        return {"excluded_columns": self.excluded, "leakage": self.leakage}


def _column_status(columns: list[str], *, target: str, features: list[str], dropped: list[str],
                   sensitive: list[str]) -> dict[str, str]:
    status = {c: "dropped" for c in dropped}
    status.update({c: "sensitive_feature" for c in sensitive if c not in features})
    status.update({c: "feature" for c in features})
    status[target] = "target"
    return {str(c): status.get(c, "not_used") for c in columns}


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    auc = float(roc_auc_score(y, score))
    return max(auc, 1.0 - auc)


def _out_of_fold_rates(column: pd.Series, y: np.ndarray, seed: int) -> np.ndarray:
    """Each row's category scored by the positive rate of that category in the other half of the rows."""
    keys = column.astype("string").fillna("<missing>").to_numpy()
    fold = np.random.default_rng(seed).random(len(keys)) < 0.5
    score = np.full(len(keys), float(y.mean()))
    for here in (fold, ~fold):
        rates = pd.Series(y[~here]).groupby(keys[~here]).mean()
        score[here] = pd.Series(keys[here]).map(rates).fillna(float(y[~here].mean())).to_numpy()
    return score


def leaking_features(frame: pd.DataFrame, *, y: np.ndarray, features: list[str], threshold: float,
                     seed: int = 0) -> list[dict[str, Any]]:
    """Features whose values alone reach ROC AUC ≥ ``threshold`` for the target, best first."""
    found = []
    for col in features:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            values = s.astype("float64")
            score = values.fillna(values.median() if values.notna().any() else 0.0).to_numpy()
        else:
            score = _out_of_fold_rates(s, y, seed)
        if np.ptp(score) == 0:
            continue
        auc = _auc(y, score)
        if auc >= threshold:
            found.append({"column": str(col), "auc": round(auc, 6)})
    return sorted(found, key=lambda f: -f["auc"])


def _identifier_decisions(scan: list[dict], policy: ScreeningPolicy, problems: list[str]) -> list[dict]:
    """The flagged feature columns to exclude; refusals go to ``problems``."""
    excluded = []
    for finding in scan:
        if finding.get("status") != "feature" or finding["column"] in policy.keep_columns:
            continue
        if policy.identifier_columns == "keep":
            continue
        if policy.identifier_columns == "refuse":
            problems.append(_REFUSED_IDENTIFIER.format(column=finding["column"], kind=finding["kind"].replace("_", " "),
                                                       reason=finding["reason"]))
            continue
        excluded.append({"column": finding["column"], "kind": finding["kind"], "reason": finding["reason"]})
        finding["status"] = "excluded"
    return excluded


def screen_features(
    train: pd.DataFrame, *, y: np.ndarray, target: str, features: list[str], dropped: list[str], sensitive: list[str],
    policy: ScreeningPolicy, seed: int = 0,
) -> Screening:
    """Decide which candidate feature columns the model may use; raise once with every refusal.

    Raises
    ------
    DataError
        Identifier columns under ``identifier_columns = "refuse"``, and leaking features.
    """
    from audit.privacy import identifier_scan

    status = _column_status(list(train.columns), target=target, features=features, dropped=dropped, sensitive=sensitive)
    scan = identifier_scan(train, status=status)
    problems: list[str] = []
    excluded = _identifier_decisions(scan, policy, problems)
    out = {e["column"] for e in excluded}
    kept = [c for c in features if c not in out]
    candidates = [c for c in kept if c not in policy.allow_leakage]
    leakage = leaking_features(train, y=y, features=candidates, threshold=policy.leakage_auc, seed=seed)
    problems += [_LEAK.format(column=f["column"], auc=f["auc"], threshold=policy.leakage_auc) for f in leakage]
    if problems:
        body = "\n".join(f"  - {p}" for p in problems)
        raise DataError(_SUMMARY.format(n=len(problems), s="" if len(problems) == 1 else "s", body=body), problems=problems)
    notes = [f"excluded {e['column']!r} from the features: {e['kind'].replace('_', ' ')} ({e['reason']})" for e in excluded]
    return Screening(features=kept, scan=scan, excluded=excluded, leakage=leakage, notes=notes)


def width_problem(categories: dict[str, int], n_numeric: int, *, limit: int) -> str | None:
    """The refusal when one-hot encoding would exceed ``limit`` columns, naming the widest columns.

    Examples
    --------
    >>> width_problem({"name": 5000, "sex": 2}, 3, limit=2000)[:60]
    'the features would encode into 5005 columns, above data.max_'
    """
    width = n_numeric + sum(categories.values())
    if width <= limit:
        return None
    widest = sorted(categories.items(), key=lambda kv: -kv[1])[:5]
    return _WIDTH.format(width=width, limit=limit, widest=", ".join(f"{c!r} ({k} categories)" for c, k in widest))


def train_test_duplicates(X_train: np.ndarray, X_test: np.ndarray) -> dict[str, Any]:
    """How many test rows have exactly the encoded features of some training row.

    Examples
    --------
    >>> train_test_duplicates(np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[0.0, 1.0], [2.0, 2.0]]))["test_rows"]
    1
    """
    seen = {row.tobytes() for row in np.ascontiguousarray(X_train, dtype=np.float32)}
    hits = sum(row.tobytes() in seen for row in np.ascontiguousarray(X_test, dtype=np.float32))
    n = len(X_test)
    return {"test_rows": int(hits), "n_test": int(n), "share": float(hits / n) if n else 0.0,
            "basis": "exact match of the encoded features (the model's inputs) with a training row"}
