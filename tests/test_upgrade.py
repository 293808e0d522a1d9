"""Reading and upgrading PEP 817-era variant metadata: ``model.drafts`` and ``varwheel upgrade``.

Each conversion rule on a small document written the way the drafts wrote
them; idempotence; refusals naming the key; the command's outputs (members
copied raw, RECORD, names), its refusals (exit 2, one line, nothing written,
input untouched) and real uv 0.13.9 on the results.  tests/test_corpus.py
runs every published file through the same code.
"""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fixtures.wheel_factory import make_wheel
from tests.helpers_core import assert_kept_verbatim, assert_record_consistent
from tests.helpers_index import make_variants
from tests.helpers_select import FORCE_DRIVER, FORCE_SM, clean_env
from varwheel.model.document import SCHEMA_PEP825, SCHEMA_PROVIDERS, SCHEMA_VARIANTLIB, VariantDocument
from varwheel.model.drafts import (
    SCHEMA_V002,
    SCHEMA_V003,
    SCHEMA_WHEELNEXT_BARE,
    UpgradeRefused,
    draft_of_schema,
    read_draft,
    upgrade_document,
)

NVIDIA_API = "nvidia_variant_provider.plugin:NvidiaVariantPlugin"
CORPUS = Path(__file__).parent / "data" / "published-variant-metadata"


def v002(**extra) -> dict:
    """A v0.0.2 document shaped like the WheelNext numpy index (x86_64 and aarch64 plugins, a build-time BLAS)."""
    doc = {
        "$schema": SCHEMA_V002,
        "default-priorities": {
            "namespace": ["x86_64", "aarch64", "blas_lapack"],
            "feature": {"blas_lapack": ["provider"]},
            "property": {"blas_lapack": {"provider": ["accelerate", "openblas", "mkl"]}},
        },
        "providers": {
            "x86_64": {"enable-if": "platform_machine == 'x86_64'", "requires": ["provider-variant-x86-64"],
                       "plugin-api": "provider_variant_x86_64.plugin:X8664Plugin"},
            "aarch64": {"enable-if": "platform_machine == 'aarch64'", "requires": ["provider-variant-aarch64"],
                        "plugin-api": "provider_variant_aarch64.plugin:AArch64Plugin"},
            "blas_lapack": {"plugin-use": "build", "requires": ["blas-lapack-variant-provider"]},
        },
        "variants": {
            "openblas": {"blas_lapack": {"provider": ["openblas"]}},
            "x8664v4_mkl": {"blas_lapack": {"provider": ["mkl"]}, "x86_64": {"level": ["v4"]}},
        },
    }
    doc.update(extra)
    return doc


def v003_nvidia(**extra) -> dict:
    """A v0.0.3 document shaped like the WheelNext CUDA library indexes."""
    doc = {
        "$schema": SCHEMA_V003,
        "default-priorities": {"feature": {}, "namespace": ["nvidia"], "property": {}},
        "providers": {"nvidia": {"enable-if": "platform_system == 'Linux'", "install-time": True,
                                 "plugin-api": NVIDIA_API, "requires": ["nvidia-variant-provider>=0.0.2,<1.0.0"]}},
        "static-properties": {},
        "variants": {"cu12": {"nvidia": {"cuda_version_lower_bound": ["12.0"]}},
                     "cu13": {"nvidia": {"cuda_version_lower_bound": ["13.0"]}}},
    }
    doc.update(extra)
    return doc


def torch_priority(draft: str) -> dict:
    """torch's ``priority`` namespace: plugin-use none (v0.0.2) / install-time false (v0.0.3)."""
    doc = {
        "$schema": SCHEMA_V002 if draft == "v0.0.2" else SCHEMA_V003,
        "default-priorities": {"namespace": ["nvidia", "priority"]},
        "providers": {"nvidia": {"plugin-api": NVIDIA_API, "requires": ["nvidia-variant-provider>=0.0.2,<1.0.0"]}},
        "variants": {
            "null": {},
            "cuda12.6": {"nvidia": {"cuda_version_lower_bound": ["12.0"]}, "priority": {"order": ["3"]}},
            "cuda12.8": {"nvidia": {"cuda_version_lower_bound": ["12.0"]}, "priority": {"order": ["2"]}},
        },
    }
    if draft == "v0.0.2":
        doc["default-priorities"]["property"] = {"priority": {"order": ["1", "2", "3"]}}
        doc["providers"]["priority"] = {"plugin-use": "none", "requires": []}
    else:
        doc["static-properties"] = {"priority": {"order": ["1", "2", "3"]}}
        doc["providers"]["priority"] = {"install-time": False, "requires": []}
    return doc


