"""A corpus of hostile and malformed wheels and index files (issue 11, "the suite attacks itself").

Every case is a small folder holding one input that lies about something:
the zip structure (end records in a comment, several end records, ZIP64
extras, offsets past the end of the file, local headers that contradict the
central directory, overlapping members), the members (encrypted, unknown
compression methods, symlinks, control characters and non-UTF-8 bytes in
names, case-folded dist-info names), the metadata (a deflate bomb posing as
``variant.json`` or RECORD, nesting too deep to parse, labels too long for the
file system, hashes installers do not take), or the file itself (empty,
truncated, a FIFO, a directory, a link to ``/dev/zero``).  Each case has an
id, a one-line description of its lie, and what it expects from varwheel:
the commands that must refuse it (``refuse``) and those that must take it
(``accept``); every other command only has to keep the contract (see
tests/test_hostile_corpus.py).

The zips are written byte by byte by :func:`zip_bytes` (not :mod:`zipfile`,
which cannot be made to lie), so each case says exactly which field is wrong.

Build the whole corpus into a folder::

    python -m tests.hostile_corpus /tmp/corpus      # prints one line per case: id, kind, lie

or from Python: :func:`build_corpus` (``{case id: input path}``) and
:func:`build_case`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import struct
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Iterable, List, Literal, Optional, Tuple

__all__ = [
    "Case",
    "CASES",
    "COMMANDS",
    "READERS",
    "Entry",
    "zip_bytes",
    "build_case",
    "build_corpus",
    "PROPERTY",
    "BOMB_BYTES",
]

#: The variant every variant-shaped case carries (label fa7c1393).
PROPERTY = "x86_64 :: level :: v3"
LABEL = "fa7c1393"
NAME, VERSION = "demo", "1.0"
DIST_INFO = f"{NAME}-{VERSION}.dist-info"
PLAIN_NAME = f"{NAME}-{VERSION}-py3-none-any.whl"
VARIANT_NAME = f"{NAME}-{VERSION}-py3-none-any-{LABEL}.whl"
INDEX_NAME = f"{NAME}-{VERSION}-variants.json"

#: What a deflate bomb inflates to: far more than the 100 MiB a command may use, little on disk.
BOMB_BYTES = 160 << 20

#: Every command the corpus goes through (tests/test_hostile_corpus.py says how each is called).
COMMANDS = (
    "make-variant", "show", "check", "index", "relabel", "unmake-variant", "upgrade", "select", "install", "repair",
)
#: Commands that open the wheel they are given for its content: a broken wheel must be refused by each.
READERS: FrozenSet[str] = frozenset({"make-variant", "show", "check", "relabel", "unmake-variant", "upgrade", "repair"})
#: Commands that copy member bytes (or verify them, ``check``): a lie about where a member's bytes are matters to each
#: (``upgrade`` and ``relabel -o`` copy a current-format wheel as a whole file, which a lie inside cannot amplify).
COPIERS: FrozenSet[str] = frozenset({"make-variant", "check", "unmake-variant", "repair"})
NONE: FrozenSet[str] = frozenset()

Kind = Literal["wheel", "index", "folder"]
Base = Literal["plain", "variant", "deferred"]


# -- zip writing, field by field -----------------------------------------------------------------

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sBBHHHHHIIIHHHHHII")
_EOCD = struct.Struct("<4sHHHHIIH")
_EOCD64 = struct.Struct("<4sQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<4sIQI")
STORED, DEFLATED = 0, 8
_DOS_TIME = (3 << 11) | (4 << 5) | (6 // 2)
_DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 2
_REGULAR = (stat.S_IFREG | 0o644) << 16


def deflate(data: bytes) -> bytes:
    """Raw deflate (no zlib header), as zip stores it."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


