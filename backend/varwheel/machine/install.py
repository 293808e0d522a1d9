"""Install the selected wheel with the target environment's own, variant-unaware pip.

pip refuses labelled file names (``pkg-1.0-py3-none-any-cu128.whl`` has one
component too many for it), so the chosen wheel is copied under its plain name
into a temporary folder and pip installs that copy.  The bytes are unchanged:
``variant.json`` stays in the ``.dist-info`` folder and in RECORD, so the
installed distribution still says which variant it is.  The copy is deleted
afterwards.  When no variant fits, :func:`varwheel.machine.select.select` has already
fallen back to the null variant or the plain wheel; when nothing fits,
:class:`NothingFits` says why, wheel by wheel.

pip also gets each ``--find-links`` folder, so that dependencies published
beside the package resolve too (pip skips the labelled files there, whose
names it cannot parse).

``PKG#LABEL`` and ``no_variant`` choose by hand (see
:class:`varwheel.machine.select.Choice`).

Variant-specific dependencies (PEP 825 markers in ``Requires-Dist``, which
pip cannot parse: it stops with a traceback) are evaluated here for the
chosen wheel (:func:`variant_environment`): ``variant_label`` is its label
(``""`` for a plain wheel), ``variant_properties`` the label's properties this
machine supports (all of them for a variant chosen by hand with
``PKG#LABEL``: the image is for another machine), the feature and namespace
sets follow from it.  The copy pip gets has those lines rewritten into plain
requirements (standard markers kept) or removed, its RECORD row updated
(:func:`~varwheel.wheel.rewrite.rewrite_wheel` ``replace``), so pip resolves
them with everything else in one run and the installed METADATA stays
readable by pip (``pip show``, ``pip check``).  Why not ``--no-deps`` plus the
evaluated requirements: pip would install the published METADATA, and every
later pip command warns about it or fails (measured: docs/machine-side.md).

:func:`install_locked` installs from a ``pylock.toml``
(:mod:`varwheel.machine.lock`): per package it ranks the locked wheels for
this machine by the inlined ``variants-json``, then checks the chosen file
(size, every hash it can compute, its own ``variant.json`` against the
lock's) before pip sees it.  A lock is the whole set: pip runs with
``--no-deps --no-index``, no resolver.

Example::

    result = install_selected("mypkg", ["dist/"], python=".venv/bin/python")
    print(result.selection.chosen.name, result.returncode)
    result = install_locked("pylock.toml", choices=["torch#cu128"])
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Tuple

from varwheel.errors import InvalidInput
from varwheel.machine.lock import InvalidLock, LockedPackage, LockedWheel, read_lock
from varwheel.machine.select import (
    FORCED,
    Candidate,
    Release,
    Selection,
    parse_requirement,
    select,
    select_locked,
    target_tags,
)

__all__ = ["NothingFits", "InstallResult", "LockInstallResult", "default_python", "pip_command",
           "install_selected", "install_locked", "target_environment", "variant_environment",
           "evaluated_dependencies"]

if TYPE_CHECKING:
    from varwheel.machine.detect_cache import DetectCache
    # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass, field
else:
    from varwheel.model.values import dataclass, field


class NothingFits(Exception):
    """No wheel of the requirement fits the target (not bad input: exit status 1)."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        super().__init__(f"no wheel of {selection.requirement} fits this machine:\n{selection.why_nothing()}")


#: One variant-marker ``Requires-Dist`` of the chosen wheel and what pip got instead (``None``: left out).
DependencyChange = Tuple[str, Optional[str]]


@dataclass
class InstallResult:
    selection: Selection
    command: List[str]
    returncode: int = 0
    plain_name: str = ""
    warnings: List[str] = field(default_factory=list)
    #: The chosen wheel's variant-marker dependencies, evaluated (empty when it has none).
    dependencies: List[DependencyChange] = field(default_factory=list)


def default_python() -> str:
    """The active virtual environment's interpreter (``$VIRTUAL_ENV``), else the running one."""
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        for candidate in (Path(venv) / "bin" / "python", Path(venv) / "Scripts" / "python.exe"):
            if candidate.exists():
                return str(candidate)
    return sys.executable


