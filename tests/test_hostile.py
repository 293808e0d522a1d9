"""Hostile input from the outside campaign (issue 11): every command refuses it cleanly.

Each case builds the input in ``tmp_path`` and checks the CLI contract: exit 2
(``check``: exit 1 and a finding), one ``varwheel: error:`` line, no traceback,
the input's bytes unchanged, nothing left in the output folder.  Inputs that
once made a command block or read without limit (a FIFO, ``/dev/zero``) run in
a child process with a timeout and a memory limit, so that a regression fails
instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest

from tests.helpers_core import rebuild_zip
from tests.helpers_pipeline import rewrite_member

PROP = "x86_64 :: level :: v3"


# -- helpers ------------------------------------------------------------------------------------


def snapshot(*paths: Path) -> Dict[Path, bytes]:
    """Bytes of every regular file under ``paths`` (files or folders)."""
    out: Dict[Path, bytes] = {}
    for path in paths:
        items = sorted(path.rglob("*")) if path.is_dir() else [path]
        for item in items:
            if item.is_file() and not item.is_symlink():
                out[item] = item.read_bytes()
    return out


def assert_refused(proc: subprocess.CompletedProcess, *mentions: str) -> str:
    """Exit 2, one ``varwheel: error:`` line naming each of ``mentions``, no traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("varwheel: error: "), proc.stderr
    for text in mentions:
        assert text in lines[0], (text, lines[0])
    return lines[0]


def check_errors(run_varwheel, *paths: Path) -> List[dict]:
    """``varwheel check --json``: exit 1, no traceback; return the error findings."""
    proc = run_varwheel("check", "--json", *paths)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    report = json.loads(proc.stdout)
    found: List[dict] = []
    for section in ("wheels", "releases", "folders"):
        for item in report[section]:
            found += item["errors"]
    assert found
    return found


def variant_wheel(run_varwheel, wheel_factory, tmp_path: Path) -> Path:
    """A labelled x86_64 v3 variant of a small wheel, in its own folder."""
    plain = wheel_factory(directory=tmp_path / "plain")
    proc = run_varwheel("make-variant", "-f", plain, "-o", tmp_path / "variants", "-p", PROP)
    assert proc.returncode == 0, proc.stderr
    (made,) = (tmp_path / "variants").iterdir()
    return made


def deferred_wheel(run_varwheel, wheel_factory, tmp_path: Path) -> Path:
    """A variant wheel under its plain name (variant.json inside, label deferred)."""
    made = variant_wheel(run_varwheel, wheel_factory, tmp_path)
    folder = tmp_path / "deferred"
    folder.mkdir()
    return made.rename(folder / "demo-1.0-py3-none-any.whl")


def limited_child(*args: object, timeout: float = 15) -> subprocess.CompletedProcess:
    """``python -m varwheel ARGS`` with a timeout and 2 GiB of address space.

    A command that blocks fails with ``TimeoutExpired``; one that reads without
    limit fails with a MemoryError (exit 1, traceback) instead of filling the machine.
    """

    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-m", "varwheel", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, preexec_fn=limit, stdin=subprocess.DEVNULL,
    )


# -- 1. a member needing a newer zip version than zipfile reads ---------------------------------


def _needs_version(src: Path, dest: Path, member: str, version: int = 64) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == member:
                info.extract_version = version
            zout.writestr(info, data)
    with pytest.raises(NotImplementedError):
        zipfile.ZipFile(dest)
    return dest


def test_member_needing_zip_version_above_6_3(run_varwheel, wheel_factory, tmp_path):
    plain = wheel_factory()
    bad = _needs_version(plain, tmp_path / "in" / plain.name, "demo/__init__.py")
    deferred = deferred_wheel(run_varwheel, wheel_factory, tmp_path)
    bad_deferred = _needs_version(deferred, tmp_path / "in2" / deferred.name, "demo/__init__.py")
    before = snapshot(tmp_path / "in", tmp_path / "in2")
    out = tmp_path / "out"
    assert_refused(run_varwheel("make-variant", "-f", bad, "-o", out, "-p", PROP), "demo/__init__.py", "6.4")
    assert_refused(run_varwheel("show", bad), "demo/__init__.py")
    assert_refused(run_varwheel("relabel", bad_deferred, "-o", out), "demo/__init__.py")
    assert_refused(run_varwheel("index", bad_deferred.parent, "-o", out), "demo/__init__.py")
    found = check_errors(run_varwheel, bad)
    assert [f["code"] for f in found] == ["structure"] and "demo/__init__.py" in found[0]["message"]
    found = check_errors(run_varwheel, tmp_path / "in")
    assert "demo/__init__.py" in found[0]["message"]
    assert snapshot(tmp_path / "in", tmp_path / "in2") == before
    assert not out.exists()


