"""A static simple repository of a folder of wheels: PEP 503 HTML and PEP 691 JSON pages.

``varwheel index DIR`` makes a folder uv can use with ``--find-links``; this
module makes a tree any static web server can host as an index
(``--index-url https://host/simple/``), for uv's variant support as for
every other installer.  What uv 0.13.9 reads from such an index, and so what
the pages carry (from its registry client; each point is measured by
``tests/test_simple_index.py``):

* the project page at ``{index}/{name}/``, ``name`` normalized as PEP 503
  says (``My.Pkg`` -> ``my-pkg``); uv asks for JSON first
  (``Accept: application/vnd.pypi.simple.v1+json``, then HTML); a server that
  answers ``text/html`` gets the HTML page read;
* a release's ``{name}-{version}-variants.json`` is found by its *file name*
  alone, like a wheel: the JSON ``filename`` field, or the last segment of an
  HTML link's ``href``.  No attribute marks it.  The name must be the
  underscored one (``my_pkg-1.0-variants.json``): uv splits at the first
  ``-``.  Without it uv ignores the release's variant wheels, as in a
  find-links folder;
* every hash the pages give (``hashes`` in JSON, ``#sha256=`` in HTML) is
  checked against the bytes uv fetches, the variants file's, each
  ``.metadata`` file's and the downloaded wheel's: a mismatch fails the
  install;
* ``core-metadata`` (PEP 714) / ``data-dist-info-metadata`` (PEP 658) are
  optional: with them uv reads ``{wheel}.metadata`` to resolve; without them
  it fetches the wheel (a server without range requests sends all of it).
  Both spellings are written, for old and new clients;
* ``requires-python`` lets installers skip releases early (written from the
  wheel's ``Requires-Python``); ``size`` and ``versions`` are what PEP 700
  (api-version 1.1) adds.

Layout under ``OUT`` (which is served as ``/simple/`` or any other path)::

    OUT/index.html, OUT/index.json                    the project list
    OUT/my-pkg/index.html, OUT/my-pkg/index.json      one page per project
    OUT/my-pkg/My_Pkg-1.0-py3-none-any-v3.whl         the wheels (hard links when possible)
    OUT/my-pkg/My_Pkg-1.0-py3-none-any-v3.whl.metadata
    OUT/my-pkg/my_pkg-1.0-variants.json               built from the wheels, as `varwheel index` builds it

A static server answers every request for ``OUT/my-pkg/`` with
``index.html``: uv reads the HTML form.  To serve the JSON form the server
maps ``Accept: application/vnd.pypi.simple.v1+json`` to ``index.json`` with
that ``Content-Type``.

Writing follows the project's rules: every input is read and validated
(:func:`varwheel.pipeline.index.build_indexes`: consistent variant metadata,
no deferred labels) before anything is written; every output is staged
beside its destination (a wheel as a hard link to the folder's, a copy
where links fail), hashed in 1 MiB buffers (memory stays flat), and put in
place only once all are staged (:class:`varwheel.wheel.output.OutputBatch`):
files first, then project pages, then the project list, so a page never
names a file that is not there yet.  An interrupted or failed run removes
what it staged, puts back what it replaced, and removes the folders it
created.  The same folder gives
the same bytes: names sorted, JSON with sorted keys, no timestamps.

A published wheel keeps its bytes: a wheel or ``.metadata`` file in ``OUT``
whose bytes differ is refused unless ``force`` (installers cache wheels by
name).  A variants file follows its release's wheels (a new variant changes
it; uv caches it under its URL *and* hash, so the new bytes are fetched) and
is replaced like the pages; a page varwheel did not write (no ``generator``
mark) needs ``force``.  Files in ``OUT`` that the folder no longer has are
left in place, unlisted, with a warning.

Example::

    from varwheel.pipeline.simple import write_simple_index
    result = write_simple_index("dist", "site/simple")   # then serve site/ and use --index-url .../simple/
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Dict, List, Optional, Tuple
from urllib.parse import quote

from varwheel.errors import InvalidInput, InvalidWheel
from varwheel.model.filename import INDEX_SUFFIX, WheelFilename, version_key
from varwheel.pipeline.index import build_indexes, compare_indexes
from varwheel.wheel.archive import CHUNK, WheelArchive
from varwheel.wheel.output import OutputBatch
from varwheel.wheel.scan import wheel_paths

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass, field
else:
    from varwheel.model.values import dataclass, field

__all__ = [
    "JSON_MEDIA_TYPE",
    "API_VERSION",
    "GENERATOR",
    "SimpleFile",
    "SimpleIndex",
    "project_name",
    "write_simple_index",
]

#: The PEP 691 media type uv asks for first; a server answers it with ``index.json``.
JSON_MEDIA_TYPE = "application/vnd.pypi.simple.v1+json"
#: PEP 629 repository version; 1.1 is PEP 700 (``versions``, ``size``).
API_VERSION = "1.1"
#: Marks the pages varwheel wrote, so that a rerun may replace them and nobody else's.
GENERATOR = "varwheel"
_HTML_MARK = f'<meta name="generator" content="{GENERATOR}">'
_JSON_MARK = f'"_generator": "{GENERATOR}"'
_PAGES = ("index.html", "index.json")
_NORMALIZE = re.compile(r"[-_.]+")
#: What reading a damaged member raises (zipfile's own errors, a bad deflate stream, a short file).
_UNREADABLE = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError)


def project_name(name: str) -> str:
    """PEP 503 normalized project name, the folder name on the index (``My.Pkg`` -> ``my-pkg``)."""
    return _NORMALIZE.sub("-", name).lower()


@dataclass(frozen=True)
class SimpleFile:
    """One file a project page lists: a wheel (with its ``.metadata``) or a variants file."""

    filename: str
    version: str
    sha256: str
    size: int
    requires_python: Optional[str] = None
    #: sha256 of ``{filename}.metadata`` (PEP 658); ``None`` for a variants file.
    metadata_sha256: Optional[str] = None

    def html_link(self) -> str:
        attrs = [f'href="{html.escape(quote(self.filename))}#sha256={self.sha256}"']
        if self.requires_python:
            attrs.append(f'data-requires-python="{html.escape(self.requires_python)}"')
        if self.metadata_sha256:
            attrs.append(f'data-dist-info-metadata="sha256={self.metadata_sha256}"')
            attrs.append(f'data-core-metadata="sha256={self.metadata_sha256}"')
        return f"    <a {' '.join(attrs)}>{html.escape(self.filename)}</a><br>"

    def to_json(self) -> Dict[str, object]:
        out: Dict[str, object] = {
            "filename": self.filename,
            "url": quote(self.filename),
            "hashes": {"sha256": self.sha256},
            "size": self.size,
        }
        if self.requires_python:
            out["requires-python"] = self.requires_python
        if self.metadata_sha256:
            out["core-metadata"] = {"sha256": self.metadata_sha256}
            out["data-dist-info-metadata"] = {"sha256": self.metadata_sha256}
        return out


@dataclass
class SimpleIndex:
    """What :func:`write_simple_index` wrote: ``{project: files listed}``, paths, warnings."""

    root: Path
    projects: Dict[str, List[SimpleFile]] = field(default_factory=dict)
    #: files created or replaced, in the order they were put in place
    written: List[Path] = field(default_factory=list)
    #: files that already had the right bytes (left as they were)
    unchanged: List[Path] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)


# -- pages ------------------------------------------------------------------------------------


def _html_page(title: str, links: List[str]) -> bytes:
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">',
        f"    {_HTML_MARK}",
        f"    <title>{html.escape(title)}</title>",
        "  </head>",
        "  <body>",
        f"    <h1>{html.escape(title)}</h1>",
        *links,
        "  </body>",
        "</html>",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _json_page(data: Dict[str, object]) -> bytes:
    data = {"meta": {"_generator": GENERATOR, "api-version": API_VERSION}, **data}
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _version_order(version: str) -> Tuple[int, object]:
    key = version_key(version)
    return (1, key) if isinstance(key, str) else (0, key)


def _project_pages(name: str, files: List[SimpleFile]) -> Dict[str, bytes]:
    files = sorted(files, key=lambda f: f.filename)
    versions = sorted({f.version for f in files if f.metadata_sha256 is not None}, key=_version_order)
    return {
        "index.html": _html_page(f"Links for {name}", [f.html_link() for f in files]),
        "index.json": _json_page({"name": name, "versions": versions, "files": [f.to_json() for f in files]}),
    }


def _root_pages(names: List[str]) -> Dict[str, bytes]:
    links = [f'    <a href="{quote(n)}/">{html.escape(n)}</a><br>' for n in names]
    return {
        "index.html": _html_page("Simple index", links),
        "index.json": _json_page({"projects": [{"name": n} for n in names]}),
    }


def _hashing(src: BinaryIO) -> Tuple[str, int]:
    """``(sha256, size)`` of a file, read in 1 MiB buffers (memory stays flat for any wheel)."""
    hasher = hashlib.sha256()
    size = 0
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            return hasher.hexdigest(), size
        hasher.update(chunk)
        size += len(chunk)


def _our_page(path: Path) -> bool:
    """A page carrying varwheel's mark (read whole: the JSON mark sorts after ``files``)."""
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return False
    return _HTML_MARK in text or _JSON_MARK in text


