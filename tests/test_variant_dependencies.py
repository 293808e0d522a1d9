"""Variant-specific dependencies (issue 13, item 2): PEP 825's markers from pyproject to an installed venv.

* ``model.variant_markers``: parsing, evaluation, build-time resolution and the
  METADATA edits, checked against ``packaging`` where it can judge (every line
  varwheel hands an installer must parse there);
* what pip and uv 0.13.9 really do with a wheel whose METADATA uses the
  markers (the facts ``check``'s ``variant-markers`` warning and the docs state);
* the build backend on the ``variant_deps`` fixture (flit-core): the same
  Requires-Dist lines in every wheel of the family, and the same in
  ``prepare_metadata_for_build_wheel``; ``resolve`` mode's plain lines and its
  refusal of a machine-dependent entry;
* ``varwheel install`` with real pip into real venvs: the dependency the
  chosen variant needs is installed, the others are not;
* ``resolve`` mode's wheels installed by pip and uv 0.13.9 themselves;
* ``show`` and ``check``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest

from fixtures.wheel_factory import make_wheel
from tests.helpers_build import HookCaller, copy_project, new_venv, run
from varwheel.build.toolconfig import parse_tool_config
from varwheel.errors import InvalidMetadata, InvalidPyproject
from varwheel.model.properties import Property, VariantDescription
from varwheel.model.variant_markers import (
    MachineDependent,
    VariantEnvironment,
    add_requires_dist,
    parse_variant_requirement,
    requires_dist,
    rewrite_requires_dist,
    uses_variant_markers,
)

DEPENDENCIES = ["dep-a", "dep-b", "dep-c", "dep-plain", "dep-common"]


def env_of(label, *props: str) -> VariantEnvironment:
    return VariantEnvironment.of(label, [Property.parse(p) for p in props])


def holds(text: str, variant: VariantEnvironment, environment=None) -> bool:
    return parse_variant_requirement(f"dep ; {text}").evaluate(variant, environment or {})


# -- the marker language ----------------------------------------------------------------------------------
def test_pep825_examples_evaluate_as_the_pep_says():
    """PEP 825's own six examples, against a wheel with foo :: bar :: baz, the null variant and a plain wheel."""
    foobar = env_of("foobar", "foo :: bar :: baz")
    null = env_of("null")
    plain = env_of(None)
    other = env_of("other", "foo :: qux :: x")
    cases = {
        '"foo" in variant_namespaces': (True, False, False, True),
        '"foo :: bar" in variant_features': (True, False, False, False),
        '"foo :: bar :: baz" in variant_properties': (True, False, False, False),
        'variant_label == "foobar"': (True, False, False, False),
        'variant_label != "null"': (True, False, True, True),
        'variant_label == ""': (False, False, True, False),
    }
    for text, expected in cases.items():
        got = tuple(holds(text, v) for v in (foobar, null, plain, other))
        assert got == expected, text


def test_whitespace_in_property_strings_does_not_count_and_lines_are_normalized():
    req = parse_variant_requirement("Dep_A >= 1.0;'foo::bar ::baz' in variant_properties")
    assert req.canonical() == 'Dep_A>=1.0 ; "foo :: bar :: baz" in variant_properties'
    assert req.evaluate(env_of("x", "foo :: bar :: baz"), {})
    # The normalized line is what packaging would say about the requirement part.
    from packaging.requirements import Requirement

    assert str(Requirement("Dep_A >= 1.0")) == req.requirement


def test_and_or_parentheses_not_in_and_standard_markers():
    v3 = env_of("v3", "x86_64 :: level :: v3")
    py39 = {"python_version": "3.9", "sys_platform": "linux"}
    text = ('("x86_64 :: level :: v4" in variant_properties or variant_label == "v3") '
            'and python_version >= "3.8" and "nvidia" not in variant_namespaces')
    assert holds(text, v3, py39)
    assert not holds(text, v3, {"python_version": "3.7"})
    assert not holds(text, env_of("v2", "x86_64 :: level :: v2"), py39)
    # "and" binds tighter than "or": a or (b and c)
    assert holds('variant_label == "v3" or variant_label == "x" and python_version < "1"', v3, py39)
    # string containment on the label, either side, as PEP 508 has for strings
    assert holds('"cu" in variant_label', env_of("cu129"))
    assert holds('variant_label not in "cu126 cu128"', env_of("cu129"))


