"""Helpers for the core-model and rewriter tests (properties ... rewrite, make-variant).

* :func:`vectors`: the spec's test vectors, from the copy in ``tests/data``.
* :func:`raw_member`: a member's compressed bytes, read through its local
  header offset (what "copied verbatim" is checked against).
* :func:`sha256_file`, :func:`files_in`: before/after comparisons.
* :class:`SparseWriter`: a file wrapper that turns all-zero writes into holes,
  so a zip with members and offsets past 4 GiB costs almost no disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zipfile
from pathlib import Path
from typing import Dict, List

from tests.conftest import ROOT
from varwheel.wheel.archive import WheelArchive

__all__ = [
    "VECTORS_PATH",
    "SHARED_VECTORS_PATH",
    "vectors",
    "raw_member",
    "local_header",
    "sha256_file",
    "files_in",
    "SparseWriter",
    "rebuild_zip",
    "central_fields",
    "assert_kept_verbatim",
    "assert_record_consistent",
    "structure_cases",
    "run_measuring_peak_rss",
    "patch_bytes",
    "sparse_files_supported",
    "PYPROJECT_SPEC_EXAMPLE",
]

VECTORS_PATH = ROOT / "tests" / "data" / "vectors.json"
#: Where the spec's own copy lives when the shared folder sits beside the clone.
SHARED_VECTORS_PATH = ROOT.parent / "shared" / "spec" / "vectors.json"


def vectors() -> dict:
    return json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


def local_header(path: "str | Path", info: zipfile.ZipInfo) -> bytes:
    """The 30-byte fixed part of ``info``'s local header, name and extra."""
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        fixed = fh.read(30)
        assert fixed[:4] == b"PK\x03\x04", f"no local header at {info.header_offset} for {info.filename}"
        name_len, extra_len = struct.unpack("<HH", fixed[26:30])
        return fixed + fh.read(name_len + extra_len)


def raw_member(path: "str | Path", name: str) -> bytes:
    """The compressed bytes of member ``name`` exactly as stored in the file."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    header = local_header(path, info)
    with open(path, "rb") as fh:
        fh.seek(info.header_offset + len(header))
        return fh.read(info.compress_size)


def sha256_file(path: "str | Path") -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def files_in(folder: "str | Path") -> List[str]:
    """Every entry under ``folder`` (relative paths, hidden ones included), sorted."""
    folder = Path(folder)
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


class SparseWriter:
    """Seekable binary writer: chunks of zeros become holes instead of disk blocks."""

    def __init__(self, fh) -> None:
        self.fh = fh
        self._end = 0

    def write(self, data) -> int:
        data = bytes(data)
        if data and data.count(0) == len(data):
            self.fh.seek(len(data), os.SEEK_CUR)
        else:
            self.fh.write(data)
        self._end = max(self._end, self.fh.tell())
        return len(data)

    def tell(self) -> int:
        return self.fh.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.fh.seek(offset, whence)

    def seekable(self) -> bool:
        return True

    def flush(self) -> None:
        self.fh.flush()

    def close(self) -> None:
        # A trailing hole must still count towards the size.
        self.fh.truncate(self._end)
        self.fh.close()


def sparse_files_supported(folder: "str | Path") -> bool:
    """True when ``folder``'s filesystem stores a 64 MiB hole in (almost) no blocks."""
    probe = Path(folder) / ".sparse-probe"
    try:
        with open(probe, "wb") as fh:
            fh.seek(64 << 20)
            fh.write(b"x")
        return os.stat(probe).st_blocks * 512 < (1 << 20)
    finally:
        probe.unlink()


#: The pyproject.toml example of spec section 5, verbatim.
PYPROJECT_SPEC_EXAMPLE = """\
[variant.default-priorities]
namespace = ["nvidia", "x86_64"]

[variant.providers.nvidia]
requires = ["nvidia-variant-provider>=0.0.2,<1"]
plugin-api = "nvidia_variant_provider.plugin:NvidiaVariantPlugin"

[variant.providers.x86_64]
requires = ["x86-64-variant-provider"]

[variant.providers.blas_lapack]
static-properties.library = ["mkl", "openblas"]

# optional: named variants, so a build can say just -Cvariant-label=cu129
[variant.variants.cu129]
nvidia.cuda_version_lower_bound = ["12.9"]
nvidia.sm_arch = ["90_real", "120_real", "120_virtual"]
"""


def run_measuring_peak_rss(argv, *, log: "str | Path", interval: float = 0.005):
    """Run ``argv``; return ``(exit status, peak RSS in bytes)`` of that program alone.

    ``ru_maxrss`` from ``wait4`` would also count the memory of the forked
    Python parent before ``exec`` (Linux records the old address space's peak
    at exec), so a pytest worker's own size would leak into the figure.  The
    ``VmHWM`` line of ``/proc/<pid>/status`` belongs to the new address space
    only; it is polled until the program exits (Popen returns after the exec
    succeeded) and the last reading is the peak.
    """
    import subprocess
    import time

    peak = 0
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        status_path = f"/proc/{proc.pid}/status"
        while proc.poll() is None:
            try:
                with open(status_path, "rb") as fh:
                    for line in fh:
                        if line.startswith(b"VmHWM:"):
                            peak = max(peak, int(line.split()[1]) * 1024)
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
            time.sleep(interval)
    return proc.returncode, peak


