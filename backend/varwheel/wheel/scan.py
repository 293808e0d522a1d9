"""Folders of wheels: which files a command reading a folder takes.

Every command that accepts a folder (``index``, ``check``, ``relabel``, ``select``
through find-links) lists it the same way: the ``*.whl`` files directly in it,
not hidden, not in sub-folders, regular files only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List

from varwheel.errors import InvalidInput

__all__ = ["wheel_paths"]


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
