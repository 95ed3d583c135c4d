"""The quick, seeded subset of the validity suite: a change that breaks a statistical promise fails CI.

Each check of ``validity/<area>.py`` runs with ``quick=True`` (fewer simulated audits, the same grid
of hard cells) and every row must keep its target (docs/validity.md states them).
"""

from __future__ import annotations

import importlib

import pytest

from validity import AREAS, rows_table

CHECKS = [(area, check) for area in AREAS for check in importlib.import_module(f"validity.{area}").CHECKS]


@pytest.mark.parametrize(("area", "check"), CHECKS, ids=[f"{a}-{c.name}" for a, c in CHECKS])
def test_the_quick_validity_subset_keeps_its_promises(area, check):
    rows = check.run(quick=True, seed=0)
    assert rows, f"{check.name} measured nothing"
    missed = [r for r in rows if not r.ok]
    assert not missed, f"{area}/{check.name}: {len(missed)} row(s) below target\n{rows_table(missed)}"


def test_every_area_has_checks_and_the_grid_includes_hard_cells():
    for area in AREAS:
        module = importlib.import_module(f"validity.{area}")
        assert module.CHECKS, area
        assert len({c.name for c in module.CHECKS}) == len(module.CHECKS), f"duplicate check names in {area}"
