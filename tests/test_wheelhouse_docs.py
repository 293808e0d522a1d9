"""README's "varwheel in isolated builds" section, run as written.

Every command of the section's ``sh`` blocks is taken from README.md itself
and run with ``sh -c`` in a fresh copy of ``fixtures/projects/setuptools_probe``
(the section's ``/tmp/wheelhouse`` replaced by the session wheelhouse, which
conftest builds with the section's own ``pip wheel --no-deps -w ...``), so
the docs and this test cannot drift.  docs/build-backend.md must show the same
commands.  Each build must come out as the x86-64-v3 variant: the label in the
file name, or (pip) the plain name with ``variant.json`` inside, which
``varwheel relabel`` then labels.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path
from typing import List

import pytest

from tests.conftest import ROOT
from tests.helpers_build import VENV_BIN, copy_project, only_wheel, run, variant_json

pytestmark = pytest.mark.slow

SECTION = "## varwheel in isolated builds"
WHEELHOUSE = "/tmp/wheelhouse"  # as the docs spell it
MAKE_WHEELHOUSE = f"pip wheel --no-deps -w {WHEELHOUSE} path/to/varwheel"
TAG = "probe_setuptools-1.0-cp%d%d-cp%d%d-linux_x86_64" % (sys.version_info[:2] * 2)


def section_commands(path: Path, heading: str) -> List[str]:
    """The shell commands in the ``sh`` blocks of one section (comments dropped)."""
    text = path.read_text()
    assert heading + "\n" in text, f"{path.name} has no {heading!r} section"
    section = text.split(heading + "\n", 1)[1]
    section = re.split(r"^## ", section, maxsplit=1, flags=re.M)[0]
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", section, re.S | re.M):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


README_COMMANDS = section_commands(ROOT / "README.md", SECTION)
BUILDS = [c for c in README_COMMANDS if c != MAKE_WHEELHOUSE]
#: The ways the section must show, one command each.
WAYS = {
    "build+PIP_FIND_LINKS": lambda c: c.startswith(f"PIP_FIND_LINKS={WHEELHOUSE} python -m build "),
    "pip+PIP_FIND_LINKS": lambda c: c.startswith(f"PIP_FIND_LINKS={WHEELHOUSE} pip wheel "),
    "uv+UV_FIND_LINKS": lambda c: c.startswith(f"UV_FIND_LINKS={WHEELHOUSE} uv build "),
    "uv--find-links": lambda c: c.startswith("uv build ") and f"--find-links {WHEELHOUSE}" in c,
    "build-n": lambda c: c.startswith("python -m build ") and " -n " in c,
    "pip--no-build-isolation": lambda c: c.startswith("pip wheel ") and "--no-build-isolation" in c,
}


def way_of(command: str) -> str:
    return next((way for way, matches in WAYS.items() if matches(command)), command)


def test_the_section_documents_every_way():
    assert README_COMMANDS[0] == MAKE_WHEELHOUSE, "the wheelhouse is made first, as conftest makes it"
    assert section_commands(ROOT / "docs" / "build-backend.md", SECTION) == README_COMMANDS
    for way, matches in WAYS.items():
        assert sum(map(matches, BUILDS)) == 1, f"README shows no single command for {way}: {BUILDS}"
    assert len(BUILDS) == len(WAYS)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    env = dict(os.environ)
    # `python`, `pip`, `uv` of the test environment; with -n it also holds varwheel and setuptools.
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PIP_FIND_LINKS", None)
    env.pop("UV_FIND_LINKS", None)
    env.pop("VARWHEEL_DEBUG", None)
    env.pop("VIRTUAL_ENV", None)
    # A fresh uv cache: the wheelhouse's varwheel-0.1.0 wheel changes between sessions.
    env["UV_CACHE_DIR"] = str(tmp_path_factory.mktemp("uv-cache"))
    return env


@pytest.mark.parametrize("command", BUILDS, ids=way_of)
def test_documented_command_builds_the_variant(command, varwheel_wheelhouse, env, tmp_path):
    project = copy_project("setuptools_probe", tmp_path)
    line = command.replace(WHEELHOUSE, shlex.quote(str(varwheel_wheelhouse)))
    proc = run(["sh", "-c", line], cwd=project, env=env)
    wheel = only_wheel(project / "dist")
    assert variant_json(wheel)["variants"] == {"fa7c1393": {"x86_64": {"level": ["v3"]}}}
    if re.match(r"(\S+=\S+ )*pip ", command):
        # pip: the label is deferred by the backend itself; relabel adds it.
        assert wheel.name == f"{TAG}.whl", wheel.name
        run([sys.executable, "-m", "varwheel", "relabel", project / "dist"], env=env)
        assert only_wheel(project / "dist").name == f"{TAG}-fa7c1393.whl"
    else:
        assert wheel.name.endswith("-fa7c1393.whl"), wheel.name
        assert "varwheel: building variant fa7c1393 (x86_64 :: level :: v3)" in proc.stdout + proc.stderr


def test_pip_says_how_to_add_the_deferred_label(varwheel_wheelhouse, env, tmp_path):
    """The one line the backend prints under pip (shown with -v)."""
    project = copy_project("setuptools_probe", tmp_path)
    command = next(c for c in BUILDS if WAYS["pip--no-build-isolation"](c))
    proc = run(["sh", "-c", command.replace("pip wheel ", "pip wheel -v ", 1)], cwd=project, env=env)
    said = [l for l in (proc.stdout + proc.stderr).splitlines() if "varwheel relabel" in l]
    assert len(said) == 1 and f"{TAG}.whl" in said[0], said
