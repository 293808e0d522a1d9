"""``pylock.toml`` with variant wheels: PEP 751 lock files, PEP 825 "Integration with pylock.toml".

Writing (:func:`lock`): for each requirement, the newest admitted version of
the ``--find-links`` folders that has wheels ``select`` would consider, with
*every* one of its wheels (all tags, every variant, null and plain) and its
sha256 and size, so that one lock serves machines other than the one that
wrote it; plus the release's variant metadata inlined as the package's
``[packages.variants-json]`` table (the index file's content, ``$schema``
kept, labels of wheels left out removed, as PEP 825 allows).  Wheels that
``select`` ignores (a label the index does not list, a missing or disagreeing
own ``variant.json``) are left out with a warning: a lock promises files an
installer can use.

Reading (:func:`read_lock`): the PEP 751 rules an installer needs, one clear
error per violation; ``variants-json`` is validated as an index file is
(PEP 825: "MUST validate").  :mod:`varwheel.machine.install` then ranks each
package's wheels with :func:`varwheel.machine.select.select_locked`.

Facts that shaped it (see docs/machine-side.md):

* PEP 825's prose names the table ``[packages.variants-json]``; its proposed
  specification text and example spell it ``[packages.variant_json]``.
  varwheel writes the prose's name and reads both.
* ``packaging`` 26.4's ``packaging.pylock`` rejects every lock that lists a
  variant wheel (``parse_wheel_filename`` refuses the label) and drops
  unknown keys.  uv 0.13.9, reading a lock (``uv pip install -r
  pylock.toml``, with or without its wheel-variants preview), takes no variant wheel, ``null`` included, as fitting the
  platform: it installs the plain wheel, and without one it fails.  The
  wheels of a package are listed plain first, then ``null``, then the
  variants by label, so a reader sees the fallback first.
* Dependencies: a lock holds exactly what was asked (no resolver runs, at
  lock or install time); each locked wheel's ``Requires-Dist`` that names a
  package not in the lock is a warning, so the user can add it.

Example::

    result = lock(["mypkg", "dep==2.0"], ["dist/"], "pylock.toml")
    for pkg in result.packages:
        print(pkg.name, pkg.version, len(pkg.wheels))
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple

from varwheel.errors import InvalidInput
from varwheel.model.document import VariantDocument
from varwheel.model.filename import WheelFilename
from varwheel.model.properties import NULL_LABEL

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass, field
else:
    from varwheel.model.values import dataclass, field

__all__ = [
    "InvalidLock",
    "LockedWheel",
    "LockedPackage",
    "LockFile",
    "LockResult",
    "VARIANTS_KEY",
    "lock",
    "read_lock",
    "dumps_lock",
    "file_digest",
]

#: The key varwheel writes (PEP 825's prose); the spelling of its proposed spec text is read too.
VARIANTS_KEY = "variants-json"
_VARIANTS_KEYS = (VARIANTS_KEY, "variant_json")
LOCK_VERSION = "1.0"
_CHUNK = 1 << 20


class InvalidLock(InvalidInput):
    """A ``pylock.toml`` breaks a PEP 751 / PEP 825 rule varwheel relies on, or asks for what it cannot do."""


@dataclass
class LockedWheel:
    """One ``[[packages.wheels]]`` entry."""

    name: str
    filename: WheelFilename
    path: Optional[str] = None  # as written: relative to the lock file's folder, or absolute
    url: Optional[str] = None
    size: Optional[int] = None
    hashes: Dict[str, str] = field(default_factory=dict)

    def to_toml(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"name": self.name}
        if self.url is not None:
            out["url"] = self.url
        if self.path is not None:
            out["path"] = self.path
        if self.size is not None:
            out["size"] = self.size
        out["hashes"] = dict(sorted(self.hashes.items()))
        return out


@dataclass
class LockedPackage:
    """One ``[[packages]]`` entry with wheels."""

    name: str
    version: str
    wheels: List[LockedWheel] = field(default_factory=list)
    variants: Optional[VariantDocument] = None
    variants_raw: Optional[Dict[str, Any]] = None
    marker: Optional[str] = None
    requires_python: Optional[str] = None
    index: Optional[str] = None
    where: str = "packages[0]"

    @property
    def labels(self) -> List[str]:
        return [w.filename.label or "" for w in self.wheels]


@dataclass
class LockFile:
    path: Path
    packages: List[LockedPackage]
    environments: List[str] = field(default_factory=list)
    requires_python: Optional[str] = None
    warnings: List[str] = field(default_factory=list)
    default_groups: List[str] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return self.path.parent


@dataclass
class LockResult:
    path: Path
    packages: List[LockedPackage]
    warnings: List[str] = field(default_factory=list)
    unchanged: bool = False


# -- hashing ------------------------------------------------------------------------------------
def file_digest(path: "str | os.PathLike[str]", algorithm: str = "sha256") -> Tuple[str, int]:
    """``(hex digest, size)`` of a file, read in 1 MiB pieces (wheels can be gigabytes)."""
    hasher = hashlib.new(algorithm)
    size = 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


# -- writing --------------------------------------------------------------------------------------
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + "}" if value else "{}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")  # pragma: no cover - our own data only


def _table(lines: List[str], path: str, data: Mapping[str, Any], inline_children: bool) -> None:
    """``[path]`` with its scalar keys, then sub-tables; under ``variants`` each label is one inline table."""
    own, subtables = [], []
    for key, value in data.items():
        if isinstance(value, dict) and value and not inline_children:
            subtables.append((key, value))
        else:
            own.append(f"{_key(key)} = {_inline(value)}")
    if own or not subtables:  # a table holding only tables needs no header of its own
        lines += ["", f"[{path}]", *own]
    for key, value in subtables:
        _table(lines, f"{path}.{_key(key)}", value, inline_children=key == "variants")


def dumps_lock(packages: Sequence[LockedPackage]) -> bytes:
    """The lock file's bytes: keys in the specification's order, arrays sorted, no timestamps (reproducible)."""
    lines = [f"lock-version = {_string(LOCK_VERSION)}", f"created-by = {_string('varwheel')}"]
    for pkg in sorted(packages, key=lambda p: p.name):
        lines += ["", "[[packages]]", f"name = {_string(pkg.name)}", f"version = {_string(pkg.version)}"]
        if pkg.requires_python:
            lines.append(f"requires-python = {_string(pkg.requires_python)}")
        if pkg.index:
            lines.append(f"index = {_string(pkg.index)}")
        lines.append("wheels = [")
        lines += [f"    {_inline(w.to_toml())}," for w in pkg.wheels]
        lines.append("]")
        if pkg.variants_raw is not None:
            _table(lines, f"packages.{VARIANTS_KEY}", pkg.variants_raw, inline_children=False)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _wheel_order(fname: WheelFilename) -> Tuple[int, str, str]:
    """Plain wheels, then null, then variants by label: readers that pick by tags alone take the first."""
    kind = 0 if fname.label is None else (1 if fname.label == NULL_LABEL else 2)
    return kind, fname.label or "", str(fname)


def _relative(path: Path, folder: Path) -> str:
    """``path`` relative to the lock file's folder, with ``/`` (PEP 751 allows POSIX separators)."""
    try:
        return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return path.resolve().as_posix()


