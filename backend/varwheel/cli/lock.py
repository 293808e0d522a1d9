"""``varwheel lock REQ... (--find-links DIR | --index-url URL) -o pylock.toml``: a PEP 751 lock that keeps every variant.

Each requirement locks the newest admitted version found in the folders,
with all of its wheels (every tag, every variant, null and plain: the lock
serves other machines too), their sha256 and size, and the release's variant
metadata inlined as ``[packages.variants-json]`` (PEP 825).  Only what is
asked is locked: a locked wheel's dependency that is not in the lock is a
warning.  ``varwheel install --lock pylock.toml`` chooses per machine.

Exit status: 0 written (or unchanged); 2 bad input (a requirement nothing
matches, an output name PEP 751 does not allow, an existing different file
without ``--force``).
"""

from __future__ import annotations

import argparse

from varwheel.cli._common import warn

NAME = "lock"
HELP = "write a pylock.toml (PEP 751) listing every variant wheel, chosen per machine at install time"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("requirements", nargs="+", metavar="PKG[==VERSION]",
                        help="what to lock; each locks one package (its dependencies are not resolved)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("-f", "--find-links", dest="find_links", action="append", metavar="DIR", default=[],
                        help="folder with the wheels (and {name}-{version}-variants.json); repeatable")
    source.add_argument("--index-url", metavar="URL",
                        help="a simple repository (PEP 503 HTML or PEP 691 JSON), e.g. http://host/simple/")
    parser.add_argument("-o", "--output", default="pylock.toml", metavar="PYLOCK",
                        help="the lock file to write (pylock.toml or pylock.NAME.toml; default: pylock.toml)")
    parser.add_argument("--require-index", action="store_true",
                        help="leave out variant wheels that have no {name}-{version}-variants.json beside them")
    parser.add_argument("--force", action="store_true", help="replace an existing, different lock file")


def run(args: argparse.Namespace) -> int:
    from varwheel.machine.lock import lock

    result = lock(args.requirements, args.find_links, args.output, force=args.force, require_index=args.require_index,
                  index_url=args.index_url)
    for message in result.warnings:
        warn(message)
    for pkg in result.packages:
        labels = sorted({w.filename.label or "plain" for w in pkg.wheels})
        print(f"{pkg.name} {pkg.version}: {len(pkg.wheels)} wheel(s) ({', '.join(labels)})")
    print(f"{result.path}: {'unchanged' if result.unchanged else 'written'}")
    return 0
