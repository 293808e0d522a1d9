"""Read-only access to a wheel: central directory, dist-info, RECORD, variant.json.

:class:`WheelArchive` reads the wheel's central directory in one pass of its
own (ZIP64 included) and keeps it as it is on disk: no ``zipfile.ZipInfo``
per member, no name decoded twice.  A torch wheel has 13,000 members; building
a Python object for each, twice per command, cost more than copying its
550 MB (``bench/make_variant.py``).  The rewriter copies the directory's
entries back byte for byte from the same bytes.

Memory is bounded by the limits, not by the member count (issue 11): the
directory (at most :data:`MAX_DIRECTORY_BYTES`) is held as read, and what
the commands need of each member is in arrays beside it, about 40 bytes a
member; 200,000 members once took 650 bytes each as tuples, names, lists
and a dict.  Names are decoded when asked for and found by name in the
names joined by newlines (or, for many lookups, by a binary search).

Opening checks, in that same pass, the structure every varwheel command
relies on, so that a malformed wheel is rejected before anything is written:

* a regular file (never a FIFO or device, which would block or never end);
* a zip that Python's :mod:`zipfile`, and so pip, reads: the same end records,
  ZIP64 records and extra fields it accepts, no member needing a zip version
  above 6.3 (the member is named);
* every member's bytes inside the archive, before the central directory, and
  no two members sharing bytes (overlapping members are how zip bombs
  amplify, and how one archive shows different files to different tools);
* no absolute, ``..``, backslashed, control-character (NUL included: judged on
  the stored name, not zipfile's cut one), duplicate or encrypted members;
* exactly one top-level ``.dist-info`` directory, matching the filename's
  name and version; ``RECORD`` and ``WHEEL`` in it;
* a central directory of at most :data:`MAX_DIRECTORY_BYTES`.

A member's local header is read when the member is: it must agree with the
central directory (signature, name), or the member is unreadable.  Stored and
deflated members, which is what wheels contain, are read here (CRC-32
checked, as :mod:`zipfile` does); any other method goes through :mod:`zipfile`.

:meth:`WheelArchive.record_problems` streams every member through its RECORD
hash and compares (used by ``--verify`` and ``varwheel check``): one inflate
and one hash per member, with reused buffers.  RECORD itself is
:mod:`varwheel.wheel.record`'s.

The file is remembered as it was when it was opened (size, times, inode:
:attr:`WheelArchive.identity`); :meth:`WheelArchive.check_unchanged` says
whether another process wrote it since (the rewriter asks before its output
is linked into place).
"""

from __future__ import annotations

import io
import itertools
import operator
import os
import re
import stat
import struct
import zlib
from array import array
from pathlib import Path
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

if TYPE_CHECKING:
    import zipfile

from varwheel.errors import InvalidFilename, InvalidMetadata, InvalidWheel
from varwheel.model.filename import WheelFilename, normalize_dist_name, same_version
from varwheel.model.document import VariantDocument
from varwheel.wheel.record import (
    MAX_RECORD_BYTES,
    Record,
    RecordCode,
    RecordProblem,
    RecordRows,
    hash_matches,
    record_hasher,
)

__all__ = [
    "WheelArchive",
    "Member",
    "require_regular_file",
    "file_identity",
    "refuse_if_changed",
    "VARIANT_JSON",
    "CHUNK",
    "MAX_DIRECTORY_BYTES",
    "MAX_MEMBER_READ",
    "MAX_PROBLEMS_PER_KIND",
]

VARIANT_JSON = "variant.json"


class _Unreadable(ValueError):
    """A member (or the archive) whose bytes no reader can agree on: the message says what is wrong."""


#: What reading a damaged member can raise: a CRC mismatch or a local header that contradicts the
#: central directory (:class:`_Unreadable`), a corrupt deflate stream (zlib.error), a truncated
#: file, a method zipfile does not know (NotImplementedError).
_UNREADABLE = (_Unreadable, zlib.error, OSError, EOFError, ValueError, NotImplementedError)

#: Copy/hash buffer size: memory stays flat whatever the wheel's size.
CHUNK = 1 << 20
#: The most of any other member read whole (variant.json, METADATA, WHEEL): they are a few KB.
MAX_MEMBER_READ = 16 << 20

#: The highest "version needed to extract" :mod:`zipfile` (and so pip) reads: 6.3.
MAX_EXTRACT_VERSION = 63

#: Fixed parts of the zip records (APPNOTE 4.3.7, 4.3.12, 4.3.14-16).
_CENTRAL = struct.Struct("<4sBBBBHHHHIIIHHHHHII")
#: What the walk over the central directory takes from each entry (the rest is skipped: making 19
#: Python ints per entry cost more than the walk itself).  Indices: 0 signature, 1 version needed,
#: 2 flags, 3 compressed size, 4 size, 5 name length, 6 extra length, 7 comment length, 8 offset.
_WALK = struct.Struct("<4s2xBxH10xIIHHH8xI")
_VERSION_NEEDED, _FLAGS, _CSIZE, _USIZE, _NAME_LEN, _EXTRA_LEN, _OFFSET = map(operator.itemgetter, (1, 2, 3, 4, 5, 6, 8))
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_EOCD = struct.Struct("<4sHHHHIIH")
_EOCD64 = struct.Struct("<4sQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<4sIQI")
_U32 = 0xFFFFFFFF
_LOCAL_FIXED = 30

#: A control character (NUL included) or a backslash in a name.
_CONTROL_OR_BACKSLASH = re.compile(r"[\x00-\x1f\x7f\\]")
#: The same over all names joined by newlines, at once (a newline in a name shows as one too many).
_JOINED_CONTROL_OR_BACKSLASH = re.compile(r"[\x00-\x09\x0b-\x1f\x7f\\]")
#: Those characters as bytes, for ``bytes.translate`` (5x faster than the regex over ASCII names).
_CONTROL_OR_BACKSLASH_BYTES = bytes([*range(0, 10), *range(11, 32), 0x7F, 0x5C])


