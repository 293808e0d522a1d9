"""Turn an existing wheel into a variant wheel (the engine behind ``make-variant``).

Kept apart from the command module so that the build backend, ``relabel`` and
the examples call the same code the CLI calls.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from varwheel.wheel.output import check_label_fits
from varwheel.wheel.rewrite import rewrite_wheel
from varwheel.wheel.archive import WheelArchive

if TYPE_CHECKING:  # only its attributes are read here; the caller has it imported already
    from varwheel.model.request import VariantRequest

__all__ = ["make_variant", "variant_output_path"]


def variant_output_path(archive: WheelArchive, outdir: "str | os.PathLike[str]", label: Optional[str]) -> Path:
    """``outdir/<input name with its label replaced by label>`` (``None``: plain name).

    A label that makes the name longer than ``outdir`` allows is :class:`~varwheel.errors.InvalidLabel`.
    """
    dest = Path(outdir) / str(archive.filename.with_label(label))
    if label is not None:
        check_label_fits(dest, label)
    return dest


def make_variant(
    src: "str | os.PathLike[str]",
    outdir: "str | os.PathLike[str]",
    request: VariantRequest,
    *,
    force: bool = False,
    verify: bool = False,
    defer_label: bool = False,
) -> Path:
    """Write the variant of ``src`` described by ``request`` into ``outdir``; return its path.

    A wheel that already is a variant is re-variant-ed: its variant.json and
    label are replaced.  ``defer_label`` keeps the plain filename (the wheel
    still carries variant.json; ``varwheel relabel`` adds the label later).
    """
    with WheelArchive(src) as archive:
        dest = variant_output_path(archive, outdir, None if defer_label else request.label)
        return rewrite_wheel(
            src, dest, variant_json=request.variant_json, force=force, verify=verify, archive=archive
        )
