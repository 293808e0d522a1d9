"""``varwheel relabel``: put the label from ``variant.json`` into the filename.

The step after auditwheel/delocate/cibuildwheel in a deferred-label pipeline:
``-Cvariant-defer-label=true`` builds keep the plain name so those tools
accept the wheel; ``relabel`` then renames it (bytes unchanged).
"""

from __future__ import annotations

import argparse

from varwheel.cli._common import warn

NAME = "relabel"
HELP = "rename deferred-label wheels (variant.json inside, plain name) after their label"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="WHEEL|DIR",
                        help="wheels, or folders whose variant wheels to relabel (plain wheels there are skipped)")
    parser.add_argument("-o", "--output-directory", dest="outdir", metavar="OUTDIR",
                        help="copy the labelled wheels here instead of renaming them in place")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing labelled file whose content differs")


def run(args: argparse.Namespace) -> int:
    from varwheel.pipeline.relabel import relabel

    plans = relabel(
        args.paths,
        args.outdir,
        force=args.force,
        on_skip=lambda path: warn(f"{path}: plain wheel (no variant.json), left as it is"),
    )
    if not plans:
        warn("no variant wheels found: nothing relabelled")
    for plan in plans:
        print(plan.dest)
    return 0
