"""From what the user typed to one validated variant (label, properties, variant.json)."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.helpers_core import PYPROJECT_SPEC_EXAMPLE
from varwheel.model.builtins import BUILTIN_PROVIDERS, DEFAULT_NAMESPACE_ORDER, default_order
from varwheel.errors import InvalidInput, InvalidLabel, InvalidProperty
from varwheel.model.document import SCHEMA_PEP825, SCHEMA_PROVIDERS, VariantDocument
from varwheel.model.properties import VariantDescription
from varwheel.model.pyproject import load_variant_project, parse_variant_table
from varwheel.model.request import resolve_variant


def project_from(tmp_path, text):
    path = tmp_path / "pyproject.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_variant_project(path)


def test_builtin_provider_entries_are_exactly_what_uv_recognises():
    # uv 0.13.9 matches `requires` as written; a version specifier makes it skip the provider.
    assert {ns: p.to_json() for ns, p in BUILTIN_PROVIDERS.items()} == {
        "x86_64": {"requires": ["x86-64-variant-provider"]},
        "aarch64": {"requires": ["aarch64-variant-provider"]},
        "nvidia": {
            "requires": ["nvidia-variant-provider"],
            "plugin-api": "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
        },
        "tpu": {"requires": ["tpu-variant-provider"], "plugin-api": "tpu_variant_provider.plugin:TpuVariantPlugin"},
    }
    assert set(BUILTIN_PROVIDERS) == {"x86_64", "aarch64", "nvidia", "tpu"}
    assert DEFAULT_NAMESPACE_ORDER == ["nvidia", "tpu", "aarch64", "x86_64"]  # accelerators before CPU levels
    assert default_order(["zeta", "x86_64", "tpu", "alpha", "nvidia"]) == ["nvidia", "tpu", "x86_64", "alpha", "zeta"]


def test_properties_alone_get_the_hash_label_and_builtin_providers():
    req = resolve_variant(["x86_64 :: level :: v3"])
    assert req.label == "fa7c1393"
    assert req.description == VariantDescription.parse(["x86_64::level::v3"])
    assert req.warnings == []
    data = json.loads(req.variant_json)
    assert data == {
        "$schema": SCHEMA_PROVIDERS,
        "default-priorities": {"namespace": ["x86_64"]},
        "providers": {"x86_64": {"requires": ["x86-64-variant-provider"]}},
        "variants": {"fa7c1393": {"x86_64": {"level": ["v3"]}}},
    }
    assert req.variant_json == req.document.dumps()


def test_builtin_namespaces_are_ordered_accelerator_first():
    req = resolve_variant(
        ["x86_64 :: level :: v3", "nvidia :: sm_arch :: 90_real", "aarch64 :: version :: 8.2a"],
        label="mixed",
    )
    assert req.document.default_priorities == ["nvidia", "aarch64", "x86_64"]
    data = json.loads(req.variant_json)
    assert data["providers"]["nvidia"] == {
        "requires": ["nvidia-variant-provider"],
        "plugin-api": "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
    }
    assert data["providers"]["aarch64"] == {"requires": ["aarch64-variant-provider"]}


def test_a_namespace_without_provider_is_a_clear_error_in_the_providers_format():
    with pytest.raises(InvalidInput) as info:
        resolve_variant(["blas_lapack :: library :: mkl"])
    message = str(info.value)
    assert "namespace 'blas_lapack' has no provider" in message
    assert "[variant.providers.blas_lapack]" in message and "--pyproject-toml" in message


def test_pep825_needs_no_provider():
    req = resolve_variant(["blas_lapack :: library :: mkl", "x86_64 :: level :: v3"], metadata_format="pep825")
    data = json.loads(req.variant_json)
    assert data["$schema"] == SCHEMA_PEP825
    assert "providers" not in data
    assert data["default-priorities"]["namespace"] == ["x86_64", "blas_lapack"]
    assert req.document.format == "pep825"


def test_project_providers_and_priorities_are_copied(tmp_path):
    project = project_from(tmp_path, PYPROJECT_SPEC_EXAMPLE)
    req = resolve_variant(["x86_64 :: level :: v3", "blas_lapack :: library :: mkl"], label="v3mkl", project=project)
    data = json.loads(req.variant_json)
    # Every provider of the project goes in, not only those this variant uses:
    # all wheels of a release then carry the same providers (index merge needs it).
    assert data["default-priorities"]["namespace"] == ["nvidia", "x86_64", "blas_lapack"]
    assert set(data["providers"]) == {"nvidia", "x86_64", "blas_lapack"}
    assert data["providers"]["nvidia"]["requires"] == ["nvidia-variant-provider>=0.0.2,<1"]
    assert any("does not list blas_lapack" in w for w in req.warnings)


def test_project_provider_overrides_the_builtin(tmp_path):
    project = project_from(
        tmp_path,
        """
        [variant.providers.x86_64]
        static-properties.level = ["v4", "v3"]
        """,
    )
    req = resolve_variant(["x86_64 :: level :: v3"], project=project)
    assert json.loads(req.variant_json)["providers"] == {"x86_64": {"static-properties": {"level": ["v4", "v3"]}}}
    with pytest.raises(InvalidInput, match="x86_64.level: 'v2' is not among providers.x86_64.static-properties.level"):
        resolve_variant(["x86_64 :: level :: v2"], project=project)


def test_named_variant_by_label_alone(tmp_path):
    project = project_from(tmp_path, PYPROJECT_SPEC_EXAMPLE)
    req = resolve_variant(label="cu129", project=project)
    assert req.label == "cu129"
    assert req.description.values_by_feature()[("nvidia", "sm_arch")] == ["120_real", "120_virtual", "90_real"]
    with pytest.raises(InvalidInput) as info:
        resolve_variant(label="cu130", project=project)
    assert "[variant.variants.cu130]" in str(info.value) and "declared labels: cu129" in str(info.value)
    with pytest.raises(InvalidInput, match="no pyproject.toml was given"):
        resolve_variant(label="cu129")


def test_label_and_properties_must_agree_with_the_named_variant(tmp_path):
    project = project_from(tmp_path, PYPROJECT_SPEC_EXAMPLE)
    same = resolve_variant(
        [
            "nvidia :: cuda_version_lower_bound :: 12.9",
            "nvidia :: sm_arch :: 90_real",
            "nvidia :: sm_arch :: 120_real",
            "nvidia :: sm_arch :: 120_virtual",
        ],
        label="cu129",
        project=project,
    )
    assert same.label == "cu129"
    with pytest.raises(InvalidInput, match=r"declared in .* \[variant\.variants\.cu129\] as"):
        resolve_variant(["nvidia :: sm_arch :: 90_real"], label="cu129", project=project)


def test_null_label_iff_no_properties(tmp_path):
    with pytest.raises(InvalidLabel, match="reserved for the null variant"):
        resolve_variant(["x86_64 :: level :: v3"], label="null")
    with pytest.raises(InvalidLabel, match="always labelled 'null'"):
        resolve_variant(null=True, label="v3")
    with pytest.raises(InvalidInput, match="not both"):
        resolve_variant(["x86_64 :: level :: v3"], null=True)


def test_null_variant_needs_the_family_providers(tmp_path):
    with pytest.raises(InvalidInput, match="needs its family's namespaces"):
        resolve_variant(null=True)
    project = project_from(tmp_path, PYPROJECT_SPEC_EXAMPLE)
    for req in (resolve_variant(null=True, project=project), resolve_variant(label="null", project=project)):
        data = json.loads(req.variant_json)
        assert req.label == "null" and req.description.is_null
        assert data["variants"] == {"null": {}}
        assert data["default-priorities"]["namespace"] == ["nvidia", "x86_64", "blas_lapack"]
        assert set(data["providers"]) == {"nvidia", "x86_64", "blas_lapack"}


def test_used_namespace_missing_from_explicit_priorities(tmp_path):
    project = project_from(
        tmp_path,
        """
        [variant.default-priorities]
        namespace = ["nvidia"]
        """,
    )
    with pytest.raises(InvalidInput, match="default-priorities.namespace does not list x86_64"):
        resolve_variant(["x86_64 :: level :: v3"], project=project)
    req = resolve_variant(["nvidia :: sm_arch :: 90_real"], project=project)
    assert json.loads(req.variant_json)["providers"]["nvidia"]["requires"] == ["nvidia-variant-provider"]


def test_build_requires_providers_are_not_run():
    project = parse_variant_table({"providers": {"blas": {"build-requires": ["blas-plugin"]}}})
    with pytest.raises(InvalidInput, match="varwheel does not run"):
        resolve_variant(["blas :: library :: mkl"], project=project)
    # Unused, it is simply left out of variant.json.
    req = resolve_variant(["x86_64 :: level :: v3"], project=project)
    assert set(json.loads(req.variant_json)["providers"]) == {"x86_64"}


def test_long_label_warns():
    req = resolve_variant(["x86_64 :: level :: v3"], label="x86_64_level_v3_tuned")
    assert req.label == "x86_64_level_v3_tuned"
    assert len(req.warnings) == 1 and "21 characters" in req.warnings[0]


@pytest.mark.parametrize(
    "kwargs, exc, fragment",
    [
        (dict(), InvalidInput, "no variant requested"),
        (dict(properties=["X :: y :: z"]), InvalidProperty, "namespace 'X' is invalid"),
        (dict(properties=["x86_64 :: level :: v3"], label="V3"), InvalidLabel, "did you mean 'v3'?"),
        (dict(properties=["x86_64 :: level :: v3"], metadata_format="json"), InvalidInput, "unknown metadata format 'json'"),
    ],
)
def test_bad_requests(kwargs, exc, fragment):
    with pytest.raises(exc) as info:
        resolve_variant(**kwargs)
    assert fragment in str(info.value)


def test_the_written_document_reads_back_identically():
    req = resolve_variant(["nvidia :: sm_arch :: 90_real", "x86_64 :: level :: v3"])
    doc = VariantDocument.loads(req.variant_json)
    assert doc.single(req.label) == (req.label, req.description)
    assert doc.dumps() == req.variant_json


# -- values uv's built-in providers never report (model.vocabulary) -----------------------------------------


@pytest.mark.parametrize("prop, valid", [
    ("x86_64 :: level :: v5", "valid values: v1, v2, v3, v4"),
    ("nvidia :: sm_arch :: 90_rea", "valid values: {major}{minor}_real or {major}{minor}_virtual"),
    ("nvidia :: cuda_version_lower_bound :: abc", "valid values: a CUDA version written M or M.m"),
    ("aarch64 :: version :: 7a", "valid values: 8a, 8.1a, 8.2a, 8.3a, 8.4a"),
    ("tpu :: present :: yes", "valid values: true, false"),
])
def test_a_value_the_builtin_provider_never_reports_is_refused(prop, valid):
    for metadata_format in ("providers", "pep825"):
        with pytest.raises(InvalidProperty) as info:
            resolve_variant([prop, "x86_64 :: level :: v3"] if "x86_64" not in prop else [prop],
                            metadata_format=metadata_format)
        message = str(info.value)
        feature = prop.split(" :: ")[1]
        assert message.startswith(f"'{prop}': unknown {feature}: uv 0.13.9's built-in ") and valid in message, message
        assert "never selects this variant" in message and "\n" not in message
        namespace = prop.split(" :: ")[0]
        assert f"[variant.providers.{namespace}]" in message and "--pyproject-toml" in message


def test_another_provider_for_the_namespace_owns_its_values(tmp_path):
    for table in ('static-properties.level = ["v5", "v4"]', 'requires = ["my-x86-plugin"]',
                  'requires = ["x86-64-variant-provider>=9"]'):
        project = project_from(tmp_path, f"[variant.providers.x86_64]\n{table}\n")
        req = resolve_variant(["x86_64 :: level :: v5"], project=project)
        assert req.description.strings() == ["x86_64 :: level :: v5"], table
    # The project's own entry for the built-in is the built-in: its vocabulary holds.
    project = project_from(tmp_path, '[variant.providers.x86_64]\nrequires = ["x86-64-variant-provider>=0.2,<1"]\n')
    with pytest.raises(InvalidProperty, match="valid values: v1, v2, v3, v4"):
        resolve_variant(["x86_64 :: level :: v5"], project=project)


def test_a_named_variant_with_such_a_value_is_refused_in_the_builds_words(tmp_path):
    project = project_from(tmp_path, "[variant.variants.cu]\nnvidia.sm_arch = [\"90_real\", \"90_rea\"]\n")
    with pytest.raises(InvalidProperty) as info:
        resolve_variant(label="cu", project=project, door="build")
    message = str(info.value)
    assert "'nvidia :: sm_arch :: 90_rea'" in message
    assert f"[variant.providers.nvidia] of {project.source}" in message and "--pyproject-toml" not in message


def test_make_variant_exits_2_with_one_line(tmp_path, run_varwheel):
    from fixtures.wheel_factory import make_wheel

    src = make_wheel(tmp_path / "src", "mypkg", "1.0")
    proc = run_varwheel("make-variant", "-f", src, "-o", tmp_path / "out", "-p", "x86_64 :: level :: v5")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "valid values: v1, v2, v3, v4" in lines[0], proc.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_the_build_backend_refuses_before_building(tmp_path):
    import subprocess

    from tests.helpers_build import HookCaller, copy_project, read_log

    project = copy_project("recorder", tmp_path)
    log = tmp_path / "recorder.jsonl"
    hooks = HookCaller(project, env={"RECORDER_LOG": str(log)})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(subprocess.CalledProcessError):
        hooks.build_wheel(str(out), {"variant": "x86_64 :: level :: v5"})
    lines = [line for line in hooks.stderr.splitlines() if line.startswith("varwheel: error:")]
    assert len(lines) == 1 and "Traceback" not in hooks.stderr, hooks.stderr
    assert "valid values: v1, v2, v3, v4" in lines[0] and str(project / "pyproject.toml") in lines[0], lines[0]
    assert list(out.iterdir()) == []
    assert not [e for e in (read_log(log) if log.exists() else []) if e["hook"] == "build_wheel"], "the inner backend ran"
