"""The fairness report of a Parquet dataset or a pandas, Dask or Spark DataFrame, counted where the data lives.

Only one group-by runs on the engine: rows are counted per (sensitive values, true label, predicted
label) and, with scores, per AUC histogram bin and calibration bin, with the sum, smallest and largest
score. That table has one row per observed key combination (thousands, not millions), comes back to
the driver, and :func:`~audit.fairness._from_cells.fairness_report_from_counts` turns it into the
report with the in-memory engine, so the numbers are the in-memory numbers.

The group-by is written once, in narwhals expressions, and runs unchanged on pandas, Dask and Spark.
Reading is lazy on Dask and Spark (a file, a folder of Parquet files or a glob; only the needed
columns are read). Dask and Spark are optional extras; a missing one is named with its install line.
"""

from __future__ import annotations

import glob as _glob
import itertools
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.exceptions import ConfigError, DataError
from audit.fairness._contract import check_columns, check_intersections
from audit.fairness._from_cells import (
    AUC_BINS,
    CAL_BIN,
    COUNT,
    SCORE_BIN,
    SCORE_MAX,
    SCORE_MIN,
    SCORE_NULLS,
    SCORE_SUM,
    fairness_report_from_counts,
)
from audit.fairness._scores import N_BINS

__all__ = ["ENGINES", "count_table", "fairness_report_from_frame", "read_parquet", "require_engine"]

ENGINES = ("pandas", "dask", "spark")
_EXTRAS = {"dask": ("dask.dataframe", "dask"), "spark": ("pyspark.sql", "spark")}
_MISSING_EXTRA = ("engine {engine!r} needs {module}, which is not installed. Fix: pip install \"rai-audit[{extra}]\" "
                  "(or use --engine pandas for data that fits in memory).")
_BAD_ENGINE = "engine = {engine!r} is invalid. Expected one of {engines}. Fix: use 'pandas', 'dask' or 'spark'."
_NO_FILES = ("{path} matches no Parquet file. Expected a Parquet file, a folder of Parquet files or a glob "
             "(e.g. 'preds/*.parquet'). Fix: check the path.")
_EMPTY_FOLDER = ("{path} is a folder with no Parquet files in it (a folder is read as a Parquet dataset). Expected "
                 "the Parquet files of the predictions inside it. Fix: check the path, or write the predictions there "
                 "(rai-audit score RUN DATA --out {path}).")
_MISSING_COLS = ("Column(s) {missing} not found in {source}. Its columns are {columns}. Fix: pass the column names "
                 "with --y-true, --y-pred, --y-score and --sensitive.")
_SCORE_NUMERIC = ("y_score column {col!r} has type {dtype}. Expected probabilities of the positive class as numbers "
                  "in [0, 1]. Fix: pass the predicted probability column.")
_DASK_MOVING = "Dask support is moving out of Narwhals"
MAX_PARTS = 10_000
"""Most files (or folder entries) one Parquet dataset may list; a folder is never walked recursively."""
_MAGIC = b"PAR1"
_PART_FIX = "Fix: point at a folder of Parquet files, a Parquet file or a glob such as 'preds/*.parquet'."
_SUBFOLDER = ("{path} holds a folder {name!r}; a folder is read as the Parquet files directly inside it (subfolders are "
              "never searched). Fix: point at the folder that holds the part files, or use a glob such as "
              "'{path}/*/*.parquet'.")
_NOT_A_PART = ("{path} holds {name!r}, which is not a Parquet file (a folder is read as its *.parquet files; names "
               "starting with '.' or '_' are skipped). Fix: move it out of the folder, or name the parts with a glob "
               "such as '{path}/*.parquet'.")
_TOO_MANY_PARTS = ("{path} lists more than {limit:,} files or folder entries; a Parquet dataset is read as at most "
                   "{limit:,} part files. Fix: point at the folder of the predictions' part files, or write them as "
                   "fewer, larger parts.")
_NOT_PARQUET = ("{path} is not a Parquet file ({size:,} bytes, without Parquet's 'PAR1' at both ends); it was not read. "
                "Fix: write the predictions as Parquet (or pass a CSV file with --engine pandas).")


