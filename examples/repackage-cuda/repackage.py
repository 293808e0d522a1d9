#!/usr/bin/env python3
"""Turn per-CUDA wheel folders into one variant family, an index file, and a check.

Many projects publish one wheel per CUDA toolkit on separate index URLs, with
the same file name everywhere (``.../whl/cu126/mypkg-1.0-...whl``,
``.../whl/cu129/mypkg-1.0-...whl``, ``.../whl/cpu/...``), and ask users to
pick the right URL.  This script makes one folder from which a variant-aware
installer picks the right build by itself::

    python repackage.py --config variants.toml \\
        --flavor cu126=in/cu126 --flavor cu129=in/cu129 --flavor null=in/cpu \\
        --plain null -o dist

* each ``--flavor LABEL=FOLDER`` names a ``[variant.variants.LABEL]`` table of
  ``--config`` (``null``: the null variant) and the folder of that build's
  wheels (any number of platforms and Python versions);
* every wheel becomes a variant with ``varwheel make-variant`` (members copied
  raw: a 2 GiB CUDA wheel costs about a file copy);
* ``--plain LABEL`` also copies that flavor's original wheels, unlabelled, so
  that pip and installers without variant support still get a working build;
* ``varwheel index`` writes ``{name}-{version}-variants.json`` and
  ``varwheel check --strict`` verifies the result (RECORD hashes, labels,
  index) before anything is published.

All or nothing: the family is assembled in a temporary folder beside OUTDIR
and renamed into place only when every step passed.  Exit status 2 (and a
one-line message) on bad input; OUTDIR is then left as it was.

Runs ``varwheel`` from the same Python (``python -m varwheel``); set
``VARWHEEL`` to another command to use that instead.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple


class InputError(Exception):
    """Bad input: reported as one line, exit status 2."""


def varwheel_command() -> List[str]:
    return shlex.split(os.environ.get("VARWHEEL", "")) or [sys.executable, "-m", "varwheel"]


def run_varwheel(*args: object, quiet: bool = False) -> str:
    cmd = varwheel_command() + [str(a) for a in args]
    print("+ varwheel " + " ".join(shlex.quote(str(a)) for a in args), file=sys.stderr)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.stderr and not quiet:
        sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        if proc.stdout:
            sys.stderr.write(proc.stdout)
        raise InputError(f"`varwheel {args[0]}` failed (exit status {proc.returncode}); see above")
    return proc.stdout


def parse_flavors(items: List[str]) -> Dict[str, Path]:
    flavors: Dict[str, Path] = {}
    for item in items:
        label, sep, folder = item.partition("=")
        if not sep or not label or not folder:
            raise InputError(f"--flavor {item!r}: expected LABEL=FOLDER, e.g. cu126=wheels/cu126")
        if label in flavors:
            raise InputError(f"--flavor {label} is given twice")
        path = Path(folder)
        if not path.is_dir():
            raise InputError(f"--flavor {label}: {folder} is not a folder")
        flavors[label] = path
    if not flavors:
        raise InputError("give at least one --flavor LABEL=FOLDER")
    return flavors


def wheel_key(path: Path) -> Tuple[str, str, str]:
    """``(name, version, tags)`` from a plain wheel filename."""
    parts = path.name[: -len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise InputError(f"{path}: not a plain wheel filename (already a variant? use it as it is)")
    name, version = parts[0], parts[1]
    return name, version, "-".join(parts[-3:])


def collect(flavors: Dict[str, Path]) -> Dict[str, List[Path]]:
    """Each flavor's wheels, after checking that all flavors hold the same releases."""
    wheels: Dict[str, List[Path]] = {}
    releases: Dict[str, set] = {}
    for label, folder in flavors.items():
        found = sorted(p for p in folder.glob("*.whl") if not p.name.startswith("."))
        if not found:
            raise InputError(f"--flavor {label}: {folder} holds no wheels")
        wheels[label] = found
        releases[label] = {wheel_key(p)[:2] for p in found}
    for label, rel in releases.items():
        local = sorted(v for _, v in rel if "+" in v)
        if local:
            raise InputError(
                f"--flavor {label}: version {local[0]} has a local segment (+...), which makes every "
                "flavor a different version; a variant family is one version: rebuild without the "
                "local segment, the variant label takes its place"
            )
    first_label, first = next(iter(releases.items()))
    for label, rel in releases.items():
        if rel != first:
            show = lambda s: ", ".join(f"{n} {v}" for n, v in sorted(s)) or "nothing"  # noqa: E731
            raise InputError(
                f"flavors hold different releases: {first_label} has {show(first)}, {label} has "
                f"{show(rel)}; every flavor must build the same name and version"
            )
    return wheels


def repackage(config: Path, flavors: Dict[str, Path], outdir: Path, plain: List[str]) -> List[Path]:
    if not config.is_file():
        raise InputError(f"--config {config}: no such file")
    for label in plain:
        if label not in flavors:
            raise InputError(f"--plain {label}: no --flavor {label}=FOLDER was given")
    if outdir.exists() and (not outdir.is_dir() or any(outdir.iterdir())):
        raise InputError(f"{outdir} exists and is not empty; give a new or empty output folder")
    wheels = collect(flavors)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
    try:
        for label, paths in wheels.items():
            variant = ["--null-variant"] if label == "null" else ["--variant-label", label]
            args: List[object] = ["make-variant", "--verify", "--pyproject-toml", config, *variant, "-o", staging]
            for path in paths:
                args += ["-f", path]
            run_varwheel(*args)
        for label in plain:
            for path in wheels[label]:
                shutil.copy2(path, staging / path.name)
        run_varwheel("index", staging)
        report = run_varwheel("check", "--strict", staging, quiet=True)
        sys.stderr.write(report.replace(str(staging), str(outdir)))
        if outdir.exists():
            outdir.rmdir()  # empty, checked above
        staging.rename(outdir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return sorted(outdir.iterdir())


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, type=Path,
                        help="TOML file with the [variant] tables (providers, priorities, one table per label)")
    parser.add_argument("--flavor", action="append", default=[], metavar="LABEL=FOLDER",
                        help="a label of --config and the folder of that build's wheels; repeatable")
    parser.add_argument("--plain", action="append", default=[], metavar="LABEL",
                        help="also publish this flavor's wheels unlabelled (for pip); repeatable")
    parser.add_argument("-o", "--output-directory", dest="outdir", required=True, type=Path,
                        help="new or empty folder for the family (wheels + index file)")
    args = parser.parse_args(argv)
    try:
        files = repackage(args.config, parse_flavors(args.flavor), args.outdir, args.plain)
    except InputError as exc:
        print(f"repackage: error: {exc}", file=sys.stderr)
        return 2
    for path in files:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
