"""Benchmark ``varwheel make-variant`` against ``cp`` and variantlib, on wheels shaped like the real ones.

Cases (each generated once under ``.bench-data/make_variant/``, gitignored):

* ``torch``: shaped like a torch 2.x Linux wheel: about 13,000 members
  (Python modules, C++ headers, stubs) and a few large shared libraries,
  about 550 MB, deflated; the wheel whose 13,000-member central directory
  made make-variant 3.7x ``cp``;
* ``synthetic``: ``--size-mb`` (1 GiB by default) of random data in 25 MiB
  members, half stored and half deflated, plus 300 small modules;
* ``reflink``: both wheels again on an XFS file system with reflinks, made by
  the bench on a loop device (root, ``mkfs.xfs`` from Debian's ``xfsprogs``,
  ``mount -o loop``); there ``cp`` shares the input's extents instead of
  copying them, and so should make-variant: the bench prints how much of
  each output shares extents with its input (``filefrag -v``).  Where the
  file system cannot be made, the case is skipped and says why.

Peers, measured in the same run, interleaved, warm page cache, each output
written into a fresh folder on the same file system as its input:

* ``cp`` -- the floor (GNU cp copies in the kernel, and reflinks where it can);
* ``varwheel make-variant`` (the CLI, a fresh interpreter each time), plain
  and with ``--verify`` (every member inflated and hashed against RECORD first);
* ``variantlib make-variant`` 0.2.2 (the reference tool; offline with
  ``--skip-plugin-validation`` and a pyproject.toml naming the x86_64 provider).

Also measured: the constant every varwheel run pays whatever the wheel
(``python -m varwheel make-variant`` on a one-module wheel) and the
interpreter's own start (``python -c pass``).  Children run with bytecode
caching on (in ``.bench-data/pycache``: the tree stays clean), as they do
after ``pip install``; one untimed run of each tool first writes those
caches and warms the page cache.  Peak RSS is each child's own ``VmHWM``
(Linux ``/proc``), polled every 5 ms.

``--baseline REV`` also runs make-variant as it was at git revision REV
(its ``backend/`` unpacked under ``.bench-data`` and put first on
``PYTHONPATH``), in the same rounds: before and after in one run.

Usage::

    python bench/make_variant.py [--cases torch,synthetic,reflink] [--size-mb 1024] [--repeat 5]
                                 [--variantlib-repeat 1] [--no-variantlib] [--no-verify] [--baseline REV]

Prints, per case, one line per tool: best and median seconds, ratio of the
bests to ``cp``'s, peak RSS.  Nothing is asserted but that the outputs are
right (members copied raw, the label, variantlib's member list); the results
go into bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import random
import re
import shutil
import statistics
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from baseline import ROOT, baseline_backend, child_env  # bench/ is the script's folder, first on sys.path
DATA = ROOT / ".bench-data" / "make_variant"
PROPERTY = "x86_64 :: level :: v3"
LABEL = "fa7c1393"
PYPROJECT = """\
[variant.default-priorities]
namespace = ["x86_64"]

