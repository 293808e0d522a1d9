"""The ``varwheel`` command line.

Each subcommand lives in its own module under :mod:`varwheel.cli` and
exposes two names::

    NAME = "make-variant"            # the subcommand as typed
    HELP = "one line for --help"

    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...

Modules are discovered, so adding a command means adding a file.  Command
modules import heavy things lazily inside ``run``.

Exit status: 0 success, 1 unexpected failure (a bug: the traceback is shown),
2 bad input or usage (one line, no traceback).  ``check``-style commands also
use 1 for "problems found".
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import List, Optional

from varwheel import __version__
from varwheel.errors import InvalidInput

__all__ = ["main", "build_parser"]


def _command_modules():
    import varwheel.cli as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        yield importlib.import_module(f"varwheel.cli.{info.name}")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, like every other bad input
        self.print_usage(sys.stderr)
        self.exit(2, f"varwheel: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="varwheel",
        description="Build, convert, index, check and select wheel variants.",
    )
    parser.add_argument("--version", action="version", version=f"varwheel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in _command_modules():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except InvalidInput as exc:
        # One line, whatever a library put into the message.
        message = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        print(f"varwheel: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("varwheel: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
