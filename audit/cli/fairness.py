"""``rai-audit fairness FILE ...``: audit predictions from any framework.

The file (CSV or Parquet) holds one row per example: the true label, the
predicted label, optionally the score, and the sensitive columns. The result is
the same :func:`~audit.fairness.fairness_report` as inside ``rai-audit run``: a
table on the terminal, or the whole result as JSON with ``--json``. pandas and
the fairness code are imported when the command runs, not for ``--help``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.choices import TASK_KINDS, task_kind
from audit.cli._common import EXIT_OK, Subparsers
from audit.exceptions import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TABLE_DISPARITIES", "TABLE_METRICS", "add_subparser", "handler", "read_table", "render_table"]

_MISSING_COLS = (
    "Column(s) {missing} not found in {path}. Its columns are {columns}. Fix: pass the column names "
    "with --y-true, --y-pred, --y-score and --sensitive."
)
_FILE_FIX = "Give the path of the predictions file (CSV or Parquet) as FILE: rai-audit fairness FILE --y-true ... ."
_NO_MODEL = (
    "--model {model!r} matches no row of column 'model' (values: {values}). Fix: pick one of those values."
)
_SEVERAL_MODELS = (
    "note: column 'model' holds {k} models {values}; their rows are pooled. Pass --model NAME to audit one."
)

TABLE_METRICS = ("selection_rate", "tpr", "fpr", "accuracy", "precision")
TABLE_DISPARITIES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equal_opportunity_difference",
    "predictive_parity_difference",
    "accuracy_difference",
)


def _check_n_boot(value: int) -> None:
    """--n-boot within the same resource limit as the config's fairness.n_boot."""
    from dataclasses import fields

    from audit.config import FairnessSection, limit_for
    from audit.exceptions import ConfigError

    limit = next(f for f in fields(FairnessSection) if f.name == "n_boot").metadata["limits"][0]
    problems: list[str] = []
    allowed = limit_for("fairness.n_boot", limit, problems)
    if problems:
        raise ConfigError(problems[0])
    if value > allowed:
        raise ConfigError(
            f"--n-boot {value}: {value} bootstrap resamples is above the limit of {allowed}: {limit.why}. Use at most "
            f"{allowed}, or raise the limit with the environment variable {limit.env('fairness.n_boot')}={value}.")


