"""The models an audit trains and reads: built-in networks, their outputs, the factory, one training loop, decisions.

* ``_builtin``: the built-in MLP (torch only) and its rebuild from a run's saved weights, which the
  dashboard's What-if imports (nothing here trains);
* ``_weights``: the one safe weight loader (file checks, then ``torch.load(weights_only=True)``);
* ``_outputs``: how a model's output is read (the positive logit, probabilities, output shapes) and
  the losses (binary, class-weighted, regression);
* ``training``: the model factory (built-in or the user's ``module:function``), seeding, the one
  non-private training loop with early stopping and automatic epochs;
* ``decisions``: a binary model's decision threshold, chosen by a stated rule on validation rows.

The private model is trained by :mod:`audit.privacy` with the same factory and losses. Importing
``audit.models`` imports no training code (``training`` is imported by name where it is needed).
"""

from audit.models._builtin import MLP, rebuild_mlp
from audit.models._outputs import (
    RegressionLoss,
    WeightedClassLoss,
    binary_loss,
    check_output_shape,
    class_weights,
    count_parameters,
    positive_logit,
    predict_proba,
)
from audit.models._weights import load_weights, read_weights

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
    "read_weights",
    "rebuild_mlp",
]
