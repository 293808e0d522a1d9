"""``varwheel select``: ranking (spec section 7), --explain, --assume/--no-detect, tags, bad input."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from fixtures.wheel_factory import make_wheel
from tests.conftest import ROOT
from tests.helpers_select import (
    FORCE_DRIVER,
    FORCE_SM,
    GOOD_TAGS,
    NVIDIA,
    X86,
    Family,
    ReleaseSpec,
    Wheel,
    build_family,
    clean_env,
)
from varwheel.model.properties import VariantDescription
from varwheel.machine.providers import FeatureSupport, NamespaceSupport
from varwheel.machine.select import evaluate, parse_assumptions, rank_labels, select, variant_sort_key

VECTORS = json.loads((ROOT / "tests" / "data" / "vectors.json").read_text())
X86_PROJECT = {"default-priorities": {"namespace": ["x86_64"]}, "providers": {"x86_64": X86}}
NO_GPU = {FORCE_DRIVER: "", FORCE_SM: ""}


def _family(tmp_path: Path, wheels, project=X86_PROJECT, index=True, name="fam", **kw) -> Path:
    fam = Family(name, project, [ReleaseSpec("1.0", wheels, index=index)], **kw)
    return build_family(fam, tmp_path / name)


# -- the ordering vector -------------------------------------------------------------------
def test_ordering_example_in_process():
    ex = VECTORS["ordering_example"]
    support = {ns: NamespaceSupport(ns, [FeatureSupport(f, tuple(ex["supported"][ns][f])) for f in ex["feature_order"][ns]])
               for ns in ex["supported"]}
    variants = {label: VariantDescription.parse(props) for label, props in ex["variants"].items()}
    good, bad = rank_labels(variants, ex["namespace_order"], support)
    assert good == ex["expected_order"]
    assert bad == sorted(ex["expected_incompatible"])


def test_ordering_example_through_wheels_and_the_cli(tmp_path, run_varwheel):
    """Same vector, as wheels + index file, with the machine stated by --assume --no-detect."""
    ex = VECTORS["ordering_example"]
    project = {"default-priorities": {"namespace": ex["namespace_order"]}, "providers": {"nvidia": NVIDIA, "x86_64": X86}}
    directory = _family(tmp_path, [Wheel(label, props) for label, props in ex["variants"].items()], project)
    assume = []
    for ns in ex["namespace_order"]:
        for feature in ex["feature_order"][ns]:
            values = ex["supported"][ns][feature]
            if ns == "x86_64" and feature == "level":
                values = values[:1]  # "x86_64 :: level :: v3" means a v3 machine: v3, v2, v1
            assume += [f"{ns} :: {feature} :: {v}" for v in values]
    proc = run_varwheel("select", "pkg", "-f", directory, "--no-detect", "--json", "--assume", *assume)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    cands = data["releases"][0]["candidates"]
    ranked = sorted((c for c in cands if c["state"] == "compatible"), key=lambda c: c["rank"])
    assert [c["label"] for c in ranked] == ex["expected_order"]
    assert sorted(c["label"] for c in cands if c["state"] == "incompatible") == sorted(ex["expected_incompatible"])
    assert data["selected_label"] == ex["expected_order"][0]
    explain = run_varwheel("select", "pkg", "-f", directory, "--no-detect", "--explain", "--assume", *assume)
    text = explain.stdout
    assert "1. pkg-1.0-py3-none-any-cu128.whl [cu128] key (0,0,0) (0,1,0)" in text
    assert "cu130] incompatible: nvidia :: cuda_version_lower_bound :: 13.0 (supported: 12.8, 12.6, 12)" in text
    assert "v4] incompatible: x86_64 :: level :: v4 (supported: v3, v2, v1)" in text
    assert text.rstrip().endswith("selected: " + str(directory / "pkg-1.0-py3-none-any-cu128.whl"))


def test_prefix_rule_and_label_tiebreak():
    support = {"x86_64": NamespaceSupport("x86_64", [FeatureSupport("level", ("v4", "v3", "v2", "v1"))]),
               "blas": NamespaceSupport("blas", [FeatureSupport("lib", ("mkl", "openblas"))])}
    variants = {
        "zz": VariantDescription.parse(["x86_64 :: level :: v3"]),
        "bb": VariantDescription.parse(["x86_64 :: level :: v3"]),
        "longer": VariantDescription.parse(["x86_64 :: level :: v3", "blas :: lib :: openblas"]),
        "multi": VariantDescription.parse(["x86_64 :: level :: v1", "x86_64 :: level :: v4"]),
        "null": VariantDescription(),
    }
    good, bad = rank_labels(variants, ["x86_64", "blas"], support)
    assert good == ["multi", "longer", "bb", "zz", "null"] and bad == []
    ev = evaluate(variants["longer"], ["x86_64", "blas"], support)
    assert ev.key == ((0, 0, 1), (1, 0, 1))
    assert variant_sort_key(ev.key, "x") < variant_sort_key(ev.key[:1], "a")  # a prefix loses


def test_assumptions_expand_levels_and_keep_order():
    got = parse_assumptions(["x86_64 :: level :: v2", "nvidia :: sm_arch :: 90_real", "nvidia :: sm_arch :: 80_real",
                             "aarch64::version::8.2a"])
    assert got["x86_64"].values("level") == ("v2", "v1")
    assert got["nvidia"].values("sm_arch") == ("90_real", "80_real")
    assert got["aarch64"].values("version") == ("8.2a", "8.1a", "8a")


# -- choices on this machine ----------------------------------------------------------------------
def test_null_after_variants_and_plain_last(tmp_path, run_varwheel):
    d = _family(tmp_path, [Wheel("arm", ["aarch64 :: version :: 8a"]), Wheel("null"), Wheel(None)],
                {"default-priorities": {"namespace": ["aarch64"]}, "providers": {"aarch64": {"requires": ["aarch64-variant-provider"]}}})
    proc = run_varwheel("select", "pkg", "-f", d, "--no-detect")
    assert proc.stdout.strip().endswith("pkg-1.0-py3-none-any-null.whl")
    (d / "pkg-1.0-py3-none-any-null.whl").unlink()
    proc = run_varwheel("select", "pkg", "-f", d, "--no-detect")
    assert proc.stdout.strip().endswith("pkg-1.0-py3-none-any.whl")
    proc = run_varwheel("select", "pkg", "-f", d, "--no-detect", "--assume", "aarch64 :: version :: 8.1a")
    assert proc.stdout.strip().endswith("pkg-1.0-py3-none-any-arm.whl")


def test_tags_come_first_then_variants_then_tag_order(tmp_path):
    wheels = [Wheel("v1", ["x86_64 :: level :: v1"], GOOD_TAGS[0]), Wheel("v1", ["x86_64 :: level :: v1"], "py3-none-any"),
              Wheel("v2", ["x86_64 :: level :: v2"], "py2-none-any")]
    d = _family(tmp_path, wheels)
    sel = select("pkg", [d], assume=["x86_64 :: level :: v4"], detect=False)
    assert sel.chosen.name == f"pkg-1.0-{GOOD_TAGS[0]}-v1.whl"
    bad = [c for c in sel.releases[0].candidates if c.label == "v2"][0]
    assert bad.state == "incompatible" and "do not fit the target interpreter" in bad.reasons[0]


def test_newest_version_with_a_fitting_wheel_wins(tmp_path):
    project = {"default-priorities": {"namespace": ["x86_64", "aarch64"]},
               "providers": {"x86_64": X86, "aarch64": {"requires": ["aarch64-variant-provider"]}}}
    fam = Family("versions", project, [ReleaseSpec("1.0", [Wheel("v1", ["x86_64 :: level :: v1"])]),
                                       ReleaseSpec("2.0", [Wheel("arm", ["aarch64 :: version :: 8a"])])])
    d = build_family(fam, tmp_path / "v")
    sel = select("pkg", [d], assume=["x86_64 :: level :: v1"], detect=False, all_releases=True)
    assert sel.chosen.name == "pkg-1.0-py3-none-any-v1.whl"
    assert [r.version for r in sel.releases] == ["2.0", "1.0"]
    assert select("pkg==2.0", [d], assume=["x86_64 :: level :: v1"], detect=False).chosen is None
    assert select("pkg>=1", [d], assume=["aarch64 :: version :: 8a"], detect=False).chosen.name.endswith("-arm.whl")


def test_nvidia_choice_follows_forced_values(tmp_path, run_varwheel):
    """ORACLES.md's example: cu126 (>=12.6, sm 80/90) and cu129 (>=12.9, sm 90/120)."""
    project = {"default-priorities": {"namespace": ["nvidia"]}, "providers": {"nvidia": NVIDIA}}
    d = _family(tmp_path, [
        Wheel("cu126", ["nvidia :: cuda_version_lower_bound :: 12.6", "nvidia :: sm_arch :: 80_real", "nvidia :: sm_arch :: 90_real"]),
        Wheel("cu129", ["nvidia :: cuda_version_lower_bound :: 12.9", "nvidia :: sm_arch :: 90_real", "nvidia :: sm_arch :: 120_real"]),
        Wheel("null")], project)
    for driver, cap, label in [("12.8", "9.0", "cu126"), ("12.9", "9.0", "cu129"), ("13.0", "12.0", "cu129"),
                               ("12.5", "9.0", "null"), ("", "", "null")]:
        proc = run_varwheel("select", "pkg", "-f", d, env=clean_env({FORCE_DRIVER: driver, FORCE_SM: cap}))
        assert proc.stdout.strip().endswith(f"-{label}.whl"), (driver, cap, proc.stdout, proc.stderr)


