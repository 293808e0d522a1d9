"""Streaming wheel rewrite: copy members raw, swap variant.json, regenerate RECORD.

Every kept member is copied as it is on disk, local header, compressed bytes
and data descriptor included: nothing is inflated or deflated, so a 1 GiB
wheel costs about what ``cp`` costs.  Only ``variant.json``, ``RECORD`` and the
central directory are new.  ZIP64 is written when the member count, an offset
or the central directory's size needs it.

Safety rules (the "never destroy input" principle):

* the input is opened and checked (:class:`~varwheel.wheel.archive.WheelArchive`)
  before anything is written;
* output goes to a temporary file in the output folder, renamed into place;
* the output path may not be the input; an existing different file is
  replaced only with ``force``; an identical one is left untouched;
* on any failure the temporary file is removed.

Reproducibility: new members get their timestamp from ``SOURCE_DATE_EPOCH``
when set, otherwise from the input's RECORD member, so the same input and
arguments give byte-identical output.

Example::

    rewrite_wheel("dist/pkg-1.0-py3-none-any.whl",
                  "out/pkg-1.0-py3-none-any-v3.whl",
                  variant_json=request.variant_json)
"""

from __future__ import annotations

import errno
import filecmp
import os
import shutil
import struct
import tempfile
import time
import zipfile
import zlib
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Callable, Dict, Iterator, List, Optional, Tuple, Type

from varwheel.errors import InvalidInput, InvalidLabel, InvalidWheel, OutputError, OutputExists, VarwheelError
from varwheel.model.filename import WheelFilename
from varwheel.wheel.archive import CHUNK, RecordRow, WheelArchive, format_record, record_hash

__all__ = [
    "rewrite_wheel",
    "atomic_output",
    "copy_file_atomic",
    "OutputBatch",
    "new_member_date_time",
    "same_path",
    "name_max",
    "check_label_fits",
]

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sBBHHHHHIIIHHHHHII")
_EOCD = struct.Struct("<4sHHHHIIH")
_EOCD64 = struct.Struct("<4sQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<4sIQI")
_U32 = 0xFFFFFFFF
_U16 = 0xFFFF
_ZIP_MIN_EPOCH = 315532800  # 1980-01-01T00:00:00Z
_ZIP_MAX_EPOCH = 4354819198  # 2107-12-31T23:59:58Z


#: What :func:`tempfile.mkstemp` adds to :class:`atomic_output`'s prefix: 8 random characters and ``.tmp``.
_TMP_TAIL = 12


def name_max(folder: "str | os.PathLike[str]") -> int:
    """The longest file name (bytes) ``folder``'s file system takes; its nearest existing parent's if it is missing."""
    probe = Path(folder).absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        limit = os.pathconf(probe, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows), or the name is unknown here
        return 255
    return limit if limit > 0 else 255


def check_label_fits(dest: "str | os.PathLike[str]", label: str) -> None:
    """Raise :class:`InvalidLabel` when ``label`` makes ``dest``'s name longer than its folder allows.

    Called while outputs are planned, so nothing is written (the file system
    would refuse the name only at the rename, with "File name too long").
    """
    dest = Path(dest)
    limit = name_max(dest.parent)
    length = len(os.fsencode(dest.name))
    if length > limit:
        raise InvalidLabel(
            f"label {label!r} is too long: the wheel's file name would be {length} bytes, and "
            f"{dest.parent} allows at most {limit} (keep labels short: some tools reject labels over 16 characters)"
        )


def same_path(a: "str | os.PathLike[str]", b: "str | os.PathLike[str]") -> bool:
    a, b = Path(a), Path(b)
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


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


