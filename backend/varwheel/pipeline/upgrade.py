"""Upgrade published variant metadata to the current format: wheels and index files (the engine of ``varwheel upgrade``).

Wheels and ``*-variants.json`` files published in the PEP 817-era drafts
(spec section 7a) cannot be read by uv 0.13.9, which then refuses the whole
release, plain wheel included.  :func:`upgrade_files` writes converted
copies into an output folder, using :func:`varwheel.model.drafts.upgrade_document`
for the conversion:

* a variant wheel gets a new ``variant.json`` and RECORD; every other member
  is copied raw (:func:`varwheel.wheel.rewrite.rewrite_wheel`, as
  ``make-variant`` does); a wheel labelled ``00000000`` (the old null label)
  is renamed ``-null``;
* an index file is rewritten under the normalized, underscored name uv looks
  for (``model.filename.index_filename``);
* a file already in a current format, and a plain wheel, are copied
  unchanged, so that the output folder holds the whole release.

Every input is read and converted before anything is written (a refused
third file leaves nothing behind); outputs go through
:class:`~varwheel.wheel.output.OutputBatch` (all or nothing) and
:class:`~varwheel.wheel.output.atomic_output`.  No output may be an input.

Example::

    from varwheel.pipeline.upgrade import upgrade_files
    for done in upgrade_files(["legacy/"], "dist"):
        print(done.dest, done.changes)
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, List, Literal, Mapping, Optional, Sequence, Tuple

from varwheel.errors import InvalidInput, InvalidMetadata, OutputExists
from varwheel.model.document import VariantDocument, read_document_file
from varwheel.model.drafts import DraftReading, load_json, read_draft, single_label, upgrade_document
from varwheel.model.filename import INDEX_SUFFIX, index_filename
from varwheel.wheel.archive import WheelArchive
from varwheel.wheel.output import OutputBatch, atomic_output, check_label_fits, copy_file_atomic
from varwheel.wheel.rewrite import rewrite_wheel
from varwheel.wheel.scan import expand_paths

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass
else:
    from varwheel.model.values import dataclass

__all__ = ["Upgrade", "upgrade_inputs", "plan_wheel", "plan_index", "upgrade_files"]

Kind = Literal["wheel", "index"]


@dataclass(frozen=True)
class Upgrade:
    """One input and what upgrading it writes.

    ``reading``: the input's draft (``None`` for a plain wheel, which has no
    variant.json); ``changes``: one line per change, for people; ``payload``:
    the new ``variant.json`` (wheel) or file bytes (index), ``None`` when the
    content is copied unchanged.
    """

    source: Path
    dest: Path
    kind: Kind
    reading: Optional[DraftReading]
    changes: Tuple[str, ...]
    payload: Optional[bytes]

    @property
    def unchanged(self) -> bool:
        return not self.changes


def upgrade_inputs(paths: Sequence["str | os.PathLike[str]"]) -> List[Path]:
    """The files to upgrade: wheels and index files as given; for a folder, its wheels and index files (not recursive)."""
    inputs = expand_paths(paths, indexes=True, empty=f"holds no wheels and no *{INDEX_SUFFIX} files to upgrade")
    for path in inputs.files:
        if not (path.name.endswith(".whl") or path.name.endswith(INDEX_SUFFIX)):
            raise InvalidInput(f"{path}: neither a wheel (.whl) nor an index file (*{INDEX_SUFFIX}), nor a folder of them")
    return inputs.files


def plan_wheel(path: "str | os.PathLike[str]", outdir: "str | os.PathLike[str]", *, verify: bool = False) -> Upgrade:
    """Read and convert one wheel's ``variant.json``; writes nothing."""
    path, outdir = Path(path), Path(outdir)
    with WheelArchive(path) as archive:
        if verify:
            archive.verify_record()
        fname = archive.filename
        vj_name = archive.variant_json_name
        if not archive.has_variant_json():
            if fname.label is not None:
                raise InvalidMetadata(
                    f"{path.name}: the filename carries label {fname.label!r} but the wheel has no {vj_name}"
                )
            return Upgrade(path, outdir / path.name, "wheel", None, (), None)
        raw = archive.read(vj_name)
    source = f"{path.name}: {vj_name}"
    data = load_json(raw, source=source)
    if not isinstance(data, Mapping):  # single_label and the label checks below read it as an object
        raise InvalidMetadata(f"{source}: the top level is not a JSON object")
    inner = single_label(data)
    if inner is None:
        raise InvalidMetadata(f"{source}: 'variants' must hold exactly one entry in a wheel")
    if fname.label is not None and fname.label != inner:
        raise InvalidMetadata(
            f"{source}: its label {inner!r} differs from the filename's label {fname.label!r}; uv refuses "
            "such a wheel and varwheel cannot tell which one is right: rename the wheel first"
        )
    reading = read_draft(data)
    new, changes = upgrade_document(data, source=source)
    label = single_label(new) if fname.label is not None else None
    dest = outdir / str(fname.with_label(label))
    if label is not None:
        check_label_fits(dest, label)
    payload = VariantDocument.from_json(new, source=source).dumps() if changes else None
    if dest.name != path.name:
        changes.append(f"file name: {path.name} -> {dest.name}")
    return Upgrade(path, dest, "wheel", reading, tuple(changes), payload)