# -- the wheels -------------------------------------------------------------------------------


#: Why a wheel or ``.metadata`` file with other bytes is not replaced without ``force``.
_PUBLISHED = "published with other bytes; installers cache files by name"
#: Why a page is not replaced without ``force`` (pages varwheel wrote are replaced: they follow the wheels).
_NOT_OURS = "a page varwheel did not write"


def _stage_metadata(batch: OutputBatch, wheel: Path, dest: Path) -> Tuple[str, Optional[str]]:
    """Stage ``{wheel}.metadata`` (the wheel's METADATA, streamed); ``(sha256, Requires-Python)``."""
    with WheelArchive(wheel) as archive:
        name = f"{archive.dist_info}/METADATA"
        if name not in archive.names:
            raise InvalidWheel(f"{wheel}: {name} is missing; installers cannot read this wheel, rebuild it")
        info = archive.getinfo(name)
        hasher = hashlib.sha256()

        def produce(fh: BinaryIO) -> None:
            chunks = archive.iter_member_chunks(info)
            while True:
                try:
                    chunk = next(chunks, b"")
                except _UNREADABLE as exc:  # reading the member, not writing the copy
                    raise InvalidWheel(f"{wheel}: member {name!r} cannot be read ({exc})") from None
                if not chunk:
                    return
                hasher.update(chunk)
                fh.write(chunk)

        tmp = batch.stage(dest, produce, note=_PUBLISHED)
    return hasher.hexdigest(), _requires_python(tmp)


