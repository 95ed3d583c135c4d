"""Explanations that can be trusted: Captum attributions, faithfulness checks, group reliance.

One module per attribution method over a shared :class:`Explainer` base (as
Captum does); tabular views aggregate one-hot columns back to original
features; every explanation is reported with its faithfulness figures.

Examples
--------
>>> import numpy as np
>>> from audit.models import MLP
>>> from audit.explain import IntegratedGradients
>>> IntegratedGradients(MLP(4, hidden=(8,))).attribute(np.ones((2, 4), dtype=np.float32)).shape
(2, 4)
"""

from audit.explain._aggregate import aggregate_groups, bootstrap_mean_ci, global_importance
from audit.explain._base import (
    EXPLAINERS,
    IMAGE_METHODS,
    TABULAR_METHODS,
    Explainer,
    make_explainer,
    reinitialised_copy,
)
from audit.explain._deeplift import DeepLift
from audit.explain._faithfulness import (
    convergence_delta,
    convergence_summary,
    deletion_curve,
    infidelity_score,
    randomization_test,
    rowwise_spearman,
    sensitivity_score,
)
from audit.explain._feature_ablation import FeatureAblation
from audit.explain._gradient_shap import GradientShap
from audit.explain._images import explain_images
from audit.explain._integrated_gradients import IntegratedGradients, integrated_gradients
from audit.explain._occlusion import Occlusion
from audit.explain._permutation import FeaturePermutation
from audit.explain._reliance import group_reliance, proxy_strength
from audit.explain._saliency import Saliency
from audit.explain._tabular import BASELINES, explain_tabular

__all__ = [
    "BASELINES",
    "EXPLAINERS",
    "IMAGE_METHODS",
    "TABULAR_METHODS",
    "DeepLift",
    "Explainer",
    "FeatureAblation",
    "FeaturePermutation",
    "GradientShap",
    "IntegratedGradients",
    "Occlusion",
    "Saliency",
    "aggregate_groups",
    "bootstrap_mean_ci",
    "convergence_delta",
    "convergence_summary",
    "deletion_curve",
    "explain_images",
    "explain_tabular",
    "global_importance",
    "group_reliance",
    "infidelity_score",
    "integrated_gradients",
    "make_explainer",
    "proxy_strength",
    "randomization_test",
    "reinitialised_copy",
    "rowwise_spearman",
    "sensitivity_score",
]
