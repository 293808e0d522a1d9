"""Read-only access to a wheel: central directory, dist-info, RECORD, variant.json.

:class:`WheelArchive` reads the wheel's central directory in one pass of its
own (ZIP64 included) and keeps it as it is on disk: no ``zipfile.ZipInfo``
per member, no name decoded twice.  A torch wheel has 13,000 members; building
a Python object for each, twice per command, cost more than copying its
550 MB (``bench/make_variant.py``).  The rewriter copies the directory's
entries back byte for byte from the same bytes.

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
  name and version; ``RECORD`` and ``WHEEL`` in it.

A member's local header is read when the member is: it must agree with the
central directory (signature, name), or the member is unreadable.  Stored and
deflated members, which is what wheels contain, are read here (CRC-32
checked, as :mod:`zipfile` does); any other method goes through :mod:`zipfile`.

:meth:`WheelArchive.record_problems` streams every member through its RECORD
hash and compares (used by ``--verify`` and ``varwheel check``): one inflate
and one hash per member, with reused buffers.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import operator
import os
import re
import stat
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, AbstractSet, Dict, Iterator, List, Literal, Optional, Tuple

if TYPE_CHECKING:
    import zipfile
    from hashlib import _Hash

from varwheel.errors import InvalidFilename, InvalidMetadata, InvalidWheel
from varwheel.model.filename import WheelFilename, normalize_dist_name, version_key
from varwheel.model.document import VariantDocument

__all__ = [
    "WheelArchive",
    "Member",
    "RecordRow",
    "parse_record",
    "require_regular_file",
    "format_record",
    "record_hash",
    "VARIANT_JSON",
    "CHUNK",
    "MAX_RECORD_BYTES",
    "MAX_MEMBER_READ",
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
#: The most of RECORD any command reads: torch's RECORD (13,000 rows) is 1.2 MB; 32 MiB is 300,000 rows.
MAX_RECORD_BYTES = 32 << 20
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


class _Frozen:
    """Value objects without :mod:`dataclasses`: its decorator runs generated code at import (about 1 ms
    per class, and this module is imported by every build hook); equal, hashable and immutable."""

    __slots__: Tuple[str, ...] = ()

    def __init__(self, *values: str) -> None:
        for slot, value in zip(self.__slots__, values):
            object.__setattr__(self, slot, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _values(self) -> Tuple[str, ...]:
        return tuple(getattr(self, slot) for slot in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Frozen) and type(other) is type(self) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__,) + self._values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{s}={getattr(self, s)!r}' for s in self.__slots__)})"


class RecordRow(_Frozen):
    """One RECORD row: the path, ``algo=digest`` (or empty) and the size (or empty), as strings."""

    __slots__ = ("path", "hash", "size")
    path: str
    hash: str
    size: str

    def __init__(self, path: str, hash: str, size: str) -> None:  # noqa: A002 - RECORD's own column name
        super().__init__(path, hash, size)

    def as_list(self) -> List[str]:
        return [self.path, self.hash, self.size]


def record_hash(data: bytes) -> str:
    """``sha256=<urlsafe base64, no padding>`` as RECORD writes it."""
    return "sha256=" + _encode(hashlib.sha256(data).digest())


def _encode(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


#: The RECORD hash algorithms every command accepts (PEP 376 / the wheel spec): those
#: hashlib guarantees, less md5 and sha1 (too weak) and shake_* (no fixed digest size).
ACCEPTED_HASHES = frozenset(
    a for a in hashlib.algorithms_guaranteed if a not in ("md5", "sha1") and not a.startswith("shake_")
)


def record_hasher(spec: str) -> "Optional[_Hash]":
    """A fresh hash object for RECORD's ``algo=digest`` ``spec``, or ``None`` for an algorithm nobody accepts."""
    algo = spec.partition("=")[0]
    return hashlib.new(algo) if algo in ACCEPTED_HASHES else None


def hash_matches(spec: str, hasher: "_Hash") -> bool:
    """Whether ``hasher`` (fed with a member's bytes) gives RECORD's ``spec``."""
    return spec.partition("=")[2] == _encode(hasher.digest())


#: What :meth:`WheelArchive.record_problems` finds; ``check`` reports each kind with this code.
RecordCode = Literal[
    "record-hash", "record-size", "record-unlisted", "record-missing-member", "record-duplicate", "record-unreadable"
]