def require_engine(engine: str) -> Any:
    """The engine's module (``dask.dataframe``, ``pyspark.sql``, or None for pandas); ConfigError if missing.

    Examples
    --------
    >>> require_engine("pandas") is None
    True
    >>> require_engine("polars")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    audit.exceptions.ConfigError: engine = 'polars' is invalid. Expected one of ('pandas', 'dask', 'spark'). Fix: ...
    """
    import importlib

    if engine not in ENGINES:
        raise ConfigError(_BAD_ENGINE.format(engine=engine, engines=ENGINES))
    if engine == "pandas":
        return None
    module, extra = _EXTRAS[engine]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(_MISSING_EXTRA.format(engine=engine, module=module.split(".")[0], extra=extra)) from exc


def spark_session() -> Any:
    """The active Spark session; else the cluster ``spark-submit`` named; else a local one on every core.

    ``RAI_AUDIT_SPARK_MASTER`` (e.g. ``spark://host:7077``) names a master outside ``spark-submit``.
    A local session has few shuffle partitions (the count table is small), no UI, and its Python
    workers run this interpreter.
    """
    import os
    import sys

    SparkSession = require_engine("spark").SparkSession  # noqa: N806 - the class

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = (SparkSession.builder.appName("rai-audit").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    if "PYSPARK_GATEWAY_PORT" in os.environ:  # launched by spark-submit: its --master and settings apply
        return builder.getOrCreate()
    master = os.environ.get("RAI_AUDIT_SPARK_MASTER", "local[*]")
    if master.startswith("local"):
        # SparkContext reads PYSPARK_PYTHON, not only spark.pyspark.python: workers get this environment
        python = os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (builder.config("spark.pyspark.python", python).config("spark.sql.shuffle.partitions", "8")
                   .config("spark.ui.enabled", "false"))
    return builder.master(master).getOrCreate()


def parquet_parts(path: str | Path) -> list[str]:
    """The Parquet files a file, folder or glob names, looked at without reading any data.

    A folder is read as the Parquet files directly inside it (``*.parquet`` or ``*.pq``; names starting
    with ``.`` or ``_`` are skipped, such as Spark's ``_SUCCESS``); it is never walked recursively, so
    a subfolder or any other file is refused, and at most :data:`MAX_PARTS` entries are listed. Every
    part must be a regular file that begins and ends with Parquet's magic bytes.

    Examples
    --------
    >>> parquet_parts("no/such/*.parquet")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    audit.exceptions.DataError: no/such/*.parquet matches no Parquet file. ...
    """
    import os

    text = str(path)
    if any(ch in text for ch in "*?["):
        files = [f for f in itertools.islice(_glob.iglob(text), MAX_PARTS + 1)
                 if not Path(f).name.startswith((".", "_"))]
        where = text
    elif Path(text).is_dir():
        with os.scandir(text) as entries:
            listed = list(itertools.islice(entries, MAX_PARTS + 1))
        for entry in listed:
            if entry.name.startswith((".", "_")):
                continue
            if entry.is_dir():
                raise DataError(_SUBFOLDER.format(path=text, name=entry.name))
            if not entry.name.lower().endswith((".parquet", ".pq")):
                raise DataError(_NOT_A_PART.format(path=text, name=entry.name))
        files = sorted(e.path for e in listed if not e.name.startswith((".", "_")))
        where = text
        if not files and len(listed) <= MAX_PARTS:
            raise DataError(_EMPTY_FOLDER.format(path=text))
    else:
        files, where = ([text] if os.path.lexists(text) else []), text
    if not files:
        raise DataError(_NO_FILES.format(path=text))
    if len(files) > MAX_PARTS:
        raise DataError(_TOO_MANY_PARTS.format(path=where, limit=MAX_PARTS))
    for f in files:
        _check_part(f)
    return sorted(files)


def _check_part(path: str) -> None:
    """A regular file (never opened otherwise: a FIFO would block) with Parquet's magic at both ends."""
    from audit.records.files import check_file

    check_file(path, what="Parquet file", fix=_PART_FIX, error=DataError)
    with open(path, "rb") as fh:
        head = fh.read(4)
        size = fh.seek(0, 2)
        fh.seek(max(size - 4, 0))
        tail = fh.read(4)
    if size < 12 or head != _MAGIC or tail != _MAGIC:
        raise DataError(_NOT_PARQUET.format(path=path, size=size))


def read_parquet(path: str | Path, *, engine: str, columns: list[str] | None = None) -> Any:
    """A lazy frame over a Parquet file, folder or glob (pandas reads it eagerly, only ``columns``).

    The files are listed by :func:`parquet_parts` (bounded, never recursive) and handed to the
    engine by name, so no engine walks a folder on its own.
    """
    mod = require_engine(engine)
    files = parquet_parts(path)
    text = str(path)
    if engine == "dask":
        frame = mod.read_parquet(files)  # lazy: the optimiser reads only the columns the group-by uses
        names = list(frame.columns)
    elif engine == "spark":
        # absolute: the JVM keeps the working folder it started in, whatever Python's is now
        frame = spark_session().read.parquet(*(str(Path(f).absolute()) for f in files))
        names = list(frame.columns)
    else:
        import pyarrow.dataset as ds

        frame = None
        names = list(ds.dataset(files, format="parquet").schema.names)
    missing = [c for c in columns or [] if c not in names]
    if missing:
        raise DataError(_MISSING_COLS.format(missing=missing, source=text, columns=names[:30]))
    if engine == "dask":
        return frame[columns] if columns else frame
    if engine == "spark":
        return frame.select(*columns) if columns else frame
    return pd.concat([pd.read_parquet(f, columns=columns) for f in files], ignore_index=True)


def _engine_of(frame: Any) -> str:
    module = type(frame).__module__
    if module.startswith("dask"):
        return "dask"
    if module.startswith("pyspark"):
        return "spark"
    return "pandas"


def count_table(frame: Any, *, y_true: str, y_pred: str, sensitive: list[str], y_score: str | None = None,
                auc_bins: int = AUC_BINS, model: str | None = None, source: str | None = None) -> pd.DataFrame:
    """Count the rows of ``frame`` per key combination, on the frame's engine; a small pandas table back.

    The columns are checked first, on the engine, by the one input contract
    (:func:`~audit.fairness._contract.check_columns`: no nested values, scores finite in [0, 1],
    at most ``MAX_SENSITIVE_GROUPS`` groups per sensitive column), so nothing is counted on bad input.

    Parameters
    ----------
    frame : pandas, Dask or Spark DataFrame
    y_true, y_pred, sensitive, y_score : column names
    auc_bins : int
        Equal-width score bins of the ROC AUC histogram.
    model : str, optional
        Keep only rows whose ``model`` column, as text, equals this.
    source : str, optional
        How messages name the input (default: "<engine> frame").

    Examples
    --------
    >>> f = pd.DataFrame({"sex": ["F", "F", None], "y": [1, 1, 0], "p": [1, 1, 1]})
    >>> count_table(f, y_true="y", y_pred="p", sensitive=["sex"]).sort_values("__count")["__count"].tolist()
    [1, 2]
    """
    import narwhals as nw

    if isinstance(auc_bins, bool) or not isinstance(auc_bins, (int, np.integer)) or not 1 <= auc_bins <= 10**8:
        raise ConfigError(f"auc_bins = {auc_bins!r} is invalid. Expected an integer in [1, 1e8] (the number of score "
                          "bins of the ROC AUC histogram). Fix: use 10000 (bin width 1e-4).")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_DASK_MOVING, category=FutureWarning)
        warnings.filterwarnings("ignore", message="Found complex group-by expression", category=UserWarning)
        lazy = nw.from_native(frame)
        schema = lazy.collect_schema()
        wanted = [*sensitive, y_true, y_pred, *([y_score] if y_score else []), *(["model"] if model is not None else [])]
        missing = [c for c in wanted if c not in schema]
        if missing:
            raise DataError(_MISSING_COLS.format(missing=missing, source=f"the {_engine_of(frame)} frame",
                                                 columns=list(schema)[:30]))
        if model is not None:
            lazy = lazy.filter(nw.col("model").cast(nw.String) == str(model))
        check_columns(lazy.to_native(), y_true=y_true, y_pred=y_pred, sensitive=sensitive, y_score=y_score,
                      source=source or f"{_engine_of(frame)} frame")
        keys = [*dict.fromkeys([*sensitive, y_true, y_pred])]
        aggs = [nw.len().alias(COUNT)]
        if y_score:
            if not schema[y_score].is_numeric():
                raise DataError(_SCORE_NUMERIC.format(col=y_score, dtype=schema[y_score]))
            s = nw.col(y_score).cast(nw.Float64)
            # the same float64 arithmetic as _scores.bin_index; the cast truncates, which is floor on [0, 1]
            lazy = lazy.with_columns(s.alias("__s"), (s * auc_bins).cast(nw.Int64).alias(SCORE_BIN),
                                     (s * N_BINS).cast(nw.Int64).clip(upper_bound=N_BINS - 1).alias(CAL_BIN))
            keys += [SCORE_BIN, CAL_BIN]
            aggs += [nw.col("__s").sum().alias(SCORE_SUM), nw.col("__s").min().alias(SCORE_MIN),
                     nw.col("__s").max().alias(SCORE_MAX), nw.col("__s").count().alias("__nonnull")]
        out = lazy.group_by(keys, drop_null_keys=False).agg(*aggs)
        table = (out.collect(backend="pandas") if hasattr(out, "collect") else out).to_native()
    table = table.reset_index(drop=True)
    for c in dict.fromkeys([*sensitive, y_true, y_pred]):
        # an integer column with nulls comes back as float from some engines (Spark via Arrow): keep its
        # values integers, so group names read "1", as the engine's schema and pandas' nullable Int64 say
        if schema[c].is_integer() and table[c].dtype.kind == "f":
            table[c] = table[c].astype("Int64")
    table[COUNT] = table[COUNT].to_numpy(dtype=np.int64)
    if y_score:
        table[SCORE_NULLS] = table[COUNT] - table.pop("__nonnull").to_numpy(dtype=np.int64)
        table[SCORE_BIN] = table[SCORE_BIN].fillna(-1).to_numpy(dtype=np.int64)  # null scores: reported by the check
        table[CAL_BIN] = table[CAL_BIN].fillna(-1).to_numpy(dtype=np.int64)
    return table


