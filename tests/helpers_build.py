"""Helpers for the build-backend tests: fixture projects, frontends, installs.

* :func:`copy_project` copies a fixture project from ``fixtures/projects`` into
  a temporary folder (builds litter their source tree: build/, *.egg-info).
* :class:`Frontend` runs the real frontends the way users type them, with
  varwheel taken from the session wheelhouse (``varwheel_wheelhouse``) through
  each frontend's own find-links mechanism, never from an index:
  ``python -m build`` (``-C`` or ``--config-json``) and pip through
  ``PIP_FIND_LINKS``, uv through ``--find-links``.
* :class:`HookCaller` calls single hooks of ``varwheel.build`` in a subprocess
  with :mod:`pyproject_hooks`, exactly as frontends do, without isolation.
* :func:`install_and_run` installs a (variant) wheel into a fresh venv with uv
  (preview) and runs code there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from tests.conftest import ROOT

FIXTURES = ROOT / "fixtures" / "projects"
VENV_BIN = Path(sys.executable).parent
UV = str(VENV_BIN / "uv") if (VENV_BIN / "uv").exists() else (shutil.which("uv") or "uv")

Settings = Union[Mapping[str, Any], Sequence[Tuple[str, str]]]


def copy_project(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__"))
    return target


def run(cmd: Sequence[Any], *, cwd: Optional[Path] = None, env: Optional[Mapping[str, str]] = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=dict(env) if env is not None else None, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, cmd))} exited {proc.returncode}\nstdout:\n{proc.stdout[-6000:]}\nstderr:\n{proc.stderr[-6000:]}"
        )
    return proc


def pairs(settings: Settings) -> List[Tuple[str, str]]:
    """``[("variant", "a"), ("variant", "b")]`` from a list of pairs or a dict (lists expand)."""
    if isinstance(settings, Mapping):
        out: List[Tuple[str, str]] = []
        for key, value in settings.items():
            for item in value if isinstance(value, list) else [value]:
                out.append((key, item))
        return out
    return list(settings)


class Frontend:
    """The real frontends, each fed varwheel from the session wheelhouse."""

    def __init__(self, wheelhouse: Path, scratch: Path) -> None:
        self.wheelhouse = wheelhouse
        self.scratch = scratch
        self.env = dict(os.environ)
        self.env["PATH"] = f"{VENV_BIN}{os.pathsep}{self.env.get('PATH', '')}"
        self.env["PIP_FIND_LINKS"] = " ".join(filter(None, [str(wheelhouse), os.environ.get("PIP_FIND_LINKS", "")]))
        # A fresh uv cache per session: the wheelhouse's varwheel-0.1.0 wheel changes
        # between sessions under the same name, and uv would otherwise reuse an old one.
        self.env["UV_CACHE_DIR"] = str(scratch / "uv-cache")
        self.env.pop("VARWHEEL_DEBUG", None)

    def build(self, project: Path, outdir: Path, settings: Settings = (), *, with_sdist: bool = False, check: bool = True, extra: Sequence[str] = ()) -> subprocess.CompletedProcess:
        """``python -m build -w -Ckey=value ...`` (``-Ckey`` alone for an empty value, as users type it).

        ``with_sdist``: no ``-w``: the sdist, then the wheel built from it."""
        args = [sys.executable, "-m", "build", "--outdir", outdir, *extra]
        if not with_sdist:
            args.append("--wheel")
        for key, value in pairs(settings):
            args.append(f"-C{key}={value}" if value != "" else f"-C{key}")
        return run(args + [project], env=self.env, check=check)

    def build_json(self, project: Path, outdir: Path, settings: Mapping[str, Any], *, check: bool = True) -> subprocess.CompletedProcess:
        """``python -m build -w --config-json '{...}'`` (lists and booleans as JSON)."""
        args = [sys.executable, "-m", "build", "--wheel", "--outdir", outdir, "--config-json", json.dumps(settings), project]
        return run(args, env=self.env, check=check)

    def pip(self, *args: Any, settings: Settings = (), check: bool = True, cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
        """``pip <args> --config-settings key=value ...``"""
        cmd = [sys.executable, "-m", "pip", *args]
        for key, value in pairs(settings):
            cmd += ["--config-settings", f"{key}={value}"]
        return run(cmd, env=self.env, check=check, cwd=cwd)

    def uv_build(self, project: Path, outdir: Path, settings: Settings = (), *, check: bool = True) -> subprocess.CompletedProcess:
        """``uv build --wheel -C key=value ...`` (uv needs ``key=`` for an empty value)."""
        cmd = [UV, "build", "--wheel", "--out-dir", outdir, "--find-links", self.wheelhouse, "--python", sys.executable]
        for key, value in pairs(settings):
            cmd += ["-C", f"{key}={value}"]
        return run(cmd + [project], env=self.env, check=check)


def wheels(folder: Path) -> List[Path]:
    return sorted(folder.glob("*.whl"))


def only_wheel(folder: Path) -> Path:
    found = wheels(folder)
    assert len(found) == 1, f"expected one wheel in {folder}, found {[p.name for p in found]}"
    return found[0]


def variant_json(wheel: Path) -> Optional[Dict[str, Any]]:
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.endswith(".dist-info/variant.json")]
        return json.loads(zf.read(names[0])) if names else None


def new_venv(path: Path) -> Path:
    run([UV, "venv", "-q", "--python", sys.executable, path])
    return path / "bin" / "python"


def install_and_run(wheel: Path, venv: Path, code: str, *, env: Optional[Mapping[str, str]] = None) -> str:
    """Install ``wheel`` into a fresh venv with uv (preview: labelled names) and run ``code``."""
    python = new_venv(venv)
    run([UV, "pip", "install", "--preview-features", "wheel-variants", "--python", python, "--no-deps", "--offline", wheel], env=env)
    return run([python, "-c", code], cwd=venv).stdout.strip()


def unpack_and_run(wheel: Path, dest: Path, code: str) -> str:
    """Unpack ``wheel`` and run ``code`` with it on sys.path (for variants uv cannot
    evaluate, such as ISA features its built-in x86_64 provider does not report)."""
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(dest)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(dest)
    return run([sys.executable, "-c", code], cwd=dest, env=env).stdout.strip()


class HookCaller:
    """Call ``varwheel.build`` hooks the way frontends do (pyproject_hooks, subprocess)."""

    def __init__(self, project: Path, *, env: Optional[Mapping[str, str]] = None, backend: str = "varwheel.build", backend_path: Optional[List[str]] = None) -> None:
        from pyproject_hooks import BuildBackendHookCaller

        self.stderr = ""
        self.env = dict(env or {})

        def runner(cmd, cwd=None, extra_environ=None):
            full = dict(os.environ)
            full.pop("VARWHEEL_DEBUG", None)
            full.update(self.env)
            full.update(extra_environ or {})
            proc = subprocess.run(cmd, cwd=cwd, env=full, capture_output=True, text=True)
            self.stderr = proc.stderr
            if proc.returncode != 0:
                raise subprocess.CalledProcessError(proc.returncode, cmd, proc.stdout, proc.stderr)

        self.caller = BuildBackendHookCaller(str(project), backend, backend_path=backend_path, python_executable=sys.executable, runner=runner)

    def __getattr__(self, name: str):
        return getattr(self.caller, name)


def read_log(path: Path) -> List[Dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def last(log: Iterable[Dict[str, Any]], hook: str) -> Dict[str, Any]:
    entries = [e for e in log if e["hook"] == hook]
    assert entries, f"the inner backend's {hook} was not called"
    return entries[-1]


def cpu_x86_level() -> Optional[str]:
    """This machine's x86-64 psABI level from /proc/cpuinfo (spec section 8), or None."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    line = next((l for l in text.splitlines() if l.startswith("flags")), "")
    flags = set(line.split(":", 1)[-1].split())
    levels = [
        ("v1", {"cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2"}),
        ("v2", {"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"}),
        ("v3", {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}),
        ("v4", {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
    ]
    reached = None
    for name, needed in levels:
        if not needed <= flags:
            break
        reached = name
    return reached