def test_extra_is_evaluated_per_requested_extra():
    req = parse_variant_requirement('dep ; extra == "gpu" and variant_label == "cu"')
    assert not req.evaluate(env_of("cu"), {})
    assert req.evaluate(env_of("cu"), {}, extras=["gpu"])


@pytest.mark.parametrize("text, message", [
    ('variant_properties in "a :: b :: c"', "is a set: test it as"),
    ('"a :: b" in variant_properties', "is not a namespace :: feature :: value string"),
    ('"a :: b :: c" in variant_features', "is not a namespace :: feature string"),
    ('"A" in variant_namespaces', "does not match"),
    ('"a :: b :: C" in variant_properties', "'a :: b :: C'"),
    ('variant_label >= "v3"', "compare it with ==, !=, in or not in"),
    ('variant_label == "V3"', "is not a variant label"),
    ('variant_label == os_name', "compare a variant marker with a quoted string"),
    ('variant_labels == "v3"', "'variant_labels' is not a marker name"),
    ('"a" == "b"', "one side must be a marker"),
    ('(variant_label == "v3"', "ends where ')' was expected"),
    ('variant_label == "v3" and', "ends where a marker name or a quoted string was expected"),
    ('variant_label == "v3" xor', "unexpected 'xor'"),
    ('"x" not variant_namespaces', "expected 'in' after 'not'"),
])
def test_bad_markers_are_one_clear_error_naming_the_entry(text, message):
    with pytest.raises(InvalidMetadata) as err:
        parse_variant_requirement(f"dep ; {text}", where="here[3]")
    assert str(err.value).startswith("here[3]: marker ")
    assert message in str(err.value)


def test_a_url_requirement_keeps_its_own_semicolon():
    req = parse_variant_requirement('pkg @ https://example.org/a;b=1.whl ; variant_label == "v3"')
    from packaging.requirements import Requirement

    assert req.requirement == str(Requirement("pkg @ https://example.org/a;b=1.whl"))
    assert req.canonical().endswith('a;b=1.whl ; variant_label == "v3"')
    assert req.uses_variant_markers


def test_uses_variant_markers_tells_what_packaging_cannot_parse():
    assert not uses_variant_markers('numpy>=2 ; python_version >= "3.10"')
    assert uses_variant_markers('x ; "a :: b :: c" in variant_properties')
    assert uses_variant_markers('x ; variant_label == "v3" or')  # broken, but clearly a variant marker
    assert not uses_variant_markers("not a requirement at all!")


# -- build-time resolution ----------------------------------------------------------------------------------
CU = VariantDescription.parse(["nvidia :: cuda_version_lower_bound :: 12.8", "nvidia :: sm_arch :: 90_real",
                               "nvidia :: sm_arch :: 120_real"])


def test_resolve_decides_what_the_variant_fixes_and_keeps_standard_markers():
    from packaging.requirements import Requirement

    cases = {
        'dep ; "nvidia :: cuda_version_lower_bound :: 12.8" in variant_properties': "dep",
        'dep ; "nvidia :: sm_arch" in variant_features and python_version >= "3.10"': 'dep ; python_version >= "3.10"',
        'dep ; "nvidia" not in variant_namespaces': None,
        'dep ; variant_label == "cu" or sys_platform == "win32"': "dep",
        'dep ; variant_label == "other" or sys_platform == "win32"': 'dep ; sys_platform == "win32"',
        # decided without the machine-dependent part
        'dep ; "nvidia :: sm_arch :: 90_real" in variant_properties or variant_label == "cu"': "dep",
        'dep ; "nvidia :: sm_arch :: 90_real" in variant_properties and variant_label == "x"': None,
        # a value the variant does not list never holds
        'dep ; "nvidia :: sm_arch :: 80_real" in variant_properties': None,
    }
    for text, expected in cases.items():
        got = parse_variant_requirement(text).resolve("cu", CU)
        assert got == expected, text
        if got is not None:
            Requirement(got)  # what today's installers get must parse in packaging


def test_resolve_refuses_a_value_the_machine_decides():
    req = parse_variant_requirement('dep ; "nvidia :: sm_arch :: 90_real" in variant_properties',
                                    where="pyproject.toml: tool.varwheel.variant-dependencies[2]")
    with pytest.raises(MachineDependent) as err:
        req.resolve("cu", CU)
    text = str(err.value)
    assert text.startswith("pyproject.toml: tool.varwheel.variant-dependencies[2] ")
    assert "for variant cu" in text and '"nvidia :: sm_arch :: 90_real" in variant_properties' in text
    assert "lists several values of that feature" in text


