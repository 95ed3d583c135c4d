"""What a reader sees first, decided once for the card, the dashboard's Overview and the CLI: the headline figures,
chosen by what threatens the verdict, and the counts of gates and concerns, named the same everywhere.

Headline figures, in this order (at most :data:`MAX_TILES`):

1. every gate that does not pass, or passes on its estimate only (the interval crosses the bound): those failing
   the verdict first, then warning-severity gates and allowed inconclusive ones, then the estimate-only passes;
2. the audited model's performance figures (the kind's :attr:`~reports._kinds.KindView.columns`, the first
   ``n_tiles`` of a kind with its own figures; a text classifier's identity-swap figures) and ε for a private model;
3. the worst disparity over every grouping, intersections included: the kind's tile disparity
   (:attr:`~reports._kinds.KindView.tile_disparity`) and, when another is larger, the largest gap of the kind's
   headline differences (a multiclass or regression model's worst task gap).

A figure already shown as a gate is not repeated. Each tile says why it is there (``threat``).

Examples
--------
>>> s = headline_summary(CardContext(AuditResult.from_dict({"schema_version": "2.0", "run": {}, "data": {},
...     "models": {"private": {"test_accuracy": 0.84}}, "gates": [
...     {"name": "eo", "metric": "equalized_odds_difference", "feature": "sex", "model": "private", "max": 0.2,
...      "severity": "error", "value": 0.177, "ci": [0.0, 0.436], "passed": True, "outcome": "pass"}]})))
>>> [(t["label"], t["threat"] is not None) for t in s["tiles"]]
[('Equalized odds difference (sex)', True), ('accuracy', False)]
>>> s["count_text"]
{'gates': '1 gate: 1 pass (1 on the estimate only)', 'concerns': '1 serious concern (of 1)'}
"""

from __future__ import annotations

from typing import Any

from audit.result import AuditResult, GateResult
from audit.verdict.concerns import concerns_of
from audit.verdict.gates import gate_title, verdict_reasons, with_derived
from reports._plain import as_dict as _dict
from reports._plain import text as _text
from reports._sections.context import CardContext, plain, tile

__all__ = ["MAX_TILES", "count_text", "headline_summary", "verdict_counts"]

#: The most headline figures shown (threats first, so a failing gate is never cut).
MAX_TILES = 8