def test_static_properties_come_from_the_metadata(tmp_path):
    project = {"default-priorities": {"namespace": ["x86_64", "blas"]},
               "providers": {"x86_64": X86, "blas": {"static-properties": {"library": ["mkl", "openblas"]}}}}
    d = _family(tmp_path, [Wheel("v2", ["x86_64 :: level :: v2"]), Wheel("v3", ["x86_64 :: level :: v3"]),
                           Wheel("v3mkl", ["x86_64 :: level :: v3", "blas :: library :: mkl"]),
                           Wheel("v3ob", ["x86_64 :: level :: v3", "blas :: library :: openblas"])], project)
    sel = select("pkg", [d], detect=False, assume=["x86_64 :: level :: v3"])  # no detection: static still counts
    assert sel.chosen.label == "v3mkl"
    assert sel.releases[0].providers["blas"] == "static-properties"


def test_without_index_default_uses_variant_json_and_require_index_acts_like_uv(tmp_path, run_varwheel):
    d = _family(tmp_path, [Wheel("v1", ["x86_64 :: level :: v1"]), Wheel(None)], index=False)
    proc = run_varwheel("select", "pkg", "-f", d)
    assert proc.stdout.strip().endswith("-v1.whl")
    assert "uv 0.13.9 ignores variant wheels without that file" in proc.stderr
    proc = run_varwheel("select", "pkg", "-f", d, "--require-index")
    assert proc.stdout.strip().endswith("pkg-1.0-py3-none-any.whl")


