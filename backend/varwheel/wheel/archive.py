"""Read-only access to a wheel: central directory, dist-info, RECORD, variant.json.

:class:`WheelArchive` opens a wheel through :mod:`zipfile`, which reads only
the central directory (ZIP64 included); members are read on demand.  Opening
checks the structure every varwheel command relies on, so that a malformed
wheel is rejected before anything is written:

* a regular file (never a FIFO or device, which would block or never end);
* a readable zip (no member needing a zip version above 6.3) with no absolute,
  ``..``, backslashed, control-character (NUL included: judged on the stored
  name, not zipfile's cut one) or duplicate member names;
* exactly one top-level ``.dist-info`` directory, matching the filename's
  name and version;
* ``RECORD`` and ``WHEEL`` in it.

:meth:`WheelArchive.record_problems` streams every member through sha256 and
compares with RECORD (used by ``--verify`` and ``varwheel check``).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterator, List, Literal, Optional, Tuple

if TYPE_CHECKING:
    from hashlib import _Hash

from varwheel.errors import InvalidFilename, InvalidMetadata, InvalidWheel
from varwheel.model.filename import WheelFilename, normalize_dist_name, version_key
from varwheel.model.document import VariantDocument

__all__ = [
    "WheelArchive",
    "RecordRow",
    "parse_record",
    "require_regular_file",
    "format_record",
    "record_hash",
    "VARIANT_JSON",
    "CHUNK",
]

VARIANT_JSON = "variant.json"
#: What reading a damaged member can raise: a CRC mismatch (BadZipFile), a
#: corrupt deflate stream (zlib.error), a truncated file, an unknown method.
_UNREADABLE = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError)

#: Copy/hash buffer size: memory stays flat whatever the wheel's size.
CHUNK = 1 << 20


@dataclass(frozen=True)
class RecordRow:
    path: str
    hash: str
    size: str

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


@dataclass(frozen=True)
class RecordProblem:
    """One disagreement between a wheel and its RECORD: what kind, which member, the sentence for people."""

    code: RecordCode
    path: str
    message: str

    def __str__(self) -> str:
        return self.message


def parse_record(raw: bytes, *, source: str = "RECORD") -> List[RecordRow]:
    """Parse RECORD with real CSV rules (quoted names, commas inside names)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidWheel(f"{source}: not UTF-8: {exc}") from None
    rows: List[RecordRow] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            if not row:
                continue
            if len(row) != 3:
                raise InvalidWheel(
                    f"{source}, line {reader.line_num}: expected 3 fields (path,hash,size), found {len(row)}: {row!r}"
                )
            rows.append(RecordRow(*row))
    except csv.Error as exc:  # a field over csv's size limit, a NUL, a broken quote
        raise InvalidWheel(f"{source}, line {reader.line_num}: not a valid RECORD line ({exc})") from None
    return rows


