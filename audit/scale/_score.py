"""Score a Parquet dataset with a saved run's models, one partition at a time.

A :class:`Scorer` holds everything a worker needs, as plain data: the fitted preprocessor
(``models/preprocessor.json``), each model's state dict as bytes (read with
``torch.load(weights_only=True)``: no pickled code) and how to rebuild the network (the built-in
MLP from the config recorded in ``audit.json``). It is shipped to Dask or Spark workers, which
rebuild the models once per process and score each partition: ``map_partitions`` on Dask,
``mapInPandas`` on Spark, fixed-size chunks on pandas. A model built by the user's factory is
refused unless the caller names that factory explicitly: rebuilding it runs the user's code.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audit.choices import task_kind
from audit.exceptions import ConfigError, DataError, ModelError, RunDirError

if TYPE_CHECKING:
    from torch import nn

__all__ = ["Scorer", "load_scorer", "score_dataset"]

PANDAS_CHUNK_ROWS = 200_000
_FACTORY_REFUSED = (
    "The run's model was built by the user's factory {spec!r}; rebuilding it to score would import and run that "
    "code. Fix: pass --factory {spec} (factory='{spec}' in Python) to confirm you trust it; it is imported from the "
    "current directory."
)
_FACTORY_OTHER = ("--factory {given!r} differs from the factory the run recorded ({spec!r}). Fix: pass --factory {spec} "
                  "or score with the run's own model.")
_NO_MODEL = "The run has no model {name!r}; its models are {names}. Fix: pass one of those names."
_NO_WEIGHTS = "{run} holds no model weights (artifacts.weights is empty). Fix: score a run written by rai-audit run."
_MISSING_COLUMNS = ("{data} lacks the column(s) {missing} the model was trained on (or the sensitive features). "
                    "Its columns are {columns}. Fix: score data with the training columns.")
_OUT_EXISTS = "{out} exists and is not empty. Fix: choose a new folder for the predictions (nothing is overwritten)."
_RUN_FIX = "Give the folder rai-audit run wrote (it holds audit.json and models/)."


@dataclass
class Scorer:
    """A picklable scoring function: DataFrame of raw rows in, one row per (row, model) of predictions out."""

    preprocessor: dict[str, Any]
    weights: dict[str, bytes]
    hidden: list[int] = field(default_factory=lambda: [64, 32])
    dropout: float = 0.0
    factory: str | None = None
    base_dir: str | None = None
    target: str | None = None
    positive_label: Any = None
    sensitive: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)  # each model's decision threshold (the run's record)

    @property
    def input_columns(self) -> list[str]:
        """The columns a partition must hold (the target is optional)."""
        return [*dict.fromkeys([*self.preprocessor["columns"], *self.sensitive, *self.keep])]

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        from audit.data import TabularPreprocessor, encode_target
        from audit.models import predict_proba

        pre = TabularPreprocessor.from_dict(self.preprocessor)
        X = pre.transform(frame) if len(frame) else np.zeros((0, len(pre.feature_names_)), dtype=np.float32)
        parts = []
        for name, model in self._models(len(pre.feature_names_)).items():
            score = predict_proba(model, X)
            part = {"model": pd.Series([name] * len(frame), dtype=str)}
            if self.target is not None and self.target in frame.columns:
                part["y_true"] = encode_target(frame[self.target], self.positive_label)
            part["y_pred"] = (score >= self.thresholds.get(name, 0.5)).astype(np.int64)
            part["y_score"] = score
            out = pd.DataFrame(part)
            for c in [*self.sensitive, *self.keep]:
                out[c] = frame[c].reset_index(drop=True)  # keeps the column's dtype (and its nulls)
            parts.append(out)
        return pd.concat(parts, ignore_index=True)

    def _models(self, n_features: int) -> dict[str, nn.Module]:
        key = hashlib.sha256(b"".join(self.weights[k] for k in sorted(self.weights))).hexdigest()
        if key not in _MODEL_CACHE:  # once per worker process
            _MODEL_CACHE[key] = {name: self._build(blob, n_features) for name, blob in self.weights.items()}
        return _MODEL_CACHE[key]

    def build_empty(self, n_features: int) -> nn.Module:
        """The network, untrained: the built-in MLP from the recorded config, or the confirmed factory's model."""
        from audit.config import ModelSection
        from audit.models import MLP
        from audit.training import model_factory

        if self.factory is not None:
            return model_factory(ModelSection(kind="factory", factory=self.factory), n_features=n_features,
                                 base_dir=self.base_dir)()
        return MLP(n_features, hidden=tuple(self.hidden), dropout=self.dropout)

    def _build(self, blob: bytes, n_features: int) -> nn.Module:
        import torch

        model = self.build_empty(n_features)
        model.load_state_dict(torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True))
        return model.eval()


