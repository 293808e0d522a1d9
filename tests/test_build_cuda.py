"""Must-show, CUDA: real nvcc builds through scikit-build-core, checked with cuobjdump;
the toolkit bound checked before compiling; uv choosing among nvidia variants.

``-Cvariant=nvidia::sm_arch::90_real -Cvariant=nvidia::sm_arch::120_virtual
-Cvariant=nvidia::cuda_version_lower_bound::13.0 -Cvariant-label=cu130`` gives a
wheel whose extension holds an sm_90 ELF and compute_120 PTX and nothing else
(``cuobjdump --list-elf/--list-ptx``, from the nvidia-cuda-cuobjdump package of
the test extra).  The nvcc tests skip only where nvcc is absent.  The uv tests
use the flit-core fixture (nothing to compile, no toolkit check) and the
nvidia provider's forcing variables, since this machine kind has no GPU.
"""

from __future__ import annotations

import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers_build import UV, Frontend, copy_project, new_venv, only_wheel, run
from varwheel.build.toolchain import find_cuda_toolkit

pytestmark = pytest.mark.slow

needs_nvcc = pytest.mark.skipif(
    shutil.which("nvcc") is None and not Path("/usr/local/cuda/bin/nvcc").exists(),
    reason="nvcc is not installed on this machine: CUDA builds need the CUDA toolkit",
)

CU130 = [
    ("variant", "nvidia::sm_arch::90_real"),
    ("variant", "nvidia::sm_arch::120_virtual"),
    ("variant", "nvidia::cuda_version_lower_bound::13.0"),
    ("variant-label", "cu130"),
]


@pytest.fixture(scope="module")
def frontend(varwheel_wheelhouse, tmp_path_factory):
    return Frontend(varwheel_wheelhouse, tmp_path_factory.mktemp("frontend"))


def cuobjdump() -> str:
    """The cuobjdump binary of the nvidia-cuda-cuobjdump wheel (inside site-packages)."""
    import site

    roots = site.getsitepackages() + [site.getusersitepackages()]
    for root in roots:
        found = sorted(Path(root).glob("nvidia/*/bin/cuobjdump")) + sorted(Path(root).glob("nvidia/cuda_cuobjdump/bin/cuobjdump"))
        if found:
            return str(found[0])
    pytest.fail("cuobjdump not found in site-packages: install the test extra (nvidia-cuda-cuobjdump)")


def listed(tool: str, flag: str, binary: Path):
    out = run([tool, flag, binary], check=False)
    text = out.stdout + out.stderr
    kind = "ELF" if flag == "--list-elf" else "PTX"
    return sorted(re.findall(rf"{kind} file\s+\d+: .*?\.(sm_\w+?)\.(?:cubin|ptx)", text)), text


@needs_nvcc
def test_cu130_holds_sm90_sass_and_compute120_ptx_only(frontend, tmp_path):
    toolkit = find_cuda_toolkit()
    if toolkit.version < (13, 0):
        pytest.skip(f"the installed CUDA toolkit is {toolkit.version_str}; this variant asks for >= 13.0")
    project = copy_project("skbuild_cuda", tmp_path)
    out = tmp_path / "dist"
    proc = frontend.build(project, out, CU130)
    wheel = only_wheel(out)
    assert wheel.name.startswith("probe_cuda-1.0-") and wheel.name.endswith("-cu130.whl")
    log = proc.stdout + proc.stderr
    assert "CUDA architectures 90-real;120-virtual" in log
    assert f"CUDA toolkit {toolkit.version_str}" in log
    with zipfile.ZipFile(wheel) as zf:
        [module] = [n for n in zf.namelist() if n.startswith("probe_cuda") and n.endswith(".so")]
        zf.extract(module, tmp_path / "x")
    binary = tmp_path / "x" / module
    tool = cuobjdump()
    elf, elf_text = listed(tool, "--list-elf", binary)
    ptx, ptx_text = listed(tool, "--list-ptx", binary)
    assert elf == ["sm_90"], elf_text
    assert ptx == ["sm_120"], ptx_text  # the PTX of virtual architecture compute_120
    dumped = run([tool, "-ptx", binary]).stdout
    assert re.findall(r"^\.target\s+(\S+)", dumped, re.M) == ["sm_120"]
    # The label reached the code through the CMake cache entry.
    extracted = tmp_path / "x"
    label = run([sys.executable, "-c", "import probe_cuda; print(probe_cuda.label())"], cwd=extracted).stdout.strip()
    assert label == "cu130"