def test_resolve_for_the_plain_wheel_and_the_null_variant():
    req = parse_variant_requirement('dep ; variant_label == "" or "x86_64" in variant_namespaces')
    assert req.resolve(None, VariantDescription()) == "dep"
    assert req.resolve("null", VariantDescription()) is None


def test_substitute_keeps_standard_markers_for_the_installer():
    req = parse_variant_requirement('dep ; "a :: b :: c" in variant_properties and extra == "x"')
    assert req.substitute(env_of("l", "a :: b :: c")) == 'dep ; extra == "x"'
    assert req.substitute(env_of("l", "a :: b :: d")) is None


# -- METADATA edits -----------------------------------------------------------------------------------------
META = (b"Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Dist: numpy\nRequires-Dist: six ; extra == 'a'\n"
        b"Provides-Extra: a\nDescription-Content-Type: text/markdown\n\n# Body\nRequires-Dist: not a header\n")


def test_add_requires_dist_goes_after_the_last_one_and_leaves_the_body_alone():
    out = add_requires_dist(META, ['dep ; variant_label == "v3"', "numpy"])
    assert requires_dist(out) == ["numpy", "six ; extra == 'a'", 'dep ; variant_label == "v3"']
    assert out.split(b"\n\n", 1)[1] == META.split(b"\n\n", 1)[1]
    assert out.replace(b'Requires-Dist: dep ; variant_label == "v3"\n', b"") == META
    # idempotent: a prepared METADATA fed back to the inner backend does not get the lines twice
    assert add_requires_dist(out, ['dep ; variant_label == "v3"']) == out
    crlf = META.replace(b"\n", b"\r\n")
    assert b'Requires-Dist: dep ; variant_label == "v3"\r\n' in add_requires_dist(crlf, ['dep ; variant_label == "v3"'])
    bare = b"Metadata-Version: 2.1\nName: x\nVersion: 1"
    assert requires_dist(add_requires_dist(bare, ["dep ; variant_label == 'a'"])) == ["dep ; variant_label == 'a'"]


def test_rewrite_requires_dist_replaces_or_removes_lines_only():
    out = rewrite_requires_dist(META, lambda v: None if v == "numpy" else v.replace("six", "seven"))
    assert requires_dist(out) == ["seven ; extra == 'a'"]
    assert out.endswith(b"\n\n# Body\nRequires-Dist: not a header\n")


# -- [tool.varwheel] ---------------------------------------------------------------------------------------
def tool(**table) -> dict:
    return {"tool": {"varwheel": {"backend": "flit_core.buildapi", **table}}}


@pytest.mark.parametrize("table, message", [
    ({"variant-dependencies": "dep ; variant_label == 'a'"}, "expected a list of dependency specifiers"),
    ({"variant-dependencies": ["dep"]}, "variant-dependencies[0] 'dep': uses no variant marker"),
    ({"variant-dependencies": ["ok ; variant_label == 'a'", "dep ; variant_label >> 'a'"]},
     "variant-dependencies[1]: marker"),
    ({"variant-dependencies": ["d ; variant_label == 'a'", "d;variant_label=='a'"]}, "the same dependency as"),
    ({"variant-dependencies": [3]}, "variant-dependencies[0]: expected a dependency specifier"),
    ({"variant-dependencies-mode": "eager"}, "'eager' is not a mode"),
])
def test_bad_tool_config_is_one_clear_error(table, message):
    with pytest.raises(InvalidPyproject) as err:
        parse_tool_config(tool(**table), source="p/pyproject.toml")
    assert str(err.value).startswith("p/pyproject.toml: tool.varwheel.variant-dependencies")
    assert message in str(err.value)


def test_tool_config_reads_entries_and_mode():
    cfg = parse_tool_config(tool(**{"variant-dependencies": ["a ; variant_label == 'x'"],
                                    "variant-dependencies-mode": "resolve"}))
    assert [d.canonical() for d in cfg.variant_dependencies] == ['a ; variant_label == "x"']
    assert cfg.variant_dependencies_mode == "resolve"
    assert parse_tool_config(tool()).variant_dependencies == ()


