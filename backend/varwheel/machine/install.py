"""Install the selected wheel with the target environment's own, variant-unaware pip.

pip refuses labelled file names (``pkg-1.0-py3-none-any-cu128.whl`` has one
component too many for it), so the chosen wheel is copied under its plain name
into a temporary folder and pip installs that copy.  The bytes are unchanged:
``variant.json`` stays in the ``.dist-info`` folder and in RECORD, so the
installed distribution still says which variant it is.  The copy is deleted
afterwards.  When no variant fits, :func:`varwheel.machine.select.select` has already
fallen back to the null variant or the plain wheel; when nothing fits,
:class:`NothingFits` says why, wheel by wheel.

pip also gets each ``--find-links`` folder, so that dependencies published
beside the package resolve too (pip skips the labelled files there, whose
names it cannot parse).

Example::

    result = install_selected("mypkg", ["dist/"], python=".venv/bin/python")
    print(result.selection.chosen.name, result.returncode)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence

from varwheel.errors import InvalidInput
from varwheel.machine.select import Selection, select, target_tags

__all__ = ["NothingFits", "InstallResult", "default_python", "pip_command", "install_selected"]


class NothingFits(Exception):
    """No wheel of the requirement fits the target (not bad input: exit status 1)."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        super().__init__(f"no wheel of {selection.requirement} fits this machine:\n{selection.why_nothing()}")


@dataclass
class InstallResult:
    selection: Selection
    command: List[str]
    returncode: int = 0
    plain_name: str = ""
    warnings: List[str] = field(default_factory=list)


def default_python() -> str:
    """The active virtual environment's interpreter (``$VIRTUAL_ENV``), else the running one."""
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        for candidate in (Path(venv) / "bin" / "python", Path(venv) / "Scripts" / "python.exe"):
            if candidate.exists():
                return str(candidate)
    return sys.executable


def _check_pip(python: str) -> None:
    try:
        proc = subprocess.run(
            [python, "-c", "import pip; print('pip-ok')"], capture_output=True, text=True, timeout=120
        )
    except OSError as exc:
        raise InvalidInput(f"--python {python}: cannot run it ({exc.strerror or exc})") from None
    if proc.returncode == 0 and proc.stdout.strip() != "pip-ok":
        raise InvalidInput(f"--python {python}: is not a Python interpreter")
    if proc.returncode != 0:
        raise InvalidInput(
            f"--python {python}: this environment has no pip; create it with `python -m venv` "
            "(which installs pip) or point --python at one that has it"
        )


def pip_command(python: str, wheel: "str | os.PathLike[str]", find_links: Sequence["str | os.PathLike[str]"],
                pip_args: Sequence[str], extras: Sequence[str] = ()) -> List[str]:
    """``python -m pip install WHEEL[extras] --find-links DIR ... PIP_ARGS``."""
    target = str(wheel) + (f"[{','.join(extras)}]" if extras else "")
    cmd = [python, "-m", "pip", "install", target]
    for folder in find_links:
        cmd += ["--find-links", str(folder)]
    return cmd + list(pip_args)


def install_selected(
    requirement: str,
    find_links: Sequence["str | os.PathLike[str]"],
    *,
    python: Optional[str] = None,
    pip_args: Sequence[str] = (),
    dry_run: bool = False,
    assume: Sequence[str] = (),
    detect: bool = True,
    require_index: bool = False,
    env=None,
) -> InstallResult:
    """Select for ``python``'s tags, then install the choice with that interpreter's pip.

    Raises :class:`NothingFits` when no wheel fits, :class:`InvalidInput` for
    bad input (including a target without pip).  ``dry_run`` selects and
    builds the pip command without copying or running anything.
    """
    from packaging.requirements import Requirement

    python = python or default_python()
    if not dry_run:
        _check_pip(python)
    same = os.path.realpath(python) == os.path.realpath(sys.executable)
    tags = None if same else target_tags(python)
    selection = select(requirement, find_links, tags=tags, assume=assume, detect=detect,
                       require_index=require_index, env=env)
    if selection.chosen is None:
        raise NothingFits(selection)
    chosen = selection.chosen
    plain = str(chosen.filename.with_label(None))
    extras = sorted(Requirement(requirement).extras)
    if dry_run:
        cmd = pip_command(python, Path("<tmp>") / plain, find_links, pip_args, extras)
        return InstallResult(selection, cmd, 0, plain, list(selection.warnings))
    with tempfile.TemporaryDirectory(prefix="varwheel-install-") as tmp:
        copy = Path(tmp) / plain
        shutil.copyfile(chosen.path, copy)
        cmd = pip_command(python, copy, find_links, pip_args, extras)
        proc = subprocess.run(cmd)
    return InstallResult(selection, cmd, proc.returncode, plain, list(selection.warnings))
