"""``rai-audit compare RUN_A RUN_B``: did run B (the candidate) get worse than run A (the baseline)?

Exit 0 when every ``--max-drop`` gate passes (or none is given), 1 when one fails, or is inconclusive
without ``--allow-inconclusive``, 2 on bad input (runs that cannot be compared, a gate naming no figure).

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_subparser(parser.add_subparsers())
>>> parser.parse_args(["compare", "runs/a", "runs/b", "--max-drop", "accuracy=0.02"]).max_drop
['accuracy=0.02']
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from audit.cli._common import EXIT_GATE_FAILED, EXIT_OK, Subparsers

__all__ = ["add_subparser", "handler"]


def add_subparser(subparsers: Subparsers) -> None:
    """Add ``compare`` to the ``rai-audit`` parser."""
    cmp = subparsers.add_parser(
        "compare", help="compare two runs: the change of every figure with intervals, gates for CI (exit 1 on a regression)",
        description="Compare run B (candidate) against run A (baseline) of the same task (binary, multiclass or regression) "
                    "and groups: the change of every headline and group figure with family-wise intervals (paired when both "
                    "scored the same test rows), gates and concerns that changed, data drift between the test sets, and a "
                    "verdict from --max-drop gates. Exit 0 pass, 1 a gate failed (or was inconclusive), 2 bad input.",
    )
    cmp.add_argument("run_a", help="the baseline run directory")
    cmp.add_argument("run_b", help="the candidate run directory")
    cmp.add_argument("--max-drop", action="append", default=[], metavar="METRIC=DELTA",
                     help="fail when the figure got worse by more than DELTA (repeatable), e.g. accuracy=0.02, "
                          "'tpr[sex=Female]=0.05', 'equalized_odds_difference[race]@reference=0.05'; multiclass "
                          "'recall:Sales[sex=Female]=0.05', macro_f1=0.02; regression 'mae[sex=Female]=5' (target "
                          "units); the metrics each task gates are listed in docs/compare.md")
    cmp.add_argument("--allow-inconclusive", action="store_true", help="exit 0 when gates are inconclusive (none failed)")
    cmp.add_argument("--level", type=float, default=0.95, help="family-wise confidence level (default 0.95)")
    cmp.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates (default 1000)")
    cmp.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    cmp.add_argument("--independent", action="store_true", help="treat the test rows as independent even when they match")
    cmp.add_argument("--baseline-rerun", action="append", default=[], metavar="RUN",
                     help="a run of A's config with another training seed (repeatable): each change is then judged "
                          "against the spread of the baseline's trainings, so two seeds of one config are not called "
                          "significantly different (4 or more reruns give the test its power; with 2 the intervals are wide)")
    cmp.add_argument("--candidate-rerun", action="append", default=[], metavar="RUN",
                     help="a run of B's config with another training seed (repeatable, with --baseline-rerun): B's "
                          "side becomes the mean of its trainings, so a change the size of the seed spread can be found")
    cmp.add_argument("--all", action="store_true", help="list every group's change, not only the headline figures")
    cmp.add_argument("--json", action="store_true", help="print the comparison as JSON")
    cmp.add_argument("--junit", help="also write the --max-drop gates as JUnit XML to this file (outside every run)")
    cmp.set_defaults(func=handler)


def _check_args(args: argparse.Namespace) -> None:
    from audit.exceptions import ConfigError

    if not 0.5 <= args.level < 1:
        raise ConfigError(f"--level {args.level}: expected a confidence level in [0.5, 1), e.g. 0.95. Fix --level.")
    if not 2 <= args.n_boot <= 100_000:
        raise ConfigError(f"--n-boot {args.n_boot}: expected 2 to 100000 replicates (1000 is plenty). Fix --n-boot.")


def handler(args: argparse.Namespace) -> int:
    """Compare the runs; 0 pass (or no gates), 1 a gate failed or is inconclusive, 2 bad input."""
    from audit.cli.run import _check_junit_path
    from audit.compare import compare_runs, format_comparison

    _check_args(args)
    if args.junit:
        _check_junit_path(Path(args.junit))
    comp = compare_runs(args.run_a, args.run_b, max_drop=args.max_drop, level=args.level, n_boot=args.n_boot,
                        seed=args.seed, independent=args.independent, baseline_reruns=args.baseline_rerun,
                        candidate_reruns=args.candidate_rerun)
    if args.junit:
        from reports.junit import write_junit

        write_junit({"run": {"name": f"compare {comp.run_a} → {comp.run_b}"}, "gates": comp.gates["gates"],
                     "verdict": comp.verdict}, args.junit)
    if args.json:
        sys.stdout.write(json.dumps(comp.to_dict(), indent=1, ensure_ascii=False, allow_nan=False, default=str) + "\n")
    else:
        sys.stdout.write(format_comparison(comp, all_changes=args.all))
    if comp.verdict == "fail" or (comp.verdict == "inconclusive" and not args.allow_inconclusive):
        return EXIT_GATE_FAILED
    return EXIT_OK
