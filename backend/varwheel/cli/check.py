"""``varwheel check WHEEL|DIR ... [--json]``: is this release right before it is published?

See :mod:`varwheel.pipeline.check` for every check and its code (docs/pipeline.md
has the table with what to do about each).  Exit status: 0 no
errors (warnings allowed unless ``--strict``), 1 problems found, 2 bad usage
(a path that does not exist, a file that is not a wheel, a folder without
wheels).
"""

from __future__ import annotations

import argparse

from varwheel.model.document import UV

NAME = "check"
HELP = (f"check wheels and folders (RECORD, variant.json, labels, index files, what {UV} refuses or "
        "ignores); exit 1 on problems")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="WHEEL|DIR",
                        help="wheels, or folders whose wheels and *-variants.json files to check")
    parser.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    parser.add_argument("--strict", action="store_true", help="warnings count as problems too (exit 1)")


def run(args: argparse.Namespace) -> int:
    import json

    from varwheel.pipeline.check import check_paths

    report = check_paths(args.paths)
    if args.json:
        print(json.dumps(report.to_json(strict=args.strict), indent=2, sort_keys=True))
    else:
        print(report.format_text())
    return 0 if report.ok(strict=args.strict) else 1