def _check_pip(python: str) -> None:
    try:
        proc = subprocess.run(
            [python, "-c", "import pip; print('pip-ok')"], capture_output=True, text=True, timeout=120
        )
    except OSError as exc:
        raise InvalidInput(f"--python {python}: cannot run it ({exc.strerror or exc})") from None
    if proc.returncode == 0 and proc.stdout.strip() != "pip-ok":
        raise InvalidInput(f"--python {python}: is not a Python interpreter")
    if proc.returncode != 0:
        raise InvalidInput(
            f"--python {python}: this environment has no pip; create it with `python -m venv` "
            "(which installs pip) or point --python at one that has it"
        )


def pip_command(python: str, wheel: "str | os.PathLike[str]", find_links: Sequence["str | os.PathLike[str]"],
                pip_args: Sequence[str], extras: Sequence[str] = ()) -> List[str]:
    """``python -m pip install WHEEL[extras] --find-links DIR ... PIP_ARGS``."""
    target = str(wheel) + (f"[{','.join(extras)}]" if extras else "")
    cmd = [python, "-m", "pip", "install", target]
    for folder in find_links:
        cmd += ["--find-links", str(folder)]
    return cmd + list(pip_args)


# -- variant-specific dependencies ----------------------------------------------------------------
def _supported(release: Optional[Release], prop) -> bool:
    support = release.support.get(prop.namespace) if release is not None else None
    for feature in support.features if support is not None else ():
        if feature.name == prop.feature:
            return prop.value in feature.values
    return False


def variant_environment(chosen: Candidate, release: Optional[Release], wheel: "Optional[Path]" = None):
    """PEP 825's marker values for the chosen wheel (:class:`~varwheel.model.variant_markers.VariantEnvironment`).

    The properties are the wheel's own (its ``variant.json``, read from
    ``wheel``, by default the candidate's file), kept where this machine
    supports them (``release.support``, ``--assume`` included); a variant
    chosen by hand keeps them all, since it is installed for the machine it
    was chosen for, not this one.  A plain wheel is ``""`` and empty sets; the
    null variant ``"null"`` and empty sets.
    """
    from varwheel.model.variant_markers import VariantEnvironment
    from varwheel.wheel.archive import WheelArchive

    if chosen.kind == "plain":
        return VariantEnvironment.of(None)
    with WheelArchive(wheel or chosen.path) as archive:
        found = archive.variant()
    if found is None:  # pragma: no cover - WheelArchive.variant raises for a labelled name without one
        return VariantEnvironment.of(chosen.label)
    label, doc = found
    own = doc.variants[label]
    kept = list(own) if chosen.state == FORCED else [p for p in own if _supported(release, p)]
    return VariantEnvironment.of(label, kept)


def evaluated_dependencies(wheel: Path, variant) -> Tuple[Optional[Tuple[str, bytes]], List[DependencyChange]]:
    """``((METADATA member, rewritten bytes) or None, changes)`` for installing ``wheel`` as ``variant``.

    Each ``Requires-Dist`` that uses a variant marker becomes its plain
    requirement (:meth:`~varwheel.model.variant_markers.VariantRequirement.substitute`)
    or is removed; every other line stays byte for byte.  ``None``: nothing to change.
    """
    from varwheel.model.variant_markers import parse_variant_requirement, rewrite_requires_dist, uses_variant_markers
    from varwheel.wheel.archive import WheelArchive

    with WheelArchive(wheel) as archive:
        name = archive.record_name.rsplit("/", 1)[0] + "/METADATA"
        if name not in archive.names:
            return None, []
        raw = archive.read(name)
    changes: List[DependencyChange] = []

    def replace(value: str) -> Optional[str]:
        if not uses_variant_markers(value):
            return value
        req = parse_variant_requirement(value, where=f"{wheel.name}: {name}: Requires-Dist")
        new = req.substitute(variant)
        changes.append((value, new))
        return new

    rewritten = rewrite_requires_dist(raw, replace)
    return ((name, rewritten) if changes else None), changes


def _install_copy(src: Path, dest: Path, replacement: Optional[Tuple[str, bytes]]) -> None:
    """The file pip installs: ``src``'s bytes under ``dest``'s (plain) name, METADATA replaced when asked."""
    if replacement is None:
        shutil.copyfile(src, dest)
        return
    from varwheel.wheel.archive import WheelArchive
    from varwheel.wheel.rewrite import rewrite_wheel

    with WheelArchive(src, check_name=False) as archive:
        own = archive.read(archive.variant_json_name) if archive.has_variant_json() else None
        rewrite_wheel(src, dest, variant_json=own, replace=dict([replacement]), archive=archive)


