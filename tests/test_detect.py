"""``varwheel detect`` and the built-in providers (x86_64, aarch64, nvidia; tpu: tests/test_tpu.py).

The value lists are checked against uv 0.13.9 itself: for each forced
driver/compute capability, every probed property is compatible for uv exactly
when varwheel's detection lists it.  The NVML and libcuda paths run for real
through ctypes against small compiled stand-ins for the driver libraries
(this machine has no GPU).

CPUs: real machines' records (tests/data/cpus/, from archspec) are classified
by varwheel's parsers and compared with answers written here as data, derived
from uv 0.13.9's rules CPU by CPU.  uv itself classifies the same records
through a stand-in interpreter (:func:`fake_cpu_python`): uv asks the
interpreter for its architecture and CPU information, and the stand-in (the
real interpreter, whose answer is patched) reports the recorded CPU instead of
this machine's, so uv's own Rust code ranks the variants for an Arm core or a
Mac this machine is not.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers_select import (
    AARCH64,
    FORCE_DRIVER,
    FORCE_SM,
    NVIDIA,
    X86,
    Family,
    ReleaseSpec,
    Wheel,
    build_family,
    clean_env,
    compile_fake_libcuda,
    compile_fake_nvml,
    uv_pick,
)
from varwheel.model.builtins import BUILTINS, builtin_for
from varwheel.machine.providers import SysctlReader, detect
from varwheel.machine.providers import aarch64, nvidia, x86_64
from varwheel.model.document import Provider

HAVE_CC = shutil.which("cc") is not None
CPUS = Path(__file__).parent / "data" / "cpus"


# -- x86_64 ---------------------------------------------------------------------------------
def _flags_up_to(level: str) -> set:
    out = set()
    for name in ("v1", "v2", "v3", "v4")[: ("v1", "v2", "v3", "v4").index(level) + 1]:
        out |= set(x86_64.LEVEL_FLAGS[name])
    return out


@pytest.mark.parametrize("level", ["v1", "v2", "v3", "v4"])
def test_x86_level_comes_from_flags_not_models(level):
    # A CPU no table knows: the psABI flags plus names nobody has heard of yet.
    flags = _flags_up_to(level) | {"avx10_2", "future_isa_x"}
    assert x86_64.level_from_flags(flags) == level
    assert x86_64.supported_levels(level)[0] == level and x86_64.supported_levels(level)[-1] == "v1"


def test_x86_one_missing_flag_drops_the_level():
    flags = _flags_up_to("v4") - {"movbe"}  # a v3 flag: v4's flags do not make up for it
    assert x86_64.level_from_flags(flags) == "v2"
    assert x86_64.level_from_flags(_flags_up_to("v4") - {"avx512vl"}) == "v3"
    assert x86_64.level_from_flags(set()) == "v1"  # running x86-64 code proves the baseline


def test_x86_v3_needs_no_xsave_and_v2_no_v1_flags():
    # uv 0.13.9 checks neither XSAVE (the psABI lists it for v3) nor any v1 flag.
    flags = (_flags_up_to("v3") - {"xsave"} - set(x86_64.LEVEL_FLAGS["v1"]))
    assert "xsave" not in flags and x86_64.level_from_flags(flags) == "v3"


def test_x86_detect_reads_the_first_processor_only(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    flags = " ".join(sorted(_flags_up_to("v3") | {"sha_ni", "hypervisor", "constant_tsc"}))
    cpuinfo.write_text(f"processor\t: 0\nvendor_id\t: NewVendor\nmodel name\t: CPU 9000\nflags\t\t: {flags}\n\n"
                       f"processor\t: 1\nflags\t\t: {flags} avx512f avx512bw avx512cd avx512dq avx512vl\n")
    support = x86_64.detect({}, machine="x86_64", cpuinfo_path=str(cpuinfo))
    assert [(f.name, f.values) for f in support.features] == [("level", ("v3", "v2", "v1"))]
    extra = {f.name for f in support.extra}
    assert {"sha_ni", "avx2", "fma"} <= extra and "hypervisor" not in extra and "constant_tsc" not in extra
    assert support.caveats == ()
    # A first block without flags is "no flags" for uv, whatever later blocks say.
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: CPU 9000\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    assert x86_64.detect({}, machine="x86_64", cpuinfo_path=str(cpuinfo)).values("level") == ("v2", "v1")


def test_x86_without_flags_assumes_v2_as_uv_does(tmp_path):
    support = x86_64.detect({}, machine="x86_64", cpuinfo_path=str(tmp_path / "missing"))
    assert support.values("level") == ("v2", "v1")
    assert "cannot read" in support.note
    assert len(support.caveats) == 1 and "assumes x86-64-v2" in support.caveats[0]
    other = x86_64.detect({}, machine="x86_64", platform="freebsd14")
    assert other.values("level") == ("v2", "v1") and "freebsd14" in other.caveats[0]
    assert x86_64.detect({}, machine="aarch64").features == []


def test_x86_on_windows_reports_v1_and_says_to_assume():
    support = x86_64.detect({}, machine="AMD64", platform="win32")
    assert support.values("level") == ("v1",)
    assert support.caveats == (x86_64.WINDOWS_CAVEAT,)
    assert "CPUID" in support.caveats[0] and "--assume x86_64::level::vN" in support.caveats[0]


def test_x86_macos_sysctl_names_are_translated():
    features = "FPU VME CX8 CMOV MMX FXSR SSE SSE2 SSE3 PCLMULQDQ SSSE3 FMA CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES XSAVE OSXSAVE AVX1.0 RDRAND F16C"
    leaf7 = "RDWRFSGS BMI1 AVX2 SMEP BMI2 ERMS INVPCID FPU_CSDS RDSEED ADX SMAP CLFSOPT"
    ext = "SYSCALL XD 1GBPAGE EM64T LAHF LZCNT PREFETCHW RDTSCP TSCI"
    flags = x86_64.flags_from_macos(features, leaf7, ext)
    assert x86_64.level_from_flags(flags) == "v3"
    assert x86_64.level_from_flags(x86_64.flags_from_macos(features, leaf7 + " AVX512F AVX512CD AVX512DQ AVX512BW AVX512VL", ext)) == "v4"
    assert x86_64.level_from_flags(x86_64.flags_from_macos(features, leaf7.replace("AVX2", "AVX2.0"), ext)) == "v3"


def test_x86_macos_avx512_counts_only_when_the_kernel_enables_it():
    dump = ("machdep.cpu.features: SSE3 SSSE3 FMA CX16 SSE4.1 SSE4.2 MOVBE POPCNT AVX1.0 F16C\n"
            "machdep.cpu.leaf7_features: BMI1 AVX2 BMI2 AVX512F AVX512CD AVX512DQ AVX512BW AVX512VL\n"
            "machdep.cpu.extfeatures: LAHF LZCNT\n")
    off = x86_64.detect({}, machine="x86_64", platform="darwin", sysctl=SysctlReader.from_dump(dump))
    on = x86_64.detect({}, machine="x86_64", platform="darwin",
                       sysctl=SysctlReader.from_dump(dump + "hw.optional.avx512f: 1\n"))
    assert off.values("level")[0] == "v3" and "avx512f" not in {f.name for f in off.extra}
    assert on.values("level")[0] == "v4"


def test_x86_detect_on_this_machine_matches_cpuinfo_and_uv(tmp_path, uv_bin):
    if x86_64._machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("not an x86-64 machine")
    with open("/proc/cpuinfo") as fh:
        expected = x86_64.level_from_flags(x86_64.flags_from_cpuinfo(fh))
    support = detect(["x86_64"])["x86_64"]
    assert support.values("level")[0] == expected
    # uv's own detection agrees: from v1..v4 it picks this machine's level.
    family = Family("levels", {"default-priorities": {"namespace": ["x86_64"]}, "providers": {"x86_64": X86}},
                    [ReleaseSpec("1.0", [Wheel(v, [f"x86_64 :: level :: {v}"]) for v in ("v1", "v2", "v3", "v4")])])
    directory = build_family(family, tmp_path / "fam")
    venv = _uv_venv(uv_bin, tmp_path)
    picked, _ = uv_pick(uv_bin, venv, directory, "pkg", {}, tmp_path / "cache")
    assert picked == f"pkg-1.0-py3-none-any-{expected}.whl"


# -- aarch64 ---------------------------------------------------------------------------------
NEOVERSE_N1 = "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs"
NEOVERSE_V2 = ("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma lrcpc dcpop "
               "sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit uscat ilrcpc flagm ssbs sb paca pacg dcpodp sve2 sveaes "
               "svepmull svebitperm svesha3 svesm4 flagm2 frint svei8mm svebf16 i8mm bf16 dgh rng bti")


def test_aarch64_version_from_hwcaps():
    assert aarch64.version_from_features(NEOVERSE_N1.split()) == "8.2a"  # no jscvt/fcma/pac: not 8.3
    assert aarch64.version_from_features(["fp", "asimd"]) == "8a"
    assert aarch64.version_from_features(NEOVERSE_V2.split()) == aarch64.MAX_VERSION == "8.4a"
    assert aarch64.version_from_features(NEOVERSE_V2.split(), cap="9.0a") == "9.0a"
    assert aarch64.supported_versions("8.2a") == ["8.2a", "8.1a", "8a"]


def test_aarch64_unknown_core_is_8a_whatever_its_hwcaps(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nBogoMIPS\t: 2000.00\nFeatures\t: {NEOVERSE_V2}\nCPU implementer\t: 0x99\n"
                       "CPU part\t: 0xfff\n")  # a part number no table knows
    support = aarch64.detect({}, machine="aarch64", cpuinfo_path=str(cpuinfo))
    assert support.values("version") == ("8a",)
    assert support.caveats == (
        "uv 0.13.9 answers 8a for this CPU (core 0x99:0xfff unknown to it); its HWCAPs reach 8.4a",)
    assert "9.0a" in support.note and "sve2" in {f.name for f in support.extra}
    assert aarch64.detect({}, machine="x86_64").features == []


def test_aarch64_every_core_counts(tmp_path):
    # Azure Cobalt 100 (8.4a) beside a Neoverse N1 (8.2a): the least capable core wins.
    cobalt, n1 = "CPU implementer\t: 0x6d\nCPU part\t: 0xd49\n", "CPU implementer\t: 0x41\nCPU part\t: 0xd0c\n"
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nFeatures\t: {NEOVERSE_V2}\n{cobalt}\nprocessor\t: 1\nFeatures\t: {NEOVERSE_V2}\n{n1}")
    assert aarch64.cores_from_cpuinfo(cpuinfo.read_text()) == [("0x41", "0xd0c"), ("0x6d", "0xd49")]
    support = aarch64.detect({}, machine="aarch64", cpuinfo_path=str(cpuinfo))
    assert support.values("version")[0] == "8.2a"
    assert support.caveats == ("uv 0.13.9 answers 8.2a for this CPU (core 0x41:0xd0c (Arm Neoverse N1) capped at 8.2a "
                               "in its table); its HWCAPs reach 8.4a",)
    # The HWCAP word, when given, is what counts: no dot product, no 8.4a.
    word = aarch64.hwcap_from_names(NEOVERSE_V2.split()) & ~(1 << 20)
    assert aarch64.detect({}, machine="aarch64", cpuinfo_path=str(cpuinfo), hwcap=word).values("version")[0] == "8.2a"
    only_cobalt = tmp_path / "cobalt"
    only_cobalt.write_text(f"processor\t: 0\nFeatures\t: {NEOVERSE_V2}\n{cobalt}")
    assert aarch64.detect({}, machine="aarch64", cpuinfo_path=str(only_cobalt), hwcap=word).values("version")[0] == "8.3a"


@pytest.mark.parametrize("part,ok", [("0xd0c", True), ("0xD0C", True), ("0x0d0c", True), ("0x+d0c", True),
                                     ("d0c", False), ("0x", False), ("0xd0c ", False), ("0x10d0c", False)])
def test_aarch64_part_numbers_parse_as_uv_parses_them(part, ok):
    assert (aarch64.core_ceiling("0x41", part) == ("8.2a", "Arm Neoverse N1")) == ok


def test_aarch64_without_cores_is_8a(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"Features\t: {NEOVERSE_V2}\nCPU implementer\t: 0x41\nCPU part\t: 0xd4f\n")  # no 'processor'
    support = aarch64.detect({}, machine="aarch64", cpuinfo_path=str(cpuinfo))
    assert support.values("version") == ("8a",) and "no CPU cores" in support.caveats[0]
    missing = aarch64.detect({}, machine="aarch64", cpuinfo_path=str(tmp_path / "missing"))
    assert missing.values("version") == ("8a",) and "cannot read" in missing.note


def test_aarch64_apple_chip_names():
    assert [aarch64.apple_chip_version(b) for b in ("Apple M1", "Apple M4 Max", "Apple M5\tPro", "Apple  M2",
                                                    "Apple processor", "Apple M6", "apple M1", "AppleM1", None)] == [
        "8.4a", "8.4a", "8.4a", "8.4a", "8a", "8a", "8a", "8a", "8a"]


def test_aarch64_macos_features():
    m1 = {k: 1 for k in ("FEAT_LSE", "FEAT_RDM", "FEAT_CRC32", "FEAT_DPB", "FEAT_JSCVT", "FEAT_FCMA", "FEAT_LRCPC",
                         "FEAT_PAuth", "FEAT_DIT", "FEAT_LSE2", "FEAT_LRCPC2", "FEAT_FlagM", "FEAT_FP16",
                         "FEAT_DotProd", "FEAT_FHM")}
    assert aarch64.version_from_features(aarch64.features_from_macos(m1)) == "8.4a"
    assert aarch64.version_from_features(aarch64.features_from_macos({"FEAT_LSE": 1})) == "8a"
    legacy = aarch64.features_from_macos({}, {"armv8_1_atomics": 1, "armv8_crc32": 1, "armv8_3_compnum": 1,
                                              "neon_fp16": 1, "armv8_2_fhm": 0})
    assert {"atomics", "crc32", "fcma", "fphp", "asimdhp"} <= legacy and "asimdfhm" not in legacy


def test_aarch64_macos_reads_legacy_keys_without_feat_keys():
    # macOS 11 has only hw.optional.armv8_*; macOS 12+ has hw.optional.arm.FEAT_* as well.
    legacy = SysctlReader.from_dump("machdep.cpu.brand_string: Apple M1\nhw.optional.armv8_1_atomics: 1\n"
                                    "hw.optional.armv8_crc32: 1\nhw.optional.neon: 1\n")
    support = aarch64.detect({}, machine="arm64", platform="darwin", sysctl=legacy)
    assert support.values("version")[0] == "8.4a"  # uv reads the chip name only
    assert "hw.optional.armv8_*" in support.source and {"atomics", "crc32"} <= {f.name for f in support.extra}
    assert support.caveats and "reach only 8a" in support.caveats[0]
    modern = SysctlReader.from_dump("machdep.cpu.brand_string: Apple processor\nhw.optional.arm.FEAT_LSE: 1\n"
                                    "hw.optional.arm.FEAT_RDM: 1\nhw.optional.arm.FEAT_CRC32: 1\n")
    support = aarch64.detect({}, machine="arm64", platform="darwin", sysctl=modern)
    assert support.values("version") == ("8a",) and "hw.optional.arm.FEAT_*" in support.source
    assert support.caveats == ("uv 0.13.9 answers 8a for this CPU (chip name 'Apple processor' unknown to it); its "
                               "sysctl features reach 8.1a",)
    bare = aarch64.detect({}, machine="arm64", platform="darwin", sysctl=SysctlReader({}))
    assert bare.values("version") == ("8a",) and "no machdep.cpu.brand_string" in bare.note


def test_getauxval_reads_this_process_auxiliary_vector():
    if not sys.platform.startswith("linux"):
        pytest.skip("getauxval and /proc/self/auxv are Linux's")
    import struct

    raw = Path("/proc/self/auxv").read_bytes()
    width = struct.calcsize("L")
    auxv = dict(struct.iter_unpack("2L", raw[: len(raw) // (2 * width) * 2 * width]))
    assert aarch64._getauxval(6) == auxv[6]  # AT_PAGESZ: the same function, an entry glibc passes on unchanged
    if aarch64._machine() == "aarch64":
        # x86 glibc answers AT_HWCAP with bits of its own; arm64 glibc passes the kernel's word on.
        assert aarch64._getauxval() == auxv[16]


# -- recorded CPUs (tests/data/cpus, from archspec 0.2.7) -----------------------------------------
#: AT_HWCAP bit numbers from Linux's arch/arm64/include/uapi/asm/hwcap.h (v6.16), by cpuinfo name.
KERNEL_HWCAP = {name: bit for bit, name in enumerate(
    "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma lrcpc dcpop sha3 sm3 "
    "sm4 asimddp sha512 sve asimdfhm dit uscat ilrcpc flagm ssbs sb paca pacg".split())}

#: (record, its cores as uv's probe lists them, uv 0.13.9's version, why by uv's rules, caveat or None).
#: uv's rules: the lowest ceiling of the cores in its table (a core it does not know: 8a), then the HWCAPs:
#: 8.1a fp asimd crc32 atomics asimdrdm; 8.2a dcpop; 8.3a jscvt fcma lrcpc paca pacg; 8.4a fphp asimdhp
#: asimddp asimdfhm dit uscat ilrcpc flagm.
RECORDED_ARM_LINUX = [
    ("linux-amazon-cortex_a72", [("0x41", "0xd08")], "8a", "Cortex-A72 is not in uv's table (and has no atomics)", None),
    ("linux-amazon-neoverse_n1", [("0x41", "0xd0c")], "8.2a", "N1's ceiling is 8.2a; dcpop is there", None),
    ("linux-amazon-neoverse_v1", [("0x41", "0xd40")], "8.4a", "V1's ceiling is 8.4a; every bit is there", None),
    ("linux-rhel8-neoverse_v1", [("0x41", "0xd40")], "8.2a", "no paca/pacg: 8.3a fails", None),
    ("linux-ubuntu22.04-neoverse_v2", [("0x41", "0xd4f")], "8.4a", "V2's ceiling is 8.4a; every bit is there", None),
    ("linux-rhel9-neoverse_v2", [("0x41", "0xd4f")], "8.2a", "no paca/pacg: 8.3a fails", None),
    ("linux-ubuntu22.04-neoverse_n2", [("0x41", "0xd49")], "8.3a", "no dit: 8.4a fails", None),
    ("linux-ubuntu24.04-neoverse_v3ae", [("0x41", "0xd83")], "8.4a", "V3AE's ceiling is 8.4a", None),
    ("linux-ubuntu22.04-ampere1", [("0xc0", "0xac3")], "8.4a", "AmpereOne's ceiling is 8.4a", None),
    ("linux-ubuntu22.04-ampere1a", [("0xc0", "0xac4")], "8.4a", "AmpereOne A's ceiling is 8.4a", None),
    ("linux-rocky8-a64fx", [("0x46", "0x001")], "8.2a", "A64FX's ceiling is 8.2a; dcpop is there", None),
    ("linux-centos7-thunderx2", [("0x43", "0x0af")], "8.1a", "ThunderX2's ceiling is 8.1a", None),
    ("linux-asahi-m1", [("0x61", "0x022")], "8.4a", "part 0x022 is in uv's M1 range 0x020-0x025", None),
    ("linux-asahi-m2", [("0x61", "0x032")], "8.4a", "part 0x032 is in uv's M2 range 0x030-0x035", None),
    ("linux-ubuntu26.04-olympus", [("0x4e", "0x010")], "8a", "NVIDIA Olympus is not in uv's table",
     "uv 0.13.9 answers 8a for this CPU (core 0x4e:0x010 unknown to it); its HWCAPs reach 8.4a"),
]
#: (record, machdep.cpu.brand_string, uv 0.13.9's version, caveat fragment or None).  uv: "Apple M1".."Apple M5"
#: (first word after "Apple ") is 8.4a, anything else 8a; the features do not count.
RECORDED_ARM_MACOS = [
    ("darwin-bigsur-m1", "Apple processor", "8a", None),  # legacy keys only, and no RDM among them: 8a too
    ("darwin-monterey-m1", "Apple M1 Pro", "8.4a", "reach only 8.3a"),  # this record has no FEAT_DIT key
    ("darwin-monterey-m2", "Apple M2", "8.4a", "reach only 8.3a"),
    ("darwin-sequoia-m3", "Apple M3 Max", "8.4a", None),
    ("darwin-sequoia-m4", "Apple M4 Max", "8.4a", None),
]
#: (record, uv 0.13.9's level, the flag that stops the next level).  uv: v2 cx16 lahf_lm popcnt sse3 ssse3
#: sse4_1 sse4_2; v3 avx avx2 bmi1 bmi2 f16c fma lzcnt movbe; v4 avx512f/bw/cd/dq/vl (pni=sse3, abm=lzcnt).
RECORDED_X86 = [
    ("linux-scientific7-k10", "v1", "no ssse3, sse4_1, sse4_2"),
    ("linux-rhel7-ivybridge", "v2", "no avx2"),
    ("linux-scientific7-piledriver", "v2", "no avx2, bmi2, movbe"),
    ("darwin-mojave-ivybridge", "v2", "no AVX2 in leaf7_features"),
    ("linux-rhel7-haswell", "v3", "no avx512f"),
    ("linux-ubuntu20.04-zen3", "v3", "no avx512f"),
    ("linux-ubuntu24.04-alderlake", "v3", "no avx512f"),
    ("darwin-mojave-haswell", "v3", "no AVX512F"),
    ("linux-rhel7-skylake_avx512", "v4", "all five AVX-512 flags"),
    ("linux-rocky8.5-zen4", "v4", "all five AVX-512 flags"),
    ("linux-unknown-sapphirerapids", "v4", "all five AVX-512 flags"),
]


def _record(name: str) -> str:
    return (CPUS / name).read_text(encoding="utf-8")


def _first_flags(text: str) -> str:
    """The flags string uv's probe reports: the first processor's ``flags`` line."""
    for line in text.splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return value.strip()
    raise AssertionError("no flags line")


def _machdep_flags(text: str) -> str:
    values = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    return " ".join(values[k] for k in ("machdep.cpu.features", "machdep.cpu.leaf7_features", "machdep.cpu.extfeatures"))


def test_the_records_are_the_ones_the_readme_lists():
    listed = {n for n in (CPUS / "README.md").read_text().split("`") if n.startswith(("linux-", "darwin-"))}
    listed |= {"linux-ubuntu22.04-ampere1a"}  # written "`linux-ubuntu22.04-ampere1`, `-ampere1a`"
    files = {p.name for p in CPUS.iterdir() if p.name.startswith(("linux-", "darwin-"))}
    used = {r[0] for r in RECORDED_ARM_LINUX} | {r[0] for r in RECORDED_ARM_MACOS} | {r[0] for r in RECORDED_X86}
    assert files == used and {n for n in listed if not n.startswith("-")} >= files


@pytest.mark.parametrize("name,cores,version,why,caveat", RECORDED_ARM_LINUX, ids=[r[0] for r in RECORDED_ARM_LINUX])
def test_recorded_arm_linux_cpus(name, cores, version, why, caveat):
    assert aarch64.cores_from_cpuinfo(_record(name)) == cores
    support = aarch64.detect({}, machine="aarch64", cpuinfo_path=str(CPUS / name))
    assert support.values("version") == tuple(aarch64.supported_versions(version)), why
    assert support.caveats == ((caveat,) if caveat else ())
    features = aarch64.features_from_cpuinfo(_record(name))
    assert aarch64.hwcap_from_names(features) == sum(1 << bit for n, bit in KERNEL_HWCAP.items() if n in features)


@pytest.mark.parametrize("name,brand,version,caveat", RECORDED_ARM_MACOS, ids=[r[0] for r in RECORDED_ARM_MACOS])
def test_recorded_apple_silicon(name, brand, version, caveat):
    sysctl = SysctlReader.from_dump(_record(name))
    assert sysctl.string("machdep.cpu.brand_string") == brand
    support = aarch64.detect({}, machine="arm64", platform="darwin", sysctl=sysctl)
    assert support.values("version") == tuple(aarch64.supported_versions(version))
    assert (caveat is None and support.caveats == ()) or (caveat is not None and caveat in support.caveats[0])
    legacy_only = "hw.optional.arm.FEAT_" not in _record(name)
    assert ("hw.optional.armv8_*" in support.source) == legacy_only
    assert "atomics" in {f.name for f in support.extra}  # FEAT_LSE or, on macOS 11, armv8_1_atomics


@pytest.mark.parametrize("name,level,why", RECORDED_X86, ids=[r[0] for r in RECORDED_X86])
def test_recorded_x86_cpus(name, level, why):
    if name.startswith("darwin-"):
        support = x86_64.detect({}, machine="x86_64", platform="darwin",
                                sysctl=SysctlReader.from_dump(_record(name)))
    else:
        support = x86_64.detect({}, machine="x86_64", cpuinfo_path=str(CPUS / name))
    assert support.values("level") == tuple(x86_64.supported_levels(level)), why
    assert support.caveats == ()


# -- uv itself on the recorded CPUs, through a stand-in interpreter ---------------------------------
_PATCH_PROBE = """\
import json, os, sys
data = json.loads(sys.stdin.read())
if data.get("result") == "success":
    data.update(json.loads(os.environ["VARWHEEL_TEST_FAKE_CPU"]))
