"""``rai-audit score RUN_DIR DATA --out PREDS/``: apply a saved run's models to a Parquet dataset.

The run is verified against its manifest first, and the data held to run's input contract (docs/reliability.md,
"### score"). The data (a Parquet file, folder or glob) is scored partition by partition: in chunks on pandas,
with ``map_partitions`` on Dask, ``mapInPandas`` on Spark. The predictions (Parquet, one row per
example and model: ``model``, ``y_true`` when the target column is present, ``y_pred``, ``y_score``
and the sensitive columns) are what ``rai-audit fairness PREDS --engine ...`` audits. torch and the
engines are imported when the command runs, not for ``--help``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from audit.cli._common import EXIT_OK, Subparsers

__all__ = ["add_subparser", "handler"]


def add_subparser(subparsers: Subparsers) -> None:
    """Add the ``score`` subcommand to an argparse ``subparsers`` object.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="rai-audit")
    >>> add_subparser(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["score", "runs/r", "data.parquet", "--out", "preds"]).engine
    'pandas'
    """
    p = subparsers.add_parser(
        "score",
        help="apply a run's models to a Parquet dataset, partition by partition (pandas, Dask or Spark)",
        description="Score a Parquet file, folder or glob with a saved run's models (the run verified against its "
        "manifest first, weights loaded with weights_only=True, the built-in MLP rebuilt with the shapes its weights "
        "hold) and write the predictions as Parquet, ready for `rai-audit fairness PREDS --engine ...`. Target labels "
        "the run never saw, missing labels and non-finite features are refused, naming the column and row.",
    )
    p.add_argument("run_dir", type=Path, help="run directory written by rai-audit run")
    p.add_argument("data", help="Parquet file, folder or glob with the training columns")
    p.add_argument("--out", required=True, type=Path,
                   help="new folder for the predictions (Parquet), outside every run directory; it appears complete "
                        "or not at all")
    p.add_argument("--engine", choices=("pandas", "dask", "spark"), default="pandas",
                   help="pandas (chunks in this process, default), dask or spark (pip install \"rai-audit[dask]\" / "
                        "\"rai-audit[spark]\")")
    p.add_argument("--model", action="append", metavar="NAME", dest="models",
                   help="score only this model (repeatable; default: every model of the run)")
    p.add_argument("--keep", nargs="+", default=[], metavar="COL",
                   help="input columns copied to the predictions (never model, y_true, y_pred or y_score)")
    p.add_argument("--factory", metavar="MODULE:FUNCTION",
                   help="confirm the user factory the run recorded (needed to rebuild a factory model: runs its code)")
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Run the ``score`` subcommand; returns the exit code (0)."""
    from audit.fairness._frames import require_engine
    from audit.scale import load_scorer, score_dataset

    require_engine(args.engine)  # a missing extra is named before the weights are read
    scorer = load_scorer(args.run_dir, models=args.models, factory=args.factory, keep=args.keep)
    summary = score_dataset(scorer, args.data, args.out, engine=args.engine)
    print(json.dumps(summary), file=sys.stderr)
    truth = "--y-true y_true" if scorer.target else "--y-true COL"
    print(f"Wrote {summary['predictions']} predictions ({summary['rows']} rows x {len(scorer.weights)} model(s)) "
          f"to {args.out}.\nNext: rai-audit fairness {args.out} --engine {args.engine} {truth} --y-pred y_pred "
          f"--y-score y_score --sensitive {' '.join(scorer.sensitive) or 'COL'} --model {sorted(scorer.weights)[0]}")
    return EXIT_OK
