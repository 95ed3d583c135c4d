"""Release-to-release comparison: did run B get worse than run A?

``compare_runs(A, B)`` reads two run directories of the same task and groups, and gives the change
B − A of every headline figure (binary: accuracy, ROC AUC, each group's selection rate, TPR and FPR, the
disparities; multiclass and regression: the figures of their group reports; and ε spent, the
membership-inference AUC) with an interval for the change (paired where the
two runs scored the same test rows, independent otherwise), Holm-adjusted tests and Šidák-simultaneous
intervals over the whole family, the gates whose outcome flipped, concerns new and resolved, data drift
between the test sets, and a CI verdict from ``--max-drop`` gates. ``rai-audit compare`` is its command.

Examples
--------
>>> from audit.compare import compare_runs, format_comparison
>>> # comparison = compare_runs("runs/v1", "runs/v2", max_drop=["accuracy=0.02"])
>>> # print(format_comparison(comparison)); comparison.verdict
"""

from __future__ import annotations

# the comparisons of each kind of target register themselves (audit.compare._tasks.COMPARISONS)
from audit.compare import _binary, _multiclass, _regression  # noqa: F401
from audit.compare._changes import Change
from audit.compare._compare import Comparison, compare_rows, compare_runs
from audit.compare._tasks import ModelRows
from audit.compare._text import format_comparison

__all__ = ["Change", "Comparison", "ModelRows", "compare_rows", "compare_runs", "format_comparison"]
