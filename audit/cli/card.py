"""``rai-audit card RUN_DIR``: re-render the model cards from a run's ``audit.json``.

The cards are written **outside** the run, so the sealed run still verifies and still accepts
reviews: by default into ``RUN_DIR-cards/`` beside it, or into ``--out``. A folder inside a
sealed run is refused.

Examples
--------
>>> from pathlib import Path
>>> default_out(Path("runs/adult-20250101"))
PosixPath('runs/adult-20250101-cards')
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from audit.cli._common import EXIT_OK, Subparsers
from audit.exceptions import RunDirError

__all__ = ["add_subparser", "default_out", "handler"]

_OUT_IS_FILE = "--out {out} is a file, not a folder. Expected a folder for the cards (created if absent); choose another --out."
_TEMPLATE_FIX = "Expected a Jinja2 HTML template file; check the path or omit --template."


def add_subparser(subparsers: Subparsers) -> None:
    """Add ``card`` to the ``rai-audit`` parser."""
    card = subparsers.add_parser(
        "card", help="re-render the model cards from a run's audit.json (written beside the run, never inside it)",
        description="Re-render model_card.md, .html and .json from RUN_DIR/audit.json (and its review record). The run "
                    "is sealed: the cards go to RUN_DIR-cards/ beside it, or to --out, never inside the run.",
    )
    card.add_argument("run_dir")
    card.add_argument("--out", help="folder to write the cards to (default: RUN_DIR-cards beside the run; "
                                    "a folder inside the run is refused)")
    card.add_argument("--template", help="a custom Jinja2 HTML template to use instead of the default")
    card.set_defaults(func=handler)


def default_out(run_dir: Path) -> Path:
    """Where cards go without ``--out``: ``RUN_DIR-cards`` beside the run."""
    return run_dir.parent / f"{run_dir.name}-cards"


def _out_dir(run_dir: Path, out: str | None) -> Path:
    target = Path(out) if out else default_out(run_dir)
    if target.exists() and not target.is_dir():
        raise RunDirError(_OUT_IS_FILE.format(out=target))
    from audit.records.rundir import refuse_inside_run

    # this run or any other: a folder inside a run directory, at any depth, is refused
    refuse_inside_run(target, instead=f"Choose a folder outside the run (the default is {default_out(run_dir)})")
    return target


def handler(args: argparse.Namespace) -> int:
    """Render the cards; 0 on success."""
    from audit.records.review import read_reviews
    from audit.records.rundir import REVIEWS_FILE, load_result
    from reports import validate_result, write_cards

    run_dir = Path(args.run_dir)
    if args.template is not None:  # a directory, FIFO or device named as such, before the run is read
        from audit.exceptions import ConfigError
        from audit.records.files import check_file

        check_file(args.template, what="Card template", fix=_TEMPLATE_FIX, error=ConfigError, limit="CONFIG")
    result = load_result(run_dir)
    validate_result(result)
    out_dir = _out_dir(run_dir, args.out)
    reviews = read_reviews(run_dir) if (run_dir / REVIEWS_FILE).exists() else []
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = write_cards(result, out_dir, template=args.template, reviews=reviews, assets_dir=run_dir)
    except OSError as exc:
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        if isinstance(exc, RunDirError):
            raise
        raise RunDirError(f"Cannot write the cards to {out_dir}: {exc.strerror or exc}. Choose a writable --out.") from None
    except BaseException:
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    for fmt, path in written.items():
        sys.stdout.write(f"Model card ({fmt}): {path}\n")
    return EXIT_OK
