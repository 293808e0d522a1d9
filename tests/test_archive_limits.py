"""The archive reader without a Python object per member (issue 11, item 1): what it answers, and where it stops.

``WheelArchive`` keeps the central directory as read plus arrays of what
each member needs, and finds members by name without a dict: in the names
joined by newlines for the first lookups, by a binary search over the
members sorted by name once lookups are many.  These tests compare every
answer with :mod:`zipfile` on wheels whose names are ASCII, UTF-8 and
cp437, and check the two limits that bound its memory: the central
directory's size, and the number of RECORD problems listed.  Peak memory
itself is measured per command in tests/test_hostile_corpus.py
(``members-200k``, under 100 MiB).
"""

from __future__ import annotations

import json
import os
import random
import struct
import zipfile

import pytest

from fixtures.wheel_factory import make_wheel
from tests.hostile_corpus import DIST_INFO, PLAIN_NAME, Entry, STORED, base_files, record_for, wheel_entries, write, zip_bytes
from varwheel.errors import InvalidWheel
from varwheel.wheel.archive import MAX_DIRECTORY_BYTES, MAX_PROBLEMS_PER_KIND, WheelArchive


def _names(rng: random.Random, count: int) -> list:
    alphabet = "abcdefghij/._-ÉéßΩж漢"
    out = set()
    while len(out) < count:
        out.add("demo/" + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))).strip("/") + ".py")
    return sorted(out - {"demo/.py"})


@pytest.mark.parametrize("count", [5, 300])  # a few lookups answered from the joined names; many by binary search
@pytest.mark.parametrize("kind", ["ascii", "utf-8"])
def test_lookups_by_name_agree_with_zipfile(tmp_path, count, kind):
    rng = random.Random(count)
    names = _names(rng, count)
    if kind == "ascii":
        names = [n.encode("ascii", "ignore").decode() for n in names]
        names = sorted(set(n for n in names if n.count("/") < 4 and not n.endswith("/.py")))
    files = {n: n.encode() for n in names}
    wheel = make_wheel(tmp_path, "demo", "1.0", files)
    with zipfile.ZipFile(wheel) as zf:
        expected = zf.namelist()
        infos = {i.filename: i for i in zf.infolist()}
    with WheelArchive(wheel) as archive:
        assert archive._dir.ascii == (kind == "ascii")
        assert list(archive.names) == expected and len(archive.names) == len(expected)
        probes = expected + [n + "x" for n in expected[:50]] + ["", "demo", "demo/", "zz", "\u00e9"]
        rng.shuffle(probes)
        for probe in probes:
            assert (probe in archive.names) == (probe in infos), probe
            if probe in infos:
                info = archive.getinfo(probe)
                assert (info.filename, info.header_offset, info.CRC) == (probe, infos[probe].header_offset, infos[probe].CRC)
                assert archive.read(probe) == (files[probe] if probe in files else zipfile.ZipFile(wheel).read(probe))
            else:
                with pytest.raises(KeyError):
                    archive.getinfo(probe)
        assert archive._dir.order is not None or len(probes) <= 16
        assert archive.file_count == len(expected) and archive.member_count == len(expected)
        assert archive.record_problems() == []


def test_cp437_names_are_found_as_zipfile_decodes_them(tmp_path):
    """A name stored without the UTF-8 flag is cp437: b'\\x82' is 'é' (zipfile's reading, and so pip's)."""
    fname, files = base_files()
    files["demo/caf\u00e9.py"] = b"x = 1\n"
    members = [Entry(n.encode("cp437") if "caf" in n else n, d) for n, d in files.items()]
    members.append(Entry(f"{DIST_INFO}/RECORD", record_for(files)))
    wheel = write(tmp_path, fname, zip_bytes(members))
    with zipfile.ZipFile(wheel) as zf:
        assert "demo/caf\u00e9.py" in zf.namelist()
    with WheelArchive(wheel) as archive:
        assert not archive._dir.ascii
        assert "demo/caf\u00e9.py" in archive.names and "demo/caf\u00c3\u00a9.py" not in archive.names
        assert archive.read("demo/caf\u00e9.py") == b"x = 1\n"
        assert archive.record_problems() == []


def test_folders_are_counted_apart_from_files(tmp_path):
    fname, files = base_files()
    members = [Entry("demo/", b"", method=STORED)] + wheel_entries(files)
    wheel = write(tmp_path, fname, zip_bytes(members))
    with WheelArchive(wheel) as archive:
        assert archive.member_count == len(files) + 2 and archive.file_count == len(files) + 1
        assert archive.record_problems() == []


def test_duplicate_names_are_refused_above_the_set_threshold_too(tmp_path, monkeypatch):
    """Up to 65,536 names a set finds a duplicate, above that a sort: both, on the same wheel."""
    import varwheel.wheel.archive as archive_module

    import warnings

    wheel = make_wheel(tmp_path, "demo", "1.0", {"demo/data.txt": "once\n"})
    with warnings.catch_warnings(), zipfile.ZipFile(wheel, "a") as zf:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate, and writes it
        zf.writestr("demo/data.txt", "again\n")
    for threshold in (65536, 1):
        monkeypatch.setattr(archive_module, "_SORT_UNIQUE_ABOVE", threshold)
        archive_module._LAST.clear()
        with pytest.raises(InvalidWheel, match="duplicate member names: demo/data.txt"):
            WheelArchive(wheel)


