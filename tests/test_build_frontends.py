"""Every frontend's way of passing settings, through real isolated builds.

* ``python -m build --config-json`` (lists and booleans as JSON values),
* ``uv build -C key=value`` (repeated keys become a list, ``key=`` for empty),
* ``pip wheel --config-settings`` (deferred label: pip accepts the plain name),
* pip without variant settings (``pip wheel .``, ``pip install .``,
  ``pip install -e .``) behaves as the inner backend alone,
* ``pip install -e . --config-settings variant=...`` compiles with the flags,
  never labels.

varwheel always comes from the session wheelhouse (PIP_FIND_LINKS for build
and pip, ``--find-links`` for uv).
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers_build import (
    UV,
    Frontend,
    copy_project,
    install_and_run,
    new_venv,
    only_wheel,
    run,
    unpack_and_run,
    variant_json,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def frontend(varwheel_wheelhouse, tmp_path_factory):
    return Frontend(varwheel_wheelhouse, tmp_path_factory.mktemp("frontend"))


def macros_of(wheel: Path, module: str, venv: Path):
    out = install_and_run(wheel, venv, f"import {module} as m; print(sorted(m.macros())); print(m.variant())").splitlines()
    return set(eval(out[0])), eval(out[1])  # noqa: S307 - our own probe's repr


def test_config_json_with_lists_and_user_setup_args(frontend, tmp_path):
    project = copy_project("meson_probe", tmp_path)
    out = tmp_path / "dist"
    settings = {"variant": ["x86_64::level::v4"], "variant-label": "v4", "setup-args": ["-Db_ndebug=true"]}
    proc = frontend.build_json(project, out, settings)
    wheel = only_wheel(out)
    assert wheel.name.startswith("probe_meson-1.0-") and wheel.name.endswith("-v4.whl")
    macros, (_label, props) = macros_of(wheel, "probe_meson", tmp_path / "venv")
    assert "__AVX512F__" in macros and props == "x86_64::level::v4"
    assert "setup-args -Dvariant=['x86_64::level::v4']" in proc.stdout + proc.stderr


def test_config_json_boolean_null_variant(frontend, tmp_path):
    project = copy_project("hatch_pure", tmp_path)
    out = tmp_path / "dist"
    frontend.build_json(project, out, {"null-variant": True})
    wheel = only_wheel(out)
    assert wheel.name == "hatch_pure-1.0-py3-none-any-null.whl"
    assert variant_json(wheel)["variants"] == {"null": {}}


def test_uv_build_with_repeated_settings(frontend, tmp_path):
    project = copy_project("skbuild_probe", tmp_path)
    out = tmp_path / "dist"
    frontend.uv_build(project, out, [("variant", "x86_64::level::v3"), ("variant", "x86_64::avx512_bf16::on")])
    wheel = only_wheel(out)
    assert wheel.name.endswith("-82dc98b7.whl")  # hash of the two properties
    # uv's built-in x86_64 provider evaluates only `level`: it would not install this
    # variant, so the module is loaded from the unpacked wheel.
    out = unpack_and_run(wheel, tmp_path / "unpacked", "import probe_skbuild as m; print(sorted(m.macros())); print(m.variant())")
    macros, (label, props) = set(eval(out.splitlines()[0])), eval(out.splitlines()[1])  # noqa: S307
    assert {"__AVX2__", "__AVX512BF16__"} <= macros
    assert label == "82dc98b7" and props == "x86_64::avx512_bf16::on,x86_64::level::v3"


def test_uv_build_empty_value_null_variant_with_flit(frontend, tmp_path):
    project = copy_project("flit_pure", tmp_path)
    out = tmp_path / "dist"
    frontend.uv_build(project, out, [("null-variant", "")])
    assert only_wheel(out).name == "flit_pure-1.0-py3-none-any-null.whl"


def test_pip_wheel_with_deferred_label(frontend, tmp_path):
    project = copy_project("setuptools_probe", tmp_path)
    out = tmp_path / "wheels"
    frontend.pip("wheel", "--no-deps", "-w", out, project,
                 settings=[("variant", "x86_64::level::v3"), ("variant-defer-label", "true")])
    wheel = only_wheel(out)
    assert wheel.name == "probe_setuptools-1.0-cp%d%d-cp%d%d-linux_x86_64.whl" % (sys.version_info[:2] * 2)
    assert variant_json(wheel)["variants"] == {"fa7c1393": {"x86_64": {"level": ["v3"]}}}
    macros, _ = macros_of(wheel, "probe_setuptools", tmp_path / "venv")
    assert "__AVX2__" in macros and "__AVX512F__" not in macros


def inner_only(project: Path, backend: str, requirement: str) -> Path:
    """The same project with the inner backend as its build-backend (no varwheel)."""
    text = (project / "pyproject.toml").read_text()
    text = text.replace('build-backend = "varwheel.build"', f'build-backend = "{backend}"')
    text = text.replace('requires = ["varwheel", ', "requires = [")
    assert "varwheel.build" not in text
    twin = project.parent / (project.name + "_inner")
    twin.mkdir()
    for item in project.iterdir():
        if item.is_file():
            (twin / item.name).write_bytes(item.read_bytes())
        else:
            import shutil

            shutil.copytree(item, twin / item.name)
    (twin / "pyproject.toml").write_text(text)
    return twin


def test_pip_wheel_without_settings_is_the_inner_backends_wheel(frontend, tmp_path):
    project = copy_project("setuptools_probe", tmp_path)
    twin = inner_only(project, "setuptools.build_meta", "setuptools")
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    frontend.pip("wheel", "--no-deps", "-w", ours, project)
    frontend.pip("wheel", "--no-deps", "-w", theirs, twin)
    a, b = only_wheel(ours), only_wheel(theirs)
    assert a.name == b.name
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert sorted(za.namelist()) == sorted(zb.namelist())
        assert not any(n.endswith("variant.json") for n in za.namelist())


def installed_files(python: Path, dist: str):
    code = (
        "import importlib.metadata as m, json; d = m.distribution(%r); "
        "print(json.dumps(sorted(str(f) for f in d.files if 'direct_url' not in str(f) and not str(f).endswith('.pyc'))))" % dist
    )
    return json.loads(run([python, "-c", code]).stdout)


@pytest.mark.parametrize("editable", [False, True], ids=["pip install .", "pip install -e ."])
def test_pip_install_without_settings_behaves_as_the_inner_backend(frontend, tmp_path, editable):
    project = copy_project("hatch_pure", tmp_path)
    twin = inner_only(project, "hatchling.build", "hatchling")
    results = []
    for name, source in (("ours", project), ("theirs", twin)):
        python = new_venv(tmp_path / f"venv-{name}")
        args = ["--python", python, "install", "--no-deps"] + (["-e"] if editable else []) + [source]
        frontend.pip(*args)
        results.append(installed_files(python, "hatch-pure"))
        where = run([python, "-c", "import hatch_pure; print(hatch_pure.__file__)"], cwd=tmp_path).stdout.strip()
        assert (where.startswith(str(source)) if editable else "site-packages" in where), where
    assert results[0] == results[1]
    assert not any("variant.json" in f for f in results[0])


def test_pip_editable_with_a_variant_gets_the_flags_but_no_label(frontend, tmp_path):
    project = copy_project("skbuild_probe", tmp_path)
    python = new_venv(tmp_path / "venv")
    proc = frontend.pip("--python", python, "install", "--no-deps", "-e", project, "-v",
                        settings=[("variant", "x86_64::level::v4")])
    assert "building (editable, no label) variant" in proc.stdout + proc.stderr
    out = run([python, "-c", "import probe_skbuild as m; print(sorted(m.macros())); print(m.variant())"], cwd=tmp_path).stdout
    assert "__AVX512F__" in out and "x86_64::level::v4" in out
    files = installed_files(python, "probe-skbuild")
    assert not any("variant.json" in f for f in files)


def test_persistent_build_dir_gets_one_folder_per_variant(tmp_path):
    """scikit-build-core with a persistent build-dir: v3 then v4 in one tree, no stale objects."""
    project = copy_project("skbuild_probe", tmp_path)
    wheels = {}
    for label, settings in (("fa7c1393", ["-Cvariant=x86_64::level::v3"]), ("v4", ["-Cvariant=x86_64::level::v4", "-Cvariant-label=v4"])):
        out = tmp_path / f"dist-{label}"
        run([sys.executable, "-m", "build", "-w", "-n", "-o", out, "-Cbuild-dir=build/{wheel_tag}", *settings, project])
        wheels[label] = only_wheel(out)
    # Each variant's folder sits beside the plain build's (build/{wheel_tag}), not inside it.
    tag = "cp%d%d-cp%d%d-linux_x86_64" % (sys.version_info[:2] * 2)
    assert sorted(p.name for p in (project / "build").iterdir()) == [f"{tag}-varwheel-fa7c1393", f"{tag}-varwheel-v4"]
    v4, _ = macros_of(wheels["v4"], "probe_skbuild", tmp_path / "venv")
    assert "__AVX512F__" in v4


def test_sdist_then_wheel_with_variant_settings(frontend, tmp_path):
    """``python -m build`` (no -w): the sdist hook gets the settings too, strips them, stays plain."""
    import tarfile

    project = copy_project("skbuild_probe", tmp_path)
    out = tmp_path / "dist"
    frontend.build(project, out, [("variant", "x86_64::level::v3")], with_sdist=True)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["probe_skbuild-1.0-cp%d%d-cp%d%d-linux_x86_64-fa7c1393.whl" % (sys.version_info[:2] * 2), "probe_skbuild-1.0.tar.gz"]
    with tarfile.open(out / "probe_skbuild-1.0.tar.gz") as tf:
        members = tf.getnames()
    assert not any(m.endswith((".so", ".whl", "variant.json")) for m in members), members


#: pip releases the deferred-label rule is checked with: this environment's pip, and pip 26.
PIP_26 = "pip==26.3"


@pytest.fixture(scope="module")
def pip26(tmp_path_factory) -> Path:
    """A venv whose pip is 26.x (from PyPI), beside the test environment's own pip."""
    python = new_venv(tmp_path_factory.mktemp("pip26") / "venv")
    run([UV, "pip", "install", "-q", "--python", python, PIP_26])
    assert run([python, "-m", "pip", "--version"]).stdout.startswith("pip 26.")
    return python


@pytest.mark.parametrize("which", ["test environment's pip", "pip 26"])
def test_pip_wheel_defers_the_label_by_itself(frontend, tmp_path, which, request):
    """pip rejects labelled names: under pip the backend keeps the plain name and says how to finish."""
    python = Path(sys.executable) if which != "pip 26" else request.getfixturevalue("pip26")
    project = copy_project("setuptools_probe", tmp_path)
    out = tmp_path / "wheels"
    cmd = [python, "-m", "pip", "wheel", "--no-deps", "-v", "-w", out, project, "--config-settings", "variant=x86_64::level::v3"]
    proc = run(cmd, env=frontend.env)
    wheel = only_wheel(out)
    assert wheel.name == "probe_setuptools-1.0-cp%d%d-cp%d%d-linux_x86_64.whl" % (sys.version_info[:2] * 2)
    assert variant_json(wheel)["variants"] == {"fa7c1393": {"x86_64": {"level": ["v3"]}}}
    assert f"varwheel relabel {wheel.name}" in proc.stdout + proc.stderr
    relabelled = run([sys.executable, "-m", "varwheel", "relabel", wheel]).stdout.strip()
    assert Path(relabelled).name.endswith("-fa7c1393.whl")
