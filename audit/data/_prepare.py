"""The data step's orchestration: load, check, split and encode the data a config names into :class:`PreparedData`.

Examples
--------
>>> import pandas as pd
>>> train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "sex": ["F", "M", "F", "M"], "y": ["a", "b", "a", "b"]})
>>> pre = TabularPreprocessor().fit(train[["x"]])
>>> prepared = prepared_from_frames(train, train, target="y", positive_label="b", sensitive_features=["sex"],
...                                 preprocessor=pre)
>>> prepared.y_train.tolist(), prepared.X_train.shape
([0, 1, 0, 1], (4, 1))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audit.config import DEFAULT_SENSITIVE_QUANTILES, named_columns
from audit.data._checks import check_table
from audit.data._preprocess import TabularPreprocessor
from audit.data._read import _TEST_PATH_FIX, file_sha256, read_table
from audit.data._sensitive import SensitiveBins, fit_sensitive_bins, sensitive_frame
from audit.data._split import (
    _drop_duplicate_records,
    _drop_missing_target,
    _split,
    _validation_split,
)
from audit.exceptions import DataError
from audit.tasks import TaskSpec, task_class

if TYPE_CHECKING:
    from audit.config import AuditConfig, DataSection
    from audit.data._text import TextFeatures
    from audit.data.screening import Screening

__all__ = ["PreparedData", "prepare_data", "prepared_from_frames"]


@dataclass
class PreparedData:
    """Everything downstream steps need, split and encoded."""

    raw_train: pd.DataFrame
    raw_test: pd.DataFrame
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    sensitive_train: pd.DataFrame
    sensitive_test: pd.DataFrame
    # TabularPreprocessor, or TextFeatures for a text audit (Any: the text stages read TextFeatures' attributes)
    preprocessor: Any
    summary: dict[str, Any]
    screening: Screening | None = None  # the identifier scan and the columns left out (None for a text audit)
    task: TaskSpec = field(default_factory=lambda: TaskSpec("binary", positive_label=1))
    target: str | None = None  # the target column of raw_train and raw_test
    # rows held out of training (split.validation_size) to choose the decision threshold and stop early
    raw_validation: pd.DataFrame | None = None
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    # numeric sensitive columns cut into groups (fitted on the training rows), and what the data step has to say
    sensitive_bins: dict[str, SensitiveBins] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def validation(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(X, y) of the validation rows, or None when the config holds none out."""
        if self.X_val is None or self.y_val is None or not len(self.X_val):
            return None
        return self.X_val, self.y_val

    def target_values(self, split: str = "test") -> np.ndarray:
        """A regression's target as the data holds it (float64; the model learns it standardised in float32)."""
        frame = self.raw_test if split == "test" else self.raw_train
        return pd.to_numeric(frame[self.target], errors="coerce").to_numpy(dtype=np.float64)


def _read_sources(config: AuditConfig) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, str]]:
    """The training table, the test table if the config names one, and sha256 of each file read."""
    d = config.data
    if d.bundled is not None:
        from audit.data.datasets import load_bundled
        from audit.data.datasets._adult import ADULT_SHA256

        train_df, test_df = load_bundled(d.bundled)
        hashes = {f"bundled:adult/{k}": v for k, v in ADULT_SHA256.items() if k != "adult.names"} if d.bundled == "adult" else {}
        if d.bundled == "farm_ads":
            from audit.data.datasets._text import FARM_ADS_SHA256

            hashes = {"bundled:farm_ads/dmba/csvFiles/farm-ads.csv.gz": FARM_ADS_SHA256}
        return train_df, test_df, hashes
    path = config.resolve(d.path or "")
    train_df, hashes, test_df = read_table(path), {str(d.path): file_sha256(path)}, None
    if d.test_path:
        tpath = config.resolve(d.test_path)
        test_df = read_table(tpath, fix=_TEST_PATH_FIX)
        hashes[str(d.test_path)] = file_sha256(tpath)
    return train_df, test_df, hashes


