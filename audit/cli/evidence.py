"""``rai-audit evidence RUN_DIR --framework F --out DIR``: a sealed run mapped to a governance framework.

The run is verified against its manifest first (a changed run is refused, exit 2, naming what changed).
The pack (Markdown, HTML and JSON, and a ``manifest.json`` sealing them with the run's manifest hash) is
written atomically into ``--out`` (default ``RUN_DIR-evidence-F`` beside the run), never inside a run.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_subparser(parser.add_subparsers())
>>> parser.parse_args(["evidence", "runs/x", "--framework", "iso-42001"]).framework
'iso-42001'
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audit.choices import EVIDENCE_FRAMEWORKS
from audit.cli._common import EXIT_OK, Subparsers

__all__ = ["add_subparser", "default_out", "handler"]


def add_subparser(subparsers: Subparsers) -> None:
    """Add ``evidence`` to the ``rai-audit`` parser."""
    p = subparsers.add_parser(
        "evidence", help="map a run's evidence to the EU AI Act, NIST AI RMF or ISO/IEC 42001 (Markdown, HTML, JSON)",
        description="For each article, subcategory or control of the framework, cite the evidence in the run (figures "
                    "with their intervals, files with their sha256, gates, reviews), say what each piece shows and does "
                    "not show, and list what a person must still supply. The run is verified first. A mapping of "
                    "evidence, not legal advice.",
    )
    p.add_argument("run_dir", help="the run directory")
    p.add_argument("--framework", required=True, choices=EVIDENCE_FRAMEWORKS, help="the framework to map to")
    p.add_argument("--out", help="folder for the pack (default: RUN_DIR-evidence-FRAMEWORK beside the run; must not exist "
                                 "or be empty; a folder inside a run is refused)")
    p.set_defaults(func=handler)


def default_out(run_dir: Path, framework: str) -> Path:
    """Where the pack goes without ``--out``: ``RUN_DIR-evidence-FRAMEWORK`` beside the run.

    Examples
    --------
    >>> default_out(Path("runs/adult"), "eu-ai-act")
    PosixPath('runs/adult-evidence-eu-ai-act')
    """
    return run_dir.parent / f"{run_dir.name}-evidence-{framework}"


def handler(args: argparse.Namespace) -> int:
    """Build, render and write the pack; 0 on success (errors raise and exit 2)."""
    from audit.evidence import build_evidence, evidence_files, write_evidence
    from audit.records.rundir import refuse_inside_run
    from reports.evidence import render_evidence

    run_dir = Path(args.run_dir)
    out = Path(args.out) if args.out else default_out(run_dir, args.framework)
    refuse_inside_run(out, instead=f"Choose a folder outside the run (the default is {default_out(run_dir, args.framework)})")
    doc = build_evidence(run_dir, framework=args.framework)
    texts = render_evidence(doc)
    names = evidence_files(args.framework)
    built_from = {"run": doc["run"]["name"], "run_path": str(run_dir), "manifest_sha256": doc["run"]["manifest_sha256"],
                  "framework": args.framework}
    written = write_evidence(out, {names[fmt]: texts[fmt] for fmt in names}, built_from=built_from)
    c = doc["counts"]
    sys.stdout.write(f"Evidence for {doc['framework']['title']}: {c['rows']} provisions ({c['rows_with_evidence']} with evidence), "
                     f"{c['figures']} figures, {c['files']} files, {len(doc['must_supply'])} items to supply.\n")
    for path in written.values():
        sys.stdout.write(f"  {path}\n")
    sys.stdout.write(f"Check it later with: rai-audit verify {out}\n")
    return EXIT_OK
