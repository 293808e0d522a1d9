"""The streaming wheel rewriter: raw copy, RECORD, ZIP64, data descriptors, safety, reproducibility."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import struct
import sys
import time
import zipfile
from pathlib import Path

import pytest

from fixtures.wheel_factory import _Unseekable, make_wheel, record_line_hash
from tests.helpers_core import (
    SparseWriter,
    assert_kept_verbatim,
    assert_record_consistent,
    central_fields,
    structure_cases,
    files_in,
    local_header,
    patch_bytes,
    raw_member,
    rebuild_zip,
    run_measuring_peak_rss,
    sha256_file,
    sparse_files_supported,
)
from varwheel.errors import InvalidWheel, OutputError, OutputExists
from varwheel.wheel.make import make_variant
from varwheel.model.request import resolve_variant
from varwheel.wheel.output import atomic_output, copy_file_atomic
from varwheel.wheel.ranges import Sink
from varwheel.wheel.rewrite import _end_records, plan_copy, rewrite_wheel, write_rewritten
from varwheel.wheel.archive import WheelArchive
from varwheel.wheel.record import parse_record

V3 = resolve_variant(["x86_64 :: level :: v3"])
V4 = resolve_variant(["x86_64 :: level :: v4"], label="v4")
V3_JSON = V3.variant_json
DIST = "demo-1.0.dist-info"


def out_name(label="fa7c1393", name="demo"):
    return f"{name}-1.0-py3-none-any-{label}.whl"


# -- the normal case -----------------------------------------------------------------


def test_rewrite_copies_members_and_adds_variant_json(wheel_factory, tmp_path):
    src = wheel_factory(files={"demo/__init__.py": "X = 1\n", "demo/data.bin": os.urandom(5000)})
    before = sha256_file(src)
    dest = rewrite_wheel(src, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    assert dest == tmp_path / "out" / out_name()
    assert sha256_file(src) == before
    with zipfile.ZipFile(dest) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert zf.read(f"{DIST}/variant.json") == V3_JSON
    with zipfile.ZipFile(src) as zf:
        old_names = zf.namelist()
    # Same order, variant.json then RECORD last.
    assert names == [n for n in old_names if n != f"{DIST}/RECORD"] + [f"{DIST}/variant.json", f"{DIST}/RECORD"]
    kept = assert_kept_verbatim(src, dest)
    assert len(kept) == 4
    rows = assert_record_consistent(dest)
    assert [r.path for r in rows] == names
    assert rows[-2].hash == "sha256=" + base64.urlsafe_b64encode(
        hashlib.sha256(V3_JSON).digest()).rstrip(b"=").decode()
    assert files_in(tmp_path / "out") == [out_name()]
    with WheelArchive(dest) as archive:
        label, doc = archive.variant()
        assert label == "fa7c1393" and doc.dumps() == V3_JSON


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_any_compression_method_is_copied_without_recompressing(wheel_factory, tmp_path, compression):
    payload = b"compressible " * 4000
    src = wheel_factory(files={"demo/a.txt": payload}, compression=compression)
    dest = rewrite_wheel(src, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    assert_kept_verbatim(src, dest)
    with zipfile.ZipFile(dest) as zf:
        assert zf.getinfo("demo/a.txt").compress_type == compression
        assert zf.read("demo/a.txt") == payload
    assert_record_consistent(dest)


def test_directory_entries_extra_fields_and_archive_comment_survive(wheel_factory, tmp_path):
    src = wheel_factory()
    with_dirs = tmp_path / "d" / src.name
    with_dirs.parent.mkdir()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(with_dirs, "w") as zout:
        folder = zipfile.ZipInfo("demo/", (2024, 1, 2, 3, 4, 6))
        folder.external_attr = (0o40755 << 16) | 0x10
        zout.writestr(folder, b"")
        for info in zin.infolist():
            # An extended-timestamp extra field (0x5455), as Info-ZIP writes it.
            info.extra = struct.pack("<HHBI", 0x5455, 5, 1, 1704164646)
            zout.writestr(info, zin.read(info))
        zout.comment = b"built by a test"
    dest = rewrite_wheel(with_dirs, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    assert_kept_verbatim(with_dirs, dest)
    with zipfile.ZipFile(dest) as zf:
        assert zf.comment == b"built by a test"
        assert zf.getinfo("demo/").is_dir()
        assert zf.getinfo("demo/__init__.py").extra == struct.pack("<HHBI", 0x5455, 5, 1, 1704164646)
    assert_record_consistent(dest)


def test_removing_variant_json(wheel_factory, tmp_path):
    variant = rewrite_wheel(wheel_factory(), tmp_path / "v" / out_name(), variant_json=V3_JSON)
    plain = rewrite_wheel(variant, tmp_path / "p" / "demo-1.0-py3-none-any.whl", variant_json=None)
    with WheelArchive(plain) as archive:
        assert not archive.has_variant_json()
        assert archive.variant() is None
    assert_record_consistent(plain)


def test_replacing_a_member(wheel_factory, tmp_path):
    """``replace``: new bytes for METADATA, its RECORD row updated, its timestamp and mode kept, the rest copied raw."""
    src = wheel_factory(files={"demo/__init__.py": "X = 1\n", "demo/tool.sh": "#!/bin/sh\n"})
    metadata = f"{DIST}/METADATA"
    new = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: other>=2\n\n"
    dest = rewrite_wheel(src, tmp_path / "out" / out_name(), variant_json=V3_JSON, replace={metadata: new})
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest) as zf:
        assert zf.read(metadata) == new
        old_info, new_info = zin.getinfo(metadata), zf.getinfo(metadata)
        assert (new_info.date_time, new_info.external_attr) == (old_info.date_time, old_info.external_attr)
        assert zf.namelist()[-3:] == [metadata, f"{DIST}/variant.json", f"{DIST}/RECORD"]
    rows = assert_record_consistent(dest)
    assert [r.path for r in rows].count(metadata) == 1
    kept = [n for n in zipfile.ZipFile(src).namelist() if n not in (metadata, f"{DIST}/RECORD")]
    assert_kept_verbatim(src, dest, names=kept)
    with pytest.raises(InvalidWheel, match="'demo/missing.py' is missing, so it cannot be replaced"):
        rewrite_wheel(src, tmp_path / "x" / out_name(), variant_json=V3_JSON, replace={"demo/missing.py": b""})
    with pytest.raises(ValueError, match="replace cannot change"):
        rewrite_wheel(src, tmp_path / "y" / out_name(), variant_json=V3_JSON, replace={f"{DIST}/RECORD": b""})
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_names_that_need_csv_quoting(wheel_factory, tmp_path):
    files = {
        "demo/a,b.txt": b"comma",
        'demo/say "hi".txt': b"quote",
        "demo/caf\u00e9 \u2603.txt": b"utf-8",
        "demo/line,\"both\".txt": b"both",
    }
    src = wheel_factory(files=files)
    raw_record = zipfile.ZipFile(src).read(f"{DIST}/RECORD").decode()
    assert '"demo/a,b.txt"' in raw_record  # the factory wrote real CSV
    dest = rewrite_wheel(src, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    rows = assert_record_consistent(dest)
    assert {r.path for r in rows} >= set(files)
    new_record = zipfile.ZipFile(dest).read(f"{DIST}/RECORD").decode()
    assert '"demo/a,b.txt"' in new_record and '"demo/say ""hi"".txt"' in new_record
    parsed = [row[0] for row in csv.reader(io.StringIO(new_record))]
    assert set(files) <= set(parsed)
    with zipfile.ZipFile(dest) as zf:
        for name, data in files.items():
            assert zf.read(name) == data
    assert_kept_verbatim(src, dest)


# -- data descriptors ------------------------------------------------------------------


def test_members_with_data_descriptors(wheel_factory, tmp_path):
    src = wheel_factory(files={"demo/__init__.py": "X = 1\n", "demo/big.txt": b"x" * 100_000}, data_descriptor=True)
    with zipfile.ZipFile(src) as zf:
        assert all(i.flag_bits & 0x08 for i in zf.infolist())
    dest = rewrite_wheel(src, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    assert_kept_verbatim(src, dest)
    with zipfile.ZipFile(dest) as zf:
        assert zf.testzip() is None
        assert zf.getinfo("demo/big.txt").flag_bits & 0x08
        assert not zf.getinfo(f"{DIST}/RECORD").flag_bits & 0x08
    assert_record_consistent(dest)
    # The descriptor travelled with the data: the next local header follows it directly.
    with zipfile.ZipFile(dest) as zf:
        infos = zf.infolist()
    for this, following in zip(infos, infos[1:]):
        if this.flag_bits & 0x08:
            end = this.header_offset + len(local_header(dest, this)) + this.compress_size
            assert following.header_offset - end == 16  # signature + crc + two 32-bit sizes


def _zip64_descriptor_wheel(directory: Path) -> Path:
    """A wheel streamed with force_zip64: ZIP64 local extras and 24-byte data descriptors."""
    plain = make_wheel(directory / "plain", "demo", "1.0", {"demo/__init__.py": b"X = 1\n" * 1000})
    out = directory / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(plain) as src, open(out, "wb") as raw:
        with zipfile.ZipFile(_Unseekable(raw), "w") as zf:
            for info in src.infolist():
                new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                new.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(new, "w", force_zip64=True) as fh:
                    fh.write(src.read(info))
    return out


def test_zip64_data_descriptors(tmp_path):
    src = _zip64_descriptor_wheel(tmp_path / "in")
    dest = rewrite_wheel(src, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    assert_kept_verbatim(src, dest)
    with zipfile.ZipFile(dest) as zf:
        infos = zf.infolist()
        assert zf.testzip() is None
    first, second = infos[0], infos[1]
    assert first.flag_bits & 0x08
    end = first.header_offset + len(local_header(dest, first)) + first.compress_size
    assert second.header_offset - end == 24  # signature + crc + two 64-bit sizes
    assert_record_consistent(dest)


def test_data_descriptor_without_signature(wheel_factory, tmp_path):
    """The signature of a data descriptor is optional; both layouts must copy."""
    src = wheel_factory(data_descriptor=True)
    data = src.read_bytes()
    # Rebuild the archive by hand with signature-less descriptors.
    with zipfile.ZipFile(src) as zf:
        infos = zf.infolist()
    out = bytearray()
    central = bytearray()
    for info in infos:
        header = local_header(src, info)
        start = info.header_offset + len(header)
        body = data[start : start + info.compress_size]
        descriptor = data[start + info.compress_size : start + info.compress_size + 16]
        assert descriptor[:4] == b"PK\x07\x08"
        offset = len(out)
        out += header + body + descriptor[4:]
        name = info.filename.encode()
        central += struct.pack(
            "<4sBBHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 3, 20, info.flag_bits, info.compress_type,
            0, 0x5821, info.CRC, info.compress_size, info.file_size, len(name), 0, 0, 0, 0,
            info.external_attr, offset,
        ) + name
    cd_offset = len(out)
    out += central + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(infos), len(infos), len(central), cd_offset, 0)
    hand = tmp_path / "hand" / src.name
    hand.parent.mkdir()
    hand.write_bytes(bytes(out))
    with zipfile.ZipFile(hand) as zf:
        assert zf.testzip() is None
    dest = rewrite_wheel(hand, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    for info in infos:
        assert raw_member(hand, info.filename) == raw_member(dest, info.filename) or info.filename.endswith("RECORD")
    with zipfile.ZipFile(dest) as zf:
        assert zf.testzip() is None
    assert_record_consistent(dest)


# -- ZIP64 ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def many_wheel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("many")
    return make_wheel(folder / "in", "demo", "1.0", many=70000)


def test_more_than_65535_members_round_trip(many_wheel, tmp_path):
    dest = rewrite_wheel(many_wheel, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    data = dest.read_bytes()
    # ZIP64 end of central directory record + locator + the classic record with 0xFFFF.
    eocd = data.rindex(b"PK\x05\x06")
    assert struct.unpack_from("<HH", data, eocd + 8) == (0xFFFF, 0xFFFF)
    locator = data.rindex(b"PK\x06\x07")
    (eocd64_offset,) = struct.unpack_from("<Q", data, locator + 8)
    assert data[eocd64_offset : eocd64_offset + 4] == b"PK\x06\x06"
    total = struct.unpack_from("<Q", data, eocd64_offset + 32)[0]
    with zipfile.ZipFile(dest) as zf:
        infos = zf.infolist()
    assert total == len(infos) == 70000 + 3 + 2
    with zipfile.ZipFile(many_wheel) as zf:
        old = zf.infolist()
    sample = [old[0].filename, old[1].filename, old[35000].filename, old[69999].filename, f"{DIST}/WHEEL"]
    assert_kept_verbatim(many_wheel, dest, names=sample)
    with zipfile.ZipFile(dest) as zf:
        assert zf.read("demo/many/m069999.txt") == b"69999\n"
    assert_record_consistent(dest)
    # Rewriting the output with the same variant.json changes nothing at all.
    again = rewrite_wheel(dest, tmp_path / "again" / out_name(), variant_json=V3_JSON)
    assert again.read_bytes() == data


def test_zip64_end_record_exactly_from_65535_entries():
    for count, zip64 in ((65534, False), (65535, True)):
        buf = io.BytesIO()
        _end_records(Sink(buf), [b""] * count, count, b"")  # only the end records are under test here
        data = buf.getvalue()
        assert (b"PK\x06\x06" in data) == zip64
        eocd = data.rindex(b"PK\x05\x06")
        assert struct.unpack_from("<HH", data, eocd + 8) == ((0xFFFF,) * 2 if zip64 else (count,) * 2)


BIG = (1 << 32) + (3 << 20)  # 4 GiB + 3 MiB: both the size and the following offsets overflow 32 bits
#: RECORD hash of BIG zero bytes (computed once; hashing 4 GiB again would only slow the test).
BIG_ZEROS_HASH = "sha256=oapyxiKx9LNyhUe-UQuqp6v7VcIqZiOYN4uHbjTxJCA"


def test_sizes_and_offsets_past_4_gib(tmp_path):
    """A stored 4 GiB member (a sparse file: almost no disk) through the writer's ZIP64 paths.

    The rewriter's own output path goes through ``atomic_output`` into a normal
    file, which would really occupy 4 GiB; so this test drives the same
    plan and writer that ``rewrite_wheel`` uses into a sparse output.
    """
    if not sparse_files_supported(tmp_path):
        pytest.skip(f"the filesystem of {tmp_path} has no sparse files; this test would write 8 GiB")
    src = tmp_path / "demo-1.0-py3-none-any.whl"
    zero = bytes(1 << 20)
    rows = []
    raw = open(src, "wb")
    sparse = SparseWriter(raw)
    with zipfile.ZipFile(sparse, "w") as zf:
        def add(name, payload):
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 2, 3, 4, 6)), payload)
            rows.append([name, record_line_hash(payload), str(len(payload))])
        add("demo/__init__.py", b"X = 1\n")
        info = zipfile.ZipInfo("demo/big.bin", (2024, 1, 2, 3, 4, 6))
        with zf.open(info, "w", force_zip64=True) as fh:
            for _ in range(BIG >> 20):
                fh.write(zero)
        rows.append(["demo/big.bin", BIG_ZEROS_HASH, str(BIG)])
        add("demo/after.txt", b"after the 4 GiB member")
        add(f"{DIST}/METADATA", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n")
        add(f"{DIST}/WHEEL", b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        record = io.StringIO()
        csv.writer(record, lineterminator="\n").writerows(rows + [[f"{DIST}/RECORD", "", ""]])
        zf.writestr(zipfile.ZipInfo(f"{DIST}/RECORD", (2024, 1, 2, 3, 4, 6)), record.getvalue())
    sparse.close()
    assert os.stat(src).st_size > BIG
    assert os.stat(src).st_blocks * 512 < (64 << 20), "the input should be sparse"

    dest = tmp_path / "out" / out_name()
    dest.parent.mkdir()
    with WheelArchive(src) as archive:
        out_raw = open(dest, "wb")
        out = SparseWriter(out_raw)
        plan = plan_copy(archive, frozenset([archive.record_name]))
        assert len(plan.ranges) == 1  # every member but RECORD, the last, in one piece
        new = [(f"{DIST}/variant.json", V3_JSON), (archive.record_name, b"not checked here\n")]
        sink = write_rewritten(archive, out, plan, new, (2024, 1, 2, 3, 4, 6))
        assert sink.used == {"readwrite"}  # no file descriptor: through the buffer, zeros left as holes
        out.close()
    assert os.stat(dest).st_blocks * 512 < (64 << 20)

    with zipfile.ZipFile(dest) as zf:
        big = zf.getinfo("demo/big.bin")
        after = zf.getinfo("demo/after.txt")
        assert big.file_size == big.compress_size == BIG  # from the ZIP64 extra (sizes)
        assert after.header_offset > 1 << 32  # from the ZIP64 extra (offset)
        assert zf.getinfo(f"{DIST}/variant.json").header_offset > 1 << 32
        assert zf.read("demo/after.txt") == b"after the 4 GiB member"  # CRC checked
        assert zf.read(f"{DIST}/variant.json") == V3_JSON
        assert zf.read(f"{DIST}/WHEEL").startswith(b"Wheel-Version")
    assert_kept_verbatim(src, dest, names=["demo/__init__.py", "demo/after.txt", f"{DIST}/WHEEL"])
    with zipfile.ZipFile(src) as zin:
        assert local_header(src, zin.getinfo("demo/big.bin")) == local_header(dest, big)
    tail = _tail(dest, 4096)
    assert b"PK\x06\x06" in tail and b"PK\x06\x07" in tail  # cd offset > 4 GiB: ZIP64 end records


def _tail(path: Path, n: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(-n, os.SEEK_END)
        return fh.read()


# -- reproducibility -----------------------------------------------------------------------


def test_same_input_same_bytes(wheel_factory, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    src = wheel_factory(files={"demo/x.py": os.urandom(3000)})
    a = rewrite_wheel(src, tmp_path / "a" / out_name(), variant_json=V3_JSON)
    time.sleep(1.1)  # a wall-clock timestamp would now differ
    b = rewrite_wheel(src, tmp_path / "b" / out_name(), variant_json=V3_JSON)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf, zipfile.ZipFile(src) as zin:
        record_time = zin.getinfo(f"{DIST}/RECORD").date_time
        assert zf.getinfo(f"{DIST}/variant.json").date_time == record_time
        assert zf.getinfo(f"{DIST}/RECORD").date_time == record_time


def test_source_date_epoch_changes_only_the_new_members(wheel_factory, tmp_path, monkeypatch):
    src = wheel_factory()
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    plain = rewrite_wheel(src, tmp_path / "a" / out_name(), variant_json=V3_JSON)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    sde = rewrite_wheel(src, tmp_path / "b" / out_name(), variant_json=V3_JSON)
    sde2 = rewrite_wheel(src, tmp_path / "c" / out_name(), variant_json=V3_JSON)
    assert sde.read_bytes() == sde2.read_bytes()
    with zipfile.ZipFile(plain) as za, zipfile.ZipFile(sde) as zb:
        for a, b in zip(za.infolist(), zb.infolist()):
            assert a.filename == b.filename
            if a.filename in (f"{DIST}/variant.json", f"{DIST}/RECORD"):
                assert b.date_time == (2023, 11, 14, 22, 13, 20)
                assert a.date_time == (2024, 1, 2, 3, 4, 6)
                assert (a.CRC, a.compress_size) == (b.CRC, b.compress_size)
            else:
                assert central_fields(a) == central_fields(b)
    # Byte-level: the files differ only in the 4 timestamp bytes of 2 local and 2 central headers.
    x, y = plain.read_bytes(), sde.read_bytes()
    assert len(x) == len(y)
    diff = [i for i in range(len(x)) if x[i] != y[i]]
    assert 0 < len(diff) <= 16


@pytest.mark.parametrize("value, expected", [("0", (1980, 1, 1, 0, 0, 0)), ("99999999999", (2107, 12, 31, 23, 59, 58))])
def test_source_date_epoch_is_clamped_to_the_zip_range(wheel_factory, tmp_path, monkeypatch, value, expected):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    dest = rewrite_wheel(wheel_factory(), tmp_path / "out" / out_name(), variant_json=V3_JSON)
    with zipfile.ZipFile(dest) as zf:
        assert zf.getinfo(f"{DIST}/RECORD").date_time == expected


def test_invalid_source_date_epoch(wheel_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InvalidWheel, match="SOURCE_DATE_EPOCH='yesterday' is not an integer"):
        rewrite_wheel(wheel_factory(), tmp_path / "out" / out_name(), variant_json=V3_JSON)
    assert files_in(tmp_path / "out") == []


# -- re-variant --------------------------------------------------------------------------------


def test_a_variant_wheel_can_be_re_variant_ed(wheel_factory, tmp_path):
    src = wheel_factory(extra_dist_info={"RECORD.jws": "signature"})
    first = make_variant(src, tmp_path / "v3", V3)
    assert first.name == out_name("fa7c1393")
    second = make_variant(first, tmp_path / "v4", V4)
    assert second.name == out_name("v4")
    with zipfile.ZipFile(second) as zf:
        names = zf.namelist()
        assert names.count(f"{DIST}/variant.json") == 1
        assert f"{DIST}/RECORD.jws" not in names  # a signature over the old RECORD is void
        assert zf.read(f"{DIST}/variant.json") == V4.variant_json
    rows = assert_record_consistent(second)
    assert [r.path for r in rows].count(f"{DIST}/variant.json") == 1
    with WheelArchive(second) as archive:
        assert archive.variant()[0] == "v4"
    # Same as making v4 from the plain wheel directly (minus the dropped signature).
    direct = make_variant(rebuild_zip(src, tmp_path / "nosig" / src.name, drop=(f"{DIST}/RECORD.jws",)), tmp_path / "direct", V4)
    assert_kept_verbatim(direct, second)


def test_deferred_label_keeps_the_plain_name(wheel_factory, tmp_path):
    dest = make_variant(wheel_factory(), tmp_path / "out", V3, defer_label=True)
    assert dest.name == "demo-1.0-py3-none-any.whl"
    with WheelArchive(dest) as archive:
        assert archive.variant()[0] == "fa7c1393"


def test_labelled_name_without_variant_json_is_reported(wheel_factory, tmp_path):
    src = wheel_factory(label="v3")
    with WheelArchive(src) as archive, pytest.raises(Exception, match="carries label 'v3' but the wheel has no"):
        archive.variant()


# -- safety: input, existing output, failures ----------------------------------------------------


def test_refuses_to_write_over_its_input(wheel_factory, tmp_path):
    src = make_variant(wheel_factory(), tmp_path / "dist", V3)
    before = sha256_file(src)
    listing = files_in(src.parent)
    for force in (False, True):
        with pytest.raises(OutputExists, match="refusing to write over the input wheel"):
            rewrite_wheel(src, src, variant_json=V4.variant_json, force=force)
        with pytest.raises(OutputExists, match="refusing to write over the input wheel"):
            make_variant(src, src.parent, V3, force=force)
    assert sha256_file(src) == before
    assert files_in(src.parent) == listing


def test_refuses_a_hard_link_or_symlink_to_the_input(wheel_factory, tmp_path):
    src = wheel_factory()
    before = sha256_file(src)
    (tmp_path / "o").mkdir()
    link = tmp_path / "o" / out_name()
    os.link(src, link)
    with pytest.raises(OutputExists, match="refusing to write over the input"):
        rewrite_wheel(src, link, variant_json=V3_JSON, force=True)
    sym = tmp_path / "o" / out_name("v4")
    sym.symlink_to(src)
    with pytest.raises(OutputExists, match="refusing to write over the input"):
        rewrite_wheel(src, sym, variant_json=V3_JSON, force=True)
    assert sha256_file(src) == before
    assert sorted(files_in(tmp_path / "o")) == sorted([link.name, sym.name])


def test_existing_output_different_identical_and_forced(wheel_factory, tmp_path):
    src = wheel_factory()
    dest = tmp_path / "out" / out_name()
    dest.parent.mkdir()
    dest.write_bytes(b"something else")
    with pytest.raises(OutputExists, match="already exists with different content; pass --force"):
        rewrite_wheel(src, dest, variant_json=V3_JSON)
    assert dest.read_bytes() == b"something else"
    assert files_in(dest.parent) == [dest.name]
    rewrite_wheel(src, dest, variant_json=V3_JSON, force=True)
    good = dest.read_bytes()
    assert good != b"something else"
    assert_record_consistent(dest)
    # Identical content: left alone (same inode, no error, no --force needed).
    inode = os.stat(dest).st_ino
    rewrite_wheel(src, dest, variant_json=V3_JSON)
    assert os.stat(dest).st_ino == inode and dest.read_bytes() == good
    assert files_in(dest.parent) == [dest.name]


def test_output_is_a_directory(wheel_factory, tmp_path):
    (tmp_path / "out" / out_name()).mkdir(parents=True)
    with pytest.raises(OutputExists, match="is a directory"):
        rewrite_wheel(wheel_factory(), tmp_path / "out" / out_name(), variant_json=V3_JSON, force=True)
    assert files_in(tmp_path / "out") == [out_name()]


def test_unwritable_output_folder_is_a_clear_error(wheel_factory, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot write into"):
        rewrite_wheel(wheel_factory(), blocker / "sub" / out_name(), variant_json=V3_JSON)
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            with pytest.raises(OutputError, match="cannot write into"):
                rewrite_wheel(wheel_factory(), ro / out_name(), variant_json=V3_JSON)
        finally:
            ro.chmod(0o755)


def test_failure_while_writing_leaves_nothing(wheel_factory, tmp_path):
    src = wheel_factory(files={"demo/a.py": "A = 1\n", "demo/b.py": "B = 2\n", "demo/c.py": "C = 3\n"})
    broken = tmp_path / "broken" / src.name
    broken.parent.mkdir()
    broken.write_bytes(src.read_bytes())
    # Break the third member's local header: the central directory still reads fine,
    # so the failure happens after two members were already written.
    with zipfile.ZipFile(broken) as zf:
        offset = zf.getinfo("demo/c.py").header_offset
    data = bytearray(broken.read_bytes())
    data[offset : offset + 4] = b"XXXX"
    broken.write_bytes(bytes(data))
    before = sha256_file(broken)
    out = tmp_path / "new" / "deeper"
    with pytest.raises(InvalidWheel, match="'demo/c.py': bad local header"):
        rewrite_wheel(broken, out / out_name(), variant_json=V3_JSON)
    assert not (tmp_path / "new").exists()  # folders it created are gone too
    assert sha256_file(broken) == before
    existing = tmp_path / "existing"
    existing.mkdir()
    with pytest.raises(InvalidWheel):
        rewrite_wheel(broken, existing / out_name(), variant_json=V3_JSON)
    assert files_in(existing) == []


def test_local_and_central_names_must_agree(wheel_factory, tmp_path):
    src = wheel_factory(files={"demo/good.py": "X = 1\n"})
    # Rename the member in its local header only (same length).
    patch_bytes(src, b"demo/good.py", b"demo/evil.py", occurrence=0)
    with zipfile.ZipFile(src) as zf:
        assert "demo/good.py" in zf.namelist()
    with pytest.raises(InvalidWheel, match="its local header names it 'demo/evil.py'"):
        rewrite_wheel(src, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    assert files_in(tmp_path / "out") == []


def test_verify_passes_a_good_wheel_and_rejects_tampering(wheel_factory, tmp_path):
    src = wheel_factory(files={"demo/__init__.py": "X = 1\n", "demo/data.txt": "original\n"})
    ok = rewrite_wheel(src, tmp_path / "ok" / out_name(), variant_json=V3_JSON, verify=True)
    assert_record_consistent(ok)
    # Content changed after RECORD was written (zip CRC consistent, sha256 not).
    tampered = rebuild_zip(src, tmp_path / "t" / src.name, replace={"demo/data.txt": b"modified\n"})
    before = sha256_file(tampered)
    with pytest.raises(InvalidWheel, match=r"RECORD verification failed: demo/data\.txt: sha256 differs"):
        rewrite_wheel(tampered, tmp_path / "out" / out_name(), variant_json=V3_JSON, verify=True)
    assert sha256_file(tampered) == before
    assert not (tmp_path / "out").exists()
    # Bytes flipped inside the archive: the member cannot even be read back.
    store = make_wheel(tmp_path / "s", "demo", "1.0", {"demo/data.txt": b"original\n"}, compression=zipfile.ZIP_STORED)
    patch_bytes(store, b"original\n", b"0riginal\n")
    with pytest.raises(InvalidWheel, match=r"demo/data\.txt: cannot be read \(Bad CRC-32"):
        rewrite_wheel(store, tmp_path / "out2" / out_name(), variant_json=V3_JSON, verify=True)
    assert not (tmp_path / "out2").exists()
    # Members missing from RECORD, and RECORD rows for missing members.
    extra = rebuild_zip(src, tmp_path / "e" / src.name, add=[("demo/unlisted.py", b"")], drop=("demo/data.txt",))
    with pytest.raises(InvalidWheel) as info:
        rewrite_wheel(extra, tmp_path / "out3" / out_name(), variant_json=V3_JSON, verify=True)
    assert "demo/unlisted.py: not listed in RECORD" in str(info.value)
    assert "demo/data.txt: listed in RECORD but not in the wheel" in str(info.value)


def test_record_size_mismatch_and_foreign_hash(wheel_factory, tmp_path):
    src = wheel_factory(files={"demo/a.txt": "abc"})
    record = zipfile.ZipFile(src).read(f"{DIST}/RECORD").decode()
    good = record_line_hash(b"abc")
    bad_size = rebuild_zip(src, tmp_path / "s" / src.name, replace={f"{DIST}/RECORD": record.replace(f"{good},3", f"{good},4").encode()})
    with WheelArchive(bad_size) as archive:
        assert [str(p) for p in archive.record_problems()] == ["demo/a.txt: size 3 differs from RECORD's 4"]
    md5 = rebuild_zip(src, tmp_path / "m" / src.name, replace={f"{DIST}/RECORD": record.replace(good, "md5=kAFQmDzST7DWlj99KOF_cg").encode()})
    with WheelArchive(md5) as archive:
        assert [str(p) for p in archive.record_problems()] == ["demo/a.txt: RECORD hash 'md5=kAFQmDzST7DWlj99KOF_cg' uses no accepted algorithm"]


# -- structural checks before anything is written -------------------------------------------------


def test_structural_checks_happen_before_writing(wheel_factory, tmp_path):
    for what, (path, fragment) in structure_cases(wheel_factory(), tmp_path).items():
        before = sha256_file(path) if path.exists() else None
        out = tmp_path / "out" / what.replace(" ", "_")
        with pytest.raises(Exception) as info:
            rewrite_wheel(path, out / out_name(), variant_json=V3_JSON)
        assert info.type.__name__ in ("InvalidWheel", "InvalidFilename"), (what, info.value)
        assert fragment in str(info.value), what
        assert "\n" not in str(info.value)
        assert not out.exists(), what
        assert (sha256_file(path) if path.exists() else None) == before


def _central_entry_at(path: Path, name: str) -> int:
    """Where ``name``'s central directory entry starts in the file."""
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        at = zf.start_dir
        for info in zf.infolist():
            if info.filename == name:
                return at
            name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, at + 28)
            at += 46 + name_len + extra_len + comment_len
    raise KeyError(name)