# -- bad input ----------------------------------------------------------------------------------
def _index(d: Path) -> Path:
    return d / "pkg-1.0-variants.json"


def test_unreadable_index_makes_the_whole_version_unusable(tmp_path, run_varwheel):
    """uv 0.13.9 cannot use a version whose index it cannot parse, plain wheel included
    (tests/data/uv_scenarios.json: wheel_variants.invalid_variant_metadata*); an older version still counts."""
    fam = Family("bad", X86_PROJECT, [ReleaseSpec("1.0", [Wheel("v1", ["x86_64 :: level :: v1"]), Wheel(None)]),
                                      ReleaseSpec("2.0", [Wheel("v1", ["x86_64 :: level :: v1"]), Wheel(None)])])
    d = build_family(fam, tmp_path / "bad")
    (d / "pkg-2.0-variants.json").write_text('{"$schema": ')
    proc = run_varwheel("select", "pkg", "-f", d, "--explain")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "pkg-2.0-variants.json: not valid JSON" in proc.stderr and "cannot use version 2.0 at all" in proc.stderr
    assert "selected: " + str(d / "pkg-1.0-py3-none-any-v1.whl") in proc.stdout
    proc = run_varwheel("select", "pkg==2.0", "-f", d)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "cannot use version 2.0 at all, plain wheel included" in proc.stderr and "not valid JSON" in proc.stderr


def test_index_that_is_a_directory_is_not_an_index(tmp_path, run_varwheel):
    d = _family(tmp_path, [Wheel("v1", ["x86_64 :: level :: v1"]), Wheel(None)], index=False)
    _index(d).mkdir()
    proc = run_varwheel("select", "pkg", "-f", d, "--require-index")
    assert proc.returncode == 0 and "a directory, not an index file" in proc.stderr
    assert proc.stdout.strip().endswith("pkg-1.0-py3-none-any.whl")  # what uv 0.13.9 picks (measured)


