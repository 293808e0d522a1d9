"""End to end: wheels made by ``varwheel make-variant``, indexed by ``varwheel index``,
installed by the real uv 0.13.9 (``--preview-features wheel-variants``) and pip.

What uv does was checked by hand first (see ORACLES.md): it needs the
``{name}-{version}-variants.json`` file in the find-links folder, evaluates
``x86_64`` from the CPU, ``nvidia`` from the driver (forced through the
provider's environment variables here; this machine kind has no GPU), static
providers from their listed order, and falls back to ``null`` then the plain
wheel.  Its ``-v`` log names the chosen file in a line
``Selecting: mypkg==1.0 [compatible] (<file>)``.

Every install goes into a fresh ``uv venv`` under tmp_path, with its own uv
cache, offline (``--no-index --find-links``).
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli

from fixtures.wheel_factory import make_wheel
from tests.helpers_pipeline import clean_env, new_venv  # one uv environment recipe for all uv tests

# x86-64 psABI levels as Linux /proc/cpuinfo names their flags (spec section 8).
LEVEL_FLAGS = {
    1: "cmov cx8 fpu fxsr mmx syscall sse sse2".split(),
    2: "cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3".split(),
    3: "avx avx2 bmi1 bmi2 f16c fma abm movbe xsave".split(),
    4: "avx512f avx512bw avx512cd avx512dq avx512vl".split(),
}

X86_PYPROJECT = """\
[variant.default-priorities]
namespace = ["x86_64"]

[variant.providers.x86_64]
requires = ["x86-64-variant-provider"]
"""

NVIDIA_PYPROJECT = """\
[variant.default-priorities]
namespace = ["nvidia"]

[variant.providers.nvidia]
requires = ["nvidia-variant-provider"]
plugin-api = "nvidia_variant_provider.plugin:NvidiaVariantPlugin"
"""

BLAS_PYPROJECT = """\
[variant.default-priorities]
namespace = ["x86_64", "blas_lapack"]

[variant.providers.x86_64]
requires = ["x86-64-variant-provider"]

[variant.providers.blas_lapack]
static-properties.library = ["mkl", "openblas"]
"""

NVIDIA_ENV = ("NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION", "NV_VARIANT_PROVIDER_FORCE_SM_ARCH")


def cpu_level() -> int:
    """Highest x86-64 level whose flags (and all lower levels' flags) /proc/cpuinfo lists."""
    text = Path("/proc/cpuinfo").read_text()
    match = re.search(r"^flags\s*:\s*(.*)$", text, re.MULTILINE)
    assert match, "/proc/cpuinfo has no flags line"
    flags = set(match.group(1).split())
    level = 0
    for n in sorted(LEVEL_FLAGS):
        if not set(LEVEL_FLAGS[n]) <= flags:
            break
        level = n
    return level


needs_x86_linux = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")),
    reason="x86-64 levels are read from Linux /proc/cpuinfo; this is not Linux on x86-64",
)


# -- building a wheelhouse with the real CLI ---------------------------------------------------


def varwheel(*args) -> str:
    return run_cli(*args, check=True).stdout


def make_family(root: Path, pyproject: str, variants: dict) -> Path:
    """``variants``: label -> properties ([] = null). Returns a folder with the plain wheel,
    the variant wheels made by ``varwheel make-variant`` and the index by ``varwheel index``."""
    src = make_wheel(root / "src", "mypkg", "1.0")
    toml = root / "pyproject.toml"
    toml.write_text(pyproject)
    dist = root / "dist"
    for label, props in variants.items():
        args = ["make-variant", "-f", src, "-o", dist, "--pyproject-toml", toml]
        if props:
            args += ["--variant-label", label]
            for prop in props:
                args += ["-p", prop]
        else:
            args += ["--null-variant"]
        out = varwheel(*args).strip()
        assert out == str(dist / f"mypkg-1.0-py3-none-any-{label}.whl")
    shutil.copy(src, dist)
    assert varwheel("index", dist).strip() == str(dist / "mypkg-1.0-variants.json")
    return dist