sys.stdout.write(json.dumps(data))
"""
FAKE_CPU = "VARWHEEL_TEST_FAKE_CPU"
ARM_LABELS = {"8a": "a80", "8.1a": "a81", "8.2a": "a82", "8.3a": "a83", "8.4a": "a84"}


@pytest.fixture(scope="module")
def fake_cpu_python(tmp_path_factory, uv_bin) -> str:
    """An interpreter that runs this one but tells uv it has the CPU in ``$VARWHEEL_TEST_FAKE_CPU``.

    uv learns the architecture and CPU of an interpreter by running its probe
    script there and reading one JSON answer; this wrapper replaces the
    ``arch`` and ``cpu_info`` keys of that answer (uv does not cache it: the
    wrapper is not the interpreter's ``sys.executable``).
    """
    import subprocess

    if os.name != "posix" or shutil.which("bash") is None:
        pytest.skip("the stand-in interpreter is a bash script")
    root = tmp_path_factory.mktemp("fake-cpu")
    venv = root / "venv"
    proc = subprocess.run([uv_bin, "venv", "-q", "--python", sys.executable, str(venv)], capture_output=True,
                          text=True, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    (root / "patch.py").write_text(_PATCH_PROBE)
    wrapper = root / "python"
    wrapper.write_text(f'#!/bin/bash\nout=$("{venv}/bin/python" "$@") || exit $?\n'
                       f'printf "%s" "$out" | "{venv}/bin/python" "{root}/patch.py"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


@pytest.fixture(scope="module")
def level_families(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("level-families")
    arm = Family("arm", {"default-priorities": {"namespace": ["aarch64"]}, "providers": {"aarch64": AARCH64}},
                 [ReleaseSpec("1.0", [Wheel(label, [f"aarch64 :: version :: {v}"]) for v, label in ARM_LABELS.items()]
                              + [Wheel("null")])])
    x86 = Family("x86", {"default-priorities": {"namespace": ["x86_64"]}, "providers": {"x86_64": X86}},
                 [ReleaseSpec("1.0", [Wheel(v, [f"x86_64 :: level :: {v}"]) for v in ("v1", "v2", "v3", "v4")]
                              + [Wheel("null")])])
    return {"aarch64": build_family(arm, root / "arm"), "x86_64": build_family(x86, root / "x86")}


def _uv_answer(uv_bin, python, families, tmp_path, arch: str, cpu_info: dict) -> str:
    fake = json.dumps({"arch": arch, "cpu_info": cpu_info})
    picked, log = uv_pick(uv_bin, python, families[arch], "pkg", {FAKE_CPU: fake}, tmp_path / "cache")
    assert picked is not None, log
    label = picked[len("pkg-1.0-py3-none-any-"):-len(".whl")]
    return {v: k for k, v in ARM_LABELS.items()}.get(label, label)


def _linux_arm(cores, hwcap: int) -> dict:
    return {"detected": {"kind": "linux_aarch64", "cores": [list(c) for c in cores], "hwcaps": [hwcap, 0, 0, 0]}}


@pytest.mark.parametrize("name,cores,version,why,caveat", RECORDED_ARM_LINUX, ids=[r[0] for r in RECORDED_ARM_LINUX])
def test_uv_classifies_recorded_arm_linux_cpus_the_same(name, cores, version, why, caveat, uv_bin, fake_cpu_python,
                                                        level_families, tmp_path):
    features = aarch64.features_from_cpuinfo(_record(name))
    hwcap = sum(1 << bit for n, bit in KERNEL_HWCAP.items() if n in features)
    assert _uv_answer(uv_bin, fake_cpu_python, level_families, tmp_path, "aarch64", _linux_arm(cores, hwcap)) == version


@pytest.mark.parametrize("name,brand,version,caveat", RECORDED_ARM_MACOS, ids=[r[0] for r in RECORDED_ARM_MACOS])
def test_uv_classifies_recorded_apple_silicon_the_same(name, brand, version, caveat, uv_bin, fake_cpu_python,
                                                       level_families, tmp_path):
    info = {"detected": {"kind": "apple_silicon", "brand": brand}}
    assert _uv_answer(uv_bin, fake_cpu_python, level_families, tmp_path, "aarch64", info) == version


@pytest.mark.parametrize("name,level,why", RECORDED_X86, ids=[r[0] for r in RECORDED_X86])
def test_uv_classifies_recorded_x86_cpus_the_same(name, level, why, uv_bin, fake_cpu_python, level_families, tmp_path):
    text = _record(name)
    flags = _machdep_flags(text) if name.startswith("darwin-") else _first_flags(text)
    info = {"detected": {"kind": "flags", "flags": flags}}
    assert _uv_answer(uv_bin, fake_cpu_python, level_families, tmp_path, "x86_64", info) == level


def test_uv_agrees_on_the_edge_cases(uv_bin, fake_cpu_python, level_families, tmp_path):
    """Each case: what uv answers for a CPU, and what varwheel's detection answers for the same input."""
    v2_v3 = " ".join(sorted((_flags_up_to("v3") - {"xsave"}) | {"pni", "abm"}))
    n1, cobalt, unknown = ("0x41", "0xd0c"), ("0x6d", "0xd49"), ("0x99", "0xfff")
    everything = aarch64.hwcap_from_names(NEOVERSE_V2.split())
    no_dotprod = everything & ~(1 << KERNEL_HWCAP["asimddp"])
    cases = [
        ("x86_64", {"detected": {"kind": "flags", "flags": v2_v3}}, "v3",
         x86_64.level_from_flags(v2_v3.split())),
        ("x86_64", {"unavailable": "no /proc/cpuinfo"}, "v2",
         x86_64.detect({}, machine="x86_64", cpuinfo_path=str(tmp_path / "missing")).values("level")[0]),
        ("aarch64", {"unavailable": "no /proc/cpuinfo"}, "8a",
         aarch64.detect({}, machine="aarch64", cpuinfo_path=str(tmp_path / "missing")).values("version")[0]),
        ("aarch64", _linux_arm([cobalt, n1], everything), "8.2a", aarch64.linux_version([cobalt, n1], everything)),
        ("aarch64", _linux_arm([cobalt], no_dotprod), "8.3a", aarch64.linux_version([cobalt], no_dotprod)),
        ("aarch64", _linux_arm([unknown], everything), "8a", aarch64.linux_version([unknown], everything)),
        ("aarch64", _linux_arm([("0xc0", "0xac3")], (1 << 32) - 1), "8.4a",
         aarch64.linux_version([("0xc0", "0xac3")], (1 << 32) - 1)),
    ]
    for arch, info, expected, ours in cases:
        assert (_uv_answer(uv_bin, fake_cpu_python, level_families, tmp_path, arch, info), ours) == (expected, expected), info


# -- nvidia: the lists ---------------------------------------------------------------------------
def test_nvidia_value_lists():
    low = nvidia.lower_bound_values((12, 8))
    assert low[:3] == ["12.8", "12.7", "12.6"] and low[8:11] == ["12.0", "12", "11.20"] and low[-1] == "11"
    assert "12.9" not in low and "13" not in low
    high = nvidia.upper_bound_values((12, 8))
    assert high[0] == "15.20" and high[-1] == "12.9" and "12" not in high and "12.8" not in high and "13" in high
    assert nvidia.sm_arch_values((8, 9)) == [f"8{i}_real" for i in range(9, -1, -1)] + ["80_virtual"]
    assert nvidia.sm_arch_values((12, 0)) == ["120_real", "120_virtual"]
    assert nvidia.sm_arch_values((4, 9)) == []
    assert nvidia.lower_bound_values((10, 2)) == [] and nvidia.upper_bound_values((16, 0)) == []
    assert [f.name for f in nvidia.nvidia_features((12, 8), (9, 0))] == [
        "cuda_version_lower_bound", "cuda_version_upper_bound", "sm_arch"]


@pytest.mark.parametrize("text,expected", [("12.8", (12, 8)), (" 12.8", (12, 8)), ("v12.8", (12, 8)), ("12", (12, 0)),
                                           ("12.8.1", (12, 8)), ("1!12.8", (12, 8)), ("12.08", (12, 8)), ("12.5a", (12, 5))])
def test_driver_versions_parse_as_pep440(text, expected):
    assert nvidia.parse_driver_version(text) == expected


@pytest.mark.parametrize("text", ["abc", "+12.8", "12.8\\t", "twelve"])
def test_bad_driver_versions(text):
    with pytest.raises(ValueError):
        nvidia.parse_driver_version(text)


@pytest.mark.parametrize("text,expected", [("9.0", (9, 0)), (" 9.0", (9, 0)), ("9. 0", (9, 0)), ("+9.0", (9, 0)),
                                           ("09.0", (9, 0)), ("12.10", (12, 10))])
def test_sm_arch_parse(text, expected):
    assert nvidia.parse_sm_arch(text) == expected


@pytest.mark.parametrize("text", ["9", "9.0.1", "-9.0", "9.a", "abc", "."])
def test_bad_sm_arch(text):
    with pytest.raises(ValueError):
        nvidia.parse_sm_arch(text)


def _uv_venv(uv_bin, tmp_path) -> str:
    import subprocess

    venv = tmp_path / "venv"
    if not venv.exists():
        proc = subprocess.run([uv_bin, "venv", "-q", "--python", sys.executable, str(venv)], capture_output=True,
                              text=True, env=clean_env())
        assert proc.returncode == 0, proc.stderr
    return str(venv / "bin" / "python")


PROBES = (["nvidia :: cuda_version_lower_bound :: " + v for v in ("11", "12", "12.0", "12.8", "12.9", "12.25", "13", "15.21", "16")]
          + ["nvidia :: cuda_version_upper_bound :: " + v for v in ("12", "12.9", "12.20", "12.21", "13", "15.20", "16")]
          + ["nvidia :: sm_arch :: " + v for v in ("50_real", "80_real", "80_virtual", "86_real", "89_real", "89_virtual",
                                                  "90_real", "90_virtual", "120_real", "121_real", "1210_real", "120_virtual")])


@pytest.mark.parametrize("driver,cap", [("12.8", "8.9"), ("12.25", "12.10"), ("16.0", "4.0"), ("10.2", "9.0"),
                                        ("abc", "9.0"), ("12.8", "9"), ("12.8", None), (None, "9.0"), ("", "9.0")])
def test_nvidia_lists_match_uv(driver, cap, tmp_path, uv_bin):
    """Each probe is compatible for uv exactly when varwheel's detection lists it."""
    env = {}
    if driver is not None:
        env[FORCE_DRIVER] = driver
    if cap is not None:
        env[FORCE_SM] = cap
    support = nvidia.detect(clean_env(env))
    ours = set(support.properties())
    venv = _uv_venv(uv_bin, tmp_path)
    mismatches = []
    for i, prop in enumerate(PROBES):
        family = Family(f"p{i}", {"default-priorities": {"namespace": ["nvidia"]}, "providers": {"nvidia": NVIDIA}},
                        [ReleaseSpec("1.0", [Wheel("aaa", [prop]), Wheel("null")])])
        directory = build_family(family, tmp_path / f"p{i}")
        picked, _ = uv_pick(uv_bin, venv, directory, "pkg", env, tmp_path / "cache")
        uv_ok = picked == "pkg-1.0-py3-none-any-aaa.whl"
        if uv_ok != (prop in ours):
            mismatches.append(f"{prop}: uv {'accepts' if uv_ok else 'rejects'}, varwheel {'lists' if prop in ours else 'omits'} it")
    assert not mismatches, mismatches


# -- nvidia: the CLI, forced values and driver libraries ---------------------------------------
def _detect_json(run_varwheel, env) -> dict:
    proc = run_varwheel("detect", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)["namespaces"]["nvidia"]


def _no_force(extra=None) -> dict:
    env = {FORCE_DRIVER: "", FORCE_SM: ""}
    env.update(extra or {})
    return env


def test_forced_values_are_honoured(run_varwheel):
    ns = _detect_json(run_varwheel, {FORCE_DRIVER: "13.0", FORCE_SM: "12.0"})
    assert ns["feature_order"] == ["cuda_version_lower_bound", "cuda_version_upper_bound", "sm_arch"]
    assert ns["features"]["sm_arch"] == ["120_real", "120_virtual"]
    assert ns["features"]["cuda_version_lower_bound"][0] == "13.0"


@pytest.mark.parametrize("env,why", [({FORCE_DRIVER: "abc", FORCE_SM: "9.0"}, "is not a version"),
                                     ({FORCE_DRIVER: "12.8", FORCE_SM: "9"}, "is not 'major.minor'")])
def test_malformed_forced_values_disable_the_provider(run_varwheel, env, why):
    ns = _detect_json(run_varwheel, env)
    assert ns["features"] == {} and why in ns["note"]
    proc = run_varwheel("detect", "-v", env=env)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("nvidia")]
    assert len(lines) == 1 and why in lines[0]


