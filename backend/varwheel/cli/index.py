"""``varwheel index DIR``: write ``{name}-{version}-variants.json`` beside the wheels.

uv considers a release's variant wheels only when this file is in the
``--find-links`` folder (or on the index page).  ``--check`` compares instead
of writing, for CI: exit 1 when a file is missing or out of date.
"""

from __future__ import annotations

import argparse

from varwheel.cli._common import warn

NAME = "index"
HELP = "write {name}-{version}-variants.json for the variant wheels in a folder (or --check them)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", help="folder holding the wheels (not searched recursively)")
    parser.add_argument("-o", "--output-directory", dest="outdir", metavar="OUTDIR",
                        help="folder to write the index files into (default: DIR, where uv looks for them)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if an index file is missing or differs from the wheels")


def run(args: argparse.Namespace) -> int:
    from varwheel.pipeline.index import build_indexes, compare_indexes, index_warnings, write_documents

    if args.check:
        docs = build_indexes(args.directory)
        problems = compare_indexes(docs, args.outdir or args.directory)
        if problems:
            for line in problems:
                print(line)
            print(f"varwheel: {len(problems)} index file(s) out of date; run "
                  f"`varwheel index {args.directory}{' -o ' + args.outdir if args.outdir else ''}`")
            return 1
        count = len(docs)
        if count == 0:
            warn(f"no variant wheels in {args.directory}: nothing to check")
        else:
            print(f"{count} index file(s) up to date")
        return 0
    docs = build_indexes(args.directory)
    for message in index_warnings(docs):
        warn(message)
    paths = write_documents(docs, args.outdir or args.directory)
    if not paths:
        warn(f"no variant wheels in {args.directory}: no index file written (plain wheels need none)")
    for path in paths:
        print(path)
    return 0