def current() -> dict:
    return {
        "$schema": SCHEMA_PROVIDERS,
        "default-priorities": {"namespace": ["x86_64"]},
        "providers": {"x86_64": {"requires": ["x86-64-variant-provider"]}},
        "variants": {"v3": {"x86_64": {"level": ["v3"]}}},
    }


def upgraded(doc: dict):
    out, changes = upgrade_document(doc, source="t.json")
    VariantDocument.from_json(out, source="t.json", strict=True)  # what varwheel writes, read back strictly
    assert read_draft(out).uv != "fails-version"
    return out, changes


# -- read_draft ---------------------------------------------------------------------------------
@pytest.mark.parametrize("schema, draft", [
    (SCHEMA_PROVIDERS, "providers"), (SCHEMA_PEP825, "pep825"), (SCHEMA_VARIANTLIB, "variantlib"),
    (SCHEMA_V002, "v0.0.2"), (SCHEMA_V003, "v0.0.3"), (SCHEMA_WHEELNEXT_BARE, "wheelnext-bare"),
    ("https://variants-schema.wheelnext.dev", "wheelnext-bare"), ("https://example.org/x.json", "unknown"),
    (None, "unknown"), (3, "unknown"),
])
def test_draft_of_schema(schema, draft):
    assert draft_of_schema(schema) == draft


def test_read_draft_current_format_uses_its_built_in_namespaces():
    reading = read_draft(current())
    assert (reading.draft, reading.uv, reading.evaluated, reading.reasons) == ("providers", "uses", ("x86_64",), ())
    assert reading.describe() == (
        f"The current providers format ({SCHEMA_PROVIDERS}): uv 0.13.9 reads it and evaluates x86_64."
    )


def test_read_draft_names_every_key_uv_refuses():
    reading = read_draft(v002())
    assert reading.uv == "fails-version" and reading.draft == "v0.0.2" and reading.schema == SCHEMA_V002
    paths = [r.split(":")[0] for r in reading.reasons]
    assert paths == ["default-priorities.feature", "default-priorities.property", "providers.x86_64.enable-if",
                     "providers.aarch64.enable-if", "providers.blas_lapack.plugin-use"]
    text = reading.describe()
    assert text.startswith(f"The v0.0.2 draft (PEP 817 era) ({SCHEMA_V002}): uv 0.13.9 cannot read it (")
    assert "and 2 more" in text and "plain wheel included" in text and "`varwheel upgrade` converts it" in text
    reading = read_draft(v003_nvidia())
    assert [r.split(":")[0] for r in reading.reasons] == [
        "static-properties", "default-priorities.feature", "default-priorities.property",
        "providers.nvidia.enable-if", "providers.nvidia.install-time"]


def test_read_draft_ignores_documents_it_cannot_evaluate():
    pep825 = {"$schema": SCHEMA_PEP825, "default-priorities": {"namespace": ["x86_64"]},
              "variants": {"v3": {"x86_64": {"level": ["v3"]}}}}
    reading = read_draft(pep825)
    assert reading.uv == "ignores" and reading.reasons[0].startswith("providers: the document has no providers")
    plugin = dict(current(), providers={"x86_64": {"requires": ["x86-64-variant-provider>=9"]}})
    reading = read_draft(plugin)
    assert reading.uv == "ignores" and reading.skipped == ("x86_64",)
    assert "excludes the built-in x86-64-variant-provider 0.2.1" in reading.reasons[0]
    assert reading.describe().endswith("so it installs only the null variant or the plain wheel.")


