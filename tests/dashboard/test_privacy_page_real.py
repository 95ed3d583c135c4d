"""The Privacy page on a real run: log-axis ROC with intervals, low-FPR cells with counts, the run-level statement."""

from __future__ import annotations


def test_privacy_page_shows_log_roc_low_fpr_evidence_and_statement(app, real_root):
    at = app(real_root, run="tiny", page="privacy")
    assert not at.exception
    text = " ".join(str(e.value) for e in at.markdown) + " ".join(str(e.value) for e in at.caption)
    text = (text + " ".join(str(e.value) for e in at.success)).replace("\\", "")  # md_escape adds backslashes
    assert "What this run directory promises" in " ".join(str(h.value) for h in at.subheader)
    assert "models/private.pt is (" in text and "q = 1/ceil(N/B)" in text
    assert "duplicates of training rows removed" in text
    mia = next(df.value for df in at.dataframe if "attack" in df.value.columns)
    assert {"rmia", "lira", "loss_threshold", "score"} <= set(mia["attack"])
    assert all(("FP" in cell) for cell in mia["TPR at 1% FPR"])
    charts = at.get("vega_lite_chart")
    assert any("log" in str(c.proto.spec) for c in charts)
