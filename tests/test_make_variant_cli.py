"""``varwheel make-variant`` and ``varwheel hash`` through the real command line."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.helpers_core import (
    PYPROJECT_SPEC_EXAMPLE,
    assert_kept_verbatim,
    assert_record_consistent,
    files_in,
    rebuild_zip,
    sha256_file,
    structure_cases,
    vectors,
)
from varwheel.model.document import SCHEMA_PEP825, SCHEMA_PROVIDERS

DIST = "demo-1.0.dist-info"
V3 = "x86_64 :: level :: v3"


def assert_bad_input(proc, *fragments):
    """Exit 2, one line on stderr starting 'varwheel: error:', no traceback, nothing on stdout."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    error_lines = [line for line in lines if line.startswith("varwheel: error:")]
    assert len(error_lines) == 1, proc.stderr
    # argparse errors come with a usage line before; ours come alone.
    assert all(line.startswith(("varwheel: error:", "usage:", "  ", "varwheel ")) for line in lines), proc.stderr
    for fragment in fragments:
        assert fragment in error_lines[0], (fragment, error_lines[0])
    return error_lines[0]


def variant_json(path: Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/variant.json")]
        return json.loads(zf.read(name))


def write_pyproject(tmp_path, text=PYPROJECT_SPEC_EXAMPLE) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    return path


# -- success ----------------------------------------------------------------------


def test_properties_give_the_hash_label_and_print_the_path(run_varwheel, wheel_factory, tmp_path):
    src = wheel_factory()
    before = sha256_file(src)
    out = tmp_path / "out"
    proc = run_varwheel("make-variant", "-f", src, "-o", out, "-p", V3)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    expected = out / "demo-1.0-py3-none-any-fa7c1393.whl"
    assert proc.stdout == f"{expected}\n"
    assert files_in(out) == [expected.name]
    assert sha256_file(src) == before
    data = variant_json(expected)
    assert data["$schema"] == SCHEMA_PROVIDERS
    assert data["variants"] == {"fa7c1393": {"x86_64": {"level": ["v3"]}}}
    assert_kept_verbatim(src, expected)
    assert_record_consistent(expected)


def test_property_option_forms(run_varwheel, wheel_factory, tmp_path):
    src = wheel_factory()
    a = run_varwheel("make-variant", "-f", src, "-o", tmp_path / "a", "-p", V3, "-p", "x86_64 :: aes :: on")
    b = run_varwheel("make-variant", "-f", src, "-o", tmp_path / "b", "--property", "x86_64::aes::on", "x86_64::level::v3")
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    assert Path(a.stdout.strip()).name == Path(b.stdout.strip()).name == "demo-1.0-py3-none-any-7e3cb5eb.whl"
    assert Path(a.stdout.strip()).read_bytes() == Path(b.stdout.strip()).read_bytes()


def test_several_wheels_one_variant(run_varwheel, wheel_factory, tmp_path):
    one = wheel_factory("demo", "1.0")
    two = wheel_factory("other", "2.0", tag="cp312-cp312-linux_x86_64")
    out = tmp_path / "out"
    proc = run_varwheel("make-variant", "-f", one, "-f", two, "-o", out, "--variant-label", "v3", "-p", V3)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        str(out / "demo-1.0-py3-none-any-v3.whl"),
        str(out / "other-2.0-cp312-cp312-linux_x86_64-v3.whl"),
    ]
    for line in proc.stdout.splitlines():
        assert variant_json(Path(line))["variants"] == {"v3": {"x86_64": {"level": ["v3"]}}}


def test_long_label_warns_but_succeeds(run_varwheel, wheel_factory, tmp_path):
    proc = run_varwheel("make-variant", "-f", wheel_factory(), "-o", tmp_path, "-p", V3, "--variant-label", "x86_64_level_v3_tuned")
    assert proc.returncode == 0
    assert proc.stdout.strip().endswith("-x86_64_level_v3_tuned.whl")
    assert proc.stderr.startswith("varwheel: warning: variant label 'x86_64_level_v3_tuned' is 21 characters long")


