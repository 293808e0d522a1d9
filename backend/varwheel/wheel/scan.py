"""Folders of wheels: which files a command reading a folder takes.

Every command that accepts a folder (``index``, ``check``, ``relabel``,
``upgrade``, ``select`` through find-links) lists it the same way: the
``*.whl`` files directly in it (and, where the command reads them, the
``*-variants.json`` files), not hidden, not in sub-folders, regular files
only; and a command given files and folders takes each file once
(:func:`expand_paths`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, NamedTuple, Sequence, Set

from varwheel.errors import InvalidInput
from varwheel.model.filename import INDEX_SUFFIX

__all__ = ["Inputs", "expand_paths", "index_paths", "wheel_paths"]


def _check_directory(directory: "str | os.PathLike[str]") -> Path:
    path = Path(directory)
    if not path.exists():
        raise InvalidInput(f"{path}: no such directory")
    if not path.is_dir():
        raise InvalidInput(f"{path}: is not a directory; give the folder that holds the wheels")
    return path


def wheel_paths(directory: "str | os.PathLike[str]") -> List[Path]:
    """The ``*.whl`` files directly in ``directory`` (not hidden, not sub-folders), sorted."""
    path = _check_directory(directory)
    return sorted(
        p for p in path.iterdir() if p.name.endswith(".whl") and not p.name.startswith(".") and p.is_file()
    )


def index_paths(directory: "str | os.PathLike[str]") -> List[Path]:
    """The ``*-variants.json`` files directly in ``directory`` (not hidden, regular files), sorted."""
    path = _check_directory(directory)
    return sorted(
        p for p in path.iterdir() if p.name.endswith(INDEX_SUFFIX) and not p.name.startswith(".") and p.is_file()
    )


class Inputs(NamedTuple):
    """What a command was given: every file once, in order, and which came from a folder."""

    files: List[Path]
    folders: List[Path]
    from_folder: Set[Path]


def expand_paths(
    paths: Sequence["str | os.PathLike[str]"], *, indexes: bool = False, empty: str = "holds no .whl files"
) -> Inputs:
    """Files as given, folders as their wheels (and with ``indexes`` their index files).

    A file named twice, or named and inside a named folder, is taken once.
    Raises :class:`InvalidInput` for a path that does not exist and for a
    folder with nothing to take (``"{folder}: {empty}"``).  Whether a named
    file is of the right kind is the caller's question.
    """
    files: List[Path] = []
    folders: List[Path] = []
    from_folder: Set[Path] = set()
    seen: Set[Path] = set()

    def add(path: Path, in_folder: bool) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            files.append(path)
            if in_folder:
                from_folder.add(path)

    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = wheel_paths(path) + (index_paths(path) if indexes else [])
            if not found:
                raise InvalidInput(f"{path}: {empty}")
            folders.append(path)
            for item in found:
                add(item, True)
        elif path.exists():
            add(path, False)
        else:
            raise InvalidInput(f"{path}: no such file or directory")
    return Inputs(files, folders, from_folder)
