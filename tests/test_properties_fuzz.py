"""Property-based tests of every parser and table reader (issue 11, "the suite attacks itself").

Each reader gets two kinds of input from hypothesis: anything at all of its
input type (random text, bytes, JSON values, TOML tables, with non-string keys
where the Python API takes mappings), and input shaped like the real thing
with parts broken.  Two properties hold for all of them:

* **only the documented errors escape**: an :class:`~varwheel.errors.InvalidInput`
  subclass (the CLI's exit 2), never ``TypeError``, ``AttributeError``,
  ``RecursionError`` or ``KeyError``;
* **what is accepted round-trips**: ``parse(str(x)) == x`` for file names and
  properties, ``loads(dumps(doc)) == doc`` for documents, RECORD rows through
  ``format_record``/``parse_record``, TOML tables through the TOML reader, and
  a parsed ``[variant]`` table rendered back parses to the same project.

Every test is seeded (``derandomize=True``, no example database), so a run
is repeatable and costs the same each time; all of them together take well
under two minutes.  A failure prints the smallest input hypothesis found:
add it with ``@example`` once fixed.
"""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple, Type

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from varwheel.build.flags import parse_mapping_table
from varwheel.build.settings import parse_settings
from varwheel.build.toolconfig import parse_tool_config
from varwheel.errors import (
    InvalidConfigSetting,
    InvalidFilename,
    InvalidInput,
    InvalidLabel,
    InvalidMetadata,
    InvalidProperty,
    InvalidPyproject,
    InvalidWheel,
)
from varwheel.model.document import SCHEMA_PEP825, SCHEMA_PROVIDERS, SCHEMA_VARIANTLIB, Provider, VariantDocument, read_document_file
from varwheel.model.drafts import load_json, read_draft, upgrade_document
from varwheel.model.filename import WheelFilename
from varwheel.model.properties import Property, VariantDescription, label_warnings, validate_label
from varwheel.model.pyproject import parse_variant_table
from varwheel.model.request import resolve_variant
from varwheel.model.toml import load_toml
from varwheel.wheel.record import RecordRow, format_record, parse_record

#: Seeded and bounded: the same examples every run, no database written.
FUZZ = settings(
    derandomize=True, database=None, deadline=None, max_examples=200, print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
FEW = settings(FUZZ, max_examples=100)


def accepted(errors: "Type[BaseException] | Tuple[Type[BaseException], ...]", fn: Callable[..., Any], *args: Any,
             **kwargs: Any) -> Tuple[bool, Any]:
    """``(True, result)``, or ``(False, error)`` for one of ``errors``; anything else escapes and fails the test."""
    try:
        return True, fn(*args, **kwargs)
    except errors as exc:
        assert str(exc), f"{type(exc).__name__} without a message"
        return False, exc


# -- strategies -----------------------------------------------------------------------------------------------

LOWER = string.ascii_lowercase + string.digits + "_"
part = st.text(LOWER, min_size=1, max_size=8)
value_part = st.text(LOWER + ".", min_size=1, max_size=8)
label_text = st.text(LOWER + ".", min_size=1, max_size=12)
#: Text that is mostly what a grammar allows, with some of what it does not.
near = st.text(LOWER + ".-:_ ABZ\x00\n\t/\\é", max_size=16)
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=12)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=24,
)
#: What the Python API may be handed: JSON-like values, but keys of any hashable type.
any_keys = st.text(max_size=8) | st.integers(-3, 3) | st.none() | st.booleans() | st.tuples(st.integers(0, 2))
python_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_keys, inner, max_size=4), max_leaves=24,
)

PROPERTY_TEXTS = st.one_of(
    st.builds(lambda n, f, v: f"{n} :: {f} :: {v}", part, part, value_part),
    st.builds(lambda n, f, v: f"{n}::{f}::{v}", near, near, near),
    near,
    st.text(max_size=30),
)


def _mapping_of(props: List[Tuple[str, str, str]]) -> Dict[str, Dict[str, List[str]]]:
    out: Dict[str, Dict[str, List[str]]] = {}
    for n, f, v in props:
        values = out.setdefault(n, {}).setdefault(f, [])
        if v not in values:
            values.append(v)
    return out


