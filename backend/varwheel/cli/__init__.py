"""The ``varwheel`` command line.

Each subcommand lives in its own module under :mod:`varwheel.cli` and
exposes two names::

    NAME = "make-variant"            # the subcommand as typed
    HELP = "one line for --help"

    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...

Modules are discovered, so adding a command means adding a file, named as the
command with ``_`` for ``-``: :func:`main` imports only the module of the
command typed (the others are imported for ``--help`` and for a mistyped
command).  Command modules import heavy things lazily inside ``run``.

Exit status: 0 success, 1 unexpected failure (a bug: the traceback is shown),
2 bad input or usage (one line, no traceback).  ``check``-style commands also
use 1 for "problems found".  An interrupted command exits 128 + the signal's
number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP) with one line on
stderr, after removing what it was writing (see :class:`Terminated`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType
from typing import Any, Dict, Iterator, List, Optional

from varwheel import __version__
from varwheel.errors import InvalidInput

__all__ = ["main", "build_parser", "Terminated"]


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: raised by :func:`main`'s handler so the stack unwinds as for Ctrl-C.

    Python's default for these signals ends the process at once, which skips
    every ``finally`` and leaves ``atomic_output``'s full-size temp file in the
    output folder.  A :class:`KeyboardInterrupt` subclass, so every place
    that already lets Ctrl-C through (``except Exception`` does not catch it,
    ``except KeyboardInterrupt: raise`` passes it on) treats it the same.
    """

    def __init__(self, signum: int, name: str) -> None:
        super().__init__(name)
        self.signum = signum
        self.name = name


def _signals_raise(previous: Dict[int, Any]) -> None:
    """Turn SIGTERM and SIGHUP into :class:`Terminated`; ``previous`` gets the handlers :func:`_signals_restore` puts back.

    Nothing is installed outside the main thread (``signal.signal`` refuses
    there) or for a signal that is ignored (``nohup`` ignores SIGHUP: it stays
    ignored).  Only the first signal raises; more of them while the stack
    unwinds are ignored, so that they cannot cut the clean-up short.
    """
    import signal

    raised: List[int] = []

    def handler(signum: int, frame: object) -> None:
        if raised:
            return
        raised.append(signum)
        raise Terminated(signum, signal.Signals(signum).name)

    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)  # Windows has no SIGHUP
        if signum is None:
            continue
        try:
            old = signal.getsignal(signum)
            if old == signal.SIG_IGN:
                continue
            previous[signum] = old  # first: a signal right after the next line still finds it to put back
            signal.signal(signum, handler)
        except (ValueError, OSError):  # not the main thread (or interpreter)
            previous.pop(signum, None)
            break


def _signals_restore(previous: Dict[int, Any]) -> None:
    import signal

    for signum, old in previous.items():
        # None: a handler not set from Python; the default is the closest there is to put back.
        signal.signal(signum, signal.SIG_DFL if old is None else old)


def _command_modules(only: Optional[str] = None) -> Iterator[ModuleType]:
    """Every command module in name order; or just the one for ``only`` (a command as typed) when it exists.

    Importing one module instead of all of them is what keeps a command's
    start-up near the interpreter's: several command modules stand on the
    model (``select`` and ``install`` on the registry of uv's providers),
    and ``make-variant`` should not pay for them.
    """
    stem = (only or "").replace("-", "_")
    if stem.isascii() and stem.isidentifier() and not stem.startswith("_"):
        try:
            module = importlib.import_module(f"varwheel.cli.{stem}")
        except ModuleNotFoundError as exc:
            if exc.name != f"varwheel.cli.{stem}":
                raise
        else:
            if getattr(module, "NAME", None) == only:
                yield module
                return
    import pkgutil

    import varwheel.cli as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        yield importlib.import_module(f"varwheel.cli.{info.name}")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, like every other bad input
        self.print_usage(sys.stderr)
        self.exit(2, f"varwheel: error: {message}\n")


def build_parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    """The whole command line; with ``only`` (a command name), a parser that knows just that command.

    :func:`main` passes the first argument as ``only``: that command's parser
    and its errors are the same either way, and anything else (``--help``,
    ``--version``, a mistyped command) gets the parser that lists them all.
    """
    parser = _Parser(
        prog="varwheel",
        description="Build, convert, index, check and select wheel variants.",
    )
    parser.add_argument("--version", action="version", version=f"varwheel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in _command_modules(only):
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    try:
        previous: Dict[int, Any] = {}
        try:
            _signals_raise(previous)
            return int(args._run(args) or 0)
        finally:
            _signals_restore(previous)
    except Terminated as exc:
        print(f"varwheel: interrupted ({exc.name})", file=sys.stderr)
        return 128 + exc.signum
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