def test_a_central_directory_over_the_limit_is_refused_in_one_line(tmp_path, run_varwheel):
    """17 MiB of directory (long names, so the wheel is quick to write): refused before it is read."""
    fname, files = base_files()
    for i in range(280):
        files[f"demo/{i:03d}" + "n" * 60_000 + ".py"] = b""
    wheel = write(tmp_path / "in", fname, zip_bytes(wheel_entries(files, method=STORED)))
    with zipfile.ZipFile(wheel) as zf:  # a valid zip: zipfile reads it
        assert len(zf.namelist()) == len(files) + 1
    result = run_varwheel("show", wheel)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "its central directory is" in line and f"more than the {MAX_DIRECTORY_BYTES >> 20} MiB varwheel reads" in line


def test_record_problems_are_listed_up_to_a_limit_then_counted(tmp_path, run_varwheel):
    fname, files = base_files()
    extra = "".join(f"demo/gone{i}.py,sha256=AAAA,1\n" for i in range(MAX_PROBLEMS_PER_KIND + 1500))
    record = record_for(files) + extra.encode()
    wheel = write(tmp_path, fname, zip_bytes(wheel_entries(files, record=record)))
    with WheelArchive(wheel) as archive:
        problems = archive.record_problems()
    assert len(problems) == MAX_PROBLEMS_PER_KIND + 1
    assert {p.code for p in problems} == {"record-missing-member"}
    assert problems[0].path == "demo/gone0.py"
    assert problems[-1].message == (
        f"RECORD: 1500 more record-missing-member problems (only the first {MAX_PROBLEMS_PER_KIND} are listed)"
    )
    result = run_varwheel("check", "--json", wheel)
    assert result.returncode == 1
    errors = json.loads(result.stdout)["wheels"][0]["errors"]
    assert len(errors) == MAX_PROBLEMS_PER_KIND + 1 and "1500 more" in errors[-1]["message"]


def test_rows_listed_twice_are_reported_for_members_and_missing_files_alike(tmp_path):
    fname, files = base_files()
    record = record_for(files) + record_for({"demo/data.txt": files["demo/data.txt"]}).splitlines(True)[0]
    record += b"demo/gone.py,,\ndemo/gone.py,,\n"
    wheel = write(tmp_path, fname, zip_bytes(wheel_entries(files, record=record)))
    with WheelArchive(wheel) as archive:
        problems = [(p.code, p.path) for p in archive.record_problems()]
    assert problems == [
        ("record-duplicate", "demo/data.txt"), ("record-duplicate", "demo/gone.py"),
        ("record-missing-member", "demo/gone.py"),
    ]


def test_record_rows_in_another_order_than_the_members_are_all_found(tmp_path):
    """The walk tries the next member first; rows in reverse order take the binary search every time."""
    fname, files = base_files()
    for i in range(200):
        files[f"demo/m{i:03d}.py"] = b"%d\n" % i
    rows = record_for(files).splitlines(True)
    record = b"".join(reversed(rows))
    wheel = write(tmp_path, fname, zip_bytes(wheel_entries(files, record=record)))
    with WheelArchive(wheel) as archive:
        assert archive.record_problems() == []
        assert archive._dir.order is not None  # the sorted index was made


def test_the_record_is_read_once_per_file_state(tmp_path):
    """make-variant --verify opens a wheel twice: the second open reuses the RECORD the first one read."""
    wheel = make_wheel(tmp_path, "demo", "1.0", {"demo/a.py": "a = 1\n"})
    with WheelArchive(wheel) as first:
        record = first.record_file()
    with WheelArchive(wheel) as second:
        assert second.record_file() is record
    mtime = wheel.stat().st_mtime_ns
    os.utime(wheel, ns=(mtime + 10**9, mtime + 10**9))  # the same bytes, another modification time: read again
    with WheelArchive(wheel) as third:
        assert third.record_file() is not record and third.record_file().raw == record.raw


def test_offsets_beyond_any_file_are_refused_not_overflowed(tmp_path):
    """A ZIP64 offset near 2**64 does not fit the signed array of offsets: it is kept as 'far' and refused."""
    fname, files = base_files()
    data = bytearray(zip_bytes(wheel_entries(files), zip64=False))
    cd_offset = struct.unpack_from("<I", data, len(data) - 6)[0]
    # make the first entry's offset 0xFFFFFFFF with a ZIP64 extra giving 2**64 - 1: rebuild that entry
    entry_len = 46 + struct.unpack_from("<H", data, cd_offset + 28)[0]
    head = bytearray(data[cd_offset : cd_offset + entry_len])
    struct.pack_into("<H", head, 30, 12)
    struct.pack_into("<I", head, 42, 0xFFFFFFFF)
    extra = struct.pack("<HHQ", 0x0001, 8, (1 << 64) - 1)
    rest = data[cd_offset + entry_len :]
    new = data[:cd_offset] + head + extra + rest
    # the end record's directory size grows by the extra field
    size_at = len(new) - 22 + 12
    struct.pack_into("<I", new, size_at, struct.unpack_from("<I", new, size_at)[0] + len(extra))
    wheel = write(tmp_path, PLAIN_NAME, bytes(new))
    with pytest.raises(InvalidWheel, match="lies outside the archive's member area"):
        WheelArchive(wheel)
