"""``varwheel matrix``: one build entry per named variant, read back by cibuildwheel's own code.

The oracles: cibuildwheel's option loader and frontend helpers (what the
settings string becomes in a real cibuildwheel run: ``-C`` flags for
``python -m build``) and varwheel's backend settings parser (what the build
backend then understands).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
from pathlib import Path

import pytest

from varwheel.build.settings import parse_settings

PYPROJECT = """\
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.9"

[build-system]
requires = ["varwheel", "setuptools"]
build-backend = "varwheel.build"

[tool.cibuildwheel]
build = "cp311-manylinux_x86_64"
config-settings = {"cmake.verbose" = "true", "cmake.define.GREETING" = "hello world"}

[variant.default-priorities]
namespace = ["nvidia", "x86_64"]

[variant.providers.nvidia]
requires = ["nvidia-variant-provider"]
plugin-api = "nvidia_variant_provider.plugin:NvidiaVariantPlugin"

[variant.providers.x86_64]
requires = ["x86-64-variant-provider"]

[variant.variants.null]

[variant.variants.cu129]
nvidia.cuda_version_lower_bound = ["12.9"]
nvidia.sm_arch = ["90_real", "120_real"]

[variant.variants.x86_64_v3]
x86_64.level = ["v3"]
"""

BASE = ["cmake.verbose=true", "cmake.define.GREETING=hello world"]


@pytest.fixture
def project(tmp_path) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    return path


def test_github_matrix_lists_each_variant_null_last(project, run_varwheel):
    proc = run_varwheel("matrix", "--pyproject-toml", project, check=True)
    assert len(proc.stdout.strip().splitlines()) == 1  # one line, for $GITHUB_OUTPUT
    matrix = json.loads(proc.stdout)
    assert [e["label"] for e in matrix["include"]] == ["cu129", "x86_64_v3", "null"]
    cu129 = matrix["include"][0]
    assert cu129["properties"] == [
        "nvidia :: cuda_version_lower_bound :: 12.9", "nvidia :: sm_arch :: 120_real", "nvidia :: sm_arch :: 90_real",
    ]
    assert shlex.split(cu129["config-settings"]) == BASE + ["variant-label=cu129", "variant-defer-label=true"]
    assert shlex.split(cu129["build-args"]) == [f"-C{s}" for s in BASE] + [
        "-Cvariant-label=cu129", "-Cvariant-defer-label=true"]
    null = matrix["include"][2]
    assert null["null"] is True and null["properties"] == []
    assert shlex.split(null["config-settings"])[-2:] == ["null-variant=true", "variant-defer-label=true"]


def test_the_default_pyproject_is_the_one_in_the_current_folder(project, run_varwheel):
    proc = run_varwheel("matrix", "--format", "json", cwd=project.parent, check=True)
    assert [e["label"] for e in json.loads(proc.stdout)] == ["cu129", "x86_64_v3", "null"]


def test_cibuildwheel_format_lines_and_a_single_label(project, run_varwheel):
    lines = run_varwheel("matrix", "--pyproject-toml", project, "--format", "cibuildwheel", check=True).stdout
    rows = [line.split("\t") for line in lines.strip().splitlines()]
    assert [r[0] for r in rows] == ["cu129", "x86_64_v3", "null"]
    single = run_varwheel("matrix", "--pyproject-toml", project, "--format", "cibuildwheel",
                          "--label", "x86_64_v3", check=True).stdout.strip()
    assert single == rows[1][1]
    assert shlex.split(single) == BASE + ["variant-label=x86_64_v3", "variant-defer-label=true"]


def test_no_defer_label(project, run_varwheel):
    out = run_varwheel("matrix", "--pyproject-toml", project, "--format", "json", "--no-defer-label",
                       check=True).stdout
    assert [shlex.split(e["config-settings"])[len(BASE):] for e in json.loads(out)] == [
        ["variant-label=cu129"], ["variant-label=x86_64_v3"], ["null-variant=true"]]


@pytest.mark.parametrize("label", ["cu129", "x86_64_v3", "null"])
def test_cibuildwheel_reads_the_settings_and_the_backend_understands_them(project, run_varwheel, label):
    """CIBW_CONFIG_SETTINGS from `matrix` through cibuildwheel's option loading and frontend flags."""
    from cibuildwheel.frontend import get_build_frontend_extra_flags, parse_config_settings
    from cibuildwheel.options import CommandLineArguments, compute_options

    settings = run_varwheel("matrix", "--pyproject-toml", project, "--format", "cibuildwheel",
                            "--label", label, check=True).stdout.strip()
    args = dataclasses.replace(CommandLineArguments.defaults(), platform="linux", package_dir=project.parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}
    env["CIBW_CONFIG_SETTINGS"] = settings
    options = compute_options("linux", args, env)
    build = options.build_options("cp311-manylinux_x86_64")
    flags = get_build_frontend_extra_flags(build.build_frontend, 0, build.config_settings)
    assert flags[: len(BASE)] == [f"-C{s}" for s in BASE]  # the project's own settings survive
    parsed = parse_config_settings(build.config_settings)
    assert parsed["cmake.define.GREETING"] == "hello world"
    ours, rest = parse_settings(parsed)
    assert rest == {"cmake.verbose": "true", "cmake.define.GREETING": "hello world"}
    assert ours.defer_label is True
    if label == "null":
        assert ours.null and ours.label is None
    else:
        assert ours.label == label and not ours.null


