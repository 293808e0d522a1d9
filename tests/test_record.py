"""RECORD: one rule for the hashes every command accepts, and problems as structured values.

PEP 376 and the wheel spec allow any hashlib algorithm stronger than md5/sha1:
a wheel whose RECORD uses blake2b is as valid as a sha256 one, for ``check``,
``--verify`` and ``relabel`` alike.  shake_* has no fixed digest size and is
refused as a finding, not a crash.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from tests.helpers_index import handmade_variant, variant_json
from tests.helpers_pipeline import rewrite_member
from varwheel.wheel.archive import WheelArchive
from varwheel.wheel.record import ACCEPTED_HASHES, RecordProblem

TAG = "py3-none-manylinux_2_17_x86_64"


def rehash_record(wheel: Path, algo: str) -> Path:
    """Rewrite every RECORD row's hash with ``algo`` (digests of the real member bytes)."""
    with zipfile.ZipFile(wheel) as zf:
        record_name = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
        rows = list(csv.reader(io.StringIO(zf.read(record_name).decode())))
        out = []
        for path, _hash, size in rows:
            if path == record_name:
                out.append([path, "", ""])
                continue
            h = hashlib.new(algo, zf.read(path))
            digest = h.digest(16) if algo.startswith("shake_") else h.digest()
            out.append([path, f"{algo}=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode(), size])
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(out)
    return rewrite_member(wheel, record_name, text.getvalue().encode())


def v3_wheel(tmp_path: Path, label="v3") -> Path:
    return handmade_variant(tmp_path, label, variant_json("v3", {"x86_64": {"level": ["v3"]}}), tag=TAG)


@pytest.mark.parametrize("algo", ["blake2b", "sha512", "sha3_256"])
def test_every_command_accepts_a_strong_record_hash(tmp_path, run_varwheel, algo):
    assert algo in ACCEPTED_HASHES
    wheel = rehash_record(v3_wheel(tmp_path / "labelled"), algo)
    with WheelArchive(wheel) as archive:
        assert archive.record_problems() == []
    proc = run_varwheel("check", "--json", wheel)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    deferred = rehash_record(v3_wheel(tmp_path / "deferred", label=None), algo)
    proc = run_varwheel("relabel", deferred)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("-v3.whl"), proc.stderr


@pytest.mark.parametrize("algo", ["shake_128", "shake_256", "md5"])
def test_weak_or_variable_length_hashes_are_a_finding_not_a_crash(tmp_path, run_varwheel, algo):
    wheel = rehash_record(v3_wheel(tmp_path), algo)
    with WheelArchive(wheel) as archive:
        problems = archive.record_problems()
    assert problems and {p.code for p in problems} == {"record-unreadable"}
    assert all("uses no accepted algorithm" in str(p) for p in problems)
    proc = run_varwheel("check", wheel)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    proc = run_varwheel("relabel", rehash_record(v3_wheel(tmp_path / "deferred", label=None), algo))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "an algorithm no installer accepts" in proc.stderr, proc.stderr


def test_a_tampered_member_is_a_structured_problem(tmp_path):
    wheel = v3_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        member = next(n for n in zf.namelist() if n.endswith("__init__.py"))
    tampered = rewrite_member(wheel, member, b"changed = True\n")
    with WheelArchive(tampered) as archive:
        problems = archive.record_problems()
    assert [(p.code, p.path) for p in problems] == [("record-hash", member), ("record-size", member)]
    assert isinstance(problems[0], RecordProblem) and str(problems[0]).startswith(f"{member}: sha256 differs")
