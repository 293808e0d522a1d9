"""The (variant) wheel filename grammar of spec section 3.

``{name}-{version}(-{build})?-{python}-{abi}-{platform}(-{label})?.whl``

Parsing: strip exactly the trailing ``.whl`` (labels may contain dots), split on
``-``: 5 parts is a plain wheel; 6 parts is a build tag when the third part
starts with a digit, otherwise a label; 7 parts is build tag and label.

Example::

    >>> f = WheelFilename.parse("numpy-2.3.2-cp313-cp313-linux_x86_64-x86_64_v3.whl")
    >>> f.label, str(f.with_label(None))
    ('x86_64_v3', 'numpy-2.3.2-cp313-cp313-linux_x86_64.whl')
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

from varwheel.errors import InvalidFilename, InvalidLabel
from varwheel.model.properties import validate_label

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass, replace
else:
    from varwheel.model.values import dataclass, replace

__all__ = ["INDEX_SUFFIX", "WheelFilename", "dist_info_name", "index_filename", "normalize_dist_name", "same_version", "version_key"]

_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9_.!+]+$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_.]+$")
_BUILD_RE = re.compile(r"^[0-9][A-Za-z0-9_.]*$")


_NORMALIZE_RE = re.compile(r"[-_.]+")


def normalize_dist_name(name: str) -> str:
    """Name as written in wheel filenames and index files: PEP 503 normalized, ``-`` -> ``_``.

    Done here rather than with ``packaging.utils.canonicalize_name``: importing
    ``packaging.utils`` pulls in ``packaging.tags`` (and ``logging``), about
    20 ms that every command and every isolated build would pay.
    """
    return _NORMALIZE_RE.sub("-", name).lower().replace("-", "_")


def version_key(version: str) -> object:
    """Identity of a version as installers compare them (PEP 440: ``1.0 == 1.0.0``).

    Filenames write ``-`` in a local version as ``_``.  A version PEP 440
    cannot parse is its own identity (its string).
    """
    from packaging.version import InvalidVersion, Version

    text = version.replace("_", "-")
    try:
        return Version(text)
    except InvalidVersion:
        return text


def same_version(a: str, b: str) -> bool:
    """``version_key(a) == version_key(b)``, without loading packaging when the two are spelled alike.

    Every wheel opened compares its ``.dist-info`` folder's version with its
    file name's, which nearly always spell it the same way; parsing them
    would cost each command ``packaging.version``'s import.
    """
    return a.replace("_", "-") == b.replace("_", "-") or version_key(a) == version_key(b)


def dist_info_name(name: str, version: str) -> str:
    """The ``.dist-info`` directory that a wheel with this name and version carries."""
    return f"{name}-{version}.dist-info"


@dataclass(frozen=True)
class WheelFilename:
    """A parsed wheel filename; ``label`` is ``None`` for a plain wheel."""

    name: str
    version: str
    build: Optional[str]
    python: str
    abi: str
    platform: str
    label: Optional[str] = None

    @classmethod
    def parse(cls, filename: str) -> "WheelFilename":
        """Parse a filename (a bare name; directories are not allowed)."""
        if "/" in filename or "\\" in filename:
            raise InvalidFilename(f"{filename!r} is a path, expected a bare wheel filename")
        if not filename.endswith(".whl"):
            raise InvalidFilename(f"{filename!r} is not a wheel filename: it must end with '.whl'")
        parts = filename[: -len(".whl")].split("-")
        build: Optional[str] = None
        label: Optional[str] = None
        if len(parts) < 5:
            raise InvalidFilename(
                f"invalid wheel filename {filename!r}: too few components ({len(parts)}); "
                "expected {name}-{version}(-{build})?-{python}-{abi}-{platform}(-{label})?.whl"
            )
        if len(parts) > 7:
            raise InvalidFilename(
                f"invalid wheel filename {filename!r}: too many components ({len(parts)}); "
                "at most 7 (name, version, build, python, abi, platform, label)"
            )
        if len(parts) == 5:
            name, version, python, abi, platform = parts
        elif len(parts) == 6:
            if parts[2][:1].isdigit():
                name, version, build, python, abi, platform = parts
            else:
                name, version, python, abi, platform, label = parts
        else:
            name, version, build, python, abi, platform, label = parts
            if not build[:1].isdigit():
                raise InvalidFilename(
                    f"invalid wheel filename {filename!r}: too many components: "
                    f"{build!r} is not a build tag (build tags start with a digit)"
                )
        checks = (
            ("name", name, _NAME_RE),
            ("version", version, _VERSION_RE),
            ("python tag", python, _TAG_RE),
            ("abi tag", abi, _TAG_RE),
            ("platform tag", platform, _TAG_RE),
        )
        for what, text, regex in checks:
            if not text or not regex.fullmatch(text):
                raise InvalidFilename(f"invalid wheel filename {filename!r}: {what} {text!r} is invalid")
        if build is not None and not _BUILD_RE.fullmatch(build):
            raise InvalidFilename(f"invalid wheel filename {filename!r}: build tag {build!r} is invalid")
        if python[:1].isdigit():
            raise InvalidFilename(
                f"invalid wheel filename {filename!r}: python tag {python!r} starts with a digit"
            )
        if label is not None:
            if label != label.lower():
                raise InvalidFilename(
                    f"invalid wheel filename {filename!r}: label {label!r} has uppercase "
                    f"letters; labels use lowercase only (did you mean {label.lower()!r}?)"
                )
            try:
                validate_label(label)
            except InvalidLabel as exc:
                raise InvalidFilename(f"invalid wheel filename {filename!r}: {exc}") from None
        return cls(name, version, build, python, abi, platform, label)

    def __str__(self) -> str:
        parts = [self.name, self.version]
        if self.build is not None:
            parts.append(self.build)
        parts += [self.python, self.abi, self.platform]
        if self.label is not None:
            parts.append(self.label)
        return "-".join(parts) + ".whl"

    @property
    def filename(self) -> str:
        return str(self)

    def with_label(self, label: Optional[str]) -> "WheelFilename":
        """The same wheel with ``label`` (``None``: the plain name)."""
        if label is not None:
            validate_label(label)
        return replace(self, label=label)

    @property
    def dist_info(self) -> str:
        """Expected ``.dist-info`` directory name (never carries the label)."""
        return dist_info_name(self.name, self.version)

    @property
    def project(self) -> str:
        """Normalized distribution name (``foo_bar``)."""
        return normalize_dist_name(self.name)

    def tags(self) -> list[tuple[str, str, str]]:
        """Expanded compressed tag sets: ``py2.py3-none-any`` -> two tags."""
        return [
            (py, abi, plat)
            for py in self.python.split(".")
            for abi in self.abi.split(".")
            for plat in self.platform.split(".")
        ]


#: ``{name}-{version}-variants.json``: the index file beside a release's wheels (spec section 6).
INDEX_SUFFIX = "-variants.json"


def index_filename(name: str, version: str) -> str:
    """``{normalized name}-{version}-variants.json`` (version as the wheel filename spells it)."""
    return f"{normalize_dist_name(name)}-{version}{INDEX_SUFFIX}"
