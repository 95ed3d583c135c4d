"""Score a Parquet dataset with a saved run's models, one partition at a time.

A :class:`Scorer` holds everything a worker needs, as plain data: the fitted preprocessor
(``models/preprocessor.json``), each model's state dict as bytes (read with
``torch.load(weights_only=True)`` from a run verified against its manifest: no pickled code, no file
changed since sealing) and how to rebuild the network (the built-in MLP with the widths its state
dict holds, which must agree with ``audit.json``). It is shipped to Dask or Spark workers, which
rebuild the models once per process and score each partition: ``map_partitions`` on Dask,
``mapInPandas`` on Spark, fixed-size chunks on pandas. A model built by the user's factory is
refused unless the caller names that factory explicitly: rebuilding it runs the user's code.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import shutil
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
_UNWRITABLE = "Cannot write the predictions to {out}: {error}; nothing was written. Choose a writable --out."
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
    source: str = "the data"  # the data's name in messages

    @property
    def input_columns(self) -> list[str]:
        """The columns a partition must hold (the target is optional)."""
        return [*dict.fromkeys([*self.preprocessor["columns"], *self.sensitive, *self.keep])]

    def __call__(self, frame: pd.DataFrame, partition_info: dict[str, Any] | None = None, *,
                 first_row: int | None = None) -> pd.DataFrame:
        """Score one partition; ``partition_info`` (Dask's) or ``first_row`` (pandas) locate a bad row in messages."""
        from audit.data import TabularPreprocessor, encode_target
        from audit.models import predict_proba
        from audit.scale._score_inputs import check_features, non_finite_scores

        def where(row: int) -> str:
            if first_row is not None:
                return f"row {first_row + row} (counted from 0 in file order)"
            part = f" of partition {partition_info['number']}" if partition_info else " of a partition"
            return f"row {row}{part}"

        pre = TabularPreprocessor.from_dict(self.preprocessor)
        with np.errstate(over="ignore"):  # a value beyond float32 becomes inf, refused just below with its row
            X = pre.transform(frame) if len(frame) else np.zeros((0, len(pre.feature_names_)), dtype=np.float32)
        check_features(X, frame, pre.feature_groups_, where=where, data=self.source)
        parts = []
        for name, model in self._models(len(pre.feature_names_)).items():
            score = predict_proba(model, X)
            non_finite_scores(score, name=name, where=where, data=self.source)
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

    def modules(self) -> dict[str, nn.Module]:
        """Each model's network with its sealed weights, in eval mode (built once per process); read-only."""
        from audit.data import TabularPreprocessor

        return self._models(len(TabularPreprocessor.from_dict(self.preprocessor).feature_names_))

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
    from audit.data import TabularPreprocessor
    from audit.records.rundir import load_result
    from audit.scale._score_inputs import check_keep, check_verified

    keep = check_keep(list(keep or []))
    run = Path(run_dir)
    sealed = check_verified(run)  # before anything of the run is trusted: its weights, its record
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
    pre_rel = artifacts.get("preprocessor") or "models/preprocessor.json"
    for rel in [pre_rel, *(paths[n] for n in models or paths)]:
        if rel not in sealed:  # a file of the sealed run, never one outside it
            raise RunDirError(_NOT_SEALED.format(rel=rel, run=run))
    pre = TabularPreprocessor.load(run / pre_rel)
    scorer = Scorer(preprocessor=pre.to_dict(), weights={}, hidden=list(section.get("hidden") or [64, 32]),
                    dropout=float(section.get("dropout") or 0.0), factory=spec, base_dir=str(Path.cwd()),
                    target=data.get("target"), positive_label=data.get("positive_label"),
                    sensitive=list(data.get("sensitive_features") or []), keep=keep)
    for name in models or sorted(paths):
        # decisions at the run's threshold for this model (records before thresholds: 0.5)
        chosen = ((record.get("models") or {}).get(name) or {}).get("decision_threshold") or {}
        scorer.thresholds[name] = float(chosen.get("value", 0.5))
        _add_weights(scorer, name, run / paths[name], n_features=len(pre.feature_names_))
    return scorer


def _add_weights(scorer: Scorer, name: str, path: Path, *, n_features: int) -> None:
    """Read one model's weights into ``scorer``: the built-in MLP's shapes come from its state dict, never the record."""
    import torch
    from torch import nn

    from audit.models import load_weights, rebuild_mlp

    if scorer.factory is not None:  # the confirmed factory builds the network; the file must fit it
        model = load_weights(scorer.build_empty(n_features), path)
    else:
        # widths from the weights (checked against each other and n_features before anything is built)
        model = rebuild_mlp(path, n_features=n_features, fix=_RECORD_FIX)
        if list(model.hidden) != list(scorer.hidden):
            raise ModelError(_HIDDEN_DIFFERS.format(path=path, held=list(model.hidden), recorded=scorer.hidden,
                                                    fix=_RECORD_FIX))
        scorer.dropout = 0.5 if any(isinstance(m, nn.Dropout) for m in model.net) else 0.0  # eval: layout only
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    scorer.weights[name] = buffer.getvalue()


_RECORD_FIX = "The run's record does not describe its weights; re-run the audit."
_HIDDEN_DIFFERS = ("{path} holds an MLP of hidden widths {held}, but the run's audit.json records model.hidden = "
                   "{recorded}; nothing was built. {fix}")
_NOT_SEALED = ("{run}: audit.json names {rel!r}, which is not a file of the sealed run (its manifest); it was not read. "
               + _RUN_FIX)


_NOT_BINARY = ("{run} audits a {task} model; rai-audit score applies binary classifiers over tables (the preprocessor, "
               "one positive score per row). Expected a run of a binary tabular audit. Fix: score this model with its "
               "own code, or audit a binary classifier.")


def _check_out(out: Path) -> None:
    from audit.records.rundir import refuse_inside_run

    refuse_inside_run(out, instead="Choose a folder for the predictions outside every run directory")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(_OUT_EXISTS.format(out=out))


def score_dataset(scorer: Scorer, data: str | Path, out: str | Path, *, engine: str = "pandas") -> dict[str, Any]:
    """Apply ``scorer`` to a Parquet file, folder or glob partition by partition; write Parquet under ``out``.

    The predictions are written into a hidden sibling of ``out`` renamed to ``out`` once complete: an error or a
    signal leaves no partial folder a reader could take for the whole set. Returns a summary: engine, rows read,
    prediction rows written, partitions, output folder.

    Examples
    --------
    >>> score_dataset(scorer, "data/*.parquet", "preds/", engine="dask")  # doctest: +SKIP
    {'engine': 'dask', 'rows': 10000000, 'predictions': 20000000, 'partitions': 80, 'out': 'preds'}
    """
    import dataclasses

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
    scorer = dataclasses.replace(scorer, source=str(data))
    if scorer.target in names:
        _check_target(scorer, frame, engine=engine)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    made = [a for a in (out.parent, *out.parent.parents) if not a.exists()]  # folders this call creates
    try:
        if engine == "dask":
            summary = {**_score_dask(scorer, frame[wanted], tmp), "rows": rows}
        elif engine == "spark":
            summary = {**_score_spark(scorer, frame.select(*wanted), tmp), "rows": rows}
        else:
            summary = _score_pandas(scorer, frame[wanted], tmp)
        if out.exists():
            out.rmdir()  # the empty folder _check_out accepted; a file that appeared since makes this fail
        os.rename(tmp, out)
    except BaseException as exc:
        shutil.rmtree(made[-1] if made else tmp, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, RunDirError):  # a full disk, a file in the way
            raise RunDirError(_UNWRITABLE.format(out=out, error=exc.strerror or exc)) from None
        raise
    return {**summary, "out": str(out)}


def _score_pandas(scorer: Scorer, frame: pd.DataFrame, out: Path) -> dict[str, Any]:
    out.mkdir(parents=True)
    n_out = 0
    for i, start in enumerate(range(0, max(len(frame), 1), PANDAS_CHUNK_ROWS)):
        preds = scorer(frame.iloc[start:start + PANDAS_CHUNK_ROWS], first_row=start)
        preds.to_parquet(out / f"part-{i:05d}.parquet", index=False)
        n_out += len(preds)
    return {"engine": "pandas", "rows": len(frame), "predictions": n_out, "partitions": i + 1}


def _check_target(scorer: Scorer, frame: Any, *, engine: str) -> None:
    """The target's labels over the whole dataset (one column read), before anything is scored."""
    from audit.scale._score_inputs import check_target_labels

    target = scorer.target
    assert target is not None
    if engine == "dask":
        column = frame[target]
        n_missing, labels = int(column.isna().sum().compute()), column.dropna().drop_duplicates().head(3, npartitions=-1)
    elif engine == "spark":
        column = frame.select(target)
        n_missing = int(column.filter(column[target].isNull()).count())
        labels = pd.Series([r[0] for r in column.dropna().distinct().limit(3).collect()])
    else:
        n_missing, labels = int(frame[target].isna().sum()), frame[target].dropna().drop_duplicates()
    check_target_labels(pd.Series(labels), n_missing, target=target, positive_label=scorer.positive_label,
                        data=scorer.source)


def _score_dask(scorer: Scorer, frame: Any, out: Path) -> dict[str, Any]:
    meta = scorer(frame._meta)
    preds = frame.map_partitions(scorer, meta=meta)
    preds.to_parquet(str(out), write_index=False)
    return {"engine": "dask", "predictions": count_rows(out), "partitions": frame.npartitions}


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
    try:
        preds.write.parquet(str(out))
    except Exception as exc:  # a worker's refusal arrives wrapped in Spark's exception: give its message back
        found = re.search(r"audit\.exceptions\.(DataError|ModelError): ([^\n]+)", str(exc))
        if found is None:
            raise
        raise (DataError if found.group(1) == "DataError" else ModelError)(found.group(2).strip()) from None
    return {"engine": "spark", "predictions": count_rows(out), "partitions": frame.rdd.getNumPartitions()}


def count_rows(source: str | Path) -> int:
    """Rows of a Parquet file, folder or glob, from the footers (no data read)."""
    import glob

    import pyarrow.dataset as ds

    text = str(source)
    files = sorted(glob.glob(text)) if any(ch in text for ch in "*?[") else text
    return int(ds.dataset(files, format="parquet").count_rows())
