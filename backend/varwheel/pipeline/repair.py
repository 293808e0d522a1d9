"""Run a filename-parsing repair tool on a variant wheel (``varwheel repair``).

auditwheel, delocate and delvewheel parse the wheel filename and reject a
variant label; they do keep ``variant.json`` and its RECORD row when handed
the plain name (ORACLES.md).  :func:`repair_wheel` therefore:

1. checks the input and reads its label and ``variant.json``;
2. copies it, under its plain name, into a private temporary folder (the
   command can never touch the input) and gives the command an empty
   temporary output folder;
3. runs the command with ``{wheel}`` and ``{dest_dir}`` replaced in every
   argument (``shell=False``: arguments are passed as given);
4. checks every wheel the command wrote: same name and version, the same
   ``variant.json`` document, and every member consistent with RECORD
   (``variant.json`` included), so that a tool that dropped or rewrote it is
   caught here rather than by an installer;
5. only then copies each result, with the label put back, into DEST
   (atomically: temp file and rename), and removes the temporary folders.

A failing command, or output that fails a check, leaves DEST as it was.

Example::

    repair_wheel("dist/ext-1.0-cp312-cp312-linux_x86_64-x86_64_v3.whl", "wheelhouse",
                 ["auditwheel", "repair", "-w", "{dest_dir}", "{wheel}"])
    # -> [Path("wheelhouse/ext-1.0-cp312-cp312-manylinux_2_17_x86_64-x86_64_v3.whl")]
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Sequence

from varwheel.errors import InvalidInput, InvalidMetadata, VarwheelError
from varwheel.model.document import VariantDocument
from varwheel.wheel.output import OutputBatch, check_label_fits, copy_file_atomic
from varwheel.wheel.archive import CHUNK, WheelArchive

__all__ = ["WHEEL_PLACEHOLDER", "DEST_PLACEHOLDER", "RepairFailed", "repair_wheel", "substitute"]

WHEEL_PLACEHOLDER = "{wheel}"
DEST_PLACEHOLDER = "{dest_dir}"


class RepairFailed(VarwheelError):
    """The repair command failed, or wrote something unusable; nothing was written to DEST."""


def substitute(command: Sequence[str], wheel: Path, dest_dir: Path) -> List[str]:
    """Replace the placeholders in each argument (also inside ``--opt={dest_dir}``)."""
    if not command:
        raise InvalidInput("no repair command given: put it after '--', e.g. "
                           "-- auditwheel repair -w {dest_dir} {wheel}")
    joined = "\0".join(command)
    missing = [p for p in (WHEEL_PLACEHOLDER, DEST_PLACEHOLDER) if p not in joined]
    if missing:
        raise InvalidInput(
            f"the repair command must contain {' and '.join(missing)}: varwheel hands the command a "
            "plain-named copy as {wheel} and collects what it writes into {dest_dir}, e.g. "
            "-- auditwheel repair -w {dest_dir} {wheel}"
        )
    return [arg.replace(WHEEL_PLACEHOLDER, str(wheel)).replace(DEST_PLACEHOLDER, str(dest_dir)) for arg in command]


def _stderr_fd():
    """This process's stderr as a file descriptor, or None (inherit) when it has none."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):
        return None


def _copy(src: Path, dest: Path) -> None:
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        shutil.copyfileobj(fin, fout, CHUNK)


