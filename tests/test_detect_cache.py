"""The per-user detection cache (issue 13, item 5): detection happens once per machine state.

The machine key is read from a fake ``/proc`` + ``/sys`` tree, so each of its
parts can be changed in turn; the answers cached are real detections of this
machine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from varwheel.machine.detect_cache import CACHE_FILE, DetectCache, machine_key

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Fake CPU
cpu MHz\t\t: {mhz}
flags\t\t: {flags}
bogomips\t: {mhz}
"""


def fake_root(tmp_path: Path, *, boot="b1", flags="fpu sse2 avx2", mhz="2000.0", driver="550.54",
              pci=(("0000:01:00.0", "0x10de", "0x2330"),)) -> Path:
    root = tmp_path / "root"
    (root / "proc" / "sys" / "kernel" / "random").mkdir(parents=True, exist_ok=True)
    (root / "proc" / "sys" / "kernel" / "random" / "boot_id").write_text(boot + "\n")
    (root / "proc" / "cpuinfo").write_text(CPUINFO.format(mhz=mhz, flags=flags))
    (root / "sys" / "module" / "nvidia").mkdir(parents=True, exist_ok=True)
    (root / "sys" / "module" / "nvidia" / "version").write_text(driver + "\n")
    devices = root / "sys" / "bus" / "pci" / "devices"
    if devices.exists():
        for old in devices.iterdir():
            for f in old.iterdir():
                f.unlink()
            old.rmdir()
    devices.mkdir(parents=True, exist_ok=True)
    for slot, vendor, device in pci:
        (devices / slot).mkdir()
        (devices / slot / "vendor").write_text(vendor + "\n")
        (devices / slot / "device").write_text(device + "\n")
    return root


