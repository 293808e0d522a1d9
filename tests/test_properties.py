"""Properties, descriptions, labels and hash labels (spec sections 1 and 2)."""

from __future__ import annotations

import pytest

from tests.helpers_core import SHARED_VECTORS_PATH, VECTORS_PATH, vectors
from varwheel.errors import InvalidLabel, InvalidMetadata, InvalidProperty
from varwheel.model.properties import (
    NULL_LABEL,
    Property,
    VariantDescription,
    label_warnings,
    looks_like_hash_label,
    validate_label,
)

HASH_VECTORS = vectors()["hash_labels"]


def test_vectors_copy_matches_the_spec():
    if not SHARED_VECTORS_PATH.exists():
        pytest.skip(f"the spec's folder is not beside this clone ({SHARED_VECTORS_PATH} absent)")
    assert VECTORS_PATH.read_bytes() == SHARED_VECTORS_PATH.read_bytes(), (
        "tests/data/vectors.json is out of date: copy shared/spec/vectors.json over it"
    )


@pytest.mark.parametrize("case", HASH_VECTORS, ids=[c["label"] + "-" + str(i) for i, c in enumerate(HASH_VECTORS)])
def test_hash_label_vectors(case):
    desc = VariantDescription.parse(case["properties"])
    assert desc.hash_label() == case["label"]
    # Order of input never matters.
    assert VariantDescription.parse(list(reversed(case["properties"]))).hash_label() == case["label"]


def test_hash_vectors_cover_the_separator_case():
    # 'a :: b :: cx' + 'd :: e :: f' vs 'a :: b :: c' + 'xd :: e :: f' differ only by
    # where the newline goes; the vectors must keep both apart.
    labels = {c["label"] for c in HASH_VECTORS if c["properties"][0].startswith("a ::")}
    assert labels == {"a51ade3b", "d0fc17f7"}


def test_null_description_has_the_null_label():
    assert VariantDescription().hash_label() == NULL_LABEL == "null"
    assert VariantDescription.parse([]).is_null


@pytest.mark.parametrize(
    "text",
    [
        "x86_64 :: level :: v3",
        "x86_64::level::v3",
        "  x86_64   ::level::  v3  ",
        "x86_64\t::\tlevel\n::\nv3",
        "x86_64 ::level:: v3",
    ],
)
def test_parse_tolerates_whitespace_around_separators(text):
    prop = Property.parse(text)
    assert prop == Property("x86_64", "level", "v3")
    assert str(prop) == "x86_64 :: level :: v3"


def test_canonical_string_has_one_space_each_side():
    assert str(Property.parse("nvidia::cuda_version_lower_bound::12.8")) == (
        "nvidia :: cuda_version_lower_bound :: 12.8"
    )


def test_canonical_order_is_plain_string_order_of_the_tuple():
    desc = VariantDescription.parse(
        [
            "x86_64 :: level :: v3",
            "nvidia :: sm_arch :: 90_real",
            "nvidia :: sm_arch :: 100_real",
            "nvidia :: cuda_version_lower_bound :: 12.8",
            "blas_lapack :: library :: openblas",
        ]
    )
    assert desc.strings() == [
        "blas_lapack :: library :: openblas",
        "nvidia :: cuda_version_lower_bound :: 12.8",
        "nvidia :: sm_arch :: 100_real",  # lexical: '100_real' < '90_real'
        "nvidia :: sm_arch :: 90_real",
        "x86_64 :: level :: v3",
    ]
    assert desc.namespaces() == ["blas_lapack", "nvidia", "x86_64"]
    assert desc.values_by_feature()[("nvidia", "sm_arch")] == ["100_real", "90_real"]


def test_canonical_order_compares_namespace_before_feature():
    # Sorting by the tuple, not by the joined string: 'a' < 'a_b' as namespaces
    # even though 'a :: z' > 'a_b :: a' would hold for strings joined by ' :: '.
    desc = VariantDescription.parse(["a_b :: a :: a", "a :: z :: z"])
    assert desc.strings() == ["a :: z :: z", "a_b :: a :: a"]


def test_equal_descriptions_compare_equal_whatever_the_input_order():
    one = VariantDescription.parse(["a :: b :: c", "d :: e :: f"])
    two = VariantDescription.parse(["d::e::f", "a::b::c"])
    assert one == two
    assert hash(one) == hash(two)


@pytest.mark.parametrize(
    "props",
    [
        ["x86_64 :: level :: v3", "x86_64 :: level :: v3"],
        ["x86_64 :: level :: v3", "x86_64::level::v3"],
        ["a :: b :: c", "d :: e :: f", " a ::b:: c"],
    ],
)
def test_duplicates_are_rejected(props):
    with pytest.raises(InvalidProperty, match="duplicate property"):
        VariantDescription.parse(props)


def test_several_values_of_one_feature_are_allowed():
    desc = VariantDescription.parse(["nvidia :: sm_arch :: 120_real", "nvidia :: sm_arch :: 110_real"])
    assert desc.to_mapping() == {"nvidia": {"sm_arch": ["110_real", "120_real"]}}