@pytest.mark.parametrize("table", [
    'config-settings = "cmake.verbose=true \'cmake.define.GREETING=hello world\'"',
    'config-settings = {"cmake.verbose" = "true", "cmake.define.GREETING" = "hello world"}',
])
def test_project_settings_as_string_or_table(tmp_path, run_varwheel, table):
    text = PYPROJECT.replace(
        'config-settings = {"cmake.verbose" = "true", "cmake.define.GREETING" = "hello world"}', table)
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    out = json.loads(run_varwheel("matrix", "--pyproject-toml", path, "--format", "json", check=True).stdout)
    assert shlex.split(out[0]["config-settings"])[:2] == BASE


def test_without_project_settings_only_the_variant_ones(tmp_path, run_varwheel):
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT.replace(
        'config-settings = {"cmake.verbose" = "true", "cmake.define.GREETING" = "hello world"}\n', ""))
    out = run_varwheel("matrix", "--pyproject-toml", path, "--format", "cibuildwheel", "--label", "cu129",
                       check=True).stdout.strip()
    assert out == "variant-label=cu129 variant-defer-label=true"


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.split("[variant.variants.null]")[0], "declares no [variant.variants.<label>] tables"),
    (lambda t: t.replace('"cmake.verbose" = "true"', '"variant-label" = "x"'), "which every variant job sets itself"),
    (lambda t: t.replace('x86_64.level = ["v3"]', 'x86_64.level = "v3"'), "variant.variants.x86_64_v3"),
    (lambda t: t + "[broken\n", "not valid TOML"),
])
def test_bad_pyproject_is_a_usage_error(tmp_path, run_varwheel, edit, message):
    path = tmp_path / "pyproject.toml"
    path.write_text(edit(PYPROJECT))
    proc = run_varwheel("matrix", "--pyproject-toml", path)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr


def test_unknown_label_and_missing_file(tmp_path, project, run_varwheel):
    proc = run_varwheel("matrix", "--pyproject-toml", project, "--label", "cu130")
    assert proc.returncode == 2 and "no [variant.variants.cu130]" in proc.stderr and "cu129" in proc.stderr
    proc = run_varwheel("matrix", "--pyproject-toml", tmp_path / "missing.toml")
    assert proc.returncode == 2 and "no such file" in proc.stderr
    proc = run_varwheel("matrix", "--pyproject-toml", project, "--format", "yaml")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
