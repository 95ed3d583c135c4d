"""``rai-audit card RUN_DIR``: re-render the model cards from a run's ``audit.json``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from audit.cli._common import EXIT_OK

__all__ = ["add_subparser", "handler"]


def add_subparser(subparsers: Any) -> None:
    """Add ``card`` to the ``rai-audit`` parser."""
    card = subparsers.add_parser("card", help="re-render the model cards from a run's audit.json")
    card.add_argument("run_dir")
    card.add_argument("--out", help="write the cards here instead of RUN_DIR/cards-rerendered")
    card.add_argument("--force", action="store_true", help="overwrite the cards inside the run (verify will then report them changed)")
    card.add_argument("--template", help="a custom Jinja2 HTML template to use instead of the default")
    card.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Render the cards; 0 on success."""
    from audit.review import read_reviews
    from audit.rundir import REVIEWS_FILE, load_result
    from reports import validate_result, write_cards

    result = load_result(args.run_dir)
    validate_result(result)
    out_dir = Path(args.out) if args.out else Path(args.run_dir)
    if args.out:
        out_dir.mkdir(parents=True, exist_ok=True)
    elif not args.force:
        # Re-rendering inside a sealed run changes files the manifest covers; verify would then fail.
        out_dir = Path(args.run_dir) / "cards-rerendered"
        out_dir.mkdir(exist_ok=True)
    reviews = read_reviews(args.run_dir) if (Path(args.run_dir) / REVIEWS_FILE).exists() else []
    written = write_cards(result, out_dir, template=args.template, reviews=reviews, assets_dir=args.run_dir)
    for fmt, path in written.items():
        sys.stdout.write(f"Model card ({fmt}): {path}\n")
    return EXIT_OK
