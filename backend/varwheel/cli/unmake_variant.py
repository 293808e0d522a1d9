"""``varwheel unmake-variant -f WHEEL -o OUTDIR``: turn a variant wheel back into a plain one.

``variant.json`` and its RECORD row are removed, every other member is copied
raw (:func:`varwheel.wheel.rewrite.rewrite_wheel` with ``variant_json=None``), and
the output gets the plain name.  Options follow ``variantlib unmake-variant``.

It is a recovery tool, so it is lenient about what it undoes: a wheel with a
label but no ``variant.json``, or whose ``variant.json`` is malformed or
disagrees with the label, is still made plain.  A wheel with neither label nor
``variant.json`` is already plain: that is an error (nothing to undo).
"""

from __future__ import annotations

import argparse

NAME = "unmake-variant"
HELP = "turn variant wheels back into plain wheels (variant.json removed, members copied raw)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--file", dest="files", action="append", required=True, metavar="WHEEL",
                        help="variant wheel; repeatable")
    parser.add_argument("-o", "--output-directory", dest="outdir", required=True, metavar="OUTDIR",
                        help="folder for the plain wheels (created if missing)")
    parser.add_argument("--verify", action="store_true",
                        help="check every member against RECORD (sha256 and size) before writing")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing output file whose content differs")


def run(args: argparse.Namespace) -> int:
    import functools
    from pathlib import Path

    from varwheel.errors import InvalidInput
    from varwheel.wheel.output import OutputBatch, same_path
    from varwheel.wheel.rewrite import rewrite_wheel
    from varwheel.wheel.archive import WheelArchive

    # Check every input and plan every output before writing anything.
    batch = OutputBatch(force=args.force)
    for src in args.files:
        with WheelArchive(src) as archive:
            if not archive.has_variant_json() and archive.filename.label is None:
                raise InvalidInput(f"{src}: already a plain wheel (no label, no variant.json): nothing to undo")
            dest = Path(args.outdir) / str(archive.filename.with_label(None))
            if args.verify:
                archive.verify_record()
        if same_path(src, dest):
            raise InvalidInput(
                f"{src}: the plain wheel would overwrite its input (a deferred-label wheel keeps the "
                "plain name); choose another output folder"
            )
        batch.plan(dest, src)
    with batch:
        for dest, src in batch.planned:
            batch.write(dest, functools.partial(rewrite_wheel, src, dest, variant_json=None, force=args.force))
    for path in batch.outputs:
        print(Path(args.outdir) / path.name)
    return 0