# -- what today's installers do with such METADATA (measured; check and the docs say exactly this) ---------
def pip_venv(path: Path) -> Path:
    """A venv with pip (``python -m venv``; uv's venvs have none)."""
    run([sys.executable, "-m", "venv", path])
    return path / "bin" / "python"


def marked_wheel(folder: Path) -> Path:
    make_wheel(folder, "dep-a", "1.0")
    return make_wheel(folder, "withvm", "1.0", requires_dist=['dep-a ; "a :: b :: c" in variant_properties'])


def test_pip_cannot_read_variant_markers_and_no_deps_leaves_a_broken_install(tmp_path):
    wheel = marked_wheel(tmp_path / "wh")
    python = pip_venv(tmp_path / "venv")
    pip = [python, "-m", "pip", "--disable-pip-version-check"]
    version = run([*pip, "--version"]).stdout.split()[1]
    plain = run([*pip, "install", "--no-index", "--find-links", wheel.parent, "withvm"], check=False)
    assert plain.returncode == 2, (version, plain.stdout, plain.stderr)
    assert "InvalidRequirement" in plain.stderr and "Traceback" in plain.stderr
    nodeps = run([*pip, "install", "--no-index", "--no-deps", wheel], check=False)
    assert nodeps.returncode == 0, nodeps.stderr
    show = run([*pip, "show", "withvm"], check=False)
    assert show.returncode != 0 and "InvalidRequirement" in show.stderr
    check = run([*pip, "check"], check=False)
    assert check.returncode != 0
    later = run([*pip, "install", "--no-index", "--find-links", wheel.parent, "dep-a"], check=False)
    assert later.returncode == 0 and "Error parsing requirements for withvm" in later.stdout + later.stderr


