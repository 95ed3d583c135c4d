"""The networks an audit reads: built-in models, their outputs and losses, safe weights, decisions (torch only).

* ``_builtin``: the built-in MLP and its rebuild from a run's saved weights, which the dashboard's
  What-if imports;
* ``_weights``: the one safe weight loader (file checks, then ``torch.load(weights_only=True)``);
* ``_outputs``: how a model's output is read (the positive logit, probabilities, output shapes) and
  the losses (binary, class-weighted, regression);
* ``decisions``: a binary model's decision threshold, chosen by a stated rule on validation rows.

Nothing here trains: the factory and the one training loop are :mod:`audit.training`, which imports
this package and never the reverse.
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
