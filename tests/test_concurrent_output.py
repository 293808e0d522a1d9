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


# -- index while wheels are being written into the folder (issue 11, "the suite attacks itself") -------------

_WRITER = r"""
import itertools, sys
from pathlib import Path
from varwheel.model.request import resolve_variant
from varwheel.wheel.make import make_variant
src, out, stop, labels = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
for i in itertools.count():
    if stop.exists():
        break
    k = i % labels
    # label wNN always means the same level, so every index of the folder is consistent
    request = resolve_variant([f"x86_64 :: level :: v{k % 4 + 1}"], label=f"w{k:02d}")
    make_variant(src, out, request, force=True)
    print(i, flush=True)
"""

LABELS = 24


def test_index_while_variant_wheels_are_being_written(run_varwheel, tmp_path):
    """A writer keeps making variant wheels in the folder (temp file beside the destination, then a rename);
    ``index`` runs again and again meanwhile.  Every run succeeds, and every index it writes lists only
    wheels that are complete, each with its own variant.json's properties: index never reads a temp file
    nor a half-written wheel."""
    import json
    import os
    import time

    from varwheel.model.document import VariantDocument

    src = make_wheel(tmp_path / "src", "demo", "1.0", {"demo/blob.bin": os.urandom(6 << 20)}, compression=zipfile.ZIP_STORED)
    dist = tmp_path / "dist"
    dist.mkdir()
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(src), str(dist), str(stop), str(LABELS)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen_counts = []
    runs = 0
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            out = tmp_path / f"index{runs}"
            proc = run_varwheel("index", dist, "-o", out)
            runs += 1
            assert proc.returncode == 0 and "Traceback" not in proc.stderr, (runs, proc.stdout, proc.stderr)
            if "no variant wheels" in proc.stderr:
                assert not out.exists()
                continue  # before the first rename
            (written,) = out.iterdir()
            doc = VariantDocument.loads(written.read_bytes(), source=str(written), strict=True)
            labels = sorted(doc.variants)
            for label in labels:
                k = int(label[1:])
                assert [str(p) for p in doc.variants[label]] == [f"x86_64 :: level :: v{k % 4 + 1}"], (label, doc.variants)
                assert (dist / f"demo-1.0-py3-none-any-{label}.whl").is_file(), label
            seen_counts.append(len(labels))
            if len(labels) == LABELS and len(seen_counts) > 40:
                break
            time.sleep(0.005)
    finally:
        stop.touch()
        writer_out, writer_err = writer.communicate(timeout=60)
    assert writer.returncode == 0, writer_err
    assert int(writer_out.split()[-1]) >= LABELS, "the writer never finished its first round"
    assert min(seen_counts) < LABELS, f"no index run saw the folder half-filled ({seen_counts[:10]}...): nothing was concurrent"
    assert max(seen_counts) == LABELS, seen_counts
    assert seen_counts == sorted(seen_counts), "an index lost a wheel an earlier one listed"
    # the writer leaves no temp file behind, and the folder's own index agrees with the last one
    assert sorted(p.name for p in dist.iterdir()) == sorted(f"demo-1.0-py3-none-any-w{k:02d}.whl" for k in range(LABELS))
    assert run_varwheel("index", dist).returncode == 0
    assert json.loads((dist / "demo-1.0-variants.json").read_text())["variants"].keys() == {f"w{k:02d}" for k in range(LABELS)}
