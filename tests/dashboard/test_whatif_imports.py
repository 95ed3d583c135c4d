"""The dashboard reads runs and never imports training code: What-if rebuilds the audit's own MLP with
``audit.models`` (torch only) and attributes with ``audit.explain``, and neither pulls in the training loop,
the private trainer, Opacus or the pipeline."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ("audit.training", "audit.privacy", "audit.pipeline", "opacus")


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_dashboard_module_imports_training_code():
    found = {str(p.relative_to(ROOT)): sorted(n for n in _imported(p) if n.startswith(TRAINING))
             for p in sorted((ROOT / "dashboard").rglob("*.py"))}
    assert not {p: n for p, n in found.items() if n}, found


_SCRIPT = """
import json, sys
from pathlib import Path
import numpy as np, pandas as pd, torch
from audit.data import TabularPreprocessor
from audit.models import MLP
from dashboard._whatif import attributions_by_feature, load_preprocessor, load_scorer

run = Path(sys.argv[1])
(run / "models").mkdir(parents=True)
frame = pd.DataFrame({"age": [20.0, 35.0, 50.0, 65.0], "job": ["a", "b", "a", "c"]})
TabularPreprocessor().fit(frame).save(run / "models" / "preprocessor.json")
torch.manual_seed(0)
torch.save(MLP(4, hidden=(5, 3), dropout=0.1).state_dict(), run / "models" / "reference.pt")
pre = load_preprocessor(run, None)
scorer = load_scorer(run, "models/reference.pt", n_features=len(pre.feature_names_), hidden=[5, 3])
X = pre.transform(frame)
scores = scorer.outputs(X)
att = attributions_by_feature(pre, scorer.attribute(X[:1], baseline=np.zeros_like(X[:1])))
loaded = sorted(m for m in sys.modules if m.startswith(tuple(sys.argv[2:])))
print(json.dumps({"n_scores": len(scores), "features": att["feature"].tolist(), "loaded": loaded}))
"""


def test_whatif_rebuilds_scores_and_attributes_without_loading_training_code(tmp_path):
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path / "run"), *TRAINING], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["n_scores"] == 4 and result["features"] == ["age", "job"]
    assert result["loaded"] == [], result["loaded"]
