"""Pure helpers: formatting, nested access, run summaries, prediction files, gaps (vs Fairlearn), chart specs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

from audit.exceptions import DataError
from audit.fairness import rates_at_threshold, threshold_analysis
from dashboard import _charts as charts
from dashboard._data import fmt, fmt_ci, gaps, rates_table, read_predictions, run_summary


def test_fmt_and_fmt_ci_handle_missing_values():
    assert fmt(None) == fmt(float("nan")) == "—"
    assert (fmt(True), fmt(False)) == ("yes", "no")  # a setting such as poisson_sampling, shown as words
    assert fmt_ci({"value": 0.25, "ci": None}) == "0.250"
    assert fmt_ci({"value": 0.25, "ci": [None, 0.3]}) == "0.250"
    assert fmt_ci("n/a") == "n/a"


def test_run_summary_of_an_almost_empty_result():
    row = run_summary({"schema_version": "1.0"}, name="x")
    assert row["run"] == "x" and row["verdict"] is None and row["max DP difference"] is None and row["gates"] == 0


def test_run_summary_picks_the_worst_feature():
    result = {"models": {"reference": {}}, "fairness": {"reference": {"by_feature": {
        "sex": {"disparities": {"demographic_parity_difference": {"value": 0.1}}},
        "race": {"disparities": {"demographic_parity_difference": {"value": 0.3}}}}}}}
    row = run_summary(result, name="r")
    assert (row["max DP difference"], row["max DP difference feature"]) == (0.3, "race")


def _write(tmp_path, frame):
    path = tmp_path / "predictions.csv"
    frame.to_csv(path, index=False)
    return path


def test_read_predictions_lists_every_problem(tmp_path):
    bad = pd.DataFrame({"model": ["m"] * 3, "y_true": [0, 2, 1], "y_pred": [0, 1, 1], "y_score": [0.1, 1.5, 0.2]})
    with pytest.raises(DataError) as exc:
        read_predictions(_write(tmp_path, bad))
    assert len(exc.value.problems) == 2


def test_read_predictions_requires_columns(tmp_path):
    with pytest.raises(DataError, match="y_score"):
        read_predictions(_write(tmp_path, pd.DataFrame({"model": ["m"], "y_true": [0], "y_pred": [0]})))


def test_read_predictions_keeps_group_labels_as_text(tmp_path):
    frame = pd.DataFrame({"model": ["m"] * 3, "y_true": [0, 1, 1], "y_pred": [0, 1, 0], "y_score": [0.1, 0.9, 0.4],
                          "grp": ["01", "1", None]})
    got = read_predictions(_write(tmp_path, frame))
    assert list(got["grp"].iloc[:2]) == ["01", "1"] and pd.isna(got["grp"].iloc[2])


@pytest.mark.parametrize("seed", range(5))
def test_gaps_equal_fairlearn(seed):
    rng = np.random.default_rng(seed)
    n = 500
    y, s = rng.integers(0, 2, n), rng.choice(["a", "b", "c"], n)
    score = np.clip(rng.normal(0.4 + 0.2 * y, 0.25), 0, 1)
    t = float(rng.uniform(0.2, 0.8))
    table = rates_table(rates_at_threshold(threshold_analysis(y_true=y, y_score=score, sensitive=pd.Series(s, name="g")), t))
    g = gaps(table)
    yhat = (score >= t).astype(int)
    assert g["demographic_parity_difference"] == pytest.approx(demographic_parity_difference(y, yhat, sensitive_features=s), abs=1e-12)
    assert g["equalized_odds_difference"] == pytest.approx(equalized_odds_difference(y, yhat, sensitive_features=s), abs=1e-12)


def test_every_chart_builder_makes_a_valid_vega_lite_spec():
    df = pd.DataFrame({"c": ["a", "b"], "v": [0.1, -0.2], "lo": [0.0, -0.3], "hi": [0.2, -0.1], "m": ["x", "y"]})
    specs = [
        charts.bars_with_ci(df, category="c", value="v", lo="lo", hi="hi", color="m"),
        charts.points_with_ci(df, category="c", value="v", lo="lo", hi="hi", rule_at=0.0),
        charts.heatmap(df, x="c", y="m", value="v"),
        charts.lines(pd.DataFrame({"x": [1, 2], "y": [0.1, 0.2]}), x="x", y="y"),
        charts.roc_curves(pd.DataFrame({"fpr": [0, 1], "tpr": [0, 1], "curve": ["a", "a"]})),
        charts.signed_bars(df, category="c", value="v", detail="m"),
        charts.deletion_curve(pd.DataFrame({"k": [0, 1], "change": [0, 0.2], "order": ["top", "top"]})),
    ]
    for c in specs:
        c.to_dict(validate=True)  # raises on an invalid spec; the app skips this for speed


def test_run_summary_reads_a_typed_result_like_its_dict():
    from audit.result import AuditResult
    from tests.reports._card_fixtures import make_result

    record = make_result()
    assert run_summary(AuditResult.from_dict(record), name="r") == run_summary(record, name="r")


def test_pages_and_state_do_not_walk_raw_dicts():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "dashboard"
    for path in [*sorted((root / "views").glob("*.py")), root / "_state.py", root / "_charts.py"]:
        assert "dig(" not in path.read_text(encoding="utf-8"), path.name


def test_run_summary_counts_inconclusive_gates_and_concerns():
    result = {"models": {"private": {"test_accuracy": 0.75, "degenerate": {"degenerate": True, "reasons": ["constant"]}}},
              "gates": [{"name": "g", "metric": "accuracy", "model": "private", "severity": "error", "value": 0.75,
                         "passed": False, "message": "m", "outcome": "inconclusive", "reason": "degenerate"}],
              "verdict": "fail"}
    row = run_summary(result, name="r")
    assert row["gates inconclusive"] == 1 and row["gates failing the verdict"] == 1
    assert row["warning gates not passed"] == 0
    assert row["concerns"] == 2  # the degenerate model, and the inconclusive gate


def test_run_summary_counts_a_failed_warning_gate_apart_from_those_that_fail_the_verdict():
    # the Runs table said 'gates failed 1' beside a PASS verdict when only a warning gate had not passed
    gate = {"name": "g", "metric": "accuracy", "model": "private", "value": 0.75, "passed": False, "message": "m",
            "outcome": "fail"}
    result = {"models": {"private": {"test_accuracy": 0.75}}, "verdict": "pass",
              "gates": [{**gate, "severity": "warning"}, {**gate, "name": "h", "severity": "error", "passed": True,
                                                         "outcome": "pass"}]}
    row = run_summary(result, name="r")
    assert row["gates failing the verdict"] == 0 and row["warning gates not passed"] == 1
