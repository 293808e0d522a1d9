"""``varwheel index --simple OUT DIR``: a static package index, served on loopback to uv 0.13.9, pip and pypiserver.

What is measured here (and what docs/index-and-show.md and
:mod:`varwheel.pipeline.simple` say):

* uv, pointed at the tree with ``--index-url http://127.0.0.1:PORT/simple/``
  and served by Python's ``http.server``, picks the wheel ``varwheel select``
  picks from the folder, for an x86_64 + static-properties family and an
  nvidia family under forced drivers; through the HTML form (what a plain
  static server answers) and through the JSON form (a server that maps uv's
  ``Accept`` header to ``index.json``), dry run and real install;
* uv finds ``{name}-{version}-variants.json`` on the page by file name and
  checks its hash, the wheel's hash and the ``.metadata`` hash; with the
  PEP 658 attributes it reads ``.metadata`` files and downloads no wheel to
  resolve, without them it streams whole wheels;
* pip through the same tree takes the plain wheel and honours
  ``data-requires-python``;
* pypiserver 2.4.1 (uploads by twine 7.0.0) accepts labelled wheel names but
  refuses the variants file (twine itself refuses to send it; the server's
  upload answers 400; a file put in its folder by hand is not listed), so uv
  through it ignores the variant wheels.

Every server is started by the test on 127.0.0.1 with an ephemeral port and
stopped in a ``finally``; every subprocess has a timeout.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

from fixtures.wheel_factory import make_wheel, record_line_hash
from tests.helpers_select import FORCE_DRIVER, FORCE_SM, NVIDIA, X86, Family, ReleaseSpec, Wheel, build_family, clean_env
from varwheel.machine.select import select
from varwheel.pipeline.simple import JSON_MEDIA_TYPE, write_simple_index

UV_TIMEOUT = 180
_SELECT_RE = re.compile(r"Selecting: \S+ \[compatible\] \((\S+?)\)")

X86_FAMILY = Family(
    "x86-blas",
    {"default-priorities": {"namespace": ["x86_64", "blas_lapack"]},
     "providers": {"x86_64": X86, "blas_lapack": {"static-properties": {"library": ["mkl", "openblas"]}}}},
    [ReleaseSpec("1.0", [
        Wheel("v2", ["x86_64 :: level :: v2"]),
        Wheel("v3", ["x86_64 :: level :: v3"]),
        Wheel("v4openblas", ["x86_64 :: level :: v4", "blas_lapack :: library :: openblas"]),
        Wheel("v4mkl", ["x86_64 :: level :: v4", "blas_lapack :: library :: mkl"]),
        Wheel("null", []),
        Wheel(None),
    ], index=False)],
    name="My_Pkg",
)
NVIDIA_FAMILY = Family(
    "nvidia",
    {"default-priorities": {"namespace": ["nvidia"]}, "providers": {"nvidia": NVIDIA}},
    [ReleaseSpec("2.0", [
        Wheel("cu126", ["nvidia :: cuda_version_lower_bound :: 12.6", "nvidia :: sm_arch :: 80_real",
                        "nvidia :: sm_arch :: 90_real"]),
        Wheel("cu129", ["nvidia :: cuda_version_lower_bound :: 12.9", "nvidia :: sm_arch :: 90_real",
                        "nvidia :: sm_arch :: 120_real"]),
        Wheel("null", []),
    ], index=False)],
    name="gpu_pkg",
)
#: forced driver / compute capability -> the label uv 0.13.9 takes (docs/machine-side.md, ORACLES.md)
NVIDIA_MACHINES = [
    ({FORCE_DRIVER: "12.8", FORCE_SM: "9.0"}, "cu126"),
    ({FORCE_DRIVER: "12.9", FORCE_SM: "9.0"}, "cu129"),
    ({}, "null"),
]


# -- helpers ----------------------------------------------------------------------------------


def _family_folder(family: Family, directory: Path, run_varwheel) -> Path:
    """The family's wheels, and the index files ``varwheel index`` writes beside them."""
    build_family(family, directory)
    proc = run_varwheel("index", directory)
    assert proc.returncode == 0, proc.stderr
    return directory


