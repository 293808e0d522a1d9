"""What the benchmarks that compare this tree with an older revision share: the children's environment, and that revision.

Each benchmark runs its subject in fresh interpreters, with bytecode cached
outside the tree (as after ``pip install``), and ``--baseline REV`` puts the
``backend/`` of git revision REV first on their path instead of this tree's.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, Optional

ROOT = Path(__file__).resolve().parent.parent


def child_env(backend: Optional[Path] = None) -> Dict[str, str]:
    """The children's environment: bytecode cached (outside the tree); ``backend`` first on the path."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(ROOT / ".bench-data" / "pycache")
    if backend is not None:
        env["PYTHONPATH"] = str(backend) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def baseline_backend(rev: str) -> Path:
    """``backend/`` as it was at git revision ``rev``, unpacked once under ``.bench-data`` (no worktree: git's metadata is left alone)."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], capture_output=True, text=True,
                         check=True).stdout.strip()
    folder = ROOT / ".bench-data" / "baseline" / sha
    if not (folder / "backend" / "varwheel").exists():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha, "backend"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "backend"
