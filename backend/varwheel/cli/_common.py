"""Helpers shared by command modules (printing warnings, reading properties)."""

from __future__ import annotations

import sys
from typing import Iterable, List, Optional


def warn(message: str) -> None:
    print(f"varwheel: warning: {message}", file=sys.stderr)


def flatten(groups: Optional[Iterable]) -> List[str]:
    """``-p A B -p C`` (``action=append, nargs='+'``) -> ``[A, B, C]``."""
    out: List[str] = []
    for group in groups or ():
        if isinstance(group, str):
            out.append(group)
        else:
            out.extend(group)
    return out
