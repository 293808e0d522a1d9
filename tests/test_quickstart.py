"""The README's first command runs examples/quickstart/demo.sh: keep it working."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

DEMO = ROOT / "examples" / "quickstart" / "demo.sh"


def test_quickstart_demo_makes_two_variants_a_null_variant_and_an_index(tmp_path):
    out = tmp_path / "dist-variants"
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(["sh", str(DEMO), str(out)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "hello_variants-1.0-py3-none-any-fa7c1393.whl",
        "hello_variants-1.0-py3-none-any-null.whl",
        "hello_variants-1.0-py3-none-any-v4.whl",
        "hello_variants-1.0-variants.json",
    ]
    index = json.loads((out / "hello_variants-1.0-variants.json").read_text())
    assert index["variants"] == {
        "fa7c1393": {"x86_64": {"level": ["v3"]}},
        "null": {},
        "v4": {"x86_64": {"level": ["v4"]}},
    }
    assert index["default-priorities"] == {"namespace": ["x86_64"]}
    # `show` printed each wheel's label.
    for label in ("fa7c1393", "null", "v4"):
        assert label in proc.stdout
    # select explained its choice, and planned for an x86-64-v3 machine.
    assert "<- selected" in proc.stdout
    assert proc.stdout.rstrip().endswith("hello_variants-1.0-py3-none-any-fa7c1393.whl")
    # The input wheel in the repository is untouched.
    bundled = (DEMO.parent / "hello_variants-1.0-py3-none-any.whl").read_bytes()
    assert hashlib.sha256(bundled).hexdigest() == "ad35b5413eca5276751e80383d7fdc03cb7afd9e69e5fafab1b5569e8cb06d60"