class RecordProblem(_Frozen):
    """One disagreement between a wheel and its RECORD: what kind, which member, the sentence for people."""

    __slots__ = ("code", "path", "message")
    code: RecordCode
    path: str
    message: str

    def __init__(self, code: RecordCode, path: str, message: str) -> None:
        super().__init__(code, path, message)

    def __str__(self) -> str:
        return self.message


#: csv's default field size limit: a longer field is not valid RECORD (csv refuses it).
_CSV_FIELD_LIMIT = 131072


def _plain_record_lines(text: str) -> Optional[List[str]]:
    """RECORD's non-empty lines when no CSV rule applies to it, else ``None``.

    No quote, carriage return or NUL anywhere, two commas on every line, no
    line over csv's field limit: then every line is its row, split at the
    commas, and a CSV writer would write it back unchanged.  That is every
    RECORD the usual tools write; reading and writing 13,000 rows through
    :mod:`csv` instead costs more than copying the wheel (``bench/make_variant.py``).
    """
    if '"' in text or "\r" in text or "\x00" in text:
        return None
    lines = text.split("\n")
    if "" in lines:
        lines = [line for line in lines if line]
    # map() over C methods: no Python frame per line (13,000 lines for torch).
    if lines and (set(map(str.count, lines, itertools.repeat(","))) != {2} or max(map(len, lines)) > _CSV_FIELD_LIMIT):
        return None
    return lines


def _refuse_nul(text: str, source: str) -> None:
    """A NUL in RECORD is no path any file system has (Python 3.11's csv stopped refusing it)."""
    at = text.find("\x00")
    if at >= 0:
        line = text.count("\n", 0, at) + 1
        raise InvalidWheel(f"{source}, line {line}: contains a NUL character; no file name has one")


def _decode_record(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidWheel(f"{source}: not UTF-8: {exc}") from None


def record_lines(raw: bytes, *, source: str = "RECORD") -> List[List[str]]:
    """RECORD's rows as ``[path, hash, size]`` lists, with real CSV rules (quoted names, commas inside names).

    What :func:`parse_record` checks, without an object per row (``check``
    and ``--verify`` read 13,000 of them for torch).
    """
    text = _decode_record(raw, source)
    plain = _plain_record_lines(text)
    if plain is not None:
        return list(map(operator.methodcaller("split", ","), plain))
    _refuse_nul(text, source)
    import csv  # only for a RECORD that needs CSV's rules (quoted names)

    reader = csv.reader(io.StringIO(text, newline=""))
    rows: List[List[str]] = []
    try:
        for row in reader:
            if not row:
                continue
            if len(row) != 3:
                raise InvalidWheel(
                    f"{source}, line {reader.line_num}: expected 3 fields (path,hash,size), found {len(row)}: {row!r}"
                )
            rows.append(row)
    except csv.Error as exc:  # a field over csv's size limit, a NUL, a broken quote
        raise InvalidWheel(f"{source}, line {reader.line_num}: not a valid RECORD line ({exc})") from None
    return rows


def replace_record_rows(raw: bytes, drop: AbstractSet[str], add: List[List[str]], *, source: str = "RECORD") -> bytes:
    """RECORD without the rows of the paths in ``drop``, with ``add`` appended, as :func:`format_record` writes it.

    The rows RECORD keeps are written back as they were when no CSV rule
    applies to them (the same bytes a CSV writer gives); otherwise every row
    goes through :mod:`csv`.
    """
    text = _decode_record(raw, source)
    plain = _plain_record_lines(text)
    if plain is None:
        _refuse_nul(text, source)
        kept = [row for row in record_lines(raw, source=source) if row[0] not in drop]
        return format_record(kept + add)
    kept_lines = list(itertools.filterfalse(operator.methodcaller("startswith", tuple(f"{d}," for d in drop)), plain))
    head = ("\n".join(kept_lines) + "\n").encode("utf-8") if kept_lines else b""
    return head + format_record(add)


def parse_record(raw: bytes, *, source: str = "RECORD") -> List[RecordRow]:
    """Parse RECORD with real CSV rules (quoted names, commas inside names)."""
    return [RecordRow(*row) for row in record_lines(raw, source=source)]


def format_record(rows: "List[RecordRow] | List[List[str]]") -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=",", quotechar='"', lineterminator="\n")
    writer.writerows([row.as_list() if isinstance(row, RecordRow) else row for row in rows])
    return out.getvalue().encode("utf-8")


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
    return normalize_dist_name(name) == normalize_dist_name(fname.name) and version_key(version) == version_key(
        fname.version
    )


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