def add_subparser(subparsers: Subparsers) -> None:
    """Add the ``fairness`` subcommand to an argparse ``subparsers`` object.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="rai-audit")
    >>> add_subparser(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["fairness", "p.csv", "--y-true", "y", "--y-pred", "p", "--sensitive", "sex"]).n_boot
    1000
    """
    p = subparsers.add_parser(
        "fairness",
        help="group metrics, disparities and CIs for a predictions file (CSV or Parquet)",
        description="Audit predictions from any framework: group metrics, Fairlearn disparities with "
        "exact confidence intervals and parity tests (Holm across the audit), each sensitive feature alone and "
        "their intersection.",
    )
    p.add_argument("file", type=Path, help="CSV or Parquet file with one row per example")
    p.add_argument("--y-true", required=True, metavar="COL", help="column of true labels")
    p.add_argument("--y-pred", required=True, metavar="COL", help="column of predicted labels")
    p.add_argument("--y-score", metavar="COL", help="column of positive-class probabilities (adds AUC, ECE)")
    p.add_argument("--sensitive", required=True, nargs="+", metavar="COL", help="sensitive feature column(s)")
    p.add_argument("--pos-label", default=None, metavar="V",
                   help="the positive label (default: 1 for numeric labels; read as the column's type)")
    p.add_argument("--n-boot", type=int, default=1000, metavar="N",
                   help="0: point estimates only (no intervals or tests); otherwise exact intervals and tests, and this "
                        "many bootstrap resamples for the ECE interval (at most the limit of fairness.n_boot, 100000 "
                        "unless raised with RAI_AUDIT_MAX_FAIRNESS_N_BOOT)")
    p.add_argument("--ci-level", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--no-stratify", action="store_true", help="plain instead of group-stratified bootstrap (ECE)")
    p.add_argument("--min-group-size", type=int, default=30, help="flag smaller groups (default 30)")
    p.add_argument("--sensitive-quantiles", type=int, default=4, metavar="N",
                   help="a numeric sensitive column with more than 10 distinct values is cut into N groups at its "
                        "quantiles, as data.sensitive_quantiles does in a run (default 4; 0: one group per value)")
    p.add_argument("--seed", type=int, default=0, help="seed of the ECE bootstrap")
    p.add_argument("--model", metavar="NAME", help="keep rows whose 'model' column equals NAME (predictions.csv)")
    p.add_argument("--engine", choices=("pandas", "dask", "spark"), default="pandas",
                   help="where the rows are counted: pandas in memory (default), or Dask or Spark over a Parquet "
                        "file, folder or glob (pip install \"rai-audit[dask]\" or \"rai-audit[spark]\"; docs/scale.md)")
    p.add_argument("--auc-bins", type=int, default=10_000, metavar="N",
                   help="with --engine dask/spark (or a folder): score bins of the ROC AUC histogram (default 10000; "
                        "the AUC is exact when the bins resolve the scores, else labelled with its error bound)")
    p.add_argument("--task", choices=("binary", "multiclass", "regression"),
                   help="what the model predicts (default: inferred from the labels where unambiguous: two values "
                        "binary, text labels multiclass, numbers with decimals regression)")
    p.add_argument("--classes", nargs="+", metavar="LABEL",
                   help="multiclass: the class labels in the model's output order (default: the labels found, sorted)")
    p.add_argument("--min-group-positives", type=int, default=10, metavar="N",
                   help="multiclass: least rows of a class a group needs for its per-class rates (default 10)")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.set_defaults(func=handler)


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet predictions file, raising :class:`DataError` on failure.

    The same reader as ``rai-audit run`` (empty files, wrong delimiters and duplicated
    columns are named as such).
    """
    from audit.data import read_table as read_user_table

    return read_user_table(path, what="Predictions file", fix=_FILE_FIX)


def _coerce_label(text: str | None, column: pd.Series) -> Any:
    """The --pos-label text as a value of the label column's type."""
    import pandas as pd

    if text is None:
        return 1 if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column) else None
    if pd.api.types.is_bool_dtype(column):
        return text.strip().lower() in ("1", "true", "yes")
    if pd.api.types.is_integer_dtype(column):
        try:
            return int(text)
        except ValueError:
            return text
    if pd.api.types.is_float_dtype(column):
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _fmt(entry: dict[str, Any] | None) -> str:
    if entry is None or entry.get("value") is None:
        return "n/a"
    s = f"{entry['value']:.3f}"
    if entry.get("ci"):
        s += f" [{entry['ci'][0]:.3f}, {entry['ci'][1]:.3f}]"
    return s


def render_table(result: dict[str, Any]) -> str:
    """A readable plain-text summary of :func:`fairness_report`'s result."""
    lines = [
        f"n = {result['n']}, positive label = {result['pos_label']!r}; "
        f"CIs: {result['ci']['level']:.0%} {result['ci']['method']}, n_boot = {result['ci']['n_boot']}"
        + (", stratified" if result["ci"]["stratified"] else ""),
        "Overall: " + ", ".join(f"{m} {_fmt(result['overall']['metrics'][m])}" for m in TABLE_METRICS),
    ]
    if result["ci"]["n_boot"] and result["ci"].get("disparity_method"):
        lines.insert(1, "Disparity intervals reach parity when the groups may be equal (method: docs/fairness.md).")
    for key, block in result["by_feature"].items():
        lines += ["", f"== {key} =="]
        header = ["group", "count", *TABLE_METRICS]
        rows = []
        for g in block["groups"]:
            flag = " (!)" if g["insufficient_data"] else ""
            rows.append([g["group"] + flag, str(g["count"]), *(_fmt(g["metrics"][m]) for m in TABLE_METRICS)])
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for r in [header, *rows]:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        for d in TABLE_DISPARITIES + (("roc_auc_difference",) if "roc_auc_difference" in block["disparities"] else ()):
            lines.append(f"  {d}: {_fmt(block['disparities'][d])}")
        if block.get("roc_auc_excluded_groups"):
            lines.append("  ROC AUC undefined (one class only), left out of roc_auc_difference: "
                         + ", ".join(block["roc_auc_excluded_groups"]))
        ff = block["four_fifths_rule"]
        verdict = "n/a" if ff["passed"] is None else ("passed" if ff["passed"] else "FAILED")
        lines.append(f"  four-fifths rule (selection-rate ratio >= 0.8): {verdict}")
        if block["insufficient_groups"]:
            lines.append(f"  (!) fewer than {result['min_group_size']} rows, insufficient data: "
                         + ", ".join(block["insufficient_groups"]))
        if block["undefined_rates"]:
            lines.append("  undefined rates reported as 0 (Fairlearn's convention): "
                         + ", ".join(f"{u['metric']} of {u['group']} ({u['reason']})" for u in block["undefined_rates"]))
    return "\n".join(lines)