def test_no_driver_means_no_nvidia_properties_and_one_line_why(run_varwheel, tmp_path):
    if nvidia.query_nvml().problem is None or nvidia.query_libcuda().problem is None:
        pytest.skip("this machine has a working NVIDIA driver")
    proc = run_varwheel("detect", "-v", env=_no_force())
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    lines = [l for l in proc.stdout.splitlines() if l.startswith("nvidia")]
    assert lines == [lines[0]] and lines[0].startswith("nvidia: nothing supported: no NVIDIA GPU:")
    assert "libnvidia-ml.so.1" in lines[0] and "libcuda.so.1" in lines[0]
    quiet = run_varwheel("detect", env=_no_force())
    assert "nvidia: nothing supported\n" in quiet.stdout


needs_cc = pytest.mark.skipif(not HAVE_CC or not sys.platform.startswith("linux"),
                              reason="fake driver libraries are built with cc and loaded by dlopen on Linux")


def _with_libs(directory: Path, extra=None) -> dict:
    env = _no_force(extra)
    env["LD_LIBRARY_PATH"] = str(directory) + os.pathsep + os.environ.get("LD_LIBRARY_PATH", "")
    return env


@needs_cc
def test_nvml_reports_driver_and_highest_capability(run_varwheel, tmp_path):
    compile_fake_nvml(tmp_path, driver=12080, caps=[(8, 6), (9, 0), (7, 5)])
    ns = _detect_json(run_varwheel, _with_libs(tmp_path))
    assert ns["features"]["cuda_version_lower_bound"][0] == "12.8"
    assert ns["features"]["sm_arch"] == ["90_real", "90_virtual"]
    assert "libnvidia-ml.so.1" in ns["source"]


