"""Reading two run directories for a comparison, and refusing pairs that cannot be compared.

Every file is read through the bounded reader (:mod:`audit.records.files`) and confined to its run:
``audit.json`` as the typed :class:`~audit.result.AuditResult`, ``predictions.csv`` (the test rows of
every model) and, where the run stored them, the raw test features (``slices/test_features.npy``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from audit.compare._tasks import PRED_FIX as _PRED_FIX
from audit.compare._tasks import ModelRows, TaskComparison, comparison_for
from audit.exceptions import DataError, RunDirError
from audit.records.files import load_npy, read_bytes, read_text
from audit.records.rundir import MANIFEST_FILE, confine, require_intact_run
from audit.result import AuditResult

__all__ = ["ModelRows", "RunData", "check_comparable", "read_run", "same_rows"]

MISSING_GROUP = "<missing>"
_RUN_FIX = "Pass the folder `rai-audit run` wrote (it holds audit.json and predictions.csv)."
_NOT_COMPARABLE = ("The runs cannot be compared: {problems}. A comparison needs the same task, target, positive label "
                   "and sensitive features in both runs (run A: {a}; run B: {b}). Fix: compare runs of the same audit "
                   "config (change only the model, the training settings or the data rows between them).")


@dataclass
class RunData:
    """A run read for comparison: the record, each model's rows, the sensitive columns and raw test features."""

    path: Path
    result: AuditResult
    models: dict[str, ModelRows]
    sensitive: pd.DataFrame
    features: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def task(self) -> str:
        """The config task of the run's target (``binary``, ``multiclass``, ``regression``)."""
        return self.result.kind.name

    @property
    def name(self) -> str:
        """The run's name as recorded, else its folder name."""
        return str(self.result.run.name or self.path.name)


def _predictions(path: Path, sensitive: list[str], kind: TaskComparison) -> pd.DataFrame:
    data = read_bytes(path, what="Predictions file", fix=_PRED_FIX, error=DataError, limit="PREDICTIONS")
    text = [*sensitive, "model", *(("y_true", "y_pred") if kind.text_labels else ())]
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=dict.fromkeys(text, "string"))
    except Exception as exc:  # pandas' parse errors share no base class
        raise DataError(f"{path} is not a readable CSV table ({str(exc)[:200]}). {_PRED_FIX}") from None
    missing = [c for c in ("model", "y_true", "y_pred", "y_score", *sensitive) if c not in frame.columns]
    if missing:
        raise DataError(f"{path} lacks the column(s) {missing}. {_PRED_FIX}")
    return frame


def _features(result: AuditResult, root: Path) -> pd.DataFrame | None:
    from audit.slices import unpack_features

    section = result.slices
    if section is None or not section.test_features:
        return None
    array = load_npy(confine(section.test_features, root), what="Test features", fix=_PRED_FIX, error=RunDirError)
    return unpack_features(array, [c.to_dict() for c in section.features])


def read_run(path: str | Path) -> RunData:
    """Read a run directory for :func:`~audit.compare.compare_runs`.

    Raises
    ------
    RunDirError, DataError
        When the folder holds no run, or its files are unreadable or inconsistent.

    Examples
    --------
    >>> read_run("/no/such/run")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    RunDirError: Run record /no/such/run/audit.json does not exist.
    """
    root = Path(path)
    if (root / MANIFEST_FILE).is_file():  # a run is compared as it was sealed (hand-made tables have no manifest)
        require_intact_run(root, use="compare")
    text = read_text(root / "audit.json", what="Run record", fix=_RUN_FIX, error=RunDirError, limit="AUDIT")
    result = AuditResult.from_json(text)
    kind = comparison_for(result.kind.name, which=root)
    sensitive = list(result.data.sensitive_features or [])
    frame = _predictions(confine(result.artifacts.predictions or "predictions.csv", root), sensitive, kind)
    models = kind.model_rows(frame, where=root, result=result)
    first = frame[frame["model"] == frame["model"].iloc[0]] if len(frame) else frame
    groups = first[sensitive].reset_index(drop=True).fillna(MISSING_GROUP).astype(str)
    features = _features(result, root)
    if features is not None and len(features) != len(groups):
        features = None  # a layout from another row order: drift then covers the sensitive columns only
    return RunData(root, result, models, groups, features)


def _describe(r: AuditResult) -> str:
    return (f"task {r.kind.name}, target {r.data.target!r}, positive label {r.data.positive_label!r}, "
            f"sensitive features {list(r.data.sensitive_features or [])}")


def check_comparable(a: RunData, b: RunData) -> list[str]:
    """Refuse two runs that cannot be compared; return the models both hold.

    Raises
    ------
    DataError
        Naming every difference (task, target, positive label, sensitive features, no model in common).

    Examples
    --------
    >>> # check_comparable(read_run("runs/a"), read_run("runs/b"))  -> ['reference', 'private']
    """
    ra, rb = a.result, b.result
    problems = [f"different {what} ({x!r} in A, {y!r} in B)" for what, x, y in (
        ("task", ra.kind.name, rb.kind.name), ("target", ra.data.target, rb.data.target),
        ("positive label", ra.data.positive_label, rb.data.positive_label),
        ("sensitive features", list(ra.data.sensitive_features or []), list(rb.data.sensitive_features or [])),
    ) if x != y]
    if not problems:  # the same task: what else its kind needs the same (a multiclass run's classes)
        problems += comparison_for(a.task).problems(ra, rb)
    common = [m for m in a.models if m in b.models]
    if not common:
        problems.append(f"no model in common (A: {list(a.models)}, B: {list(b.models)})")
    if problems:
        raise DataError(_NOT_COMPARABLE.format(problems="; ".join(problems), a=_describe(ra), b=_describe(rb)))
    return common


def same_rows(a: RunData, b: RunData) -> tuple[bool, str]:
    """Whether the two runs' test rows are the same rows, and why (for paired inference).

    The same rows means: the same data files (``run.data_sha256``), as many test rows, and equal labels,
    sensitive values and (where both runs stored them) raw features, row by row.
    """
    if (a.result.run.data_sha256 or None) != (b.result.run.data_sha256 or None):
        return False, "the runs read different data files (data sha256 differ)"
    ya, yb = next(iter(a.models.values())).y_true, next(iter(b.models.values())).y_true
    if len(ya) != len(yb):
        return False, f"the test sets differ in size ({len(ya):,} and {len(yb):,} rows)"
    if not (np.array_equal(ya, yb) and a.sensitive.equals(b.sensitive)):
        return False, "the labels or sensitive values differ row by row (a different split)"
    if a.features is not None and b.features is not None:
        shared = [c for c in a.features.columns if c in b.features.columns]  # a run may drop a feature
        if not a.features[shared].equals(b.features[shared]):
            return False, "the raw test features differ row by row"
    return True, f"the same {len(ya):,} test rows (same data sha256; labels and sensitive values equal row by row)"
