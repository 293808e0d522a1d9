"""``varwheel matrix``: the CI build matrix (one job per named variant) from pyproject.toml.

::

    echo "matrix=$(varwheel matrix --format github)" >> "$GITHUB_OUTPUT"
    CIBW_CONFIG_SETTINGS="$(varwheel matrix --format cibuildwheel --label cu129)" cibuildwheel

See :mod:`varwheel.pipeline.matrix` for the formats.
"""

from __future__ import annotations

import argparse

NAME = "matrix"
HELP = "print one build entry per [variant.variants.<label>] (GitHub Actions, cibuildwheel, JSON)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pyproject-toml", default="pyproject.toml", metavar="PATH",
                        help="the project's pyproject.toml (default: ./pyproject.toml)")
    parser.add_argument("--format", dest="fmt", choices=("github", "cibuildwheel", "json"), default="github",
                        help="github: {\"include\": [...]} on one line (default); cibuildwheel: "
                             "LABEL<TAB>CONFIG-SETTINGS lines; json: every field")
    parser.add_argument("--label", dest="labels", action="append", default=[], metavar="LABEL",
                        help="only this variant (repeatable); with one --label, --format cibuildwheel "
                             "prints only its CIBW_CONFIG_SETTINGS value")
    parser.add_argument("--no-defer-label", dest="defer", action="store_false",
                        help="label the wheels at build time (for pipelines without auditwheel/cibuildwheel)")


def run(args: argparse.Namespace) -> int:
    from varwheel.pipeline.matrix import format_matrix, load_matrix

    entries = load_matrix(args.pyproject_toml, defer_label=args.defer, labels=args.labels)
    print(format_matrix(entries, args.fmt, single=len(args.labels) == 1))
    return 0
