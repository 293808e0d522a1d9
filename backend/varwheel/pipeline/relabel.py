"""Give a deferred-label wheel its label (the engine behind ``varwheel relabel``).

Release pipelines build variants with a *deferred* label: ``variant.json`` is
inside, but the filename stays plain, because auditwheel, delocate, abi3audit
and cibuildwheel parse filenames and reject a label (spec section 3).  Once
those tools are done, ``relabel`` renames each wheel after the one label its
``variant.json`` holds.  Only the name changes: the bytes are kept, so RECORD
and every signature stay valid.

Rules:

* the label comes from ``variant.json`` only; relabel never invents or
  changes a label;
* a wheel already carrying that label is left as it is (idempotent); a
  filename label that differs from ``variant.json`` is an error;
* a wheel without ``variant.json`` given by name is an error; found in a
  folder, it is skipped (plain wheels may sit beside variants);
* ``variant.json`` must be listed in RECORD with its hash: a file slipped in
  afterwards would give a wheel that installers reject;
* every wheel is checked and every destination computed before anything is
  renamed or copied; a failure midway undoes what this call did.

Example::

    from varwheel.pipeline.relabel import relabel
    for result in relabel(["wheelhouse"]):
        print(result.dest)
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence

from varwheel.errors import InvalidInput, InvalidMetadata, InvalidWheel
from varwheel.wheel.archive import WheelArchive
from varwheel.wheel.record import hash_matches, record_hasher
from varwheel.wheel.output import OutputBatch, check_label_fits, copy_file_atomic, same_path

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass
else:
    from varwheel.model.values import dataclass

__all__ = ["RelabelPlan", "plan_relabel", "relabel", "expand_wheel_args", "variant_json_recorded"]

#: What happens to one wheel.
RENAME, COPY, UNCHANGED = "rename", "copy", "unchanged"


@dataclass(frozen=True)
class RelabelPlan:
    """One wheel's relabelling: ``action`` is ``rename``, ``copy`` or ``unchanged``."""

    src: Path
    dest: Path
    label: str
    action: str


def variant_json_recorded(archive: WheelArchive, raw: bytes) -> None:
    """Raise :class:`InvalidWheel` unless RECORD lists variant.json with ``raw``'s hash and size."""
    name = archive.variant_json_name
    row = next((r for r in archive.record() if r.path == name), None)
    if row is None:
        raise InvalidWheel(
            f"{archive.path}: {name} is not listed in RECORD (it was added after the wheel was "
            "built); remake the variant with `varwheel make-variant`, which writes both"
        )
    hasher = record_hasher(row.hash)
    if hasher is None:
        raise InvalidWheel(
            f"{archive.path}: RECORD hashes {name} as {row.hash!r}, an algorithm no installer accepts "
            "(md5, sha1 and shake_* are not allowed); remake the variant with `varwheel make-variant`"
        )
    hasher.update(raw)
    if not hash_matches(row.hash, hasher) or (row.size and row.size != str(len(raw))):
        raise InvalidWheel(
            f"{archive.path}: {name} differs from its RECORD entry (changed after the wheel was "
            "built); remake the variant with `varwheel make-variant`"
        )


def plan_relabel(
    wheel: "str | os.PathLike[str]", outdir: "str | os.PathLike[str] | None" = None
) -> RelabelPlan:
    """Check ``wheel`` and say where its labelled name goes; writes nothing.

    Raises :class:`InvalidInput` subclasses: no variant.json, a filename label
    that disagrees with it, variant.json missing from RECORD.
    """
    src = Path(wheel)
    with WheelArchive(src) as archive:
        if not archive.has_variant_json():
            raise InvalidMetadata(
                f"{src}: has no {archive.variant_json_name}, so it carries no label to apply; "
                "`varwheel make-variant` turns a plain wheel into a variant"
            )
        raw = archive.read(archive.variant_json_name)
        document = archive.variant_document()
        assert document is not None
        current = archive.filename.label
        label, _ = document.single(source=f"{src.name}: {archive.variant_json_name}")
        if current is not None and current != label:
            raise InvalidMetadata(
                f"{src}: the filename's label {current!r} differs from the label {label!r} in "
                f"{archive.variant_json_name}; relabel never changes a label: rename the file "
                f"to end in -{label}.whl or remake the variant"
            )
        variant_json_recorded(archive, raw)
        name = str(archive.filename.with_label(label))
    if outdir is None:
        dest = src.parent / name
        action = UNCHANGED if current is not None else RENAME
    else:
        dest = Path(outdir) / name
        action = UNCHANGED if same_path(src, dest) else COPY
    if action != UNCHANGED:
        check_label_fits(dest, label)
    return RelabelPlan(src, dest, label, action)


def expand_wheel_args(
    paths: Sequence["str | os.PathLike[str]"],
    *,
    on_skip: Optional[Callable[[Path], None]] = None,
) -> List[Path]:
    """Files as given; folders become their ``*.whl`` files (not recursive, not hidden).

    A wheel found in a folder without ``variant.json`` is passed to
    ``on_skip`` and left out; one named explicitly is kept (and then rejected
    by :func:`plan_relabel` with a message).
    """
    from varwheel.wheel.scan import expand_paths

    inputs = expand_paths(paths)
    out: List[Path] = []
    for wheel in inputs.files:
        if wheel in inputs.from_folder:
            with WheelArchive(wheel) as archive:
                plain = not archive.has_variant_json() and archive.filename.label is None
            if plain:
                if on_skip is not None:
                    on_skip(wheel)
                continue
        out.append(wheel)
    return out


def relabel(
    paths: Sequence["str | os.PathLike[str]"],
    outdir: "str | os.PathLike[str] | None" = None,
    *,
    force: bool = False,
    on_skip: Optional[Callable[[Path], None]] = None,
) -> List[RelabelPlan]:
    """Relabel every wheel in ``paths`` (files or folders), in place or into ``outdir``.

    All wheels are checked first; then renames/copies happen, all or nothing
    (:class:`~varwheel.wheel.output.OutputBatch`): if one fails, the renames
    and new copies made by this call are undone before the error propagates.
    """
    wheels = expand_wheel_args(paths, on_skip=on_skip)
    plans = [plan_relabel(w, outdir) for w in wheels]
    seen: Dict[Path, Path] = {}
    for plan in plans:
        key = plan.dest.absolute()
        if key in seen:
            raise InvalidInput(f"{seen[key]} and {plan.src} would both become {plan.dest}")
        seen[key] = plan.src
    # Renames and copies are one batch: if one fails (or Ctrl-C), the wheels renamed get their
    # plain names back and the copies go; a labelled twin with the same bytes is no conflict
    # (the plain name is then just removed).
    with OutputBatch(force=force, task="give the wheels their labelled names") as batch:
        for plan in plans:
            if plan.action == RENAME:
                batch.rename(plan.src, plan.dest)
            elif plan.action == COPY:
                batch.write(plan.dest, functools.partial(copy_file_atomic, plan.src, plan.dest, force=force))
    return plans