def _requires(path: Path) -> Tuple[Optional[str], List[str]]:
    """``(Requires-Python, [Requires-Dist])`` from a wheel's METADATA (the same in every wheel of a release)."""
    from email.parser import BytesHeaderParser

    from varwheel.wheel.archive import WheelArchive

    with WheelArchive(path) as archive:
        raw = archive.read(f"{archive.dist_info}/METADATA")
    msg = BytesHeaderParser().parsebytes(raw)
    return msg.get("Requires-Python"), [str(v) for v in msg.get_all("Requires-Dist") or []]


def _unlocked_dependencies(requires: Sequence[str], extras: Sequence[str], locked: Sequence[str]) -> List[str]:
    """The ``Requires-Dist`` entries that apply here (markers evaluated, requested extras) and are not locked."""
    from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    missing = []
    for text in requires:
        try:
            req = Requirement(text)
        except InvalidRequirement:  # e.g. PEP 825 variant markers packaging cannot read yet
            name = re.split(r"[\s\[;(<>=!~@]", text.strip(), maxsplit=1)[0]
            if canonicalize_name(name) not in locked:
                missing.append(text)
            continue
        if canonicalize_name(req.name) in locked:
            continue
        if req.marker is not None:
            try:
                if not any(req.marker.evaluate({"extra": e}) for e in list(extras) + [""]):
                    continue
            except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
                pass
        missing.append(text)
    return missing


