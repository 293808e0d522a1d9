"""AArch64 detection: the Arm architecture version uv 0.13.9 answers, and the HWCAP features.

``features`` is what uv 0.13.9's built-in ``aarch64-variant-provider`` 0.2.0
answers on this machine, because ``varwheel select`` must name the file uv
installs.  uv does not derive the version from the features alone:

* **Linux**: every core listed in ``/proc/cpuinfo`` (its ``CPU implementer``
  and ``CPU part``) has a ceiling in uv's table of known cores
  (:data:`KNOWN_CORES`); a core the table does not know counts as ``8a``.  The
  lowest ceiling over all cores is then lowered to what the process HWCAPs
  (``getauxval(AT_HWCAP)``) allow, version by version (:data:`VERSION_FEATURES`,
  the bits uv checks).  So an unknown core is ``8a`` whatever its HWCAPs say.
* **macOS**: only the chip name counts: ``machdep.cpu.brand_string``
  ``Apple M1`` ... ``Apple M5`` (the first word after ``Apple ``) is ``8.4a``,
  anything else (``Apple processor``, reported by early M1 systems) is ``8a``.
* Elsewhere, or when that information cannot be read: ``8a``.
* Never above ``8.4a`` (:data:`MAX_VERSION`).

The features the machine reports are kept as information: the HWCAP names go
to ``extra`` (Linux ``Features``; on macOS the ``hw.optional.arm.FEAT_*``
keys and the older ``hw.optional.armv8_*`` ones, which macOS 11 has alone),
and where they reach further than uv's answer, or less far, a ``caveats``
sentence says so.

Example::

    >>> version_from_features({"fp", "asimd", "atomics", "asimdrdm", "crc32", "dcpop"})
    '8.2a'
    >>> linux_version([("0x41", "0xd0c")], hwcap_from_names(NEOVERSE_V1_HWCAPS))   # Neoverse N1's ceiling
    '8.2a'
    >>> linux_version([("0x4e", "0x010")], hwcap_from_names(NEOVERSE_V1_HWCAPS))   # a core uv does not know
    '8a'
"""

from __future__ import annotations

import sys

from varwheel.machine.providers import FeatureSupport, NamespaceSupport
from varwheel.model.builtins import UV

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

    from varwheel.machine.providers import SysctlReader

__all__ = [
    "NAMESPACE",
    "VERSION_FEATURES",
    "VERSIONS",
    "MAX_VERSION",
    "HWCAP_BITS",
    "KNOWN_CORES",
    "version_from_features",
    "supported_versions",
    "features_from_cpuinfo",
    "cores_from_cpuinfo",
    "hwcap_from_names",
    "names_from_hwcap",
    "core_ceiling",
    "linux_version",
    "apple_chip_version",
    "features_from_macos",
    "detect",
]

NAMESPACE = "aarch64"

#: User-visible (HWCAP) features each version requires, on top of the earlier versions'.
#: ``8.1a`` .. ``8.4a`` are the AT_HWCAP bits uv 0.13.9 checks; ``8.5a`` and ``9.0a``
#: are varwheel's own (uv never answers them), used only to say how far a CPU reaches.
VERSION_FEATURES: Dict[str, Tuple[str, ...]] = {
    "8a": (),
    "8.1a": ("fp", "asimd", "crc32", "atomics", "asimdrdm"),
    "8.2a": ("dcpop",),
    "8.3a": ("jscvt", "fcma", "lrcpc", "paca", "pacg"),
    "8.4a": ("fphp", "asimdhp", "asimddp", "asimdfhm", "dit", "uscat", "ilrcpc", "flagm"),
    "8.5a": ("sb", "dcpodp", "flagm2", "frint", "bti"),
    "9.0a": ("sve2",),
}
#: Oldest first.
VERSIONS: Tuple[str, ...] = tuple(VERSION_FEATURES)
#: The newest value uv 0.13.9's built-in provider reports (it says Linux does not expose
#: SPECRES, which generic Armv8.5-A code may use).
MAX_VERSION = "8.4a"

