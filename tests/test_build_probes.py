"""Must-show: real isolated builds of the ISA probe with scikit-build-core,
setuptools and meson-python through varwheel.build.

``python -m build -w -Cvariant=x86_64::level::v3``   -> ``*-fa7c1393.whl``, installed module reports __AVX2__, not __AVX512F__
``-Cvariant=x86_64::level::v4 -Cvariant-label=v4``   -> ``*-v4.whl`` reporting __AVX512F__
``-Cnull-variant``                                   -> ``*-null.whl`` with neither

Each fixture project is built once per variant per module (module-scoped
fixtures); varwheel comes from the session wheelhouse through PIP_FIND_LINKS.
The wheels are installed with uv (preview) into fresh venvs and the compiled
module is asked which macros it was compiled with.  Finally uv chooses among
v2/v3/v4/null of the scikit-build-core probe for this CPU.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.helpers_build import UV, Frontend, copy_project, cpu_x86_level, install_and_run, new_venv, only_wheel, run
from varwheel.model.pyproject import load_variant_project
from varwheel.model.request import resolve_variant

pytestmark = pytest.mark.slow

PROBES = {"skbuild_probe": "probe_skbuild", "setuptools_probe": "probe_setuptools", "meson_probe": "probe_meson"}
CASES = {
    "v3": ([("variant", "x86_64::level::v3")], "fa7c1393"),
    "v4": ([("variant", "x86_64::level::v4"), ("variant-label", "v4")], "v4"),
    "null": ([("null-variant", "")], "null"),
}


@pytest.fixture(scope="module")
def frontend(varwheel_wheelhouse, tmp_path_factory):
    return Frontend(varwheel_wheelhouse, tmp_path_factory.mktemp("frontend"))


@pytest.fixture(scope="module")
def built(frontend, tmp_path_factory):
    """``built(name)``: every case of one probe project, built once per module."""
    cache = {}

    def get(name):
        if name not in cache:
            work = tmp_path_factory.mktemp(name)
            project = copy_project(name, work)
            results = {}
            for case, (settings, _label) in CASES.items():
                out = work / f"dist-{case}"
                proc = frontend.build(project, out, settings)
                results[case] = (only_wheel(out), proc)
            cache[name] = (name, PROBES[name], project, results, work)
        return cache[name]

    return get


@pytest.fixture(scope="module", params=sorted(PROBES))
def probe(request, built):
    return built(request.param)


def probe_report(wheel: Path, module: str, venv: Path):
    code = f"import {module} as m; print(sorted(m.macros())); print(m.variant())"
    out = install_and_run(wheel, venv, code).splitlines()
    return eval(out[0]), eval(out[1])  # noqa: S307 - our own probe's repr


@pytest.mark.parametrize("case", sorted(CASES))
def test_wheel_name_and_variant_json(probe, case):
    name, _module, project, results, _ = probe
    wheel, proc = results[case]
    label = CASES[case][1]
    assert wheel.name.endswith(f"-{label}.whl"), wheel.name
    props = [v for k, v in CASES[case][0] if k == "variant"]
    expected = resolve_variant(props, label=label if case != "v3" else None, null=case == "null",
                               project=load_variant_project(project / "pyproject.toml"))
    with __import__("zipfile").ZipFile(wheel) as zf:
        dist_info = next(n.split("/")[0] for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
        assert zf.read(f"{dist_info}/variant.json") == expected.variant_json
    # One short summary from varwheel in the build log.
    summary = [l for l in (proc.stdout + proc.stderr).splitlines() if l.startswith("varwheel: building variant")]
    assert summary == [f"varwheel: building variant {label} ({', '.join(expected.description.strings()) or 'no properties'}) with "
                       f"{ {'skbuild_probe': 'scikit_build_core.build', 'setuptools_probe': 'setuptools.build_meta', 'meson_probe': 'mesonpy'}[name] }"]


def test_v3_reports_avx2_and_not_avx512(probe, tmp_path):
    _name, module, _project, results, _ = probe
    macros, (label, props) = probe_report(results["v3"][0], module, tmp_path / "venv")
    assert "__AVX2__" in macros and "__FMA__" in macros
    assert "__AVX512F__" not in macros
    assert props == "x86_64::level::v3"  # the variant itself reached the build (CMake entry, env, -Dvariant)
    if module != "probe_meson":  # meson gets the properties through -Dvariant, the label only by env
        assert label == "fa7c1393"


def test_v4_reports_avx512(probe, tmp_path):
    _name, module, _project, results, _ = probe
    macros, (_label, props) = probe_report(results["v4"][0], module, tmp_path / "venv")
    assert {"__AVX2__", "__AVX512F__", "__AVX512BW__", "__AVX512VL__"} <= set(macros)
    assert props == "x86_64::level::v4"


def test_null_reports_neither(probe, tmp_path):
    _name, module, _project, results, _ = probe
    macros, (label, props) = probe_report(results["null"][0], module, tmp_path / "venv")
    assert "__AVX2__" not in macros and "__AVX512F__" not in macros
    assert props == ""
    if module != "probe_meson":
        assert label == "null"


def test_uv_installs_the_best_level_for_this_cpu(built, frontend, tmp_path):
    """uv 0.13.9 (preview) picks among v2/v3/v4/null of the scikit-build-core probe."""
    name, module, project, results, work = built("skbuild_probe")
    level = cpu_x86_level()
    if level is None:
        pytest.skip("not an x86-64 Linux machine: /proc/cpuinfo has no x86 flags")
    folder = tmp_path / "index"
    folder.mkdir()
    for case in ("v3", "v4", "null"):
        wheel = results[case][0]
        (folder / wheel.name).write_bytes(wheel.read_bytes())
    out = work / "dist-v2"
    frontend.build(project, out, [("variant", "x86_64::level::v2"), ("variant-label", "v2")])
    (folder / only_wheel(out).name).write_bytes(only_wheel(out).read_bytes())
    run([sys.executable, "-m", "varwheel", "index", folder])
    assert (folder / "probe_skbuild-1.0-variants.json").exists()
    python = new_venv(tmp_path / "venv")
    proc = run([UV, "pip", "install", "--preview-features", "wheel-variants", "--python", python, "--no-index",
                "--find-links", folder, "probe-skbuild", "-v"], env=frontend.env)
    chosen = re.findall(r"Selecting: probe-skbuild==1\.0 \[compatible\] \((.*?)\)", proc.stderr)
    expected = {"v1": "null", "v2": "v2", "v3": "fa7c1393", "v4": "v4"}[level]
    assert chosen and chosen[-1].endswith(f"-{expected}.whl"), proc.stderr[-3000:]
    macros = run([python, "-c", f"import {module} as m; print(sorted(m.macros()))"]).stdout
    assert ("__AVX512F__" in macros) == (level == "v4")
    # pip (variant-unaware) refuses all of them: there is no plain wheel in the folder.
    pip = run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-index", "--find-links", folder, "-d", tmp_path / "pip", "probe-skbuild"], check=False)
    assert pip.returncode != 0
