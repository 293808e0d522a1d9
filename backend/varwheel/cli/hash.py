"""``varwheel hash -p PROP ...``: print the default (hash) label of a property set."""

from __future__ import annotations

import argparse

from varwheel.cli._common import flatten

NAME = "hash"
HELP = "print the hash label of a set of properties ('null' for none)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p",
        "--property",
        dest="properties",
        action="append",
        nargs="+",
        default=[],
        metavar="PROP",
        help="'namespace :: feature :: value'; repeatable",
    )


def run(args: argparse.Namespace) -> int:
    from varwheel.model.properties import VariantDescription

    print(VariantDescription.parse(flatten(args.properties)).hash_label())
    return 0