@pytest.fixture(scope="module")
def x86_family(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("x86")
    return make_family(root, X86_PYPROJECT, {
        "null": [],
        **{f"x86_64_v{n}": [f"x86_64 :: level :: v{n}"] for n in (1, 2, 3, 4)},
    })


@pytest.fixture(scope="module")
def nvidia_family(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("nvidia")
    return make_family(root, NVIDIA_PYPROJECT, {
        "null": [],
        "cu126": ["nvidia :: cuda_version_lower_bound :: 12.6",
                  "nvidia :: sm_arch :: 80_real", "nvidia :: sm_arch :: 90_real"],
        "cu129": ["nvidia :: cuda_version_lower_bound :: 12.9",
                  "nvidia :: sm_arch :: 90_real", "nvidia :: sm_arch :: 120_real"],
    })


# -- installing ----------------------------------------------------------------------------------


def uv_install(uv_bin, tmp_path, find_links, *, env=None, preview=True, name="venv"):
    """Install mypkg with uv into a fresh venv; return (proc, python, chosen filename or None)."""
    python = new_venv(uv_bin, tmp_path, name)
    cmd = [uv_bin, "pip", "install", "--python", str(python), "--no-index", "--find-links", str(find_links),
           "mypkg", "-v"]
    if preview:
        cmd[2:2] = ["--preview-features", "wheel-variants"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(tmp_path, env))
    chosen = re.findall(r"Selecting: mypkg==1\.0 \[compatible\] \((\S+\.whl)\)", proc.stderr)
    assert len(chosen) <= 1, proc.stderr
    return proc, python, chosen[0] if chosen else None


def installed_dist_info(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    found = list(Path(out).glob("mypkg-1.0.dist-info"))
    assert len(found) == 1, f"mypkg is not installed in {out}"
    return found[0]


def installed_label(python: Path):
    """Label in the installed dist-info's variant.json, or None when it has none (plain wheel)."""
    path = installed_dist_info(python) / "variant.json"
    if not path.exists():
        return None
    variants = json.loads(path.read_text())["variants"]
    assert len(variants) == 1
    return next(iter(variants))


# -- tests ---------------------------------------------------------------------------------------


@needs_x86_linux
def test_uv_installs_the_best_x86_level_this_cpu_supports(x86_family, uv_bin, tmp_path):
    level = cpu_level()
    assert level >= 1, "an x86-64 Linux CPU without the v1 flags: /proc/cpuinfo looks wrong"
    expected = f"x86_64_v{level}"
    proc, python, chosen = uv_install(uv_bin, tmp_path, x86_family)
    assert proc.returncode == 0, proc.stderr
    assert chosen == f"mypkg-1.0-py3-none-any-{expected}.whl", (
        f"CPU flags say x86-64-v{level}; uv chose {chosen}\n{proc.stderr[-3000:]}"
    )
    assert installed_label(python) == expected


def test_uv_needs_the_index_file_to_consider_variants(x86_family, uv_bin, tmp_path):
    folder = tmp_path / "no-index"
    shutil.copytree(x86_family, folder, ignore=shutil.ignore_patterns("*-variants.json"))
    proc, python, chosen = uv_install(uv_bin, tmp_path, folder)
    assert proc.returncode == 0, proc.stderr
    assert chosen == "mypkg-1.0-py3-none-any.whl"
    assert installed_label(python) is None
    # Without the plain wheel there is nothing uv will take.
    (folder / "mypkg-1.0-py3-none-any.whl").unlink()
    proc, _, chosen = uv_install(uv_bin, tmp_path, folder, name="venv2")
    assert proc.returncode != 0 and chosen is None
    assert "No solution found" in proc.stderr


def test_uv_without_the_preview_flag_installs_the_plain_wheel(x86_family, uv_bin, tmp_path):
    proc, python, chosen = uv_install(uv_bin, tmp_path, x86_family, preview=False)
    assert proc.returncode == 0, proc.stderr
    assert chosen == "mypkg-1.0-py3-none-any.whl"
    assert installed_label(python) is None


def test_pip_installs_the_plain_wheel_from_the_same_folder(x86_family, uv_bin, tmp_path):
    python = new_venv(uv_bin, tmp_path)
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index",
         "--find-links", str(x86_family), "--report", str(report), "mypkg"],
        capture_output=True, text=True, env=clean_env(tmp_path),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    urls = [item["download_info"]["url"] for item in json.loads(report.read_text())["install"]]
    assert [u.rsplit("/", 1)[-1] for u in urls] == ["mypkg-1.0-py3-none-any.whl"]
    assert installed_label(python) is None


@pytest.mark.parametrize(
    "driver, sm, expected",
    [
        ("12.9", "9.0", "cu129"),
        ("13.0", "12.0", "cu129"),
        ("12.8", "9.0", "cu126"),
        ("12.5", "9.0", "null"),  # no labelled variant fits: the null variant, not the plain wheel
        ("12.9", "8.6", "cu126"),  # sm_80 SASS runs on CC 8.6 (same major): the provider knows
        ("12.9", "7.5", "null"),
        ("12.9", "10.0", "null"),  # neither sm_90 nor sm_120 SASS runs on CC 10.0
    ],
)
def test_uv_chooses_labelled_nvidia_variants_or_null(nvidia_family, uv_bin, tmp_path, driver, sm, expected):
    folder = nvidia_family
    env = dict(zip(NVIDIA_ENV, (driver, sm)))
    proc, python, chosen = uv_install(uv_bin, tmp_path, folder, env=env)
    assert proc.returncode == 0, proc.stderr
    assert chosen == f"mypkg-1.0-py3-none-any-{expected}.whl", proc.stderr[-3000:]
    assert installed_label(python) == expected


@needs_x86_linux
def test_uv_ranks_static_provider_values_after_the_cpu_level(tmp_path, uv_bin):
    """Priorities [x86_64, blas_lapack]; blas_lapack is static ["mkl", "openblas"]."""
    folder = make_family(tmp_path / "family", BLAS_PYPROJECT, {
        "null": [],
        "v3": ["x86_64 :: level :: v3"],
        "v4openblas": ["x86_64 :: level :: v4", "blas_lapack :: library :: openblas"],
        "v4mkl": ["x86_64 :: level :: v4", "blas_lapack :: library :: mkl"],
    })
    level = cpu_level()
    expected = "v4mkl" if level >= 4 else "v3" if level == 3 else "null"
    proc, python, chosen = uv_install(uv_bin, tmp_path, folder)
    assert proc.returncode == 0, proc.stderr
    assert chosen == f"mypkg-1.0-py3-none-any-{expected}.whl", proc.stderr[-3000:]
    assert installed_label(python) == expected


@needs_x86_linux
def test_uv_treats_a_deferred_label_wheel_as_plain(tmp_path, uv_bin, run_varwheel):
    """Why ``varwheel index`` refuses deferred-label wheels: uv ignores their variant.json.

    A wheel with variant.json for x86_64 v1 (which every x86-64 CPU supports)
    but a plain filename, beside a null variant and an index listing both
    labels: uv still picks ``null``, never the deferred wheel.
    """
    from varwheel.pipeline.index import merge_documents
    from varwheel.wheel.archive import WheelArchive

    folder = make_family(tmp_path / "family", X86_PYPROJECT, {"null": [], "x86_64_v1": ["x86_64 :: level :: v1"]})
    labelled = folder / "mypkg-1.0-py3-none-any-x86_64_v1.whl"
    plain = folder / "mypkg-1.0-py3-none-any.whl"
    plain.unlink()
    labelled.rename(plain)  # same bytes, the label dropped from the name: a deferred-label wheel
    proc = run_varwheel("index", folder)
    assert proc.returncode == 2 and "varwheel relabel" in proc.stderr
    # Write by hand the index that listing the deferred label would give.
    docs = []
    for wheel in sorted(folder.glob("*.whl")):
        with WheelArchive(wheel) as archive:
            docs.append((wheel.name, archive.variant_document()))
    (folder / "mypkg-1.0-variants.json").write_bytes(merge_documents(docs).dumps())
    proc, python, chosen = uv_install(uv_bin, tmp_path, folder)
    assert proc.returncode == 0, proc.stderr
    assert chosen == "mypkg-1.0-py3-none-any-null.whl"
    assert installed_label(python) == "null"
