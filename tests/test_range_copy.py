"""The range copy: kept members copied as whole byte ranges in the kernel give the bytes the buffer loop gives.

``rewrite_wheel(copy_method=...)`` chooses how the kept members' bytes reach
the output: ``auto`` (``os.copy_file_range``, falling back to ``os.sendfile``,
then a 1 MiB read/write loop), or one of those ways alone.  Every layout a
wheel can have must come out byte for byte the same whichever way is used:
one range (RECORD last), members with data descriptors, ZIP64 (extra fields
and 24-byte descriptors; end records), RECORD in the middle (members after it
move, their directory entries get new offsets), bytes in front of the archive
and junk between members (ranges split).  Each output is also checked on its
own: ``zipfile`` reads it back with every CRC right, each kept member's local
header, data and directory fields are the input's, and RECORD matches.
"""

from __future__ import annotations

import errno
import os
import struct
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest

from fixtures.wheel_factory import _Unseekable, make_wheel
from tests.helpers_core import assert_kept_verbatim, assert_record_consistent
from varwheel.model.request import resolve_variant
from varwheel.wheel.archive import WheelArchive
from varwheel.wheel.output import atomic_output
from varwheel.wheel.ranges import COPY_METHODS
from varwheel.wheel.rewrite import plan_copy, rewrite_wheel, write_rewritten

V3_JSON = resolve_variant(["x86_64 :: level :: v3"]).variant_json
DIST = "demo-1.0.dist-info"
OUT = "demo-1.0-py3-none-any-fa7c1393.whl"
FILES = {
    "demo/__init__.py": b"X = 1\n" * 300,
    "demo/data.bin": os.urandom(70_000),
    "demo/zeros.bin": bytes(200_000),
    "demo/big.bin": os.urandom(5 << 19),  # 2.5 MiB: more than one buffer of the read/write loop
    "demo/sub/mod.py": b"def f():\n    return 42\n" * 50,
}


def _kernel_copy_works(way: str, folder: Path) -> Optional[str]:
    """``None`` when ``os.<way>`` copies between two files in ``folder``; else why not."""
    if not hasattr(os, way):
        return f"this system has no os.{way}"
    src, dst = folder / f".{way}-src", folder / f".{way}-dst"
    src.write_bytes(b"x" * 10_000)
    try:
        with open(src, "rb") as a, open(dst, "wb") as b:
            if way == "copy_file_range":
                os.copy_file_range(a.fileno(), b.fileno(), 10_000, 0)
            else:
                os.sendfile(b.fileno(), a.fileno(), 0, 10_000)
    except OSError as exc:
        return f"os.{way} between two files in {folder} fails here ({errno.errorcode.get(exc.errno or 0, exc)})"
    finally:
        src.unlink()
        dst.unlink(missing_ok=True)
    return None


def _methods(folder: Path) -> List[str]:
    """``auto``, ``readwrite``, and the kernel ways that work here (the others are not a choice on this system)."""
    return [m for m in COPY_METHODS if m in ("auto", "readwrite") or _kernel_copy_works(m, folder) is None]


# -- building the layouts ------------------------------------------------------------------------


def _pieces(path: Path) -> "tuple[Dict[str, bytes], Dict[str, bytes]]":
    """Each member's bytes in the file (local header to data descriptor) and its central directory entry."""
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        start_dir = zf.start_dir
    local: Dict[str, bytes] = {}
    for info in infos:
        start = info.header_offset
        name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
        end = start + 30 + name_len + extra_len + info.compress_size
        if info.flag_bits & 0x08:
            extra = data[start + 30 + name_len : start + 30 + name_len + extra_len]
            zip64 = b"\x01\x00" in extra[:2] or info.compress_size >= 0xFFFFFFFF
            end += (4 if data[end : end + 4] == b"PK\x07\x08" else 0) + 4 + (16 if zip64 else 8)
        local[info.filename] = data[start:end]
    central: Dict[str, bytes] = {}
    at = start_dir
    for info in infos:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, at + 28)
        size = 46 + name_len + extra_len + comment_len
        central[info.filename] = data[at : at + size]
        at += size
    return local, central


def reassemble(
    src: Path, dest: Path, *, order: Optional[Sequence[str]] = None, prefix: bytes = b"",
    junk_after: Sequence[str] = (), zip64_end: bool = False,
) -> Path:
    """``src``'s members, byte for byte, in ``order``, with ``prefix`` in front, junk after some, ZIP64 end records."""
    local, central = _pieces(src)
    out = bytearray(prefix)
    entries = []
    for name in order or list(local):
        offset = len(out) - len(prefix)  # offsets count from the archive's start: the prefix is not part of it
        out += local[name]
        entry = bytearray(central[name])
        struct.pack_into("<I", entry, 42, offset)
        entries.append(bytes(entry))
        if name in junk_after:
            out += b"not a zip record " * 7
    cd_offset = len(out) - len(prefix)
    cd = b"".join(entries)
    out += cd
    count = len(entries)
    if zip64_end:
        eocd64 = len(out) - len(prefix)
        out += struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(cd), cd_offset)
        out += struct.pack("<4sIQI", b"PK\x06\x07", 0, eocd64, 1)
        out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(cd), cd_offset, 0)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(bytes(out))
    with zipfile.ZipFile(dest) as zf:  # the layout is a real zip: zipfile reads every member back
        assert zf.testzip() is None
    return dest


def _zip64_streamed(folder: Path) -> Path:
    """Every member streamed with ``force_zip64``: ZIP64 local extra fields and 24-byte data descriptors."""
    plain = make_wheel(folder / "plain", "demo", "1.0", FILES)
    out = folder / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(plain) as src, open(out, "wb") as raw:
        with zipfile.ZipFile(_Unseekable(raw), "w") as zf:
            for info in src.infolist():
                new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                new.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(new, "w", force_zip64=True) as fh:
                    fh.write(src.read(info))
    return out


