"""``varwheel install``: the selected wheel, installed by the target environment's stock pip."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers_select import FORCE_DRIVER, FORCE_SM, NVIDIA, X86, Family, ReleaseSpec, Wheel, build_family, clean_env
from varwheel.machine.providers import detect

X86_PROJECT = {"default-priorities": {"namespace": ["x86_64"]}, "providers": {"x86_64": X86}}
ARM_PROJECT = {"default-priorities": {"namespace": ["aarch64"]}, "providers": {"aarch64": {"requires": ["aarch64-variant-provider"]}}}


@pytest.fixture(scope="module")
def pip_venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with stock pip (``python -m venv``)."""
    venv = tmp_path_factory.mktemp("pip-target") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return venv / "bin" / "python"


def _site_dist_info(python: Path, name: str) -> "Path | None":
    out = subprocess.run([str(python), "-c", f"import importlib.metadata as m; d = m.distribution({name!r}); "
                          "print(d._path)"], capture_output=True, text=True)
    return Path(out.stdout.strip()) if out.returncode == 0 else None


def _family(tmp_path, name, wheels, project=X86_PROJECT) -> Path:
    return build_family(Family(name, project, [ReleaseSpec("1.0", wheels)], name=name), tmp_path / name)


def test_install_the_best_variant_with_stock_pip(tmp_path, pip_venv, run_varwheel):
    levels = ("v1", "v2", "v3", "v4")
    d = _family(tmp_path, "vwinst", [Wheel(v, [f"x86_64 :: level :: {v}"]) for v in levels] + [Wheel("null"), Wheel(None)])
    proc = run_varwheel("install", "vwinst", "-f", d, "--python", pip_venv, "--", "--no-index", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    best = detect(["x86_64"])["x86_64"].values("level")[0]
    chosen = d / f"vwinst-1.0-py3-none-any-{best}.whl"
    assert f"installed {chosen} (variant '{best}')" in proc.stdout
    imported = subprocess.run([str(pip_venv), "-c", "import vwinst; print(vwinst.__version__)"], capture_output=True, text=True)
    assert imported.stdout.strip() == "1.0", imported.stderr
    dist_info = _site_dist_info(pip_venv, "vwinst")
    with zipfile.ZipFile(chosen) as zf:
        expected = zf.read("vwinst-1.0.dist-info/variant.json")
    assert (dist_info / "variant.json").read_bytes() == expected
    assert json.loads(expected)["variants"] == {best: {"x86_64": {"level": [best]}}}
    assert "vwinst-1.0.dist-info/variant.json," in (dist_info / "RECORD").read_text()
    assert (dist_info / "INSTALLER").read_text().strip() == "pip"
    assert not list(Path(d).glob("*.tmp")) and chosen.exists()  # the input folder is untouched


def test_no_variant_fits_installs_the_plain_wheel(tmp_path, pip_venv, run_varwheel):
    d = _family(tmp_path, "vwplain", [Wheel("arm", ["aarch64 :: version :: 8a"]), Wheel(None)], ARM_PROJECT)
    proc = run_varwheel("install", "vwplain", "-f", d, "--python", pip_venv, "--no-detect", "--", "--no-index", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "(the plain wheel)" in proc.stdout
    dist_info = _site_dist_info(pip_venv, "vwplain")
    assert dist_info is not None and not (dist_info / "variant.json").exists()


def test_nvidia_variant_under_forced_values(tmp_path, pip_venv, run_varwheel):
    project = {"default-priorities": {"namespace": ["nvidia"]}, "providers": {"nvidia": NVIDIA}}
    d = _family(tmp_path, "vwcuda", [
        Wheel("cu126", ["nvidia :: cuda_version_lower_bound :: 12.6", "nvidia :: sm_arch :: 90_real"]),
        Wheel("cu129", ["nvidia :: cuda_version_lower_bound :: 12.9", "nvidia :: sm_arch :: 90_real"]), Wheel("null")], project)
    env = clean_env({FORCE_DRIVER: "12.8", FORCE_SM: "9.0"})
    proc = run_varwheel("install", "vwcuda", "-f", d, "--python", pip_venv, "--", "--no-index", "-q", env=env)
    assert proc.returncode == 0, proc.stderr
    variant = json.loads((_site_dist_info(pip_venv, "vwcuda") / "variant.json").read_text())
    assert list(variant["variants"]) == ["cu126"]


def test_nothing_fits_says_why_and_installs_nothing(tmp_path, pip_venv, run_varwheel):
    d = _family(tmp_path, "vwnone", [Wheel("arm", ["aarch64 :: version :: 8a"])], ARM_PROJECT)
    proc = run_varwheel("install", "vwnone", "-f", d, "--python", pip_venv, "--no-detect", "--", "--no-index")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "no wheel of vwnone fits this machine" in proc.stderr
    assert "aarch64 :: version :: 8a" in proc.stderr
    assert _site_dist_info(pip_venv, "vwnone") is None


def test_dry_run_installs_nothing(tmp_path, pip_venv, run_varwheel):
    d = _family(tmp_path, "vwdry", [Wheel("v1", ["x86_64 :: level :: v1"])])
    proc = run_varwheel("install", "vwdry", "-f", d, "--python", pip_venv, "--dry-run", "--", "--no-deps")
    assert proc.returncode == 0, proc.stderr
    assert f"would install {d / 'vwdry-1.0-py3-none-any-v1.whl'} (variant 'v1') as vwdry-1.0-py3-none-any.whl" in proc.stdout
    assert f"{pip_venv} -m pip install '<tmp>/vwdry-1.0-py3-none-any.whl' --find-links {d} --no-deps" in proc.stdout
    assert _site_dist_info(pip_venv, "vwdry") is None


def test_target_without_pip(tmp_path, uv_bin, run_varwheel):
    venv = tmp_path / "nopip"
    subprocess.run([uv_bin, "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=clean_env())
    d = _family(tmp_path, "vwnopip", [Wheel("v1", ["x86_64 :: level :: v1"])])
    proc = run_varwheel("install", "vwnopip", "-f", d, "--python", venv / "bin" / "python")
    assert proc.returncode == 2 and "has no pip" in proc.stderr and "Traceback" not in proc.stderr


def test_pip_failure_is_reported(tmp_path, pip_venv, run_varwheel):
    d = _family(tmp_path, "vwfail", [Wheel("v1", ["x86_64 :: level :: v1"])])
    proc = run_varwheel("install", "vwfail", "-f", d, "--python", pip_venv, "--", "--no-such-pip-option")
    assert proc.returncode == 1 and "pip failed" in proc.stderr
    assert _site_dist_info(pip_venv, "vwfail") is None


# -- choosing by hand ----------------------------------------------------------------------------------
CUDA_PROJECT = {"default-priorities": {"namespace": ["nvidia", "x86_64"]}, "providers": {"nvidia": NVIDIA, "x86_64": X86}}
NO_GPU = {FORCE_DRIVER: "", FORCE_SM: ""}


def _installed_variant(python: Path, name: str) -> "dict | None":
    dist_info = _site_dist_info(python, name)
    assert dist_info is not None, f"{name} is not installed"
    path = dist_info / "variant.json"
    return json.loads(path.read_text())["variants"] if path.exists() else None


def test_install_a_label_chosen_by_hand_without_the_gpu(tmp_path, pip_venv, run_varwheel):
    """``RUN varwheel install 'pkg==1.0#cu129'`` on a build machine without the GPU."""
    d = _family(tmp_path, "vwhand", [Wheel("cu129", ["nvidia :: cuda_version_lower_bound :: 12.9",
                                                      "nvidia :: sm_arch :: 90_real"]),
                                      Wheel("v1", ["x86_64 :: level :: v1"]), Wheel(None)], CUDA_PROJECT)
    env = clean_env(NO_GPU)
    proc = run_varwheel("install", "vwhand==1.0#cu129", "-f", d, "--python", pip_venv, "--", "--no-index", "-q",
                        env=env)
    assert proc.returncode == 0, proc.stderr
    assert f"installed {d / 'vwhand-1.0-py3-none-any-cu129.whl'} (variant 'cu129', chosen by hand)" in proc.stdout
    assert proc.stderr.count("varwheel: warning:") == 1 and "nvidia :: sm_arch :: 90_real" in proc.stderr
    assert _installed_variant(pip_venv, "vwhand") == {
        "cu129": {"nvidia": {"cuda_version_lower_bound": ["12.9"], "sm_arch": ["90_real"]}}}
    # --no-variant switches to the plain wheel (pip keeps a same-version install unless forced).
    proc = run_varwheel("install", "vwhand", "-f", d, "--python", pip_venv, "--no-variant",
                        "--", "--no-index", "-q", "--force-reinstall", env=env)
    assert proc.returncode == 0 and "(the plain wheel)" in proc.stdout, proc.stderr
    assert _installed_variant(pip_venv, "vwhand") is None


def test_install_no_variant_takes_null_without_a_plain_wheel(tmp_path, pip_venv, run_varwheel):
    d = _family(tmp_path, "vwnull", [Wheel("v1", ["x86_64 :: level :: v1"]), Wheel("null")])
    proc = run_varwheel("install", "vwnull", "-f", d, "--python", pip_venv, "--no-variant", "--", "--no-index", "-q")
    assert proc.returncode == 0 and "(the null variant)" in proc.stdout, proc.stderr
    assert _installed_variant(pip_venv, "vwnull") == {"null": {}}


def test_install_unknown_label_installs_nothing(tmp_path, pip_venv, run_varwheel):
    d = _family(tmp_path, "vwunknown", [Wheel("v1", ["x86_64 :: level :: v1"])])
    proc = run_varwheel("install", "vwunknown#v9", "-f", d, "--python", pip_venv)
    assert proc.returncode == 2 and "the labels that exist: v1" in proc.stderr and "Traceback" not in proc.stderr
    assert _site_dist_info(pip_venv, "vwunknown") is None
    proc = run_varwheel("install", "-f", d, "--python", pip_venv)
    assert proc.returncode == 2 and "give one requirement to install" in proc.stderr
