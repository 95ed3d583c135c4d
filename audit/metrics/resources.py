"""Gate metrics of what a model costs: its trainable parameters and its training time.

Examples
--------
>>> from audit.metrics import GATE_METRICS
>>> GATE_METRICS["training_time_s"].unit, GATE_METRICS["training_time_s"].model_field
('s', 'train_wall_s')
"""

from __future__ import annotations

from audit.metrics._registry import register_model_field

__all__: list[str] = []


register_model_field("n_parameters", "n_parameters", description="trainable parameters", title="Trainable parameters",
                     family="resources", unit="count")
register_model_field("training_time_s", "train_wall_s", description="training wall time in seconds", title="Training time",
                     family="resources", unit="s")
