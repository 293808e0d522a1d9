"""Properties -> compiler input (flags.py), its transport per backend (transport.py),
project mappings, and the CUDA toolkit check (toolchain.py).

Where a claim is about a compiler, the real compiler decides: gcc must accept
every flag of the ISA table and define the macros a level promises; nvcc
reports the toolkit version.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from varwheel.errors import InvalidConfigSetting, InvalidInput, InvalidPyproject, ToolchainError
from varwheel.build.flags import X86_ISA_FLAGS, CudaArch, aarch64_march, derive_flags, parse_mapping_table
from varwheel.model.properties import Property, VariantDescription
from varwheel.build.toolchain import check_cuda_bounds, find_cuda_toolkit
from varwheel.build.transport import (
    cmake_cuda_architectures,
    meson_variant_option,
    nvcc_gencode,
    nvcc_host_flags,
    plan_transport,
    properties_value,
    torch_cuda_arch_list,
)


def desc(*props: str) -> VariantDescription:
    return VariantDescription.parse(props)


def gcc_macros(flags, compiler="gcc"):
    proc = subprocess.run([compiler, *flags, "-dM", "-E", "-x", "c", os.devnull], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return {line.split()[1] for line in proc.stdout.splitlines() if line.startswith("#define")}


# -- x86_64 ---------------------------------------------------------------------------
@pytest.mark.parametrize("level,march", [("v1", "x86-64"), ("v2", "x86-64-v2"), ("v3", "x86-64-v3"), ("v4", "x86-64-v4")])
def test_x86_level_to_march_for_c_cxx_and_cuda_host(level, march):
    flags = derive_flags(desc(f"x86_64 :: level :: {level}"))
    assert flags.c == flags.cxx == flags.cuda_host == [f"-march={march}"]
    assert nvcc_host_flags(flags) == [f"-Xcompiler=-march={march}"]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed on this machine")
def test_gcc_defines_the_macros_each_level_promises():
    v3 = gcc_macros(derive_flags(desc("x86_64::level::v3")).c)
    v4 = gcc_macros(derive_flags(desc("x86_64::level::v4")).c)
    v2 = gcc_macros(derive_flags(desc("x86_64::level::v2")).c)
    assert "__AVX2__" in v3 and "__AVX512F__" not in v3
    assert {"__AVX512F__", "__AVX512BW__", "__AVX512CD__", "__AVX512DQ__", "__AVX512VL__"} <= v4
    assert "__SSE4_2__" in v2 and "__AVX__" not in v2


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed on this machine")
def test_gcc_accepts_every_isa_flag_of_the_table():
    for feature, flag in sorted(X86_ISA_FLAGS.items()):
        proc = subprocess.run(["gcc", flag, "-E", "-x", "c", os.devnull], capture_output=True, text=True)
        assert proc.returncode == 0, f"{feature} -> {flag}: {proc.stderr}"


def test_isa_table_covers_the_required_families():
    required = {
        "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl", "avx512_bf16", "avx512_vnni",
        "avx512_fp16", "avx_vnni", "sha", "sha_ni", "vaes", "vpclmulqdq", "gfni", "aes", "pclmul",
        "pclmulqdq", "bmi1", "bmi2", "fma", "f16c", "movbe",
    }
    assert required <= set(X86_ISA_FLAGS)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed on this machine")
def test_isa_feature_reaches_the_compiler_on_top_of_a_level():
    flags = derive_flags(desc("x86_64::level::v3", "x86_64::avx512_bf16::on", "x86_64::sha_ni::on"))
    assert flags.c == ["-march=x86-64-v3", "-mavx512bf16", "-msha"]
    macros = gcc_macros(flags.c)
    assert {"__AVX2__", "__AVX512BF16__", "__SHA__"} <= macros


def test_several_levels_compile_for_the_lowest():
    assert derive_flags(desc("x86_64::level::v4", "x86_64::level::v2")).c == ["-march=x86-64-v2"]


def test_unknown_level_and_bad_isa_value():
    with pytest.raises(InvalidInput, match="unknown level"):
        derive_flags(desc("x86_64::level::v9"))
    with pytest.raises(InvalidInput, match="take the value 'on'"):
        derive_flags(desc("x86_64::avx2::off"))


def test_unknown_feature_of_a_known_namespace_needs_a_mapping():
    with pytest.raises(InvalidInput, match=r'tool\.varwheel\.mapping\."x86_64 :: frobnicate"'):
        derive_flags(desc("x86_64::frobnicate::on"))
    # ...recorded only (variant-name): fine, no flags.
    assert derive_flags(desc("x86_64::frobnicate::on"), mapped=[]).empty


def test_other_namespaces_produce_no_flags():
    flags = derive_flags(desc("blas_lapack::library::mkl"))
    assert flags.empty
    assert flags.unmapped == ["blas_lapack :: library :: mkl"]


# -- aarch64 ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value,march",
    [("8a", "armv8-a"), ("8.0a", "armv8-a"), ("8.1a", "armv8.1-a"), ("8.2a", "armv8.2-a"), ("9.0a", "armv9-a"), ("9a", "armv9-a"), ("9.2a", "armv9.2-a")],
)
def test_aarch64_version(value, march):
    assert aarch64_march(value) == march
    assert derive_flags(desc(f"aarch64::version::{value}")).c == [f"-march={march}"]


def test_aarch64_lowest_version_wins_and_bad_values_fail():
    assert derive_flags(desc("aarch64::version::8.2a", "aarch64::version::8.10a")).c == ["-march=armv8.2-a"]
    with pytest.raises(InvalidInput, match="Arm architecture version"):
        derive_flags(desc("aarch64::version::v8"))


@pytest.mark.skipif(
    shutil.which("aarch64-linux-gnu-gcc") is None,
    reason="no aarch64 cross compiler (aarch64-linux-gnu-gcc): .ci/run installs Debian's "
    "gcc-aarch64-linux-gnu; elsewhere apt-get install it to run this check",
)
@pytest.mark.parametrize(
    "value,present,absent",
    [
        # GCC's predefined macros: 8.1 adds LSE atomics, 8.3 JCVT, 9.0 SVE2
        # (8.2 adds no macro of its own in GCC 12, so it is not a useful probe).
        ("8a", "__ARM_ARCH_8A", "__ARM_FEATURE_ATOMICS"),
        ("8.1a", "__ARM_FEATURE_ATOMICS", "__ARM_FEATURE_JCVT"),
        ("8.3a", "__ARM_FEATURE_JCVT", "__ARM_FEATURE_SVE2"),
        ("9.0a", "__ARM_FEATURE_SVE2", None),
    ],
)
def test_aarch64_march_reaches_a_real_compiler(value, present, absent):
    macros = gcc_macros(derive_flags(desc(f"aarch64::version::{value}")).c, compiler="aarch64-linux-gnu-gcc")
    assert present in macros
    if absent is not None:
        assert absent not in macros


# -- nvidia ---------------------------------------------------------------------------------
def test_sm_arch_to_cmake_torch_and_gencode():
    flags = derive_flags(desc("nvidia::sm_arch::90_real", "nvidia::sm_arch::120_virtual", "nvidia::sm_arch::120_real", "nvidia::sm_arch::100_real"))
    assert cmake_cuda_architectures(flags) == "90-real;100-real;120-real;120-virtual"
    assert torch_cuda_arch_list(flags) == "9.0;10.0;12.0+PTX"
    assert nvcc_gencode(flags) == [
        "-gencode=arch=compute_90,code=sm_90",
        "-gencode=arch=compute_100,code=sm_100",
        "-gencode=arch=compute_120,code=sm_120",
        "-gencode=arch=compute_120,code=compute_120",
    ]
    assert flags.c == []  # no host flags from CUDA architectures


def test_the_issue_example():
    flags = derive_flags(desc("nvidia::sm_arch::90_real", "nvidia::sm_arch::120_virtual"))
    assert cmake_cuda_architectures(flags) == "90-real;120-virtual"
    assert torch_cuda_arch_list(flags) == "9.0;12.0+PTX"


def test_arch_specific_suffix_and_bad_sm_arch():
    arch = CudaArch.parse("90a_real")
    assert (arch.cmake, arch.gencode, arch.dotted) == ("90a-real", "-gencode=arch=compute_90a,code=sm_90a", "9.0a")
    with pytest.raises(InvalidInput, match="_real' or"):
        derive_flags(desc("nvidia::sm_arch::sm90"))


def test_cuda_bounds_are_collected_and_validated():
    flags = derive_flags(desc("nvidia::cuda_version_lower_bound::12.8", "nvidia::cuda_version_upper_bound::13"))
    assert (flags.cuda_lower_bounds, flags.cuda_upper_bounds) == (["12.8"], ["13"])
    with pytest.raises(InvalidInput, match="expected a CUDA version"):
        derive_flags(desc("nvidia::cuda_version_lower_bound::12.x"))


# -- project mappings ------------------------------------------------------------------------
def test_mapping_table_feature_and_property_entries():
    mappings = parse_mapping_table(
        {
            "blas_lapack :: library": {"compile-flags": ["-DBLAS_{value}"], "env": {"BLAS": "{value}"}},
            "blas_lapack::library::mkl": {
                "link-flags": ["-lmkl_rt"], "cmake-define": {"BLA_VENDOR": "Intel10_64lp", "USE_MKL": True},
                "meson-args": ["-Dblas=mkl"], "cuda-flags": ["--use_fast_math"], "c-flags": ["-DC_ONLY"],
                "cxx-flags": ["-DCXX_ONLY"],
            },
        }
    )
    flags = derive_flags(desc("blas_lapack::library::mkl"), mappings=mappings)
    assert flags.c == ["-DBLAS_mkl", "-DC_ONLY"]
    assert flags.cxx == ["-DBLAS_mkl", "-DCXX_ONLY"]
    assert flags.cuda_host == ["-DBLAS_mkl"]
    assert flags.cuda == ["--use_fast_math"]
    assert flags.link == ["-lmkl_rt"]
    assert flags.env == {"BLAS": "mkl"}
    assert flags.cmake_define == {"BLA_VENDOR": "Intel10_64lp", "USE_MKL": "ON"}
    assert flags.meson_args == ["-Dblas=mkl"]
    assert flags.unmapped == []
    # Another value matches only the feature-wide entry.
    other = derive_flags(desc("blas_lapack::library::openblas"), mappings=mappings)
    assert other.c == ["-DBLAS_openblas"] and other.link == []


def test_mapping_adds_to_or_replaces_the_builtin():
    add = parse_mapping_table({"x86_64::level::v3": {"compile-flags": ["-mtune=haswell"]}})
    assert derive_flags(desc("x86_64::level::v3"), mappings=add).c == ["-march=x86-64-v3", "-mtune=haswell"]
    replace = parse_mapping_table({"x86_64::level": {"compile-flags": ["-march=haswell"], "replace-builtin": True}})
    assert derive_flags(desc("x86_64::level::v3"), mappings=replace).c == ["-march=haswell"]
    # An empty table makes an unknown feature of a known namespace acceptable (recorded, no flags).
    empty = parse_mapping_table({"x86_64::frobnicate": {}})
    assert derive_flags(desc("x86_64::frobnicate::on"), mappings=empty).empty
    # replace-builtin on a CUDA bound drops the toolkit check (pure-Python metapackages).
    no_check = parse_mapping_table({"nvidia::cuda_version_lower_bound": {"replace-builtin": True}})
    assert derive_flags(desc("nvidia::cuda_version_lower_bound::12.8"), mappings=no_check).cuda_lower_bounds == []


def test_two_marches_are_an_error():
    mappings = parse_mapping_table({"x86_64::avx2": {"compile-flags": ["-march=native"]}})
    with pytest.raises(InvalidInput, match="several architectures"):
        derive_flags(desc("x86_64::level::v3", "x86_64::avx2::on"), mappings=mappings)


@pytest.mark.parametrize(
    "table,message",
    [
        ({"x86_64": {}}, "the key must be"),
        ({"X86::level": {}}, "namespace 'X86' is invalid"),
        ({"x86_64::level": []}, "expected a table"),
        ({"x86_64::level": {"cflags": ["-O3"]}}, r"cflags: unknown key \(allowed: compile-flags"),
        ({"x86_64::level": {"compile-flags": "-O3"}}, "expected a list of strings"),
        ({"x86_64::level": {"env": {"1BAD": "x"}}}, "not a valid variable name"),
        ({"x86_64::level": {"env": {"A": 1}}}, "expected a string"),
        ({"x86_64::level": {"replace-builtin": "yes"}}, "expected true or false"),
    ],
)
def test_mapping_table_errors_name_the_key(table, message):
    with pytest.raises(InvalidPyproject, match=message):
        parse_mapping_table(table, source="pyproject.toml")


# -- transport ----------------------------------------------------------------------------------
def plan(family, description, *, settings=None, environ=None, root=Path("."), pyproject=None, mappings=()):
    flags = derive_flags(description, mappings=mappings)
    return plan_transport(
        family, flags, label=description.hash_label(), description=description,
        config_settings=settings, environ=environ or {}, root=root, pyproject=pyproject or {},
    )


CUDA_V3 = desc("x86_64::level::v3", "nvidia::sm_arch::90_real", "nvidia::sm_arch::120_virtual")


def test_scikit_build_core_gets_cmake_defines_and_env():
    t = plan("scikit-build-core", CUDA_V3, settings={"cmake.build-type": "Debug"})
    assert t.config_settings == {
        "cmake.build-type": "Debug",
        "cmake.define.CMAKE_CUDA_ARCHITECTURES": "90-real;120-virtual",
        "cmake.define.VARWHEEL_VARIANT_LABEL": CUDA_V3.hash_label(),
        "cmake.define.VARWHEEL_VARIANT_PROPERTIES": "nvidia::sm_arch::120_virtual;nvidia::sm_arch::90_real;x86_64::level::v3",
    }
    assert t.env["CFLAGS"] == t.env["CXXFLAGS"] == "-march=x86-64-v3"
    assert t.env["CUDAFLAGS"] == "-Xcompiler=-march=x86-64-v3"
    assert t.env["CUDAARCHS"] == "90-real;120-virtual"
    assert t.env["TORCH_CUDA_ARCH_LIST"] == "9.0;12.0+PTX"
    assert t.env["VARWHEEL_NVCC_FLAGS"] == (
        "-gencode=arch=compute_90,code=sm_90 -gencode=arch=compute_120,code=compute_120 -Xcompiler=-march=x86-64-v3"
    )
    assert "-gencode" not in t.env["CUDAFLAGS"]  # CMake takes architectures from CMAKE_CUDA_ARCHITECTURES


def test_meson_gets_setup_args_only_when_the_project_declares_variant(tmp_path):
    t = plan("meson-python", CUDA_V3, root=tmp_path, settings={"setup-args": "-Dfoo=1"})
    assert t.config_settings == {"setup-args": "-Dfoo=1"}  # untouched: no variant option, no meson-args
    assert t.env["CUFLAGS"].startswith("-gencode=arch=compute_90,code=sm_90 ")  # meson has no arch setting
    (tmp_path / "meson.options").write_text("option('variant', type : 'array', value : [])\n")
    t = plan("meson-python", CUDA_V3, root=tmp_path, settings={"setup-args": "-Dfoo=1"})
    assert t.config_settings["setup-args"] == [
        "-Dfoo=1",
        "-Dvariant=['nvidia::sm_arch::120_virtual','nvidia::sm_arch::90_real','x86_64::level::v3']",
    ]
    null = plan("meson-python", VariantDescription(), root=tmp_path)
    assert null.config_settings == {"setup-args": ["-Dvariant=[]"]}


def test_meson_option_detection(tmp_path):
    assert meson_variant_option(tmp_path) is None
    (tmp_path / "meson_options.txt").write_text("option('other', type: 'string')\noption(\n 'variant',\n type: 'string')\n")
    assert meson_variant_option(tmp_path) == "string"
    t = plan("meson-python", desc("x86_64::level::v3", "x86_64::sha::on"), root=tmp_path)
    assert t.config_settings["setup-args"] == ["-Dvariant=x86_64::level::v3;x86_64::sha::on"]


@pytest.mark.parametrize("family", ["setuptools", "hatchling", "other"])
def test_env_only_backends(family):
    mappings = parse_mapping_table({"x86_64::level": {"cmake-define": {"LEVEL": "{value}"}}})
    t = plan(family, desc("x86_64::level::v3"), settings=None, mappings=mappings)
    assert t.config_settings is None
    # setuptools: what setuptools_flags found this setuptools needs in front (tests/test_build_setuptools.py).
    assert t.env["CFLAGS"].endswith("-march=x86-64-v3")
    assert t.env["CMAKE_ARGS"] == "-DLEVEL=v3"
    assert t.env["VARWHEEL_VARIANT_LABEL"] == "fa7c1393"


def test_flit_gets_only_the_variant_itself():
    t = plan("flit-core", desc("x86_64::level::v3"), settings={"x": "1"})
    assert t.config_settings == {"x": "1"}
    assert t.env == {"VARWHEEL_VARIANT_LABEL": "fa7c1393", "VARWHEEL_VARIANT_PROPERTIES": "x86_64::level::v3"}


def test_user_flags_are_kept_and_ours_appended():
    t = plan("setuptools", desc("x86_64::level::v3"), environ={"CFLAGS": "-O2 -g", "LDFLAGS": "-Wl,-O1"})
    assert t.env["CFLAGS"] == "-O2 -g -march=x86-64-v3"
    assert "LDFLAGS" not in t.env  # nothing of ours to add: the user's value stays as it is


@pytest.mark.parametrize(
    "family,kwargs,message",
    [
        ("setuptools", {"environ": {"CFLAGS": "-O2 -march=native"}}, "sets -march=native"),
        ("setuptools", {"environ": {"CXXFLAGS": "-march=x86-64-v2"}}, "CXXFLAGS"),
        ("scikit-build-core", {"environ": {"CUDAFLAGS": "-Xcompiler=-march=native"}}, "CUDAFLAGS"),
        ("scikit-build-core", {"environ": {"CUDAFLAGS": "-gencode arch=compute_80,code=sm_80"}}, "selects CUDA architectures"),
        ("scikit-build-core", {"environ": {"CUDAARCHS": "80"}}, "CUDAARCHS='80' conflicts"),
        ("scikit-build-core", {"settings": {"cmake.define.CMAKE_CUDA_ARCHITECTURES": "80-real"}}, "-Ccmake.define.CMAKE_CUDA_ARCHITECTURES='80-real' conflicts"),
        ("scikit-build-core", {"pyproject": {"tool": {"scikit-build": {"cmake": {"define": {"CMAKE_CUDA_ARCHITECTURES": "native"}}}}}}, r"\[tool.scikit-build.cmake.define\]"),
        ("scikit-build-core", {"environ": {"CMAKE_ARGS": "-DCMAKE_CUDA_ARCHITECTURES:STRING=75"}}, "CMAKE_ARGS sets"),
        ("scikit-build-core", {"settings": {"cmake.define": {"CMAKE_CUDA_ARCHITECTURES": "75"}}}, "cmake.define {CMAKE_CUDA_ARCHITECTURES: '75'} conflicts"),
        ("scikit-build-core", {"environ": {"VARWHEEL_VARIANT_LABEL": "other"}}, "VARWHEEL_VARIANT_LABEL"),
    ],
)
def test_conflicting_user_settings_are_errors(family, kwargs, message):
    with pytest.raises(InvalidConfigSetting, match=message):
        plan(family, CUDA_V3, **kwargs)


def test_identical_user_settings_are_fine():
    t = plan(
        "scikit-build-core", CUDA_V3,
        settings={"cmake.define.CMAKE_CUDA_ARCHITECTURES": ["90-real", "120-virtual"]},
        environ={"CUDAARCHS": "90-real;120-virtual", "CFLAGS": "-march=x86-64-v3"},
    )
    assert t.config_settings["cmake.define.CMAKE_CUDA_ARCHITECTURES"] == "90-real;120-virtual"


def test_negated_isa_flag_conflicts():
    with pytest.raises(InvalidConfigSetting, match="-mno-avx2"):
        plan("setuptools", desc("x86_64::avx2::on"), environ={"CFLAGS": "-mno-avx2"})


def test_meson_setup_args_conflict(tmp_path):
    (tmp_path / "meson.options").write_text("option('variant', type: 'array', value: [])\n")
    with pytest.raises(InvalidConfigSetting, match="-Csetup-args="):
        plan("meson-python", desc("x86_64::level::v3"), root=tmp_path, settings={"setup-args": ["-Dvariant=['x']"]})


def test_properties_value_has_no_spaces():
    assert properties_value(desc("x86_64 :: level :: v3", "nvidia :: sm_arch :: 90_real")) == (
        "nvidia::sm_arch::90_real;x86_64::level::v3"
    )
    assert properties_value(VariantDescription()) == ""


# -- CUDA toolkit -------------------------------------------------------------------------------
def fake_nvcc(folder: Path, release: str) -> Path:
    """A stand-in toolkit (test input): prints what nvcc --version prints."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "nvcc"
    path.write_text(f"#!/bin/sh\necho 'Cuda compilation tools, release {release}, V{release}.1'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_toolkit_discovery_order(tmp_path):
    cudacxx = fake_nvcc(tmp_path / "a", "12.4")
    home = fake_nvcc(tmp_path / "home" / "bin", "12.6")
    on_path = fake_nvcc(tmp_path / "p", "12.8")
    env = {"PATH": str(on_path.parent), "CUDA_HOME": str(home.parent.parent), "CUDACXX": str(cudacxx)}
    assert find_cuda_toolkit(env).version == (12, 4)
    assert find_cuda_toolkit(env, cmake_compiler=str(on_path)).source == "cmake.define.CMAKE_CUDA_COMPILER"
    del env["CUDACXX"]
    tk = find_cuda_toolkit(env)
    assert (tk.version, tk.source) == ((12, 6), "CUDA_HOME")
    del env["CUDA_HOME"]
    env["CUDA_PATH"] = str(home.parent.parent)
    assert find_cuda_toolkit(env).source == "CUDA_PATH"
    del env["CUDA_PATH"]
    assert (find_cuda_toolkit(env).version, find_cuda_toolkit(env).source) == ((12, 8), "PATH")


def test_explicit_toolkit_that_does_not_exist(tmp_path):
    with pytest.raises(ToolchainError, match="CUDACXX names a CUDA compiler that does not exist"):
        find_cuda_toolkit({"CUDACXX": str(tmp_path / "nope" / "nvcc"), "PATH": ""})


def test_bounds_against_a_toolkit(tmp_path):
    env = {"CUDACXX": str(fake_nvcc(tmp_path, "12.8")), "PATH": ""}
    assert check_cuda_bounds(["12.8", "12"], ["13"], env).version == (12, 8)
    with pytest.raises(ToolchainError) as info:
        check_cuda_bounds(["12.9"], [], env)
    message = str(info.value)
    assert "cuda_version_lower_bound :: 12.9" in message and "CUDA toolkit 12.8" in message and str(tmp_path) in message
    with pytest.raises(ToolchainError, match="older than 12.8.*CUDA toolkit 12.8"):
        check_cuda_bounds([], ["12.8"], env)
    assert check_cuda_bounds([], [], {"PATH": ""}) is None


def test_bounds_without_any_toolkit(tmp_path, monkeypatch):
    import varwheel.build.toolchain as toolchain

    monkeypatch.setattr(toolchain, "DEFAULT_NVCC", tmp_path / "missing" / "nvcc")
    with pytest.raises(ToolchainError, match="no CUDA toolkit was found"):
        check_cuda_bounds(["12.8"], [], {"PATH": str(tmp_path)})


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc is not installed on this machine")
def test_real_nvcc_version_is_read():
    tk = find_cuda_toolkit(dict(os.environ))
    assert tk is not None and tk.version >= (11, 0)
    out = subprocess.run([str(tk.nvcc), "--version"], capture_output=True, text=True).stdout
    assert f"release {tk.version_str}" in out


def test_property_objects_accepted_as_mapped():
    flags = derive_flags(desc("x86_64::level::v3", "x86_64::sha::on"), mapped=[Property("x86_64", "sha", "on")])
    assert flags.c == ["-msha"]


def test_persistent_build_dirs_get_one_folder_per_variant(tmp_path):
    v3 = desc("x86_64::level::v3")
    t = plan("scikit-build-core", v3, settings={"build-dir": "build/{wheel_tag}"})
    assert t.config_settings["build-dir"] == "build/{wheel_tag}-varwheel-fa7c1393"
    t = plan("scikit-build-core", v3, pyproject={"tool": {"scikit-build": {"build-dir": "bld/"}}})
    assert t.config_settings["build-dir"] == "bld-varwheel-fa7c1393"
    assert "build-dir" not in plan("scikit-build-core", v3).config_settings  # a temporary folder: nothing to do
    t = plan("meson-python", v3, root=tmp_path, settings={"builddir": "b"})
    assert t.config_settings == {"build-dir": "b-varwheel-fa7c1393"}
    flags = derive_flags(v3)
    t = plan_transport("meson-python", flags, label="fa7c1393", description=v3, config_settings=None,
                       environ={}, root=tmp_path, pyproject={}, editable=True)
    assert t.config_settings == {"build-dir": "build-varwheel-fa7c1393"}


def test_setuptools_variant_gets_its_own_build_folders_and_rebuilds(tmp_path):
    import configparser

    t = plan("setuptools", desc("x86_64::level::v3"))
    parser = configparser.ConfigParser()
    parser.read_string(t.dist_extra_config)
    assert parser.get("build", "force") == "1"
    assert parser.get("build", "build_base") == "build-varwheel-fa7c1393"
    user = tmp_path / "user.cfg"
    user.write_text("[build]\nparallel = 2\n[build_ext]\ninclude_dirs = /opt/x\n")
    t = plan("setuptools", desc("x86_64::level::v3"), environ={"DIST_EXTRA_CONFIG": str(user)})
    parser = configparser.ConfigParser()
    parser.read_string(t.dist_extra_config)
    assert dict(parser["build"]) == {"parallel": "2", "build_base": "build-varwheel-fa7c1393", "force": "1"}
    assert parser.get("build_ext", "include_dirs") == "/opt/x"
    # The project's own folders (setup.cfg, then DIST_EXTRA_CONFIG, which setuptools reads last) move beside.
    (tmp_path / "setup.cfg").write_text("[build]\nbuild-base = out\nbuild_temp = tmpobj\n")
    user.write_text("[build]\nbuild_lib = libdir\n")
    t = plan("setuptools", desc("x86_64::level::v3"), root=tmp_path, environ={"DIST_EXTRA_CONFIG": str(user)})
    parser = configparser.ConfigParser()
    parser.read_string(t.dist_extra_config)
    assert dict(parser["build"]) == {
        "build_lib": "libdir-varwheel-fa7c1393", "build_base": "out-varwheel-fa7c1393",
        "build_temp": "tmpobj-varwheel-fa7c1393", "force": "1",
    }
    assert plan("hatchling", desc("x86_64::level::v3")).dist_extra_config is None


def test_check_knows_which_properties_are_compiler_input():
    """model.compiler_input (used by check's pure-variant rule) agrees with the backend's mappings."""
    from varwheel.model.compiler_input import means_compiler_input

    vocabulary = ["x86_64::level::v3", "x86_64::avx512f::on", "x86_64::sha::on", "aarch64::version::8.2a",
                  "nvidia::sm_arch::90_real", "nvidia::cuda_version_lower_bound::12.8",
                  "nvidia::cuda_version_upper_bound::13", "blas_lapack::library::mkl"]
    for text in vocabulary:
        prop = Property.parse(text)
        assert derive_flags(desc(text)).compiles == means_compiler_input(prop), text