#: Linux arm64 AT_HWCAP bit numbers (``arch/arm64/include/uapi/asm/hwcap.h``) by the names
#: ``/proc/cpuinfo`` prints for them.
HWCAP_BITS: Mapping[str, int] = {
    name: bit for bit, name in enumerate(
        "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma lrcpc "
        "dcpop sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit uscat ilrcpc flagm ssbs sb paca pacg".split()
    )
}

#: uv 0.13.9's known cores: (CPU implementer as written, first part, last part, ceiling, name).
#: Any other core counts as ``8a``.
KNOWN_CORES: Tuple[Tuple[str, int, int, str, str], ...] = (
    ("0x41", 0xD0C, 0xD0C, "8.2a", "Arm Neoverse N1"),
    ("0x41", 0xD40, 0xD40, "8.4a", "Arm Neoverse V1"),
    ("0x41", 0xD49, 0xD49, "8.4a", "Arm Neoverse N2"),
    ("0x41", 0xD4F, 0xD4F, "8.4a", "Arm Neoverse V2"),
    ("0x41", 0xD83, 0xD83, "8.4a", "Arm Neoverse V3AE"),
    ("0x6d", 0xD49, 0xD49, "8.4a", "Microsoft Azure Cobalt 100"),
    ("0x42", 0x516, 0x516, "8.1a", "Broadcom Vulcan (ThunderX2)"),
    ("0x43", 0x0AF, 0x0AF, "8.1a", "Cavium ThunderX2"),
    ("0x46", 0x001, 0x001, "8.2a", "Fujitsu A64FX"),
    ("0xc0", 0xAC3, 0xAC4, "8.4a", "AmpereOne"),
    ("0x61", 0x020, 0x025, "8.4a", "Apple M1"),
    ("0x61", 0x028, 0x029, "8.4a", "Apple M1"),
    ("0x61", 0x030, 0x035, "8.4a", "Apple M2"),
    ("0x61", 0x038, 0x039, "8.4a", "Apple M2"),
    ("0x61", 0x042, 0x045, "8.4a", "Apple M3"),
    ("0x61", 0x048, 0x049, "8.4a", "Apple M3"),
    ("0x61", 0x052, 0x055, "8.4a", "Apple M4"),
    ("0x61", 0x058, 0x059, "8.4a", "Apple M4"),
    ("0x61", 0x062, 0x065, "8.4a", "Apple M5"),
    ("0x61", 0x068, 0x069, "8.4a", "Apple M5"),
)

#: The Apple chips uv 0.13.9 answers ``8.4a`` for (first word after ``Apple `` in the brand).
APPLE_CHIPS = ("M1", "M2", "M3", "M4", "M5")

#: An example HWCAP list (Neoverse V1 as AWS Graviton 3 reports it), for the examples above.
NEOVERSE_V1_HWCAPS = ("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma "
                      "lrcpc dcpop sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit uscat ilrcpc flagm ssbs paca pacg "
                      "dcpodp").split()

_AARCH64_MACHINES = ("aarch64", "arm64", "aarch64_be")
_AT_HWCAP = 16
_ASCII_SPACE = " \t\n\x0c\r"  # what Rust's split_ascii_whitespace splits on
_HEX = frozenset("0123456789abcdefABCDEF")
_PROC_CPUINFO = "/proc/cpuinfo"

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

#: The older ``hw.optional.<key>`` names (macOS 11 has only these; later releases keep them
#: beside ``hw.optional.arm.FEAT_*``) -> Linux HWCAP names.  They name no RDM, DPB,
#: JSCVT, LRCPC, PAuth or DIT, so from them alone a CPU reaches only ``8a``.
_MACOS_LEGACY_FEATURES: Mapping[str, Tuple[str, ...]] = {
    "floatingpoint": ("fp",),
    "neon": ("asimd",),
    "AdvSIMD": ("asimd",),
    "neon_fp16": ("fphp", "asimdhp"),
    "armv8_1_atomics": ("atomics",),
    "armv8_crc32": ("crc32",),
    "armv8_2_fhm": ("asimdfhm",),
    "armv8_2_sha512": ("sha512",),
    "armv8_2_sha3": ("sha3",),
    "armv8_3_compnum": ("fcma",),
}


