"""Benchmark machine detection (``varwheel detect``) and selection against peers.

Measured in the same run, interleaved, each a fresh process unless noted:

* detection in a fresh interpreter, timed inside it: importing
  :mod:`varwheel.machine.providers` and running :func:`~varwheel.machine.providers.detect`
  for x86_64, aarch64 and nvidia (the < 50 ms budget; no GPU here, so the
  nvidia part is two failing ``dlopen`` calls);
* :func:`detect` again in the same process (warm: what ``select`` pays per
  extra namespace lookup);
* ``varwheel detect --json`` and ``varwheel select`` (CLI, wall time);
* peers: ``python -c pass`` (interpreter start-up, the floor) and
  ``uv pip install --dry-run`` on the same variant family (uv's own
  detection plus resolution, the installer users run).

Usage::

    python bench/detect.py [--repeat 20]

Prints medians and ratios to ``varwheel detect`` (CLI).  Nothing is asserted;
results go into bench/RESULTS.md (section "detect") by hand.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers_select import NVIDIA, X86, Family, ReleaseSpec, Wheel, build_family, clean_env  # noqa: E402

INSIDE = (
    "import time; t = time.perf_counter(); from varwheel.machine.providers import detect; d = detect(); "
    "t1 = time.perf_counter(); detect(); t2 = time.perf_counter(); print(t1 - t, t2 - t1)"
)


def wall(cmd, env) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed: {proc.stderr.decode()}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    env = clean_env()
    uv = str(Path(sys.executable).parent / "uv")
    with tempfile.TemporaryDirectory(prefix="vw-bench-detect-") as tmp:
        tmp = Path(tmp)
        family = Family("bench", {"default-priorities": {"namespace": ["nvidia", "x86_64"]},
                                  "providers": {"nvidia": NVIDIA, "x86_64": X86}},
                        [ReleaseSpec("1.0", [Wheel(f"v{i}", [f"x86_64 :: level :: v{i}"]) for i in range(1, 5)]
                                     + [Wheel("cu128", ["nvidia :: cuda_version_lower_bound :: 12.8"]), Wheel("null")])])
        folder = build_family(family, tmp / "dist")
        venv = tmp / "venv"
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=env)
        uv_cmd = [uv, "pip", "install", "--preview-features", "wheel-variants", "--python", str(venv / "bin" / "python"),
                  "--no-index", "--find-links", str(folder), "pkg", "--reinstall", "--dry-run", "--offline",
                  "--cache-dir", str(tmp / "cache"), "-q"]
        methods = {
            "varwheel detect --json (CLI)": [sys.executable, "-m", "varwheel", "detect", "--json"],
            "varwheel select (CLI)": [sys.executable, "-m", "varwheel", "select", "pkg", "-f", str(folder)],
            "uv pip install --dry-run (peer)": uv_cmd,
            "python -c pass (start-up floor)": [sys.executable, "-c", "pass"],
        }
        times = {name: [] for name in methods}
        inside_cold, inside_warm = [], []
        for _ in range(args.repeat):
            for name, cmd in methods.items():
                times[name].append(wall(cmd, env))
            out = subprocess.run([sys.executable, "-c", INSIDE], capture_output=True, text=True, env=env, check=True)
            cold, warm = map(float, out.stdout.split())
            inside_cold.append(cold)
            inside_warm.append(warm)
    base = statistics.median(times["varwheel detect --json (CLI)"])
    rows = [("detect() in a fresh interpreter, import included", inside_cold),
            ("detect() again, same process", inside_warm)] + list(times.items())
    print(f"median of {args.repeat}; no GPU (nvidia: dlopen fails); {os.cpu_count()} CPUs")
    for name, samples in rows:
        med = statistics.median(samples)
        print(f"  {name:<50} {med * 1000:8.2f} ms  {med / base:6.2f}x varwheel detect CLI   (max {max(samples) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