descriptions = st.lists(st.tuples(part, part, value_part), max_size=5).map(_mapping_of)


@st.composite
def providers(draw, namespaces: List[str]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for ns in namespaces:
        kind = draw(st.sampled_from(["requires", "static", "builtin", "requires-api", "odd"]))
        if kind == "requires":
            out[ns] = {"requires": [f"{ns.replace('_', '-')}-variant-provider"]}
        elif kind == "requires-api":
            out[ns] = {"requires": [f"{ns}-provider>=1"], "plugin-api": f"{ns}_provider.plugin:Plugin"}
        elif kind == "static":
            features = draw(st.dictionaries(part, st.lists(value_part, min_size=1, max_size=3, unique=True),
                                            min_size=1, max_size=2))
            out[ns] = {"static-properties": features}
            if len(features) > 1:
                out[ns]["feature-order"] = list(features)
        elif kind == "builtin":
            out[ns] = {"builtin": ns}
        else:
            out[ns] = draw(json_values)
    return out


@st.composite
def documents(draw) -> Dict[str, Any]:
    """A variant document: usually valid-looking, sometimes with one part replaced by anything."""
    namespaces = draw(st.lists(part, min_size=1, max_size=3, unique=True))
    variants: Dict[str, Any] = {}
    for label in draw(st.lists(label_text, max_size=3, unique=True)):
        variants[label] = {ns: {draw(part): draw(st.lists(value_part, min_size=1, max_size=2, unique=True))}
                           for ns in draw(st.lists(st.sampled_from(namespaces), max_size=2, unique=True))}
    if draw(st.booleans()):
        variants["null"] = {}
    doc: Dict[str, Any] = {
        "$schema": draw(st.sampled_from([SCHEMA_PROVIDERS, SCHEMA_PEP825, SCHEMA_VARIANTLIB, "https://example.com/x.json"])),
        "default-priorities": {"namespace": namespaces},
        "variants": variants,
    }
    if doc["$schema"] != SCHEMA_PEP825 or draw(st.booleans()):
        doc["providers"] = draw(providers(namespaces))
    return draw(_mutated(doc))


@st.composite
def _mutated(draw, doc: Any) -> Any:
    """``doc`` unchanged, or with one value somewhere replaced by any JSON value, or one key dropped or added."""
    how = draw(st.sampled_from(["keep", "keep", "replace", "drop", "add"]))
    if how == "keep":
        return doc
    paths: List[Tuple[Any, ...]] = []

    def walk(node: Any, path: Tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + (i,))

    walk(doc, ())
    path = draw(st.sampled_from(paths))
    copy = json.loads(json.dumps(doc))
    if not path:
        return draw(json_values) if how == "replace" else copy
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if how == "replace":
        parent[path[-1]] = draw(json_values)
    elif how == "drop":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.text(max_size=8))] = draw(json_values)
    else:
        parent.append(draw(json_values))
    return copy


# -- file names, properties, labels --------------------------------------------------------------------------

filename_parts = st.lists(st.text(string.ascii_letters + string.digits + "._!+", min_size=1, max_size=8), min_size=5,
                          max_size=7)


@FUZZ
@given(st.one_of(filename_parts.map(lambda p: "-".join(p) + ".whl"), st.text(max_size=40),
                 st.builds(lambda l: f"demo-1.0-py3-none-any-{l}.whl", near)))
@example("demo-1.0-1-py3-none-any-lbl.whl")
@example("demo-1.0-py3-none-any.whl.whl")
def test_wheel_filename_parse(text):
    ok, fname = accepted(InvalidFilename, WheelFilename.parse, text)
    if ok:
        assert str(fname) == text
        assert WheelFilename.parse(str(fname)) == fname
        if fname.label is not None:
            assert validate_label(fname.label) == fname.label
        assert WheelFilename.parse(str(fname.with_label(None))).label is None


@FUZZ
@given(PROPERTY_TEXTS)
@example("x86_64 :: level :: v3")
@example("a::b::c::d")
def test_property_parse(text):
    ok, prop = accepted(InvalidProperty, Property.parse, text)
    if ok:
        assert Property.parse(str(prop)) == prop
        assert str(Property.parse(str(prop))) == str(prop)


