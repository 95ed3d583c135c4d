"""The audit's stages: prepare → check → train → audits → assemble.

``run_audit`` runs :data:`RUN_STAGES` on a config; ``audit_model`` runs
:data:`AUDIT_STAGES` on a model trained elsewhere. Each stage reads the
:class:`AuditRun` and adds its part; the progress total is the number of
stages that apply.
"""

from audit.pipeline._audits import AUDIT_STAGES, MIA_MAX_ROWS, MITIGATION_FIT_ROWS
from audit.pipeline._context import AuditOptions, AuditRun, Stage, count_announced, run_stages
from audit.pipeline._privacy import PRIVACY_STAGES
from audit.pipeline._training import TRAINING_STAGES, checkpoint_folder

#: Everything after the data is prepared and checked, in order.
RUN_STAGES = (*TRAINING_STAGES, *AUDIT_STAGES, *PRIVACY_STAGES)

__all__ = [
    "AUDIT_STAGES",
    "MIA_MAX_ROWS",
    "MITIGATION_FIT_ROWS",
    "PRIVACY_STAGES",
    "RUN_STAGES",
    "TRAINING_STAGES",
    "AuditOptions",
    "AuditRun",
    "Stage",
    "checkpoint_folder",
    "count_announced",
    "run_stages",
]
