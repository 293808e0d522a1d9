"""AArch64 detection: Arm architecture version and HWCAP features.

The version is derived from the features the kernel reports (Linux
``/proc/cpuinfo`` ``Features``, the HWCAP names; ``hw.optional.arm.FEAT_*``
through ``sysctl`` on macOS), never from a CPU part-number table, so an unknown
CPU is still placed correctly: it is at version ``X`` when it has every
user-visible feature that the Arm ARM makes mandatory for ``X`` and all earlier
versions.  A kernel that hides a feature (pointer authentication disabled, for
instance) lowers the answer, never raises it: a wrong "yes" would install a
wheel that crashes.

uv 0.13.9's built-in ``aarch64-variant-provider`` evaluates only ``version``,
and its value list stops at ``8.4a`` (its binary carries the strings ``8a``
... ``8.4a`` and no later one); :data:`MAX_VERSION` follows it so that
``varwheel select`` and uv agree.  The HWCAP names are reported as ``extra``.

Example::

    >>> version_from_features({"fp", "asimd", "atomics", "asimdrdm", "crc32", "dcpop"})
    '8.2a'
"""

from __future__ import annotations

import sys

from varwheel.machine.providers import FeatureSupport, NamespaceSupport
from varwheel.model.builtins import UV

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Iterable, List, Mapping, Optional, Set, Tuple

__all__ = [
    "NAMESPACE",
    "VERSION_FEATURES",
    "VERSIONS",
    "MAX_VERSION",
    "version_from_features",
    "supported_versions",
    "features_from_cpuinfo",
    "features_from_macos",
    "detect",
]

NAMESPACE = "aarch64"

#: User-visible (HWCAP) features each version makes mandatory, cumulatively.
VERSION_FEATURES: Dict[str, Tuple[str, ...]] = {
    "8a": (),
    "8.1a": ("atomics", "asimdrdm", "crc32"),
    "8.2a": ("dcpop",),
    "8.3a": ("jscvt", "fcma", "lrcpc", "paca", "pacg"),
    "8.4a": ("dit", "uscat", "ilrcpc", "flagm"),
    "8.5a": ("sb", "dcpodp", "flagm2", "frint", "bti"),
    "9.0a": ("sve2",),
}
#: Oldest first.
VERSIONS: Tuple[str, ...] = tuple(VERSION_FEATURES)
#: The newest value uv 0.13.9's built-in provider reports.
MAX_VERSION = "8.4a"

_AARCH64_MACHINES = ("aarch64", "arm64", "aarch64_be")

#: macOS ``hw.optional.arm.FEAT_*`` -> Linux HWCAP names.
_MACOS_FEATURES: Mapping[str, Tuple[str, ...]] = {
    "FEAT_LSE": ("atomics",),
    "FEAT_RDM": ("asimdrdm",),
    "FEAT_CRC32": ("crc32",),
    "FEAT_DPB": ("dcpop",),
    "FEAT_JSCVT": ("jscvt",),
    "FEAT_FCMA": ("fcma",),
    "FEAT_LRCPC": ("lrcpc",),
    "FEAT_PAuth": ("paca", "pacg"),
    "FEAT_DIT": ("dit",),
    "FEAT_LSE2": ("uscat",),
    "FEAT_LRCPC2": ("ilrcpc",),
    "FEAT_FlagM": ("flagm",),
    "FEAT_SB": ("sb",),
    "FEAT_DPB2": ("dcpodp",),
    "FEAT_FlagM2": ("flagm2",),
    "FEAT_FRINTTS": ("frint",),
    "FEAT_BTI": ("bti",),
    "FEAT_FHM": ("asimdfhm",),
    "FEAT_FP16": ("fphp", "asimdhp"),
    "FEAT_DotProd": ("asimddp",),
    "FEAT_BF16": ("bf16",),
    "FEAT_I8MM": ("i8mm",),
    "FEAT_SHA3": ("sha3",),
    "FEAT_SHA512": ("sha512",),
    "FEAT_SHA1": ("sha1",),
    "FEAT_SHA256": ("sha2",),
    "FEAT_AES": ("aes",),
    "FEAT_PMULL": ("pmull",),
    "FEAT_SSBS": ("ssbs",),
    "FEAT_SME": ("sme",),
    "FEAT_SME2": ("sme2",),
}


