"""Writing outputs all or nothing.

One mechanism for every file varwheel writes, so that the rule "never destroy
input, never leave half an output" is kept in one place:

* :class:`atomic_output`: one file, written to a hidden temporary file in its
  destination's folder and put in place only when complete, so a reader never
  sees half a wheel and a failure leaves nothing behind;
* :class:`OutputBatch`: a command's several outputs, all or nothing.  Each is
  either written at once by a function that writes its destination itself
  (:meth:`OutputBatch.write`: ``make-variant``, ``repair``, ``upgrade``, the
  copies of ``relabel -o``) or staged and put in place by
  :meth:`OutputBatch.commit` (:meth:`~OutputBatch.stage`,
  :meth:`~OutputBatch.stage_link`, :meth:`~OutputBatch.rename`: ``index``,
  ``index --simple``, ``relabel``'s renames).  A failure, Ctrl-C, SIGTERM or
  SIGHUP before the batch is complete undoes it: files it created are
  removed, files it replaced get their old bytes back, renamed files their
  old names, and the folders it created go too.

The rules every output keeps, whichever way it is written:

* an existing file with other bytes is replaced only with ``force`` (or where
  the caller says it may be: a page varwheel wrote itself); one with the
  same bytes is left as it is, modification time included;
* a new file is created with a hard link, which fails if the name appeared
  meanwhile, so of two concurrent writers of one destination exactly one
  wins and the other says the file exists (where the file system has no hard
  links, a rename: the check and the rename are then two steps);
* a temporary name fits wherever the final name fits (its prefix is cut to
  the folder's ``NAME_MAX``);
* the few system calls that create a temporary file or put an output in
  place, and the line that remembers it, run with SIGINT/SIGTERM/SIGHUP held,
  so an interruption always finds the batch knowing what to undo.

Kept apart from :mod:`varwheel.wheel.rewrite` (which writes through
:class:`atomic_output`) because this is one concept, used by every command
that writes, whatever it writes.

Example::

    with OutputBatch(force=args.force) as batch:
        for name, data in documents.items():
            batch.stage_bytes(outdir / name, data)
    # all in place here, or none of them (and the error raised)
"""

from __future__ import annotations

import errno
import os
import signal
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Callable, Dict, List, Literal, Optional, Set, Tuple, Type, Union

from varwheel.errors import InvalidInput, InvalidLabel, InvalidWheel, OutputError, OutputExists, VarwheelError
from varwheel.wheel.archive import _Unreadable, file_identity, refuse_if_changed

if TYPE_CHECKING:
    from varwheel.wheel.ranges import CopyMethod
    # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass
else:
    from varwheel.model.values import dataclass

__all__ = [
    "atomic_output",
    "copy_file_atomic",
    "OutputBatch",
    "same_path",
    "name_max",
    "check_label_fits",
]

#: What :func:`_create_temp` adds to a temporary name's prefix: 8 random characters and ``.tmp``.
_TMP_TAIL = 12
#: What ``os.link`` answers where this file system (or this file) cannot be hard-linked: rename or copy instead.
_NO_LINKS = frozenset(
    getattr(errno, name)
    for name in ("EXDEV", "EPERM", "EACCES", "EMLINK", "ENOTSUP", "EOPNOTSUPP", "ENOSYS")
    if hasattr(errno, name)
)

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


# -- the pieces every output is made of -----------------------------------------------------------


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


def _temp_prefix(dest: Path) -> str:
    """``.{name}.``, the name cut so that the temporary name fits where ``dest``'s name fits."""
    room = max(1, name_max(dest.parent) - _TMP_TAIL - 2)
    raw_name = os.fsencode(dest.name)
    stem = os.fsdecode(raw_name[:room]) if len(raw_name) > room else dest.name
    return f".{stem}."


def _link(src: Path, dest: Path) -> bool:
    """``os.link(src, dest)``; False where this file system (or this file) cannot be hard-linked.

    ``FileExistsError`` (``dest`` is taken) and other errors propagate.
    """
    try:
        os.link(src, dest)
    except OSError as exc:
        if exc.errno in _NO_LINKS:
            return False
        raise
    except (AttributeError, NotImplementedError):  # a platform without os.link
        return False
    return True


def _link_aside(src: Path, dest: Path) -> Optional[Path]:
    """A new hidden hard link to ``src`` beside ``dest`` (a temporary name); None where links fail.

    How a batch keeps the old bytes of a file it replaces, stages a file it
    only links (no copy), and renames without losing the old name before the
    commit.  Call it with signals held and remember the name at once.
    """
    prefix = _temp_prefix(dest)
    for _ in range(100):
        name = dest.parent / f"{prefix}{os.urandom(4).hex()}.tmp"
        try:
            return name if _link(src, name) else None
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", str(dest.parent))


