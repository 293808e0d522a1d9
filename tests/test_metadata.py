"""variant.json documents: both written formats, variantlib's schema, validation, merge."""

from __future__ import annotations

import copy
import json

import pytest

from tests.conftest import ROOT
from varwheel.model.builtins import BUILTIN_PROVIDERS
from varwheel.errors import InconsistentVariants, InvalidMetadata
from varwheel.model.release import merge_documents
from varwheel.model.document import (
    KNOWN_SCHEMAS,
    SCHEMA_PEP825,
    SCHEMA_PROVIDERS,
    SCHEMA_VARIANTLIB,
    Provider,
    VariantDocument,
)
from varwheel.model.properties import VariantDescription

DATA = ROOT / "tests" / "data"

BLAS = Provider(static_properties=(("library", ("mkl", "openblas")),))
V3_MKL = VariantDescription.parse(["x86_64 :: level :: v3", "blas_lapack :: library :: mkl"])

#: The exact bytes varwheel writes for V3_MKL in the providers format.
GOLDEN_PROVIDERS = """\
{
    "$schema": "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json",
    "default-priorities": {
        "namespace": [
            "x86_64",
            "blas_lapack"
        ]
    },
    "providers": {
        "blas_lapack": {
            "static-properties": {
                "library": [
                    "mkl",
                    "openblas"
                ]
            }
        },
        "x86_64": {
            "requires": [
                "x86-64-variant-provider"
            ]
        }
    },
    "variants": {
        "v3mkl": {
            "blas_lapack": {
                "library": [
                    "mkl"
                ]
            },
            "x86_64": {
                "level": [
                    "v3"
                ]
            }
        }
    }
}
"""

GOLDEN_PEP825 = """\
{
    "$schema": "https://variants-schema.wheelnext.dev/peps/825/v0.1.1.json",
    "default-priorities": {
        "namespace": [
            "x86_64",
            "blas_lapack"
        ]
    },
    "variants": {
        "v3mkl": {
            "blas_lapack": {
                "library": [
                    "mkl"
                ]
            },
            "x86_64": {
                "level": [
                    "v3"
                ]
            }
        }
    }
}
"""


def providers_doc(fmt="providers"):
    return VariantDocument.for_variant(
        "v3mkl",
        V3_MKL,
        providers={"x86_64": BUILTIN_PROVIDERS["x86_64"], "blas_lapack": BLAS},
        default_priorities=["x86_64", "blas_lapack"],
        metadata_format=fmt,
    )


def test_providers_format_bytes_are_exactly_the_golden_text():
    doc = providers_doc()
    assert doc.format == "providers"
    assert doc.schema == SCHEMA_PROVIDERS
    assert doc.dumps() == GOLDEN_PROVIDERS.encode()


def test_pep825_format_bytes_are_exactly_the_golden_text():
    doc = providers_doc("pep825")
    assert doc.format == "pep825"
    assert doc.providers == {}
    assert doc.dumps() == GOLDEN_PEP825.encode()
    assert set(json.loads(doc.dumps())) == {"$schema", "default-priorities", "variants"}


@pytest.mark.parametrize("golden", [GOLDEN_PROVIDERS, GOLDEN_PEP825])
def test_serialization_is_canonical_whatever_the_input_layout(golden):
    data = json.loads(golden)
    # Same content, other key order and whitespace: same bytes out.
    shuffled = json.dumps(dict(reversed(list(data.items()))), indent=1)
    doc = VariantDocument.loads(shuffled.encode())
    assert doc.dumps() == golden.encode()
    assert VariantDocument.loads(doc.dumps()).dumps() == doc.dumps()
    # And a fresh object built twice gives the same bytes.
    assert VariantDocument.loads(golden).dumps() == VariantDocument.loads(golden.encode()).dumps()