def format_record(rows: List[RecordRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=",", quotechar='"', lineterminator="\n")
    for row in rows:
        writer.writerow(row.as_list())
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


#: A central directory entry's fixed part (see the zip APPNOTE, 4.3.12).
_CENTRAL_ENTRY = struct.Struct("<4sBBBBHHHHIIIHHHHHII")
_EOCD_ENTRY = struct.Struct("<4sHHHHIIH")


def _member_needing_newer_zip(path: Path, limit: int) -> Optional[str]:
    """The first member whose "version needed to extract" is above ``limit``, if one is found.

    Only used to name the member when :mod:`zipfile` refuses the archive
    (it does not say which); best effort, ``None`` when the directory cannot be walked.
    """
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            tail_start = max(0, size - (_EOCD_ENTRY.size + 0xFFFF))
            fh.seek(tail_start)
            tail = fh.read()
            at = tail.rfind(b"PK\x05\x06")
            if at < 0 or at + _EOCD_ENTRY.size > len(tail):
                return None
            cd_size = _EOCD_ENTRY.unpack_from(tail, at)[5]
            end = tail_start + at
            locator = at - 20
            if locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
                (eocd64_offset,) = struct.unpack_from("<Q", tail, locator + 8)
                fh.seek(eocd64_offset)
                record = fh.read(56)
                if len(record) == 56 and record[:4] == b"PK\x06\x06":
                    (cd_size,) = struct.unpack_from("<Q", record, 40)
                    end = eocd64_offset
            # Data prepended to the archive shifts every offset (zipfile's "concat").
            start = end - cd_size
            if start < 0:
                return None
            fh.seek(start)
            done = 0
            while done < cd_size:
                fixed = fh.read(_CENTRAL_ENTRY.size)
                if len(fixed) != _CENTRAL_ENTRY.size or fixed[:4] != b"PK\x01\x02":
                    return None
                fields = _CENTRAL_ENTRY.unpack(fixed)
                flags, name_len, extra_len, comment_len = fields[5], fields[12], fields[13], fields[14]
                raw_name = fh.read(name_len)
                fh.seek(extra_len + comment_len, os.SEEK_CUR)
                if fields[3] > limit:
                    return raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
                done += _CENTRAL_ENTRY.size + name_len + extra_len + comment_len
    except (OSError, struct.error):
        return None
    return None


def _is_unsafe_name(name: str) -> bool:
    """Absolute, ``..``, a drive letter, a backslash or a control character (NUL included)."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
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
            self.zip = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise InvalidWheel(f"{self.path}: no such file") from None
        except IsADirectoryError:
            raise InvalidWheel(f"{self.path}: is a directory, expected a wheel file") from None
        except NotImplementedError as exc:
            # zipfile refuses a member needing a newer zip version than it reads (above 6.3)
            member = _member_needing_newer_zip(self.path, getattr(zipfile, "MAX_EXTRACT_VERSION", 63))
            which = f"member {member!r}" if member is not None else "a member"
            raise InvalidWheel(
                f"{self.path}: {which} needs a newer zip version than Python's zipfile, "
                f"and so pip, can extract ({exc}, at most 6.3 is read); rebuild the wheel with a standard zip writer"
            ) from None
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise InvalidWheel(f"{self.path}: not a readable zip archive ({exc})") from None
        try:
            self.members: List[zipfile.ZipInfo] = self.zip.infolist()
            self._check_structure()
        except BaseException:
            self.zip.close()
            raise

    # -- context manager -------------------------------------------------------
    def __enter__(self) -> "WheelArchive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.zip.close()

    # -- structure ----------------------------------------------------------------
    def _check_structure(self) -> None:
        seen: Dict[str, int] = {}
        top_dist_infos = set()
        for info in self.members:
            # zipfile cuts ``filename`` at a NUL; extractors disagree on what follows: judge the stored name.
            if _is_unsafe_name(info.orig_filename):
                raise InvalidWheel(
                    f"{self.path}: unsafe member name {info.orig_filename!r} "
                    "(absolute, containing '..', a backslash or a control character)"
                )
            name = info.filename
            parts = name.split("/")
            if info.flag_bits & 0x1:
                raise InvalidWheel(f"{self.path}: member {name!r} is encrypted")
            seen[name] = seen.get(name, 0) + 1
            if parts[0].endswith(".dist-info") and len(parts) > 1:
                top_dist_infos.add(parts[0])
        dups = sorted(n for n, c in seen.items() if c > 1)
        if dups:
            raise InvalidWheel(f"{self.path}: duplicate member names: {', '.join(dups[:5])}")
        if len(top_dist_infos) != 1:
            raise InvalidWheel(
                f"{self.path}: expected exactly one .dist-info directory, found "
                f"{len(top_dist_infos)}{': ' + ', '.join(sorted(top_dist_infos)) if top_dist_infos else ''}"
            )
        self.dist_info = top_dist_infos.pop()
        if self.filename is not None and not _dist_info_matches(self.dist_info, self.filename):
            raise InvalidWheel(
                f"{self.path}: .dist-info directory {self.dist_info!r} does not match the filename's "
                f"name and version ({self.filename.name} {self.filename.version})"
            )
        self.names = set(seen)
        for required in ("RECORD", "WHEEL"):
            if f"{self.dist_info}/{required}" not in self.names:
                raise InvalidWheel(f"{self.path}: {self.dist_info}/{required} is missing")

    # -- members ----------------------------------------------------------------
    @property
    def record_name(self) -> str:
        return f"{self.dist_info}/RECORD"

    @property
    def variant_json_name(self) -> str:
        return f"{self.dist_info}/{VARIANT_JSON}"

    def getinfo(self, name: str) -> zipfile.ZipInfo:
        return self.zip.getinfo(name)

    def read(self, name: str) -> bytes:
        try:
            return self.zip.read(name)
        except KeyError:
            raise InvalidWheel(f"{self.path}: member {name!r} is missing") from None
        except _UNREADABLE as exc:
            raise InvalidWheel(f"{self.path}: member {name!r} cannot be read ({exc})") from None

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
        return self.variant_json_name in self.names

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

    def iter_member_chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        with self.zip.open(info) as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    return
                yield chunk

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
        rows = self.record()
        by_path: Dict[str, RecordRow] = {}
        for listed in rows:
            if listed.path in by_path:
                problems.append(RecordProblem("record-duplicate", listed.path, f"RECORD lists {listed.path!r} twice"))
            by_path[listed.path] = listed
        unsigned = {self.record_name, self.record_name + ".jws", self.record_name + ".p7s"}
        for info in self.members:
            name = info.filename
            if name.endswith("/"):
                continue
            row = by_path.pop(name, None)
            if name in unsigned:
                continue
            if row is None:
                problems.append(RecordProblem("record-unlisted", name, f"{name}: not listed in RECORD"))
                continue
            hasher = record_hasher(row.hash)
            if hasher is None:
                problems.append(RecordProblem(
                    "record-unreadable", name, f"{name}: RECORD hash {row.hash!r} uses no accepted algorithm"
                ))
                continue
            size = 0
            try:
                for chunk in self.iter_member_chunks(info):
                    hasher.update(chunk)
                    size += len(chunk)
            except _UNREADABLE as exc:
                problems.append(RecordProblem("record-unreadable", name, f"{name}: cannot be read ({exc})"))
                continue
            if not hash_matches(row.hash, hasher):
                algo = row.hash.partition("=")[0]
                problems.append(RecordProblem(
                    "record-hash", name, f"{name}: {algo} differs from RECORD (member changed after RECORD was written)"
                ))
            if row.size and row.size != str(size):
                problems.append(RecordProblem("record-size", name, f"{name}: size {size} differs from RECORD's {row.size}"))
        for path in by_path:
            if path not in self.names:
                problems.append(RecordProblem("record-missing-member", path, f"{path}: listed in RECORD but not in the wheel"))
        return problems
