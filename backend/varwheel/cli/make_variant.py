"""``varwheel make-variant``: turn existing wheels into variant wheels.

Options follow ``variantlib make-variant`` (``-f``, ``-o``, ``-p``,
``--variant-label``, ``--null-variant``, ``--pyproject-toml``) so a release
script switches tools by changing one word.
"""

from __future__ import annotations

import argparse

from varwheel.cli._common import flatten, warn

NAME = "make-variant"
HELP = "turn existing wheels into variant wheels (variant.json inside, label in the name)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--file", dest="files", action="append", required=True, metavar="WHEEL",
                        help="input wheel; repeatable (each gets the same variant)")
    parser.add_argument("-o", "--output-directory", dest="outdir", required=True, metavar="OUTDIR",
                        help="folder to write the variant wheels into (created if missing)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-p", "--property", dest="properties", action="append", nargs="+", default=[],
                       metavar="PROP", help="'namespace :: feature :: value'; repeatable")
    group.add_argument("--null-variant", action="store_true",
                       help="make the null variant (no properties, label 'null')")
    parser.add_argument("--variant-label", metavar="LABEL",
                        help="label for the filename; default: the hash label of the properties. "
                             "Alone, names [variant.variants.LABEL] in --pyproject-toml")
    parser.add_argument("--pyproject-toml", metavar="PATH",
                        help="read [variant] (providers, default-priorities, named variants) from this file")
    parser.add_argument("--metadata-format", choices=("providers", "pep825"), default="providers",
                        help="variant.json schema to write (default: providers, what uv and variantlib read)")
    parser.add_argument("--verify", action="store_true",
                        help="check every member against RECORD (sha256 and size) before writing")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing output file whose content differs")


def run(args: argparse.Namespace) -> int:
    import functools

    from varwheel.errors import InvalidInput
    from varwheel.wheel.make import make_variant, variant_output_path
    from varwheel.model.pyproject import load_variant_project
    from varwheel.model.request import resolve_variant
    from varwheel.wheel.output import OutputBatch
    from varwheel.wheel.archive import WheelArchive

    properties = flatten(args.properties)
    if not properties and not args.null_variant and not args.variant_label:
        raise InvalidInput("give -p/--property, --null-variant, or --variant-label with --pyproject-toml")
    project = load_variant_project(args.pyproject_toml) if args.pyproject_toml else None
    request = resolve_variant(
        properties,
        label=args.variant_label,
        null=args.null_variant,
        project=project,
        metadata_format=args.metadata_format,
    )
    # Check every input (structure; RECORD with --verify) before writing
    # anything, so that a bad third wheel does not leave two outputs behind.
    batch = OutputBatch(force=args.force)
    for src in args.files:
        with WheelArchive(src) as archive:
            dest = variant_output_path(archive, args.outdir, request.label)
            if args.verify:
                archive.verify_record()
        batch.plan(dest, src)
    # Warnings once the plan stands: a refused run prints its one error line only.
    for message in request.warnings:
        warn(message)
    with batch:
        for dest, src in batch.planned:
            batch.write(dest, functools.partial(make_variant, src, args.outdir, request, force=args.force))
    for path in batch.outputs:
        print(path)
    return 0