def install_selected(
    requirement: str,
    find_links: Sequence["str | os.PathLike[str]"],
    *,
    python: Optional[str] = None,
    pip_args: Sequence[str] = (),
    dry_run: bool = False,
    assume: Sequence[str] = (),
    detect: "bool | DetectCache" = True,
    require_index: bool = False,
    env=None,
    no_variant: bool = False,
) -> InstallResult:
    """Select for ``python``'s tags, then install the choice with that interpreter's pip.

    Raises :class:`NothingFits` when no wheel fits, :class:`InvalidInput` for
    bad input (including a target without pip).  ``dry_run`` selects and
    builds the pip command without copying or running anything.
    """
    python = python or default_python()
    if not dry_run:
        _check_pip(python)
    same = os.path.realpath(python) == os.path.realpath(sys.executable)
    tags = None if same else target_tags(python)
    selection = select(requirement, find_links, tags=tags, assume=assume, detect=detect,
                       require_index=require_index, env=env, no_variant=no_variant)
    if selection.chosen is None:
        raise NothingFits(selection)
    chosen = selection.chosen
    plain = str(chosen.filename.with_label(None))
    extras = sorted(parse_requirement(requirement)[0].extras)
    replacement, changes = evaluated_dependencies(chosen.path, variant_environment(chosen, selection.chosen_release))
    if dry_run:
        cmd = pip_command(python, Path("<tmp>") / plain, find_links, pip_args, extras)
        return InstallResult(selection, cmd, 0, plain, list(selection.warnings), changes)
    with tempfile.TemporaryDirectory(prefix="varwheel-install-") as tmp:
        copy = Path(tmp) / plain
        _install_copy(chosen.path, copy, replacement)
        cmd = pip_command(python, copy, find_links, pip_args, extras)
        proc = subprocess.run(cmd)
    return InstallResult(selection, cmd, proc.returncode, plain, list(selection.warnings), changes)


# -- installing from a lock file ------------------------------------------------------------------
_ENV_SCRIPT = r"""
import json
try:
    from packaging import markers
except ImportError:
    from pip._vendor.packaging import markers
print(json.dumps(markers.default_environment()))
"""


def target_environment(python: Optional[str] = None) -> Dict[str, str]:
    """The target interpreter's marker environment (PEP 508), this one's by default."""
    if python is None:
        from packaging.markers import default_environment

        return {str(k): str(v) for k, v in default_environment().items()}
    try:
        proc = subprocess.run([python, "-c", _ENV_SCRIPT], capture_output=True, text=True, timeout=120)
    except OSError as exc:
        raise InvalidInput(f"--python {python}: cannot run it ({exc.strerror or exc})") from None
    try:
        found = json.loads(proc.stdout) if proc.returncode == 0 else None
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise InvalidInput(f"--python {python}: cannot read its environment markers; it needs packaging or pip")
    return {str(k): str(v) for k, v in found.items()}


@dataclass
class LockInstallResult:
    """Per locked package its selection; the pip command; what pip returned."""

    lock: Path
    selections: List[Selection]
    command: List[str]
    returncode: int = 0
    warnings: List[str] = field(default_factory=list)


def _choices(texts: Sequence[str], packages: Sequence[LockedPackage], lock: Path) -> Dict[str, str]:
    """``PKG#LABEL`` arguments -> ``{package: label}``; each must name a locked package and a label."""
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    locked = {p.name: p for p in packages}
    out: Dict[str, str] = {}
    for text in texts:
        req, label = parse_requirement(text)
        name = canonicalize_name(req.name)
        if label is None:
            raise InvalidInput(f"{text!r}: with --lock every locked package is installed; name one only to choose "
                               f"its variant ({name}#LABEL)")
        if name not in locked:
            raise InvalidInput(f"{text!r}: {name} is not in {lock} (it locks {', '.join(sorted(locked)) or 'nothing'})")
        if req.specifier and Version(locked[name].version) not in req.specifier:
            raise InvalidInput(f"{text!r}: {lock} locks {name} {locked[name].version}, which {req.specifier} excludes")
        out[name] = label
    return out