def test_label_missing_from_index_is_never_chosen(tmp_path, run_varwheel):
    fam = Family("drop", X86_PROJECT, [ReleaseSpec("1.0", [Wheel("best", ["x86_64 :: level :: v1"]), Wheel("null")],
                                                   index_edit="drop-label:best")])
    d = build_family(fam, tmp_path / "drop")
    proc = run_varwheel("select", "pkg", "-f", d, "--explain")
    assert "selected: " + str(d / "pkg-1.0-py3-none-any-null.whl") in proc.stdout
    assert "[best] ignored: label 'best' is not listed in pkg-1.0-variants.json (uv ignores it)" in proc.stdout


def test_index_contradicting_the_wheel_follows_uv(tmp_path, run_varwheel):
    """uv ranks by the index and reads the chosen wheel's own variant.json only for its label and whether
    this machine supports it (tests/data/uv_scenarios.json: derived.index-and-wheel-disagree-*)."""
    d = _family(tmp_path, [Wheel("v1", ["x86_64 :: level :: v1"]), Wheel("null")])
    data = json.loads(_index(d).read_text())
    data["variants"]["v1"] = {"x86_64": {"level": ["v4"]}}
    _index(d).write_text(json.dumps(data))
    sel = select("pkg", [d], assume=["x86_64 :: level :: v1"], detect=False)
    assert sel.chosen.label == "null"  # the index says v4: not on a v1 machine
    sel = select("pkg", [d], assume=["x86_64 :: level :: v4"], detect=False)
    assert sel.chosen.label == "v1"  # the index says v4, the wheel v1: this machine has both
    assert any("installs it on the index's word" in w for w in sel.warnings)
    data["variants"]["v1"] = {"x86_64": {"level": ["v1"]}}
    _index(d).write_text(json.dumps(data))
    with zipfile.ZipFile(d / "pkg-1.0-py3-none-any-v1.whl") as zf:
        own = json.loads(zf.read("pkg-1.0.dist-info/variant.json"))
    own["variants"]["v1"] = {"x86_64": {"level": ["v4"]}}
    _rewrite_member(d / "pkg-1.0-py3-none-any-v1.whl", "pkg-1.0.dist-info/variant.json", json.dumps(own).encode())
    sel = select("pkg", [d], assume=["x86_64 :: level :: v1"], detect=False)
    assert sel.chosen is None  # chosen by the index (v1), its own file asks for v4: uv's install fails
    assert "fails to install it" in (sel.releases[0].install_fails or "")
    proc = run_varwheel("select", "pkg", "-f", d, "--no-detect", "--assume", "x86_64 :: level :: v1")
    assert proc.returncode == 1 and "fails to install it" in proc.stderr


def _rewrite_member(path: Path, name: str, data: bytes) -> None:
    """Replace one member (RECORD left as it was: uv does not check it, and neither does select)."""
    members = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            members[info.filename] = data if info.filename == name else zf.read(info)
    with zipfile.ZipFile(path, "w") as zf:
        for member, content in members.items():
            zf.writestr(member, content)


def test_labelled_wheel_without_variant_json_is_ignored(tmp_path):
    d = _family(tmp_path, [Wheel("null")], index=False)
    make_wheel(d, "pkg", "1.0", label="fake")
    sel = select("pkg", [d], detect=False)
    fake = [c for c in sel.releases[0].candidates if c.label == "fake"][0]
    assert fake.state == "ignored" and "no" in fake.reasons[0] and "variant.json" in fake.reasons[0]
    assert sel.chosen.label == "null"


def test_conflicting_index_files_are_an_error(tmp_path, run_varwheel):
    a = _family(tmp_path, [Wheel("v", ["x86_64 :: level :: v1"])], name="a")
    b = _family(tmp_path, [Wheel("v", ["x86_64 :: level :: v2"])], name="b")
    before = _index(a).read_bytes()
    proc = run_varwheel("select", "pkg", "-f", a, "-f", b)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "conflicting index files" in proc.stderr and str(_index(a)) in proc.stderr and str(_index(b)) in proc.stderr
    assert _index(a).read_bytes() == before  # input untouched


