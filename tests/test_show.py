"""``varwheel show``: what a wheel (or an index file) says about its variant."""

from __future__ import annotations

import json
import zipfile

import pytest

from fixtures.wheel_factory import make_wheel
from tests.helpers_index import X86_PROVIDER, handmade_variant, make_variants, variant_json
from varwheel.model.document import SCHEMA_PEP825, SCHEMA_PROVIDERS

BLAS_PROJECT = {
    "default-priorities": {"namespace": ["x86_64", "blas_lapack"]},
    "providers": {
        "x86_64": X86_PROVIDER,
        "blas_lapack": {"static-properties": {"library": ["mkl", "openblas"]}},
    },
}


@pytest.fixture
def src(tmp_path):
    return make_wheel(tmp_path / "src", "mypkg", "1.0")


def test_show_labelled_wheel_text(src, tmp_path, run_varwheel):
    wheel = make_variants(
        src, tmp_path / "dist",
        {"v4mkl": ["x86_64 :: level :: v4", "blas_lapack :: library :: mkl"]},
        project=BLAS_PROJECT,
    )["v4mkl"]
    proc = run_varwheel("show", wheel, check=True)
    lines = proc.stdout.splitlines()
    assert lines[0] == "mypkg-1.0-py3-none-any-v4mkl.whl"
    assert "  label:       v4mkl" in lines
    # Canonical order: blas_lapack sorts before x86_64.
    i = lines.index("  properties:  blas_lapack :: library :: mkl")
    assert lines[i + 1] == "               x86_64 :: level :: v4"
    assert f"  format:      providers ({SCHEMA_PROVIDERS})" in lines
    assert lines[lines.index("  providers:   (in priority order)") + 1 :] == [
        "    x86_64: requires x86-64-variant-provider",
        "    blas_lapack: static-properties library = [mkl, openblas]",
    ]
    assert any(l.startswith("  priorities:  x86_64, blas_lapack") for l in lines)


def test_show_json_is_the_wheel_variant_json_plus_a_summary(src, tmp_path, run_varwheel):
    wheel = make_variants(src, tmp_path / "dist", {"v3": ["x86_64 :: level :: v3"]})["v3"]
    data = json.loads(run_varwheel("show", "--json", wheel, check=True).stdout)
    with zipfile.ZipFile(wheel) as zf:
        inner = json.loads(zf.read("mypkg-1.0.dist-info/variant.json"))
    assert data == {
        "wheel": wheel.name,
        "variant": True,
        "label": "v3",
        "label_in_filename": True,
        "properties": ["x86_64 :: level :: v3"],
        "format": "providers",
        "schema": SCHEMA_PROVIDERS,
        "default_priorities": ["x86_64"],
        "providers": {"x86_64": X86_PROVIDER},
        "variant_json": inner,
        "draft": "providers",
        "uv": {
            "outcome": "uses",
            "reasons": [],
            "summary": f"The current providers format ({SCHEMA_PROVIDERS}): uv 0.13.9 reads it and evaluates x86_64.",
        },
    }


def test_show_null_variant(src, tmp_path, run_varwheel):
    wheel = make_variants(src, tmp_path / "dist", {"null": []})["null"]
    proc = run_varwheel("show", wheel, check=True)
    assert "  label:       null" in proc.stdout
    assert "  properties:  none (the null variant" in proc.stdout
    data = json.loads(run_varwheel("show", "--json", wheel, check=True).stdout)
    assert data["label"] == "null" and data["properties"] == []


def test_show_plain_wheel_says_it_is_not_a_variant(src, run_varwheel):
    proc = run_varwheel("show", src)
    assert proc.returncode == 0
    assert proc.stdout.strip() == (
        "mypkg-1.0-py3-none-any.whl: not a variant wheel (no mypkg-1.0.dist-info/variant.json); "
        "installers treat it as a plain wheel"
    )
    data = json.loads(run_varwheel("show", "--json", src, check=True).stdout)
    assert data == {"wheel": src.name, "variant": False, "label": None, "label_in_filename": False}


def test_show_deferred_label_wheel(tmp_path, run_varwheel):
    wheel = handmade_variant(tmp_path, None, variant_json("v3", {"x86_64": {"level": ["v3"]}}))
    assert wheel.name == "mypkg-1.0-py3-none-any.whl"
    proc = run_varwheel("show", wheel, check=True)
    assert "  label:       v3  (not labelled yet: the filename carries no label; " in proc.stdout
    assert "names it mypkg-1.0-py3-none-any-v3.whl" in proc.stdout
    data = json.loads(run_varwheel("show", "--json", wheel, check=True).stdout)
    assert data["label"] == "v3" and data["label_in_filename"] is False and data["variant"] is True


def test_show_pep825_wheel_warns_that_uv_needs_providers(src, tmp_path, run_varwheel):
    wheel = make_variants(src, tmp_path / "dist", {"v3": ["x86_64 :: level :: v3"]}, metadata_format="pep825")["v3"]
    proc = run_varwheel("show", wheel, check=True)
    assert f"  format:      pep825 ({SCHEMA_PEP825})" in proc.stdout
    assert "providers:   none (pep825 format" in proc.stdout


def test_show_index_file(src, tmp_path, run_varwheel):
    dist = tmp_path / "dist"
    make_variants(src, dist, {"v3": ["x86_64 :: level :: v3"], "null": []})
    run_varwheel("index", dist, check=True)
    proc = run_varwheel("show", dist / "mypkg-1.0-variants.json", check=True)
    lines = proc.stdout.splitlines()
    assert lines[:3] == [
        "mypkg-1.0-variants.json: index of 2 variant(s)",
        "  null: (null variant)",
        "  v3: x86_64 :: level :: v3",
    ]
    data = json.loads(run_varwheel("show", "--json", dist / "mypkg-1.0-variants.json", check=True).stdout)
    assert data["variants"] == {"null": [], "v3": ["x86_64 :: level :: v3"]}


@pytest.mark.parametrize(
    "setup, needle",
    [
        ("missing", "no such file"),
        ("not-a-zip", "not a readable zip archive"),
        ("mismatch", "differs from the filename's label 'v3'"),
        ("no-variant-json", "has no mypkg-1.0.dist-info/variant.json"),
        ("bad-name", "not a wheel filename"),
        ("bad-index", "not valid JSON"),
    ],
)
def test_show_bad_input_exits_2_without_traceback(tmp_path, run_varwheel, setup, needle):
    if setup == "missing":
        target = tmp_path / "mypkg-1.0-py3-none-any.whl"
    elif setup == "not-a-zip":
        target = tmp_path / "mypkg-1.0-py3-none-any-v3.whl"
        target.write_bytes(b"nope")
    elif setup == "mismatch":
        target = handmade_variant(tmp_path, "v3", variant_json("v4", {"x86_64": {"level": ["v4"]}}))
    elif setup == "no-variant-json":
        target = handmade_variant(tmp_path, "v3", None)
    elif setup == "bad-name":
        target = tmp_path / "mypkg.zip"
        target.write_bytes(b"")
    else:
        target = tmp_path / "mypkg-1.0-variants.json"
        target.write_text("{")
    before = target.read_bytes() if target.exists() else None
    proc = run_varwheel("show", target)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (target.read_bytes() if target.exists() else None) == before