def test_values_are_written_sorted_and_static_preferences_keep_their_order():
    doc = VariantDocument.for_variant(
        "sm",
        VariantDescription.parse(["nvidia :: sm_arch :: 90_real", "nvidia :: sm_arch :: 120_real"]),
        providers={"nvidia": Provider(static_properties=(("sm_arch", ("90_real", "120_real")),))},
        default_priorities=["nvidia"],
    )
    data = json.loads(doc.dumps())
    assert data["variants"]["sm"]["nvidia"]["sm_arch"] == ["120_real", "90_real"]
    assert data["providers"]["nvidia"]["static-properties"]["sm_arch"] == ["90_real", "120_real"]


def test_reads_variantlib_written_documents():
    raw = (DATA / "variantlib-0.2.2-variant.json").read_bytes()
    doc = VariantDocument.loads(raw)
    assert doc.schema == SCHEMA_VARIANTLIB
    assert doc.format == "providers"
    label, desc = doc.single("5130468c")
    assert label == "5130468c" == desc.hash_label()
    assert desc.strings() == ["blas_lapack :: library :: mkl", "x86_64 :: level :: v3"]
    assert doc.providers["blas_lapack"].static == {"library": ["mkl", "openblas"]}
    assert doc.providers["x86_64"].requires == ("x86-64-variant-provider",)
    assert doc.default_priorities == ["x86_64", "blas_lapack"]
    null = VariantDocument.loads((DATA / "variantlib-0.2.2-null-variant.json").read_bytes())
    assert null.single("null") == ("null", VariantDescription())


def test_variantlib_content_rewritten_in_our_format_differs_only_in_schema_and_newline():
    raw = (DATA / "variantlib-0.2.2-variant.json").read_text()
    doc = VariantDocument.loads(raw)
    doc.schema = SCHEMA_PROVIDERS
    ours = doc.dumps().decode()
    assert ours == raw.replace(SCHEMA_VARIANTLIB, SCHEMA_PROVIDERS) + "\n"


def test_all_three_schema_urls_are_known():
    assert set(KNOWN_SCHEMAS) == {
        "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json",
        "https://variants-schema.wheelnext.dev/peps/825/v0.1.1.json",
        "https://variants-schema.wheelnext.dev/v0.2.0.json",
    }


def test_provider_keys_round_trip():
    entries = {
        "a": {"requires": ["a-provider>=1"], "plugin-api": "a_provider.plugin:Plugin", "optional": True},
        "b": {"static-properties": {"x": ["1", "2"], "y": ["z"]}, "feature-order": ["y", "x"]},
        "c": {"builtin": "cpu"},
        "d": {"requires": ["d-provider"], "plugin-api": "d_provider"},
    }
    for ns, entry in entries.items():
        provider = Provider.from_json(entry, f"providers.{ns}")
        assert provider.to_json() == entry
    b = Provider.from_json(entries["b"], "providers.b")
    assert b.features_in_order() == ["y", "x"]
    assert b.kind == "static-properties"
    assert Provider.from_json({"static-properties": {"x": ["1"]}}, "p").features_in_order() == ["x"]
    br = Provider.from_json({"build-requires": ["q"]}, "p", allow_build_requires=True)
    assert br.kind == "build-requires" and br.to_json() == {"build-requires": ["q"]}


def base():
    return json.loads(GOLDEN_PROVIDERS)