[variant.providers.x86_64]
requires = ["x86-64-variant-provider"]
"""


def _hash(digest: "hashlib._Hash") -> str:
    return "sha256=" + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


# -- the synthetic wheel ------------------------------------------------------------------------------


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


# -- the torch-shaped wheel ------------------------------------------------------------------------


class _RawZip:
    """Writes members whose deflated bytes are already made (zipfile would deflate 850 MB again)."""

    def __init__(self, fh: "io.BufferedWriter") -> None:
        self.fh = fh
        self.central: List[bytes] = []
        self.offset = 0

    def _write(self, data: bytes) -> None:
        self.fh.write(data)
        self.offset += len(data)

    def add(self, name: str, parts: Sequence[bytes], crc: int, usize: int, method: int) -> None:
        raw = name.encode()
        csize = sum(map(len, parts))
        assert csize < 0xFFFFFFFF and usize < 0xFFFFFFFF and self.offset < 0xFFFFFFFF
        offset = self.offset
        self._write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0x5821, crc, csize, usize, len(raw), 0) + raw)
        for part in parts:
            self._write(part)
        self.central.append(
            struct.pack("<4sBBHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 3, 20, 0, method, 0, 0x5821, crc, csize, usize,
                        len(raw), 0, 0, 0, 0, 0o100644 << 16, offset)
            + raw
        )

    def finish(self) -> None:
        start = self.offset
        for entry in self.central:
            self._write(entry)
        count = len(self.central)
        assert count < 0xFFFF
        self._write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, self.offset - start, start, 0))


_WORDS = ("self", "tensor", "return", "import", "torch", "def", "class", "if", "else", "for", "in", "None",
          "dtype", "device", "shape", "grad", "_C", "int64_t", "const", "auto", "namespace", "at", "std", "void")


def make_torch_shaped(folder: Path = DATA / "torch") -> Path:
    """``torch-2.14.1-cp312-cp312-linux_x86_64.whl``: about 13,000 members and 550 MB (cached; ~20 s to make).

    4,600 modules, 7,400 headers and 1,000 stubs (sizes log-normal around
    real torch's), then eight shared libraries, 840 MiB of them in
    ``libtorch_cpu.so``: blocks of runs and random bytes that deflate about
    1.7:1.  Each library is made of eight 1 MiB blocks deflated once (with a
    full flush, so their deflated forms can follow each other in any order),
    so generating it costs hashing, not deflating.
    """
    wheel = folder / "torch-2.14.1-cp312-cp312-linux_x86_64.whl"
    if wheel.exists():
        return wheel
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(2141)
    blocks = []
    for _ in range(8):
        block = bytearray()
        while len(block) < 1 << 20:
            if rng.random() < 0.4:
                block += rng.randbytes(rng.randint(16, 512))
            else:
                block += bytes([rng.randint(0, 255)]) * rng.randint(8, 64) + b"\x00" * rng.randint(0, 256)
        blocks.append(bytes(block[: 1 << 20]))
    deflated = []
    for block in blocks:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        deflated.append(compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH))
    final = zlib.compressobj(6, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # an empty last block ends the stream
    text_pool = "".join(
        " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 12))) + f" {rng.randint(0, 99999)}\n"
        for _ in range(60000)
    ).encode()

    def text(size: int) -> bytes:
        start = rng.randrange(0, len(text_pool) - size - 1) if size < len(text_pool) - 1 else 0
        return text_pool[start : start + size]

    rows: List[List[str]] = []
    tmp = wheel.with_suffix(".partial")
    with open(tmp, "wb") as fh:
        zf = _RawZip(fh)

        def small(name: str, data: bytes) -> None:
            if len(data) > 64:
                zf.add(name, [zlib.compress(data, 6, -15)], zlib.crc32(data), len(data), 8)
            else:
                zf.add(name, [data], zlib.crc32(data), len(data), 0)
            rows.append([name, _hash(hashlib.sha256(data)), str(len(data))])

        def library(name: str, mib: int) -> None:
            digest, crc, parts = hashlib.sha256(), 0, []
            for i in range(mib):
                k = (i * 7 + len(name)) % len(blocks)
                digest.update(blocks[k])
                crc = zlib.crc32(blocks[k], crc)
                parts.append(deflated[k])
            zf.add(name, parts + [final], crc, mib << 20, 8)
            rows.append([name, _hash(digest), str(mib << 20)])

        def folders(prefix: str, width: int, most: int) -> str:
            return "/".join(f"{prefix}{rng.randint(0, width)}" for _ in range(rng.randint(0, most)))

        for i in range(4600):
            small(f"torch/{folders('pkg', 40, 3)}/mod{i:05d}.py".replace("//", "/"), text(int(rng.lognormvariate(8.8, 1.0))))
        for i in range(7400):
            small(f"torch/include/{folders('inc', 60, 4)}/h{i:05d}.h".replace("//", "/"), text(int(rng.lognormvariate(8.6, 0.9))))
        for i in range(1000):
            small(f"torch/_stubs/s{i:04d}.pyi", text(int(rng.lognormvariate(7.5, 1.0))))
        for name, mib in (("libtorch_cpu.so", 840), ("libtorch_python.so", 60), ("libc10.so", 3), ("libshm.so", 1),
                          ("libgomp.so.1", 1), ("libtorch.so", 1), ("libtorch_global_deps.so", 1), ("_C.so", 1)):
            library(f"torch/lib/{name}", mib)
        dist = "torch-2.14.1.dist-info"
        small(f"{dist}/METADATA", b"Metadata-Version: 2.1\nName: torch\nVersion: 2.14.1\n\n")
        small(f"{dist}/WHEEL", b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: false\nTag: cp312-cp312-linux_x86_64\n")
        small(f"{dist}/entry_points.txt", b"[console_scripts]\ntorchrun = torch.distributed.run:main\n")
        small(f"{dist}/top_level.txt", b"torch\n")
        record = io.StringIO()
        csv.writer(record, lineterminator="\n").writerows(rows + [[f"{dist}/RECORD", "", ""]])
        small(f"{dist}/RECORD", record.getvalue().encode())
        zf.finish()
    tmp.replace(wheel)
    return wheel


def make_tiny(folder: Path = DATA / "tiny") -> Path:
    """A one-module wheel: what make-variant costs whatever the wheel (start-up, imports, new members)."""
    wheel = folder / "tiny-1.0-py3-none-any.whl"
    if wheel.exists():
        return wheel
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "tiny/__init__.py": b"X = 1\n",
        "tiny-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tiny\nVersion: 1.0\n\n",
        "tiny-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    rows = [[n, _hash(hashlib.sha256(d)), str(len(d))] for n, d in files.items()]
    record = io.StringIO()
    csv.writer(record, lineterminator="\n").writerows(rows + [["tiny-1.0.dist-info/RECORD", "", ""]])
    files["tiny-1.0.dist-info/RECORD"] = record.getvalue().encode()
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data)
    return wheel


# -- XFS with reflinks on a loop device ------------------------------------------------------------


class ReflinkMount:
    """An XFS file system with reflinks in a sparse image, loop-mounted under ``.bench-data`` (root only)."""

    def __init__(self, size_gb: int) -> None:
        self.image = DATA / "xfs.img"
        self.mountpoint = DATA / "xfs"
        self.size_gb = size_gb
        self.mounted = False

    def mount(self) -> Optional[str]:
        """Mount it; ``None``, or why it cannot be done here."""
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            return "not root (mount -o loop needs root)"
        mkfs = shutil.which("mkfs.xfs") or ("/usr/sbin/mkfs.xfs" if Path("/usr/sbin/mkfs.xfs").exists() else None)
        if mkfs is None:
            return "no mkfs.xfs (apt-get install -y xfsprogs)"
        if not shutil.which("filefrag") and not Path("/usr/sbin/filefrag").exists():
            return "no filefrag (e2fsprogs) to show the shared extents"
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        if os.path.ismount(self.mountpoint):
            subprocess.run(["umount", str(self.mountpoint)], check=False)
        with open(self.image, "wb") as fh:
            fh.truncate(self.size_gb << 30)
        made = subprocess.run([mkfs, "-q", "-f", "-m", "reflink=1", str(self.image)], capture_output=True, text=True)
        if made.returncode != 0:
            return f"mkfs.xfs failed: {made.stderr.strip() or made.returncode}"
        mounted = subprocess.run(["mount", "-o", "loop", str(self.image), str(self.mountpoint)], capture_output=True, text=True)
        if mounted.returncode != 0:
            self.image.unlink()
            return f"mount -o loop failed: {mounted.stderr.strip() or mounted.returncode}"
        self.mounted = True
        return None

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", str(self.mountpoint)], check=False)
            self.mounted = False
        if self.image.exists():
            self.image.unlink()


def shared_extents(path: Path) -> Tuple[int, int]:
    """``(bytes in extents flagged shared, file size)`` from ``filefrag -v``."""
    filefrag = shutil.which("filefrag") or "/usr/sbin/filefrag"
    out = subprocess.run([filefrag, "-v", str(path)], capture_output=True, text=True, check=True).stdout
    block = 4096
    shared = 0
    extent = re.compile(r"^\s*\d+:\s*\d+\.\.\s*\d+:\s*\d+\.\.\s*\d+:\s*(\d+):(.*)$")
    for line in out.splitlines():
        if "blocks of" in line:
            block = int(line.split("blocks of")[1].split()[0])
        found = extent.match(line)
        if found and "shared" in found.group(2):
            shared += int(found.group(1)) * block
    return min(shared, path.stat().st_size), path.stat().st_size


# -- running and measuring -------------------------------------------------------------------------


def run_once(argv: Sequence[str], out_dir: Path, env: Dict[str, str], interval: float = 0.005) -> Tuple[float, int]:
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
        proc = subprocess.Popen(list(argv), stdout=fh, stderr=subprocess.STDOUT, env=env)
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


def tools_for(wheel: Path, work: Path, args: argparse.Namespace, variantlib: Optional[str], *, with_variantlib: bool):
    python = sys.executable
    pyproject = DATA / "pyproject.toml"
    tools = {
        "cp": (["cp", str(wheel), str(work / "cp" / wheel.name)], args.repeat),
        "varwheel make-variant": (
            [python, "-m", "varwheel", "make-variant", "-f", str(wheel), "-o", str(work / "varwheel"), "-p", PROPERTY],
            args.repeat,
        ),
    }
    if args.baseline:
        tools[f"varwheel make-variant @{args.baseline}"] = (
            [python, "-m", "varwheel", "make-variant", "-f", str(wheel), "-o", str(work / "baseline"), "-p", PROPERTY],
            args.repeat,
        )
    if not args.no_verify:
        tools["varwheel make-variant --verify"] = (
            [python, "-m", "varwheel", "make-variant", "-f", str(wheel), "-o", str(work / "varwheel_verify"),
             "-p", PROPERTY, "--verify"],
            args.repeat,
        )
    if with_variantlib and variantlib is not None:
        tools["variantlib make-variant"] = (
            [variantlib, "make-variant", "-f", str(wheel), "-o", str(work / "variantlib"), "-p", PROPERTY,
             "--pyproject-toml", str(pyproject), "--skip-plugin-validation"],
            args.variantlib_repeat,
        )
    return tools


def out_dir_of(name: str, cmd: List[str]) -> Path:
    return Path(cmd[-1]).parent if name == "cp" else Path(cmd[cmd.index("-o") + 1])


def measure(tools, env: Dict[str, str], baseline_env: Optional[Dict[str, str]] = None):
    """Every tool once untimed (caches), then ``n`` timed runs each, interleaved."""
    def env_of(name: str) -> Dict[str, str]:
        return baseline_env if baseline_env is not None and "@" in name else env

    for name, (cmd, _) in tools.items():
        if not name.startswith("variantlib"):
            run_once(cmd, out_dir_of(name, cmd), env_of(name))
    results: Dict[str, List[Tuple[float, int]]] = {}
    for rnd in range(max(n for _, n in tools.values())):
        for name, (cmd, n) in tools.items():  # interleaved: drift hits every tool alike
            if rnd < n:
                results.setdefault(name, []).append(run_once(cmd, out_dir_of(name, cmd), env_of(name)))
    return results


def check_outputs(wheel: Path, work: Path) -> Path:
    """Members copied raw (compressed sizes and bytes), variant.json and RECORD new; the variantlib output's names."""
    ours = work / "varwheel" / wheel.name.replace(".whl", f"-{LABEL}.whl")
    with zipfile.ZipFile(wheel) as a, zipfile.ZipFile(ours) as b:
        old = {i.filename: i for i in a.infolist()}
        new = {i.filename: i for i in b.infolist()}
        assert set(new) == set(old) | {f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info/variant.json"}
        kept = [n for n in old if not n.endswith("/RECORD")]
        assert all((old[n].CRC, old[n].compress_size, old[n].header_offset) == (new[n].CRC, new[n].compress_size,
                                                                               new[n].header_offset) for n in kept)
        sample = kept[:: max(1, len(kept) // 50)]
        assert all(a.read(n) == b.read(n) for n in sample)
    theirs = work / "variantlib" / ours.name
    if theirs.exists():
        with zipfile.ZipFile(ours) as b, zipfile.ZipFile(theirs) as c:
            assert sorted(b.namelist()) == sorted(c.namelist())
    return ours


def report(title: str, results, extra: Sequence[str] = ()) -> None:
    cp_best = min(t for t, _ in results["cp"])
    print(title)
    print(f"  {'tool':34} {'best':>9} {'median':>9} {'vs cp':>8} {'peak RSS':>10}  runs")
    for name, runs in results.items():
        times = [t for t, _ in runs]
        best = min(times)
        print(f"  {name:34} {best:8.3f}s {statistics.median(times):8.3f}s {best / cp_best:7.2f}x "
              f"{max(r for _, r in runs) / (1 << 20):8.0f} MiB  {len(runs)}")
    if "variantlib make-variant" in results:
        vl = min(t for t, _ in results["variantlib make-variant"])
        vw = min(t for t, _ in results["varwheel make-variant"])
        print(f"  variantlib / varwheel: {vl / vw:.1f}x")
    for line in extra:
        print("  " + line)


def describe(wheel: Path, made: float) -> str:
    with zipfile.ZipFile(wheel) as zf:
        members = len(zf.infolist())
    return f"{wheel.name}: {wheel.stat().st_size / 1e6:.0f} MB, {members} members (generated in {made:.1f} s)"


def constant(env: Dict[str, str], repeat: int) -> List[str]:
    """The start-up floor and what make-variant costs on a one-module wheel."""
    tiny = make_tiny()
    work = DATA / "runs-tiny"
    tools = {
        "python -c pass": ([sys.executable, "-c", "pass"], repeat),
        "make-variant, one-module wheel": (
            [sys.executable, "-m", "varwheel", "make-variant", "-f", str(tiny), "-o", str(work / "tiny"), "-p", PROPERTY],
            repeat,
        ),
    }
    results: Dict[str, List[float]] = {}
    for cmd, _ in tools.values():
        run_once(cmd, work / "warm", env)
    for _ in range(repeat):
        for name, (cmd, _) in tools.items():
            results.setdefault(name, []).append(run_once(cmd, work / "tiny", env)[0])
    shutil.rmtree(work)
    return [f"{name}: best {min(t) * 1e3:.0f} ms, median {statistics.median(t) * 1e3:.0f} ms" for name, t in results.items()]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", default="torch,synthetic,reflink", help="comma-separated: torch, synthetic, reflink")
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the synthetic wheel (MiB)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of cp and varwheel (best and median shown)")
    parser.add_argument("--variantlib-repeat", type=int, default=1, help="runs of variantlib (slow: it recompresses)")
    parser.add_argument("--no-variantlib", action="store_true")
    parser.add_argument("--no-verify", action="store_true", help="skip the make-variant --verify runs")
    parser.add_argument("--baseline", metavar="REV", help="also run make-variant as of this git revision")
    args = parser.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - {"torch", "synthetic", "reflink"}
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")

    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "pyproject.toml").write_text(PYPROJECT)
    bindir = Path(sys.executable).parent
    variantlib = shutil.which("variantlib", path=str(bindir)) or shutil.which("variantlib")
    if variantlib is None and not args.no_variantlib:
        raise SystemExit("variantlib is not installed (pip install variantlib==0.2.2) or pass --no-variantlib")
    env = child_env()
    baseline_env = child_env(baseline_backend(args.baseline)) if args.baseline else None

    inputs: Dict[str, Tuple[Path, float]] = {}
    for case, make in (("torch", make_torch_shaped), ("synthetic", lambda: make_input(args.size_mb))):
        if case in cases or "reflink" in cases:
            t0 = time.perf_counter()
            inputs[case] = (make(), time.perf_counter() - t0)

    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; warm page cache; times of fresh processes")
    for line in constant(env, args.repeat):
        print("  " + line)

    for case in ("torch", "synthetic"):
        if case not in cases:
            continue
        wheel, made = inputs[case]
        work = DATA / f"runs-{case}"
        results = measure(tools_for(wheel, work, args, variantlib, with_variantlib=not args.no_variantlib), env, baseline_env)
        check_outputs(wheel, work)
        report(f"{case}: {describe(wheel, made)}", results)
        shutil.rmtree(work)

    if "reflink" in cases:
        mount = ReflinkMount(size_gb=max(4, (sum(p.stat().st_size for p, _ in inputs.values()) >> 30) * 3 + 2))
        why = mount.mount()
        if why is not None:
            print(f"reflink: skipped: {why}")
            return 0
        try:
            for case, (source, _) in inputs.items():
                wheel = mount.mountpoint / source.name
                shutil.copyfile(source, wheel)
                os.sync()  # an extent still being written cannot be shared: reflink would wait for it
                work = mount.mountpoint / f"runs-{case}"
                tools = tools_for(wheel, work, args, variantlib, with_variantlib=False)
                tools.pop("varwheel make-variant --verify", None)  # inflating everything is not what reflinks change
                results = measure(tools, env, baseline_env)
                ours = check_outputs(wheel, work)
                shared, size = shared_extents(ours)
                cp_shared, cp_size = shared_extents(work / "cp" / wheel.name)
                report(
                    f"reflink ({case} on XFS, reflink=1, loop device): {describe(wheel, 0).split(' (')[0]}",
                    results,
                    [f"make-variant output: {shared / 1e6:.1f} of {size / 1e6:.1f} MB in extents shared with the input "
                     f"({100 * shared / size:.2f} %); cp's: {cp_shared / 1e6:.1f} of {cp_size / 1e6:.1f} MB "
                     "(filefrag -v)"],
                )
                shutil.rmtree(work)
                wheel.unlink()
        finally:
            mount.unmount()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
