"""``rai-audit verify RUN_DIR``: check a run's files against its manifest and its review record.

Exit 0 when intact, 1 when anything was added, removed or changed, or the review
record is broken.

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

from audit.cli._common import EXIT_GATE_FAILED, EXIT_OK, Subparsers

__all__ = ["add_subparser", "handler"]

EXIT_DIFFERENT = EXIT_GATE_FAILED


def add_subparser(subparsers: Subparsers) -> None:
    """Add ``verify`` to the ``rai-audit`` parser."""
    verify = subparsers.add_parser(
        "verify", help="check a run directory against its manifest and its review record (exit 1 on any difference)",
        description="Report every file added, removed or changed since the run was written, and any break in the "
                    "review record's hash chain or signatures. Exit 0 when intact, 1 otherwise.",
    )
    verify.add_argument("run_dir", help="the run directory")
    verify.add_argument("--json", action="store_true", help="print the full report as JSON")
    verify.add_argument("--trusted-key", action="append", metavar="FINGERPRINT",
                        help="sha256 fingerprint of a reviewer key to accept (repeatable); every review must then be signed by one")
    verify.set_defaults(func=handler)


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
            extra = (f"; review record intact ({reviews['entries']} entries, {reviews.get('signed', 0)} signed, "
                     f"head {str(reviews.get('head'))[:16]}…)")
        out.write(f"OK: {report['files_checked']} files match manifest sha256 {report['manifest_sha256'][:16]}…{extra}\n")
    else:
        parts = [f"{n_diff} file difference(s)"] if n_diff else []
        if reviews and not reviews.get("ok"):
            parts.append(f"{len(reviews.get('problems', []))} review-record problem(s)")
        out.write(f"FAILED: {', '.join(parts)} in {report['run_dir']}\n")


def handler(args: argparse.Namespace) -> int:
    """Verify the run; 0 when intact, 1 on any difference."""
    from audit.records.rundir import verify_run

    report = verify_run(args.run_dir)
    if args.trusted_key:
        from audit.records.review import verify_reviews

        report["reviews"] = verify_reviews(args.run_dir, trusted_keys=args.trusted_key)
        report["ok"] = report["ok"] and report["reviews"]["ok"]
    if args.json:
        sys.stdout.write(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    else:
        _print_verify(report)
    return EXIT_OK if report["ok"] else EXIT_DIFFERENT
