"""``varwheel repair``: real ``auditwheel repair`` + patchelf on a real C-extension variant.

The extension (built by setuptools, compiled with ``-march=x86-64-v3``) links
``libvwdemo.so`` from outside the wheel, so auditwheel has to graft it into
``vwext.libs/`` and patch the extension's RPATH with patchelf.  The repaired
wheel must keep its label and its ``variant.json`` byte for byte, pass
RECORD verification, and install with uv in preview mode, where the
extension then loads the grafted library.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fixtures.wheel_factory import make_wheel
from tests.helpers_pipeline import (
    c_extension_wheel,
    clean_env,
    files_with_content,
    installed_variant_json,
    uv_install,
)
from tests.helpers_index import X86_PYPROJECT
from varwheel.model.filename import WheelFilename
from varwheel.wheel.archive import WheelArchive

pytestmark = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and shutil.which("gcc")),
    reason="auditwheel repairs Linux ELF wheels; needs Linux and gcc to build the C extension",
)

AUDITWHEEL = [str(Path(sys.executable).parent / "auditwheel"), "repair", "-w", "{dest_dir}", "{wheel}"]
VARIANT_JSON = "vwext-1.0.dist-info/variant.json"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def ext_variant(tmp_path_factory):
    """``(labelled variant wheel, deferred-label variant wheel, libdir)`` of the C extension."""
    root = tmp_path_factory.mktemp("ext")
    wheel, libdir = c_extension_wheel(root / "build")
    toml = root / "pyproject.toml"
    toml.write_text(X86_PYPROJECT)
    out = {}
    for defer in (False, True):
        folder = root / ("deferred" if defer else "labelled")
        from varwheel.wheel.make import make_variant
        from varwheel.model.pyproject import load_variant_project
        from varwheel.model.request import resolve_variant

        request = resolve_variant(["x86_64 :: level :: v3"], label="x86_64_v3", project=load_variant_project(toml))
        out[defer] = make_variant(wheel, folder, request, defer_label=defer)
    return out[False], out[True], libdir


def repair_env(libdir: Path) -> dict:
    return {"LD_LIBRARY_PATH": str(libdir)}


def test_auditwheel_alone_rejects_the_labelled_name(ext_variant, tmp_path):
    """Why `varwheel repair` exists (ORACLES.md): auditwheel parses the filename."""
    labelled, _, libdir = ext_variant
    proc = subprocess.run([a.replace("{dest_dir}", str(tmp_path / "o")).replace("{wheel}", str(labelled))
                           for a in AUDITWHEEL], capture_output=True, text=True,
                          env=dict(os.environ, **repair_env(libdir)))
    assert proc.returncode != 0
    assert "Invalid" in proc.stderr and "x86_64_v3" in proc.stderr
    assert not list(tmp_path.rglob("*.whl"))


def test_auditwheel_round_trip_keeps_label_and_variant_json_and_installs_with_uv(
        ext_variant, tmp_path, run_varwheel, uv_bin):
    labelled, _, libdir = ext_variant
    before = sha(labelled)
    dest = tmp_path / "wheelhouse"
    proc = run_varwheel("repair", labelled, "-w", dest, "--", *AUDITWHEEL, env=repair_env(libdir))
    assert proc.returncode == 0, proc.stderr
    [out] = [Path(p) for p in proc.stdout.split()]
    assert out.parent == dest
    assert re.fullmatch(r"vwext-1\.0-cp\d+-cp\d+-(manylinux\w*\.)*manylinux_2_\d+_x86_64(\.manylinux\w*)*-x86_64_v3\.whl",
                        out.name), out.name
    assert "Fixed-up wheel written" in proc.stderr  # auditwheel really ran (its log goes to stderr)
    assert sha(labelled) == before
    assert sorted(p.name for p in dest.iterdir()) == [out.name]
    with zipfile.ZipFile(labelled) as a, zipfile.ZipFile(out) as b:
        assert a.read(VARIANT_JSON) == b.read(VARIANT_JSON)
        grafted = [n for n in b.namelist() if n.startswith("vwext.libs/libvwdemo")]
        assert grafted, b.namelist()
        assert "Tag: cp311-cp311-linux_x86_64" not in b.read("vwext-1.0.dist-info/WHEEL").decode()
    with WheelArchive(out) as archive:
        assert archive.variant()[0] == "x86_64_v3"
        assert archive.record_problems() == []
        assert VARIANT_JSON in {r.path for r in archive.record()}
    assert run_varwheel("check", "--strict", out).returncode == 0

    # Install with uv (preview) from a folder with the index; the grafted library loads.
    run_varwheel("index", dest, check=True)
    proc, python, chosen = uv_install(uv_bin, tmp_path, dest, "vwext")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert chosen == out.name
    assert installed_variant_json(python, "vwext") == zipfile.ZipFile(out).read(VARIANT_JSON).decode()
    run = subprocess.run([str(python), "-c", "import vwext; print(vwext.answer(), vwext.avx2())"],
                         capture_output=True, text=True, env=clean_env(tmp_path))
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["42", "True"]


def test_a_deferred_label_wheel_comes_out_labelled(ext_variant, tmp_path, run_varwheel):
    _, deferred, libdir = ext_variant
    assert WheelFilename.parse(deferred.name).label is None
    dest = tmp_path / "wh"
    # The cibuildwheel spelling: options before WHEEL.
    proc = run_varwheel("repair", "-w", dest, deferred, "--", *AUDITWHEEL, env=repair_env(libdir))
    assert proc.returncode == 0, proc.stderr
    [out] = dest.iterdir()
    assert out.name.endswith("-x86_64_v3.whl") and "manylinux_2_" in out.name


def fake_tool(tmp_path: Path, body: str) -> list:
    """A repair 'tool': a Python script run as ``python script {wheel} {dest_dir}``."""
    script = tmp_path / "tool.py"
    script.write_text("import sys, shutil, zipfile, pathlib\nwheel, dest = sys.argv[1], pathlib.Path(sys.argv[2])\n"
                      + body)
    return [sys.executable, str(script), "{wheel}", "{dest_dir}"]


@pytest.mark.parametrize("body, message", [
    ("sys.exit(3)", "exited with status 3"),
    ("(dest / 'log.txt').write_text('hi')", "wrote no wheel"),
    # A tool that rebuilds the zip without variant.json (RECORD still lists it).
    ("name = pathlib.Path(wheel).name\n"
     "with zipfile.ZipFile(wheel) as a, zipfile.ZipFile(dest / name, 'w') as b:\n"
     "    for i in a.infolist():\n"
     "        if not i.filename.endswith('variant.json'): b.writestr(i, a.read(i))\n",
     "dropped vwext-1.0.dist-info/variant.json"),
    # A tool that changes a member and leaves RECORD stale.
    ("name = pathlib.Path(wheel).name\n"
     "with zipfile.ZipFile(wheel) as a, zipfile.ZipFile(dest / name, 'w') as b:\n"
     "    for i in a.infolist():\n"
     "        data = a.read(i)\n"
     "        b.writestr(i, data + b'#' if i.filename.endswith('__init__.py') else data)\n",
     "fails RECORD verification"),
    # A tool that sees the label: we must have handed it the plain name.
    ("assert '-x86_64_v3' not in wheel, wheel\nsys.exit(0 if pathlib.Path(wheel).exists() else 9)", "wrote no wheel"),
])
def test_a_failing_or_careless_tool_leaves_dest_untouched(ext_variant, tmp_path, run_varwheel, body, message):
    labelled, _, _ = ext_variant
    before = sha(labelled)
    dest = tmp_path / "dest"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = run_varwheel("repair", labelled, "-w", dest, "--", *fake_tool(tmp_path, body), env={"TMPDIR": str(tmp)})
    assert proc.returncode == 1, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr.split("varwheel: error")[-1]
    assert not dest.exists()
    assert sha(labelled) == before
    assert list(tmp.iterdir()) == []  # the private work folder is gone


def test_a_plain_copy_tool_gives_the_same_bytes_back(ext_variant, tmp_path, run_varwheel):
    labelled, _, _ = ext_variant
    dest = tmp_path / "dest"
    proc = run_varwheel("repair", labelled, "-w", dest, "--", "cp", "{wheel}", "{dest_dir}/")
    assert proc.returncode == 0, proc.stderr
    out = dest / labelled.name
    assert proc.stdout.strip() == str(out) and sha(out) == sha(labelled)
    # Again: identical output is kept; a different file there needs --force.
    run_varwheel("repair", labelled, "-w", dest, "--", "cp", "{wheel}", "{dest_dir}/", check=True)
    out.write_bytes(b"other")
    proc = run_varwheel("repair", labelled, "-w", dest, "--", "cp", "{wheel}", "{dest_dir}/")
    assert proc.returncode == 2 and "--force" in proc.stderr and out.read_bytes() == b"other"
    run_varwheel("repair", labelled, "-w", dest, "--force", "--", "cp", "{wheel}", "{dest_dir}/", check=True)
    assert sha(out) == sha(labelled)


@pytest.mark.parametrize("args, message", [
    (["-w", "D", "--", "cp", "{wheel}", "/tmp"], "must contain {dest_dir}"),
    (["-w", "D", "--", "cp", "x", "{dest_dir}"], "must contain {wheel}"),
    (["-w", "D"], "no repair command given"),
    (["--", "cp", "{wheel}", "{dest_dir}"], "-w/--wheel-dir DEST is required"),
    (["-w", "D", "--bogus", "--", "cp", "{wheel}", "{dest_dir}"], "unexpected argument '--bogus'"),
    (["-w", "D", "--", "no-such-tool-xyz", "{wheel}", "{dest_dir}"], "repair command not found"),
])
def test_usage_errors(ext_variant, tmp_path, run_varwheel, args, message):
    labelled, _, _ = ext_variant
    proc = run_varwheel("repair", labelled, *args, cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert not (tmp_path / "D").exists()


def test_a_plain_wheel_is_refused(tmp_path, run_varwheel):
    plain = make_wheel(tmp_path, "mypkg", "1.0")
    proc = run_varwheel("repair", plain, "-w", tmp_path / "D", "--", "cp", "{wheel}", "{dest_dir}")
    assert proc.returncode == 2 and "not a variant wheel" in proc.stderr
    assert files_with_content(tmp_path) == {plain.name: plain.read_bytes()}