@dataclass
class Entry:
    """One member as :func:`zip_bytes` writes it; every ``None`` field is written truthfully.

    ``local`` overrides fields of the local header only (``name``, ``method``,
    ``crc``, ``csize``, ``usize``, ``flags``, ``version``); ``at`` places the
    central directory's offset relative to another member's local header
    (``(name, delta)``) instead of this member's own.
    """

    name: "str | bytes"
    data: bytes = b""
    method: int = DEFLATED
    raw: Optional[bytes] = None
    flags: int = 0
    version_needed: int = 20
    create_system: int = 3
    create_version: int = 20
    external_attr: int = _REGULAR
    local_extra: bytes = b""
    central_extra: bytes = b""
    crc: Optional[int] = None
    csize: Optional[int] = None
    usize: Optional[int] = None
    local: Dict[str, object] = field(default_factory=dict)
    offset: Optional[int] = None
    at: Optional[Tuple[str, int]] = None
    in_archive: bool = True
    in_directory: bool = True
    descriptor: bool = False

    @property
    def name_bytes(self) -> bytes:
        return self.name if isinstance(self.name, bytes) else self.name.encode("utf-8")

    @property
    def key(self) -> str:
        return self.name_bytes.decode("utf-8", "replace")

    def stored(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.method == DEFLATED:
            return deflate(self.data)
        return self.data

    def true_crc(self) -> int:
        return zlib.crc32(self.data) & 0xFFFFFFFF

    def local_block(self) -> bytes:
        """Local header, stored bytes and (with ``descriptor``) the data descriptor."""
        stored = self.stored()
        lo = self.local
        crc = lo.get("crc", self.crc if self.crc is not None else self.true_crc())
        csize = lo.get("csize", self.csize if self.csize is not None else len(stored))
        usize = lo.get("usize", self.usize if self.usize is not None else len(self.data))
        flags = lo.get("flags", self.flags | (0x8 if self.descriptor else 0))
        name = lo.get("name", self.name_bytes)
        assert isinstance(name, bytes)
        if self.descriptor:
            crc_h, csize_h, usize_h = 0, 0, 0
        else:
            crc_h, csize_h, usize_h = crc, csize, usize
        header = _LOCAL.pack(
            b"PK\x03\x04", lo.get("version", self.version_needed), flags, lo.get("method", self.method),
            _DOS_TIME, _DOS_DATE, crc_h, csize_h, usize_h, len(name), len(self.local_extra),
        )
        tail = struct.pack("<4sIII", b"PK\x07\x08", crc, csize, usize) if self.descriptor else b""
        return header + name + self.local_extra + stored + tail


def zip_bytes(
    entries: Iterable[Entry],
    *,
    prefix: bytes = b"",
    comment: bytes = b"",
    eocd: Optional[Dict[str, int]] = None,
    zip64: bool = False,
    locator: Optional[Dict[str, int]] = None,
    after: bytes = b"",
) -> bytes:
    """A zip archive of ``entries``; ``eocd`` overrides end-record fields (``entries``,
    ``cd_size``, ``cd_offset``, ``comment_len``); ``zip64`` adds a ZIP64 end record and
    locator (``locator`` overrides its ``offset``); ``after`` follows the end record."""
    entries = list(entries)
    out = bytearray(prefix)
    offsets: Dict[str, int] = {}
    for e in entries:
        if e.in_archive:
            offsets[e.key] = len(out)
            out += e.local_block()
    cd_start = len(out)
    count = 0
    for e in entries:
        if not e.in_directory:
            continue
        count += 1
        stored = e.stored()
        if e.offset is not None:
            where = e.offset
        elif e.at is not None:
            where = offsets[e.at[0]] + e.at[1]
        else:
            where = offsets[e.key]
        name = e.name_bytes
        out += _CENTRAL.pack(
            b"PK\x01\x02", e.create_version, e.create_system, e.version_needed, e.flags | (0x8 if e.descriptor else 0),
            e.method, _DOS_TIME, _DOS_DATE, e.crc if e.crc is not None else e.true_crc(),
            e.csize if e.csize is not None else len(stored), e.usize if e.usize is not None else len(e.data),
            len(name), len(e.central_extra), 0, 0, 0, e.external_attr, (where - len(prefix)) & 0xFFFFFFFF,
        )
        out += name + e.central_extra
    cd_size = len(out) - cd_start
    fields = {"entries": count, "cd_size": cd_size, "cd_offset": cd_start - len(prefix), "comment_len": len(comment)}
    fields.update(eocd or {})
    if zip64:
        eocd64_at = len(out)
        out += _EOCD64.pack(b"PK\x06\x06", 44, 45, 45, 0, 0, fields["entries"], fields["entries"], fields["cd_size"],
                            fields["cd_offset"])
        loc = {"offset": eocd64_at}
        loc.update(locator or {})
        out += _LOCATOR64.pack(b"PK\x06\x07", 0, loc["offset"], 1)
        fields.update({"entries": 0xFFFF, "cd_size": 0xFFFFFFFF, "cd_offset": 0xFFFFFFFF})
        fields.update(eocd or {})
    out += _EOCD.pack(b"PK\x05\x06", 0, 0, fields["entries"], fields["entries"], fields["cd_size"] & 0xFFFFFFFF,
                      fields["cd_offset"] & 0xFFFFFFFF, fields["comment_len"])
    out += comment + after
    return bytes(out)


# -- wheels -------------------------------------------------------------------------------------


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def record_row(name: str, data: bytes, algo: str = "sha256") -> str:
    h = hashlib.new(algo, data)
    digest = h.digest()  # type: ignore[call-arg]
    return f"{name},{algo}={_b64(digest)},{len(data)}"


def record_for(files: Dict[str, bytes], *, algo: str = "sha256", skip: Iterable[str] = ()) -> bytes:
    """RECORD listing ``files`` (with real hashes) and itself, as a wheel builder writes it."""
    rows = [record_row(_csv_field(n), d, algo) for n, d in files.items() if n not in set(skip)]
    rows.append(f"{DIST_INFO}/RECORD,,")
    return ("\n".join(rows) + "\n").encode()


def _csv_field(name: str) -> str:
    return '"' + name.replace('"', '""') + '"' if any(c in name for c in ',"\n\r') else name


def variant_json() -> bytes:
    """The variant.json varwheel itself writes for :data:`PROPERTY` (so the corpus follows the format)."""
    from varwheel.model.request import resolve_variant

    return resolve_variant([PROPERTY]).variant_json


def base_files(base: Base = "plain") -> Tuple[str, Dict[str, bytes]]:
    """``(file name, {member: bytes})`` of a small valid wheel; RECORD not included."""
    files = {
        f"{NAME}/__init__.py": b"__version__ = '1.0'\n",
        f"{NAME}/data.txt": b"".join(b"line %d of the payload\n" % i for i in range(200)),
        f"{DIST_INFO}/METADATA": f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n\n".encode(),
        f"{DIST_INFO}/WHEEL": b"Wheel-Version: 1.0\nGenerator: varwheel-hostile-corpus\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if base != "plain":
        files[f"{DIST_INFO}/variant.json"] = variant_json()
    return (VARIANT_NAME if base == "variant" else PLAIN_NAME), files


def wheel_entries(files: Dict[str, bytes], *, record: Optional[bytes] = None, method: int = DEFLATED) -> List[Entry]:
    """One deflated :class:`Entry` per file, RECORD (computed unless given) last."""
    entries = [Entry(n, d, method=method) for n, d in files.items()]
    entries.append(Entry(f"{DIST_INFO}/RECORD", record if record is not None else record_for(files), method=method))
    return entries


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def wheel_with(folder: Path, base: Base = "plain", *, change: Optional[Callable[[Dict[str, bytes]], None]] = None,
               entries: Optional[Callable[[List[Entry]], None]] = None, name: Optional[str] = None, **zip_args) -> Path:
    """Write a wheel of ``base``: ``change`` edits the files (RECORD follows), ``entries`` the members (it does not)."""
    fname, files = base_files(base)
    if change is not None:
        change(files)
    members = wheel_entries(files)
    if entries is not None:
        entries(members)
    return write(folder, name or fname, zip_bytes(members, **zip_args))


def _member(members: List[Entry], suffix: str) -> Entry:
    return next(e for e in members if e.key.endswith(suffix))


def bomb_entry(name: str, head: bytes, pad: int, tail: bytes) -> Entry:
    """A member: ``head``, ``pad`` bytes (whole MiB) of spaces, ``tail``; CRC and sizes true, about 1 KB per MiB stored.

    After a full flush deflate forgets its history, so one compressed MiB of
    spaces can be repeated as is: the bomb costs nothing to make.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b" " * (1 << 20)
    start = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    packed = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    count = pad >> 20
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc) & 0xFFFFFFFF
    raw = start + packed * count + c.compress(tail) + c.flush()
    return Entry(name, b"", raw=raw, crc=crc, usize=len(head) + (count << 20) + len(tail))


# -- cases --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One hostile input: ``make(folder)`` writes it into an empty ``folder`` and returns its path.

    ``kind``: what the path is (a wheel, an index file, a folder).  ``refuse``:
    commands that must refuse it (exit 2; ``check`` exit 1 with a finding);
    ``accept``: commands that must take it (exit 0).  ``item``: the issue 11
    item it reproduces, if any.  ``slow``: seconds per command (the default
    run gives it fewer commands).
    """

    id: str
    lie: str
    kind: Kind
    make: Callable[[Path], Path]
    refuse: FrozenSet[str] = READERS
    accept: FrozenSet[str] = NONE
    item: Optional[int] = None
    slow: bool = False


CASES: List[Case] = []


def case(id: str, lie: str, *, kind: Kind = "wheel", refuse: FrozenSet[str] = READERS, accept: FrozenSet[str] = NONE,
         item: Optional[int] = None, slow: bool = False) -> Callable[[Callable[[Path], Path]], Callable[[Path], Path]]:
    def register(make: Callable[[Path], Path]) -> Callable[[Path], Path]:
        assert all(c.id != id for c in CASES), id
        assert not (refuse & accept), id
        CASES.append(Case(id, lie, kind, make, frozenset(refuse), frozenset(accept), item, slow))
        return make
    return register


# The file itself --------------------------------------------------------------------------------


@case("empty-file", "a zero-byte file named like a wheel")
def _(folder: Path) -> Path:
    return write(folder, PLAIN_NAME, b"")


@case("not-a-zip", "text, not a zip archive")
def _(folder: Path) -> Path:
    return write(folder, PLAIN_NAME, b"#!/bin/sh\necho this is not a wheel\n" * 20)


@case("truncated-half", "the second half of the file is gone (no central directory, no end record)")
def _(folder: Path) -> Path:
    data = zip_bytes(wheel_entries(base_files()[1]))
    return write(folder, PLAIN_NAME, data[: len(data) // 2])


@case("truncated-end-record", "the last bytes of the end-of-central-directory record are cut off")
def _(folder: Path) -> Path:
    data = zip_bytes(wheel_entries(base_files()[1]))
    return write(folder, PLAIN_NAME, data[:-7])


@case("truncated-member", "the last member's data is 40 bytes short (its compressed size runs into the directory)")
def _(folder: Path) -> Path:
    data = zip_bytes(wheel_entries(base_files("variant")[1]))
    cd_at = data.index(b"PK\x01\x02")
    cut = bytearray(data[: cd_at - 40] + data[cd_at:])
    eocd = cut.rindex(b"PK\x05\x06")
    struct.pack_into("<I", cut, eocd + 16, cd_at - 40)  # the directory is found where it now is
    return write(folder, VARIANT_NAME, bytes(cut))


@case("only-end-record", "an empty zip: an end record and nothing else")
def _(folder: Path) -> Path:
    return write(folder, PLAIN_NAME, zip_bytes([]))


@case("directory-named-whl", "a directory named like a wheel")
def _(folder: Path) -> Path:
    path = folder / PLAIN_NAME
    path.mkdir(parents=True)
    (path / "demo").mkdir()
    return path


@case("fifo-named-whl", "a FIFO named like a wheel (reading it blocks forever)", item=8)
def _(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PLAIN_NAME
    os.mkfifo(path)
    return path


@case("link-to-dev-zero", "a symlink named like a wheel pointing at /dev/zero (never ends)", item=8)
def _(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / VARIANT_NAME
    path.symlink_to("/dev/zero")
    return path


@case("dangling-symlink", "a symlink named like a wheel pointing nowhere")
def _(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PLAIN_NAME
    path.symlink_to(folder / "gone.whl")
    return path


# End records and the central directory ------------------------------------------------------------


@case("eocd-in-comment", "the archive comment holds a second end record pointing at a bogus directory offset")
def _(folder: Path) -> Path:
    fake = _EOCD.pack(b"PK\x05\x06", 0, 0, 3, 3, 200, 7, 0)
    return wheel_with(folder, comment=b"see below" + fake)


@case("eocd-in-comment-other-directory",
      "a fake end record in the comment points at a second, different central directory (two readers, two wheels)",
      refuse=NONE)
def _(folder: Path) -> Path:
    # The real archive lists the honest members; a second central directory, hidden in the comment,
    # lists a member that swaps demo/__init__.py for other bytes.  zipfile takes the last end record.
    _, files = base_files()
    members = wheel_entries(files)
    honest = zip_bytes(members)
    evil = Entry("demo/__init__.py", b"import os; os.system('echo pwned')\n")
    evil_block = evil.local_block()
    tail_start = len(honest)
    cd2 = bytearray()
    for e in members:
        if e.key == "demo/__init__.py":
            continue
        cd2 += _central_for(e, _find_local(honest, e))
    # the evil member lives inside the comment too
    comment_head = b"\x00" * 2
    evil_at = tail_start + len(comment_head)
    cd2 += _central_for(evil, evil_at)
    cd2_at = evil_at + len(evil_block)
    fake = _EOCD.pack(b"PK\x05\x06", 0, 0, len(members), len(members), len(cd2), cd2_at, 0)
    comment = comment_head + evil_block + bytes(cd2) + fake
    patched = honest[:-2] + struct.pack("<H", len(comment)) + comment
    return write(folder, PLAIN_NAME, patched)


def _find_local(data: bytes, e: Entry) -> int:
    needle = e.name_bytes
    at = 0
    while True:
        at = data.index(b"PK\x03\x04", at)
        (name_len,) = struct.unpack_from("<H", data, at + 26)
        if data[at + 30 : at + 30 + name_len] == needle:
            return at
        at += 4


def _central_for(e: Entry, offset: int) -> bytes:
    stored = e.stored()
    name = e.name_bytes
    return _CENTRAL.pack(
        b"PK\x01\x02", e.create_version, e.create_system, e.version_needed, e.flags, e.method, _DOS_TIME, _DOS_DATE,
        e.true_crc(), len(stored), len(e.data), len(name), 0, 0, 0, 0, e.external_attr, offset,
    ) + name


@case("two-zips-concatenated", "a second, different wheel appended after the first (two end records)", refuse=NONE)
def _(folder: Path) -> Path:
    first = zip_bytes(wheel_entries(base_files()[1]))
    _, files = base_files()
    files["demo/__init__.py"] = b"SECOND = True\n"
    second = zip_bytes(wheel_entries(files))
    return write(folder, PLAIN_NAME, first + second)


@case("prepended-junk", "4 KiB of junk before the first local header (a self-extractor stub): every offset shifts",
      refuse=NONE)
def _(folder: Path) -> Path:
    return wheel_with(folder, prefix=b"MZ" + b"\x90" * 4094)


@case("eocd-entry-count-lies", "the end record counts 3 members; the directory lists 5", refuse=NONE)
def _(folder: Path) -> Path:
    return wheel_with(folder, eocd={"entries": 3})


@case("eocd-cd-offset-past-end", "the end record puts the central directory 1 GiB past the end of the file")
def _(folder: Path) -> Path:
    return wheel_with(folder, eocd={"cd_offset": 1 << 30})


@case("eocd-cd-size-too-big", "the end record says the central directory is bigger than the whole file")
def _(folder: Path) -> Path:
    return wheel_with(folder, eocd={"cd_size": 1 << 24})


@case("eocd-comment-length-lies", "the end record declares a 60000-byte comment; the file ends after 4", refuse=NONE)
def _(folder: Path) -> Path:
    return wheel_with(folder, eocd={"comment_len": 60000}, comment=b"abcd")


@case("local-offset-past-end", "a member's local header offset points 1 GiB past the end of the file", item=2)
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(_member(m, "data.txt"), "offset", 1 << 30))


@case("local-offset-into-directory", "a member's local header offset points into the central directory", item=2)
def _(folder: Path) -> Path:
    data = zip_bytes(wheel_entries(base_files()[1]))
    cd = data.index(b"PK\x01\x02")
    return wheel_with(folder, entries=lambda m: setattr(_member(m, "data.txt"), "offset", cd + 10))


@case("local-name-differs", "a local header names another file than its central directory entry", item=2)
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: _member(m, "data.txt").local.update(name=b"demo/evil.py"))


@case("local-sizes-differ", "a local header's compressed size contradicts the central directory", item=2,
      refuse=COPIERS)
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: _member(m, "data.txt").local.update(csize=3, usize=3))


@case("local-method-differs", "the local header says stored, the central directory says deflated", item=2,
      refuse=COPIERS)
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: _member(m, "data.txt").local.update(method=STORED))


@case("compressed-size-into-next", "a member's compressed size runs into the next member's local header", item=2,
      refuse=COPIERS)
def _(folder: Path) -> Path:
    # Stored data followed by the next member: the central directory claims 30 more bytes, which are
    # the next local header; the CRC and RECORD cover those bytes, so the lie reads as consistent.
    _, files = base_files()
    members = wheel_entries(files)
    data_entry = _member(members, "data.txt")
    nxt = members[members.index(data_entry) + 1]
    stolen = nxt.local_block()[:30]
    content = files["demo/data.txt"] + stolen
    data_entry.method = STORED
    data_entry.data = content
    data_entry.raw = files["demo/data.txt"]
    data_entry.csize = data_entry.usize = len(content)
    data_entry.local.update(csize=len(content), usize=len(content))
    rec = _member(members, "RECORD")
    files["demo/data.txt"] = content
    rec.data = record_for(files)
    return write(folder, PLAIN_NAME, zip_bytes(members))


def _nested(depth: int, payload: bytes) -> Tuple[List[Entry], Dict[str, bytes]]:
    """Stored members each of whose data is the next one's whole local block (a "quoted" overlap)."""
    inner = Entry(f"{NAME}/layer{depth}.bin", payload, method=STORED)
    chain = [inner]
    for i in range(depth - 1, 0, -1):
        outer = Entry(f"{NAME}/layer{i}.bin", chain[0].local_block(), method=STORED)
        chain.insert(0, outer)
    # only the outermost is written; each inner one is found inside its parent's data
    for parent, child in zip(chain, chain[1:]):
        child.in_archive = False
        child.at = (parent.key, 30 + len(parent.name_bytes))
    # every layer after the first sits inside the first: resolve offsets relative to it
    for i, child in enumerate(chain[1:], start=1):
        delta = sum(30 + len(c.name_bytes) for c in chain[:i])
        child.at = (chain[0].key, delta)
    return chain, {e.key: e.data for e in chain}


@case("overlap-nested", "members whose byte ranges nest: each layer's data is the next layer's local header and data "
      "(RECORD consistent, so --verify and check see nothing wrong)", item=2, refuse=COPIERS)
def _(folder: Path) -> Path:
    _, files = base_files()
    chain, layer_files = _nested(6, os.urandom(1 << 16))
    files.update(layer_files)
    members = chain + [e for e in wheel_entries({k: v for k, v in files.items() if k not in layer_files},
                                                record=record_for(files))]
    return write(folder, PLAIN_NAME, zip_bytes(members))


@case("overlap-same-offset", "two central directory entries (two names) point at one local header", item=2,
      refuse=COPIERS)
def _(folder: Path) -> Path:
    _, files = base_files()
    files["demo/copy.txt"] = files["demo/data.txt"]
    members = wheel_entries(files)
    copy = _member(members, "copy.txt")
    copy.in_archive = False
    copy.at = ("demo/data.txt", 0)
    return write(folder, PLAIN_NAME, zip_bytes(members))


@case("overlap-deferred-same-offset", "a deferred-label wheel whose two members share one local header", item=2,
      refuse=COPIERS | {"relabel"})
def _(folder: Path) -> Path:
    _, files = base_files("deferred")
    files["demo/copy.txt"] = files["demo/data.txt"]
    members = wheel_entries(files)
    copy = _member(members, "copy.txt")
    copy.in_archive = False
    copy.at = ("demo/data.txt", 0)
    return write(folder, PLAIN_NAME, zip_bytes(members))


# ZIP64 ---------------------------------------------------------------------------------------------


def _zip64_extra(*values: int, declared: Optional[int] = None) -> bytes:
    body = b"".join(struct.pack("<Q", v) for v in values)
    return struct.pack("<HH", 1, len(body) if declared is None else declared) + body


@case("zip64-extra-size-lies", "a ZIP64 extra declares a 1 TiB uncompressed size for a small member", refuse=COPIERS)
def _(folder: Path) -> Path:
    def lie(m: List[Entry]) -> None:
        e = _member(m, "data.txt")
        e.usize = 0xFFFFFFFF
        e.central_extra = _zip64_extra(1 << 40)
    return wheel_with(folder, entries=lie)


@case("zip64-extra-offset-past-end", "a ZIP64 extra puts a member's local header 1 TiB into a small file", item=2)
def _(folder: Path) -> Path:
    def lie(m: List[Entry]) -> None:
        e = _member(m, "data.txt")
        e.offset = 0xFFFFFFFF
        e.central_extra = _zip64_extra(1 << 40)
    return wheel_with(folder, entries=lie)


@case("zip64-extra-truncated", "a ZIP64 extra field declares 16 bytes and holds 8")
def _(folder: Path) -> Path:
    def lie(m: List[Entry]) -> None:
        e = _member(m, "data.txt")
        e.usize = 0xFFFFFFFF
        e.csize = 0xFFFFFFFF
        e.central_extra = _zip64_extra(100, declared=16)
    return wheel_with(folder, entries=lie)


@case("zip64-locator-past-end", "the ZIP64 locator points at an end record 1 TiB past the end of the file",
      refuse=NONE)
def _(folder: Path) -> Path:
    return wheel_with(folder, zip64=True, locator={"offset": 1 << 40})


@case("zip64-end-record-count-lies", "the ZIP64 end record counts 2**40 members", refuse=NONE)
def _(folder: Path) -> Path:
    _, files = base_files()
    data = bytearray(zip_bytes(wheel_entries(files), zip64=True))
    at = data.rindex(b"PK\x06\x06")
    struct.pack_into("<QQ", data, at + 24, 1 << 40, 1 << 40)
    return write(folder, PLAIN_NAME, bytes(data))


@case("zip64-valid", "an honest ZIP64 end record and locator on a small wheel", refuse=NONE,
      accept=frozenset({"make-variant", "show", "check"}))
def _(folder: Path) -> Path:
    return wheel_with(folder, zip64=True)


# Members ----------------------------------------------------------------------------------------------


@case("encrypted-member", "a member flagged as encrypted (traditional PKWARE encryption)")
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(_member(m, "data.txt"), "flags", 0x1))


@case("method-deflate64", "a member compressed with deflate64 (method 9), which zipfile and pip cannot read",
      refuse=frozenset({"check"}))
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(_member(m, "data.txt"), "method", 9))


@case("method-aes", "a member with method 99 (WinZip AES) and no AES extra", refuse=frozenset({"check"}))
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(_member(m, "data.txt"), "method", 99))


