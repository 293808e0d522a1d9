"""Benchmark ``varwheel make-variant`` on a large wheel against ``cp`` and variantlib.

Peers measured in the same run, on the same input (warm page cache, each
output written into a fresh folder on the same filesystem):

* ``cp`` -- the floor: copying the wheel's bytes without looking at them;
* ``varwheel make-variant`` (CLI, a fresh interpreter each time), plain and
  with ``--verify`` (every member's sha256 checked against RECORD first);
* ``variantlib make-variant`` 0.2.2 (the reference tool; offline with
  ``--skip-plugin-validation`` and a pyproject.toml naming the x86_64 provider).

The input is generated once under ``.bench-data/`` (gitignored): a wheel of
random (incompressible) data, half its large members deflated and half stored,
plus a few hundred small modules.  Each run's peak RSS is the child's own
``VmHWM`` (Linux ``/proc``), polled every 5 ms; the polling adds a few
milliseconds to every tool alike.

Usage::

    python bench/make_variant.py [--size-mb 500] [--repeat 3] [--variantlib-repeat 1] [--no-variantlib]

Prints one line per tool: best and median seconds, ratio to ``cp`` and peak
RSS.  Nothing is asserted; the results go into bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".bench-data" / "make_variant"
PROPERTY = "x86_64 :: level :: v3"
LABEL = "fa7c1393"
PYPROJECT = """\
[variant.default-priorities]
namespace = ["x86_64"]

