#!/usr/bin/env python3
"""Write demo input: ``mypkg`` 1.0 built three ways, one folder per flavor.

``in/cu126/``, ``in/cu129/`` and ``in/cpu/`` each hold
``mypkg-1.0-py3-none-manylinux_2_17_x86_64.whl`` (same name everywhere, as on
per-CUDA index URLs); ``mypkg.FLAVOR`` says which build is installed.  The
wheels come from the repository's fixture factory, so run this from a
varwheel checkout; with real wheels, skip it and point repackage.py at them.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the repository root, for fixtures/

from fixtures.wheel_factory import make_wheel  # noqa: E402

FLAVORS = {"cu126": "cu126", "cu129": "cu129", "cpu": "cpu"}


def main(argv=None) -> int:
    out = Path((argv or sys.argv[1:] or ["in"])[0])
    for folder, flavor in FLAVORS.items():
        wheel = make_wheel(
            out / folder, "mypkg", "1.0",
            {"mypkg/__init__.py": f"FLAVOR = {flavor!r}\n"},
            tag="py3-none-manylinux_2_17_x86_64",
        )
        print(wheel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
