"""The robustness audit through its public function, the pipeline and its gates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.config import GateSpec
from audit.metrics import GATE_METRICS
from audit.result import AuditResult
from audit.robustness import Setting, columns_for, robustness_audit, settings_for


def _rows(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame({"x": rng.normal(0, 1, n), "job": rng.choice(["a", "b"], n),
                         "g": rng.choice(["small", "large"], n, p=[0.05, 0.95])})
    return rows, (rows["x"] > 0).astype(int).to_numpy()


def _by_x(frame: pd.DataFrame) -> np.ndarray:
    return (pd.to_numeric(frame["x"]).fillna(0.0) > 0).astype(int).to_numpy()


def test_a_model_that_ignores_the_perturbed_features_never_flips():
    rows, y = _rows()
    settings = settings_for("table", {"noise_scales": [0.5], "missing_rate": 0.2, "remap_rate": 0.2})
    found = robustness_audit({"constant_in_x": lambda f: (f["g"] == "small").astype(int).to_numpy()}, rows[["x", "job"]]
                             .assign(g=rows["g"]), y, rows[["g"]], settings=settings,
                             columns=columns_for(rows, ["x", "job", "g"], sensitive=["g"]), seed=0)
    assert found["n_family"] == 3 * (1 + 2) and found["excluded_columns"] == ["g"]
    for result in found["models"]["constant_in_x"]["results"]:
        assert result["overall"]["flips"] == 0 and all(g["flips"] == 0 for g in result["groups"])


def test_flips_grow_with_the_noise_and_are_reproducible():
    rows, y = _rows()
    kw = {"columns": columns_for(rows, ["x", "job"]), "seed": 3}
    a = robustness_audit({"m": _by_x}, rows, y, rows[["g"]], settings=[Setting("numeric_noise", 0.1),
                                                                        Setting("numeric_noise", 0.5)], **kw)
    b = robustness_audit({"m": _by_x}, rows, y, rows[["g"]], settings=[Setting("numeric_noise", 0.1),
                                                                        Setting("numeric_noise", 0.5)], **kw)
    small, large = (r["overall"] for r in a["models"]["m"]["results"])
    assert 0 < small["flip_rate"] < large["flip_rate"] and large["accuracy_drop"] > 0
    assert a == b
    worst = a["models"]["m"]["worst"]["flip_rate"]
    assert worst["value"] == large["flip_rate"] and worst["perturbation"] == "numeric noise ×0.5 SD"


def _result(robustness: dict) -> AuditResult:
    return AuditResult.from_dict({"schema_version": "2.0", "run": {}, "data": {}, "models": {"private": {}},
                                  "robustness": robustness})


def _cell(rate: float, ci: list[float], n: int = 100) -> dict:
    return {"n": n, "flip_rate": rate, "flip_rate_ci": ci, "accuracy_drop": 0.0, "accuracy_drop_ci": [-0.01, 0.01]}


@pytest.mark.parametrize(("groups", "outcome"), [
    ([_cell(0.05, [0.03, 0.08]), _cell(0.07, [0.05, 0.09])], ("pass", 0.07)),
    ([_cell(0.05, [0.03, 0.08]), _cell(0.30, [0.05, 0.60], n=20)], ("inconclusive", None)),  # small group, wide
    ([_cell(0.30, [0.05, 0.60], n=20), _cell(0.15, [0.12, 0.18], n=1000)], ("fail", 0.15)),  # a sure cell decides
])
def test_the_group_gate_judges_the_largest_of_many(groups, outcome):
    groups = [{**g, "feature": "g", "group": str(i)} for i, g in enumerate(groups)]
    r = _result({"models": {"private": {"results": [{"perturbation": "numeric_noise", "label": "noise",
                                                      "overall": _cell(0.05, [0.04, 0.06]), "groups": groups}]}}})
    resolved = GATE_METRICS["robustness_group_flip_rate"].resolve(r, GateSpec(metric="robustness_group_flip_rate",
                                                                              max=0.10))
    kind, value = outcome
    if kind == "inconclusive":
        assert resolved.value is None and "reaches the bound" in resolved.inconclusive
    else:
        assert resolved.value == value and (value > 0.10) == (kind == "fail")
    pessimistic = GATE_METRICS["robustness_group_flip_rate"].resolve(
        r, GateSpec(metric="robustness_group_flip_rate", max=0.10, use_ci_bound=True))
    assert pessimistic.value == max(g["flip_rate_ci"][1] for g in groups)


def test_the_pipeline_records_robustness_and_the_card_shows_it(tiny_run):
    from reports import build_card_data

    result = AuditResult.from_json((tiny_run / "audit.json").read_text(encoding="utf-8"))
    assert result.robustness is not None and set(result.robustness.models) == {"reference", "private"}
    private = result.robustness.models["private"]
    assert [r.perturbation for r in private.results] == ["numeric_noise", "numeric_noise", "missing_values",
                                                         "category_remap"]
    assert {"sex", "race"} == set(result.robustness.excluded_columns)
    assert not {"sex", "race"} & set(result.robustness.perturbed_columns)
    assert result.robustness.n_family == 4 * (1 + sum(len({g.group for g in private.results[0].groups
                                                            if g.feature == f}) for f in ("sex", "race")))
    card = build_card_data(result)
    assert card["robustness"]["status"] == "ok" and len(card["robustness"]["models"][0]["rows"]) == 4


def test_a_text_run_is_grouped_by_the_identities_its_texts_mention():
    from types import SimpleNamespace as NS

    from audit.pipeline._robustness import _groups

    texts = ["my sister is a nurse", "an old house", "great product", "a muslim family", "fine"]
    prepared = NS(sensitive_test=pd.DataFrame(index=range(5)), preprocessor=NS(column="t"),
                  raw_test=pd.DataFrame({"t": texts}), X_test=np.zeros((5, 1)))
    groups = _groups(NS(prepared=prepared, is_text=True, config=None, identity_mentions=None), np.arange(5))
    assert groups["mentions gender"].tolist() == ["yes", "no", "no", "no", "no"]
    assert groups["mentions religion"].tolist() == ["no", "no", "no", "yes", "no"]
    assert "mentions age" not in groups  # "old" of a house is not an age group: no text mentions one, no group