def require_regular_file(path: Path, what: str = "a wheel file") -> os.stat_result:
    """``os.stat(path)`` (symlinks followed), refusing anything but a regular file.

    A FIFO would block the reader forever and a device (``/dev/zero``) never
    ends: neither is opened.  Raises :class:`InvalidWheel`.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InvalidWheel(f"{path}: no such file") from None
    except OSError as exc:
        raise InvalidWheel(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidWheel(f"{path}: is a directory, expected {what}")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidWheel(f"{path}: not a regular file (a FIFO, socket or device), expected {what}")
    return info


def _is_unsafe_name(name: str) -> bool:
    """Absolute, ``..``, a drive letter, a backslash or a control character (NUL included)."""
    if _CONTROL_OR_BACKSLASH.search(name):
        return True
    return name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":") or ".." in name.split("/")


def _dist_info_matches(dist_info: str, fname: WheelFilename) -> bool:
    stem = dist_info[: -len(".dist-info")]
    name, sep, version = stem.rpartition("-")
    if not sep:
        return False
    return normalize_dist_name(name) == normalize_dist_name(fname.name) and same_version(version, fname.version)


# -- the central directory ---------------------------------------------------------------------


class _TooNew(Exception):
    """A member needs a newer zip version than zipfile reads (zipfile's NotImplementedError, with the member)."""

    def __init__(self, name: str, version: int) -> None:
        super().__init__(f"zip file version {version / 10:.1f}")
        self.name = name


def _zip64_values(extra: bytes, usize: int, csize: int, offset: int) -> Tuple[int, int, int]:
    """Walk a central extra field as zipfile does: refuse a block that overruns it, read ZIP64 values.

    The ZIP64 block holds, in this order, only the fields whose 32-bit slot
    is ``0xFFFFFFFF``.
    """
    at, end = 0, len(extra)
    while end - at >= 4:
        kind, size = struct.unpack_from("<HH", extra, at)
        if size + 4 > end - at:
            raise _Unreadable(f"Corrupt extra field {kind:04x} (size={size})")
        if kind == 0x0001:
            field, here, stop = "File size", at + 4, at + 4 + size
            try:
                if usize == _U32:
                    if here + 8 > stop:
                        raise struct.error
                    (usize,) = struct.unpack_from("<Q", extra, here)
                    here += 8
                field = "Compress size"
                if csize == _U32:
                    if here + 8 > stop:
                        raise struct.error
                    (csize,) = struct.unpack_from("<Q", extra, here)
                    here += 8
                field = "Header offset"
                if offset == _U32:
                    if here + 8 > stop:
                        raise struct.error
                    (offset,) = struct.unpack_from("<Q", extra, here)
            except struct.error:
                raise _Unreadable(f"Corrupt zip64 extra field. {field} not found.") from None
        at += 4 + size
    return usize, csize, offset


#: Entries the walk over the central directory unpacks before it moves their fields into arrays
#: (a tuple per entry for 4,096 entries at a time, never for all of them).
_WALK_CHUNK = 4096
#: The largest central directory read: it is kept in memory, with about 40 bytes per member beside
#: it.  torch's is 1 MB (13,000 members); 16 MiB is 200,000 members with 30-character names.
MAX_DIRECTORY_BYTES = 16 << 20
#: Member counts above which duplicate names are found by sorting, not with a set (see _all_different).
_SORT_UNIQUE_ABOVE = 65536
#: Lookups by name answered by a search of the joined names before the members are sorted by name.
_BLOB_LOOKUPS = 16
#: The largest offset kept as it is: a larger one lies beyond any file, and is refused as outside
#: the archive (kept as this, it fits a signed 64-bit array).
_FAR = (1 << 63) - 1


class _Directory:
    """One wheel's central directory as read from disk, checked once.

    A pure function of the directory's bytes and of where they lie: a second
    :class:`WheelArchive` on the same file (every command opens its inputs
    once to plan and once to write) reuses it when the bytes compare equal.

    Nothing per member is a Python object (issue 11: 200,000 members took
    650 bytes each as tuples, lists, names and a dict): the entries stay in
    ``cd`` as read, and what the commands need of every member is in arrays
    indexed in directory order (entry start, flags, name length, offset and
    sizes with ZIP64 resolved) plus the members sorted by name, for finding
    one by name.  Names are decoded when asked for (:meth:`name`).
    """

    __slots__ = (
        "cd", "cd_start", "cd_offset", "concat", "comment", "count",
        "pos", "flags", "name_lens", "offsets", "csizes", "usizes", "blob", "order", "misses", "ascii", "dirs",
        "dist_info", "in_order", "wide", "record",
    )

    def __init__(self, cd: bytes, cd_start: int, cd_offset: int, concat: int, comment: bytes) -> None:
        self.cd = cd
        #: where the directory starts in the file, and what the end record says (the two differ by
        #: ``concat``: bytes put in front of the archive, which every offset ignores).
        self.cd_start = cd_start
        self.cd_offset = cd_offset
        self.concat = concat
        self.comment = comment
        self.count = 0
        #: where each entry starts in ``cd``, and one more: where the last one ends.
        self.pos = array("I")
        self.flags = array("H")
        self.name_lens = array("H")
        #: the local header offset in the file (``concat`` added), compressed and uncompressed size, ZIP64 resolved.
        self.offsets = array("q")
        self.csizes = array("Q")
        self.usizes = array("Q")
        #: every name between newlines (``\nname0\nname1\n``): bytes when all are ASCII, else str
        self.blob: "bytes | str" = b"\n"
        #: member indices sorted by name, made when lookups by name become many (:meth:`index_of`)
        self.order: "Optional[array[int]]" = None
        self.misses = 0
        #: every name is ASCII: names are then their bytes, and compared as bytes
        self.ascii = True
        #: how many members are folders (names ending in ``/``)
        self.dirs = 0
        self.dist_info = ""
        #: members lie in the file in directory order (the rewriter's common case)
        self.in_order = True
        #: some entry gives a 32-bit size as 0xFFFFFFFF (its sizes are in a ZIP64 extra field)
        self.wide = False
        #: RECORD as read from the file with this identity (:meth:`WheelArchive.record_file`)
        self.record: "Optional[Tuple[Tuple[int, ...], Record]]" = None

    # -- one member --------------------------------------------------------------------------
    def entry(self, i: int) -> bytes:
        """The directory entry of member ``i``, byte for byte."""
        return self.cd[self.pos[i] : self.pos[i + 1]]

    def full(self, i: int) -> Tuple[int, ...]:
        """Every fixed field of member ``i``'s entry, in :data:`_CENTRAL`'s order."""
        return _CENTRAL.unpack_from(self.cd, self.pos[i])

    def fields(self, i: int) -> Tuple[int, ...]:
        """Member ``i``'s fields in :data:`_WALK`'s order (2 flags, 3 and 4 the 32-bit sizes, 5 name length...)."""
        return _WALK.unpack_from(self.cd, self.pos[i])

    def raw_name(self, i: int) -> bytes:
        """Member ``i``'s name as stored."""
        at = self.pos[i] + 46
        return self.cd[at : at + self.name_lens[i]]

    def name(self, i: int) -> str:
        """Member ``i``'s name: UTF-8 when its flag says so, else cp437 (as zipfile decodes it)."""
        raw = self.raw_name(i)
        if self.ascii:
            return raw.decode("ascii")
        return raw.decode("utf-8" if self.flags[i] & 0x800 else "cp437")

    def iter_names(self) -> Iterator[str]:
        """Every name in directory order, one at a time."""
        return map(self.name, range(self.count))

    def index_of(self, name: str, hint: int = -1) -> int:
        """The index of the member called ``name``, or -1; ``hint`` (an index) is tried first.

        The first few names looked up are found in :attr:`blob` (one search
        in C); a walk that looks up many (RECORD's rows, in ``check``) passes
        the next index as ``hint``, and where that misses more than a few
        times the members are sorted by name once (:attr:`order`) and each
        lookup is a binary search: 18 names looked at for 200,000 members.
        """
        key: "bytes | str"
        if self.ascii:
            try:
                key = name.encode("ascii")
            except UnicodeEncodeError:
                return -1
            get: Callable[[int], "bytes | str"] = self.raw_name
        else:
            key, get = name, self.name
        if 0 <= hint < self.count and get(hint) == key:
            return hint
        order = self.order
        if order is None:
            self.misses += 1
            if self.misses <= _BLOB_LOOKUPS:
                at = self.blob.find(b"\n" + key + b"\n" if isinstance(key, bytes) else "\n" + key + "\n")  # type: ignore[arg-type]
                return -1 if at < 0 else self.blob.count(b"\n" if self.ascii else "\n", 0, at)  # type: ignore[arg-type]
            order = self.order = self._sorted()
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) >> 1
            if get(order[mid]) < key:  # type: ignore[operator]  # both bytes or both str
                lo = mid + 1
            else:
                hi = mid
        if lo < len(order) and get(order[lo]) == key:
            return order[lo]
        return -1

    def _sorted(self) -> "array[int]":
        """Member indices sorted by name (bytes order for ASCII names, code points otherwise)."""
        keys: List[Any] = self.blob[1:-1].split(b"\n" if self.ascii else "\n")  # type: ignore[arg-type]
        key: Callable[[int], Any] = keys.__getitem__
        return array("I", sorted(range(self.count), key=key))

    # -- reading the directory -----------------------------------------------------------------
    def parse(self, declared: int) -> None:
        """Walk the entries once; raise :class:`_Unreadable` or :class:`_TooNew` where zipfile would refuse.

        Only the walk is a Python loop (each entry's length depends on the
        previous one); the fields it unpacked move into the arrays in bulk,
        4,096 entries at a time.  ``declared``: the directory's size in the end record.
        """
        cd = self.cd
        unpack = _WALK.unpack_from
        add_start = self.pos.append
        signature = b"PK\x01\x02"
        pos = 0
        too_new: List[int] = []  # the first member needing a newer zip version: refused once the walk is done
        try:
            while pos < declared:
                chunk: List[Tuple[int, ...]] = []
                add = chunk.append
                for _ in itertools.repeat(None, _WALK_CHUNK):
                    f = unpack(cd, pos)
                    if f[0] != signature:
                        raise _Unreadable("Bad magic number for central directory")
                    add(f)
                    add_start(pos)
                    pos += 46 + f[5] + f[6] + f[7]
                    if pos >= declared:
                        break
                self._take(chunk, too_new)
        except struct.error:  # fewer than 46 bytes left
            raise _Unreadable("Truncated central directory") from None
        if pos > len(cd):
            raise _Unreadable("Truncated central directory")
        add_start(pos)
        if too_new:
            i = too_new[0]
            raise _TooNew(self.raw_name(i).decode("utf-8" if self.flags[i] & 0x800 else "cp437"),
                          self.fields(i)[1])
        if self.concat:
            self.offsets = array("q", [min(o + self.concat, _FAR) for o in self.offsets])

    def _take(self, chunk: List[Tuple[int, ...]], too_new: List[int]) -> None:
        """Move a chunk of walked entries (``_WALK`` tuples) into the arrays; resolve their ZIP64 values."""
        base = self.count
        if not too_new and max(map(_VERSION_NEEDED, chunk)) > MAX_EXTRACT_VERSION:
            too_new.append(base + next(k for k, f in enumerate(chunk) if f[1] > MAX_EXTRACT_VERSION))
        self.flags.extend(map(_FLAGS, chunk))
        self.csizes.extend(map(_CSIZE, chunk))
        self.usizes.extend(map(_USIZE, chunk))
        self.name_lens.extend(map(_NAME_LEN, chunk))
        self.offsets.extend(map(_OFFSET, chunk))
        self.count = base + len(chunk)
        self.wide = self.wide or _U32 in map(_CSIZE, chunk) or _U32 in map(_USIZE, chunk)
        for k in itertools.compress(range(len(chunk)), map(_EXTRA_LEN, chunk)):
            f = chunk[k]
            at = self.pos[base + k] + 46 + f[5]
            usize, csize, offset = _zip64_values(self.cd[at : at + f[6]], f[4], f[3], f[8])
            i = base + k
            self.usizes[i], self.csizes[i], self.offsets[i] = usize, csize, min(offset, _FAR)

    def check(self, path: Path) -> None:
        """The structure checks that need the whole directory; raise :class:`InvalidWheel`.

        The names exist as a list only here, while they are checked.
        """
        count = self.count
        self._check_extents(path)
        cd = self.cd
        raw = [cd[p + 46 : p + 46 + n] for p, n in zip(self.pos, self.name_lens)]
        # \nname\nname\n: a name is \nNAME\n in it.  Joined a block at a time: bytes.join holds an 80-byte
        # buffer record per part while it works (24 MB for 300,000 names at once).
        blob = b"\n".join(itertools.chain(
            (b"",), (b"\n".join(raw[a : a + _WALK_CHUNK]) for a in range(0, count, _WALK_CHUNK)), (b"",)
        ))
        self.ascii = blob.isascii() and blob.count(b"\n") == count + 1
        if self.ascii:  # the usual case: all names at once, as bytes (ASCII reads the same in UTF-8 and cp437)
            suspect = len(blob.translate(None, _CONTROL_OR_BACKSLASH_BYTES)) != len(blob)
            suspect = suspect or b"\n/" in blob or b":" in blob or b".." in blob
            unique = _all_different(raw)
            self.blob = blob
        else:
            names = [r.decode("utf-8" if fl & 0x800 else "cp437") for r, fl in zip(raw, self.flags)]
            text = "\n".join(names)
            suspect = (
                _JOINED_CONTROL_OR_BACKSLASH.search(text) is not None
                or text.count("\n") != max(count - 1, 0)
                or text.startswith("/")
                or "\n/" in text
                or ":" in text
                or ".." in text
            )
            unique = _all_different(names)
            del names
        del raw, blob
        if suspect:  # some name may be unsafe: the exact rule decides
            suspect = any(_is_unsafe_name(name) for name in self.iter_names())
        suspect = suspect or any(map(operator.and_, self.flags, itertools.repeat(0x1)))
        if suspect:
            for i, name in enumerate(self.iter_names()):  # the exact rules, in directory order, for the message
                if _is_unsafe_name(name):
                    raise InvalidWheel(
                        f"{path}: unsafe member name {name!r} "
                        "(absolute, containing '..', a backslash or a control character)"
                    )
                if self.flags[i] & 0x1:
                    raise InvalidWheel(f"{path}: member {name!r} is encrypted")
        if not self.ascii:  # no name holds a newline now: the joined names are the lookup table (see index_of)
            self.blob = "\n" + text + "\n"
            del text
        if not unique:
            seen: Dict[str, int] = {}
            for name in self.iter_names():
                seen[name] = seen.get(name, 0) + 1
            dups = sorted(n for n, c in seen.items() if c > 1)
            raise InvalidWheel(f"{path}: duplicate member names: {', '.join(dups[:5])}")
        newline: Any = b"\n" if self.ascii else "\n"
        self.dirs = self.blob.count(b"/\n" if self.ascii else "/\n")  # type: ignore[arg-type]
        top = sorted(self._dist_info_heads(newline))
        if len(top) != 1:
            raise InvalidWheel(
                f"{path}: expected exactly one .dist-info directory, found "
                f"{len(top)}{': ' + ', '.join(top) if top else ''}"
            )
        self.dist_info = top[0]

    def _dist_info_heads(self, newline: Any) -> Set[str]:
        """The top-level ``*.dist-info`` folders the names hold (found in :attr:`blob`, one search per member in them)."""
        blob: Any = self.blob
        marker = b".dist-info/" if self.ascii else ".dist-info/"
        slash = b"/" if self.ascii else "/"
        heads: Set[str] = set()
        at = blob.find(marker)
        while at >= 0:
            line = blob.rfind(newline, 0, at) + 1
            if blob.find(slash, line, at) < 0:  # the first component of its name
                head = blob[line : at + len(marker) - 1]
                heads.add(head.decode("ascii") if isinstance(head, bytes) else head)
            stop = blob.find(newline, at)
            at = blob.find(marker, stop)
        return heads

    def _check_extents(self, path: Path) -> None:
        """Every member inside the archive, before the directory, none overlapping another.

        The local header's extra field and a data descriptor are not known
        without reading each member, so a member's extent here is its least:
        header, name and compressed data.  The rewriter checks the exact
        extents of what it copies.
        """
        count = self.count
        floor = max(self.concat, 0)  # (an end record that puts the directory past the file makes concat negative)
        limit = self.cd_start
        in_order = True
        last_end = -1
        # A block at a time, as lists (array elements become Python ints at every step: 2x slower), never all.
        for a in range(0, count, _WALK_CHUNK):
            b = min(a + _WALK_CHUNK, count)
            offsets = self.offsets[a:b].tolist()
            ends = [o + _LOCAL_FIXED + n + c for o, n, c in
                    zip(offsets, self.name_lens[a:b].tolist(), self.csizes[a:b].tolist())]
            if max(ends) > limit or min(offsets) < floor:
                k = next(k for k, (o, e) in enumerate(zip(offsets, ends)) if e > limit or o < floor)
                i = a + k
                raise InvalidWheel(
                    f"{path}: member {self.name(i)!r} (offset {offsets[k]}, {self.csizes[i]} bytes of data) lies "
                    f"outside the archive's member area (before the central directory at {limit}); the file "
                    "is truncated or crafted"
                )
            if in_order:
                in_order = last_end <= offsets[0] and all(map(operator.le, ends[:-1], offsets[1:]))
                last_end = ends[-1]
        self.in_order = in_order
        if in_order:
            return
        order = sorted(range(count), key=self.offsets.__getitem__)
        for a, b in zip(order, order[1:]):
            end = self.offsets[a] + _LOCAL_FIXED + self.name_lens[a] + self.csizes[a]
            if end > self.offsets[b]:
                raise InvalidWheel(
                    f"{path}: members {self.name(a)!r} and {self.name(b)!r} overlap (bytes {self.offsets[a]}-{end} "
                    f"and from {self.offsets[b]}); a zip whose members share bytes is refused (it is how zip bombs "
                    "amplify, and how one archive shows different files to different tools)"
                )