def _machine() -> str:
    from varwheel.machine.providers import machine

    return machine()


def _rank(version: str) -> int:
    return VERSIONS.index(version)


def version_from_features(features: Iterable[str], *, cap: str = MAX_VERSION) -> str:
    """Newest version (at most ``cap``) whose features, and every earlier version's, are all present.

    This is what the HWCAPs alone allow; uv's answer also depends on the core
    (:func:`linux_version`) or the chip name (:func:`apple_chip_version`).
    """
    have = set(features)
    best = "8a"
    for version in VERSIONS[1:_rank(cap) + 1]:
        if not all(f in have for f in VERSION_FEATURES[version]):
            break
        best = version
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


def cores_from_cpuinfo(text: str) -> List[Tuple[str, str]]:
    """The distinct ``(CPU implementer, CPU part)`` pairs of ``/proc/cpuinfo``, as uv 0.13.9 reads them.

    Blocks are separated by an empty line; a block counts when it has a
    ``processor`` line, and a missing implementer or part is ``""`` (a core no
    table knows).
    """
    cores = set()
    for block in text.split("\n\n"):
        fields: Dict[str, str] = {}
        for line in block.splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("processor", "CPU implementer", "CPU part"):
                fields[key] = value.strip()
        if "processor" in fields:
            cores.add((fields.get("CPU implementer", ""), fields.get("CPU part", "")))
    return sorted(cores)


def hwcap_from_names(names: Iterable[str]) -> int:
    """The AT_HWCAP word whose bits the ``Features`` names stand for (names of other words are ignored)."""
    word = 0
    for name in names:
        bit = HWCAP_BITS.get(name)
        if bit is not None:
            word |= 1 << bit
    return word


def names_from_hwcap(word: int) -> Set[str]:
    """The ``Features`` names of the bits set in an AT_HWCAP word (bits 0..31)."""
    return {name for name, bit in HWCAP_BITS.items() if word >> bit & 1}


def _parse_part(part: str) -> Optional[int]:
    """``0xd0c`` -> 0xd0c the way uv parses it (``0x`` prefix required, then a 16-bit hex number)."""
    if not part.startswith("0x"):
        return None
    digits = part[2:]
    digits = digits[1:] if digits.startswith("+") else digits  # Rust's unsigned parse accepts a '+'
    if not digits or not all(ch in _HEX for ch in digits):
        return None
    value = int(digits, 16)
    return value if value <= 0xFFFF else None


def core_ceiling(implementer: str, part: str) -> "Optional[Tuple[str, str]]":
    """``(ceiling, name)`` of a core in uv's table (:data:`KNOWN_CORES`), or ``None`` for a core it does not know."""
    number = _parse_part(part)
    if number is None:
        return None
    for impl, first, last, ceiling, name in KNOWN_CORES:
        if impl == implementer and first <= number <= last:
            return ceiling, name
    return None


def _with_hwcaps(ceiling: str, hwcap: int) -> str:
    """Newest version up to ``ceiling`` whose AT_HWCAP bits, and every earlier version's, are set."""
    return version_from_features(names_from_hwcap(hwcap), cap=ceiling)


def linux_version(cores: Sequence[Tuple[str, str]], hwcap: int) -> str:
    """uv 0.13.9's answer on Linux: the lowest core ceiling (unknown cores: ``8a``), lowered to the HWCAPs."""
    if not cores:
        return "8a"
    ceilings = [(core_ceiling(impl, part) or ("8a", ""))[0] for impl, part in cores]
    return _with_hwcaps(min(ceilings, key=_rank), hwcap)