def test_agreeing_index_files_in_two_folders_merge(tmp_path):
    a = _family(tmp_path, [Wheel("v1", ["x86_64 :: level :: v1"])], name="a")
    b = _family(tmp_path, [Wheel("v2", ["x86_64 :: level :: v2"])], name="b")
    sel = select("pkg", [a, b], assume=["x86_64 :: level :: v4"], detect=False)
    assert sel.chosen.path == b / "pkg-1.0-py3-none-any-v2.whl"


def test_unknown_namespaces_make_variants_incompatible(tmp_path, run_varwheel):
    project = {"default-priorities": {"namespace": ["tuner", "x86_64"]},
               "providers": {"x86_64": X86, "tuner": {"requires": ["tuner-provider>=1"], "plugin-api": "tuner:Plugin"}}}
    d = _family(tmp_path, [Wheel("t", ["tuner :: mode :: fast"]), Wheel("v1", ["x86_64 :: level :: v1"])], project)
    proc = run_varwheel("select", "pkg", "-f", d, "--explain")
    assert proc.returncode == 0
    assert "[t] incompatible: tuner :: mode :: fast (namespace 'tuner' unsupported: 'tuner-provider' is a plugin" in proc.stdout
    assert proc.stdout.rstrip().endswith("-v1.whl")
    # The user may state what the plugin would have said.
    proc = run_varwheel("select", "pkg", "-f", d, "--assume", "tuner :: mode :: fast")
    assert proc.stdout.strip().endswith("-t.whl")


def test_pep825_metadata_only_null_is_installable(tmp_path):
    d = _family(tmp_path, [Wheel("v1", ["x86_64 :: level :: v1"]), Wheel("null")], metadata_format="pep825")
    sel = select("pkg", [d])  # detection on: this machine is x86-64, still only null fits
    assert sel.chosen.label == "null"
    assert "pep825" in sel.releases[0].unsupported["x86_64"]
    # What the user states explicitly still counts.
    assert select("pkg", [d], assume=["x86_64 :: level :: v1"]).chosen.label == "v1"