def _all_different(names: "List[Any]") -> bool:
    """No two of ``names`` are equal (``names`` may be reordered).

    A set for the usual wheel (torch: 13,000 names in 1 ms); above
    :data:`_SORT_UNIQUE_ABOVE` names sorted in place instead, which needs no
    table beside them (a set of 300,000 names is 16 MB) and takes a few ms more.
    """
    if len(names) <= _SORT_UNIQUE_ABOVE:
        return len(set(names)) == len(names)
    names.sort()
    return not any(map(operator.eq, names, itertools.islice(names, 1, None)))


#: The directory read last (one: what a command's second open of the same wheel finds).
_LAST: List[_Directory] = []


def _end_records(fh: "io.RawIOBase | io.BufferedIOBase") -> Tuple[int, int, int, int, bytes]:
    """``(cd_start, cd_size, cd_offset, concat, comment)`` from the end records, found as zipfile finds them."""
    size = fh.seek(0, os.SEEK_END)
    if size < _EOCD.size:
        raise _Unreadable("File is not a zip file")
    fh.seek(size - _EOCD.size)
    data = fh.read(_EOCD.size) or b""
    if data[:4] == b"PK\x05\x06" and data[-2:] == b"\x00\x00":
        record = _EOCD.unpack(data)
        comment = b""
        location = size - _EOCD.size
    else:
        # An archive comment (up to 64 KiB) follows the record: search for its signature.
        search = max(size - 0xFFFF - 1 - _EOCD.size, 0)
        fh.seek(search)
        tail = fh.read(size - search) or b""
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _EOCD.size:
            raise _Unreadable("File is not a zip file")
        record = _EOCD.unpack_from(tail, at)
        comment = tail[at + _EOCD.size : at + _EOCD.size + record[7]]
        location = search + at
    cd_size, cd_offset = record[5], record[6]
    zip64 = False
    if location >= _LOCATOR64.size:
        fh.seek(location - _LOCATOR64.size)
        locator = fh.read(_LOCATOR64.size) or b""
        if len(locator) == _LOCATOR64.size and locator[:4] == b"PK\x06\x07":
            _, disk, _, disks = _LOCATOR64.unpack(locator)
            if disk != 0 or disks > 1:
                raise _Unreadable("zipfiles that span multiple disks are not supported")
            if location < _LOCATOR64.size + _EOCD64.size:
                raise _Unreadable("File is not a zip file")
            # As zipfile: the ZIP64 end record sits right before the locator (no extensible data).
            fh.seek(location - _LOCATOR64.size - _EOCD64.size)
            record64 = fh.read(_EOCD64.size) or b""
            if len(record64) == _EOCD64.size and record64[:4] == b"PK\x06\x06":
                fields64 = _EOCD64.unpack(record64)
                cd_size, cd_offset = fields64[8], fields64[9]
                zip64 = True
    # Bytes in front of the archive (a self-extractor stub) shift every offset: zipfile's "concat".
    concat = location - cd_size - cd_offset - ((_LOCATOR64.size + _EOCD64.size) if zip64 else 0)
    cd_start = cd_offset + concat
    if cd_start < 0:
        raise _Unreadable("Bad offset for central directory")
    return cd_start, cd_size, cd_offset, concat, comment


