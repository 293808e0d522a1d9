"""[tool.varwheel]: the inner backend (explicit, inferred, in-tree) and its errors."""

from __future__ import annotations

import sys

import pytest

from tests.helpers_build import FIXTURES, copy_project, run
from varwheel.model.toml import load_toml
from varwheel.errors import InvalidPyproject
from varwheel.build.toolconfig import KNOWN_BACKENDS, load_project_config, parse_tool_config


def config(requires=None, tool=None, **kwargs):
    data = {"build-system": {"requires": requires if requires is not None else ["varwheel"], "build-backend": "varwheel.build"}}
    if tool is not None:
        data["tool"] = {"varwheel": tool}
    return parse_tool_config(data, **kwargs)


@pytest.mark.parametrize(
    "requirement,backend",
    [
        ("scikit-build-core>=0.10", "scikit_build_core.build"),
        ("scikit_build_core", "scikit_build_core.build"),
        ("setuptools>=64", "setuptools.build_meta"),
        ("hatchling", "hatchling.build"),
        ("flit_core >=3.9,<4", "flit_core.buildapi"),
        ("meson-python", "mesonpy"),
        ("Meson_Python[extra]; python_version >= '3.9'", "mesonpy"),
    ],
)
def test_backend_inferred_from_the_one_known_requirement(requirement, backend):
    tool = config(["varwheel", requirement, "pybind11", "setuptools-scm"])
    assert (tool.backend, tool.inferred) == (backend, True)


def test_explicit_backend_wins_and_family():
    tool = config(["varwheel", "scikit-build-core", "setuptools"], {"backend": "scikit_build_core.build"})
    assert (tool.backend, tool.inferred, tool.family) == ("scikit_build_core.build", False, "scikit-build-core")
    assert config(tool={"backend": "mesonpy"}).family == "meson-python"
    assert config(tool={"backend": "setuptools.build_meta:__legacy__"}).family == "setuptools"
    assert config(tool={"backend": "my_backend"}).family == "other"


def test_no_known_backend_shows_the_line_to_add():
    with pytest.raises(InvalidPyproject) as info:
        config(["varwheel", "cython"])
    message = str(info.value)
    assert '[tool.varwheel] names no inner backend' in message
    assert 'backend = "scikit_build_core.build"' in message


def test_two_known_backends_need_a_choice():
    with pytest.raises(InvalidPyproject, match='backend = "scikit_build_core.build" or backend = "setuptools.build_meta"'):
        config(["varwheel", "scikit-build-core", "setuptools"])


@pytest.mark.parametrize(
    "tool,message",
    [
        ({"backend": "not a module"}, "is not a backend name"),
        ({"backend": "varwheel.build"}, "is varwheel itself"),
        ({"backend": "hatchling.build", "backend-path": "_b"}, "expected a list of folders"),
        ({"backend": "hatchling.build", "backend-path": ["../elsewhere"]}, "outside the project"),
        ({"backend": "hatchling.build", "backends": "x"}, r"tool.varwheel.backends: unknown key"),
        ({"backend": "hatchling.build", "mapping": {"x86_64": {}}}, "the key must be"),
    ],
)
def test_bad_tool_tables(tmp_path, tool, message):
    with pytest.raises(InvalidPyproject, match=message):
        config(tool=tool, root=tmp_path)


def test_fixture_projects_configurations():
    expected = {
        "skbuild_probe": ("scikit_build_core.build", False),
        "skbuild_cuda": ("scikit_build_core.build", False),
        "setuptools_probe": ("setuptools.build_meta", False),
        "meson_probe": ("mesonpy", False),
        "hatch_pure": ("hatchling.build", True),
        "flit_pure": ("flit_core.buildapi", False),
        "recorder": ("recorder_backend", False),
    }
    for name, (backend, inferred) in expected.items():
        project = load_project_config(FIXTURES / name)
        assert (project.tool.backend, project.tool.inferred) == (backend, inferred), name
        assert project.variant_project.default_priorities, f"{name}: declares [variant] (the null variant needs it)"
        data = load_toml(FIXTURES / name / "pyproject.toml")
        assert data["build-system"]["build-backend"] == "varwheel.build"


def test_probe_sources_are_identical():
    sources = {name: (FIXTURES / name / "probe.c").read_bytes() for name in ("skbuild_probe", "setuptools_probe", "meson_probe")}
    assert len(set(sources.values())) == 1, "keep the three probe.c copies identical"


def test_known_backends_are_importable_here():
    # The test extra installs every backend varwheel infers for the fixtures.
    for dist in ("scikit-build-core", "setuptools", "hatchling", "flit-core", "meson-python"):
        module = KNOWN_BACKENDS[dist].split(":")[0]
        run([sys.executable, "-c", f"import {module}"])


def test_import_is_cheap_and_dependency_free(tmp_path):
    """varwheel.build loads only the stdlib and varwheel.errors at import time."""
    code = (
        "import sys; before = set(sys.modules); import varwheel.build; "
        "new = sorted(m for m in set(sys.modules) - before if m.startswith(('varwheel', 'packaging', 'tomli', 'tomllib'))); "
        "print(','.join(new))"
    )
    out = run([sys.executable, "-c", code], cwd=tmp_path).stdout.strip()
    assert out.split(",") == ["varwheel", "varwheel.build", "varwheel.errors"]


def test_hatch_fixture_infers_its_backend_in_a_real_build(tmp_path):
    project = copy_project("hatch_pure", tmp_path)
    out = tmp_path / "dist"
    run([sys.executable, "-m", "build", "-w", "-n", "-o", out, "-Cvariant=x86_64::level::v3", project])
    assert [p.name for p in out.iterdir()] == ["hatch_pure-1.0-py3-none-any-fa7c1393.whl"]
