"""x86-64 detection: psABI level (v4..v1) and ISA extensions, the way uv 0.13.9 reads them.

The level is computed from feature flags, never from a CPU model table, so a
CPU released after this file was written is still classified correctly: it is
``vN`` when it has every flag that uv 0.13.9's built-in
``x86-64-variant-provider`` 0.2.1 requires for ``vN`` and all lower levels
(:data:`LEVEL_FLAGS`; uv checks no flag for ``v1`` and none of XSAVE, which
the psABI lists for ``v3``).  Flags come from where uv reads them: the first
processor's ``flags`` line of ``/proc/cpuinfo`` on Linux, ``sysctl
machdep.cpu.*`` on macOS (translated to the Linux names; AVX-512 flags count
only while ``hw.optional.avx512f`` says the kernel enabled AVX-512 state).

When there are no flags (no ``/proc/cpuinfo``, an operating system without a
probe), uv assumes ``v2``, and so does varwheel, with a caveat.  On Windows
uv executes CPUID, which varwheel does not (docs/machine-side.md, "x86-64 on
Windows"): varwheel reports the baseline ``v1`` and a caveat saying to state
the level with ``--assume``.

What installers evaluate: uv 0.13.9 answers only the ``level`` feature
(checked against uv: a variant listing ``x86_64 :: avx2 :: on`` is
"unsupported" even on an AVX2 machine).  So ``level`` is the one feature
:func:`detect` reports as supported; the ISA flags are reported separately as
``extra`` (useful to a person, to ``--assume``, and to builds), so that
``varwheel select`` agrees with uv.

Example::

    >>> level_from_flags({"avx2", "avx", "bmi1"})          # no v2 flags: v1
    'v1'
    >>> supported_levels("v3")
    ['v3', 'v2', 'v1']
"""

from __future__ import annotations

import sys

from varwheel.machine.providers import FeatureSupport, NamespaceSupport
from varwheel.model.builtins import UV

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Set, Tuple

    from varwheel.machine.providers import SysctlReader

__all__ = [
    "NAMESPACE",
    "LEVEL_FLAGS",
    "LEVELS",
    "ISA_FLAGS",
    "level_from_flags",
    "supported_levels",
    "flags_from_cpuinfo",
    "flags_from_macos",
    "WINDOWS_CAVEAT",
    "detect",
]

NAMESPACE = "x86_64"

#: Flags each level adds, as Linux ``/proc/cpuinfo`` names them: the ones uv 0.13.9 checks.
#: ``pni`` is SSE3, ``abm`` is LZCNT, ``lahf_lm`` is LAHF/SAHF in 64-bit mode.  The ``v1``
#: flags are the psABI's, listed for reference: uv checks none (64-bit code runs), nor does
#: :func:`level_from_flags`.  The psABI's ``v3`` also lists XSAVE; uv does not check it.
LEVEL_FLAGS: Dict[str, Tuple[str, ...]] = {
    "v1": ("cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2"),
    "v2": ("cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"),
    "v3": ("avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe"),
    "v4": ("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"),
}
#: Other spellings uv 0.13.9 treats as the same flag (macOS names, lowercased), -> the Linux name.
_ALIASES: Mapping[str, str] = {
    "sse3": "pni",
    "lzcnt": "abm",
    "lahf": "lahf_lm",
    "sse4.1": "sse4_1",
    "sse4.2": "sse4_2",
    "avx1.0": "avx",
    "avx2.0": "avx2",
}
#: Best first, as installers prefer them.
LEVELS: Tuple[str, ...] = ("v4", "v3", "v2", "v1")

#: Instruction-set extensions worth a variant (compiler-visible), by their
#: ``/proc/cpuinfo`` names.  Everything else in the flags line (``hypervisor``,
#: ``constant_tsc``, ...) describes the platform, not the instruction set.
ISA_FLAGS: FrozenSet[str] = frozenset(
    """
    abm adx aes amx_bf16 amx_complex amx_fp16 amx_int8 amx_tile avx avx2
    avx512_4fmaps avx512_4vnniw avx512_bf16 avx512_bitalg avx512_fp16
    avx512_vbmi2 avx512_vnni avx512_vp2intersect avx512_vpopcntdq avx512bw
    avx512cd avx512dq avx512er avx512f avx512ifma avx512pf avx512vbmi avx512vl
    avx_ifma avx_ne_convert avx_vnni avx_vnni_int16 avx_vnni_int8 bmi1 bmi2
    clflushopt clwb cmov cmpccxadd cx16 cx8 f16c fma fma4 fsrm fxsr gfni
    lahf_lm lzcnt mmx movbe movdir64b movdiri pclmulqdq pni popcnt prefetchw
    rdpid rdrand rdseed sha512 sha_ni sm3 sm4 sse sse2 sse4_1 sse4_2 sse4a
    ssse3 vaes vpclmulqdq xop xsave xsavec xsaveopt xsaves
    """.split()
)

_X86_64_MACHINES = ("x86_64", "amd64", "x64", "x86-64")


def _machine() -> str:
    from varwheel.machine.providers import machine

    return machine()


def level_from_flags(flags: Iterable[str]) -> str:
    """Highest psABI level whose flags (and every lower level's) are all present.

    ``v1`` is returned even without its flags: a 64-bit x86 process runs, so
    the baseline holds (some hypervisors hide ``syscall`` from cpuinfo).
    Names are compared as uv compares them: case-insensitively, with the
    macOS spellings (``SSE4.1``, ``AVX1.0``, ``LZCNT``, ...) equal to Linux's.
    """
    have = {_ALIASES.get(f.lower(), f.lower()) for f in flags}
    best = "v1"
    for level in ("v2", "v3", "v4"):
        if all(flag in have for flag in LEVEL_FLAGS[level]):
            best = level
        else:
            break
    return best