@pytest.mark.parametrize(
    "text, component, bad",
    [
        ("X86_64 :: level :: v3", "namespace", "X86_64"),
        ("x86-64 :: level :: v3", "namespace", "x86-64"),
        ("x86.64 :: level :: v3", "namespace", "x86.64"),
        ("x86_64 :: Level :: v3", "feature", "Level"),
        ("x86_64 :: le.vel :: v3", "feature", "le.vel"),
        ("x86_64 :: le vel :: v3", "feature", "le vel"),
        ("x86_64 :: level :: V3", "value", "V3"),
        ("x86_64 :: level :: v-3", "value", "v-3"),
        ("x86_64 :: level :: v3+", "value", "v3+"),
        ("nvidia :: sm_arch :: 90 real", "value", "90 real"),
    ],
)
def test_invalid_parts_are_named(text, component, bad):
    with pytest.raises(InvalidProperty) as info:
        Property.parse(text)
    message = str(info.value)
    assert f"{component} {bad!r} is invalid" in message
    assert text in message


def test_hints_for_common_mistakes():
    with pytest.raises(InvalidProperty, match=r"did you mean 'x86_64'\?"):
        Property.parse("X86_64 :: level :: v3")
    with pytest.raises(InvalidProperty, match=r"did you mean 'x86_64'\?"):
        Property.parse("x86-64 :: level :: v3")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("x86_64 :: level", "found 2 part(s)"),
        ("x86_64 :: level :: v3 :: extra", "found 4 part(s)"),
        ("x86_64 : level : v3", "found 1 part(s)"),
        (" :: level :: v3", "namespace is empty"),
        ("x86_64 ::  :: v3", "feature is empty"),
        ("x86_64 :: level ::", "value is empty"),
        ("", "found 1 part(s)"),
    ],
)
def test_malformed_property_strings(text, fragment):
    with pytest.raises(InvalidProperty) as info:
        Property.parse(text)
    assert fragment in str(info.value)


def test_non_string_property_is_rejected():
    with pytest.raises(InvalidProperty, match="must be a string"):
        Property.parse(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["v3\n", "v3 ", "\nv3", "v\u00e93", "v\u0663"])
def test_direct_construction_validates_each_part_strictly(value):
    # A trailing newline slips through '$' with re.match; the regexes must be full matches.
    with pytest.raises(InvalidProperty, match="value"):
        Property("x86_64", "level", value)


# -- labels -------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["null", "fa7c1393", "cu12.8", "x86_64_v3", "0", "a" * 40, "..", "_"])
def test_valid_labels(label):
    assert validate_label(label) == label


@pytest.mark.parametrize(
    "label, hint",
    [
        ("CU128", "did you mean 'cu128'?"),
        ("cu-128", "did you mean 'cu_128'?"),
        ("", "empty"),
        ("a b", None),
        ("cu128\n", None),
        ("a/b", None),
        ("caf\u00e9", None),
    ],
)
def test_invalid_labels(label, hint):
    with pytest.raises(InvalidLabel) as info:
        validate_label(label)
    if hint:
        assert hint in str(info.value)


def test_long_labels_are_accepted_with_a_warning():
    assert label_warnings("a" * 16) == []
    long = "a" * 17
    assert validate_label(long) == long
    (warning,) = label_warnings(long)
    assert "17 characters" in warning and "16" in warning


def test_null_label_iff_no_properties_both_directions():
    empty = VariantDescription()
    some = VariantDescription.parse(["x86_64 :: level :: v3"])
    assert empty.check_label("null") == "null"
    assert some.check_label("v3") == "v3"
    with pytest.raises(InvalidLabel, match="must be labelled 'null'"):
        empty.check_label("v3")
    with pytest.raises(InvalidLabel, match="reserved for the null variant"):
        some.check_label("null")
    with pytest.raises(InvalidLabel):
        some.check_label("V3")


def test_looks_like_hash_label():
    assert looks_like_hash_label("fa7c1393")
    assert not looks_like_hash_label("fa7c139")
    assert not looks_like_hash_label("fa7c13930")
    assert not looks_like_hash_label("FA7C1393")
    assert not looks_like_hash_label("fa7c1393\n")
    assert not looks_like_hash_label("null")


# -- the variant.json mapping shape --------------------------------------------------


def test_mapping_round_trip():
    desc = VariantDescription.parse(
        ["nvidia :: sm_arch :: 90_real", "nvidia :: sm_arch :: 120_real", "x86_64 :: level :: v3"]
    )
    mapping = desc.to_mapping()
    assert mapping == {"nvidia": {"sm_arch": ["120_real", "90_real"]}, "x86_64": {"level": ["v3"]}}
    assert VariantDescription.from_mapping(mapping) == desc
    assert VariantDescription.from_mapping({}) == VariantDescription()


@pytest.mark.parametrize(
    "mapping, fragment",
    [
        ({"x86_64": ["v3"]}, "variants.v3.x86_64: expected a table of features"),
        ({"x86_64": {}}, "variants.v3.x86_64: lists no feature"),
        ({"x86_64": {"level": "v3"}}, "variants.v3.x86_64.level: expected a list of values"),
        ({"x86_64": {"level": []}}, "variants.v3.x86_64.level: the list of values is empty"),
        ({"x86_64": {"level": ["v3", "v3"]}}, "variants.v3.x86_64.level: values are not unique"),
        ({"x86_64": {"level": [3]}}, "variants.v3.x86_64.level: value 3 is not a string"),
        ({"x86_64": {"level": ["V3"]}}, "variants.v3.x86_64.level: property"),
        ({"X86": {"level": ["v3"]}}, "variants.v3.X86.level"),
        ([], "variants.v3: expected a table of namespaces"),
    ],
)
def test_from_mapping_errors_name_the_key_path(mapping, fragment):
    with pytest.raises(InvalidMetadata) as info:
        VariantDescription.from_mapping(mapping, where="variants.v3")
    assert fragment in str(info.value)
