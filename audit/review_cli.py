"""``rai-audit verify`` and ``rai-audit review``: check a run's integrity and record a review.

``verify RUN_DIR`` compares every file with the manifest and checks the review
chain: exit 0 when intact, 1 when anything was added, removed or changed.
``review RUN_DIR --reviewer NAME --decision approve|reject`` appends a
hash-chained (and, with ``--key``, Ed25519-signed) entry to ``reviews.jsonl``.
Bad input raises :class:`~audit.exceptions.AuditError`, which the CLI turns
into exit code 2.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_subparser(parser.add_subparsers())
>>> parser.parse_args(["verify", "runs/x"]).run_dir
'runs/x'
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_subparser"]

EXIT_OK, EXIT_DIFFERENT = 0, 1


def _print_verify(report: dict[str, Any]) -> None:
    out = sys.stdout
    for kind, label in (("added", "added"), ("removed", "removed"), ("changed", "changed")):
        for rel in report.get(kind, []):
            out.write(f"  {label:<8} {rel}\n")
    reviews = report.get("reviews")
    if reviews:
        for p in reviews.get("problems", []):
            out.write(f"  review   {p}\n")
    n_diff = sum(len(report.get(k, [])) for k in ("added", "removed", "changed"))
    if report["ok"]:
        extra = ""
        if reviews and reviews.get("entries"):
            extra = f"; review record intact ({reviews['entries']} entries, {reviews.get('signed', 0)} signed, head {str(reviews.get('head'))[:16]}…)"
        out.write(f"OK: {report['files_checked']} files match manifest sha256 {report['manifest_sha256'][:16]}…{extra}\n")
    else:
        parts = [f"{n_diff} file difference(s)"] if n_diff else []
        if reviews and not reviews.get("ok"):
            parts.append(f"{len(reviews.get('problems', []))} review-record problem(s)")
        out.write(f"FAILED: {', '.join(parts)} in {report['run_dir']}\n")


def _cmd_verify(args: argparse.Namespace) -> int:
    from audit.rundir import verify_run

    report = verify_run(args.run_dir)
    if args.trusted_key:
        from audit.review import verify_reviews

        report["reviews"] = verify_reviews(args.run_dir, trusted_keys=args.trusted_key)
        report["ok"] = report["ok"] and report["reviews"]["ok"]
    if args.json:
        sys.stdout.write(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    else:
        _print_verify(report)
    return EXIT_OK if report["ok"] else EXIT_DIFFERENT


def _cmd_review(args: argparse.Namespace) -> int:
    from audit.review import add_review

    entry = add_review(args.run_dir, reviewer=args.reviewer, decision=args.decision, comment=args.comment or "", key_path=args.key)
    if args.json:
        sys.stdout.write(json.dumps(entry, indent=1, ensure_ascii=False) + "\n")
    else:
        signed = f", signed by key {entry['signature']['key_fingerprint'][:16]}…" if entry.get("signature") else ""
        sys.stdout.write(f"Recorded review #{entry['index']}: {entry['decision']} by {entry['reviewer']} at {entry['created_at']}"
                         f"{signed}\nEntry hash {entry['entry_hash']}\n")
    return EXIT_OK


def add_subparser(subparsers: Any) -> None:
    """Add the ``verify`` and ``review`` subcommands to an argparse subparsers object."""
    verify = subparsers.add_parser(
        "verify", help="check a run directory against its manifest and its review record (exit 1 on any difference)",
        description="Report every file added, removed or changed since the run was written, and any break in the "
                    "review record's hash chain or signatures. Exit 0 when intact, 1 otherwise.",
    )
    verify.add_argument("run_dir", help="the run directory")
    verify.add_argument("--json", action="store_true", help="print the full report as JSON")
    verify.add_argument("--trusted-key", action="append", metavar="FINGERPRINT",
                        help="sha256 fingerprint of a reviewer key to accept (repeatable); every review must then be signed by one")
    verify.set_defaults(func=_cmd_verify)

    review = subparsers.add_parser(
        "review", help="append a review (approve/reject) to a run's tamper-evident review record",
        description="Append a hash-chained entry to RUN_DIR/reviews.jsonl. Refused when the run no longer matches its "
                    "manifest or the record was edited.",
    )
    review.add_argument("run_dir", help="the run directory")
    review.add_argument("--reviewer", required=True, help="who reviews (one line)")
    review.add_argument("--decision", required=True, choices=["approve", "reject"])
    review.add_argument("--comment", default="", help="free-text comment")
    review.add_argument("--key", metavar="ED25519_PEM", help="sign the entry with this Ed25519 private key (PEM)")
    review.add_argument("--json", action="store_true", help="print the recorded entry as JSON")
    review.set_defaults(func=_cmd_review)
