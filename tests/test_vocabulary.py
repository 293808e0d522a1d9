"""model.vocabulary: the values uv 0.13.9's built-in providers can report, checked against uv itself.

Each claim the module makes about uv is run here: a variant holding one
value, next to a plain wheel and an index file, and uv's choice (``uv pip
install --dry-run -v``, ``Selecting: ... (<file>)``) says whether uv offers
that value.  Machines are pinned so the answers do not depend on the CPU or
GPU running the tests: ``--python-platform`` (uv then takes x86-64-v2 /
Armv8-A as the platform's level) and uv's own ``NV_VARIANT_PROVIDER_FORCE_*``
and ``TPU_VARIANT_PROVIDER_FORCE_PRESENT`` variables.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import pytest

from fixtures.wheel_factory import make_wheel
from tests.helpers_index import handmade_variant, variant_json
from tests.helpers_select import AARCH64, FORCE_DRIVER, FORCE_SM, NVIDIA, X86, clean_env
from varwheel.model.builtins import BUILTIN_PROVIDERS, BUILTINS
from varwheel.model.document import Provider
from varwheel.model.properties import VariantDescription
from varwheel.model.vocabulary import (
    COMPUTE_CAPABILITIES,
    VOCABULARIES,
    cuda_bound_matchable,
    parse_cuda_version,
    parse_sm_arch,
    sm_arch_matchable,
    vocabulary_problems,
)

TPU = {"requires": ["tpu-variant-provider"], "plugin-api": "tpu_variant_provider.plugin:TpuVariantPlugin"}
X86_PLATFORM = "x86_64-manylinux_2_28"  # uv: no CPU to detect, the platform's level v2
ARM_PLATFORM = "aarch64-manylinux_2_28"  # uv: the platform's version 8a
_SELECT_RE = re.compile(r"Selecting: \S+ \[compatible\] \((\S+?)\)")


# -- uv as the oracle ---------------------------------------------------------------------------------


def make_uv_target(uv_bin: str, directory: Path) -> str:
    """A venv for uv to install into (uv only reads its interpreter); returns its python."""
    proc = subprocess.run([uv_bin, "venv", "-q", "--python", sys.executable, str(directory)],
                          capture_output=True, text=True, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    return str(directory / "bin" / "python")


def uv_choice(uv_bin: str, python: str, folder: Path, *, project: str = "mypkg", env: Optional[Dict[str, str]] = None,
              platform: Optional[str] = None) -> Tuple[Optional[str], bool, str]:
    """``(file uv 0.13.9 selects, whether the resolution failed, log)`` for ``uv pip install --dry-run``.

    uv prints ``Selecting`` for the plain wheel before it reads the variant
    metadata that makes it fail, so a failure comes back as ``(None, True, log)``.
    """
    cmd = [uv_bin, "pip", "install", "--preview-features", "wheel-variants", "--python", python, "--no-index",
           "--find-links", str(folder), project, "--reinstall", "--dry-run", "-v", "--offline", "--no-config",
           "--cache-dir", str(folder.parent / f".uv-cache-{folder.name}")]
    if platform is not None:
        cmd += ["--python-platform", platform]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(env))
    shutil.rmtree(folder.parent / f".uv-cache-{folder.name}", ignore_errors=True)
    if proc.returncode != 0:
        assert "No solution found" in proc.stderr, proc.stderr
        return None, True, proc.stderr
    found = _SELECT_RE.findall(proc.stderr)
    assert found, proc.stderr
    return found[-1], False, proc.stderr


def one_variant_release(folder: Path, properties: Dict[str, Dict[str, list]], providers: Dict[str, dict]) -> Path:
    """``mypkg`` 1.0: a plain wheel and variant ``v`` with exactly ``properties``, and its index file."""
    document = variant_json("v", properties, namespaces=sorted(providers), providers=providers)
    handmade_variant(folder, "v", document)
    make_wheel(folder, "mypkg", "1.0")
    data = json.loads(document)
    (folder / "mypkg-1.0-variants.json").write_text(json.dumps(data))
    return folder


def uv_selects_value(uv_bin: str, python: str, folder: Path, namespace: str, feature: str, value: str,
                     provider: dict, **kwargs) -> bool:
    """Whether uv installs a variant whose only property is ``namespace :: feature :: value``."""
    one_variant_release(folder, {namespace: {feature: [value]}}, {namespace: provider})
    chosen, failed, log = uv_choice(uv_bin, python, folder, **kwargs)
    assert not failed, log  # uv reads such a document: the value is valid JSON, just never offered
    return chosen == "mypkg-1.0-py3-none-any-v.whl"


@pytest.fixture(scope="module")
def uv_python(tmp_path_factory, uv_bin) -> str:
    return make_uv_target(uv_bin, tmp_path_factory.mktemp("uv-target") / "venv")


# -- the rule -----------------------------------------------------------------------------------------


def desc(*props: str) -> VariantDescription:
    return VariantDescription.parse(list(props))


def test_every_builtin_feature_has_a_vocabulary_and_nothing_else_does():
    assert {ns: set(v) for ns, v in VOCABULARIES.items()} == {ns: set(b.features) for ns, b in BUILTINS.items()}


@pytest.mark.parametrize("prop", [
    "x86_64 :: level :: v5", "x86_64 :: level :: v0", "nvidia :: sm_arch :: 90_rea", "nvidia :: sm_arch :: 9_real",
    "nvidia :: sm_arch :: 090_real", "nvidia :: cuda_version_lower_bound :: abc",
    "nvidia :: cuda_version_upper_bound :: 12.08", "nvidia :: cuda_version_lower_bound :: 12.8.1",
    "aarch64 :: version :: 7a", "aarch64 :: version :: 9.0a", "aarch64 :: version :: 8.0a", "tpu :: present :: yes",
])
def test_values_outside_the_vocabulary_with_the_builtin_entries(prop):
    problems = vocabulary_problems(desc(prop), BUILTIN_PROVIDERS)
    assert [str(p.prop) for p in problems] == [prop]
    line = problems[0].describe()
    assert "uv 0.13.9" in line and "never selects" in line and "valid values: " in line
    assert "\n" not in line


@pytest.mark.parametrize("prop", [
    "x86_64 :: level :: v1", "x86_64 :: level :: v4", "nvidia :: sm_arch :: 90_real", "nvidia :: sm_arch :: 120_virtual",
    "nvidia :: sm_arch :: 95_real",  # well formed: whether a GPU has it is another question (sm_arch_matchable)
    "nvidia :: cuda_version_lower_bound :: 12", "nvidia :: cuda_version_upper_bound :: 12.8",
    "aarch64 :: version :: 8a", "aarch64 :: version :: 8.4a", "tpu :: present :: true", "tpu :: present :: false",
    "x86_64 :: avx512f :: on",  # a feature uv does not evaluate: feature-unevaluated, not a vocabulary question
    "blas :: library :: mkl",  # no built-in namespace
])
def test_values_inside_the_vocabulary_or_outside_its_reach(prop):
    providers = dict(BUILTIN_PROVIDERS, blas=Provider(static_properties=(("library", ("mkl",)),)))
    assert vocabulary_problems(desc(prop), providers) == []


def test_a_namespace_whose_provider_uv_does_not_match_to_its_builtin_is_not_judged():
    v5 = desc("x86_64 :: level :: v5")
    for entry in ({"static-properties": {"level": ["v5", "v4"]}}, {"requires": ["x86-64-variant-provider>=9"]},
                  {"requires": ["my-x86-plugin"]}, {"requires": ["x86-64-variant-provider"], "optional": True}):
        assert vocabulary_problems(v5, {"x86_64": Provider.from_json(entry, "test")}) == [], entry
    assert vocabulary_problems(v5, {}) == []  # pep825: no provider entry at all
    # A specifier that admits the built-in version is the built-in.
    admitted = Provider.from_json({"requires": ["x86-64-variant-provider>=0.1,<1"]}, "test")
    assert len(vocabulary_problems(v5, {"x86_64": admitted})) == 1


def test_the_messages_name_the_valid_values():
    lines = {p.prop.feature: p.describe() for p in vocabulary_problems(desc(
        "x86_64 :: level :: v5", "aarch64 :: version :: 7a", "nvidia :: sm_arch :: 90_rea",
        "nvidia :: cuda_version_lower_bound :: abc"), BUILTIN_PROVIDERS)}
    assert "valid values: v1, v2, v3, v4" in lines["level"]
    assert "valid values: 8a, 8.1a, 8.2a, 8.3a, 8.4a" in lines["version"]
    assert "_real" in lines["sm_arch"] and "_virtual" in lines["sm_arch"]
    assert "M.m" in lines["cuda_version_lower_bound"]


def test_parsing_sm_arch_and_cuda_versions():
    assert parse_sm_arch("120_real") == (12, 0, "real")
    assert parse_sm_arch("90_virtual") == (9, 0, "virtual")
    assert parse_sm_arch("90_rea") is None and parse_sm_arch("9_real") is None
    assert parse_cuda_version("12") == (12, 0) and parse_cuda_version("12.8") == (12, 8)
    assert parse_cuda_version("12.08") is None and parse_cuda_version("v12") is None


@pytest.mark.parametrize("value, matchable", [
    ("50_real", True), ("53_real", True), ("54_real", False), ("35_real", False), ("86_real", True), ("85_real", True),
    ("89_real", True), ("95_real", False), ("90_real", True), ("121_real", True), ("122_real", False),
    ("130_real", False), ("90_virtual", True), ("80_virtual", True), ("86_virtual", False), ("120_virtual", True),
    ("30_virtual", False), ("90_rea", False),
])
def test_which_sm_arch_values_a_gpu_that_exists_gets(value, matchable):
    assert sm_arch_matchable(value) is matchable


@pytest.mark.parametrize("feature, value, matchable", [
    ("cuda_version_lower_bound", "10.2", False), ("cuda_version_lower_bound", "11", True),
    ("cuda_version_lower_bound", "15.20", True), ("cuda_version_lower_bound", "15.21", False),
    ("cuda_version_lower_bound", "16", False), ("cuda_version_lower_bound", "abc", False),
    ("cuda_version_upper_bound", "11", False), ("cuda_version_upper_bound", "11.0", False),
    ("cuda_version_upper_bound", "11.1", True), ("cuda_version_upper_bound", "12", True),
    ("cuda_version_upper_bound", "15.20", True), ("cuda_version_upper_bound", "16", False),
])
def test_which_cuda_bounds_uv_lists_for_some_driver(feature, value, matchable):
    assert cuda_bound_matchable(feature, value) is matchable


def test_every_gpu_nvcc_builds_for_is_a_known_compute_capability():
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc is not installed here: the CUDA toolkit's own list of GPU architectures is the oracle")
    proc = subprocess.run([nvcc, "--list-gpu-code"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    archs = re.findall(r"sm_(\d+)\b", proc.stdout)
    assert archs, proc.stdout
    known = {f"{a}{b}" for a, b in COMPUTE_CAPABILITIES}
    assert set(archs) <= known, sorted(set(archs) - known)


# -- uv 0.13.9 agrees ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value, selected", [("v1", True), ("v2", True), ("v3", False), ("v5", False), ("v0", False)])
def test_uv_offers_x86_64_levels_up_to_the_platforms(uv_bin, uv_python, tmp_path, value, selected):
    assert uv_selects_value(uv_bin, uv_python, tmp_path / value, "x86_64", "level", value, X86,
                            platform=X86_PLATFORM) is selected


@pytest.mark.parametrize("value, selected", [("8a", True), ("7a", False), ("8.0a", False), ("8", False)])
def test_uv_offers_aarch64_8a_on_a_plain_armv8_platform_and_never_7a(uv_bin, uv_python, tmp_path, value, selected):
    assert uv_selects_value(uv_bin, uv_python, tmp_path / value, "aarch64", "version", value, AARCH64,
                            platform=ARM_PLATFORM) is selected


@pytest.mark.parametrize("cap", ["8.6", "9.0", "12.0", "3.5"])
def test_uv_offers_sm_arch_as_sm_arch_matchable_assumes(uv_bin, uv_python, tmp_path, cap):
    """A GPU of capability M.m gets M{m}_real .. M0_real and M0_virtual only; nothing below 5.0."""
    major, minor = (int(x) for x in cap.split("."))
    env = {FORCE_DRIVER: "12.8", FORCE_SM: cap}
    values = [f"{major}{minor}_real", f"{major}0_real", f"{major}{minor + 1}_real", f"{major}0_virtual",
              f"{major}{minor}_virtual", f"{major}{minor}_rea"]
    for value in dict.fromkeys(values):
        expected = (major, minor) >= (5, 0) and value.endswith(("_real", "_virtual")) and (
            value == f"{major}0_virtual" or (value.endswith("_real") and int(value.split("_")[0][-1]) <= minor))
        got = uv_selects_value(uv_bin, uv_python, tmp_path / cap / value, "nvidia", "sm_arch", value, NVIDIA, env=env)
        assert got is expected, (cap, value)


@pytest.mark.parametrize("driver", ["11.0", "12.8", "15.20"])
def test_uv_lists_cuda_bounds_as_cuda_bound_matchable_assumes(uv_bin, uv_python, tmp_path, driver):
    d = parse_cuda_version(driver)
    assert d is not None
    env = {FORCE_DRIVER: driver, FORCE_SM: "9.0"}
    cases: Sequence[Tuple[str, str]] = [
        ("cuda_version_lower_bound", v) for v in ("10.2", "11", "11.0", "12", "12.8", "12.9", "15.20", "16", "abc")
    ] + [("cuda_version_upper_bound", v) for v in ("11", "11.0", "11.1", "12.8", "12.9", "13", "15.20", "16")]
    for feature, value in cases:
        bound = parse_cuda_version(value)
        if bound is None or not cuda_bound_matchable(feature, value):
            expected = False
        else:
            expected = bound <= d if feature == "cuda_version_lower_bound" else d < bound
        got = uv_selects_value(uv_bin, uv_python, tmp_path / driver / f"{feature}-{value}", "nvidia", feature, value,
                               NVIDIA, env=env)
        assert got is expected, (driver, feature, value)


@pytest.mark.parametrize("value, selected", [("true", True), ("false", False), ("yes", False), ("1", False)])
def test_uv_offers_tpu_present_true_or_false_only(uv_bin, uv_python, tmp_path, value, selected):
    env = {"TPU_VARIANT_PROVIDER_FORCE_PRESENT": "1"}
    assert uv_selects_value(uv_bin, uv_python, tmp_path / value, "tpu", "present", value, TPU, env=env) is selected
    # And on a machine without a TPU, exactly 'false'.
    other = tmp_path / f"{value}-none"
    assert uv_selects_value(uv_bin, uv_python, other, "tpu", "present", value, TPU,
                            env={"TPU_VARIANT_PROVIDER_FORCE_PRESENT": "0"}) is (value == "false")
