"""The CUDA toolkit a build will use, and whether it satisfies a variant's bounds.

``nvidia :: cuda_version_lower_bound :: 12.8`` promises that the wheel needs a
driver >= 12.8 because it was built with toolkit 12.8 or newer; an
``upper_bound`` of 13 promises a toolkit < 13.  varwheel checks that promise
*before* the inner backend compiles anything, against the toolkit the build
would pick up, looked for in this order:

1. ``-Ccmake.define.CMAKE_CUDA_COMPILER=...`` (scikit-build-core builds),
2. ``CUDACXX`` (what CMake reads),
3. ``CUDA_HOME``, then ``CUDA_PATH`` (``<dir>/bin/nvcc``: PyTorch, setup.py scripts),
4. ``nvcc`` on ``PATH``,
5. ``/usr/local/cuda/bin/nvcc`` (CMake's and FindCUDAToolkit's last resort).

The version is what ``nvcc --version`` prints (``release 13.0``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Optional, Sequence, Tuple

from varwheel.errors import ToolchainError

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass
else:
    from varwheel.model.values import dataclass

__all__ = ["CudaToolkit", "find_cuda_toolkit", "nvcc_version", "check_cuda_bounds"]

_RELEASE_RE = re.compile(r"release (\d+)\.(\d+)")
DEFAULT_NVCC = Path("/usr/local/cuda/bin/nvcc")


@dataclass(frozen=True)
class CudaToolkit:
    nvcc: Path
    version: Tuple[int, ...]
    source: str  # where it was found, for messages

    @property
    def version_str(self) -> str:
        return ".".join(str(v) for v in self.version)

    def describe(self) -> str:
        return f"CUDA toolkit {self.version_str} (nvcc {self.nvcc}, from {self.source})"


def _resolve(command: str, environ: Mapping[str, str]) -> Optional[Path]:
    if os.sep in command or (os.altsep and os.altsep in command):
        path = Path(command).expanduser()
        return path if path.is_file() and os.access(path, os.X_OK) else None
    import shutil  # only a variant with CUDA bounds looks for nvcc: most builds never import it

    found = shutil.which(command, path=environ.get("PATH", os.defpath))
    return Path(found) if found else None


def _candidates(environ: Mapping[str, str], cmake_compiler: Optional[str]):
    if cmake_compiler:
        yield cmake_compiler, "cmake.define.CMAKE_CUDA_COMPILER", True
    if environ.get("CUDACXX"):
        yield environ["CUDACXX"].strip(), "CUDACXX", True
    for var in ("CUDA_HOME", "CUDA_PATH"):
        if environ.get(var):
            yield str(Path(environ[var]) / "bin" / "nvcc"), var, True
    yield "nvcc", "PATH", False
    yield str(DEFAULT_NVCC), str(DEFAULT_NVCC.parent.parent), False


def nvcc_version(nvcc: Path) -> Tuple[int, ...]:
    """``(major, minor)`` from ``nvcc --version``."""
    import subprocess  # as shutil above: every build hook pays for module-level imports

    try:
        proc = subprocess.run([str(nvcc), "--version"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolchainError(f"cannot run {nvcc} --version to learn the CUDA toolkit version: {exc}") from None
    match = _RELEASE_RE.search(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not match:
        raise ToolchainError(
            f"{nvcc} --version did not report a CUDA release (exit {proc.returncode}): "
            f"{(proc.stdout + proc.stderr).strip()[:200]!r}"
        )
    return int(match.group(1)), int(match.group(2))


def find_cuda_toolkit(
    environ: Optional[Mapping[str, str]] = None, *, cmake_compiler: Optional[str] = None
) -> Optional[CudaToolkit]:
    """The toolkit a build in ``environ`` would use, or ``None`` when there is none.

    An explicit choice (CMake define, ``CUDACXX``, ``CUDA_HOME``, ``CUDA_PATH``)
    that points at no nvcc is an error: the build would not silently fall back
    to another toolkit either.
    """
    env = os.environ if environ is None else environ
    for command, source, explicit in _candidates(env, cmake_compiler):
        path = _resolve(command, env)
        if path is None:
            if explicit:
                raise ToolchainError(
                    f"{source} names a CUDA compiler that does not exist or is not executable: {command}"
                )
            continue
        return CudaToolkit(path, nvcc_version(path), source)
    return None


def _cmp(version: Tuple[int, ...], bound: Tuple[int, ...]) -> int:
    width = max(len(version), len(bound))
    a = version + (0,) * (width - len(version))
    b = bound + (0,) * (width - len(bound))
    return (a > b) - (a < b)


def check_cuda_bounds(
    lower: Sequence[str],
    upper: Sequence[str],
    environ: Optional[Mapping[str, str]] = None,
    *,
    cmake_compiler: Optional[str] = None,
) -> Optional[CudaToolkit]:
    """Raise :class:`ToolchainError` unless the build's toolkit satisfies every bound.

    Returns the toolkit checked (``None`` when there were no bounds).
    """
    from varwheel.build.flags import parse_cuda_version

    if not lower and not upper:
        return None
    toolkit = find_cuda_toolkit(environ, cmake_compiler=cmake_compiler)
    asked = ", ".join(
        [f"nvidia :: cuda_version_lower_bound :: {b} (toolkit >= {b})" for b in lower]
        + [f"nvidia :: cuda_version_upper_bound :: {b} (toolkit < {b})" for b in upper]
    )
    if toolkit is None:
        raise ToolchainError(
            f"the variant asks for {asked}, but no CUDA toolkit was found (looked at CUDACXX, "
            "CUDA_HOME, CUDA_PATH, nvcc on PATH, /usr/local/cuda): install the CUDA toolkit or point "
            "CUDACXX at its nvcc"
        )
    for bound in lower:
        if _cmp(toolkit.version, parse_cuda_version(bound)) < 0:
            raise ToolchainError(
                f"the variant asks for nvidia :: cuda_version_lower_bound :: {bound} (a toolkit >= {bound}), "
                f"but the build would use {toolkit.describe()}: use a CUDA {bound} or newer toolkit "
                "(CUDACXX / CUDA_HOME / PATH) or lower the bound; nothing was compiled"
            )
    for bound in upper:
        if _cmp(toolkit.version, parse_cuda_version(bound, feature="cuda_version_upper_bound")) >= 0:
            raise ToolchainError(
                f"the variant asks for nvidia :: cuda_version_upper_bound :: {bound} (a toolkit older than "
                f"{bound}), but the build would use {toolkit.describe()}: use an older toolkit "
                "(CUDACXX / CUDA_HOME / PATH) or raise the bound; nothing was compiled"
            )
    return toolkit