def _evaluate(marker: str, environment: Mapping[str, str], lock_file) -> bool:
    """A lock file's marker: PEP 751 evaluates ``extras`` and ``dependency_groups`` (none chosen: empty)."""
    from packaging.markers import Marker

    env: Dict[str, object] = dict(environment)
    try:
        env.update(extras=frozenset(), dependency_groups=frozenset(lock_file.default_groups))
        return Marker(marker).evaluate(env, context="lock_file")  # type: ignore[arg-type, call-arg, unused-ignore]
    except TypeError:  # packaging before 25: no lock-file context
        return Marker(marker).evaluate(dict(environment))


def _active_packages(lock_file, environment: Mapping[str, str]) -> List[LockedPackage]:
    """PEP 751's installation steps before the files: environments, requires-python, markers, one entry per name."""
    from packaging.specifiers import SpecifierSet

    python_version = environment.get("python_full_version", "")
    src = lock_file.path
    if lock_file.environments and not any(_evaluate(m, environment, lock_file) for m in lock_file.environments):
        raise InvalidLock(f"{src}: the target matches none of its environments ({'; '.join(lock_file.environments)})")
    if lock_file.requires_python and not SpecifierSet(lock_file.requires_python).contains(python_version, prereleases=True):
        raise InvalidLock(f"{src}: requires-python {lock_file.requires_python} excludes the target's Python {python_version}")
    chosen: Dict[str, LockedPackage] = {}
    for pkg in lock_file.packages:
        if pkg.marker is not None and not _evaluate(pkg.marker, environment, lock_file):
            continue
        if pkg.requires_python and not SpecifierSet(pkg.requires_python).contains(python_version, prereleases=True):
            raise InvalidLock(f"{pkg.where} ({pkg.name} {pkg.version}): requires-python {pkg.requires_python} "
                              f"excludes the target's Python {python_version}")
        if pkg.name in chosen:
            raise InvalidLock(f"{pkg.where}: {pkg.name} is also selected at {chosen[pkg.name].where}; "
                              "PEP 751 wants one entry per package for a given environment")
        chosen[pkg.name] = pkg
    return list(chosen.values())


def _place(wheel: LockedWheel, folder: Path) -> Path:
    if wheel.path is not None:
        return folder / wheel.path
    return Path(wheel.name)


def _fetch(wheel: LockedWheel, folder: Path, tmp: Path, where: str) -> Path:
    """The wheel as a local file, its size and hashes checked (PEP 751: "MUST verify")."""
    known = {algo: hashlib.new(algo) for algo in wheel.hashes if algo in hashlib.algorithms_available}
    if not known:
        raise InvalidLock(f"{where}.hashes: none of {', '.join(sorted(wheel.hashes))} is a hash algorithm "
                          "this Python knows; relock with sha256")
    if wheel.path is not None:
        local = folder / wheel.path
        try:
            stream = open(local, "rb")
        except OSError as exc:
            raise InvalidLock(f"{where}: cannot read {local} ({exc.strerror or exc})") from None
        target = local
    else:
        import urllib.request

        assert wheel.url is not None
        try:
            stream = urllib.request.urlopen(wheel.url, timeout=120)  # noqa: S310 - the lock's own URL
        except (OSError, ValueError) as exc:
            raise InvalidLock(f"{where}: cannot download {wheel.url} ({exc})") from None
        target = tmp / wheel.name
    size = 0
    with stream:
        out = open(target, "wb") if wheel.path is None else None
        try:
            while True:
                chunk = stream.read(1 << 20)
                if not chunk:
                    break
                size += len(chunk)
                for hasher in known.values():
                    hasher.update(chunk)
                if out is not None:
                    out.write(chunk)
        finally:
            if out is not None:
                out.close()
    if wheel.size is not None and size != wheel.size:
        raise InvalidLock(f"{where}: {wheel.name} is {size} bytes, the lock says {wheel.size}; relock or restore the file")
    for algo, hasher in known.items():
        if hasher.hexdigest() != wheel.hashes[algo].lower():
            raise InvalidLock(f"{where}: {wheel.name} does not match its {algo} hash in the lock "
                              f"(file {hasher.hexdigest()}, lock {wheel.hashes[algo]}); relock or restore the file")
    return target


