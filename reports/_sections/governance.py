"""The Governance section (gates, verdict, reviews) and the summary the card shows first.

The summary's headline tiles are the audited model's figures: the kind's performance figures
(:attr:`reports._kinds.KindView.columns`, the first ``n_tiles`` of them), ε for a private model, and the
kind's tile disparity per sensitive feature, each with its interval and the gate it is judged against; a text
classifier adds its largest identity-swap flip rate and lowest BPSN AUC.

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {},
...                                          "models": {"private": {"test_accuracy": 0.84}}, "gates": []}))
>>> [t["label"] for t in summary(ctx)["tiles"]], governance(ctx)["verdict"]
(['accuracy'], None)
"""

from __future__ import annotations

from typing import Any

from audit.choices import VERDICTS
from audit.result import Metric
from audit.verdict.concerns import concerns_of
from audit.verdict.gates import (
    gate_bound_text,
    gate_line,
    gate_number_text,
    gate_title,
    verdict_reasons,
    with_derived,
)
from reports._plain import as_dict as _dict
from reports._plain import interval as _ci
from reports._plain import number as _num
from reports._plain import text as _text
from reports._sections.context import CardContext
from reports._sections.context import plain as _plain
from reports._sections.context import tile as _tile

__all__ = ["governance", "latest_review", "summary"]

_MAX_TILES = 6


def _gate_row(g: Any) -> dict[str, Any]:
    g = with_derived(g)
    return {
        "name": _text(g.name) or _text(g.metric) or "gate", "title": gate_title(g.metric, g.feature, g.model),
        "metric": _text(g.metric), "model": _text(g.model), "feature": _text(g.feature),
        "severity": _text(g.severity) or "error", "bound": gate_bound_text(g) or None,
        "value": _num(g.value), "ci": _ci(g.ci), "compared": _num(g.compared),
        "passed": g.passed is True, "message": _text(g.message), "outcome": g.effective_outcome,
        "reason": _text(g.reason), "ci_crosses_bound": g.ci_crosses_bound is True, "margin": _num(g.margin),
        "allow_inconclusive": g.allow_inconclusive is True, "fails_verdict": g.fails_verdict, "line": gate_line(g),
        "value_text": gate_number_text(g.metric, _num(g.value)), "margin_text": gate_number_text(g.metric, _num(g.margin)),
        "detectable": _num(g.detectable),
    }  # fmt: skip


def _gate(ctx: CardContext, metric: str, feature: str | None = None) -> Any:
    """The audited model's gate on ``metric`` (and ``feature``), or None."""
    return next((g for g in ctx.result.gates if g.metric == metric and g.model == ctx.audited and g.feature == feature), None)


def _epsilon_tile(ctx: CardContext) -> list[dict[str, Any]]:
    dp = ctx.result.privacy.dp if ctx.result.privacy is not None else None
    if dp is None or ctx.audited != "private":
        return []
    target = f"target {dp.epsilon_target:g}, " if dp.epsilon_target is not None else ""
    delta = f"δ = {dp.delta:.0e}" if dp.delta is not None else "δ n/a"
    return [_tile("ε spent", dp.epsilon_spent, _gate(ctx, "epsilon_spent"), note=target + delta)]


def _binary_tiles(ctx: CardContext) -> list[dict[str, Any]]:
    """Accuracy and ROC AUC (with the binary report's intervals), ε, and the tile disparity per feature."""
    view, model = ctx.view, ctx.audited
    fair = ctx.fairness.get(model or "")
    overall = fair.overall.metrics if fair is not None and fair.overall is not None else {}
    info = ctx.result.models.get(model or "")
    tiles = []
    if info is not None:
        for c in view.columns:
            value = getattr(info, c.attr, None)
            if c.key == "accuracy" or value is not None:
                tiles.append(_tile(c.name, overall.get(c.key) or value, _gate(ctx, c.key)))
    tiles += _epsilon_tile(ctx)
    for feature, block in (fair.by_feature.items() if fair is not None else []):
        if len(block.features) <= 1 and view.tile_disparity in block.disparities:
            entry = block.disparities[view.tile_disparity]
            tiles.append(_tile(f"{view.tile_label} · {feature}", entry, _gate(ctx, view.tile_disparity, feature),
                               note=_text(entry.inconclusive_reason) if isinstance(entry, Metric) else None))
    return tiles[:_MAX_TILES]


def _text_tiles(ctx: CardContext) -> list[dict[str, Any]]:
    """The audited text model's largest identity-swap flip rate and lowest BPSN AUC."""
    m = ctx.result.text.models.get(ctx.audited) if ctx.result.text is not None and ctx.audited else None
    if m is None:
        return []

    def gate(metric: str) -> Any:
        return next((g for g in ctx.result.gates if g.metric == metric and g.model == ctx.audited), None)

    best, worst = _dict(_dict(m.counterfactual).get("max_flip_rate")), _dict(_dict(_dict(m.identity_auc).get("worst")).get("bpsn_auc"))
    pair = _dict(best.get("pair"))
    tiles = []
    if m.counterfactual is not None:
        tiles.append(_tile("largest identity-swap flip rate", best, gate("counterfactual_flip_rate"),
                           note=f"{pair.get('from')} → {pair.get('to')}" if pair else _text(best.get("reason"))))
    if m.identity_auc is not None:
        tiles.append(_tile("lowest BPSN AUC", worst, gate("bpsn_auc_min"),
                           note=_text(worst.get("subgroup")) or _text(worst.get("reason"))))
    return tiles