def _requires_python(metadata: Path) -> Optional[str]:
    """``Requires-Python`` from the header block of a METADATA file (read line by line, up to the body)."""
    with open(metadata, "rb") as fh:
        for raw in fh:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                return None
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() == "requires-python":
                return value.strip() or None
    return None


def _plan(directory: Path) -> Tuple[Dict[str, List[Tuple[Path, WheelFilename]]], Dict[str, Dict[str, bytes]], List[str]]:
    """``({project: [(wheel, filename)]}, {project: {variants file name: bytes}}, warnings)``, all validated."""
    docs = build_indexes(directory)  # consistent metadata, no deferred labels, one spelling per version
    wheels: Dict[str, List[Tuple[Path, WheelFilename]]] = {}
    for path in wheel_paths(directory):
        fname = WheelFilename.parse(path.name)
        wheels.setdefault(project_name(fname.name), []).append((path, fname))
    variants: Dict[str, Dict[str, bytes]] = {}
    for name, doc in docs.items():
        variants.setdefault(project_name(name.split("-", 1)[0]), {})[name] = doc.dumps()
    # A variants file in the folder that disagrees with its wheels: the index carries the right one.
    stale = [
        f"{line}; the simple index lists the file built from the wheels (run `varwheel index {directory}` "
        "to update the folder's copy)"
        for line in compare_indexes(docs, directory)
        if not line.startswith("missing:")
    ]
    return wheels, variants, stale