def _check_own_variant(path: Path, cand: Candidate, where: str) -> None:
    """The chosen wheel's own ``variant.json`` must say what the lock's ``variants-json`` says."""
    from varwheel.wheel.archive import WheelArchive

    if cand.kind == "plain":
        return
    with WheelArchive(path) as archive:
        found = archive.variant()
    if found is None:  # pragma: no cover - WheelArchive.variant raises for a labelled name without one
        raise InvalidLock(f"{where}: {path.name} has no variant.json")
    label, doc = found
    own = doc.variants[label]
    if own != cand.description:
        said = cand.description.strings() if cand.description is not None else []
        raise InvalidLock(f"{where}: the lock says {label!r} is {said or 'null'} but {path.name}'s own variant.json "
                          f"says {own.strings() or 'null'}; relock (`varwheel lock`)")


def install_locked(
    lock_path: "str | os.PathLike[str]",
    *,
    python: Optional[str] = None,
    pip_args: Sequence[str] = (),
    dry_run: bool = False,
    assume: Sequence[str] = (),
    detect: "bool | DetectCache" = True,
    env=None,
    choices: Sequence[str] = (),
    no_variant: bool = False,
) -> LockInstallResult:
    """Install every package of ``lock_path`` that applies to the target, the best locked wheel of each.

    ``choices``: ``PKG#LABEL`` per package chosen by hand; ``no_variant``:
    plain (else null) wheels for all.  Raises :class:`NothingFits` when a
    package has no wheel for the target, :class:`InvalidLock` /
    :class:`InvalidInput` for a bad lock, a wrong hash or size, or bad choices.
    """
    lock_file = read_lock(lock_path)
    python = python or default_python()
    if not dry_run:
        _check_pip(python)
    same = os.path.realpath(python) == os.path.realpath(sys.executable)
    tags = None if same else target_tags(python)
    environment = target_environment(None if same else python)
    labels = _choices(choices, lock_file.packages, lock_file.path)
    active = _active_packages(lock_file, environment)
    skipped = sorted(set(labels) - {p.name for p in active})
    if skipped:
        raise InvalidInput(f"{', '.join(skipped)}: chosen by hand but not installed on this target "
                           f"(its marker in {lock_file.path} excludes it)")
    warnings = list(lock_file.warnings)
    picks: List[Tuple[LockedPackage, Selection, LockedWheel]] = []
    folder = lock_file.folder
    for pkg in active:
        places = {_place(w, folder): w for w in pkg.wheels}
        sel = select_locked(pkg.name, pkg.version, [(p, w.filename) for p, w in places.items()], pkg.variants,
                            source=pkg.where, label=labels.get(pkg.name),
                            no_variant=no_variant, tags=tags, assume=assume, detect=detect, env=env)
        warnings.extend(sel.warnings)
        if sel.chosen is None:
            raise NothingFits(sel)
        picks.append((pkg, sel, places[sel.chosen.path]))
    selections = [sel for _, sel, _ in picks]
    plain_names = [str(w.filename.with_label(None)) for _, _, w in picks]
    fixed = ["--no-deps", "--no-index"]
    if dry_run:
        cmd = [python, "-m", "pip", "install", *(str(Path("<tmp>") / n) for n in plain_names), *fixed, *pip_args]
        return LockInstallResult(lock_file.path, selections, cmd, 0, warnings)
    with tempfile.TemporaryDirectory(prefix="varwheel-lock-") as tmp:
        copies = []
        for (pkg, sel, wheel), plain in zip(picks, plain_names):
            where = pkg.where
            assert sel.chosen is not None
            fetched = _fetch(wheel, folder, Path(tmp), where)
            _check_own_variant(fetched, sel.chosen, where)
            copy = Path(tmp) / "plain" / plain
            copy.parent.mkdir(exist_ok=True)
            # The lock holds the dependencies; the copy's METADATA only stops naming markers pip cannot parse.
            replacement, _ = evaluated_dependencies(fetched, variant_environment(sel.chosen, sel.chosen_release, fetched))
            _install_copy(fetched, copy, replacement)
            copies.append(str(copy))
        cmd = [python, "-m", "pip", "install", *copies, *fixed, *pip_args]
        proc = subprocess.run(cmd)
    return LockInstallResult(lock_file.path, selections, cmd, proc.returncode, warnings)