@case("method-unknown-77", "a member with an unassigned compression method (77)", refuse=frozenset({"check"}))
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(_member(m, "data.txt"), "method", 77))


@case("method-bzip2", "a member compressed with bzip2 (method 12; zipfile reads it)", refuse=NONE,
      accept=frozenset({"make-variant", "show", "check"}))
def _(folder: Path) -> Path:
    import bz2

    def bzip(m: List[Entry]) -> None:
        e = _member(m, "data.txt")
        e.method, e.raw, e.version_needed = 12, bz2.compress(e.data), 46
    return wheel_with(folder, entries=bzip)


@case("version-needed-6.4", "a member needing zip version 6.4, above what zipfile (and pip) extract", item=4)
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(_member(m, "__init__.py"), "version_needed", 64))


@case("version-needed-deferred", "a deferred-label wheel with a member needing zip version 25.5", item=4,
      refuse=READERS | {"index"})
def _(folder: Path) -> Path:
    return wheel_with(folder, "deferred", entries=lambda m: setattr(_member(m, "__init__.py"), "version_needed", 255))


@case("crc-wrong", "a member's CRC-32 in the central directory is wrong", refuse=frozenset({"check"}))
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(_member(m, "data.txt"), "crc", 0xDEADBEEF))


@case("deflate-corrupt", "a member's deflate stream is garbage", refuse=frozenset({"check"}))
def _(folder: Path) -> Path:
    def corrupt(m: List[Entry]) -> None:
        e = _member(m, "data.txt")
        e.raw = b"\xff" * len(e.stored())
    return wheel_with(folder, entries=corrupt)


