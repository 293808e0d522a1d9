"""A real project's own workload, built plain and as x86-64-v3 / v4 variants.

The sdist of a project nobody here wrote (simplejson: a setuptools C
extension; markupsafe: the same, smaller) is downloaded from PyPI once into
``.bench-data/real_project/`` (gitignored), and in every run:

1. this checkout of varwheel is built into a wheelhouse (``pip wheel
   --no-deps`` of a copy of the working tree, as ``tests/conftest.py`` does),
   so a run measures the backend as it is on disk now;
2. the sdist is unpacked and its ``pyproject.toml`` pointed at
   ``varwheel.build`` (``"varwheel"`` added to ``build-system.requires``, the
   original backend in ``[tool.varwheel]``, ``[variant.default-priorities]
   namespace = ["x86_64"]``);
3. four wheels are built with ``python -m build -w`` in isolated
   environments (``PIP_FIND_LINKS`` = the wheelhouse), each from a fresh
   copy of the tree: the unmodified project (the inner backend alone: the
   reference), varwheel without variant settings (plain),
   ``-Cvariant="x86_64 :: level :: v3"`` and ``-Cvariant=x86_64::level::v4
   -Cvariant-label=v4``; a variant the CPU cannot run (``/proc/cpuinfo``
   flags) is skipped with the reason printed;
4. each wheel is installed into its own venv with uv (preview
   wheel-variants), and the C speedups are checked to be the code in use
   (the extension imports and the module's hot functions are the C ones);
5. the project's workload is timed in each venv, a fresh process per build
   and round, interleaved (each round rotates the order): simplejson encodes
   and decodes a generated document of 2 MiB (nested dicts and lists, ASCII
   and non-ASCII strings, floats, ints); markupsafe escapes two HTML-ish
   strings of 4 Mi characters (one latin-1, one with wider characters: the
   C code has a loop per string kind).  Each process reports its best of
   ``--inner`` iterations; the table shows the best and the median over
   ``--rounds`` rounds, the ratio of the best to the plain build's best, and
   the median (and quartiles) of the per-round ratios to plain ("paired":
   the builds of one round run back to back, under the same load).  Times
   are the CPU time of the timed thread (steadier than wall time on a
   shared machine; the best wall time is printed too).  Builds whose
   extensions have the same machine code (``.text`` digest: the reference
   and plain always, v3 and v4 when ``-march`` changes nothing) differ by
   noise alone: their ratios are printed as the noise.  The criterion is
   judged on the paired median: a variant passes unless it exceeds 1 by
   more than the larger of that noise and twice the median's standard
   error (from the quartiles of its per-round ratios).

For each build the compile lines of the build log are printed without
include paths and file names (the flags the compiler really got: ``-O3``?
``-march=...``?), and the number of instructions using ``ymm`` (AVX) and
``zmm`` (AVX-512) registers in the built extension (``objdump -d``).

Usage::

    python bench/real_project.py [--project simplejson|markupsafe|all] [--rounds 12] [--inner 10] [--size-mb N]
                                 [--varwheel-rev REV]

``--varwheel-rev HEAD`` builds varwheel from a commit (``git archive``)
instead of the working tree, to compare the backend before and after a change.

The build logs of the last run are kept under
``.bench-data/real_project/logs/``.  Nothing is asserted except that every
build succeeds and uses its C extension; the acceptance criterion
(no variant slower than plain beyond the noise) is printed, not enforced.
Results go into bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".bench-data" / "real_project"
VENV_BIN = Path(sys.executable).parent
UV = str(VENV_BIN / "uv") if (VENV_BIN / "uv").exists() else (shutil.which("uv") or "uv")

# Pinned: the latest release on PyPI when this bench was written.
PROJECTS: Dict[str, Dict[str, Any]] = {
    "simplejson": {
        "version": "4.3.0",
        # Fail the build instead of falling back to pure Python when the C extension does not compile.
        "build_env": {"REQUIRE_SPEEDUPS": "1"},
        "ext": "_speedups",
        "check": (
            "import simplejson, simplejson._speedups as s, simplejson.encoder as e, simplejson.decoder as d, simplejson.scanner as sc\n"
            "assert e.c_make_encoder is not None, 'c_make_encoder is None'\n"
            "assert e.c_encode_basestring_ascii is not None, 'c_encode_basestring_ascii is None'\n"
            "assert sc.make_scanner is sc.c_make_scanner and sc.c_make_scanner is not None, 'scanner is the Python one'\n"
            "assert d.scanstring is d.c_scanstring, 'scanstring is the Python one'\n"
            "print(s.__file__)\n"
        ),
        "workload": r"""
