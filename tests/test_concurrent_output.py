"""Two writers of one destination: exactly one succeeds, the other says the file exists (issue 11, item 3).

Without ``--force`` an output may not replace a different file.  Checking
for the file and renaming onto it are two steps, so two concurrent
``make-variant`` runs could both find the name free and both exit 0, one
output silently lost.  ``atomic_output`` creates the destination with a
hard link, which fails when the name appeared meanwhile.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

from fixtures.wheel_factory import make_wheel

ROUNDS = 25


def start(src: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "varwheel", "make-variant", "-f", str(src), "-o", str(out), "-p", "x86_64 :: level :: v3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def payload(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read("demo/data.txt")


def test_concurrent_writers_of_one_destination_never_both_succeed(tmp_path):
    # Two different inputs whose variants have the same file name.
    a = make_wheel(tmp_path / "a", "demo", "1.0", {"demo/data.txt": "A" * 200_000})
    b = make_wheel(tmp_path / "b", "demo", "1.0", {"demo/data.txt": "B" * 200_000})
    inputs = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b)}
    for round_ in range(ROUNDS):
        out = tmp_path / f"out{round_}"
        procs = [start(a, out), start(b, out)]
        results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
        codes = sorted(r[0] for r in results)
        assert codes == [0, 2], (round_, results)
        winner = a if results[0][0] == 0 else b
        loser_err = results[1][2] if winner is a else results[0][2]
        assert "already exists with different content" in loser_err and "Traceback" not in loser_err, loser_err
        files = sorted(p.name for p in out.iterdir())
        assert files == ["demo-1.0-py3-none-any-fa7c1393.whl"], files  # no temp file left either
        assert payload(out / files[0]) == payload(winner)
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b)} == inputs


def test_the_same_bytes_from_two_writers_is_no_conflict(tmp_path):
    a = make_wheel(tmp_path / "a", "demo", "1.0", {"demo/data.txt": "A" * 200_000})
    for round_ in range(5):
        out = tmp_path / f"out{round_}"
        procs = [start(a, out), start(a, out)]
        assert [p.wait(timeout=60) for p in procs] == [0, 0]
        assert sorted(p.name for p in out.iterdir()) == ["demo-1.0-py3-none-any-fa7c1393.whl"]
