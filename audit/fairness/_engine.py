"""Evaluation of every grouping's rates and disparities on (b, C, 4) cell counts, and their exact inference.

A *source* of disparities is either all groups of a grouping (key ``gi``, Fairlearn's numbers) or a
*view*: the subset of a grouping's groups with enough data for the metric(s) a disparity compares
(key ``("view", i)``). The overall rate a view's ``*_to_overall`` disparities compare with is the
rate over the rows of its groups, so a view's disparities equal Fairlearn's on those rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audit.fairness._counts import Cells, Grouping
from audit.fairness._exact import disparity_ci, group_intervals, parity_tests
from audit.fairness._metrics import RATE_METRICS, disparities, rates
from audit.fairness._sufficiency import disparity_metrics

__all__ = ["Engine", "View"]


@dataclass(frozen=True)
class View:
    """Disparities ``names`` of grouping ``gi`` computed over the groups at ``idx`` only."""

    gi: int
    idx: np.ndarray
    names: tuple[str, ...]


class Engine:
    """Point estimates, exact intervals and parity tests of every grouping and view."""

    def __init__(self, cells: Cells, groupings: list[Grouping], *, undefined: str) -> None:
        self.cells = cells
        self.groupings = groupings
        self.undefined = undefined
        self.views: list[View] = []
        self.gate_sources: dict[str, set] = {}

    def evaluate(self, cell_counts: np.ndarray) -> dict:
        out: dict = {}
        overall = rates(cell_counts.sum(axis=-2), undefined=self.undefined)
        for m, v in overall.items():
            out[("overall", m)] = v
        for gi, g in enumerate(self.groupings):
            counts = g.aggregate(cell_counts)
            by_group = rates(counts, undefined=self.undefined)
            for m, v in by_group.items():
                out[(gi, "group", m)] = v
            for d, v in disparities(by_group, overall).items():
                out[(gi, "disparity", d)] = v
            for vi, view in enumerate(self.views):
                if view.gi == gi:
                    out.update(self._evaluate_view(vi, view, counts))
        return out

    def _evaluate_view(self, vi: int, view: View, group_counts: np.ndarray) -> dict:
        sub = np.take(group_counts, view.idx, axis=-2)
        by_group = rates(sub, undefined=self.undefined)
        overall = rates(sub.sum(axis=-2), undefined=self.undefined)
        disp = disparities(by_group, overall)
        out = {(("view", vi), "overall", m): v for m, v in overall.items()}
        out.update({(("view", vi), "disparity", d): disp[d] for d in view.names})
        return out

    def sources(self) -> list[tuple]:
        """(source key, grouping index, group indices) of every disparity source."""
        out = [(gi, gi, None) for gi in range(len(self.groupings))]
        return out + [(("view", vi), v.gi, v.idx) for vi, v in enumerate(self.views)]

    def source_counts(self, source, gi: int, idx) -> np.ndarray:
        """(G, 4) confusion counts of the groups a source compares."""
        counts = self.groupings[gi].aggregate(self.cells.counts)
        return counts if idx is None else np.take(counts, idx, axis=0)

    def inference(self, *, level: float, point: dict) -> dict:
        """Exact intervals and parity tests (keyed like ``point``, plus ``"group_band"`` and the tests).

        Returns ``(key) -> (lo, hi)`` for every overall, group and disparity entry,
        ``(source, "tests", d) -> [test key, ...]`` for every gate-facing disparity and
        ``"tests" -> {test key: p-value}``: the elementary parity tests the model's Holm family is
        made of (one per group against the rest, or one for two groups; see ``_exact``).
        """
        out: dict = {"group_band": {}, "tests": {}}
        overall = self.cells.counts.sum(axis=0)[None]
        for m in RATE_METRICS:
            lo, hi = group_intervals(overall, m, level)
            out[("overall", m)] = (float(lo[0]), float(hi[0]))
        for gi, g in enumerate(self.groupings):
            counts = g.aggregate(self.cells.counts)
            for m in RATE_METRICS:
                out[(gi, "group", m)] = self._undefined_aware(counts, m, level, point[(gi, "group", m)][0])
                out["group_band"][(gi, m)] = group_intervals(counts, m, level, simultaneous=True)
        for source, gi, idx in self.sources():
            out.update(self._source_inference(source, gi, idx, point, level, out["tests"]))
        return out

    def _undefined_aware(self, counts: np.ndarray, m: str, level: float, values: np.ndarray) -> tuple:
        lo, hi = group_intervals(counts, m, level)
        defined = np.isfinite(np.asarray(values, dtype=float))
        return np.where(defined, lo, np.nan), np.where(defined, hi, np.nan)

    def disparity_interval(self, source, d: str, level: float, point: dict) -> tuple[float, float]:
        """Interval of disparity ``d`` of one source at ``level`` (NaN when its value is undefined)."""
        gi, idx = self._source_index(source)
        value = float(np.asarray(point[(source, "disparity", d)])[0])
        if not np.isfinite(value):
            return np.nan, np.nan
        counts = self._defined_groups(self.source_counts(source, gi, idx), disparity_metrics(d), point, gi, idx)
        lo, hi = disparity_ci(d, disparity_metrics(d), counts, level)
        return float(min(lo, value)), float(max(hi, value))

    def _source_index(self, source) -> tuple[int, np.ndarray | None]:
        if isinstance(source, tuple):
            view = self.views[source[1]]
            return view.gi, view.idx
        return source, None

    def _defined_groups(self, counts: np.ndarray, metrics, point: dict, gi: int, idx) -> np.ndarray:
        """The groups whose rates are defined (``undefined="none"`` leaves the others out)."""
        keep = np.ones(len(counts), dtype=bool)
        for m in metrics:
            values = np.asarray(point[(gi, "group", m)][0], dtype=float)
            keep &= np.isfinite(values if idx is None else values[idx])
        return counts[keep]

    def _source_inference(self, source, gi: int, idx, point: dict, level: float, tests: dict) -> dict:
        """Disparity intervals of one source and, for the gate-facing ones, their elementary tests."""
        names = [k[2] for k in point if k[0] == source and k[1] == "disparity"]
        out: dict = {}
        for d in names:
            out[(source, "disparity", d)] = self.disparity_interval(source, d, level, point)
            if not np.isfinite(out[(source, "disparity", d)][0]) or not self.tested(source, d):
                continue
            metrics = disparity_metrics(d)
            counts = self._defined_groups(self.source_counts(source, gi, idx), metrics, point, gi, idx)
            keys = []
            for m in metrics:
                key = (gi, counts.tobytes(), m)
                if key not in tests:
                    tests[key] = parity_tests(counts, m)
                keys.append(key)
            out[(source, "tests", d)] = keys
            out[(source, "detect", d)] = [(counts, m) for m in metrics]
        return out

    def tested(self, source, d: str) -> bool:
        """Whether disparity ``d`` of ``source`` is gate-facing (its parity is tested in the model's family)."""
        return source in self.gate_sources.get(d, ())