def lock(
    requirements: Sequence[str],
    find_links: Sequence["str | os.PathLike[str]"],
    output: "str | os.PathLike[str]",
    *,
    force: bool = False,
    require_index: bool = False,
    index_url: Optional[str] = None,
) -> LockResult:
    """Write ``output`` (a ``pylock.toml``) for ``requirements`` from ``find_links`` or a simple index.

    ``index_url``: a PEP 503 / PEP 691 simple repository (``find_links`` is
    then empty); the lock records each wheel's URL and the hashes the index
    gives (a wheel without a sha256 there is downloaded and hashed), and
    ``packages.index``.

    Raises :class:`InvalidLock` / :class:`InvalidInput` for bad requirements,
    a requirement nothing in the folders matches, an output name PEP 751 does
    not allow, or an existing different file without ``force``.
    """
    from packaging.utils import canonicalize_name

    from varwheel.machine.select import IGNORED, parse_requirement, select
    from varwheel.wheel.output import atomic_output

    out = Path(output)
    if not re.fullmatch(r"pylock\.([^.]+\.)?toml", out.name):
        raise InvalidLock(f"-o {out}: PEP 751 names a lock file pylock.toml or pylock.NAME.toml")
    if not requirements:
        raise InvalidLock("give at least one requirement to lock (PKG or PKG==VERSION)")
    if bool(find_links) == bool(index_url):
        raise InvalidLock("give --find-links DIR or --index-url URL (one of them)")
    parsed = []
    for text in requirements:
        req, label = parse_requirement(text)
        if label is not None:
            raise InvalidLock(f"requirement {text!r}: a lock holds every variant; choose one when installing "
                              f"(`varwheel install --lock {out.name} {req.name}#{label}`)")
        parsed.append((text, req))
    names = [canonicalize_name(req.name) for _, req in parsed]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise InvalidLock(f"requirements name {', '.join(twice)} more than once: give each package once")
    warnings: List[str] = []
    packages: List[LockedPackage] = []
    deps: List[Tuple[str, str, List[str], List[str]]] = []
    for text, req in parsed:
        if index_url:
            pkg, requires = _lock_from_index(text, req, index_url, warnings)
            packages.append(pkg)
            deps.append((pkg.name, pkg.version, requires, sorted(req.extras)))
            continue
        sel = select(str(req), find_links, tags=[], detect=False, all_releases=True, require_index=require_index)
        warnings.extend(w for w in sel.warnings if "skipped" in w and w not in warnings)
        chosen = None
        for release in sel.releases:
            if release.unusable:
                warnings.append(f"{sel.project} {release.version} not locked: {release.unusable}")
                continue
            keep, dropped = [], []
            for cand in release.candidates:
                if cand.state == IGNORED or cand.own_problem is not None or cand.own_description is not None:
                    dropped.append(cand)
                else:
                    keep.append(cand)
            if keep:
                chosen = (release, keep, dropped)
                break
        if chosen is None:
            raise InvalidLock(f"requirement {text!r}: no wheel of it in the --find-links folders "
                              f"({', '.join(str(f) for f in find_links)}) can be locked")
        release, keep, dropped = chosen
        warnings.extend(w for w in release.warnings if w not in warnings)
        for cand in dropped:
            why = "; ".join(cand.reasons) or cand.own_problem or "its own variant.json differs from the index"
            warnings.append(f"{cand.path}: not locked: {why}")
        folder = out.parent
        wheels = []
        for cand in sorted(keep, key=lambda c: _wheel_order(c.filename)):
            digest, size = file_digest(cand.path)
            wheels.append(LockedWheel(cand.path.name, cand.filename, path=_relative(cand.path, folder), size=size,
                                      hashes={"sha256": digest}))
        variants_raw = None
        labels = {w.filename.label for w in wheels if w.filename.label is not None}
        if labels and release.document is not None:
            variants_raw = release.document.to_json()
            variants_raw["variants"] = {k: v for k, v in variants_raw["variants"].items() if k in labels}
        requires_python, requires = _requires(keep[0].path)
        packages.append(LockedPackage(sel.project, release.version, wheels, release.document, variants_raw,
                                      requires_python=requires_python))
        deps.append((sel.project, release.version, requires, sorted(req.extras)))
    locked = [p.name for p in packages]
    for name, version, requires, extras in deps:
        for dep in _unlocked_dependencies(requires, extras, locked):
            warnings.append(f"{name} {version} requires {dep!r}, which is not in the lock: add it to the "
                            "requirements (varwheel locks exactly what it is given and resolves nothing)")
    data = dumps_lock(packages)
    writer = atomic_output(out, force=force)
    with writer as fh:
        fh.write(data)
    return LockResult(out, packages, warnings, writer.unchanged)


