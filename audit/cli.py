"""The ``rai-audit`` command line.

Exit codes: 0 every gate passed (or the command succeeded), 1 a gate failed
(or ``verify`` found a difference), 2 bad input or an error. Errors print one
paragraph and no traceback unless ``--debug`` is given.

Subcommands: ``run``, ``card``, ``verify``, ``review``, ``fairness``, ``dashboard``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from audit.exceptions import AuditError

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_GATE_FAILED, EXIT_ERROR = 0, 1, 2

# Subcommands contributed by other modules: each module exposes add_subparser(subparsers).
_PLUGGABLE = ["audit.fairness._cli", "audit.review_cli", "dashboard.launch"]


def _cmd_run(args: argparse.Namespace) -> int:
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


def _cmd_card(args: argparse.Namespace) -> int:
    from audit.review import read_reviews
    from audit.rundir import REVIEWS_FILE, load_result
    from reports import validate_result, write_cards

    result = load_result(args.run_dir)
    validate_result(result)
    out_dir = Path(args.out) if args.out else Path(args.run_dir)
    if args.out:
        out_dir.mkdir(parents=True, exist_ok=True)
    elif not args.force:
        # Re-rendering inside a sealed run changes files the manifest covers; verify would then fail.
        out_dir = Path(args.run_dir) / "cards-rerendered"
        out_dir.mkdir(exist_ok=True)
    reviews = read_reviews(args.run_dir) if (Path(args.run_dir) / REVIEWS_FILE).exists() else []
    written = write_cards(result, out_dir, template=args.template, reviews=reviews, assets_dir=args.run_dir)
    for fmt, path in written.items():
        sys.stdout.write(f"Model card ({fmt}): {path}\n")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="rai-audit",
        description="Responsible-AI audit for PyTorch models: privacy, fairness, explanations, compute and policy gates.",
        epilog="Exit codes: 0 pass, 1 a gate failed, 2 bad input or error.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    run = sub.add_parser("run", help="run the audit a TOML config describes and write a run directory")
    run.add_argument("config", help="audit TOML file (see examples/adult/audit.toml)")
    run.add_argument("--out", help="run directory to create (default runs/<name>-<timestamp>)")
    run.add_argument("--seed", type=int, help="override the training and split seeds")
    run.add_argument("--junit", help="also write the gates as JUnit XML to this file")
    run.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    run.set_defaults(func=_cmd_run)

    card = sub.add_parser("card", help="re-render the model cards from a run's audit.json")
    card.add_argument("run_dir")
    card.add_argument("--out", help="write the cards here instead of RUN_DIR/cards-rerendered")
    card.add_argument("--force", action="store_true", help="overwrite the cards inside the run (verify will then report them changed)")
    card.add_argument("--template", help="a custom Jinja2 HTML template to use instead of the default")
    card.set_defaults(func=_cmd_card)

    for module_name in _PLUGGABLE:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # A part not installed yet must not break the other commands.
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        add: Callable | None = getattr(module, "add_subparser", None)
        if add is not None:
            add(sub)
    # Accept --debug after the subcommand too (rai-audit run cfg.toml --debug).
    for subparser in sub.choices.values():
        subparser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks for errors")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rai-audit`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors are bad input
        return EXIT_ERROR if exc.code not in (0, None) else EXIT_OK
    try:
        return int(args.func(args))
    except AuditError as exc:
        if args.debug:
            traceback.print_exc()
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: nothing was published (a run directory appears only when complete).\n")
        return EXIT_ERROR
    except Exception as exc:  # a bug or an unexpected environment problem: still one paragraph
        if args.debug:
            traceback.print_exc()
        sys.stderr.write(
            f"error: unexpected {type(exc).__name__}: {exc}\n"
            "This is likely a bug in rai-audit; re-run with --debug for the traceback and report it.\n"
        )
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
