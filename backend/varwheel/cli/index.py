"""``varwheel index DIR``: write ``{name}-{version}-variants.json`` beside the wheels.

uv considers a release's variant wheels only when this file is in the
``--find-links`` folder (or on the index page).  ``--check`` compares instead
of writing, for CI: exit 1 when a file is missing or out of date.

``--simple OUT`` writes a whole static package index instead (PEP 503 HTML
and PEP 691 JSON pages, the wheels, their ``.metadata`` and the variants
files, see :mod:`varwheel.pipeline.simple`) and leaves ``DIR`` as it is.  It
is an option of ``index`` rather than a command of its own because it is the
same job, listing a folder's releases for installers, for the other way of
hosting them (``--index-url`` instead of ``--find-links``).
"""

from __future__ import annotations

import argparse

from varwheel.cli._common import warn

NAME = "index"
HELP = ("write {name}-{version}-variants.json for the variant wheels in a folder (or --check them), "
        "or with --simple OUT a static package index of the folder")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", help="folder holding the wheels (not searched recursively)")
    parser.add_argument("-o", "--output-directory", dest="outdir", metavar="OUTDIR",
                        help="folder to write the index files into (default: DIR, where uv looks for them)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if an index file is missing or differs from the wheels")
    parser.add_argument("--simple", metavar="OUT",
                        help="write a static simple repository (PEP 503 HTML + PEP 691 JSON) of DIR into OUT "
                             "instead: serve OUT's parent and use --index-url http://HOST/OUT-NAME/; DIR is not changed")
    parser.add_argument("--force", action="store_true",
                        help="with --simple: replace files in OUT whose bytes differ, and pages varwheel did not write")


def run(args: argparse.Namespace) -> int:
    from varwheel.pipeline.index import build_indexes, compare_indexes, write_indexes

    from varwheel.errors import InvalidInput

    if args.simple is not None:
        if args.check or args.outdir:
            raise InvalidInput(f"--simple writes its own tree into {args.simple}: drop "
                               f"{'--check' if args.check else '-o'} (or run `varwheel index` separately)")
        return _simple(args)
    if args.force:
        raise InvalidInput("--force applies to --simple only (index files beside the wheels are always replaced)")
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
    paths = write_indexes(args.directory, args.outdir, on_warning=warn)
    if not paths:
        warn(f"no variant wheels in {args.directory}: no index file written (plain wheels need none)")
    for path in paths:
        print(path)
    return 0


def _simple(args: argparse.Namespace) -> int:
    from varwheel.pipeline.simple import write_simple_index

    result = write_simple_index(args.directory, args.simple, force=args.force)
    for message in result.warnings:
        warn(message)
    files = sum(len(files) for files in result.projects.values())
    variants = sum(1 for files in result.projects.values() for f in files if f.metadata_sha256 is None)
    print(f"{result.root}: {len(result.projects)} project(s), {files - variants} wheel(s), "
          f"{variants} variants file(s); {len(result.written)} file(s) written, {len(result.unchanged)} unchanged")
    for name in sorted(result.projects):
        print(f"  {result.root / name}/")
    return 0