def test_each_part_of_the_machine_key_invalidates_and_clock_lines_do_not(tmp_path):
    env = {"NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "9.0"}
    base = machine_key(env, root=fake_root(tmp_path))
    assert base["boot_id"] == "b1" and base["nvidia_driver"] == "550.54"
    assert base["pci"] == ["0000:01:00.0 0x10de:0x2330"]
    assert machine_key(env, root=fake_root(tmp_path, mhz="3100.5")) == base  # the clock is not the machine
    changes = {
        "boot_id": dict(boot="b2"),
        "cpu": dict(flags="fpu sse2 avx2 avx512f"),
        "nvidia_driver": dict(driver="560.1"),
        "pci": dict(pci=(("0000:01:00.0", "0x10de", "0x2330"), ("0000:02:00.0", "0x1ae0", "0x0063"))),
    }
    for part, change in changes.items():
        other = machine_key(env, root=fake_root(tmp_path, **change))
        assert other[part] != base[part] and other != base, part
    fake_root(tmp_path)
    assert machine_key({**env, "NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "12.0"}, root=tmp_path / "root") != base
    assert machine_key({**env, "CUDA_VISIBLE_DEVICES": "-1"}, root=tmp_path / "root") != base
    assert machine_key({**env, "UNRELATED": "x"}, root=tmp_path / "root") == base
    assert machine_key(env, root=tmp_path / "root", version="0.2.0") != base  # another varwheel
    assert machine_key({**env, "LD_LIBRARY_PATH": "/opt/fake-driver"}, root=tmp_path / "root") != base
    # non-GPU PCI devices are not part of it
    assert machine_key(env, root=fake_root(tmp_path, pci=(("0000:01:00.0", "0x10de", "0x2330"),
                                                           ("0000:03:00.0", "0x8086", "0x1234")))) == base


def test_a_hit_returns_the_same_answer_and_a_changed_key_detects_afresh(tmp_path):
    env = {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8", "NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "9.0"}
    key = machine_key(env, root=fake_root(tmp_path))
    first = DetectCache(tmp_path / "cache", key).detect_all(["x86_64", "nvidia"], env)
    assert all("cached" not in s.source for s in first.values())
    stored = json.loads((tmp_path / "cache" / CACHE_FILE).read_text())
    assert stored["key"] == key and set(stored["namespaces"]) == {"x86_64", "nvidia"}
    again = DetectCache(tmp_path / "cache", key).detect_all(["x86_64", "nvidia"], env)
    for ns in ("x86_64", "nvidia"):
        assert again[ns].features == first[ns].features and again[ns].extra == first[ns].extra
        assert again[ns].note == first[ns].note and again[ns].caveats == first[ns].caveats
        assert again[ns].source.endswith("(cached)")
    rebooted = machine_key(env, root=fake_root(tmp_path, boot="b2"))
    fresh = DetectCache(tmp_path / "cache", rebooted).detect("nvidia", env)
    assert "cached" not in fresh.source
    assert json.loads((tmp_path / "cache" / CACHE_FILE).read_text())["key"] == rebooted
    assert set(json.loads((tmp_path / "cache" / CACHE_FILE).read_text())["namespaces"]) == {"nvidia"}


@pytest.mark.parametrize("content", [b"{", b"[]", b'{"key": 1}', b"\xff\xfe", b'{"key": {}, "namespaces": {"x86_64": 3}}'])
def test_a_corrupt_cache_is_empty_and_is_rewritten(tmp_path, content):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / CACHE_FILE).write_bytes(content)
    cache = DetectCache(tmp_path / "cache", {})
    support = cache.detect("x86_64", {})
    assert "cached" not in support.source
    assert DetectCache(tmp_path / "cache", {}).get("x86_64") is not None


def test_an_unwritable_cache_never_stops_detection(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    support = DetectCache(blocker / "cache", {}).detect("x86_64", {})
    assert support.features  # this machine has x86-64 levels
    assert not (blocker / "cache").exists()


def test_cli_uses_the_cache_and_no_cache_leaves_it_alone(tmp_path, run_varwheel):
    env = {**os.environ, "VARWHEEL_CACHE_DIR": str(tmp_path / "cache")}
    first = run_varwheel("detect", "-v", env=env)
    assert first.returncode == 0 and "(cached)" not in first.stdout
    cache_file = tmp_path / "cache" / CACHE_FILE
    before = cache_file.read_bytes()
    second = run_varwheel("detect", "-v", env=env)
    assert "x86_64 source:" in second.stdout and "(cached)" in second.stdout
    assert [l for l in second.stdout.splitlines() if " :: " in l] == [l for l in first.stdout.splitlines() if " :: " in l]
    third = run_varwheel("detect", "-v", "--no-cache", env=env)
    assert "(cached)" not in third.stdout and cache_file.read_bytes() == before
    forced = run_varwheel("detect", env={**env, "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8",
                                         "NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "9.0"})
    assert "nvidia :: sm_arch :: 90_real, 90_virtual" in forced.stdout  # a forced value is a new key, not a stale hit


def test_select_and_install_share_the_cache_and_honour_no_cache(tmp_path, run_varwheel):
    from tests.helpers_select import X86, Family, ReleaseSpec, Wheel, build_family

    fam = Family("c", {"default-priorities": {"namespace": ["x86_64"]}, "providers": {"x86_64": X86}},
                 [ReleaseSpec("1.0", [Wheel("v1", ["x86_64 :: level :: v1"]), Wheel(None)])])
    d = build_family(fam, tmp_path / "fam")
    env = {**os.environ, "VARWHEEL_CACHE_DIR": str(tmp_path / "cache")}
    cache_file = tmp_path / "cache" / CACHE_FILE
    assert run_varwheel("select", "pkg", "-f", d, "--no-cache", env=env).returncode == 0
    assert not cache_file.exists()
    assert run_varwheel("select", "pkg", "-f", d, "--no-detect", env=env).returncode == 0
    assert not cache_file.exists()  # nothing detected, nothing cached
    first = run_varwheel("select", "pkg", "-f", d, "--explain", env=env)
    assert first.returncode == 0 and "x86_64" in json.loads(cache_file.read_text())["namespaces"]
    proc = run_varwheel("install", "pkg", "-f", d, "--dry-run", env=env)
    assert proc.returncode == 0, proc.stderr
    again = run_varwheel("select", "pkg", "-f", d, "--json", env=env)
    assert "(cached)" in json.loads(again.stdout)["releases"][0]["supported"]["x86_64"]["source"]
