"""Config-settings parsing: every shape a frontend sends, and every bad value.

The shapes are the ones observed from the real frontends (python -m build -C
and --config-json, pip --config-settings, uv build -C); tests/test_build_hooks.py
and the slow build tests send them through the real tools.
"""

from __future__ import annotations

import pytest

from varwheel.errors import InvalidConfigSetting, InvalidInput
from varwheel.build.settings import OWNED_KEYS, parse_settings, split_config_settings


def test_none_passes_none_through():
    settings, rest = parse_settings(None)
    assert not settings.requested
    assert rest is None


def test_owned_keys_are_removed_and_others_kept_untouched():
    given = {
        "variant": ["x86_64::level::v3", "x86_64::avx2::on"],
        "variant-label": "v3",
        "cmake.define.FOO": "1",
        "setup-args": ["-Dx=1"],
        "--build-option": "--quiet",
    }
    snapshot = {k: (list(v) if isinstance(v, list) else v) for k, v in given.items()}
    settings, rest = parse_settings(given)
    assert rest == {"cmake.define.FOO": "1", "setup-args": ["-Dx=1"], "--build-option": "--quiet"}
    assert given == snapshot  # input never modified
    assert settings.properties == ("x86_64::level::v3", "x86_64::avx2::on")
    assert settings.label == "v3"
    assert settings.requested


def test_only_owned_keys_leave_an_empty_dict_not_none():
    settings, rest = parse_settings({"null-variant": ""})
    assert rest == {}
    assert settings.null


@pytest.mark.parametrize(
    "value",
    ["x86_64::level::v3", ["x86_64::level::v3"], ("x86_64::level::v3",)],
    ids=["string (pip, uv, build -C once)", "list (repeated -C, --config-json)", "tuple"],
)
def test_variant_as_string_or_list(value):
    settings, _ = parse_settings({"variant": value})
    assert settings.properties == ("x86_64::level::v3",)


def test_variant_property_is_an_alias_and_variant_name_is_recorded_only():
    settings, _ = parse_settings(
        {"variant": "x86_64::level::v3", "variant-property": "x86_64::sha::on", "variant-name": "blas::lib::mkl"}
    )
    assert settings.properties == ("x86_64::level::v3", "x86_64::sha::on")
    assert settings.names == ("blas::lib::mkl",)
    assert settings.all_properties == ["x86_64::level::v3", "x86_64::sha::on", "blas::lib::mkl"]


@pytest.mark.parametrize("value", ["", "true", "TRUE", "1", "yes", "on", True, ["", ""]])
def test_null_variant_accepted_values(value):
    settings, _ = parse_settings({"null-variant": value})
    assert settings.null and settings.requested


@pytest.mark.parametrize("value", ["false", "0", "nope", False, 1, ["", "no"]])
def test_null_variant_other_values_are_errors(value):
    with pytest.raises(InvalidConfigSetting, match="null-variant"):
        parse_settings({"null-variant": value})


@pytest.mark.parametrize("value,expected", [("true", True), ("", True), (True, True), ("false", False), ("0", False), (False, False)])
def test_defer_label_values(value, expected):
    settings, _ = parse_settings({"variant": "x86_64::level::v3", "variant-defer-label": value})
    assert settings.defer_label is expected


def test_defer_label_bad_value():
    with pytest.raises(InvalidConfigSetting, match="variant-defer-label='maybe' is not understood"):
        parse_settings({"variant": "x86_64::level::v3", "variant-defer-label": "maybe"})


def test_defer_label_without_a_variant_is_an_error():
    with pytest.raises(InvalidConfigSetting, match="no label to defer"):
        parse_settings({"variant-defer-label": "true"})


def test_label_given_twice_with_different_values():
    with pytest.raises(InvalidConfigSetting, match="given 2 times with different values"):
        parse_settings({"variant-label": ["a", "b"]})
    settings, _ = parse_settings({"variant-label": ["a", "a"]})
    assert settings.label == "a"


def test_empty_variant_value_points_to_null_variant():
    with pytest.raises(InvalidConfigSetting, match="-Cnull-variant"):
        parse_settings({"variant": ""})


def test_non_string_values_are_errors():
    with pytest.raises(InvalidConfigSetting, match="expected a string or a list"):
        parse_settings({"variant": {"x86_64": "v3"}})
    with pytest.raises(InvalidConfigSetting, match="expected strings"):
        parse_settings({"variant": ["x86_64::level::v3", 3]})


@pytest.mark.parametrize("key,suggestion", [("variant-lable", "variant-label"), ("variants", "variant"), ("null_variant", "null-variant")])
def test_typos_of_our_keys_are_caught_not_forwarded(key, suggestion):
    with pytest.raises(InvalidConfigSetting, match=f"did you mean '{suggestion}'"):
        split_config_settings({key: "x"})


def test_errors_are_invalid_input():
    # The backend turns InvalidInput into one line on stderr; keep the hierarchy.
    assert issubclass(InvalidConfigSetting, InvalidInput)


def test_metadata_format_is_read():
    settings, _ = parse_settings({"variant": "x86_64::level::v3", "variant-metadata-format": "pep825"})
    assert settings.metadata_format == "pep825"


def test_owned_keys_listed():
    assert set(OWNED_KEYS) == {
        "variant", "variant-property", "variant-name", "variant-label", "null-variant",
        "variant-defer-label", "variant-metadata-format",
    }
