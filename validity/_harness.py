"""Rows, targets and the runner of the validity suite.

Targets (issue 22, "Done when"), applied to every cell:

* **coverage** of a nominal 95% interval or band: at least :data:`COVERAGE_FLOOR` (93%);
* **error rate** of a test or flag at the null (family-wise where the tool controls a family): at
  most ``alpha`` plus the Monte-Carlo error (``3 · se`` of a rate ``alpha`` over ``reps``: the suite
  has about a hundred null rows, and a test exactly at 5% would miss a 2-se allowance in 2.3% of
  them by chance alone);
* **power** against a stated baseline on the same simulated data: not below the baseline's
  minus the Monte-Carlo error of the difference;
* **bound**: a one-sided bound (a privacy lower bound) lies on the wrong side of the truth in at
  most ``alpha`` of the seeds (and the table shows the largest value seen).

The quick subset (``quick=True``, run in ``make test``) uses fewer repetitions; to stay a test that
cannot flip on noise, it accepts a coverage down to the floor minus 2.33 Monte-Carlo standard errors
(a broken method, at 44-68% coverage, still fails it by far). The full run applies the floors as
stated.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AREAS", "COVERAGE_FLOOR", "Check", "Row", "bound_row", "coverage_row", "error_row", "mc_se", "power_row",
           "rows_table", "run_area"]

COVERAGE_FLOOR = 0.93
"""Least coverage a nominal 95% interval must keep in every cell."""
ALPHA = 0.05
"""Nominal error rate of every test and flag at the null."""
AREAS = ("fairness", "degenerate", "tasks", "slices", "privacy", "text", "compare", "robustness")
"""The suite's modules, in the order docs/validity.md shows them."""


@dataclass(frozen=True)
class Row:
    """One measured promise in one cell.

    ``value`` is the measured rate; ``target`` says what it must keep, in words; ``ok`` whether it
    does; ``reps`` the simulated audits behind it; ``detail`` anything worth printing beside it
    (the baseline's power, the largest bound seen, the method).
    """

    check: str
    cell: Mapping[str, Any]
    measure: str
    value: float
    target: str
    ok: bool
    reps: int
    detail: str = ""


@dataclass(frozen=True)
class Check:
    """One promise simulated over a grid: ``run(quick, seed) -> rows``.

    ``title`` and ``claim`` head its table in docs/validity.md (what the tool reports, and what it
    promises about it).
    """

    name: str
    title: str
    claim: str
    run: Callable[..., list[Row]]
    tags: tuple[str, ...] = field(default_factory=tuple)


def mc_se(rate: float, reps: int) -> float:
    """Monte-Carlo standard error of a rate measured over ``reps`` independent simulations.

    Examples
    --------
    >>> round(mc_se(0.05, 1000), 4)
    0.0069
    """
    return math.sqrt(max(rate * (1.0 - rate), 0.0) / max(reps, 1))


def coverage_row(check: str, cell: Mapping[str, Any], *, hits: int, reps: int, quick: bool = False,
                 measure: str = "coverage", floor: float = COVERAGE_FLOOR, detail: str = "") -> Row:
    """Coverage ``hits / reps`` of a nominal 95% interval, against the floor (lenient by 2.33 se when quick)."""
    value = hits / max(reps, 1)
    slack = 2.33 * mc_se(floor, reps) if quick else 0.0
    return Row(check, dict(cell), measure, value, f"≥ {floor:.0%}", value >= floor - slack - 1e-12, reps, detail)


def error_row(check: str, cell: Mapping[str, Any], *, errors: int, reps: int, alpha: float = ALPHA,
              measure: str = "error rate at the null", detail: str = "") -> Row:
    """An error rate at the null, against ``alpha`` plus three Monte-Carlo standard errors."""
    value = errors / max(reps, 1)
    allowed = alpha + 3.0 * mc_se(alpha, reps)
    return Row(check, dict(cell), measure, value, f"≤ {alpha:.0%} + MC ({allowed:.1%})", value <= allowed + 1e-12,
               reps, detail)


def power_row(check: str, cell: Mapping[str, Any], *, ours: int, baseline: int, reps: int, baseline_name: str,
              measure: str = "power") -> Row:
    """Power of the tool's test against a baseline on the same simulated data (paired)."""
    p_ours, p_base = ours / max(reps, 1), baseline / max(reps, 1)
    # the difference of two paired rates: at most sqrt((p1 + p2) / reps) in standard error
    slack = 2.0 * math.sqrt(max(p_ours + p_base, 1.0 / reps) / max(reps, 1)) / math.sqrt(2.0)
    return Row(check, dict(cell), measure, p_ours, f"≥ {baseline_name} ({p_base:.1%}) − MC",
               p_ours >= p_base - slack - 1e-12, reps, f"baseline {baseline_name}: {p_base:.1%}")


def bound_row(check: str, cell: Mapping[str, Any], *, above: int, reps: int, largest: float, truth: float,
              alpha: float = ALPHA, measure: str = "share of bounds above the truth") -> Row:
    """A one-sided lower bound: the share of seeds where it exceeds the truth, at most ``alpha`` (+ 3 MC se)."""
    value = above / max(reps, 1)
    allowed = alpha + 3.0 * mc_se(alpha, reps)
    return Row(check, dict(cell), measure, value, f"≤ {alpha:.0%} + MC", value <= allowed + 1e-12, reps,
               f"largest bound {largest:.3g}, truth {truth:.3g}")


def run_area(area: str, *, quick: bool, seed: int = 0, only: Sequence[str] = ()) -> list[tuple[Check, list[Row], float]]:
    """Run every check of ``validity.<area>`` (or those named in ``only``): (check, rows, seconds)."""
    module = importlib.import_module(f"validity.{area}")
    out = []
    for check in module.CHECKS:
        if only and check.name not in only:
            continue
        start = time.perf_counter()
        rows = check.run(quick=quick, seed=seed)
        out.append((check, rows, time.perf_counter() - start))
    return out


def _cell_text(cell: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in cell.items())


def rows_table(rows: Sequence[Row]) -> str:
    """A Markdown table of rows: cell, measure, value, target, reps, detail, ok.

    Examples
    --------
    >>> print(rows_table([Row("c", {"n": 20}, "coverage", 0.951, "≥ 93%", True, 1000)]))
    | cell | measure | value | target | reps | ok | note |
    |---|---|---:|---|---:|:---:|---|
    | n 20 | coverage | 95.1% | ≥ 93% | 1000 | yes |  |
    """
    lines = ["| cell | measure | value | target | reps | ok | note |", "|---|---|---:|---|---:|:---:|---|"]
    for r in rows:
        lines.append(f"| {_cell_text(r.cell)} | {r.measure} | {r.value:.1%} | {r.target} | {r.reps} | "
                     f"{'yes' if r.ok else '**NO**'} | {r.detail} |")
    return "\n".join(lines)