@FUZZ
@given(st.lists(PROPERTY_TEXTS, max_size=5))
def test_variant_description_parse(texts):
    ok, desc = accepted(InvalidProperty, VariantDescription.parse, texts)
    if ok:
        assert VariantDescription.parse(desc.strings()) == desc
        assert VariantDescription.from_mapping(desc.to_mapping()) == desc
        label = desc.hash_label()
        assert desc.check_label(label) == label
        assert (label == "null") == desc.is_null


@FUZZ
@given(st.one_of(descriptions, python_values))
@example({1: {"level": ["v3"]}})
@example({"x86_64": {1: ["v3"]}})
@example({"x86_64": {"level": [1]}})
def test_variant_description_from_mapping(data):
    ok, desc = accepted(InvalidInput, VariantDescription.from_mapping, data, where="t")
    if ok:
        assert VariantDescription.from_mapping(desc.to_mapping()) == desc
        assert VariantDescription.parse(desc.strings()) == desc


@FUZZ
@given(st.one_of(label_text, near, st.text(max_size=20), python_values))
@example(1)
@example(None)
def test_labels(label):
    ok, _ = accepted(InvalidLabel, validate_label, label)
    if ok:
        assert validate_label(label) == label
        assert isinstance(label_warnings(label), list)
        fname = WheelFilename.parse("demo-1.0-py3-none-any.whl").with_label(label)
        assert WheelFilename.parse(str(fname)).label == label


# -- variant documents -----------------------------------------------------------------------------------------


def _check_document(data: Any) -> None:
    raw = json.dumps(data).encode()
    ok, doc = accepted(InvalidMetadata, VariantDocument.loads, raw, source="t")
    ok_strict, strict = accepted(InvalidMetadata, VariantDocument.loads, raw, source="t", strict=True)
    # strict is lenient reading plus "findings raise": it takes exactly the documents read with no finding
    assert ok_strict == (ok and not doc.findings), (ok, ok_strict, getattr(doc, "findings", None))
    if ok:
        again = VariantDocument.loads(doc.dumps(), source="t")
        assert again == doc
        assert again.dumps() == doc.dumps()
        assert VariantDocument.from_json(doc.to_json(), source="t") == doc
    if ok_strict:
        assert strict == doc
        assert VariantDocument.loads(strict.dumps(), source="t", strict=True) == strict


@FUZZ
@given(documents())
@example({  # features not in name order: dumps() sorts keys, and the provider read back once differed (tuple order)
    "$schema": SCHEMA_PROVIDERS, "default-priorities": {"namespace": ["blas"]}, "variants": {"a": {"blas": {"lib": ["mkl"]}}},
    "providers": {"blas": {"static-properties": {"lib": ["mkl"], "abi": ["lp64"]}, "feature-order": ["lib", "abi"]}},
})
def test_variant_document_loads_shaped(data):
    _check_document(data)


@FUZZ
@given(json_values)
def test_variant_document_loads_anything(data):
    _check_document(data)


@FEW
@given(python_values)
@example({1: 2})
@example({"$schema": SCHEMA_PROVIDERS, "default-priorities": {"namespace": ["a"]}, "variants": {1: {}}, "providers": {}})
def test_variant_document_from_python_objects(data):
    """The Python API: ``from_json`` on objects JSON cannot express (non-string keys, tuples)."""
    for strict in (False, True):
        ok, doc = accepted(InvalidMetadata, VariantDocument.from_json, data, source="t", strict=strict)
        if ok:
            assert VariantDocument.loads(doc.dumps(), source="t") == doc


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
@example(b"[" * 5000)
@example(b'{"a": ' * 5000 + b"1" + b"}" * 5000)
@example(b"\xef\xbb\xbf{}")
def test_variant_document_loads_bytes(raw):
    for strict in (False, True):
        accepted(InvalidMetadata, VariantDocument.loads, raw, source="t", strict=strict)
    ok, data = accepted(InvalidMetadata, load_json, raw, source="t")
    if ok:
        assert load_json(json.dumps(data), source="t") == data


