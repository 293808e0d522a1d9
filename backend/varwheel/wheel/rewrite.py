"""Streaming wheel rewrite: copy members raw, swap variant.json, regenerate RECORD.

Every kept member is copied as it is on disk, local header, compressed bytes
and data descriptor included: nothing is inflated or deflated.  Members that
follow each other in the input form contiguous byte ranges, and each range is
copied whole, in the kernel where the system can (``os.copy_file_range``:
on XFS and btrfs the output then shares the input's extents instead of
copying them; ``os.sendfile`` elsewhere on Linux), else through one 1 MiB
buffer.  A wheel's RECORD is conventionally its last member, so a wheel is
usually one range: its cost is ``cp``'s plus a constant.  Only
``variant.json``, ``RECORD`` and the end records are new; the central
directory entry of every member that keeps its offset is written back byte
for byte, and a member that moves gets its entry with the new offset (ZIP64
where the offset needs it).  ZIP64 end records are written when the member
count, an offset or the central directory's size needs them.

Before anything is written, each copied member's local header is read and
checked against the central directory (signature, name), and its exact extent
(header, data, data descriptor) must end before the next member starts.

Safety rules (the "never destroy input" principle):

* the input is opened and checked (:class:`~varwheel.wheel.archive.WheelArchive`)
  before anything is written;
* output goes to a temporary file in the output folder, renamed into place;
* the output path may not be the input; an existing different file is
  replaced only with ``force``; an identical one is left untouched;
* the input must still be what it was when it was opened (size, times,
  inode) once its last byte is copied: a wheel another process wrote
  meanwhile gives an error and no output
  (:meth:`~varwheel.wheel.archive.WheelArchive.check_unchanged`);
* on any failure the temporary file is removed.

Memory does not grow with the member count: the plan holds one entry per
run of neighbouring members (usually one), the directory entries that are
written back are views of the input's directory, and the new RECORD is the
old one's bytes, in slices, plus the new rows
(:meth:`~varwheel.wheel.record.Record.rewritten`).

Reproducibility: new members get their timestamp from ``SOURCE_DATE_EPOCH``
when set, otherwise from the input's RECORD member, so the same input and
arguments give byte-identical output, whichever way the bytes were copied.

Example::

    rewrite_wheel("dist/pkg-1.0-py3-none-any.whl",
                  "out/pkg-1.0-py3-none-any-v3.whl",
                  variant_json=request.variant_json)
"""

from __future__ import annotations

import itertools
import os
import struct
import time
import zlib
from array import array
from pathlib import Path
from typing import (
    AbstractSet, BinaryIO, FrozenSet, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union,
)

from varwheel.errors import InvalidWheel, OutputExists
from varwheel.model.filename import WheelFilename
from varwheel.wheel.archive import CHUNK, WheelArchive, _Directory, _Unreadable
from varwheel.wheel.output import atomic_output, same_path
from varwheel.wheel.ranges import COPY_METHODS, CopyMethod, Sink
from varwheel.wheel.record import record_hash

__all__ = [
    "rewrite_wheel",
    "new_member_date_time",
]

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
#: A local header's signature and extra field length (what the copy plan needs from it).
_LOCAL_HEAD = struct.Struct("<4s24xH")
_CENTRAL = struct.Struct("<4sBBHHHHHIIIHHHHHII")
_EOCD = struct.Struct("<4sHHHHIIH")
_EOCD64 = struct.Struct("<4sQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<4sIQI")
_U32 = 0xFFFFFFFF
_U16 = 0xFFFF
_ZIP_MIN_EPOCH = 315532800  # 1980-01-01T00:00:00Z
_ZIP_MAX_EPOCH = 4354819198  # 2107-12-31T23:59:58Z

#: Local headers are read through a window this large: one read covers the headers of many small members.
_WINDOW = 1 << 18
#: Members planned at a time: what the plan holds of the directory's arrays as Python lists.
_BLOCK = 4096