def handler(args: argparse.Namespace) -> int:
    """Run the ``fairness`` subcommand; returns the exit code (0)."""
    _check_n_boot(args.n_boot)
    dataset = args.engine != "pandas" or args.file.is_dir() or any(ch in str(args.file) for ch in "*?[")
    if dataset and args.task in (None, "binary"):
        try:
            return _print(args, _engine_report(args))  # a Parquet folder or glob is read as a dataset
        except _NotBinary:
            pass  # the labels say multiclass or regression: the rows come to this machine
    df = _engine_rows(args) if dataset else read_table(args.file)
    df = _checked(df, args)
    from audit.cli._fairness_tasks import infer_task, task_report

    task = args.task or infer_task(df[args.y_true], df[args.y_pred])
    if not TASK_KINDS[task].has_positive_class:  # the run's own multiclass or regression report
        return _print(args, task_report(df, args, task, _groups(df, list(args.sensitive), quantiles=args.sensitive_quantiles)))
    return _print(args, _binary_report(df, args))


class _NotBinary(Exception):
    """The counted labels are not binary and no --task was given: infer it from the rows instead."""


def _engine_rows(args: argparse.Namespace) -> pd.DataFrame:
    """The needed columns of a Parquet dataset, read on the engine and brought here (multiclass, regression)."""
    from audit.cli._fairness_tasks import task_rows
    from audit.fairness._contract import check_columns
    from audit.fairness._frames import read_parquet

    columns = [*dict.fromkeys([args.y_true, args.y_pred, *args.sensitive, *(["model"] if args.model is not None else [])])]
    frame = read_parquet(args.file, engine=args.engine, columns=columns)
    # checked on the engine before the rows come here: an identifier column is refused, not brought over
    check_columns(frame, y_true=args.y_true, y_pred=args.y_pred, sensitive=list(args.sensitive), source=_source(args),
                  quantiles=args.sensitive_quantiles)
    return task_rows(frame, args.engine)


def _source(args: argparse.Namespace) -> str:
    return f"predictions file {args.file}"


