"""Detection happens once: ``detect``'s answers cached per user, keyed on what can change them.

Loading NVML or libcuda and asking every GPU costs tens to hundreds of
milliseconds, on every ``select`` and ``install``; the answer changes only
when the machine does.  So the answers are kept in one small JSON file per
user (``$VARWHEEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/varwheel``, else the
platform's user cache folder) together with a *machine key* built from cheap
reads of what can change an answer:

- the kernel's boot id (a reboot may bring another driver or GPU);
- the CPU: model, flags / features, core ids from ``/proc/cpuinfo`` (not its
  clock lines, which change by the second), or the CPU brand elsewhere;
- the NVIDIA kernel driver's version (``/sys/module/nvidia/version``);
- the PCI devices of GPU and TPU vendors (``/sys/bus/pci/devices``);
- the environment variables that force a provider's answer,
  ``CUDA_VISIBLE_DEVICES``, and the loader's library path (another folder
  may hold another ``libnvidia-ml``);
- varwheel's version (a new release may detect differently).

A different key discards every cached answer.  The cache never makes
detection fail: an unreadable, corrupt or unwritable cache is treated as
empty.  ``--no-cache`` (``cache=None`` in the API) neither reads nor writes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterable, Mapping, Optional

from varwheel.machine.providers import NamespaceSupport, detect_namespace, machine, wanted_namespaces

__all__ = ["CACHE_FILE", "ENV_KEYS", "DetectCache", "cache_dir", "machine_key"]

CACHE_FILE = "detect-v1.json"
#: Environment variables that change a provider's answer.
ENV_KEYS = (
    "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION",
    "NV_VARIANT_PROVIDER_FORCE_SM_ARCH",
    "TPU_VARIANT_PROVIDER_FORCE_PRESENT",
    "CUDA_VISIBLE_DEVICES",
    # where the dynamic loader finds libnvidia-ml / libcuda: another folder, another driver
    "LD_LIBRARY_PATH",
    "DYLD_LIBRARY_PATH",
)
#: PCI vendors whose devices a provider counts: NVIDIA, Google (TPU).
_PCI_VENDORS = ("0x10de", "0x1ae0")
#: /proc/cpuinfo lines that describe the CPU (the rest, "cpu MHz", "bogomips", ..., vary).
_CPU_KEYS = ("vendor_id", "model name", "cpu family", "model", "flags", "features", "cpu implementer",
             "cpu architecture", "cpu variant", "cpu part", "cpu revision", "hardware")
_MAX_READ = 1 << 20


def cache_dir(env: Mapping[str, str]) -> Path:
    """Where the cache lives for this user."""
    if env.get("VARWHEEL_CACHE_DIR"):
        return Path(env["VARWHEEL_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "varwheel"
    if sys.platform == "win32" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "varwheel" / "Cache"
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "varwheel"
    return home / ".cache" / "varwheel"


def _read(path: Path) -> Optional[str]:
    try:
        with open(path, "rb") as fh:
            return fh.read(_MAX_READ).decode("utf-8", "replace").strip()
    except OSError:
        return None


def _cpu(root: Path) -> Optional[str]:
    text = _read(root / "proc" / "cpuinfo")
    if text is None:
        import platform

        return platform.processor() or None
    lines = [line.strip() for line in text.splitlines()
             if line.split(":", 1)[0].strip().lower() in _CPU_KEYS]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _pci(root: Path) -> list:
    devices = root / "sys" / "bus" / "pci" / "devices"
    try:
        entries = sorted(os.listdir(devices))
    except OSError:
        return []
    found = []
    for entry in entries:
        vendor = _read(devices / entry / "vendor")
        if vendor in _PCI_VENDORS:
            found.append(f"{entry} {vendor}:{_read(devices / entry / 'device')}")
    return found


def machine_key(env: Mapping[str, str], *, root: "str | os.PathLike[str]" = "/", version: str = "") -> Dict[str, object]:
    """What can change a detected answer, read cheaply (``root``: where /proc and /sys are).

    ``version``: varwheel's, passed in by the CLI (a new release may detect differently).
    """
    base = Path(root)
    return {
        "varwheel": version,
        "platform": sys.platform,
        "machine": machine(),
        "boot_id": _read(base / "proc" / "sys" / "kernel" / "random" / "boot_id"),
        "cpu": _cpu(base),
        "nvidia_driver": _read(base / "sys" / "module" / "nvidia" / "version"),
        "pci": _pci(base),
        "env": {name: env.get(name) for name in ENV_KEYS},
    }


class DetectCache:
    """The cached answers valid for one machine key; :meth:`get` and :meth:`put` per namespace."""

    def __init__(self, directory: "str | os.PathLike[str]", key: Mapping[str, object]) -> None:
        self.path = Path(directory) / CACHE_FILE
        self.key = dict(key)
        self._answers: Dict[str, Dict[str, object]] = {}
        data = self._load()
        if isinstance(data, dict) and data.get("key") == self.key and isinstance(data.get("namespaces"), dict):
            self._answers = dict(data["namespaces"])

    @classmethod
    def for_user(cls, env: Mapping[str, str], *, version: str) -> "DetectCache":
        return cls(cache_dir(env), machine_key(env, version=version))

    def _load(self) -> object:
        raw = _read(self.path)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            return None  # corrupt: rewritten on the next put

    def get(self, namespace: str) -> Optional[NamespaceSupport]:
        data = self._answers.get(namespace)
        if not isinstance(data, dict):
            return None
        try:
            support = NamespaceSupport.from_json(data)
        except (KeyError, TypeError, ValueError):
            return None
        support.source = f"{support.source} (cached)" if support.source else "cached"
        return support

    def put(self, namespace: str, support: NamespaceSupport) -> None:
        """Remember an answer; a cache that cannot be written is silently left as it was."""
        self._answers[namespace] = support.to_json()
        data = json.dumps({"key": self.key, "namespaces": self._answers}, indent=1, sort_keys=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".detect.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(data)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            pass

    def detect(self, namespace: str, env: Optional[Mapping[str, str]] = None) -> NamespaceSupport:
        """The cached answer for ``namespace``, or a fresh detection, remembered."""
        cached = self.get(namespace)
        if cached is not None:
            return cached
        support = detect_namespace(namespace, env)
        self.put(namespace, support)
        return support

    def detect_all(self, namespaces: Optional[Iterable[str]] = None,
                   env: Optional[Mapping[str, str]] = None) -> Dict[str, NamespaceSupport]:
        """:func:`varwheel.machine.providers.detect` through the cache: only what is not cached is detected."""
        from varwheel.machine import providers

        wanted = wanted_namespaces(namespaces)
        found = {ns: self.get(ns) for ns in wanted}
        missing = [ns for ns, support in found.items() if support is None]
        if missing:
            for ns, support in providers.detect(missing, env).items():
                self.put(ns, support)
                found[ns] = support
        return {ns: support for ns, support in found.items() if support is not None}