def edit(fn):
    data = base()
    fn(data)
    return data


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda d: d.pop("$schema"), "'$schema' is missing"),
        (lambda d: d.update({"extra": 1}), "unknown top-level key 'extra'"),
        (lambda d: d.pop("default-priorities"), "'default-priorities' must be an object"),
        (lambda d: d["default-priorities"].update({"feature": {}}), "default-priorities: unknown key 'feature'"),
        (lambda d: d["default-priorities"].update({"namespace": []}), "default-priorities.namespace: the list is empty"),
        (lambda d: d["default-priorities"].update({"namespace": "x86_64"}), "default-priorities.namespace: expected a list"),
        (lambda d: d["default-priorities"].update({"namespace": ["x86_64", "x86_64"]}), "not unique"),
        (lambda d: d["default-priorities"].update({"namespace": ["x86-64", "blas_lapack"]}), "namespace 'x86-64' is invalid"),
        (lambda d: d["default-priorities"].update({"namespace": ["x86_64"]}), "must list exactly the namespaces of providers"),
        # The providers format's schema needs a providers table (uv 0.13.9: "must match the namespaces").
        (lambda d: d.pop("providers"), "must list exactly the namespaces of providers []"),
        (lambda d: d.update({"providers": []}), "'providers' must be an object"),
        (lambda d: d["providers"].update({"X": {"builtin": "x"}}), "namespace 'X' is invalid"),
        (lambda d: d["providers"]["x86_64"].update({"builtin": "x"}), "providers.x86_64: exactly one of requires, static-properties, builtin must be given"),
        (lambda d: d["providers"]["x86_64"].update({"color": "x"}), "providers.x86_64.color: unknown key"),
        (lambda d: d["providers"]["x86_64"].update({"requires": "x86-64-variant-provider"}), "providers.x86_64.requires: expected a list of strings"),
        (lambda d: d["providers"]["x86_64"].update({"optional": "yes"}), "providers.x86_64.optional: expected true or false"),
        (lambda d: d["providers"]["x86_64"].update({"build-requires": ["x"]}), "providers.x86_64.build-requires: only allowed in pyproject.toml"),
        (lambda d: d["providers"]["blas_lapack"].update({"plugin-api": "m:a"}), "providers.blas_lapack.plugin-api: only valid together with requires"),
        (lambda d: d["providers"]["x86_64"].update({"feature-order": ["level"]}), "providers.x86_64.feature-order: only valid with static-properties"),
        (lambda d: d["providers"]["blas_lapack"]["static-properties"].update({"other": ["a"]}), "providers.blas_lapack.feature-order: required when static-properties has more than one feature"),
        (lambda d: d["providers"]["blas_lapack"].update({"feature-order": ["nope"]}), "providers.blas_lapack.feature-order: must list exactly the features"),
        (lambda d: d["providers"]["blas_lapack"]["static-properties"].update({"library": []}), "providers.blas_lapack.static-properties.library: the list is empty"),
        (lambda d: d["providers"]["blas_lapack"]["static-properties"].update({"library": ["MKL"]}), "providers.blas_lapack.static-properties.library: value 'MKL' is invalid"),
        (lambda d: d["providers"]["blas_lapack"].update({"static-properties": {}}), "providers.blas_lapack.static-properties: expected a non-empty table"),
        (lambda d: d.update({"variants": []}), "'variants' must be an object"),
        (lambda d: d["variants"].update({"V3": {}}), "variants.V3: variant label 'V3' is invalid"),
        (lambda d: d["variants"].update({"null": {"x86_64": {"level": ["v3"]}}}), "variants.null: label 'null' is reserved"),
        (lambda d: d["variants"]["v3mkl"]["x86_64"].update({"level": []}), "variants.v3mkl.x86_64.level: the list of values is empty"),
        (lambda d: d["variants"]["v3mkl"]["x86_64"].update({"level": ["v3", "v3"]}), "variants.v3mkl.x86_64.level: values are not unique"),
        (lambda d: d["variants"]["v3mkl"]["x86_64"].update({"level": ["v-3"]}), "variants.v3mkl.x86_64.level: property"),
        (lambda d: d["variants"]["v3mkl"].update({"aarch64": {"version": ["8a"]}}), "namespace 'aarch64' is not listed in default-priorities.namespace"),
    ],
)
def test_invalid_documents_name_source_and_key_path(mutate, fragment):
    data = edit(mutate)
    with pytest.raises(InvalidMetadata) as info:
        VariantDocument.loads(json.dumps(data), source="demo.whl: demo-1.0.dist-info/variant.json")
    message = str(info.value)
    assert message.startswith("demo.whl: demo-1.0.dist-info/variant.json: ")
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "mutate, code, fragment",
    [
        (lambda d: d.update({"$schema": "https://example.com/x.json"}), "schema-unknown", "not a schema URL uv 0.13.9 knows"),
        (lambda d: d.update({"$schema": SCHEMA_PEP825}), "providers-in-pep825", "the pep825 format has no 'providers'"),
        (lambda d: d["providers"]["x86_64"].update({"requires": ["not a requirement!"]}), "provider-unmatched", "providers.x86_64.requires: requirement 'not a requirement!' is invalid"),
        (lambda d: d["providers"]["x86_64"].update({"requires": [" "]}), "provider-unmatched", "providers.x86_64.requires: requirement ' ' is invalid (it is empty)"),
        (lambda d: d["providers"]["x86_64"].update({"requires": []}), "provider-unmatched", "providers.x86_64.requires: lists no requirement"),
        (lambda d: d["providers"]["x86_64"].update({"plugin-api": "a b"}), "provider-unmatched", "providers.x86_64.plugin-api: 'a b' is not"),
        (lambda d: d["variants"].update({"empty": {}}), "empty-variant", "variants.empty: has no properties but is not labelled 'null'"),
        (lambda d: d["variants"]["v3mkl"].update({"aarch64": {}}), "empty-namespace", "variants.v3mkl.aarch64: maps to {}"),
        (lambda d: d["variants"]["v3mkl"]["blas_lapack"].update({"library": ["atlas"]}), "static-value-undeclared", "variants.v3mkl.blas_lapack.library: 'atlas' is not among providers.blas_lapack.static-properties.library"),
        (lambda d: d["variants"]["v3mkl"]["blas_lapack"].update({"threads": ["x"]}), "static-value-undeclared", "variants.v3mkl.blas_lapack.threads: feature 'threads' is not declared"),
    ],
)
def test_what_uv_accepts_is_a_finding_and_strict_readers_refuse(mutate, code, fragment):
    """uv 0.13.9 reads these documents (an unknown schema by its shape, a value outside a
    static list as unsupported, ``{}`` namespaces dropped): varwheel reads them too and
    records a finding; a writer (``strict=True``) refuses them with the same words."""
    data = edit(mutate)
    source = "demo.whl: demo-1.0.dist-info/variant.json"
    doc = VariantDocument.loads(json.dumps(data), source=source)
    assert [f.code for f in doc.findings] == [code]
    assert fragment in str(doc.findings[0]) and str(doc.findings[0]).startswith(source + ": ")
    with pytest.raises(InvalidMetadata) as info:
        VariantDocument.loads(json.dumps(data), source=source, strict=True)
    assert fragment in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "raw, fragment",
    [
        (b"{", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "expected a JSON object"),
        (b'{"$schema": 1, "$schema": 2}', "key '$schema' appears twice"),
        (GOLDEN_PROVIDERS.replace('"v3mkl": {', '"v3mkl": {}, "v3mkl": {').encode(), "key 'v3mkl' appears twice"),
    ],
)
def test_unparseable_documents(raw, fragment):
    with pytest.raises(InvalidMetadata, match="variant.json: ") as info:
        VariantDocument.loads(raw)
    assert fragment in str(info.value)