def _dos_date_time(dt: Tuple[int, int, int, int, int, int]) -> Tuple[int, int]:
    year, month, day, hour, minute, second = dt
    return ((year - 1980) << 9 | month << 5 | day), (hour << 11 | minute << 5 | second // 2)


class _Writer:
    """Appends local entries to an output stream and remembers central records."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        #: bytes written so far; member offsets in the new archive are relative to its start.
        self.offset = 0
        self.central: List[bytes] = []

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.offset += len(data)

    def copy_raw(self, src: BinaryIO, info: zipfile.ZipInfo) -> None:
        """Copy a member's local header, data and data descriptor verbatim."""
        src.seek(info.header_offset)
        header = src.read(_LOCAL.size)
        if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
            raise InvalidWheel(f"member {info.filename!r}: bad local header at offset {info.header_offset}")
        fields = _LOCAL.unpack(header)
        name_len, extra_len = fields[9], fields[10]
        rest = src.read(name_len + extra_len)
        if len(rest) != name_len + extra_len:
            raise InvalidWheel(f"member {info.filename!r}: local header truncated")
        if rest[:name_len] != _name_bytes(info):
            # Tools disagree on which name wins when the two differ (a known way
            # to smuggle files past a checker): refuse rather than copy it on.
            raise InvalidWheel(
                f"member {info.filename!r}: its local header names it "
                f"{rest[:name_len].decode('utf-8', 'replace')!r}; the two names must agree"
            )
        local_extra = rest[name_len:]
        new_offset = self.offset
        self._write(header + rest)
        self._copy_data(src, info.compress_size, info.filename)
        if info.flag_bits & 0x08:
            zip64 = any(
                struct.unpack_from("<H", local_extra, i)[0] == 0x0001
                for i in _extra_offsets(local_extra)
            ) or info.compress_size >= _U32 or info.file_size >= _U32
            sig = src.read(4)
            size = 16 if zip64 else 8
            body = sig + src.read(4 + size) if sig == b"PK\x07\x08" else sig + src.read(size)
            self._write(body)
        self._central_entry(info, new_offset)

    def _copy_data(self, src: BinaryIO, count: int, name: str) -> None:
        """Copy ``count`` bytes from ``src``'s position, 1 MiB at a time.

        (``os.copy_file_range`` was tried: on ext4 without reflinks it was no
        faster than this loop, which already runs at about ``cp``'s speed.)
        """
        done = 0
        while done < count:
            chunk = src.read(min(CHUNK, count - done))
            if not chunk:
                raise InvalidWheel(f"member {name!r}: data truncated")
            self._write(chunk)
            done += len(chunk)

    def _central_entry(self, info: zipfile.ZipInfo, offset: int) -> None:
        extra = _strip_zip64_extra(info.extra)
        z64 = b""
        file_size, compress_size, header_offset = info.file_size, info.compress_size, offset
        if file_size >= _U32 or compress_size >= _U32 or offset >= _U32:
            # The ZIP64 block holds, in order, only the fields that overflow... but
            # readers (zipfile included) expect sizes first: write those that are maxed.
            vals = []
            if file_size >= _U32 or compress_size >= _U32:
                vals += [file_size, compress_size]
                file_size = compress_size = _U32
            if offset >= _U32:
                vals.append(offset)
                header_offset = _U32
            z64 = struct.pack("<HH", 0x0001, 8 * len(vals)) + struct.pack(f"<{len(vals)}Q", *vals)
        extra = z64 + extra
        name = _name_bytes(info)
        comment = info.comment or b""
        date, tm = _dos_date_time(info.date_time)
        version_needed = max(info.extract_version, 45 if z64 else 0)
        self.central.append(
            _CENTRAL.pack(
                b"PK\x01\x02",
                info.create_version,
                info.create_system,
                version_needed,
                info.flag_bits,
                info.compress_type,
                tm,
                date,
                info.CRC,
                compress_size,
                file_size,
                len(name),
                len(extra),
                len(comment),
                0,
                info.internal_attr,
                info.external_attr,
                header_offset,
            )
            + name
            + extra
            + comment
        )

    def add_new(self, name: str, data: bytes, date_time: Tuple[int, int, int, int, int, int]) -> None:
        """Write a new deflated member (small: variant.json, RECORD)."""
        info = zipfile.ZipInfo(name, date_time=date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (0o100644 & 0xFFFF) << 16
        info.create_system = 3
        info.create_version = 20
        info.extract_version = 20
        info.flag_bits = 0x800 if not name.isascii() else 0
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        body = compressor.compress(data) + compressor.flush()
        info.CRC = zlib.crc32(data) & _U32
        info.compress_size = len(body)
        info.file_size = len(data)
        encoded = name.encode("utf-8")
        date, tm = _dos_date_time(date_time)
        offset = self.offset
        self._write(
            _LOCAL.pack(
                b"PK\x03\x04", 20, info.flag_bits, info.compress_type, tm, date,
                info.CRC, len(body), len(data), len(encoded), 0,
            )
            + encoded
        )
        self._write(body)
        info.extra = b""
        self._central_entry(info, offset)

    def finish(self, comment: bytes = b"") -> None:
        cd_offset = self.offset
        for record in self.central:
            self._write(record)
        cd_size = self.offset - cd_offset
        count = len(self.central)
        if count >= _U16 or cd_size >= _U32 or cd_offset >= _U32:
            eocd64_offset = self.offset
            self._write(_EOCD64.pack(b"PK\x06\x06", _EOCD64.size - 12, 45, 45, 0, 0, count, count, cd_size, cd_offset))
            self._write(_LOCATOR64.pack(b"PK\x06\x07", 0, eocd64_offset, 1))
            self._write(
                _EOCD.pack(b"PK\x05\x06", 0, 0, min(count, _U16), min(count, _U16),
                           min(cd_size, _U32), min(cd_offset, _U32), len(comment))
                + comment
            )
        else:
            self._write(_EOCD.pack(b"PK\x05\x06", 0, 0, count, count, cd_size, cd_offset, len(comment)) + comment)


def _name_bytes(info: zipfile.ZipInfo) -> bytes:
    """The member name exactly as stored (zipfile decoded it with UTF-8 or cp437)."""
    return info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")


def _extra_offsets(extra: bytes) -> Iterator[int]:
    i = 0
    while i + 4 <= len(extra):
        yield i
        i += 4 + struct.unpack_from("<H", extra, i + 2)[0]


class atomic_output:
    """Context manager yielding a temp file in ``dest``'s folder, renamed onto ``dest`` on success.

    ``force=False`` refuses to replace an existing file whose bytes differ from
    what was written; an identical existing file is kept as it is
    (``unchanged`` is then true).  On any failure the temp file, and the
    folders this call created for it, are removed; an ``OSError`` while
    writing becomes :class:`~varwheel.errors.OutputError` (one line, exit 2).
    """

    def __init__(self, dest: "str | os.PathLike[str]", *, force: bool = False) -> None:
        self.dest = Path(dest)
        self.force = force
        self.tmp: Optional[Path] = None
        self.unchanged = False
        #: folders created for ``dest`` (outermost first); removed again on failure.
        self.created_dirs: List[Path] = []

    def __enter__(self) -> BinaryIO:
        parent = self.dest.parent
        missing: List[Path] = []
        probe = parent
        while not probe.exists() and probe != probe.parent:
            missing.append(probe)
            probe = probe.parent
        self.created_dirs = list(reversed(missing))
        try:
            parent.mkdir(parents=True, exist_ok=True)
            # The temp name must fit where the final name fits: shorten the prefix taken from it.
            room = max(1, name_max(parent) - _TMP_TAIL - 2)
            raw_name = os.fsencode(self.dest.name)
            stem = os.fsdecode(raw_name[:room]) if len(raw_name) > room else self.dest.name
            fd, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=parent)
        except OSError as exc:
            self._remove_created_dirs()
            raise OutputError(f"cannot write into {parent}: {exc.strerror or exc}") from None
        self.tmp = Path(name)
        self.fh = os.fdopen(fd, "wb")
        return self.fh

    def _link_into_place(self) -> bool:
        """Create ``dest`` only if it does not exist, in one step (a hard link), and drop the temp name.

        The existence check above and a rename would be two steps: two writers
        of one destination could both see it free and both "succeed", one
        output silently lost.  ``os.link`` fails if ``dest`` appeared
        meanwhile: the loser then compares contents (identical: unchanged) or
        says the file exists.  False when this file system has no hard links
        (the caller renames instead: the two-step window remains there).
        """
        assert self.tmp is not None
        try:
            os.link(self.tmp, self.dest)
        except FileExistsError:
            if self.dest.is_file() and filecmp.cmp(self.tmp, self.dest, shallow=False):
                self.unchanged = True
                return True
            raise OutputExists(f"{self.dest} already exists with different content; pass --force to replace it") from None
        except OSError as exc:
            if exc.errno in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
                return False
            raise
        except (AttributeError, NotImplementedError):  # a platform without os.link
            return False
        return True  # the temp name is removed in __exit__'s finally

    def _remove_created_dirs(self) -> None:
        for folder in reversed(self.created_dirs):
            try:
                folder.rmdir()
            except FileNotFoundError:  # mkdir failed before reaching it
                continue
            except OSError:  # not empty: someone else uses it now
                break
        self.created_dirs = []

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        assert self.tmp is not None
        ok = False
        try:
            try:
                self.fh.close()
            except OSError as close_exc:  # e.g. the final flush hits a full disk
                if exc_type is None:
                    raise OutputError(f"writing {self.dest} failed: {close_exc.strerror or close_exc}") from None
            if exc_type is not None:
                if isinstance(exc, OSError) and not isinstance(exc, VarwheelError):
                    raise OutputError(f"writing {self.dest} failed: {exc.strerror or exc}") from None
                return
            if self.dest.exists() or self.dest.is_symlink():
                if self.dest.is_dir():
                    raise OutputExists(f"{self.dest}: is a directory")
                if self.dest.is_file() and filecmp.cmp(self.tmp, self.dest, shallow=False):
                    self.unchanged = True
                    ok = True
                    return
                if not self.force:
                    raise OutputExists(
                        f"{self.dest} already exists with different content; pass --force to replace it"
                    )
            try:
                os.chmod(self.tmp, 0o644)
                if self.force or not self._link_into_place():
                    os.replace(self.tmp, self.dest)
            except OSError as exc2:
                raise OutputError(f"cannot create {self.dest}: {exc2.strerror or exc2}") from None
            ok = True
        finally:
            if self.tmp is not None:
                try:
                    self.tmp.unlink()
                except FileNotFoundError:
                    pass
            if not ok:
                self._remove_created_dirs()


def rewrite_wheel(
    src: "str | os.PathLike[str]",
    dest: "str | os.PathLike[str]",
    *,
    variant_json: Optional[bytes],
    force: bool = False,
    verify: bool = False,
    archive: Optional[WheelArchive] = None,
) -> Path:
    """Write ``dest``: ``src`` with its variant.json replaced by ``variant_json``.

    ``variant_json=None`` removes variant.json (``unmake-variant``).  ``dest``
    is the full output path; the caller chooses the name (label or not).
    ``verify`` first checks every member against RECORD.
    """
    src, dest = Path(src), Path(dest)
    WheelFilename.parse(dest.name)
    if same_path(src, dest) or (not dest.exists() and src.resolve() == dest.resolve()):
        raise OutputExists(f"refusing to write over the input wheel {src}; choose another output folder")
    own = archive is None
    arch = archive or WheelArchive(src)
    try:
        if verify:
            arch.verify_record()
        rows = arch.record()
        vj_name = arch.variant_json_name
        record_name = arch.record_name
        drop = {vj_name, record_name, record_name + ".jws", record_name + ".p7s"}
        kept_rows = [r for r in rows if r.path not in drop]
        if variant_json is not None:
            kept_rows.append(RecordRow(vj_name, record_hash(variant_json), str(len(variant_json))))
        kept_rows.append(RecordRow(record_name, "", ""))
        record_bytes = format_record(kept_rows)
        date_time = new_member_date_time(arch)
        with atomic_output(dest, force=force) as out, open(src, "rb") as raw:
            writer = _Writer(out)
            for info in arch.members:
                if info.filename in drop:
                    continue
                try:
                    writer.copy_raw(raw, info)
                except InvalidWheel as exc:  # the writer knows the member; say which wheel
                    raise InvalidWheel(f"{src}: {exc}") from None
            if variant_json is not None:
                writer.add_new(vj_name, variant_json, date_time)
            writer.add_new(record_name, record_bytes, date_time)
            writer.finish(arch.zip.comment or b"")
    finally:
        if own:
            arch.close()
    return dest


def copy_file_atomic(src: "str | os.PathLike[str]", dest: "str | os.PathLike[str]", *, force: bool = False) -> Path:
    """Copy ``src`` to ``dest`` through :class:`atomic_output` (used for renames that keep bytes)."""
    if same_path(src, dest):
        raise OutputExists(f"refusing to copy {src} onto itself")
    with atomic_output(dest, force=force) as out, open(src, "rb") as fh:
        shutil.copyfileobj(fh, out, CHUNK)
    return Path(dest)


class OutputBatch:
    """Several outputs written all or nothing.

    Commands that take several inputs (``make-variant -f A -f B``,
    ``unmake-variant``, ``repair``) first :meth:`plan` every output (two inputs
    mapping to one output is an error), then :meth:`write` each inside
    ``with batch:``; ``produce`` is called at once, inside :meth:`write`.  If any write fails, the files this batch created, and
    the output folders it created, are removed before the error propagates;
    files that already existed are left as they were (each single write is
    atomic, so they were never half-replaced).

    Example::

        batch = OutputBatch(outdir)
        for src in inputs:
            batch.plan(outdir / name_for(src), src)
        with batch:
            for dest, src in batch.planned:
                batch.write(dest, functools.partial(rewrite_wheel, src, dest, variant_json=data))
    """

    def __init__(self, outdir: "str | os.PathLike[str]") -> None:
        self.outdir = Path(outdir).absolute()
        #: (output, input) pairs in plan order; the input only names the output's source.
        self.planned: List[Tuple[Path, "str | os.PathLike[str]"]] = []
        self._keys: Dict[Path, "str | os.PathLike[str]"] = {}
        self.created: List[Path] = []
        self.written: List[Path] = []
        self._missing_dirs: List[Path] = []  # innermost first: the order to remove them in

    def plan(self, dest: "str | os.PathLike[str]", src: "str | os.PathLike[str]") -> None:
        key = Path(dest).absolute()
        if key in self._keys:
            raise InvalidInput(f"{self._keys[key]} and {src} would both be written to {dest}")
        self._keys[key] = src
        self.planned.append((Path(dest), src))

    def __enter__(self) -> "OutputBatch":
        probe = self.outdir
        while not probe.exists() and probe != probe.parent:
            self._missing_dirs.append(probe)
            probe = probe.parent
        return self

    def write(self, dest: "str | os.PathLike[str]", produce: Callable[[], "str | os.PathLike[str]"]) -> Path:
        """Call ``produce()`` (which writes ``dest`` atomically) and remember what it created."""
        existed = Path(dest).exists()
        result = Path(produce())
        self.written.append(result)
        if not existed:
            self.created.append(Path(dest))
        return result

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if exc_type is None:
            return
        for path in self.created:
            try:
                path.unlink()
            except OSError:
                pass
        for folder in self._missing_dirs:
            try:
                folder.rmdir()
            except OSError:
                break