def _same_directory(fh: "io.RawIOBase | io.BufferedIOBase", start: int, size: int, known: bytes) -> bool:
    """Whether the ``size`` bytes at ``start`` are ``known``, compared 1 MiB at a time (never a second copy)."""
    if len(known) != size:
        return False
    buf = bytearray(min(CHUNK, size))
    view = memoryview(buf)
    fh.seek(start)
    at = 0
    while at < size:
        got = fh.readinto(view[: min(CHUNK, size - at)]) or 0
        if not got or view[:got] != known[at : at + got]:
            return False
        at += got
    return True


def _load_directory(fh: "io.RawIOBase | io.BufferedIOBase", path: Path) -> _Directory:
    """Read, parse and check ``fh``'s central directory (or reuse the last one, if its bytes are these)."""
    try:
        cd_start, cd_size, cd_offset, concat, comment = _end_records(fh)
        if cd_size > MAX_DIRECTORY_BYTES:
            raise InvalidWheel(
                f"{path}: its central directory is {cd_size} bytes, more than the {MAX_DIRECTORY_BYTES >> 20} MiB "
                "varwheel reads (about 200,000 members; torch's is 1 MB): a wheel this large is refused, not half read"
            )
        if _LAST:
            last = _LAST[0]
            if (last.cd_start, last.cd_offset, last.concat, last.comment) == (cd_start, cd_offset, concat, comment) and (
                _same_directory(fh, cd_start, cd_size, last.cd)
            ):
                return last
        fh.seek(cd_start)
        cd = fh.read(cd_size) or b""
        directory = _Directory(cd, cd_start, cd_offset, concat, comment)
        directory.parse(cd_size)
    except _TooNew as exc:
        raise InvalidWheel(
            f"{path}: member {exc.name!r} needs a newer zip version than Python's zipfile, "
            f"and so pip, can extract ({exc}, at most 6.3 is read); rebuild the wheel with a standard zip writer"
        ) from None
    except (_Unreadable, UnicodeDecodeError) as exc:
        raise InvalidWheel(f"{path}: not a readable zip archive ({exc})") from None
    try:
        directory.check(path)
    except UnicodeDecodeError as exc:  # a name flagged UTF-8 that is not
        raise InvalidWheel(f"{path}: not a readable zip archive ({exc})") from None
    _LAST[:] = [directory]
    return directory