# -- 2. NUL and control characters in member names -------------------------------------------


def _with_raw_name(src: Path, dest: Path, raw_name: str, data: bytes = b"pwned = 1\n") -> Path:
    rebuild_zip(src, dest)
    with zipfile.ZipFile(dest, "a") as zf:
        info = zipfile.ZipInfo("placeholder", date_time=(2024, 1, 2, 3, 4, 6))
        info.filename = raw_name  # the constructor would cut it at the NUL: write the raw name
        zf.writestr(info, data)
    return dest


@pytest.mark.parametrize(
    "raw_name",
    ["demo/ok.py\0/../../../../tmp/pwn.py", "demo/ok.py\0", "demo/new\nline.py", "demo/bell\x07.py", "demo/del\x7f.py"],
    ids=["nul-traversal", "nul-end", "newline", "bell", "del"],
)
def test_control_characters_in_member_names(run_varwheel, wheel_factory, tmp_path, raw_name):
    plain = wheel_factory()
    bad = _with_raw_name(plain, tmp_path / "in" / plain.name, raw_name)
    before = snapshot(tmp_path / "in")
    out = tmp_path / "out"
    assert_refused(run_varwheel("make-variant", "-f", bad, "-o", out, "-p", PROP), "unsafe member name")
    assert_refused(run_varwheel("show", bad), "unsafe member name")
    found = check_errors(run_varwheel, bad)
    assert [f["code"] for f in found] == ["structure"] and "unsafe member name" in found[0]["message"]
    assert snapshot(tmp_path / "in") == before
    assert not out.exists()


# -- 3. documents nested too deeply -------------------------------------------------------------

DEEP_JSON = '{"a": ' * 5000 + "1" + "}" * 5000
DEEP_TOML = "[variant.default-priorities]\nnamespace = " + "[" * 5000 + "]" * 5000 + "\n"


def test_deep_json_in_variant_json(run_varwheel, wheel_factory, tmp_path):
    deferred = deferred_wheel(run_varwheel, wheel_factory, tmp_path)
    dist_info = "demo-1.0.dist-info/variant.json"
    rewrite_member(deferred, dist_info, DEEP_JSON.encode())
    before = snapshot(deferred.parent)
    out = tmp_path / "out"
    assert_refused(run_varwheel("show", deferred), "nested too deeply")
    assert_refused(run_varwheel("relabel", deferred, "-o", out), "nested too deeply")
    assert_refused(run_varwheel("index", deferred.parent, "-o", out), "nested too deeply")
    found = check_errors(run_varwheel, deferred)
    assert any("nested too deeply" in f["message"] for f in found), found
    assert snapshot(deferred.parent) == before
    assert not out.exists()


def test_deep_json_index_file(run_varwheel, wheel_factory, tmp_path):
    made = variant_wheel(run_varwheel, wheel_factory, tmp_path)
    index = made.parent / "demo-1.0-variants.json"
    index.write_text(DEEP_JSON)
    before = snapshot(made.parent)
    assert_refused(run_varwheel("show", index), "nested too deeply")
    base = ("demo", "-f", made.parent, "--no-detect", "--assume", PROP)
    for command in ("select", "install"):
        extra = ("--dry-run",) if command == "install" else ()
        proc = run_varwheel(command, *extra, *base)
        # as for any unreadable index: a warning, its variant wheels skipped, nothing fits (exit 1)
        assert "Traceback" not in proc.stderr and "nested too deeply" in proc.stderr, proc
        assert proc.returncode == 1, proc
    proc = run_varwheel("index", "--check", made.parent)
    assert "Traceback" not in proc.stderr and proc.returncode == 1, proc
    assert "nested too deeply" in proc.stdout + proc.stderr
    found = check_errors(run_varwheel, made.parent)
    assert [f["code"] for f in found] == ["index-invalid"] and "nested too deeply" in found[0]["message"]
    assert snapshot(made.parent) == before


def test_deep_toml(run_varwheel, wheel_factory, tmp_path):
    plain = wheel_factory()
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(DEEP_TOML)
    before = snapshot(plain, pyproject)
    out = tmp_path / "out"
    assert_refused(
        run_varwheel("make-variant", "-f", plain, "-o", out, "-p", PROP, "--pyproject-toml", pyproject),
        "pyproject.toml", "nested too deeply",
    )
    assert_refused(run_varwheel("matrix", "--pyproject-toml", pyproject), "nested too deeply")
    assert snapshot(plain, pyproject) == before
    assert not out.exists()


