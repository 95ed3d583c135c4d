"""Pure data helpers of the dashboard: no Streamlit here, so each is unit-testable.

Pages read the typed :class:`audit.result.AuditResult` (see ``docs/audit_result.md``).
A section that was not run is ``None`` and an absent key reads as ``None`` or empty,
so pages test for ``None`` and never walk raw dicts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit._visible import visible
from audit.choices import TASK_KINDS, TaskKind
from audit.exceptions import DataError, RunDirError
from audit.records.files import load_npy, read_bytes
from audit.records.rundir import confine
from audit.result import SCHEMA_VERSION, AuditResult, Metric, ModelFairness
from audit.verdict.concerns import concerns_of
from reports._kinds import kind_view

__all__ = [
    "PREDICTION_COLUMNS",
    "as_result",
    "fmt",
    "fmt_ci",
    "fmt_interval",
    "gaps",
    "md_escape",
    "metric_parts",
    "rates_table",
    "read_predictions",
    "run_array",
    "run_bytes",
    "run_file",
    "run_summary",
    "visible",
    "visible_frame",
]

PREDICTION_COLUMNS = ("model", "y_true", "y_pred", "y_score")

_PRED_MISSING = (
    "{path}: predictions.csv lacks the column(s) {missing}. Expected {expected} and the sensitive "
    "features. Fix: re-run the audit so the pipeline writes a complete predictions file."
)
_PRED_BAD = (
    "{path}: predictions.csv has {problem}. Expected y_true and y_pred in {{0, 1}} and y_score in [0, 1]. "
    "Fix: re-run the audit; the file may have been edited (run 'rai-audit verify')."
)
_PRED_BAD_TASK = (
    "{path}: predictions.csv of this {task} run has {problem}. Expected class labels in y_true and y_pred and a "
    "probability in y_score (multiclass), or numbers in target units (regression). Fix: re-run the audit; the file "
    "may have been edited (run 'rai-audit verify')."
)
_PRED_FIX = "Fix: audit a sample of the test set, or re-run the audit (run 'rai-audit verify' to see what changed)."
_RUN_FIX = "Fix: re-run the audit, or run 'rai-audit verify' on the run to see what changed."
_NOT_IN_RUN = "The run lists {rel!r} as an artifact, but {why}. Fix: re-run the audit, or run 'rai-audit verify' to see what changed."

# CommonMark lets any ASCII punctuation be backslash-escaped; escaping all of the characters
# that start markup (and '$', which Streamlit reads as LaTeX) makes data render as literal text.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:=\"'])")


def md_escape(value: Any) -> str:
    """Text from a run, safe to interpolate into Streamlit Markdown: shown literally, never as markup.

    Examples
    --------
    >>> md_escape("<script>alert(1)</script>")
    '\\\\<script\\\\>alert\\\\(1\\\\)\\\\</script\\\\>'
    """
    text = visible(value, keep="\n\r")  # bidi overrides, zero-width and control characters shown as ⟨U+XXXX⟩
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\r", " ").replace("\n", " ")


def visible_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its column names and text cells made visible (:func:`audit._visible.visible`), for tables.

    A table cell shows bidi overrides and zero-width characters as ``⟨U+XXXX⟩``: group names that look alike stay
    told apart and a name cannot reorder its row. Frames without hidden characters are returned as they are.

    Examples
    --------
    >>> visible_frame(pd.DataFrame({"group\u200b": ["F\u202eM", 1]})).to_dict("list")
    {'group⟨U+200B⟩': ['F⟨U+202E⟩M', 1]}
    """
    names = {c: visible(c, keep="") for c in frame.columns if isinstance(c, str)}
    texts = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)]
    if all(k == v for k, v in names.items()) and not any(
            frame[c].map(lambda v: isinstance(v, str) and not v.isprintable()).any() for c in texts):
        return frame
    out = frame.copy()
    for c in texts:
        out[c] = out[c].map(lambda v: visible(v, keep="") if isinstance(v, str) else v)
    return out.rename(columns=names)


def as_result(data: AuditResult | dict[str, Any]) -> AuditResult:
    """The typed result of a run's ``audit.json``; missing core sections read as empty.

    Raises
    ------
    RunDirError
        When the record states another major schema version.

    Examples
    --------
    >>> as_result({"verdict": "fail"}).verdict
    'fail'
    """
    if isinstance(data, AuditResult):
        return data
    d = dict(data) if isinstance(data, dict) else {}
    for key in ("run", "data", "models"):
        if not isinstance(d.get(key), dict):
            d[key] = {}
    d.setdefault("schema_version", SCHEMA_VERSION)
    return AuditResult.from_dict(d)