def _check_sources(d: DataSection, train_df: pd.DataFrame, test_df: pd.DataFrame | None, task: str = "binary") -> None:
    check_table(train_df, target=d.target, positive_label=d.positive_label, sensitive_features=d.sensitive_features,
                drop_columns=d.drop_columns, label="training data" if test_df is not None else "data",
                intersections=d.intersections and len(d.sensitive_features) > 1, task=task,
                sensitive_quantiles=d.sensitive_quantiles, sensitive_bins=d.sensitive_bins,
                named_columns=named_columns(d, "data"))
    if test_df is None:
        return
    extra = sorted(set(train_df.columns) ^ set(test_df.columns))
    if extra:
        raise DataError(
            f"The training and test files have different columns: {extra} appear in only one of them. "
            "Expected the same columns in both; rename or drop the extra ones."
        )
    check_table(test_df, target=d.target, positive_label=d.positive_label, sensitive_features=d.sensitive_features,
                drop_columns=d.drop_columns, label="test data",
                intersections=d.intersections and len(d.sensitive_features) > 1, task=task,
                sensitive_quantiles=d.sensitive_quantiles, sensitive_bins=d.sensitive_bins,
                named_columns=named_columns(d, "data"))


def _task_summary(config: AuditConfig, prepared: PreparedData) -> dict[str, Any]:
    """What the summary says about the target (the task's: base rates, classes, or the target's spread)."""
    return prepared.task.data_summary(prepared.y_train, prepared.y_test, prepared.target_values("train"))


def _data_summary(config: AuditConfig, prepared: PreparedData) -> dict[str, Any]:
    from audit.result import to_jsonable

    d, split = config.data, config.split
    train_df = prepared.raw_train
    summary = {
        "source": f"bundled:{d.bundled}" if d.bundled else str(d.path),
        "test_source": "bundled test split" if d.bundled else (str(d.test_path) if d.test_path else
                       f"stratified split ({_STRATA_TEXT[split.stratify]}), test_size={split.test_size}, seed={split.seed}"),
        "stratify": None if d.bundled or d.test_path else split.stratify,
        "n_train": int(len(train_df)),
        "n_test": int(len(prepared.raw_test)),
        "n_validation": int(len(prepared.raw_validation)) if prepared.raw_validation is not None else 0,
        "target": d.target,
        "positive_label": to_jsonable(d.positive_label),
        **_task_summary(config, prepared),
        "sensitive_features": list(d.sensitive_features),
        "sensitive_bins": {c: b.to_dict() for c, b in prepared.sensitive_bins.items()},
        # a text model reads only its text column, whatever use_sensitive_as_features says
        "sensitive_used_as_features": d.use_sensitive_as_features and d.text_column is None,
        "features": list(prepared.preprocessor.columns_),
        "dropped_columns": list(d.drop_columns),
        "n_encoded_features": int(prepared.X_train.shape[1]),
        "encoded_feature_names": prepared.preprocessor.feature_names_,
        "missing_values_train": {c: int(v) for c, v in train_df.isna().sum().items() if v},
    }
    if prepared.screening is not None:
        from audit.data.screening import train_test_duplicates

        summary["screening"] = prepared.screening.to_dict()
        summary["train_test_duplicates"] = train_test_duplicates(prepared.X_train, prepared.X_test,
                                                                 raw_train=prepared.raw_train, raw_test=prepared.raw_test)
    if d.bundled:
        from audit.data.datasets import BUNDLED_DATASETS

        summary["attribution"] = BUNDLED_DATASETS[d.bundled][1]
    return summary


_STRATA_TEXT = {"target": "by target", "groups": "by sensitive group × target, strata too small to split merged"}