def write_simple_index(
    directory: "str | os.PathLike[str]",
    out: "str | os.PathLike[str]",
    *,
    force: bool = False,
) -> SimpleIndex:
    """Write the simple repository of the wheels in ``directory`` into ``out`` (see the module docstring).

    Raises :class:`InvalidInput` subclasses naming the wheel or file: what
    ``varwheel index`` refuses, a wheel without METADATA, a folder without
    wheels, an output that exists with other bytes (unless ``force``).
    Nothing is left behind on failure.
    """
    src, root = Path(directory), Path(out)
    wheels, variants, stale = _plan(src)
    if not wheels:
        raise InvalidInput(f"{src}: holds no wheels; an empty index would list nothing (give the folder of wheels)")
    result = SimpleIndex(root, warnings=stale)
    with OutputBatch(force=force, task=f"write the simple index into {root}") as batch:
        batch.folder(root)
        for project in sorted(wheels):
            folder = root / project
            files: List[SimpleFile] = []
            for path, fname in sorted(wheels[project], key=lambda item: item[0].name):
                with open(batch.stage_link(path, folder / path.name, note=_PUBLISHED), "rb") as fh:
                    digest, size = _hashing(fh)
                meta_digest, requires = _stage_metadata(batch, path, folder / f"{path.name}.metadata")
                files.append(SimpleFile(path.name, fname.version, digest, size, requires, meta_digest))
            for name, data in sorted(variants.get(project, {}).items()):
                batch.stage_bytes(folder / name, data, replace=True)  # follows the release's wheels
                version = name[: -len(INDEX_SUFFIX)].split("-", 1)[1]
                files.append(SimpleFile(name, version, hashlib.sha256(data).hexdigest(), len(data)))
            result.projects[project] = sorted(files, key=lambda f: f.filename)
        # Pages last, the project list after the project pages: a page never names a file not there yet.
        for project, files in sorted(result.projects.items()):
            for page, data in _project_pages(project, files).items():
                batch.stage_bytes(root / project / page, data, replace=_our_page, note=_NOT_OURS)
        for page, data in _root_pages(sorted(result.projects)).items():
            batch.stage_bytes(root / page, data, replace=_our_page, note=_NOT_OURS)
    result.written.extend(batch.placed)
    result.unchanged.extend(batch.unchanged)
    result.warnings.extend(_unlisted(root, result))
    return result


def _unlisted(root: Path, result: SimpleIndex) -> List[str]:
    """Files and project folders in ``root`` that this run does not list (left in place)."""
    out: List[str] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name in _PAGES:
            continue
        if entry.is_dir() and entry.name in result.projects:
            listed = {f.filename for f in result.projects[entry.name]}
            listed |= {f"{f.filename}.metadata" for f in result.projects[entry.name] if f.metadata_sha256}
            for item in sorted(entry.iterdir()):
                if not item.name.startswith(".") and item.name not in listed and item.name not in _PAGES:
                    out.append(f"{item}: not in {root.name}'s pages any more (the folder no longer has it); "
                               "left in place, delete it if it should go")
        else:
            out.append(f"{entry}: not a project of this index any more; left in place, delete it if it should go")
    return out