import json, sys, time
import simplejson
text = open(sys.argv[1], encoding="utf-8").read()
doc = json.loads(text)
inner = int(sys.argv[2])
enc, dec, wall = [], [], []
simplejson.loads(simplejson.dumps(doc))  # warm up
for _ in range(inner):
    w = time.perf_counter()
    t = time.thread_time(); s = simplejson.dumps(doc); enc.append(time.thread_time() - t)
    t = time.thread_time(); simplejson.loads(s); dec.append(time.thread_time() - t)
    wall.append(time.perf_counter() - w)
assert simplejson.loads(s) == doc
print(json.dumps({"encode": min(enc), "decode": min(dec), "total": min(e + d for e, d in zip(enc, dec)), "wall": min(wall)}))
""",
        "parts": ("encode", "decode", "total"),
        "size": 2.0,  # MiB of JSON
    },
    "markupsafe": {
        "version": "3.0.4",
        "build_env": {},
        "ext": "_speedups",
        "check": (
            "import markupsafe, markupsafe._speedups as s\n"
            "assert markupsafe._escape_inner is s._escape_inner, 'escape is the Python one'\n"
            "print(s.__file__)\n"
        ),
        "workload": r"""
import json, sys, time
from markupsafe import escape
inner = int(sys.argv[2])
texts = json.loads(open(sys.argv[1], encoding="utf-8").read())
out, wall = {}, 0.0
for kind, text in texts.items():  # latin-1 and non-latin-1 strings take different C paths
    escape(text)  # warm up
    times, walls = [], []
    for _ in range(inner):
        w = time.perf_counter(); t = time.thread_time()
        escape(text)
        times.append(time.thread_time() - t); walls.append(time.perf_counter() - w)
    out[kind] = min(times)
    wall += min(walls)
out["total"] = sum(out.values())
out["wall"] = wall
print(json.dumps(out))
""",
        "parts": ("ascii", "unicode", "total"),
        "size": 4.0,  # Mi characters per string
    },
}

BUILDS = {
    # name: (uses varwheel, -C settings, variant level needed)
    "reference": (False, [], None),
    "plain": (True, [], None),
    "v3": (True, ["-Cvariant=x86_64 :: level :: v3"], "v3"),
    "v4": (True, ["-Cvariant=x86_64::level::v4", "-Cvariant-label=v4"], "v4"),
}

LEVELS = [
    ("v1", {"cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2"}),
    ("v2", {"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"}),
    ("v3", {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}),
    ("v4", {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
]


def cpu_flags() -> set:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((row for row in text.splitlines() if row.startswith("flags")), "")
    return set(line.split(":", 1)[-1].split())


def cpu_can_run(level: str, flags: set) -> Optional[str]:
    """None if this CPU runs x86-64-``level`` code, else the reason it does not."""
    for name, needed in LEVELS:
        missing = needed - flags
        if missing:
            return f"CPU lacks {' '.join(sorted(missing))} (x86-64-{name})"
        if name == level:
            return None
    return None


def run(cmd, *, env=None, cwd=None, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise SystemExit(f"{shlex.join(map(str, cmd))} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


# ---------------------------------------------------------------- preparation


def build_wheelhouse(work: Path, rev: Optional[str]) -> Path:
    """A wheel of this working tree of varwheel (as tests/conftest.py builds it), or of commit ``rev``."""
    out = work / "wheelhouse"
    src = work / "varwheel-src"
    if rev is None:
        # What a wheel of varwheel is made of, and nothing else (the package has a build/ folder of its own).
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "backend", src / "backend", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    else:  # git archive reads the commit; the working tree is not touched
        src.mkdir()
        archive = work / "varwheel-rev.tar"
        run(["git", "-C", ROOT, "archive", "-o", archive, rev, "pyproject.toml", "README.md", "backend"])
        with tarfile.open(archive) as tf:
            tf.extractall(src)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", out, src])
    return out


def describe_checkout(rev: Optional[str]) -> str:
    if rev is not None:
        return "varwheel at " + (run(["git", "-C", ROOT, "rev-parse", "--short", rev], check=False).stdout.strip() or rev) + " (committed tree)"
    head = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], check=False).stdout.strip() or "?"
    dirty = run(["git", "-C", ROOT, "status", "--porcelain", "--", "backend"], check=False).stdout.split("\n")
    dirty = [line[3:] for line in dirty if line.strip()]
    return f"varwheel at {head}" + (f" + uncommitted changes in {', '.join(dirty)}" if dirty else "")


def sdist(name: str, version: str) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    found = [p for p in DATA.glob("*.tar.gz") if p.name.lower().startswith(f"{name}-{version}.")]
    if found:
        return found[0]
    run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", f"{name}=={version}", "-d", DATA])
    found = [p for p in DATA.glob("*.tar.gz") if p.name.lower().startswith(f"{name}-{version}.")]
    if not found:
        raise SystemExit(f"pip download left no sdist of {name} {version} in {DATA}")
    return found[0]


def unpack(archive: Path, dest: Path) -> Path:
    with tarfile.open(archive) as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, filter="data")
        else:
            tf.extractall(dest)
    (top,) = [p for p in dest.iterdir() if p.is_dir()]
    return top


def use_varwheel(project: Path) -> str:
    """Point the project's pyproject.toml at varwheel.build; return the inner backend."""
    path = project / "pyproject.toml"
    text = path.read_text()
    system = tomllib.loads(text)["build-system"]
    inner = system.get("build-backend", "setuptools.build_meta:__legacy__")
    requires = list(system.get("requires", [])) + ["varwheel"]
    # Rewrite the [build-system] table in place (up to the next table header).
    start = text.index("[build-system]")
    end = text.find("\n[", start + 1)
    end = len(text) if end < 0 else end + 1
    table = "[build-system]\n" f"requires = {json.dumps(requires)}\n" 'build-backend = "varwheel.build"\n\n'
    text = text[:start] + table + text[end:]
    text = text.rstrip("\n") + f'\n\n[tool.varwheel]\nbackend = "{inner}"\n\n[variant.default-priorities]\nnamespace = ["x86_64"]\n'
    path.write_text(text)
    return inner