def _own_tiles(ctx: CardContext) -> list[dict[str, Any]]:
    """The first ``n_tiles`` of the kind's own figures, ε, and the kind's tile disparity per sensitive feature."""
    view, model = ctx.view, ctx.audited
    if model is None:
        return []
    info = ctx.result.models.get(model)
    fair = ctx.task_models.get(model)
    overall = fair.overall.figures if fair is not None and fair.overall is not None else {}
    shown = view.performance[:view.n_tiles]
    tiles = []
    for c in shown:
        entry = overall.get(c.key) if c.key in overall else getattr(info, c.attr, None)
        tiles.append({**_tile(c.name, entry, _gate(ctx, c.key)), "digits": c.digits})
    tiles += _epsilon_tile(ctx)
    name = view.tile_disparity
    for feature, b in (fair.by_feature.items() if fair is not None else []):
        if " & " not in feature and name in b.disparities:
            d = b.disparities[name]
            tiles.append({**_tile(f"{view.tile_label} · {feature}", d, _gate(ctx, name, feature),
                                  note=_text(d.reason) or (f"worst class {d.worst_class}" if d.worst_class else None)),
                          "digits": view.digits})
    return tiles[:_MAX_TILES]


def summary(ctx: CardContext) -> dict[str, Any]:
    """What the card shows first: the verdict's reasons, the concerns, and the audited model's headline figures."""
    result = ctx.result
    if ctx.view.own_figures:
        tiles = _own_tiles(ctx)
    else:
        tiles = (_binary_tiles(ctx) + (_text_tiles(ctx) if ctx.is_text else []))[:_MAX_TILES]
    concerns = [_plain(c) for c in concerns_of(result)]
    counts = {o: sum(1 for g in result.gates if g.effective_outcome == o) for o in ("pass", "fail", "inconclusive")}
    counts["crosses"] = sum(1 for g in map(with_derived, result.gates) if g.effective_outcome == "pass" and g.ci_crosses_bound)
    return {
        "status": "ok", "audited_model": ctx.audited, "tiles": tiles, "gate_counts": counts,
        "verdict_reasons": [str(r) for r in (result.verdict_reasons if result.has("verdict_reasons")
                                             else verdict_reasons(result.gates))],
        "concerns": concerns,
        "n_serious": sum(1 for c in concerns if c.get("severity") != "info"),
    }  # fmt: skip


_DECIDED = {"approve": "APPROVED", "reject": "REJECTED"}


def _review_rows(reviews: list[dict] | None) -> list[dict[str, Any]]:
    """The reviews, oldest first; ``number`` counts from 1 as the dashboard does (``index`` is the record's, from 0)."""
    revs = []
    for i, r in enumerate(map(_dict, reviews or [])):
        index = r.get("index")
        revs.append({"index": _num(index), "number": index + 1 if isinstance(index, int) and not isinstance(index, bool) else i + 1,
                     "reviewer": _text(r.get("reviewer")), "decision": _text(r.get("decision")),
                     "comment": _text(r.get("comment")), "created_at": _text(r.get("created_at")),
                     "signed": isinstance(r.get("signature"), dict), "entry_hash": _text(r.get("entry_hash"))})
    return revs


def latest_review(revs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The decision the card states first: the latest review (it decides), or None when none was recorded.

    Examples
    --------
    >>> latest_review([{"number": 1, "decision": "approve"}, {"number": 2, "decision": "reject"}])["label"]
    'REJECTED'
    """
    if not revs:
        return None
    last = revs[-1]
    decision = last.get("decision")
    return {**last, "of": len(revs), "label": _DECIDED.get(str(decision), str(decision or "n/a").upper())}


def governance(ctx: CardContext, reviews: list[dict] | None = None) -> dict[str, Any]:
    """Every gate (value [CI] vs bound, outcome, margin), the verdict, the reviews recorded (oldest first, numbered
    from 1) and the latest one, which the card states before its verdict."""
    result = ctx.result
    gates = [_gate_row(g) for g in result.gates]
    verdict = _text(result.verdict) if result.has("verdict") else None
    revs = _review_rows(reviews)
    return {
        "status": "ok",
        "verdict": verdict if verdict in VERDICTS else None,
        "gates": gates,
        "n_failed_errors": sum(1 for g in gates if g["fails_verdict"]),
        "n_failed_warnings": sum(1 for g in gates if g["outcome"] != "pass" and g["severity"] != "error"),
        "n_inconclusive": sum(1 for g in gates if g["outcome"] == "inconclusive"),
        "reviews": revs,
        "latest_review": latest_review(revs),
        "reviews_note": None if revs else "No review recorded when this card was rendered. Record one with "
                                          "'rai-audit review RUN_DIR --reviewer NAME --decision approve|reject'.",
    }