def _record_in_the_middle(folder: Path) -> Path:
    plain = make_wheel(folder / "plain", "demo", "1.0", FILES)
    with zipfile.ZipFile(plain) as zf:
        names = zf.namelist()
    names.remove(f"{DIST}/RECORD")
    order = names[:2] + [f"{DIST}/RECORD"] + names[2:]
    return reassemble(plain, folder / plain.name, order=order)


def _variant_json_first(folder: Path) -> Path:
    """A variant wheel whose variant.json and RECORD come before the modules (a re-variant moves everything)."""
    plain = make_wheel(folder / "plain", "demo", "1.0", FILES, extra_dist_info={"variant.json": V3_JSON})
    with zipfile.ZipFile(plain) as zf:
        names = zf.namelist()
    first = [f"{DIST}/variant.json", f"{DIST}/RECORD"]
    return reassemble(plain, folder / plain.name, order=first + [n for n in names if n not in first])


LAYOUTS = {
    # name: (builder, ranges in the copy plan)
    "plain": (lambda d: make_wheel(d, "demo", "1.0", FILES), 1),
    "data-descriptors": (lambda d: make_wheel(d, "demo", "1.0", FILES, data_descriptor=True), 1),
    "zip64-extras-and-descriptors": (_zip64_streamed, 1),
    "zip64-end-records": (lambda d: reassemble(make_wheel(d / "p", "demo", "1.0", FILES), d / "demo-1.0-py3-none-any.whl",
                                               zip64_end=True), 1),
    "record-not-last": (_record_in_the_middle, 2),
    "variant-json-and-record-first": (_variant_json_first, 1),
    "bytes-in-front": (lambda d: reassemble(make_wheel(d / "p", "demo", "1.0", FILES), d / "demo-1.0-py3-none-any.whl",
                                            prefix=b"#!/bin/sh\nexit 0\n" * 9), 1),
    "junk-between-members": (lambda d: reassemble(make_wheel(d / "p", "demo", "1.0", FILES), d / "demo-1.0-py3-none-any.whl",
                                                  junk_after=("demo/data.bin",)), 2),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_copy_method_writes_the_same_bytes(tmp_path, layout):
    build, ranges = LAYOUTS[layout]
    src = build(tmp_path / "in")
    with WheelArchive(src) as archive:
        plan = plan_copy(archive, frozenset({archive.record_name, archive.variant_json_name}))
        assert len(plan.ranges) == ranges, plan.ranges
    outputs = {}
    for method in _methods(tmp_path):
        outputs[method] = rewrite_wheel(src, tmp_path / method / OUT, variant_json=V3_JSON, copy_method=method).read_bytes()
    assert {"auto", "readwrite"} <= set(outputs)
    reference = outputs["readwrite"]
    for method, data in outputs.items():
        assert data == reference, f"{method} and readwrite differ ({layout})"
    dest = tmp_path / "readwrite" / OUT
    with zipfile.ZipFile(dest) as zf:
        assert zf.testzip() is None
        assert zf.read(f"{DIST}/variant.json") == V3_JSON
        assert zf.namelist()[-1] == f"{DIST}/RECORD"
    assert_kept_verbatim(src, dest)
    assert_record_consistent(dest)


def test_members_that_keep_their_offsets_keep_their_directory_entries_byte_for_byte(tmp_path):
    src = make_wheel(tmp_path / "in", "demo", "1.0", FILES)
    _, before = _pieces(src)
    dest = rewrite_wheel(src, tmp_path / "out" / OUT, variant_json=V3_JSON)
    _, after = _pieces(dest)
    kept = [n for n in before if n != f"{DIST}/RECORD"]
    assert all(before[n] == after[n] for n in kept)
    # Moved members (after RECORD) differ in their offset field only.
    middle = _record_in_the_middle(tmp_path / "mid")
    _, before = _pieces(middle)
    dest = rewrite_wheel(middle, tmp_path / "out2" / OUT, variant_json=V3_JSON)
    _, after = _pieces(dest)
    moved = [n for n in before if n not in (f"{DIST}/RECORD",) and before[n] != after[n]]
    assert moved, "the members after RECORD should have moved"
    for name in moved:
        assert before[name][:42] == after[name][:42] and before[name][46:] == after[name][46:], name


def test_auto_copies_the_kept_members_as_one_range_in_the_kernel(tmp_path):
    src = make_wheel(tmp_path / "in", "demo", "1.0", FILES)
    kernel = "copy_file_range" if _kernel_copy_works("copy_file_range", tmp_path) is None else "sendfile"
    if _kernel_copy_works(kernel, tmp_path) is not None:
        pytest.skip(f"neither copy_file_range nor sendfile copies between files in {tmp_path} on this system")
    with WheelArchive(src) as archive:
        plan = plan_copy(archive, frozenset({archive.record_name}))
        (start, length), = plan.ranges
        assert start == 0 and length == plan.size
        with atomic_output(tmp_path / "out" / OUT) as out:
            sink = write_rewritten(archive, out, plan, [(archive.record_name, b"")], (2024, 1, 2, 3, 4, 6))
    assert sink.used == {kernel}
    data = (tmp_path / "out" / OUT).read_bytes()
    assert data[:length] == src.read_bytes()[:length]


def test_an_unknown_copy_method_is_refused(tmp_path):
    src = make_wheel(tmp_path / "in", "demo", "1.0", FILES)
    with pytest.raises(ValueError, match="copy_method must be one of"):
        rewrite_wheel(src, tmp_path / "out" / OUT, variant_json=V3_JSON, copy_method="mmap")  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()