def test_pep825_document_rules():
    data = json.loads(GOLDEN_PEP825)
    doc = VariantDocument.from_json(data)
    assert doc.providers == {}
    data["variants"]["v3mkl"]["nvidia"] = {"sm_arch": ["90_real"]}
    with pytest.raises(InvalidMetadata, match="namespace 'nvidia' is not listed"):
        VariantDocument.from_json(data)


def test_single_requires_exactly_one_matching_entry():
    doc = providers_doc()
    assert doc.single() == ("v3mkl", V3_MKL)
    with pytest.raises(InvalidMetadata, match="differs from the filename's label 'other'"):
        doc.single("other")
    two = doc.copy()
    two.variants["null"] = VariantDescription()
    with pytest.raises(InvalidMetadata, match="exactly one entry in a wheel, found 2"):
        two.single()


def test_for_variant_validates_what_it_writes():
    with pytest.raises(InvalidMetadata, match="unknown metadata format 'json'"):
        VariantDocument.for_variant("a", V3_MKL, providers={}, default_priorities=[], metadata_format="json")
    with pytest.raises(InvalidMetadata, match="must list exactly the namespaces of providers"):
        VariantDocument.for_variant("a", V3_MKL, providers={"x86_64": BUILTIN_PROVIDERS["x86_64"], "blas_lapack": BLAS},
                                    default_priorities=["x86_64"])
    # pep825 needs no providers but still every namespace in the priorities.
    doc = VariantDocument.for_variant("a", V3_MKL, providers={}, default_priorities=[], metadata_format="pep825")
    assert doc.default_priorities == ["blas_lapack", "x86_64"]


