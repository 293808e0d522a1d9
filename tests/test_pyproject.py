"""The ``[variant]`` table of pyproject.toml (spec section 5): every key, key-path errors."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers_core import PYPROJECT_SPEC_EXAMPLE
from varwheel.errors import InvalidPyproject
from varwheel.model.document import Provider
from varwheel.model.properties import VariantDescription
from varwheel.model.pyproject import find_named_variant, load_variant_project, parse_variant_table


def write(tmp_path, text):
    path = tmp_path / "pyproject.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_spec_example_parses(tmp_path):
    project = load_variant_project(write(tmp_path, PYPROJECT_SPEC_EXAMPLE))
    assert project.providers["nvidia"] == Provider(
        requires=("nvidia-variant-provider>=0.0.2,<1",),
        plugin_api="nvidia_variant_provider.plugin:NvidiaVariantPlugin",
    )
    assert project.providers["x86_64"] == Provider(requires=("x86-64-variant-provider",))
    assert project.providers["blas_lapack"].static == {"library": ["mkl", "openblas"]}
    assert project.variants == {
        "cu129": VariantDescription.parse(
            [
                "nvidia :: cuda_version_lower_bound :: 12.9",
                "nvidia :: sm_arch :: 90_real",
                "nvidia :: sm_arch :: 120_real",
                "nvidia :: sm_arch :: 120_virtual",
            ]
        )
    }
    # blas_lapack has a provider but is not in default-priorities: it ranks
    # after the listed namespaces, and the user is told.
    assert project.default_priorities == ["nvidia", "x86_64", "blas_lapack"]
    (warning,) = project.warnings
    assert "variant.default-priorities.namespace does not list blas_lapack" in warning
    assert project.source == str(tmp_path / "pyproject.toml")


def test_every_provider_key(tmp_path):
    project = load_variant_project(
        write(
            tmp_path,
            """
            [project]
            name = "ignored"

            [variant.default-priorities]
            namespace = ["a", "b", "c", "d"]

            [variant.providers.a]
            requires = ["a-provider>=1; python_version >= '3.9'"]
            plugin-api = "a_provider.plugin:Plugin"
            optional = true

            [variant.providers.b]
            static-properties.x = ["2", "1"]
            static-properties.y = ["on"]
            feature-order = ["y", "x"]

            [variant.providers.c]
            builtin = "cpu"

            [variant.providers.d]
            build-requires = ["d-provider"]
            plugin-api = "d_provider"
            """,
        )
    )
    assert project.default_priorities == ["a", "b", "c", "d"]
    assert project.warnings == []
    a, b, c, d = (project.providers[k] for k in "abcd")
    assert (a.requires, a.plugin_api, a.optional) == (
        ("a-provider>=1; python_version >= '3.9'",), "a_provider.plugin:Plugin", True,
    )
    assert b.static == {"x": ["2", "1"], "y": ["on"]} and b.features_in_order() == ["y", "x"]
    assert c.builtin == "cpu" and c.kind == "builtin"
    assert d.build_requires == ("d-provider",) and d.kind == "build-requires"
    assert project.variants == {}


def test_no_variant_table_is_an_empty_project(tmp_path):
    project = load_variant_project(write(tmp_path, '[project]\nname = "x"\n'))
    assert (project.default_priorities, project.providers, project.variants) == ([], {}, {})
    assert "null" not in project.variants


def test_named_variants_and_null(tmp_path):
    project = load_variant_project(
        write(
            tmp_path,
            """
            [variant.variants.v3]
            x86_64.level = ["v3"]

            [variant.variants.null]
            """,
        )
    )
    assert "null" in project.variants
    assert find_named_variant(project, "v3") == VariantDescription.parse(["x86_64 :: level :: v3"])
    assert find_named_variant(project, "null") == VariantDescription()
    assert find_named_variant(project, "v4") is None
    assert find_named_variant(None, "null") == VariantDescription()
    assert find_named_variant(None, "v3") is None


@pytest.mark.parametrize(
    "toml, fragment",
    [
        ('[variant]\nfoo = 1\n', "variant.foo: unknown key (allowed: default-priorities, providers, variants)"),
        ('variant = 3\n', "variant: expected a table"),
        ('[variant.default-priorities]\nnamespace = "x86_64"\n', "variant.default-priorities.namespace: expected a non-empty list"),
        ('[variant.default-priorities]\nnamespace = []\n', "variant.default-priorities.namespace: expected a non-empty list"),
        ('[variant.default-priorities]\nnamespace = ["x86-64"]\n', "variant.default-priorities.namespace: 'x86-64' is not a valid namespace"),
        ('[variant.default-priorities]\nnamespace = ["a", "a"]\n', "variant.default-priorities.namespace: entries are not unique"),
        ('[variant.default-priorities]\nnamespace = ["a"]\nfeature = {}\n', "variant.default-priorities.feature: unknown key (allowed: namespace)"),
        ('[variant]\ndefault-priorities = 1\n', "variant.default-priorities: expected a table"),
        ('[variant]\nproviders = 1\n', "variant.providers: expected a table of namespaces"),
        ('[variant.providers.X86]\nrequires = ["x"]\n', "variant.providers.X86: 'X86' is not a valid namespace"),
        ('[variant.providers.nvidia]\nrequires = "nvidia-variant-provider"\n', "variant.providers.nvidia.requires: expected a list of strings"),
        ('[variant.providers.nvidia]\nrequires = []\n', "variant.providers.nvidia.requires: lists no requirement"),
        ('[variant.providers.nvidia]\nrequires = ["nvidia-variant-provider >>= 1"]\n', "variant.providers.nvidia.requires: requirement 'nvidia-variant-provider >>= 1' is invalid"),
        ('[variant.providers.nvidia]\nrequires = ["a", "a"]\n', "variant.providers.nvidia.requires: entries are not unique"),
        ('[variant.providers.nvidia]\nrequires = ["a"]\nplugin-api = 3\n', "variant.providers.nvidia.plugin-api: expected 'module:attr'"),
        ('[variant.providers.nvidia]\nrequires = ["a"]\nplugin-api = "a:b:c"\n', "variant.providers.nvidia.plugin-api: 'a:b:c' is not 'module' or 'module:attr'"),
        ('[variant.providers.nvidia]\nrequires = ["a"]\nrequire = ["b"]\n', "variant.providers.nvidia.require: unknown key"),
        ('[variant.providers.nvidia]\nrequires = ["a"]\nbuiltin = "x"\n', "variant.providers.nvidia: exactly one of requires, static-properties, builtin or build-requires must be given"),
        ('[variant.providers.nvidia]\noptional = true\n', "variant.providers.nvidia: exactly one of"),
        ('[variant.providers.nvidia]\nrequires = ["a"]\noptional = "yes"\n', "variant.providers.nvidia.optional: expected true or false"),
        ('[variant.providers.nvidia]\nbuild-requires = "a"\n', "variant.providers.nvidia.build-requires: expected a list of strings"),
        ('[variant.providers.blas]\nstatic-properties = ["mkl"]\n', "variant.providers.blas.static-properties: expected a non-empty table"),
        ('[variant.providers.blas]\nstatic-properties.Library = ["mkl"]\n', "variant.providers.blas.static-properties.Library: feature 'Library' is invalid"),
        ('[variant.providers.blas]\nstatic-properties.library = ["MKL"]\n', "variant.providers.blas.static-properties.library: value 'MKL' is invalid"),
        ('[variant.providers.blas]\nstatic-properties.library = "mkl"\n', "variant.providers.blas.static-properties.library: expected a list of strings"),
        ('[variant.providers.blas]\nstatic-properties.a = ["1"]\nstatic-properties.b = ["1"]\n', "variant.providers.blas.feature-order: required when static-properties has more than one feature (a, b)"),
        ('[variant.providers.blas]\nstatic-properties.a = ["1"]\nfeature-order = ["b"]\n', "variant.providers.blas.feature-order: must list exactly the features of static-properties"),
        ('[variant.providers.blas]\nbuiltin = ""\n', "variant.providers.blas.builtin: expected a non-empty string"),
        ('[variant]\nvariants = []\n', "variant.variants: expected a table of labels"),
        ('[variant.variants.CU129]\nnvidia.sm_arch = ["90_real"]\n', "variant.variants.CU129: variant label 'CU129' is invalid"),
        ('[variant.variants.cu129]\nnvidia.sm_arch = "90_real"\n', "variant.variants.cu129.nvidia.sm_arch: expected a list of values"),
        ('[variant.variants.cu129]\nnvidia.sm_arch = []\n', "variant.variants.cu129.nvidia.sm_arch: the list of values is empty"),
        ('[variant.variants.cu129]\nnvidia.sm_arch = ["90-real"]\n', "variant.variants.cu129.nvidia.sm_arch: property 'nvidia' :: 'sm_arch' :: '90-real': value '90-real' is invalid"),
        ('[variant.variants.cu129]\nnvidia = ["90_real"]\n', "variant.variants.cu129.nvidia: expected a table of features"),
        ('[variant.variants.v3]\n', "variant.variants.v3: the null variant (no properties) must be labelled 'null'"),
        ('[variant.variants.null]\nx86_64.level = ["v3"]\n', "variant.variants.null: label 'null' is reserved for the null variant"),
        ('[variant.providers.blas]\nstatic-properties.library = ["mkl"]\n[variant.variants.atlas]\nblas.library = ["atlas"]\n',
         "variant.variants.atlas.blas.library: 'atlas' is not among variant.providers.blas.static-properties.library ['mkl']"),
        ('[variant.providers.blas]\nstatic-properties.library = ["mkl"]\n[variant.variants.t]\nblas.threads = ["omp"]\n',
         "variant.variants.t.blas.threads: feature 'threads' is not declared in variant.providers.blas.static-properties (declared: library)"),
    ],
)
def test_errors_name_the_offending_key_path(tmp_path, toml, fragment):
    path = write(tmp_path, toml)
    with pytest.raises(InvalidPyproject) as info:
        load_variant_project(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "content, fragment",
    [
        (None, "no such file"),
        (b"[variant\n", "not valid TOML"),
        (b"\xff = 1\n", "not"),
    ],
)
def test_unreadable_files(tmp_path, content, fragment):
    path = tmp_path / "pyproject.toml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InvalidPyproject, match=fragment):
        load_variant_project(path)


def test_a_directory_is_not_a_pyproject(tmp_path):
    with pytest.raises(InvalidPyproject, match="is a directory"):
        load_variant_project(tmp_path)


def test_parse_variant_table_takes_an_already_loaded_table():
    project = parse_variant_table(
        {"providers": {"x86_64": {"requires": ["x86-64-variant-provider"]}}, "variants": {"v3": {"x86_64": {"level": ["v3"]}}}},
        source="config_settings",
    )
    assert project.source == "config_settings"
    assert list(project.providers) == ["x86_64"]
    with pytest.raises(InvalidPyproject, match=r"^config_settings: variant\.variants\.v3\.x86_64\.level"):
        parse_variant_table({"variants": {"v3": {"x86_64": {"level": [1]}}}}, source="config_settings")


def test_non_string_values_in_a_named_variant_are_an_error_not_a_crash():
    from varwheel.errors import InvalidPyproject
    from varwheel.model.pyproject import parse_variant_table

    with pytest.raises(InvalidPyproject, match=r"variant.variants.x.x86_64.level: value \['v3'\] is not a string"):
        parse_variant_table({"variants": {"x": {"x86_64": {"level": [["v3"]]}}}})