def make_input(name: str, size_mb: float) -> Path:
    """The workload's input, generated once (seeded) and kept under DATA."""
    path = DATA / (f"{name}-input-{size_mb:g}mb.json" if name == "simplejson" else f"{name}-input-{size_mb:g}Mchars.json")
    if path.exists():
        return path
    rng = random.Random(20261124)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa", "lambda", "sigma", "omega", "data", "value"]
    accents = ["café", "naïve", "Zürich", "東京", "Москва", "señor", "déjà vu", "€ 12", "ﬁ ligature", "日本語テキスト", "emoji 🎉"]
    target = int(size_mb * 1024 * 1024)
    if name == "simplejson":
        def record(i: int) -> dict:
            return {
                "id": i,
                "name": " ".join(rng.choice(words) for _ in range(rng.randint(1, 4))),
                "label": rng.choice(accents) if rng.random() < 0.3 else rng.choice(words).title(),
                "price": round(rng.uniform(0, 10000), rng.randint(0, 6)),
                "ratio": rng.random(),
                "count": rng.randint(-(10**9), 10**9),
                "active": rng.random() < 0.5,
                "parent": None if rng.random() < 0.2 else rng.randint(0, i + 1),
                "tags": [rng.choice(words) for _ in range(rng.randint(0, 6))],
                "point": {"x": rng.gauss(0, 100), "y": rng.gauss(0, 100), "z": rng.gauss(0, 1e6)},
                "note": "line one\nline \"two\"\ttabbed \\ " + rng.choice(accents) if rng.random() < 0.2 else "",
                "history": [{"t": rng.randint(1_600_000_000, 1_800_000_000), "v": rng.random() * 100} for _ in range(rng.randint(0, 4))],
            }
        doc: dict = {"version": 3, "generated": "2026-11-24T00:00:00Z", "groups": []}
        size, i = 0, 0
        while size < target:
            group = {"group": rng.choice(words), "items": [record(i + k) for k in range(100)]}
            i += 100
            doc["groups"].append(group)
            size += len(json.dumps(group))
        path.write_text(json.dumps(doc), encoding="utf-8")
    else:
        specials = ["<b>", "</b>", "&amp;", "\"quoted\"", "it's", "a < b > c", "&"]
        def text(pool: List[str]) -> str:
            parts, size = [], 0
            while size < target:
                piece = " ".join(rng.choice(pool) for _ in range(rng.randint(3, 12))) + rng.choice(specials)
                parts.append(piece)
                size += len(piece)
            return " ".join(parts)
        path.write_text(json.dumps({"ascii": text(words), "unicode": text(words + accents)}), encoding="utf-8")
    return path


