"""The ``tpu`` namespace: uv 0.13.9's fourth built-in provider (``tpu-variant-provider`` 0.1.0).

Detection runs for real against a fake sysfs tree in tmp (the PCI scan is the
code under test; only the devices are made up).  Selection is checked against
uv itself: families of ``tpu :: present :: true`` / ``false`` variants, null
and plain wheels, indexed by ``varwheel index``, under
``TPU_VARIANT_PROVIDER_FORCE_PRESENT`` set to various values and unset; uv's
choice must be the file :func:`varwheel.machine.select.select` names.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers_select import X86, Family, ReleaseSpec, Wheel, build_family, clean_env, uv_pick
from varwheel.machine.providers import detect, tpu
from varwheel.machine.select import select
from varwheel.model.builtins import BUILTIN_PROVIDERS, BUILTINS, builtin_for
from varwheel.model.document import Provider

FORCE = tpu.FORCE_PRESENT
TPU = {"requires": ["tpu-variant-provider"], "plugin-api": "tpu_variant_provider.plugin:TpuVariantPlugin"}


@pytest.fixture(autouse=True)
def _no_outer_force(monkeypatch):
    """Each test states the variable itself: one set in the calling shell must not leak into 'unset'."""
    monkeypatch.delenv(FORCE, raising=False)


# -- the provider entry ----------------------------------------------------------------------
def test_builtin_entry():
    builtin = BUILTINS["tpu"]
    assert (builtin.package, builtin.version, builtin.plugin_api, builtin.features) == (
        "tpu-variant-provider", "0.1.0", "tpu_variant_provider.plugin:TpuVariantPlugin", ("present",))
    assert BUILTIN_PROVIDERS["tpu"].to_json() == TPU


@pytest.mark.parametrize("entry,ok", [
    (TPU, True),
    ({"requires": ["tpu_variant_provider"], "plugin-api": TPU["plugin-api"]}, True),
    ({"requires": ["tpu-variant-provider>=0.1,<1"], "plugin-api": TPU["plugin-api"]}, True),
    ({"requires": ["tpu-variant-provider"]}, False),  # default plugin-api is the module, not the plugin class
    ({"requires": ["tpu-variant-provider>=0.2"], "plugin-api": TPU["plugin-api"]}, False),
    ({"requires": ["tpu-variant-provider"], "plugin-api": "tpu_variant_provider.plugin"}, False),
])
def test_builtin_matching(entry, ok):
    builtin, reason = builtin_for("tpu", Provider.from_json(entry, "test"))
    assert (builtin is BUILTINS["tpu"]) == ok, reason
    assert builtin_for("nvidia", Provider.from_json(TPU, "test"))[0] is None  # its own namespace only


# -- detection --------------------------------------------------------------------------------
@pytest.mark.parametrize("value,present", [("1", True), ("true", True), ("TRUE", True), ("True", True),
                                           ("yes", True), ("YeS", True), ("0", False), ("", False), ("2", False),
                                           (" 1", False), ("1 ", False), ("on", False), ("false", False),
                                           ("y", False), ("tru\u0435", False)])
def test_forced_values(value, present, tmp_path):
    _pci(tmp_path, ("0000:00:04.0", "0x1ae0", "0x0063"))  # a TPU, which a set variable overrides
    support = tpu.detect({FORCE: value}, sysfs_root=str(tmp_path))
    assert support.values("present") == ("true" if present else "false",)
    assert FORCE in support.source


def _pci(root: Path, *devices) -> Path:
    """A sysfs tree: ``(address, vendor or None, device or None)``; None leaves the file out."""
    base = root / "bus" / "pci" / "devices"
    base.mkdir(parents=True, exist_ok=True)
    for address, vendor, device in devices:
        folder = base / address
        folder.mkdir()
        if vendor is not None:
            (folder / "vendor").write_text(vendor + "\n")
        if device is not None:
            (folder / "device").write_text(device + "\n")
    return base


OTHERS = [("0000:00:00.0", "0x8086", "0x1237"), ("0000:00:01.0", "0x1af4", "0x1000"),
          ("0000:00:02.0", "0x1ae0", "0x0042")]  # Intel, virtio, a Google device that is no TPU


@pytest.mark.parametrize("device,name", sorted(tpu.TPU_DEVICE_IDS.items()))
def test_pci_scan_finds_each_tpu_generation(tmp_path, device, name):
    _pci(tmp_path, *OTHERS, ("0000:00:05.0", "0x1ae0", device))
    support = tpu.detect({}, sysfs_root=str(tmp_path), platform="linux")
    assert support.values("present") == ("true",)
    assert name in support.note and "0000:00:05.0" in support.note


@pytest.mark.parametrize("vendor,device", [
    ("0x1AE0", "0x0063"),   # compared as written: sysfs prints lower case, uv compares exactly
    ("0x1ae0", "0x0064"),   # an id not in the list
    ("0x10de", "0x0063"),   # the id under another vendor
    ("0x1ae0", None),       # unreadable device file: skipped
    (None, "0x0063"),       # unreadable vendor file: skipped
])
def test_pci_scan_ignores_what_is_no_tpu(tmp_path, vendor, device):
    _pci(tmp_path, *OTHERS, ("0000:00:05.0", vendor, device))
    support = tpu.detect({}, sysfs_root=str(tmp_path), platform="linux")
    assert support.values("present") == ("false",)
    assert "no Google TPU among the 4 PCI device(s)" in support.note


def test_pci_scan_trims_whitespace_and_survives_odd_trees(tmp_path):
    base = _pci(tmp_path, *OTHERS)
    odd = base / "0000:00:06.0"
    odd.mkdir()
    (odd / "vendor").mkdir()  # a folder where a file should be: unreadable, skipped
    (base / "0000:00:07.0").mkdir()
    (base / "0000:00:07.0" / "vendor").write_bytes(b"\xff\xfe")  # not UTF-8: skipped
    good = base / "0000:00:08.0"
    good.mkdir()
    (good / "vendor").write_text("  0x1ae0 \n")
    (good / "device").write_text("\t0x006f\n")
    assert tpu.detect({}, sysfs_root=str(tmp_path), platform="linux").values("present") == ("true",)


def test_no_pci_folder_or_not_linux_is_absent(tmp_path):
    missing = tpu.detect({}, sysfs_root=str(tmp_path / "nothing"), platform="linux")
    assert missing.values("present") == ("false",) and "cannot list" in missing.note
    _pci(tmp_path, ("0000:00:05.0", "0x1ae0", "0x0063"))
    for platform in ("darwin", "win32"):
        other = tpu.detect({}, sysfs_root=str(tmp_path), platform=platform)
        assert other.values("present") == ("false",) and platform in other.note
    assert tpu.detect({FORCE: "1"}, platform="darwin").values("present") == ("true",)


def test_this_machine_and_the_cli(run_varwheel):
    real = detect(["tpu"])["tpu"]
    if sys.platform.startswith("linux"):
        expected, _ = tpu.find_tpu("/sys")
        assert real.values("present") == ("true" if expected else "false",)
    lines = run_varwheel("detect", env={FORCE: "yes"}).stdout.splitlines()
    assert "tpu :: present :: true" in lines
    data = json.loads(run_varwheel("detect", "--json", env={FORCE: "0"}).stdout)
    assert data["namespaces"]["tpu"]["features"] == {"present": ["false"]}
    assert data["providers"]["tpu"] == {"requires": "tpu-variant-provider", "version": "0.1.0",
                                        "plugin-api": TPU["plugin-api"]}


# -- uv 0.13.9 picks what select names ---------------------------------------------------------
@pytest.fixture(scope="module")
def target_python(tmp_path_factory, uv_bin) -> str:
    venv = tmp_path_factory.mktemp("uv-tpu") / "venv"
    proc = subprocess.run([uv_bin, "venv", "-q", "--python", sys.executable, str(venv)],
                          capture_output=True, text=True, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    return str(venv / "bin" / "python")


FAMILIES = {
    "all": ({"default-priorities": {"namespace": ["tpu"]}, "providers": {"tpu": TPU}},
            [Wheel("tput", ["tpu :: present :: true"]), Wheel("tpuf", ["tpu :: present :: false"]),
             Wheel("null"), Wheel(None)]),
    "true-only": ({"default-priorities": {"namespace": ["tpu"]}, "providers": {"tpu": TPU}},
                  [Wheel("tput", ["tpu :: present :: true"]), Wheel("null"), Wheel(None)]),
    "both-values": ({"default-priorities": {"namespace": ["tpu"]}, "providers": {"tpu": TPU}},
                    [Wheel("any", ["tpu :: present :: true", "tpu :: present :: false"]), Wheel(None)]),
    "with-x86": ({"default-priorities": {"namespace": ["tpu", "x86_64"]}, "providers": {"tpu": TPU, "x86_64": X86}},
                 [Wheel("tpuv2", ["tpu :: present :: true", "x86_64 :: level :: v2"]),
                  Wheel("v2", ["x86_64 :: level :: v2"]), Wheel("null")]),
    "bare-entry": ({"default-priorities": {"namespace": ["tpu"]},
                    "providers": {"tpu": {"requires": ["tpu-variant-provider"]}}},
                   [Wheel("tput", ["tpu :: present :: true"]), Wheel("tpuf", ["tpu :: present :: false"]),
                    Wheel(None)]),
}
ENVS = [{FORCE: "1"}, {}, {FORCE: "0"}, {FORCE: "TRUE"}, {FORCE: "yes"}, {FORCE: ""}, {FORCE: "2"}]


@pytest.fixture(scope="module")
def indexed_families(tmp_path_factory) -> dict:
    """Each family's wheels without index files, then ``varwheel index`` writes them."""
    from tests.conftest import run_cli

    out = {}
    for name, (project, wheels) in FAMILIES.items():
        directory = build_family(Family(name, project, [ReleaseSpec("1.0", wheels, index=False)]),
                                 tmp_path_factory.mktemp(f"tpu-{name}"))
        assert not list(directory.glob("*-variants.json"))
        proc = run_cli("index", directory)
        assert proc.returncode == 0, proc.stderr
        assert (directory / "pkg-1.0-variants.json").is_file()
        out[name] = directory
    return out