class _Directory:
    """One wheel's central directory as read from disk, checked once.

    A pure function of the directory's bytes and of where they lie: a second
    :class:`WheelArchive` on the same file (every command opens its inputs
    once to plan and once to write) reuses it when the bytes compare equal.
    Entries are parallel lists, indexed in directory order.
    """

    __slots__ = (
        "cd", "cd_start", "cd_offset", "concat", "comment",
        "pos", "fields", "raw_names", "names", "ascii_names", "offsets", "csizes", "usizes", "index", "dist_info", "in_order",
    )

    def __init__(self, cd: bytes, cd_start: int, cd_offset: int, concat: int, comment: bytes) -> None:
        self.cd = cd
        #: where the directory starts in the file, and what the end record says (the two differ by
        #: ``concat``: bytes put in front of the archive, which every offset ignores).
        self.cd_start = cd_start
        self.cd_offset = cd_offset
        self.concat = concat
        self.comment = comment
        self.pos: List[int] = []
        self.fields: List[Tuple[int, ...]] = []
        self.raw_names: List[bytes] = []
        self.names: List[str] = []
        #: the names joined by newlines, when they are all ASCII (for the checks over all of them at once)
        self.ascii_names: Optional[bytes] = None
        #: the local header offset in the file (``concat`` added), compressed and uncompressed size, ZIP64 resolved.
        self.offsets: List[int] = []
        self.csizes: List[int] = []
        self.usizes: List[int] = []
        self.index: Dict[str, int] = {}
        self.dist_info = ""
        #: members lie in the file in directory order (the rewriter's common case)
        self.in_order = True

    def entry(self, i: int) -> bytes:
        """The directory entry of member ``i``, byte for byte."""
        f = self.fields[i]
        start = self.pos[i]
        return self.cd[start : start + 46 + f[5] + f[6] + f[7]]

    def full(self, i: int) -> Tuple[int, ...]:
        """Every fixed field of member ``i``'s entry, in :data:`_CENTRAL`'s order."""
        return _CENTRAL.unpack_from(self.cd, self.pos[i])

    def parse(self, declared: int) -> None:
        """Walk the entries once; raise :class:`_Unreadable` or :class:`_TooNew` where zipfile would refuse.

        Only the walk is a Python loop (each entry's length depends on the
        previous one); names, sizes and offsets are then taken out of the
        entries in bulk.  ``declared``: the directory's size in the end record.
        """
        cd = self.cd
        unpack = _WALK.unpack_from
        fields: List[Tuple[int, ...]] = []
        starts: List[int] = []
        add_fields, add_start = fields.append, starts.append
        signature = b"PK\x01\x02"
        pos = 0
        try:
            while pos < declared:
                f = unpack(cd, pos)
                if f[0] != signature:
                    raise _Unreadable("Bad magic number for central directory")
                add_fields(f)
                add_start(pos)
                pos += 46 + f[5] + f[6] + f[7]
        except struct.error:  # fewer than 46 bytes left
            raise _Unreadable("Truncated central directory") from None
        if pos > len(cd):
            raise _Unreadable("Truncated central directory")
        self.fields, self.pos = fields, starts
        raw = [cd[p + 46 : p + 46 + f[5]] for p, f in zip(starts, fields)]
        self.raw_names = raw
        joined = b"\n".join(raw)
        if joined.isascii() and joined.count(b"\n") == len(raw) - 1:
            # ASCII reads the same in UTF-8 and cp437: one decode for every name.
            self.names = joined.decode("ascii").split("\n") if raw else []
            self.ascii_names = joined
        else:
            self.names = [r.decode("utf-8" if f[2] & 0x800 else "cp437") for r, f in zip(raw, fields)]
        if fields and max(f[1] for f in fields) > MAX_EXTRACT_VERSION:
            first = next(i for i, f in enumerate(fields) if f[1] > MAX_EXTRACT_VERSION)
            raise _TooNew(self.names[first], fields[first][1])
        concat = self.concat
        self.offsets = [f[8] + concat for f in fields] if concat else [f[8] for f in fields]
        self.csizes = [f[3] for f in fields]
        self.usizes = [f[4] for f in fields]
        for i in [i for i, f in enumerate(fields) if f[6]]:
            f = fields[i]
            at = starts[i] + 46 + f[5]
            usize, csize, offset = _zip64_values(cd[at : at + f[6]], f[4], f[3], f[8])
            self.usizes[i], self.csizes[i], self.offsets[i] = usize, csize, offset + concat

    def check(self, path: Path) -> None:
        """The structure checks that need the whole directory; raise :class:`InvalidWheel`."""
        names = self.names
        count = len(names)
        self._check_extents(path)
        if self.ascii_names is not None:  # the usual case: all names at once, as bytes
            blob = self.ascii_names
            suspect = len(blob.translate(None, _CONTROL_OR_BACKSLASH_BYTES)) != len(blob)
            suspect = suspect or blob.startswith(b"/") or b"\n/" in blob or b":" in blob or b".." in blob
        else:
            joined = "\n".join(names)
            suspect = (
                _JOINED_CONTROL_OR_BACKSLASH.search(joined) is not None
                or joined.count("\n") != max(count - 1, 0)
                or joined.startswith("/")
                or "\n/" in joined
                or ":" in joined
                or ".." in joined
            )
        if suspect:  # some name may be unsafe: the exact rule decides
            suspect = any(_is_unsafe_name(name) for name in names)
        suspect = suspect or any(f[2] & 0x1 for f in self.fields)
        if suspect:
            for i, name in enumerate(names):  # the exact rules, in directory order, for the message
                if _is_unsafe_name(name):
                    raise InvalidWheel(
                        f"{path}: unsafe member name {name!r} "
                        "(absolute, containing '..', a backslash or a control character)"
                    )
                if self.fields[i][2] & 0x1:
                    raise InvalidWheel(f"{path}: member {name!r} is encrypted")
        self.index = dict(zip(names, range(count)))
        if len(self.index) != count:
            seen: Dict[str, int] = {}
            for name in names:
                seen[name] = seen.get(name, 0) + 1
            dups = sorted(n for n, c in seen.items() if c > 1)
            raise InvalidWheel(f"{path}: duplicate member names: {', '.join(dups[:5])}")
        top = sorted({head for head, sep, _ in (n.partition("/") for n in names if ".dist-info/" in n)
                      if sep and head.endswith(".dist-info")})
        if len(top) != 1:
            raise InvalidWheel(
                f"{path}: expected exactly one .dist-info directory, found "
                f"{len(top)}{': ' + ', '.join(top) if top else ''}"
            )
        self.dist_info = top[0]

    def _check_extents(self, path: Path) -> None:
        """Every member inside the archive, before the directory, none overlapping another.

        The local header's extra field and a data descriptor are not known
        without reading each member, so a member's extent here is its least:
        header, name and compressed data.  The rewriter checks the exact
        extents of what it copies.
        """
        offsets, fields = self.offsets, self.fields
        if not offsets:
            return
        ends = [o + _LOCAL_FIXED + f[5] + c for o, f, c in zip(offsets, fields, self.csizes)]
        floor = max(self.concat, 0)  # (an end record that puts the directory past the file makes concat negative)
        if max(ends) > self.cd_start or min(offsets) < floor:
            i = next(i for i, (o, e) in enumerate(zip(offsets, ends)) if e > self.cd_start or o < floor)
            raise InvalidWheel(
                f"{path}: member {self.names[i]!r} (offset {offsets[i]}, {self.csizes[i]} bytes of data) lies "
                f"outside the archive's member area (before the central directory at {self.cd_start}); the file "
                "is truncated or crafted"
            )
        self.in_order = all(map(operator.le, ends[:-1], offsets[1:]))
        if self.in_order:
            return
        order = sorted(range(len(offsets)), key=offsets.__getitem__)
        for a, b in zip(order, order[1:]):
            if ends[a] > offsets[b]:
                raise InvalidWheel(
                    f"{path}: members {self.names[a]!r} and {self.names[b]!r} overlap (bytes {offsets[a]}-{ends[a]} "
                    f"and from {offsets[b]}); a zip whose members share bytes is refused (it is how zip bombs "
                    "amplify, and how one archive shows different files to different tools)"
                )


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