_WHY = {
    "fails": "fails the verdict",
    "warning": "warning gate not passed: does not fail the verdict",
    "allowed": "inconclusive (allowed by the gate)",
    "crosses": "passes on the estimate only: the interval crosses the bound",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def verdict_counts(result: AuditResult) -> dict[str, int]:
    """The gates and concerns of a record, counted once for every reader.

    ``gates_failing_verdict``: error gates that fail or are inconclusive (not allowed); ``gates_warning_not_passed``:
    warning-severity gates that did not pass; ``gates_on_estimate_only``: passes whose interval crosses the bound;
    ``serious_concerns``: critical and warning concerns; ``concerns``: all, info included.

    Examples
    --------
    >>> c = verdict_counts(AuditResult.from_dict({"schema_version": "2.0", "run": {}, "data": {}, "models": {}}))
    >>> c["gates"], c["concerns"]
    (0, 0)
    """
    gates = [with_derived(g) for g in result.gates]
    severities = [c.severity for c in concerns_of(result)]
    passed = [g for g in gates if g.effective_outcome == "pass"]
    return {
        "gates": len(gates), "gates_passed": len(passed),
        "gates_on_estimate_only": sum(1 for g in passed if g.ci_crosses_bound),
        "gates_failing_verdict": sum(1 for g in gates if g.fails_verdict),
        "gates_warning_not_passed": sum(1 for g in gates if g.effective_outcome != "pass" and g.severity == "warning"),
        "gates_inconclusive_allowed": sum(1 for g in gates if g.effective_outcome == "inconclusive"
                                          and g.severity != "warning" and not g.fails_verdict),
        "concerns": len(severities), "serious_concerns": sum(1 for s in severities if s != "info"),
        "critical_concerns": severities.count("critical"), "warning_concerns": severities.count("warning"),
        "info_concerns": severities.count("info"),
    }  # fmt: skip


def count_text(counts: dict[str, int]) -> dict[str, str]:
    """The counts as the words every reader prints (CLI, card header, Overview), naming what is counted.

    Examples
    --------
    >>> count_text({"gates": 8, "gates_passed": 7, "gates_on_estimate_only": 1, "gates_failing_verdict": 0,
    ...             "gates_warning_not_passed": 1, "gates_inconclusive_allowed": 0, "concerns": 11,
    ...             "serious_concerns": 8})
    {'gates': '8 gates: 7 pass (1 on the estimate only), 1 with warning severity did not pass', 'concerns': '8 serious concerns (of 11)'}
    """
    parts = [f"{counts['gates_passed']} pass" + (f" ({counts['gates_on_estimate_only']} on the estimate only)"
                                                 if counts["gates_on_estimate_only"] else "")]
    if counts["gates_failing_verdict"]:
        parts.append(f"{counts['gates_failing_verdict']} fail{'s' if counts['gates_failing_verdict'] == 1 else ''} "
                     "the verdict")
    if counts["gates_warning_not_passed"]:
        parts.append(f"{counts['gates_warning_not_passed']} with warning severity did not pass")
    if counts["gates_inconclusive_allowed"]:
        parts.append(f"{counts['gates_inconclusive_allowed']} inconclusive (allowed)")
    gates = f"{_plural(counts['gates'], 'gate')}: " + ", ".join(parts) if counts["gates"] else "no gates configured"
    concerns = f"{_plural(counts['serious_concerns'], 'serious concern')} (of {counts['concerns']})"
    return {"gates": gates, "concerns": concerns}


def _gate_rank(g: GateResult) -> int | None:
    """0: fails the verdict, 1: a warning gate not passed or an allowed inconclusive one, 2: passes on the estimate
    only, None: passes clear of its bound."""
    if g.fails_verdict:
        return 0
    if g.effective_outcome != "pass":
        return 1
    return 2 if g.ci_crosses_bound else None


def _why(g: GateResult, rank: int) -> str:
    if rank == 0:
        return _WHY["fails"]
    if rank == 1:
        return _WHY["warning"] if g.severity == "warning" else _WHY["allowed"]
    return _WHY["crosses"]


def _gate_tiles(ctx: CardContext) -> list[dict[str, Any]]:
    """Every gate that threatens the verdict, the worst first (a gate of another model names it)."""
    view = ctx.view
    ranked = [(r, i, g) for i, g in enumerate(map(with_derived, ctx.result.gates)) if (r := _gate_rank(g)) is not None]
    tiles = []
    for rank, _, g in sorted(ranked, key=lambda x: (x[0], x[1])):
        label = gate_title(g.metric, g.feature, g.model if g.model != ctx.audited else None)
        digits = view.digits if g.metric in view.disparities else 3
        tiles.append({**tile(label, {"value": g.value, "ci": g.ci}, g, note=_text(g.reason)), "digits": digits,
                      "threat": _why(g, rank), "metric": g.metric, "feature": g.feature, "model": g.model})
    return tiles


def _gate(ctx: CardContext, metric: str, feature: str | None = None) -> GateResult | None:
    """The audited model's gate on ``metric`` (and ``feature``), or None."""
    return next((g for g in ctx.result.gates if g.metric == metric and g.model == ctx.audited and g.feature == feature),
                None)


def _figure(ctx: CardContext, label: str, entry: Any, metric: str, *, digits: int = 3, note: str | None = None,
            feature: str | None = None) -> dict[str, Any]:
    return {**tile(label, entry, _gate(ctx, metric, feature), note=note), "digits": digits, "threat": None,
            "metric": metric, "feature": feature, "model": ctx.audited}


def _performance(ctx: CardContext) -> list[dict[str, Any]]:
    """The audited model's performance figures (with the group report's intervals where it has them) and ε."""
    view, model = ctx.view, ctx.audited
    info = ctx.result.models.get(model or "")
    audit = ctx.result.group_audits.get(model or "")
    overall = audit.overall if audit is not None and audit.overall is not None else None
    tiles = []
    columns = view.performance[:view.n_tiles] if view.own_figures else view.columns
    for c in columns:
        entry = overall.figure(c.key) if overall is not None else None
        value = getattr(info, c.attr, None) if info is not None else None
        if entry is None and value is None and c.key != "accuracy":
            continue
        tiles.append(_figure(ctx, c.name, entry if entry is not None else value, c.key, digits=c.digits))
    dp = ctx.result.privacy.dp if ctx.result.privacy is not None else None
    if dp is not None and model == "private":
        target = f"target {dp.epsilon_target:g}, " if dp.epsilon_target is not None else ""
        delta = f"δ = {dp.delta:.0e}" if dp.delta is not None else "δ n/a"
        tiles.append(_figure(ctx, "ε spent", dp.epsilon_spent, "epsilon_spent", note=target + delta))
    return tiles + (_text_figures(ctx) if ctx.is_text else [])


def _text_figures(ctx: CardContext) -> list[dict[str, Any]]:
    """The audited text model's largest identity-swap flip rate and lowest BPSN AUC."""
    m = ctx.result.text.models.get(ctx.audited) if ctx.result.text is not None and ctx.audited else None
    if m is None:
        return []
    best = _dict(_dict(m.counterfactual).get("max_flip_rate"))
    worst = _dict(_dict(_dict(m.identity_auc).get("worst")).get("bpsn_auc"))
    pair = _dict(best.get("pair"))
    tiles = []
    if m.counterfactual is not None:
        tiles.append(_figure(ctx, "largest identity-swap flip rate", best, "counterfactual_flip_rate",
                             note=f"{pair.get('from')} → {pair.get('to')}" if pair else _text(best.get("reason"))))
    if m.identity_auc is not None:
        tiles.append(_figure(ctx, "lowest BPSN AUC", worst, "bpsn_auc_min",
                             note=_text(worst.get("subgroup")) or _text(worst.get("reason"))))
    return tiles


def _worst(ctx: CardContext, names: list[str]) -> tuple[str, str, Any] | None:
    """The largest of the audited model's disparities ``names`` over every grouping, intersections included."""
    audit = ctx.result.group_audits.get(ctx.audited or "")
    best: tuple[str, str, Any] | None = None
    for feature, block in (audit.by_feature.items() if audit is not None else []):
        for name in names:
            d = block.disparities.get(name)
            if d is not None and d.value is not None and (best is None or d.value > best[2].value):
                best = (name, feature, d)
    return best


def _disparity_tiles(ctx: CardContext) -> list[dict[str, Any]]:
    """The worst tile disparity over every grouping and, when another headline gap is larger, that gap."""
    view = ctx.view
    gaps = [n for n in view.headline_disparities if "difference" in n]
    audit = ctx.result.group_audits.get(ctx.audited or "")
    blocks = list(audit.by_feature.values()) if audit is not None else []
    over = f"the largest over {_plural(len(blocks), 'grouping')}"
    over += ", intersections included" if any(len(b.features) > 1 for b in blocks) else ""
    tiles = []
    found = [x for x in (_worst(ctx, [view.tile_disparity]), _worst(ctx, gaps)) if x is not None]
    for i, (name, feature, d) in enumerate(found):
        if any((name, feature) == (n, f) for n, f, _ in found[:i]):
            continue
        note = over
        if getattr(d, "worst_class", None):
            note += f"; worst class {d.worst_class}"
        tiles.append(_figure(ctx, f"{gate_title(name)} · {feature}", d, name, digits=view.digits, note=note,
                             feature=feature))
    return tiles


def headline_tiles(ctx: CardContext) -> list[dict[str, Any]]:
    """The headline figures in the module's order, each once (a figure shown as a gate is not repeated)."""
    tiles = _gate_tiles(ctx)
    for t in tiles:  # 'crosses' reads as 'pass on the estimate only': a failing gate's interval may cross its bound too
        t["ci_crosses_bound"] = t["ci_crosses_bound"] and t["outcome"] == "pass"
    seen = {(t["metric"], t["feature"], t["model"]) for t in tiles}
    for t in _performance(ctx) + _disparity_tiles(ctx):
        if (t["metric"], t["feature"], t["model"]) not in seen:
            seen.add((t["metric"], t["feature"], t["model"]))
            tiles.append(t)
    return tiles[:MAX_TILES]


def headline_summary(ctx: CardContext) -> dict[str, Any]:
    """What the card and the Overview show first: the verdict's reasons, the concerns, the headline figures, and
    the counts (``counts``, and ``count_text`` as every reader prints them)."""
    result = ctx.result
    concerns = [plain(c) for c in concerns_of(result)]
    counts = verdict_counts(result)
    gate_counts = {o: sum(1 for g in result.gates if g.effective_outcome == o) for o in ("pass", "fail", "inconclusive")}
    gate_counts["crosses"] = counts["gates_on_estimate_only"]
    return {
        "status": "ok", "audited_model": ctx.audited, "tiles": headline_tiles(ctx), "gate_counts": gate_counts,
        "verdict_reasons": [str(r) for r in (result.verdict_reasons if result.has("verdict_reasons")
                                             else verdict_reasons(result.gates))],
        "concerns": concerns, "n_serious": counts["serious_concerns"], "counts": counts,
        "count_text": count_text(counts),
    }  # fmt: skip