@case("descriptor-missing", "a member flagged as followed by a data descriptor that is not there", refuse=NONE)
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(_member(m, "data.txt"), "flags", 0x8))


@case("extra-field-overruns", "a member's extra field declares more bytes than it holds", refuse=NONE)
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(_member(m, "data.txt"), "central_extra",
                                                         struct.pack("<HH", 0xCAFE, 400) + b"xx"))


@case("symlink-member", "a member whose external attributes make it a symlink to /etc/passwd", refuse=NONE)
def _(folder: Path) -> Path:
    def link(files: Dict[str, bytes]) -> None:
        files["demo/passwd"] = b"/etc/passwd"
    return wheel_with(folder, change=link, entries=lambda m: setattr(
        _member(m, "demo/passwd"), "external_attr", (stat.S_IFLNK | 0o777) << 16))


@case("device-member", "a member whose external attributes make it a character device", refuse=NONE)
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(
        _member(m, "data.txt"), "external_attr", (stat.S_IFCHR | 0o666) << 16))


@case("setuid-member", "a member with the setuid and world-writable bits", refuse=NONE,
      accept=frozenset({"make-variant", "show", "check"}))
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(
        _member(m, "__init__.py"), "external_attr", (stat.S_IFREG | stat.S_ISUID | 0o777) << 16))