def _finite(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def fmt(value: Any, *, digits: int = 3, missing: str = "—") -> str:
    """A number for display: ``missing`` for None/NaN, integers without decimals, small/large in e-notation.

    Examples
    --------
    >>> fmt(0.81234), fmt(None), fmt(12), fmt(1.5e-7), fmt(True)
    ('0.812', '—', '12', '1.50e-07', 'yes')
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    x = _finite(value)
    if x is None:
        return missing
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    if x != 0 and (abs(x) < 10 ** (-digits) or abs(x) >= 1e6):
        return f"{x:.{max(digits - 1, 1)}e}"
    return f"{x:.{digits}f}"


def metric_parts(entry: Any) -> tuple[Any, Any, Any]:
    """``(value, lo, hi)`` of a :class:`Metric` (or a ``{"value", "ci"}`` dict); a bare number is its own value.

    Examples
    --------
    >>> metric_parts(Metric(value=0.5, ci=[0.4, 0.6])), metric_parts(3)
    ((0.5, 0.4, 0.6), (3, None, None))
    """
    if isinstance(entry, Metric):
        value, ci = entry.value, entry.ci
    elif isinstance(entry, dict):
        value, ci = entry.get("value"), entry.get("ci")
    else:
        return entry, None, None
    lo, hi = (ci[0], ci[1]) if isinstance(ci, (list, tuple)) and len(ci) == 2 else (None, None)
    return value, lo, hi


def fmt_interval(ci: Any, *, number: Callable[[float], str] = fmt, missing: str = "") -> str:
    """An interval alone as ``[lo, hi]``, each end written by ``number``; ``missing`` without both ends.

    Examples
    --------
    >>> fmt_interval([0.0123, 0.2]), fmt_interval((-0.01, 0.02), number="{:+.4f}".format), fmt_interval(None, missing="—")
    ('[0.012, 0.200]', '[-0.0100, +0.0200]', '—')
    """
    if not isinstance(ci, (list, tuple)) or len(ci) != 2 or ci[0] is None or ci[1] is None:
        return missing
    return f"[{number(ci[0])}, {number(ci[1])}]"


def fmt_ci(entry: Any, *, digits: int = 3) -> str:
    """A metric (:class:`Metric` or ``{"value", "ci"}``) as ``0.812 [0.801, 0.823]`` (value alone without an interval).

    Examples
    --------
    >>> fmt_ci(Metric(value=0.5, ci=[0.4, 0.6])), fmt_ci({"value": None, "ci": None})
    ('0.500 [0.400, 0.600]', '—')
    """
    if isinstance(entry, Metric):
        entry = {"value": entry.value, "ci": entry.ci}
    if not isinstance(entry, dict):
        return fmt(entry, digits=digits)
    value = fmt(entry.get("value"), digits=digits)
    ci = entry.get("ci")
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(_finite(c) is not None for c in ci):
        return f"{value} [{fmt(ci[0], digits=digits)}, {fmt(ci[1], digits=digits)}]"
    return value


def _worst_disparity(fairness_model: ModelFairness | None, name: str) -> tuple[float | None, str | None]:
    """Largest value of one disparity over the sensitive features (and which feature)."""
    best: tuple[float | None, str | None] = (None, None)
    for feature, block in (fairness_model.by_feature if fairness_model is not None else {}).items():
        entry = block.disparities.get(name)
        v = _finite(entry.value) if entry is not None else None
        if v is not None and (best[0] is None or v > best[0]):
            best = (v, feature)
    return best


def _task_figures(r: AuditResult, model: str) -> str | None:
    """The figures a run is judged by beyond accuracy, as one line: its kind's own (macro F1, MAE...) and a text
    classifier's worst counterfactual flip rate (None for a binary table)."""
    info = r.models.get(model)
    if info is None:
        return None
    parts = [(c.name, getattr(info, c.attr, None)) for c in kind_view(r).performance if c.key != "accuracy"]
    if r.is_text:
        audit = r.text.models.get(model) if r.text is not None else None
        worst = ((audit.counterfactual if audit is not None else None) or {}).get("max_flip_rate") or {}
        parts.append(("worst counterfactual flip rate", worst.get("value") if isinstance(worst, dict) else None))
    shown = [f"{k} {fmt(v)}" for k, v in parts if _finite(v) is not None]
    return f"{model}: " + ", ".join(shown) if shown else None


def run_summary(result: AuditResult | dict[str, Any], *, name: str) -> dict[str, Any]:
    """One row of the Runs table: verdict, date, models, ε, gates, concerns (critical and warning) and the worst disparities.

    Parameters
    ----------
    result : AuditResult or dict
        A run's result (a plain ``audit.json`` dict is read with :func:`as_result`).
    name : str
        The run directory's name.

    Returns
    -------
    dict
        Flat, display-ready values (None where the run lacks them).

    Examples
    --------
    >>> run_summary({"verdict": "pass", "models": {"reference": {"test_accuracy": 0.85}}}, name="r1")["accuracy reference"]
    0.85
    """
    r = as_result(result)
    models, gates = r.models, r.gates
    card = r.run.card
    dp = r.privacy.dp if r.privacy is not None else None

    def accuracy(model: str) -> float | None:
        return _finite(models[model].test_accuracy) if model in models else None

    row: dict[str, Any] = {
        "run": name,
        "verdict": r.verdict if r.has("verdict") else None,
        "created": r.run.created_at,
        "task": r.task if r.has("task") else None,
        "model": (card.model_name if card is not None else None) or r.run.name,
        "models": ", ".join(str(m) for m in models),
        "accuracy reference": accuracy("reference"),
        "accuracy private": accuracy("private"),
        "ε spent": _finite(dp.epsilon_spent) if dp is not None else None,
        "ε target": _finite(dp.epsilon_target) if dp is not None else None,
        # named as the verdict line counts them: a warning gate that did not pass does not fail the verdict
        "gates failing the verdict": sum(1 for g in gates if g.fails_verdict),
        "warning gates not passed": sum(1 for g in gates if g.severity == "warning" and g.effective_outcome != "pass"),
        "gates inconclusive": sum(1 for g in gates if g.outcome == "inconclusive"),
        "gates": len(gates),
        "concerns": sum(1 for c in concerns_of(r) if c.severity != "info"),
    }
    primary = "private" if "private" in models else "reference"
    row["task figures"] = _task_figures(r, primary)
    fairness = r.fairness.models.get(primary) if r.fairness is not None else None
    for metric, label in (("demographic_parity_difference", "max DP difference"),
                          ("equalized_odds_difference", "max EO difference")):
        value, feature = _worst_disparity(fairness, metric)
        row[label] = value
        row[f"{label} feature"] = feature
    return row


def run_file(run_dir: Path, rel: Any) -> Path:
    """A file the run lists as an artifact, confined to the run directory.

    Raises
    ------
    RunDirError
        When ``rel`` is not a string, escapes the run (``../``, absolute, symbolic link) or is missing.
    """
    if not isinstance(rel, str) or not rel:
        raise RunDirError(_NOT_IN_RUN.format(rel=rel, why="it is not a relative path"))
    path = confine(rel, run_dir)
    if not path.is_file():
        raise RunDirError(_NOT_IN_RUN.format(rel=rel, why="the file is missing"))
    return path


def run_bytes(run_dir: Path, rel: Any, *, limit: str) -> bytes:
    """The bytes of a run's artifact ``rel`` (confined, :func:`run_file`), read by the one bounded reader.

    ``limit`` is the kind of file (``"CARD"``, ``"IMAGE"``...; :func:`audit.records.files.limit_bytes`).

    Raises
    ------
    RunDirError
        As :func:`run_file`; or the file is not a regular file, or over its size limit.
    """
    return read_bytes(run_file(run_dir, rel), what="Run file", fix=_RUN_FIX, error=RunDirError, limit=limit)


def run_array(run_dir: Path, rel: Any) -> np.ndarray:
    """A run's ``.npy`` artifact ``rel`` (confined), read by the one bounded reader: no pickle, no array larger than
    the file (:func:`audit.records.files.load_npy`).

    Examples
    --------
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp())
    >>> np.save(run / "a.npy", np.ones(2))
    >>> run_array(run, "a.npy").tolist()
    [1.0, 1.0]
    """
    return np.asarray(load_npy(run_file(run_dir, rel), what="Run file", fix=_RUN_FIX, error=RunDirError))


def _check_task_columns(frame: pd.DataFrame, kind: TaskKind) -> list[str]:
    """Convert y_true/y_pred/y_score of a file of class labels or of numbers in place; the problems found."""
    problems = []
    if not kind.classifier:  # numbers in target units
        for col in ("y_true", "y_pred", "y_score"):
            values = pd.to_numeric(frame[col], errors="coerce").astype(np.float64)
            if not np.isfinite(values.to_numpy()).all():
                problems.append(f"{col} values missing or not finite numbers")
            frame[col] = values
        return problems
    for col in ("y_true", "y_pred"):  # multiclass: class labels, kept as text
        if frame[col].isna().any():
            problems.append(f"{col} values missing")
        frame[col] = frame[col].astype("string")
    score = pd.to_numeric(frame["y_score"], errors="coerce").astype(np.float64)
    if score.isna().any() or (score < 0).any() or (score > 1).any():
        problems.append("y_score values missing or outside [0, 1]")
    frame["y_score"] = score
    return problems


def _csv(path: Path, data: bytes, **options: Any) -> pd.DataFrame:
    """``data`` (the bytes of ``path``, already read within the limit) parsed as CSV; a parse error is a DataError."""
    import io

    try:
        return pd.read_csv(io.BytesIO(data), **options)
    except Exception as exc:  # pandas' and pyarrow's parse errors share no base class
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise DataError(f"{path}: predictions.csv is not a readable CSV table ({first}). {_PRED_FIX}") from None


def read_predictions(path: Path, *, task: str | TaskKind = "binary") -> pd.DataFrame:
    """Read and check ``predictions.csv``: one row per test example and model.

    Sensitive columns are read as strings (missing stays missing), so a group
    called ``"1"`` is not turned into a number. ``task`` (the record's ``AuditResult.kind``, or its name) sets what
    the label columns hold: 0/1 for a model with a positive class, class labels (text) for one of several classes,
    numbers in target units for a regression.

    Raises
    ------
    DataError
        When a required column is missing or labels/scores are out of range; every problem is listed.
    """
    # One bounded read (a regular file, at most RAI_AUDIT_MAX_PREDICTIONS_BYTES), parsed from memory twice.
    data = read_bytes(path, what="Predictions file", fix=_PRED_FIX, error=DataError, limit="PREDICTIONS")
    header = _csv(path, data, nrows=0).columns.tolist()
    missing = [c for c in PREDICTION_COLUMNS if c not in header]
    if missing:
        raise DataError(_PRED_MISSING.format(path=path, missing=missing, expected=list(PREDICTION_COLUMNS)))
    kind = task if isinstance(task, TaskKind) else TASK_KINDS.get(str(task), TASK_KINDS["binary"])
    if not kind.has_positive_class:
        dtypes = {c: "string" for c in header if c not in ("y_score",)}
        frame = _csv(path, data, dtype=dtypes, engine="pyarrow")
        problems = _check_task_columns(frame, kind)
        if problems:
            raise DataError(_PRED_BAD_TASK.format(path=path, problem="; ".join(problems), task=kind.name), problems=problems)
        return frame
    dtypes = {c: "string" for c in header if c not in PREDICTION_COLUMNS[1:]}
    frame = _csv(path, data, dtype=dtypes, engine="pyarrow")
    problems = []
    for col in ("y_true", "y_pred"):
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().any() or not values.isin([0, 1]).all():
            problems.append(f"{col} values other than 0 and 1")
        frame[col] = values.fillna(-1).astype(np.int8)
    score = pd.to_numeric(frame["y_score"], errors="coerce").astype(np.float64)
    if score.isna().any() or (score < 0).any() or (score > 1).any():
        problems.append("y_score values missing or outside [0, 1]")
    frame["y_score"] = score
    if problems:
        raise DataError(_PRED_BAD.format(path=path, problem="; ".join(problems)), problems=problems)
    return frame


def rates_table(rates: dict[str, dict[str, Any]], *, positives: dict[str, int] | None = None) -> pd.DataFrame:
    """Per-group rates at a threshold as a table, with the gaps Fairlearn reports across groups.

    Parameters
    ----------
    rates : dict
        ``{group: {"count", "selected", "selection_rate", "tpr", "fpr", ...}}`` (``rates_at_threshold``'s result).

    Returns
    -------
    DataFrame
        One row per group: ``group``, ``count``, ``selected``, ``selection_rate``, ``tpr``, ``fpr``.
    """
    rows = [
        {"group": str(g), "count": r.get("count"), "selected": r.get("selected"),
         "selection_rate": r.get("selection_rate"), "tpr": r.get("tpr"), "fpr": r.get("fpr")}
        for g, r in rates.items()
    ]
    return pd.DataFrame(rows, columns=["group", "count", "selected", "selection_rate", "tpr", "fpr"])


def gaps(table: pd.DataFrame) -> dict[str, float | None]:
    """Demographic-parity and equalized-odds differences (max minus min over groups), Fairlearn's definitions.

    Examples
    --------
    >>> t = pd.DataFrame({"selection_rate": [0.2, 0.5], "tpr": [0.6, 0.9], "fpr": [0.1, 0.15]})
    >>> {k: round(v, 3) for k, v in gaps(t).items()}
    {'demographic_parity_difference': 0.3, 'equalized_odds_difference': 0.3}
    """
    def spread(col: str) -> float | None:
        s = pd.to_numeric(table[col], errors="coerce").dropna() if col in table else pd.Series(dtype=float)
        return float(s.max() - s.min()) if len(s) else None

    dp, tpr, fpr = spread("selection_rate"), spread("tpr"), spread("fpr")
    eo = None if tpr is None and fpr is None else max(v for v in (tpr, fpr) if v is not None)
    return {"demographic_parity_difference": dp, "equalized_odds_difference": eo}
