"""Data checks before encoding and training: what must not become a feature, and what the split hides.

- **Identifiers, raw dates and free text** among the features (found by
  :func:`~audit.data.identifier_scan`) are excluded before encoding, with the reason,
  or refused (``data.identifier_columns = "refuse"``); ``data.keep_columns`` accepts a
  flagged column on purpose. Encoded as categories, such a column becomes one feature
  per distinct value (a raw table with names and timestamps became 41,340 columns).
- **Encoded width**: more than ``data.max_encoded_features`` columns after one-hot
  encoding is refused before encoding, naming the widest columns.
- **Target leakage**: a single feature that predicts the target almost perfectly
  (ROC AUC ≥ ``data.leakage_auc`` on the training rows; categorical features by
  out-of-fold target rates) is refused, named with its score, unless listed in
  ``data.allow_leakage``. Post-outcome columns make accuracy meaningless.
- **Train/test duplicates**, two different things told apart (:func:`train_test_duplicates`):
  *exact duplicate records*, test rows equal to a training row in every column of the table
  (including columns the model does not read): possibly one record entered twice
  (``data.drop_duplicate_records`` drops them before the split); and *shared feature vectors*,
  test rows whose encoded features equal a training row's. The features are **coarse** when a
  row shares its encoded vector with at least :data:`COARSE_ROWS_PER_VECTOR` (2) rows on average
  (training and test rows together, the row itself included): then different people share vectors
  as a matter of course, new people will too, and test accuracy is not flattered by it. Either
  way the membership audit attacks only rows whose vector is unique in the table.

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

from audit.config import DEFAULT_LEAKAGE_AUC, DEFAULT_MAX_ENCODED_FEATURES, DataSection
from audit.exceptions import DataError

__all__ = ["COARSE_ROWS_PER_VECTOR", "ScreeningPolicy", "Screening", "leaking_features", "screen_features",
           "train_test_duplicates", "width_problem"]

#: Features are coarse when a row shares its encoded feature vector with at least this many rows on average
#: (the row itself included; training and test rows together): a typical row then has a twin with the same inputs.
COARSE_ROWS_PER_VECTOR = 2.0

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
    def from_config(cls, data: DataSection) -> ScreeningPolicy:
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
    status = dict.fromkeys(dropped, "dropped")
    status.update({c: "sensitive_feature" for c in sensitive if c not in features})
    status.update(dict.fromkeys(features, "feature"))
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


def _identifier_decisions(scan: list[dict[str, Any]], policy: ScreeningPolicy, problems: list[str]) -> list[dict[str, Any]]:
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
    from audit.data._identifiers import identifier_scan

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


def _as_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The values as text, numbers as floats first (a file's 3 equals another's 3.0); missing as one marker."""
    def text(s: pd.Series) -> pd.Series:
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        return (s.astype("float64") if numeric else s).astype("string").fillna("\x00<NA>")

    return pd.DataFrame({c: text(frame[c]) for c in columns}, index=frame.index)


def _record_keys(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One hash per row over ``columns`` (compared as :func:`_as_text`)."""
    return pd.util.hash_pandas_object(_as_text(frame, columns), index=False).to_numpy()


def _differing_columns(raw_train: pd.DataFrame, raw_test: pd.DataFrame, columns: list[str], first: dict[bytes, int],
                       keys: list[bytes], shared: np.ndarray) -> dict[str, int]:
    """For test rows sharing a training row's vector without being the same record: the columns that differ."""
    rows = np.flatnonzero(shared)
    if not len(rows):
        return {}
    partner = [first[keys[i]] for i in rows]
    a = _as_text(raw_test.iloc[rows], columns).to_numpy()
    b = _as_text(raw_train.iloc[partner], columns).to_numpy()
    counts = (a != b).sum(axis=0)
    return {c: int(n) for c, n in sorted(zip(columns, counts, strict=True), key=lambda kv: -kv[1]) if n}


def train_test_duplicates(X_train: np.ndarray, X_test: np.ndarray, *, raw_train: pd.DataFrame | None = None,
                          raw_test: pd.DataFrame | None = None) -> dict[str, Any]:
    """Test rows that repeat a training row: the same record, or only the same feature vector.

    ``test_rows`` counts test rows whose encoded features (the model's inputs) equal some training
    row's. With the raw tables, ``exact_records`` counts those equal to a training row in every
    column the tables share (including columns the model does not read), and ``differing_columns``
    says, for the other matches, in which columns a test row differs from its first training match.
    ``rows_per_vector`` is the mean over training and test rows of how many rows share the row's
    vector (itself included); at :data:`COARSE_ROWS_PER_VECTOR` or more the features are ``coarse``.

    Examples
    --------
    >>> d = train_test_duplicates(np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[0.0, 1.0], [2.0, 2.0]]))
    >>> d["test_rows"], d["rows_per_vector"], d["coarse"]
    (1, 1.5, False)
    """
    vec_train = [row.tobytes() for row in np.ascontiguousarray(X_train, dtype=np.float32)]
    vec_test = [row.tobytes() for row in np.ascontiguousarray(X_test, dtype=np.float32)]
    first: dict[bytes, int] = {}
    for i, key in enumerate(vec_train):
        first.setdefault(key, i)
    hit = np.array([key in first for key in vec_test], dtype=bool)
    counts = pd.Series(vec_train + vec_test).value_counts()
    n, n_all = len(vec_test), len(vec_train) + len(vec_test)
    per_row = float((counts.to_numpy(dtype=np.float64) ** 2).sum() / n_all) if n_all else 0.0
    out = {"test_rows": int(hit.sum()), "n_test": int(n), "share": float(hit.sum() / n) if n else 0.0,
           "basis": "exact match of the encoded features (the model's inputs) with a training row",
           "distinct_vectors": int(len(counts)), "rows_per_vector": per_row, "coarse": per_row >= COARSE_ROWS_PER_VECTOR,
           "rule": f"coarse features: a row shares its encoded feature vector with at least {COARSE_ROWS_PER_VECTOR:g} "
                   "rows on average (itself included; training and test rows together)"}
    if raw_train is None or raw_test is None:
        return out
    columns = [c for c in raw_train.columns if c in raw_test.columns]
    same = np.isin(_record_keys(raw_test, columns), _record_keys(raw_train, columns)) & hit
    out.update(exact_records=int(same.sum()), exact_share=float(same.sum() / n) if n else 0.0,
               differing_columns=_differing_columns(raw_train, raw_test, columns, first, vec_test, hit & ~same))
    return out


def duplicates_note(dups: dict[str, Any]) -> str:
    """The progress line for :func:`train_test_duplicates`: shared vectors, and how many are the same record.

    Examples
    --------
    >>> duplicates_note({"test_rows": 30, "n_test": 100, "share": 0.3, "rows_per_vector": 2.4, "coarse": True,
    ...                  "exact_records": 20}).split("; ")[1]
    'the features are coarse (2.4 rows per vector): different people share vectors, so this does not flatter test accuracy'
    """
    line = f"{dups['test_rows']} of {dups['n_test']} test rows ({dups['share']:.0%}) share a training row's feature vector"
    if dups.get("exact_records") is not None:
        line += f", {dups['exact_records']} of them equal to it in every column"
    if dups.get("coarse"):
        return (line + f"; the features are coarse ({dups['rows_per_vector']:.1f} rows per vector): different people "
                "share vectors, so this does not flatter test accuracy")
    return line + " (test accuracy on them may not hold for inputs never seen in training)"