# Member names -------------------------------------------------------------------------------------------


def _extra_member(raw_name: bytes, *, flags: int = 0) -> Callable[[List[Entry]], None]:
    def add(m: List[Entry]) -> None:
        m.insert(0, Entry(raw_name, b"x = 1\n", flags=flags))
    return add


@case("name-nul", "a member name with a NUL before a traversal: 'demo/ok.py\\0/../../../../tmp/pwn.py'", item=5)
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=_extra_member(b"demo/ok.py\x00/../../../../tmp/pwn.py"))


@case("name-newline", "a member name with a newline", item=5)
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=_extra_member(b"demo/new\nline.py"))


@case("name-dotdot", "a member name climbing out of the install folder")
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=_extra_member(b"demo/../../etc/cron.d/x"))


@case("name-absolute", "an absolute member name")
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=_extra_member(b"/etc/passwd"))


@case("name-backslash", "a member name with backslashes (a Windows path climbing out)")
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=_extra_member(b"demo\\..\\..\\evil.py"))


@case("name-drive", "a member name with a drive letter")
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=_extra_member(b"C:/Windows/evil.py"))


@case("name-duplicate", "two members with one name (which one an installer takes differs)")
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=_extra_member(b"demo/__init__.py"))


@case("name-cp437", "a member name with bytes above 0x7f and no UTF-8 flag (read as cp437)", refuse=frozenset({"check"}))
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=_extra_member(b"demo/caf\x82.py"))


@case("name-utf8-flag-invalid", "the UTF-8 flag is set on a name that is not UTF-8")
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=_extra_member(b"demo/\xff\xfe.py", flags=0x800))


@case("name-65535-bytes", "a member name of 65,535 bytes, the most a zip can hold (RECORD consistent)",
      refuse=NONE)
def _(folder: Path) -> Path:
    long_name = "demo/" + "n" * (0xFFFF - len("demo/") - 3) + ".py"
    return wheel_with(folder, change=lambda f: f.__setitem__(long_name, b"x = 1\n"))


@case("many-members", "40,000 one-byte members in a 6 MB wheel (a central directory that costs memory to hold)",
      refuse=NONE)