def _simple(run_varwheel, directory: Path, out: Path, *extra: str) -> "subprocess.CompletedProcess[str]":
    proc = run_varwheel("index", "--simple", out, directory, *extra)
    assert proc.returncode == 0, proc.stderr
    return proc


def _tree(root: Path) -> Dict[str, bytes]:
    """Every file under ``root`` (hidden ones included: nothing may be left behind) -> bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class _Handler(http.server.SimpleHTTPRequestHandler):
    """``http.server`` as it is, plus a request log; with ``negotiate``, PEP 691 content negotiation.

    ``negotiate`` is the one thing a server adds to serve the JSON form of a
    static tree: a folder request whose ``Accept`` names the PEP 691 media
    type gets ``index.json`` with that ``Content-Type``.  Without it this is
    the stock handler, which answers ``index.html`` as ``text/html``.
    """

    timeout = 30  # a stuck connection cannot hold the server forever

    def send_head(self):  # type: ignore[no-untyped-def]
        server = self.server
        path = urllib.parse.urlsplit(self.path).path
        accept = self.headers.get("Accept") or ""
        server.requests.append((self.command, path, accept))  # type: ignore[attr-defined]
        if server.negotiate and path.endswith("/") and JSON_MEDIA_TYPE in accept:  # type: ignore[attr-defined]
            target = Path(self.translate_path(path)) / "index.json"
            if target.is_file():
                data = target.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", JSON_MEDIA_TYPE)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                server.served.append((path, JSON_MEDIA_TYPE))  # type: ignore[attr-defined]
                return io.BytesIO(data)
        if path.endswith("/"):
            server.served.append((path, "text/html"))  # type: ignore[attr-defined]
        return super().send_head()

    def log_message(self, format, *args):  # type: ignore[no-untyped-def]  # keep pytest's output clean
        pass


@contextlib.contextmanager
def _http_server(root: Path, *, negotiate: bool) -> Iterator[http.server.ThreadingHTTPServer]:
    """Serve ``root`` on 127.0.0.1 (ephemeral port) in a thread; always shut down."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    server.requests = []  # type: ignore[attr-defined]
    server.served = []  # type: ignore[attr-defined]
    server.negotiate = negotiate  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _url(server: http.server.ThreadingHTTPServer, path: str = "/simple/") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def _uv_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = clean_env(extra)
    # Loopback only: never through a proxy a developer's environment may name.
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        env.pop(key, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def _uv_install(uv: str, python: str, index_url: str, requirement: str, cache: Path, *,
                env: Optional[Dict[str, str]] = None, dry_run: bool = True) -> "subprocess.CompletedProcess[str]":
    cmd = [uv, "pip", "install", "--preview-features", "wheel-variants", "--python", python,
           "--index-url", index_url, requirement, "--reinstall", "-v", "--cache-dir", str(cache), "--no-config"]
    if dry_run:
        cmd.append("--dry-run")
    return subprocess.run(cmd, capture_output=True, text=True, env=_uv_env(env), timeout=UV_TIMEOUT)


def _picked(proc: "subprocess.CompletedProcess[str]") -> Optional[str]:
    found = _SELECT_RE.findall(proc.stderr)
    return found[-1] if found else None


def _ours(directory: Path, requirement: str, env: Dict[str, str]) -> str:
    sel = select(requirement, [directory], env=clean_env(env), require_index=True)
    assert sel.chosen is not None
    return sel.chosen.name


@pytest.fixture(scope="module")
def target_python(tmp_path_factory, uv_bin) -> str:
    venv = tmp_path_factory.mktemp("uv-target") / "venv"
    proc = subprocess.run([uv_bin, "venv", "-q", "--python", sys.executable, str(venv)],
                          capture_output=True, text=True, env=_uv_env(), timeout=UV_TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    return str(venv / "bin" / "python")


@pytest.fixture(scope="module")
def x86_site(tmp_path_factory, run_varwheel_module) -> Tuple[Path, Path]:
    """(the x86 family's folder, the site whose ``simple/`` is its index)."""
    base = tmp_path_factory.mktemp("x86-site")
    directory = _family_folder(X86_FAMILY, base / "dist", run_varwheel_module)
    _simple(run_varwheel_module, directory, base / "site" / "simple")
    return directory, base / "site"


@pytest.fixture(scope="module")
def run_varwheel_module():
    from tests.conftest import run_cli

    return run_cli


# -- the tree ---------------------------------------------------------------------------------


def test_tree_lists_every_wheel_and_variants_file_with_its_hash(x86_site):
    directory, site = x86_site
    root = site / "simple"
    assert sorted(p.name for p in root.iterdir()) == ["index.html", "index.json", "my-pkg"]  # PEP 503 name
    page = json.loads((root / "my-pkg" / "index.json").read_bytes())
    assert page["name"] == "my-pkg" and page["meta"]["api-version"] == "1.1" and page["versions"] == ["1.0"]
    wheels = sorted(p.name for p in directory.glob("*.whl"))
    listed = [f["filename"] for f in page["files"]]
    assert listed == sorted(wheels + ["my_pkg-1.0-variants.json"])
    html_page = (root / "my-pkg" / "index.html").read_text()
    for entry in page["files"]:
        served = root / "my-pkg" / entry["filename"]
        data = served.read_bytes()
        assert entry["hashes"] == {"sha256": hashlib.sha256(data).hexdigest()}
        assert entry["size"] == len(data) and entry["url"] == entry["filename"]
        assert f'href="{entry["filename"]}#sha256={entry["hashes"]["sha256"]}"' in html_page
        if entry["filename"].endswith(".whl"):
            assert data == (directory / entry["filename"]).read_bytes()
            assert os.path.samefile(served, directory / entry["filename"])  # a hard link: same file system here
            with zipfile.ZipFile(served) as zf:
                metadata = zf.read("My_Pkg-1.0.dist-info/METADATA")
            assert (root / "my-pkg" / f"{entry['filename']}.metadata").read_bytes() == metadata
            digest = hashlib.sha256(metadata).hexdigest()
            assert entry["core-metadata"] == entry["data-dist-info-metadata"] == {"sha256": digest}
            assert f'data-core-metadata="sha256={digest}"' in html_page
        else:
            # the variants file is the one `varwheel index` wrote beside the wheels, byte for byte
            assert data == (directory / entry["filename"]).read_bytes()
            assert "core-metadata" not in entry
    assert json.loads((root / "index.json").read_bytes())["projects"] == [{"name": "my-pkg"}]
    assert '<a href="my-pkg/">my-pkg</a>' in (root / "index.html").read_text()


def test_same_folder_same_bytes_and_a_rerun_changes_nothing(x86_site, tmp_path, run_varwheel):
    directory, site = x86_site
    before = _tree(site)
    again = tmp_path / "again"
    _simple(run_varwheel, directory, again)
    assert _tree(again) == _tree(site / "simple") and before == _tree(site)
    stamps = {p: p.stat().st_mtime_ns for p in (site / "simple").rglob("*") if p.is_file()}
    proc = _simple(run_varwheel, directory, site / "simple")
    assert "0 file(s) written" in proc.stdout, proc.stdout
    assert {p: p.stat().st_mtime_ns for p in (site / "simple").rglob("*") if p.is_file()} == stamps


# -- uv against http.server -------------------------------------------------------------------


@pytest.mark.parametrize("form", ["html", "json"])
def test_uv_through_the_index_picks_what_select_picks_x86(form, x86_site, tmp_path, uv_bin, target_python):
    directory, site = x86_site
    ours = _ours(directory, "My_Pkg", {})
    assert "-py3-none-any-" in ours  # a variant or null, never the plain wheel: the variants file was read
    with _http_server(site, negotiate=form == "json") as server:
        proc = _uv_install(uv_bin, target_python, _url(server), "my.pkg", tmp_path / "cache")
    assert _picked(proc) == ours, proc.stderr
    assert ("/simple/my-pkg/", JSON_MEDIA_TYPE if form == "json" else "text/html") in server.served
    paths = [p for _, p, _ in server.requests]
    assert "/simple/my-pkg/my_pkg-1.0-variants.json" in paths
    # PEP 658: resolution reads .metadata files and downloads no wheel
    assert any(p.endswith(".whl.metadata") for p in paths) and not any(p.endswith(".whl") for p in paths), paths


@pytest.mark.parametrize("form", ["html", "json"])
@pytest.mark.parametrize("machine,label", NVIDIA_MACHINES, ids=["12.8-9.0", "12.9-9.0", "no-gpu"])
def test_uv_through_the_index_picks_what_select_picks_nvidia(machine, label, form, tmp_path, uv_bin, target_python,
                                                             run_varwheel):
    directory = _family_folder(NVIDIA_FAMILY, tmp_path / "dist", run_varwheel)
    _simple(run_varwheel, directory, tmp_path / "site" / "simple")
    ours = _ours(directory, "gpu-pkg", machine)
    assert ours == f"gpu_pkg-2.0-py3-none-any-{label}.whl"
    with _http_server(tmp_path / "site", negotiate=form == "json") as server:
        proc = _uv_install(uv_bin, target_python, _url(server), "gpu-pkg", tmp_path / "cache", env=machine)
    assert _picked(proc) == ours, proc.stderr


def test_uv_installs_the_variant_from_the_index(x86_site, tmp_path, uv_bin):
    directory, site = x86_site
    venv = tmp_path / "venv"
    made = subprocess.run([uv_bin, "venv", "-q", "--python", sys.executable, str(venv)],
                          capture_output=True, text=True, env=_uv_env(), timeout=UV_TIMEOUT)
    assert made.returncode == 0, made.stderr
    ours = _ours(directory, "My_Pkg", {})
    with _http_server(site, negotiate=True) as server:
        proc = _uv_install(uv_bin, str(venv / "bin" / "python"), _url(server), "my-pkg", tmp_path / "cache",
                           dry_run=False)
    assert proc.returncode == 0, proc.stderr
    assert f"/simple/my-pkg/{ours}" in [p for _, p, _ in server.requests]
    installed = list(venv.glob("lib/python*/site-packages/*.dist-info/variant.json"))
    assert len(installed) == 1
    label = ours[: -len(".whl")].rsplit("-", 1)[1]
    assert list(json.loads(installed[0].read_bytes())["variants"]) == [label]


def test_uv_checks_the_hashes_the_pages_give(x86_site, tmp_path, uv_bin, target_python):
    directory, site = x86_site
    ours = _ours(directory, "My_Pkg", {})
    # the variants file: its bytes no longer match the listed hash
    bad = tmp_path / "bad-variants"
    shutil.copytree(site, bad)
    target = bad / "simple" / "my-pkg" / "my_pkg-1.0-variants.json"
    target.write_bytes(target.read_bytes() + b" ")
    with _http_server(bad, negotiate=True) as server:
        proc = _uv_install(uv_bin, target_python, _url(server), "my-pkg", tmp_path / "c1")
    assert proc.returncode != 0 and "Hash mismatch for package metadata" in proc.stderr, proc.stderr
    assert "my_pkg-1.0-variants.json" in proc.stderr
    # the .metadata file of a wheel
    bad = tmp_path / "bad-metadata"
    shutil.copytree(site, bad)
    for meta in (bad / "simple" / "my-pkg").glob("*.metadata"):
        meta.write_bytes(meta.read_bytes() + b"\n")
    with _http_server(bad, negotiate=True) as server:
        proc = _uv_install(uv_bin, target_python, _url(server), "my-pkg", tmp_path / "c2")
    assert proc.returncode != 0 and "Hash mismatch" in proc.stderr and ".metadata" in proc.stderr, proc.stderr
    # the chosen wheel (replaced by other bytes: a new file, the served one may be a hard link to dist/)
    bad = tmp_path / "bad-wheel"
    shutil.copytree(site, bad)
    chosen = bad / "simple" / "my-pkg" / ours
    chosen.unlink()
    chosen.write_bytes((directory / ours).read_bytes() + b"\0")
    with _http_server(bad, negotiate=True) as server:
        proc = _uv_install(uv_bin, target_python, _url(server), "my-pkg", tmp_path / "c3", dry_run=False)
    assert proc.returncode != 0 and "Hash mismatch" in proc.stderr and ours in proc.stderr, proc.stderr


def test_uv_with_a_warm_cache_sees_the_rewritten_variants_file(x86_site, tmp_path, uv_bin, target_python,
                                                               run_varwheel):
    """A release's variants file changes when a variant goes; uv's cache (URL + hash) follows the page."""
    directory, _ = x86_site
    dist = tmp_path / "dist"
    shutil.copytree(directory, dist)
    out = tmp_path / "site" / "simple"
    _simple(run_varwheel, dist, out)
    cache = tmp_path / "cache"
    with _http_server(tmp_path / "site", negotiate=True) as server:
        first = _picked(_uv_install(uv_bin, target_python, _url(server), "my-pkg", cache))
        assert first == _ours(dist, "My_Pkg", {}) and first is not None
        (dist / first).unlink()
        assert run_varwheel("index", dist).returncode == 0
        _simple(run_varwheel, dist, out)
        proc = _uv_install(uv_bin, target_python, _url(server), "my-pkg", cache)
    assert _picked(proc) == _ours(dist, "My_Pkg", {}) != first, proc.stderr


def test_without_pep658_attributes_uv_streams_whole_wheels(x86_site, tmp_path, uv_bin, target_python):
    """Why the tree carries ``.metadata`` files: http.server has no range requests."""
    directory, site = x86_site
    bare = tmp_path / "bare"
    shutil.copytree(site, bare)
    page = bare / "simple" / "my-pkg" / "index.html"
    page.write_text(re.sub(r' data-(dist-info|core)-metadata="[^"]*"', "", page.read_text()))
    with _http_server(bare, negotiate=False) as server:
        proc = _uv_install(uv_bin, target_python, _url(server), "my-pkg", tmp_path / "cache")
    assert _picked(proc) == _ours(directory, "My_Pkg", {}), proc.stderr
    assert "Range requests not supported" in proc.stderr
    paths = [p for method, p, _ in server.requests if method == "GET"]
    assert not any(p.endswith(".metadata") for p in paths) and any(p.endswith(".whl") for p in paths), paths


# -- pip through the same tree ----------------------------------------------------------------


def _wheel_requiring_python(directory: Path, name: str, version: str, spec: str) -> Path:
    """A plain wheel whose METADATA says ``Requires-Python: spec`` (RECORD consistent)."""
    dist_info = f"{name}-{version}.dist-info"
    members = {
        f"{name}/__init__.py": b"",
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                                 f"Requires-Python: {spec}\n\n".encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{path},{record_line_hash(data)},{len(data)}\n" for path, data in members.items())
    members[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    out = directory / f"{name}-{version}-py3-none-any.whl"
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as zf:
        for path, data in members.items():
            zf.writestr(zipfile.ZipInfo(path, (2024, 1, 1, 0, 0, 0)), data)
    return out


def _pip_download(index_url: str, requirement: str, dest: Path) -> "subprocess.CompletedProcess[str]":
    cmd = [sys.executable, "-m", "pip", "--isolated", "download", "--no-deps", "--no-cache-dir",
           "--index-url", index_url, "-d", str(dest), requirement]
    return subprocess.run(cmd, capture_output=True, text=True, env=_uv_env(), timeout=UV_TIMEOUT)


def test_pip_takes_the_plain_wheel_and_honours_requires_python(x86_site, tmp_path, run_varwheel):
    directory, site = x86_site
    with _http_server(site, negotiate=True) as server:
        proc = _pip_download(_url(server), "my-pkg", tmp_path / "got")
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in (tmp_path / "got").iterdir()] == ["My_Pkg-1.0-py3-none-any.whl"]

    dist = tmp_path / "dist"
    _wheel_requiring_python(dist, "agepkg", "1.0", ">=3")
    _wheel_requiring_python(dist, "agepkg", "2.0", ">=3.99")
    out = tmp_path / "site" / "simple"
    _simple(run_varwheel, dist, out)
    page = json.loads((out / "agepkg" / "index.json").read_bytes())
    assert [f.get("requires-python") for f in page["files"]] == [">=3", ">=3.99"]
    assert 'data-requires-python="&gt;=3.99"' in (out / "agepkg" / "index.html").read_text()
    for negotiate in (False, True):
        got = tmp_path / f"got-{negotiate}"
        with _http_server(tmp_path / "site", negotiate=negotiate) as server:
            proc = _pip_download(_url(server), "agepkg", got)
        assert proc.returncode == 0, proc.stderr
        assert [p.name for p in got.iterdir()] == ["agepkg-1.0-py3-none-any.whl"]
        # pip skipped 2.0 from the page's requires-python: it never fetched the file
        assert "/simple/agepkg/agepkg-2.0-py3-none-any.whl" not in [p for _, p, _ in server.requests]


# -- all or nothing ---------------------------------------------------------------------------


def _wheel_without_metadata(directory: Path, name: str) -> Path:
    dist_info = f"{name}-1.0.dist-info"
    members = {f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    members[f"{dist_info}/RECORD"] = (
        f"{dist_info}/WHEEL,{record_line_hash(members[f'{dist_info}/WHEEL'])},{len(members[f'{dist_info}/WHEEL'])}\n"
        f"{dist_info}/RECORD,,\n"
    ).encode()
    out = directory / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(out, "w") as zf:
        for path, data in members.items():
            zf.writestr(path, data)
    return out


def test_a_failure_late_in_the_run_leaves_nothing(x86_site, tmp_path, run_varwheel):
    directory, site = x86_site
    dist = tmp_path / "dist"
    shutil.copytree(directory, dist)
    _wheel_without_metadata(dist, "zzz_broken")  # sorts last: every other project is staged first
    fresh = tmp_path / "fresh" / "simple"
    proc = run_varwheel("index", "--simple", fresh, dist)
    assert proc.returncode == 2 and "zzz_broken-1.0-py3-none-any.whl" in proc.stderr and "METADATA" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "fresh").exists()
    existing = tmp_path / "existing"
    shutil.copytree(site, existing)
    before = _tree(existing)
    (dist / "My_Pkg-1.0-py3-none-any-v2.whl").unlink()  # a change that would rewrite pages
    proc = run_varwheel("index", "--simple", existing / "simple", dist)
    assert proc.returncode == 2
    assert _tree(existing) == before  # no page rewritten, no staging folder left


def test_an_interrupt_leaves_the_index_as_it_was(tmp_path):
    """Ctrl-C (SIGTERM in the CLI is the same exception) while wheels are hashed: nothing changes."""
    import signal

    dist = tmp_path / "dist"
    for i in range(4):
        make_wheel(dist, f"p{i}", "1.0", {f"p{i}/blob.bin": os.urandom(16 << 20)}, compression=zipfile.ZIP_STORED)
    out = tmp_path / "out"
    write_simple_index(dist, out)
    make_wheel(dist, "p0", "2.0", {"p0/blob.bin": os.urandom(16 << 20)}, compression=zipfile.ZIP_STORED)
    before = _tree(out)

    def interrupt(signum, frame):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.01)  # far less than hashing 80 MiB takes
        with pytest.raises(KeyboardInterrupt):
            write_simple_index(dist, out)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert _tree(out) == before  # no page, wheel or staging folder changed or left behind
    write_simple_index(dist, out)
    assert "p0-2.0-py3-none-any.whl" in (out / "p0" / "index.html").read_text()


def test_inconsistent_release_is_refused_before_writing(tmp_path, run_varwheel):
    from varwheel.model.request import resolve_variant
    from varwheel.wheel.make import make_variant

    dist = tmp_path / "dist"
    plain = make_wheel(tmp_path / "src", "pkg", "1.0")
    make_variant(plain, dist, resolve_variant(["x86_64 :: level :: v3"], label="v3"))
    make_variant(plain, tmp_path / "other", resolve_variant(["x86_64 :: level :: v2"], label="v3"))
    shutil.copy(tmp_path / "other" / "pkg-1.0-py3-none-any-v3.whl", dist / "pkg-1.0-cp311-none-any-v3.whl")
    proc = run_varwheel("index", "--simple", tmp_path / "out", dist)
    assert proc.returncode == 2 and "v3" in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


def test_published_bytes_are_kept_unless_forced(x86_site, tmp_path, run_varwheel):
    directory, site = x86_site
    out = tmp_path / "site"
    shutil.copytree(site, out)
    served = out / "simple" / "my-pkg" / "My_Pkg-1.0-py3-none-any-v3.whl"
    served.unlink()
    served.write_bytes(b"not the wheel")
    before = _tree(out)
    proc = run_varwheel("index", "--simple", out / "simple", directory)
    assert proc.returncode == 2 and "published with other bytes" in proc.stderr and "--force" in proc.stderr
    assert _tree(out) == before
    _simple(run_varwheel, directory, out / "simple", "--force")
    assert served.read_bytes() == (directory / served.name).read_bytes()
    assert _tree(out) == _tree(site)


def test_a_page_varwheel_did_not_write_is_not_replaced(x86_site, tmp_path, run_varwheel):
    directory, _ = x86_site
    out = tmp_path / "docs"
    out.mkdir()
    (out / "index.html").write_text("<html>my own site</html>\n")
    proc = run_varwheel("index", "--simple", out, directory)
    assert proc.returncode == 2 and "a page varwheel did not write" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    _simple(run_varwheel, directory, out, "--force")
    assert "generator" in (out / "index.html").read_text()


def test_rerun_after_the_folder_changed(x86_site, tmp_path, run_varwheel):
    directory, site = x86_site
    dist = tmp_path / "dist"
    shutil.copytree(directory, dist)
    out = tmp_path / "site" / "simple"
    _simple(run_varwheel, dist, out)
    gone = "My_Pkg-1.0-py3-none-any-v2.whl"
    (dist / gone).unlink()
    run_varwheel("index", dist)  # the folder's own variants file follows the wheels
    proc = _simple(run_varwheel, dist, out)
    assert f"{gone}: not in simple's pages any more" in proc.stderr
    page = json.loads((out / "my-pkg" / "index.json").read_bytes())
    assert gone not in [f["filename"] for f in page["files"]] and (out / "my-pkg" / gone).exists()
    variants = json.loads((out / "my-pkg" / "my_pkg-1.0-variants.json").read_bytes())
    assert "v2" not in variants["variants"] and "v3" in variants["variants"]


def test_a_stale_variants_file_in_the_folder_is_not_published(x86_site, tmp_path, run_varwheel):
    directory, _ = x86_site
    dist = tmp_path / "dist"
    shutil.copytree(directory, dist)
    (dist / "My_Pkg-1.0-py3-none-any-v2.whl").unlink()  # the folder's variants file still lists v2
    proc = _simple(run_varwheel, dist, tmp_path / "out")
    assert "stale:" in proc.stderr and "lists v2" in proc.stderr
    variants = json.loads((tmp_path / "out" / "my-pkg" / "my_pkg-1.0-variants.json").read_bytes())
    assert "v2" not in variants["variants"]


def test_usage_errors(tmp_path, run_varwheel):
    (tmp_path / "empty").mkdir()
    proc = run_varwheel("index", "--simple", tmp_path / "out", tmp_path / "empty")
    assert proc.returncode == 2 and "holds no wheels" in proc.stderr and not (tmp_path / "out").exists()
    for extra in (["--check"], ["-o", str(tmp_path / "o")]):
        proc = run_varwheel("index", "--simple", tmp_path / "out", *extra, tmp_path / "empty")
        assert proc.returncode == 2 and "--simple writes its own tree" in proc.stderr and extra[0] in proc.stderr
        assert not (tmp_path / "out").exists() and not (tmp_path / "o").exists()
    proc = run_varwheel("index", "--force", tmp_path / "empty")
    assert proc.returncode == 2 and "--force applies to --simple only" in proc.stderr


def test_hashing_keeps_memory_flat(tmp_path):
    """A 48 MiB wheel is hashed (and linked or copied) in 1 MiB buffers."""
    import tracemalloc

    dist = tmp_path / "dist"
    make_wheel(dist, "bigpkg", "1.0", {"bigpkg/blob.bin": os.urandom(48 << 20)}, compression=zipfile.ZIP_STORED)
    tracemalloc.start()
    try:
        result = write_simple_index(dist, tmp_path / "out")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    entry = result.projects["bigpkg"][0]
    assert entry.size > 48 << 20
    assert entry.sha256 == hashlib.sha256((dist / entry.filename).read_bytes()).hexdigest()
    assert peak < 8 << 20, f"peak {peak} bytes"


# -- a real index server: pypiserver, uploads by twine ----------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _no_proxy_open(url: str, data: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None):  # type: ignore[no-untyped-def]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return opener.open(urllib.request.Request(url, data=data, headers=headers or {}), timeout=10)


@contextlib.contextmanager
def _pypiserver(packages: Path, log: Path) -> Iterator[str]:
    """pypiserver on 127.0.0.1, uploads without authentication, no fallback to any other index."""
    port = _free_port()
    cmd = [sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(port), "-a", ".", "-P", ".",
           "--disable-fallback", "--backend", "simple-dir", str(packages)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=_uv_env())
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    _no_proxy_open(f"{url}/simple/").close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(f"pypiserver did not start:\n{log.read_text()}") from None
                    time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _twine(url: str, *files: Path) -> "subprocess.CompletedProcess[str]":
    cmd = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar",
           "--repository-url", f"{url}/", "-u", "user", "-p", "secret", *map(str, files)]
    return subprocess.run(cmd, capture_output=True, text=True, env=_uv_env(), timeout=UV_TIMEOUT)


def _legacy_upload(url: str, path: Path) -> Tuple[int, str]:
    """POST ``path`` the way twine does (the legacy upload API), for a file twine will not send."""
    boundary = "varwheel-test-boundary"
    parts: List[bytes] = []
    for key, value in ((":action", "file_upload"), ("protocol_version", "1"), ("name", "my-pkg"), ("version", "1.0")):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{path.name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    try:
        with _no_proxy_open(f"{url}/", b"".join(parts),
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"}) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def test_pypiserver_accepts_labelled_wheels_but_not_the_variants_file(x86_site, tmp_path, uv_bin, target_python):
    directory, _ = x86_site
    packages = tmp_path / "packages"
    packages.mkdir()
    wheels = sorted(directory.glob("*.whl"))
    variants = directory / "my_pkg-1.0-variants.json"
    with _pypiserver(packages, tmp_path / "pypiserver.log") as url:
        # labelled wheel names: accepted, stored and listed
        proc = _twine(url, *wheels)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert sorted(p.name for p in packages.iterdir()) == [w.name for w in wheels]
        with _no_proxy_open(f"{url}/simple/my-pkg/") as resp:
            page = resp.read().decode()
        assert all(w.name in page for w in wheels)
        # the variants file: twine refuses to send it ...
        proc = _twine(url, variants)
        assert proc.returncode != 0 and "Unknown distribution format" in proc.stdout + proc.stderr
        # ... the server's upload refuses it ...
        status, body = _legacy_upload(url, variants)
        assert status == 400 and "Bad filename" in body, (status, body)
        # ... and one put in its folder by hand is not listed
        shutil.copy(variants, packages / variants.name)
        with _no_proxy_open(f"{url}/simple/my-pkg/") as resp:
            assert variants.name not in resp.read().decode()
        # so uv sees variant wheels without their variants file: it ignores them and takes the plain wheel
        proc = _uv_install(uv_bin, target_python, f"{url}/simple/", "my-pkg", tmp_path / "c1")
        assert _picked(proc) == "My_Pkg-1.0-py3-none-any.whl", proc.stderr
        assert _ours(directory, "My_Pkg", {}) != "My_Pkg-1.0-py3-none-any.whl"  # what the static tree gives
        # ... and without a plain wheel finds nothing to install
        (packages / "My_Pkg-1.0-py3-none-any.whl").unlink()
        proc = _uv_install(uv_bin, target_python, f"{url}/simple/", "my-pkg", tmp_path / "c2")
        assert proc.returncode != 0 and _picked(proc) is None and "No solution found" in proc.stderr, proc.stderr