class _Names(AbstractSet[str]):
    """The member names of one directory, as a set: ``in`` is a binary search, iteration decodes one at a time."""

    __slots__ = ("_dir",)

    def __init__(self, directory: _Directory) -> None:
        self._dir = directory

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._dir.index_of(name) >= 0

    def __iter__(self) -> Iterator[str]:
        return self._dir.iter_names()

    def __len__(self) -> int:
        return self._dir.count


class Member:
    """One member as the central directory describes it: the attributes of ``zipfile.ZipInfo`` callers use.

    Made on demand (:attr:`WheelArchive.members`, :meth:`WheelArchive.getinfo`),
    never while a wheel is opened.
    """

    __slots__ = (
        "index", "filename", "orig_filename", "create_version", "create_system", "extract_version",
        "flag_bits", "compress_type", "date_time", "CRC", "compress_size", "file_size",
        "internal_attr", "external_attr", "header_offset", "extra", "comment",
    )

    def __init__(self, directory: _Directory, i: int) -> None:
        f = directory.full(i)
        name_end = directory.pos[i] + 46 + f[12]
        self.index = i
        self.filename = self.orig_filename = directory.name(i)
        self.create_version, self.create_system, self.extract_version = f[1], f[2], f[3]
        self.flag_bits, self.compress_type = f[5], f[6]
        t, d = f[7], f[8]
        self.date_time = ((d >> 9) + 1980, (d >> 5) & 0xF, d & 0x1F, t >> 11, (t >> 5) & 0x3F, (t & 0x1F) * 2)
        self.CRC = f[9]
        self.compress_size, self.file_size = directory.csizes[i], directory.usizes[i]
        self.internal_attr, self.external_attr = f[16], f[17]
        self.header_offset = directory.offsets[i]
        self.extra = directory.cd[name_end : name_end + f[13]]
        self.comment = directory.cd[name_end + f[13] : name_end + f[13] + f[14]]

    def is_dir(self) -> bool:
        return self.filename.endswith("/")

    def __repr__(self) -> str:
        return f"<Member {self.filename!r} at {self.header_offset}, {self.compress_size} bytes>"