def test_null_variant_and_named_variants_from_pyproject(run_varwheel, wheel_factory, tmp_path):
    src = wheel_factory()
    pyproject = write_pyproject(tmp_path)
    null = run_varwheel("make-variant", "-f", src, "-o", tmp_path / "o", "--null-variant", "--pyproject-toml", pyproject)
    assert null.returncode == 0, null.stderr
    data = variant_json(Path(null.stdout.strip()))
    assert Path(null.stdout.strip()).name == "demo-1.0-py3-none-any-null.whl"
    assert data["variants"] == {"null": {}}
    assert data["default-priorities"]["namespace"] == ["nvidia", "x86_64", "blas_lapack"]
    assert "does not list blas_lapack" in null.stderr  # the spec example's gap, reported as a warning
    named = run_varwheel("make-variant", "-f", src, "-o", tmp_path / "o", "--variant-label", "cu129", "--pyproject-toml", pyproject)
    assert named.returncode == 0, named.stderr
    assert variant_json(Path(named.stdout.strip()))["variants"]["cu129"]["nvidia"]["sm_arch"] == ["120_real", "120_virtual", "90_real"]


def test_pep825_format(run_varwheel, wheel_factory, tmp_path):
    proc = run_varwheel("make-variant", "-f", wheel_factory(), "-o", tmp_path, "-p", "blas_lapack :: library :: mkl",
                        "--metadata-format", "pep825")
    assert proc.returncode == 0, proc.stderr
    data = variant_json(Path(proc.stdout.strip()))
    assert data["$schema"] == SCHEMA_PEP825 and "providers" not in data


def test_re_variant_through_the_cli(run_varwheel, wheel_factory, tmp_path):
    first = run_varwheel("make-variant", "-f", wheel_factory(), "-o", tmp_path / "a", "-p", V3)
    again = run_varwheel("make-variant", "-f", first.stdout.strip(), "-o", tmp_path / "b", "-p", "x86_64 :: level :: v4")
    assert again.returncode == 0, again.stderr
    out = Path(again.stdout.strip())
    assert out.name == "demo-1.0-py3-none-any-cfdbe307.whl"
    assert variant_json(out)["variants"] == {"cfdbe307": {"x86_64": {"level": ["v4"]}}}
    assert_record_consistent(out)


def test_reproducible_through_the_cli(run_varwheel, wheel_factory, tmp_path):
    src = wheel_factory()
    runs = [run_varwheel("make-variant", "-f", src, "-o", tmp_path / d, "-p", V3, env={"SOURCE_DATE_EPOCH": "1700000000"}) for d in "ab"]
    assert [r.returncode for r in runs] == [0, 0]
    assert Path(runs[0].stdout.strip()).read_bytes() == Path(runs[1].stdout.strip()).read_bytes()


def test_verify_accepts_a_good_wheel(run_varwheel, wheel_factory, tmp_path):
    proc = run_varwheel("make-variant", "-f", wheel_factory(), "-o", tmp_path, "-p", V3, "--verify")
    assert proc.returncode == 0, proc.stderr


def test_identical_existing_output_is_fine_and_force_replaces(run_varwheel, wheel_factory, tmp_path):
    src = wheel_factory()
    first = run_varwheel("make-variant", "-f", src, "-o", tmp_path, "-p", V3)
    second = run_varwheel("make-variant", "-f", src, "-o", tmp_path, "-p", V3)
    assert first.returncode == second.returncode == 0 and first.stdout == second.stdout
    out = Path(first.stdout.strip())
    good = out.read_bytes()
    out.write_bytes(b"stale")
    refused = run_varwheel("make-variant", "-f", src, "-o", tmp_path, "-p", V3)
    assert_bad_input(refused, "already exists with different content", "--force")
    assert out.read_bytes() == b"stale"
    forced = run_varwheel("make-variant", "-f", src, "-o", tmp_path, "-p", V3, "--force")
    assert forced.returncode == 0 and out.read_bytes() == good
    assert sorted(files_in(tmp_path)) == sorted([out.name, "wheels", f"wheels/{src.name}"])