@needs_cc
def test_libcuda_is_the_fallback(run_varwheel, tmp_path):
    compile_fake_libcuda(tmp_path, driver=13000, caps=[(12, 0)])
    ns = _detect_json(run_varwheel, _with_libs(tmp_path))
    assert ns["features"]["cuda_version_lower_bound"][0] == "13.0"
    assert ns["features"]["sm_arch"] == ["120_real", "120_virtual"]
    assert "libcuda.so.1" in ns["source"]


@needs_cc
@pytest.mark.parametrize("setup,why", [
    (lambda d: compile_fake_nvml(d, fail_init=True), "nvmlInit failed with 9: Driver Not Loaded"),
    (lambda d: compile_fake_nvml(d, caps=()), "no GPU found"),
    (lambda d: (compile_fake_nvml(d, caps=()), compile_fake_libcuda(d, caps=())), "no visible GPU (0 device(s))"),
    (lambda d: compile_fake_libcuda(d, init_result=100), "cuInit failed with 100: no CUDA-capable device"),
    (lambda d: compile_fake_nvml(d, driver=10020), "outside the supported range 11.0 to 15.20"),
    (lambda d: (d / "libnvidia-ml.so.1").write_bytes(b"\x7fELF not really"), "libnvidia-ml.so.1"),
    (lambda d: compile_fake_libcuda.__globals__["_compile"](d, "libcuda.so.1", "int unrelated(void) { return 0; }"),
     "missing entry point"),
])
def test_broken_drivers_give_no_properties_and_say_why(run_varwheel, tmp_path, setup, why):
    setup(tmp_path)
    ns = _detect_json(run_varwheel, _with_libs(tmp_path))
    assert ns["features"] == {}
    assert why in ns["note"], ns["note"]


