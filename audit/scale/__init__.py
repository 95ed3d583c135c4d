"""Scale-out: apply a saved run's model to a Parquet dataset partition by partition (pandas, Dask or Spark).

The fairness audit of the resulting predictions runs on the same engines through
:func:`audit.fairness.fairness_report_from_frame` (see docs/scale.md).
"""

from audit.scale._score import Scorer, load_scorer, score_dataset

__all__ = ["Scorer", "load_scorer", "score_dataset"]