def _machine() -> str:
    from varwheel.machine.providers import machine

    return machine()


def version_from_features(features: Iterable[str], *, cap: str = MAX_VERSION) -> str:
    """Newest version (at most ``cap``) whose mandatory features, and all earlier ones', are present."""
    have = set(features)
    best = "8a"
    for version in VERSIONS[1:]:
        if not all(f in have for f in VERSION_FEATURES[version]):
            break
        best = version
        if version == cap:
            break
    return best


def supported_versions(version: str) -> List[str]:
    """``version`` and every earlier one, newest first."""
    if version not in VERSIONS:
        raise ValueError(f"unknown Arm architecture version {version!r}")
    return list(reversed(VERSIONS[: VERSIONS.index(version) + 1]))


def features_from_cpuinfo(text_or_lines: "str | Iterable[str]") -> Set[str]:
    """The first ``Features`` line of ``/proc/cpuinfo`` as a set."""
    lines = text_or_lines.splitlines() if isinstance(text_or_lines, str) else text_or_lines
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key.strip() == "Features":
            return set(value.split())
    return set()


def features_from_macos(values: Mapping[str, Optional[int]]) -> Set[str]:
    """``{"FEAT_LSE": 1, ...}`` (from ``hw.optional.arm.*``) -> HWCAP names."""
    out = {"fp", "asimd"}  # every Apple arm64 CPU
    for key, names in _MACOS_FEATURES.items():
        if values.get(key):
            out.update(names)
    return out


def _read_linux(path: str) -> Tuple[Optional[Set[str]], str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            feats = features_from_cpuinfo(fh)
    except OSError as exc:
        return None, f"cannot read {path}: {exc.strerror or exc}"
    if not feats:
        return None, f"{path} has no 'Features' line"
    return feats, path


def _read_macos() -> Tuple[Optional[Set[str]], str]:
    from varwheel.machine.providers import sysctl_int

    values = {key: sysctl_int(f"hw.optional.arm.{key}") for key in _MACOS_FEATURES}
    if not any(v is not None for v in values.values()):
        return None, "sysctl hw.optional.arm.* is not available"
    return features_from_macos(values), "sysctl hw.optional.arm.*"


def detect(env: Optional[Mapping[str, str]] = None, *, machine: Optional[str] = None,
           cpuinfo_path: str = "/proc/cpuinfo") -> NamespaceSupport:
    """Versions (newest first, capped at :data:`MAX_VERSION`) and, as ``extra``, the HWCAPs."""
    machine = (machine if machine is not None else _machine()).lower()
    if machine not in _AARCH64_MACHINES:
        return NamespaceSupport(NAMESPACE, [], source="uname",
                                note=f"not an AArch64 machine ({machine or 'unknown'})")
    if sys.platform == "darwin" and cpuinfo_path == "/proc/cpuinfo":
        feats, source = _read_macos()
    elif sys.platform.startswith("linux") or cpuinfo_path != "/proc/cpuinfo":
        feats, source = _read_linux(cpuinfo_path)
    else:
        feats, source = None, f"no feature source on {sys.platform}"
    if feats is None:
        return NamespaceSupport(
            NAMESPACE, [FeatureSupport("version", ("8a",))], source="baseline",
            note=f"{source}; assuming the AArch64 baseline (8a) only",
        )
    version = version_from_features(feats)
    uncapped = version_from_features(feats, cap=VERSIONS[-1])
    note = f"armv{version}"
    if uncapped != version:
        note += f" (the CPU reaches {uncapped}; {UV}'s provider stops at {MAX_VERSION})"
    extra = [FeatureSupport(name, ("on",)) for name in sorted(feats)]
    return NamespaceSupport(
        NAMESPACE, [FeatureSupport("version", tuple(supported_versions(version)))], extra=extra,
        source=source, note=note,
    )
