"""Real third-party projects, built from pinned PyPI sdists through ``varwheel.build``.

Fixture projects prove a mechanism; only projects nobody here wrote prove that
a user's build works.  Each project below is downloaded once (pinned version
and sha256) into a cache folder these tests own, unpacked twice, and built:

* ``own``: the unmodified sdist tree, with its own backend (the reference);
* ``varwheel``: the same tree with ``build-backend = "varwheel.build"``, the
  original backend in ``[tool.varwheel]`` and ``[variant.default-priorities]``;
  in that one tree, in this order: the x86-64-v3 variant
  (``-Cvariant=x86_64::level::v3``, hash label ``fa7c1393``), the v4 variant
  (``-Cvariant=x86_64::level::v4 -Cvariant-label=v4``), then a plain build
  (no ``-C`` at all).

Then, for each compiled project (the numbers are the ones failure messages use):

1. the plain varwheel build has the inner backend's file name and the member
   list of the project's own build; the variants have the same members plus
   ``variant.json`` and the label in the name;
2. every compile line of the variants keeps the optimisation level the plain
   build's compile line of that source has (the interpreter's ``-O3`` for
   setuptools, the build type's for meson / CMake), beside
   ``-march=x86-64-v3`` / ``-v4``;
3. ``objdump -d`` of the extensions: AVX (``ymm``) code in v3 where the plain
   build has none, AVX-512 (``zmm``) in v4 (projects whose code never
   vectorises: their v3 and v4 code differs from the plain build's);
4. the plain build made after the variants in the same tree compiled again
   and its extensions have the plain build's code (the instruction mnemonic
   sequence of ``objdump -d --no-show-raw-insn``, which does not depend on the
   build paths), no ``ymm`` / ``zmm``;
5. uv 0.13.9 (preview) installs, from a null / v3 / v4 family with its index
   file in one find-links folder, the level this CPU supports, and the
   installed package passes a smoke call that uses its compiled code.

The pure project (flit-core, which also has an in-tree backend:
``backend-path``) gets 1 (member bytes identical too) and 5.

Builds use ``python -m build --installer uv`` (uv makes the isolated
environments: about 3 s less per setuptools build than pip, measured here);
``VARWHEEL_TEST_INSTALLER=pip`` switches back.  The sdist cache is
``$VARWHEEL_TEST_CACHE/sdists`` (default ``~/.cache/varwheel-tests``).  One
test per project, so that pytest-xdist never builds a project twice; every
check of a project runs and the failures are reported together.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest

try:
    import tomllib
except ImportError:  # pragma: no cover - Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

from tests.helpers_build import Frontend, cpu_x86_level, only_wheel, run
from tests.helpers_pipeline import clean_env, new_venv

pytestmark = pytest.mark.slow

CACHE = Path(os.environ.get("VARWHEEL_TEST_CACHE") or Path.home() / ".cache" / "varwheel-tests")
INDEX = "https://pypi.org/simple"
INSTALLER = os.environ.get("VARWHEEL_TEST_INSTALLER", "uv")
OBJDUMP = shutil.which("objdump")

V3 = ("variant", "x86_64::level::v3")
V3_LABEL = "fa7c1393"  # hash label of x86_64 :: level :: v3
V4 = (("variant", "x86_64::level::v4"), ("variant-label", "v4"))
LEVELS = ("v1", "v2", "v3", "v4")

#: 1 MiB of bytes 0..255: long enough for XXH3's vectorised accumulation loop.
_XXH_SMOKE = """\
import xxhash
data = bytes(range(256)) * 4096
assert xxhash.xxh3_64_hexdigest(b"abc") == "78af5f94892f3950"
assert xxhash.xxh64_hexdigest(b"") == "ef46db3751d8e999"
assert xxhash.xxh3_64_hexdigest(data) == "d36c0e13a3df139e", xxhash.xxh3_64_hexdigest(data)
assert xxhash.xxh3_128_hexdigest(data) == "1b208d2839093774d36c0e13a3df139e"
assert xxhash.xxh3_64 is xxhash._xxhash.xxh3_64  # the extension, no other implementation
print("ok")
"""


@dataclass(frozen=True)
class Project:
    """One pinned sdist and how to check it."""

    dist: str  # PyPI name
    version: str
    sha256: str  # of the sdist; a mirror cannot substitute another file
    backend: str  # the inner backend (the sdist's build-backend)
    why: str  # why this project (shown in the id and in failures)
    smoke: str  # Python code run in the installed venv; prints "ok"
    compiled: bool = True
    #: does the code vectorise at -O3 -march=x86-64-v3 (GCC 12)? If not, check 3 compares code instead.
    vectorises: bool = True
    #: settings that make the backend print its compiler command lines (check 2)
    verbose: Tuple[Tuple[str, str], ...] = ()
    #: installed from the index before the project (uv installs the project with --no-deps)
    runtime_deps: Tuple[str, ...] = ()
    #: the build runs the module it just built (nanobind's stub generator): variants
    #: above this CPU's level cannot be built here
    runs_built_code: bool = False

    @property
    def id(self) -> str:
        return f"{self.dist}-{self.version}"

    @property
    def normalized(self) -> str:
        return re.sub(r"[-_.]+", "-", self.dist).lower()


PROJECTS = [
    Project(
        "markupsafe", "3.0.4", "2e9ad7dd851bf45fab9f75cbff4cb493fee9979e8d8c7c9c3ee119022518edd6",
        "setuptools.build_meta",
        "setuptools, C, optional extension (falls back to pure Python if the compiler fails)",
        "import markupsafe, markupsafe._speedups as s\n"
        "assert markupsafe.escape('<') == '&lt;', markupsafe.escape('<')\n"
        "assert markupsafe._escape_inner is s._escape_inner, 'the pure-Python fallback is in use'\n"
        "print('ok')\n",
        vectorises=False,  # GCC 12 -O3 -march=x86-64-v4: no ymm/zmm at all (xxhash covers check 3)
    ),
    Project(
        "xxhash", "4.0.2", "af3d1b3cfa5280e84d8968e9f30c9eca75781db4915eb6d6acb0dd4fc93e0f47",
        "setuptools.build_meta",
        "setuptools, C, SIMD chosen at compile time (__AVX2__ / __AVX512F__); 4.1 added run-time dispatch, "
        "whose plain build holds AVX-512 code already",
        _XXH_SMOKE,
    ),
    Project(
        "kiwisolver", "1.5.1", "f1303ef2eec81262a4b708c3e858afe58d7c75ad91c1c05266eda7673369859a",
        "setuptools.build_meta",
        "setuptools, C++ (cppy, setuptools-scm), auto-vectorised at -O3",
        "import kiwisolver, kiwisolver._cext\n"
        "x, y = kiwisolver.Variable('x'), kiwisolver.Variable('y')\n"
        "s = kiwisolver.Solver()\n"
        "s.addConstraint(x + y == 10)\n"
        "s.addConstraint(x == 3)\n"
        "s.updateVariables()\n"
        "assert (x.value(), y.value()) == (3.0, 7.0), (x.value(), y.value())\n"
        "print('ok')\n",
    ),
    Project(
        "scikit-fmm", "2025.6.23", "a3208f5f3881e40b7878d1121ba39b8d57f1bc38fb4e5f0d9d1c66a9b007e44f",
        "mesonpy",
        "meson-python, C++ with the NumPy C API, two extension modules, auto-vectorised",
        "import numpy as np, skfmm\n"
        "line = np.linspace(-1, 1, 11)\n"
        "assert np.allclose(skfmm.distance(line, dx=0.2), line)\n"
        "X, Y = np.meshgrid(np.linspace(-1, 1, 201), np.linspace(-1, 1, 201))\n"
        "d = skfmm.distance(X ** 2 + Y ** 2 - 0.25, dx=0.01)\n"
        "assert abs(d[100, 100] + 0.5) < 0.02 and abs(d[100, 150]) < 0.02, (d[100, 100], d[100, 150])\n"
        "print('ok')\n",
        verbose=(("compile-args", "-v"),),  # `meson compile -v`: ninja prints the command lines
        runtime_deps=("numpy",),
    ),
    Project(
        "mapbox-earcut", "2.1.0", "fb0c1e43581a635bbaabf4a5149009014d370c515816c4d5a7d8118477f28d48",
        "scikit_build_core.build",
        "scikit-build-core, C++ (nanobind), persistent build-dir = build/{wheel_tag}",
        "import numpy as np, mapbox_earcut as e\n"
        "square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float64)\n"
        "hole = np.array([[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]], dtype=np.float64)\n"
        "tri = e.triangulate_float64(np.vstack([square, hole]), np.array([4, 8], dtype=np.uint32))\n"
        "assert len(tri) == 24 and set(tri.tolist()) == set(range(8)), tri\n"
        "assert len(e.triangulate_float32(square.astype(np.float32), np.array([4], dtype=np.uint32))) == 6\n"
        "print('ok')\n",
        verbose=(("build.verbose", "true"),),
        runtime_deps=("numpy",),
        runs_built_code=True,
    ),
    Project(
        "flit-core", "4.2.0", "84e4e4d8fdd45ba2613800a3ebc6834de26d47ec9746efc3719f94181137b460",
        "flit_core.buildapi",
        "flit-core, pure Python, in-tree backend (backend-path)",
        "import flit_core, flit_core.buildapi\nassert flit_core.__version__ == '4.2.0'\nprint('ok')\n",
        compiled=False,
    ),
]


# -- the sdist cache ----------------------------------------------------------------------
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_sdist(project: Project) -> Path:
    """The project's sdist from the cache, downloaded (PyPI simple API, JSON) when missing."""
    folder = CACHE / "sdists"
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.tar.gz"):
        if path.name.lower().replace("_", "-").startswith(f"{project.normalized}-{project.version}.tar") and \
                _sha256(path) == project.sha256:
            return path
    request = urllib.request.Request(f"{INDEX}/{project.normalized}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            files = json.load(response)["files"]
        entry = next(f for f in files if f.get("hashes", {}).get("sha256") == project.sha256)
        with urllib.request.urlopen(urllib.parse.urljoin(request.full_url, entry["url"]), timeout=300) as response:
            blob = response.read()
    except (OSError, StopIteration, KeyError, ValueError) as exc:
        pytest.fail(f"cannot download the sdist of {project.id} (sha256 {project.sha256}) from {INDEX}: {exc!r}")
    assert hashlib.sha256(blob).hexdigest() == project.sha256, f"{entry['url']}: sha256 differs from the pin"
    target = folder / entry["filename"]
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")  # two xdist workers never see half a file
    with os.fdopen(fd, "wb") as fh:
        fh.write(blob)
    os.replace(tmp, target)
    return target


def unpack(sdist: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - Python without PEP 706
            tar.extractall(dest)
    (top,) = [p for p in dest.iterdir() if p.is_dir()]
    return top


# -- pointing a project at varwheel.build -------------------------------------------------------
def use_varwheel(tree: Path) -> Path:
    """Edit ``tree/pyproject.toml`` as a user would; check the result with tomllib."""
    path = tree / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    before = tomllib.loads(text)
    system = before["build-system"]
    assert "varwheel" not in before.get("tool", {}) and "variant" not in before, f"{path} already has varwheel tables"
    backend = system["build-backend"]
    out: List[str] = []
    in_system = False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            in_system = stripped.replace(" ", "").startswith("[build-system]")
        elif stripped.startswith("[["):
            in_system = False
        indent = line[: len(line) - len(line.lstrip())]
        if in_system and re.match(r"build-backend\s*=", stripped):
            out.append(f'{indent}build-backend = "varwheel.build"\n')
        elif in_system and re.match(r"requires\s*=\s*\[", stripped):
            out.append(line.replace("[", '["varwheel", ', 1))
        elif in_system and re.match(r"backend-path\s*=\s*\[.*\]\s*$", stripped):
            continue  # moves to [tool.varwheel]: the frontend must load varwheel.build, not the in-tree backend
        else:
            out.append(line)
    tables = f"\n[tool.varwheel]\nbackend = {json.dumps(backend)}\n"
    if "backend-path" in system:
        tables += f"backend-path = {json.dumps(system['backend-path'])}\n"
    tables += '\n[variant.default-priorities]\nnamespace = ["x86_64"]\n'
    new = "".join(out).rstrip("\n") + "\n" + tables
    expected = copy.deepcopy(before)
    expected["build-system"]["build-backend"] = "varwheel.build"
    expected["build-system"]["requires"] = ["varwheel", *system.get("requires", [])]
    expected["build-system"].pop("backend-path", None)
    expected.setdefault("tool", {})["varwheel"] = {"backend": backend, **({"backend-path": system["backend-path"]} if "backend-path" in system else {})}
    expected["variant"] = {"default-priorities": {"namespace": ["x86_64"]}}
    assert tomllib.loads(new) == expected, f"editing {path} went wrong:\n{new}"
    path.write_text(new, encoding="utf-8")
    return path


# -- builds -------------------------------------------------------------------------------
@dataclass
class Built:
    wheel: Path
    log: str
    seconds: float


@pytest.fixture(scope="module")
def frontend(varwheel_wheelhouse, tmp_path_factory) -> Frontend:
    fe = Frontend(varwheel_wheelhouse, tmp_path_factory.mktemp("real-projects"))
    fe.env["UV_FIND_LINKS"] = str(varwheel_wheelhouse)  # --installer uv reads no PIP_* variable
    for name in ("CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "DIST_EXTRA_CONFIG", "XXHASH_LINK_SO", "CMAKE_ARGS"):
        fe.env.pop(name, None)  # the interpreter's and the projects' own defaults are the reference
    return fe


def build(frontend: Frontend, tree: Path, out: Path, settings: Sequence[Tuple[str, str]] = ()) -> Built:
    start = time.monotonic()
    proc = frontend.build(tree, out, list(settings), extra=["--installer", INSTALLER])
    return Built(only_wheel(out), proc.stdout + proc.stderr, time.monotonic() - start)


# -- compile lines ------------------------------------------------------------------------------
_COMPILER = re.compile(r"(?:[\w.+-]+-)?(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+)(?:-\d+(?:\.\d+)*)?")
_SOURCE = re.compile(r".+\.(?:c|cc|cpp|cxx|c\+\+|C)$")
_NINJA_SHORT = re.compile(r"^\[\d+/\d+\]\s+(?:Compiling \S+ object|Building \S+ object)\s")


@dataclass
class CompileLine:
    source: str  # the last two path components: the same in both trees
    tokens: List[str]

    @property
    def opt(self) -> str:
        """The optimisation level in effect (the last -O wins; none: -O0)."""
        levels = [t for t in self.tokens if re.fullmatch(r"-O(?:\d|s|z|g|fast)?", t)]
        return levels[-1] if levels else "-O0 (none given)"

    @property
    def marches(self) -> List[str]:
        return [t for t in self.tokens if t.startswith("-march=")]

    def excerpt(self) -> str:
        """The flags, without include paths and the file names (they are long and irrelevant)."""
        keep = [t for t in self.tokens[1:] if t.startswith("-") and t != "-c" and not t.startswith(("-I", "-isystem", "-MF", "-MQ", "-MT", "-o"))]
        return f"{Path(self.tokens[0]).name} {' '.join(keep)} -c .../{self.source}"


def compile_lines(log: str) -> List[CompileLine]:
    found: List[CompileLine] = []
    for raw in log.splitlines():
        line = re.sub(r"^\s*\[\d+/\d+\]\s*", "", raw.strip())
        if "-c" not in line:
            continue
        try:
            tokens = shlex.split(line)
        except ValueError:
            continue
        if tokens and Path(tokens[0]).name in ("ccache", "sccache"):
            tokens = tokens[1:]
        if not tokens or not _COMPILER.fullmatch(Path(tokens[0]).name) or "-c" not in tokens:
            continue
        after = tokens[tokens.index("-c") + 1] if tokens.index("-c") + 1 < len(tokens) else ""
        sources = [t for t in tokens if _SOURCE.fullmatch(t) and not t.startswith("-")]
        source = after if _SOURCE.fullmatch(after) else (sources[-1] if sources else None)
        if source:
            found.append(CompileLine("/".join(Path(source).parts[-2:]), tokens))
    return found


def compile_steps(log: str) -> int:
    """How many objects a build compiled: command lines, or ninja's short lines when not verbose."""
    return max(len(compile_lines(log)), sum(1 for l in log.splitlines() if _NINJA_SHORT.match(l.strip())))


def check_compile_lines(problems: List[str], plain: Built, variant: Built, march: str, what: str) -> None:
    ref = compile_lines(plain.log)
    lines = compile_lines(variant.log)
    if not ref:
        problems.append(f"2: no compile line found in the plain build's log (verbose settings?):\n{plain.log[-3000:]}")
        return
    if not lines:
        problems.append(f"2: {what} build: no compile line in its log (did it compile?):\n{variant.log[-3000:]}")
        return
    if sorted(l.source for l in lines) != sorted(l.source for l in ref):
        problems.append(f"2: {what} build compiled {sorted(l.source for l in lines)}, the plain build "
                        f"{sorted(l.source for l in ref)}")
    ref_opts: Dict[str, set] = {}
    for l in ref:
        ref_opts.setdefault(l.source, set()).add(l.opt)
    bad = []
    for l in lines:
        want = ref_opts.get(l.source, {r.opt for r in ref})
        if l.opt not in want or l.marches[-1:] != [march]:  # the last -march is the one in effect
            plain_line = next((r for r in ref if r.source == l.source), ref[0])
            bad.append(f"  {what}:  {l.excerpt()}\n  plain: {plain_line.excerpt()}")
    if bad:
        problems.append(
            f"2: {len(bad)} of {len(lines)} compile lines of the {what} build lack the plain build's "
            f"optimisation level ({sorted(set().union(*ref_opts.values()))}) beside {march}:\n" + "\n".join(bad[:3]))


# -- machine code ----------------------------------------------------------------------------------
@dataclass
class Code:
    """The disassembly of every extension module of a wheel, by member name."""

    text: Dict[str, str] = field(default_factory=dict)

    def count(self, register: str) -> int:
        return sum(t.count(f"%{register}") for t in self.text.values())

    def mnemonics(self) -> Dict[str, List[str]]:
        out: Dict[str, List[str]] = {}
        for member, text in self.text.items():
            seq = []
            for line in text.splitlines():
                parts = line.split("\t")
                if len(parts) >= 2 and re.match(r"^\s*[0-9a-f]+:$", parts[0]) and parts[1].strip():
                    seq.append(parts[1].split()[0])
            out[member] = seq
        return out


def disassemble(wheel: Path, scratch: Path) -> Code:
    code = Code()
    with zipfile.ZipFile(wheel) as zf:
        for member in zf.namelist():
            if re.search(r"\.so(?:\.\d+)*$", member):
                target = scratch / member
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(member))
                code.text[member] = run([OBJDUMP, "-d", "--no-show-raw-insn", target]).stdout
    return code


def first_difference(a: List[str], b: List[str]) -> str:
    where = f"{len(a)} instructions vs {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"{where}, first difference at {i}: {' '.join(a[max(0, i - 3):i + 4])!r} vs {' '.join(b[max(0, i - 3):i + 4])!r}"
    return where


# -- wheels -----------------------------------------------------------------------------------------
def members(wheel: Path) -> List[str]:
    with zipfile.ZipFile(wheel) as zf:
        return sorted(zf.namelist())


def contents(wheel: Path) -> Dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def uv_install(uv_bin: str, tmp: Path, folder: Path, project: Project, version: str, cache: Path):
    """A fresh venv, the runtime dependencies from the index, then the project from ``folder`` (preview)."""
    tmp.mkdir(parents=True, exist_ok=True)
    python = new_venv(uv_bin, tmp, "venv")
    env = clean_env(tmp, {"UV_CACHE_DIR": str(cache)})
    if project.runtime_deps:
        run([uv_bin, "pip", "install", "-q", "--python", python, *project.runtime_deps], env=env)
    proc = subprocess.run(
        [uv_bin, "pip", "install", "--preview-features", "wheel-variants", "--python", str(python), "--no-index",
         "--no-deps", "--find-links", str(folder), f"{project.normalized}=={version}", "-v"],
        capture_output=True, text=True, env=env, check=False)
    chosen = re.findall(rf"Selecting: {re.escape(project.normalized)}=={re.escape(version)} \[compatible\] \((\S+\.whl)\)",
                        proc.stderr)
    return proc, python, chosen[0] if chosen else None


def installed_variant_json(python: Path, dist: str, version: str) -> Optional[Dict[str, Any]]:
    code = (
        "import importlib.metadata as m, sys\n"
        f"d = m.distribution({dist!r})\n"
        "t = d.read_text('variant.json')\n"
        "sys.stdout.write(t or '')\n"
    )
    text = run([python, "-c", code]).stdout
    return json.loads(text) if text.strip() else None


# -- the test ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("project", PROJECTS, ids=[p.id for p in PROJECTS])
def test_real_project(project: Project, frontend: Frontend, run_varwheel, uv_bin, tmp_path):
    problems: List[str] = []
    not_checked: List[str] = []
    timings: Dict[str, float] = {}
    notes: List[str] = []
    cpu = cpu_x86_level()

    sdist = fetch_sdist(project)
    own = unpack(sdist, tmp_path / "own")
    tree = unpack(sdist, tmp_path / "varwheel")
    edited = use_varwheel(tree)

    plain = build(frontend, own, tmp_path / "dist-own", project.verbose)
    timings["own"] = plain.seconds
    stem = plain.wheel.name[: -len(".whl")]
    version = stem.split("-")[1]
    assert not re.search(r"-(?:null|v\d|[0-9a-f]{8})$", stem), plain.wheel.name

    # The variants, then a plain build, in one tree (the order that exposes stale objects).
    def can_run(level: str) -> bool:
        return not project.runs_built_code or (cpu is not None and LEVELS.index(cpu) >= LEVELS.index(level))

    variants: Dict[str, Built] = {}
    for label, settings in (("v3", [V3]), ("v4", list(V4))):
        if not can_run(label):
            not_checked.append(f"the {label} variant ({project.dist}'s build runs the module it built; this CPU is {cpu})")
            continue
        verbose = list(project.verbose) if project.compiled else []
        variants[label] = build(frontend, tree, tmp_path / f"dist-{label}", verbose + settings)
        timings[label] = variants[label].seconds
    after = build(frontend, tree, tmp_path / "dist-plain")
    timings["plain after variants"] = after.seconds

    # 1. plain through varwheel == the inner backend; variants == plain + variant.json, labelled.
    if after.wheel.name != plain.wheel.name:
        problems.append(f"1: the plain varwheel build is named {after.wheel.name}, the project's own {plain.wheel.name}")
    if members(after.wheel) != members(plain.wheel):
        problems.append(f"1: members differ from the project's own build: "
                        f"{sorted(set(members(after.wheel)) ^ set(members(plain.wheel)))}")
    if not project.compiled:
        a, b = contents(after.wheel), contents(plain.wheel)
        differ = sorted(n for n in a.keys() & b.keys() if a[n] != b[n])
        if differ:
            problems.append(f"1: pure wheel: members with other bytes than the project's own build: {differ}")
    dist_info = next(n for n in members(plain.wheel) if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
    for label, built in variants.items():
        name = f"{stem}-{V3_LABEL if label == 'v3' else label}.whl"
        if built.wheel.name != name:
            problems.append(f"1: the {label} variant is named {built.wheel.name}, expected {name}")
        extra = sorted(set(members(built.wheel)) - set(members(plain.wheel)))
        missing = sorted(set(members(plain.wheel)) - set(members(built.wheel)))
        if extra != [f"{dist_info}/variant.json"] or missing:
            problems.append(f"1: the {label} variant adds {extra} and lacks {missing} (expected: only variant.json)")

    if project.compiled:
        # 2. compile lines keep the optimisation level beside -march.
        for label, built in variants.items():
            check_compile_lines(problems, plain, built, f"-march=x86-64-{label}", label)
            seen = compile_lines(built.log)
            notes.append(f"{label} e.g. {seen[0].excerpt() if seen else '(no compile line)'}")

        # 3. and 4. machine code.
        if OBJDUMP is None:
            not_checked.append("the machine code (checks 3 and 4): objdump (binutils) is not installed")
        else:
            ref = disassemble(plain.wheel, tmp_path / "code-own")
            if not ref.text:
                problems.append(f"3: no extension module (*.so) in {plain.wheel.name}: {members(plain.wheel)}")
            if ref.count("ymm") or ref.count("zmm"):
                problems.append(f"3: the plain build already has AVX code ({ref.count('ymm')} ymm, {ref.count('zmm')} zmm): "
                                "this project cannot show what the variant adds")
            codes = {label: disassemble(b.wheel, tmp_path / f"code-{label}") for label, b in variants.items()}
            for label, code in codes.items():
                register = "ymm" if label == "v3" else "zmm"
                if project.vectorises:
                    if not code.count(register):
                        problems.append(f"3: the {label} build has no {register} register in its extensions "
                                        f"({code.count('ymm')} ymm, {code.count('zmm')} zmm); the plain build "
                                        f"{ref.count('ymm')} ymm")
                elif code.mnemonics() == ref.mnemonics():
                    problems.append(f"3: the {label} build's code is the plain build's instruction for instruction")
            # 4.
            steps, wanted = compile_steps(after.log), len(compile_lines(plain.log))
            notes.append(f"plain after variants compiled {steps}/{wanted} objects")
            if steps < wanted:
                hints = [l.strip() for l in after.log.splitlines() if re.search(r"up-to-date|no work to do|^running build_ext", l.strip())]
                problems.append(f"4: the plain build after the variants compiled {steps} objects (no compiler command in "
                                f"its log), the project's own build {wanted}; its build_ext said: {hints[:5]}")
            again = disassemble(after.wheel, tmp_path / "code-after")
            a, b = again.mnemonics(), ref.mnemonics()
            if a != b or again.count("ymm") or again.count("zmm"):
                detail = "; ".join(f"{m}: {first_difference(a.get(m, []), b.get(m, []))}" for m in sorted(b) if a.get(m) != b[m])
                problems.append(f"4: the plain build after the variants ships other code than the plain build "
                                f"({again.count('ymm')} ymm, {again.count('zmm')} zmm; plain: {ref.count('ymm')}, "
                                f"{ref.count('zmm')}): {detail or sorted(a)}")

    # 5. uv picks this CPU's level from null / v3 / v4 and the package works.
    family = tmp_path / "family"
    family.mkdir()
    for built in variants.values():
        shutil.copy(built.wheel, family)
    run_varwheel("make-variant", "-f", plain.wheel, "-o", family, "--null-variant", "--pyproject-toml", edited, check=True)
    run_varwheel("index", family, check=True)
    index = family / f"{re.sub(r'[-_.]+', '_', project.dist).lower()}-{version}-variants.json"
    if not index.is_file():
        problems.append(f"5: varwheel index wrote {sorted(p.name for p in family.glob('*.json'))}, not {index.name}")
    reached = [lvl for lvl in variants if cpu is not None and LEVELS.index(cpu) >= LEVELS.index(lvl)]
    label = reached[-1] if reached else "null"
    expected = f"{stem}-{V3_LABEL if label == 'v3' else label}.whl"
    proc, python, chosen = uv_install(uv_bin, tmp_path / "install", family, project, version, frontend.scratch / "uv-cache")
    if proc.returncode != 0:
        problems.append(f"5: uv pip install failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    else:
        if chosen != expected:
            problems.append(f"5: uv selected {chosen}, expected {expected} (this CPU: x86-64-{cpu}); family: "
                            f"{sorted(p.name for p in family.iterdir())}")
        installed = installed_variant_json(python, project.dist, version)
        labels = sorted((installed or {}).get("variants", {}))
        if labels != [V3_LABEL if label == "v3" else label]:
            problems.append(f"5: the installed dist-info's variant.json has variants {labels}, expected {label}")
        smoke = subprocess.run([str(python), "-c", project.smoke], capture_output=True, text=True, cwd=tmp_path, check=False)
        if smoke.returncode != 0 or smoke.stdout.strip() != "ok":
            problems.append(f"5: the smoke call failed in the venv with {chosen}:\n{smoke.stdout[-1500:]}{smoke.stderr[-3000:]}")

    summary = ", ".join(f"{k} {v:.0f}s" for k, v in timings.items())
    print(f"\n{project.id}: {summary}" + "".join(f"\n  {n}" for n in notes))
    if problems:
        pytest.fail(f"{project.id} ({project.why}; builds: {summary}):\n\n" + "\n\n".join(problems), pytrace=False)
    if not_checked:
        pytest.skip(f"{project.id}: everything else passed; not checked here: " + "; ".join(not_checked))
