"""``varwheel index`` and :mod:`varwheel.pipeline.index`: merged {name}-{version}-variants.json files.

The merge rules are spec section 6; variantlib's ``generate-index-json`` is
the differential oracle for the content.  uv's use of the file is in
test_uv_install.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fixtures.wheel_factory import make_wheel
from tests.helpers_index import X86_PROVIDER, handmade_variant, make_variants, variant_json
from varwheel.errors import InconsistentVariants, InvalidInput
from varwheel.pipeline.index import build_indexes, check_indexes, collect, write_indexes
from varwheel.model.filename import index_filename
from varwheel.model.document import SCHEMA_PEP825, SCHEMA_PROVIDERS, SCHEMA_VARIANTLIB


def snapshot(directory: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def family(tmp_path):
    """A plain wheel and its null + x86_64 v3/v4 variants in one folder."""
    dist = tmp_path / "dist"
    src = make_wheel(dist, "mypkg", "1.0")
    make_variants(src, dist, {"v3": ["x86_64 :: level :: v3"], "v4": ["x86_64 :: level :: v4"], "null": []})
    return dist


EXPECTED_FAMILY = {
    "$schema": SCHEMA_PROVIDERS,
    "default-priorities": {"namespace": ["x86_64"]},
    "providers": {"x86_64": X86_PROVIDER},
    "variants": {
        "null": {},
        "v3": {"x86_64": {"level": ["v3"]}},
        "v4": {"x86_64": {"level": ["v4"]}},
    },
}


# -- the API ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, version, expected",
    [
        ("mypkg", "1.0", "mypkg-1.0-variants.json"),
        ("My.Pkg", "1.0", "my_pkg-1.0-variants.json"),
        ("my-pkg", "2.0rc1", "my_pkg-2.0rc1-variants.json"),
        ("My__Pkg", "1.0.post1", "my_pkg-1.0.post1-variants.json"),
    ],
)
def test_index_filename_normalizes_the_name_and_keeps_the_version(name, version, expected):
    assert index_filename(name, version) == expected


def test_collect_groups_wheels_and_classifies_them(family):
    groups = collect(family)
    assert list(groups) == [("mypkg", "1.0")]
    entries = {e.path.name: e for e in groups[("mypkg", "1.0")]}
    assert sorted(entries) == [
        "mypkg-1.0-py3-none-any-null.whl",
        "mypkg-1.0-py3-none-any-v3.whl",
        "mypkg-1.0-py3-none-any-v4.whl",
        "mypkg-1.0-py3-none-any.whl",
    ]
    plain = entries["mypkg-1.0-py3-none-any.whl"]
    assert plain.is_plain and plain.label is None and plain.document is None
    v3 = entries["mypkg-1.0-py3-none-any-v3.whl"]
    assert v3.label == "v3" and v3.inner_label == "v3" and not v3.is_plain and not v3.is_deferred
    assert v3.document.variants["v3"].strings() == ["x86_64 :: level :: v3"]
    assert str(v3.filename) == v3.path.name


def test_collect_reads_only_the_central_directory_and_variant_json(family, monkeypatch):
    """A spy on where member data is located: the payload members are never read, only variant.json."""
    from varwheel.wheel.archive import WheelArchive

    opened = []
    real = WheelArchive.local_data_start

    def spy(self, i):
        opened.append(self.members[i].filename)
        return real(self, i)

    monkeypatch.setattr(WheelArchive, "local_data_start", spy)
    build_indexes(family)
    assert opened, "the spy saw nothing: the test is not measuring what it thinks"
    assert sorted(opened) == ["mypkg-1.0.dist-info/variant.json"] * 3


def test_index_ignores_corrupt_payloads_because_it_never_reads_them(tmp_path):
    """Garbage in a big member's compressed bytes does not matter: only variant.json is read."""
    dist = tmp_path / "dist"
    src = make_wheel(tmp_path / "src", "mypkg", "1.0", {"mypkg/blob.bin": os.urandom(1 << 20)},
                     compression=zipfile.ZIP_STORED)
    wheel = make_variants(src, dist, {"v3": ["x86_64 :: level :: v3"]})["v3"]
    with zipfile.ZipFile(wheel) as zf:
        info = zf.getinfo("mypkg/blob.bin")
    with open(wheel, "r+b") as fh:  # overwrite the middle of the stored data
        fh.seek(info.header_offset + 30 + len(info.filename) + len(info.extra) + 1000)
        fh.write(b"\0" * 4096)
    with zipfile.ZipFile(wheel) as zf:
        assert zf.testzip() == "mypkg/blob.bin"  # the member really is corrupt
    assert list(build_indexes(dist)) == ["mypkg-1.0-variants.json"]


