"""``rai-audit run CONFIG``: run the audit a TOML config describes and write a run directory.

Thin glue over :func:`audit.runner.run_audit`: the config is validated before torch is
imported (config errors are instant), then the summary and the verdict's exit code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from audit.cli._common import EXIT_GATE_FAILED, EXIT_OK
from audit.config import MAX_SEED

__all__ = ["add_subparser", "handler"]

_BAD_SEED = "expected an integer from 0 to {max} (NumPy, pandas and scikit-learn take no other seeds), found {found!r}"


def _seed(text: str) -> int:
    value = int(text)  # not a number: argparse's own "invalid int value" message
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(_BAD_SEED.format(max=MAX_SEED, found=text))
    return value


_seed.__name__ = "int"  # argparse names the type in that message


def add_subparser(subparsers: Any) -> None:
    """Add ``run`` to the ``rai-audit`` parser."""
    run = subparsers.add_parser("run", help="run the audit a TOML config describes and write a run directory")
    run.add_argument("config", help="audit TOML file (see examples/adult/audit.toml)")
    run.add_argument("--out", help="run directory to create (default runs/<name>-<timestamp>)")
    run.add_argument("--seed", type=_seed, help="override the training and split seeds")
    run.add_argument("--junit", help="also write the gates as JUnit XML to this file")
    run.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    run.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Run the audit; 0 when the verdict is pass, 1 when an error gate failed."""
    from audit.config import load_config

    config = load_config(args.config)  # validate before importing torch: config errors are instant
    from audit.progress import Progress
    from audit.runner import run_audit

    progress = Progress(total=0, enabled=not args.quiet)
    outcome = run_audit(config, out=args.out, seed=args.seed, progress=progress)
    result = outcome.result
    if args.junit:
        from reports.junit import write_junit

        write_junit(result.to_dict(), args.junit)
    _print_summary(result.to_dict(), outcome.run_dir, outcome.cards)
    return EXIT_OK if result.verdict == "pass" else EXIT_GATE_FAILED


def _fmt(x) -> str:
    return "n/a" if x is None else (f"{x:.4f}" if isinstance(x, float) else str(x))


def _print_summary(result: dict, run_dir: Path | None, cards: dict[str, str]) -> None:
    out = sys.stdout
    out.write("\n")
    for name, info in result.get("models", {}).items():
        line = f"  {name:<10} accuracy {_fmt(info.get('test_accuracy'))}  ROC AUC {_fmt(info.get('test_roc_auc'))}"
        out.write(line + "\n")
    dp = (result.get("privacy") or {}).get("dp")
    if dp:
        out.write(f"  privacy    ε spent {_fmt(dp.get('epsilon_spent'))} (target {dp.get('epsilon_target')}, δ={dp.get('delta'):.1e}, "
                  f"{dp.get('accountant')} accountant)\n")
    gates = result.get("gates", [])
    if gates:
        out.write("\nGates:\n")
        for g in gates:
            mark = "PASS" if g["passed"] else ("FAIL" if g["severity"] == "error" else "WARN")
            out.write(f"  [{mark}] {g['message']}\n")
    out.write(f"\nVerdict: {result.get('verdict', '?').upper()}\n")
    if run_dir is not None:
        out.write(f"Run directory: {run_dir}\n")
        for fmt, path in cards.items():
            out.write(f"Model card ({fmt}): {path}\n")
        out.write(f"\nNext: rai-audit dashboard {run_dir.parent}   (review every finding in the browser)\n"
                  f"      rai-audit verify {run_dir}   (check nothing changed since it was written)\n")
