"""``varwheel lock`` and ``varwheel install --lock``: pylock.toml (PEP 751) with variant wheels (PEP 825).

Oracles: ``tomllib`` (the file is TOML), the index file varwheel's own
``index`` wrote (``variants-json`` must be its content), ``hashlib`` over the
wheel files, ``packaging.pylock`` (PEP 751's rules as packaging implements
them; it rejects variant file names, which is pinned here), uv 0.13.9 reading
the lock, and stock pip installing what ``install --lock`` hands it.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from fixtures.wheel_factory import make_wheel
from tests.helpers_select import (
    BAD_TAGS,
    FORCE_DRIVER,
    FORCE_SM,
    NVIDIA,
    X86,
    Family,
    ReleaseSpec,
    Wheel,
    build_family,
    clean_env,
)
from varwheel.machine.providers import detect
from varwheel.model.filename import WheelFilename

PROJECT = {"default-priorities": {"namespace": ["nvidia", "x86_64"]}, "providers": {"nvidia": NVIDIA, "x86_64": X86}}
CU129 = ["nvidia :: cuda_version_lower_bound :: 12.9", "nvidia :: sm_arch :: 90_real"]
NO_GPU = {FORCE_DRIVER: "", FORCE_SM: ""}
LEVELS = ("v1", "v2", "v3", "v4")


def _family(tmp_path: Path, name: str = "vwlock", versions=("1.0",), plain: bool = True) -> Path:
    wheels = [Wheel("cu129", CU129)] + [Wheel(v, [f"x86_64 :: level :: {v}"]) for v in LEVELS]
    wheels += [Wheel("null"), Wheel("v1", ["x86_64 :: level :: v1"], tag=BAD_TAGS[1])] + ([Wheel(None)] if plain else [])
    fam = Family(name, PROJECT, [ReleaseSpec(v, list(wheels)) for v in versions], name=name)
    return build_family(fam, tmp_path / "dist")


def _lock(run_varwheel, tmp_path: Path, *reqs: str, dist: Path, out: str = "pylock.toml", **kw):
    proc = run_varwheel("lock", *reqs, "-f", dist, "-o", tmp_path / out, **kw)
    assert proc.returncode == 0, proc.stderr
    return tmp_path / out, proc


@pytest.fixture(scope="module")
def pip_venv(tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("lock-target") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return venv / "bin" / "python"


def _installed(python: Path, name: str):
    """``(installed version, variant.json variants or None)``; None when not installed."""
    code = (f"import importlib.metadata as m, json; d = m.distribution({name!r}); "
            "t = d.read_text('variant.json'); print(json.dumps([d.version, json.loads(t)['variants'] if t else None]))")
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return tuple(json.loads(out.stdout)) if out.returncode == 0 else None


def _uninstall(python: Path, *names: str) -> None:
    subprocess.run([str(python), "-m", "pip", "uninstall", "-q", "-y", *names], capture_output=True)


# -- writing --------------------------------------------------------------------------------------
def test_lock_lists_every_wheel_with_hashes_and_inlines_the_index(tmp_path, run_varwheel):
    dist = _family(tmp_path, versions=("0.9", "1.0"))
    path, proc = _lock(run_varwheel, tmp_path, "vwlock", dist=dist)
    assert "vwlock 1.0: 8 wheel(s) (cu129, null, plain, v1, v2, v3, v4)" in proc.stdout
    data = tomllib.loads(path.read_text())
    assert data["lock-version"] == "1.0" and data["created-by"] == "varwheel"
    [pkg] = data["packages"]
    assert (pkg["name"], pkg["version"]) == ("vwlock", "1.0")  # the newest version, every wheel of it
    on_disk = sorted(p.name for p in dist.glob("vwlock-1.0-*.whl"))
    assert sorted(w["name"] for w in pkg["wheels"]) == on_disk
    for wheel in pkg["wheels"]:
        file = (path.parent / wheel["path"]).resolve()
        assert file == (dist / wheel["name"]).resolve() and not Path(wheel["path"]).is_absolute()
        assert wheel["hashes"] == {"sha256": hashlib.sha256(file.read_bytes()).hexdigest()}
        assert wheel["size"] == file.stat().st_size
    # Plain first, then null, then the variants by label.
    names = [w["name"] for w in pkg["wheels"]]
    assert names[0] == "vwlock-1.0-py3-none-any.whl" and names[1] == "vwlock-1.0-py3-none-any-null.whl"
    # PEP 825: the index file's content, $schema kept, JSON types as TOML types.
    assert pkg["variants-json"] == json.loads((dist / "vwlock-1.0-variants.json").read_text())
    assert pkg["variants-json"]["$schema"].endswith("/peps/850/v0.2.0.json")
    # Same input, same bytes: the second run finds the file unchanged.
    before = path.read_bytes()
    _, again = _lock(run_varwheel, tmp_path, "vwlock", dist=dist)
    assert "unchanged" in again.stdout and path.read_bytes() == before


def test_lock_follows_pep_751_as_packaging_reads_it(tmp_path, run_varwheel):
    """packaging 26.4's validator (PEP 751) accepts everything but the variant file names, which it cannot parse."""
    pylock = pytest.importorskip("packaging.pylock", reason="packaging < 26.1 has no pylock support")
    dist = _family(tmp_path)
    path, _ = _lock(run_varwheel, tmp_path, "vwlock", dist=dist)
    data = tomllib.loads(path.read_text())
    with pytest.raises(pylock.PylockValidationError, match=r"Invalid wheel filename 'vwlock-1.0-py3-none-any-null.whl'"):
        pylock.Pylock.from_dict(data)
    # The same file with each label taken out of the names (and nothing else changed) is valid PEP 751.
    for wheel in data["packages"][0]["wheels"]:
        wheel["name"] = str(WheelFilename.parse(wheel["name"]).with_label(None))
    lock = pylock.Pylock.from_dict(data)
    lock.validate()
    assert [p.name for p in lock.packages] == ["vwlock"] and len(lock.packages[0].wheels) == 8
    # What packaging drops (it knows no variants-json) is exactly PEP 825's table.
    dumped = lock.to_dict()["packages"][0]
    assert set(data["packages"][0]) - set(dumped) == {"variants-json"}
    # The rest of PEP 751's rules that packaging does not check.
    assert path.name == "pylock.toml"
    for wheel in data["packages"][0]["wheels"]:
        assert set(wheel) <= {"name", "upload-time", "url", "path", "size", "hashes"} and wheel["hashes"]