@FUZZ
@given(st.one_of(documents(), json_values))
def test_drafts_read_and_upgrade(data):
    reading = read_draft(data)  # documented never to raise
    assert reading.uv in ("uses", "ignores", "fails-version")
    ok, result = accepted(InvalidMetadata, upgrade_document, data, source="t")
    if ok:
        new, changes = result
        doc = VariantDocument.from_json(new, source="t")  # what it writes, varwheel reads
        assert upgrade_document(new, source="t") == (new, [])  # and upgrading again changes nothing
        assert VariantDocument.loads(doc.dumps(), source="t") == doc
        assert all(isinstance(line, str) and line for line in changes)


# -- RECORD ----------------------------------------------------------------------------------------------------

#: RECORD fields as wheels hold them: any text but control characters, which no member name may hold (the archive
#: refuses them; tests/test_record_format.py writes and reads those too).
record_fields = (st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=12)
                 | st.text(string.ascii_letters + string.digits + '/._-,"= ', max_size=12))
plain_rows = st.lists(
    st.tuples(st.text(string.ascii_letters + string.digits + "/._-", min_size=1, max_size=20),
              st.just("sha256=") | st.text(string.ascii_letters + string.digits + "=_-", max_size=20),
              st.integers(0, 10**9).map(str) | st.just("")),
    max_size=8,
)


@FUZZ
@given(st.lists(st.tuples(record_fields, record_fields, record_fields), max_size=6))
def test_record_rows_round_trip(rows):
    raw = format_record([RecordRow(*row) for row in rows])
    ok, back = accepted(InvalidWheel, parse_record, raw, source="RECORD")
    if ok:
        assert [r.as_list() for r in back] == [list(r) for r in rows]


@FUZZ
@given(plain_rows)
def test_record_plain_rows_are_always_read_back(rows):
    raw = format_record([RecordRow(*row) for row in rows])
    back = parse_record(raw, source="RECORD")
    assert [r.as_list() for r in back] == [list(r) for r in rows]


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
@example(b'"demo/' + b"x" * 140_000 + b'.py",sha256=AAAA,1\n')
@example(b"a,b\n")
@example(b'"unterminated,,\n')
@example(b"\xff,,\n")
def test_parse_record_bytes(raw):
    ok, rows = accepted(InvalidWheel, parse_record, raw, source="RECORD")
    if ok:
        assert all(isinstance(r, RecordRow) and len(r.as_list()) == 3 for r in rows)
        assert [r.as_list() for r in parse_record(format_record(rows), source="RECORD")] == [r.as_list() for r in rows]


# -- pyproject.toml: [variant], [tool.varwheel], the TOML reader ---------------------------------------------------


@st.composite
def variant_tables(draw) -> Dict[str, Any]:
    namespaces = draw(st.lists(part, min_size=1, max_size=3, unique=True))
    table: Dict[str, Any] = {}
    if draw(st.booleans()):
        table["default-priorities"] = {"namespace": draw(st.lists(st.sampled_from(namespaces), min_size=1, unique=True))}
    provs = draw(providers(namespaces))
    if draw(st.booleans()):
        provs[draw(part)] = {"build-requires": ["some-plugin>=1"]}
    table["providers"] = provs
    table["variants"] = {
        label: {ns: {draw(part): draw(st.lists(value_part, min_size=1, max_size=2, unique=True))}
                for ns in draw(st.lists(st.sampled_from(namespaces), min_size=1, max_size=2, unique=True))}
        for label in draw(st.lists(label_text.filter(lambda t: t != "null"), max_size=3, unique=True))
    }
    return draw(_mutated(table))


def _render_project(project) -> Dict[str, Any]:
    """A parsed ``[variant]`` table written back as a table."""
    out: Dict[str, Any] = {"providers": {ns: p.to_json() for ns, p in project.providers.items()},
                           "variants": {label: d.to_mapping() for label, d in project.variants.items()}}
    if project.default_priorities:
        out["default-priorities"] = {"namespace": list(project.default_priorities)}
    return out


@FUZZ
@given(st.one_of(variant_tables(), python_values))
@example({"providers": {1: {"requires": ["x"]}}})
@example({"variants": {"a": {1: {"b": ["c"]}}}})
def test_variant_table(table):
    ok, project = accepted(InvalidPyproject, parse_variant_table, table, source="pyproject.toml")
    if ok:
        again = parse_variant_table(_render_project(project), source="pyproject.toml")
        assert (again.default_priorities, again.providers, again.variants) == (
            project.default_priorities, project.providers, project.variants)
        for label, desc in project.variants.items():
            assert desc.check_label(label) == label