# -- merging (spec section 6) ---------------------------------------------------------


def doc_for(label, props, prio, providers=None):
    desc = VariantDescription.parse(props)
    if providers is None:
        providers = {ns: BUILTIN_PROVIDERS.get(ns, BLAS) for ns in prio}
    return VariantDocument.for_variant(label, desc, providers=providers, default_priorities=prio)


def test_merge_takes_the_longer_priority_list_and_sorts_labels():
    a = doc_for("v3", ["x86_64 :: level :: v3"], ["x86_64"])
    b = doc_for("v3mkl", ["x86_64 :: level :: v3", "blas_lapack :: library :: mkl"], ["x86_64", "blas_lapack"])
    merged = merge_documents([("a.whl", b), ("b.whl", a)])
    assert merged.default_priorities == ["x86_64", "blas_lapack"]
    assert list(merged.variants) == ["v3", "v3mkl"]
    assert merge_documents([("a.whl", a), ("b.whl", b)]).dumps() == merged.dumps()


def test_merge_reports_inconsistencies_with_sources():
    a = doc_for("v3", ["x86_64 :: level :: v3"], ["x86_64"])
    other = doc_for("v3", ["x86_64 :: level :: v4"], ["x86_64"])
    with pytest.raises(InconsistentVariants, match=r"label 'v3' maps to different properties.*a\.whl.*b\.whl"):
        merge_documents([("a.whl", a), ("b.whl", other)])
    c = doc_for("n", ["nvidia :: sm_arch :: 90_real", "x86_64 :: level :: v3"], ["nvidia", "x86_64"])
    with pytest.raises(InconsistentVariants, match="one must be a prefix of the other"):
        merge_documents([("a.whl", a), ("c.whl", c)])
    pinned = doc_for("v4", ["x86_64 :: level :: v4"], ["x86_64"],
                     providers={"x86_64": Provider(requires=("x86-64-variant-provider>=1",))})
    with pytest.raises(InconsistentVariants, match=r"providers\.x86_64 differs"):
        merge_documents([("a.whl", a), ("p.whl", pinned)])
    pep = VariantDocument.for_variant("v4", VariantDescription.parse(["x86_64 :: level :: v4"]), providers={},
                                      default_priorities=["x86_64"], metadata_format="pep825")
    with pytest.raises(InconsistentVariants, match="pep825 metadata format"):
        merge_documents([("a.whl", a), ("p.whl", pep)])


def test_merge_does_not_modify_its_inputs():
    a = doc_for("v3", ["x86_64 :: level :: v3"], ["x86_64"])
    b = doc_for("v4", ["x86_64 :: level :: v4"], ["x86_64"])
    before = copy.deepcopy(a.to_json())
    merge_documents([("a", a), ("b", b)])
    assert a.to_json() == before


@pytest.mark.parametrize("bad", [[["v1"]], [{}], [1]])
def test_non_string_values_are_an_error_not_a_crash(bad):
    from varwheel.errors import InvalidMetadata
    from varwheel.model.document import SCHEMA_PROVIDERS, VariantDocument

    doc = {
        "$schema": SCHEMA_PROVIDERS,
        "default-priorities": {"namespace": ["x86_64"]},
        "providers": {"x86_64": {"requires": ["x86-64-variant-provider"]}},
        "variants": {"x": {"x86_64": {"level": bad}}},
    }
    with pytest.raises(InvalidMetadata, match="variants.x.x86_64.level: value .* is not a string"):
        VariantDocument.from_json(doc)
