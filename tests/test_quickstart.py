"""The README's first command runs examples/quickstart/demo.sh: keep it working.

The demo has two parts, both checked here from one run:

1. ``varwheel make-variant`` turns the bundled pure wheel into two variants
   and a null variant, ``index``, ``show``, ``select``;
2. the bundled C extension ``hello_ext/`` is built from source through
   ``varwheel.build`` (null, x86-64-v3, x86-64-v4 labelled ``v4``), indexed,
   selected for this machine and run: it prints the instruction-set macros it
   was compiled with.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers_build import cpu_x86_level

DEMO = ROOT / "examples" / "quickstart" / "demo.sh"
HELLO_EXT = DEMO.parent / "hello_ext"
TAG = "cp%d%d-cp%d%d-linux_x86_64" % (sys.version_info[:2] * 2)
#: What the machine gets, by x86-64 level: (label, a macro it must have, a macro it must not have).
EXPECTED = {
    "v4": ("v4", "__AVX512F__", None),
    "v3": ("fa7c1393", "__AVX2__", "__AVX512F__"),
    "v2": ("null", None, "__AVX2__"),
    "v1": ("null", None, "__AVX2__"),
}


def _source_tree(folder: Path):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quickstart")
    out, built = tmp / "dist-variants", tmp / "dist-built"
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["TMPDIR"] = str(tmp)
    env.pop("VARWHEEL_DEBUG", None)
    before = _source_tree(HELLO_EXT)
    proc = subprocess.run(["sh", str(DEMO), str(out), str(built)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-8000:]
    # The demo builds from copies: no build/, *.egg-info or wheel litter in the checkout.
    assert _source_tree(HELLO_EXT) == before
    # Its scratch folder (wheelhouse, source copy, unpacked wheel) is removed.
    assert not list(tmp.glob("varwheel-quickstart.*"))
    return proc, out, built


def test_quickstart_demo_makes_two_variants_a_null_variant_and_an_index(demo):
    proc, out, _ = demo
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
    part1 = proc.stdout.split("== 2.")[0]
    # `show` printed each wheel's label.
    for label in ("fa7c1393", "null", "v4"):
        assert label in part1
    # select explained its choice, and planned for an x86-64-v3 machine.
    assert "<- selected" in part1
    assert part1.rstrip().endswith("hello_variants-1.0-py3-none-any-fa7c1393.whl")
    # The input wheel in the repository is untouched.
    bundled = (DEMO.parent / "hello_variants-1.0-py3-none-any.whl").read_bytes()
    assert hashlib.sha256(bundled).hexdigest() == "ad35b5413eca5276751e80383d7fdc03cb7afd9e69e5fafab1b5569e8cb06d60"


def test_quickstart_demo_builds_compiled_variants_and_runs_the_one_this_machine_gets(demo):
    proc, _, built = demo
    part2 = proc.stdout.split("== 2.", 1)[1]
    if platform.machine() != "x86_64":
        assert "skipped:" in part2 and not built.exists()
        return
    assert sorted(p.name for p in built.iterdir()) == [
        f"hello_ext-1.0-{TAG}-fa7c1393.whl",
        f"hello_ext-1.0-{TAG}-null.whl",
        f"hello_ext-1.0-{TAG}-v4.whl",
        "hello_ext-1.0-variants.json",
    ]
    index = json.loads((built / "hello_ext-1.0-variants.json").read_text())
    assert index["variants"] == {
        "fa7c1393": {"x86_64": {"level": ["v3"]}},
        "null": {},
        "v4": {"x86_64": {"level": ["v4"]}},
    }
    assert index["default-priorities"] == {"namespace": ["x86_64"]}
    # hello_ext declares only default-priorities: the built-in x86_64 provider entry is filled in.
    assert index["providers"] == {"x86_64": {"requires": ["x86-64-variant-provider"]}}
    # Each build went through varwheel.build with the derived flags.
    assert "building variant null (no properties) with setuptools.build_meta" in part2
    assert re.search(r"CFLAGS/CXXFLAGS \+= -march=x86-64-v3\b", part2)
    assert re.search(r"CFLAGS/CXXFLAGS \+= -march=x86-64-v4\b", part2)

    level = cpu_x86_level()
    assert level in EXPECTED, f"unexpected x86-64 level {level!r}"
    label, present, absent = EXPECTED[level]
    chosen = f"hello_ext-1.0-{TAG}-{label}.whl"
    # select --explain names the wheel this machine gets.
    assert re.search(rf"^\s+1\. {re.escape(chosen)} \[{label}\] .*<- selected$", part2, re.M), part2
    assert f"selected: {built / chosen}" in part2
    # The chosen build reports the macros it was compiled with (unpacked; and installed by uv,
    # which chose the same wheel from the same folder, when uv is on PATH as here).
    reports = re.findall(r"^(?:installed by uv: )?hello_ext (\S+) was compiled with: (.*)$", part2, re.M)
    with_uv = shutil.which("uv", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    assert len(reports) == (2 if with_uv else 1), part2
    for got_label, macros in reports:
        macros = set(macros.split())
        assert got_label == label
        if present:
            assert present in macros
        if absent:
            assert absent not in macros
        if label == "v4":
            assert {"__AVX2__", "__FMA__", "__AVX512BW__", "__AVX512VL__"} <= macros