class WheelArchive:
    """An opened, structurally checked wheel.  Use as a context manager."""

    def __init__(self, path: "str | os.PathLike[str]", *, check_name: bool = True) -> None:
        self.path = Path(path)
        try:
            self.filename = WheelFilename.parse(self.path.name)
        except InvalidFilename:
            if check_name:
                raise
            self.filename = None  # type: ignore[assignment]
        require_regular_file(self.path)
        try:
            self._fh = open(self.path, "rb", buffering=0)
        except FileNotFoundError:
            raise InvalidWheel(f"{self.path}: no such file") from None
        except IsADirectoryError:
            raise InvalidWheel(f"{self.path}: is a directory, expected a wheel file") from None
        except OSError as exc:
            raise InvalidWheel(f"{self.path}: cannot be read ({exc.strerror or exc})") from None
        self._zip: "Optional[zipfile.ZipFile]" = None
        self._members: Optional[List[Member]] = None
        try:
            #: what the opened file was when it was opened (:meth:`check_unchanged`)
            self.identity = file_identity(self._fh.fileno())
            try:
                self._dir = _load_directory(self._fh, self.path)
            except OSError as exc:
                raise InvalidWheel(f"{self.path}: not a readable zip archive ({exc.strerror or exc})") from None
            self._check_structure()
        except BaseException:
            self._fh.close()
            raise

    # -- context manager -------------------------------------------------------
    def __enter__(self) -> "WheelArchive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        self._fh.close()

    def check_unchanged(self) -> None:
        """Raise :class:`InvalidWheel` if the file changed since it was opened (size, times, inode).

        Called by the rewriter after the last byte is copied and before the
        output is linked into place: a wheel another process writes meanwhile
        (a download, a build still running) would otherwise give an output
        whose members are partly the old file's and partly the new one's,
        with the old RECORD, and exit 0 (issue 11, item 7).
        """
        refuse_if_changed(self.path, self._fh.fileno(), self.identity)

    # -- structure ----------------------------------------------------------------
    def _check_structure(self) -> None:
        self.dist_info = self._dir.dist_info
        if self.filename is not None and not _dist_info_matches(self.dist_info, self.filename):
            raise InvalidWheel(
                f"{self.path}: .dist-info directory {self.dist_info!r} does not match the filename's "
                f"name and version ({self.filename.name} {self.filename.version})"
            )
        for required in ("RECORD", "WHEEL"):
            if self._dir.index_of(f"{self.dist_info}/{required}") < 0:
                raise InvalidWheel(f"{self.path}: {self.dist_info}/{required} is missing")

    @property
    def names(self) -> AbstractSet[str]:
        """Every member name (a set: for ``in``; iterated, names are decoded one at a time)."""
        return _Names(self._dir)

    @property
    def member_count(self) -> int:
        """How many members the wheel has, folders included."""
        return self._dir.count

    @property
    def file_count(self) -> int:
        """How many members are files (not folders: names ending in ``/``)."""
        return self._dir.count - self._dir.dirs

    @property
    def members(self) -> List[Member]:
        """Every member in central directory order (made on first use).

        A Python object per member: for tests and small wheels.  Commands use
        :attr:`names`, :attr:`file_count` and :meth:`getinfo` instead
        (200,000 members are 40 MB of these).
        """
        if self._members is None:
            self._members = [Member(self._dir, i) for i in range(self._dir.count)]
        return self._members

    @property
    def comment(self) -> bytes:
        """The archive comment (kept by the rewriter)."""
        return self._dir.comment

    @property
    def zip(self) -> "zipfile.ZipFile":
        """The same file through :mod:`zipfile` (opened on first use; for what this class does not offer)."""
        if self._zip is None:
            import zipfile

            self._zip = zipfile.ZipFile(self.path)
        return self._zip

    # -- members ----------------------------------------------------------------
    @property
    def record_name(self) -> str:
        return f"{self.dist_info}/RECORD"

    @property
    def variant_json_name(self) -> str:
        return f"{self.dist_info}/{VARIANT_JSON}"

    def getinfo(self, name: str) -> Member:
        """The member called ``name``; ``KeyError`` if there is none (as ``zipfile.ZipFile.getinfo``)."""
        i = self._dir.index_of(name)
        if i < 0:
            raise KeyError(name)
        if self._members is not None:
            return self._members[i]
        return Member(self._dir, i)

    def read(self, name: str, *, limit: Optional[int] = None) -> bytes:
        """Member ``name``'s bytes, read whole: at most ``limit`` of them, else :class:`InvalidWheel`.

        ``limit`` defaults to :data:`MAX_RECORD_BYTES` for RECORD and
        :data:`MAX_MEMBER_READ` for any other member (variant.json, METADATA,
        WHEEL: the members commands read whole), so that a small member that
        inflates to gigabytes (a zip bomb) is refused, not read.  What the
        directory declares is not trusted: the bytes are counted as they come.
        """
        i = self._dir.index_of(name)
        if i < 0:
            raise InvalidWheel(f"{self.path}: member {name!r} is missing")
        if limit is None:
            limit = MAX_RECORD_BYTES if name == self.record_name else MAX_MEMBER_READ
        out = io.BytesIO()  # grows in place and hands its buffer over: the bytes are held once, not twice
        size = 0
        try:
            for block in self._blocks(i, reuse=True):
                size += len(block)
                if size > limit:
                    raise InvalidWheel(
                        f"{self.path}: member {name!r} inflates to more than {limit >> 20} MiB; no real "
                        f"{name.rsplit('/', 1)[-1]} is that large (a zip bomb?)"
                    )
                out.write(block)
        except InvalidWheel:
            raise
        except _UNREADABLE as exc:
            raise InvalidWheel(f"{self.path}: member {name!r} cannot be read ({exc})") from None
        return out.getvalue()

    def record_file(self) -> Record:
        """RECORD, read and checked (every row valid, or :class:`InvalidWheel`); rows are parsed as they are walked.

        Read once per file: a command that verifies a wheel and then rewrites
        it (``make-variant --verify`` opens it twice) gets the same
        :class:`~varwheel.wheel.record.Record` the second time, while the
        file is what it was (:attr:`identity`).  A second read of a 30 MB
        RECORD would hold it twice at its peak.
        """
        cached = self._dir.record
        if cached is not None and cached[0] == self.identity:
            return cached[1]
        record = Record(self.read(self.record_name), source=f"{self.path.name}: RECORD")
        self._dir.record = (self.identity, record)
        return record

    def record(self) -> RecordRows:
        """RECORD's rows, each made as it is reached (:class:`~varwheel.wheel.record.RecordRows`)."""
        return RecordRows(self.record_file())

    def pure_python(self) -> bool:
        """A wheel without compiled code: ``none-any`` tags and ``Root-Is-Purelib: true``.

        What an inner backend produces when an optional extension failed to
        compile: a build that derived compiler flags and got this back would
        label Python code as a hardware variant (the build and ``check`` say so).
        """
        if self.filename is None or self.filename.abi != "none" or self.filename.platform != "any":
            return False
        try:
            text = self.read(f"{self.dist_info}/WHEEL").decode("utf-8", "replace")
        except InvalidWheel:
            return False
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "root-is-purelib":
                return value.strip().lower() == "true"
        return False

    def has_variant_json(self) -> bool:
        return self._dir.index_of(self.variant_json_name) >= 0

    def variant_document(self) -> Optional[VariantDocument]:
        """The wheel's variant.json, validated, or ``None`` for a plain wheel."""
        if not self.has_variant_json():
            return None
        return VariantDocument.loads(
            self.read(self.variant_json_name), source=f"{self.path.name}: {self.variant_json_name}"
        )

    def variant(self) -> Optional[Tuple[str, VariantDocument]]:
        """``(label, document)`` checked against the filename's label, or ``None``.

        A labelled filename without variant.json is an error; a plain filename
        with variant.json is a deferred-label wheel (allowed).
        """
        doc = self.variant_document()
        label = self.filename.label if self.filename is not None else None
        if doc is None:
            if label is not None:
                raise InvalidMetadata(
                    f"{self.path.name}: the filename carries label {label!r} but the wheel has no "
                    f"{self.variant_json_name}"
                )
            return None
        inner, _ = doc.single(label, source=f"{self.path.name}: {self.variant_json_name}")
        return inner, doc

    def iter_member_chunks(self, info: Member) -> Iterator[bytes]:
        """The member's uncompressed bytes, 1 MiB at a time (CRC-32 checked at the end).

        Raises ``ValueError`` (a damaged member: a local header that contradicts the
        directory, a bad CRC, a corrupt deflate stream), ``EOFError`` or ``OSError``.
        """
        for block in self._blocks(info.index, reuse=False):
            yield block  # type: ignore[misc]  # bytes when reuse is False

    # -- reading members ----------------------------------------------------------
    def local_data_start(self, i: int) -> int:
        """Where member ``i``'s compressed bytes start, after its local header, which must agree with the directory.

        See :meth:`check_local_header`; the common case (every field from the
        flags to the name as the directory has them) is one comparison.
        """
        d = self._dir
        offset = d.offsets[i]
        entry = d.pos[i]
        name_len = d.name_lens[i]
        cd = d.cd
        self._fh.seek(offset)
        head = self._fh.read(_LOCAL_FIXED + name_len) or b""
        if (
            head[:4] != b"PK\x03\x04"
            or head[6:28] != cd[entry + 8 : entry + 30]
            or head[_LOCAL_FIXED:] != cd[entry + 46 : entry + 46 + name_len]
            or (d.wide and cd[entry + 20 : entry + 28].count(b"\xff\xff\xff\xff"))  # sizes in ZIP64 extra fields
        ):
            self.check_local_header(i)
        if d.flags[i] & 0x60:
            raise NotImplementedError("compressed patched data or strong encryption (flag bit 5 or 6)")
        return offset + _LOCAL_FIXED + name_len + int(struct.unpack_from("<H", head, 28)[0])

    def check_local_header(self, i: int) -> None:
        """Raise ``ValueError`` (:class:`_Unreadable`) unless member ``i``'s local header agrees with the directory.

        It must be one (its signature), name the member as the central
        directory does, byte for byte and in the same encoding (tools disagree
        on which name wins when the two differ: a known way to smuggle files
        past a checker), and say the same compression method, CRC and sizes
        (:func:`local_contradiction`).
        """
        d = self._dir
        offset = d.offsets[i]
        self._fh.seek(offset)
        head = self._fh.read(_LOCAL_FIXED) or b""
        if len(head) < _LOCAL_FIXED or head[:4] != b"PK\x03\x04":
            raise _Unreadable(f"member {d.name(i)!r}: bad local header at offset {offset}")
        local = _LOCAL.unpack(head)
        local_name = self._fh.read(local[9]) or b""
        local_extra = self._fh.read(local[10]) or b""
        check_local_name(d.name(i), d.raw_name(i), d.flags[i], local_name, local[2])
        contradiction = local_contradiction(d, i, local, local_extra)
        if contradiction:
            raise _Unreadable(contradiction)

    def _blocks(self, i: int, *, reuse: bool) -> "Iterator[bytes | memoryview]":
        """Member ``i``'s uncompressed bytes in blocks of at most :data:`CHUNK`, CRC-32 checked.

        Reads as ``zipfile.ZipExtFile`` does (at most the directory's
        uncompressed size, ending where the compressed bytes or the deflate
        stream end), without its per-read overhead.  ``reuse``: stored members
        come as views of one buffer, valid until the next block (for hashing).
        """
        d = self._dir
        full = d.full(i)
        method = full[6]
        if method not in (0, 8):
            yield from self._blocks_via_zipfile(i)
            return
        pos = self.local_data_start(i)
        remaining, left, expected = d.csizes[i], d.usizes[i], full[9]
        fh = self._fh
        crc = 0
        if method == 0:
            buf = bytearray(min(CHUNK, remaining)) if reuse else None
            view = memoryview(buf) if buf is not None else None
            while remaining > 0 and left > 0:
                want = min(CHUNK, remaining)
                fh.seek(pos)
                block: "bytes | memoryview"
                if view is not None:
                    got = fh.readinto(view[:want]) or 0
                    block = view[:got]
                else:
                    block = fh.read(want) or b""
                    got = len(block)
                if not got:
                    raise EOFError(f"member {d.name(i)!r}: data truncated")
                pos += got
                remaining -= got
                if got > left:
                    block = block[:left]
                left -= len(block)
                crc = zlib.crc32(block, crc)
                yield block
        else:
            inflater = zlib.decompressobj(-15)
            ended = False
            while left > 0 and not ended:
                data = inflater.unconsumed_tail
                if data:
                    block = _inflate(inflater, data, d.name(i))
                elif remaining > 0:
                    fh.seek(pos)
                    data = fh.read(min(CHUNK, remaining)) or b""
                    if not data:
                        raise EOFError(f"member {d.name(i)!r}: data truncated")
                    pos += len(data)
                    remaining -= len(data)
                    block = _inflate(inflater, data, d.name(i))
                else:  # every compressed byte given: what the inflater still holds, then the end
                    block = inflater.flush()
                    ended = True
                ended = ended or inflater.eof
                if len(block) > left:
                    block = block[:left]
                left -= len(block)
                crc = zlib.crc32(block, crc)
                if block:
                    yield block
        if crc != expected:
            raise _Unreadable(f"Bad CRC-32 for file {d.name(i)!r}")
        if left > 0:  # zipfile takes what there is; a size the directory invents is a lie all the same
            raise _Unreadable(
                f"member {d.name(i)!r}: the central directory says {d.usizes[i]} bytes, the member holds "
                f"{d.usizes[i] - left}"
            )

    def _blocks_via_zipfile(self, i: int) -> Iterator[bytes]:
        """A member compressed with a method other than stored or deflated (bzip2, lzma), through zipfile."""
        import zipfile

        try:
            with self.zip.open(self._dir.name(i)) as fh:
                while True:
                    chunk = fh.read(CHUNK)
                    if not chunk:
                        return
                    yield chunk
        except zipfile.BadZipFile as exc:
            raise _Unreadable(str(exc)) from None

    # -- RECORD -------------------------------------------------------------------
    def verify_record(self) -> None:
        """Raise :class:`InvalidWheel` listing (up to five) :meth:`record_problems`."""
        problems = self.record_problems()
        if problems:
            shown = "; ".join(map(str, problems[:5]))
            more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
            raise InvalidWheel(f"{self.path}: RECORD verification failed: {shown}{more}")

    def record_problems(self) -> List[RecordProblem]:
        """Stream every member through its RECORD hash and compare (empty: consistent).

        Finds a hash or size that differs, a member missing from RECORD, a RECORD
        row for a missing member, a row listed twice, a member that cannot be
        decompressed, a hash algorithm outside :data:`~varwheel.wheel.record.ACCEPTED_HASHES`.  At
        most :data:`MAX_PROBLEMS_PER_KIND` of each kind are listed, then one
        that says how many more there are.

        Memory: RECORD's bytes and an offset per member (where its row
        starts), whatever the row count.  RECORD is walked once to place each
        row (rows come in directory order in the wheels tools write, so the
        next member is tried first), then the members are walked in directory
        order, each hashed against its row.
        """
        d = self._dir
        record = self.record_file()
        problems = _Problems()
        row_of = array("q", [-1]) * d.count
        missing: List[str] = []
        missing_seen: Set[str] = set()
        missing_more = 0
        hint = 0
        for start, path in self._placed_rows(record):
            i = d.index_of(path, hint) if isinstance(path, str) else path
            if i < 0:
                path = record.row_at(start)[0]
                if path in missing_seen:
                    problems.add("record-duplicate", path, f"RECORD lists {path!r} twice")
                elif len(missing) < MAX_PROBLEMS_PER_KIND:
                    missing_seen.add(path)
                    missing.append(path)
                else:
                    missing_more += 1
                continue
            hint = i + 1
            if row_of[i] >= 0:
                path = d.name(i)
                problems.add("record-duplicate", path, f"RECORD lists {path!r} twice")
            row_of[i] = start
        # RECORD itself and its signatures are listed without a hash; folders are not listed at all.
        unsigned = {j for j in map(d.index_of, (self.record_name, self.record_name + ".jws", self.record_name + ".p7s"))
                    if j >= 0}
        cd, pos, lens = d.cd, d.pos, d.name_lens
        for i, start in enumerate(row_of):
            if i in unsigned or (lens[i] and cd[pos[i] + 45 + lens[i]] == 0x2F):  # the name ends in "/" (any encoding)
                continue
            if start < 0:
                name = d.name(i)
                problems.add("record-unlisted", name, f"{name}: not listed in RECORD")
                continue
            _, spec, listed_size = record.row_at(start)
            hasher = record_hasher(spec)
            if hasher is None:
                name = d.name(i)
                problems.add("record-unreadable", name, f"{name}: RECORD hash {spec!r} uses no accepted algorithm")
                continue
            size = 0
            try:
                for block in self._blocks(i, reuse=True):
                    hasher.update(block)
                    size += len(block)
            except _UNREADABLE as exc:
                name = d.name(i)
                problems.add("record-unreadable", name, f"{name}: cannot be read ({exc})")
                continue
            if not hash_matches(spec, hasher):
                name, algo = d.name(i), spec.partition("=")[0]
                problems.add(
                    "record-hash", name, f"{name}: {algo} differs from RECORD (member changed after RECORD was written)"
                )
            if listed_size and listed_size != str(size):
                name = d.name(i)
                problems.add("record-size", name, f"{name}: size {size} differs from RECORD's {listed_size}")
        for path in missing:
            problems.add("record-missing-member", path, f"{path}: listed in RECORD but not in the wheel")
        problems.more("record-missing-member", missing_more)
        return problems.result()


    def _placed_rows(self, record: Record) -> "Iterator[Tuple[int, str | int]]":
        """``(start, member index or path)`` for each RECORD row.

        The member index (-1: no such member) where the common case decides
        it cheaply: ASCII names, a plain RECORD and its row naming the member
        after the last one placed, compared as bytes; the path otherwise.
        """
        d = self._dir
        if not (record.plain and d.ascii):
            yield from record.paths()
            return
        raw_name, count = d.raw_name, d.count
        hint = 0
        for start, path in record.raw_paths():
            if hint < count and raw_name(hint) == path:
                yield start, hint
                hint += 1
                continue
            try:
                text = path.decode("ascii")
            except UnicodeDecodeError:  # a member name is ASCII here: no member
                yield start, -1
                continue
            i = d.index_of(text)
            hint = i + 1 if i >= 0 else hint
            yield start, i