@needs_cc
def test_zero_visible_devices(run_varwheel, tmp_path):
    compile_fake_nvml(tmp_path)
    ns = _detect_json(run_varwheel, _with_libs(tmp_path, {"CUDA_VISIBLE_DEVICES": ""}))
    assert ns["features"] == {} and "zero visible devices" in ns["note"]


@needs_cc
def test_forced_driver_with_a_real_gpu_capability(run_varwheel, tmp_path):
    compile_fake_nvml(tmp_path, driver=12040, caps=[(8, 9)])
    ns = _detect_json(run_varwheel, _with_libs(tmp_path, {FORCE_DRIVER: "12.9"}))
    assert ns["features"]["cuda_version_lower_bound"][0] == "12.9"  # forced
    assert ns["features"]["sm_arch"][0] == "89_real"  # from the GPU


# -- provider matching ------------------------------------------------------------------------
@pytest.mark.parametrize("entry,ok", [
    ({"requires": ["x86-64-variant-provider"]}, True),
    ({"requires": ["X86_64-Variant-Provider"]}, True),
    ({"requires": ["x86-64-variant-provider>=0.1,<1"]}, True),
    ({"requires": ["x86-64-variant-provider==0.0.1"]}, False),
    ({"requires": ["x86-64-variant-provider"], "plugin-api": "x86_64_variant_provider"}, True),
    ({"requires": ["x86-64-variant-provider"], "plugin-api": "provider_variant_x86_64.plugin:X8664Plugin"}, False),
    ({"requires": ["x86-64-variant-provider; sys_platform == 'linux'"]}, False),
    ({"requires": ["x86-64-variant-provider", "other"]}, False),
    ({"requires": ["x86-64-variant-provider"], "optional": True}, False),
    ({"requires": ["nvidia-variant-provider"], "plugin-api": NVIDIA["plugin-api"]}, False),  # wrong namespace
])
def test_builtin_matching_for_x86(entry, ok):
    builtin, reason = builtin_for("x86_64", Provider.from_json(entry, "test"))
    assert (builtin is BUILTINS["x86_64"]) == ok, reason
    assert bool(reason) != ok