def test_read_draft_legacy_file_with_only_current_keys_is_read_by_uv():
    """The published xgboost index: v0.0.2 URL, but nothing uv does not know."""
    data = json.loads((CORPUS / "wheelnext-index/v0.0.2/xgboost/xgboost-3.1.0rc1-variants.json").read_text())
    reading = read_draft(data)
    assert (reading.draft, reading.uv, reading.evaluated) == ("v0.0.2", "uses", ("nvidia",))
    assert "uv only logs the schema it does not know" in reading.describe()
    assert reading.reasons == (f"$schema {SCHEMA_V002!r} is not a URL uv knows; it only logs that, since the keys fit",)


def test_read_draft_never_raises_on_junk():
    for junk in ([], "x", None, {"$schema": SCHEMA_PROVIDERS}, {"variants": []}):
        assert read_draft(junk).uv == "fails-version"


# -- the conversion rules -------------------------------------------------------------------------
def test_v002_numpy_shape():
    out, changes = upgraded(v002())
    assert out["$schema"] == SCHEMA_PROVIDERS
    assert out["default-priorities"] == {"namespace": ["x86_64", "aarch64", "blas_lapack"]}
    assert out["providers"] == {
        "x86_64": {"requires": ["x86-64-variant-provider"]},
        "aarch64": {"requires": ["aarch64-variant-provider"]},
        "blas_lapack": {"static-properties": {"provider": ["accelerate", "openblas", "mkl"]}},
    }
    assert out["variants"] == v002()["variants"]
    text = "\n".join(changes)
    assert "providers.x86_64.enable-if: removed (the current format has no provider markers); it was " \
           "\"platform_machine == 'x86_64'\"" in text
    assert "providers.x86_64.requires: 'provider-variant-x86-64' -> 'x86-64-variant-provider'" in text
    assert "providers.x86_64.plugin-api: 'provider_variant_x86_64.plugin:X8664Plugin' removed" in text
    assert "providers.blas_lapack: plugin-use: 'build' (installers never ran it) -> static-properties provider = " \
           "[accelerate, openblas, mkl], from default-priorities.property.blas_lapack" in text
    assert "requires ['blas-lapack-variant-provider'] dropped" in text


def test_nvidia_specifier_excluding_the_built_in_is_dropped_and_one_admitting_it_kept():
    out, changes = upgraded(v003_nvidia())
    assert out["providers"]["nvidia"] == {"requires": ["nvidia-variant-provider"], "plugin-api": NVIDIA_API}
    assert any("'nvidia-variant-provider>=0.0.2,<1.0.0' -> 'nvidia-variant-provider' (the specifier excludes "
               "uv 0.13.9's built-in nvidia-variant-provider 0.0.1" in c for c in changes)
    assert "providers.nvidia.install-time: removed (true is what every provider is now)" in changes
    assert "static-properties (top level): empty, removed" in changes
    doc = v003_nvidia()
    doc["providers"]["nvidia"]["requires"] = ["nvidia-variant-provider>=0.0.1,<1.0.0"]
    out, changes = upgraded(doc)
    assert out["providers"]["nvidia"]["requires"] == ["nvidia-variant-provider>=0.0.1,<1.0.0"]
    assert not any(c.startswith("providers.nvidia.requires") for c in changes)


def test_nvidia_plugin_api_is_what_the_built_in_needs():
    doc = v003_nvidia()
    del doc["providers"]["nvidia"]["plugin-api"]
    out, changes = upgraded(doc)
    assert out["providers"]["nvidia"]["plugin-api"] == NVIDIA_API
    assert f"providers.nvidia.plugin-api: None -> {NVIDIA_API!r}" in changes


@pytest.mark.parametrize("draft", ["v0.0.2", "v0.0.3"])
def test_torch_priority_namespace_becomes_static_in_the_declared_order(draft):
    out, changes = upgraded(torch_priority(draft))
    assert out["providers"]["priority"] == {"static-properties": {"order": ["1", "2", "3"]}}
    origin = "default-priorities.property.priority" if draft == "v0.0.2" else "static-properties.priority"
    why = "plugin-use: 'none'" if draft == "v0.0.2" else "install-time: false"
    assert any(c.startswith(f"providers.priority: {why} (installers never ran it) -> static-properties "
                            f"order = [1, 2, 3], from {origin}") for c in changes)


