"""TaskSpec (audit.tasks): targets, losses, outputs, scores, decisions and summary metrics per task.

Every summary number is checked against scikit-learn computed independently here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn import metrics
from torch import nn

from audit.exceptions import DataError, ModelError
from audit.tasks import MAX_CLASSES, TaskSpec, result_task
from tests._tolerances import FLOAT32_OUTPUT_ATOL


class _Fixed(nn.Module):
    """A model whose outputs are given in advance (row i of ``out`` for input row i)."""

    def __init__(self, out: np.ndarray) -> None:
        super().__init__()
        self.out = torch.as_tensor(out, dtype=torch.float32)
        self.dummy = nn.Linear(1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x[:, 0].long()
        return self.out[rows]


def _row_ids(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float32).reshape(-1, 1)


# ---------------------------------------------------------------- encoding


def test_multiclass_classes_are_sorted_text_of_the_training_labels():
    spec = TaskSpec.fit("multiclass", pd.Series(["dog", " cat", "bird ", "cat", None]))
    assert spec.classes == ["bird", "cat", "dog"]
    assert spec.n_outputs == 3
    assert spec.encode(pd.Series(["dog", "bird", " cat "])).tolist() == [2, 0, 1]
    assert spec.encode(pd.Series(["dog"])).dtype == np.int64


def test_multiclass_integer_labels_are_read_as_text_and_encode_from_either_type():
    spec = TaskSpec.fit("multiclass", pd.Series([3, 10, 7, 3]))
    assert spec.classes == ["10", "3", "7"]  # text order, the same whichever type a later file reads
    assert spec.encode(pd.Series([7, 10])).tolist() == [2, 0]
    assert spec.encode(pd.Series(["7", "10"])).tolist() == [2, 0]


def test_multiclass_mixed_string_and_integer_labels():
    spec = TaskSpec.fit("multiclass", pd.Series(["cat", 3, "dog", 7], dtype=object))
    assert spec.classes == ["3", "7", "cat", "dog"]
    assert spec.encode(pd.Series([3, "cat"], dtype=object)).tolist() == [0, 2]


def test_unseen_class_is_refused_with_what_was_expected_found_and_the_fix():
    spec = TaskSpec.fit("multiclass", pd.Series(["a", "b", "c"]))
    with pytest.raises(DataError) as err:
        spec.encode(pd.Series(["a", "zebra", "b"]))
    message = str(err.value)
    assert "zebra" in message  # found
    assert "['a', 'b', 'c']" in message  # expected: the training classes
    assert "drop those rows" in message or "add training rows" in message  # fix


def test_binary_encoding_tolerates_types_and_spaces():
    spec = TaskSpec.fit("binary", pd.Series(["yes", "no"]), positive_label="yes")
    assert spec.n_outputs == 1 and spec.classes == []
    assert spec.encode(pd.Series([" yes", "no", "yes "])).tolist() == [1, 0, 1]
    assert TaskSpec.fit("binary", pd.Series([0, 1]), positive_label="1").encode(pd.Series([0, 1, 1])).tolist() == [0, 1, 1]


def test_unknown_task_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="binary.*multiclass.*regression"):
        TaskSpec.fit("ordinal", pd.Series([1, 2]))


def test_max_classes_is_the_documented_cap():
    assert MAX_CLASSES == 50


# ---------------------------------------------------------------- regression standardisation


def test_regression_standardisation_round_trips_skewed_values():
    rng = np.random.default_rng(0)
    y = pd.Series(np.exp(rng.normal(8, 1.5, size=500)))  # skewed, values from ~10 to ~1e6
    spec = TaskSpec.fit("regression", y)
    z = spec.encode(y)
    assert z.dtype == np.float32
    assert abs(float(z.mean())) < 1e-4 and abs(float(z.std()) - 1) < 1e-4
    # float32 standardised values: exact to float32 precision of the scale, whatever the value's size
    np.testing.assert_allclose(spec.to_target_units(z), y.to_numpy(), rtol=0, atol=spec.target_scale * 1e-6)
    assert spec.target_mean == pytest.approx(float(y.mean())) and spec.target_scale == pytest.approx(float(y.std(ddof=0)))


def test_regression_reads_numbers_written_as_text():
    spec = TaskSpec.fit("regression", pd.Series(["1.5", "2.5", "3.5"]))
    assert spec.target_mean == pytest.approx(2.5)
    np.testing.assert_allclose(spec.encode(pd.Series(["2.5"])), [0.0])


def test_regression_constant_training_target_does_not_divide_by_zero():
    spec = TaskSpec.fit("regression", pd.Series([4.0, 4.0, 4.0]))
    assert spec.target_scale == 1.0
    np.testing.assert_array_equal(spec.encode(pd.Series([4.0, 5.0])), [0.0, 1.0])
    np.testing.assert_allclose(spec.to_target_units(np.array([0.0, 1.0])), [4.0, 5.0])


# ---------------------------------------------------------------- losses and output shapes


def test_multiclass_loss_is_cross_entropy_on_class_indices():
    spec = TaskSpec.fit("multiclass", pd.Series(["a", "b", "c"]))
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    y = torch.tensor([0, 2])
    loss = spec.loss_fn()(logits, y)
    assert loss.shape == ()
    assert loss.item() == pytest.approx(nn.functional.cross_entropy(logits, y).item())
    per_example = nn.CrossEntropyLoss(reduction="none")(logits, y)
    assert per_example.shape == (2,)


@pytest.mark.parametrize("shape", [(4,), (4, 1)])
def test_regression_loss_is_mse_whatever_the_output_shape(shape):
    spec = TaskSpec.fit("regression", pd.Series([1.0, 2.0]))
    loss_fn = spec.loss_fn()
    out = torch.tensor([0.0, 1.0, 2.0, 3.0]).reshape(shape)
    y = torch.tensor([1.0, 1.0, 1.0, 1.0])
    assert loss_fn(out, y).shape == ()
    assert loss_fn(out, y).item() == pytest.approx((1 + 0 + 1 + 4) / 4)
    loss_fn.reduction = "none"  # what Opacus and the membership audit ask for
    assert loss_fn(out, y).shape == (4,)


def test_binary_loss_is_bce_with_logits():
    spec = TaskSpec.fit("binary", pd.Series([0, 1]), positive_label=1)
    out = torch.tensor([[0.0], [2.0]])
    y = torch.tensor([0, 1])
    expected = nn.functional.binary_cross_entropy_with_logits(out.reshape(-1), y.float())
    assert spec.loss_fn()(out, y).item() == pytest.approx(expected.item())


def test_multiclass_output_of_the_wrong_width_names_the_fix():
    spec = TaskSpec.fit("multiclass", pd.Series(["a", "b", "c"]))
    spec.check_output(torch.zeros(5, 3), 5)
    with pytest.raises(ModelError) as err:
        spec.check_output(torch.zeros(5, 2), 5)
    message = str(err.value)
    assert "(5, 2)" in message and "(5, 3)" in message and "nn.Linear(hidden, 3)" in message


def test_regression_output_accepts_a_column_or_a_vector_only():
    spec = TaskSpec.fit("regression", pd.Series([1.0, 2.0]))
    spec.check_output(torch.zeros(5), 5)
    spec.check_output(torch.zeros(5, 1), 5)
    with pytest.raises(ModelError, match=r"one number per row"):
        spec.check_output(torch.zeros(5, 2), 5)


# ---------------------------------------------------------------- scores and decisions


def test_multiclass_scores_are_probabilities_and_decisions_the_argmax():
    spec = TaskSpec.fit("multiclass", pd.Series(["a", "b", "c"]))
    logits = np.array([[3.0, 0.0, 0.0], [0.0, 0.0, 5.0], [0.0, 1.0, 0.5]])
    scores = spec.scores(_Fixed(logits), _row_ids(3))
    assert scores.shape == (3, 3)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)
    np.testing.assert_allclose(scores, torch.softmax(torch.tensor(logits, dtype=torch.float64), 1).numpy(), rtol=1e-6)
    assert spec.decide(scores).tolist() == [0, 2, 1]


def test_regression_scores_are_in_target_units():
    y = pd.Series([10.0, 20.0, 30.0])
    spec = TaskSpec.fit("regression", y)
    standardised = spec.encode(y)
    scores = spec.scores(_Fixed(standardised.reshape(-1, 1)), _row_ids(3))
    np.testing.assert_allclose(scores, y.to_numpy(), rtol=1e-6)
    np.testing.assert_array_equal(spec.decide(scores), scores)


def test_scores_of_no_rows_have_the_task_shape():
    spec = TaskSpec.fit("multiclass", pd.Series(["a", "b"]))
    assert spec.scores(_Fixed(np.zeros((1, 2))), np.zeros((0, 1), dtype=np.float32)).shape == (0, 2)


def test_scores_batches_give_the_same_result_as_one_batch():
    rng = np.random.default_rng(1)
    spec = TaskSpec.fit("multiclass", pd.Series(["a", "b", "c", "d"]))
    logits = rng.normal(size=(37, 4))
    whole = spec.scores(_Fixed(logits), _row_ids(37))
    batched = spec.scores(_Fixed(logits), _row_ids(37), batch_size=5)
    np.testing.assert_allclose(whole, batched, rtol=0, atol=FLOAT32_OUTPUT_ATOL)  # float32 softmax per batch


# ---------------------------------------------------------------- summary metrics equal scikit-learn's


def test_multiclass_summary_equals_scikit_learn():
    rng = np.random.default_rng(2)
    spec = TaskSpec.fit("multiclass", pd.Series(["a", "b", "c", "d"]))
    y = rng.integers(0, 4, size=300)
    scores = rng.dirichlet(np.ones(4), size=300)
    scores[y == 0, 0] += 0.5  # some skill on one class
    scores /= scores.sum(axis=1, keepdims=True)
    pred = scores.argmax(axis=1)
    out = spec.summary(y, scores)
    assert out["test_accuracy"] == pytest.approx(metrics.accuracy_score(y, pred), abs=1e-12)
    assert out["test_macro_f1"] == pytest.approx(metrics.f1_score(y, pred, average="macro", labels=[0, 1, 2, 3],
                                                                  zero_division=0), abs=1e-12)
    assert out["test_balanced_accuracy"] == pytest.approx(metrics.balanced_accuracy_score(y, pred), abs=1e-12)


def test_multiclass_macro_f1_counts_a_class_never_predicted_as_zero():
    spec = TaskSpec.fit("multiclass", pd.Series(["a", "b", "c"]))
    y = np.array([0, 1, 2, 2])
    scores = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0]], dtype=float)  # class c never predicted
    out = spec.summary(y, scores)
    expected = metrics.f1_score(y, [0, 1, 1, 1], labels=[0, 1, 2], average="macro", zero_division=0)
    assert out["test_macro_f1"] == pytest.approx(expected, abs=1e-12)
    assert out["test_macro_f1"] < 1 and math.isfinite(out["test_macro_f1"])


def test_regression_summary_equals_scikit_learn_in_target_units():
    rng = np.random.default_rng(3)
    truth = np.exp(rng.normal(3, 1, size=200))
    spec = TaskSpec.fit("regression", pd.Series(truth))
    predictions = truth * rng.normal(1, 0.2, size=200)
    out = spec.summary(spec.encode(pd.Series(truth)), predictions)
    assert out["test_accuracy"] is None
    assert out["test_mae"] == pytest.approx(metrics.mean_absolute_error(truth, predictions), rel=1e-6)
    assert out["test_rmse"] == pytest.approx(math.sqrt(metrics.mean_squared_error(truth, predictions)), rel=1e-6)
    assert out["test_r2"] == pytest.approx(metrics.r2_score(truth, predictions), rel=1e-5)


def test_regression_summary_of_one_row_has_no_r2():
    spec = TaskSpec.fit("regression", pd.Series([1.0, 3.0]))
    out = spec.summary(spec.encode(pd.Series([2.0])), np.array([2.5]))
    assert out["test_r2"] is None and out["test_mae"] == pytest.approx(0.5)


def test_binary_summary_equals_scikit_learn():
    rng = np.random.default_rng(4)
    spec = TaskSpec.fit("binary", pd.Series([0, 1]), positive_label=1)
    y = rng.integers(0, 2, size=200)
    scores = np.clip(0.3 * y + rng.random(200) * 0.7, 0, 1)
    out = spec.summary(y, scores)
    assert out["test_accuracy"] == pytest.approx(metrics.accuracy_score(y, scores >= 0.5), abs=1e-12)
    assert out["test_roc_auc"] == pytest.approx(metrics.roc_auc_score(y, scores), abs=1e-12)
    assert spec.summary(np.ones(5, dtype=np.int64), np.full(5, 0.7))["test_roc_auc"] is None


@pytest.mark.parametrize(("task", "text", "expected"), [
    ("binary", False, "binary-classification"), ("multiclass", False, "multiclass-classification"),
    ("regression", False, "regression"), ("binary", True, "text-classification"),
    ("multiclass", True, "text-classification"),
])
def test_result_task_names(task, text, expected):
    assert result_task(task, text=text) == expected