def _(folder: Path) -> Path:
    def many(files: Dict[str, bytes]) -> None:
        for i in range(40_000):
            files[f"demo/m/{i:05d}"] = b"x"
    return wheel_with(folder, change=many)


@case("members-200k", "200,000 one-byte members in a 20 MB wheel (ZIP64 count): memory that grows with the count",
      refuse=NONE, item=1, slow=True)
def _(folder: Path) -> Path:
    fname, files = base_files()
    for i in range(200_000):
        files[f"demo/m/{i:06d}"] = b"x"
    return write(folder, fname, zip_bytes(wheel_entries(files, method=STORED), zip64=True))


@case("dist-info-two-casefolded", "two dist-info folders that differ only in case (demo-1.0 and DEMO-1.0)")
def _(folder: Path) -> Path:
    return wheel_with(folder, change=lambda f: f.__setitem__("DEMO-1.0.dist-info/METADATA", b"Name: DEMO\n"))


@case("dist-info-uppercase", "the only dist-info folder is 'Demo-1.0.dist-info' (case-folded name)", refuse=NONE)
def _(folder: Path) -> Path:
    fname, files = base_files()
    files = {k.replace(DIST_INFO, "Demo-1.0.dist-info"): v for k, v in files.items()}
    rows = [record_row(n, d) for n, d in files.items()] + ["Demo-1.0.dist-info/RECORD,,"]
    members = [Entry(n, d) for n, d in files.items()]
    members.append(Entry("Demo-1.0.dist-info/RECORD", ("\n".join(rows) + "\n").encode()))
    return write(folder, fname, zip_bytes(members))


@case("record-casefolded", "RECORD is stored as 'record' (lowercase)")
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(_member(m, "RECORD"), "name", f"{DIST_INFO}/record"))


@case("dist-info-other-project", "the dist-info folder belongs to another project than the file name")
def _(folder: Path) -> Path:
    fname, files = base_files()
    members = [Entry(k.replace(DIST_INFO, "other-1.0.dist-info"), v) for k, v in files.items()]
    members.append(Entry("other-1.0.dist-info/RECORD", b""))
    return write(folder, fname, zip_bytes(members))


@case("no-dist-info", "no dist-info folder at all")
def _(folder: Path) -> Path:
    return write(folder, PLAIN_NAME, zip_bytes([Entry("demo/__init__.py", b"x = 1\n")]))


@case("wheel-file-missing", "dist-info/WHEEL is missing")
def _(folder: Path) -> Path:
    return wheel_with(folder, change=lambda f: f.pop(f"{DIST_INFO}/WHEEL"))


@case("labelled-without-variant-json", "the file name carries a label but the wheel holds no variant.json",
      refuse=frozenset({"show", "check", "index", "relabel", "upgrade", "repair"}))
def _(folder: Path) -> Path:
    return wheel_with(folder, "plain", name=VARIANT_NAME)


# RECORD -----------------------------------------------------------------------------------------------------

#: Commands that parse RECORD (``upgrade`` copies a current-format wheel whole; ``show``, ``index`` and ``select``
#: read only variant.json).
RECORD_READERS = frozenset({"make-variant", "check", "relabel", "unmake-variant", "repair"})


@case("record-bomb", f"a 100 KB RECORD member that inflates to {BOMB_BYTES >> 20} MiB (one giant row)", item=1,
      refuse=RECORD_READERS)
def _(folder: Path) -> Path:
    _, files = base_files("variant")
    head = record_for(files)[:-len(f"{DIST_INFO}/RECORD,,\n")] + b'"demo/'
    bomb = bomb_entry(f"{DIST_INFO}/RECORD", head, BOMB_BYTES, b'.py",sha256=AAAA,1\n' + f"{DIST_INFO}/RECORD,,\n".encode())
    members = [Entry(n, d) for n, d in files.items()] + [bomb]
    return write(folder, VARIANT_NAME, zip_bytes(members))


@case("record-declared-huge", "the central directory declares a 4 GiB RECORD; the member holds 1 KB", refuse=NONE)
def _(folder: Path) -> Path:
    return wheel_with(folder, entries=lambda m: setattr(_member(m, "RECORD"), "usize", 0xFFFFFFFE))


@case("record-field-over-csv-limit", "a RECORD row whose path is 140,000 characters (csv's field limit is 131,072)",
      item=4, refuse=RECORD_READERS)
def _(folder: Path) -> Path:
    _, files = base_files("variant")
    record = record_for(files) + b'"demo/' + b"x" * 140_000 + b'.py",sha256=AAAA,1\n'
    return write(folder, VARIANT_NAME, zip_bytes(wheel_entries(files, record=record)))


@case("record-shake-hash", "RECORD uses shake_128, which has no fixed digest size", item=4,
      refuse=frozenset({"check"}))
def _(folder: Path) -> Path:
    fname, files = base_files("deferred")
    rows = []
    for n, d in files.items():
        rows.append(f"{n},shake_128={_b64(hashlib.shake_128(d).digest(16))},{len(d)}")
    rows.append(f"{DIST_INFO}/RECORD,,")
    return write(folder, fname, zip_bytes(wheel_entries(files, record=("\n".join(rows) + "\n").encode())))


@case("record-blake2b", "RECORD uses blake2b, which installers accept (relabel once refused it)", item=9,
      refuse=NONE, accept=frozenset({"show", "check", "relabel", "make-variant", "upgrade"}))
def _(folder: Path) -> Path:
    fname, files = base_files("deferred")
    return write(folder, fname, zip_bytes(wheel_entries(files, record=record_for(files, algo="blake2b"))))


@case("record-md5", "RECORD uses md5, which is too weak to accept", refuse=frozenset({"check"}))
def _(folder: Path) -> Path:
    fname, files = base_files()
    return write(folder, fname, zip_bytes(wheel_entries(files, record=record_for(files, algo="md5"))))


@case("record-not-utf8", "RECORD holds bytes that are not UTF-8",
      refuse=RECORD_READERS)
def _(folder: Path) -> Path:
    fname, files = base_files("variant")
    return write(folder, fname, zip_bytes(wheel_entries(files, record=record_for(files) + b"demo/\xff.py,,\n")))


@case("record-nul", "a RECORD line with a NUL byte",
      refuse=RECORD_READERS)
def _(folder: Path) -> Path:
    fname, files = base_files("variant")
    return write(folder, fname, zip_bytes(wheel_entries(files, record=record_for(files) + b"demo/a\x00.py,,\n")))


