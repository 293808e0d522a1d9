"""Google TPU detection: ``tpu :: present :: true`` or ``false``, as uv 0.13.9's built-in provider answers.

uv 0.13.8 added a fourth built-in provider, ``tpu-variant-provider`` 0.1.0
(``plugin-api`` ``tpu_variant_provider.plugin:TpuVariantPlugin``).  It has one
feature, ``present``, with exactly one supported value:

* ``true`` when the machine has a Google TPU, ``false`` when it has not.  A
  variant built for ``tpu :: present :: false`` is therefore chosen on
  machines without a TPU (before the null variant), and never on one with.
* ``TPU_VARIANT_PROVIDER_FORCE_PRESENT``, when set, decides alone:
  ``1``, or ``true`` / ``yes`` in any ASCII case, means present; any other
  value, the empty string included, means absent (no detection then).
* Otherwise, on Linux: present when a PCI device in
  ``/sys/bus/pci/devices/*/`` has ``vendor`` ``0x1ae0`` (Google) and a
  ``device`` in :data:`TPU_DEVICE_IDS` (both compared after trimming
  whitespace, as written: lower-case hex as sysfs prints it).  A device whose
  files cannot be read is skipped; no such folder means absent.
* On any other operating system: absent.

``detect(sysfs_root=...)`` points the PCI scan at another tree, so that
tests can build one.
"""

from __future__ import annotations

import os
import sys

from varwheel.machine.providers import FeatureSupport, NamespaceSupport
from varwheel.model.builtins import UV

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Mapping, Optional, Tuple

__all__ = ["NAMESPACE", "FORCE_PRESENT", "GOOGLE_PCI_VENDOR", "TPU_DEVICE_IDS", "forced_present", "find_tpu", "detect"]

NAMESPACE = "tpu"
FORCE_PRESENT = "TPU_VARIANT_PROVIDER_FORCE_PRESENT"
GOOGLE_PCI_VENDOR = "0x1ae0"
#: The PCI device ids uv 0.13.9 counts as a TPU, and the generation each is.
TPU_DEVICE_IDS: "Mapping[str, str]" = {
    "0x0027": "TPU v3",
    "0x0056": "plc",
    "0x005e": "TPU v4",
    "0x0062": "TPU v5p",
    "0x0063": "TPU v5e",
    "0x006f": "TPU v6e",
    "0x0076": "TPU7x",
    "0x0083": "TPU 8i",
    "0x007c": "TPU 8t",
}
_YES = ("true", "yes")


def forced_present(value: str) -> bool:
    """What a set ``TPU_VARIANT_PROVIDER_FORCE_PRESENT`` means: ``1``, ``true``, ``yes`` (ASCII case ignored)."""
    return value == "1" or (value.isascii() and value.lower() in _YES)


def _read(path: str) -> "Optional[str]":
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    except (OSError, UnicodeDecodeError):
        return None


def find_tpu(sysfs_root: str = "/sys") -> "Tuple[Optional[str], str]":
    """``(PCI address of a TPU, "")``, or ``(None, why not)``: the scan uv 0.13.9 does on Linux."""
    devices = os.path.join(sysfs_root, "bus", "pci", "devices")
    try:
        entries = sorted(os.listdir(devices))
    except OSError as exc:
        return None, f"cannot list {devices}: {exc.strerror or exc}"
    for name in entries:
        path = os.path.join(devices, name)
        if _read(os.path.join(path, "vendor")) != GOOGLE_PCI_VENDOR:
            continue
        device = _read(os.path.join(path, "device"))
        if device is not None and device in TPU_DEVICE_IDS:
            return name, f"{TPU_DEVICE_IDS[device]} (device {device})"
    return None, f"no Google TPU among the {len(entries)} PCI device(s) in {devices}"


def detect(env: "Optional[Mapping[str, str]]" = None, *, sysfs_root: str = "/sys",
           platform: "Optional[str]" = None) -> NamespaceSupport:
    """``present``: ``("true",)`` or ``("false",)``, with where the answer came from."""
    env = os.environ if env is None else env
    platform = platform if platform is not None else sys.platform
    forced = env.get(FORCE_PRESENT)
    if forced is not None:
        present = forced_present(forced)
        source = f"{FORCE_PRESENT}={forced!r}"
        note = f"{'present' if present else 'absent'}: forced by {source}"
    elif platform.startswith("linux"):
        address, detail = find_tpu(sysfs_root)
        present = address is not None
        source = os.path.join(sysfs_root, "bus", "pci", "devices")
        note = f"Google {detail} at PCI {address}" if present else detail
    else:
        present = False
        source = "platform"
        note = f"{UV} looks for TPUs only on Linux: absent on {platform}"
    return NamespaceSupport(NAMESPACE, [FeatureSupport("present", ("true" if present else "false",))],
                            source=source, note=note)