# -- a simple index -------------------------------------------------------------------------------
_JSON_PAGE = "application/vnd.pypi.simple.v1+json"
_PAGE_LIMIT = 64 << 20


@dataclass
class _IndexFile:
    filename: str
    url: str
    hashes: Dict[str, str]
    size: Optional[int] = None
    requires_python: Optional[str] = None


def _get_url(url: str, what: str, accept: Optional[str] = None) -> Tuple[bytes, str, str]:
    """``(body, content type, final URL)``; errors are :class:`InvalidLock` naming ``what``."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=120) as resp:  # noqa: S310 - the user's index
            body = resp.read(_PAGE_LIMIT + 1)
            ctype, final = resp.headers.get_content_type(), resp.geturl()
    except urllib.error.HTTPError as exc:
        raise InvalidLock(f"{what} {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise InvalidLock(f"{what} {url}: cannot fetch it ({getattr(exc, 'reason', exc)})") from None
    if len(body) > _PAGE_LIMIT:
        raise InvalidLock(f"{what} {url}: larger than {_PAGE_LIMIT >> 20} MiB; not a simple index page")
    return body, ctype, final


def _project_files(index_url: str, project: str) -> List[_IndexFile]:
    """The files of ``project``'s page: PEP 691 JSON when the server offers it, else PEP 503 HTML."""
    import urllib.parse
    from html.parser import HTMLParser

    page = index_url.rstrip("/") + f"/{project}/"
    body, ctype, base = _get_url(page, "--index-url", f"{_JSON_PAGE}, text/html;q=0.1")
    files: List[_IndexFile] = []
    if ctype == _JSON_PAGE:
        try:
            data = json.loads(body)
            for entry in data["files"]:
                files.append(_IndexFile(entry["filename"], urllib.parse.urljoin(base, entry["url"]),
                                        {k.lower(): v for k, v in (entry.get("hashes") or {}).items()},
                                        entry.get("size"), entry.get("requires-python")))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidLock(f"--index-url {page}: not a PEP 691 project page ({exc!r})") from None
        return files

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
            found = dict(attrs)
            href = found.get("href")
            if tag != "a" or not href:
                return
            url, _, fragment = urllib.parse.urljoin(base, href).partition("#")
            algo, _, digest = fragment.partition("=")
            name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
            files.append(_IndexFile(name, url, {algo.lower(): digest} if digest else {},
                                    requires_python=found.get("data-requires-python")))

    try:
        Links().feed(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidLock(f"--index-url {page}: not a UTF-8 page ({exc})") from None
    return files


def _fetch_hashing(url: str, what: str) -> Tuple[bytes, str, int]:
    """A small file's ``(bytes, sha256, size)`` (the variants file)."""
    body, _, _ = _get_url(url, what)
    return body, hashlib.sha256(body).hexdigest(), len(body)


def _download_digest(url: str, what: str) -> Tuple[str, int]:
    """A wheel's sha256 and size, streamed (the index gave no sha256)."""
    import urllib.request

    hasher, size = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(url, timeout=120) as resp:  # noqa: S310 - the user's index
            while True:
                chunk = resp.read(_CHUNK)
                if not chunk:
                    break
                hasher.update(chunk)
                size += len(chunk)
    except (OSError, ValueError) as exc:
        raise InvalidLock(f"{what} {url}: cannot download it ({exc})") from None
    return hasher.hexdigest(), size


def _lock_from_index(text: str, req: Any, index_url: str, warnings: List[str]) -> Tuple[LockedPackage, List[str]]:
    """One requirement from a simple index: the newest admitted version with wheels select would consider.

    The wheels are judged by the index's variants file alone, as uv judges an
    index (their own ``variant.json`` is read by ``install --lock`` once a
    wheel is chosen and fetched).
    """
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    from varwheel.machine.select import IGNORED, select_locked
    from varwheel.model.filename import INDEX_SUFFIX

    project = canonicalize_name(req.name)
    wheels: Dict[Version, List[Tuple[_IndexFile, WheelFilename]]] = {}
    indexes: Dict[Version, _IndexFile] = {}
    for entry in _project_files(index_url, project):
        try:
            if entry.filename.endswith(".whl"):
                fname = WheelFilename.parse(entry.filename)
                if canonicalize_name(fname.name) == project:
                    wheels.setdefault(Version(fname.version.replace("_", "-")), []).append((entry, fname))
            elif entry.filename.endswith(INDEX_SUFFIX):
                dist, _, version = entry.filename[: -len(INDEX_SUFFIX)].rpartition("-")
                if canonicalize_name(dist) == project:
                    indexes[Version(version)] = entry
        except (InvalidInput, InvalidVersion):
            continue  # not a file of this project's grammar: installers skip it too
    for version in sorted(req.specifier.filter(wheels), reverse=True):
        document = None
        variants_file = indexes.get(version)
        if variants_file is not None:
            body, digest, _ = _fetch_hashing(variants_file.url, "variants file")
            expected = variants_file.hashes.get("sha256")
            if expected is not None and expected.lower() != digest:
                raise InvalidLock(f"{variants_file.url}: its sha256 is {digest}, the index says {expected}")
            document = VariantDocument.loads(body, source=variants_file.url)
        found = wheels[version]
        version_text = found[0][1].version
        sel = select_locked(project, version_text, [(Path(e.filename), f) for e, f in found], document,
                            source=variants_file.url if variants_file else f"{index_url} ({project} {version})",
                            tags=[], detect=False)
        release = sel.releases[0]
        by_name = {e.filename: e for e, _ in found}
        keep = [c for c in release.candidates if c.state != IGNORED]
        for cand in release.candidates:
            if cand.state == IGNORED:
                warnings.append(f"{by_name[cand.name].url}: not locked: {'; '.join(cand.reasons)}")
        if not keep:
            continue
        locked: List[LockedWheel] = []
        for cand in sorted(keep, key=lambda c: _wheel_order(c.filename)):
            entry = by_name[cand.name]
            hashes = {k: v for k, v in entry.hashes.items() if k in hashlib.algorithms_available}
            size = entry.size if isinstance(entry.size, int) else None
            if "sha256" not in hashes:
                hashes["sha256"], size = _download_digest(entry.url, "wheel")
            locked.append(LockedWheel(entry.filename, cand.filename, url=entry.url, size=size, hashes=hashes))
        variants_raw = None
        labels = {w.filename.label for w in locked if w.filename.label is not None}
        if labels and document is not None:
            variants_raw = document.to_json()
            variants_raw["variants"] = {k: v for k, v in variants_raw["variants"].items() if k in labels}
        pythons = {by_name[c.name].requires_python for c in keep}
        requires_python = pythons.pop() if len(pythons) == 1 else None
        pkg = LockedPackage(project, version_text, locked, document, variants_raw, requires_python=requires_python,
                            index=index_url)
        return pkg, []  # dependencies: not read from an index (it would mean fetching a wheel or .metadata)
    raise InvalidLock(f"requirement {text!r}: no wheel of it on {index_url} can be locked")


# -- reading --------------------------------------------------------------------------------------
def _get(table: Mapping[str, Any], key: str, kind: type, where: str, *, required: bool = False) -> Any:
    if key not in table:
        if required:
            raise InvalidLock(f"{where}: the required key {key!r} is missing")
        return None
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = {str: "a string", int: "an integer", list: "an array", dict: "a table"}
        raise InvalidLock(f"{where}.{key}: must be {names.get(kind, kind.__name__)}, not {type(value).__name__}")
    return value


def read_lock(path: "str | os.PathLike[str]") -> LockFile:
    """Read and check ``path``; every problem is :class:`InvalidLock` naming the key path."""
    import sys

    from packaging.markers import InvalidMarker, Marker
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - old Pythons only
        import tomli as tomllib

    lock_path = Path(path)
    if lock_path.is_dir():
        raise InvalidLock(f"--lock {lock_path}: is a directory, expected a pylock.toml file")
    try:
        with lock_path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise InvalidLock(f"--lock {lock_path}: no such file") from None
    except OSError as exc:
        raise InvalidLock(f"--lock {lock_path}: cannot read it ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidLock(f"{lock_path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise InvalidLock(f"{lock_path}: TOML nested too deeply to read") from None
    src = str(lock_path)
    warnings: List[str] = []
    version_text = _get(data, "lock-version", str, src, required=True)
    try:
        lock_version = Version(version_text)
    except InvalidVersion:
        raise InvalidLock(f"{src}: lock-version {version_text!r} is not a version (expected '1.0')") from None
    if lock_version.major != 1:
        raise InvalidLock(f"{src}: lock-version {version_text!r} is not supported (only major version 1 is)")
    if lock_version > Version(LOCK_VERSION):
        warnings.append(f"{src}: lock-version {version_text} is newer than {LOCK_VERSION}; keys it adds are ignored")
    _get(data, "created-by", str, src, required=True)
    environments = _get(data, "environments", list, src) or []
    for i, text in enumerate(environments):
        try:
            Marker(text)
        except (InvalidMarker, TypeError):
            raise InvalidLock(f"{src}: environments[{i}] {text!r} is not an environment marker") from None
    requires_python = _get(data, "requires-python", str, src)
    packages_raw = _get(data, "packages", list, src, required=True)
    packages: List[LockedPackage] = []
    for i, raw in enumerate(packages_raw):
        where = f"{src}: packages[{i}]"
        if not isinstance(raw, dict):
            raise InvalidLock(f"{where}: must be a table")
        name = _get(raw, "name", str, where, required=True)
        if canonicalize_name(name) != name:
            raise InvalidLock(f"{where}.name: {name!r} is not normalized (PEP 751 wants {canonicalize_name(name)!r})")
        version = _get(raw, "version", str, where)
        marker = _get(raw, "marker", str, where)
        pkg_python = _get(raw, "requires-python", str, where)
        try:
            if marker is not None:
                Marker(marker)
            if pkg_python is not None:
                SpecifierSet(pkg_python)
            if version is not None:
                Version(version)
        except (InvalidMarker, InvalidSpecifier, InvalidVersion) as exc:
            raise InvalidLock(f"{where}: {exc}") from None
        wheels_raw = _get(raw, "wheels", list, where)
        direct = [k for k in ("vcs", "directory", "archive") if k in raw]
        if direct and (wheels_raw or "sdist" in raw):
            raise InvalidLock(f"{where}: {direct[0]} cannot be combined with sdist or wheels (PEP 751)")
        if len(direct) > 1:
            raise InvalidLock(f"{where}: give one of vcs, directory, archive, not {' and '.join(direct)}")
        if not wheels_raw:
            what = direct[0] if direct else ("sdist" if "sdist" in raw else None)
            if what is None:
                raise InvalidLock(f"{where}: has no source (PEP 751 needs wheels, sdist, vcs, directory or archive)")
            raise InvalidLock(f"{where} ({name}): varwheel installs wheels only, this package has only {what}")
        if version is None:
            raise InvalidLock(f"{where} ({name}): give its version (wheels are listed, so it is known)")
        pkg = LockedPackage(name, version, marker=marker, requires_python=pkg_python,
                            index=_get(raw, "index", str, where), where=where)
        for j, wraw in enumerate(wheels_raw):
            pkg.wheels.append(_read_wheel(wraw, f"{where}.wheels[{j}]", name, version))
        keys = [k for k in _VARIANTS_KEYS if k in raw]
        if len(keys) > 1:
            raise InvalidLock(f"{where}: has both {keys[0]} and {keys[1]}: keep one ({VARIANTS_KEY})")
        if keys:
            table = _get(raw, keys[0], dict, where)
            try:
                pkg.variants = VariantDocument.from_json(table, source=f"{where}.{keys[0]}")
            except RecursionError:
                raise InvalidLock(f"{where}.{keys[0]}: nested too deeply to read") from None
            pkg.variants_raw = table
        packages.append(pkg)
    groups = _get(data, "default-groups", list, src) or []
    return LockFile(lock_path, packages, list(environments), requires_python, warnings, [str(g) for g in groups])


def _read_wheel(raw: Any, where: str, name: str, version: str) -> LockedWheel:
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    if not isinstance(raw, dict):
        raise InvalidLock(f"{where}: must be a table")
    path = _get(raw, "path", str, where)
    url = _get(raw, "url", str, where)
    if path is None and url is None:
        raise InvalidLock(f"{where}: give path or url (PEP 751)")
    filename = _get(raw, "name", str, where)
    if filename is None:
        filename = (path if path is not None else url.split("?", 1)[0].split("#", 1)[0]).rstrip("/").rsplit("/", 1)[-1]
    try:
        fname = WheelFilename.parse(filename)
    except InvalidInput as exc:
        raise InvalidLock(f"{where}: {exc}") from None
    if canonicalize_name(fname.name) != name or Version(fname.version.replace("_", "-")) != Version(version):
        raise InvalidLock(f"{where}: {filename} is not a wheel of {name} {version}")
    hashes = _get(raw, "hashes", dict, where, required=True)
    if not hashes or not all(isinstance(v, str) for v in hashes.values()):
        raise InvalidLock(f"{where}.hashes: must hold at least one algorithm = \"hex digest\" entry")
    size = _get(raw, "size", int, where)
    return LockedWheel(filename, fname, path=path, url=url, size=size, hashes={k.lower(): v for k, v in hashes.items()})
