"""`compare --baseline-rerun`: changes judged against the spread of the baseline's own trainings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.compare import compare_runs
from audit.exceptions import DataError
from tests.audit.compare._runs import write_run

N = 6000


def _training(seed: int, *, drop: float = 0.0) -> pd.DataFrame:
    """Both models of one training on fixed rows: a per-row disagreement and a per-seed calibration offset."""
    rows = np.random.default_rng(0)
    sex = np.where(rows.random(N) < 0.35, "Female", "Male")
    race = np.where(rows.random(N) < 0.8, "White", "Black")
    y = (rows.random(N) < np.where(sex == "Female", 0.15, 0.3)).astype(int)
    common = 2.5 * (2 * y - 1) + rows.normal(0, 1.0, N) - 0.8
    rng = np.random.default_rng(100 + seed)
    frames = []
    for model in ("reference", "private"):
        logit = common + rng.normal(0, 0.3, N) + rng.normal(0, 0.25) + (sex == "Female") * rng.normal(0, 0.25)
        score = 1 / (1 + np.exp(-logit))
        pred = (score >= 0.5).astype(int)
        if drop and model == "private":
            flip = (sex == "Female") & (y == 1) & (pred == 1) & (rng.random(N) < drop)
            pred[flip], score[flip] = 0, 0.4
        frames.append(pd.DataFrame({"model": model, "y_true": y, "y_pred": pred, "y_score": score, "sex": sex,
                                    "race": race}))
    return pd.concat(frames, ignore_index=True)


def _run(tmp_path, name: str, seed: int, *, drop: float = 0.0, epochs: int = 10):
    config = {"name": name, "training": {"seed": seed, "epochs": epochs}, "data": {"target": "income"}}
    return write_run(tmp_path / name, _training(seed, drop=drop), run={"config": config})


def test_two_trainings_differ_on_the_rows_but_not_beyond_the_baselines_reruns(tmp_path):
    a, b = _run(tmp_path, "a", 0), _run(tmp_path, "b", 1)
    plain = compare_runs(a, b, n_boot=200)
    assert any(c.significant for c in plain.changes)  # systematic seed effects: the paired test sees them
    reruns = [_run(tmp_path, f"r{i}", 2 + i) for i in range(3)]
    judged = compare_runs(a, b, n_boot=200, baseline_reruns=reruns, max_drop=["accuracy=0.05"])
    assert not any(c.significant for c in judged.changes)
    assert judged.family["baseline_runs"] == 4 and all(c.df == 3 for c in judged.changes if c.se is not None)
    acc = {c.key: c for c in judged.changes}["accuracy@private"]
    assert acc.ci[0] < acc.delta < acc.ci[1] and acc.ci[1] - acc.ci[0] > 2 * (acc.ci[1] - acc.delta) * 0.99
    assert judged.verdict == "pass"


def test_a_planted_drop_is_still_found_against_the_reruns(tmp_path):
    a, b = _run(tmp_path, "a", 0), _run(tmp_path, "b", 1, drop=0.6)
    reruns = [_run(tmp_path, f"r{i}", 2 + i) for i in range(4)]
    judged = {c.key: c for c in compare_runs(a, b, n_boot=200, baseline_reruns=reruns).changes}
    tpr = judged["tpr[sex=Female]@private"]
    assert tpr.significant and tpr.delta < -0.3


@pytest.mark.parametrize(("change", "message"), [({"epochs": 20}, "another training seed only"),
                                                 ({"rows": True}, "must score A's test rows")])
def test_a_rerun_that_is_not_one_is_refused(tmp_path, change, message):
    a, b = _run(tmp_path, "a", 0), _run(tmp_path, "b", 1)
    if "rows" in change:
        other = _training(2).iloc[::-1].reset_index(drop=True)
        rerun = write_run(tmp_path / "r", other, run={"config": {"name": "r", "training": {"seed": 2, "epochs": 10},
                                                                 "data": {"target": "income"}}})
    else:
        rerun = _run(tmp_path, "r", 2, epochs=change["epochs"])
    with pytest.raises(DataError, match=message):
        compare_runs(a, b, n_boot=50, baseline_reruns=[rerun])


def test_reruns_of_both_configs_find_a_drop_the_size_of_the_seed_spread(tmp_path):
    a = _run(tmp_path, "a", 0)
    base = [_run(tmp_path, f"r{i}", 2 + i) for i in range(4)]
    b = _run(tmp_path, "b", 10, drop=0.35)
    cand = [_run(tmp_path, f"b{i}", 11 + i, drop=0.35) for i in range(4)]  # B's config: the drop is its change
    one = {c.key: c for c in compare_runs(a, b, n_boot=100, baseline_reruns=base).changes}
    both = {c.key: c for c in compare_runs(a, b, n_boot=100, baseline_reruns=base, candidate_reruns=cand).changes}
    key = "tpr[sex=Female]@private"
    assert both[key].df == 8 and one[key].df == 4
    assert (both[key].ci[1] - both[key].ci[0]) < (one[key].ci[1] - one[key].ci[0])
    assert both[key].significant and both[key].delta < 0


def test_candidate_reruns_need_baseline_reruns(tmp_path):
    from audit.exceptions import ConfigError

    a, b = _run(tmp_path, "a", 0), _run(tmp_path, "b", 1)
    with pytest.raises(ConfigError, match="needs --baseline-rerun"):
        compare_runs(a, b, n_boot=20, candidate_reruns=[_run(tmp_path, "b2", 2)])