def repair_wheel(
    wheel: "str | os.PathLike[str]",
    dest_dir: "str | os.PathLike[str]",
    command: Sequence[str],
    *,
    force: bool = False,
    stdout=None,
) -> List[Path]:
    """Repair ``wheel`` with ``command``; return the labelled wheels written into ``dest_dir``.

    ``stdout`` is where the command's standard output goes (default: this
    process's stderr, so that our own stdout lists only the results).
    Raises :class:`InvalidInput` subclasses for bad input or usage and
    :class:`RepairFailed` when the command fails or its output is unusable.
    """
    src = Path(wheel)
    dest_dir = Path(dest_dir)
    if dest_dir.exists() and not dest_dir.is_dir():
        raise InvalidInput(f"{dest_dir}: exists and is not a directory")
    with WheelArchive(src) as archive:
        variant = archive.variant()
        if variant is None:
            raise InvalidMetadata(
                f"{src}: not a variant wheel (no {archive.variant_json_name}); run the repair "
                "command on it directly"
            )
        label, document = variant
        raw_variant_json = archive.read(archive.variant_json_name)
        plain_name = str(archive.filename.with_label(None))
        name, version = archive.filename.project, archive.filename.version
        # A label too long for DEST's file system would fail only at the last rename, after the command ran.
        check_label_fits(dest_dir / str(archive.filename.with_label(label)), label)
    # Validate the command's shape before creating anything.
    substitute(command, Path(plain_name), dest_dir)

    work = Path(tempfile.mkdtemp(prefix="varwheel-repair-"))
    try:
        in_dir, out_dir = work / "in", work / "out"
        in_dir.mkdir()
        out_dir.mkdir()
        plain = in_dir / plain_name
        _copy(src, plain)
        argv = substitute(command, plain, out_dir)
        try:
            proc = subprocess.run(argv, stdout=stdout if stdout is not None else _stderr_fd())
        except FileNotFoundError:
            raise InvalidInput(f"repair command not found: {argv[0]!r}") from None
        except PermissionError:
            raise InvalidInput(f"repair command is not executable: {argv[0]!r}") from None
        if proc.returncode != 0:
            raise RepairFailed(
                f"the repair command exited with status {proc.returncode}; nothing was written to {dest_dir}"
            )
        produced = sorted(p for p in out_dir.rglob("*") if p.is_file())
        wheels = [p for p in produced if p.name.endswith(".whl")]
        if not wheels:
            raise RepairFailed(
                "the repair command wrote no wheel into {dest_dir}"
                + (f" (it wrote {', '.join(p.name for p in produced)})" if produced else "")
                + f"; nothing was written to {dest_dir}"
            )
        batch = OutputBatch(force=force)
        for out in wheels:
            dest = dest_dir / _labelled_name(out, label, raw_variant_json, document, name, version)
            check_label_fits(dest, label)  # the command may have renamed it (a longer platform tag)
            batch.plan(dest, out)
        with batch:
            for dest, produced_wheel in batch.planned:
                batch.write(dest, functools.partial(copy_file_atomic, produced_wheel, dest, force=force))
        return batch.outputs
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _labelled_name(out: Path, label: str, raw: bytes, document: VariantDocument, name: str, version: str) -> str:
    """Check one wheel the command wrote; return its name with ``label`` put back."""
    try:
        archive = WheelArchive(out)
    except InvalidInput as exc:
        raise RepairFailed(f"the repair command wrote an unusable wheel: {exc}") from None
    with archive:
        fname = archive.filename
        if fname.project != name or fname.version != version:
            raise RepairFailed(
                f"the repair command wrote {out.name}, another project or version than the input "
                f"({name} {version})"
            )
        if fname.label not in (None, label):
            raise RepairFailed(f"the repair command wrote {out.name}, labelled other than {label!r}")
        if not archive.has_variant_json():
            raise RepairFailed(
                f"the repair command dropped {archive.variant_json_name} from {out.name}; nothing was "
                f"written. Run `varwheel make-variant` on its output to add it back"
            )
        got = archive.read(archive.variant_json_name)
        if got != raw:
            try:
                got_document = archive.variant_document()  # not None: has_variant_json() held above
                same = got_document is not None and got_document.same_content(document)
            except InvalidInput:
                same = False
            if not same:
                raise RepairFailed(f"the repair command changed {archive.variant_json_name} in {out.name}")
        problems = archive.record_problems()
        if problems:
            shown = "; ".join(map(str, problems[:5]))
            raise RepairFailed(f"{out.name}, written by the repair command, fails RECORD verification: {shown}")
        return str(fname.with_label(label))