def apple_chip_version(brand: Optional[str]) -> str:
    """uv 0.13.9's answer on macOS from ``machdep.cpu.brand_string``: ``8.4a`` for Apple M1..M5, else ``8a``."""
    if brand is None or not brand.startswith("Apple "):
        return "8a"
    model = brand[len("Apple "):]
    for ch in _ASCII_SPACE:
        model = model.replace(ch, " ")
    words = model.split(" ")
    first = next((w for w in words if w), "")
    return "8.4a" if first in APPLE_CHIPS else "8a"


def features_from_macos(values: Mapping[str, Optional[int]],
                        legacy: Optional[Mapping[str, Optional[int]]] = None) -> Set[str]:
    """``{"FEAT_LSE": 1, ...}`` (``hw.optional.arm.*``) and ``{"armv8_crc32": 1, ...}`` (``hw.optional.*``) -> HWCAP names."""
    out = {"fp", "asimd"}  # every Apple arm64 CPU
    for key, names in _MACOS_FEATURES.items():
        if values.get(key):
            out.update(names)
    for key, names in _MACOS_LEGACY_FEATURES.items():
        if (legacy or {}).get(key):
            out.update(names)
    return out


def _getauxval(key: int = _AT_HWCAP) -> Optional[int]:
    """An auxiliary-vector entry (AT_HWCAP by default), read as uv's probe reads it: ``getauxval`` via ctypes.

    ``None`` when there is no ``getauxval`` (or no ctypes).
    """
    try:
        import ctypes

        getauxval = getattr(ctypes.CDLL(None), "getauxval", None)
    except (ImportError, OSError):
        return None
    if getauxval is None:
        return None
    getauxval.argtypes = [ctypes.c_ulong]
    getauxval.restype = ctypes.c_ulong
    return int(getauxval(key))


def _answer(version: str, *, extra: Set[str], source: str, note: str, caveats: "List[str]") -> NamespaceSupport:
    uncapped = version_from_features(extra, cap=VERSIONS[-1])
    if _rank(uncapped) > _rank(MAX_VERSION):
        note += f" (the HWCAPs reach {uncapped}; {UV}'s provider stops at {MAX_VERSION})"
    return NamespaceSupport(
        NAMESPACE, [FeatureSupport("version", tuple(supported_versions(version)))],
        extra=[FeatureSupport(name, ("on",)) for name in sorted(extra)], source=source, note=note, caveats=caveats,
    )


def _detect_linux(path: str, hwcap: Optional[int], live: bool) -> NamespaceSupport:
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            text = fh.read()
    except OSError as exc:
        return NamespaceSupport(NAMESPACE, [FeatureSupport("version", ("8a",))], source="baseline",
                                note=f"cannot read {path}: {exc.strerror or exc}; {UV} answers 8a without it")
    names = features_from_cpuinfo(text)
    source = path
    if hwcap is None:
        if live:
            hwcap = _getauxval()
            source = f"{path} (cores), getauxval(AT_HWCAP)"
        else:
            hwcap = hwcap_from_names(names)
            source = f"{path} (cores, Features)"
    cores = cores_from_cpuinfo(text)
    if hwcap is None or not cores:
        why = f"no CPU cores in {path}" if not cores else "getauxval is unavailable, so its probe has no HWCAPs"
        reach = version_from_features(names)
        caveats = [f"{UV} answers 8a for this CPU ({why}); its HWCAPs reach {reach}"] if reach != "8a" else []
        return _answer("8a", extra=names, source=source, caveats=caveats, note=f"armv8a ({why})")
    names |= names_from_hwcap(hwcap)
    version = linux_version(cores, hwcap)
    reach = _with_hwcaps(MAX_VERSION, hwcap)
    described, limits = [], []
    for impl, part in cores:
        known = core_ceiling(impl, part)
        core = f"{impl or '?'}:{part or '?'}"
        described.append(f"{core} {known[1]}" if known else f"{core} (not in uv's table)")
        if known is None:
            limits.append(f"core {core} unknown to it")
        elif _rank(known[0]) < _rank(reach):
            limits.append(f"core {core} ({known[1]}) capped at {known[0]} in its table")
    caveats = []
    if _rank(version) < _rank(reach):
        caveats.append(f"{UV} answers {version} for this CPU ({'; '.join(limits)}); its HWCAPs reach {reach}")
    return _answer(version, extra=names, source=source, caveats=caveats,
                   note=f"armv{version} (cores: {', '.join(described)})")