#: The most problems of one kind :meth:`WheelArchive.record_problems` lists; the rest are counted in one
#: more.  A RECORD of a million rows for files the wheel lacks is a million problems otherwise, an object
#: and a line of ``check``'s report each: memory would grow with what a hostile wheel declares.
MAX_PROBLEMS_PER_KIND = 1000


class _Problems:
    """Record problems in the order found, at most :data:`MAX_PROBLEMS_PER_KIND` of each code."""

    def __init__(self) -> None:
        self.listed: List[RecordProblem] = []
        self.counts: Dict[str, int] = {}

    def add(self, code: RecordCode, path: str, message: str) -> None:
        seen = self.counts.get(code, 0)
        self.counts[code] = seen + 1
        if seen < MAX_PROBLEMS_PER_KIND:
            self.listed.append(RecordProblem(code, path, message))

    def more(self, code: RecordCode, count: int) -> None:
        """``count`` more problems of ``code``, not even made."""
        if count:
            self.counts[code] = self.counts.get(code, 0) + count

    def result(self) -> List[RecordProblem]:
        out = list(self.listed)
        for code, count in self.counts.items():
            if count > MAX_PROBLEMS_PER_KIND:
                out.append(RecordProblem(
                    code,  # type: ignore[arg-type]  # only RecordCode keys are added
                    "",
                    f"RECORD: {count - MAX_PROBLEMS_PER_KIND} more {code} problems (only the first "
                    f"{MAX_PROBLEMS_PER_KIND} are listed)",
                ))
        return out


