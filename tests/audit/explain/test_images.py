"""Image explanations: PNG maps, faithfulness per method, per-class accuracy; the digits example."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch
from torch import nn

from audit.exceptions import ExplainError
from audit.explain import explain_images

REPO = Path(__file__).resolve().parents[3]


def _trained_cnn(X: torch.Tensor, y: torch.Tensor) -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(15):
        for s in range(0, len(X), 100):
            opt.zero_grad()
            nn.functional.cross_entropy(net(X[s : s + 100]), y[s : s + 100]).backward()
            opt.step()
    return net.eval()


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    X = torch.tensor(d.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(d.target)
    return _trained_cnn(X[:1000], y[:1000]), X[1000:1300], y[1000:1300]


def test_maps_are_written_as_png_with_relative_paths(digits, tmp_path):
    model, X, y = digits
    out = explain_images(model, images=X, labels=y, out_dir=tmp_path, n_images=4)
    json.dumps(out, allow_nan=False)
    assert out["methods"] == ["saliency", "occlusion"]
    assert len(out["image_maps"]) == 8
    for m in out["image_maps"]:
        path = tmp_path / m["path"]
        assert not Path(m["path"]).is_absolute()
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert m["method"] in m["caption"] and str(m["prediction"]) in m["caption"]
    # One image per class first: four different labels.
    assert len({m["label"] for m in out["image_maps"] if m["method"] == "saliency"}) == 4


def test_accuracy_per_class_is_counted_from_predictions(digits, tmp_path):
    model, X, y = digits
    out = explain_images(model, images=X, labels=y, out_dir=tmp_path, n_images=1, methods=("saliency",))
    pred = model(X).argmax(1)
    for c, entry in out["per_class_accuracy"].items():
        mask = y == int(c)
        assert entry["n"] == int(mask.sum())
        assert entry["accuracy"] == pytest.approx(float((pred[mask] == int(c)).float().mean()))
    assert out["accuracy"] == pytest.approx(float((pred == y).float().mean()))


def test_faithfulness_is_reported_per_method_and_saliency_passes_the_sanity_check(digits, tmp_path):
    model, X, y = digits
    out = explain_images(model, images=X, labels=y, out_dir=tmp_path, n_images=1)
    for method in ("saliency", "occlusion"):
        f = out["faithfulness"][method]
        assert f["deletion_curve"]["top_beats_random"], method
        assert f["infidelity"] >= 0 and f["sensitivity_max"] >= 0
    assert out["faithfulness"]["saliency"]["randomization_test"]["flagged"] is False


def test_bad_image_input_is_reported_at_once(tmp_path):
    with pytest.raises(ExplainError) as err:
        explain_images(nn.Linear(4, 2), images=torch.zeros(3, 4), labels=[0, 1], out_dir=tmp_path,
                       methods=("saliency", "gradcam"), n_images=0)
    text = " ".join(err.value.problems)
    assert "4-D tensor" in text and "gradcam" in text and "n_images" in text


@pytest.mark.slow
def test_digits_example_writes_a_verifiable_run_directory(tmp_path):
    spec = importlib.util.spec_from_file_location("audit_digits", REPO / "examples" / "digits" / "audit_digits.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    run = example.run(tmp_path / "digits", epochs=2, max_train_rows=400, n_images=2, min_accuracy=0.0)
    result = json.loads((run / "audit.json").read_text(encoding="utf-8"))
    section = result["explainability"]["private"]
    assert result["privacy"]["dp"]["epsilon_spent"] <= 4.0 + 1e-9
    assert len(section["image_maps"]) == 4
    assert all((run / m["path"]).is_file() for m in section["image_maps"])
    from audit.records.rundir import verify_run
    from audit.result import AuditResult

    AuditResult.from_dict(result)
    assert verify_run(run)["ok"]
    # The run's cards embed the maps and report image faithfulness per method; they validate against the schema.
    from reports import schema_problems

    assert schema_problems(result) == []
    html = (run / "model_card.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 4 and "image not available" not in html
    card = json.loads((run / "model_card.json").read_text(encoding="utf-8"))
    methods = [f["method"] for m in card["explainability"]["models"] for f in m["per_method_faithfulness"]]
    assert sorted(methods) == ["occlusion", "saliency"]
    assert "Identifier scan:** not run" in (run / "model_card.md").read_text(encoding="utf-8")
    # Re-rendered elsewhere, the card still finds the maps in the run directory.
    from audit.cli import main

    assert main(["card", str(run), "--out", str(tmp_path / "cards")]) == 0
    assert (tmp_path / "cards" / "model_card.html").read_text(encoding="utf-8").count("data:image/png;base64,") >= 4