@st.composite
def tool_tables(draw) -> Dict[str, Any]:
    tool: Dict[str, Any] = {}
    if draw(st.booleans()):
        tool["backend"] = draw(st.sampled_from(["setuptools.build_meta", "scikit_build_core.build", "mesonpy",
                                                "my_backend:obj", " spaced.backend ", "bad name", "varwheel.build"]))
    if draw(st.booleans()):
        tool["backend-path"] = draw(st.lists(st.sampled_from(["_build", ".", "sub/dir", "../out", "/abs", "a\x00b",
                                                              "nl\n"]), max_size=2))
    if draw(st.booleans()):
        tool["require-compiled"] = draw(st.booleans() | st.just("yes"))
    if draw(st.booleans()):
        key = draw(st.sampled_from(["x86_64 :: level", "x86_64 :: level :: v3", "blas :: lib :: mkl", "bad key"]))
        entry: Dict[str, Any] = {}
        for k in draw(st.lists(st.sampled_from(["compile-flags", "c-flags", "env", "cmake-define", "meson-args",
                                                "replace-builtin"]), max_size=3, unique=True)):
            if k in ("env", "cmake-define"):
                entry[k] = draw(st.dictionaries(st.sampled_from(["CFLAGS", "BLA_VENDOR", "A\n", "1A", "OK_1"]),
                                                st.sampled_from(["x", "x\x00y", "", "ON"]) | st.booleans(), max_size=2))
            elif k == "replace-builtin":
                entry[k] = draw(st.booleans())
            else:
                entry[k] = draw(st.lists(st.sampled_from(["-O2", "-DX={value}", "a\x00b"]), max_size=2))
        tool["mapping"] = {key: entry}
    data: Dict[str, Any] = {"build-system": {"requires": draw(st.lists(st.sampled_from(
        ["setuptools>=68", "scikit-build-core", "hatchling", "not a req!!", "varwheel"]), max_size=2))}}
    data["tool"] = {"varwheel": tool}
    return draw(_mutated(data))


@FUZZ
@given(st.one_of(tool_tables(), python_values))
@example({"tool": {"varwheel": {"backend": "x", "backend-path": ["a\x00b"]}}})
@example({"tool": {"varwheel": {"backend": "x", "mapping": {"a :: b": {"env": {1: "x"}}}}}})
@example({"tool": {"varwheel": {"backend": "x", "mapping": {"a :: b": {"env": {"A\n": "x"}}}}}})
@example({"tool": {"varwheel": {"backend": "x", "mapping": {"a :: b": {"env": {"A": "x\x00"}}}}}})
@example([])
def test_tool_varwheel_table(data):
    with tempfile.TemporaryDirectory() as root:
        ok, tool = accepted(InvalidPyproject, parse_tool_config, data, source="pyproject.toml", root=Path(root))
    if ok:
        tool_table = data.get("tool") if isinstance(data, dict) else None
        given_tool = tool_table.get("varwheel", {}) if isinstance(tool_table, dict) else {}
        assert tool.backend == (given_tool["backend"].strip() if "backend" in given_tool else tool.backend)
        assert tool.backend_path == tuple(given_tool.get("backend-path", ()))
        for entry in tool.backend_path:
            assert "\x00" not in entry, entry
        for mapping in tool.mappings:
            for name, value in mapping.env + mapping.cmake_define:
                assert name.isidentifier() and "\n" not in name, name
                assert "\x00" not in value, value
            for flags in (mapping.compile_flags, mapping.c_flags, mapping.cxx_flags, mapping.cuda_flags,
                          mapping.link_flags, mapping.meson_args):
                assert all("\x00" not in flag for flag in flags), flags
        assert tool.family in ("scikit-build-core", "meson-python", "setuptools", "hatchling", "flit-core", "other")


@FUZZ
@given(python_values)
def test_mapping_table_from_python_objects(table):
    accepted(InvalidPyproject, parse_mapping_table, table, source="pyproject.toml")


