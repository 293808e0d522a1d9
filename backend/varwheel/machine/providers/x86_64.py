"""x86-64 detection: psABI level (v4..v1) and ISA extensions, from the CPU's own flags.

The level is computed from feature flags, never from a CPU model table, so a
CPU released after this file was written is still classified correctly: it is
``vN`` when it has every flag that the x86-64 psABI requires for ``vN`` and all
lower levels.  Flags come from ``/proc/cpuinfo`` on Linux (the kernel's names,
which is also what the spec and compilers' docs quote) and from ``sysctl``
(``machdep.cpu.*``) on macOS, translated to the Linux names.

What installers evaluate: uv 0.13.9's built-in ``x86-64-variant-provider``
answers only the ``level`` feature (checked against uv: a variant listing
``x86_64 :: avx2 :: on`` is "unsupported" even on an AVX2 machine).  So
``level`` is the one feature :func:`detect` reports as supported; the ISA
flags are reported separately as ``extra`` (useful to a person, to
``--assume``, and to builds), so that ``varwheel select`` agrees with uv.

Example::

    >>> level_from_flags({"avx2", "avx", "bmi1"})          # no v2 flags: v1
    'v1'
    >>> supported_levels("v3")
    ['v3', 'v2', 'v1']
"""

from __future__ import annotations

import sys

from varwheel.machine.providers import FeatureSupport, NamespaceSupport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Set, Tuple

__all__ = [
    "NAMESPACE",
    "LEVEL_FLAGS",
    "LEVELS",
    "ISA_FLAGS",
    "level_from_flags",
    "supported_levels",
    "flags_from_cpuinfo",
    "flags_from_macos",
    "detect",
]

NAMESPACE = "x86_64"

#: Flags each level adds, as Linux ``/proc/cpuinfo`` names them (spec section 8).
#: ``pni`` is SSE3, ``abm`` is LZCNT, ``lahf_lm`` is LAHF/SAHF in 64-bit mode.
LEVEL_FLAGS: Dict[str, Tuple[str, ...]] = {
    "v1": ("cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2"),
    "v2": ("cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"),
    "v3": ("avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"),
    "v4": ("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"),
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
    """
    have = set(flags)
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
    """The first ``flags`` line of ``/proc/cpuinfo`` as a set (empty if none)."""
    lines = text_or_lines.splitlines() if isinstance(text_or_lines, str) else text_or_lines
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            return set(value.split())
    return set()


#: macOS ``machdep.cpu.*`` names that differ from Linux's after lowercasing.
_MACOS_RENAMES: Mapping[str, str] = {
    "sse3": "pni",
    "sse4.1": "sse4_1",
    "sse4.2": "sse4_2",
    "avx1.0": "avx",
    "lahf": "lahf_lm",
    "lzcnt": "abm",
    "sha": "sha_ni",
    "supplementalsse3": "ssse3",
}


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
        return None, f"{path} has no 'flags' line"
    return flags, path


def _read_macos_flags() -> Tuple[Optional[Set[str]], str]:
    from varwheel.machine.providers import sysctl_string

    texts = [sysctl_string(k) for k in ("machdep.cpu.features", "machdep.cpu.leaf7_features", "machdep.cpu.extfeatures")]
    if not any(texts):
        return None, "sysctl machdep.cpu.features is not available"
    return flags_from_macos(*[t or "" for t in texts]), "sysctl machdep.cpu.*"


def detect(env: Optional[Mapping[str, str]] = None, *, machine: Optional[str] = None,
           cpuinfo_path: str = "/proc/cpuinfo") -> NamespaceSupport:
    """Levels (best first) and, as ``extra``, the ISA flags of this machine."""
    machine = (machine if machine is not None else _machine()).lower()
    if machine not in _X86_64_MACHINES:
        return NamespaceSupport(NAMESPACE, [], source="uname",
                                note=f"not an x86-64 machine ({machine or 'unknown'})")
    if sys.platform == "darwin" and cpuinfo_path == "/proc/cpuinfo":
        flags, source = _read_macos_flags()
    elif sys.platform.startswith("linux") or cpuinfo_path != "/proc/cpuinfo":
        flags, source = _read_linux_flags(cpuinfo_path)
    else:
        flags, source = None, f"no flag source on {sys.platform}"
    if flags is None:
        # Running 64-bit x86 code proves the baseline; say why nothing more is known.
        return NamespaceSupport(
            NAMESPACE, [FeatureSupport("level", ("v1",))], source="baseline",
            note=f"{source}; assuming the x86-64 baseline (v1) only",
        )
    level = level_from_flags(flags)
    extra = [FeatureSupport(flag, ("on",)) for flag in sorted(flags & ISA_FLAGS)]
    return NamespaceSupport(
        NAMESPACE, [FeatureSupport("level", tuple(supported_levels(level)))], extra=extra,
        source=source, note=f"x86-64-{level} ({len(extra)} ISA extensions)",
    )