# -- 4. a RECORD field over csv's field limit -------------------------------------------------


def test_record_field_over_csv_limit(run_varwheel, wheel_factory, tmp_path):
    record = "demo-1.0.dist-info/RECORD"
    plain = wheel_factory()
    with zipfile.ZipFile(plain) as zf:
        original = zf.read(record)
    long_row = b'"demo/' + b"x" * 140_000 + b'.py",sha256=AAAA,1\n'
    rewrite_member(plain, record, original + long_row)
    made = variant_wheel(run_varwheel, wheel_factory, tmp_path / "v")
    rewrite_member(made, record, original + long_row)
    deferred = deferred_wheel(run_varwheel, wheel_factory, tmp_path / "d")
    rewrite_member(deferred, record, original + long_row)
    inputs = (plain, made, deferred)
    before = snapshot(*inputs)
    out = tmp_path / "out"
    assert_refused(run_varwheel("make-variant", "-f", plain, "-o", out, "-p", PROP), "RECORD", "line")
    assert_refused(run_varwheel("unmake-variant", "-f", made, "-o", out), "RECORD")
    assert_refused(run_varwheel("relabel", deferred, "-o", out), "RECORD")
    found = check_errors(run_varwheel, plain)
    assert any("RECORD" in f["message"] and "field" in f["message"] for f in found), found
    assert snapshot(*inputs) == before
    assert not out.exists()


# -- 5. inputs that are not regular files -----------------------------------------------------


def test_fifo_named_like_a_wheel(tmp_path):
    fifo = tmp_path / "demo-1.0-py3-none-any.whl"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    assert_refused(limited_child("show", fifo), "not a regular file")
    assert_refused(limited_child("make-variant", "-f", fifo, "-o", out, "-p", PROP), "not a regular file")
    assert not out.exists()


@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_index_file_not_a_regular_file(run_varwheel, wheel_factory, tmp_path, kind):
    made = variant_wheel(run_varwheel, wheel_factory, tmp_path)
    index = made.parent / "demo-1.0-variants.json"
    if kind == "fifo":
        os.mkfifo(index)
    else:
        if not Path("/dev/zero").exists():
            pytest.skip("no /dev/zero on this system")
        index.symlink_to("/dev/zero")
    before = snapshot(made.parent)
    assert_refused(limited_child("show", index), "not a regular file")
    base = ("demo", "-f", made.parent, "--no-detect", "--assume", PROP)
    proc = limited_child("select", *base)
    assert "Traceback" not in proc.stderr and "not a regular file" in proc.stderr, proc
    assert proc.returncode == 1, proc
    proc = limited_child("index", "--check", made.parent)
    assert "Traceback" not in proc.stderr and proc.returncode == 1, proc
    assert "not a regular file" in proc.stdout + proc.stderr
    proc = limited_child("check", "--json", made.parent)
    assert "Traceback" not in proc.stderr and proc.returncode == 1, proc
    messages = [f["message"] for f in json.loads(proc.stdout)["folders"][0]["errors"]]
    assert any("not a regular file" in m for m in messages), messages
    assert snapshot(made.parent) == before


# -- 6. a label that makes the file name too long ---------------------------------------------


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def test_label_longer_than_the_file_system_allows(run_varwheel, wheel_factory, tmp_path):
    plain = wheel_factory()
    before = snapshot(plain)
    out = tmp_path / "out"
    label = "a" * (_name_max(tmp_path) + 1)
    line = assert_refused(
        run_varwheel("make-variant", "-f", plain, "-o", out, "-p", PROP, "--variant-label", label),
        label[:20], str(_name_max(tmp_path)),
    )
    assert "too long" in line
    assert snapshot(plain) == before
    assert not out.exists()
    # Just short enough: the final name fits, and so must the temporary file beside it.
    fits = "b" * (_name_max(tmp_path) - len("demo-1.0-py3-none-any-.whl"))
    proc = run_varwheel("make-variant", "-f", plain, "-o", out, "-p", PROP, "--variant-label", fits)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in out.iterdir()] == [f"demo-1.0-py3-none-any-{fits}.whl"]


