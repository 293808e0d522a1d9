"""Benchmark ``varwheel index`` on a folder of many large variant wheels.

Peers measured in the same run, on the same folder (warm page cache):

* ``varwheel index DIR -o OUT`` (CLI, a fresh interpreter each time) and
  :func:`varwheel.pipeline.index.build_indexes` + write (in process);
* ``variantlib generate-index-json -d DIR`` (the reference tool; it too reads
  only the central directory and variant.json);
* a whole-wheel reader: sha256 over every wheel's bytes (what an index page
  generator or a verifying indexer does) followed by the same merge.

Usage::

    python bench/index.py [--wheels 16] [--size-mb 64] [--members 200] [--repeat 5] [--keep DIR]

Prints one line per method: median seconds and the ratio to ``varwheel index``
(CLI).  Nothing is asserted; results go into bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.wheel_factory import make_wheel  # noqa: E402
from varwheel.pipeline.index import build_indexes, merge_documents, write_documents  # noqa: E402
from varwheel.wheel.make import make_variant  # noqa: E402
from varwheel.model.pyproject import parse_variant_table  # noqa: E402
from varwheel.model.request import resolve_variant  # noqa: E402
from varwheel.wheel.archive import WheelArchive  # noqa: E402


def make_folder(root: Path, wheels: int, size_mb: int, members: int) -> Path:
    """One ``size_mb`` wheel of incompressible data, turned into ``wheels`` variants."""
    src = make_wheel(
        root / "src", "bigpkg", "1.0",
        {"bigpkg/__init__.py": "", "bigpkg/_core.so": os.urandom(size_mb << 20)},
        tag="cp312-cp312-manylinux_2_28_x86_64", compression=zipfile.ZIP_STORED, many=members,
    )
    values = [f"b{i:02d}" for i in range(wheels)]
    project = parse_variant_table({
        "default-priorities": {"namespace": ["build"]},
        "providers": {"build": {"static-properties": {"flavor": values}}},
    })
    dist = root / "dist"
    for value in values:
        request = resolve_variant([f"build :: flavor :: {value}"], label=value, project=project)
        make_variant(src, dist, request)
    shutil.rmtree(root / "src")
    return dist


def whole_read_index(dist: Path, out: Path) -> None:
    """The peer that reads whole wheels: hash every byte, then merge as varwheel does."""
    docs = []
    for wheel in sorted(dist.glob("*.whl")):
        digest = hashlib.sha256()
        with open(wheel, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        with WheelArchive(wheel) as archive:
            docs.append((wheel.name, archive.variant()[1]))
    doc = merge_documents(docs)
    (out / "bigpkg-1.0-variants.json").write_bytes(doc.dumps())


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=int, default=16)
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="build the folder here and keep it")
    args = parser.parse_args()

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="varwheel-bench-index-"))
    try:
        dist = make_folder(root, args.wheels, args.size_mb, args.members)
        total = sum(p.stat().st_size for p in dist.glob("*.whl"))
        out = root / "out"
        out.mkdir(exist_ok=True)
        bindir = Path(sys.executable).parent
        variantlib = shutil.which("variantlib", path=str(bindir)) or shutil.which("variantlib")

        def cli():
            subprocess.run([sys.executable, "-m", "varwheel", "index", str(dist), "-o", str(out)],
                           check=True, capture_output=True)

        def api():
            write_documents(build_indexes(dist), out)

        def vl():
            subprocess.run([variantlib, "generate-index-json", "-d", str(dist)], check=True, capture_output=True)
            (dist / "bigpkg-1.0-variants.json").unlink()

        def startup():
            subprocess.run([sys.executable, "-c", "pass"], check=True)

        # Warm the page cache once so that every method reads from memory.
        whole_read_index(dist, out)
        # The outputs agree (variantlib writes its own schema URL).
        cli()
        import json

        ours = json.loads((out / "bigpkg-1.0-variants.json").read_text())
        subprocess.run([variantlib, "generate-index-json", "-d", str(dist)], check=True, capture_output=True)
        theirs = json.loads((dist / "bigpkg-1.0-variants.json").read_text())
        (dist / "bigpkg-1.0-variants.json").unlink()
        ours.pop("$schema"), theirs.pop("$schema")
        assert ours == theirs, "varwheel and variantlib disagree on the index content"

        results = [
            ("varwheel index (CLI)", timed(cli, args.repeat)),
            ("varwheel build_indexes+write (API)", timed(api, args.repeat)),
            ("variantlib generate-index-json (CLI)", timed(vl, args.repeat) if variantlib else float("nan")),
            ("whole-wheel read + merge (API)", timed(lambda: whole_read_index(dist, out), args.repeat)),
            ("python -c pass (startup floor)", timed(startup, args.repeat)),
        ]
        base = results[0][1]
        print(f"{args.wheels} wheels x {args.size_mb} MiB (+{args.members} small members each), "
              f"{total / (1 << 30):.2f} GiB in all; median of {args.repeat}; warm page cache")
        for name, seconds in results:
            print(f"  {name:40s} {seconds * 1000:9.1f} ms   {seconds / base:7.2f}x varwheel CLI")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