def test_builtin_matching_for_nvidia():
    assert builtin_for("nvidia", Provider.from_json(NVIDIA, "t"))[0] is BUILTINS["nvidia"]
    assert builtin_for("nvidia", Provider.from_json({"requires": ["nvidia-variant-provider"]}, "t"))[0] is None
    assert builtin_for("nvidia", Provider.from_json(
        {"requires": ["nvidia-variant-provider>=0.0.2,<1"], "plugin-api": NVIDIA["plugin-api"]}, "t"))[0] is None
    _, reason = builtin_for("blas", Provider.from_json({"requires": ["blas-provider"]}, "t"))
    assert "plugin" in reason


def test_detect_json_shape(run_varwheel):
    proc = run_varwheel("detect", "--json", env=_no_force())
    data = json.loads(proc.stdout)
    assert set(data["namespaces"]) == {"x86_64", "aarch64", "nvidia", "tpu"}
    assert data["providers"]["nvidia"]["plugin-api"] == NVIDIA["plugin-api"]


def test_the_entries_varwheel_writes_are_the_ones_select_matches():
    # builtin_providers (what make-variant and the backend write) and providers.builtin_for
    # (how select and check decide what uv evaluates) must agree, namespace by namespace.
    from varwheel.model.builtins import BUILTIN_PROVIDERS

    assert set(BUILTIN_PROVIDERS) == set(BUILTINS)
    for namespace, entry in BUILTIN_PROVIDERS.items():
        assert builtin_for(namespace, entry) == (BUILTINS[namespace], "")


