"""``varwheel check``: every problem a release can have is found, clean wheels pass.

Clean input comes from two producers: varwheel (``make-variant`` + ``index``)
and variantlib 0.2.2 (``make-variant`` and ``generate-index-json``, run
offline with ``--no-isolation --skip-plugin-validation``).  Broken input is
made by hand, the way a careless post-processing step breaks wheels.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from fixtures.wheel_factory import make_wheel
from tests.helpers_index import X86_PROVIDER, handmade_variant, make_variants, variant_json
from tests.helpers_pipeline import (
    NVIDIA_PYPROJECT,
    add_member,
    drop_member,
    files_with_content,
    rewrite_member,
    uv_install,
)
from tests.helpers_select import FORCE_DRIVER, FORCE_SM, NVIDIA, X86
from tests.test_vocabulary import X86_PLATFORM, make_uv_target, uv_choice
from varwheel.model.builtins import BUILTIN_PROVIDERS

TAG = "py3-none-manylinux_2_17_x86_64"
CU126 = ["nvidia :: cuda_version_lower_bound :: 12.6", "nvidia :: sm_arch :: 80_real", "nvidia :: sm_arch :: 90_real"]
CU129 = ["nvidia :: cuda_version_lower_bound :: 12.9", "nvidia :: sm_arch :: 90_real", "nvidia :: sm_arch :: 120_real"]


def check(run_varwheel, *paths, strict=False):
    """Run ``varwheel check --json``; return (exit status, report)."""
    args = ["check", "--json", *paths] + (["--strict"] if strict else [])
    proc = run_varwheel(*args)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def codes(report, kind="errors"):
    out = []
    for section in ("wheels", "releases", "folders"):
        for item in report[section]:
            out += [f["code"] for f in item[kind]]
    return sorted(out)


def varwheel_family(root: Path, run_varwheel, variants=None) -> Path:
    """A family made by varwheel make-variant, indexed by varwheel index."""
    variants = variants or {"cu126": CU126, "cu129": CU129, "null": []}
    src = make_wheel(root / "src", "mypkg", "1.0", tag=TAG)
    toml = root / "pyproject.toml"
    toml.write_text(NVIDIA_PYPROJECT)
    dist = root / "dist"
    for label, props in variants.items():
        args = ["make-variant", "-f", src, "-o", dist, "--pyproject-toml", toml]
        args += ["--null-variant"] if not props else ["--variant-label", label] + [a for p in props for a in ("-p", p)]
        run_varwheel(*args, check=True)
    run_varwheel("index", dist, check=True)
    return dist


@pytest.fixture
def family(tmp_path, run_varwheel) -> Path:
    return varwheel_family(tmp_path / "fam", run_varwheel)


# -- clean wheels pass --------------------------------------------------------------------------


def test_a_family_made_by_varwheel_is_clean(family, run_varwheel):
    before = files_with_content(family)
    status, report = check(run_varwheel, family, strict=True)
    assert status == 0, report
    assert report["ok"] and report["summary"] == {"wheels": 3, "errors": 0, "warnings": 0}
    assert [w["label"] for w in report["wheels"]] == ["cu126", "cu129", "null"]
    assert report["releases"][0]["labels"] == ["cu126", "cu129", "null"]
    assert report["folders"][0]["index_files"] == ["mypkg-1.0-variants.json"]
    assert files_with_content(family) == before  # check never writes


def test_a_family_made_by_variantlib_is_clean(tmp_path, run_varwheel):
    src = make_wheel(tmp_path / "src", "mypkg", "1.0", tag=TAG)
    toml = tmp_path / "pyproject.toml"
    toml.write_text(NVIDIA_PYPROJECT)
    dist = tmp_path / "dist"
    dist.mkdir()  # variantlib does not create it
    base = ["variantlib", "make-variant", "-f", str(src), "-o", str(dist), "--no-isolation",
            "--skip-plugin-validation", "--pyproject-toml", str(toml)]
    for args in (["--variant-label", "cu126", "-p", *CU126], ["--variant-label", "cu129", "-p", *CU129],
                 ["--null-variant"]):
        proc = subprocess.run(base + args, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(["variantlib", "generate-index-json", "-d", str(dist)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((dist / "mypkg-1.0-variants.json").read_text())["$schema"].endswith("/v0.2.0.json")
    status, report = check(run_varwheel, dist, strict=True)
    assert status == 0, report
    assert sorted(w["label"] for w in report["wheels"]) == ["cu126", "cu129", "null"]


def test_the_human_report_and_exit_status(family, run_varwheel):
    proc = run_varwheel("check", family)
    assert proc.returncode == 0
    assert proc.stdout.count("\nok ") + proc.stdout.startswith("ok ") == 4  # 3 wheels + the folder
    assert "checked 3 wheel(s): 0 error(s), 0 warning(s)" in proc.stdout
    rewrite_member(family / f"mypkg-1.0-{TAG}-cu126.whl", "mypkg/__init__.py", b"evil = 1\n")
    proc = run_varwheel("check", family)
    assert proc.returncode == 1
    assert f"FAIL  {family / f'mypkg-1.0-{TAG}-cu126.whl'}" in proc.stdout
    assert "error [record-hash]: mypkg/__init__.py: sha256 differs from RECORD" in proc.stdout


def test_a_plain_wheel_is_checked_too(tmp_path, run_varwheel):
    plain = make_wheel(tmp_path, "mypkg", "1.0")
    status, report = check(run_varwheel, plain, strict=True)
    assert status == 0 and report["wheels"][0]["label"] is None and report["folders"] == []


def test_a_zip64_wheel_with_many_members(tmp_path, run_varwheel):
    wheel = make_wheel(tmp_path, "mypkg", "1.0", many=66000, compression=zipfile.ZIP_STORED)
    status, report = check(run_varwheel, wheel)
    assert status == 0 and report["wheels"][0]["members"] == 66004
    drop_member(wheel, "mypkg/many/m065999.txt")
    status, report = check(run_varwheel, wheel)
    assert status == 1 and codes(report) == ["record-missing-member"]


# -- the must-show problems ------------------------------------------------------------------------


def test_a_member_tampered_after_record_was_written(family, run_varwheel):
    wheel = family / f"mypkg-1.0-{TAG}-cu129.whl"
    rewrite_member(wheel, "mypkg/__init__.py", b"__version__ = '6.6.6'\n")
    status, report = check(run_varwheel, wheel)
    assert status == 1
    assert codes(report) == ["record-hash", "record-size"]
    assert "mypkg/__init__.py" in report["wheels"][0]["errors"][0]["message"]


def test_a_member_missing_from_record(family, run_varwheel):
    wheel = family / f"mypkg-1.0-{TAG}-cu129.whl"
    add_member(wheel, "mypkg/_injected.py", b"import os\n")
    status, report = check(run_varwheel, wheel)
    assert status == 1 and codes(report) == ["record-unlisted"]
    assert "mypkg/_injected.py: not listed in RECORD" in report["wheels"][0]["errors"][0]["message"]


def test_a_record_row_for_a_missing_member(family, run_varwheel):
    wheel = family / f"mypkg-1.0-{TAG}-cu129.whl"
    drop_member(wheel, "mypkg/__init__.py")
    status, report = check(run_varwheel, wheel)
    assert status == 1 and codes(report) == ["record-missing-member"]


def test_a_label_that_differs_from_variant_json(tmp_path, run_varwheel):
    wheel = handmade_variant(tmp_path, "v4", variant_json("v3", {"x86_64": {"level": ["v3"]}}))
    status, report = check(run_varwheel, wheel)
    assert status == 1 and codes(report) == ["label-mismatch"]
    assert "'v4'" in report["wheels"][0]["errors"][0]["message"]


def test_two_wheels_mapping_one_label_to_different_properties(family, tmp_path, run_varwheel):
    # A second platform's cu126 wheel, built from a pyproject that says something else.
    other = varwheel_family(tmp_path / "other", run_varwheel, {"cu126": CU129})
    for wheel in other.glob("*.whl"):
        renamed = family / wheel.name.replace(TAG, "py3-none-manylinux_2_28_aarch64")
        renamed.write_bytes(wheel.read_bytes())
    status, report = check(run_varwheel, family)
    assert status == 1
    assert "label-conflict" in codes(report)
    message = next(f["message"] for f in report["releases"][0]["errors"] if f["code"] == "label-conflict")
    assert "'cu126'" in message and "manylinux_2_28_aarch64-cu126.whl" in message and "12.6" in message


def test_a_variants_json_out_of_date(family, tmp_path, run_varwheel):
    # A new variant lands in the folder after the index was written.
    extra = varwheel_family(tmp_path / "extra", run_varwheel, {"cu130": [
        "nvidia :: cuda_version_lower_bound :: 13.0", "nvidia :: sm_arch :: 120_real"]})
    new = extra / f"mypkg-1.0-{TAG}-cu130.whl"
    (family / new.name).write_bytes(new.read_bytes())
    status, report = check(run_varwheel, family)
    assert status == 1 and codes(report) == ["index-stale"]
    message = report["folders"][0]["errors"][0]["message"]
    assert "lacks cu130" in message and "varwheel index" in message
    # `varwheel index` fixes it.
    run_varwheel("index", family, check=True)
    assert check(run_varwheel, family)[0] == 0


def test_an_index_listing_a_label_no_wheel_carries(family, run_varwheel):
    (family / f"mypkg-1.0-{TAG}-cu129.whl").unlink()
    status, report = check(run_varwheel, family)
    assert status == 1 and codes(report) == ["index-stale"]
    assert "lists cu129 that no wheel here carries" in report["folders"][0]["errors"][0]["message"]


# -- the other checks ------------------------------------------------------------------------------


def test_missing_and_orphan_index_files_are_warnings(family, tmp_path, run_varwheel):
    index = family / "mypkg-1.0-variants.json"
    moved = tmp_path / index.name
    index.rename(moved)
    status, report = check(run_varwheel, family)
    assert status == 0 and codes(report, "warnings") == ["index-missing"]
    assert check(run_varwheel, family, strict=True)[0] == 1
    lone = tmp_path / "lone"
    make_wheel(lone, "other", "2.0")
    (lone / index.name).write_bytes(moved.read_bytes())
    status, report = check(run_varwheel, lone)
    assert status == 0 and codes(report, "warnings") == ["index-orphan"]


def test_an_unreadable_index_file(family, run_varwheel):
    (family / "mypkg-1.0-variants.json").write_text("{not json")
    status, report = check(run_varwheel, family)
    assert status == 1 and codes(report) == ["index-invalid"]


def test_deferred_label_is_a_warning_with_the_fix(tmp_path, run_varwheel):
    wheel = handmade_variant(tmp_path, None, variant_json("v3", {"x86_64": {"level": ["v3"]}}), tag=TAG)
    status, report = check(run_varwheel, wheel)
    assert status == 0 and codes(report, "warnings") == ["deferred-label"]
    assert "varwheel relabel" in report["wheels"][0]["warnings"][0]["message"]
    assert report["wheels"][0]["variant_json_label"] == "v3"


@pytest.mark.parametrize("label, document, expected", [
    ("v3", None, ["label-without-metadata"]),
    ("v3", "{oops", ["variant-json"]),
    ("v3", json.dumps({"$schema": "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json",
                       "default-priorities": {"namespace": ["x86_64"]}, "providers": {"x86_64": X86_PROVIDER},
                       "variants": {"v3": {"x86_64": {"level": ["v3"]}}, "v4": {"x86_64": {"level": ["v4"]}}}}),
     ["variant-json"]),
    # providers and default-priorities disagree
    ("v3", variant_json("v3", {"x86_64": {"level": ["v3"]}}, namespaces=["x86_64"],
                        providers={"x86_64": X86_PROVIDER, "nvidia": {"requires": ["nvidia-variant-provider"]}}),
     ["providers-priorities"]),
    # a namespace used but not ranked
    ("v3", variant_json("v3", {"x86_64": {"level": ["v3"]}, "blas": {"lib": ["mkl"]}}, namespaces=["x86_64"],
                        providers={"x86_64": X86_PROVIDER}),
     ["providers-priorities"]),
])
def test_variant_json_problems(tmp_path, run_varwheel, label, document, expected):
    wheel = handmade_variant(tmp_path, label, document)
    status, report = check(run_varwheel, wheel)
    assert status == 1 and codes(report) == expected, report


def test_warnings_hash_label_length_pinned_provider_and_pep825(tmp_path, run_varwheel):
    # 'deadbeef' looks like a hash label but v3 hashes to fa7c1393.
    a = handmade_variant(tmp_path / "a", "deadbeef", variant_json("deadbeef", {"x86_64": {"level": ["v3"]}}), tag=TAG)
    b = handmade_variant(tmp_path / "b", "a_rather_long_label_name",
                         variant_json("a_rather_long_label_name", {"x86_64": {"level": ["v3"]}}), tag=TAG)
    c = handmade_variant(tmp_path / "c", "cu129", variant_json(
        "cu129", {"nvidia": {"cuda_version_lower_bound": ["12.9"]}}, namespaces=["nvidia"],
        providers={"nvidia": {"requires": ["nvidia-variant-provider>=0.0.2,<1"],
                              "plugin-api": "nvidia_variant_provider.plugin:NvidiaVariantPlugin"}}))
    d = handmade_variant(tmp_path / "d", "v3", variant_json(
        "v3", {"x86_64": {"level": ["v3"]}}, schema="https://variants-schema.wheelnext.dev/peps/825/v0.1.1.json"), tag=TAG)
    expected = {a: "hash-label", b: "label-length", c: "provider-unsupported", d: "no-providers"}
    for wheel, code in expected.items():
        status, report = check(run_varwheel, wheel)
        assert status == 0 and codes(report, "warnings") == [code], report
    assert "fa7c1393" in check(run_varwheel, a)[1]["wheels"][0]["warnings"][0]["message"]
    assert "excludes the built-in nvidia-variant-provider 0.0.1" in check(run_varwheel, c)[1]["wheels"][0]["warnings"][0]["message"]
    # The hash label itself is fine.
    good = handmade_variant(tmp_path / "e", "fa7c1393", variant_json("fa7c1393", {"x86_64": {"level": ["v3"]}}), tag=TAG)
    assert check(run_varwheel, good, strict=True)[0] == 0


def test_filename_and_structure_problems(tmp_path, run_varwheel):
    bad_name = make_wheel(tmp_path / "a", "mypkg", "1.0")
    renamed = bad_name.with_name("mypkg-1.0-py3-none-any-V3.whl")
    bad_name.rename(renamed)
    two = make_wheel(tmp_path / "b", "mypkg", "1.0", {"mypkg/__init__.py": "", "other-1.0.dist-info/METADATA": "x"})
    notzip = tmp_path / "c" / "mypkg-1.0-py3-none-any.whl"
    notzip.parent.mkdir()
    notzip.write_bytes(b"not a zip")
    status, report = check(run_varwheel, renamed, two, notzip)
    assert status == 1
    assert [[f["code"] for f in w["errors"]] for w in report["wheels"]] == [["filename"], ["structure"], ["structure"]]
    assert "uppercase" in report["wheels"][0]["errors"][0]["message"]
    assert "exactly one .dist-info" in report["wheels"][1]["errors"][0]["message"]
    assert "not a readable zip" in report["wheels"][2]["errors"][0]["message"]


def test_namespace_orders_and_providers_must_agree_across_wheels(tmp_path, run_varwheel):
    prov = {"x86_64": X86_PROVIDER, "nvidia": {"requires": ["nvidia-variant-provider"]}}
    a = handmade_variant(tmp_path, "v3", variant_json("v3", {"x86_64": {"level": ["v3"]}},
                                                      namespaces=["x86_64", "nvidia"], providers=prov))
    b = handmade_variant(tmp_path, "cu", variant_json("cu", {"nvidia": {"sm_arch": ["90_real"]}},
                                                      namespaces=["nvidia", "x86_64"], providers=prov))
    status, report = check(run_varwheel, a, b)
    assert status == 1 and codes(report) == ["priorities-conflict"]
    prov2 = {"x86_64": {"requires": ["x86-64-variant-provider", "extra-thing"]}}
    c = handmade_variant(tmp_path, "v4", variant_json("v4", {"x86_64": {"level": ["v4"]}}, providers=prov2))
    d = handmade_variant(tmp_path, "v2", variant_json("v2", {"x86_64": {"level": ["v2"]}}))
    status, report = check(run_varwheel, c, d)
    assert status == 1 and codes(report) == ["provider-conflict"]


def test_two_labels_for_one_property_set_is_a_warning(tmp_path, run_varwheel):
    a = handmade_variant(tmp_path, "v3", variant_json("v3", {"x86_64": {"level": ["v3"]}}), tag=TAG)
    b = handmade_variant(tmp_path, "fa7c1393", variant_json("fa7c1393", {"x86_64": {"level": ["v3"]}}), tag=TAG)
    status, report = check(run_varwheel, a, b)
    assert status == 0 and codes(report, "warnings") == ["duplicate-properties"]


def test_a_format_mix_is_an_error(tmp_path, run_varwheel):
    a = handmade_variant(tmp_path, "v3", variant_json("v3", {"x86_64": {"level": ["v3"]}}))
    b = handmade_variant(tmp_path, "v4", variant_json(
        "v4", {"x86_64": {"level": ["v4"]}}, schema="https://variants-schema.wheelnext.dev/peps/825/v0.1.1.json"))
    status, report = check(run_varwheel, a, b)
    assert status == 1 and codes(report) == ["format-conflict"]


# -- bad usage ------------------------------------------------------------------------------------


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.whl", "no such file or directory"),
    (lambda d: (d / "notes.txt").write_text("x") and d / "notes.txt", "not a .whl file"),
    (lambda d: (d / "empty").mkdir() or d / "empty", "holds no .whl files"),
])
def test_bad_usage_exits_2(tmp_path, run_varwheel, make, message):
    proc = run_varwheel("check", make(tmp_path))
    assert proc.returncode == 2 and message in proc.stderr and proc.stdout == ""
    assert "Traceback" not in proc.stderr


def test_no_arguments_is_a_usage_error(run_varwheel):
    proc = run_varwheel("check")
    assert proc.returncode == 2 and "required" in proc.stderr


def test_an_unparsable_record(tmp_path, run_varwheel):
    wheel = make_wheel(tmp_path, "mypkg", "1.0")
    rewrite_member(wheel, "mypkg-1.0.dist-info/RECORD", b"mypkg/__init__.py,sha256=abc\n")
    status, report = check(run_varwheel, wheel)
    assert status == 1 and codes(report) == ["record-unreadable"]
    assert "expected 3 fields" in report["wheels"][0]["errors"][0]["message"]


def test_a_wheel_given_twice_is_checked_once(family, run_varwheel):
    wheel = family / f"mypkg-1.0-{TAG}-cu126.whl"
    status, report = check(run_varwheel, wheel, family, family / ".." / family.name / wheel.name)
    assert status == 0 and report["summary"]["wheels"] == 3
    assert codes(report, "warnings") == []


def test_a_damaged_variant_json_is_a_finding_and_the_other_wheels_are_still_checked(family, run_varwheel):
    damaged = family / f"mypkg-1.0-{TAG}-cu129.whl"
    with zipfile.ZipFile(damaged) as zf:
        info = zf.getinfo("mypkg-1.0.dist-info/variant.json")
    data = bytearray(damaged.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start, start + info.compress_size):  # garble the deflate stream
        data[i] ^= 0xFF
    damaged.write_bytes(bytes(data))
    rewrite_member(family / f"mypkg-1.0-{TAG}-cu126.whl", "mypkg/__init__.py", b"evil = 1\n")
    status, report = check(run_varwheel, family)
    assert status == 1
    by_name = {Path(w["path"]).name: [e["code"] for e in w["errors"]] for w in report["wheels"]}
    assert "variant-json" in by_name[damaged.name]
    assert "record-hash" in by_name[f"mypkg-1.0-{TAG}-cu126.whl"]


def test_provider_support_agrees_with_select(tmp_path, run_varwheel):
    """check warns exactly where select (and uv) would not evaluate the provider."""
    ok = handmade_variant(tmp_path / "ok", "v3", variant_json(
        "v3", {"x86_64": {"level": ["v3"]}},
        providers={"x86_64": {"requires": ["x86-64-variant-provider>=0.1,<1"]}}), tag=TAG)  # admits built-in 0.2.1
    no_api = handmade_variant(tmp_path / "no_api", "cu129", variant_json(
        "cu129", {"nvidia": {"cuda_version_lower_bound": ["12.9"]}}, namespaces=["nvidia"],
        providers={"nvidia": {"requires": ["nvidia-variant-provider"]}}))  # uv needs the plugin-api too
    status, report = check(run_varwheel, ok)
    assert status == 0 and codes(report, "warnings") == [], report
    status, report = check(run_varwheel, no_api)
    assert status == 0 and codes(report, "warnings") == ["provider-unsupported"], report
    assert "plugin-api" in report["wheels"][0]["warnings"][0]["message"]


def test_two_spellings_of_one_version_are_one_release_with_an_error(tmp_path, run_varwheel):
    a = make_wheel(tmp_path, "mypkg", "1.0")
    b = make_wheel(tmp_path, "mypkg", "1.0.0", tag="py2-none-any")
    status, report = check(run_varwheel, tmp_path)
    assert status == 1
    assert len(report["releases"]) == 1
    assert [e["code"] for e in report["releases"][0]["errors"]] == ["version-spelling"]
    message = report["releases"][0]["errors"][0]["message"]
    assert a.name in message and b.name in message


def test_a_cpu_variant_that_is_pure_python_is_a_warning(tmp_path, run_varwheel):
    """The wheel a failed optional extension leaves: compiler-flag properties on none-any code."""
    pure = handmade_variant(tmp_path / "pure", "v4", variant_json("v4", {"x86_64": {"level": ["v4"]}}))
    status, report = check(run_varwheel, pure)
    assert status == 0 and codes(report, "warnings") == ["pure-variant"], report
    assert "require-compiled = true" in report["wheels"][0]["warnings"][0]["message"]
    assert check(run_varwheel, pure, strict=True)[0] == 1
    # Compiled code, or properties that mean no compiler flags (a static namespace), are fine.
    compiled = handmade_variant(tmp_path / "compiled", "v4", variant_json("v4", {"x86_64": {"level": ["v4"]}}), tag=TAG)
    assert codes(check(run_varwheel, compiled)[1], "warnings") == []
    static = handmade_variant(tmp_path / "static", "mkl", variant_json(
        "mkl", {"blas_lapack": {"library": ["mkl"]}}, namespaces=["blas_lapack"],
        providers={"blas_lapack": {"static-properties": {"library": ["mkl", "openblas"]}}}))
    assert codes(check(run_varwheel, static)[1], "warnings") == []


def test_an_isa_feature_uv_never_evaluates_is_a_warning(tmp_path, run_varwheel):
    wheel = handmade_variant(tmp_path, "avx512", variant_json("avx512", {"x86_64": {"avx512f": ["on"]}}), tag=TAG)
    status, report = check(run_varwheel, wheel)
    assert status == 0 and codes(report, "warnings") == ["feature-unevaluated"], report
    assert "evaluates only 'level'" in report["wheels"][0]["warnings"][0]["message"]
    # Served by a provider of the project's own (a plugin uv skips anyway): not this finding.
    other = handmade_variant(tmp_path / "other", "avx512", variant_json(
        "avx512", {"x86_64": {"avx512f": ["on"]}}, providers={"x86_64": {"static-properties": {"avx512f": ["on"]}}}), tag=TAG)
    assert "feature-unevaluated" not in codes(check(run_varwheel, other)[1], "warnings")


# -- what makes uv 0.13.9 fail or silently ignore a release ----------------------------------------------
#
# Each finding that is a claim about uv is shown on uv itself (tests.test_vocabulary.uv_choice:
# ``uv pip install --dry-run -v``; tests.helpers_pipeline.uv_install for a real install).

FORCED_90 = {FORCE_DRIVER: "12.8", FORCE_SM: "9.0"}
DRAFT_SCHEMA = "https://variants-schema.wheelnext.dev/v0.0.3.json"


@pytest.fixture(scope="module")
def uv_python(tmp_path_factory, uv_bin) -> str:
    return make_uv_target(uv_bin, tmp_path_factory.mktemp("uv-target") / "venv")


def x86_release(folder: Path, run_varwheel, name: str = "mypkg", levels=("v1", "v2")) -> Path:
    """``name`` 1.0: a plain wheel, one variant per x86_64 level (made by varwheel), ``varwheel index``."""
    src = make_wheel(folder / ".src", name, "1.0", tag=TAG)
    make_variants(src, folder, {lv: [f"x86_64 :: level :: {lv}"] for lv in levels})
    shutil.copy(src, folder / src.name)
    shutil.rmtree(folder / ".src")
    run_varwheel("index", folder, check=True)
    return folder


def edit_json(path: Path, edit) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data, indent=4))


def rewrite_variant_json(wheel: Path, edit) -> None:
    """Make ``wheel`` again (same name, a RECORD that fits) with its variant.json passed through ``edit``."""
    from varwheel.model.filename import WheelFilename

    with zipfile.ZipFile(wheel) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".dist-info/variant.json"))
        data = json.loads(zf.read(member))
    edit(data)
    name = WheelFilename.parse(wheel.name)
    wheel.unlink()
    remade = handmade_variant(wheel.parent, name.label, json.dumps(data, indent=4), tag=TAG)
    assert remade == wheel


def _provider_key(key, value):
    return lambda d: d["providers"]["x86_64"].__setitem__(key, value)


@pytest.mark.parametrize("edit, key", [
    (_provider_key("enable-if", "platform_machine == 'x86_64'"), "providers.x86_64.enable-if"),
    (_provider_key("install-time", True), "providers.x86_64.install-time"),
    (_provider_key("plugin-use", "none"), "providers.x86_64.plugin-use"),
    (_provider_key("build-requires", ["x86-64-variant-provider"]), "providers.x86_64.build-requires"),
    (lambda d: d.__setitem__("static-properties", {"x86_64": {"level": ["v2"]}}), "static-properties"),
    (lambda d: d["default-priorities"].__setitem__("feature", {"x86_64": ["level"]}), "default-priorities.feature"),
])
def test_a_key_uv_does_not_know_in_variant_json(tmp_path, run_varwheel, edit, key):
    folder = x86_release(tmp_path / "rel", run_varwheel)
    wheel = folder / f"mypkg-1.0-{TAG}-v2.whl"
    rewrite_variant_json(wheel, edit)
    status, report = check(run_varwheel, wheel)
    assert status == 1 and codes(report) == ["unknown-key"], report
    message = report["wheels"][0]["errors"][0]["message"]
    assert repr(key) in message and "uv 0.13.9" in message and "refuses the document" in message
    assert "PEP 817 era" not in message and "varwheel upgrade" not in message


def test_uv_fails_the_release_when_the_wheel_it_picks_has_an_unknown_key(tmp_path, run_varwheel, uv_bin, uv_python):
    folder = x86_release(tmp_path / "rel", run_varwheel)
    chosen, failed, _ = uv_choice(uv_bin, uv_python, folder, platform=X86_PLATFORM)
    assert (chosen, failed) == (f"mypkg-1.0-{TAG}-v2.whl", False)
    rewrite_variant_json(folder / f"mypkg-1.0-{TAG}-v2.whl", _provider_key("enable-if", "True"))
    chosen, failed, log = uv_choice(uv_bin, uv_python, folder, platform=X86_PLATFORM)
    assert failed and "Failed to parse variant metadata `variant.json`" in log  # no fallback to v1 or the plain wheel


def test_an_unknown_key_in_the_index_and_uv_refusing_the_whole_version(tmp_path, run_varwheel, uv_bin, uv_python):
    folder = x86_release(tmp_path / "rel", run_varwheel)
    index = folder / "mypkg-1.0-variants.json"
    edit_json(index, _provider_key("enable-if", "platform_machine == 'x86_64'"))
    status, report = check(run_varwheel, folder)
    assert status == 1 and codes(report) == ["unknown-key"], report
    message = report["folders"][0]["errors"][0]["message"]
    assert "'providers.x86_64.enable-if'" in message and "the plain wheel included" in message
    chosen, failed, log = uv_choice(uv_bin, uv_python, folder, platform=X86_PLATFORM)
    assert failed and "Failed to parse variant metadata `mypkg-1.0-variants.json`" in log  # plain wheel not installed
    run_varwheel("index", folder, check=True)
    assert check(run_varwheel, folder)[0] == 0
    assert uv_choice(uv_bin, uv_python, folder, platform=X86_PLATFORM)[:2] == (f"mypkg-1.0-{TAG}-v2.whl", False)


def test_a_pep817_draft_document_is_named_and_upgrade_is_suggested(tmp_path, run_varwheel):
    # The shape the WheelNext test index published (spec section 7a).
    draft = {
        "$schema": DRAFT_SCHEMA,
        "default-priorities": {"namespace": ["x86_64"], "feature": {"x86_64": ["level"]}},
        "providers": {"x86_64": {"requires": ["provider-variant-x86-64>=0.0.1"], "enable-if": "platform_machine == 'x86_64'",
                                 "install-time": True, "plugin-api": "provider_variant_x86_64.plugin:X8664Plugin"}},
        "variants": {"v3": {"x86_64": {"level": ["v3"]}}},
    }
    wheel = handmade_variant(tmp_path, "v3", json.dumps(draft), tag=TAG)
    status, report = check(run_varwheel, wheel)
    assert status == 1 and codes(report) == ["unknown-key"], report
    message = report["wheels"][0]["errors"][0]["message"]
    for key in ("default-priorities.feature", "providers.x86_64.enable-if", "providers.x86_64.install-time"):
        assert f"{key}: a key uv 0.13.9 does not know" in message
    assert message.startswith(f"variant.json: The v0.0.3 draft (PEP 817 era) ({DRAFT_SCHEMA}): uv 0.13.9 cannot read it")
    assert "`varwheel upgrade` converts it" in message


def test_an_index_named_with_a_hyphen_is_ignored_by_uv(tmp_path, run_varwheel, uv_bin, uv_python):
    folder = x86_release(tmp_path / "rel", run_varwheel, name="my_pkg")
    index = folder / "my_pkg-1.0-variants.json"
    assert check(run_varwheel, folder, strict=True)[0] == 0
    assert uv_choice(uv_bin, uv_python, folder, project="my-pkg", platform=X86_PLATFORM)[0] == f"my_pkg-1.0-{TAG}-v2.whl"
    hyphenated = index.rename(folder / "my-pkg-1.0-variants.json")
    status, report = check(run_varwheel, folder)
    assert status == 1 and codes(report) == ["index-name"] and codes(report, "warnings") == [], report
    message = report["folders"][0]["errors"][0]["message"]
    assert "my-pkg-1.0-variants.json" in message and "rename it to my_pkg-1.0-variants.json" in message
    # uv takes the plain wheel: the variants are silently ignored.
    assert uv_choice(uv_bin, uv_python, folder, project="my-pkg", platform=X86_PLATFORM)[:2] == (
        f"my_pkg-1.0-{TAG}.whl", False)
    # Other spellings of the same name and version are read by uv, and check compares them as the index.
    for spelling in ("My.Pkg-1.0-variants.json", "my_pkg-1.0.0-variants.json", "MY_PKG-01.0-variants.json"):
        hyphenated = hyphenated.rename(folder / spelling)
        assert check(run_varwheel, folder, strict=True)[0] == 0, spelling
        assert uv_choice(uv_bin, uv_python, folder, project="my-pkg", platform=X86_PLATFORM)[0] == \
            f"my_pkg-1.0-{TAG}-v2.whl", spelling
    (folder / f"my_pkg-1.0-{TAG}-v1.whl").unlink()  # ... so a stale one is found
    assert codes(check(run_varwheel, folder)[1]) == ["index-stale"]


def test_an_index_that_contradicts_a_wheel_makes_uv_fail_the_install(family, run_varwheel, uv_bin, tmp_path):
    # cu126 is rebuilt with other properties after the index was written.
    src = make_wheel(tmp_path / "src", "mypkg", "1.0", tag=TAG)
    (tmp_path / "pyproject.toml").write_text(NVIDIA_PYPROJECT)
    run_varwheel("make-variant", "-f", src, "-o", family, "--pyproject-toml", tmp_path / "pyproject.toml", "--force",
                 "--variant-label", "cu126", "-p", "nvidia :: cuda_version_lower_bound :: 12.6",
                 "-p", "nvidia :: sm_arch :: 80_real", check=True)
    status, report = check(run_varwheel, family)
    assert status == 1 and codes(report) == ["index-contradicts"], report
    message = report["folders"][0]["errors"][0]["message"]
    assert "gives cu126 [nvidia :: cuda_version_lower_bound :: 12.6, nvidia :: sm_arch :: 80_real, " in message
    assert f"mypkg-1.0-{TAG}-cu126.whl says [nvidia :: cuda_version_lower_bound :: 12.6, nvidia :: sm_arch :: 80_real]" \
        in message
    proc, _, chosen = uv_install(uv_bin, tmp_path / "uv", family, "mypkg", env=dict(FORCED_90))
    assert chosen == f"mypkg-1.0-{TAG}-cu126.whl" and proc.returncode != 0, proc.stderr
    # uv wraps its messages to the terminal's width: compare with the line breaks undone.
    assert "requires unsupported properties: `nvidia :: sm_arch :: 80_real`" in " ".join(proc.stderr.split())
    run_varwheel("index", family, check=True)
    assert check(run_varwheel, family)[0] == 0


def test_an_index_whose_providers_contradict_the_wheels(tmp_path, run_varwheel, uv_bin):
    folder = varwheel_family(tmp_path / "fam", run_varwheel, {"cu126": CU126})
    # Every wheel rebuilt with a provider entry uv skips; the index still has the one it matches.
    (tmp_path / "fam" / "pyproject.toml").write_text(NVIDIA_PYPROJECT.replace(
        '"nvidia-variant-provider"', '"nvidia-variant-provider>=0.0.2"'))
    src = next((tmp_path / "fam" / "src").glob("*.whl"))
    run_varwheel("make-variant", "-f", src, "-o", folder, "--pyproject-toml", tmp_path / "fam" / "pyproject.toml",
                 "--force", "--variant-label", "cu126", *[a for p in CU126 for a in ("-p", p)], check=True)
    status, report = check(run_varwheel, folder)
    assert status == 1 and codes(report) == ["index-contradicts"], report
    assert "has providers.nvidia" in report["folders"][0]["errors"][0]["message"]
    assert codes(report, "warnings") == ["provider-unsupported"]
    proc, _, chosen = uv_install(uv_bin, tmp_path / "uv", folder, "mypkg", env=dict(FORCED_90))
    assert chosen == f"mypkg-1.0-{TAG}-cu126.whl" and proc.returncode != 0, proc.stderr
    assert "requires unsupported properties" in " ".join(proc.stderr.split())


def test_uv_never_selects_a_wheel_the_index_lacks(family, tmp_path, run_varwheel, uv_bin, uv_python):
    extra = varwheel_family(tmp_path / "extra", run_varwheel, {"cu130": [
        "nvidia :: cuda_version_lower_bound :: 13.0", "nvidia :: sm_arch :: 120_real"]})
    new = extra / f"mypkg-1.0-{TAG}-cu130.whl"
    (family / new.name).write_bytes(new.read_bytes())
    status, report = check(run_varwheel, family)
    assert status == 1 and codes(report) == ["index-stale"]
    assert "uv 0.13.9 never selects a wheel whose label the index lacks" in report["folders"][0]["errors"][0]["message"]
    env = {FORCE_DRIVER: "13.0", FORCE_SM: "12.0"}
    assert uv_choice(uv_bin, uv_python, family, env=env)[0] == f"mypkg-1.0-{TAG}-cu129.whl"
    run_varwheel("index", family, check=True)
    assert uv_choice(uv_bin, uv_python, family, env=env)[0] == f"mypkg-1.0-{TAG}-cu130.whl"


STATIC_MKL = {"static-properties": {"library": ["mkl"]}}


@pytest.mark.parametrize("namespace, props, provider, working, code", [
    # a plugin uv would have to run
    ("blas", {"library": ["mkl"]}, {"requires": ["blas-variant-provider>=1"], "plugin-api": "blas_variant_provider:Plugin"},
     STATIC_MKL, "provider-plugin"),
    # optional providers: a static one and the built-in x86_64 entry
    ("blas", {"library": ["mkl"]}, dict(STATIC_MKL, optional=True), STATIC_MKL, "provider-optional"),
    ("x86_64", {"level": ["v1"]}, dict(X86, optional=True), X86, "provider-optional"),
    # the builtin kind, abi_dependency included
    ("abi", {"numpy": ["2"]}, {"builtin": "abi_dependency"}, {"static-properties": {"numpy": ["2"]}}, "provider-builtin"),
    ("blas", {"library": ["mkl"]}, {"builtin": "blas"}, STATIC_MKL, "provider-builtin"),
])
def test_providers_uv_never_evaluates(tmp_path, run_varwheel, uv_bin, uv_python, namespace, props, provider, working, code):
    def release(folder: Path, entry: dict) -> Path:
        handmade_variant(folder, "v", variant_json("v", {namespace: props}, providers={namespace: entry}), tag=TAG)
        make_wheel(folder, "mypkg", "1.0", tag=TAG)
        run_varwheel("index", folder, check=True)
        return folder

    bad, good = release(tmp_path / "bad", provider), release(tmp_path / "good", working)
    status, report = check(run_varwheel, bad)
    assert status == 0 and codes(report, "warnings") == [code], report
    assert "never selects" in report["wheels"][0]["warnings"][0]["message"] or \
        "can never be selected" in report["wheels"][0]["warnings"][0]["message"]
    assert codes(check(run_varwheel, good, strict=True)[1], "warnings") == []
    assert uv_choice(uv_bin, uv_python, bad, platform=X86_PLATFORM)[:2] == (f"mypkg-1.0-{TAG}.whl", False)
    assert uv_choice(uv_bin, uv_python, good, platform=X86_PLATFORM)[:2] == (f"mypkg-1.0-{TAG}-v.whl", False)


def test_a_plugin_warning_says_uv_runs_none_and_skips_what_the_loader_found(tmp_path, run_varwheel):
    wheel = handmade_variant(tmp_path / "a", "v", variant_json(
        "v", {"blas": {"library": ["mkl"]}}, providers={"blas": {"requires": ["blas-variant-provider"]}}))
    message = check(run_varwheel, wheel)[1]["wheels"][0]["warnings"][0]["message"]
    assert "uv 0.13.9 runs no plugins; these variants can never be selected" in message
    # An unparsable requirement is the document's own finding, said once.
    odd = handmade_variant(tmp_path / "b", "v", variant_json(
        "v", {"blas": {"library": ["mkl"]}}, providers={"blas": {"requires": ["not a requirement!"]}}))
    assert codes(check(run_varwheel, odd)[1], "warnings") == ["provider-unmatched"]
    # A null wheel uses no namespace: nothing to say about its family's providers.
    null = handmade_variant(tmp_path / "c", "null", variant_json(
        "null", {}, namespaces=["blas"], providers={"blas": {"requires": ["blas-variant-provider"]}}))
    assert check(run_varwheel, null, strict=True)[0] == 0


@pytest.mark.parametrize("prop", [
    "x86_64 :: level :: v5", "nvidia :: sm_arch :: 90_rea", "nvidia :: cuda_version_lower_bound :: abc",
    "aarch64 :: version :: 7a", "tpu :: present :: yes",
])
def test_a_value_outside_the_builtin_vocabulary(tmp_path, run_varwheel, prop):
    """uv's side (it reads the document and never offers the value): tests/test_vocabulary.py."""
    namespace, feature, value = prop.split(" :: ")
    providers = {namespace: BUILTIN_PROVIDERS[namespace].to_json()}
    wheel = handmade_variant(tmp_path, "v", variant_json("v", {namespace: {feature: [value]}}, providers=providers),
                             tag=TAG)
    status, report = check(run_varwheel, wheel)
    assert status == 1 and codes(report) == ["value-unknown"], report
    message = report["wheels"][0]["errors"][0]["message"]
    assert f"'{prop}'" in message and "valid values: " in message
    # Under a provider of the project's own the namespace's values are the project's.
    own = handmade_variant(tmp_path / "own", "v", variant_json(
        "v", {namespace: {feature: [value]}}, providers={namespace: {"static-properties": {feature: [value]}}}), tag=TAG)
    assert check(run_varwheel, own, strict=True)[0] == 0


