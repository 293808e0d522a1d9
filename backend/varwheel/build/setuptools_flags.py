"""How setuptools combines ``CFLAGS`` / ``CXXFLAGS`` with the interpreter's flags.

A variant's compiler flags must be *added* to what the compiler would have got
without varwheel.  For CMake and meson that is what the environment variables
do (their optimisation flags come from the build type, not from ``CFLAGS``).
setuptools is different, and has changed over time:

* setuptools < 75.7 (its bundled distutils) appends ``CFLAGS`` to the
  interpreter's ``sysconfig`` ``CFLAGS`` (``-DNDEBUG -g -fwrapv -O3 -Wall``);
* setuptools >= 75.7 uses ``CFLAGS`` *instead of* them, and >= 72.2 does the
  same for ``CXXFLAGS`` on C++ sources (compiler_so_cxx).

So ``CFLAGS=-march=x86-64-v3`` alone compiles at ``-O0`` with today's
setuptools, and ``CFLAGS="<interpreter flags> -march=..."`` would give older
setuptools the interpreter's flags twice.  Rather than keying on version
numbers, :func:`interpreter_prefix` asks the setuptools that will build: it
configures a compiler exactly as ``build_ext`` does (``new_compiler`` +
``customize_compiler``), once without the variable and once with varwheel's
flags, and returns the flags that the second command lost, for the caller to
put in front of its own.  The result is checked the same way before it is
used.

Only when the user has not set the variable: a user's ``CFLAGS`` is what the
compiler would have had without varwheel, under either rule, so varwheel's
flags are simply appended to it.
"""

from __future__ import annotations

import os
import shlex
from collections import Counter
from typing import Dict, List, Mapping, Optional, Sequence

__all__ = ["CHANNELS", "interpreter_prefix"]

#: Environment variable -> the compiler attribute whose command it feeds.
CHANNELS: Dict[str, str] = {"CFLAGS": "compiler_so", "CXXFLAGS": "compiler_so_cxx"}


def _command(environ: Mapping[str, str], attribute: str) -> Optional[List[str]]:
    """The compile command setuptools' compiler would run under ``environ`` (None: unknown)."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(environ)
        import setuptools  # noqa: F401  (selects the distutils that setuptools' build_ext uses)
        from distutils import ccompiler, sysconfig  # type: ignore[import-not-found,unused-ignore]

        compiler = ccompiler.new_compiler()
        sysconfig.customize_compiler(compiler)
        command = getattr(compiler, attribute, None)
    except Exception:  # no setuptools, no distutils, a compiler class without this attribute
        return None
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if not isinstance(command, list) or not all(isinstance(t, str) for t in command):
        return None
    return command


def _contains(command: Sequence[str], tokens: Sequence[str]) -> bool:
    return not (Counter(tokens) - Counter(command))


def interpreter_prefix(var: str, ours: Sequence[str], environ: Mapping[str, str]) -> List[str]:
    """Flags to put before ``ours`` in ``var`` so that setuptools keeps the interpreter's own.

    Empty when nothing is lost by setting ``var`` to ``ours`` alone (older
    setuptools, which appends; a user who set ``var``; a compiler that does not
    read ``var``; no setuptools to ask).
    """
    attribute = CHANNELS[var]
    if not ours or var in environ:
        return []
    without = {k: v for k, v in environ.items() if k != var}
    baseline = _command(without, attribute)
    if baseline is None:
        return []
    alone = _command({**without, var: shlex.join(ours)}, attribute)
    if alone is None or _contains(alone, baseline):
        return []
    lost_counts = Counter(baseline) - Counter(alone)
    lost: List[str] = []
    for token in baseline:
        if lost_counts[token] > 0:
            lost.append(token)
            lost_counts[token] -= 1
    together = _command({**without, var: shlex.join(lost + list(ours))}, attribute)
    if together is None or not _contains(together, list(baseline) + list(ours)):
        return []
    return lost
