"""varwheel's runtime claims Python >= 3.9: exercise it on the oldest Python present.

The test extra itself needs a newer Python (cibuildwheel and variantlib
require >= 3.11 / >= 3.10), so the suite runs on the default interpreter and
this test installs varwheel alone (runtime dependencies only: packaging and
tomli) into a Python 3.9 venv and drives the main commands and the build
backend there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _python39():
    for candidate in ("python3.9", "/root/.pyenv/versions/3.9.18/bin/python"):
        found = shutil.which(candidate) or (candidate if Path(candidate).exists() else None)
        if found:
            proc = subprocess.run([found, "-c", "import sys; print(sys.version_info[:2] == (3, 9))"], capture_output=True, text=True)
            if proc.stdout.strip() == "True":
                return found
    return None


PY39 = _python39()


def run(cmd, **kwargs):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.slow
@pytest.mark.skipif(PY39 is None, reason="no Python 3.9 interpreter on this machine (python3.9 not found)")
def test_runtime_works_on_python_3_9(tmp_path, varwheel_wheelhouse, wheel_factory):
    venv = tmp_path / "py39"
    run([PY39, "-m", "venv", venv])
    py = venv / "bin" / "python"
    wheel = next(varwheel_wheelhouse.glob("varwheel-*.whl"))
    run([py, "-m", "pip", "install", "-q", str(wheel)])
    installed = run([py, "-m", "pip", "list", "--format=json"]).stdout
    names = sorted(d["name"].lower() for d in json.loads(installed))
    # Runtime dependencies only: packaging and, before 3.11, tomli.
    assert set(names) - {"pip", "setuptools"} == {"packaging", "tomli", "varwheel"}

    plain = wheel_factory("demo", "1.0")
    out = tmp_path / "out"
    project = tmp_path / "pyproject.toml"
    project.write_text('[variant.default-priorities]\nnamespace = ["x86_64"]\n')
    vw = [py, "-m", "varwheel"]
    run(vw + ["make-variant", "-f", plain, "-o", out, "-p", "x86_64 :: level :: v3", "--verify"])
    run(vw + ["make-variant", "-f", plain, "-o", out, "--null-variant", "--pyproject-toml", project])
    run(vw + ["index", out])
    shown = run(vw + ["show", out / "demo-1.0-py3-none-any-fa7c1393.whl", "--json"]).stdout
    assert json.loads(shown)["label"] == "fa7c1393"
    chosen = run(vw + ["select", "demo", "--find-links", out, "--no-detect", "--assume", "x86_64::level::v3"]).stdout
    assert chosen.strip().endswith("demo-1.0-py3-none-any-fa7c1393.whl")
    checked = subprocess.run(vw + ["check", str(out)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Bad input still gives one line and exit 2 on 3.9.
    bad = subprocess.run(vw + ["hash", "-p", "X86::level::v3"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "did you mean" in bad.stderr

    # The build backend itself, called in process, wrapping flit-core (label from [variant.variants]).
    run([py, "-m", "pip", "install", "-q", "flit-core>=3.9"])
    src = tmp_path / "flit_pure"
    shutil.copytree(ROOT / "fixtures" / "projects" / "flit_pure", src)
    dist = tmp_path / "dist"
    dist.mkdir()
    code = (
        "import varwheel.build as b, sys; "
        "print(b.build_wheel(sys.argv[1], config_settings={'variant-label': 'cu126'}))"
    )
    built = run([py, "-c", code, dist], cwd=src).stdout.strip().splitlines()[-1]
    assert built == "flit_pure-1.0-py3-none-any-cu126.whl" and (dist / built).is_file()
