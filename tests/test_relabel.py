"""``varwheel relabel``: deferred-label wheels get the label their variant.json holds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fixtures.wheel_factory import make_wheel
from tests.helpers_index import X86_PROJECT, handmade_variant, variant_json
from tests.helpers_pipeline import add_member, files_with_content
from varwheel.wheel.make import make_variant
from varwheel.model.pyproject import parse_variant_table
from varwheel.model.request import resolve_variant
from varwheel.wheel.archive import WheelArchive


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def deferred(tmp_path: Path, label: str = "v3", props=("x86_64 :: level :: v3",), *, name="mypkg",
             outdir: Path = None) -> Path:
    """A deferred-label wheel as the backend writes it with -Cvariant-defer-label=true."""
    src = make_wheel(tmp_path / "src", name, "1.0", tag="py3-none-manylinux_2_17_x86_64")
    request = resolve_variant(list(props), label=label, null=not props,
                              project=parse_variant_table(X86_PROJECT, source="test"))
    return make_variant(src, outdir or tmp_path / "dist", request, defer_label=True)


def test_relabels_in_place_keeping_the_bytes(tmp_path, run_varwheel):
    wheel = deferred(tmp_path)
    assert wheel.name == "mypkg-1.0-py3-none-manylinux_2_17_x86_64.whl"
    before = sha(wheel)
    proc = run_varwheel("relabel", wheel, check=True)
    target = wheel.parent / "mypkg-1.0-py3-none-manylinux_2_17_x86_64-v3.whl"
    assert proc.stdout.splitlines() == [str(target)]
    assert not wheel.exists()
    assert sha(target) == before  # a rename: RECORD and signatures stay valid
    with WheelArchive(target) as archive:
        assert archive.variant()[0] == "v3"
        assert archive.record_problems() == []


def test_relabels_into_an_output_folder_leaving_the_input(tmp_path, run_varwheel):
    wheel = deferred(tmp_path)
    before = sha(wheel)
    out = tmp_path / "out" / "nested"
    proc = run_varwheel("relabel", wheel, "-o", out, check=True)
    target = out / "mypkg-1.0-py3-none-manylinux_2_17_x86_64-v3.whl"
    assert proc.stdout.split() == [str(target)]
    assert sha(wheel) == before and sha(target) == before
    assert sorted(p.name for p in out.iterdir()) == [target.name]


def test_a_folder_is_relabelled_plain_wheels_skipped_and_a_second_run_changes_nothing(tmp_path, run_varwheel):
    dist = tmp_path / "dist"
    deferred(tmp_path, "v3", ("x86_64 :: level :: v3",), outdir=dist)
    deferred(tmp_path, "null", (), name="other", outdir=dist)
    plain = make_wheel(dist, "plainpkg", "2.0")
    proc = run_varwheel("relabel", dist, check=True)
    assert sorted(Path(p).name for p in proc.stdout.split()) == [
        "mypkg-1.0-py3-none-manylinux_2_17_x86_64-v3.whl",
        "other-1.0-py3-none-manylinux_2_17_x86_64-null.whl",
    ]
    assert "plainpkg-2.0-py3-none-any.whl: plain wheel" in proc.stderr
    state = files_with_content(dist)
    assert sorted(state) == sorted([
        "mypkg-1.0-py3-none-manylinux_2_17_x86_64-v3.whl",
        "other-1.0-py3-none-manylinux_2_17_x86_64-null.whl",
        plain.name,
    ])
    again = run_varwheel("relabel", dist, check=True)  # idempotent
    assert sorted(again.stdout.split()) == sorted(proc.stdout.split())
    assert files_with_content(dist) == state


def test_an_already_labelled_wheel_is_left_alone(tmp_path, run_varwheel):
    wheel = deferred(tmp_path)
    labelled = Path(run_varwheel("relabel", wheel, check=True).stdout.strip())
    before = labelled.stat().st_mtime_ns, sha(labelled)
    proc = run_varwheel("relabel", labelled, check=True)
    assert proc.stdout.strip() == str(labelled)
    assert (labelled.stat().st_mtime_ns, sha(labelled)) == before


def test_a_label_that_disagrees_with_variant_json_is_an_error(tmp_path, run_varwheel):
    wheel = handmade_variant(tmp_path / "d", "v4", variant_json("v3", {"x86_64": {"level": ["v3"]}}))
    before = files_with_content(tmp_path / "d")
    proc = run_varwheel("relabel", wheel)
    assert proc.returncode == 2
    assert "'v4'" in proc.stderr and "'v3'" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert files_with_content(tmp_path / "d") == before


def test_a_plain_wheel_named_explicitly_is_an_error(tmp_path, run_varwheel):
    wheel = make_wheel(tmp_path / "d", "mypkg", "1.0")
    proc = run_varwheel("relabel", wheel)
    assert proc.returncode == 2 and "no mypkg-1.0.dist-info/variant.json" in proc.stderr
    assert "make-variant" in proc.stderr


def test_variant_json_missing_from_record_is_refused(tmp_path, run_varwheel):
    """A variant.json zipped in afterwards: uv would install a wheel whose RECORD lies."""
    wheel = make_wheel(tmp_path / "d", "mypkg", "1.0")
    add_member(wheel, "mypkg-1.0.dist-info/variant.json", variant_json("v3", {"x86_64": {"level": ["v3"]}}).encode())
    before = files_with_content(tmp_path / "d")
    proc = run_varwheel("relabel", wheel)
    assert proc.returncode == 2 and "not listed in RECORD" in proc.stderr
    assert files_with_content(tmp_path / "d") == before


def test_an_existing_different_labelled_file_needs_force(tmp_path, run_varwheel):
    wheel = deferred(tmp_path)
    target = wheel.parent / "mypkg-1.0-py3-none-manylinux_2_17_x86_64-v3.whl"
    target.write_bytes(b"something else")
    proc = run_varwheel("relabel", wheel)
    assert proc.returncode == 2 and "--force" in proc.stderr
    assert wheel.exists() and target.read_bytes() == b"something else"
    before = sha(wheel)
    run_varwheel("relabel", "--force", wheel, check=True)
    assert not wheel.exists() and sha(target) == before


def test_an_identical_labelled_twin_replaces_the_plain_file(tmp_path, run_varwheel):
    wheel = deferred(tmp_path)
    target = wheel.parent / "mypkg-1.0-py3-none-manylinux_2_17_x86_64-v3.whl"
    target.write_bytes(wheel.read_bytes())
    run_varwheel("relabel", wheel, check=True)
    assert not wheel.exists() and target.exists()


def test_all_or_nothing_when_a_later_wheel_is_bad(tmp_path, run_varwheel):
    good = deferred(tmp_path)
    bad = handmade_variant(tmp_path / "bad", "v4", variant_json("v3", {"x86_64": {"level": ["v3"]}}))
    proc = run_varwheel("relabel", good, bad)
    assert proc.returncode == 2
    assert good.exists(), "the good wheel was renamed although the command failed"
    assert sorted(p.name for p in good.parent.iterdir()) == [good.name]


def test_two_inputs_with_one_destination_are_refused(tmp_path, run_varwheel):
    a = deferred(tmp_path, outdir=tmp_path / "a")
    b = deferred(tmp_path, outdir=tmp_path / "b")
    out = tmp_path / "out"
    proc = run_varwheel("relabel", a, b, "-o", out)
    assert proc.returncode == 2 and "would both become" in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["does-not-exist.whl"], "no such file or directory"),
    (["not-a-wheel.txt"], "must end with '.whl'"),
])
def test_bad_paths_are_usage_errors(tmp_path, run_varwheel, args, message):
    (tmp_path / "not-a-wheel.txt").write_text("hello")
    proc = run_varwheel("relabel", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_an_empty_folder_is_a_usage_error(tmp_path, run_varwheel):
    (tmp_path / "empty").mkdir()
    proc = run_varwheel("relabel", tmp_path / "empty")
    assert proc.returncode == 2 and "holds no .whl files" in proc.stderr


def test_the_same_wheel_named_twice_is_relabelled_once(tmp_path, run_varwheel, wheel_factory):
    from varwheel.wheel.make import make_variant
    from varwheel.model.request import resolve_variant

    plain = wheel_factory("demo", "1.0")
    folder = tmp_path / "deferred"
    deferred = make_variant(plain, folder, resolve_variant(["x86_64::level::v3"]), defer_label=True)
    proc = run_varwheel("relabel", folder, deferred)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["demo-1.0-py3-none-any-fa7c1393.whl"]
