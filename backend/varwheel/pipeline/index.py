"""``{name}-{version}-variants.json`` index files from a folder of wheels (spec section 6).

uv (``--preview-features wheel-variants``) considers the variant wheels of a
release only when this file lies beside them in a ``--find-links`` folder or
index page; without it, it ignores them.  The file lists every label of the
release (``"null": {}`` included when a null wheel exists), with the merged
``default-priorities`` and ``providers`` of their ``variant.json`` files.

Reading is cheap on purpose: :func:`collect` opens each wheel through
:mod:`zipfile`, which reads only the central directory, then reads the one
small ``variant.json`` member.  A folder of multi-gigabyte CUDA wheels is
indexed in milliseconds; nothing is hashed or decompressed besides that member.

Rules (the command ``varwheel index`` documents them for users):

* plain wheels (no label, no variant.json) are ignored: pip and uv's
  non-variant path already handle them;
* a labelled wheel without ``variant.json``, or whose ``variant.json`` holds
  another label, is an error naming it (uv rejects such a wheel);
* a *deferred-label* wheel (``variant.json`` inside, plain name outside) is an
  error telling the user to run ``varwheel relabel`` first: uv looks at the
  label in the filename, so an index listing a label no filename carries
  would promise a variant that cannot be installed;
* wheels are grouped by normalized name and version; the version is written
  as the filenames spell it.  Two spellings of one version (``1.0`` and
  ``1.0.0``, equal for uv) are an error: the index file name would be
  ambiguous;
* metadata merge per :func:`varwheel.model.release.merge_documents`; any
  inconsistency names the wheels involved and nothing is written.

Writing is all or nothing (:class:`varwheel.wheel.output.OutputBatch`):
every document is built and serialized first, then each goes to a temporary
file beside its destination, and only when all are ready are they put in
place; a failure meanwhile (the disk going away, Ctrl-C) puts back what was
there.

Example::

    from varwheel.pipeline.index import build_indexes, write_indexes
    docs = build_indexes("dist")          # {"mypkg-1.0-variants.json": VariantDocument}
    paths = write_indexes("dist")         # writes them beside the wheels
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple

from varwheel.errors import InconsistentVariants, InvalidInput, InvalidMetadata
from varwheel.model.filename import WheelFilename, index_filename, version_key
from varwheel.model.document import VariantDocument, read_document_file
from varwheel.model.release import merge_documents, version_spelling_finding
from varwheel.wheel.archive import WheelArchive
from varwheel.wheel.output import OutputBatch
from varwheel.wheel.scan import wheel_paths

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass
else:
    from varwheel.model.values import dataclass

__all__ = [
    "WheelEntry",
    "collect",
    "build_indexes",
    "write_indexes",
    "check_indexes",
    "compare_indexes",
    "index_differences",
    "write_documents",
    "index_warnings",
]

@dataclass(frozen=True)
class WheelEntry:
    """One wheel of the folder, as far as the index cares.

    ``label`` is the filename's label (``None`` for a plain name);
    ``document`` is the wheel's validated ``variant.json`` (``None`` when it
    has none).  A plain name with a document is a deferred-label wheel.
    """

    path: Path
    filename: WheelFilename
    label: Optional[str]
    document: Optional[VariantDocument]

    @property
    def is_plain(self) -> bool:
        return self.label is None and self.document is None

    @property
    def is_deferred(self) -> bool:
        return self.label is None and self.document is not None

    @property
    def inner_label(self) -> Optional[str]:
        """The label inside variant.json (equal to ``label`` for a labelled wheel)."""
        if self.document is None:
            return None
        return next(iter(self.document.variants))


def collect(directory: "str | os.PathLike[str]") -> Dict[Tuple[str, str], List[WheelEntry]]:
    """Group the wheels of ``directory`` by ``(normalized name, version as spelled)``.

    Reads only each wheel's central directory and ``variant.json``.  Raises
    :class:`InvalidInput` subclasses naming the wheel: an unparsable filename,
    an unreadable or malformed wheel, a labelled wheel without variant.json or
    with another label inside, two spellings of one version.
    """
    groups: Dict[Tuple[str, str], List[WheelEntry]] = {}
    # Keyed by version identity: a packaging Version, or the string for a non-PEP 440 version.
    spellings: Dict[Tuple[str, object], Dict[str, List[str]]] = {}
    for path in wheel_paths(directory):
        with WheelArchive(path) as archive:
            fname = archive.filename
            variant = archive.variant()  # checks label <-> variant.json
        document = variant[1] if variant is not None else None
        entry = WheelEntry(path, fname, fname.label, document)
        project = fname.project
        groups.setdefault((project, fname.version), []).append(entry)
        spellings.setdefault((project, version_key(fname.version)), {}).setdefault(
            fname.version, []
        ).append(path.name)
    # Ordered by project and spellings, not by the identity: a Version and a
    # string do not compare (1.0 beside a non-PEP 440 version used to crash here).
    for (project, _), by_spelling in sorted(spellings.items(), key=lambda item: (item[0][0], sorted(item[1]))):
        finding = version_spelling_finding(project, by_spelling)
        if finding is not None:
            raise InconsistentVariants(finding.message)
    return groups


def _group_document(entries: List[WheelEntry]) -> Optional[VariantDocument]:
    deferred = [e for e in entries if e.is_deferred]
    if deferred:
        shown = ", ".join(f"{e.path.name} (label {e.inner_label!r})" for e in deferred)
        raise InvalidMetadata(
            f"{shown}: variant.json is inside but the filename carries no label yet; "
            f"uv only selects labelled files, so run `varwheel relabel` on "
            f"{'it' if len(deferred) == 1 else 'them'} first, then index again"
        )
    documents = [(e.path.name, e.document) for e in entries if e.document is not None]
    if not documents:
        return None
    return merge_documents(documents)


def build_indexes(directory: "str | os.PathLike[str]") -> Dict[str, VariantDocument]:
    """``{index filename: merged document}`` for every release of ``directory`` with variant wheels.

    Writes nothing.  Raises :class:`InconsistentVariants` naming the wheels
    involved, or another :class:`InvalidInput` subclass naming the wheel.
    """
    out: Dict[str, VariantDocument] = {}
    for key, entries in sorted(collect(directory).items()):
        doc = _group_document(entries)
        if doc is not None:
            out[index_filename(*key)] = doc
    return out


def write_indexes(
    directory: "str | os.PathLike[str]",
    outdir: "str | os.PathLike[str] | None" = None,
    *,
    force: bool = True,
    on_warning: Optional[Callable[[str], None]] = None,
) -> List[Path]:
    """Build every index of ``directory`` and write it into ``outdir`` (default: ``directory``).

    What ``varwheel index`` runs.  Returns the index paths (written or already
    identical), sorted.  All or nothing: documents are built first; each is
    then written to a temporary file beside its destination, and the temporary
    files are renamed into place only once all exist.  ``force=False`` refuses
    (before renaming anything) to replace an existing index whose bytes
    differ.  ``on_warning`` receives :func:`index_warnings` before anything is written.
    """
    docs = build_indexes(directory)
    if on_warning is not None:
        for message in index_warnings(docs):
            on_warning(message)
    return write_documents(docs, Path(outdir) if outdir is not None else Path(directory), force=force)


def write_documents(
    docs: Dict[str, VariantDocument], target: "str | os.PathLike[str]", *, force: bool = True
) -> List[Path]:
    """Write ``{filename: document}`` into ``target``, all or nothing (see :func:`write_indexes`)."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise InvalidInput(f"{target}: exists and is not a directory")
    if not docs:
        return []
    # Every document is staged before any is put in place; an unwritable or impossible -o is one line, exit 2.
    with OutputBatch(force=force, task=f"write index files into {target}") as batch:
        for name, doc in docs.items():
            batch.stage_bytes(target / name, doc.dumps())
    return sorted(batch.outputs)


