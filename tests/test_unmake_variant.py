"""``varwheel unmake-variant``: back to a plain wheel, members copied raw, variantlib as oracle."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from fixtures.wheel_factory import make_wheel
from tests.helpers_core import raw_member
from tests.helpers_index import X86_PYPROJECT, handmade_variant, variant_json
from tests.helpers_pipeline import files_with_content, rewrite_member
from varwheel.wheel.archive import WheelArchive

FILES = {"mypkg/__init__.py": "X = 1\n", "mypkg/data.bin": bytes(range(256)) * 64, "mypkg/a,b.txt": "comma\n"}


def variant_of(tmp_path: Path, run_varwheel, *, label="v3", data_descriptor=False, files=FILES) -> Path:
    src = make_wheel(tmp_path / "src", "mypkg", "1.0", files, tag="py3-none-manylinux_2_17_x86_64",
                     data_descriptor=data_descriptor)
    toml = tmp_path / "pyproject.toml"
    toml.write_text(X86_PYPROJECT)
    out = run_varwheel("make-variant", "-f", src, "-o", tmp_path / "variants", "--pyproject-toml", toml,
                       "-p", "x86_64 :: level :: v3", "--variant-label", label, check=True).stdout.strip()
    return Path(out)


def members(path: Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def test_round_trip_gives_back_the_plain_wheel_with_raw_members(tmp_path, run_varwheel):
    variant = variant_of(tmp_path, run_varwheel, data_descriptor=True)
    out = tmp_path / "plain"
    proc = run_varwheel("unmake-variant", "-f", variant, "-o", out, check=True)
    plain = out / "mypkg-1.0-py3-none-manylinux_2_17_x86_64.whl"
    assert proc.stdout.split() == [str(plain)]
    original = members(tmp_path / "src" / plain.name)
    result = members(plain)
    assert set(result) == set(original)
    for name in original:
        if not name.endswith("RECORD"):
            assert result[name] == original[name], name
            assert raw_member(plain, name) == raw_member(variant, name), f"{name} was recompressed"
    with WheelArchive(plain) as archive:
        assert archive.variant() is None
        assert archive.record_problems() == []
        assert "mypkg-1.0.dist-info/variant.json" not in {r.path for r in archive.record()}


def test_same_members_and_record_rows_as_variantlib_unmake_variant(tmp_path, run_varwheel):
    # variantlib 0.2.2 splits RECORD lines on every comma and crashes on a
    # CSV-quoted name such as "mypkg/a,b.txt" (the round-trip test above has one).
    files = {k: v for k, v in FILES.items() if "," not in k}
    variant = variant_of(tmp_path, run_varwheel, files=files)
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    theirs.mkdir()
    run_varwheel("unmake-variant", "-f", variant, "-o", ours, check=True)
    proc = subprocess.run(["variantlib", "unmake-variant", "-f", str(variant), "-o", str(theirs)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    [a] = ours.iterdir()
    [b] = theirs.iterdir()
    assert a.name == b.name
    with WheelArchive(a) as x, WheelArchive(b) as y:
        assert {m.filename for m in x.members} == {m.filename for m in y.members}
        assert sorted(r.as_list() for r in x.record()) == sorted(r.as_list() for r in y.record())
        assert x.record_problems() == [] and y.record_problems() == []


def test_a_deferred_label_wheel_cannot_be_written_over_itself(tmp_path, run_varwheel):
    variant = variant_of(tmp_path, run_varwheel)
    folder = tmp_path / "deferred"
    folder.mkdir()
    deferred = folder / "mypkg-1.0-py3-none-manylinux_2_17_x86_64.whl"
    deferred.write_bytes(variant.read_bytes())
    before = files_with_content(folder)
    proc = run_varwheel("unmake-variant", "-f", deferred, "-o", folder)
    assert proc.returncode == 2 and "overwrite its input" in proc.stderr
    assert files_with_content(folder) == before
    # Into another folder it works.
    run_varwheel("unmake-variant", "-f", deferred, "-o", tmp_path / "elsewhere", check=True)
    with WheelArchive(tmp_path / "elsewhere" / deferred.name) as archive:
        assert not archive.has_variant_json()


def test_a_plain_wheel_is_an_error(tmp_path, run_varwheel):
    plain = make_wheel(tmp_path / "src", "mypkg", "1.0")
    proc = run_varwheel("unmake-variant", "-f", plain, "-o", tmp_path / "out")
    assert proc.returncode == 2 and "already a plain wheel" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_broken_variant_is_still_made_plain(tmp_path, run_varwheel):
    """Recovery: a label without variant.json, or one that disagrees, still unmakes."""
    no_json = handmade_variant(tmp_path / "a", "v3", None)
    mismatch = handmade_variant(tmp_path / "b", "v4", variant_json("v3", {"x86_64": {"level": ["v3"]}}))
    for wheel, out in ((no_json, tmp_path / "o1"), (mismatch, tmp_path / "o2")):
        run_varwheel("unmake-variant", "-f", wheel, "-o", out, check=True)
        with WheelArchive(out / "mypkg-1.0-py3-none-any.whl") as archive:
            assert not archive.has_variant_json() and archive.record_problems() == []


def test_all_or_nothing_with_several_inputs(tmp_path, run_varwheel):
    good = variant_of(tmp_path, run_varwheel)
    plain = make_wheel(tmp_path / "other", "other", "1.0")
    out = tmp_path / "out" / "deep"
    proc = run_varwheel("unmake-variant", "-f", good, "-f", plain, "-o", out)
    assert proc.returncode == 2
    assert not (tmp_path / "out").exists()


def test_verify_refuses_a_tampered_wheel_and_writes_nothing(tmp_path, run_varwheel):
    variant = variant_of(tmp_path, run_varwheel)
    rewrite_member(variant, "mypkg/__init__.py", b"X = 2\n")
    out = tmp_path / "out"
    proc = run_varwheel("unmake-variant", "--verify", "-f", variant, "-o", out)
    assert proc.returncode == 2 and "sha256 differs" in proc.stderr
    assert not out.exists()


def test_an_existing_different_output_needs_force(tmp_path, run_varwheel):
    variant = variant_of(tmp_path, run_varwheel)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "mypkg-1.0-py3-none-manylinux_2_17_x86_64.whl"
    target.write_bytes(b"old")
    proc = run_varwheel("unmake-variant", "-f", variant, "-o", out)
    assert proc.returncode == 2 and "--force" in proc.stderr and target.read_bytes() == b"old"
    run_varwheel("unmake-variant", "--force", "-f", variant, "-o", out, check=True)
    with WheelArchive(target) as archive:
        assert archive.record_problems() == []
    # Running again is a no-op: identical output is kept as it is.
    mtime = target.stat().st_mtime_ns
    run_varwheel("unmake-variant", "-f", variant, "-o", out, check=True)
    assert target.stat().st_mtime_ns == mtime


def test_missing_input_is_a_usage_error(tmp_path, run_varwheel):
    proc = run_varwheel("unmake-variant", "-f", tmp_path / "nope-1.0-py3-none-any.whl", "-o", tmp_path / "o")
    assert proc.returncode == 2 and "no such file" in proc.stderr and not (tmp_path / "o").exists()