def file_identity(fd: int) -> Tuple[int, int, int, int, int]:
    """What changes when the open file ``fd`` is written to: size, modification time, inode, device, status change time."""
    info = os.fstat(fd)
    return (info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev, info.st_ctime_ns)


def refuse_if_changed(path: "str | os.PathLike[str]", fd: int, before: Tuple[int, ...]) -> None:
    """Raise :class:`InvalidWheel` if the open file ``fd`` is no longer as :func:`file_identity` found it (``before``).

    For every copy of an input: called after its last byte is copied and
    before the output is linked into place, it turns a file another process
    wrote meanwhile into one line and no output.
    """
    try:
        now = file_identity(fd)
    except OSError as exc:
        raise InvalidWheel(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if now != before:
        said = ", ".join(
            what for what, a, b in zip(("size", "modification time", "inode", "device", "status change time"),
                                       before, now) if a != b
        )
        if said == "status change time":
            # Also what a hard link, chmod or chown does (index --simple links wheels into its pages):
            # refused all the same, since a writer that puts the modification time back looks alike.
            said += ": written with its modification time put back, or linked, or its mode or owner changed"
        raise InvalidWheel(
            f"{path}: changed while it was read ({said}); nothing was written: another process is "
            "writing it, run again once it is complete"
        )


def _inflate(inflater: "zlib._Decompress", data: bytes, name: str) -> bytes:
    """At most :data:`CHUNK` bytes out of ``data``; a corrupt stream is ``ValueError`` (:class:`_Unreadable`), naming the member."""
    try:
        return inflater.decompress(data, CHUNK)
    except zlib.error as exc:
        raise _Unreadable(f"member {name!r}: corrupt deflate data ({exc})") from None


def local_contradiction(d: _Directory, i: int, local: Tuple[int, ...], local_extra: bytes) -> Optional[str]:
    """What member ``i``'s local header says against its central directory entry, or ``None``.

    The method must be the same, and, unless the sizes and CRC come after the
    data (flag bit 3: a streamed member's local header has zeros there), so
    must the CRC and both sizes (from the local ZIP64 extra field when they
    are 0xFFFFFFFF there).  A reader that trusts the local header (many
    unzip tools do) would read other bytes than one that trusts the directory.
    ``local``: the local header's fields (:data:`_LOCAL`'s order).
    """
    full = d.full(i)
    name = d.name(i)
    if local[3] != full[6]:
        return f"member {name!r}: its local header says compression method {local[3]}, the central directory {full[6]}"
    if full[5] & 0x08:
        return None
    csize, usize = local[7], local[8]
    if csize == _U32 or usize == _U32:
        # APPNOTE 4.5.3: a local header's ZIP64 block holds both sizes.
        at, found = 0, False
        while at + 4 <= len(local_extra):
            kind, size = struct.unpack_from("<HH", local_extra, at)
            if kind == 0x0001 and size >= 16 and at + 20 <= len(local_extra):
                usize, csize = struct.unpack_from("<QQ", local_extra, at + 4)
                found = True
                break
            at += 4 + size
        if not found:
            return (
                f"member {name!r}: its local header gives a size as 0xFFFFFFFF without the ZIP64 extra field "
                f"that would hold it; the central directory says {d.csizes[i]} bytes compressed, {d.usizes[i]} bytes"
            )
    said = (local[6], csize, usize)
    known = (full[9], d.csizes[i], d.usizes[i])
    if said != known:
        return (
            f"member {name!r}: its local header says CRC {said[0]:08x}, {said[1]} bytes compressed, {said[2]} bytes; "
            f"the central directory says CRC {known[0]:08x}, {known[1]} and {known[2]}: the two must agree"
        )
    return None


def check_local_name(name: str, central: bytes, central_flags: int, local: bytes, local_flags: int) -> None:
    """Refuse a local header whose name is not the central directory's, byte for byte and in the same encoding.

    ``central`` and ``local`` are the stored names; raises ``ValueError``
    (:class:`_Unreadable`) naming the member.
    """
    if local != central:
        shown = local.decode("utf-8", "replace")
        raise _Unreadable(f"member {name!r}: its local header names it {shown!r}; the two names must agree")
    if (local_flags ^ central_flags) & 0x800 and not central.isascii():
        raise _Unreadable(
            f"member {name!r}: its local header and the central directory disagree on the name's encoding "
            "(the UTF-8 flag); the two names must agree"
        )
