"""Fixtures shared by every test module.

* ``run_varwheel(*args)``: run the CLI in process (``varwheel.cli.main``,
  output captured), return a CompletedProcess (text mode);
  tests/test_cli_smoke.py runs ``python -m varwheel`` itself.
* ``wheel_factory``: :func:`fixtures.wheel_factory.make_wheel` bound to a tmp folder.
* ``uv_bin``: path of the pinned uv binary from the test extra.
* ``varwheel_wheelhouse``: a folder holding a wheel of *this* checkout of
  varwheel, built once per session, for isolated builds (find-links) so they
  never take varwheel from an index.

Area-specific helpers live in ``tests/helpers_<area>.py`` modules.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # so that ``fixtures`` and ``tests`` import

from fixtures.wheel_factory import make_wheel  # noqa: E402


@pytest.fixture(autouse=True)
def _own_detection_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own per-user detection cache (never the real one in ~/.cache)."""
    monkeypatch.setenv("VARWHEEL_CACHE_DIR", str(tmp_path_factory.mktemp("detect-cache")))


#: Variables a process reads only when it starts (the dynamic loader, the interpreter): a call
#: that sets one runs in a new process.
_READ_AT_START = {"LD_LIBRARY_PATH", "LD_PRELOAD", "PYTHONPATH", "PYTHONHOME"}


def run_process(*args, cwd=None, env=None, check=False, input=None) -> subprocess.CompletedProcess:
    """``python -m varwheel ARGS`` in a new process (text mode, output captured)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "varwheel", *map(str, args)],
        cwd=cwd, env=full_env, capture_output=True, text=True, input=input,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"varwheel {' '.join(map(str, args))} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


def run_cli(*args, cwd=None, env=None, check=False, input=None) -> subprocess.CompletedProcess:
    """Run ``varwheel ARGS`` in this process (``varwheel.cli.main``), as a user's shell would see it.

    stdout and stderr are captured, ``env`` overrides the environment and ``cwd``
    the working directory for the call only, ``input`` is standard input.  An
    unexpected exception becomes exit status 1 with its traceback on stderr,
    as the interpreter would print it.  Returns a ``CompletedProcess``.  A call
    that sets a variable only read at process start (``LD_LIBRARY_PATH``...)
    runs in a new process (:func:`run_process`).
    """
    import contextlib
    import io
    import traceback

    from varwheel.cli import main

    argv = [str(a) for a in args]
    if env and _READ_AT_START & set(env):
        return run_process(*argv, cwd=cwd, env=env, check=check, input=input)
    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd, saved_stdin = dict(os.environ), os.getcwd(), sys.stdin
    try:
        os.environ.update(env or {})
        if cwd is not None:
            os.chdir(cwd)
        sys.stdin = io.StringIO(input or "")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse: --help, usage errors
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if isinstance(exc.code, str):
                    print(exc.code, file=sys.stderr)
            except Exception:
                traceback.print_exc()
                code = 1
    finally:
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    proc = subprocess.CompletedProcess(["varwheel", *argv], code, out.getvalue(), err.getvalue())
    if check and proc.returncode != 0:
        raise AssertionError(
            f"varwheel {' '.join(argv)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


@pytest.fixture
def run_varwheel():
    """The CLI, in process (``run_cli``); tests/test_cli_smoke.py covers the real ``python -m varwheel``."""
    return run_cli


@pytest.fixture
def wheel_factory(tmp_path):
    def factory(name="demo", version="1.0", files=None, *, directory=None, **kwargs):
        return make_wheel(directory or tmp_path / "wheels", name, version, files, **kwargs)

    return factory


def _find_uv() -> str:
    candidate = Path(sys.executable).parent / "uv"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("uv")
    if not found:
        pytest.fail("uv is not installed: install the test extra (pip install -e '.[test]')")
    return found


@pytest.fixture(scope="session")
def uv_bin() -> str:
    uv = _find_uv()
    version = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout
    assert "0.13.9" in version, f"tests expect uv 0.13.9 (the test extra pins it), found {version!r}"
    return uv


@pytest.fixture(scope="session")
def varwheel_wheelhouse(tmp_path_factory) -> Path:
    """Build this checkout of varwheel into a wheel once per session."""
    out = tmp_path_factory.mktemp("varwheel-wheelhouse")
    build_dir = tmp_path_factory.mktemp("varwheel-src")
    # Build from a copy of what a wheel of varwheel is made of (as examples/quickstart/demo.sh
    # and bench/real_project.py do), so that the checkout gets no build/ or egg-info litter.
    src = build_dir / "varwheel"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "backend", src / "backend", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    # Isolated: the project's `license = "MIT"` needs setuptools >= 77, newer than
    # what a test environment may have installed.
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(out.glob("varwheel-*.whl")), "no varwheel wheel was built"
    return out
