"""Helpers for the release-pipeline tests (relabel, repair, unmake-variant, check, matrix, examples).

* :func:`c_extension_wheel`: a real C extension built by setuptools
  (``python -m build --no-isolation``) that links a shared library living
  outside the wheel, so ``auditwheel repair`` has something to graft and
  patchelf has something to patch.  Compiled with ``-march=x86-64-v3``: a
  real x86_64 level variant.
* :func:`new_venv`, :func:`uv_install`, :func:`clean_env`: install with the
  real uv in preview mode into a fresh venv, offline, and read back which file
  uv selected from its ``-v`` log.
* :func:`rewrite_member`, :func:`add_member`, :func:`drop_member`: tamper with
  a wheel the way a careless post-processing step would (RECORD left as it is).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Dict, Optional, Tuple

__all__ = [
    "c_extension_wheel",
    "clean_env",
    "new_venv",
    "uv_install",
    "installed_variant_json",
    "rewrite_member",
    "add_member",
    "drop_member",
    "varwheel_cli",
    "NVIDIA_PYPROJECT",
    "NVIDIA_ENV",
]

NVIDIA_ENV = ("NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION", "NV_VARIANT_PROVIDER_FORCE_SM_ARCH")

NVIDIA_PYPROJECT = """\
[variant.default-priorities]
namespace = ["nvidia"]

[variant.providers.nvidia]
requires = ["nvidia-variant-provider"]
plugin-api = "nvidia_variant_provider.plugin:NvidiaVariantPlugin"
"""

_LIB_C = "int vwdemo_answer(void) { return 42; }\n"

_EXT_C = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
int vwdemo_answer(void);

static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(vwdemo_answer()); }

static PyObject *avx2(PyObject *self, PyObject *args) {
#ifdef __AVX2__
    Py_RETURN_TRUE;
#else
    Py_RETURN_FALSE;
#endif
}

static PyMethodDef methods[] = {
    {"answer", answer, METH_NOARGS, "the answer, from the linked shared library"},
    {"avx2", avx2, METH_NOARGS, "whether the compiler targeted AVX2 (x86-64-v3)"},
    {NULL, NULL, 0, NULL},
};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_core", NULL, -1, methods};
PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&module); }
"""


def varwheel_cli(*args, env: Optional[dict] = None, cwd=None) -> subprocess.CompletedProcess:
    """The CLI in process (tests.conftest.run_cli)."""
    from tests.conftest import run_cli

    return run_cli(*args, env=env, cwd=cwd)


def c_extension_wheel(root: Path, name: str = "vwext", version: str = "1.0",
                      cflags: str = "-march=x86-64-v3") -> Tuple[Path, Path]:
    """Build ``{name}`` (package + C extension ``{name}._core``); return ``(wheel, libdir)``.

    ``libdir`` holds ``libvwdemo.so``, which the extension needs at run time
    and which is *not* in the wheel: run auditwheel with it on
    ``LD_LIBRARY_PATH`` so that it gets grafted.
    """
    root.mkdir(parents=True, exist_ok=True)
    libdir = root / "lib"
    libdir.mkdir()
    (libdir / "vwdemo.c").write_text(_LIB_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(libdir / "libvwdemo.so"), str(libdir / "vwdemo.c")],
                   check=True)
    project = root / "project"
    (project / name).mkdir(parents=True)
    (project / "src").mkdir()
    (project / "src" / "core.c").write_text(_EXT_C)
    (project / name / "__init__.py").write_text("from ._core import answer, avx2\n")
    (project / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools", "wheel"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{name}"
        version = "{version}"
        """))
    (project / "setup.py").write_text(textwrap.dedent(f"""\
        from setuptools import Extension, setup
        setup(
            packages=[{name!r}],
            ext_modules=[Extension({name + '._core'!r}, ["src/core.c"], libraries=["vwdemo"],
                                   library_dirs=[{str(libdir)!r}], extra_compile_args={cflags.split()!r})],
        )
        """))
    dist = root / "dist"
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", str(dist), str(project)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    assert re.search(r"-linux_x86_64\.whl$", wheels[0].name), wheels[0].name
    return wheels[0], libdir


def clean_env(tmp_path: Path, extra: Optional[dict] = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("UV_", "NV_VARIANT_PROVIDER_", "PIP_")) and k != "LD_LIBRARY_PATH"}
    env["UV_CACHE_DIR"] = str(tmp_path / "uv-cache")
    env["UV_NO_CONFIG"] = "1"
    env.update(extra or {})
    return env


def new_venv(uv_bin: str, tmp_path: Path, name: str = "venv") -> Path:
    target = tmp_path / name
    proc = subprocess.run([uv_bin, "venv", "-q", str(target), "--python", sys.executable],
                          capture_output=True, text=True, env=clean_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    return target / "bin" / "python"


def uv_install(uv_bin: str, tmp_path: Path, find_links: Path, project: str, *,
               env: Optional[dict] = None, name: str = "venv", version: str = "1.0"):
    """``uv pip install --preview-features wheel-variants`` into a fresh venv.

    Returns ``(proc, python, chosen filename or None)``.
    """
    python = new_venv(uv_bin, tmp_path, name)
    cmd = [uv_bin, "pip", "install", "--preview-features", "wheel-variants", "--python", str(python),
           "--no-index", "--find-links", str(find_links), project, "-v"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(tmp_path, env))
    chosen = re.findall(rf"Selecting: {re.escape(project)}=={re.escape(version)} \[compatible\] \((\S+\.whl)\)",
                        proc.stderr)
    return proc, python, chosen[0] if chosen else None


def installed_variant_json(python: Path, project: str, version: str = "1.0") -> Optional[str]:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['platlib'])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    found = list(Path(out).glob(f"{project}-{version}.dist-info"))
    assert len(found) == 1, f"{project} is not installed in {out}"
    path = found[0] / "variant.json"
    return path.read_text() if path.exists() else None


def _rewrite(wheel: Path, change) -> Path:
    """Rewrite ``wheel`` in place with zipfile, ``change(name, data)`` -> data or None (drop)."""
    tmp = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info))
            if data is not None:
                dst.writestr(info, data)
        extra = change(None, None)
        for name, data in (extra or {}).items():
            dst.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    tmp.replace(wheel)
    return wheel


def rewrite_member(wheel: Path, member: str, data: bytes) -> Path:
    """Replace one member's bytes, RECORD untouched (tampering after RECORD was written)."""
    return _rewrite(wheel, lambda n, d: None if n is None else (data if n == member else d))


def add_member(wheel: Path, member: str, data: bytes) -> Path:
    """Add a member that RECORD does not list."""
    return _rewrite(wheel, lambda n, d: {member: data} if n is None else d)


def drop_member(wheel: Path, member: str) -> Path:
    """Remove a member, RECORD keeps its row."""
    return _rewrite(wheel, lambda n, d: None if n is None or n == member else d)


def copy_to(src: Path, folder: Path, name: Optional[str] = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(src, folder / (name or src.name)))


def files_with_content(folder: Path) -> Dict[str, bytes]:
    """``{relative path: bytes}`` of every file under ``folder`` (hidden ones included)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