# -- bad input: exit 2, one line, nothing written, input untouched ---------------------


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["-p", "X86_64 :: level :: v3"], ["namespace 'X86_64' is invalid", "did you mean 'x86_64'?"]),
        (["-p", "x86_64 :: level"], ["expected 'namespace :: feature :: value'"]),
        (["-p", V3, "-p", "x86_64::level::v3"], ["duplicate property 'x86_64 :: level :: v3'"]),
        (["-p", V3, "--variant-label", "V3"], ["variant label 'V3' is invalid"]),
        (["-p", V3, "--variant-label", "null"], ["reserved for the null variant"]),
        (["-p", "blas_lapack :: library :: mkl"], ["namespace 'blas_lapack' has no provider"]),
        (["--null-variant"], ["needs its family's namespaces"]),
        (["--variant-label", "cu129"], ["needs a [variant.variants.cu129] table"]),
        ([], ["give -p/--property, --null-variant, or --variant-label"]),
        (["-p", V3, "--null-variant"], ["not allowed with argument"]),
        (["-p", V3, "--metadata-format", "json"], ["invalid choice: 'json'"]),
        (["-p", V3, "--pyproject-toml", "missing.toml"], ["missing.toml: no such file"]),
    ],
)
def test_bad_requests(run_varwheel, wheel_factory, tmp_path, args, fragments):
    src = wheel_factory()
    before = sha256_file(src)
    proc = run_varwheel("make-variant", "-f", src, "-o", tmp_path / "out", *args, cwd=tmp_path)
    assert_bad_input(proc, *fragments)
    assert not (tmp_path / "out").exists()
    assert sha256_file(src) == before


def test_pyproject_errors_name_the_key_path(run_varwheel, wheel_factory, tmp_path):
    pyproject = write_pyproject(tmp_path, '[variant.providers.nvidia]\nrequires = "nvidia-variant-provider"\n')
    proc = run_varwheel("make-variant", "-f", wheel_factory(), "-o", tmp_path / "out", "-p", "nvidia :: sm_arch :: 90_real",
                        "--pyproject-toml", pyproject)
    assert_bad_input(proc, f"{pyproject}: variant.providers.nvidia.requires: expected a list of strings")
    pyproject.write_text('[variant.providers.nvidia]\nrequires = ["nvidia-variant-provider >>= 1"]\n')
    proc = run_varwheel("make-variant", "-f", wheel_factory(), "-o", tmp_path / "out", "-p", "nvidia :: sm_arch :: 90_real",
                        "--pyproject-toml", pyproject)
    # packaging's three-line message arrives as one line.
    assert_bad_input(proc, "variant.providers.nvidia.requires: requirement 'nvidia-variant-provider >>= 1' is invalid")
    assert not (tmp_path / "out").exists()


def test_every_structural_problem_is_exit_2(run_varwheel, wheel_factory, tmp_path):
    for what, (path, fragment) in structure_cases(wheel_factory(), tmp_path).items():
        before = sha256_file(path) if path.exists() else None
        out = tmp_path / "out"
        proc = run_varwheel("make-variant", "-f", path, "-o", out, "-p", V3)
        line = assert_bad_input(proc, fragment)
        assert what and line
        assert not out.exists(), what
        assert (sha256_file(path) if path.exists() else None) == before


def test_verify_failure_writes_nothing(run_varwheel, wheel_factory, tmp_path):
    src = wheel_factory(files={"demo/__init__.py": "X = 1\n", "demo/data.txt": "original\n"})
    tampered = rebuild_zip(src, tmp_path / "t" / src.name, replace={"demo/data.txt": b"modified\n"})
    before = sha256_file(tampered)
    proc = run_varwheel("make-variant", "-f", tampered, "-o", tmp_path / "out", "-p", V3, "--verify")
    assert_bad_input(proc, "RECORD verification failed: demo/data.txt: sha256 differs from RECORD")
    assert not (tmp_path / "out").exists()
    assert sha256_file(tampered) == before
    # Without --verify the rewriter trusts RECORD and carries the mismatch on.
    proc = run_varwheel("make-variant", "-f", tampered, "-o", tmp_path / "out", "-p", V3)
    assert proc.returncode == 0