@pytest.mark.parametrize("family", list(FAMILIES))
def test_uv_picks_what_select_names(family, indexed_families, uv_bin, target_python, tmp_path):
    directory = indexed_families[family]
    rows = []
    for env in ENVS:
        uv_file, log = uv_pick(uv_bin, target_python, directory, "pkg", env, tmp_path / "cache")
        ours = select("pkg", [directory], env=clean_env(env), require_index=True).chosen
        rows.append((env.get(FORCE, "<unset>"), uv_file, ours.name if ours else None))
    assert all(uv == ours for _, uv, ours in rows), rows
    picks = {value: uv for value, uv, _ in rows}
    has_tpu = sys.platform.startswith("linux") and tpu.find_tpu()[0] is not None
    if family == "all":
        assert picks["1"] == picks["TRUE"] == picks["yes"] == "pkg-1.0-py3-none-any-tput.whl"
        assert picks["0"] == picks[""] == picks["2"] == "pkg-1.0-py3-none-any-tpuf.whl"
        if not has_tpu:  # unset: detection, which finds none here
            assert picks["<unset>"] == "pkg-1.0-py3-none-any-tpuf.whl"
    elif family == "true-only":
        assert picks["1"] == "pkg-1.0-py3-none-any-tput.whl" and picks["0"] == "pkg-1.0-py3-none-any-null.whl"
    elif family == "both-values":
        assert set(picks.values()) == {"pkg-1.0-py3-none-any-any.whl"}
    elif family == "with-x86":
        assert picks["1"] == "pkg-1.0-py3-none-any-tpuv2.whl" and picks["0"] == "pkg-1.0-py3-none-any-v2.whl"
    elif family == "bare-entry":  # uv skips the provider: no tpu variant is ever chosen
        assert set(picks.values()) == {"pkg-1.0-py3-none-any.whl"}