def _checked(df: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """The rows to audit: columns present, the input contract (types, scores, group caps, intersections), one model's rows."""
    wanted = [args.y_true, args.y_pred, *([args.y_score] if args.y_score else []), *args.sensitive]
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise DataError(_MISSING_COLS.format(missing=missing, path=args.file, columns=[str(c) for c in df.columns][:30]))
    from audit.fairness._contract import check_columns, check_intersections

    # the one input contract of every engine (audit.fairness._contract): the same checks and messages
    check_columns(df, y_true=args.y_true, y_pred=args.y_pred, sensitive=list(args.sensitive), y_score=args.y_score,
                  source=_source(args), quantiles=args.sensitive_quantiles)
    check_intersections(df, list(args.sensitive), source=_source(args))
    if args.model is not None:
        if "model" not in df.columns:
            raise DataError(_MISSING_COLS.format(missing=["model"], path=args.file, columns=list(map(str, df.columns))[:30]))
        values = sorted(map(str, df["model"].dropna().unique()))
        df = df[df["model"].astype(str) == args.model].reset_index(drop=True)
        if df.empty:
            raise DataError(_NO_MODEL.format(model=args.model, values=values))
    elif "model" in df.columns and "model" not in wanted and df["model"].nunique() > 1:
        values = sorted(map(str, df["model"].dropna().unique()))
        print(_SEVERAL_MODELS.format(k=len(values), values=values), file=sys.stderr)
    return df


def _binary_report(df: pd.DataFrame, args: argparse.Namespace) -> dict[str, Any]:
    """The binary report (Fairlearn's metrics, exact intervals and parity tests) of the rows in ``df``."""
    from audit.fairness._report import fairness_report

    pos_label = _coerce_label(args.pos_label, df[args.y_true])
    if pos_label is None:
        values = sorted(map(str, df[args.y_true].dropna().unique()))[:10]
        raise DataError(f"--pos-label is required: {args.y_true!r} holds non-numeric labels {values}. "
                        f"Fix: pass e.g. --pos-label {values[-1] if values else 'VALUE'!r}.")
    return fairness_report(
        y_true=df[args.y_true],
        y_pred=df[args.y_pred],
        y_score=df[args.y_score] if args.y_score else None,
        sensitive=_groups(df, list(args.sensitive), quantiles=args.sensitive_quantiles),
        pos_label=pos_label,
        n_boot=args.n_boot,
        ci_level=args.ci_level,
        stratified=not args.no_stratify,
        min_group_size=args.min_group_size,
        seed=args.seed,
    )


def _groups(df: pd.DataFrame, columns: list[str], *, quantiles: int) -> pd.DataFrame:
    """The sensitive columns, numeric ones with many values binned as a run bins them (a note on stderr each)."""
    from audit.data import fit_sensitive_bins, sensitive_frame

    if quantiles != 0 and not 2 <= quantiles <= 20:
        raise ConfigError(f"--sensitive-quantiles {quantiles}: expected an integer from 2 to 20, or 0 (one group per value).")
    bins = fit_sensitive_bins(df, columns, quantiles=quantiles, label="predictions file", rows="rows of the file")
    for b in bins.values():
        print(f"sensitive feature {b.text} (--sensitive-quantiles 0 keeps one group per value)", file=sys.stderr)
    return df[columns].assign(**{c: sensitive_frame(df, [c], bins=bins)[c] for c in bins}) if bins else df[columns]


def _print(args: argparse.Namespace, result: dict[str, Any]) -> int:
    if args.json:
        print(json.dumps(result, indent=2, allow_nan=False))
    elif (kind := task_kind(result.get("task"))) is not None and not kind.has_positive_class:
        from audit.cli._fairness_tasks import render_task_table

        print(render_task_table(result))
    else:
        print(render_table(result))
    return EXIT_OK


def _engine_report(args: argparse.Namespace) -> dict[str, Any]:
    """The report with the rows counted on Dask or Spark (one group-by; the rest on this machine)."""
    from audit.fairness._contract import check_intersections
    from audit.fairness._frames import count_table, read_parquet
    from audit.fairness._from_cells import COUNT, fairness_report_from_counts

    if str(args.file).lower().endswith((".csv", ".tsv", ".txt")):
        raise DataError(f"--engine {args.engine} reads Parquet (a file, a folder or a glob), not {args.file}. "
                        "Fix: write the predictions as Parquet, or use --engine pandas for a CSV file.")
    columns = [*dict.fromkeys([args.y_true, args.y_pred, *([args.y_score] if args.y_score else []), *args.sensitive,
                               *(["model"] if args.model is not None else [])])]
    frame = read_parquet(args.file, engine=args.engine, columns=columns)
    table = count_table(frame, y_true=args.y_true, y_pred=args.y_pred, sensitive=list(args.sensitive),
                        y_score=args.y_score, auc_bins=args.auc_bins, model=args.model, source=_source(args))
    if args.model is not None and table[COUNT].sum() == 0:
        raise DataError(f"--model {args.model!r} matches no row of column 'model' in {args.file}. "
                        "Fix: pick one of that column's values.")
    labels = set(table[args.y_true].dropna()) | set(table[args.y_pred].dropna())
    if args.task is None and len(labels) > 2:
        raise _NotBinary()
    check_intersections(table, list(args.sensitive), source=_source(args))
    pos_label = _coerce_label(args.pos_label, table[args.y_true])
    if pos_label is None:
        values = sorted(map(str, table[args.y_true].dropna().unique()))[:10]
        raise DataError(f"--pos-label is required: {args.y_true!r} holds non-numeric labels {values}. "
                        f"Fix: pass e.g. --pos-label {values[-1] if values else 'VALUE'!r}.")
    return fairness_report_from_counts(
        table, y_true=args.y_true, y_pred=args.y_pred, sensitive=list(args.sensitive), pos_label=pos_label,
        auc_bins=args.auc_bins,
        n_boot=args.n_boot, ci_level=args.ci_level, stratified=not args.no_stratify,
        min_group_size=args.min_group_size, seed=args.seed)