@case("record-wrong-hash", "RECORD's hash for demo/data.txt is another file's", refuse=frozenset({"check"}))
def _(folder: Path) -> Path:
    fname, files = base_files()
    record = record_for(files).replace(
        record_row("demo/data.txt", files["demo/data.txt"]).encode(),
        record_row("demo/data.txt", b"other").encode()[:-1] + str(len(files["demo/data.txt"])).encode())
    return write(folder, fname, zip_bytes(wheel_entries(files, record=record)))


@case("record-unlisted-member", "a member RECORD does not list", refuse=frozenset({"check"}))
def _(folder: Path) -> Path:
    fname, files = base_files()
    files["demo/hidden.py"] = b"import os\n"
    return write(folder, fname, zip_bytes(wheel_entries(files, record=record_for(files, skip=["demo/hidden.py"]))))


@case("record-four-fields", "a RECORD row with four fields",
      refuse=RECORD_READERS)
def _(folder: Path) -> Path:
    fname, files = base_files("variant")
    return write(folder, fname, zip_bytes(wheel_entries(files, record=record_for(files) + b"a,b,c,d\n")))


# variant.json -------------------------------------------------------------------------------------------------------

#: Commands that read a wheel's variant.json: show, check and index, select, relabel, unmake-variant, upgrade.
VARIANT_READERS = frozenset({"show", "check", "index", "relabel", "upgrade"})


def _with_variant_json(folder: Path, data: bytes, base: Base = "deferred") -> Path:
    return wheel_with(folder, base, change=lambda f: f.__setitem__(f"{DIST_INFO}/variant.json", data))


@case("variant-json-bomb", f"a 160 KB variant.json that inflates to {BOMB_BYTES >> 20} MiB of whitespace in valid JSON",
      item=1, refuse=VARIANT_READERS)
def _(folder: Path) -> Path:
    doc = variant_json()
    fname, files = base_files("deferred")
    files.pop(f"{DIST_INFO}/variant.json")
    bomb = bomb_entry(f"{DIST_INFO}/variant.json", doc[:1], BOMB_BYTES, doc[1:])
    members = [Entry(n, d) for n, d in files.items()] + [bomb]
    # RECORD lists the bomb with a wrong hash: computing the real one would inflate it here too
    rows = [record_row(n, d) for n, d in files.items()]
    rows += [f"{DIST_INFO}/variant.json,sha256=AAAA,{bomb.usize}", f"{DIST_INFO}/RECORD,,"]
    members.append(Entry(f"{DIST_INFO}/RECORD", ("\n".join(rows) + "\n").encode()))
    return write(folder, fname, zip_bytes(members))


@case("variant-json-bomb-labelled", f"a labelled variant whose variant.json inflates to {BOMB_BYTES >> 20} MiB",
      item=1, refuse=VARIANT_READERS)
def _(folder: Path) -> Path:
    doc = variant_json()
    _, files = base_files("variant")
    files.pop(f"{DIST_INFO}/variant.json")
    bomb = bomb_entry(f"{DIST_INFO}/variant.json", doc[:1], BOMB_BYTES, doc[1:])
    rows = [record_row(n, d) for n, d in files.items()]
    rows += [f"{DIST_INFO}/variant.json,sha256=AAAA,{bomb.usize}", f"{DIST_INFO}/RECORD,,"]
    members = [Entry(n, d) for n, d in files.items()] + [bomb, Entry(f"{DIST_INFO}/RECORD", ("\n".join(rows) + "\n").encode())]
    return write(folder, VARIANT_NAME, zip_bytes(members))


@case("variant-json-declared-huge", "the central directory declares a 4 GiB variant.json; the member holds 500 bytes",
      refuse=NONE)
def _(folder: Path) -> Path:
    return wheel_with(folder, "deferred", entries=lambda m: setattr(_member(m, "variant.json"), "usize", 0xFFFFFFFE))


@case("variant-json-deep", "variant.json nested 5,000 arrays deep", item=4, refuse=VARIANT_READERS)
def _(folder: Path) -> Path:
    return _with_variant_json(folder, b"[" * 5000 + b"]" * 5000)


@case("variant-json-deep-objects", "variant.json nested 5,000 objects deep under a valid key", item=4,
      refuse=VARIANT_READERS)
