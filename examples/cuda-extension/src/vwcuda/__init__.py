"""varwheel example package: which build of me is installed?"""

from __future__ import annotations

import json
from importlib import metadata

from ._core import build_info

__all__ = ["build_info", "variant_label", "info"]


def variant_label():
    """The label in this installation's variant.json (None for a plain wheel)."""
    text = metadata.distribution("vwcuda").read_text("variant.json")
    if text is None:
        return None
    return next(iter(json.loads(text)["variants"]))


def info() -> dict:
    return {"variant": variant_label(), **build_info()}
