"""``tomllib`` on Python >= 3.11, ``tomli`` before (the only conditional dependency).

Imported when a file is read, not with this module: the TOML parser (with
``datetime`` and its regular expressions) is a fifth of the start-up of a
command that reads no TOML (``make-variant`` without ``--pyproject-toml``).
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path
from typing import Any, Dict

from varwheel.errors import InvalidPyproject

__all__ = ["load_toml"]


def load_toml(path: "str | Path") -> Dict[str, Any]:
    """Read a TOML file; a missing or malformed file is :class:`InvalidPyproject`."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on old Pythons only
        import tomli as tomllib

    path = Path(path)
    try:
        if path.exists() and not path.is_dir() and not stat.S_ISREG(path.stat().st_mode):
            # a FIFO would block the reader, a device (/dev/zero) never ends
            raise InvalidPyproject(f"{path}: not a regular file (a FIFO, socket or device), expected a TOML file")
        with path.open("rb") as fh:
            data: Dict[str, Any] = tomllib.load(fh)
            return data
    except FileNotFoundError:
        raise InvalidPyproject(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidPyproject(f"{path}: is a directory, expected a pyproject.toml file") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidPyproject(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise InvalidPyproject(f"{path}: TOML nested too deeply to read (arrays or inline tables)") from None
    except UnicodeDecodeError as exc:
        raise InvalidPyproject(f"{path}: not UTF-8: {exc}") from None
