"""``rai-audit run CONFIG``: run the audit a TOML config describes and write a run directory.

Thin glue over :func:`audit.pipeline.runner.run_audit`: the config is validated before torch is
imported (config errors are instant), then the summary and the verdict's exit code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from audit.cli._common import EXIT_GATE_FAILED, EXIT_OK, Subparsers
from audit.config import MAX_SEED

if TYPE_CHECKING:
    from audit.choices import TaskKind
    from audit.result import Concern, GateResult, ModelSummary

__all__ = ["add_subparser", "handler"]

_BAD_JUNIT = "--junit {path}: {why}. Expected a file path for the JUnit XML report (missing folders are created); fix --junit."
_BAD_SEED = "expected an integer from 0 to {max} (NumPy, pandas and scikit-learn take no other seeds), found {found!r}"


def _seed(text: str) -> int:
    value = int(text)  # not a number: argparse's own "invalid int value" message
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(_BAD_SEED.format(max=MAX_SEED, found=text))
    return value


_seed.__name__ = "int"  # argparse names the type in that message


def add_subparser(subparsers: Subparsers) -> None:
    """Add ``run`` to the ``rai-audit`` parser."""
    run = subparsers.add_parser("run", help="run the audit a TOML config describes and write a run directory")
    run.add_argument("config", help="audit TOML file (see examples/adult/audit.toml)")
    run.add_argument("--out", help="run directory to create (default runs/<name>-<timestamp>)")
    run.add_argument("--seed", type=_seed, help="override the training and split seeds")
    run.add_argument("--junit", help="also write the gates as JUnit XML to this file")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    run.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Run the audit; 0 when the verdict is pass, 1 when an error gate failed."""
    from audit.config import load_config

    config = load_config(args.config)  # validate before importing torch: config errors are instant
    if args.out:  # a new run inside a sealed one would break it (verify fails, reviews refused): refused before training
        from audit.records.rundir import refuse_inside_run

        refuse_inside_run(args.out, instead="Choose a --out outside every run directory (e.g. runs/NAME)")
    if args.junit:
        _check_junit_path(Path(args.junit), out=args.out)
    from audit.pipeline.runner import run_audit
    from audit.runtime.progress import Progress

    progress = Progress(total=0, enabled=not args.quiet)
    outcome = run_audit(config, out=args.out, seed=args.seed, progress=progress)
    result = outcome.result
    if args.junit:
        from reports.junit import write_junit

        write_junit(result.to_dict(), args.junit)
    _print_summary(result.to_dict(), outcome.run_dir, outcome.cards)
    return EXIT_OK if result.verdict == "pass" else EXIT_GATE_FAILED


def _check_junit_path(path: Path, *, out: str | None = None) -> None:
    """Refuse a --junit path that cannot be written, or would be written into a sealed run (another one, or this run's
    own --out, sealed before the report is written), before the audit runs (not after it published a run)."""
    from audit.exceptions import ConfigError
    from audit.records.rundir import refuse_inside_run

    if out is not None and path.resolve().is_relative_to(Path(out).resolve()):
        raise ConfigError(_BAD_JUNIT.format(path=path, why=f"it is inside this run's --out {out}, which is sealed before "
                                            "the report is written (verify would then fail)") + " Write it beside the run.")
    refuse_inside_run(path.parent, flag="--junit", instead="Write the JUnit report outside every run directory")

    if path.is_dir():
        raise ConfigError(_BAD_JUNIT.format(path=path, why="it is a directory"))
    if path.exists() and not path.is_file():
        raise ConfigError(_BAD_JUNIT.format(path=path, why="it is not a regular file"))
    existing = next((a for a in path.parents if a.exists()), None)  # missing folders are created
    if existing is not None and not existing.is_dir():
        raise ConfigError(_BAD_JUNIT.format(path=path, why=f"{existing} is a file, so no folder can be made in it"))


def _fmt(x: object) -> str:
    return "n/a" if x is None else (f"{x:.4f}" if isinstance(x, float) else str(x))


_MARKS = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE"}
_SEVERITY_MARKS = {"critical": "!! CRITICAL", "warning": " ! WARNING ", "info": "   info    "}


def _gate_mark(g: GateResult) -> str:
    outcome = g.effective_outcome
    if outcome == "pass":
        return "PASS*" if g.ci_crosses_bound else "PASS"
    if g.severity != "error" or (outcome == "inconclusive" and g.allow_inconclusive):
        return "WARN" if outcome == "fail" else "INCONCLUSIVE (allowed)"
    return _MARKS[outcome]