def test_refuses_to_write_over_the_input(run_varwheel, wheel_factory, tmp_path):
    made = run_varwheel("make-variant", "-f", wheel_factory(), "-o", tmp_path / "d", "-p", V3)
    src = Path(made.stdout.strip())
    before = sha256_file(src)
    for extra in ([], ["--force"]):
        proc = run_varwheel("make-variant", "-f", src, "-o", src.parent, "-p", V3, *extra)
        assert_bad_input(proc, "refusing to write over the input wheel")
    assert sha256_file(src) == before
    assert files_in(src.parent) == [src.name]


def test_all_or_nothing_across_several_wheels(run_varwheel, wheel_factory, tmp_path):
    good = wheel_factory("demo", "1.0")
    other = wheel_factory("other", "1.0")
    bad = rebuild_zip(good, tmp_path / "bad" / "third-1.0-py3-none-any.whl")  # dist-info does not match
    out = tmp_path / "new" / "out"
    proc = run_varwheel("make-variant", "-f", good, "-f", other, "-f", bad, "-o", out, "-p", V3)
    assert_bad_input(proc, "does not match the filename's name and version")
    assert not (tmp_path / "new").exists()
    # A failure while writing the second output removes the first one too.
    out.mkdir(parents=True)
    blocker = out / "other-1.0-py3-none-any-fa7c1393.whl"
    blocker.write_bytes(b"someone else's file")
    proc = run_varwheel("make-variant", "-f", good, "-f", other, "-o", out, "-p", V3)
    assert_bad_input(proc, "already exists with different content")
    assert files_in(out) == [blocker.name]
    assert blocker.read_bytes() == b"someone else's file"


def test_two_inputs_for_one_output(run_varwheel, wheel_factory, tmp_path):
    a = wheel_factory(directory=tmp_path / "a")
    b = wheel_factory(directory=tmp_path / "b", files={"demo/__init__.py": "X = 2\n"})
    proc = run_varwheel("make-variant", "-f", a, "-f", b, "-o", tmp_path / "out", "-p", V3)
    assert_bad_input(proc, "would both be written to")
    assert not (tmp_path / "out").exists()


def test_output_folder_that_is_a_file(run_varwheel, wheel_factory, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    proc = run_varwheel("make-variant", "-f", wheel_factory(), "-o", blocker, "-p", V3)
    assert_bad_input(proc, "cannot write into")
    assert blocker.read_text() == "x"


def test_help_lists_the_variantlib_compatible_options(run_varwheel):
    proc = run_varwheel("make-variant", "--help")
    assert proc.returncode == 0
    for option in ("-f", "--file", "-o", "--output-directory", "-p", "--property", "--null-variant",
                   "--variant-label", "--pyproject-toml", "--metadata-format", "--verify", "--force"):
        assert option in proc.stdout


# -- varwheel hash -------------------------------------------------------------------------


def test_hash_command_matches_the_vectors(run_varwheel):
    for case in vectors()["hash_labels"][:6]:
        args = [x for prop in case["properties"] for x in ("-p", prop)]
        proc = run_varwheel("hash", *args)
        assert proc.returncode == 0 and proc.stdout == case["label"] + "\n", (case, proc.stderr)
    proc = run_varwheel("hash", "-p", *vectors()["hash_labels"][-1]["properties"])
    assert proc.stdout == vectors()["hash_labels"][-1]["label"] + "\n"


def test_hash_of_nothing_is_null(run_varwheel):
    proc = run_varwheel("hash")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "null\n", "")


def test_hash_bad_input(run_varwheel):
    assert_bad_input(run_varwheel("hash", "-p", "x86_64 :: level :: V3"), "value 'V3' is invalid")
    assert_bad_input(run_varwheel("hash", "-p", V3, "-p", V3), "duplicate property")
