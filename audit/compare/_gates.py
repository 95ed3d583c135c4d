"""Regression gates for CI: "no figure got worse by more than δ", decided by an interval.

A gate ``METRIC=DELTA`` reads the figure's worsening ``w`` (A − B for a figure where higher is better,
B − A where lower is better, |B − A| for a selection rate) and its interval ``w ± z·se``, simultaneous
over the gates given (Šidák, so every gate's promise holds at once):

- **fail** when the interval lies past δ (the data show a worsening larger than δ);
- **pass** when the interval lies below δ (the data show any worsening is smaller than δ);
- **inconclusive** otherwise: the test rows cannot tell.

A figure without sampling error (ε spent) is compared as is.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

from audit.compare._changes import Change, sidak_z
from audit.compare._metrics import gate_metrics
from audit.exceptions import ConfigError

__all__ = ["evaluate_gates", "parse_max_drop"]

_BAD_SPEC = ("--max-drop {spec!r}: expected METRIC=DELTA with DELTA a number ≥ 0, e.g. accuracy=0.02 or "
             "'tpr[sex=Female]=0.05' (a figure of the comparison; the model defaults to {model}).")
_NOT_FOR_TASK = ("--max-drop {spec!r}: {metric!r} is not a figure of a {task} comparison{hint}. Fix: gate one of the "
                 "{task} figures: {allowed}.")
_UNKNOWN = ("--max-drop {spec!r}: no compared figure is called {key!r}{hint}. Fix: name one of the figures the "
            "comparison lists (rai-audit compare A B --json shows every key).")


def parse_max_drop(specs: list[str], keys: list[str], *, default_model: str,
                   task: str = "binary") -> list[tuple[str, float]]:
    """``["accuracy=0.02"]`` → ``[("accuracy@private", 0.02)]``; every problem raised at once.

    A metric that ``task``'s comparison does not have (:func:`audit.compare._metrics.gate_metrics`) is refused
    with the metrics it has; a figure the comparison does not hold (a group too small) with the closest keys.

    Examples
    --------
    >>> parse_max_drop(["accuracy=0.02"], ["accuracy@private"], default_model="private")
    [('accuracy@private', 0.02)]
    >>> parse_max_drop(["roc_auc=0.02"], [], default_model="m", task="regression")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    audit.exceptions.ConfigError: --max-drop 'roc_auc=0.02': 'roc_auc' is not a figure of a regression comparison...
    """
    out, problems = [], []
    for spec in specs:
        name, sep, value = spec.rpartition("=")
        try:
            delta = float(value)
        except ValueError:
            delta = -1.0
        if not sep or not name or not delta >= 0:
            problems.append(_BAD_SPEC.format(spec=spec, model=default_model))
            continue
        key = name.strip() if "@" in name else f"{name.strip()}@{default_model}"
        metric = re.split(r"[:\[@]", key, maxsplit=1)[0]
        close = difflib.get_close_matches(key, keys, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        if metric not in gate_metrics(task):
            problems.append(_NOT_FOR_TASK.format(spec=spec, metric=metric, task=task, hint=hint,
                                                 allowed=", ".join(gate_metrics(task))))
            continue
        if key not in keys:
            problems.append(_UNKNOWN.format(spec=spec, key=key, hint=hint))
            continue
        out.append((key, delta))
    if problems:
        raise ConfigError(" ".join(problems))
    return out


def _worsening(c: Change, z: float) -> tuple[float, float, float]:
    d = float(c.delta or 0.0)
    w = -c.direction * d if c.direction else abs(d)
    half = z * float(c.se) if c.se is not None else 0.0
    if c.direction:
        return w, w - half, w + half
    lo, hi = d - half, d + half  # either way: the interval of |Δ|
    return w, (0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))), max(abs(lo), abs(hi))


def _decide(c: Change, delta: float, z: float) -> dict[str, Any]:
    w, lo, hi = _worsening(c, z)
    withheld = c.se is None and c.paired is not None  # a row figure without an interval (withheld, or undefined)
    if withheld:
        why = c.note or "no interval: the figure is undefined in some resamples"
        outcome, reason = "inconclusive", f"no decision, {why}"
    elif lo > delta:
        outcome, reason = "fail", f"the worsening is at least {lo:.4f} (interval [{lo:.4f}, {hi:.4f}]), more than {delta:g}"
    elif hi <= delta:
        outcome, reason = "pass", f"the worsening is at most {hi:.4f} (interval [{lo:.4f}, {hi:.4f}]), within {delta:g}"
    else:
        more = "more test rows" + ("" if c.paired or c.paired is None else ", or both runs scoring the same rows,")
        if c.df is not None:  # the baseline's reruns give most of the width: more of them narrow it
            more = f"more reruns of the baseline than its {c.df + 1} trainings"
        outcome, reason = "inconclusive", (f"the interval of the worsening [{lo:.4f}, {hi:.4f}] contains {delta:g}: the "
                                           f"test rows cannot tell whether it exceeds {delta:g} ({more} would narrow it)")
    value = w if math.isfinite(w) else None  # JSON has no NaN
    return {"name": f"max_drop:{c.key}", "metric": c.metric, "model": c.model, "feature": c.feature, "group": c.group,
            "severity": "error", "value": value, "interval": None if withheld else [lo, hi], "max": delta, "min": None,
            "compared": None if withheld else lo if outcome == "fail" else hi, "outcome": outcome,
            "passed": outcome == "pass", "reason": reason, "message": f"worsening of {c.key}: {w:+.4f}; {reason}"}


def evaluate_gates(changes: list[Change], gates: list[tuple[str, float]], *, level: float) -> dict[str, Any]:
    """Each gate's outcome and the verdict: fail if any fails, else inconclusive if any is, else pass.

    Examples
    --------
    >>> c = Change("accuracy@private", "accuracy", "private", None, None, 0.85, 0.80, -0.05, se=0.004, direction=1)
    >>> evaluate_gates([c], [("accuracy@private", 0.02)], level=0.95)["verdict"]
    'fail'
    """
    by_key = {c.key: c for c in changes}
    tested = sum(1 for key, _ in gates if by_key[key].se is not None)
    z = sidak_z(tested, level)
    # a change judged against the baseline's reruns (Student's t) gets its own quantile
    results = [_decide(by_key[key], delta, z if by_key[key].df is None else sidak_z(tested, level, by_key[key].df))
               for key, delta in gates]
    outcomes = {g["outcome"] for g in results}
    verdict = ("fail" if "fail" in outcomes else "inconclusive" if "inconclusive" in outcomes
               else "pass" if results else "no gates")
    return {"verdict": verdict, "gates": results, "level": level,
            "intervals": f"simultaneous over the {tested} gated figure(s) with a sampling error (Šidák, level {level:g})"}
