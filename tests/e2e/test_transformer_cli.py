"""A user's own Hugging Face checkpoint through ``rai-audit run`` (issue 28's "done when").

A tiny randomly-initialised BERT classifier and its WordPiece tokenizer are written by
``save_pretrained`` into a tmp folder, as a user would save theirs; a small CSV of texts and a config
with ``[model] kind = "transformers"`` point at them, and the CLI runs in a fresh process: DP-LoRA
fine-tuning, fairness on identity terms, token attributions, the card. A broken checkpoint exits 2
before anything is trained and leaves no run directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("peft")

from tests.audit.text._tiny_hf import build_checkpoint  # noqa: E402
from tests.audit.text.conftest import make_corpus  # noqa: E402

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
EPSILON = 8.0

CONFIG = """\
name = "my-transformer"

[data]
path = "texts.csv"
target = "label"
positive_label = "positive"
text_column = "text"
sensitive_features = []

[split]
seed = 0
test_size = 0.3

[model]
kind = "transformers"
path = "{checkpoint}"
lora_rank = 4
lora_targets = ["query", "value"]

[training]
epochs = 2
batch_size = 32
learning_rate = 0.005
seed = 0

[privacy]
enabled = true
target_epsilon = {epsilon}
epochs = 2
learning_rate = 0.005
membership_inference = false
canary_audit = false

[fairness]
n_boot = 20
mitigation = "none"

[text]
max_length = 16
identity_categories = ["gender", "religion", "age", "disability"]

[explain]
method = "integrated_gradients"
n_examples = 2
max_rows = 20

[card]
model_name = "My tiny transformer"
"""


def _project(folder: Path, *, checkpoint: str = "model", multiclass: bool = False, **build) -> Path:
    """A user's folder: ``model/`` written by save_pretrained, ``texts.csv`` and ``audit.toml``.

    ``multiclass``: three labels (positive, negative, mixed) and ``task = "multiclass"``; ``build`` goes to
    :func:`build_checkpoint` (its style, or how to break it).
    """
    import numpy as np
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    build_checkpoint(folder / "model", hidden=16, layers=1, **build)
    texts, y = make_corpus(300, seed=0)
    labels = np.where(y == 1, "positive", "negative")
    config = CONFIG.format(checkpoint=checkpoint, epsilon=EPSILON)
    if multiclass:
        labels[(y == 0) & (np.random.default_rng(0).random(len(y)) < 0.5)] = "mixed"
        config = config.replace('positive_label = "positive"\n', "").replace(
            'name = "my-transformer"\n', 'name = "my-transformer"\ntask = "multiclass"\n')
        config = config.replace('lora_targets = ["query", "value"]\n', "")  # peft's choice for RoBERTa
    pd.DataFrame({"text": texts, "label": labels}).to_csv(folder / "texts.csv", index=False)
    (folder / "audit.toml").write_text(config, encoding="utf-8")
    return folder / "audit.toml"


def _run(config: Path, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "audit.cli", "run", str(config), "--out", str(out), "--quiet"],
                           cwd=config.parent, capture_output=True, text=True, timeout=600, env=env)


def _shown(proc: subprocess.CompletedProcess) -> str:
    return f"\n--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}"


def _schema_errors(data: dict) -> list[str]:
    from reports._schema import load_schema, schema_problems

    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(load_schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)] + schema_problems(data)


@pytest.mark.parametrize(("style", "multiclass"), [("bert", False), ("roberta", True)], ids=["bert-binary",
                                                                                         "roberta-3-classes"])
def test_a_users_own_checkpoint_audits_through_the_cli(tmp_path, style, multiclass):
    # RoBERTa's padding id is 1, not 0: the audit's ids swap it with 0 all the way through the run
    config = _project(tmp_path / "project", style=style, multiclass=multiclass, num_labels=3 if multiclass else 2)
    out = tmp_path / "runs" / "out"
    proc = _run(config, out)
    shown = _shown(proc)
    assert proc.returncode in (0, 1), f"exit {proc.returncode}{shown}"
    assert "Traceback" not in proc.stdout + proc.stderr, shown
    from audit.records.rundir import is_complete_run, verify_run
    from audit.result import AuditResult

    assert is_complete_run(out) and verify_run(out)["ok"], f"incomplete run directory{shown}"
    data = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert _schema_errors(data) == []
    assert AuditResult.from_dict(data).to_dict() == data
    assert (proc.returncode == 0) == (data["verdict"] == "pass"), shown
    assert (data["task"], data["input"]) == ("text-classification", "text")
    assert data["data"]["task"] == ("multiclass" if multiclass else "binary")
    for card in data["artifacts"]["cards"].values():
        assert (out / card).is_file() and (out / card).stat().st_size > 0
    assert data["models"]["private"]["private"] is True
    dp = data["privacy"]["dp"]
    assert 0 < dp["epsilon_spent"] <= dp["epsilon_target"] == EPSILON and dp["steps"] > 0
    assert data["privacy"]["statement"]["epsilon"] == dp["epsilon_spent"]
    tokens = data["text"]["models"]["private"]["tokens"]  # token attributions with the checkpoint's tokenizer
    assert tokens["n_texts"] == 20 and tokens["examples"] and "deletion" in tokens
    checkpoint = data["data"]["text"]["checkpoint"]
    assert checkpoint["path"] == "model" and checkpoint["model_type"] == style
    assert checkpoint["tokenizer"]["pad_token_id"] == (1 if style == "roberta" else 0)
    assert "model.safetensors" in checkpoint["files_sha256"]
    card = (out / "model_card.md").read_text(encoding="utf-8")
    # the card's provenance names the checkpoint, what trained and its files' hashes; the libraries the run used
    assert "- checkpoint `model` (" in card and "trained: LoRA adapters of rank" in card
    assert f"`model.safetensors` sha256 `{checkpoint['files_sha256']['model.safetensors'][:16]}`" in card
    assert "transformers " in card.split("- libraries:", 1)[1].split("\n", 1)[0]
    assert 0 < checkpoint["n_parameters"] and data["models"]["private"]["n_parameters"] < checkpoint["n_parameters"]


def test_a_bad_checkpoint_exits_2_before_training_and_writes_no_run(tmp_path):
    # pickled weights, a 3-label head for a binary task, no tokenizer.json: all named in one refusal
    config = _project(tmp_path / "project", pickle_weights=True, num_labels=3, tokenizer=False)
    out = tmp_path / "runs" / "out"
    proc = _run(config, out)
    shown = _shown(proc)
    assert proc.returncode == 2, f"exit {proc.returncode}{shown}"
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text and "(3 problems); nothing was trained" in text, shown
    for named in ("pickle files (pytorch_model.bin)", "they were not loaded", "the model has 3 output labels",
                  "no tokenizer found"):
        assert named in text, shown
    assert not out.exists(), f"a run directory was written: {sorted(p.name for p in out.iterdir())}"
    assert not (tmp_path / "project" / "runs").exists()


def test_a_hub_name_exits_2_and_says_it_never_downloads(tmp_path):
    config = _project(tmp_path / "project", checkpoint="bert-base-uncased")
    out = tmp_path / "runs" / "out"
    proc = _run(config, out)
    shown = _shown(proc)
    assert proc.returncode == 2, f"exit {proc.returncode}{shown}"
    assert "rai-audit never downloads" in proc.stdout + proc.stderr, shown
    assert not out.exists()