def test_relabel_label_longer_than_the_file_system_allows(run_varwheel, wheel_factory, tmp_path):
    label = "c" * (_name_max(tmp_path) + 1)
    plain = wheel_factory()
    # A long label is legal in variant.json: make a variant under a short one, then swap the label in.
    made_dir = tmp_path / "made"
    proc = run_varwheel(
        "make-variant", "-f", plain, "-o", made_dir, "-p", PROP, "--variant-label", "short"
    )
    assert proc.returncode == 0, proc.stderr
    (made,) = made_dir.iterdir()
    with zipfile.ZipFile(made) as zf:
        doc = json.loads(zf.read("demo-1.0.dist-info/variant.json"))
    doc["variants"] = {label: doc["variants"]["short"]}
    deferred = tmp_path / "deferred" / "demo-1.0-py3-none-any.whl"
    deferred.parent.mkdir()
    made.rename(deferred)
    _replace_with_record(deferred, "demo-1.0.dist-info/variant.json", json.dumps(doc, indent=2).encode())
    before = snapshot(deferred.parent)
    out = tmp_path / "out"
    line = assert_refused(run_varwheel("relabel", deferred, "-o", out), label[:20], str(_name_max(tmp_path)))
    assert "too long" in line
    line = assert_refused(run_varwheel("relabel", deferred), label[:20])
    assert snapshot(deferred.parent) == before
    assert not out.exists()


def _replace_with_record(wheel: Path, member: str, data: bytes) -> None:
    """Replace ``member`` and its RECORD row (a consistent wheel)."""
    from fixtures.wheel_factory import record_line_hash

    dist_info = member.split("/")[0]
    with zipfile.ZipFile(wheel) as zf:
        rows = zf.read(f"{dist_info}/RECORD").decode().splitlines()
    rows = [r for r in rows if not r.startswith(member + ",")]
    rows.insert(0, f"{member},{record_line_hash(data)},{len(data)}")
    rewrite_member(wheel, member, data)
    rewrite_member(wheel, f"{dist_info}/RECORD", ("\n".join(rows) + "\n").encode())


def test_repair_label_longer_than_the_file_system_allows(run_varwheel, wheel_factory, tmp_path):
    """repair put the label back only at the last rename, which failed with a traceback ("File name too long")."""
    label = "r" * (_name_max(tmp_path) + 1)
    plain = wheel_factory()
    made_dir = tmp_path / "made"
    proc = run_varwheel("make-variant", "-f", plain, "-o", made_dir, "-p", PROP, "--variant-label", "short")
    assert proc.returncode == 0, proc.stderr
    (made,) = made_dir.iterdir()
    with zipfile.ZipFile(made) as zf:
        doc = json.loads(zf.read("demo-1.0.dist-info/variant.json"))
    doc["variants"] = {label: doc["variants"]["short"]}
    deferred = tmp_path / "deferred" / "demo-1.0-py3-none-any.whl"
    deferred.parent.mkdir()
    made.rename(deferred)
    _replace_with_record(deferred, "demo-1.0.dist-info/variant.json", json.dumps(doc, indent=2).encode())
    before = snapshot(deferred.parent)
    dest = tmp_path / "dest"
    ran = tmp_path / "ran"
    line = assert_refused(
        run_varwheel("repair", deferred, "-w", dest, "--", sys.executable, "-c",
                     "import shutil, sys; open(sys.argv[3], 'w').close(); shutil.copy(sys.argv[1], sys.argv[2])",
                     "{wheel}", "{dest_dir}", ran),
        label[:20], str(_name_max(tmp_path)),
    )
    assert "too long" in line
    assert not ran.exists()  # refused before the repair command ran
    assert snapshot(deferred.parent) == before
    assert not dest.exists()


# -- 7. the build backend: NUL and newlines in [tool.varwheel] (items 4 and 5) -------------------


def _recorder_project(tmp_path: Path, old: str, new: str) -> Path:
    """The recorder fixture project (an in-tree inner backend) with one line of its pyproject.toml changed."""
    from tests.helpers_build import copy_project

    project = copy_project("recorder", tmp_path / "src")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert old in text
    pyproject.write_text(text.replace(old, new))
    return project