# ---------------------------------------------------------------- build, inspect


COMPILE_RE = re.compile(r"^\S*(?:gcc|cc|clang)(?:-\d+)?\s.*\s-c\s")


def compile_flags(log: str) -> List[str]:
    """The compile lines of the build log, without include paths, defines of Python's and file names."""
    lines = []
    for line in log.splitlines():
        line = line.strip()
        if not COMPILE_RE.match(line) or ".c" not in line:
            continue
        words = shlex.split(line)
        kept = []
        skip = False
        for w in words[1:]:
            if skip:
                skip = False
                continue
            if w in ("-o", "-c"):
                skip = w == "-o"
                continue
            if w.startswith("-I") or not w.startswith("-"):
                continue
            kept.append(w)
        lines.append(" ".join(kept))
    return lines


def optimisation_summary(flag_lines: List[str]) -> str:
    """-O level and -march of the compile lines (the last -O wins in gcc)."""
    if not flag_lines:
        return "no compile line found"
    out = set()
    for line in flag_lines:
        words = line.split()
        opt = [w for w in words if re.fullmatch(r"-O\w*", w)]
        march = [w for w in words if w.startswith("-march=")]
        out.add(f"{opt[-1] if opt else 'no -O (= -O0)'}, {march[-1] if march else 'no -march'}")
    return "; ".join(sorted(out))


def vector_counts(so: Path) -> str:
    if not shutil.which("objdump"):
        return "objdump not found"
    asm = run(["objdump", "-d", "--no-show-raw-insn", so]).stdout
    ymm = sum(1 for line in asm.splitlines() if "%ymm" in line)
    zmm = sum(1 for line in asm.splitlines() if "%zmm" in line)
    return f"{ymm} ymm, {zmm} zmm instructions"


def text_digest(so: Path, scratch: Path) -> str:
    """sha256 of the extension's .text section (machine code; debug info holds build paths)."""
    import hashlib

    if not shutil.which("objcopy"):
        return "?"
    out = scratch / (so.name + ".text")
    run(["objcopy", "-O", "binary", "--only-section=.text", so, out])
    return hashlib.sha256(out.read_bytes()).hexdigest()[:12]


def variant_of(wheel: Path) -> str:
    import zipfile

    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.endswith(".dist-info/variant.json")]
        if not names:
            return "no variant.json"
        data = json.loads(zf.read(names[0]))
    props = []
    for ns, features in data.get("variants", {}).get(next(iter(data.get("variants", {})), ""), {}).items():
        for feature, values in features.items():
            props += [f"{ns}::{feature}::{v}" for v in values]
    return "variant.json: " + (", ".join(props) or "null variant")


def build_one(name: str, src_tree: Path, work: Path, settings: List[str], env: Dict[str, str], logs: Path) -> Dict[str, Any]:
    project = work / f"src-{src_tree.name}-{name}"
    shutil.copytree(src_tree, project)
    out = work / f"dist-{src_tree.name}-{name}"
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", out, *settings, project]
    start = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.perf_counter() - start
    log = proc.stdout
    (logs / f"{name}.log").write_text(f"$ {shlex.join(map(str, cmd))}\n{log}")
    if proc.returncode != 0:
        raise SystemExit(f"build {name} failed (log: {logs / (name + '.log')}):\n{log[-4000:]}")
    (wheel,) = sorted(out.glob("*.whl"))
    return {"wheel": wheel, "flags": compile_flags(log), "build_s": elapsed}


def install(name: str, wheel: Path, work: Path, env: Dict[str, str]) -> Path:
    venv = work / f"venv-{name}"
    run([UV, "venv", "-q", "--python", sys.executable, venv], env=env)
    python = venv / "bin" / "python"
    run([UV, "pip", "install", "-q", "--preview-features", "wheel-variants", "--python", python, "--no-deps", "--offline", wheel], env=env)
    return python