def test_uv_reads_the_lock_and_takes_only_its_plain_wheel(tmp_path, run_varwheel, uv_bin):
    """uv 0.13.9 parses the file (a second PEP 751 reader) but treats every variant wheel as fitting no platform."""
    dist = _family(tmp_path)
    path, _ = _lock(run_varwheel, tmp_path, "vwlock", dist=dist)
    env = clean_env()

    def uv_install(lock: Path, name: str):
        venv = tmp_path / name
        subprocess.run([uv_bin, "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=env)
        proc = subprocess.run([uv_bin, "pip", "install", "--preview-features", "wheel-variants,pylock", "--no-cache",
                               "--offline", "--python", str(venv / "bin" / "python"), "-r", str(lock)],
                              capture_output=True, text=True, env=env)
        return proc, venv / "bin" / "python"

    proc, python = uv_install(path, "uv-all")
    assert proc.returncode == 0, proc.stderr
    assert _installed(python, "vwlock") == ("1.0", None)  # the plain wheel
    only_variants = _lock(run_varwheel, tmp_path, "vwlock", dist=_family(tmp_path / "nv", plain=False),
                          out="pylock.variants.toml")[0]
    proc, _ = uv_install(only_variants, "uv-variants")
    assert proc.returncode != 0
    # uv wraps its messages to the terminal's width: compare with the line breaks undone.
    assert "doesn't have a source distribution or wheel for the current platform" in " ".join(proc.stderr.split())


def test_lock_leaves_out_what_select_ignores_and_warns_about_dependencies(tmp_path, run_varwheel):
    dist = tmp_path / "dist"
    plain = make_wheel(tmp_path / "src", "vwdeps", "1.0", requires_dist=["helper>=1", "winonly; sys_platform == 'win32'",
                                                                         "extra-dep; extra == 'more'"])
    run_varwheel("make-variant", "-f", plain, "-o", dist, "-p", "x86_64 :: level :: v1", "--variant-label", "v1",
                 check=True)
    run_varwheel("make-variant", "-f", plain, "-o", dist, "-p", "x86_64 :: level :: v2", "--variant-label", "v2",
                 check=True)
    run_varwheel("index", dist, check=True)
    make_wheel(dist, "vwdeps", "1.0", label="stray")  # labelled, not in the index: select ignores it
    path, proc = _lock(run_varwheel, tmp_path, "vwdeps", dist=dist)
    pkg = tomllib.loads(path.read_text())["packages"][0]
    assert sorted(w["name"] for w in pkg["wheels"]) == ["vwdeps-1.0-py3-none-any-v1.whl", "vwdeps-1.0-py3-none-any-v2.whl"]
    assert sorted(pkg["variants-json"]["variants"]) == ["v1", "v2"]
    assert "vwdeps-1.0-py3-none-any-stray.whl: not locked: label 'stray' is not listed" in proc.stderr
    assert "vwdeps 1.0 requires 'helper>=1', which is not in the lock" in proc.stderr
    assert "winonly" not in proc.stderr and "extra-dep" not in proc.stderr
    # Locking the dependency too silences the warning.
    make_wheel(dist, "helper", "1.5")
    _, proc = _lock(run_varwheel, tmp_path, "vwdeps", "helper", dist=dist, out="pylock.both.toml")
    assert "not in the lock" not in proc.stderr
    proc = run_varwheel("lock", "vwdeps[more]", "-f", dist, "-o", tmp_path / "pylock.more.toml")
    assert "requires \"extra-dep; extra == 'more'\", which is not in the lock" in proc.stderr


@pytest.mark.parametrize("args,message", [
    (["vwlock#v1"], "a lock holds every variant; choose one when installing"),
    (["vwlock", "-o", "lock.toml"], "PEP 751 names a lock file pylock.toml or pylock.NAME.toml"),
    (["nothing-here"], "no wheel of it in the --find-links folders"),
    (["vwlock", "VWLock==1.0"], "requirements name vwlock more than once"),
])
def test_lock_bad_input(tmp_path, run_varwheel, args, message):
    dist = _family(tmp_path)
    if "-o" not in args:
        args = args + ["-o", str(tmp_path / "pylock.toml")]
    proc = run_varwheel("lock", *args, "-f", dist)
    assert proc.returncode == 2 and message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert not (tmp_path / "pylock.toml").exists()


def test_lock_refuses_to_replace_a_different_file(tmp_path, run_varwheel):
    dist = _family(tmp_path)
    (tmp_path / "pylock.toml").write_text("# someone's lock\n")
    proc = run_varwheel("lock", "vwlock", "-f", dist, "-o", tmp_path / "pylock.toml")
    assert proc.returncode == 2 and "pass --force to replace it" in proc.stderr
    assert (tmp_path / "pylock.toml").read_text() == "# someone's lock\n"
    _lock(run_varwheel, tmp_path, "vwlock", "--force", dist=dist)
    assert tomllib.loads((tmp_path / "pylock.toml").read_text())["packages"][0]["name"] == "vwlock"


# -- installing -----------------------------------------------------------------------------------
def test_install_from_the_lock_per_machine_by_hand_and_without_variants(tmp_path, run_varwheel, pip_venv):
    dist = _family(tmp_path)
    path, _ = _lock(run_varwheel, tmp_path, "vwlock", dist=dist)
    env = clean_env(NO_GPU)
    best = detect(["x86_64"])["x86_64"].values("level")[0]
    proc = run_varwheel("install", "--lock", path, "--python", pip_venv, "--", "-q", env=env)
    assert proc.returncode == 0, proc.stderr
    assert f"installing vwlock 1.0: vwlock-1.0-py3-none-any-{best}.whl (variant '{best}')" in proc.stdout
    assert _installed(pip_venv, "vwlock") == ("1.0", {best: {"x86_64": {"level": [best]}}})
    # A GPU variant by hand on this GPU-less machine: one warning, that wheel installed.
    proc = run_varwheel("install", "--lock", path, "vwlock#cu129", "--python", pip_venv, "--", "-q",
                        "--force-reinstall", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("varwheel: warning:") == 1 and "taken as chosen by hand" in proc.stderr
    assert _installed(pip_venv, "vwlock")[1] == {"cu129": {"nvidia": {"cuda_version_lower_bound": ["12.9"],
                                                                      "sm_arch": ["90_real"]}}}
    # The forced values of a real GPU make cu129 the machine's own choice.
    proc = run_varwheel("install", "--lock", path, "--python", pip_venv, "--dry-run",
                        env=clean_env({FORCE_DRIVER: "12.9", FORCE_SM: "9.0"}))
    assert "would install vwlock 1.0: vwlock-1.0-py3-none-any-cu129.whl (variant 'cu129')" in proc.stdout
    assert "--no-deps --no-index" in proc.stdout
    proc = run_varwheel("install", "--lock", path, "--no-variant", "--python", pip_venv, "--", "-q",
                        "--force-reinstall", env=env)
    assert proc.returncode == 0 and "(the plain wheel)" in proc.stdout, proc.stderr
    assert _installed(pip_venv, "vwlock") == ("1.0", None)
    _uninstall(pip_venv, "vwlock")


def test_install_from_the_lock_checks_the_hash_and_the_wheels_own_metadata(tmp_path, run_varwheel, pip_venv):
    dist = _family(tmp_path)
    path, _ = _lock(run_varwheel, tmp_path, "vwlock", dist=dist)
    text = path.read_text()
    # The lock claims v1 needs v2: the wheel's own variant.json disagrees, nothing is installed.
    edited = tmp_path / "pylock.edited.toml"
    edited.write_text(text.replace('v1 = {x86_64 = {level = ["v1"]}}', 'v1 = {x86_64 = {level = ["v2"]}}'))
    proc = run_varwheel("install", "--lock", edited, "vwlock#v1", "--python", pip_venv)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "the lock says 'v1' is ['x86_64 :: level :: v2'] but vwlock-1.0-py3-none-any-v1.whl's own variant.json " \
           "says ['x86_64 :: level :: v1']" in proc.stderr
    # A changed file after locking: its hash no longer matches.
    null = dist / "vwlock-1.0-py3-none-any-null.whl"
    data = bytearray(null.read_bytes())
    data[-1] ^= 1  # same size, other bytes
    null.write_bytes(bytes(data))
    proc = run_varwheel("install", "--lock", path, "vwlock#null", "--python", pip_venv)
    assert proc.returncode == 2 and "does not match its sha256 hash in the lock" in proc.stderr
    assert _installed(pip_venv, "vwlock") is None


def test_install_from_the_lock_respects_markers_and_choices(tmp_path, run_varwheel, pip_venv):
    dist = _family(tmp_path)
    make_wheel(dist, "vwwin", "2.0")
    path, _ = _lock(run_varwheel, tmp_path, "vwlock", "vwwin", dist=dist)
    text = path.read_text().replace('name = "vwwin"\n', 'name = "vwwin"\nmarker = "sys_platform == \'win32\'"\n')
    path.write_text(text)
    proc = run_varwheel("install", "--lock", path, "--python", pip_venv, "--dry-run", "--no-detect")
    assert proc.returncode == 0, proc.stderr
    assert "would install vwlock 1.0" in proc.stdout and "vwwin" not in proc.stdout
    for choice, message in [("vwwin#v1", "chosen by hand but not installed on this target"),
                            ("other#v1", "other is not in"), ("vwlock", "name one only to choose its variant"),
                            ("vwlock==2.0#v1", "locks vwlock 1.0, which ==2.0 excludes"),
                            ("vwlock#v9", "no wheel has the variant label 'v9' (the labels that exist: cu129, null, v1")]:
        proc = run_varwheel("install", "--lock", path, choice, "--python", pip_venv, "--dry-run")
        assert proc.returncode == 2 and message in proc.stderr and proc.stderr.count("\n") == 1, (choice, proc.stderr)


def test_the_spelling_of_pep_825s_example_is_read_too(tmp_path, run_varwheel, pip_venv):
    """PEP 825's prose says [packages.variants-json], its proposed spec text and example [packages.variant_json]."""
    dist = _family(tmp_path)
    path, _ = _lock(run_varwheel, tmp_path, "vwlock", dist=dist)
    other = tmp_path / "pylock.other.toml"
    other.write_text(path.read_text().replace("packages.variants-json", "packages.variant_json"))
    proc = run_varwheel("install", "--lock", other, "--python", pip_venv, "--dry-run", "--no-detect",
                        "--assume", "x86_64 :: level :: v2")
    assert "vwlock-1.0-py3-none-any-v2.whl (variant 'v2')" in proc.stdout, proc.stderr
    both = tmp_path / "pylock.both.toml"
    both.write_text(path.read_text() + '\n[packages.variant_json]\n"$schema" = "x"\n')
    proc = run_varwheel("install", "--lock", both, "--python", pip_venv, "--dry-run")
    assert proc.returncode == 2 and "has both variants-json and variant_json" in proc.stderr


def test_without_variants_json_labelled_wheels_are_ignored(tmp_path, run_varwheel, pip_venv):
    dist = _family(tmp_path)
    path, _ = _lock(run_varwheel, tmp_path, "vwlock", dist=dist)
    bare = tmp_path / "pylock.bare.toml"
    bare.write_text(path.read_text().split("\n[packages.variants-json]", 1)[0] + "\n")
    proc = run_varwheel("install", "--lock", bare, "--python", pip_venv, "--dry-run")
    assert proc.returncode == 0 and "vwlock-1.0-py3-none-any.whl (the plain wheel)" in proc.stdout, proc.stderr


@pytest.mark.parametrize("edit,message", [
    (lambda t: "not = [toml", "not valid TOML"),
    (lambda t: t.replace('lock-version = "1.0"', 'lock-version = "2.0"'), "lock-version '2.0' is not supported"),
    (lambda t: t.replace('created-by = "varwheel"\n', ""), "the required key 'created-by' is missing"),
    (lambda t: t.replace('name = "vwlock"', 'name = "VWLock"'), "'VWLock' is not normalized"),
    (lambda t: t.replace("hashes = {sha256 = ", "hashes = {}, x = {sha256 = "), ".hashes: must hold at least one"),
    (lambda t: t.replace("sha256 = ", "md4x = "), "is a hash algorithm this Python knows"),
    (lambda t: t.split("wheels = [")[0] + 'sdist = {name = "vwlock-1.0.tar.gz", path = "x.tar.gz", hashes = {sha256 = "0"}}\n',
     "varwheel installs wheels only, this package has only sdist"),
    (lambda t: t.replace('level = ["v1"]', 'level = []'), "packages[0].variants-json: variants.v1.x86_64.level: the list of values is empty"),
    (lambda t: re.sub(r"size = [0-9]+", "size = 1", t, count=1), "bytes, the lock says 1;"),
])
def test_bad_lock_files(tmp_path, run_varwheel, pip_venv, edit, message):
    dist = _family(tmp_path)
    path, _ = _lock(run_varwheel, tmp_path, "vwlock", dist=dist)
    bad = tmp_path / "pylock.bad.toml"
    bad.write_text(edit(path.read_text()))
    proc = run_varwheel("install", "--lock", bad, "--no-variant", "--python", pip_venv)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1
    assert _installed(pip_venv, "vwlock") is None


# -- from a simple index (--index-url) ------------------------------------------------------------------
def _simple_tree(dist: Path, root: Path, project: str, *, json_page: bool, drop_hash: str = "",
                 wrong_hash: str = "") -> None:
    """A hand-written PEP 503 page (and a PEP 691 JSON one) for the files of ``dist``: the test's own index."""
    import shutil

    page = root / "simple" / project
    page.mkdir(parents=True)
    links, files = [], []
    for path in sorted(dist.iterdir()):
        if not path.is_file():
            continue
        shutil.copy(path, page / path.name)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if path.name == wrong_hash:
            digest = "0" * 64
        hashes = {} if path.name == drop_hash else {"sha256": digest}
        links.append(f'<a href="{path.name}{"#sha256=" + digest if hashes else ""}">{path.name}</a><br/>')
        files.append({"filename": path.name, "url": path.name, "hashes": hashes})
    (page / "index.html").write_text("<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n")
    if json_page:
        (page / "index.json").write_text(json.dumps({"meta": {"api-version": "1.0"}, "name": project, "files": files}))


@pytest.fixture
def simple_server(tmp_path):
    """Serve ``tmp_path/www`` on loopback; a request accepting PEP 691 JSON gets ``index.json`` where there is one."""
    import functools
    import http.server
    import threading

    root = tmp_path / "www"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest's output clean
            pass

        def do_GET(self):
            target = root / self.path.lstrip("/") / "index.json"
            if self.path.endswith("/") and "application/vnd.pypi.simple.v1+json" in self.headers.get("Accept", "") \
                    and target.is_file():
                body = target.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/simple/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("json_page", [False, True], ids=["pep503-html", "pep691-json"])
def test_lock_from_an_index_and_install_by_url(tmp_path, run_varwheel, pip_venv, simple_server, json_page):
    root, index = simple_server
    dist = _family(tmp_path)
    _simple_tree(dist, root, "vwlock", json_page=json_page, drop_hash="vwlock-1.0-py3-none-any-v2.whl")
    path = tmp_path / "pylock.toml"
    proc = run_varwheel("lock", "vwlock", "--index-url", index, "-o", path)
    assert proc.returncode == 0, proc.stderr
    pkg = tomllib.loads(path.read_text())["packages"][0]
    assert pkg["index"] == index and pkg["version"] == "1.0"
    assert sorted(w["name"] for w in pkg["wheels"]) == sorted(p.name for p in dist.glob("*.whl"))
    for wheel in pkg["wheels"]:
        assert wheel["url"] == f"{index}vwlock/{wheel['name']}" and "path" not in wheel
        assert wheel["hashes"] == {"sha256": hashlib.sha256((dist / wheel["name"]).read_bytes()).hexdigest()}
    # The wheel the page gave no hash for was downloaded and hashed: its size is known from that.
    v2 = [w for w in pkg["wheels"] if w["name"].endswith("-v2.whl")][0]
    assert v2["size"] == (dist / v2["name"]).stat().st_size
    assert pkg["variants-json"] == json.loads((dist / "vwlock-1.0-variants.json").read_text())
    # install --lock downloads the chosen wheel from its URL and checks it.
    proc = run_varwheel("install", "--lock", path, "vwlock#v2", "--python", pip_venv, "--", "-q")
    assert proc.returncode == 0, proc.stderr
    assert _installed(pip_venv, "vwlock") == ("1.0", {"v2": {"x86_64": {"level": ["v2"]}}})
    _uninstall(pip_venv, "vwlock")


def test_lock_from_an_index_checks_the_variants_file_hash(tmp_path, run_varwheel, simple_server):
    root, index = simple_server
    dist = _family(tmp_path)
    _simple_tree(dist, root, "vwlock", json_page=False, wrong_hash="vwlock-1.0-variants.json")
    proc = run_varwheel("lock", "vwlock", "--index-url", index, "-o", tmp_path / "pylock.toml")
    assert proc.returncode == 2 and "vwlock-1.0-variants.json: its sha256 is" in proc.stderr and "the index says 000" in proc.stderr
    proc = run_varwheel("lock", "missing", "--index-url", index, "-o", tmp_path / "pylock.toml")
    assert proc.returncode == 2 and f"--index-url {index}missing/: HTTP 404" in proc.stderr
