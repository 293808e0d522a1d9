"""Writing outputs all or nothing.

Every file varwheel writes goes through :class:`atomic_output`: a temporary
file in the destination's folder, renamed (or hard-linked) into place only
when it is complete, so a reader never sees half a wheel and a failure leaves
nothing behind.  An existing file is replaced only with ``force``; one with
the same bytes is left untouched.  :class:`OutputBatch` extends that to a
command's several outputs: if one fails, those it created go again.

Kept apart from :mod:`varwheel.wheel.rewrite` (which writes through it)
because the rule "never destroy input, never leave half an output" is one
concept, used by every command that writes, whatever it writes.
"""

from __future__ import annotations

import errno
import os
import signal
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Callable, Dict, List, Optional, Set, Tuple, Type

from varwheel.errors import InvalidInput, InvalidLabel, InvalidWheel, OutputError, OutputExists, VarwheelError
from varwheel.wheel.archive import _Unreadable

if TYPE_CHECKING:
    from varwheel.wheel.rewrite import CopyMethod

__all__ = [
    "atomic_output",
    "copy_file_atomic",
    "OutputBatch",
    "same_path",
    "name_max",
    "check_label_fits",
]

#: What :func:`_create_temp` adds to :class:`atomic_output`'s prefix: 8 random characters and ``.tmp``.
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
    """Whether ``a`` and ``b`` are one existing file (any spelling, links included): writing one would destroy the other."""
    a, b = Path(a), Path(b)
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _create_temp(folder: Path, prefix: str, suffix: str) -> Tuple[int, str]:
    """A new file ``folder/{prefix}XXXXXXXX{suffix}``, created exclusively, mode 0600 (what ``tempfile.mkstemp`` does).

    Its own few lines: :mod:`tempfile` costs more to import than the build
    backend's budget for this whole module allows.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        name = os.path.join(folder, f"{prefix}{os.urandom(4).hex()}{suffix}")
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", str(folder))


def _same_bytes(a: Path, b: Path) -> bool:
    import filecmp  # only when the destination exists already

    return filecmp.cmp(a, b, shallow=False)


class _signals_held:
    """Defer SIGINT/SIGTERM/SIGHUP (where the platform can) for a few system calls.

    A pending signal is delivered when the block ends, so the caller sees it as
    an exception right there, with its state consistent.
    """

    _SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

    def __enter__(self) -> None:
        self.old: Optional[Set[int]] = None
        if hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread():
            self.old = set(signal.pthread_sigmask(signal.SIG_BLOCK, self._SIGNALS))

    def __exit__(self, *exc: object) -> None:
        if self.old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.old)


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
            # A signal between creating the file and remembering its name would leave it behind
            # (``__exit__`` does not run when ``__enter__`` raises): hold signals until it is known,
            # and clean up whatever a signal delivered on release interrupts.
            with _signals_held():
                fd, name = _create_temp(parent, f".{stem}.", ".tmp")
                self.tmp = Path(name)
                self.fh = os.fdopen(fd, "wb")
        except OSError as exc:
            self._discard_temp()
            raise OutputError(f"cannot write into {parent}: {exc.strerror or exc}") from None
        except BaseException:
            self._discard_temp()
            raise
        return self.fh

    def _discard_temp(self) -> None:
        """Remove the temp file (if it was created) and the folders made for it."""
        fh = getattr(self, "fh", None)
        if fh is not None:
            fh.close()
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass
            self.tmp = None
        self._remove_created_dirs()

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
            if self.dest.is_file() and _same_bytes(self.tmp, self.dest):
                self.unchanged = True
                return True
            raise OutputExists(f"{self.dest} already exists with different content; pass --force to replace it") from None
        except OSError as exc:
            if exc.errno in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
                return False
            raise
        except (AttributeError, NotImplementedError):  # a platform without os.link
            return False
        except BaseException:
            # Interrupted around the link (a signal): a destination that is our temp file's inode
            # was made by it, so it goes too; a batch of outputs stays all or nothing.
            try:
                if os.path.samefile(self.tmp, self.dest):
                    os.unlink(self.dest)
            except OSError:
                pass
            raise
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
                if self.dest.is_file() and _same_bytes(self.tmp, self.dest):
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


def copy_file_atomic(
    src: "str | os.PathLike[str]", dest: "str | os.PathLike[str]", *, force: bool = False,
    copy_method: CopyMethod = "auto",
) -> Path:
    """Copy ``src`` to ``dest`` through :class:`atomic_output` (used for renames that keep bytes).

    The bytes go through the kernel where it can (shared extents on XFS and btrfs).
    """
    # The range copier lives with the zip writer, which imports this module: import it when used.
    from varwheel.wheel.rewrite import _Sink

    if same_path(src, dest):
        raise OutputExists(f"refusing to copy {src} onto itself")
    with atomic_output(dest, force=force) as out, open(src, "rb", buffering=0) as fh:
        sink = _Sink(out, copy_method)
        size = os.fstat(fh.fileno()).st_size
        try:
            sink.copy(fh, 0, size)
        except _Unreadable as exc:
            raise InvalidWheel(f"{src}: changed while it was copied ({exc})") from None
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
