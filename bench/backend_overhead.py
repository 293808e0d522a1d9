"""Overhead of ``varwheel.build`` over the backend it wraps.

The same fixture project (default: the scikit-build-core C probe) is built
with ``python -m build --wheel --no-isolation``:

* through varwheel with ``-Cvariant=x86_64::level::v3`` (flags derived,
  wheel rewritten with variant.json and the label), against the inner
  backend alone given the same compiler input by hand (``CFLAGS``/``CXXFLAGS``
  and the two cmake defines), so both compile the same thing;
* through varwheel without variant settings (pass-through), against the
  inner backend alone.

Runs are interleaved, each from a clean tree into a fresh output folder; the median of each
method and the ratio to its peer are printed, for wall time and for CPU time
(user + system of the build and all its child processes: steadier than wall
time on a shared machine).  Also printed: the median time
of ``import varwheel.build`` in a fresh interpreter (the cost every isolated
build pays once per hook).

Usage::

    python bench/backend_overhead.py [--project skbuild_probe] [--repeat 5] [--imports 20]

Nothing is asserted; results go into bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "projects"
INNER = {
    "skbuild_probe": "scikit_build_core.build",
    "setuptools_probe": "setuptools.build_meta",
    "meson_probe": "mesonpy",
}


def make_twin(project: Path, backend: str) -> Path:
    twin = project.parent / (project.name + "_inner")
    shutil.copytree(project, twin)
    text = (twin / "pyproject.toml").read_text()
    (twin / "pyproject.toml").write_text(text.replace('build-backend = "varwheel.build"', f'build-backend = "{backend}"'))
    return twin


def build(project: Path, out: Path, settings, env):
    """(wall seconds, CPU seconds of the build and every process it started)."""
    # Every run starts from a clean tree, as a CI job does: setuptools would
    # otherwise reuse the previous run's objects (varwheel forces a rebuild for a
    # variant, so an incremental peer would not compile the same amount).
    shutil.rmtree(project / "build", ignore_errors=True)
    cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), *settings, str(project)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def import_time(repeat: int) -> float:
    code = "import time; t = time.perf_counter(); import varwheel.build; print(time.perf_counter() - t)"
    times = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        times.append(float(out))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", choices=sorted(INNER), default="skbuild_probe")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--imports", type=int, default=20)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="varwheel-bench-backend-"))
    try:
        project = work / args.project
        shutil.copytree(FIXTURES / args.project, project)
        twin = make_twin(project, INNER[args.project])
        base = dict(os.environ)
        base.pop("VARWHEEL_DEBUG", None)
        same_input = dict(base, CFLAGS="-march=x86-64-v3", CXXFLAGS="-march=x86-64-v3")
        defines = ["-Ccmake.define.VARWHEEL_VARIANT_LABEL=fa7c1393", "-Ccmake.define.VARWHEEL_VARIANT_PROPERTIES=x86_64::level::v3"]
        if args.project == "setuptools_probe":
            same_input.update(VARWHEEL_VARIANT_LABEL="fa7c1393", VARWHEEL_VARIANT_PROPERTIES="x86_64::level::v3")
            defines = []
        if args.project == "meson_probe":
            defines = ["-Csetup-args=-Dvariant=['x86_64::level::v3']"]
        methods = {
            "varwheel -Cvariant=x86_64::level::v3": (project, ["-Cvariant=x86_64::level::v3"], base),
            "inner backend, same compiler input": (twin, defines, same_input),
            "varwheel, no variant (pass-through)": (project, [], base),
            "inner backend, no variant": (twin, [], base),
        }
        times = {name: [] for name in methods}
        cpus = {name: [] for name in methods}
        build(project, work / "warm-1", [], base)  # warm caches (compiler, Python imports)
        build(twin, work / "warm-2", [], base)
        run = 0
        for _ in range(args.repeat):
            for name, (proj, settings, env) in methods.items():
                run += 1
                wall, cpu = build(proj, work / f"out-{run}", settings, env)
                times[name].append(wall)
                cpus[name].append(cpu)
        med = {name: statistics.median(values) for name, values in times.items()}
        cpu_med = {name: statistics.median(values) for name, values in cpus.items()}
        print(f"{args.project}: python -m build --wheel --no-isolation, median of {args.repeat}, interleaved")
        print(f"  {'':42s} {'wall':>9s}    {'CPU':>9s} (user+sys, all processes)")
        pairs = [
            ("varwheel -Cvariant=x86_64::level::v3", "inner backend, same compiler input"),
            ("varwheel, no variant (pass-through)", "inner backend, no variant"),
        ]
        for ours, peer in pairs:
            for name in (ours, peer):
                print(f"  {name:42s} {med[name] * 1000:7.1f} ms  {cpu_med[name] * 1000:7.1f} ms")
            wall_r, cpu_r = med[ours] / med[peer], cpu_med[ours] / cpu_med[peer]
            print(f"  {'ratio':42s} {wall_r:7.3f}x    {cpu_r:7.3f}x   (CPU {(cpu_r - 1) * 100:+.1f} %)")
        print(f"import varwheel.build (fresh interpreter, median of {args.imports}): {import_time(args.imports) * 1000:.1f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