def _load_directory(fh: "io.RawIOBase | io.BufferedIOBase", path: Path) -> _Directory:
    """Read, parse and check ``fh``'s central directory (or reuse the last one, if its bytes are these)."""
    try:
        cd_start, cd_size, cd_offset, concat, comment = _end_records(fh)
        fh.seek(cd_start)
        cd = fh.read(cd_size) or b""
        if _LAST:
            last = _LAST[0]
            if (last.cd_start, last.cd_offset, last.concat, last.comment) == (cd_start, cd_offset, concat, comment) and (
                last.cd == cd
            ):
                return last
        directory = _Directory(cd, cd_start, cd_offset, concat, comment)
        directory.parse(cd_size)
    except _TooNew as exc:
        raise InvalidWheel(
            f"{path}: member {exc.name!r} needs a newer zip version than Python's zipfile, "
            f"and so pip, can extract ({exc}, at most 6.3 is read); rebuild the wheel with a standard zip writer"
        ) from None
    except (_Unreadable, UnicodeDecodeError) as exc:
        raise InvalidWheel(f"{path}: not a readable zip archive ({exc})") from None
    directory.check(path)
    _LAST[:] = [directory]
    return directory


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
        self.filename = self.orig_filename = directory.names[i]
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

    # -- structure ----------------------------------------------------------------
    def _check_structure(self) -> None:
        self.dist_info = self._dir.dist_info
        if self.filename is not None and not _dist_info_matches(self.dist_info, self.filename):
            raise InvalidWheel(
                f"{self.path}: .dist-info directory {self.dist_info!r} does not match the filename's "
                f"name and version ({self.filename.name} {self.filename.version})"
            )
        for required in ("RECORD", "WHEEL"):
            if f"{self.dist_info}/{required}" not in self._dir.index:
                raise InvalidWheel(f"{self.path}: {self.dist_info}/{required} is missing")

    @property
    def names(self) -> AbstractSet[str]:
        """Every member name (a set: for ``in``)."""
        return self._dir.index.keys()

    @property
    def members(self) -> List[Member]:
        """Every member in central directory order (made on first use)."""
        if self._members is None:
            self._members = [Member(self._dir, i) for i in range(len(self._dir.names))]
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
        if self._members is not None:
            return self._members[self._dir.index[name]]
        return Member(self._dir, self._dir.index[name])

    def read(self, name: str, *, limit: Optional[int] = None) -> bytes:
        """Member ``name``'s bytes, read whole: at most ``limit`` of them, else :class:`InvalidWheel`.

        ``limit`` defaults to :data:`MAX_RECORD_BYTES` for RECORD and
        :data:`MAX_MEMBER_READ` for any other member (variant.json, METADATA,
        WHEEL: the members commands read whole), so that a small member that
        inflates to gigabytes (a zip bomb) is refused, not read.  What the
        directory declares is not trusted: the bytes are counted as they come.
        """
        try:
            i = self._dir.index[name]
        except KeyError:
            raise InvalidWheel(f"{self.path}: member {name!r} is missing") from None
        if limit is None:
            limit = MAX_RECORD_BYTES if name == self.record_name else MAX_MEMBER_READ
        blocks: List[bytes] = []
        size = 0
        try:
            for block in self._blocks(i, reuse=False):
                size += len(block)
                if size > limit:
                    raise InvalidWheel(
                        f"{self.path}: member {name!r} inflates to more than {limit >> 20} MiB; no real "
                        f"{name.rsplit('/', 1)[-1]} is that large (a zip bomb?)"
                    )
                blocks.append(block)  # type: ignore[arg-type]  # bytes when reuse is False
        except InvalidWheel:
            raise
        except _UNREADABLE as exc:
            raise InvalidWheel(f"{self.path}: member {name!r} cannot be read ({exc})") from None
        return b"".join(blocks)

    def record(self) -> List[RecordRow]:
        return parse_record(self.read(self.record_name), source=f"{self.path.name}: RECORD")

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
        return self.variant_json_name in self._dir.index

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
        name = d.raw_names[i]
        entry = d.pos[i]
        self._fh.seek(offset)
        head = self._fh.read(_LOCAL_FIXED + len(name)) or b""
        f = d.fields[i]
        if (
            head[:4] != b"PK\x03\x04"
            or head[6:28] != d.cd[entry + 8 : entry + 30]
            or head[_LOCAL_FIXED:] != name
            or f[3] == _U32
            or f[4] == _U32
        ):
            self.check_local_header(i)
        if d.fields[i][2] & 0x60:
            raise NotImplementedError("compressed patched data or strong encryption (flag bit 5 or 6)")
        return offset + _LOCAL_FIXED + len(name) + int(struct.unpack_from("<H", head, 28)[0])

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
            raise _Unreadable(f"member {d.names[i]!r}: bad local header at offset {offset}")
        local = _LOCAL.unpack(head)
        local_name = self._fh.read(local[9]) or b""
        local_extra = self._fh.read(local[10]) or b""
        check_local_name(d.names[i], d.raw_names[i], d.fields[i][2], local_name, local[2])
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
                    raise EOFError(f"member {d.names[i]!r}: data truncated")
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
                    block = _inflate(inflater, data, d.names[i])
                elif remaining > 0:
                    fh.seek(pos)
                    data = fh.read(min(CHUNK, remaining)) or b""
                    if not data:
                        raise EOFError(f"member {d.names[i]!r}: data truncated")
                    pos += len(data)
                    remaining -= len(data)
                    block = _inflate(inflater, data, d.names[i])
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
            raise _Unreadable(f"Bad CRC-32 for file {d.names[i]!r}")
        if left > 0:  # zipfile takes what there is; a size the directory invents is a lie all the same
            raise _Unreadable(
                f"member {d.names[i]!r}: the central directory says {d.usizes[i]} bytes, the member holds "
                f"{d.usizes[i] - left}"
            )

    def _blocks_via_zipfile(self, i: int) -> Iterator[bytes]:
        """A member compressed with a method other than stored or deflated (bzip2, lzma), through zipfile."""
        import zipfile

        try:
            with self.zip.open(self._dir.names[i]) as fh:
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
        decompressed, a hash algorithm outside :data:`ACCEPTED_HASHES`.
        """
        problems: List[RecordProblem] = []
        rows = record_lines(self.read(self.record_name), source=f"{self.path.name}: RECORD")
        by_path: Dict[str, List[str]] = {}
        for listed in rows:
            if listed[0] in by_path:
                problems.append(RecordProblem("record-duplicate", listed[0], f"RECORD lists {listed[0]!r} twice"))
            by_path[listed[0]] = listed
        unsigned = {self.record_name, self.record_name + ".jws", self.record_name + ".p7s"}
        for i, name in enumerate(self._dir.names):
            if name.endswith("/"):
                continue
            row = by_path.pop(name, None)
            if name in unsigned:
                continue
            if row is None:
                problems.append(RecordProblem("record-unlisted", name, f"{name}: not listed in RECORD"))
                continue
            spec, listed_size = row[1], row[2]
            hasher = record_hasher(spec)
            if hasher is None:
                problems.append(RecordProblem(
                    "record-unreadable", name, f"{name}: RECORD hash {spec!r} uses no accepted algorithm"
                ))
                continue
            size = 0
            try:
                for block in self._blocks(i, reuse=True):
                    hasher.update(block)
                    size += len(block)
            except _UNREADABLE as exc:
                problems.append(RecordProblem("record-unreadable", name, f"{name}: cannot be read ({exc})"))
                continue
            if not hash_matches(spec, hasher):
                algo = spec.partition("=")[0]
                problems.append(RecordProblem(
                    "record-hash", name, f"{name}: {algo} differs from RECORD (member changed after RECORD was written)"
                ))
            if listed_size and listed_size != str(size):
                problems.append(RecordProblem("record-size", name, f"{name}: size {size} differs from RECORD's {listed_size}"))
        for path in by_path:
            if path not in self._dir.index:
                problems.append(RecordProblem("record-missing-member", path, f"{path}: listed in RECORD but not in the wheel"))
        return problems


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
    name = d.names[i]
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
