"""Benchmark ``varwheel check`` on a wheel of 1 GiB or more.

``varwheel check`` streams every member through zlib and sha256 once and
compares with RECORD.  Peers, measured in the same run, interleaved, warm
page cache:

* the floor: ``sha256sum`` over the members' uncompressed data, already
  extracted to disk (no zip, no inflating: the least any RECORD check costs);
* the same with Python's ``hashlib`` (OpenSSL: SHA-NI where the CPU has it;
  coreutils' ``sha256sum`` may not use it, which makes it the slower floor);
* ``zipfile`` reading every member without hashing: the cost of inflating
  (and the CRC-32 check zipfile does on the way);
* ``unzip -p WHEEL | sha256sum``: inflate and hash everything, no RECORD;
* pypa/installer's ``WheelFile.validate_record(validate_contents=True)``
  (the reference installer's own RECORD check), in a fresh interpreter.

The wheel imitates a CUDA wheel: large shared libraries that deflate about
2:1, large already-compressed data files stored, and a few thousand small
Python files.  It is generated once under ``.bench-data/check/`` (gitignored)
and reused while its parameters stay the same.

Usage::

    python bench/check.py [--size-mb 1100] [--small 2000] [--repeat 3]

Prints one line per method: median seconds, throughput over the
uncompressed bytes, and the ratios to the ``sha256sum`` and ``hashlib`` floors.  Nothing is
asserted except that every method agrees the wheel is valid.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".bench-data" / "check"
CHUNK = 1 << 20


def _record_hash(digest: "hashlib._Hash") -> str:
    return "sha256=" + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def _half_redundant(size: int):
    """Chunks of random 4 KiB blocks, each written twice: deflates about 2:1, like machine code."""
    done = 0
    while done < size:
        n = min(CHUNK, size - done)
        block = os.urandom(n // 2 + 4096)
        out = bytearray()
        for i in range(0, n // 2, 4096):
            piece = block[i : i + 4096]
            out += piece + piece
        out = bytes(out[:n])
        done += len(out)
        yield out


def _random(size: int):
    done = 0
    while done < size:
        n = min(CHUNK, size - done)
        done += n
        yield os.urandom(n)


def make_wheel(path: Path, size_mb: int, small: int) -> dict:
    """Stream the wheel to ``path`` (memory stays flat); return its description."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dist_info = "bigpkg-1.0.dist-info"
    # About 60 % of the file: deflated libraries (2:1), 40 %: stored data.
    deflated_total = int(size_mb * 0.6) * 2 << 20
    stored_total = int(size_mb * 0.4) << 20
    members = [(f"bigpkg/lib/libkernels_{i}.so", deflated_total // 4, _half_redundant, zipfile.ZIP_DEFLATED)
               for i in range(4)]
    members += [(f"bigpkg/data/weights_{i}.bin", stored_total // 2, _random, zipfile.ZIP_STORED) for i in range(2)]
    rows = []
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compresslevel=1) as zf:
        for i in range(small):
            name = f"bigpkg/mod{i // 100:02d}/m{i:05d}.py"
            data = (f"# module {i}\n" + "def f(x):\n    return x * %d\n" % i) * 40
            data = data.encode()
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
            rows.append([name, _record_hash(hashlib.sha256(data)), str(len(data))])
        for name, size, source, method in members:
            info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            digest = hashlib.sha256()
            written = 0
            with zf.open(info, "w", force_zip64=True) as fh:
                for chunk in source(size):
                    digest.update(chunk)
                    fh.write(chunk)
                    written += len(chunk)
            rows.append([name, _record_hash(digest), str(written)])
        meta = {
            f"{dist_info}/METADATA": b"Metadata-Version: 2.1\nName: bigpkg\nVersion: 1.0\n\n",
            f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: false\n"
                                  b"Tag: cp311-cp311-manylinux_2_28_x86_64\n",
        }
        for name, data in meta.items():
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
            rows.append([name, _record_hash(hashlib.sha256(data)), str(len(data))])
        rows.append([f"{dist_info}/RECORD", "", ""])
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        zf.writestr(zipfile.ZipInfo(f"{dist_info}/RECORD", (2024, 1, 1, 0, 0, 0)), buf.getvalue(), zipfile.ZIP_DEFLATED)
    tmp.replace(path)
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    return {
        "members": len(infos),
        "uncompressed": sum(i.file_size for i in infos),
        "size": path.stat().st_size,
    }


def extract(wheel: Path, dest: Path) -> list:
    """Extract every member (streaming) for the sha256sum floor; return the file paths."""
    if dest.exists():
        shutil.rmtree(dest)
    files = []
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            target = dest / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
            files.append(str(target))
    return files


def timed(cmd, *, shell=False, env=None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, shell=shell, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {proc.stdout[-2000:]!r} {proc.stderr[-2000:]!r}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1100, help="wheel file size to aim for (default 1100)")
    parser.add_argument("--small", type=int, default=2000, help="number of small .py members")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    wheel = DATA / "bigpkg-1.0-cp311-cp311-manylinux_2_28_x86_64.whl"
    stamp = DATA / "params.json"
    params = {"size_mb": args.size_mb, "small": args.small, "version": 1}
    saved = json.loads(stamp.read_text()) if stamp.exists() else {}
    fresh = (wheel.exists() and saved.get("params") == params
             and all(Path(f).exists() for f in saved.get("files", [None])))
    if not fresh:
        print(f"generating {wheel.relative_to(ROOT)} ...", file=sys.stderr)
        start = time.perf_counter()
        info = make_wheel(wheel, args.size_mb, args.small)
        files = extract(wheel, DATA / "extracted")
        stamp.write_text(json.dumps({"params": params, "info": info, "files": files}))
        print(f"  done in {time.perf_counter() - start:.0f}s", file=sys.stderr)
    saved = json.loads(stamp.read_text())
    info, files = saved["info"], saved["files"]

    env = dict(os.environ)
    env["LC_ALL"] = "C"
    installer_code = (
        "import sys; from installer.sources import WheelFile\n"
        "with WheelFile.open(sys.argv[1]) as w: w.validate_record(validate_contents=True)"
    )
    hashlib_code = (
        "import hashlib, sys\n"
        "for p in sys.argv[1:]:\n"
        "    h = hashlib.sha256()\n"
        "    with open(p, 'rb') as f:\n"
        "        for c in iter(lambda: f.read(1 << 20), b''): h.update(c)\n"
    )
    inflate_code = (
        "import sys, zipfile\n"
        "with zipfile.ZipFile(sys.argv[1]) as z:\n"
        "    for i in z.infolist():\n"
        "        with z.open(i) as f:\n"
        "            while f.read(1 << 20): pass\n"
    )
    methods = [
        ("varwheel check (CLI)", [sys.executable, "-m", "varwheel", "check", str(wheel)], False),
        ("sha256sum of extracted members (floor)", ["sha256sum", "--", *files], False),
        ("hashlib sha256 of extracted members", [sys.executable, "-c", hashlib_code, *files], False),
        ("zipfile inflate only, no hash", [sys.executable, "-c", inflate_code, str(wheel)], False),
        ("unzip -p | sha256sum (inflate+hash)", f"unzip -p '{wheel}' | sha256sum", True),
        ("installer validate_record (API)", [sys.executable, "-c", installer_code, str(wheel)], False),
    ]
    # Warm the page cache, and make sure every method accepts the wheel.
    for _, cmd, shell in methods:
        timed(cmd, shell=shell, env=env)
    times = {name: [] for name, _, _ in methods}
    for _ in range(args.repeat):
        for name, cmd, shell in methods:
            times[name].append(timed(cmd, shell=shell, env=env))

    floor = statistics.median(times["sha256sum of extracted members (floor)"])
    hash_floor = statistics.median(times["hashlib sha256 of extracted members"])
    gib = info["uncompressed"] / (1 << 30)
    print(f"wheel {info['size'] / (1 << 30):.2f} GiB, {info['members']} members, "
          f"{gib:.2f} GiB uncompressed; median of {args.repeat}; warm page cache; {os.cpu_count()} CPUs")
    for name, _, _ in methods:
        median = statistics.median(times[name])
        print(f"  {name:40s} {median:6.2f} s  {gib / median:5.2f} GiB/s  {median / floor:5.2f}x sha256sum"
              f"  {median / hash_floor:5.2f}x hashlib   (best {min(times[name]):.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
