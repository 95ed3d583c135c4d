"""Evaluation of every grouping's rates and disparities on (b, C, 4) cell counts, and its bootstrap.

A *source* of disparities is either all groups of a grouping (key ``gi``, Fairlearn's numbers) or a
*view*: the subset of a grouping's groups with enough data for the metric(s) a disparity compares
(key ``("view", i)``). The overall rate a view's ``*_to_overall`` disparities compare with is the
rate over the rows of its groups, so a view's disparities equal Fairlearn's on those rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audit.fairness._bootstrap import draw_counts, percentile_interval
from audit.fairness._counts import Cells, Grouping
from audit.fairness._disparity_ci import disparity_intervals
from audit.fairness._metrics import RATE_METRICS, disparities, rates
from audit.fairness._simultaneous import disparity_box, group_boxes, max_t_bands, parity_p_values
from audit.fairness._sufficiency import disparity_metrics

__all__ = ["Engine", "View"]


@dataclass(frozen=True)
class View:
    """Disparities ``names`` of grouping ``gi`` computed over the groups at ``idx`` only."""

    gi: int
    idx: np.ndarray
    names: tuple[str, ...]


class Engine:
    """Point estimates, bootstrap intervals and parity p-values of every grouping and view."""

    def __init__(self, cells: Cells, groupings: list[Grouping], *, undefined: str) -> None:
        self.cells = cells
        self.groupings = groupings
        self.undefined = undefined
        self.views: list[View] = []

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

    def bootstrap(self, *, n_boot: int, stratified: bool, rng: np.random.Generator, level: float,
                  point: dict) -> tuple[dict, dict]:
        """Intervals and p-values (keyed like ``point``, plus ``"vanished"`` and ``"group_band"``), and the replicates."""
        chunks: dict = {}
        vanished = np.zeros(len(self.groupings), dtype=np.int64)
        for draw in draw_counts(self.cells.counts, n_boot=n_boot, stratified=stratified, rng=rng):
            for k, v in self.evaluate(draw).items():
                chunks.setdefault(k, []).append(v)
            if not stratified:
                for gi, g in enumerate(self.groupings):
                    vanished[gi] += int((g.aggregate(draw).sum(axis=-1) == 0).any(axis=-1).sum())
        reps = {k: np.concatenate(v) for k, v in chunks.items()}
        out = {k: percentile_interval(v, level) for k, v in reps.items() if k[1] != "disparity"}
        for source, gi, idx in self.sources():
            out.update(self._source_inference(source, gi, idx, reps, point, level))
        out["group_band"] = {}
        for gi in range(len(self.groupings)):
            lo, hi = max_t_bands(np.stack([reps[(gi, "group", m)] for m in RATE_METRICS], axis=1),
                                 np.stack([np.asarray(point[(gi, "group", m)][0], float) for m in RATE_METRICS]), level)
            out["group_band"].update({(gi, m): (lo[j], hi[j]) for j, m in enumerate(RATE_METRICS)})
        out["vanished"] = vanished
        return out, reps

    def _source_inference(self, source, gi: int, idx, reps: dict, point: dict, level: float) -> dict:
        """Disparity intervals and parity p-values of one source."""
        names = [k[2] for k in reps if k[0] == source and k[1] == "disparity"]
        if not names:
            return {}
        cols = slice(None) if idx is None else idx
        group_samples = {m: reps[(gi, "group", m)][:, cols] for m in RATE_METRICS}
        group_estimates = {m: np.asarray(point[(gi, "group", m)][0], float)[cols] for m in RATE_METRICS}
        okey = "overall" if idx is None else None
        overall_samples = {m: reps[(okey, m)] if okey else reps[(source, "overall", m)] for m in RATE_METRICS}
        overall_estimates = {m: float(point[(okey, m)][0] if okey else point[(source, "overall", m)][0])
                             for m in RATE_METRICS}
        estimates = {d: point[(source, "disparity", d)][0] for d in names}
        bounds, boxes = group_boxes(group_samples, group_estimates, overall_samples, overall_estimates, level=level)
        ci = disparity_intervals({d: reps[(source, "disparity", d)] for d in names}, estimates,
                                 group_samples=group_samples, group_estimates=group_estimates,
                                 overall_samples=overall_samples, overall_estimates=overall_estimates, level=level,
                                 boxes=bounds)
        p_values = parity_p_values(names, np.stack([reps[(source, "disparity", d)] for d in names], axis=1),
                                   np.array([estimates[d] for d in names], dtype=float),
                                   [disparity_box(d, boxes, disparity_metrics(d)) for d in names])
        out = {(source, "disparity", d): ci[d] for d in names}
        out.update({(source, "p_value", d): p for d, p in zip(names, p_values)})
        return out
