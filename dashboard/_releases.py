"""Data for the Releases page: a cached ``compare_runs`` of two runs under the root, and its tables.

The comparison (a bootstrap over every test row, 2-3 s on the Adult example) is cached per pair of runs and
set of gates, keyed on each run's path and the sha256 of its manifest, so moving between pages or filtering
the table does not redo it, while a run re-written under the same name is compared afresh. Everything here
reads through :func:`audit.compare.compare_runs` (the bounded reader, each run verified against its manifest)
and only its public result (:class:`~audit.compare.Comparison`, :func:`~audit.compare.format_comparison`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from dashboard._data import fmt_interval

if TYPE_CHECKING:
    from audit.compare import Change, Comparison

__all__ = ["change_frame", "compare_pair", "drift_frame", "gate_lines", "record_frames", "verdict_words"]

#: The words of the verdict as ``rai-audit compare`` prints them (the first line of ``format_comparison``).
_KINDS = {"pass": "success", "fail": "error", "inconclusive": "warning", "no gates": "info"}


Reruns = tuple[tuple[str, str], ...]  # (path, manifest sha256) of each rerun of a config


@st.cache_data(max_entries=32, show_spinner="Comparing the two runs (a bootstrap over every test row)…")
def _compare(path_a: str, sha_a: str, path_b: str, sha_b: str, gates: tuple[tuple[str, float], ...],
             reruns_a: Reruns = (), reruns_b: Reruns = ()) -> Comparison:
    # the manifests' sha256 are in the key only: a run re-written under the same name is compared afresh
    from audit.compare import compare_runs

    return compare_runs(path_a, path_b, max_drop=[f"{key}={delta!r}" for key, delta in gates],
                        baseline_reruns=[p for p, _ in reruns_a] or None,
                        candidate_reruns=[p for p, _ in reruns_b] or None)


def compare_pair(path_a: str, sha_a: str, path_b: str, sha_b: str, *, gates: tuple[tuple[str, float], ...] = (),
                 reruns_a: Reruns = (), reruns_b: Reruns = ()) -> Comparison:
    """The comparison of run B (candidate) against run A (baseline) with ``--max-drop`` gates ``(key, δ)``, cached.

    ``reruns_a`` (``reruns_b``): runs of A's (B's) config with other training seeds, as ``--baseline-rerun``
    (``--candidate-rerun``), so the changes are judged against the spread of training.

    Raises
    ------
    AuditError
        When the runs cannot be compared (different task or groups, a run changed since it was sealed).

    Examples
    --------
    >>> c = compare_pair("runs/v1", sha1, "runs/v2", sha2, gates=(("accuracy@private", 0.02),))  # doctest: +SKIP
    """
    return _compare(path_a, sha_a, path_b, sha_b, tuple(gates), tuple(reruns_a), tuple(reruns_b))


def verdict_words(comp: Comparison) -> tuple[str, str]:
    """The verdict's line as ``rai-audit compare`` prints it, and the Streamlit alert that shows it.

    Examples
    --------
    >>> verdict_words(comparison)  # doctest: +SKIP
    ('FAIL: a gated figure got worse by more than its δ', 'error')
    """
    from audit.compare import format_comparison

    return format_comparison(comp).splitlines()[0], _KINDS.get(comp.verdict, "info")


def _worse(c: Change) -> str:
    """``worse`` / ``better`` for a significant change of a figure with a direction (``changed`` for one without)."""
    if not c.significant or c.delta is None:
        return ""
    if not c.direction:
        return "changed"
    return "worse" if c.delta * c.direction < 0 else "better"


def _ci(ci: tuple[float, float] | None) -> str:
    return fmt_interval(ci, number="{:+.4f}".format, missing="—")


def change_frame(changes: list[Change]) -> pd.DataFrame:
    """One row per change: figure, model, A, B, Δ, its simultaneous interval, Holm p, significant, worse/better.

    Examples
    --------
    >>> from audit.compare import Change
    >>> c = Change("accuracy@private", "accuracy", "private", None, None, 0.85, 0.80, -0.05, ci=(-0.06, -0.04),
    ...            p_holm=1e-9, significant=True, direction=1)
    >>> change_frame([c])[["figure", "Δ (B − A)", "reading"]].to_dict("records")
    [{'figure': 'accuracy@private', 'Δ (B − A)': -0.05, 'reading': 'worse'}]
    """
    rows = [{"figure": c.key, "model": c.model, "metric": c.metric, "A": c.a, "B": c.b, "Δ (B − A)": c.delta,
             "simultaneous interval of Δ": _ci(c.ci), "Holm p": c.p_holm, "significant": c.significant,
             "reading": _worse(c), "note": c.note or ""} for c in changes]
    return pd.DataFrame(rows, columns=["figure", "model", "metric", "A", "B", "Δ (B − A)", "simultaneous interval of Δ",
                                       "Holm p", "significant", "reading", "note"])


def gate_lines(comp: Comparison) -> list[str]:
    """Each ``max drop`` gate as a Markdown line in the CLI's words, failed first: outcome, figure, δ and the reason.

    Examples
    --------
    >>> gate_lines(comparison)[0]  # doctest: +SKIP
    '**FAIL** accuracy@private (δ = 0.02): the worsening is at least 0.0350 (interval [0.0350, 0.0470]), more than 0.02'
    """
    from dashboard._data import md_escape

    order = {"fail": 0, "inconclusive": 1, "pass": 2}
    gates = sorted(comp.gates["gates"], key=lambda g: order.get(g["outcome"], 3))
    return [f"**{g['outcome'].upper()}** {md_escape(str(g['name']).removeprefix('max_drop:'))} (δ = {g['max']:g}): "
            f"{md_escape(g['reason'])}" for g in gates]


def record_frames(comp: Comparison) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The record's gates whose outcome flipped, and the concerns new in B or resolved since A."""
    flips = pd.DataFrame([{"gate": f["gate"], "severity": f["severity"], "in A": f["a"] or "absent",
                           "in B": f["b"] or "absent"} for f in comp.gate_flips], columns=["gate", "severity", "in A", "in B"])
    concerns = pd.DataFrame([{"change": change, "severity": c.get("severity"), "concern": c.get("title"),
                              "model": c.get("model") or ""}
                             for change in ("new", "resolved") for c in comp.concerns.get(change, [])],
                            columns=["change", "severity", "concern", "model"])
    return flips, concerns


def _shares(test: dict[str, Any]) -> str:
    shares = test.get("shares") or {}
    return "; ".join(f"{g}: {s['a']:.3f} → {s['b']:.3f}" for g, s in shares.items())


def drift_frame(drift: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per drift test, the largest effect first: feature, test, effect size, SMD, Holm p, group shares."""
    rows = [{"feature": t["feature"], "kind": t.get("kind", ""), "test": t.get("test", ""),
             "effect size": t.get("effect_name", ""), "effect": t.get("effect"), "SMD": t.get("smd"),
             "Holm p": t.get("p_holm"), "significant": bool(t.get("significant")), "group shares A → B": _shares(t)}
            for t in sorted(drift, key=lambda t: -(t.get("effect") or 0.0))]
    return pd.DataFrame(rows, columns=["feature", "kind", "test", "effect size", "effect", "SMD", "Holm p", "significant",
                                       "group shares A → B"])