def _patch(path: Path, at: int, fmt: str, value: int) -> None:
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, at, value)
    path.write_bytes(bytes(data))


def _overlapping_layouts(src: Path, tmp_path: Path) -> "dict[str, tuple[Path, str]]":
    """Copies of ``src`` whose members share bytes or lie outside the archive: ``{what: (path, error fragment)}``."""
    cases = {}
    with zipfile.ZipFile(src) as zf:
        first, second = zf.infolist()[:2]
        start_dir = zf.start_dir
    # A second directory entry for the first member's bytes under another name ("quoted" overlap: a zip bomb's trick).
    quoted = rebuild_zip(src, tmp_path / "quoted" / src.name, add=[("demo/zz_copy.py", b"X = 1\n")])
    with zipfile.ZipFile(quoted) as zf:
        alias_offset = zf.getinfo("demo/zz_copy.py").header_offset
    _patch(quoted, _central_entry_at(quoted, "demo/zz_copy.py") + 42, "<I", first.header_offset)
    assert alias_offset != first.header_offset
    cases["two entries, one member"] = (quoted, "overlap")
    # A compressed size that runs into the next member's local header.
    long = tmp_path / "long" / src.name
    long.parent.mkdir()
    long.write_bytes(src.read_bytes())
    _patch(long, _central_entry_at(long, first.filename) + 20, "<I", second.header_offset - first.header_offset)
    cases["compressed size into the next member"] = (long, f"members {first.filename!r} and {second.filename!r} overlap")
    # An offset past the start of the central directory.
    past = tmp_path / "past" / src.name
    past.parent.mkdir()
    past.write_bytes(src.read_bytes())
    _patch(past, _central_entry_at(past, second.filename) + 42, "<I", start_dir + 10)
    cases["offset into the central directory"] = (past, f"member {second.filename!r} (offset {start_dir + 10}")
    return cases


