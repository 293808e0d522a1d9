"""What importing the modules of a variant ``build_wheel`` hook costs, in a fresh interpreter.

A frontend runs every PEP 517 hook in a new process, so each hook pays for
its imports again.  ``varwheel.build`` itself loads nothing but the standard
library and ``varwheel.errors``; a variant ``build_wheel`` then loads
``build.toolconfig``, ``build.settings``, ``model.request``, ``build.flags``,
``build.transport``, ``build.toolchain`` and ``wheel.make`` (and what they
import).  This script measures that, two ways, in fresh interpreters with
bytecode caching on (in ``.bench-data/pycache``, as after ``pip install``):

* ``python -X importtime``: the cumulative time of every module first
  imported after ``varwheel.build`` (median over the runs), and the modules
  costing most by their own time (their minimum over the runs);
* wall clock of ``python -c "import varwheel.build; import <the hook's modules>"``
  against ``python -c "import varwheel.build"`` and ``python -c pass``
  (medians of interleaved runs), and the ratio to ``python -c pass``.

A real hook also imports the inner backend, which loads much of the same
standard library itself; so the wall clock is measured a third way, for
each inner backend installed (setuptools, hatchling, flit-core,
scikit-build-core, meson-python): ``import <inner backend>`` against
``import <inner backend>; import <the hook's modules>``.  The difference is
what varwheel adds to that backend's build hook.

``--baseline REV`` measures the same for git revision REV too (its
``backend/`` unpacked under ``.bench-data``), interleaved with the tree's.

Usage::

    python bench/import_cost.py [--repeat 20] [--top 15] [--baseline REV]

Nothing is asserted; the figures go into bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

from baseline import ROOT, baseline_backend, child_env  # bench/ is the script's folder, first on sys.path
HOOK_MODULES = (
    "varwheel.build.toolconfig",
    "varwheel.build.settings",
    "varwheel.model.request",
    "varwheel.build.flags",
    "varwheel.build.transport",
    "varwheel.build.toolchain",
    "varwheel.wheel.make",
)
#: the inner backends a variant build wraps, as their build hooks import them
INNER_BACKENDS = ("setuptools.build_meta", "hatchling.build", "flit_core.buildapi", "scikit_build_core.build", "mesonpy")
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def importtime(code: str, env: Dict[str, str]) -> List[Tuple[int, int, int, str]]:
    """``(self us, cumulative us, depth, module)`` for each import ``python -X importtime -c code`` reports."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env, capture_output=True, text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        found = _LINE.match(line)
        if found:
            rows.append((int(found.group(1)), int(found.group(2)), len(found.group(3)) // 2, found.group(4)))
    return rows


def after(rows: List[Tuple[int, int, int, str]], module: str) -> List[Tuple[int, int, int, str]]:
    """The imports reported after ``module``'s own line (what the code imported next)."""
    for i, row in enumerate(rows):
        if row[3] == module and row[2] == 0:
            return rows[i + 1 :]
    raise SystemExit(f"{module} was not imported")


def _direct_imports(rows: List[Tuple[int, int, int, str]]) -> List[str]:
    """Modules outside varwheel imported by a varwheel module (or by the code itself), not by another module."""
    found: List[str] = []
    stack: List[str] = []
    for _, _, depth, module in reversed(rows):
        del stack[depth:]
        parent = stack[-1] if stack else None
        if not module.startswith("varwheel") and (parent is None or parent.startswith("varwheel")):
            found.append(module.split(".")[0] if parent is None else module)
        stack.append(module)
    return found


def wall(code: str, env: Dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - start


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--top", type=int, default=15, help="modules listed by their own import time")
    parser.add_argument("--baseline", metavar="REV", help="also measure git revision REV, interleaved")
    args = parser.parse_args(argv)
    trees = {"this tree": child_env(ROOT / "backend")}
    if args.baseline:
        trees[f"@{args.baseline}"] = child_env(baseline_backend(args.baseline))
    hook = "import varwheel.build; import " + ", ".join(HOOK_MODULES)
    # The floor: the modules outside varwheel that the hook's modules import directly, alone.
    direct = sorted({m for m in _direct_imports(after(importtime(hook, trees["this tree"]), "varwheel.build"))})
    programs = {"pass": "pass", "build": "import varwheel.build", "hook": hook,
                "floor": "import varwheel.build; import " + ", ".join(direct)}
    labels = {"pass": "python -c pass", "build": "import varwheel.build", "hook": "+ the hook's modules",
              "floor": "+ only their stdlib/packaging"}
    inner = [m for m in INNER_BACKENDS if importlib.util.find_spec(m.split(".")[0]) is not None]
    for module in inner:
        programs[f"inner:{module}"] = f"import varwheel.build; import {module}"
        programs[f"inner+hook:{module}"] = f"import varwheel.build; import {module}; import " + ", ".join(HOOK_MODULES)
        labels[f"inner:{module}"] = f"import {module}"
        labels[f"inner+hook:{module}"] = "  + the hook's modules"
    for env in trees.values():
        for code in programs.values():  # write the bytecode caches, warm the page cache
            wall(code, env)

    totals: Dict[str, List[float]] = {tree: [] for tree in trees}
    own: Dict[str, List[int]] = {}
    cumulative: Dict[str, List[int]] = {}
    parents: Dict[str, str] = {}
    times: Dict[Tuple[str, str], List[float]] = {(t, p): [] for t in trees for p in programs}
    for _ in range(args.repeat):
        for tree, env in trees.items():  # interleaved: drift hits all alike
            rows = after(importtime(hook, env), "varwheel.build")
            totals[tree].append(sum(c for _, c, depth, _ in rows if depth == 0) / 1000)
            if tree == "this tree":
                stack: List[str] = []
                for self_us, cum_us, depth, module in reversed(rows):  # parents come after their children
                    del stack[depth:]
                    if stack:  # who imported it: the nearest varwheel module above it, else its parent
                        ours = [m for m in stack if m.startswith("varwheel")]
                        parents.setdefault(module, ours[-1] if ours else stack[-1])
                    stack.append(module)
                    own.setdefault(module, []).append(self_us)
                    cumulative.setdefault(module, []).append(cum_us)
            for name, code in programs.items():
                times[(tree, name)].append(wall(code, env))

    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; {args.repeat} fresh interpreters each")
    print(f"modules a variant build_wheel hook imports after varwheel.build ({', '.join(m.split('.', 1)[1] for m in HOOK_MODULES)}):")
    base = statistics.median(times[("this tree", "pass")])
    for tree in trees:
        print(f"  {tree}:")
        print(f"    python -X importtime, cumulative: median {statistics.median(totals[tree]):.1f} ms "
              f"(best {min(totals[tree]):.1f} ms)")
        for name in programs:
            median = statistics.median(times[(tree, name)])
            print(f"    wall, {labels[name]:28} median {median * 1e3:6.1f} ms   {median / base:5.2f}x python -c pass")
        alone = statistics.median(times[(tree, "hook")]) - statistics.median(times[(tree, "build")])
        floor = statistics.median(times[(tree, "floor")]) - statistics.median(times[(tree, "build")])
        print(f"    wall, the hook's modules alone: {alone * 1e3:.1f} ms; the modules outside varwheel that they import "
              f"directly, alone: {floor * 1e3:.1f} ms (differences of the medians)")
        for module in inner:
            added = statistics.median(times[(tree, f"inner+hook:{module}")]) - statistics.median(times[(tree, f"inner:{module}")])
            print(f"    wall, what the hook's modules add to {module}'s own imports: {added * 1e3:.1f} ms")
    print(f"  outside varwheel, imported directly by the hook's modules: {', '.join(direct)}")
    print(f"  this tree, top {args.top} by own import time (minimum over the runs), with the module that imported each:")
    ranked = sorted(own, key=lambda m: -min(own[m]))[: args.top]
    for module in ranked:
        print(f"    {min(own[module]) / 1000:6.2f} ms own  {statistics.median(cumulative[module]) / 1000:6.2f} ms cumulative  "
              f"{module}  (from {parents.get(module, '-')})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