def _detect_macos(sysctl: "SysctlReader") -> NamespaceSupport:
    brand = sysctl.string("machdep.cpu.brand_string")
    feats = {key: sysctl.integer(f"hw.optional.arm.{key}") for key in _MACOS_FEATURES}
    legacy = {key: sysctl.integer(f"hw.optional.{key}") for key in _MACOS_LEGACY_FEATURES}
    have_feat = any(v is not None for v in feats.values())
    have_legacy = any(v is not None for v in legacy.values())
    version = apple_chip_version(brand)
    chip = f"chip name {brand!r}" if brand is not None else "no machdep.cpu.brand_string"
    if not (have_feat or have_legacy):
        return NamespaceSupport(NAMESPACE, [FeatureSupport("version", tuple(supported_versions(version)))],
                                source="sysctl machdep.cpu.brand_string",
                                note=f"armv{version} ({UV} reads the {chip}); no hw.optional feature keys")
    names = features_from_macos(feats, legacy)
    keys = "hw.optional.arm.FEAT_*" if have_feat else "hw.optional.armv8_* (no hw.optional.arm.FEAT_* keys)"
    reach = version_from_features(names)
    caveats: List[str] = []
    if _rank(version) < _rank(reach):
        caveats.append(f"{UV} answers {version} for this CPU ({chip} unknown to it); its sysctl features reach {reach}")
    elif _rank(version) > _rank(reach):
        caveats.append(f"{UV} answers {version} for this CPU (from its {chip}); the sysctl features varwheel reads "
                       f"({keys}) reach only {reach}")
    return _answer(version, extra=names, source=f"sysctl machdep.cpu.brand_string, {keys}", caveats=caveats,
                   note=f"armv{version} ({UV} reads the {chip})")


def detect(env: Optional[Mapping[str, str]] = None, *, machine: Optional[str] = None,
           cpuinfo_path: str = _PROC_CPUINFO, hwcap: Optional[int] = None, platform: Optional[str] = None,
           sysctl: "Optional[SysctlReader]" = None) -> NamespaceSupport:
    """uv 0.13.9's versions (newest first) and, as ``extra``, the HWCAPs; ``caveats`` where they disagree.

    ``cpuinfo_path`` other than ``/proc/cpuinfo`` reads a recorded file on
    any platform, with the HWCAPs taken from its ``Features`` line unless
    ``hwcap`` (an AT_HWCAP word) is given; ``platform`` (default
    ``sys.platform``) and ``sysctl`` (default: this system's) select and feed
    the macOS path.
    """
    from varwheel.machine.providers import LIVE_SYSCTL

    machine = (machine if machine is not None else _machine()).lower()
    platform = platform if platform is not None else sys.platform
    if machine not in _AARCH64_MACHINES:
        return NamespaceSupport(NAMESPACE, [], source="uname",
                                note=f"not an AArch64 machine ({machine or 'unknown'})")
    if platform == "darwin" and cpuinfo_path == _PROC_CPUINFO:
        return _detect_macos(sysctl if sysctl is not None else LIVE_SYSCTL)
    if platform.startswith("linux") or cpuinfo_path != _PROC_CPUINFO:
        return _detect_linux(cpuinfo_path, hwcap, live=cpuinfo_path == _PROC_CPUINFO and hwcap is None)
    return NamespaceSupport(NAMESPACE, [FeatureSupport("version", ("8a",))], source="baseline",
                            note=f"no CPU probe on {platform}: {UV} answers 8a, and so does varwheel")