def supported_levels(level: str) -> List[str]:
    """``level`` and every lower level, best first: what a ``level`` machine runs."""
    if level not in LEVELS:
        raise ValueError(f"unknown x86-64 level {level!r}")
    return list(LEVELS[LEVELS.index(level):])


def flags_from_cpuinfo(text_or_lines: "str | Iterable[str]") -> Set[str]:
    """The first processor's ``flags`` line of ``/proc/cpuinfo`` as a set (empty if none).

    Like uv, only the first block counts: reading stops at the first empty line.
    """
    lines = text_or_lines.splitlines() if isinstance(text_or_lines, str) else text_or_lines
    for line in lines:
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            return set(value.split())
    return set()


#: macOS ``machdep.cpu.*`` names that differ from Linux's after lowercasing.
_MACOS_RENAMES: Mapping[str, str] = {**_ALIASES, "sha": "sha_ni"}


def flags_from_macos(*feature_strings: str) -> Set[str]:
    """Translate ``machdep.cpu.features``/``leaf7_features``/``extfeatures`` to Linux names."""
    flags: Set[str] = set()
    for text in feature_strings:
        for word in (text or "").split():
            name = word.lower()
            flags.add(_MACOS_RENAMES.get(name, name.replace(".", "_")))
            if name == "lzcnt":
                flags.add("lzcnt")
    return flags


def _read_linux_flags(path: str = "/proc/cpuinfo") -> Tuple[Optional[Set[str]], str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            flags = flags_from_cpuinfo(fh)
    except OSError as exc:
        return None, f"cannot read {path}: {exc.strerror or exc}"
    if not flags:
        return None, f"the first processor in {path} has no 'flags' line"
    return flags, path


def _read_macos_flags(sysctl: "SysctlReader") -> Tuple[Optional[Set[str]], str]:
    texts = [sysctl.string(k) for k in ("machdep.cpu.features", "machdep.cpu.leaf7_features", "machdep.cpu.extfeatures")]
    words = " ".join(t or "" for t in texts).split()
    source = "sysctl machdep.cpu.*"
    if "AVX512F" in words and sysctl.integer("hw.optional.avx512f") != 1:
        # machdep lists what the CPU has even when the kernel leaves AVX-512 state off;
        # hw.optional.avx512f says whether it is usable (uv drops the AVX512 flags otherwise).
        words = [w for w in words if not w.startswith("AVX512")]
        source += " (AVX-512 not enabled: hw.optional.avx512f)"
    if not words:
        return None, "sysctl machdep.cpu.features is not available"
    return flags_from_macos(" ".join(words)), source


#: What ``detect`` says on Windows (why: docs/machine-side.md, "x86-64 on Windows").
WINDOWS_CAVEAT = (
    f"{UV} reads this CPU's level with CPUID on Windows; varwheel does not (IsProcessorFeaturePresent does not "
    "report POPCNT, LAHF, BMI1, F16C, FMA, LZCNT, MOVBE or AVX-512 BW/CD/DQ/VL), so it reports the baseline v1 "
    "and uv may choose a higher level: state this CPU's level with --assume x86_64::level::vN"
)


def detect(env: Optional[Mapping[str, str]] = None, *, machine: Optional[str] = None,
           cpuinfo_path: str = "/proc/cpuinfo", platform: Optional[str] = None,
           sysctl: "Optional[SysctlReader]" = None) -> NamespaceSupport:
    """Levels (best first) as uv 0.13.9 answers them and, as ``extra``, the ISA flags of this machine.

    ``cpuinfo_path`` other than ``/proc/cpuinfo`` reads a recorded file on any
    platform; ``platform`` (default ``sys.platform``) and ``sysctl`` (default:
    this system's) select and feed the macOS and Windows paths.
    """
    from varwheel.machine.providers import LIVE_SYSCTL

    machine = (machine if machine is not None else _machine()).lower()
    platform = platform if platform is not None else sys.platform
    if machine not in _X86_64_MACHINES:
        return NamespaceSupport(NAMESPACE, [], source="uname",
                                note=f"not an x86-64 machine ({machine or 'unknown'})")
    if platform == "win32" and cpuinfo_path == "/proc/cpuinfo":
        return NamespaceSupport(NAMESPACE, [FeatureSupport("level", ("v1",))], source="baseline",
                                note="no flag source on Windows; assuming the x86-64 baseline (v1) only",
                                caveats=[WINDOWS_CAVEAT])
    if platform == "darwin" and cpuinfo_path == "/proc/cpuinfo":
        flags, source = _read_macos_flags(sysctl if sysctl is not None else LIVE_SYSCTL)
    elif platform.startswith("linux") or cpuinfo_path != "/proc/cpuinfo":
        flags, source = _read_linux_flags(cpuinfo_path)
    else:
        flags, source = None, f"no flag source on {platform}"
    if flags is None:
        # uv's default when its probe finds no flags (CPUs below v2 are 10 to 15 years old).
        return NamespaceSupport(
            NAMESPACE, [FeatureSupport("level", tuple(supported_levels("v2")))], source="uv default",
            note=f"{source}; {UV} assumes x86-64-v2 then, and so does varwheel",
            caveats=[f"{UV} assumes x86-64-v2 when it finds no CPU flags ({source}); a v2 variant it picks may not "
                     "run on an older CPU"],
        )
    level = level_from_flags(flags)
    extra = [FeatureSupport(flag, ("on",)) for flag in sorted(flags & ISA_FLAGS)]
    return NamespaceSupport(
        NAMESPACE, [FeatureSupport("level", tuple(supported_levels(level)))], extra=extra,
        source=source, note=f"x86-64-{level} ({len(extra)} ISA extensions)",
    )
