"""``varwheel install PKG``: select the wheel for this machine, install it with stock pip.

The target environment's own pip does the installing: ``--python``, else the
active virtual environment (``$VIRTUAL_ENV``), else the interpreter running
varwheel; its platform tags count.  pip cannot read labelled
file names, so it is handed a plain-named copy of the chosen wheel;
``variant.json`` stays in the installed ``.dist-info``.  Arguments after
``--`` go to pip unchanged (``-- --no-deps --force-reinstall``).  Without
``--find-links`` the current directory is searched.

``PKG#LABEL`` takes that variant even where this machine does not support it
(one warning says what fails here); ``--no-variant`` the plain wheel, or the
null variant where there is none.

``--lock pylock.toml`` installs every package of a lock file written by
``varwheel lock``, each the best of its locked wheels for this machine
(``PKG#LABEL`` arguments and ``--no-variant`` choose by hand), after checking
size, hashes and the chosen wheel's own ``variant.json``; pip gets
``--no-deps --no-index``: the lock is the whole set.

Variant-specific dependencies (PEP 825 markers in the chosen wheel's
``Requires-Dist``) are evaluated for the chosen wheel on this machine and
handed to pip as plain requirements (one line each says what became of
them); see :mod:`varwheel.machine.install`.

Exit status: 0 installed (or, with ``--dry-run``, selected); 1 no wheel fits
(stderr says why per wheel) or pip failed; 2 bad input.
"""

from __future__ import annotations

import argparse

from varwheel.cli import select as select_command
from varwheel.cli._common import flatten, warn

NAME = "install"
HELP = "select the best wheel for this machine and install it with the environment's own pip"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("requirements", nargs="*", metavar="PKG[==VERSION][#LABEL]",
                        help="what to install; with --lock, PKG#LABEL chooses the variant of a locked package")
    select_command.add_arguments(parser, find_links_required=False, requirement=False)
    parser.add_argument("--lock", metavar="PYLOCK", help="install from this pylock.toml (see `varwheel lock`)")
    parser.add_argument("--dry-run", action="store_true", help="print the choice and the pip command, install nothing")
    parser.add_argument("pip_args", nargs="*", metavar="-- PIP_ARGS",
                        help="arguments for pip install, after --")
    # argparse cannot put positionals after interleaved options (PKG -f DIR -- ARGS):
    # split at the first "--" before parsing; what follows goes to pip untouched.
    original = parser.parse_known_args

    def parse_known_args(args=None, namespace=None):
        args = list(args) if args is not None else []
        if "--" in args:
            cut = args.index("--")
            ns, extra = original(args[:cut], namespace)
            ns.pip_args = list(getattr(ns, "pip_args", []) or []) + args[cut + 1:]
            return ns, extra
        return original(args, namespace)

    parser.parse_known_args = parse_known_args  # type: ignore[method-assign]


def run(args: argparse.Namespace) -> int:
    import shlex
    import sys

    from varwheel.errors import InvalidInput
    from varwheel.machine.install import NothingFits, install_selected

    pip_args = list(args.pip_args)
    if pip_args and pip_args[0] == "--":
        pip_args = pip_args[1:]
    if args.lock:
        if args.find_links or args.require_index:
            raise InvalidInput("--lock installs the files the lock names: drop --find-links / --require-index")
        return _run_lock(args, pip_args)
    if len(args.requirements) != 1:
        raise InvalidInput("give one requirement to install (PKG, PKG==VERSION or PKG#LABEL), or --lock pylock.toml")
    find_links = args.find_links or ["."]
    try:
        result = install_selected(
            args.requirements[0], find_links, python=args.python, pip_args=pip_args, dry_run=args.dry_run,
            assume=flatten(args.assume), detect=select_command.detection(args), require_index=args.require_index,
            no_variant=args.no_variant,
        )
    except NothingFits as exc:
        return _nothing_fits(exc)
    for message in result.warnings:
        warn(message)
    chosen = result.selection.chosen
    assert chosen is not None  # install_selected raises NothingFits when nothing was chosen
    what = _what(chosen)
    for marked, plain in result.dependencies:
        print(f"variant dependency: {marked}  ->  {plain if plain is not None else '(not for this wheel here)'}")
    if args.dry_run:
        print(f"would install {chosen.path} ({what}) as {result.plain_name}")
        print(" ".join(shlex.quote(part) for part in result.command))
        return 0
    if result.returncode != 0:
        print(f"varwheel: pip failed (exit status {result.returncode}) installing {chosen.path}", file=sys.stderr)
        return 1
    print(f"installed {chosen.path} ({what}) with {result.command[0]} -m pip")
    return 0


def _nothing_fits(exc) -> int:
    """Exit status 1, after the selection's warnings and why nothing fits (stderr)."""
    import sys

    for message in exc.selection.warnings:
        warn(message)
    print(f"varwheel: {exc}", file=sys.stderr)
    return 1


def _what(chosen) -> str:
    what = f"variant {chosen.label!r}" if chosen.kind == "variant" else (
        "the null variant" if chosen.kind == "null" else "the plain wheel")
    return what + (", chosen by hand" if chosen.state == "forced" else "")


def _run_lock(args: argparse.Namespace, pip_args) -> int:
    import shlex
    import sys

    from varwheel.machine.install import NothingFits, install_locked

    try:
        result = install_locked(
            args.lock, python=args.python, pip_args=pip_args, dry_run=args.dry_run, assume=flatten(args.assume),
            detect=select_command.detection(args), choices=args.requirements, no_variant=args.no_variant,
        )
    except NothingFits as exc:
        return _nothing_fits(exc)
    for message in result.warnings:
        warn(message)
    verb = "would install" if args.dry_run else "installing"
    for sel in result.selections:
        chosen = sel.chosen
        assert chosen is not None  # install_locked raises NothingFits otherwise
        print(f"{verb} {sel.project} {sel.releases[0].version}: {chosen.name} ({_what(chosen)}) from {result.lock}")
    if args.dry_run:
        print(" ".join(shlex.quote(part) for part in result.command))
        return 0
    if result.returncode != 0:
        print(f"varwheel: pip failed (exit status {result.returncode}) installing from {result.lock}", file=sys.stderr)
        return 1
    print(f"installed {len(result.selections)} package(s) from {result.lock} with {result.command[0]} -m pip")
    return 0