@pytest.mark.parametrize("args,message", [
    (["pkg", "-f", "/nonexistent/dir"], "no such directory"),
    (["pkg ==", "-f", "."], "is invalid"),
    (["pkg", "-f", ".", "--assume", "X86_64 :: level :: v3"], "namespace 'X86_64' is invalid"),
    (["pkg", "-f", ".", "--python", "/nonexistent/python"], "cannot run it"),
])
def test_bad_command_line_input(run_varwheel, args, message):
    proc = run_varwheel("select", *args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") <= 2


def test_nothing_in_the_folder(tmp_path, run_varwheel):
    proc = run_varwheel("select", "pkg", "-f", tmp_path)
    assert proc.returncode == 1 and "no wheel of pkg in the --find-links folders" in proc.stderr


def test_target_python_without_packaging_or_pip(tmp_path, uv_bin, run_varwheel):
    import subprocess
    import sys

    venv = tmp_path / "bare"
    subprocess.run([uv_bin, "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=clean_env())
    proc = run_varwheel("select", "pkg", "-f", tmp_path, "--python", venv / "bin" / "python")
    assert proc.returncode == 2 and "needs packaging or pip" in proc.stderr


def test_json_output(tmp_path, run_varwheel):
    d = _family(tmp_path, [Wheel("v1", ["x86_64 :: level :: v1"])])
    proc = run_varwheel("select", "pkg", "-f", d, "--json", "--no-detect", "--assume", "x86_64::level::v2")
    data = json.loads(proc.stdout)
    assert data["selected_file"] == "pkg-1.0-py3-none-any-v1.whl" and data["selected_version"] == "1.0"
    release = data["releases"][0]
    assert release["supported"]["x86_64"]["features"] == {"level": ["v2", "v1"]}
    assert release["candidates"][0]["key"] == [[0, 0, 1]]
    assert release["candidates"][0]["key_properties"] == ["x86_64 :: level :: v1"]


def test_a_folder_or_dangling_link_named_like_a_wheel_is_not_a_candidate(tmp_path, run_varwheel, wheel_factory):
    dist = tmp_path / "dist"
    real = wheel_factory("demo", "1.0", directory=dist)
    (dist / "demo-2.0-py3-none-any.whl").mkdir()  # a folder, not a wheel
    (dist / "demo-3.0-py3-none-any.whl").symlink_to(tmp_path / "missing.whl")  # dangling link
    proc = run_varwheel("select", "demo", "--find-links", dist, "--no-detect")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith(real.name)


def test_a_python_option_that_is_not_python_is_bad_input(tmp_path, run_varwheel, wheel_factory):
    dist = tmp_path / "dist"
    wheel_factory("demo", "1.0", directory=dist)
    for command in ("select", "install"):
        proc = run_varwheel(command, "demo", "--find-links", dist, "--python", "/bin/echo", "--no-detect")
        assert proc.returncode == 2, (command, proc.stderr)
        assert "Traceback" not in proc.stderr and "is not a Python interpreter" in proc.stderr


def test_assume_on_a_namespace_uv_cannot_evaluate_counts_with_a_warning(tmp_path, run_varwheel, wheel_factory):
    # pep825 variant.json carries no providers: uv installs only null/plain from it.
    # --assume plans for an installer that could evaluate it, and says uv would not.
    plain = wheel_factory("demo", "1.0", directory=tmp_path / "in")
    dist = tmp_path / "dist"
    run_varwheel("make-variant", "-f", plain, "-o", dist, "-p", "x86_64::level::v3",
                 "--metadata-format", "pep825", check=True)
    run_varwheel("index", dist, check=True)
    proc = run_varwheel("select", "demo", "--find-links", dist, "--no-detect", "--assume", "x86_64::level::v3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("demo-1.0-py3-none-any-fa7c1393.whl")
    assert "uv itself would not pick these variants" in proc.stderr
    without = run_varwheel("select", "demo", "--find-links", dist, "--no-detect")
    assert without.returncode == 1  # only a variant, which nothing but --assume makes installable


def test_explain_says_what_uv_installs_and_what_the_drafts_would_do(tmp_path, run_varwheel):
    """A value outside a static list on one label: uv 0.13.9 keeps the other labels (measured in
    tests/test_uv_differential.py); --explain says so, and what a strict reader would do."""
    project = {"default-priorities": {"namespace": ["blas"]},
               "providers": {"blas": {"static-properties": {"library": ["mkl", "openblas"]}}}}
    fam = Family("lenient", project, [ReleaseSpec("1.0", [Wheel("mkl", ["blas :: library :: mkl"]),
                                                          Wheel("atlas", ["blas :: library :: mkl"]), Wheel(None)])],
                 edits=[("values", "atlas", "blas", "library", ["atlas"])])
    d = build_family(fam, tmp_path / "fam")
    proc = run_varwheel("select", "pkg", "-f", d, "--explain")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "pkg-1.0-py3-none-any-mkl.whl" in out.splitlines()[-1]
    assert "variants.atlas.blas.library: 'atlas' is not among providers.blas.static-properties.library" in out
    assert "uv 0.13.9 installs pkg-1.0-py3-none-any-mkl.whl; a reader that follows PEP 825/850 strictly" in out
    atlas = [line for line in out.splitlines() if "-atlas.whl" in line][0]
    assert "incompatible" in atlas and "blas :: library :: atlas" in atlas
    data = json.loads(run_varwheel("select", "pkg", "-f", d, "--json").stdout)
    assert any("'atlas' is not among" in note for note in data["releases"][0]["notes"])


def test_assumed_ladder_values_outrank_a_detected_floor_and_caveats_survive():
    """Windows: detection says v1 with a caveat; --assume v3 makes it a v3 machine (v3, v2, v1)."""
    from varwheel.machine.select import merge_support

    detected = NamespaceSupport("x86_64", [FeatureSupport("level", ("v1",))], source="cpuid", caveats=("use --assume",))
    assumed = parse_assumptions(["x86_64 :: level :: v3"])["x86_64"]
    merged = merge_support(detected, assumed)
    assert merged.values("level") == ("v3", "v2", "v1")
    assert merged.caveats == ("use --assume",)
    static = merge_support(NamespaceSupport("blas", [FeatureSupport("lib", ("mkl",))]),
                           NamespaceSupport("blas", [FeatureSupport("lib", ("openblas", "mkl"))]))
    assert static.values("lib") == ("mkl", "openblas")  # not a ladder: what was there first stays first


def test_explain_prints_detection_caveats(tmp_path):
    from varwheel.cli.select import explain

    d = _family(tmp_path, [Wheel("v3", ["x86_64 :: level :: v3"])])
    sel = select("pkg", [d], assume=["x86_64 :: level :: v3"], detect=False)
    support = sel.releases[0].support["x86_64"]
    sel.releases[0].support["x86_64"] = NamespaceSupport("x86_64", support.features, caveats=("uv may answer lower",))
    assert "    caveat: uv may answer lower" in explain(sel).splitlines()


# -- choosing by hand: PKG#LABEL and --no-variant --------------------------------------------------
CUDA_PROJECT = {"default-priorities": {"namespace": ["nvidia", "x86_64"]}, "providers": {"nvidia": NVIDIA, "x86_64": X86}}
CU129 = ["nvidia :: cuda_version_lower_bound :: 12.9", "nvidia :: sm_arch :: 90_real"]


def _cuda_family(tmp_path, *, plain=True, null=True, name="fam") -> Path:
    wheels = [Wheel("cu129", CU129), Wheel("v1", ["x86_64 :: level :: v1"])]
    wheels += [Wheel("null")] if null else []
    wheels += [Wheel(None)] if plain else []
    return _family(tmp_path, wheels, CUDA_PROJECT, name=name)


def test_label_chosen_by_hand_on_a_machine_without_the_gpu(tmp_path, run_varwheel):
    """The Docker case: no GPU here (nothing forced), cu129 taken anyway, one warning says what fails."""
    d = _cuda_family(tmp_path)
    env = clean_env(NO_GPU)
    assert run_varwheel("select", "pkg", "-f", d, env=env).stdout.strip().endswith("-v1.whl")
    proc = run_varwheel("select", "pkg#cu129", "-f", d, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(d / "pkg-1.0-py3-none-any-cu129.whl")
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("varwheel: warning:")]
    assert len(warnings) == 1
    assert "variant 'cu129' taken as chosen by hand although this machine does not support" in warnings[0]
    assert "nvidia :: cuda_version_lower_bound :: 12.9; nvidia :: sm_arch :: 90_real" in warnings[0]
    data = json.loads(run_varwheel("select", "pkg==1.0#cu129", "-f", d, "--json", env=env).stdout)
    assert data["choice"] == {"label": "cu129", "no_variant": False}
    assert data["requirement"] == "pkg==1.0#cu129" and data["selected_label"] == "cu129"
    states = {c["label"]: (c["state"], c["rank"]) for c in data["releases"][0]["candidates"]}
    assert states == {"cu129": ("forced", 1), "v1": ("excluded", None), "null": ("excluded", None),
                      None: ("excluded", None)}
    assert any("taken as chosen by hand" in w for w in data["warnings"])
    text = run_varwheel("select", "pkg#cu129", "-f", d, "--explain", env=env).stdout
    assert "chosen by hand: variant 'cu129' (#cu129)" in text
    assert "1. pkg-1.0-py3-none-any-cu129.whl [cu129] forced (chosen by hand) although this machine does not " \
           "support nvidia :: cuda_version_lower_bound :: 12.9" in text
    assert "[v1] excluded: not the variant chosen by hand (#cu129)" in text


def test_label_chosen_by_hand_that_fits_gives_no_warning(tmp_path, run_varwheel):
    d = _family(tmp_path, [Wheel(v, [f"x86_64 :: level :: {v}"]) for v in ("v1", "v2")] + [Wheel("null")])
    proc = run_varwheel("select", "pkg#v1", "-f", d, "--no-detect", "--assume", "x86_64 :: level :: v2")
    assert proc.returncode == 0 and proc.stdout.strip().endswith("-v1.whl")
    assert "warning" not in proc.stderr
    assert run_varwheel("select", "pkg#null", "-f", d, "--no-detect").stdout.strip().endswith("-null.whl")


def test_unknown_label_lists_the_labels_that_exist(tmp_path, run_varwheel):
    fam = Family("vers", X86_PROJECT, [ReleaseSpec("1.0", [Wheel("v1", ["x86_64 :: level :: v1"]), Wheel("null")]),
                                       ReleaseSpec("2.0", [Wheel("v2", ["x86_64 :: level :: v2"]), Wheel(None)])])
    d = build_family(fam, tmp_path / "vers")
    proc = run_varwheel("select", "pkg#cu130", "-f", d)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert "pkg: no wheel has the variant label 'cu130' (the labels that exist: null, v1, v2)" in proc.stderr
    proc = run_varwheel("select", "pkg==2.0#v1", "-f", d)
    assert proc.returncode == 2
    assert "pkg==2.0: no wheel has the variant label 'v1' (the labels that exist: v2); version 1.0 has it" in proc.stderr
    # A label of an older version is taken from that version when the newer one lacks it.
    sel = select("pkg#v1", [d], detect=False)
    assert sel.chosen.path == d / "pkg-1.0-py3-none-any-v1.whl" and sel.chosen.state == "forced"
    assert [r.version for r in sel.releases] == ["2.0", "1.0"]


def test_label_whose_wheel_does_not_fit_the_interpreter_is_not_installable(tmp_path, run_varwheel):
    d = _family(tmp_path, [Wheel("old", ["x86_64 :: level :: v1"], tag="py2-none-any"),
                           Wheel("v1", ["x86_64 :: level :: v1"])])
    proc = run_varwheel("select", "pkg#old", "-f", d)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "variant 'old' exists but no wheel of it can be installed here" in proc.stderr
    assert "pkg-1.0-py2-none-any-old.whl: incompatible: tags py2-none-any do not fit the target interpreter" in proc.stderr


def test_no_variant_takes_the_plain_wheel_else_null(tmp_path, run_varwheel):
    d = _cuda_family(tmp_path)
    env = clean_env({FORCE_DRIVER: "12.9", FORCE_SM: "9.0"})
    assert run_varwheel("select", "pkg", "-f", d, env=env).stdout.strip().endswith("-cu129.whl")
    proc = run_varwheel("select", "pkg", "-f", d, "--no-variant", env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == str(d / "pkg-1.0-py3-none-any.whl")
    data = json.loads(run_varwheel("select", "pkg", "-f", d, "--no-variant", "--json", env=env).stdout)
    assert data["choice"] == {"label": None, "no_variant": True}
    states = {c["label"]: (c["state"], c["rank"]) for c in data["releases"][0]["candidates"]}
    assert states == {None: ("compatible", 1), "null": ("compatible", 2), "cu129": ("excluded", None),
                      "v1": ("excluded", None)}
    nulled = _cuda_family(tmp_path, plain=False, name="noplain")
    proc = run_varwheel("select", "pkg", "-f", nulled, "--no-variant", "--explain", env=env)
    assert proc.stdout.rstrip().endswith("selected: " + str(nulled / "pkg-1.0-py3-none-any-null.whl"))
    assert "[cu129] excluded: --no-variant: only the plain wheel or the null variant" in proc.stdout
    bare = _cuda_family(tmp_path, plain=False, null=False, name="bare")
    proc = run_varwheel("select", "pkg", "-f", bare, "--no-variant", env=env)
    assert proc.returncode == 1 and "no wheel of pkg fits this machine" in proc.stderr


@pytest.mark.parametrize("requirement,message", [
    ("pkg#", "nothing after '#'"),
    ("pkg#CU129", "variant label 'CU129' is invalid: use only lowercase letters, digits, '_' and '.' (did you mean 'cu129'?)"),
    ("pkg @ https://example.invalid/pkg.whl#cu129", "not a URL or marker"),
])
def test_bad_label_requirements(tmp_path, run_varwheel, requirement, message):
    d = _cuda_family(tmp_path)
    proc = run_varwheel("select", requirement, "-f", d)
    assert proc.returncode == 2 and message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    both = run_varwheel("select", "pkg#cu129", "--no-variant", "-f", d)
    assert both.returncode == 2 and "give PKG#cu129 or --no-variant, not both" in both.stderr


def test_label_next_to_a_specifier_and_in_a_shell(tmp_path, run_varwheel):
    """``#`` ends the specifier; spaces around it do not matter once the shell has passed the word on."""
    import subprocess

    d = _cuda_family(tmp_path)
    for text in ("pkg==1.0#v1", "pkg == 1.0 # v1", "pkg[extra]>=1,<2#v1", "PKG#v1"):
        data = json.loads(run_varwheel("select", text, "-f", d, "--no-detect", "--json").stdout)
        assert data["selected_label"] == "v1", text
    # What the shells hand over: bash passes pkg==1.0#v1 as one word, but ' #v1' after a space is a comment.
    out = subprocess.run(["bash", "-c", "printf '%s\\n' pkg==1.0#v1 'pkg>=1.0#v1' pkg==1.0 #v1"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["pkg==1.0#v1", "pkg>=1.0#v1", "pkg==1.0"]