def _same_bytes(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` hold the same bytes (one inode under two names is answered without reading)."""
    import filecmp  # only when a destination exists already

    try:
        return os.path.samefile(a, b) or (b.is_file() and filecmp.cmp(a, b, shallow=False))
    except OSError:
        return False


def _existing(new: Path, dest: Path) -> Literal["absent", "same", "other"]:
    """What stands at ``dest`` compared with ``new``, the bytes meant for it; a folder there is an error."""
    if not (dest.exists() or dest.is_symlink()):
        return "absent"
    if dest.is_dir():
        raise OutputExists(f"{dest}: is a directory")
    return "same" if _same_bytes(new, dest) else "other"


def _exists_message(refused: List[str]) -> str:
    if len(refused) == 1:
        return f"{refused[0]} already exists with different content; pass --force to replace it"
    return f"{'; '.join(refused)}: already exist with different content; pass --force to replace them"


def _create_exclusively(new: Path, dest: Path) -> Optional[bool]:
    """Give ``new``'s bytes the name ``dest`` only if ``dest`` does not exist, in one step (a hard link).

    Checking for ``dest`` and renaming onto it would be two steps: two
    writers of one destination could both see it free and both "succeed",
    one output silently lost.  ``os.link`` fails if ``dest`` appeared
    meanwhile: the loser then compares contents (the same: False, nothing to
    do) or raises :class:`OutputExists`.  True when ``dest`` was created;
    None where this file system has no hard links (the caller renames
    instead: the two-step window remains there).  ``new`` keeps its name.
    """
    try:
        if not _link(new, dest):
            return None
    except FileExistsError:
        if dest.is_file() and _same_bytes(new, dest):
            return False
        raise OutputExists(_exists_message([str(dest)])) from None
    except BaseException:
        # Interrupted around the link (a signal): a destination that is ``new``'s inode
        # was made by it, so it goes too; a batch of outputs stays all or nothing.
        try:
            if os.path.samefile(new, dest):
                os.unlink(dest)
        except OSError:
            pass
        raise
    return True


def _missing_folders(folder: Path) -> List[Path]:
    """``folder`` and its parents that do not exist yet, outermost first (what creating it creates)."""
    missing: List[Path] = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    return list(reversed(missing))


def _remove_folders(created: List[Path]) -> None:
    """Remove folders made for outputs, innermost first; one that is not empty (someone uses it now) stays."""
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:  # never made (mkdir failed before it), gone already, or not empty
            continue


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _ident(path: Path) -> Optional[Tuple[int, int]]:
    """``path``'s (device, inode), not following a link; None when nothing is there."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


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


# -- one file ---------------------------------------------------------------------------------


class atomic_output:
    """Context manager yielding a temp file in ``dest``'s folder, put in place as ``dest`` on success.

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
        self.created_dirs = _missing_folders(parent)
        try:
            parent.mkdir(parents=True, exist_ok=True)
            # A signal between creating the file and remembering its name would leave it behind
            # (``__exit__`` does not run when ``__enter__`` raises): hold signals until it is known,
            # and clean up whatever a signal delivered on release interrupts.
            with _signals_held():
                fd, name = _create_temp(parent, _temp_prefix(self.dest), ".tmp")
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
        _remove_folders(self.created_dirs)
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
            state = _existing(self.tmp, self.dest)
            if state == "same":
                self.unchanged = ok = True
                return
            if state == "other" and not self.force:
                raise OutputExists(_exists_message([str(self.dest)]))
            try:
                os.chmod(self.tmp, 0o644)
                created = None if self.force else _create_exclusively(self.tmp, self.dest)
                if created is None:
                    os.replace(self.tmp, self.dest)
                self.unchanged = created is False
            except OSError as exc2:
                raise OutputError(f"cannot create {self.dest}: {exc2.strerror or exc2}") from None
            ok = True
        finally:
            if self.tmp is not None:
                _unlink(self.tmp)
            if not ok:
                _remove_folders(self.created_dirs)
                self.created_dirs = []


def _copy_file_into(src: "str | os.PathLike[str]", out: BinaryIO, copy_method: CopyMethod = "auto") -> None:
    """Append ``src``'s bytes to ``out``, in the kernel where it can (shared extents on XFS and btrfs)."""
    from varwheel.wheel.ranges import Sink  # only the commands that copy whole files need it

    with open(src, "rb", buffering=0) as fh:
        sink = Sink(out, copy_method)
        before = file_identity(fh.fileno())
        try:
            sink.copy(fh, 0, before[0])
        except _Unreadable as exc:
            raise InvalidWheel(f"{src}: changed while it was copied ({exc})") from None
        # Written meanwhile (appended to, rewritten in place): no output, as for a rewrite.
        refuse_if_changed(src, fh.fileno(), before)


def copy_file_atomic(
    src: "str | os.PathLike[str]", dest: "str | os.PathLike[str]", *, force: bool = False,
    copy_method: CopyMethod = "auto",
) -> Path:
    """Copy ``src`` to ``dest`` through :class:`atomic_output` (used for renames that keep bytes)."""
    if same_path(src, dest):
        raise OutputExists(f"refusing to copy {src} onto itself")
    with atomic_output(dest, force=force) as out:
        _copy_file_into(src, out, copy_method)
    return Path(dest)


# -- several files ------------------------------------------------------------------------------

#: May an existing destination with other bytes be replaced without ``force``?  ``True``: always
#: (a file derived from the others, such as a variants file); a function: when it says so (a page
#: that carries varwheel's mark); ``False``: never.
Replace = Union[bool, Callable[[Path], bool]]


@dataclass
class _Staged:
    """One output that :meth:`OutputBatch.commit` puts in place."""

    dest: Path
    #: the bytes for ``dest``: a temporary file beside it, or (``rename``) the caller's file itself
    new: Path
    rename: bool
    replace: Replace
    #: said after the path when the output is refused ("published with other bytes")
    note: str


@dataclass
class _Done:
    """One thing a batch did to the file system, and how to undo it."""

    kind: Literal["created", "replaced", "moved"]
    dest: Path
    #: ``dest``'s (device, inode) as the batch left it: undone only while it is still that file
    ident: Optional[Tuple[int, int]]
    #: replaced: a hard link to the old file (None where links fail: then it cannot come back)
    backup: Optional[Path] = None
    #: moved: the file's old name (a rename where hard links fail)
    source: Optional[Path] = None


class OutputBatch:
    """A command's outputs, written all or nothing (see the module docstring for the rules).

    Commands that take several inputs first :meth:`plan` every output (two
    inputs mapping to one output is an error), then, inside ``with batch:``,
    :meth:`write` each (``produce`` writes the destination itself, at once,
    through :class:`atomic_output`) or :meth:`stage` / :meth:`stage_link` /
    :meth:`rename` it (put in place by :meth:`commit`, which leaving the block
    without an error calls).  :meth:`commit` first refuses every conflict,
    listing them all, before anything is put in place, then puts the staged
    outputs in place in the order they were staged (so a page is in place only
    after the files it names).  Leaving the block with an error, an interrupt
    included, before the commit finished undoes everything the batch did.

    ``task`` (``"write the simple index into site/"``) words an ``OSError``
    as one line, :class:`~varwheel.errors.OutputError`, after the undo.
    ``force`` lets staged outputs replace files with other bytes, and keeps
    the old bytes of a replaced file aside (a hard link) until the batch is
    complete, so a failure brings them back; a ``produce`` given to
    :meth:`write` takes its own ``force`` (pass the same).

    Example::

        batch = OutputBatch(force=force)
        for src in inputs:
            batch.plan(outdir / name_for(src), src)
        with batch:
            for dest, src in batch.planned:
                batch.write(dest, functools.partial(rewrite_wheel, src, dest, variant_json=data, force=force))
        print(*batch.outputs)
    """

    def __init__(self, *, force: bool = False, task: Optional[str] = None) -> None:
        self.force = force
        #: what the batch does, for messages: an ``OSError`` inside the block (writing, reading an
        #: input, putting in place) becomes :class:`OutputError` "cannot {task}: {reason} ({file})".
        self.task = task
        #: (output, input) pairs in plan order; the input only names the output's source.
        self.planned: List[Tuple[Path, "str | os.PathLike[str]"]] = []
        self._keys: Dict[Path, "str | os.PathLike[str]"] = {}
        #: every output, in the order written or staged (what ``produce`` returned, for :meth:`write`)
        self.outputs: List[Path] = []
        #: outputs that already held these bytes (left as they were)
        self.unchanged: List[Path] = []
        self.committed = False
        self._staged: List[_Staged] = []
        self._staged_keys: Set[Path] = set()
        self._done: List[_Done] = []
        self._folders: List[Path] = []  # created (or to be created by a producer), outermost first
        self._aside: List[Path] = []  # temporary names: old bytes kept, links made for renames
        self._sources: List[Path] = []  # renamed files' old names, removed once everything is in place

    @property
    def placed(self) -> List[Path]:
        """Outputs created or replaced, in the order they were put in place (none once undone)."""
        return [done.dest for done in self._done]

    def plan(self, dest: "str | os.PathLike[str]", src: "str | os.PathLike[str]") -> None:
        key = Path(dest).absolute()
        if key in self._keys:
            raise InvalidInput(f"{self._keys[key]} and {src} would both be written to {dest}")
        self._keys[key] = src
        self.planned.append((Path(dest), src))

    def __enter__(self) -> "OutputBatch":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        try:
            if exc_type is None:
                self.commit()  # which undoes the batch if it fails
            elif not self.committed:
                self._undo()
        except OSError as failed:
            self._reword(failed)
            raise
        if isinstance(exc, OSError):
            self._reword(exc)

    def _reword(self, exc: OSError) -> None:
        """Raise ``exc`` again as one line naming :attr:`task` (where there is one)."""
        if self.task is not None and not isinstance(exc, VarwheelError):
            where = f" ({exc.filename})" if exc.filename else ""
            raise OutputError(f"cannot {self.task}: {exc.strerror or exc}{where}") from None

    # -- writing --

    def folder(self, path: "str | os.PathLike[str]") -> Path:
        """Create ``path`` and its missing parents, remembering them (removed again if the batch fails)."""
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise OutputExists(f"{path}: exists and is not a directory")
        for folder in _missing_folders(path):
            with _signals_held():
                try:
                    folder.mkdir()
                except FileExistsError:  # made meanwhile by someone else: not ours to remove
                    if folder.is_dir():
                        continue
                    raise
                self._folders.append(folder)
        return path

    def write(self, dest: "str | os.PathLike[str]", produce: Callable[[], "str | os.PathLike[str]"]) -> Path:
        """Call ``produce()``, which writes ``dest`` itself (atomically), and remember what it did."""
        dest = Path(dest)
        self._folders.extend(f for f in _missing_folders(dest.parent) if f not in self._folders)
        before = _ident(dest)
        backup = self._keep_old(dest) if before is not None and self.force else None
        result = Path(produce())
        self.outputs.append(result)
        after = _ident(dest)
        if before is None:
            self._done.append(_Done("created", dest, after))
        elif after == before:
            self.unchanged.append(dest)
        else:
            self._done.append(_Done("replaced", dest, after, backup))
        return result

    def stage(
        self,
        dest: "str | os.PathLike[str]",
        produce: Callable[[BinaryIO], None],
        *,
        replace: Replace = False,
        note: str = "",
    ) -> Path:
        """Stage ``dest``: ``produce(fh)`` writes its bytes into a temporary file beside it, returned."""
        return self._stage_temp(self._new_output(dest), produce, replace, note)

    def stage_bytes(self, dest: "str | os.PathLike[str]", data: bytes, *, replace: Replace = False, note: str = "") -> Path:
        """:meth:`stage` ``data``."""

        def produce(fh: BinaryIO) -> None:
            fh.write(data)

        return self.stage(dest, produce, replace=replace, note=note)

    def stage_link(
        self, src: "str | os.PathLike[str]", dest: "str | os.PathLike[str]", *, replace: Replace = False, note: str = ""
    ) -> Path:
        """Stage ``dest`` with ``src``'s bytes: a hard link (nothing copied), a copy where links fail.

        Returns the staged file (to hash, for instance).  ``src`` is left as
        it is, its mode included.
        """
        dest = self._new_output(dest)
        with _signals_held():
            linked = _link_aside(Path(src), dest)
            if linked is not None:
                self._staged.append(_Staged(dest, linked, False, replace, note))
        if linked is None:
            return self._stage_temp(dest, lambda fh: _copy_file_into(src, fh), replace, note)
        self.outputs.append(dest)
        return linked

    def _stage_temp(self, dest: Path, produce: Callable[[BinaryIO], None], replace: Replace, note: str) -> Path:
        with _signals_held():
            fd, name = _create_temp(dest.parent, _temp_prefix(dest), ".tmp")
            self._staged.append(_Staged(dest, Path(name), False, replace, note))
            fh = os.fdopen(fd, "wb")
        with fh:
            produce(fh)
        os.chmod(name, 0o644)
        self.outputs.append(dest)
        return Path(name)

    def rename(self, src: "str | os.PathLike[str]", dest: "str | os.PathLike[str]", *, replace: Replace = False,
               note: str = "") -> None:
        """Give ``src`` the name ``dest`` at :meth:`commit` (``src``'s old name goes only once all are in place)."""
        dest = self._new_output(dest)
        self._staged.append(_Staged(dest, Path(src), True, replace, note))
        self.outputs.append(dest)

    def _new_output(self, dest: "str | os.PathLike[str]") -> Path:
        dest = Path(dest)
        key = dest.absolute()
        if key in self._staged_keys:
            raise ValueError(f"{dest} is staged twice")
        self._staged_keys.add(key)
        self.folder(dest.parent)
        return dest

    def _keep_old(self, dest: Path) -> Optional[Path]:
        """A hard link to the file at ``dest`` (which is about to be replaced), so that a failure can bring it back."""
        if not dest.is_file() or dest.is_symlink():
            return None
        with _signals_held():
            backup = _link_aside(dest, dest)
            if backup is not None:
                self._aside.append(backup)
        return backup

    # -- putting in place --

    def commit(self) -> None:
        """Put every staged output in place, all or nothing; conflicts are refused before anything moves."""
        if self.committed:
            return
        try:
            states = [_existing(entry.new, entry.dest) for entry in self._staged]
            refused = [
                f"{entry.dest} ({entry.note})" if entry.note else str(entry.dest)
                for entry, state in zip(self._staged, states)
                if state == "other" and not (self.force or self._may_replace(entry))
            ]
            if refused:
                raise OutputExists(_exists_message(refused))
            for entry, state in zip(self._staged, states):
                if state == "same":
                    self.unchanged.append(entry.dest)
                    if entry.rename:
                        self._sources.append(entry.new)
                    continue
                with _signals_held():
                    self._put(entry, replace=state == "other")
        except BaseException:
            self._undo()
            raise
        with _signals_held():
            self.committed = True
            for path in self._temporaries() + self._aside + self._sources:
                _unlink(path)

    @staticmethod
    def _may_replace(entry: _Staged) -> bool:
        return entry.replace if isinstance(entry.replace, bool) else entry.replace(entry.dest)

    def _put(self, entry: _Staged, *, replace: bool) -> None:
        """Put one staged output in place.

        What is about to be done is recorded first (``dest`` will be
        ``new``'s inode), then done: an interruption right after the system
        call, or a failure in it, finds the record, and :meth:`_undo` acts
        only where ``dest`` really is that inode.
        """
        dest, new = entry.dest, entry.new
        if not replace:
            done = self._record("created", dest, new)
            try:
                created = _create_exclusively(new, dest)
            except OutputExists:
                if not self.force:
                    raise
                # With force the refusal is not about force: another writer made the file after the check.
                raise OutputExists(
                    f"{dest}: another process created it while this command put its outputs in place; "
                    "nothing was written, run again"
                ) from None
            if created is not None:
                if not created:  # the same bytes appeared there meanwhile: nothing of ours to undo
                    self._done.remove(done)
                    self.unchanged.append(dest)
                if entry.rename:
                    self._sources.append(new)
                return
            self._done.remove(done)  # no hard links here: the rename below, after the check in commit()
        backup = self._keep_old(dest) if replace else None
        kind: Literal["created", "replaced"] = "replaced" if replace else "created"
        if entry.rename:
            linked = _link_aside(new, dest)
            if linked is None:  # no hard links: a real rename, undone by renaming back
                self._record("moved", dest, new, backup, source=new)
                os.replace(new, dest)
                return
            self._aside.append(linked)
            self._sources.append(new)
            new = linked
        self._record(kind, dest, new, backup)
        os.replace(new, dest)

    def _record(self, kind: Literal["created", "replaced", "moved"], dest: Path, new: Path,
                backup: Optional[Path] = None, source: Optional[Path] = None) -> _Done:
        done = _Done(kind, dest, _ident(new), backup, source)
        self._done.append(done)
        return done

    def _temporaries(self) -> List[Path]:
        return [entry.new for entry in self._staged if not entry.rename]

    def _undo(self) -> None:
        """Undo what the batch did, newest first: created files removed, old bytes and names back, folders removed."""
        with _signals_held():
            for done in reversed(self._done):
                if _ident(done.dest) != done.ident:
                    continue  # someone else's file now: not ours to touch
                try:
                    if done.kind == "moved":
                        assert done.source is not None
                        os.replace(done.dest, done.source)
                    elif done.kind == "created":
                        os.unlink(done.dest)
                    if done.backup is not None:
                        os.replace(done.backup, done.dest)
                except OSError:
                    pass
            for path in self._temporaries() + self._aside:
                try:
                    _unlink(path)
                except OSError:
                    pass
            _remove_folders(self._folders)
            self._done, self._staged, self._aside, self._sources, self._folders = [], [], [], [], []
