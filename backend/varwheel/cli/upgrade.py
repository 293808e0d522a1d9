"""``varwheel upgrade FILE... -o OUTDIR``: convert PEP 817-era variant metadata to the current format.

Wheels (their ``variant.json``) and ``*-variants.json`` index files published
in the v0.0.2 / v0.0.3 drafts, which uv 0.13.9 cannot read, are written as
converted copies into OUTDIR; folders stand for their wheels and index
files.  Options follow ``make-variant`` (``-o``, ``--verify``, ``--force``);
every change is printed, per file, once everything is written.  The logic is
:mod:`varwheel.pipeline.upgrade`; the conversion rules are
:mod:`varwheel.model.drafts`'.
"""

from __future__ import annotations

import argparse

from varwheel.model.document import UV

NAME = "upgrade"
HELP = f"convert PEP 817-era variant metadata (wheels, *-variants.json) to the current format {UV} reads"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="a wheel, a {name}-{version}-variants.json index file, or a folder of them")
    parser.add_argument("-o", "--output-directory", "--output-dir", dest="outdir", required=True, metavar="OUTDIR",
                        help="folder to write the converted copies into (created if missing; never an input's place)")
    parser.add_argument("--verify", action="store_true",
                        help="check every wheel member against RECORD (sha256 and size) before writing")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing output file whose content differs")


def run(args: argparse.Namespace) -> int:
    from varwheel.pipeline.upgrade import upgrade_files

    for done in upgrade_files(args.files, args.outdir, force=args.force, verify=args.verify):
        if done.reading is None:
            print(f"{done.dest}: copied unchanged (a plain wheel: no variant.json)")
        elif done.unchanged:
            print(f"{done.dest}: copied unchanged (already {done.reading.draft_text()})")
        else:
            count = len(done.changes)
            print(f"{done.dest}: from {done.source}, {done.reading.draft} draft, "
                  f"{count} change{'s' if count != 1 else ''}:")
            for line in done.changes:
                print(f"  {line}")
    return 0
