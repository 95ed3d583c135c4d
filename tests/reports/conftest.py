"""Fixtures for the report tests: a synthetic AuditResult (every section) and the real ``tiny_run``.

Integration tests use ``tiny_run`` from tests/conftest.py (a real small pipeline run).
"""

from __future__ import annotations

import pytest

from tests.reports._card_fixtures import make_result


@pytest.fixture
def synthetic_result() -> dict:
    """A complete, schema-valid AuditResult dict (fresh copy per test)."""
    return make_result()