def _(folder: Path) -> Path:
    return _with_variant_json(folder, b'{"variants": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001)


@case("variant-json-not-json", "variant.json is not JSON", refuse=VARIANT_READERS)
def _(folder: Path) -> Path:
    return _with_variant_json(folder, b"{'$schema': nope")


@case("variant-json-not-utf8", "variant.json is not UTF-8", refuse=VARIANT_READERS)
def _(folder: Path) -> Path:
    return _with_variant_json(folder, variant_json().replace(b"x86_64", b"x86\xff64", 1))


@case("variant-json-a-list", "variant.json is a JSON list, not an object", refuse=VARIANT_READERS)
def _(folder: Path) -> Path:
    return _with_variant_json(folder, b"[]")


@case("variant-json-duplicate-keys", "variant.json repeats a key (readers keep different ones)", refuse=VARIANT_READERS)
def _(folder: Path) -> Path:
    doc = variant_json()
    return _with_variant_json(folder, doc.replace(b'"variants": {', b'"variants": {"aaaa": {}}, "variants": {', 1))


@case("variant-json-two-variants", "a wheel's variant.json lists two labels", refuse=VARIANT_READERS)
def _(folder: Path) -> Path:
    data = json.loads(variant_json())
    data["variants"]["other"] = {"x86_64": {"level": ["v4"]}}
    return _with_variant_json(folder, json.dumps(data).encode())


@case("variant-json-label-mismatch", "the file name's label differs from variant.json's",
      refuse=VARIANT_READERS - {"relabel"})
def _(folder: Path) -> Path:
    data = json.loads(variant_json())
    data["variants"] = {"other": data["variants"][LABEL]}
    return _with_variant_json(folder, json.dumps(data).encode(), base="variant")


@case("variant-json-label-too-long", "variant.json's label is 300 characters: the labelled file name cannot exist",
      item=4, refuse=frozenset({"relabel", "index"}))
def _(folder: Path) -> Path:
    data = json.loads(variant_json())
    data["variants"] = {"l" * 300: data["variants"][LABEL]}
    return _with_variant_json(folder, json.dumps(data).encode())


@case("variant-json-bad-property", "variant.json holds an uppercase namespace", refuse=VARIANT_READERS)
def _(folder: Path) -> Path:
    return _with_variant_json(folder, variant_json().replace(b'"x86_64": {\n                "level"', b'"X86_64": {\n                "level"'))


# Index files (a valid variant wheel beside each) ------------------------------------------------------------------

#: Commands that read an index file given as the path or found beside the wheels.
INDEX_READERS = frozenset({"show", "check", "upgrade"})


def _variant_folder(folder: Path) -> None:
    wheel_with(folder, "variant")


def _index_case(folder: Path, data: Optional[bytes]) -> Path:
    _variant_folder(folder)
    path = folder / INDEX_NAME
    if data is not None:
        path.write_bytes(data)
    return path


@case("index-deep-json", "the index file nests 5,000 objects deep", kind="index", item=4, refuse=INDEX_READERS)
def _(folder: Path) -> Path:
    return _index_case(folder, b'{"a": ' * 5000 + b"1" + b"}" * 5000)


@case("index-dev-zero", "the index file is a symlink to /dev/zero", kind="index", item=8, refuse=INDEX_READERS)
def _(folder: Path) -> Path:
    path = _index_case(folder, None)
    path.symlink_to("/dev/zero")
    return path


@case("index-fifo", "the index file is a FIFO", kind="index", item=8, refuse=INDEX_READERS)
def _(folder: Path) -> Path:
    path = _index_case(folder, None)
    os.mkfifo(path)
    return path


@case("index-directory", "the index file is a directory (folder readers pass it over, as they do sub-folders)",
      kind="index", refuse=frozenset({"show"}))
def _(folder: Path) -> Path:
    path = _index_case(folder, None)
    path.mkdir()
    return path


@case("index-over-16-mib", "a 17 MiB index file (whitespace inside valid JSON)", kind="index", refuse=INDEX_READERS)
def _(folder: Path) -> Path:
    doc = variant_json()
    return _index_case(folder, doc[:1] + b" " * (17 << 20) + doc[1:])


@case("index-empty", "a zero-byte index file", kind="index", refuse=INDEX_READERS)
def _(folder: Path) -> Path:
    return _index_case(folder, b"")


@case("index-not-utf8", "an index file in Latin-1", kind="index", refuse=INDEX_READERS)
def _(folder: Path) -> Path:
    return _index_case(folder, variant_json().replace(b"x86_64", b"x86\xe964", 1))


@case("index-nul-bytes", "an index file of NUL bytes", kind="index", refuse=INDEX_READERS)
def _(folder: Path) -> Path:
    return _index_case(folder, b"\x00" * 4096)


@case("index-duplicate-keys", "an index file repeating 'variants'", kind="index", refuse=INDEX_READERS)
def _(folder: Path) -> Path:
    return _index_case(folder, variant_json().replace(b'"variants": {', b'"variants": {}, "variants": {', 1))


@case("index-label-too-long", "the index lists a 300-character label next to the real one", kind="index",
      refuse=NONE)
def _(folder: Path) -> Path:
    data = json.loads(variant_json())
    data["variants"]["l" * 300] = {"x86_64": {"level": ["v4"]}}
    return _index_case(folder, json.dumps(data).encode())


@case("index-disagrees", "the index maps the wheel's label to other properties than its variant.json", kind="index",
      refuse=frozenset({"check"}))
def _(folder: Path) -> Path:
    data = json.loads(variant_json())
    data["variants"][LABEL] = {"x86_64": {"level": ["v2"]}}
    return _index_case(folder, json.dumps(data).encode())


@case("index-huge-numbers", "an index file whose priorities hold a 100,000-digit number", kind="index",
      refuse=INDEX_READERS)
def _(folder: Path) -> Path:
    return _index_case(folder, variant_json().replace(b'"x86_64"\n', b"1" * 100_000 + b"\n", 1))


# Folders --------------------------------------------------------------------------------------------------------


@case("folder-versions-1.0-and-abc", "one folder holds demo-1.0 and demo-abc variant wheels (a non-PEP 440 version)",
      kind="folder", item=4, refuse=NONE, accept=frozenset({"index"}))
def _(folder: Path) -> Path:
    wheel_with(folder, "variant")
    fname, files = base_files("variant")
    renamed = {k.replace(DIST_INFO, "demo-abc.dist-info"): v for k, v in files.items()}
    rows = [record_row(n, d) for n, d in renamed.items()] + ["demo-abc.dist-info/RECORD,,"]
    members = [Entry(n, d) for n, d in renamed.items()]
    members.append(Entry("demo-abc.dist-info/RECORD", ("\n".join(rows) + "\n").encode()))
    write(folder, f"demo-abc-py3-none-any-{LABEL}.whl", zip_bytes(members))
    return folder


@case("folder-fifo-and-directory", "a folder with a FIFO and a directory named like wheels beside a good variant",
      kind="folder", item=8, refuse=NONE, accept=frozenset({"index", "select", "install"}))
def _(folder: Path) -> Path:
    wheel_with(folder, "variant")
    os.mkfifo(folder / "demo-1.0-py3-none-any-aaaa.whl")
    (folder / "demo-1.0-py3-none-any-bbbb.whl").mkdir()
    return folder


@case("folder-two-spellings", "one folder holds demo-1.0 and demo-1.0.0 variants (one version, two file names)",
      kind="folder", refuse=frozenset({"index"}))
def _(folder: Path) -> Path:
    wheel_with(folder, "variant")
    _, files = base_files("variant")
    renamed = {k.replace(DIST_INFO, "demo-1.0.0.dist-info"): v for k, v in files.items()}
    rows = [record_row(n, d) for n, d in renamed.items()] + ["demo-1.0.0.dist-info/RECORD,,"]
    members = [Entry(n, d) for n, d in renamed.items()]
    members.append(Entry("demo-1.0.0.dist-info/RECORD", ("\n".join(rows) + "\n").encode()))
    write(folder, f"demo-1.0.0-py3-none-any-{LABEL}.whl", zip_bytes(members))
    return folder


# -- building -----------------------------------------------------------------------------------------------------


def build_case(c: Case, folder: "str | Path") -> Path:
    """Write ``c`` into ``folder`` (created; must not exist or be empty) and return the input's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    assert not any(folder.iterdir()), folder
    return c.make(folder)


def build_corpus(root: "str | Path") -> Dict[str, Path]:
    """Every case into ``root/<id>/``; ``{id: input path}``."""
    root = Path(root)
    return {c.id: build_case(c, root / c.id) for c in CASES}


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tests.hostile_corpus FOLDER", file=sys.stderr)
        return 2
    paths = build_corpus(args[0])
    by_id = {c.id: c for c in CASES}
    for cid, path in paths.items():
        print(f"{cid}\t{by_id[cid].kind}\t{path}\t{by_id[cid].lie}")
    print(f"{len(paths)} cases", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