@pytest.mark.parametrize("values, unmatchable", [
    (["86_virtual"], True),  # uv offers only M0_virtual
    (["95_real"], True),  # no GPU of capability 9.5 exists
    (["35_real"], True),  # uv offers nothing below 5.0
    (["78_real", "130_real"], True),
    (["90_real", "95_real"], False),  # 90_real matches a 9.0 GPU
    (["85_real"], False),  # an 8.6 or 8.9 GPU gets 85_real
])
def test_sm_arch_values_no_gpu_matches(tmp_path, run_varwheel, values, unmatchable):
    """uv's rule (M{m}_real .. M0_real, M0_virtual only, nothing below 5.0) is run in tests/test_vocabulary.py."""
    wheel = handmade_variant(tmp_path, "cu", variant_json("cu", {"nvidia": {"sm_arch": values}},
                                                          providers={"nvidia": NVIDIA}), tag=TAG)
    status, report = check(run_varwheel, wheel)
    assert codes(report) == (["sm-arch-unmatchable"] if unmatchable else []), report
    assert status == (1 if unmatchable else 0)


@pytest.mark.parametrize("bounds, reason", [
    ({"cuda_version_lower_bound": ["13.0"], "cuda_version_upper_bound": ["12.0"]}, "no driver is at least 13.0"),
    ({"cuda_version_lower_bound": ["12.8"], "cuda_version_upper_bound": ["12.8"]}, "no driver is at least 12.8"),
    ({"cuda_version_lower_bound": ["10.2"]}, "cuda_version_lower_bound 10.2 is never listed"),
    ({"cuda_version_upper_bound": ["16"]}, "cuda_version_upper_bound 16 is never listed"),
    ({"cuda_version_lower_bound": ["12.6"], "cuda_version_upper_bound": ["13"]}, None),
    ({"cuda_version_lower_bound": ["10.2", "11"]}, None),
])
def test_cuda_bounds_no_driver_satisfies(tmp_path, run_varwheel, uv_bin, uv_python, bounds, reason):
    wheel = handmade_variant(tmp_path, "cu", variant_json("cu", {"nvidia": bounds}, providers={"nvidia": NVIDIA}),
                             tag=TAG)
    status, report = check(run_varwheel, wheel)
    assert codes(report) == (["cuda-bounds-unsatisfiable"] if reason else []), report
    if reason:
        assert reason in report["wheels"][0]["errors"][0]["message"]
    # uv agrees for every driver it uses its nvidia provider with (11.0 to 15.20).
    make_wheel(tmp_path, "mypkg", "1.0", tag=TAG)
    run_varwheel("index", tmp_path, check=True)
    chosen = {uv_choice(uv_bin, uv_python, tmp_path, env={FORCE_DRIVER: d, FORCE_SM: "9.0"})[0]
              for d in ("11.0", "11.8", "12.0", "12.6", "12.8", "13.0", "13.5", "15.0", "15.20")}
    assert (f"mypkg-1.0-{TAG}-cu.whl" not in chosen) is bool(reason), chosen


def test_what_uv_accepts_although_the_drafts_forbid_it_is_a_warning(tmp_path, run_varwheel):
    """The document loader's findings (model.document.DocumentFinding), reported with their codes."""
    outside = handmade_variant(tmp_path / "a", "ob", variant_json(
        "ob", {"blas": {"library": ["openblas"]}}, namespaces=["blas"],
        providers={"blas": {"static-properties": {"library": ["mkl", "accelerate"]}}}))
    undeclared = handmade_variant(tmp_path / "b", "ob", variant_json(
        "ob", {"blas": {"vendor": ["mkl"]}}, namespaces=["blas"], providers={"blas": STATIC_MKL}))
    unknown_schema = handmade_variant(tmp_path / "c", "v3", variant_json(
        "v3", {"x86_64": {"level": ["v3"]}}, schema="https://example.com/x.json"), tag=TAG)
    for wheel, code in ((outside, "static-value-undeclared"), (undeclared, "static-value-undeclared"),
                        (unknown_schema, "schema-unknown")):
        status, report = check(run_varwheel, wheel)
        assert status == 0 and codes(report, "warnings") == [code], report
        assert check(run_varwheel, wheel, strict=True)[0] == 1