def test_overlapping_or_outside_members_are_refused_before_writing(wheel_factory, tmp_path, run_varwheel):
    src = wheel_factory(files={"demo/__init__.py": "X = 1\n", "demo/b.py": "B = 2\n" * 50, "demo/c.py": "C = 3\n"})
    for what, (path, fragment) in _overlapping_layouts(src, tmp_path).items():
        before = sha256_file(path)
        out = tmp_path / "out" / what.replace(" ", "_")
        with pytest.raises(InvalidWheel, match=re.escape(fragment)):
            rewrite_wheel(path, out / out_name(), variant_json=V3_JSON)
        assert not out.exists(), what
        proc = run_varwheel("make-variant", "-f", path, "-o", out, "-p", "x86_64 :: level :: v3")
        assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and fragment in proc.stderr, (what, proc)
        proc = run_varwheel("check", "--json", path)
        assert proc.returncode == 1, (what, proc)
        assert fragment in proc.stdout, (what, proc.stdout)
        assert not out.exists(), what
        assert sha256_file(path) == before, what


def test_a_local_header_running_into_the_next_member_is_refused(wheel_factory, tmp_path):
    """An extra field longer in the local header than room allows: only the local header tells, so the copy plan does."""
    src = wheel_factory(files={"demo/__init__.py": "X = 1\n", "demo/b.py": "B = 2\n"})
    with zipfile.ZipFile(src) as zf:
        first = zf.infolist()[0]
    _patch(src, first.header_offset + 28, "<H", 40)  # the local extra field's length
    with pytest.raises(InvalidWheel, match=f"member {first.filename!r} .* runs into the next member"):
        rewrite_wheel(src, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    assert not (tmp_path / "out").exists()
    with WheelArchive(src) as archive:  # reading it gives other bytes than the directory's CRC says
        assert [p.code for p in archive.record_problems()] == ["record-unreadable"]


@pytest.mark.parametrize("field, at, fmt, value", [
    ("method", 8, "<H", 0),  # stored, where the directory says deflated
    ("compressed size", 18, "<I", 3),
    ("CRC", 14, "<I", 0x12345678),
])
def test_a_local_header_contradicting_the_directory_is_refused(wheel_factory, tmp_path, run_varwheel, field, at, fmt, value):
    src = wheel_factory(files={"demo/__init__.py": "X = 1\n", "demo/data.txt": "data " * 100})
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo("demo/data.txt")
    _patch(src, info.header_offset + at, fmt, value)
    with pytest.raises(InvalidWheel, match="'demo/data.txt': its local header says"):
        rewrite_wheel(src, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    assert not (tmp_path / "out").exists()
    with WheelArchive(src) as archive:
        problems = archive.record_problems()
    assert [(p.code, p.path) for p in problems] == [("record-unreadable", "demo/data.txt")], field
    assert "its local header says" in problems[0].message


def test_a_data_descriptor_contradicting_the_directory_is_refused(wheel_factory, tmp_path):
    src = wheel_factory(files={"demo/__init__.py": "X = 1\n", "demo/data.txt": "data " * 100}, data_descriptor=True)
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo("demo/data.txt")
    descriptor = info.header_offset + len(local_header(src, info)) + info.compress_size
    assert src.read_bytes()[descriptor : descriptor + 4] == b"PK\x07\x08"
    _patch(src, descriptor + 4, "<I", info.CRC ^ 1)
    with pytest.raises(InvalidWheel, match="'demo/data.txt': its data descriptor says CRC"):
        rewrite_wheel(src, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    assert not (tmp_path / "out").exists()


def test_a_size_no_local_header_gives_is_refused(wheel_factory, tmp_path):
    """The directory's ZIP64 block says 1 TiB; the local header has 0xFFFFFFFF and no ZIP64 block; the data is 500 bytes."""
    src = wheel_factory(files={"demo/__init__.py": "X = 1\n", "demo/data.txt": "data " * 100})
    lie = rebuild_zip(src, tmp_path / "lie" / src.name)
    data = bytearray(lie.read_bytes())
    with zipfile.ZipFile(lie) as zf:
        info = zf.getinfo("demo/data.txt")
        start_dir = zf.start_dir
    entry = _central_entry_at(lie, "demo/data.txt")
    name_len, extra_len = struct.unpack_from("<HH", data, entry + 28)
    assert extra_len == 0
    zip64 = struct.pack("<HHQ", 0x0001, 8, 1 << 40)
    struct.pack_into("<I", data, entry + 24, 0xFFFFFFFF)  # uncompressed size: see the ZIP64 block
    struct.pack_into("<H", data, entry + 30, len(zip64))
    struct.pack_into("<I", data, info.header_offset + 22, 0xFFFFFFFF)  # the local header's, without a block
    cut = entry + 46 + name_len
    data[cut:cut] = zip64
    eocd = data.rindex(b"PK\x05\x06")
    cd_size = struct.unpack_from("<I", data, eocd + 12)[0]
    struct.pack_into("<I", data, eocd + 12, cd_size + len(zip64))
    assert struct.unpack_from("<I", data, eocd + 16)[0] == start_dir
    lie.write_bytes(bytes(data))
    with zipfile.ZipFile(lie) as zf:
        assert zf.getinfo("demo/data.txt").file_size == 1 << 40
        assert zf.read("demo/data.txt") == b"data " * 100  # zipfile reads what there is
    with pytest.raises(InvalidWheel, match="0xFFFFFFFF without the ZIP64 extra field"):
        rewrite_wheel(lie, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    with WheelArchive(lie) as archive:
        assert [p.code for p in archive.record_problems()] == ["record-unreadable"]
    assert not (tmp_path / "out").exists()


def test_members_before_the_start_of_the_file_are_refused(wheel_factory, tmp_path):
    """An end record that puts the central directory 1 GiB past the end: every member would lie before byte 0."""
    src = wheel_factory()
    data = bytearray(src.read_bytes())
    eocd = data.rindex(b"PK\x05\x06")
    struct.pack_into("<I", data, eocd + 16, struct.unpack_from("<I", data, eocd + 16)[0] + (1 << 30))
    src.write_bytes(bytes(data))
    with pytest.raises(InvalidWheel, match=r"\(offset -\d+, .* lies outside the archive's member area"):
        WheelArchive(src)


def test_members_read_whole_are_bounded(wheel_factory, tmp_path):
    """A RECORD (or variant.json) that inflates past its bound is refused while it is read, not read whole."""
    from varwheel.wheel.archive import MAX_MEMBER_READ
    from varwheel.wheel.record import MAX_RECORD_BYTES

    src = wheel_factory()
    bomb = rebuild_zip(src, tmp_path / "bomb" / src.name, replace={f"{DIST}/RECORD": b"a" * (MAX_RECORD_BYTES + 1)})
    assert bomb.stat().st_size < MAX_RECORD_BYTES // 100  # deflated: a few tens of KB
    with pytest.raises(InvalidWheel, match="RECORD' inflates to more than 32 MiB"):
        rewrite_wheel(bomb, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    with WheelArchive(bomb) as archive, pytest.raises(InvalidWheel, match="inflates to more than"):
        archive.record_problems()
    vj = rebuild_zip(src, tmp_path / "vj" / src.name, add=[(f"{DIST}/variant.json", b" " * (MAX_MEMBER_READ + 1))])
    with WheelArchive(vj) as archive, pytest.raises(InvalidWheel, match="variant.json' inflates to more than 16 MiB"):
        archive.variant_document()
    assert not (tmp_path / "out").exists()


def test_a_nul_in_record_is_refused(wheel_factory, tmp_path):
    src = wheel_factory()
    record = zipfile.ZipFile(src).read(f"{DIST}/RECORD")
    bad = rebuild_zip(src, tmp_path / "nul" / src.name, replace={f"{DIST}/RECORD": record + b"demo/a\x00.py,,\n"})
    with pytest.raises(InvalidWheel, match=r"RECORD, line \d+: contains a NUL character"):
        rewrite_wheel(bad, tmp_path / "out" / out_name(), variant_json=V3_JSON)
    with WheelArchive(bad) as archive, pytest.raises(InvalidWheel, match="NUL"):
        archive.record()
    assert not (tmp_path / "out").exists()


def test_dist_info_match_uses_normalized_name_and_version(tmp_path):
    src = make_wheel(tmp_path, "My.Pkg", "1.0", {"my_pkg/__init__.py": b""})
    # The factory names the dist-info 'My.Pkg-1.0.dist-info' and the file 'My.Pkg-1.0-...'.
    renamed = tmp_path / "out0" / "my_pkg-1.0.0-py3-none-any.whl"
    renamed.parent.mkdir()
    renamed.write_bytes(src.read_bytes())
    dest = rewrite_wheel(renamed, tmp_path / "out" / "my_pkg-1.0.0-py3-none-any-fa7c1393.whl", variant_json=V3_JSON)
    assert_record_consistent(dest)


# -- the small pieces ------------------------------------------------------------------------------


def test_parse_record_rejects_malformed_rows():
    with pytest.raises(InvalidWheel, match="line 2: expected 3 fields"):
        parse_record(b"a,sha256=x,1\nb,c\n")
    with pytest.raises(InvalidWheel, match="not UTF-8"):
        parse_record(b"\xff,,\n")
    assert [r.path for r in parse_record(b'"a,b",h,1\r\n\nc,,\n')] == ["a,b", "c"]


def test_atomic_output_keeps_nothing_on_exception(tmp_path):
    dest = tmp_path / "deep" / "er" / "file.bin"
    with pytest.raises(RuntimeError):
        with atomic_output(dest) as fh:
            fh.write(b"partial")
            raise RuntimeError("boom")
    assert not (tmp_path / "deep").exists()


def test_copy_file_atomic(tmp_path):
    src = tmp_path / "a.whl"
    src.write_bytes(b"abc")
    copy_file_atomic(src, tmp_path / "o" / "b.whl")
    assert (tmp_path / "o" / "b.whl").read_bytes() == b"abc"
    with pytest.raises(OutputExists, match="onto itself"):
        copy_file_atomic(src, src)
    (tmp_path / "o" / "c.whl").write_bytes(b"other")
    with pytest.raises(OutputExists):
        copy_file_atomic(src, tmp_path / "o" / "c.whl")
    copy_file_atomic(src, tmp_path / "o" / "c.whl", force=True)
    assert (tmp_path / "o" / "c.whl").read_bytes() == b"abc"
    assert files_in(tmp_path / "o") == ["b.whl", "c.whl"]


# -- memory -------------------------------------------------------------------------------------------

WHEEL_MB = 300


def test_memory_stays_flat_for_a_large_wheel(tmp_path):
    """Peak RSS of ``make-variant --verify`` on a 300 MB wheel of random data stays far below it.

    A lenient bound (a third of the wheel) that any whole-member or
    whole-file buffering would break; timing is measured in bench/, not here.
    """
    src = tmp_path / "in" / "big-1.0-py3-none-any.whl"
    src.parent.mkdir()
    rows = []
    with zipfile.ZipFile(src, "w") as zf:
        for i in range(3):
            name = f"big/blob{i}.bin"
            digest = hashlib.sha256()
            with zf.open(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), "w") as fh:
                for _ in range(WHEEL_MB // 3):
                    chunk = os.urandom(1 << 20)
                    fh.write(chunk)
                    digest.update(chunk)
            rows.append([name, "sha256=" + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode(), str((WHEEL_MB // 3) << 20)])
        for name, payload in (("big-1.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: big\nVersion: 1.0\n\n"),
                              ("big-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n")):
            zf.writestr(name, payload)
            rows.append([name, record_line_hash(payload), str(len(payload))])
        record = io.StringIO()
        csv.writer(record, lineterminator="\n").writerows(rows + [["big-1.0.dist-info/RECORD", "", ""]])
        zf.writestr("big-1.0.dist-info/RECORD", record.getvalue())
    size = src.stat().st_size
    assert size >= WHEEL_MB << 20
    if not Path("/proc/self/status").exists():
        pytest.skip("peak RSS is read from /proc/<pid>/status, which this OS does not have")
    log = tmp_path / "log.txt"
    status, peak = run_measuring_peak_rss(
        [sys.executable, "-m", "varwheel", "make-variant", "-f", str(src), "-o", str(tmp_path / "out"),
         "-p", "x86_64 :: level :: v3", "--verify"],
        log=log,
    )
    assert status == 0, log.read_text()
    assert peak > 0, "no VmHWM reading was taken"
    assert peak < size / 3, f"peak RSS {peak >> 20} MiB for a {size >> 20} MiB wheel"
    dest = tmp_path / "out" / "big-1.0-py3-none-any-fa7c1393.whl"
    assert raw_member(src, "big/blob1.bin") == raw_member(dest, "big/blob1.bin")


def test_output_batch_is_all_or_nothing(tmp_path):
    from varwheel.errors import InvalidInput
    from varwheel.wheel.output import OutputBatch, atomic_output

    existing = tmp_path / "out" / "keep.txt"
    existing.parent.mkdir()
    existing.write_bytes(b"before")
    nested = tmp_path / "out" / "new" / "deeper"

    batch = OutputBatch()
    batch.plan(nested / "a.bin", "src-a")
    with pytest.raises(InvalidInput, match="would both be written"):
        batch.plan(nested / "a.bin", "src-b")

    def produce(dest, data):
        with atomic_output(dest) as fh:
            fh.write(data)
        return dest

    with pytest.raises(RuntimeError):
        with batch:
            batch.write(nested / "a.bin", lambda: produce(nested / "a.bin", b"a"))
            assert (nested / "a.bin").read_bytes() == b"a"
            raise RuntimeError("the second output failed")
    # What the batch created is gone, folders included; what existed is untouched.
    assert not (tmp_path / "out" / "new").exists()
    assert existing.read_bytes() == b"before"
