"""``varwheel repair WHEEL -w DEST -- COMMAND ...``: run auditwheel & co. on a variant wheel.

The command gets a plain-named copy as ``{wheel}`` and an empty folder as
``{dest_dir}``; what it writes is checked (``variant.json`` kept, RECORD
consistent) and copied into DEST with the label put back.  In cibuildwheel
prefer deferred labels (``varwheel matrix``) and the default repair command:
cibuildwheel checks the repaired wheel's name itself and rejects a label.

Exit status: 0 done; 1 the command failed or wrote unusable output (DEST
unchanged); 2 bad input or usage.
"""

from __future__ import annotations

import argparse

NAME = "repair"
HELP = "run a repair tool (auditwheel, delocate, ...) on a variant wheel and keep its label"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-w", "--wheel-dir", dest="dest", metavar="DEST",
                        help="folder for the repaired, labelled wheel (created if missing); required")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing file in DEST whose content differs")
    parser.add_argument("wheel", metavar="WHEEL", help="the variant wheel (labelled, or with a deferred label)")
    # argparse cannot mix options after a positional with a REMAINDER: take
    # everything after WHEEL here and split it on "--" in split_rest().
    parser.add_argument("rest", nargs=argparse.REMAINDER, metavar="-- COMMAND ...",
                        help="the repair command after '--', with {wheel} and {dest_dir} placeholders")


def split_rest(args: argparse.Namespace) -> "tuple[str, bool, list]":
    """``(dest, force, command)`` from the options before WHEEL and what follows it."""
    from varwheel.errors import InvalidInput

    rest = list(args.rest)
    dest, force = args.dest, args.force
    command: list = []
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--":
            command = rest[i + 1:]
            break
        if arg in ("-w", "--wheel-dir"):
            if i + 1 >= len(rest):
                raise InvalidInput(f"{arg} needs a folder: -w DEST")
            dest = rest[i + 1]
            i += 2
            continue
        if arg.startswith("--wheel-dir="):
            dest = arg.split("=", 1)[1]
        elif arg.startswith("-w") and len(arg) > 2:
            dest = arg[2:]
        elif arg == "--force":
            force = True
        elif arg.startswith("-") or "--" in rest:
            raise InvalidInput(
                f"unexpected argument {arg!r} before the repair command; usage: "
                "varwheel repair WHEEL -w DEST -- COMMAND ... (the command goes after '--')"
            )
        else:
            # argparse drops the "--" when every option came before WHEEL.
            command = rest[i:]
            break
        i += 1
    if not dest:
        raise InvalidInput("-w/--wheel-dir DEST is required: the folder for the repaired wheel")
    if not command:
        raise InvalidInput(
            "no repair command given: put it after '--', e.g. "
            "varwheel repair WHEEL -w DEST -- auditwheel repair -w {dest_dir} {wheel}"
        )
    return dest, force, command


def run(args: argparse.Namespace) -> int:
    import sys

    from varwheel.pipeline.repair import RepairFailed, repair_wheel

    dest, force, command = split_rest(args)
    try:
        results = repair_wheel(args.wheel, dest, command, force=force)
    except RepairFailed as exc:
        print(f"varwheel: error: {exc}", file=sys.stderr)
        return 1
    for path in results:
        print(path)
    return 0