def new_member_date_time(archive: WheelArchive) -> Tuple[int, int, int, int, int, int]:
    """Timestamp for members we create: ``SOURCE_DATE_EPOCH`` or the input RECORD's."""
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde:
        try:
            seconds = int(sde)
        except ValueError:
            raise InvalidWheel(f"SOURCE_DATE_EPOCH={sde!r} is not an integer number of seconds") from None
        # A zip (DOS) timestamp covers 1980-01-01 .. 2107-12-31: clamp like the
        # wheel and build tools do rather than fail or wrap around.
        seconds = min(max(seconds, _ZIP_MIN_EPOCH), _ZIP_MAX_EPOCH)
        return time.gmtime(seconds)[:6]
    return archive.getinfo(archive.record_name).date_time


def _dos_date_time(dt: Tuple[int, int, int, int, int, int]) -> Tuple[int, int]:
    year, month, day, hour, minute, second = dt
    return ((year - 1980) << 9 | month << 5 | day), (hour << 11 | minute << 5 | second // 2)


# -- the plan: what is copied, what the central directory says ---------------------------------------


class _Moved:
    """Kept members ``first``..``last`` (directory indices, the dropped ones skipped) that move by ``shift`` bytes.

    Their directory entries are made while the directory is written, not held
    in the plan (a wheel whose first member is dropped moves every member).
    """

    __slots__ = ("first", "last", "shift")

    def __init__(self, first: int, last: int, shift: int) -> None:
        self.first, self.last, self.shift = first, last, shift


class _Plan:
    """What a rewrite copies and the central directory entries of what it copies.

    ``ranges``: ``(start, length)`` in the input, in output order.
    ``entries``: the kept members' central directory entries, in order: a
    run of entries written back unchanged is one slice of the directory (a
    view, not a copy), a run of members that move is a :class:`_Moved`.
    ``size``: the bytes the ranges add up to (where new members start).
    ``dropped``: the directory indices not copied.
    """

    __slots__ = ("ranges", "entries", "size", "count", "dropped")

    def __init__(self) -> None:
        self.ranges: List[Tuple[int, int]] = []
        self.entries: List["memoryview | _Moved"] = []
        self.size = 0
        self.count = 0
        self.dropped: FrozenSet[int] = frozenset()


def _next_starts(d: _Directory) -> "Optional[array[int]]":
    """For each member, where the next member in the file starts (or the central directory); ``None`` when
    the members lie in directory order (the next start is then the next member's offset)."""
    if d.in_order:
        return None
    offsets = d.offsets
    order = sorted(range(d.count), key=offsets.__getitem__)
    following = array("q", [d.cd_start]) * d.count
    for a, b in zip(order, order[1:]):
        following[a] = offsets[b]
    return following


def _kept_segments(count: int, dropped: "List[int]") -> Iterator[Tuple[int, int]]:
    """The index ranges ``[a, b)`` of the members between the dropped ones."""
    a = 0
    for i in dropped:
        if i > a:
            yield a, i
        a = i + 1
    if a < count:
        yield a, count


def plan_copy(archive: WheelArchive, drop: "AbstractSet[str]") -> _Plan:
    """Read the local header of every member not in ``drop``, check it, and group the members into ranges.

    Members are kept in central directory order, as they are written.  A
    member's local header must be one and name the member as the directory
    does; its exact extent (header, extra field, data, data descriptor) must
    end before the next member in the file starts.  Raises
    :class:`~varwheel.errors.InvalidWheel` naming the member.

    The loop over members does only that check and notices where a run of
    neighbouring members ends; ranges and directory entries are made per
    run, not per member, and nothing per member is kept.
    """
    d = archive._dir
    fh = archive._fh
    cd = d.cd
    count = d.count
    offsets, csizes, flags, name_lens, pos = d.offsets, d.csizes, d.flags, d.name_lens, d.pos
    dropped = sorted({i for i in map(d.index_of, drop) if i >= 0})
    plan = _Plan()
    plan.dropped = frozenset(dropped)
    plan.count = count - len(dropped)
    following = _next_starts(d)
    cd_start = d.cd_start
    wide = d.wide  # some entry's 32-bit size is 0xFFFFFFFF: its sizes are in a ZIP64 extra field
    head = _LOCAL_HEAD.unpack_from
    signature = b"PK\x03\x04"
    window = bytearray(_WINDOW)  # bytearray, not memoryview: slices compare with bytes 2x faster
    view = memoryview(window)
    window_start = window_end = 0
    out = 0
    run_first = run_last = run_start = run_end = -1

    def close_run() -> None:
        nonlocal out
        plan.ranges.append((run_start, run_end - run_start))
        shift = out - (run_start - d.concat)  # how far the run's members move (0: they keep their offsets)
        if shift == 0:
            _verbatim_entries(d, run_first, run_last, plan.dropped, plan.entries)
        else:
            plan.entries.append(_Moved(run_first, run_last, shift))
        out += run_end - run_start

    for seg_a, seg_b in _kept_segments(count, dropped):
        for block in range(seg_a, seg_b, _BLOCK):
            stop = min(block + _BLOCK, seg_b)
            # The arrays' values as lists, a block at a time: an array makes a Python int at every read.
            if following is None:
                nexts = offsets[block + 1 : stop + 1].tolist()
                if stop == count:
                    nexts.append(cd_start)
            else:
                nexts = following[block:stop].tolist()
            columns = zip(
                range(block, stop), offsets[block:stop].tolist(), name_lens[block:stop].tolist(),
                csizes[block:stop].tolist(), pos[block:stop].tolist(), flags[block:stop].tolist(), nexts,
            )
            for i, start, name_len, csize, entry, flag, nxt in columns:
                need = start + 30 + name_len
                if start < window_start or need > window_end:
                    # One read covers the headers of the small members that follow; a large member's header alone.
                    fh.seek(start)  # (a name is at most 65,535 bytes: a header always fits the window)
                    got = fh.readinto(view[: _WINDOW if csize < _WINDOW else 30 + name_len + 512]) or 0
                    window_start, window_end = start, start + got
                    if need > window_end:
                        raise InvalidWheel(f"{archive.path}: member {d.name(i)!r}: bad local header at offset {start}")
                at = start - window_start
                local_signature, extra_len = head(window, at)
                # The common case in two comparisons: the local header's flags, method, time, CRC, sizes and name
                # length are the directory's bytes, and so is the name.  Anything else gets the exact rules.
                if (
                    local_signature != signature
                    or window[at + 6 : at + 28] != cd[entry + 8 : entry + 30]
                    or window[at + 30 : need - window_start] != cd[entry + 46 : entry + 46 + name_len]
                    or (wide and cd[entry + 20 : entry + 28].count(b"\xff\xff\xff\xff"))  # sizes in ZIP64 extras
                ):
                    try:
                        archive.check_local_header(i)  # data descriptors and ZIP64 sizes pass; contradictions do not
                    except _Unreadable as exc:
                        raise InvalidWheel(f"{archive.path}: {exc}") from None
                end = need + extra_len + csize
                if flag & 0x08:
                    end += _check_descriptor(archive, i, window, window_start, window_end, need, extra_len, end)
                if end > nxt:
                    raise InvalidWheel(
                        f"{archive.path}: member {d.name(i)!r} (bytes {start}-{end}) runs into the next member or "
                        f"the central directory (at {nxt}); its sizes contradict the archive's layout"
                    )
                if start != run_end:  # the first member, or a gap, a dropped member, another order: a new run
                    if run_first >= 0:
                        close_run()
                    run_first, run_start = i, start
                run_last, run_end = i, end
    if run_first >= 0:
        close_run()
    plan.size = out
    return plan


def _check_descriptor(
    archive: WheelArchive, i: int, window: bytearray, window_start: int, window_end: int, need: int, extra_len: int,
    end: int,
) -> int:
    """The length of member ``i``'s data descriptor (at ``end``), which must say what the directory says."""
    d = archive._dir
    fh = archive._fh
    extra: "bytes | bytearray"
    after: "bytes | bytearray"
    if end + 24 <= window_end:
        extra = window[need - window_start : need - window_start + extra_len]
        after = window[end - window_start : end - window_start + 24]
    else:
        fh.seek(need)
        extra = fh.read(extra_len) or b""
        fh.seek(end)
        after = fh.read(24) or b""
    csizes, usizes = d.csizes, d.usizes
    length, crc, csize, usize = _descriptor(extra, after, csizes[i] >= _U32 or usizes[i] >= _U32)
    if (crc, csize, usize) != (d.full(i)[9], csizes[i], usizes[i]):
        raise InvalidWheel(
            f"{archive.path}: member {d.name(i)!r}: its data descriptor says CRC {crc:08x}, {csize} "
            f"bytes compressed, {usize} bytes; the central directory says CRC {d.full(i)[9]:08x}, "
            f"{csizes[i]} and {usizes[i]}: the two must agree"
        )
    return length


def _verbatim_entries(
    d: _Directory, first: int, last: int, dropped: AbstractSet[int], entries: List["memoryview | _Moved"]
) -> None:
    """Append the directory entries of members ``first``..``last`` but the dropped ones, unchanged: one view of
    the directory per run of neighbouring entries."""
    cd = memoryview(d.cd)
    pos = d.pos
    a = first
    for i in sorted(j for j in dropped if first <= j <= last):
        if i > a:
            entries.append(cd[pos[a] : pos[i]])
        a = i + 1
    if a <= last:
        entries.append(cd[pos[a] : pos[last + 1]])


def _entries(d: _Directory, plan: _Plan) -> Iterator["bytes | memoryview"]:
    """The kept members' directory entries, in order (moved runs made here, member by member)."""
    for item in plan.entries:
        if isinstance(item, _Moved):
            concat, offsets, usizes, csizes = d.concat, d.offsets, d.usizes, d.csizes
            for i in range(item.first, item.last + 1):
                if i not in plan.dropped:
                    yield _moved_entry(d, i, offsets[i] - concat + item.shift, usizes[i], csizes[i])
        else:
            yield item


def _descriptor(local_extra: "bytes | bytearray", after: "bytes | bytearray", big: bool) -> Tuple[int, int, int, int]:
    """A member's data descriptor (the bytes ``after`` its data, 24 or what the file has): ``(length, crc, csize, usize)``.

    Its signature is optional, and its sizes are 8 bytes each when the member
    is ZIP64: a ZIP64 block in the local extra field, or sizes that need 64
    bits (``big``).  A descriptor cut short gives its length and zeros.
    """
    zip64 = big
    at = 0
    while not zip64 and at + 4 <= len(local_extra):
        kind, size = struct.unpack_from("<HH", local_extra, at)
        zip64 = kind == 0x0001
        at += 4 + size
    skip = 4 if after[:4] == b"PK\x07\x08" else 0
    length = skip + 4 + (16 if zip64 else 8)
    if len(after) < length:
        return length, 0, 0, 0
    crc, csize, usize = struct.unpack_from("<IQQ" if zip64 else "<III", after, skip)
    return length, crc, csize, usize


def _strip_zip64_extra(extra: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i + 4 <= len(extra):
        header_id, size = struct.unpack_from("<HH", extra, i)
        block = extra[i : i + 4 + size]
        if header_id != 0x0001:
            out += block
        i += 4 + size
    out += extra[i:]  # trailing garbage, kept as is
    return bytes(out)


def _moved_entry(d: _Directory, i: int, offset: int, usize: int, csize: int) -> bytes:
    """Member ``i``'s central directory entry for its new ``offset``: the same bytes but the offset.

    When the offset needs ZIP64, or had it, the extra field is rebuilt: the
    ZIP64 block holds the sizes when either needs 64 bits, then the offset
    when it does (the order readers, zipfile included, expect).
    """
    entry = d.entry(i)
    f = d.full(i)
    if f[18] != _U32 and offset < _U32:
        return entry[:42] + struct.pack("<I", offset) + entry[46:]
    name_end = 46 + f[12]
    extra = _strip_zip64_extra(entry[name_end : name_end + f[13]])
    values: List[int] = []
    csize32, usize32, offset32 = csize, usize, offset
    if usize >= _U32 or csize >= _U32:
        values += [usize, csize]
        csize32 = usize32 = _U32
    if offset >= _U32:
        values.append(offset)
        offset32 = _U32
    if values:
        extra = struct.pack("<HH", 0x0001, 8 * len(values)) + struct.pack(f"<{len(values)}Q", *values) + extra
    version_needed = f[3] | f[4] << 8
    if values:
        version_needed = max(version_needed, 45)
    fixed = _CENTRAL.pack(
        b"PK\x01\x02", f[1], f[2], version_needed, f[5], f[6], f[7], f[8], f[9],
        csize32, usize32, f[12], len(extra), f[14], f[15], f[16], f[17], offset32,
    )
    return fixed + entry[46:name_end] + extra + entry[name_end + f[13] :]


# -- writing ---------------------------------------------------------------------------------------


#: New members up to this size are deflated; larger ones (the RECORD of a wheel with thousands of
#: members: 1.2 MB for torch, mostly base64 digests that deflate to half) are stored: deflating
#: that RECORD took 100 ms here, more than everything else the rewrite does but the copy.
DEFLATE_NEW_MEMBERS_UP_TO = 1 << 16


DateTime = Tuple[int, int, int, int, int, int]
#: A file's mode in a member's external attributes (Unix: the high 16 bits): a regular file, rw-r--r--.
_REGULAR_FILE = (0o100644 & 0xFFFF) << 16


#: A new member's content: bytes, or parts of it to be written one after the other (the rewritten
#: RECORD is views of the old one plus the new rows: never copied into one object).
Content = Union[bytes, Sequence["bytes | memoryview"]]


def _new_member(sink: Sink, name: str, data: Content, date_time: DateTime, external_attr: int = _REGULAR_FILE) -> bytes:
    """Append a new member (variant.json, RECORD, a replaced member); return its central directory entry."""
    flags = 0x800 if not name.isascii() else 0
    parts: Sequence["bytes | memoryview"] = [data] if isinstance(data, bytes) else data
    size = sum(map(len, parts))
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    crc &= _U32
    if size <= DEFLATE_NEW_MEMBERS_UP_TO:
        method = 8
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        parts = [b"".join(compressor.compress(part) for part in parts) + compressor.flush()]
    else:
        method = 0
    csize = sum(map(len, parts))
    encoded = name.encode("utf-8")
    date, tm = _dos_date_time(date_time)
    offset = sink.offset
    sink.write(_LOCAL.pack(b"PK\x03\x04", 20, flags, method, tm, date, crc, csize, size, len(encoded), 0) + encoded)
    for part in parts:
        sink.write(part)
    extra = b""
    offset32 = offset
    if offset >= _U32:
        extra = struct.pack("<HHQ", 0x0001, 8, offset)
        offset32 = _U32
    return (
        _CENTRAL.pack(
            b"PK\x01\x02", 20, 3, 45 if extra else 20, flags, method, tm, date, crc, csize, size,
            len(encoded), len(extra), 0, 0, 0, external_attr, offset32,
        )
        + encoded
        + extra
    )


def _end_records(sink: Sink, entries: Iterable["bytes | memoryview"], count: int, comment: bytes) -> None:
    """Write the central directory and the end records (ZIP64 ones when a count, size or offset needs them).

    Entries are written as they come, small ones gathered into writes of
    about :data:`CHUNK` (the directory is never joined into one copy).
    """
    cd_offset = sink.offset
    pending: List["bytes | memoryview"] = []
    held = 0
    for entry in entries:
        if len(entry) >= CHUNK:
            if pending:
                sink.write(b"".join(pending))
                pending, held = [], 0
            sink.write(entry)
            continue
        pending.append(entry)
        held += len(entry)
        if held >= CHUNK:
            sink.write(b"".join(pending))
            pending, held = [], 0
    if pending:
        sink.write(b"".join(pending))
    cd_size = sink.offset - cd_offset
    if count >= _U16 or cd_size >= _U32 or cd_offset >= _U32:
        eocd64_offset = sink.offset
        sink.write(
            _EOCD64.pack(b"PK\x06\x06", _EOCD64.size - 12, 45, 45, 0, 0, count, count, cd_size, cd_offset)
            + _LOCATOR64.pack(b"PK\x06\x07", 0, eocd64_offset, 1)
            + _EOCD.pack(b"PK\x05\x06", 0, 0, min(count, _U16), min(count, _U16),
                         min(cd_size, _U32), min(cd_offset, _U32), len(comment))
            + comment
        )
    else:
        sink.write(_EOCD.pack(b"PK\x05\x06", 0, 0, count, count, cd_size, cd_offset, len(comment)) + comment)


def write_rewritten(
    archive: WheelArchive,
    out: BinaryIO,
    plan: _Plan,
    new_members: Sequence[Tuple[str, Content]],
    date_time: DateTime,
    *,
    copy_method: CopyMethod = "auto",
    attributes: Optional[Mapping[str, Tuple[DateTime, int]]] = None,
) -> Sink:
    """Write the planned ranges of ``archive``, then ``new_members`` and the central directory, into ``out``.

    ``out`` is any binary stream; ranges are copied in the kernel only when it
    has a file descriptor.  New members get ``date_time`` and a regular
    file's mode, or what ``attributes`` gives for their name (``(date_time,
    external_attr)``: a replaced member keeps its own).  Returns the sink
    (``used``: how bytes were copied).
    """
    sink = Sink(out, copy_method)
    for start, length in plan.ranges:
        try:
            sink.copy(archive._fh, start, length)
        except _Unreadable as exc:
            raise InvalidWheel(f"{archive.path}: {exc}") from None
    added = []
    for name, data in new_members:
        when, mode = (attributes or {}).get(name, (date_time, _REGULAR_FILE))
        added.append(_new_member(sink, name, data, when, mode))
    _end_records(sink, itertools.chain(_entries(archive._dir, plan), added), plan.count + len(new_members), archive.comment)
    if sink.fd is None:
        out.flush()
    return sink


def rewrite_wheel(
    src: "str | os.PathLike[str]",
    dest: "str | os.PathLike[str]",
    *,
    variant_json: Optional[bytes],
    force: bool = False,
    verify: bool = False,
    archive: Optional[WheelArchive] = None,
    replace: Optional[Mapping[str, bytes]] = None,
    copy_method: CopyMethod = "auto",
) -> Path:
    """Write ``dest``: ``src`` with its variant.json replaced by ``variant_json``.

    ``variant_json=None`` removes variant.json (``unmake-variant``).  ``dest``
    is the full output path; the caller chooses the name (label or not).
    ``verify`` first checks every member against RECORD.  ``replace`` maps
    member names to new contents (METADATA with other ``Requires-Dist``
    lines): each is written after the copied members, with its own timestamp
    and mode, and its RECORD row gets the new hash and size; variant.json and
    RECORD itself cannot be replaced this way.  ``copy_method`` chooses how
    the kept members' bytes are copied (:data:`CopyMethod`); the output is the
    same whichever it is.
    """
    src, dest = Path(src), Path(dest)
    WheelFilename.parse(dest.name)
    if same_path(src, dest) or (not dest.exists() and src.resolve() == dest.resolve()):
        raise OutputExists(f"refusing to write over the input wheel {src}; choose another output folder")
    if copy_method not in COPY_METHODS:
        raise ValueError(f"copy_method must be one of {', '.join(COPY_METHODS)}, not {copy_method!r}")
    own = archive is None
    arch = archive or WheelArchive(src)
    try:
        if verify:
            arch.verify_record()
        vj_name = arch.variant_json_name
        record_name = arch.record_name
        drop = frozenset((vj_name, record_name, record_name + ".jws", record_name + ".p7s"))
        replaced = dict(replace or {})
        for name in replaced:
            if name in drop:
                raise ValueError(f"replace cannot change {name}: variant.json is variant_json's, RECORD is made here")
            if name not in arch.names:
                raise InvalidWheel(f"{src}: member {name!r} is missing, so it cannot be replaced")
        added: List[List[str]] = [[name, record_hash(data), str(len(data))] for name, data in replaced.items()]
        new_members: List[Tuple[str, Content]] = list(replaced.items())
        attributes = {}
        for name in replaced:
            member = arch.getinfo(name)
            attributes[name] = (member.date_time, member.external_attr)
        drop = drop | frozenset(replaced)
        if variant_json is not None:
            added.append([vj_name, record_hash(variant_json), str(len(variant_json))])
            new_members.append((vj_name, variant_json))
        added.append([record_name, "", ""])
        new_members.append((record_name, arch.record_file().rewritten(drop, added)))
        date_time = new_member_date_time(arch)
        # Every local header is read and checked before the output exists.
        plan = plan_copy(arch, drop)
        with atomic_output(dest, force=force) as out:
            write_rewritten(arch, out, plan, new_members, date_time, copy_method=copy_method, attributes=attributes)
            # Before the output is linked into place: an input another process wrote meanwhile gives no output.
            arch.check_unchanged()
    finally:
        if own:
            arch.close()
    return dest
