"""The PEP 517/660 hooks of varwheel.build, one by one, as frontends call them.

The inner backend is ``fixtures/projects/recorder``: an in-tree backend
(``tool.varwheel.backend-path``) that delegates to flit-core and logs the
config settings and compiler environment each hook received.  Hooks run in a
subprocess through pyproject_hooks (what build and pip use), without
isolation, so these tests take seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers_build import HookCaller, copy_project, last, read_log, run, variant_json
from varwheel.model.pyproject import load_variant_project
from varwheel.model.request import resolve_variant

OWNED = {"variant", "variant-property", "variant-name", "variant-label", "null-variant", "variant-defer-label", "variant-metadata-format"}


@pytest.fixture
def project(tmp_path):
    return copy_project("recorder", tmp_path)


@pytest.fixture
def log(tmp_path):
    return tmp_path / "recorder.jsonl"


@pytest.fixture
def hooks(project, log):
    return HookCaller(project, env={"RECORDER_LOG": str(log)})


def expected_variant_json(project, props=(), **kwargs) -> bytes:
    return resolve_variant(list(props), project=load_variant_project(project / "pyproject.toml"), **kwargs).variant_json


# -- no variant settings: exactly the inner backend ---------------------------------------------------
def test_without_variant_settings_the_wheel_is_the_inner_backends(project, hooks, log, tmp_path):
    ours = tmp_path / "ours"
    theirs = tmp_path / "theirs"
    ours.mkdir(), theirs.mkdir()
    name = hooks.build_wheel(str(ours), {"unrelated": "x"})
    inner = HookCaller(project, backend="recorder_backend", backend_path=["_backend"])
    inner_name = inner.build_wheel(str(theirs), {"unrelated": "x"})
    assert name == inner_name == "recorder_demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(ours / name) as a, zipfile.ZipFile(theirs / inner_name) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        assert all(a.read(n) == b.read(n) for n in a.namelist())
    entry = last(read_log(log), "build_wheel")
    assert entry["config_settings"] == {"unrelated": "x"}
    assert entry["env"]["CFLAGS"] is None and entry["env"]["VARWHEEL_VARIANT_LABEL"] is None
    assert "varwheel:" not in hooks.stderr  # nothing to say


def test_no_config_settings_reach_the_inner_backend_as_none(hooks, log, tmp_path):
    hooks.build_wheel(str(tmp_path))
    assert last(read_log(log), "build_wheel")["config_settings"] is None


# -- a variant build ------------------------------------------------------------------------------------
def test_variant_wheel_name_variant_json_and_what_the_inner_backend_saw(project, hooks, log, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    settings = {"variant": ["x86_64 :: level :: v3", "blas_lapack::library::mkl"], "variant-label": "mkl", "cmake.build-type": "Debug"}
    name = hooks.build_wheel(str(out), settings)
    assert name == "recorder_demo-1.0-py3-none-any-mkl.whl"
    assert sorted(p.name for p in out.iterdir()) == [name]  # no plain wheel, no temp file left
    with zipfile.ZipFile(out / name) as zf:
        assert zf.read("recorder_demo-1.0.dist-info/variant.json") == expected_variant_json(
            project, ["x86_64::level::v3", "blas_lapack::library::mkl"], label="mkl"
        )
    entry = last(read_log(log), "build_wheel")
    assert entry["config_settings"] == {"cmake.build-type": "Debug"}  # varwheel's keys removed
    env = entry["env"]
    assert env["CFLAGS"] == env["CXXFLAGS"] == "-DUSE_mkl -march=x86-64-v3"
    assert env["LDFLAGS"] == "-lmkl_rt"
    assert env["CMAKE_ARGS"] == "-DBLA_VENDOR=Intel10_64lp"
    assert env["BLAS_VENDOR"] == "mkl"
    assert env["VARWHEEL_VARIANT_LABEL"] == "mkl"
    assert env["VARWHEEL_VARIANT_PROPERTIES"] == "blas_lapack::library::mkl;x86_64::level::v3"
    # One short summary on stderr; the recorder builds Python only, which the summary says.
    lines = [l for l in hooks.stderr.splitlines() if l.startswith("varwheel:")]
    assert len(lines) == 3, hooks.stderr
    assert lines[0] == "varwheel: building variant mkl (blas_lapack :: library :: mkl, x86_64 :: level :: v3) with recorder_backend"
    assert "CFLAGS/CXXFLAGS += -DUSE_mkl -march=x86-64-v3" in lines[1]
    assert lines[2].startswith("varwheel: warning: the inner backend recorder_backend built a pure-Python wheel")


def test_hash_label_and_spaces_tolerated(hooks, tmp_path):
    assert hooks.build_wheel(str(tmp_path), {"variant": "x86_64::level::v3"}).endswith("-fa7c1393.whl")


def test_label_alone_takes_properties_from_pyproject(project, hooks, log, tmp_path):
    name = hooks.build_wheel(str(tmp_path), {"variant-label": "v4"})
    assert name.endswith("-v4.whl")
    assert variant_json(tmp_path / name)["variants"] == {"v4": {"x86_64": {"level": ["v4"]}}}
    assert last(read_log(log), "build_wheel")["env"]["CFLAGS"] == "-march=x86-64-v4"


def test_variant_name_is_recorded_without_flags(hooks, log, tmp_path):
    name = hooks.build_wheel(str(tmp_path), {"variant-name": "x86_64::level::v4", "variant": "nvidia::sm_arch::90_real", "variant-label": "gpu"})
    assert name.endswith("-gpu.whl")
    assert variant_json(tmp_path / name)["variants"]["gpu"] == {"nvidia": {"sm_arch": ["90_real"]}, "x86_64": {"level": ["v4"]}}
    env = last(read_log(log), "build_wheel")["env"]
    assert env["CFLAGS"] is None  # v4 recorded only
    assert env["CUDAARCHS"] == "90-real" and env["TORCH_CUDA_ARCH_LIST"] == "9.0"
    assert env["VARWHEEL_NVCC_FLAGS"] == "-gencode=arch=compute_90,code=sm_90"


def test_null_variant(project, hooks, log, tmp_path):
    name = hooks.build_wheel(str(tmp_path), {"null-variant": ""})
    assert name == "recorder_demo-1.0-py3-none-any-null.whl"
    assert variant_json(tmp_path / name)["variants"] == {"null": {}}
    env = last(read_log(log), "build_wheel")["env"]
    assert env["VARWHEEL_VARIANT_LABEL"] == "null" and env["VARWHEEL_VARIANT_PROPERTIES"] == ""
    assert env["CFLAGS"] is None


def test_pep825_metadata_format(hooks, tmp_path):
    name = hooks.build_wheel(str(tmp_path), {"variant": "x86_64::level::v3", "variant-metadata-format": "pep825"})
    doc = variant_json(tmp_path / name)
    assert doc["$schema"].endswith("/peps/825/v0.1.1.json") and "providers" not in doc


def test_deferred_label_keeps_the_plain_name(project, hooks, tmp_path):
    name = hooks.build_wheel(str(tmp_path), {"variant": "x86_64::level::v3", "variant-defer-label": "true"})
    assert name == "recorder_demo-1.0-py3-none-any.whl"
    assert variant_json(tmp_path / name)["variants"] == {"fa7c1393": {"x86_64": {"level": ["v3"]}}}
    assert "deferred" in hooks.stderr


def test_a_deferred_variant_replacing_another_says_so(hooks, tmp_path):
    hooks.build_wheel(str(tmp_path), {"variant": "x86_64::level::v3", "variant-defer-label": "true"})
    assert "warning: replacing" not in hooks.stderr
    hooks.build_wheel(str(tmp_path), {"variant": "x86_64::level::v3", "variant-defer-label": "true"})
    assert "warning: replacing" not in hooks.stderr  # the same variant again: a plain rebuild
    name = hooks.build_wheel(str(tmp_path), {"variant": "x86_64::level::v4", "variant-defer-label": "true"})
    assert f"warning: replacing {name} (fa7c1393) with variant cfdbe307" in hooks.stderr
    assert variant_json(tmp_path / name)["variants"] == {"cfdbe307": {"x86_64": {"level": ["v4"]}}}


def test_rebuilding_into_the_same_folder_replaces_the_wheel(hooks, tmp_path):
    first = hooks.build_wheel(str(tmp_path), {"variant": "x86_64::level::v3"})
    second = hooks.build_wheel(str(tmp_path), {"variant": "x86_64::level::v3"})
    assert first == second and [p.name for p in tmp_path.glob("*.whl")] == [first]


# -- metadata, editable, sdist -----------------------------------------------------------------------------
def test_prepare_metadata_writes_the_same_variant_json_the_wheel_carries(project, hooks, log, tmp_path):
    meta = tmp_path / "meta"
    meta.mkdir()
    settings = {"variant": ["x86_64::level::v3"], "variant-label": "v3"}
    dist_info = hooks.prepare_metadata_for_build_wheel(str(meta), settings, _allow_fallback=False)
    assert dist_info == "recorder_demo-1.0.dist-info"
    in_meta = (meta / dist_info / "variant.json").read_bytes()
    assert last(read_log(log), "prepare_metadata_for_build_wheel")["config_settings"] == {}
    out = tmp_path / "out"
    out.mkdir()
    name = hooks.build_wheel(str(out), settings, metadata_directory=str(meta / dist_info))
    with zipfile.ZipFile(out / name) as zf:
        assert zf.read(f"{dist_info}/variant.json") == in_meta == expected_variant_json(project, ["x86_64::level::v3"], label="v3")


def test_prepare_metadata_without_variant_adds_nothing(hooks, tmp_path):
    dist_info = hooks.prepare_metadata_for_build_wheel(str(tmp_path), None, _allow_fallback=False)
    assert not (tmp_path / dist_info / "variant.json").exists()


def test_editable_gets_flags_but_no_label_and_no_variant_json(hooks, log, tmp_path):
    name = hooks.build_editable(str(tmp_path), {"variant": "x86_64::level::v3"})
    assert name == "recorder_demo-1.0-py3-none-any.whl"
    assert variant_json(tmp_path / name) is None
    entry = last(read_log(log), "build_editable")
    assert entry["env"]["CFLAGS"] == "-march=x86-64-v3" and entry["config_settings"] == {}
    assert "editable, no label" in hooks.stderr


def test_sdist_is_never_a_variant(hooks, log, tmp_path):
    name = hooks.build_sdist(str(tmp_path), {"variant": "x86_64::level::v3", "variant-label": "v3", "other": "1"})
    assert name == "recorder_demo-1.0.tar.gz"
    entry = last(read_log(log), "build_sdist")
    assert entry["config_settings"] == {"other": "1"}
    assert entry["env"]["CFLAGS"] is None and entry["env"]["VARWHEEL_VARIANT_LABEL"] is None
    import tarfile

    with tarfile.open(tmp_path / name) as tf:
        names = tf.getnames()
    assert not any(n.endswith("variant.json") or n.endswith(".whl") or "varwheel-inner" in n for n in names)


def test_get_requires_return_the_inner_answer_with_settings_stripped(hooks, log):
    assert hooks.get_requires_for_build_wheel({"variant": "x86_64::level::v3", "x": "1"}) == ["recorder-wheel-requirement"]
    assert last(read_log(log), "get_requires_for_build_wheel")["config_settings"] == {"x": "1"}
    assert hooks.get_requires_for_build_editable({"null-variant": "true"}) == ["recorder-editable-requirement"]
    assert last(read_log(log), "get_requires_for_build_editable")["config_settings"] == {}
    # The recorder has no get_requires_for_build_sdist: PEP 517's default is [].
    assert hooks.get_requires_for_build_sdist({"variant": "x86_64::level::v3"}) == []


def test_optional_hooks_exist_only_when_the_inner_backend_has_them(project):
    code = (
        "import json, varwheel.build as b; "
        "print(json.dumps({h: hasattr(b, h) for h in b.OPTIONAL_HOOKS}))"
    )
    proc = run([sys.executable, "-c", code], cwd=project)
    assert json.loads(proc.stdout) == {
        "prepare_metadata_for_build_wheel": True,
        "build_editable": True,
        "get_requires_for_build_editable": True,
        "prepare_metadata_for_build_editable": False,
    }
    # ...and with a real backend that has all of them (flit-core).
    flit = copy_project("flit_pure", project.parent)
    proc = run([sys.executable, "-c", code], cwd=flit)
    assert set(json.loads(proc.stdout).values()) == {True}


def test_hooks_accept_keyword_arguments_and_restore_the_environment(project, monkeypatch, tmp_path):
    """In-process, as a frontend calling hooks with keywords: os.environ comes back unchanged."""
    import varwheel.build as backend

    monkeypatch.chdir(project)
    monkeypatch.setenv("CFLAGS", "-O1")
    monkeypatch.setenv("RECORDER_LOG", str(tmp_path / "log.jsonl"))
    monkeypatch.delenv("VARWHEEL_DEBUG", raising=False)
    before = dict(os.environ)
    name = backend.build_wheel(wheel_directory=str(tmp_path), config_settings={"variant": "x86_64::level::v3"}, metadata_directory=None)
    assert dict(os.environ) == before
    assert last(read_log(tmp_path / "log.jsonl"), "build_wheel")["env"]["CFLAGS"] == "-O1 -march=x86-64-v3"
    (tmp_path / "e").mkdir()
    (tmp_path / "f").mkdir()
    name2 = backend.build_editable(wheel_directory=str(tmp_path / "e"), config_settings={"variant": "x86_64::level::v3"})
    assert dict(os.environ) == before and name2.endswith("py3-none-any.whl")
    assert backend.get_requires_for_build_wheel(config_settings=None) == ["recorder-wheel-requirement"]
    assert name.endswith("-fa7c1393.whl")
    # A failing inner hook restores it too.
    monkeypatch.setenv("RECORDER_FAIL", "build_wheel")
    before = dict(os.environ)
    with pytest.raises(SystemExit):
        backend.build_wheel(str(tmp_path / "f"), {"variant": "x86_64::level::v4"})
    assert dict(os.environ) == before


# -- errors: one line, exit status 1, nothing in the output folder --------------------------------------------
def error_of(hooks, tmp_path, settings, hook="build_wheel"):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(subprocess.CalledProcessError):
        getattr(hooks, hook)(str(out), settings)
    lines = [l for l in hooks.stderr.splitlines() if l.startswith("varwheel: error:")]
    assert len(lines) == 1, hooks.stderr
    assert "Traceback" not in hooks.stderr, hooks.stderr
    assert list(out.iterdir()) == [], "a failed build left files behind"
    return lines[0]


@pytest.mark.parametrize(
    "settings,message",
    [
        ({"variant": "gpu_vendor::arch::x1"}, "namespace 'gpu_vendor' has no provider"),
        ({"variant": "x86_64::level"}, "expected 'namespace :: feature :: value'"),
        ({"variant": "X86_64::level::v3"}, "did you mean 'x86_64'"),
        ({"null-variant": "", "variant": "x86_64::level::v3"}, "a null variant has no properties"),
        ({"null-variant": "no"}, "null-variant='no' is not understood"),
        ({"variant-label": "cu999"}, r"variant label 'cu999' alone needs a \[variant.variants.cu999\] table"),
        ({"variant-label": "v4", "variant": "x86_64::level::v3"}, "make them agree"),
        ({"variant": "x86_64::level::v9"}, "unknown level"),
        ({"variant": "x86_64::warp_drive::on"}, "no compiler mapping"),
        ({"variant-lable": "v4"}, "did you mean 'variant-label'"),
        ({"variant": "x86_64::level::v3", "variant-metadata-format": "json"}, "unknown metadata format"),
    ],
)
def test_bad_settings_stop_with_one_clear_message(hooks, tmp_path, settings, message):
    import re

    line = error_of(hooks, tmp_path, settings)
    assert re.search(message, line), line


def test_bad_settings_fail_in_get_requires_already(hooks, log):
    with pytest.raises(subprocess.CalledProcessError):
        hooks.get_requires_for_build_wheel({"variant": "x86_64::level"})
    assert "varwheel: error:" in hooks.stderr
    assert read_log(log) == []  # the inner backend was never asked


def test_conflicting_environment_is_an_error(project, log, tmp_path):
    hooks = HookCaller(project, env={"RECORDER_LOG": str(log), "CFLAGS": "-O2 -march=native"})
    line = error_of(hooks, tmp_path, {"variant": "x86_64::level::v3"})
    assert "CFLAGS='-O2 -march=native' sets -march=native, but the variant needs -march=x86-64-v3" in line
    assert not [e for e in read_log(log) if e["hook"] == "build_wheel"]


def test_inner_backend_that_fails(project, log, tmp_path):
    hooks = HookCaller(project, env={"RECORDER_LOG": str(log), "RECORDER_FAIL": "build_wheel"})
    line = error_of(hooks, tmp_path, {"variant": "x86_64::level::v3"})
    assert line == (
        "varwheel: error: the inner backend recorder_backend failed in build_wheel "
        "(RuntimeError: recorder_backend was told to fail in build_wheel); no wheel was written"
    )
    # The partial wheel it wrote went to varwheel's temporary folder, which is gone.
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("varwheel-inner-*/recorder_demo-1.0-py3-none-any.whl"))


def test_missing_inner_backend(project, tmp_path):
    text = (project / "pyproject.toml").read_text().replace('backend = "recorder_backend"', 'backend = "no_such_backend.api"')
    (project / "pyproject.toml").write_text(text)
    line = error_of(HookCaller(project), tmp_path, {"variant": "x86_64::level::v3"})
    assert "cannot import the inner build backend 'no_such_backend.api' ([tool.varwheel] backend)" in line
    assert "build-system.requires" in line


def test_missing_inner_backend_fails_without_variant_settings_too(project, tmp_path):
    text = (project / "pyproject.toml").read_text().replace('backend = "recorder_backend"', 'backend = "no_such_backend.api"')
    (project / "pyproject.toml").write_text(text)
    line = error_of(HookCaller(project), tmp_path, None)
    assert "no_such_backend.api" in line


def test_conflicting_cmake_define_with_scikit_build_core(tmp_path):
    """Through python -m build (no isolation): stops before CMake runs."""
    project = copy_project("skbuild_cuda", tmp_path)
    out = tmp_path / "dist"
    proc = run(
        [sys.executable, "-m", "build", "-w", "-n", "-o", out,
         "-Cvariant=nvidia::sm_arch::90_real", "-Ccmake.define.CMAKE_CUDA_ARCHITECTURES=80-real", project],
        check=False,
    )
    assert proc.returncode != 0
    err = proc.stderr + proc.stdout
    assert "varwheel: error: -Ccmake.define.CMAKE_CUDA_ARCHITECTURES='80-real' conflicts with the variant's CMAKE_CUDA_ARCHITECTURES='90-real'" in err
    assert "Traceback" not in err and "scikit-build-core" not in err.lower().replace("scikit_build_core.build", "")
    assert not out.exists() or list(out.iterdir()) == []


# -- compiler input that ended in a pure-Python wheel (a failed optional extension) ----------------------
def test_pure_wheel_from_compiler_input_is_said_and_require_compiled_stops_it(project, hooks, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert hooks.build_wheel(str(out), {"variant": "x86_64::level::v4", "variant-label": "v4"}).endswith("-v4.whl")
    warning = [l for l in hooks.stderr.splitlines() if "pure-Python wheel" in l]
    assert len(warning) == 1 and "-march=x86-64-v4" in warning[0] and "require-compiled = true" in warning[0], hooks.stderr
    # Properties recorded only (variant-name) reach no compiler: nothing to say.
    other = tmp_path / "other"
    other.mkdir()
    hooks.build_wheel(str(other), {"variant-name": "x86_64::level::v3"})
    assert "pure-Python wheel" not in hooks.stderr, hooks.stderr
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text.replace('backend-path = ["_backend"]', 'backend-path = ["_backend"]\nrequire-compiled = true'))
    (tmp_path / "strict").mkdir()
    line = error_of(HookCaller(project), tmp_path / "strict", {"variant": "x86_64::level::v4", "variant-label": "v4"})
    assert "built a pure-Python wheel" in line and "no wheel was written" in line, line


def test_require_compiled_must_be_a_boolean(project, tmp_path):
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text.replace('backend-path = ["_backend"]', 'backend-path = ["_backend"]\nrequire-compiled = "yes"'))
    line = error_of(HookCaller(project), tmp_path, {"variant": "x86_64::level::v3"})
    assert "tool.varwheel.require-compiled: expected true or false, got 'yes'" in line, line


# -- ISA features uv never evaluates ---------------------------------------------------------------------
def test_isa_feature_property_warns_that_uv_never_installs_it(hooks, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    hooks.build_wheel(str(out), {"variant": "x86_64::avx512f::on", "variant-label": "avx512"})
    lines = [l for l in hooks.stderr.splitlines() if "evaluates only" in l]
    assert lines == [
        "varwheel: warning: 'x86_64 :: avx512f :: on': uv 0.13.9's built-in x86_64 provider evaluates only "
        "'level', so uv never installs this variant; use x86_64 :: level for a variant uv should choose, or "
        "declare another provider for 'x86_64' in [variant.providers.x86_64]"
    ], hooks.stderr
    hooks.build_wheel(str(out), {"variant": "x86_64::level::v3"})
    assert "evaluates only" not in hooks.stderr


# -- pip: a labelled name can never leave a pip build ------------------------------------------------------
def test_under_pip_the_label_is_deferred_with_one_line_saying_how_to_finish(hooks, tmp_path):
    hooks.env["PIP_BUILD_TRACKER"] = str(tmp_path / "tracker")
    out = tmp_path / "out"
    out.mkdir()
    name = hooks.build_wheel(str(out), {"variant": "x86_64::level::v3"})
    assert name == "recorder_demo-1.0-py3-none-any.whl"
    assert variant_json(out / name)["variants"] == {"fa7c1393": {"x86_64": {"level": ["v3"]}}}
    lines = [l for l in hooks.stderr.splitlines() if "deferred" in l]
    assert lines == [
        "varwheel: pip cannot take a labelled wheel name, so label fa7c1393 is deferred: "
        "recorder_demo-1.0-py3-none-any.whl carries variant.json; add the label with: varwheel relabel "
        "recorder_demo-1.0-py3-none-any.whl (in the folder pip wrote it to)"
    ], hooks.stderr
    # Without variant settings pip gets the inner backend's wheel, and nothing is said.
    plain = tmp_path / "plain"
    plain.mkdir()
    assert hooks.build_wheel(str(plain), {}) == "recorder_demo-1.0-py3-none-any.whl"
    assert variant_json(plain / "recorder_demo-1.0-py3-none-any.whl") is None
    assert "varwheel:" not in hooks.stderr


def test_under_pip_an_explicit_labelled_name_is_refused_before_building(hooks, log, tmp_path):
    hooks.env["PIP_BUILD_TRACKER"] = str(tmp_path / "tracker")
    line = error_of(hooks, tmp_path, {"variant": "x86_64::level::v3", "variant-defer-label": "false"})
    assert "pip rejects wheel names with a variant label" in line and "varwheel relabel" in line, line
    assert not [e for e in read_log(log) if e["hook"] == "build_wheel"], "the inner backend ran"


# -- the null variant: ask for exactly what is missing, in the build's words -------------------------------
def _without_variant_tables(project: Path) -> None:
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text[: text.index("[variant.default-priorities]")])


def test_null_variant_without_variant_table_asks_for_default_priorities(project, tmp_path):
    _without_variant_tables(project)
    line = error_of(HookCaller(project), tmp_path, {"null-variant": ""})
    assert "-Cnull-variant" in line and "[variant.default-priorities] namespace = [...]" in line, line
    assert str(project / "pyproject.toml") in line and "--pyproject-toml" not in line, line


def test_null_variant_of_builtin_namespaces_needs_default_priorities_only(project, tmp_path):
    _without_variant_tables(project)
    with open(project / "pyproject.toml", "a") as fh:
        fh.write('[variant.default-priorities]\nnamespace = ["x86_64"]\n')
    out = tmp_path / "out"
    out.mkdir()
    name = HookCaller(project).build_wheel(str(out), {"null-variant": ""})
    assert name == "recorder_demo-1.0-py3-none-any-null.whl"
    data = variant_json(out / name)
    assert data["variants"] == {"null": {}} and list(data["providers"]) == ["x86_64"]


def test_missing_provider_error_names_the_projects_pyproject_not_a_cli_flag(project, tmp_path):
    line = error_of(HookCaller(project), tmp_path, {"variant": "gpu_vendor::arch::x1"})
    assert f"to {project / 'pyproject.toml'}" in line and "--pyproject-toml" not in line, line