def test_static_values_follow_the_property_order_and_several_features_get_a_feature_order():
    doc = v003_nvidia()
    doc["default-priorities"]["namespace"] = ["nvidia", "omp"]
    doc["default-priorities"]["feature"] = {"omp": ["runtime", "flavor"]}
    doc["default-priorities"]["property"] = {"omp": {"runtime": ["llvm"]}}
    doc["static-properties"] = {"omp": {"flavor": ["a", "b"], "runtime": ["gnu", "intel", "llvm"]}}
    doc["providers"]["omp"] = {"install-time": False, "requires": ["openmp-variant-provider"]}
    doc["variants"]["gomp"] = {"omp": {"runtime": ["gnu"]}}
    out, changes = upgraded(doc)
    assert out["providers"]["omp"] == {
        "static-properties": {"runtime": ["llvm", "gnu", "intel"], "flavor": ["a", "b"]},
        "feature-order": ["runtime", "flavor"],
    }
    assert "providers.omp: omp :: runtime: values ordered by default-priorities.property.omp.runtime" in changes
    assert "providers.omp: feature-order ['runtime', 'flavor'] from default-priorities.feature.omp" in changes


def test_orders_for_a_built_in_namespace_cannot_be_expressed_and_say_so():
    doc = v002()
    doc["default-priorities"]["property"]["x86_64"] = {"level": ["v3", "v4"]}
    out, changes = upgraded(doc)
    assert "x86_64" not in json.dumps(out["default-priorities"]["namespace"][1:])
    assert ("default-priorities.property.x86_64.level ['v3', 'v4']: cannot be expressed in the current format "
            "(uv's built-in x86_64 provider orders its own features and values)") in changes


def test_old_null_label_becomes_null_and_empty_namespaces_are_dropped():
    doc = v003_nvidia()
    doc["variants"]["00000000"] = {}
    doc["variants"]["cu12"]["other"] = {}
    out, changes = upgraded(doc)
    assert sorted(out["variants"]) == ["cu12", "cu13", "null"] and out["variants"]["null"] == {}
    assert out["variants"]["cu12"] == {"nvidia": {"cuda_version_lower_bound": ["12.0"]}}
    assert "variants.00000000: the old null label '00000000' -> 'null' (a wheel labelled 00000000 is renamed -null)" \
        in changes
    assert "variants.cu12.other: {} dropped (a namespace without features says nothing)" in changes
    doc["variants"]["null"] = {}
    out, changes = upgraded(doc)
    assert "variants.00000000: same as 'null', merged into it" in changes or \
        "variants.null: same as 'null', merged into it" in changes


def test_what_uv_tolerates_is_kept_with_a_note():
    """A value outside the static list and an empty variant not labelled null: the publisher's data, kept."""
    doc = torch_priority("v0.0.3")
    doc["variants"]["cuda99"] = {"priority": {"order": ["4"]}}
    doc["variants"]["cpu"] = {}
    out, changes = upgrade_document(doc, source="t.json")
    assert out["variants"]["cuda99"] == {"priority": {"order": ["4"]}} and out["variants"]["cpu"] == {}
    notes = [c for c in changes if c.startswith("note: ")]
    assert notes == [
        "note: variants.cpu: has no properties but is not labelled 'null': uv 0.13.9 treats it as always compatible "
        "and ranks it with the null variant (by label); label it 'null' or give it its properties",
        "note: variants.cuda99.priority.order: '4' is not among providers.priority.static-properties.order "
        "['1', '2', '3']; installers never find it supported, so this variant is never selected",
    ]
    assert read_draft(out).uv == "uses"


def test_plugins_uv_does_not_run_are_kept_and_said_so():
    doc = torch_priority("v0.0.2")
    doc["default-priorities"]["namespace"].append("amd")
    doc["providers"]["amd"] = {"enable-if": "platform_system == 'Linux'", "requires": ["amd-variant-provider>=0.0.2"]}
    out, changes = upgraded(doc)
    assert out["providers"]["amd"] == {"requires": ["amd-variant-provider>=0.0.2"]}
    assert ("providers.amd: plugin amd-variant-provider>=0.0.2 kept as written; uv 0.13.9 runs no plugins, so it "
            "never installs a variant that needs namespace 'amd'") in changes
    assert read_draft(out).skipped == ("amd",)


