"""Releases: did the candidate run get worse than the baseline? ``rai-audit compare`` in the dashboard.

Two runs under the runs root are picked (no free paths; the selected run is the default candidate; both are kept in
the URL as ``?baseline=`` and ``?candidate=``), with optional ``max drop`` gates over the figures the comparison
lists (the keys ``--max-drop`` takes, kept as ``?gate=KEY=DELTA``). The verdict comes first, in the CLI's words,
then the significant changes with their simultaneous intervals, gates flipped and concerns, every change
(filterable) and the drift between the test sets. Runs that cannot be compared are refused with the reason.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from audit.compare import Comparison
from audit.exceptions import AuditError
from dashboard._data import md_escape
from dashboard._releases import change_frame, compare_pair, drift_frame, gate_lines, record_frames, verdict_words
from dashboard._state import RUN_KEY, list_run_names, load_run, runs_root
from dashboard._ui import table

__all__ = ["render"]

PARAMS = {"baseline": "baseline", "candidate": "candidate"}  # role → URL parameter
GATE_PARAM = "gate"
RERUN_PARAMS = {"baseline": "rerun_a", "candidate": "rerun_b"}  # reruns of each config, kept in the URL
_GATES_KEY = "_releases_gates"  # key → δ, plain session state (a page switch drops widget state)
_DEFAULT_DELTA = 0.02
_KEYED = ("model", "metric")  # named by the figure's key (accuracy@private): filtered on, not shown
_FLOAT = {"A": "%.4f", "B": "%.4f", "Δ (B − A)": "%+.4f", "Holm p": "%.2g", "effect": "%.3f", "SMD": "%+.3f"}


def _picked(role: str) -> None:
    """A run picker changed: the session and the URL follow it."""
    value = st.session_state[f"releases_{role}"]
    st.session_state[f"_releases_{role}"] = value
    st.query_params[PARAMS[role]] = value


def _pick(role: str, names: list[str], default: str, where: Any) -> str:
    """One of the runs for ``role``: the URL's, else the session's, else ``default``; kept in the URL."""
    wanted = st.query_params.get(PARAMS[role])
    kept = st.session_state.get(f"_releases_{role}")
    chosen = wanted if wanted in names else kept if kept in names else default
    if wanted is not None and wanted not in names:
        st.warning(f"The {role} **{md_escape(wanted)}** from the link is not a run under the runs root; showing "
                   f"**{md_escape(chosen)}** instead.")
    st.session_state[f"_releases_{role}"] = chosen
    st.session_state[f"releases_{role}"] = chosen
    if st.query_params.get(PARAMS[role]) != chosen:
        st.query_params[PARAMS[role]] = chosen  # a page switch drops the query string; the link keeps both runs
    where.selectbox("Baseline (A): the release before" if role == "baseline" else "Candidate (B): the release to check",
                    names, key=f"releases_{role}", on_change=_picked, args=(role,))
    return chosen


def _pick_runs(names: list[str]) -> tuple[str, str]:
    """The baseline and the candidate; by default the selected run against the run written just before it."""
    selected = st.session_state.get(RUN_KEY)
    candidate = selected if selected in names else names[0]
    at = names.index(candidate)
    baseline = names[at + 1] if at + 1 < len(names) else names[at - 1]  # newest first: the next one is older
    left, right = st.columns(2)
    return _pick("baseline", names, baseline, left), _pick("candidate", names, candidate, right)


def _url_gates(keys: list[str]) -> dict[str, float]:
    """``?gate=KEY=DELTA`` (repeated) from a shared link: the gates over figures this comparison lists."""
    out: dict[str, float] = {}
    for spec in st.query_params.get_all(GATE_PARAM):
        key, _, value = spec.rpartition("=")
        try:
            delta = float(value)
        except ValueError:
            continue
        if key in keys and delta >= 0:
            out[key] = delta
    return out


def _rerun_inputs(names: list[str], baseline: str, candidate: str) -> dict[str, list[str]]:
    """Runs of each config with other training seeds (``--baseline-rerun`` / ``--candidate-rerun``), from the URL too."""
    others = [n for n in names if n not in (baseline, candidate)]
    out: dict[str, list[str]] = {}
    left, right = st.columns(2)
    for role, where in (("baseline", left), ("candidate", right)):
        param, key = RERUN_PARAMS[role], f"releases_reruns_{role}"
        if key not in st.session_state:
            st.session_state[key] = [n for n in st.query_params.get_all(param) if n in others]
        st.session_state[key] = [n for n in st.session_state[key] if n in others]
        chosen = where.multiselect(f"Reruns of the {role}'s config (other training seeds)", others, key=key,
                                   help="Runs of the same config with only [training] seed changed, on the same test "
                                        "rows. With reruns, each change is judged against the spread of training, "
                                        "so two seeds of one config show no significant change.")
        if st.query_params.get_all(param) != chosen:
            st.query_params[param] = chosen
        out[role] = chosen
    return out


def _gate_inputs(keys: list[str]) -> tuple[tuple[str, float], ...]:
    """``max drop`` gates: figures among ``keys`` (the comparison's, as ``--max-drop`` accepts them) and their δ."""
    gates: dict[str, float] = st.session_state.get(_GATES_KEY) or _url_gates(keys)
    gates = {k: d for k, d in gates.items() if k in keys}
    if "releases_gate_keys" not in st.session_state:
        st.session_state["releases_gate_keys"] = list(gates)
    chosen = st.multiselect("Figures to gate", keys,
                            key="releases_gate_keys", placeholder="No gates: the comparison only reports",
                            help="The figures --max-drop accepts. Worse: lower accuracy, ROC AUC and TPR; higher FPR and "
                                 "disparities; a selection rate changed either way.")
    out: dict[str, float] = {}
    columns = st.columns(4) if chosen else []
    for i, key in enumerate(chosen):
        widget = f"releases_delta_{key}"
        if widget not in st.session_state:
            st.session_state[widget] = gates.get(key, _DEFAULT_DELTA)
        out[key] = float(columns[i % 4].number_input(f"δ for {md_escape(key)}", min_value=0.0, max_value=1.0, step=0.005,
                                                     format="%.3f", key=widget))
    st.session_state[_GATES_KEY] = out
    specs = [f"{k}={d:g}" for k, d in out.items()]
    if specs and st.query_params.get_all(GATE_PARAM) != specs:
        st.query_params[GATE_PARAM] = specs  # a shared link opens the same gates
    elif not specs and GATE_PARAM in st.query_params:
        del st.query_params[GATE_PARAM]
    return tuple(out.items())


def _verdict(comp: Comparison, baseline: str, candidate: str) -> None:
    """The verdict first, in ``rai-audit compare``'s words, with each gate's reason (failed gates first)."""
    words, kind = verdict_words(comp)  # the tool's own words (no text from a run): shown as Markdown
    reasons = "".join(f"\n- {line}" for line in gate_lines(comp))
    getattr(st, kind)(f"**{words}**  \nA (baseline): **{md_escape(baseline)}** · B (candidate): "
                      f"**{md_escape(candidate)}**{reasons}")
    if not comp.gates["gates"]:
        st.caption("Pick the figures to gate and their δ under **Release gates** below.")
    else:
        st.caption(f"Gate intervals: {md_escape(comp.gates['intervals'])}. Pass: the data show any worsening is within "
                   "δ; fail: they show it exceeds δ; inconclusive: the test rows cannot tell.")
    fam = comp.family
    st.caption(f"**{'Paired' if comp.paired else 'Independent'}**: {md_escape(comp.pairing)}. {fam['family_size']} "
               f"figures tested for a change: {md_escape(fam['tests'])}, {md_escape(fam['tests_adjustment'])}-adjusted; "
               f"intervals {md_escape(fam['intervals'])}."
               + (f" Baseline: {md_escape(fam['baseline'])}." if fam.get("baseline") else
                  " Paired: a change is a difference between these two models on these rows; the randomness of training "
                  "(a seed) is not in the intervals, so two trainings of one config can differ significantly (add "
                  "reruns of each config under **Training randomness** below)." if comp.paired else ""))


def _changes(comp: Comparison) -> None:
    """Significant changes first (Holm), then gates flipped and concerns, then every change with filters."""
    frame = change_frame(comp.changes)
    significant = frame[frame["significant"]].sort_values("Holm p").drop(columns=["significant", *_KEYED])
    st.subheader(f"Significant changes ({len(significant)})")
    if significant.empty:
        st.success("No figure changed significantly (Holm-adjusted over the whole comparison).")
    else:
        table(significant, formats=_FLOAT, height=min(36 * (len(significant) + 1), 560))
    st.subheader("Gates flipped and concerns (from the records)")
    flips, concerns = record_frames(comp)
    if flips.empty and concerns.empty:
        st.caption("No gate of the records changed its outcome; no concern is new or resolved.")
    if not flips.empty:
        table(flips)
    if not concerns.empty:
        table(concerns)
    st.subheader("Every change")
    left, mid, right = st.columns([3, 2, 1])
    text = left.text_input("Figures containing", key="releases_filter", placeholder="e.g. tpr, sex=Female, @reference")
    models = mid.multiselect("Models", sorted(frame["model"].unique()), key="releases_models")
    only = right.checkbox("Significant only", key="releases_only")
    shown = frame
    if text:
        shown = shown[shown["figure"].str.contains(text, case=False, regex=False)]
    if models:
        shown = shown[shown["model"].isin(models)]
    if only:
        shown = shown[shown["significant"]]
    st.caption(f"{len(shown)} of {len(frame)} figures.")
    table(shown.drop(columns=list(_KEYED)), formats=_FLOAT, height=min(36 * (len(shown) + 1), 560))


def _drift(comp: Comparison) -> None:
    st.subheader("Data drift between the test sets")
    if not comp.drift:
        st.caption(f"Data drift: {md_escape(comp.drift_scope)}.")
        return
    st.caption(f"Over {md_escape(comp.drift_scope)}; Holm-adjusted over {len(comp.drift)} tests. At audit sizes tiny "
               "shifts are significant: read the effect sizes (0.1 or more is worth a look).")
    table(drift_frame(comp.drift), formats=_FLOAT)


def render() -> None:
    """The Releases page: baseline and candidate, gates, then the verdict and what changed."""
    st.title("Releases: did the candidate get worse?")
    root = runs_root()
    names = list_run_names(root) if root.is_dir() else []
    if len(names) < 2:
        st.info("A comparison needs two runs under the runs root (the release before and the release to check); "
                f"there {'is one' if names else 'is none'} under **{md_escape(root)}**.")
        return
    st.caption("`rai-audit compare` in the dashboard: the change of every headline and group figure from the baseline "
               "(A) to the candidate (B), with family-wise intervals (docs/compare.md).")
    baseline, candidate = _pick_runs(names)
    if baseline == candidate:
        st.info("Pick two different runs: a run compared with itself has changed nothing.")
        return
    verdict = st.container()  # the verdict is drawn here, above the gates that decide it
    try:
        a, b = load_run(root, baseline), load_run(root, candidate)
        keys = [c.key for c in compare_pair(str(a.path), a.sha, str(b.path), b.sha).changes]
        with st.expander("Release gates: fail when a figure got worse by more than δ (`--max-drop`)"):
            gates = _gate_inputs(sorted(keys, key=lambda k: ("[" in k, k)))  # headline figures first
        with st.expander("Training randomness: reruns of each config (`--baseline-rerun`, `--candidate-rerun`)"):
            reruns = _rerun_inputs(names, baseline, candidate)
        loaded = {role: tuple((str(r.path), r.sha) for r in (load_run(root, n) for n in reruns[role]))
                  for role in reruns}
        comp = compare_pair(str(a.path), a.sha, str(b.path), b.sha, gates=gates, reruns_a=loaded["baseline"],
                            reruns_b=loaded["candidate"])
    except AuditError as exc:
        verdict.error(f"**These runs cannot be compared.** {md_escape(exc)}")
        return
    with verdict:
        _verdict(comp, baseline, candidate)
    _changes(comp)
    _drift(comp)


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