def fairness_report_from_frame(
    frame: Any,
    *,
    y_true: str,
    y_pred: str,
    sensitive: list[str],
    y_score: str | None = None,
    engine: str | None = None,
    auc_bins: int = AUC_BINS,
    model: str | None = None,
    **options: Any,
) -> dict:
    """:func:`~audit.fairness.fairness_report` of a Parquet dataset or a pandas, Dask or Spark DataFrame.

    The rows are counted on the engine (one group-by); intervals, disparities and the rest are
    computed on this machine from the counts, exactly as for in-memory arrays.

    Parameters
    ----------
    frame : path or DataFrame
        A Parquet file, folder or glob (read lazily with ``engine``), or a pandas, Dask or Spark DataFrame.
    y_true, y_pred, y_score : str
        Column names (``y_score`` optional: adds ROC AUC, ECE and calibration).
    sensitive : list of str
        Sensitive columns.
    engine : {"pandas", "dask", "spark"}, optional
        Where to count; by default the frame's own engine (pandas for a path).
    auc_bins : int
        Bins of the ROC AUC histogram (see ``ci.score_metrics.roc_auc_counting`` in the result).
    model : str, optional
        Keep only the rows whose ``model`` column equals this (a run's predictions hold several models).
    **options
        Any other argument of :func:`~audit.fairness.fairness_report` (``pos_label``, ``n_boot``, ...).

    Examples
    --------
    >>> f = pd.DataFrame({"sex": list("FFFMMM"), "y": [0, 1, 1, 0, 1, 0], "p": [0, 1, 0, 0, 1, 1]})
    >>> r = fairness_report_from_frame(f, y_true="y", y_pred="p", sensitive=["sex"], n_boot=0, min_group_size=3)
    >>> r["by_feature"]["sex"]["four_fifths_rule"]["selection_rate_ratio"]
    0.5
    """
    if isinstance(frame, (str, Path)):
        columns = [*dict.fromkeys([*sensitive, y_true, y_pred, *([y_score] if y_score else []),
                                   *(["model"] if model is not None else [])])]
        frame = read_parquet(frame, engine=engine or "pandas", columns=columns)
    elif engine is not None and engine != _engine_of(frame):
        require_engine(engine)
        raise ConfigError(f"engine = {engine!r} but the frame is a {_engine_of(frame)} DataFrame. "
                          "Fix: leave engine out for a DataFrame (its own engine counts it), or pass a path.")
    table = count_table(frame, y_true=y_true, y_pred=y_pred, sensitive=sensitive, y_score=y_score,
                        auc_bins=auc_bins, model=model)
    if model is not None and table[COUNT].sum() == 0:
        raise DataError(f"model = {model!r} matches no row of column 'model'. Fix: pick one of its values.")
    if options.get("intersections", True):
        check_intersections(table, sensitive, source=f"{_engine_of(frame)} frame")
    return fairness_report_from_counts(table, y_true=y_true, y_pred=y_pred, sensitive=sensitive,
                                       auc_bins=auc_bins, **options)