@pytest.mark.parametrize("preview", [False, True])
def test_uv_refuses_a_wheel_with_variant_markers_even_without_deps(tmp_path, uv_bin, preview):
    wheel = marked_wheel(tmp_path / "wh")
    python = new_venv(tmp_path / "venv")
    flags = ["--preview-features", "wheel-variants"] if preview else []
    env = {"UV_CACHE_DIR": str(tmp_path / "uv-cache"), "PATH": "/usr/bin:/bin"}
    for args in (["--find-links", wheel.parent, "withvm"], ["--no-deps", wheel]):
        proc = subprocess.run([uv_bin, "pip", "install", *flags, "--python", python, "--no-index", *map(str, args)],
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 1, proc.stderr
        assert "invalid metadata" in proc.stderr
        assert "Expected a quoted string or a valid marker name, found `variant_properties`" in proc.stderr


# -- rewrite_wheel(replace=...) ---------------------------------------------------------------------------
def raw_member(path: Path, name: str) -> bytes:
    """A member's stored (compressed) bytes, read from its local header on."""
    import struct

    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        fh.seek(info.header_offset + 30 + name_len + extra_len)
        return fh.read(info.compress_size)


@pytest.mark.parametrize("data_descriptor", [False, True])
def test_rewrite_replaces_members_with_new_record_rows_and_copies_the_rest_raw(tmp_path, data_descriptor):
    from varwheel.wheel.archive import WheelArchive
    from varwheel.wheel.record import record_hash
    from varwheel.wheel.rewrite import rewrite_wheel

    src = make_wheel(tmp_path / "in", "demo", "1.0", many=20, data_descriptor=data_descriptor,
                     requires_dist=["numpy"])
    meta_name = "demo-1.0.dist-info/METADATA"
    with zipfile.ZipFile(src) as zf:
        new = add_requires_dist(zf.read(meta_name), ['dep ; variant_label == "v3"'])
        names = [n for n in zf.namelist() if n not in (meta_name, "demo-1.0.dist-info/RECORD")]
    out = rewrite_wheel(src, tmp_path / "out" / src.name, variant_json=None, replace={meta_name: new})
    with zipfile.ZipFile(out) as zf:
        assert zf.read(meta_name) == new
        rows = {row.split(",")[0]: row for row in zf.read("demo-1.0.dist-info/RECORD").decode().splitlines()}
    assert rows[meta_name] == f"{meta_name},{record_hash(new)},{len(new)}"
    for name in names:  # copied as they were: not one byte recompressed
        assert raw_member(out, name) == raw_member(src, name), name
    with WheelArchive(out) as archive:
        archive.verify_record()
    again = rewrite_wheel(src, tmp_path / "again" / src.name, variant_json=None, replace={meta_name: new})
    assert again.read_bytes() == out.read_bytes()  # reproducible


def test_rewrite_replace_refuses_record_variant_json_and_missing_members(tmp_path):
    from varwheel.errors import InvalidWheel
    from varwheel.wheel.rewrite import rewrite_wheel

    src = make_wheel(tmp_path / "in", "demo", "1.0")
    for name in ("demo-1.0.dist-info/RECORD", "demo-1.0.dist-info/variant.json"):
        with pytest.raises(ValueError):
            rewrite_wheel(src, tmp_path / "o" / src.name, variant_json=None, replace={name: b"x"})
    with pytest.raises(InvalidWheel, match="member 'demo-1.0.dist-info/NOPE' is missing"):
        rewrite_wheel(src, tmp_path / "o" / src.name, variant_json=None, replace={"demo-1.0.dist-info/NOPE": b"x"})
    assert not (tmp_path / "o").exists() or list((tmp_path / "o").iterdir()) == []


# -- the build backend: every wheel of the family, and prepare_metadata ----------------------------------
#: (config settings, the wheel's label or None) for the whole fixture family.
FAMILY = [
    ({}, None),
    ({"null-variant": ""}, "null"),
    ({"variant-label": "cu126"}, "cu126"),
    ({"variant-label": "cu129"}, "cu129"),
]
MARKED = [
    'dep-a ; variant_label == "cu126"',
    'dep-b ; "nvidia :: sm_arch :: 90_real" in variant_properties',
    'dep-c ; "nvidia :: sm_arch :: 120_real" in variant_properties',
    'dep-plain ; variant_label == "" and python_version >= "3"',
]
#: For resolve mode: entries whose value each variant's own metadata fixes.
RESOLVABLE = [
    'dep-a ; variant_label == "cu126"',
    'dep-b ; "nvidia :: cuda_version_lower_bound :: 12.9" in variant_properties',
    'dep-c ; "nvidia :: sm_arch" in variant_features and variant_label != "cu126"',
    'dep-plain ; variant_label == "" and python_version >= "3"',
]
#: What the forced-GPU variables make of this machine (no GPU needed).
GPU = {
    "8.0": {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8", "NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "8.0"},
    "9.0": {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.9", "NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "9.0"},
    "12.0": {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "13.0", "NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "12.0"},
    "12.6 driver, 9.0": {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.6",
                         "NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "9.0"},
}


def project_with(tmp_path: Path, mode: str = "markers", entries=None) -> Path:
    project = copy_project("variant_deps", tmp_path)
    path = project / "pyproject.toml"
    text = path.read_text()
    if entries is not None:
        start = text.index("variant-dependencies = [")
        end = text.index("]\n", start) + 2
        text = text[:start] + "variant-dependencies = [\n" + "".join(f"    {e!r},\n" for e in entries) + "]\n" + text[end:]
    if mode != "markers":
        text = text.replace('backend = "flit_core.buildapi"\n',
                            f'backend = "flit_core.buildapi"\nvariant-dependencies-mode = "{mode}"\n')
    path.write_text(text)
    return project


def wheel_metadata(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read("variant_deps-1.0.dist-info/METADATA")


def build_family(project: Path, out: Path, family=FAMILY) -> Dict[object, Path]:
    hooks = HookCaller(project)
    out.mkdir(parents=True, exist_ok=True)
    return {label: out / hooks.build_wheel(str(out), settings) for settings, label in family}


def check_codes(wheel: Path) -> List[str]:
    from varwheel.pipeline.check import check_wheel

    report = check_wheel(wheel)
    assert report.errors == [], report.errors
    # pure-variant: sm_arch means compiler flags and this fixture is pure Python (flit-core), on purpose.
    return sorted({f.code for f in report.warnings} - {"pure-variant"})


def test_every_wheel_of_the_family_carries_the_same_lines_and_prepare_metadata_agrees(tmp_path):
    project = project_with(tmp_path)
    built = build_family(project, tmp_path / "dist")
    assert sorted(p.name for p in built.values()) == sorted(
        f"variant_deps-1.0-py3-none-any{'-' + label if label else ''}.whl" for _, label in FAMILY)
    hooks = HookCaller(project)
    for settings, label in FAMILY:
        meta = wheel_metadata(built[label])
        assert requires_dist(meta) == ["dep-common", *MARKED], label
        # prepare_metadata_for_build_wheel writes exactly the METADATA the wheel holds
        folder = tmp_path / f"meta-{label}"
        folder.mkdir()
        dist_info = hooks.prepare_metadata_for_build_wheel(str(folder), settings, _allow_fallback=False)
        assert (folder / dist_info / "METADATA").read_bytes() == meta, label
        # and a build handed that metadata folder does not get the lines twice
        again = tmp_path / f"again-{label}"
        again.mkdir()
        name = hooks.build_wheel(str(again), settings, metadata_directory=str(folder / dist_info))
        assert wheel_metadata(again / name) == meta
        # RECORD is right (the rewrite hashed the new METADATA); the markers are check's one warning
        assert check_codes(built[label]) == ["variant-markers"], label
    assert "variant-dependencies: 4 Requires-Dist line(s) with their variant markers" in hooks.stderr


def test_resolve_mode_gives_each_wheel_its_own_plain_requirements(tmp_path):
    from packaging.requirements import Requirement

    project = project_with(tmp_path, "resolve", RESOLVABLE)
    built = build_family(project, tmp_path / "dist")
    expected = {
        None: ["dep-common", 'dep-plain ; python_version >= "3"'],
        "null": ["dep-common"],
        "cu126": ["dep-common", "dep-a"],
        "cu129": ["dep-common", "dep-b", "dep-c"],
    }
    hooks = HookCaller(project)
    for settings, label in FAMILY:
        meta = wheel_metadata(built[label])
        assert requires_dist(meta) == expected[label], label
        for value in requires_dist(meta):
            Requirement(value)  # every line parses where pip's and uv's parsers would
        folder = tmp_path / f"meta-{label}"
        folder.mkdir()
        dist_info = hooks.prepare_metadata_for_build_wheel(str(folder), settings, _allow_fallback=False)
        assert (folder / dist_info / "METADATA").read_bytes() == meta, label
        assert check_codes(built[label]) == [], label


def test_resolve_mode_refuses_a_machine_dependent_entry_before_building(tmp_path):
    project = project_with(tmp_path, "resolve")
    hooks = HookCaller(project)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(subprocess.CalledProcessError):
        hooks.build_wheel(str(out), {"variant-label": "cu126"})
    line = hooks.stderr.strip().splitlines()[-1]
    assert line.startswith("varwheel: error: ") and "tool.varwheel.variant-dependencies[1]" in line
    assert "for variant cu126 its value depends on the installing machine" in line
    assert '"nvidia :: sm_arch :: 90_real" in variant_properties' in line
    assert list(out.iterdir()) == []
    # get_requires_for_build_wheel says so already, before the frontend installs anything
    with pytest.raises(subprocess.CalledProcessError):
        hooks.get_requires_for_build_wheel({"variant-label": "cu129"})
    assert "for variant cu129 its value depends on the installing machine" in hooks.stderr
    # the plain wheel and the null variant resolve: their sets are empty
    assert requires_dist(wheel_metadata(out / hooks.build_wheel(str(out), {}))) == [
        "dep-common", 'dep-plain ; python_version >= "3"']


def test_editable_builds_get_the_resolved_lines(tmp_path):
    project = project_with(tmp_path, "markers", RESOLVABLE)
    hooks = HookCaller(project)
    out = tmp_path / "out"
    out.mkdir()
    name = hooks.build_editable(str(out), {"variant-label": "cu129"})
    assert requires_dist(wheel_metadata(out / name)) == ["dep-common", "dep-b", "dep-c"]
    plain = hooks.build_editable(str(tmp_path), {})
    assert requires_dist(wheel_metadata(tmp_path / plain)) == ["dep-common", 'dep-plain ; python_version >= "3"']


# -- varwheel install with real pip -----------------------------------------------------------------------
def publish(tmp_path: Path, mode: str = "markers", entries=None) -> Path:
    """The family, its index file and the dependency wheels, in one find-links folder."""
    from tests.conftest import run_cli

    dist = tmp_path / "dist"
    build_family(project_with(tmp_path, mode, entries), dist)
    for name in DEPENDENCIES:
        make_wheel(dist, name, "1.0")
    run_cli("index", dist, check=True)
    return dist


def installed(python: Path) -> List[str]:
    """The distributions in ``python``'s environment (its own site-packages only: no PYTHONPATH)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = run([python, "-c", "import importlib.metadata as m, json; "
                             "print(json.dumps(sorted(d.metadata['Name'] for d in m.distributions())))"], env=env).stdout
    return sorted(n for n in json.loads(out) if n not in ("pip", "setuptools"))


@pytest.fixture(scope="module")
def markers_release(tmp_path_factory) -> Path:
    return publish(tmp_path_factory.mktemp("markers"))


@pytest.mark.parametrize("requirement, extra, gpu, label, deps", [
    # driver 12.8 on a 9.0 GPU: cu126, built for 80_real and 90_real; the GPU supports 90_real only
    ("variant-deps", [], "12.6 driver, 9.0", "cu126", ["dep-a", "dep-b"]),
    # 12.9 on 9.0: cu129 (90_real and 120_real): 90_real holds, 120_real does not
    ("variant-deps", [], "9.0", "cu129", ["dep-b"]),
    # 13.0 on 12.0: cu129 again, now 120_real holds and 90_real does not
    ("variant-deps", [], "12.0", "cu129", ["dep-c"]),
    # no GPU: cu129 chosen by hand (an image for another machine): all its properties count
    ("variant-deps#cu129", [], None, "cu129", ["dep-b", "dep-c"]),
    # the null variant: "null", empty sets
    ("variant-deps", [], None, "null", []),
    # the plain wheel: "" and empty sets
    ("variant-deps", ["--no-variant"], None, None, ["dep-plain"]),
])
def test_install_gives_pip_the_evaluated_dependencies(markers_release, tmp_path, run_varwheel, requirement, extra,
                                                      gpu, label, deps):
    python = pip_venv(tmp_path / "venv")
    env = {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "", "NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "",
           **(GPU[gpu] if gpu else {})}
    proc = run_varwheel("install", requirement, *extra, "-f", markers_release, "--python", python, "--no-cache",
                        "--", "--no-index", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shown = f"variant {label!r}" if label not in (None, "null") else ("the null variant" if label else "the plain wheel")
    assert f"({shown}" in proc.stdout, proc.stdout
    assert installed(python) == sorted(["variant-deps", "dep-common", *deps])
    assert proc.stdout.count("variant dependency: ") == len(MARKED)
    # The installed METADATA holds plain requirements: pip reads it again without complaint.
    assert run([python, "-m", "pip", "--disable-pip-version-check", "check"], check=False).returncode == 0
    requires = run([python, "-c", "import importlib.metadata as m, json; print(json.dumps(m.requires('variant-deps')))"])
    plain_line = {"dep-plain": 'dep-plain ; python_version >= "3"'}
    assert sorted(json.loads(requires.stdout)) == sorted(["dep-common", *(plain_line.get(d, d) for d in deps)])


def test_install_dry_run_names_the_evaluated_dependencies(markers_release, run_varwheel):
    proc = run_varwheel("install", "variant-deps", "-f", markers_release, "--dry-run", "--no-cache", env=GPU["12.0"])
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("variant dependency: ")]
    assert lines == [
        'variant dependency: dep-a ; variant_label == "cu126"  ->  (not for this wheel here)',
        'variant dependency: dep-b ; "nvidia :: sm_arch :: 90_real" in variant_properties  ->  (not for this wheel here)',
        'variant dependency: dep-c ; "nvidia :: sm_arch :: 120_real" in variant_properties  ->  dep-c',
        'variant dependency: dep-plain ; variant_label == "" and python_version >= "3"  ->  (not for this wheel here)',
    ]


# -- resolve mode: today's installers install it themselves -------------------------------------------------
@pytest.fixture(scope="module")
def resolved_release(tmp_path_factory) -> Path:
    return publish(tmp_path_factory.mktemp("resolved"), "resolve", RESOLVABLE)


def test_pip_installs_resolved_wheels_with_their_dependencies(resolved_release, tmp_path):
    import shutil

    # pip takes the plain wheel (it skips labelled names): dep-plain
    python = pip_venv(tmp_path / "plain")
    run([python, "-m", "pip", "install", "-q", "--no-index", "--find-links", resolved_release, "variant-deps"])
    assert installed(python) == ["dep-common", "dep-plain", "variant-deps"]
    # the cu129 wheel under its plain name (what varwheel install hands pip): dep-b and dep-c
    copy = tmp_path / "copy" / "variant_deps-1.0-py3-none-any.whl"
    copy.parent.mkdir()
    shutil.copyfile(resolved_release / "variant_deps-1.0-py3-none-any-cu129.whl", copy)
    python = pip_venv(tmp_path / "cu129")
    run([python, "-m", "pip", "install", "-q", "--no-index", "--find-links", resolved_release, copy])
    assert installed(python) == ["dep-b", "dep-c", "dep-common", "variant-deps"]


@pytest.mark.parametrize("gpu, deps", [
    ("12.6 driver, 9.0", ["dep-a"]),      # uv picks cu126
    ("9.0", ["dep-b", "dep-c"]),          # cu129
    (None, []),                           # no GPU: null
])
def test_uv_installs_resolved_wheels_with_their_dependencies(resolved_release, tmp_path, uv_bin, gpu, deps):
    import os

    env = {**os.environ, "UV_CACHE_DIR": str(tmp_path / "uv-cache"), **(GPU[gpu] if gpu else {})}
    python = new_venv(tmp_path / "venv")
    proc = subprocess.run([uv_bin, "pip", "install", "--preview-features", "wheel-variants", "--python", str(python),
                           "--no-index", "--find-links", str(resolved_release), "variant-deps", "-v"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert installed(python) == sorted(["dep-common", "variant-deps", *deps])


# -- show and check ---------------------------------------------------------------------------------------
def test_show_lists_the_variant_dependencies(markers_release, run_varwheel):
    wheel = markers_release / "variant_deps-1.0-py3-none-any-cu129.whl"
    proc = run_varwheel("show", wheel, check=True)
    assert ("  variant dependencies:  (PEP 825 markers: pip and uv 0.13.9 cannot read them; varwheel install can)"
            in proc.stdout)
    for line in MARKED:
        assert f"    {line}\n" in proc.stdout
    data = json.loads(run_varwheel("show", wheel, "--json", check=True).stdout)
    assert data["variant_dependencies"] == MARKED
    plain = json.loads(run_varwheel("show", markers_release / "variant_deps-1.0-py3-none-any.whl", "--json",
                                    check=True).stdout)
    assert plain["variant"] is False and plain["variant_dependencies"] == MARKED


def test_check_warns_variant_markers_and_says_what_installers_do(markers_release, run_varwheel):
    plain = markers_release / "variant_deps-1.0-py3-none-any.whl"
    proc = run_varwheel("check", plain, "--json")
    assert proc.returncode == 0, proc.stdout
    (wheel,) = json.loads(proc.stdout)["wheels"]
    assert [f["code"] for f in wheel["warnings"]] == ["variant-markers"] and wheel["errors"] == []
    message = wheel["warnings"][0]["message"]
    assert "uv 0.13.9 refuses the wheel as invalid metadata" in message and "pip stops with a traceback" in message
    assert run_varwheel("check", plain, "--strict").returncode == 1


# -- real isolated builds (python -m build, uv build) -------------------------------------------------------
@pytest.mark.slow
def test_isolated_builds_write_the_lines(tmp_path, varwheel_wheelhouse):
    """python -m build and uv build take either mode; pip cannot build the markers mode at all (it parses
    the METADATA the backend prepared, even with --no-deps) and builds the resolve mode."""
    from tests.helpers_build import Frontend, only_wheel

    front = Frontend(varwheel_wheelhouse, tmp_path)
    project = project_with(tmp_path)
    for name, build in (("build", front.build), ("uv", front.uv_build)):
        out = tmp_path / name
        build(project, out, {"variant-label": "cu129"})
        assert requires_dist(wheel_metadata(only_wheel(out))) == ["dep-common", *MARKED], name
    failed = front.pip("wheel", "--no-deps", "-w", tmp_path / "pip", project, check=False)
    assert failed.returncode != 0 and "InvalidRequirement" in failed.stdout + failed.stderr
    resolved = project_with(tmp_path / "r", "resolve", RESOLVABLE)
    front.pip("wheel", "--no-deps", "-w", tmp_path / "pip-resolved", resolved, settings={"variant-label": "cu129"})
    wheel = only_wheel(tmp_path / "pip-resolved")
    assert wheel.name == "variant_deps-1.0-py3-none-any.whl"  # under pip the label is deferred
    assert requires_dist(wheel_metadata(wheel)) == ["dep-common", "dep-b", "dep-c"]
