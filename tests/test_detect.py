"""``varwheel detect`` and the built-in providers (x86_64, aarch64, nvidia).

The value lists are checked against uv 0.13.9 itself: for each forced
driver/compute capability, every probed property is compatible for uv exactly
when varwheel's detection lists it.  The NVML and libcuda paths run for real
through ctypes against small compiled stand-ins for the driver libraries
(this machine has no GPU).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers_select import (
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
from varwheel.machine.providers import detect
from varwheel.machine.providers import aarch64, nvidia, x86_64
from varwheel.model.document import Provider

HAVE_CC = shutil.which("cc") is not None


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


def test_x86_detect_reads_a_cpuinfo_file(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    flags = " ".join(sorted(_flags_up_to("v3") | {"sha_ni", "hypervisor", "constant_tsc"}))
    cpuinfo.write_text(f"processor\t: 0\nvendor_id\t: NewVendor\nmodel name\t: CPU 9000\nflags\t\t: {flags}\n\n"
                       f"processor\t: 1\nflags\t\t: {flags}\n")
    support = x86_64.detect({}, machine="x86_64", cpuinfo_path=str(cpuinfo))
    assert [(f.name, f.values) for f in support.features] == [("level", ("v3", "v2", "v1"))]
    extra = {f.name for f in support.extra}
    assert {"sha_ni", "avx2", "fma"} <= extra and "hypervisor" not in extra and "constant_tsc" not in extra


def test_x86_detect_without_cpuinfo_falls_back_to_the_baseline(tmp_path):
    support = x86_64.detect({}, machine="x86_64", cpuinfo_path=str(tmp_path / "missing"))
    assert support.values("level") == ("v1",)
    assert "cannot read" in support.note
    assert x86_64.detect({}, machine="aarch64").features == []


def test_x86_macos_sysctl_names_are_translated():
    features = "FPU VME CX8 CMOV MMX FXSR SSE SSE2 SSE3 PCLMULQDQ SSSE3 FMA CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES XSAVE OSXSAVE AVX1.0 RDRAND F16C"
    leaf7 = "RDWRFSGS BMI1 AVX2 SMEP BMI2 ERMS INVPCID FPU_CSDS RDSEED ADX SMAP CLFSOPT"
    ext = "SYSCALL XD 1GBPAGE EM64T LAHF LZCNT PREFETCHW RDTSCP TSCI"
    flags = x86_64.flags_from_macos(features, leaf7, ext)
    assert x86_64.level_from_flags(flags) == "v3"
    assert x86_64.level_from_flags(x86_64.flags_from_macos(features, leaf7 + " AVX512F AVX512CD AVX512DQ AVX512BW AVX512VL", ext)) == "v4"


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


def test_aarch64_detect_reads_features_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nBogoMIPS\t: 2000.00\nFeatures\t: {NEOVERSE_V2}\nCPU implementer\t: 0x99\n"
                       "CPU part\t: 0xfff\n")  # a part number no table knows
    support = aarch64.detect({}, machine="aarch64", cpuinfo_path=str(cpuinfo))
    assert support.values("version") == ("8.4a", "8.3a", "8.2a", "8.1a", "8a")
    assert "9.0a" in support.note and "sve2" in {f.name for f in support.extra}
    assert aarch64.detect({}, machine="x86_64").features == []


def test_aarch64_macos_features():
    m1 = {k: 1 for k in ("FEAT_LSE", "FEAT_RDM", "FEAT_CRC32", "FEAT_DPB", "FEAT_JSCVT", "FEAT_FCMA", "FEAT_LRCPC",
                         "FEAT_PAuth", "FEAT_DIT", "FEAT_LSE2", "FEAT_LRCPC2", "FEAT_FlagM")}
    assert aarch64.version_from_features(aarch64.features_from_macos(m1)) == "8.4a"
    assert aarch64.version_from_features(aarch64.features_from_macos({"FEAT_LSE": 1})) == "8a"


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
    assert set(data["namespaces"]) == {"x86_64", "aarch64", "nvidia"}
    assert data["providers"]["nvidia"]["plugin-api"] == NVIDIA["plugin-api"]


def test_the_entries_varwheel_writes_are_the_ones_select_matches():
    # builtin_providers (what make-variant and the backend write) and providers.builtin_for
    # (how select and check decide what uv evaluates) must agree, namespace by namespace.
    from varwheel.model.builtins import BUILTIN_PROVIDERS

    assert set(BUILTIN_PROVIDERS) == set(BUILTINS)
    for namespace, entry in BUILTIN_PROVIDERS.items():
        assert builtin_for(namespace, entry) == (BUILTINS[namespace], "")