def _screen(config: AuditConfig, train_df: pd.DataFrame) -> Screening:
    """The feature columns after the data screening (identifiers excluded, leakage refused)."""
    from audit.data.screening import ScreeningPolicy, screen_features

    d = config.data
    excluded = {d.target, *d.drop_columns} | (set() if d.use_sensitive_as_features else set(d.sensitive_features))
    candidates = [c for c in train_df.columns if c not in excluded]
    if not candidates:
        raise DataError("No feature columns are left after dropping the target, drop_columns and sensitive features.")
    screening = screen_features(train_df, y=_leakage_target(config, train_df[d.target]), target=d.target,
                                features=candidates, dropped=list(d.drop_columns), sensitive=list(d.sensitive_features),
                                policy=ScreeningPolicy.from_config(d), seed=config.split.seed)
    if not screening.features:
        left_out = [e["column"] for e in screening.excluded]
        raise DataError(f"No feature columns are left: every candidate looks like an identifier {left_out}. "
                        "List real features in data.keep_columns, or set data.identifier_columns = \"keep\".")
    return screening


def _leakage_target(config: AuditConfig, y: pd.Series) -> np.ndarray:
    """The 0/1 target the single-feature leakage screen scores features against (the task's)."""
    return task_class(getattr(config, "task", "binary")).leakage_target(y, positive_label=config.data.positive_label)


def _check_width(pre: TabularPreprocessor, limit: int) -> None:
    from audit.data.screening import width_problem

    categories = {c: len(idx) for c, idx in pre.feature_groups_.items() if c in pre.categories_}
    problem = width_problem(categories, len(pre.numeric_), limit=limit)
    if problem:
        raise DataError(f"The data cannot be used as features as given (1 problem); nothing was trained:\n  - {problem}",
                        problems=[problem])


def prepared_from_frames(
    train: pd.DataFrame, test: pd.DataFrame, *, target: str, positive_label: Any, sensitive_features: list[str],
    preprocessor: Any, summary: dict[str, Any] | None = None, task: TaskSpec | None = None,
    sensitive_quantiles: int = DEFAULT_SENSITIVE_QUANTILES, sensitive_bins: dict[str, list[float]] | None = None,
) -> PreparedData:
    """Encode a train and a test table with a fitted preprocessor into :class:`PreparedData`.

    Both tables must hold the preprocessor's columns, the target and the sensitive features.
    ``task`` encodes the target (default: binary, 1 where it equals ``positive_label``). Numeric
    sensitive columns are cut into groups fitted on ``train`` (:func:`fit_sensitive_bins` with
    ``sensitive_quantiles`` and the edges of ``sensitive_bins``), applied to both tables alike; the
    features keep the raw values.
    """
    features = list(preprocessor.columns_)
    task = task or TaskSpec("binary", positive_label=positive_label)
    y_train, y_test = task.encode(train[target]), task.encode(test[target])
    bins = fit_sensitive_bins(train, list(sensitive_features), quantiles=sensitive_quantiles, edges=sensitive_bins)
    return PreparedData(
        raw_train=train, raw_test=test,
        X_train=preprocessor.transform(train[features]), X_test=preprocessor.transform(test[features]),
        y_train=y_train, y_test=y_test,
        sensitive_train=sensitive_frame(train, sensitive_features, bins=bins, label="training data"),
        sensitive_test=sensitive_frame(test, sensitive_features, bins=bins, label="test data"),
        preprocessor=preprocessor, summary=dict(summary or {}), task=task, target=target, sensitive_bins=bins,
        notes=[f"sensitive feature {b.text}" for b in bins.values()],
    )


