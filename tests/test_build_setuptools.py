"""setuptools variants: the flags are added to what setuptools would use, and no build reuses another's objects.

setuptools changed how it reads ``CFLAGS`` / ``CXXFLAGS``: up to 75.6 its C
compile line is the interpreter's ``sysconfig`` flags plus ``CFLAGS``; from
75.7 (C) and 72.2 (C++) a set variable replaces them.  For each behaviour a
real isolated build with that setuptools pinned compiles one C and one C++
extension, plain and as ``x86_64 :: level :: v3``, and each variant compile
line must be the plain one plus ``-march=x86-64-v3``: no optimisation flag
lost, none given twice.

Then, in one source tree: a v4 variant, then a plain build (wheel and
editable).  The plain build must compile again and its module must report no
AVX macros (setuptools skips objects that look up to date, so a shared
``build/`` would hand it the v4 objects).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections import Counter
from pathlib import Path
from typing import Dict, List

import pytest

from tests.helpers_build import Frontend, copy_project, install_and_run, new_venv, only_wheel, run

pytestmark = pytest.mark.slow

SETUP_PY = """\
from setuptools import Extension, setup

setup(ext_modules=[
    Extension("flagprobe_c", ["flagprobe_c.c"]),
    Extension("flagprobe_cxx", ["flagprobe_cxx.cpp"], language="c++"),
])
"""

MODULE = """\
#include <Python.h>
static PyModuleDef def = {PyModuleDef_HEAD_INIT, "%s", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_%s(void) { return PyModule_Create(&def); }
"""

PYPROJECT = """\
[build-system]
requires = ["varwheel", "setuptools%s"]
build-backend = "varwheel.build"

[project]
name = "flagprobe"
version = "1.0"

[tool.varwheel]
backend = "setuptools.build_meta"

[tool.setuptools]
py-modules = []

[variant.default-priorities]
namespace = ["x86_64"]
"""

#: setuptools releases, one per behaviour: C appends and C++ has no own command (72.1),
#: C appends and CXXFLAGS replaces (75.6), both replace (newest).
SETUPTOOLS = {"72.1.0": "==72.1.0", "75.6.0": "==75.6.0", "newest": ">=77"}


@pytest.fixture(scope="module")
def frontend(varwheel_wheelhouse, tmp_path_factory):
    return Frontend(varwheel_wheelhouse, tmp_path_factory.mktemp("frontend"))


def flag_project(root: Path, requirement: str) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT % requirement)
    (root / "setup.py").write_text(SETUP_PY)
    (root / "flagprobe_c.c").write_text(MODULE % ("flagprobe_c", "flagprobe_c"))
    (root / "flagprobe_cxx.cpp").write_text('extern "C" {\n' + MODULE % ("flagprobe_cxx", "flagprobe_cxx") + "}\n")
    return root


def compile_flags(log: str) -> Dict[str, Counter]:
    """Source file -> the flags of its compile line (paths and include folders left out: they differ per build)."""
    found: Dict[str, Counter] = {}
    for line in log.splitlines():
        match = re.search(r"\s-c\s+(\S*flagprobe_(?:c\.c|cxx\.cpp))\b", line)
        if match is None:
            continue
        tokens = line.split()
        flags = [t for t in tokens if t.startswith("-") and "/" not in t and not t.startswith(("-I", "-L", "-o"))]
        found[Path(match.group(1)).name] = Counter(flags)
    return found


def interpreter_flags() -> List[str]:
    import sysconfig

    return (sysconfig.get_config_var("CFLAGS") or "").split()


@pytest.mark.parametrize("version", list(SETUPTOOLS))
def test_variant_flags_are_added_to_what_setuptools_uses(frontend, tmp_path, version):
    project = flag_project(tmp_path / "flagprobe", SETUPTOOLS[version])
    plain = compile_flags(frontend.build(project, tmp_path / "plain").stdout)
    shutil.rmtree(project / "build", ignore_errors=True)
    variant = compile_flags(frontend.build(project, tmp_path / "v3", [("variant", "x86_64::level::v3")]).stdout)
    assert set(plain) == set(variant) == {"flagprobe_c.c", "flagprobe_cxx.cpp"}, (plain, variant)
    for source in plain:
        assert variant[source] == plain[source] + Counter(["-march=x86-64-v3"]), (source, plain[source], variant[source])
    # The plain C line has the interpreter's optimisation flags (what the variant must keep).
    optimisation = [f for f in interpreter_flags() if f.startswith("-O")]
    assert optimisation and all(plain["flagprobe_c.c"][f] == 1 for f in optimisation), plain


def test_user_cflags_stay_and_variant_flags_follow_them(frontend, tmp_path):
    project = flag_project(tmp_path / "flagprobe", SETUPTOOLS["newest"])
    env_backup = dict(frontend.env)
    try:
        frontend.env["CFLAGS"] = "-O1 -DUSER_FLAG"
        frontend.env["CXXFLAGS"] = "-O1 -DUSER_FLAG"
        plain = compile_flags(frontend.build(project, tmp_path / "plain").stdout)
        variant = compile_flags(frontend.build(project, tmp_path / "v3", [("variant", "x86_64::level::v3")]).stdout)
    finally:
        frontend.env = env_backup
    for source in ("flagprobe_c.c", "flagprobe_cxx.cpp"):
        assert plain[source]["-DUSER_FLAG"] == 1
        assert variant[source] == plain[source] + Counter(["-march=x86-64-v3"]), (source, plain[source], variant[source])


def _so(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".so"))
        return zf.read(name)


def test_plain_build_after_a_variant_build_compiles_again(frontend, tmp_path):
    project = copy_project("setuptools_probe", tmp_path)
    frontend.build(project, tmp_path / "v4", [("variant", "x86_64::level::v4"), ("variant-label", "v4")])
    v4 = only_wheel(tmp_path / "v4")
    assert v4.name.endswith("-v4.whl")
    assert (project / "build-varwheel-v4").is_dir() and not (project / "build").exists()
    proc = frontend.build(project, tmp_path / "plain")
    assert re.search(r"\s-c\s+probe\.c\b", proc.stdout), "the plain build compiled nothing:\n" + proc.stdout[-3000:]
    plain = only_wheel(tmp_path / "plain")
    assert _so(plain) != _so(v4)
    macros = install_and_run(plain, tmp_path / "venv", "import probe_setuptools as m; print(sorted(m.macros()))")
    assert "__AVX512F__" not in macros and "__AVX2__" not in macros, macros


def test_plain_editable_after_a_variant_editable_compiles_again(frontend, tmp_path):
    project = copy_project("setuptools_probe", tmp_path)
    python = new_venv(tmp_path / "venv")
    code = "import probe_setuptools as m; print(sorted(m.macros()))"
    frontend.pip("--python", python, "install", "--no-deps", "-e", project, settings=[("variant", "x86_64::level::v4")])
    assert "__AVX512F__" in run([python, "-c", code], cwd=tmp_path).stdout
    frontend.pip("--python", python, "install", "--no-deps", "-e", project)
    out = run([python, "-c", code], cwd=tmp_path).stdout
    assert "__AVX512F__" not in out and "__AVX2__" not in out, out


def test_setuptools_used_by_the_probe_is_the_one_that_builds():
    """The in-process rule (varwheel.build.setuptools_flags) against this environment's setuptools."""
    import os

    from varwheel.build.setuptools_flags import _command, interpreter_prefix

    environ = {k: v for k, v in os.environ.items() if k not in ("CFLAGS", "CXXFLAGS")}
    for var, attribute in (("CFLAGS", "compiler_so"), ("CXXFLAGS", "compiler_so_cxx")):
        baseline = _command(environ, attribute)
        if baseline is None:
            continue  # an old distutils without a C++ command of its own
        prefix = interpreter_prefix(var, ["-march=x86-64-v3"], environ)
        command = _command({**environ, var: " ".join(prefix + ["-march=x86-64-v3"])}, attribute)
        assert command is not None
        assert Counter(command) == Counter(baseline) + Counter(["-march=x86-64-v3"]), (var, baseline, command)
    # A user's own value is what the compiler would have had: nothing is put in front of it.
    assert interpreter_prefix("CFLAGS", ["-march=x86-64-v3"], {**environ, "CFLAGS": "-O1"}) == []

