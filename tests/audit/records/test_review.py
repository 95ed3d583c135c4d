"""Review record: hash chain, signatures, refusal on changed runs, edits detected by verify."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from audit.cli import main
from audit.exceptions import AuditError, RunDirError
from audit.records.review import GENESIS_HASH, add_review, key_fingerprint, read_reviews, verify_reviews
from audit.records.rundir import RunDirWriter, verify_run


@pytest.fixture
def run(tmp_path):
    with RunDirWriter(tmp_path / "r") as w:
        w.write_json("audit.json", {"schema_version": "1.0"})
        (w.path / "model.pt").write_bytes(b"w" * 64)
    return tmp_path / "r"


def _pem(key, path):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return path


def _lines(run):
    return (run / "reviews.jsonl").read_text().splitlines()


def test_entries_chain_and_verify(run):
    a = add_review(run, reviewer="Ada", decision="approve", comment="fine")
    b = add_review(run, reviewer="Bob", decision="reject", comment="bias too high")
    assert a["prev_hash"] == GENESIS_HASH and b["prev_hash"] == a["entry_hash"] and b["index"] == 1
    report = verify_reviews(run)
    assert report == {"ok": True, "entries": 2, "problems": [], "head": b["entry_hash"], "signed": 0}
    assert [r["reviewer"] for r in read_reviews(run)] == ["Ada", "Bob"]
    assert verify_run(run)["ok"]  # reviews.jsonl is outside the manifest


def test_edited_history_is_caught(run):
    add_review(run, reviewer="Ada", decision="reject", comment="no")
    add_review(run, reviewer="Bob", decision="approve")
    lines = _lines(run)
    first = json.loads(lines[0])
    first["decision"] = "approve"
    lines[0] = json.dumps(first, sort_keys=True)
    (run / "reviews.jsonl").write_text("\n".join(lines) + "\n")
    report = verify_run(run)
    assert not report["ok"] and any("entry_hash does not match" in p for p in report["reviews"]["problems"])
    assert main(["verify", str(run)]) == 1
    with pytest.raises(RunDirError, match="not intact"):
        add_review(run, reviewer="Eve", decision="approve")


def test_rewritten_hash_still_breaks_the_chain(run):
    add_review(run, reviewer="Ada", decision="reject")
    add_review(run, reviewer="Bob", decision="approve")
    from audit.records.review import _entry_hash

    lines = _lines(run)
    first = json.loads(lines[0])
    first["decision"] = "approve"
    first["entry_hash"] = _entry_hash(first)  # an attacker recomputes the entry's own hash
    lines[0] = json.dumps(first, sort_keys=True)
    (run / "reviews.jsonl").write_text("\n".join(lines) + "\n")
    problems = verify_reviews(run)["problems"]
    assert any("prev_hash does not match" in p for p in problems)


def test_deleted_middle_entry_is_caught(run):
    for who in ("A", "B", "C"):
        add_review(run, reviewer=who, decision="approve")
    lines = _lines(run)
    (run / "reviews.jsonl").write_text(lines[0] + "\n" + lines[2] + "\n")
    problems = verify_reviews(run)["problems"]
    assert any("index is 2, expected 1" in p for p in problems)


def test_review_of_changed_run_is_refused(run):
    (run / "model.pt").write_bytes(b"x" * 64)
    with pytest.raises(RunDirError, match="no longer matches its manifest"):
        add_review(run, reviewer="Ada", decision="approve")
    assert not (run / "reviews.jsonl").exists()


def test_resealed_run_is_caught(run):
    add_review(run, reviewer="Ada", decision="approve")
    (run / "audit.json").write_text('{"schema_version": "1.0", "verdict": "pass"}')
    from audit.records.rundir import MANIFEST_FILE, _build_manifest

    (run / MANIFEST_FILE).write_text(json.dumps(_build_manifest(run), indent=1, sort_keys=True))
    report = verify_run(run)
    assert report["changed"] == [] and not report["ok"]
    assert any("re-sealed" in p for p in report["reviews"]["problems"])


def test_signed_review_verifies_and_tampering_is_caught(run, tmp_path):
    key = Ed25519PrivateKey.generate()
    entry = add_review(run, reviewer="Ada", decision="approve", comment="signed", key_path=_pem(key, tmp_path / "k.pem"))
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert entry["signature"]["key_fingerprint"] == key_fingerprint(raw)
    assert verify_reviews(run, trusted_keys=[key_fingerprint(raw)]) ["ok"]
    other = key_fingerprint(b"\x01" * 32)
    assert any("not among the trusted keys" in p for p in verify_reviews(run, trusted_keys=[other])["problems"])
    assert main(["verify", str(run), "--trusted-key", other]) == 1
    # forge: swap the signature for one from another key over the same bytes -> fingerprint/public key mismatch
    line = json.loads(_lines(run)[0])
    line["signature"]["value"] = line["signature"]["value"][:-4] + ("AAA=" if not line["signature"]["value"].endswith("AAA=") else "BBB=")
    (run / "reviews.jsonl").write_text(json.dumps(line, sort_keys=True) + "\n")
    assert any("signature does not verify" in p for p in verify_reviews(run)["problems"])


def test_unsigned_review_fails_when_keys_are_required(run):
    add_review(run, reviewer="Ada", decision="approve")
    assert any("unsigned" in p for p in verify_reviews(run, trusted_keys=["ab" * 32])["problems"])


def test_bad_arguments_are_all_reported(run):
    with pytest.raises(AuditError) as info:
        add_review(run, reviewer="  ", decision="maybe", comment="x" * 30_000)
    assert len(info.value.problems) == 3
    assert not (run / "reviews.jsonl").exists()


def test_non_ed25519_or_missing_key_is_refused(run, tmp_path):
    with pytest.raises(AuditError, match="does not exist"):
        add_review(run, reviewer="Ada", decision="approve", key_path=tmp_path / "none.pem")
    rsa = _pem(generate_private_key(public_exponent=65537, key_size=2048), tmp_path / "rsa.pem")
    with pytest.raises(AuditError, match="not Ed25519"):
        add_review(run, reviewer="Ada", decision="approve", key_path=rsa)


def test_garbage_line_is_a_problem_not_skipped(run):
    add_review(run, reviewer="Ada", decision="approve")
    with open(run / "reviews.jsonl", "a") as fh:
        fh.write("not json\n")
    assert any("not valid JSON" in p for p in verify_reviews(run)["problems"])


def test_review_cli_appends_and_reports(run, capsys):
    assert main(["review", str(run), "--reviewer", "Ada", "--decision", "approve", "--comment", "ok"]) == 0
    assert "Recorded review #0" in capsys.readouterr().out
    assert main(["review", str(run), "--reviewer", "Ada", "--decision", "perhaps"]) == 2
    assert main(["verify", str(run)]) == 0
    assert "review record intact (1 entries" in capsys.readouterr().out


def test_card_shows_reviews(run):
    from reports import write_cards

    add_review(run, reviewer="<b>Ada</b>", decision="approve", comment="fine")
    paths = write_cards({"run": {"name": "r"}, "models": {}}, run)
    html = paths["html"].read_text()
    assert "&lt;b&gt;Ada&lt;/b&gt;" in html and "No review recorded" not in html
