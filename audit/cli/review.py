"""``rai-audit review RUN_DIR --reviewer NAME --decision approve|reject``: record a review.

Appends a hash-chained (and, with ``--key``, Ed25519-signed) entry to ``reviews.jsonl``
through :func:`audit.records.review.add_review`. Bad input raises
:class:`~audit.exceptions.AuditError`, which the CLI turns into exit code 2.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_subparser(parser.add_subparsers())
>>> parser.parse_args(["review", "runs/x", "--reviewer", "Ada", "--decision", "approve"]).decision
'approve'
"""

from __future__ import annotations

import argparse
import json
import sys

from audit.choices import REVIEW_DECISIONS
from audit.cli._common import EXIT_OK, Subparsers

__all__ = ["add_subparser", "handler"]


def add_subparser(subparsers: Subparsers) -> None:
    """Add ``review`` to the ``rai-audit`` parser."""
    review = subparsers.add_parser(
        "review", help="append a review (approve/reject) to a run's tamper-evident review record",
        description="Append a hash-chained entry to RUN_DIR/reviews.jsonl. Refused when the run no longer matches its "
                    "manifest or the record was edited.",
    )
    review.add_argument("run_dir", help="the run directory")
    review.add_argument("--reviewer", required=True, help="who reviews (one line)")
    review.add_argument("--decision", required=True, choices=list(REVIEW_DECISIONS))
    review.add_argument("--comment", default="", help="free-text comment")
    review.add_argument("--key", metavar="ED25519_PEM", help="sign the entry with this Ed25519 private key (PEM)")
    review.add_argument("--json", action="store_true", help="print the recorded entry as JSON")
    review.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Append the review; 0 on success."""
    from audit.records.review import add_review

    entry = add_review(args.run_dir, reviewer=args.reviewer, decision=args.decision, comment=args.comment or "", key_path=args.key)
    if args.json:
        sys.stdout.write(json.dumps(entry, indent=1, ensure_ascii=False) + "\n")
    else:
        signed = f", signed by key {entry['signature']['key_fingerprint'][:16]}…" if entry.get("signature") else ""
        sys.stdout.write(f"Recorded review #{entry['index']}: {entry['decision']} by {entry['reviewer']} at {entry['created_at']}"
                         f"{signed}\nEntry hash {entry['entry_hash']}\n")
    return EXIT_OK