def plan_index(path: "str | os.PathLike[str]", outdir: "str | os.PathLike[str]") -> Upgrade:
    """Read and convert one ``*-variants.json`` file; writes nothing."""
    path, outdir = Path(path), Path(outdir)
    try:
        raw = read_document_file(path)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})") from None
    data = load_json(raw, source=path.name)
    reading = read_draft(data)
    new, changes = upgrade_document(data, source=path.name)
    payload = VariantDocument.from_json(new, source=path.name).dumps() if changes else None
    name, sep, version = path.name[: -len(INDEX_SUFFIX)].rpartition("-")
    if not sep or not name or not version:
        raise InvalidInput(f"{path}: not named {{name}}-{{version}}{INDEX_SUFFIX}, so its release is unknown")
    dest = outdir / index_filename(name, version)
    if dest.name != path.name:
        changes.append(f"file name: {path.name} -> {dest.name} (uv reads only the normalized, underscored name)")
    return Upgrade(path, dest, "index", reading, tuple(changes), payload)


def _write(plan: Upgrade, force: bool) -> Path:
    if plan.payload is None:
        return copy_file_atomic(plan.source, plan.dest, force=force)
    if plan.kind == "wheel":
        return rewrite_wheel(plan.source, plan.dest, variant_json=plan.payload, force=force)
    with atomic_output(plan.dest, force=force) as out:
        out.write(plan.payload)
    return plan.dest


def upgrade_files(
    paths: Sequence["str | os.PathLike[str]"],
    outdir: "str | os.PathLike[str]",
    *,
    force: bool = False,
    verify: bool = False,
) -> List[Upgrade]:
    """Upgrade every wheel and index file of ``paths`` (files or folders) into ``outdir``; all or nothing.

    Raises an :class:`~varwheel.errors.InvalidInput` subclass naming the file
    and key for the first input that cannot be read or converted, before
    anything is written; ``force`` replaces existing outputs whose content
    differs.  ``verify`` checks every wheel member against RECORD first.
    """
    inputs = upgrade_inputs(paths)
    outdir = Path(outdir)
    plans = [
        plan_index(p, outdir) if p.name.endswith(INDEX_SUFFIX) else plan_wheel(p, outdir, verify=verify)
        for p in inputs
    ]
    resolved = {p.resolve(): p for p in inputs}
    batch = OutputBatch(force=force)
    for plan in plans:
        clash = resolved.get(plan.dest.resolve())
        if clash is not None:
            raise OutputExists(
                f"{plan.dest} is an input ({clash}); `varwheel upgrade` never writes over its input: "
                "choose another folder with -o"
            )
        batch.plan(plan.dest, plan.source)
    with batch:
        for plan in plans:
            batch.write(plan.dest, functools.partial(_write, plan, force))
    return plans
