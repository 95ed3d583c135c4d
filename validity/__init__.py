"""The validity suite: every interval, test and bound rai-audit reports, simulated where the truth is known.

Each area is one module (``validity/<area>.py``) with a ``CHECKS`` list of :class:`Check`; a check
simulates one promise (coverage of an interval, family-wise error of a test at the null, power
against a stated baseline, validity of a bound) over a grid of cells that includes the hard
ones (rates near 0 and 1, small unequal groups, imbalance, duplicates, clusters, maxima), and
returns one :class:`Row` per cell and measure. ``python -m validity`` runs them all and writes
``docs/validity.md``; ``tests/validity/`` runs the quick, seeded subset in ``make test``.

Examples
--------
>>> from validity import coverage_row
>>> row = coverage_row("toy", {"n": 10}, hits=190, reps=200)
>>> row.value, row.ok
(0.95, True)
"""

from validity._harness import (
    AREAS,
    Check,
    Row,
    bound_row,
    coverage_row,
    error_row,
    mc_se,
    power_row,
    rows_table,
    run_area,
)

__all__ = ["AREAS", "Check", "Row", "bound_row", "coverage_row", "error_row", "mc_se", "power_row", "rows_table",
           "run_area"]