# ---------------------------------------------------------------- main


def bench_project(pname: str, args, wheelhouse: Path, work: Path, flags: set) -> None:
    spec = PROJECTS[pname]
    archive = sdist(pname, spec["version"])
    pristine = unpack(archive, work / f"{pname}-unpacked")
    patched = work / f"{pname}-varwheel"
    shutil.copytree(pristine, patched)
    inner = use_varwheel(patched)
    logs = DATA / "logs" / pname
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)

    env = dict(os.environ)
    env.pop("VARWHEEL_DEBUG", None)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_FIND_LINKS"] = " ".join(filter(None, [str(wheelhouse), os.environ.get("PIP_FIND_LINKS", "")]))
    # A fresh uv cache: the wheelhouse's varwheel-0.1.0 wheel changes between runs under one name.
    env["UV_CACHE_DIR"] = str(work / "uv-cache")
    build_env = dict(env, **spec["build_env"])

    print(f"\n{pname} {spec['version']} (sdist {archive.name}; inner backend {inner})")
    results: Dict[str, Dict[str, Any]] = {}
    for name, (varwheel, settings, level) in BUILDS.items():
        if level is not None:
            reason = cpu_can_run(level, flags)
            if reason:
                print(f"  {name:10s}skipped: {reason}")
                continue
        res = build_one(name, patched if varwheel else pristine, work, settings, build_env, logs)
        python = install(f"{pname}-{name}", res["wheel"], work, env)
        check = run([python, "-c", spec["check"]], cwd=work, check=False)
        if check.returncode != 0:
            raise SystemExit(f"{name}: the C speedups are not in use:\n{check.stderr[-2000:]}")
        res["python"] = python
        res["so"] = Path(check.stdout.strip().splitlines()[-1])
        results[name] = res

    print("  builds (python -m build -w, isolated; compile flags from the build log):")
    digests = {name: text_digest(res["so"], work / f"venv-{pname}-{name}") for name, res in results.items()}
    for name, res in results.items():
        wheel: Path = res["wheel"]
        print(f"  {name:10s}{wheel.name}  ({variant_of(wheel)}; built in {res['build_s']:.1f} s)")
        for line in sorted(set(res["flags"])) or ["(no compile line in the log)"]:
            print(f"            cc {line}")
        same = [n for n in results if n != name and digests[n] == digests[name]]
        print(
            f"            => {optimisation_summary(res['flags'])}; {res['so'].name}: {vector_counts(res['so'])},"
            f" .text sha256 {digests[name]}" + (f" (= {', '.join(same)})" if same else "")
        )

    # Workload: interleaved rounds, a fresh process per build and round.
    data = make_input(pname, args.size_mb or spec["size"])
    script = work / f"{pname}-workload.py"
    script.write_text(spec["workload"])
    names = list(results)
    samples: Dict[str, List[Dict[str, float]]] = {n: [] for n in names}
    for r in range(args.rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            out = run([results[name]["python"], script, data, args.inner], cwd=work).stdout
            samples[name].append(json.loads(out.strip().splitlines()[-1]))

    parts = spec["parts"]
    (DATA / f"samples-{pname}.json").write_text(json.dumps(samples, indent=1))
    print(f"  workload: {workload_line(pname, data)}")
    print(f"  CPU time of the timed thread; best of {args.inner} iterations per process, {args.rounds} interleaved rounds (raw: {DATA.name}/samples-{pname}.json)")
    best = {n: {p: min(s[p] for s in samples[n]) for p in (*parts, "wall")} for n in names}
    base = "plain" if "plain" in names else names[0]

    def paired(n: str, peer: str) -> List[float]:
        """Per-round ratios of n's total to peer's (the same round: close in time, same load)."""
        return [a["total"] / b["total"] for a, b in zip(samples[n], samples[peer])]

    def quartiles(values: List[float]):
        if len(values) < 4:
            return min(values), statistics.median(values), max(values)
        q = statistics.quantiles(values, n=4)
        return q[0], q[1], q[2]

    head = "".join(f"{p + ' best':>14s}{'median':>9s}" for p in parts)
    print(f"  {'build':10s}{head}   vs {base}: best  paired median [IQR]   wall best")
    for name in names:
        cells = "".join(f"{best[name][p] * 1000:11.1f} ms{statistics.median(s[p] for s in samples[name]) * 1000:6.1f} ms" for p in parts)
        lo, med, hi = quartiles(paired(name, base))
        ratio = best[name]["total"] / best[base]["total"]
        print(f"  {name:10s}{cells}{ratio:13.3f}x {med:9.3f}x [{lo:.3f}-{hi:.3f}]{best[name]['wall'] * 1000:9.1f} ms")
    per_part = ", ".join(f"{n} {p} {best[n][p] / best[base][p]:.3f}x" for n in names if n != base for p in parts if p != "total")
    print(f"  best vs {base} per part: {per_part}")
    # Noise: builds whose extensions have the same machine code (the reference and plain always
    # have the same compiler input; identical .text digests above) differ by noise alone.
    twins = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :] if digests[a] == digests[b]]
    twin_best = {f"{a}/{b}": abs(best[a]["total"] / best[b]["total"] - 1) for a, b in twins}
    twin_paired = {f"{a}/{b}": abs(statistics.median(paired(a, b)) - 1) for a, b in twins}

    def fmt(gaps: Dict[str, float]) -> str:
        return ", ".join(f"{k} {v * 100:.1f} %" for k, v in gaps.items()) or "none"

    print(f"  noise (builds with identical .text): best {fmt(twin_best)}; paired median {fmt(twin_paired)}")
    twin_noise = max(twin_paired.values(), default=0.0)
    verdicts = []
    for n in names:
        if n in ("plain", "reference") or base != "plain":
            continue
        ratios = paired(n, base)
        lo, rp, hi = quartiles(ratios)
        # Standard error of a median: about 1.25 sigma / sqrt(n), sigma about IQR / 1.35.
        se = 0.93 * (hi - lo) / len(ratios) ** 0.5
        margin = max(twin_noise, 2 * se, 0.01)
        verdict = "OK" if rp <= 1 + margin else "SLOWER than plain"
        verdicts.append(f"{n} {rp:.3f}x +- {2 * se * 100:.1f} % (2 SE): {verdict}")
    if verdicts:
        print(
            f"  criterion, paired median no slower than plain beyond max(identical-code noise {twin_noise * 100:.1f} %, 2 SE): "
            + "; ".join(verdicts)
        )


