"""The Governance section: every gate, the verdict and the reviews (the latest stated first).

The summary the card shows first (headline figures, counts) is built by :mod:`reports._headline`.

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {},
...                                          "models": {"private": {"test_accuracy": 0.84}}, "gates": [],
...                                          "verdict": "pass"}))
>>> governance(ctx)["verdict"], governance(ctx)["reviews_note"][:20]
('pass', 'No review recorded w')
"""

from __future__ import annotations

from typing import Any

from audit.choices import REVIEW_DECISION_LABELS, VERDICTS
from audit.verdict.gates import (
    gate_bound_text,
    gate_line,
    gate_number_text,
    gate_title,
    with_derived,
)
from reports._plain import as_dict as _dict
from reports._plain import interval as _ci
from reports._plain import number as _num
from reports._plain import text as _text
from reports._sections.context import CardContext

__all__ = ["governance", "latest_review"]


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
    return {**last, "of": len(revs), "label": REVIEW_DECISION_LABELS.get(str(decision), str(decision or "n/a").upper())}


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
