"""Concerns about the explanations themselves: attributions that fail their own quality checks (read by
:func:`audit.verdict.concerns.find_concerns`).

Integrated Gradients promises completeness (a row's attributions sum to the change of the output from the baseline);
the convergence delta is how far they miss. The check the audit records reads the mean delta, so one row far off
hides behind many close ones: a concern reads the largest. Faithfulness checks fail when removing the top-ranked
features changes the output no more than removing random ones, or when a randomized model's attributions rank the
features as the trained one's do (Adebayo et al. 2018).

Examples
--------
>>> from audit.result import AuditResult
>>> r = AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {"private": {}},
...     "explainability": {"private": {"method": "integrated_gradients", "faithfulness": {"n_rows": 256,
...     "convergence_delta": {"mean_abs": 0.011, "max_abs": 0.289, "tolerance": 0.05, "warning": False}}}}})
>>> [(c.kind, c.severity) for c in explanation_concerns(r)]
[('attribution_convergence', 'warning')]
"""

from __future__ import annotations

from audit.result import AuditResult, Concern, ModelExplanation

__all__ = ["explanation_concerns"]

_WHERE = "Explainability (card), dashboard Explainability, audit.json explainability.<model>.faithfulness"


def _convergence(model: str, x: ModelExplanation) -> list[Concern]:
    f = x.faithfulness
    d = f.convergence_delta if f is not None else None
    if d is None or d.tolerance is None:
        return []
    worst = max((v for v in (d.max_abs, d.mean_abs) if v is not None), default=None)
    if worst is None or (worst <= d.tolerance and not d.warning):
        return []
    rows = f"{f.n_rows:,} rows" if f is not None and f.n_rows else "the rows checked"
    mean = f"; the mean is {d.mean_abs:.3g}" if d.mean_abs is not None else ""
    return [Concern(
        kind="attribution_convergence", severity="warning", model=model,
        title=f"Attributions ({(x.method or 'unnamed method').replace('_', ' ')}) of the {model} model did not converge: "
              f"largest completeness gap {worst:.3g} against a tolerance of {d.tolerance:.3g}",
        detail=f"Over {rows}, the attributions of a row should add up to the change of the model's output from the "
               f"baseline; the largest gap was {worst:.3g}{mean} (tolerance {d.tolerance:.3g}). For the rows far off, "
               "the attributions misstate how much each feature moved the output: read their feature ranking and the "
               "sensitive-feature shares with care, or raise the number of integration steps (explain.n_steps).",
        where=_WHERE)]


def _faithfulness(model: str, x: ModelExplanation) -> list[Concern]:
    f = x.faithfulness
    out: list[Concern] = []
    dc = f.deletion_curve if f is not None else None
    if dc is not None and dc.top_beats_random is False:
        areas = (f" (area {dc.area_top:.3g} against {dc.area_random:.3g} at random)"
                 if dc.area_top is not None and dc.area_random is not None else "")
        out.append(Concern(
            kind="attribution_deletion", severity="warning", model=model,
            title=f"Faithfulness check failed on the {model} model: removing the top-ranked features changes the output "
                  f"no more than removing random ones{areas}",
            detail="The deletion curve measures how much the output moves as the features the attributions rank highest "
                   "are set to the baseline; it should move more than for a random order. It did not, so the ranking "
                   "does not show what the model relies on.", where=_WHERE))
    rt = f.randomization_test if f is not None else None
    if rt is not None and rt.flagged:
        corr = f" (Spearman {rt.spearman:.2f}, flagged at {rt.threshold:.2f})" if rt.spearman is not None and \
            rt.threshold is not None else ""
        out.append(Concern(
            kind="attribution_randomization", severity="warning", model=model,
            title=f"Faithfulness check failed on the {model} model: a model with randomized weights gets nearly the same "
                  f"attributions{corr}",
            detail="Attributions that barely depend on the trained weights describe the input, not the model "
                   "(Adebayo et al. 2018); do not read them as what the model relies on.", where=_WHERE))
    return out


def explanation_concerns(r: AuditResult) -> list[Concern]:
    """Attributions of each explained model that fail completeness (convergence) or a faithfulness check."""
    return [c for model, x in (r.explainability or {}).items() for c in _convergence(model, x) + _faithfulness(model, x)]