def workload_line(pname: str, data: Path) -> str:
    if pname == "simplejson":
        return f"simplejson.dumps + loads of a {data.stat().st_size / 2**20:.1f} MiB JSON document"
    texts = json.loads(data.read_text(encoding="utf-8"))
    sizes = ", ".join(f"{kind} {len(text) / 2**20:.1f} Mi characters" for kind, text in texts.items())
    return f"markupsafe.escape of two strings ({sizes}; words with <>&'\" every few words; ascii: latin-1, unicode: wider kinds)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", choices=[*PROJECTS, "all"], default="all")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--inner", type=int, default=10, help="iterations per process (its best is kept)")
    parser.add_argument(
        "--size-mb", type=float, help="the workload's input: simplejson's document in MiB (default 2), markupsafe's two strings in Mi characters each (default 4)"
    )
    parser.add_argument("--varwheel-rev", metavar="REV", help="build varwheel from this commit (git archive) instead of the working tree")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (printed)")
    args = parser.parse_args()

    flags = cpu_flags()
    level = next((name for name, _ in reversed(LEVELS) if cpu_can_run(name, flags) is None), "none")
    print(f"{describe_checkout(args.varwheel_rev)}; CPU: x86-64-{level}, {os.cpu_count()} CPUs; Python {sys.version.split()[0]}; load average {os.getloadavg()[0]:.1f}")
    work = Path(tempfile.mkdtemp(prefix="varwheel-bench-real-"))
    try:
        start = time.perf_counter()
        wheelhouse = build_wheelhouse(work, args.varwheel_rev)
        print(f"wheelhouse: {', '.join(p.name for p in wheelhouse.glob('*.whl'))} built from {args.varwheel_rev or 'the working tree'} in {time.perf_counter() - start:.1f} s")
        for pname in PROJECTS if args.project == "all" else [args.project]:
            bench_project(pname, args, wheelhouse, work, flags)
        print(f"\ntotal {time.perf_counter() - start:.0f} s; load average {os.getloadavg()[0]:.1f}")
    finally:
        if args.keep:
            print(f"scratch kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