_MODEL_CACHE: dict[str, dict[str, nn.Module]] = {}


def load_scorer(run_dir: str | Path, *, models: list[str] | None = None, factory: str | None = None,
                keep: list[str] | None = None) -> Scorer:
    """The :class:`Scorer` of a saved run's models (all of them, or ``models``).

    Parameters
    ----------
    run_dir : path
        A run directory written by ``rai-audit run``.
    models : list of str, optional
        Names of the models to apply (``reference``, ``private``); all by default.
    factory : str, optional
        ``module:function`` of the user's factory, required (as a confirmation) when the run's model
        was built by one.
    keep : list of str, optional
        Extra input columns copied to the predictions (e.g. an id).

    Raises
    ------
    ModelError
        A factory model without ``factory``; an unknown model name.
    """
    import torch

    from audit.data import TabularPreprocessor
    from audit.models import load_weights
    from audit.records.rundir import load_result

    run = Path(run_dir)
    record = load_result(run)
    config = (record.get("run") or {}).get("config") or {}
    section, data = config.get("model") or {}, config.get("data") or {}
    task = record.get("task") or "binary-classification"
    kind = task_kind(task)
    if kind is None or not kind.score_command or task != kind.result_task:  # tables only: not texts
        raise ConfigError(_NOT_BINARY.format(run=run, task=task))
    spec = section.get("factory") if section.get("kind") == "factory" else None
    if spec is not None and factory is None:
        raise ModelError(_FACTORY_REFUSED.format(spec=spec))
    if spec is not None and factory != spec:
        raise ModelError(_FACTORY_OTHER.format(given=factory, spec=spec))
    artifacts = record.get("artifacts") or {}
    paths = dict(artifacts.get("weights") or {})
    if not paths:
        raise RunDirError(_NO_WEIGHTS.format(run=run))
    for name in models or []:
        if name not in paths:
            raise ModelError(_NO_MODEL.format(name=name, names=sorted(paths)))
    pre_path = run / (artifacts.get("preprocessor") or "models/preprocessor.json")
    if not pre_path.is_file():
        raise RunDirError(f"{pre_path} is missing. {_RUN_FIX}")
    pre = TabularPreprocessor.load(pre_path)
    scorer = Scorer(preprocessor=pre.to_dict(), weights={}, hidden=list(section.get("hidden") or [64, 32]),
                    dropout=float(section.get("dropout") or 0.0), factory=spec, base_dir=str(Path.cwd()),
                    target=data.get("target"), positive_label=data.get("positive_label"),
                    sensitive=list(data.get("sensitive_features") or []), keep=list(keep or []))
    for name in models or sorted(paths):
        # decisions at the run's threshold for this model (records before thresholds: 0.5)
        chosen = ((record.get("models") or {}).get(name) or {}).get("decision_threshold") or {}
        scorer.thresholds[name] = float(chosen.get("value", 0.5))
        # load_weights checks the file (size, zip bomb, weights_only, shapes) against the rebuilt network
        model = load_weights(scorer.build_empty(len(pre.feature_names_)), run / paths[name])
        buffer = io.BytesIO()
        torch.save(model.state_dict(), buffer)
        scorer.weights[name] = buffer.getvalue()
    return scorer