@pytest.mark.parametrize("doc", [
    current(),
    {"$schema": SCHEMA_PEP825, "default-priorities": {"namespace": ["x86_64"]},
     "variants": {"v3": {"x86_64": {"level": ["v3"]}}}},
    dict(current(), **{"$schema": SCHEMA_VARIANTLIB}),
], ids=["providers", "pep825", "variantlib"])
def test_current_formats_come_back_unchanged(doc):
    out, changes = upgrade_document(doc, source="t.json")
    assert (out, changes) == (doc, [])
    assert out is not doc


def test_upgrading_twice_changes_nothing():
    for doc in (v002(), v003_nvidia(), torch_priority("v0.0.2"), torch_priority("v0.0.3")):
        once, changes = upgraded(doc)
        assert changes
        assert upgrade_document(once, source="t.json") == (once, [])


def test_unknown_schema_with_the_current_shape_gets_the_providers_url():
    doc = dict(current(), **{"$schema": "https://example.org/future.json"})
    out, changes = upgraded(doc)
    assert out["$schema"] == SCHEMA_PROVIDERS
    assert changes == [f"$schema: https://example.org/future.json (a URL no draft uses; the keys are the current "
                       f"shape) -> {SCHEMA_PROVIDERS}"]


def test_the_input_is_not_modified():
    doc = v002()
    before = copy.deepcopy(doc)
    upgraded(doc)
    assert doc == before


@pytest.mark.parametrize("edit, needle", [
    (lambda d: d.update(extra=1), "t.json: extra: a top-level key the v0.0.2 draft does not define"),
    (lambda d: d["providers"]["x86_64"].update(colour="red"), "t.json: providers.x86_64.colour: a key the PEP 817-era"),
    (lambda d: d["default-priorities"].update(order=[]), "t.json: default-priorities.order: a key the PEP 817-era"),
    (lambda d: d["default-priorities"].pop("property"),
     "t.json: providers.blas_lapack: plugin-use: 'build', so installers take its values from the document, but "
     "neither static-properties.blas_lapack nor default-priorities.property.blas_lapack lists any"),
    (lambda d: d["providers"]["blas_lapack"].update({"plugin-use": "sometimes"}),
     "t.json: providers.blas_lapack.plugin-use: 'sometimes' is not one of all, build, none"),
    (lambda d: d["providers"]["blas_lapack"].update({"install-time": True}),
     "t.json: providers.blas_lapack: install-time True and plugin-use 'build' contradict each other"),
    (lambda d: d.update({"static-properties": {"x86_64": {"level": ["v3"]}}}),
     "t.json: static-properties.x86_64: given for a provider that runs at install time"),
    (lambda d: d.update({"static-properties": {"gpu": {"kind": ["a"]}}}),
     "t.json: static-properties.gpu: lists properties for a namespace without a provider"),
    (lambda d: d["providers"]["x86_64"].update(requires=[]),
     "t.json: providers.x86_64.requires: empty, and the provider runs at install time"),
    (lambda d: d["default-priorities"].update(namespace=["x86_64"]), "t.json: default-priorities.namespace"),
    (lambda d: d.update({"$schema": "https://example.org/x.json"}),
     "t.json: default-priorities: unknown key 'feature'"),
    (lambda d: d.pop("$schema"), "t.json: $schema is missing or not a string"),
])
def test_refusals_name_the_key(edit, needle):
    doc = v002()
    edit(doc)
    with pytest.raises(UpgradeRefused) as info:
        upgrade_document(doc, source="t.json")
    assert needle in str(info.value)


def test_invalid_current_format_is_refused_not_converted():
    doc = dict(current(), variants={"null": {"x86_64": {"level": ["v3"]}}})
    with pytest.raises(UpgradeRefused, match="there is no older draft to convert from"):
        upgrade_document(doc, source="t.json")


# -- varwheel upgrade -----------------------------------------------------------------------------
def legacy_wheel(directory: Path, label: "str | None", doc: dict, *, name: str = "mypkg", version: str = "1.0") -> Path:
    """A wheel whose variant.json is ``doc`` with only ``label`` under variants (what the publishers' tools wrote)."""
    own = dict(doc, variants={label: doc["variants"][label]}) if label is not None else None
    extra = {"variant.json": json.dumps(own, indent=4, sort_keys=True)} if own is not None else None
    return make_wheel(directory, name, version, label=label, extra_dist_info=extra,
                      files={"mypkg/__init__.py": "X = 1\n", "mypkg/data.bin": bytes(range(256)) * 40})