def check_indexes(
    directory: "str | os.PathLike[str]",
    outdir: "str | os.PathLike[str] | None" = None,
) -> List[str]:
    """Compare the index files in ``outdir`` (default ``directory``) with what the wheels say.

    Returns one line per problem: a missing file, a file that is not a valid
    variants document, or one whose content differs (stale).  Content is
    compared as documents, so a file written by another tool with other
    whitespace or key order is up to date when it says the same thing.
    Inconsistent wheels raise, as in :func:`build_indexes`.
    """
    docs = build_indexes(directory)
    return compare_indexes(docs, Path(outdir) if outdir is not None else Path(directory))


def compare_indexes(docs: Dict[str, VariantDocument], target: "str | os.PathLike[str]") -> List[str]:
    """Problems of the index files in ``target`` against ``docs`` (see :func:`check_indexes`)."""
    target = Path(target)
    problems: List[str] = []
    for name, doc in docs.items():
        path = target / name
        if not path.exists():
            problems.append(f"missing: {path}")
            continue
        try:
            existing = VariantDocument.loads(read_document_file(path), source=str(path))
        except (OSError, InvalidInput) as exc:
            problems.append(f"unreadable: {path}: {exc}")
            continue
        if not existing.same_content(doc):
            problems.append(f"stale: {path} ({'; '.join(index_differences(existing, doc))})")
    return problems


def index_differences(existing: VariantDocument, wanted: VariantDocument) -> List[str]:
    """How an index file on disk differs from what the wheels say, for people to read."""
    have, want = set(existing.variants), set(wanted.variants)
    detail = []
    if want - have:
        detail.append(f"lacks {', '.join(sorted(want - have))}")
    if have - want:
        detail.append(f"lists {', '.join(sorted(have - want))} that no wheel here carries")
    changed = sorted(label for label in have & want if existing.variants[label] != wanted.variants[label])
    if changed:
        detail.append(f"gives other properties for {', '.join(changed)}")
    if not detail:
        detail.append("its default-priorities or providers differ from the wheels'")
    return detail


def index_warnings(docs: Dict[str, VariantDocument]) -> List[str]:
    """Legal but suspicious: several labels of one release with the same properties.

    The spec forbids one label meaning two property sets (an error), not two
    labels meaning one set; installers then rank the duplicates by label only,
    which is rarely what the publisher meant.
    """
    out: List[str] = []
    for name, doc in docs.items():
        by_props: Dict[Tuple[str, ...], List[str]] = {}
        for label, desc in doc.variants.items():
            by_props.setdefault(tuple(desc.strings()), []).append(label)
        for props, labels in by_props.items():
            if len(labels) > 1:
                out.append(
                    f"{name}: labels {', '.join(labels)} all mean the same properties "
                    f"({', '.join(props) or 'none'}); installers will treat them as one variant "
                    "and pick by label name"
                )
    return out