def _model_tokenizer(config: AuditConfig, n_outputs: int) -> tuple[Any, dict[str, Any] | None]:
    """A transformer checkpoint's tokenizer (its folder checked first, every problem at once) and what the record
    keeps of the checkpoint (its files' SHA-256); (None, None) for other models."""
    model = config.model
    if model.kind != "transformers" or model.path is None:
        return None, None
    from audit.data._tokenizer import TokenizerVocabulary, check_checkpoint, load_tokenizer

    path = config.resolve(model.path)
    info = check_checkpoint(path, n_outputs=n_outputs, shown=model.path, max_length=config.text.max_length,
                            lora_targets=model.lora_targets if model.lora_rank > 0 else None)
    vocab = TokenizerVocabulary(load_tokenizer(path), name=model.path)
    names = sorted(f.name for f in path.iterdir() if f.is_file() and (f.suffix in (".json", ".safetensors", ".txt", ".model")))
    return vocab, {"path": model.path, "model_type": info.model_type, "num_labels": info.num_labels,
                   "n_parameters": info.n_parameters, "lora_rank": model.lora_rank, "lora_targets": model.lora_targets,
                   "tokenizer": vocab.to_dict(), "files_sha256": {n: file_sha256(path / n) for n in names}}


def prepare_data(config: AuditConfig) -> tuple[PreparedData, dict[str, str]]:
    """Load, check, split and encode the data an :class:`~audit.config.AuditConfig` names.

    The preprocessor is fitted on the training split only.

    Returns
    -------
    prepared, data_hashes
        The split and encoded data, and sha256 of each data file read.

    Examples
    --------
    >>> from audit.config import load_config
    >>> prepared, hashes = prepare_data(load_config("examples/adult/audit.toml"))  # doctest: +SKIP
    >>> prepared.summary["n_train"]  # doctest: +SKIP
    32561
    """
    d = config.data
    train_df, test_df, hashes = _read_sources(config)
    dropped: dict[str, int] = {}
    repeated: dict[str, int] = {}
    if d.drop_missing_target:
        (train_df, test_df), dropped = _drop_missing_target(d.target, train_df, test_df)
    if d.drop_duplicate_records:
        (train_df, test_df), repeated = _drop_duplicate_records(train_df, test_df)
    _check_sources(d, train_df, test_df, task=config.task)
    train_df, test_df = _split(config, train_df, test_df)
    train_df, val_df = _validation_split(config, train_df)
    task = TaskSpec.fit(config.task, train_df[d.target], positive_label=d.positive_label)
    for name, frame in (("training", train_df), ("test", test_df)):
        problem = task.split_problem(task.encode(frame[d.target]), split=name)
        if problem:
            raise DataError(problem)
    text_summary = None
    pre: TabularPreprocessor | TextFeatures
    if d.text_column is not None:
        from audit.data._text import text_features

        screening = None  # the model reads the texts only; the identifier scan runs on the raw table
        tokenizer, checkpoint = _model_tokenizer(config, task.n_outputs)
        pre, text_summary = text_features(config.text, column=d.text_column, train=train_df, test=test_df,
                                          vocabulary=tokenizer)
        if checkpoint is not None:
            text_summary["checkpoint"] = checkpoint
    else:
        screening = _screen(config, train_df)
        tabular = TabularPreprocessor().fit(train_df[screening.features])
        _check_width(tabular, d.max_encoded_features)
        pre = tabular
    prepared = prepared_from_frames(train_df, test_df, target=d.target, positive_label=d.positive_label,
                                    sensitive_features=list(d.sensitive_features), preprocessor=pre, task=task,
                                    sensitive_quantiles=d.sensitive_quantiles, sensitive_bins=d.sensitive_bins)
    prepared.screening = screening
    if val_df is not None:
        features = list(pre.columns_)
        prepared.raw_validation, prepared.X_val = val_df, pre.transform(val_df[features])
        prepared.y_val = task.encode(val_df[d.target])
    prepared.summary = _data_summary(config, prepared)
    if dropped:
        prepared.summary["rows_dropped_missing_target"] = dropped
    if d.drop_duplicate_records:
        prepared.summary["rows_dropped_duplicate_records"] = repeated
        prepared.notes.append("data.drop_duplicate_records: dropped " + (", ".join(
            f"{n} {name} row(s)" for name, n in repeated.items()) or "no rows") + " repeating an earlier row in every column")
    if text_summary is not None:
        prepared.summary.update(text_column=d.text_column, text=text_summary, encoded_feature_names=[])
    return prepared, hashes
