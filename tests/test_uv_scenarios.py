"""uv 0.13.9's own variant scenarios, restated as data, run against real uv and against varwheel.

tests/data/uv_scenarios.json restates every test of uv's
``crates/uv/tests/pip_install/wheel_variants.rs``,
``wheel_variant_compatibility.rs`` and
``crates/uv-distribution-types/tests/variants_json.rs`` (plus a few
scenarios derived from uv's source, marked ``derived``) for a local
``--find-links`` folder; entries that need what a folder cannot express (a
registry, a lock file, a direct URL) say so (``applies: false``).

For every applicable entry two tests run:

* ``test_uv_does_what_the_data_says``: real uv 0.13.9 (``uv pip install
  --target``, a real install, so refusals at install time show) does exactly
  what the entry says.  This proves the restatement; it never xfails.
* ``test_varwheel_agrees_with_uv``: :func:`varwheel.machine.select.select`
  (``require_index=True``) names the same file, or nothing where uv errors;
  for parser entries :meth:`VariantDocument.loads` accepts exactly what uv
  accepts; for the ranking entry select's order is uv's.

Where varwheel disagrees with uv today the id is listed in
:data:`KNOWN_DIFFERENCES` with the reason and runs as a strict xfail: the
engineer who fixes varwheel removes the entry (a fix turns it into an XPASS,
which fails).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping

import pytest

from tests.helpers_scenarios import (
    PARSE_INDEX,
    PARSE_WHEEL,
    build_folder,
    load_scenarios,
    run_uv,
    scenario_env,
    uv_problems,
    varwheel_order,
    varwheel_pick,
)

#: Scenario id -> why varwheel's answer differs from uv 0.13.9's today (evidence in docs/machine-side.md).
KNOWN_DIFFERENCES: Dict[str, str] = {
}

#: The test functions of uv 0.13.9's three files (each must appear in the data).
UV_TESTS: Dict[str, List[str]] = {
    "crates/uv/tests/pip_install/wheel_variants.rs": [
        "selected_variant_metadata_is_cached", "variant_metadata_hashes_are_verified",
        "unavailable_variant_metadata_is_an_error", "unavailable_variant_metadata_backtracks",
        "invalid_variant_metadata", "invalid_variant_metadata_backtrack", "invalid_variant_metadata_unknown_schema",
        "variant_wheels_without_preview_or_index_metadata_are_rejected", "ordinary_wheels_are_selected_over_variants",
        "no_binary_metadata_ignores_variant_wheels", "sdist_metadata_ignores_variant_wheels",
        "universal_lock_excludes_variant_wheels", "registry_variant_wheels_are_not_selectable",
    ],
    "crates/uv/tests/pip_install/wheel_variant_compatibility.rs": [
        "install_local_variant_wheel", "refresh_incompatible_variant_wheel", "install_direct_url_variant_wheel",
        "direct_url_wheel_with_invalid_variant_metadata", "install_git_path_variant_wheel",
        "sync_keeps_installed_variant", "pylock_rejects_selected_wheel_variant",
        "select_variant_by_static_provider_order", "select_tpu_variant", "aarch64_target_uses_platform_defaults",
        "x86_64_target_uses_platform_defaults", "x86_64_without_ctypes_installs_v2",
        "backtrack_to_compatible_nvidia_variant", "skip_excessive_nvidia_cuda_override",
        "streamed_variant_metadata_requires_one_dist_info_directory",
    ],
    "crates/uv-distribution-types/tests/variants_json.rs": [
        "rank_variants", "parse_static_provider", "parse_abi_dependency_provider", "reject_missing_providers",
        "reject_mismatched_provider_namespaces", "reject_missing_static_feature_order",
        "reject_invalid_static_feature_order", "reject_duplicate_static_property_values", "normalize_variants_json",
        "reject_empty_namespace_priorities", "reject_duplicate_namespace_priorities",
        "reject_invalid_namespace_in_priorities", "reject_namespace_missing_from_priorities",
        "reject_invalid_variant_label", "reject_invalid_variant_namespace", "reject_invalid_variant_feature",
        "reject_invalid_variant_value", "reject_empty_feature_values", "reject_duplicate_feature_values",
        "reject_null_variant_with_properties", "reject_unknown_field_in_default_priorities",
    ],
}

SCENARIOS = load_scenarios()
APPLICABLE = [s for s in SCENARIOS if s.get("applies", True)]

#: uv 0.13.9's x86-64-v4 test (x86_64.rs, Level::detect): the v2, v3 and v4 flags, as /proc/cpuinfo spells them.
_V4_FLAGS = {"cx16", "lahf_lm", "popcnt", "pni", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "bmi1", "bmi2",
             "f16c", "fma", "abm", "movbe", "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}


def _cpu_flags() -> set:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _skip_unless_machine(scenario: Mapping[str, Any]) -> None:
    machine = scenario.get("machine")
    if machine == "x86-64-v4" and not _V4_FLAGS <= _cpu_flags():
        pytest.skip("the expected outcome assumes an x86-64-v4 CPU (AVX-512); this machine's /proc/cpuinfo lacks "
                    f"{sorted(_V4_FLAGS - _cpu_flags())}")


def _params(*, mark_known: bool) -> Iterator[Any]:
    for scenario in APPLICABLE:
        marks = []
        if mark_known and scenario["id"] in KNOWN_DIFFERENCES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_DIFFERENCES[scenario["id"]]))
        yield pytest.param(scenario, id=scenario["id"], marks=marks)


@pytest.fixture(scope="module")
def target_python(tmp_path_factory, uv_bin) -> str:
    """One interpreter for every uv run (uv only reads it: each run installs into its own --target)."""
    venv = tmp_path_factory.mktemp("uv-target") / "venv"
    proc = subprocess.run([uv_bin, "venv", "-q", "--python", sys.executable, str(venv)],
                          capture_output=True, text=True, env=scenario_env())
    assert proc.returncode == 0, proc.stderr
    return str(venv / "bin" / "python")


@pytest.fixture(scope="module")
def uv_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("uv-cache")


# -- the data itself ----------------------------------------------------------------------------
def test_every_uv_test_is_restated():
    sources: Dict[str, set] = {}
    for scenario in SCENARIOS:
        if not scenario["source"].get("derived"):
            sources.setdefault(scenario["source"]["file"], set()).add(scenario["source"]["test"])
    for file, tests in UV_TESTS.items():
        assert set(tests) <= sources.get(file, set()), f"{file}: not restated: {sorted(set(tests) - sources.get(file, set()))}"
        assert sources.get(file, set()) <= set(tests), f"{file}: unknown tests {sorted(sources[file] - set(tests))}"
    assert set(sources) == set(UV_TESTS)


def test_entries_are_well_formed():
    ids = [s["id"] for s in SCENARIOS]
    assert len(ids) == len(set(ids)), "ids are not unique"
    assert set(KNOWN_DIFFERENCES) <= {s["id"] for s in APPLICABLE}, "KNOWN_DIFFERENCES names an unknown id"
    for s in SCENARIOS:
        assert s.get("why"), f"{s['id']}: no why"
        if not s.get("applies", True):
            continue
        kind = s.get("kind", "install")
        assert kind in ("install", "rank", "parse"), s["id"]
        if kind == "parse":
            assert isinstance(s["uv_accepts"], bool) and isinstance(s["document"], dict), s["id"]
            assert s["uv_accepts"] or s.get("message"), f"{s['id']}: a rejected document needs uv's message"
            continue
        assert s["wheels"], s["id"]
        expect = s["expect"]
        assert ("file" in expect) != ("error" in expect) or kind == "rank", s["id"]
        if "error" in expect:
            assert expect["error"] in ("no-solution", "install-fails") and expect["message"], s["id"]
        for index in s.get("index", []):
            # uv reads the index file only under the normalized, underscored name.
            assert index["file"].endswith("-variants.json") and index["file"].count("-") == 2, index["file"]
    applicable = len(APPLICABLE)
    assert applicable >= 50 and applicable > 2 * (len(SCENARIOS) - applicable)


# -- real uv -------------------------------------------------------------------------------------
def _parse_expect(scenario: Mapping[str, Any]) -> Dict[str, Any]:
    if scenario["uv_accepts"]:
        return {"file": PARSE_WHEEL}
    return {"error": "no-solution",
            "message": ["ok==1.0.0 has invalid metadata", f"Failed to parse variant metadata `{PARSE_INDEX}`",
                        scenario["message"]]}


@pytest.mark.parametrize("scenario", list(_params(mark_known=False)))
def test_uv_does_what_the_data_says(scenario, tmp_path, uv_bin, target_python, uv_cache):
    _skip_unless_machine(scenario)
    folder = build_folder(scenario, tmp_path / "links")
    kind = scenario.get("kind", "install")
    if kind == "rank":
        expect = scenario["expect"]
        seen = []
        for i, label in enumerate(expect["order"]):
            out = run_uv(uv_bin, target_python, folder, scenario, cache=uv_cache, target=tmp_path / f"t{i}")
            wanted = f"ok-1.0.0-py3-none-any-{label}.whl"
            assert out.error is None and out.selected == wanted, \
                f"after {seen}: expected {wanted}, uv: {out.error or out.selected}\n{out.summary()}"
            seen.append(label)
            (folder / wanted).unlink()
        out = run_uv(uv_bin, target_python, folder, scenario, cache=uv_cache, target=tmp_path / "last")
        problems = uv_problems(out, expect["then"])
    else:
        expect = _parse_expect(scenario) if kind == "parse" else scenario["expect"]
        out = run_uv(uv_bin, target_python, folder, scenario, cache=uv_cache, target=tmp_path / "target")
        problems = uv_problems(out, expect)
    assert not problems, "\n".join(problems) + "\n" + out.summary()


# -- varwheel ------------------------------------------------------------------------------------
def _explain(scenario: Mapping[str, Any], folder: Path) -> str:
    from varwheel.machine.select import select

    sel = select(scenario["requirement"], [folder], env=scenario_env(scenario.get("env")), require_index=True,
                 all_releases=True, **dict(scenario.get("select", {})))
    lines = list(sel.warnings)
    for release in sel.releases:
        for cand in release.candidates:
            lines.append(f"{cand.name}: {cand.verdict()}")
    return "\n".join(lines)


@pytest.mark.parametrize("scenario", list(_params(mark_known=True)))
def test_varwheel_agrees_with_uv(scenario, tmp_path):
    _skip_unless_machine(scenario)
    kind = scenario.get("kind", "install")
    if kind == "parse":
        from varwheel.errors import InvalidInput
        from varwheel.model.document import VariantDocument

        try:
            VariantDocument.loads(json.dumps(scenario["document"]).encode(), source=PARSE_INDEX)
        except InvalidInput as exc:
            assert not scenario["uv_accepts"], f"uv accepts this document, varwheel refuses it: {exc}"
        else:
            assert scenario["uv_accepts"], f"uv refuses this document ({scenario['message']}), varwheel accepts it"
        return
    folder = build_folder(scenario, tmp_path / "links")
    if kind == "rank":
        assert list(varwheel_order(scenario, folder)) == scenario["expect"]["order"], _explain(scenario, folder)
        return
    expected = scenario["expect"].get("file")  # None: uv errors, so nothing is the right answer
    assert varwheel_pick(scenario, folder) == expected, _explain(scenario, folder)


def test_a_changed_expectation_fails(tmp_path, uv_bin, target_python, uv_cache):
    """The uv check is not vacuous: the same folder with another expected file is reported."""
    scenario = next(s for s in APPLICABLE if s["id"] == "wheel_variant_compatibility.select_variant_by_static_provider_order")
    folder = build_folder(scenario, tmp_path / "links")
    out = run_uv(uv_bin, target_python, folder, scenario, cache=uv_cache, target=tmp_path / "target")
    assert uv_problems(out, scenario["expect"]) == []
    wrong = dict(scenario["expect"], file="ok-1.0.0-py3-none-any-mkl.whl")
    assert any("uv installed ok-1.0.0-py3-none-any-openblas_or_accelerate.whl" in p for p in uv_problems(out, wrong))