[variant.providers.x86_64]
requires = ["x86-64-variant-provider"]
"""


def _hash(digest) -> str:
    return "sha256=" + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def make_input(size_mb: int, member_mb: int = 25, small: int = 300) -> Path:
    """``bigbench-1.0-cp312-cp312-linux_x86_64.whl`` of about ``size_mb`` MiB (cached)."""
    folder = DATA / f"input-{size_mb}mb"
    wheel = folder / "bigbench-1.0-cp312-cp312-linux_x86_64.whl"
    if wheel.exists():
        return wheel
    folder.mkdir(parents=True, exist_ok=True)
    tmp = wheel.with_suffix(".partial")
    rows = []
    chunk_mb = 1
    with zipfile.ZipFile(tmp, "w") as zf:
        for i in range(small):
            name = f"bigbench/mod{i:04d}.py"
            payload = (f"# module {i}\n" + f"VALUE_{i} = {i!r}\n" * 40).encode()
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), payload, zipfile.ZIP_DEFLATED)
            rows.append([name, _hash(hashlib.sha256(payload)), str(len(payload))])
        for i in range(max(1, size_mb // member_mb)):
            method = zipfile.ZIP_STORED if i % 2 == 0 else zipfile.ZIP_DEFLATED
            name = f"bigbench/lib/_part{i:02d}.so"
            info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            digest = hashlib.sha256()
            with zf.open(info, "w", force_zip64=False) as fh:
                for _ in range(member_mb // chunk_mb):
                    block = os.urandom(chunk_mb << 20)
                    fh.write(block)
                    digest.update(block)
            rows.append([name, _hash(digest), str(member_mb << 20)])
        dist = "bigbench-1.0.dist-info"
        for name, payload in (
            (f"{dist}/METADATA", b"Metadata-Version: 2.1\nName: bigbench\nVersion: 1.0\n\n"),
            (f"{dist}/WHEEL", b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: false\nTag: cp312-cp312-linux_x86_64\n"),
        ):
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), payload)
            rows.append([name, _hash(hashlib.sha256(payload)), str(len(payload))])
        record = io.StringIO()
        csv.writer(record, lineterminator="\n").writerows(rows + [[f"{dist}/RECORD", "", ""]])
        zf.writestr(zipfile.ZipInfo(f"{dist}/RECORD", (2024, 1, 1, 0, 0, 0)), record.getvalue())
    tmp.replace(wheel)
    return wheel


def run_once(argv, out_dir: Path, interval: float = 0.005):
    """Run ``argv`` (output into the empty ``out_dir``); return (seconds, peak RSS bytes).

    Peak RSS is the child's ``VmHWM`` (``/proc/<pid>/status``), polled until
    it exits: ``wait4``'s ``ru_maxrss`` would also count this Python process's
    memory, inherited by the child between fork and exec.
    """
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    log = out_dir.parent / (out_dir.name + ".log")
    peak = 0
    with open(log, "wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT)
        status = f"/proc/{proc.pid}/status"
        while proc.poll() is None:
            try:
                with open(status, "rb") as st:
                    for line in st:
                        if line.startswith(b"VmHWM:"):
                            peak = max(peak, int(line.split()[1]) * 1024)
            except (OSError, ValueError):
                pass
            time.sleep(interval)
        elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, argv))} failed ({proc.returncode}):\n{log.read_text()}")
    return elapsed, peak


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="runs of cp and varwheel (best and median shown)")
    parser.add_argument("--variantlib-repeat", type=int, default=1, help="runs of variantlib (slow: it recompresses)")
    parser.add_argument("--no-variantlib", action="store_true")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    wheel = make_input(args.size_mb)
    made = time.perf_counter() - t0
    size = wheel.stat().st_size
    with zipfile.ZipFile(wheel) as zf:
        members = len(zf.infolist())
    pyproject = DATA / "pyproject.toml"
    pyproject.write_text(PYPROJECT)
    work = DATA / "runs"
    python = sys.executable
    bindir = Path(python).parent
    variantlib = shutil.which("variantlib", path=str(bindir)) or shutil.which("variantlib")

    tools = {
        "cp": (["cp", str(wheel), str(work / "cp" / wheel.name)], args.repeat),
        "varwheel make-variant": (
            [python, "-m", "varwheel", "make-variant", "-f", str(wheel), "-o", str(work / "varwheel"), "-p", PROPERTY],
            args.repeat,
        ),
        "varwheel make-variant --verify": (
            [python, "-m", "varwheel", "make-variant", "-f", str(wheel), "-o", str(work / "varwheel_verify"),
             "-p", PROPERTY, "--verify"],
            args.repeat,
        ),
    }
    if not args.no_variantlib:
        if variantlib is None:
            raise SystemExit("variantlib is not installed (pip install variantlib==0.2.2) or pass --no-variantlib")
        tools["variantlib make-variant"] = (
            [variantlib, "make-variant", "-f", str(wheel), "-o", str(work / "variantlib"), "-p", PROPERTY,
             "--pyproject-toml", str(pyproject), "--skip-plugin-validation"],
            args.variantlib_repeat,
        )

    # Warm the page cache so that every tool reads the input from memory.
    with open(wheel, "rb") as fh:
        while fh.read(1 << 24):
            pass

    results = {}
    for rnd in range(max(n for _, n in tools.values())):
        for name, (cmd, n) in tools.items():  # interleaved: drift hits every tool alike
            if rnd >= n:
                continue
            out_dir = Path(cmd[-1]).parent if name == "cp" else Path(cmd[cmd.index("-o") + 1])
            results.setdefault(name, []).append(run_once(cmd, out_dir))

    # Check what was produced: same members, raw bytes identical (varwheel), label right.
    ours = work / "varwheel" / wheel.name.replace(".whl", f"-{LABEL}.whl")
    theirs = work / "variantlib" / ours.name
    with zipfile.ZipFile(wheel) as a, zipfile.ZipFile(ours) as b:
        assert [i.compress_size for i in a.infolist()][:-1] == [i.compress_size for i in b.infolist()][:-2]
    if theirs.exists():
        with zipfile.ZipFile(ours) as b, zipfile.ZipFile(theirs) as c:
            assert sorted(b.namelist()) == sorted(c.namelist())

    cp_best = min(t for t, _ in results["cp"])
    print(
        f"input: {size / (1 << 20):.0f} MiB, {members} members (random data; large members "
        f"half stored, half deflated); generated in {made:.1f} s; warm page cache"
    )
    print(f"{'tool':34} {'best':>9} {'median':>9} {'vs cp':>8} {'peak RSS':>10}  runs")
    for name, runs in results.items():
        times = [t for t, _ in runs]
        rss = max(r for _, r in runs)
        best = min(times)
        print(
            f"{name:34} {best:8.2f}s {statistics.median(times):8.2f}s {best / cp_best:7.1f}x "
            f"{rss / (1 << 20):8.0f} MiB  {len(runs)}"
        )
    if "variantlib make-variant" in results:
        vl = min(t for t, _ in results["variantlib make-variant"])
        vw = min(t for t, _ in results["varwheel make-variant"])
        print(f"variantlib / varwheel: {vl / vw:.1f}x")
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