def central_fields(info: zipfile.ZipInfo):
    """Everything the central directory says about a member except where it is."""
    return (
        info.filename, info.date_time, info.compress_type, info.CRC, info.compress_size,
        info.file_size, info.external_attr, info.internal_attr, info.create_system,
        info.create_version, info.extract_version, info.flag_bits, info.comment,
    )


def assert_kept_verbatim(src: Path, dest: Path, names=None):
    """Every member of ``src`` except variant.json/RECORD is in ``dest`` byte for byte."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dest) as b:
        old = {i.filename: i for i in a.infolist()}
        new = {i.filename: i for i in b.infolist()}
    kept = [n for n in old if not n.endswith(("/variant.json", "/RECORD"))]
    for name in names if names is not None else kept:
        assert central_fields(old[name]) == central_fields(new[name]), name
        assert local_header(src, old[name]) == local_header(dest, new[name]), name
        assert raw_member(src, name) == raw_member(dest, name), name
    return kept


def assert_record_consistent(path: Path):
    """RECORD matches every member; its last row is RECORD itself; return the rows."""
    with WheelArchive(path) as archive:
        assert archive.record_problems() == []
        rows = archive.record()
        assert rows[-1].as_list() == [f"{archive.dist_info}/RECORD", "", ""]
        return rows


def structure_cases(base: Path, tmp_path: Path) -> "Dict[str, tuple[Path, str]]":
    """Broken copies of the wheel ``base``: ``{what: (path, fragment of the error)}``."""
    cases = {}
    dist = base.name.split("-")[0] + "-" + base.name.split("-")[1] + ".dist-info"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "notzip").mkdir()
    p = bad / "notzip" / base.name
    p.write_bytes(b"this is not a zip file")
    cases["not a zip"] = (p, "not a readable zip archive")
    (bad / "empty").mkdir()
    p = bad / "empty" / base.name
    p.write_bytes(b"")
    cases["empty file"] = (p, "not a readable zip archive")
    p = rebuild_zip(base, _fresh(bad, "two", base.name), add=[("other-1.0.dist-info/METADATA", b"x")])
    cases["two dist-infos"] = (p, "expected exactly one .dist-info directory, found 2: demo-1.0.dist-info, other-1.0.dist-info")
    p = rebuild_zip(base, _fresh(bad, "none", base.name), drop=tuple(f"{dist}/{n}" for n in ("METADATA", "WHEEL", "RECORD")))
    cases["no dist-info"] = (p, "expected exactly one .dist-info directory, found 0")
    p = rebuild_zip(base, _fresh(bad, "mismatch", "demo-2.0-py3-none-any.whl"))
    cases["mismatched dist-info"] = (p, ".dist-info directory 'demo-1.0.dist-info' does not match the filename's name and version (demo 2.0)")
    p = rebuild_zip(base, _fresh(bad, "norecord", base.name), drop=(f"{dist}/RECORD",))
    cases["missing RECORD"] = (p, f"{dist}/RECORD is missing")
    p = rebuild_zip(base, _fresh(bad, "nowheel", base.name), drop=(f"{dist}/WHEEL",))
    cases["missing WHEEL"] = (p, f"{dist}/WHEEL is missing")
    p = rebuild_zip(base, _fresh(bad, "dotdot", base.name), add=[("demo/../../etc/passwd", b"x")])
    cases["dotdot"] = (p, "unsafe member name 'demo/../../etc/passwd'")
    p = rebuild_zip(base, _fresh(bad, "abs", base.name), add=[("/etc/passwd", b"x")])
    cases["absolute"] = (p, "unsafe member name '/etc/passwd'")
    p = rebuild_zip(base, _fresh(bad, "drive", base.name), add=[("C:/x.py", b"x")])
    cases["drive"] = (p, "unsafe member name 'C:/x.py'")
    p = rebuild_zip(base, _fresh(bad, "dup", base.name), add=[("demo/__init__.py", b"X = 2\n")])
    cases["duplicate"] = (p, "duplicate member names: demo/__init__.py")
    cases["missing file"] = (bad / "nope" / base.name, "no such file")
    cases["bad filename"] = (rebuild_zip(base, _fresh(bad, "name", "demo-1.0.whl")), "too few components")
    return cases


def _fresh(root: Path, sub: str, name: str) -> Path:
    (root / sub).mkdir()
    return root / sub / name


def rebuild_zip(
    src: "str | Path",
    dest: "str | Path",
    *,
    drop: "tuple[str, ...]" = (),
    replace: "Dict[str, bytes] | None" = None,
    add: "List[tuple[str, bytes]] | None" = None,
) -> Path:
    """Copy the zip ``src`` to ``dest`` member by member, dropping, replacing
    (content only: RECORD is *not* updated) or appending members (duplicates allowed)."""
    import warnings

    replace = replace or {}
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicates some tests want
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = replace.get(info.filename, zin.read(info))
            zout.writestr(info, data)
        for name, data in add or []:
            new = zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 6))
            new.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(new, data)
    return Path(dest)


def patch_bytes(path: "str | Path", old: bytes, new: bytes, *, occurrence: int = 0) -> None:
    """Overwrite the ``occurrence``-th ``old`` in ``path`` with ``new`` (same length)."""
    assert len(old) == len(new)
    data = bytearray(Path(path).read_bytes())
    index = -1
    for _ in range(occurrence + 1):
        index = data.index(old, index + 1)
    data[index : index + len(old)] = new
    Path(path).write_bytes(bytes(data))
