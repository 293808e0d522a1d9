"""``varwheel detect``: what this machine supports, per namespace, best first.

Output is one line per supported feature (``namespace :: feature :: values``,
most preferred value first), the same lists ``varwheel select`` ranks with.
Features that were detected but that uv 0.13.9's built-in providers do not
evaluate (x86-64 ISA flags, Arm HWCAPs) follow on an ``extra`` line.  ``-v``
adds, per namespace, where the answer came from, or one line saying why it is
empty (no driver, no GPU, a library that fails, ...), and one ``caveat`` line
per sentence where the answer (uv 0.13.9's) is less than the machine reports,
or may not be what uv sees (an Arm core uv does not know, CPUID on Windows).
``--json`` prints all of it as one JSON object.  Answers are cached per user
(:mod:`varwheel.machine.detect_cache`); ``--no-cache`` detects afresh.  Static properties are not detected: they come
from each package's metadata (``varwheel select --explain`` shows them).
"""

from __future__ import annotations

import argparse

NAME = "detect"
HELP = "show what this machine supports per variant namespace (x86_64, aarch64, nvidia, tpu), best first"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say where each answer came from, why a namespace is empty, and its caveats")
    parser.add_argument("--no-cache", action="store_true",
                        help="detect afresh and leave the per-user detection cache alone (it is keyed on the "
                             "boot id, CPU, NVIDIA driver, GPU/TPU devices and the FORCE variables)")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from varwheel.model.builtins import BUILTINS, UV
    from varwheel.machine.providers import detect, machine

    import os

    from varwheel import __version__
    from varwheel.machine.detect_cache import DetectCache

    found = detect() if args.no_cache else DetectCache.for_user(os.environ, version=__version__).detect_all()
    if args.json:
        data = {
            "machine": machine(),
            "platform": sys.platform,
            "providers": {ns: {"requires": b.package, "version": b.version, "plugin-api": b.plugin_api}
                          for ns, b in BUILTINS.items()},
            "namespaces": {ns: support.to_json() for ns, support in found.items()},
        }
        print(json.dumps(data, indent=2, sort_keys=True))
        return 0
    for ns, support in found.items():
        if not support.features:
            line = f"{ns}: nothing supported"
            if args.verbose and support.note:
                line += f": {support.note}"
            print(line)
            if args.verbose:
                _print_caveats(ns, support.caveats)
            continue
        for feature in support.features:
            print(f"{ns} :: {feature.name} :: {', '.join(feature.values)}")
        if support.extra:
            names = " ".join(f.name for f in support.extra)
            print(f"{ns} extra (detected, not evaluated by {UV}'s built-in provider): {names}")
        if args.verbose:
            print(f"{ns} source: {support.source}" + (f" ({support.note})" if support.note else ""))
            _print_caveats(ns, support.caveats)
    return 0


def _print_caveats(namespace: str, caveats: "tuple[str, ...]") -> None:
    for caveat in caveats:
        print(f"{namespace} caveat: {caveat}")
