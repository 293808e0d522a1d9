"""Copying byte ranges of one file into an output: in the kernel where the system can, else through one buffer.

``os.copy_file_range`` first: on XFS and btrfs the output then shares the
input's extents instead of copying them (``bench/make_variant.py`` shows it
with ``filefrag``); ``os.sendfile`` where that is refused (another file
system, an older kernel); a 1 MiB read/write loop where neither exists
(macOS, Windows) or the output has no file descriptor.  The zip rewriter
(:mod:`varwheel.wheel.rewrite`) copies runs of members with it, and
:func:`varwheel.wheel.output.copy_file_atomic` whole files: one module both
stand on, so neither imports the other for it.
"""

from __future__ import annotations

import errno
import os
from typing import BinaryIO, List, Literal, Optional, Set, Tuple

from varwheel.wheel.archive import CHUNK, _Unreadable

__all__ = ["COPY_METHODS", "CopyMethod", "Sink"]

#: How byte ranges of the input reach the output.  ``auto``: ``copy_file_range``, falling back to
#: ``sendfile``, then to ``readwrite`` (a 1 MiB buffer) where the system or file system refuses;
#: the others use that one way only (tests compare their outputs byte for byte).
CopyMethod = Literal["auto", "copy_file_range", "sendfile", "readwrite"]
COPY_METHODS: Tuple[CopyMethod, ...] = ("auto", "copy_file_range", "sendfile", "readwrite")

#: What ``copy_file_range`` / ``sendfile`` answer where they cannot copy these two files (another
#: file system, no support, a file system that refuses): the next way is tried.
_UNSUPPORTED = frozenset(
    getattr(errno, name)
    for name in ("EXDEV", "ENOSYS", "EINVAL", "EOPNOTSUPP", "ENOTSUP", "EBADF", "EPERM", "ENOTSOCK", "ETXTBSY")
    if hasattr(errno, name)
)
#: One kernel copy call moves at most this much (Linux caps a call near 2 GiB anyway).
_KERNEL_STEP = 1 << 30


class Sink:
    """The output stream: bytes are appended, and ranges of an input file copied in.

    With a real file (``fileno()``) everything goes through its descriptor
    (``os.write``, the kernel copies), after one flush of the Python buffer;
    anything else (an in-memory or sparse test writer) gets ``write()`` calls.
    ``used`` says which ways really copied bytes.
    """

    def __init__(self, out: BinaryIO, method: CopyMethod = "auto") -> None:
        if method not in COPY_METHODS:
            raise ValueError(f"copy_method must be one of {', '.join(COPY_METHODS)}, not {method!r}")
        self.out = out
        self.offset = 0
        self.used: Set[str] = set()
        fd: Optional[int] = None
        if method != "readwrite":
            try:
                fd = out.fileno()
            except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
                if method != "auto":
                    raise ValueError(f"copy_method={method!r} needs an output with a file descriptor") from None
        if fd is not None:
            out.flush()
        self.fd = fd
        ways: List[str] = ["copy_file_range", "sendfile", "readwrite"] if method == "auto" else [method]
        if fd is None:
            ways = ["readwrite"]
        for way in list(ways):
            if way != "readwrite" and not hasattr(os, way):
                if method != "auto":
                    raise ValueError(f"copy_method={method!r}: this system has no os.{way}")
                ways.remove(way)
        self._ways = ways
        self._buffer: Optional[memoryview] = None

    def write(self, data: "bytes | memoryview") -> None:
        if self.fd is None:
            self.out.write(data)
        else:
            _write_all(self.fd, data)
        self.offset += len(data)

    def copy(self, src: BinaryIO, start: int, count: int) -> None:
        """Append ``count`` bytes of ``src`` from ``start`` (``src``'s position is not relied on)."""
        done = 0
        while done < count:
            way = self._ways[0]
            try:
                moved = self._copy_some(way, src, start + done, count - done)
            except OSError as exc:
                if exc.errno in _UNSUPPORTED and len(self._ways) > 1 and way != "readwrite":
                    self._ways.pop(0)
                    continue
                raise
            if moved <= 0:
                raise _Unreadable(f"the input ends at byte {start + done}, inside a member ({count - done} bytes missing)")
            done += moved
            self.offset += moved
            self.used.add(way)

    def _copy_some(self, way: str, src: BinaryIO, start: int, count: int) -> int:
        if way == "copy_file_range":
            assert self.fd is not None
            return os.copy_file_range(src.fileno(), self.fd, min(count, _KERNEL_STEP), start)
        if way == "sendfile":
            assert self.fd is not None
            return os.sendfile(self.fd, src.fileno(), start, min(count, _KERNEL_STEP))
        if self._buffer is None:
            self._buffer = memoryview(bytearray(CHUNK))
        view = self._buffer[: min(CHUNK, count)]
        src.seek(start)
        got = src.readinto(view) or 0  # type: ignore[attr-defined]
        if got:
            if self.fd is None:
                self.out.write(view[:got])
            else:
                _write_all(self.fd, view[:got])
        return got


def _write_all(fd: int, data: "bytes | memoryview") -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