def digest(directory: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture
def legacy(tmp_path) -> Path:
    """A v0.0.3 nvidia family with the old null label, its published index under a hyphenated name, a plain wheel."""
    doc = v003_nvidia()
    doc["variants"]["00000000"] = {}
    src = tmp_path / "legacy"
    for label in doc["variants"]:
        legacy_wheel(src, label, doc)
    legacy_wheel(src, None, doc)
    (src / "MyPkg-1.0-variants.json").write_text(json.dumps(dict(doc), indent=4))
    return src


def test_upgrade_cli_converts_wheels_and_index_files(legacy, tmp_path, run_varwheel):
    before = digest(legacy)
    out = tmp_path / "out"
    proc = run_varwheel("upgrade", legacy, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert digest(legacy) == before
    assert sorted(p.name for p in out.iterdir()) == [
        "mypkg-1.0-py3-none-any-cu12.whl", "mypkg-1.0-py3-none-any-cu13.whl", "mypkg-1.0-py3-none-any-null.whl",
        "mypkg-1.0-py3-none-any.whl", "mypkg-1.0-variants.json"]  # MyPkg-1.0-variants.json, normalized
    lines = proc.stdout.splitlines()
    assert f"{out / 'mypkg-1.0-py3-none-any-cu12.whl'}: from {legacy / 'mypkg-1.0-py3-none-any-cu12.whl'}, " \
           "v0.0.3 draft, 7 changes:" in lines
    assert "  file name: mypkg-1.0-py3-none-any-00000000.whl -> mypkg-1.0-py3-none-any-null.whl" in lines
    assert "  file name: MyPkg-1.0-variants.json -> mypkg-1.0-variants.json (uv reads only the normalized, " \
           "underscored name)" in lines
    assert f"{out / 'mypkg-1.0-py3-none-any.whl'}: copied unchanged (a plain wheel: no variant.json)" in lines
    assert (out / "mypkg-1.0-py3-none-any.whl").read_bytes() == (legacy / "mypkg-1.0-py3-none-any.whl").read_bytes()
    for label, old in (("cu12", "cu12"), ("null", "00000000")):
        new = out / f"mypkg-1.0-py3-none-any-{label}.whl"
        assert_kept_verbatim(legacy / f"mypkg-1.0-py3-none-any-{old}.whl", new)
        assert_record_consistent(new)
        with zipfile.ZipFile(new) as zf:
            inner = VariantDocument.loads(zf.read("mypkg-1.0.dist-info/variant.json"), strict=True)
        assert list(inner.variants) == [label] and inner.schema == SCHEMA_PROVIDERS
    index = VariantDocument.loads((out / "mypkg-1.0-variants.json").read_bytes(), strict=True)
    assert sorted(index.variants) == ["cu12", "cu13", "null"]
    # The converted copies are current: upgrading them again copies every file unchanged.
    again = run_varwheel("upgrade", out, "-o", tmp_path / "again", check=True)
    assert again.stdout.count("copied unchanged") == 5
    assert digest(tmp_path / "again") == digest(out)


def test_upgrade_output_is_reproducible(legacy, tmp_path, run_varwheel):
    run_varwheel("upgrade", legacy, "-o", tmp_path / "a", check=True)
    run_varwheel("upgrade", legacy, "-o", tmp_path / "b", check=True)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    # Same bytes again: an identical existing output is left as it is, without --force.
    run_varwheel("upgrade", legacy, "-o", tmp_path / "a", check=True)


def _refused(run_varwheel, *args) -> str:
    proc = run_varwheel("upgrade", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    return proc.stderr


def test_upgrade_refusal_writes_nothing(legacy, tmp_path, run_varwheel):
    bad = dict(v003_nvidia(), colour="red")
    (legacy / "zzz-1.0-variants.json").write_text(json.dumps(bad))
    before = digest(legacy)
    out = tmp_path / "out" / "deeper"
    err = _refused(run_varwheel, legacy, "-o", out)
    assert "zzz-1.0-variants.json: colour: a top-level key the v0.0.3 draft does not define" in err
    assert not (tmp_path / "out").exists()
    assert digest(legacy) == before


def test_upgrade_never_writes_over_an_input(legacy, run_varwheel):
    before = digest(legacy)
    err = _refused(run_varwheel, legacy, "-o", legacy)
    assert "is an input" in err and "choose another folder with -o" in err
    assert digest(legacy) == before


def test_upgrade_replaces_a_different_output_only_with_force(legacy, tmp_path, run_varwheel):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mypkg-1.0-variants.json").write_text("{}")
    err = _refused(run_varwheel, legacy, "-o", out)
    assert "already exists with different content; pass --force" in err
    assert sorted(p.name for p in out.iterdir()) == ["mypkg-1.0-variants.json"]  # the batch left nothing else
    run_varwheel("upgrade", legacy, "-o", out, "--force", check=True)
    assert VariantDocument.loads((out / "mypkg-1.0-variants.json").read_bytes()).variants


@pytest.mark.parametrize("case, needle", [
    ("not-a-file", "neither a wheel (.whl) nor an index file"),
    ("missing", "no such file or directory"),
    ("empty-dir", "holds no wheels and no *-variants.json files"),
    ("mismatch", "its label 'cu13' differs from the filename's label 'cu12'"),
    ("two-labels", "'variants' must hold exactly one entry in a wheel"),
    ("bad-json", "not valid JSON"),
    ("bad-index-name", "not named {name}-{version}-variants.json"),
])
def test_upgrade_bad_input_exits_2(tmp_path, run_varwheel, case, needle):
    src = tmp_path / "src"
    src.mkdir()
    doc = v003_nvidia()
    if case == "not-a-file":
        target = src / "notes.txt"
        target.write_text("x")
    elif case == "missing":
        target = src / "gone.whl"
    elif case == "empty-dir":
        target = src
    elif case == "mismatch":
        own = dict(doc, variants={"cu13": doc["variants"]["cu13"]})
        target = make_wheel(src, "mypkg", "1.0", label="cu12", extra_dist_info={"variant.json": json.dumps(own)})
    elif case == "two-labels":
        target = make_wheel(src, "mypkg", "1.0", label="cu12", extra_dist_info={"variant.json": json.dumps(doc)})
    elif case == "bad-json":
        target = make_wheel(src, "mypkg", "1.0", label="cu12", extra_dist_info={"variant.json": "{"})
    else:
        target = src / "-variants.json"
        target.write_text(json.dumps(doc))
    assert needle in _refused(run_varwheel, target, "-o", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_upgrade_verify_checks_record(tmp_path, run_varwheel):
    wheel = legacy_wheel(tmp_path / "src", "cu12", v003_nvidia())
    # Corrupt one stored member's bytes without touching RECORD.
    broken = tmp_path / "broken" / wheel.name
    broken.parent.mkdir()
    with zipfile.ZipFile(wheel) as zin, zipfile.ZipFile(broken, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, b"changed\n" if info.filename == "mypkg/__init__.py" else data)
    assert "RECORD" in _refused(run_varwheel, broken, "-o", tmp_path / "out", "--verify")
    run_varwheel("upgrade", broken, "-o", tmp_path / "out", check=True)  # without --verify it is not looked at


def test_show_reads_a_legacy_wheel_through_the_converter(legacy, run_varwheel):
    proc = run_varwheel("show", legacy / "mypkg-1.0-py3-none-any-00000000.whl", check=True)
    lines = proc.stdout.splitlines()
    assert lines[1] == ("  label:       00000000  (the old null label: `varwheel upgrade` writes null, as "
                        "mypkg-1.0-py3-none-any-null.whl)")
    assert "  format:      v0.0.3 (https://variants-schema.wheelnext.dev/v0.0.3.json), a PEP 817-era draft" in lines
    assert any(line.startswith("  uv 0.13.9:   The v0.0.3 draft (PEP 817 era)") for line in lines)
    assert "  upgrade:     `varwheel upgrade` makes 8 change(s); priorities and providers below are as converted" \
        in lines
    assert lines[-1] == f"    nvidia: requires nvidia-variant-provider (plugin-api {NVIDIA_API})"
    data = json.loads(run_varwheel("show", "--json", legacy / "mypkg-1.0-py3-none-any-cu12.whl", check=True).stdout)
    assert data["draft"] == "v0.0.3" and data["uv"]["outcome"] == "fails-version"
    assert data["properties"] == ["nvidia :: cuda_version_lower_bound :: 12.0"]
    assert data["upgrade"]["converted"]["$schema"] == SCHEMA_PROVIDERS
    assert data["variant_json"]["static-properties"] == {}  # the file as it is


def test_show_a_legacy_document_the_converter_refuses(tmp_path, run_varwheel):
    path = tmp_path / "mypkg-1.0-variants.json"
    path.write_text(json.dumps(dict(v002(), colour="red")))
    proc = run_varwheel("show", path, check=True)
    assert "  upgrade:     `varwheel upgrade` refuses it: mypkg-1.0-variants.json: colour: a top-level key" in proc.stdout
    assert "  x8664v4_mkl: blas_lapack :: provider :: mkl, x86_64 :: level :: v4" in proc.stdout


# -- real uv on legacy and upgraded wheels -------------------------------------------------------------
@pytest.fixture(scope="module")
def target_python(tmp_path_factory, uv_bin) -> str:
    venv = tmp_path_factory.mktemp("uv-target") / "venv"
    proc = subprocess.run([uv_bin, "venv", "-q", "--python", sys.executable, str(venv)],
                          capture_output=True, text=True, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    return str(venv / "bin" / "python")


def _uv(uv_bin, python, directory, cache):
    from tests.helpers_select import uv_pick

    return uv_pick(uv_bin, python, directory, "mypkg", {FORCE_DRIVER: "12.8", FORCE_SM: "9.0"}, cache)


def test_uv_refuses_legacy_wheels_even_beside_an_upgraded_index(legacy, tmp_path, uv_bin, target_python,
                                                                 run_varwheel):
    """What read_draft().describe() says about a wheel's own variant.json, measured."""
    out = tmp_path / "out"
    run_varwheel("upgrade", legacy, "-o", out, check=True)
    cache = tmp_path / "cache"
    assert _uv(uv_bin, target_python, out, cache)[0] == "mypkg-1.0-py3-none-any-cu12.whl"
    mixed = tmp_path / "mixed"  # the legacy wheels, only the index upgraded
    mixed.mkdir()
    for wheel in legacy.glob("*.whl"):
        (mixed / wheel.name).write_bytes(wheel.read_bytes())
    (mixed / "mypkg-1.0-variants.json").write_bytes((out / "mypkg-1.0-variants.json").read_bytes())
    (mixed / "mypkg-1.0-py3-none-any-00000000.whl").rename(mixed / "mypkg-1.0-py3-none-any-null.whl")
    picked, log = _uv(uv_bin, target_python, mixed, cache)
    assert picked is None and "Failed to parse variant metadata `variant.json`" in log
    legacy_index = tmp_path / "legacy-index"  # the upgraded wheels beside the published index
    legacy_index.mkdir()
    for wheel in out.glob("*.whl"):
        (legacy_index / wheel.name).write_bytes(wheel.read_bytes())
    (legacy_index / "mypkg-1.0-variants.json").write_bytes((legacy / "MyPkg-1.0-variants.json").read_bytes())
    picked, log = _uv(uv_bin, target_python, legacy_index, cache)
    assert picked is None and "Failed to parse variant metadata `mypkg-1.0-variants.json`" in log


def test_make_variant_output_is_current_for_upgrade(tmp_path, run_varwheel):
    src = make_wheel(tmp_path / "src", "mypkg", "1.0")
    wheel = make_variants(src, tmp_path / "dist", {"v3": ["x86_64 :: level :: v3"]})["v3"]
    proc = run_varwheel("upgrade", wheel, "-o", tmp_path / "out", check=True)
    assert proc.stdout.strip().endswith(f"copied unchanged (already the current providers format ({SCHEMA_PROVIDERS}))")
    assert (tmp_path / "out" / wheel.name).read_bytes() == wheel.read_bytes()