_NOT_BINARY = ("{run} audits a {task} model; rai-audit score applies binary classifiers over tables (the preprocessor, "
               "one positive score per row). Expected a run of a binary tabular audit. Fix: score this model with its "
               "own code, or audit a binary classifier.")


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(_OUT_EXISTS.format(out=out))


def score_dataset(scorer: Scorer, data: str | Path, out: str | Path, *, engine: str = "pandas") -> dict[str, Any]:
    """Apply ``scorer`` to a Parquet file, folder or glob partition by partition; write Parquet under ``out``.

    Returns a summary: engine, rows read, prediction rows written, partitions, output folder.

    Examples
    --------
    >>> score_dataset(scorer, "data/*.parquet", "preds/", engine="dask")  # doctest: +SKIP
    {'engine': 'dask', 'rows': 10000000, 'predictions': 20000000, 'partitions': 80, 'out': 'preds'}
    """
    from audit.fairness._frames import read_parquet

    out = Path(out)
    _check_out(out)
    frame = read_parquet(data, engine=engine, columns=None)
    names = list(frame.columns)
    rows = count_rows(data)
    wanted = scorer.input_columns + ([scorer.target] if scorer.target in names else [])
    missing = [c for c in scorer.input_columns if c not in names]
    if missing:
        raise DataError(_MISSING_COLUMNS.format(data=data, missing=missing, columns=names[:30]))
    if engine == "dask":
        return {**_score_dask(scorer, frame[wanted], out), "rows": rows}
    if engine == "spark":
        return {**_score_spark(scorer, frame.select(*wanted), out), "rows": rows}
    frame = frame[wanted]
    out.mkdir(parents=True, exist_ok=True)
    n_out = 0
    for i, start in enumerate(range(0, max(len(frame), 1), PANDAS_CHUNK_ROWS)):
        preds = scorer(frame.iloc[start:start + PANDAS_CHUNK_ROWS])
        preds.to_parquet(out / f"part-{i:05d}.parquet", index=False)
        n_out += len(preds)
    return {"engine": "pandas", "rows": len(frame), "predictions": n_out, "partitions": i + 1, "out": str(out)}


def _score_dask(scorer: Scorer, frame: Any, out: Path) -> dict[str, Any]:
    meta = scorer(frame._meta)
    preds = frame.map_partitions(scorer, meta=meta)
    preds.to_parquet(str(out), write_index=False)
    return {"engine": "dask", "predictions": count_rows(out), "partitions": frame.npartitions,
            "out": str(out)}


def _score_spark(scorer: Scorer, frame: Any, out: Path) -> dict[str, Any]:
    from audit.fairness._frames import require_engine

    T = require_engine("spark").types  # noqa: N806 - Spark's convention

    fields = [T.StructField("model", T.StringType())]
    if scorer.target in frame.columns:
        fields.append(T.StructField("y_true", T.LongType()))
    fields += [T.StructField("y_pred", T.LongType()), T.StructField("y_score", T.DoubleType())]
    fields += [frame.schema[c] for c in [*scorer.sensitive, *scorer.keep]]

    def score_batches(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            yield scorer(batch)

    preds = frame.mapInPandas(score_batches, schema=T.StructType(fields))
    preds.write.parquet(str(out))
    return {"engine": "spark", "predictions": count_rows(out),
            "partitions": frame.rdd.getNumPartitions(), "out": str(out)}


def count_rows(source: str | Path) -> int:
    """Rows of a Parquet file, folder or glob, from the footers (no data read)."""
    import glob

    import pyarrow.dataset as ds

    text = str(source)
    files = sorted(glob.glob(text)) if any(ch in text for ch in "*?[") else text
    return int(ds.dataset(files, format="parquet").count_rows())