def _print_concerns(out: TextIO, concerns: list[Concern]) -> None:
    import textwrap

    if not concerns:
        out.write("Concerns: none found.\n")
        return
    out.write(f"Concerns ({len(concerns)}; read these before the numbers):\n")
    for c in concerns:
        out.write(f"  {_SEVERITY_MARKS.get(c.severity, c.severity)}  {c.title}\n")
        for text in ([c.detail] if c.detail else []) + ([f"see: {c.where}"] if c.where else []):
            out.write(textwrap.fill(text, width=110, initial_indent=" " * 16, subsequent_indent=" " * 16) + "\n")


def _model_line(kind: TaskKind, info: ModelSummary) -> str:
    """A model's headline test metrics for its kind of target."""
    if not kind.classifier:
        return f"MAE {_fmt(info.test_mae)}  RMSE {_fmt(info.test_rmse)}  R² {_fmt(info.test_r2)}"
    if kind.has_classes:
        return (f"accuracy {_fmt(info.test_accuracy)}  macro F1 {_fmt(info.test_macro_f1)}  balanced accuracy "
                f"{_fmt(info.test_balanced_accuracy)}")
    return f"accuracy {_fmt(info.test_accuracy)}  ROC AUC {_fmt(info.test_roc_auc)}"


def _print_headline(out: TextIO, result: dict[str, Any]) -> None:
    """The card's headline figures (reports._headline): what threatens the verdict first, then the audited model's
    figures and its worst disparity over every grouping."""
    from reports import build_summary

    summary = build_summary(result)
    if not summary["tiles"]:
        return
    out.write(f"\nHeadline figures ({summary['audited_model']} model; what threatens the verdict first):\n")
    for t in summary["tiles"]:
        digits = t.get("digits") or 3
        ci = f" [{t['ci'][0]:.{digits}f}, {t['ci'][1]:.{digits}f}]" if t["ci"] else ""
        value = f"{t['value']:.{digits}f}" if t["value"] is not None else "n/a"
        gate = f"gate {t['bound']}: {t['outcome']}" if t["bound"] else "no gate"
        why = t.get("threat") or t.get("note")
        out.write(f"  {t['label']}: {value}{ci} — {gate}" + (f" ({why})" if why else "") + "\n")


def _print_summary(result: dict[str, Any], run_dir: Path | None, cards: dict[str, str]) -> None:
    from audit.result import AuditResult
    from audit.verdict.concerns import concerns_of

    typed = AuditResult.from_dict(result)
    out = sys.stdout
    out.write("\n")
    for name, info in typed.models.items():
        out.write(f"  {name:<10} {_model_line(typed.kind, info)}\n")
    dp = typed.privacy.dp if typed.privacy is not None else None
    if dp is not None:
        delta = f"{dp.delta:.1e}" if dp.delta is not None else "n/a"
        out.write(f"  privacy    ε spent {_fmt(dp.epsilon_spent)} (target {dp.epsilon_target}, δ={delta}, "
                  f"{dp.accountant} accountant)\n")
    _print_headline(out, result)
    if typed.gates:
        out.write("\nGates (value [interval] vs bound; PASS* = passes on the estimate, the interval crosses the bound):\n")
        for g in typed.gates:
            out.write(f"  [{_gate_mark(g)}] {g.message}\n")
    from reports._headline import count_text, verdict_counts

    concerns = concerns_of(typed)
    counts = count_text(verdict_counts(typed))  # worded as the card's header and the dashboard's Overview word them
    below = " below" if concerns else ""
    out.write(f"\nVerdict: {(typed.verdict or '?').upper()} — {counts['gates']} · {counts['concerns']}{below}\n")
    for reason in typed.verdict_reasons:
        out.write(f"  - {reason}\n")
    out.write("\n")
    _print_concerns(out, concerns)
    if run_dir is not None:
        out.write(f"\nRun directory: {run_dir}\n")
        for fmt, path in cards.items():
            out.write(f"Model card ({fmt}): {path}\n")
        out.write(f"\nNext: rai-audit dashboard {run_dir.parent}   (review every finding in the browser)\n"
                  f"      rai-audit verify {run_dir}   (check nothing changed since it was written)\n")