def test_build_indexes_merges_labels_and_includes_null(family):
    docs = build_indexes(family)
    assert list(docs) == ["mypkg-1.0-variants.json"]
    assert docs["mypkg-1.0-variants.json"].to_json() == EXPECTED_FAMILY
    assert list(family.glob("*.json")) == []  # build_indexes writes nothing


def test_write_indexes_writes_beside_the_wheels_and_matches_variantlib(family, tmp_path):
    paths = write_indexes(family)
    assert paths == [family / "mypkg-1.0-variants.json"]
    written = json.loads(paths[0].read_text())
    assert written == EXPECTED_FAMILY
    # Oracle: variantlib's generate-index-json on a copy of the same wheels.
    other = tmp_path / "vl"
    shutil.copytree(family, other, ignore=shutil.ignore_patterns("*.json"))
    vl = shutil.which("variantlib", path=str(Path(sys.executable).parent))
    assert vl, "variantlib is part of the test extra"
    proc = subprocess.run([vl, "generate-index-json", "-d", str(other)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    theirs = json.loads((other / "mypkg-1.0-variants.json").read_text())
    # variantlib writes its own schema URL; everything else must be equal.
    assert theirs.pop("$schema") == "https://variants-schema.wheelnext.dev/v0.2.0.json"
    ours = dict(written)
    ours.pop("$schema")
    assert ours == theirs


def test_one_index_per_name_and_version_across_tags_and_build_tags(tmp_path):
    dist = tmp_path / "dist"
    for tag in ("cp312-cp312-manylinux_2_28_x86_64", "cp313-cp313-manylinux_2_28_x86_64"):
        src = make_wheel(tmp_path / "src", "My.Pkg", "1.0", tag=tag)
        make_variants(src, dist, {"v3": ["x86_64 :: level :: v3"]})
    src = make_wheel(tmp_path / "src", "My.Pkg", "1.0", tag="py3-none-any", build="1")
    make_variants(src, dist, {"v4": ["x86_64 :: level :: v4"]})
    src = make_wheel(tmp_path / "src", "My.Pkg", "2.0")
    make_variants(src, dist, {"null": []})
    src = make_wheel(tmp_path / "src", "other", "0.1")  # plain only: no index
    shutil.copy(src, dist)
    docs = build_indexes(dist)
    assert sorted(docs) == ["my_pkg-1.0-variants.json", "my_pkg-2.0-variants.json"]
    assert sorted(docs["my_pkg-1.0-variants.json"].variants) == ["v3", "v4"]
    assert sorted(docs["my_pkg-2.0-variants.json"].variants) == ["null"]


def test_longer_priority_list_wins_when_one_is_a_prefix(tmp_path):
    dist = tmp_path / "dist"
    blas = {"static-properties": {"library": ["mkl", "openblas"]}}
    both = {"x86_64": X86_PROVIDER, "blas": blas}
    handmade_variant(dist, "v3", variant_json("v3", {"x86_64": {"level": ["v3"]}}, namespaces=["x86_64"]))
    handmade_variant(dist, "mkl", variant_json("mkl", {"blas": {"library": ["mkl"]}},
                                                namespaces=["x86_64", "blas"], providers=both))
    doc = build_indexes(dist)["mypkg-1.0-variants.json"]
    assert doc.default_priorities == ["x86_64", "blas"]
    assert sorted(doc.providers) == ["blas", "x86_64"]
    assert sorted(doc.variants) == ["mkl", "v3"]


# -- inconsistencies: named, exit 2, nothing written ------------------------------------------


def write_case(dist: Path, case: str) -> list:
    """Two wheels of mypkg 1.0 that disagree; returns their filenames."""
    v3 = {"x86_64": {"level": ["v3"]}}
    v4 = {"x86_64": {"level": ["v4"]}}
    blas = {"static-properties": {"library": ["mkl", "openblas"]}}
    if case == "same label, other properties":
        a = handmade_variant(dist, "fast", variant_json("fast", v3))
        b = handmade_variant(dist, "fast", variant_json("fast", v4), tag="cp312-cp312-linux_x86_64")
    elif case == "provider differs":
        a = handmade_variant(dist, "v3", variant_json("v3", v3))
        b = handmade_variant(dist, "v4", variant_json("v4", v4, providers={"x86_64": {"requires": ["x86-64-variant-provider>=1"]}}))
    elif case == "priorities not a prefix":
        both = {"x86_64": X86_PROVIDER, "blas": blas}
        a = handmade_variant(dist, "v3", variant_json("v3", v3, namespaces=["x86_64", "blas"], providers=both))
        b = handmade_variant(dist, "mkl", variant_json("mkl", {"blas": {"library": ["mkl"]}},
                                                       namespaces=["blas", "x86_64"], providers=both))
    elif case == "formats differ":
        a = handmade_variant(dist, "v3", variant_json("v3", v3))
        b = handmade_variant(dist, "v4", variant_json("v4", v4, schema=SCHEMA_PEP825))
    else:  # pragma: no cover
        raise AssertionError(case)
    return [a.name, b.name]


CASES = ["same label, other properties", "provider differs", "priorities not a prefix", "formats differ"]


@pytest.mark.parametrize("case", CASES)
def test_inconsistent_wheels_are_named_and_nothing_is_written(tmp_path, run_varwheel, case):
    dist = tmp_path / "dist"
    names = write_case(dist, case)
    # A second, valid release in the same folder: all-or-nothing means its index is not written either.
    src = make_wheel(tmp_path / "src", "mypkg", "2.0")
    make_variants(src, dist, {"v3": ["x86_64 :: level :: v3"]})
    before = snapshot(dist)
    with pytest.raises(InconsistentVariants) as info:
        build_indexes(dist)
    for name in names:
        assert name in str(info.value)
    proc = run_varwheel("index", dist)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("varwheel: error: ")
    for name in names:
        assert name in proc.stderr
    assert snapshot(dist) == before  # nothing written, nothing left behind
    proc = run_varwheel("index", dist, "-o", tmp_path / "out")
    assert proc.returncode == 2
    assert not (tmp_path / "out").exists()


def test_existing_index_is_untouched_when_the_folder_becomes_inconsistent(family, tmp_path, run_varwheel):
    run_varwheel("index", family, check=True)
    index = family / "mypkg-1.0-variants.json"
    good = index.read_bytes()
    handmade_variant(family, "v3", variant_json("v3", {"x86_64": {"level": ["v2"]}}), tag="cp312-cp312-linux_x86_64")
    proc = run_varwheel("index", family)
    assert proc.returncode == 2
    assert "mypkg-1.0-py3-none-any-v3.whl" in proc.stderr and "mypkg-1.0-cp312-cp312-linux_x86_64-v3.whl" in proc.stderr
    assert index.read_bytes() == good
    assert [p.name for p in family.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    "label, document, needle",
    [
        ("v3", None, "has no mypkg-1.0.dist-info/variant.json"),
        ("v3", variant_json("v4", {"x86_64": {"level": ["v4"]}}), "differs from the filename's label 'v3'"),
        (None, variant_json("v3", {"x86_64": {"level": ["v3"]}}), "varwheel relabel"),
        ("v3", '{"variants": ', "not valid JSON"),
    ],
    ids=["labelled-without-variant-json", "label-mismatch", "deferred-label", "broken-json"],
)
def test_bad_variant_wheels_are_errors_naming_the_wheel(tmp_path, run_varwheel, label, document, needle):
    dist = tmp_path / "dist"
    bad = handmade_variant(dist, label, document)
    src = make_wheel(tmp_path / "src", "mypkg", "1.0")
    make_variants(src, dist, {"null": []})
    before = snapshot(dist)
    with pytest.raises(InvalidInput) as info:
        build_indexes(dist)
    assert bad.name in str(info.value) and needle in str(info.value)
    proc = run_varwheel("index", dist)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert bad.name in proc.stderr and needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(dist) == before


def test_deferred_label_message_says_what_to_run(tmp_path):
    dist = tmp_path / "dist"
    handmade_variant(dist, None, variant_json("v3", {"x86_64": {"level": ["v3"]}}))
    with pytest.raises(InvalidInput) as info:
        build_indexes(dist)
    message = str(info.value)
    assert "mypkg-1.0-py3-none-any.whl (label 'v3')" in message
    assert "run `varwheel relabel`" in message


def test_two_spellings_of_one_version_are_an_error(tmp_path):
    dist = tmp_path / "dist"
    for version in ("1.0", "1.0.0"):
        src = make_wheel(tmp_path / f"src{version}", "mypkg", version)
        make_variants(src, dist, {"v3": ["x86_64 :: level :: v3"]})
    with pytest.raises(InconsistentVariants) as info:
        build_indexes(dist)
    assert "mypkg-1.0-py3-none-any-v3.whl" in str(info.value)
    assert "mypkg-1.0.0-py3-none-any-v3.whl" in str(info.value)


@pytest.mark.parametrize("what", ["missing", "file", "not-a-zip", "bad-name"])
def test_bad_folders_and_files_exit_2(tmp_path, run_varwheel, what):
    target = tmp_path / "dist"
    needle = str(target)
    if what == "file":
        target.write_text("x")
        needle = "is not a directory"
    elif what == "not-a-zip":
        target.mkdir()
        (target / "mypkg-1.0-py3-none-any-v3.whl").write_bytes(b"not a zip")
        needle = "mypkg-1.0-py3-none-any-v3.whl: not a readable zip archive"
    elif what == "bad-name":
        target.mkdir()
        (target / "mypkg.whl").write_bytes(b"")
        needle = "'mypkg.whl'"
    proc = run_varwheel("index", target)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


# -- the command ------------------------------------------------------------------------------


def test_index_command_writes_prints_and_is_idempotent(family, run_varwheel):
    proc = run_varwheel("index", family, check=True)
    index = family / "mypkg-1.0-variants.json"
    assert proc.stdout.splitlines() == [str(index)]
    first = index.read_bytes()
    assert json.loads(first) == EXPECTED_FAMILY
    os.utime(index, (1_000_000_000, 1_000_000_000))
    run_varwheel("index", family, check=True)
    assert index.read_bytes() == first
    assert index.stat().st_mtime == 1_000_000_000  # identical content: file left alone


def test_index_command_output_directory(family, tmp_path, run_varwheel):
    out = tmp_path / "site" / "simple"
    run_varwheel("index", family, "-o", out, check=True)
    assert [p.name for p in out.iterdir()] == ["mypkg-1.0-variants.json"]
    assert list(family.glob("*.json")) == []
    assert run_varwheel("index", family, "--check", "-o", out).returncode == 0
    assert run_varwheel("index", family, "--check").returncode == 1


def test_index_replaces_a_stale_file(family, run_varwheel):
    index = family / "mypkg-1.0-variants.json"
    index.write_text('{"old": true}\n')
    run_varwheel("index", family, check=True)
    assert json.loads(index.read_text()) == EXPECTED_FAMILY


def test_write_indexes_without_force_refuses_to_replace(family):
    index = family / "mypkg-1.0-variants.json"
    index.write_text("{}\n")
    with pytest.raises(InvalidInput, match="already exists with different content"):
        write_indexes(family, force=False)
    assert index.read_text() == "{}\n"
    assert write_indexes(family) == [index]


def test_plain_wheels_only_writes_nothing_and_says_so(tmp_path, run_varwheel):
    dist = tmp_path / "dist"
    make_wheel(dist, "mypkg", "1.0")
    proc = run_varwheel("index", dist)
    assert proc.returncode == 0
    assert "no variant wheels" in proc.stderr
    assert [p.name for p in dist.iterdir()] == ["mypkg-1.0-py3-none-any.whl"]


def test_duplicate_property_sets_warn(tmp_path, run_varwheel):
    dist = tmp_path / "dist"
    src = make_wheel(tmp_path / "src", "mypkg", "1.0")
    make_variants(src, dist, {"fast": ["x86_64 :: level :: v3"], "v3": ["x86_64 :: level :: v3"]})
    proc = run_varwheel("index", dist)
    assert proc.returncode == 0
    assert "labels fast, v3 all mean the same properties" in proc.stderr


# -- --check ------------------------------------------------------------------------------------


def test_check_reports_missing_then_passes_then_stale(family, tmp_path, run_varwheel):
    index = family / "mypkg-1.0-variants.json"
    proc = run_varwheel("index", "--check", family)
    assert proc.returncode == 1
    assert f"missing: {index}" in proc.stdout
    assert not index.exists()  # --check writes nothing
    run_varwheel("index", family, check=True)
    proc = run_varwheel("index", "--check", family)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 index file(s) up to date" in proc.stdout
    # A new variant makes the file stale, naming the label it lacks.
    make_variants(family / "mypkg-1.0-py3-none-any.whl", family, {"v2": ["x86_64 :: level :: v2"]})
    assert check_indexes(family) == [f"stale: {index} (lacks v2)"]
    proc = run_varwheel("index", "--check", family)
    assert proc.returncode == 1
    assert f"stale: {index} (lacks v2)" in proc.stdout
    # Removing wheels makes it stale the other way.
    run_varwheel("index", family, check=True)
    (family / "mypkg-1.0-py3-none-any-v2.whl").unlink()
    (family / "mypkg-1.0-py3-none-any-v4.whl").unlink()
    assert check_indexes(family) == [f"stale: {index} (lists v2, v4 that no wheel here carries)"]


def test_check_accepts_same_content_in_other_formatting_and_flags_unreadable(family):
    index = family / "mypkg-1.0-variants.json"
    index.write_text(json.dumps(EXPECTED_FAMILY))  # one line, other key order
    assert check_indexes(family) == []
    index.write_text("{ not json")
    problems = check_indexes(family)
    assert len(problems) == 1 and problems[0].startswith(f"unreadable: {index}: ")
    changed = dict(EXPECTED_FAMILY, **{"default-priorities": {"namespace": ["x86_64"]}})
    changed["providers"] = {"x86_64": {"requires": ["x86-64-variant-provider>=1"]}}
    index.write_text(json.dumps(changed))
    assert check_indexes(family) == [f"stale: {index} (its default-priorities or providers differ from the wheels')"]


def test_check_accepts_an_index_in_variantlibs_schema_url(family, run_varwheel):
    # variantlib 0.2.2's generate-index-json writes the same shape under its own URL.
    index = family / "mypkg-1.0-variants.json"
    index.write_text(json.dumps(dict(EXPECTED_FAMILY, **{"$schema": SCHEMA_VARIANTLIB})))
    assert check_indexes(family) == []
    assert run_varwheel("index", family, "--check").returncode == 0


def test_check_fails_with_exit_2_on_inconsistent_wheels(tmp_path, run_varwheel):
    dist = tmp_path / "dist"
    names = write_case(dist, "same label, other properties")
    proc = run_varwheel("index", "--check", dist)
    assert proc.returncode == 2
    assert all(n in proc.stderr for n in names)


def test_an_impossible_output_folder_is_one_line_and_exit_2(family, tmp_path, run_varwheel):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = run_varwheel("index", family, "-o", blocker / "sub")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("varwheel: error: cannot write index files into")


def test_a_folder_with_a_pep440_and_a_non_pep440_version_is_no_crash(tmp_path, run_varwheel):
    """``demo-1.0`` beside ``demo-abc``: versions that do not compare were sorted against each other (TypeError)."""
    folder = tmp_path / "wheels"
    make_wheel(folder, "demo", "1.0")
    make_wheel(folder, "demo", "abc")
    proc = run_varwheel("index", folder)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert not list(folder.glob("*-variants.json"))
