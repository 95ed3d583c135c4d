"""The models an audit trains and reads: built-in networks, their outputs, the factory, one training loop, decisions.

* ``_outputs``: how a model's output is read (the positive logit, probabilities, output shapes), the
  losses (binary, class-weighted, regression), the built-in MLP and safe weight loading;
* ``training``: the model factory (built-in or the user's ``module:function``), seeding, the
  non-private training loop with early stopping and automatic epochs;
* ``decisions``: a binary model's decision threshold, chosen by a stated rule on validation rows.

The private model is trained by :mod:`audit.privacy` with the same factory and losses.
"""

from audit.models._outputs import (
    MLP,
    RegressionLoss,
    WeightedClassLoss,
    binary_loss,
    check_output_shape,
    class_weights,
    count_parameters,
    load_weights,
    positive_logit,
    predict_proba,
)

__all__ = [
    "MLP",
    "RegressionLoss",
    "WeightedClassLoss",
    "binary_loss",
    "check_output_shape",
    "class_weights",
    "count_parameters",
    "load_weights",
    "positive_logit",
    "predict_proba",
]
