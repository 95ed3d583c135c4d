"""The comparison as text for people: the verdict first, then what changed significantly, then the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit._visible import visible

if TYPE_CHECKING:
    from audit.compare._changes import Change
    from audit.compare._compare import Comparison

__all__ = ["format_comparison"]

_VERDICT = {"pass": "PASS: no gated figure got worse by more than its δ",
            "fail": "FAIL: a gated figure got worse by more than its δ",
            "inconclusive": "INCONCLUSIVE: the test rows cannot tell whether a gated figure got worse by more than its δ",
            "no gates": "NO GATES: nothing to decide (add --max-drop METRIC=DELTA to gate a release)"}


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4f}"


def _line(c: Change) -> str:
    ci = f" [{c.ci[0]:+.4f}, {c.ci[1]:+.4f}]" if c.ci is not None else ""
    p = f", Holm p = {c.p_holm:.2g}" if c.p_holm is not None else ""
    worse = ""
    if c.significant and c.direction:
        worse = " (worse)" if (c.delta or 0) * c.direction < 0 else " (better)"
    note = f"; {c.note}" if c.note and c.se is None else ""
    return f"  {visible(c.key)}: {_num(c.a)} → {_num(c.b)}, Δ {c.delta:+.4f}{ci}{p}{worse}{note}\n"


def _gates(comp: Comparison) -> list[str]:
    out = []
    for g in comp.gates["gates"]:
        out.append(f"  {g['outcome'].upper():<12} {visible(g['name'])} (δ = {g['max']:g}): {g['reason']}\n")
    if out:
        out.append(f"  Gate intervals: {comp.gates['intervals']}.\n")
    return out


def _records(comp: Comparison) -> list[str]:
    out = []
    for f in comp.gate_flips:
        out.append(f"  gate {visible(f['gate'])} ({f['severity']}): {f['a'] or 'absent'} → {f['b'] or 'absent'}\n")
    for c in comp.concerns.get("new", []):
        out.append(f"  new concern ({c['severity']}): {visible(c['title'])}\n")
    for c in comp.concerns.get("resolved", []):
        out.append(f"  resolved concern ({c['severity']}): {visible(c['title'])}\n")
    return out


def _drift(comp: Comparison) -> list[str]:
    out = [f"Data drift between the test sets ({comp.drift_scope}; Holm-adjusted over {len(comp.drift)} tests):\n"]
    for t in sorted(comp.drift, key=lambda t: -t["effect"]):
        smd = f", SMD {t['smd']:+.3f}" if "smd" in t else ""
        flag = "significant" if t["significant"] else "not significant"
        out.append(f"  {visible(t['feature'])}: {t['effect_name']} {t['effect']:.3f}{smd}, Holm p = {t['p_holm']:.2g} "
                   f"({flag})\n")
    return out


def format_comparison(comp: Comparison, *, all_changes: bool = False) -> str:
    """The comparison for a terminal: verdict, gates, significant changes, flips and concerns, the rest, drift.

    Examples
    --------
    >>> # print(format_comparison(compare_runs("runs/v1", "runs/v2")))
    """
    out = [_VERDICT.get(comp.verdict, comp.verdict) + "\n", f"  A: {visible(comp.run_a)}\n  B: {visible(comp.run_b)}\n"]
    out += _gates(comp)
    fam = comp.family
    out.append(f"\nComparison of {comp.task} runs: {'PAIRED' if comp.paired else 'INDEPENDENT'} ({comp.pairing}). "
               f"{fam['family_size']} "
               f"figures tested for a change: {fam['tests']}, {fam['tests_adjustment']}-adjusted; intervals "
               f"{fam['intervals']}.\n")
    if fam.get("baseline"):
        out.append(f"  Baseline: {fam['baseline']}.\n")
    elif comp.paired:
        out.append("  Paired: a change is a difference between these two models on these rows; the randomness of "
                   "training (a seed) is not in the intervals, so two trainings of one config can differ significantly "
                   "(give --baseline-rerun RUN, A's config trained with other seeds, to judge changes against it).\n")
    significant = [c for c in comp.changes if c.significant]
    out.append(f"\nSignificant changes ({len(significant)}):\n" if significant else "\nNo significant change.\n")
    out += [_line(c) for c in sorted(significant, key=lambda c: c.p_holm or 0.0)]
    records = _records(comp)
    if records:
        out.append("\nGates flipped and concerns (from the records):\n")
        out += records
    rest = [c for c in comp.changes if not c.significant]
    shown = rest if all_changes else [c for c in rest if c.group is None]
    out.append(f"\nOther changes (not significant){'' if all_changes else ', headline figures; --all lists every group'}:\n")
    out += [_line(c) for c in shown]
    out.append("\n")
    out += _drift(comp) if comp.drift else [f"Data drift: {comp.drift_scope}.\n"]
    return "".join(out)