def test_detect_verbose_prints_caveats(run_varwheel, monkeypatch):
    # The CLI presents whatever the detectors answer: here, detection of a recorded Olympus core.
    import varwheel.machine.providers as providers

    olympus = aarch64.detect({}, machine="aarch64", cpuinfo_path=str(CPUS / "linux-ubuntu26.04-olympus"))
    windows = x86_64.detect({}, machine="AMD64", platform="win32")
    monkeypatch.setattr(providers, "detect", lambda namespaces=None, env=None: {"x86_64": windows, "aarch64": olympus})
    proc = run_varwheel("detect", "-v")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "aarch64 :: version :: 8a" in lines
    assert ("aarch64 caveat: uv 0.13.9 answers 8a for this CPU (core 0x4e:0x010 unknown to it); its HWCAPs reach 8.4a"
            in lines)
    assert f"x86_64 caveat: {x86_64.WINDOWS_CAVEAT}" in lines
    assert "caveat" not in run_varwheel("detect").stdout  # only with -v
    data = json.loads(run_varwheel("detect", "--json").stdout)
    assert data["namespaces"]["aarch64"]["caveats"] == list(olympus.caveats)


def test_a_forced_driver_needing_over_1024_lower_bounds_disables_the_provider():
    """uv 0.13.9 bounds its memory so (tests/data/uv_scenarios.json: skip_excessive_nvidia_cuda_override)."""
    from varwheel.machine.providers import nvidia

    big = nvidia.detect({nvidia.FORCE_DRIVER: "12.1001", nvidia.FORCE_SM: "9.0"})  # 1002 + 1 + 21 + 1 values
    assert big.features == [] and "more than 1024" in (big.note or "")
    ok = nvidia.detect({nvidia.FORCE_DRIVER: "12.1000", nvidia.FORCE_SM: "9.0"})  # exactly 1024
    assert len(ok.values("cuda_version_lower_bound")) == 1024
