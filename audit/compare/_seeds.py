"""Training randomness in a comparison: judge a change against the spread of each config's own trainings.

Paired intervals hold the test rows fixed, so they answer "do these two trained models differ on these
rows?": two trainings of one config (another seed) do differ, systematically, so the paired test calls
their differences significant. Whether a *release* changed a figure beyond what retraining alone does
needs a config trained more than once. With ``k_A`` reruns of the baseline (and optionally ``k_B`` of the
candidate), each side's figure is the mean of its ``n = k + 1`` trainings and the seed variance ``s²`` is
pooled from both sides; under "the two configs train alike", the difference of the means has variance
``s² (1/n_A + 1/n_B)`` (with ``n_B = 1``: a prediction interval for one new training), to which the paired
bootstrap variance of the test rows is added. Tests and simultaneous intervals use Student's t with
``n_A + n_B − 2`` degrees of freedom (:func:`audit.compare._changes.family_adjust`).

Examples
--------
>>> from audit.compare._changes import Change
>>> c = Change("accuracy@m", "accuracy", "m", None, None, 0.85, 0.84, -0.01, se=0.002, direction=1)
>>> with_seeds([c], [{"accuracy@m": 0.86}, {"accuracy@m": 0.84}])["baseline_runs"]
3
>>> round(c.a, 3), round(c.delta, 3), c.df
(0.85, -0.01, 2)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from audit.compare._changes import Change

__all__ = ["with_seeds"]

Reruns = Sequence[Mapping[str, float | None]]


def _values(first: float | None, reruns: Reruns, key: str) -> np.ndarray | None:
    values = [first, *(r.get(key) for r in reruns)]
    if any(v is None or not math.isfinite(v) for v in values):
        return None
    return np.asarray(values, dtype=np.float64)


def with_seeds(changes: list[Change], baseline: Reruns, candidate: Reruns = ()) -> dict[str, Any]:
    """Re-centre every change on the two sides' seed means and widen its standard error by the seed spread, in place.

    ``baseline`` (``candidate``) holds, for each rerun of A's (B's) config, its value of every figure by key.
    A figure a rerun lacks keeps its plain paired test and says so in its note.
    """
    n_a, n_b = len(baseline) + 1, len(candidate) + 1
    df = n_a + n_b - 2
    for c in changes:
        a, b = _values(c.a, baseline, c.key), _values(c.b, candidate, c.key)
        if a is None or b is None:
            c.note = (c.note + "; " if c.note else "") + "not every rerun has it: the seed spread is not in its test"
            continue
        c.a, c.b = float(a.mean()), float(b.mean())
        c.delta = c.b - c.a
        if c.se is None and c.paired is not None:  # a row figure without an interval stays untested
            continue
        pooled = (float(((a - a.mean()) ** 2).sum()) + float(((b - b.mean()) ** 2).sum())) / df
        c.se = math.sqrt(pooled * (1.0 / n_a + 1.0 / n_b) + float(c.se or 0.0) ** 2)
        c.df = df
    sides = f"A and {n_a - 1} rerun(s)" + (f"; B and {n_b - 1} rerun(s)" if n_b > 1 else "")
    return {"baseline": f"each side is the mean of its trainings ({sides}, other seeds of one config each); a change "
                        f"is tested against their pooled spread (Student's t, {df} degree(s) of freedom), so training "
                        "randomness is in the intervals", "baseline_runs": n_a, "candidate_runs": n_b}