@pytest.mark.parametrize(
    "old, new, mentions",
    [
        ('env = { BLAS_VENDOR = "{value}" }', 'env = { BLAS_VENDOR = "mkl\\u0000rt" }', ("env.BLAS_VENDOR", "NUL")),
        ('env = { BLAS_VENDOR = "{value}" }', 'env = { "BLAS_VENDOR\\n" = "{value}" }', ("'BLAS_VENDOR\\n'", "variable name")),
        ('compile-flags = ["-DUSE_{value}"]', 'compile-flags = ["-DUSE\\u0000{value}"]', ("compile-flags", "NUL")),
        ('cmake-define = { BLA_VENDOR = "Intel10_64lp" }', 'cmake-define = { BLA_VENDOR = "a\\u0000" }', ("cmake-define", "NUL")),
        ('backend-path = ["_backend"]', 'backend-path = ["_back\\u0000end"]', ("backend-path", "NUL")),
    ],
    ids=["env-value-nul", "env-name-newline", "flag-nul", "cmake-define-nul", "backend-path-nul"],
)
def test_backend_refuses_nul_and_newlines_in_tool_varwheel(tmp_path, old, new, mentions):
    """A NUL reached os.environ or the import path (ValueError: a traceback); a name with a trailing newline passed."""
    from tests.helpers_build import HookCaller

    project = _recorder_project(tmp_path, old, new)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    hooks = HookCaller(project, env={"TMPDIR": str(tmp), "RECORDER_LOG": str(tmp_path / "log.jsonl")})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(subprocess.CalledProcessError):
        hooks.build_wheel(str(out), {"variant": ["blas_lapack :: library :: mkl", "x86_64 :: level :: v3"]})
    assert "Traceback" not in hooks.stderr, hooks.stderr
    errors = [line for line in hooks.stderr.splitlines() if line.startswith("varwheel: error: ")]
    assert len(errors) == 1, hooks.stderr
    assert "tool.varwheel" in errors[0]
    for text in mentions:
        assert text in errors[0], (text, errors[0])
    assert list(out.iterdir()) == [] and list(tmp.iterdir()) == []


def test_an_environment_the_os_refuses_leaves_no_config_folder_and_no_variables(tmp_path, monkeypatch):
    """The setuptools transport's DIST_EXTRA_CONFIG folder leaked (and set variables stayed) when a value was refused."""
    import tempfile
    import types

    from varwheel.build import _applied

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = dict(os.environ)
    transport = types.SimpleNamespace(env={"VARWHEEL_A_FIRST": "set", "VARWHEEL_B_BAD": "a\x00b"},
                                      dist_extra_config="[build]\nforce = 1\n")
    with pytest.raises(ValueError):
        with _applied(transport):
            raise AssertionError("the environment was applied")  # pragma: no cover
    assert list(tmp_path.iterdir()) == []  # no varwheel-cfg-* folder
    assert dict(os.environ) == before
    # and a good one is applied, then removed with its folder
    transport.env = {"VARWHEEL_A_FIRST": "set"}
    with _applied(transport):
        assert os.environ["VARWHEEL_A_FIRST"] == "set"
        (folder,) = tmp_path.iterdir()
        assert folder.name.startswith("varwheel-cfg-")
        assert Path(os.environ["DIST_EXTRA_CONFIG"]).read_text() == "[build]\nforce = 1\n"
    assert list(tmp_path.iterdir()) == [] and dict(os.environ) == before


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: __import__("varwheel.build.toolconfig", fromlist=["x"]).parse_tool_config([]), "expected a table at the top level"),
        (lambda: __import__("varwheel.build.flags", fromlist=["x"]).parse_mapping_table({"a :: b": {"env": {1: "x"}}}),
         "1 is not a valid variable name"),
        (lambda: __import__("varwheel.model.properties", fromlist=["x"]).VariantDescription.from_mapping({1: {"f": ["v"]}}),
         "namespace 1 is not a string"),
        (lambda: __import__("varwheel.model.properties", fromlist=["x"]).Property("x86_64", "level", 3), "value 3 is not a string"),
        (lambda: __import__("varwheel.model.pyproject", fromlist=["x"]).parse_variant_table({"providers": {1: {}}}),
         "1 is not a valid namespace"),
        (lambda: __import__("varwheel.model.properties", fromlist=["x"]).validate_label(7), "label 7 is not a string"),
    ],
    ids=["tool-config-not-a-table", "mapping-env-int-key", "description-int-namespace", "property-int-value",
         "variant-table-int-namespace", "label-int"],
)
def test_python_api_non_string_keys_and_non_tables(call, message):
    """The Python API takes mappings: a key or value of the wrong type is bad input, not a TypeError (item 4)."""
    from varwheel.errors import InvalidInput

    with pytest.raises(InvalidInput, match=re.escape(message)):
        call()


@pytest.mark.parametrize("document", [b"[]", b'"variants"', b"7"], ids=["list", "string", "number"])
def test_upgrade_of_a_variant_json_that_is_not_an_object(run_varwheel, wheel_factory, tmp_path, document):
    """upgrade handed a JSON list to the drafts' label reader: AttributeError (found by tests/hostile_corpus.py)."""
    deferred = deferred_wheel(run_varwheel, wheel_factory, tmp_path)
    _replace_with_record(deferred, "demo-1.0.dist-info/variant.json", document)
    before = snapshot(deferred.parent)
    out = tmp_path / "out"
    assert_refused(run_varwheel("upgrade", deferred, "-o", out), "variant.json", "not a JSON object")
    assert snapshot(deferred.parent) == before
    assert not out.exists()