@FUZZ
@given(st.one_of(
    st.dictionaries(st.sampled_from(["variant", "variant-property", "variant-name", "variant-label", "null-variant",
                                     "variant-defer-label", "variant-metadata-format", "variantt", "cmake.define.X",
                                     "--variant"]),
                    st.text(max_size=20) | st.lists(st.text(max_size=10), max_size=3) | st.booleans() | st.integers(),
                    max_size=4),
    python_values))
def test_config_settings(config):
    ok, result = accepted(InvalidConfigSetting, parse_settings, config)
    if ok:
        settings_, rest = result
        assert rest is None or not any(isinstance(k, str) and k in ("variant", "variant-label") for k in rest)


# -- request resolution ----------------------------------------------------------------------------------------


@FUZZ
@given(
    st.lists(PROPERTY_TEXTS | st.sampled_from(["x86_64 :: level :: v3", "x86_64 :: level :: v9", "nvidia :: sm_arch :: 90_real",
                                                "blas :: lib :: mkl"]), max_size=3),
    st.none() | label_text | near,
    st.booleans(),
    st.sampled_from(["providers", "pep825", "bogus"]),
    st.none() | variant_tables(),
)
def test_resolve_variant(properties, label, null, metadata_format, table):
    project = None
    if table is not None:
        ok, project = accepted(InvalidPyproject, parse_variant_table, table, source="pyproject.toml")
        assume(ok)
    ok, request = accepted(InvalidInput, resolve_variant, properties, label=label, null=null, project=project,
                           metadata_format=metadata_format)
    if ok:
        assert VariantDocument.loads(request.variant_json, source="t", strict=True) == request.document
        assert request.document.single() == (request.label, request.description)
        if null:
            assert request.label == "null" and request.description.is_null
        elif label is None:
            assert request.label == request.description.hash_label()
        else:
            assert request.label == label


# -- the TOML and JSON file readers ----------------------------------------------------------------------------


def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_string(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def dump_toml(table: Dict[str, Any]) -> str:
    """A TOML document for ``table`` (inline tables throughout): enough for the round trip."""
    return "".join(f"{_toml_string(k)} = {_toml_value(v)}\n" for k, v in table.items())


toml_scalars = (st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
                | st.text(st.characters(exclude_categories=("Cs",)), max_size=12))
toml_values = st.recursive(toml_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
toml_tables = st.dictionaries(st.text(max_size=8), toml_values, max_size=5)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz-files")


@FUZZ
@given(toml_tables)
def test_toml_round_trip(scratch, table):
    path = scratch / "pyproject.toml"
    path.write_text(dump_toml(table), encoding="utf-8")
    assert load_toml(path) == table


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode)
       | toml_tables.map(lambda t: dump_toml(t).encode()[: len(dump_toml(t)) // 2]))
@example(b"a = " + b"[" * 5000 + b"]" * 5000)
@example(b"a = " + b"{b = " * 800 + b"1" + b"}" * 800)
@example(b"\xff = 1")
@example(b'a = "\x00"')
def test_toml_reader_bytes(scratch, raw):
    path = scratch / "any.toml"
    path.write_bytes(raw)
    ok, data = accepted(InvalidPyproject, load_toml, path)
    if ok:
        assert isinstance(data, dict)
        accepted(InvalidPyproject, parse_variant_table, data.get("variant", {}), source=str(path))
        accepted(InvalidPyproject, parse_tool_config, data, source=str(path), root=scratch)


@FUZZ
@given(st.binary(max_size=200) | st.one_of(documents(), json_values).map(lambda d: json.dumps(d).encode()))
def test_index_file_reader(scratch, raw):
    path = scratch / "demo-1.0-variants.json"
    path.write_bytes(raw)
    read = read_document_file(path)  # a regular file under the size limit reads back as it is
    assert read == raw
    for strict in (False, True):
        accepted(InvalidMetadata, VariantDocument.loads, read, source=str(path), strict=strict)


def test_the_provider_entries_the_strategies_write_are_valid():
    """The shaped strategies start from valid input (so that round trips are reached, not just refusals)."""
    for ns, entry in {"a": {"requires": ["a-variant-provider"]}, "b": {"static-properties": {"f": ["v"]}},
                      "c": {"builtin": "c"}}.items():
        assert Provider.from_json(entry, ns, findings=[]).to_json() == entry