@needs_nvcc
def test_lower_bound_above_the_toolkit_fails_before_compiling(frontend, tmp_path):
    toolkit = find_cuda_toolkit()
    bound = f"{toolkit.version[0]}.{toolkit.version[1] + 1}"
    project = copy_project("skbuild_cuda", tmp_path)
    out = tmp_path / "dist"
    proc = frontend.build(project, out, [("variant", "nvidia::sm_arch::90_real"), ("variant", f"nvidia::cuda_version_lower_bound::{bound}")], check=False)
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    errors = [l for l in log.splitlines() if l.startswith("varwheel: error:")]
    assert len(errors) == 1, log
    assert f"cuda_version_lower_bound :: {bound}" in errors[0]
    assert f"CUDA toolkit {toolkit.version_str} (nvcc {toolkit.nvcc}" in errors[0]
    assert "nothing was compiled" in errors[0]
    # CMake never ran and nothing was written.
    assert "The CUDA compiler identification" not in log and "Building CUDA object" not in log
    assert "Traceback" not in log
    assert not out.exists() or list(out.iterdir()) == []


def test_lower_bound_uses_the_toolkit_named_by_cudacxx(frontend, tmp_path):
    """A fake older toolkit named by CUDACXX: the check follows what the build would use."""
    fake = tmp_path / "cuda-12.4" / "bin" / "nvcc"
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\necho 'Cuda compilation tools, release 12.4, V12.4.99'\n")
    fake.chmod(0o755)
    project = copy_project("skbuild_cuda", tmp_path)
    out = tmp_path / "dist"
    frontend_env = dict(frontend.env, CUDACXX=str(fake))
    proc = run([sys.executable, "-m", "build", "-w", "-o", out, "-Cvariant-label=cu130", project], env=frontend_env, check=False)
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    assert f"CUDA toolkit 12.4 (nvcc {fake}, from CUDACXX)" in log, log[-3000:]
    assert not out.exists() or list(out.iterdir()) == []


# -- uv chooses among nvidia variants built by this backend -------------------------------------------
@pytest.fixture(scope="module")
def nvidia_family(frontend, tmp_path_factory):
    work = tmp_path_factory.mktemp("nvidia-family")
    project = copy_project("flit_pure", work)
    folder = work / "index"
    for settings in ([("variant-label", "cu126")], [("variant-label", "cu129")], [("null-variant", "")]):
        frontend.build(project, folder, settings)
    run([sys.executable, "-m", "varwheel", "index", folder])
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "flit_pure-1.0-py3-none-any-cu126.whl",
        "flit_pure-1.0-py3-none-any-cu129.whl",
        "flit_pure-1.0-py3-none-any-null.whl",
        "flit_pure-1.0-variants.json",
    ]
    return folder


@pytest.mark.parametrize(
    "driver,sm,expected",
    [("12.8", "9.0", "cu126"), ("12.9", "9.0", "cu129"), ("13.0", "12.0", "cu129"), ("12.5", "9.0", "null"), (None, None, "null")],
)
def test_uv_picks_the_cuda_variant_for_the_driver(nvidia_family, frontend, tmp_path, driver, sm, expected):
    if driver is None and Path("/proc/driver/nvidia").exists():
        pytest.skip("this machine has an NVIDIA driver: the unforced choice depends on it")
    env = dict(frontend.env)
    for name in ("NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION", "NV_VARIANT_PROVIDER_FORCE_SM_ARCH"):
        env.pop(name, None)
    if driver:
        env["NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION"] = driver
        env["NV_VARIANT_PROVIDER_FORCE_SM_ARCH"] = sm
    python = new_venv(tmp_path / "venv")
    proc = run([UV, "pip", "install", "--preview-features", "wheel-variants", "--python", python, "--no-index",
                "--find-links", nvidia_family, "flit-pure", "-v"], env=env)
    chosen = re.findall(r"Selecting: flit-pure==1\.0 \[compatible\] \((.*?)\)", proc.stderr)
    assert chosen and chosen[-1].endswith(f"-{expected}.whl"), proc.stderr[-3000:]
