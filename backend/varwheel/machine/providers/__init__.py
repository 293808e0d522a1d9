"""What this machine supports, per variant namespace (spec sections 7 and 8).

A *provider* answers, for one namespace, "which features does this machine
have, and for each feature which values, best first".  varwheel runs no
third-party plugin; like uv 0.13.9 it has built-in equivalents of four
provider packages and reads ``static-properties`` from the package metadata:

============  ===========================  =======  ==============================================
namespace     ``requires`` (one, bare name)  version  ``plugin-api`` (absent = module of the name)
============  ===========================  =======  ==============================================
``x86_64``    ``x86-64-variant-provider``    0.2.1    ``x86_64_variant_provider``
``aarch64``   ``aarch64-variant-provider``   0.2.0    ``aarch64_variant_provider``
``nvidia``    ``nvidia-variant-provider``    0.0.1    ``nvidia_variant_provider.plugin:NvidiaVariantPlugin``
``tpu``       ``tpu-variant-provider``       0.1.0    ``tpu_variant_provider.plugin:TpuVariantPlugin``
============  ===========================  =======  ==============================================

The matching rule is uv's, found by experiment (see docs/machine-side.md):
``requires`` must hold exactly one requirement, whose normalized name is the
package above, with no extras, marker or URL, and whose version specifier (if
any) admits the version above; ``plugin-api`` must equal the value above
(when absent it defaults to the package's module name, which is why a bare
nvidia or tpu entry without ``plugin-api`` is skipped); the provider must not
be ``optional``; and it must sit under its own namespace.  Anything else is
an unsupported provider: every variant that uses its namespace is
incompatible.

Each detector answers what uv 0.13.9's built-in code answers on this machine,
even where that is less than the CPU can do (an Arm core uv does not know is
``8a``): ``varwheel select`` must name the file uv installs.  Where the machine
says more, or where varwheel cannot see what uv sees (CPUID on Windows), the
answer carries ``caveats``: sentences ``detect -v`` and ``select --explain``
print.

Detection is lazy and per namespace (:func:`detect`): a release without
nvidia variants never loads a GPU library.
"""

from __future__ import annotations

import os
import sys

from varwheel.model.builtins import BUILTINS

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing costs milliseconds at start-up
    from typing import Dict, Iterable, List, Mapping, Optional, Tuple


__all__ = [
    "FeatureSupport",
    "NamespaceSupport",
    "detect",
    "detect_namespace",
    "SysctlReader",
    "LIVE_SYSCTL",
    "sysctl_string",
    "sysctl_int",
    "machine",
]


class FeatureSupport:
    """One feature this machine supports and its values, most preferred first."""

    __slots__ = ("name", "values")

    def __init__(self, name: str, values: "Tuple[str, ...]") -> None:
        self.name = name
        self.values = tuple(values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeatureSupport) and (self.name, self.values) == (other.name, other.values)

    def __hash__(self) -> int:
        return hash((self.name, self.values))

    def __repr__(self) -> str:
        return f"FeatureSupport({self.name!r}, {self.values!r})"

    def to_json(self) -> "Dict[str, object]":
        return {"feature": self.name, "values": list(self.values)}


class NamespaceSupport:
    """A provider's answer for one namespace.

    ``features`` is what variant selection uses, in preference order.
    ``extra`` lists what was detected but is not evaluated by the installer's
    built-in provider (x86-64 ISA flags, Arm HWCAPs): shown by ``detect``,
    usable through ``select --assume``.  ``source`` says where the answer
    came from; ``note`` is the one line ``detect -v`` prints (why nothing was
    found, or a summary).  ``caveats`` are sentences for the person reading
    ``detect -v`` or ``select --explain``: where ``features`` (uv's answer)
    is less than the machine can do, or may differ from what uv sees.

    Plain classes rather than dataclasses here: importing :mod:`dataclasses`
    costs more than the whole detection (see bench/detect.py).
    """

    __slots__ = ("namespace", "features", "extra", "source", "note", "caveats")

    def __init__(self, namespace: str, features: "Optional[List[FeatureSupport]]" = None,
                 extra: "Optional[List[FeatureSupport]]" = None, source: str = "", note: "Optional[str]" = None,
                 caveats: "Iterable[str]" = ()) -> None:
        self.namespace = namespace
        self.features = list(features or [])
        self.extra = list(extra or [])
        self.source = source
        self.note = note
        self.caveats: "Tuple[str, ...]" = tuple(caveats)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NamespaceSupport) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__
        )

    def __repr__(self) -> str:
        return (f"NamespaceSupport({self.namespace!r}, {self.features!r}, source={self.source!r}, note={self.note!r}, "
                f"caveats={self.caveats!r})")

    def values(self, feature: str) -> "Tuple[str, ...]":
        for item in self.features:
            if item.name == feature:
                return item.values
        return ()

    def properties(self) -> "List[str]":
        """Canonical property strings of ``features``, in preference order."""
        return [f"{self.namespace} :: {f.name} :: {v}" for f in self.features for v in f.values]

    def to_json(self) -> "Dict[str, object]":
        return {
            "namespace": self.namespace,
            "features": {f.name: list(f.values) for f in self.features},
            "feature_order": [f.name for f in self.features],
            "extra": {f.name: list(f.values) for f in self.extra},
            "source": self.source,
            "note": self.note,
            "caveats": list(self.caveats),
        }

    @classmethod
    def from_json(cls, data: "Mapping[str, object]") -> "NamespaceSupport":
        """The inverse of :meth:`to_json` (the detection cache stores answers so)."""
        features = data["features"]
        extra = data["extra"]
        order = data["feature_order"]
        if not isinstance(features, dict) or not isinstance(extra, dict) or not isinstance(order, list):
            raise TypeError("not a NamespaceSupport")
        note, caveats = data.get("note"), data.get("caveats") or []
        return cls(
            str(data["namespace"]),
            [FeatureSupport(name, tuple(features[name])) for name in order],
            [FeatureSupport(name, tuple(values)) for name, values in extra.items()],
            str(data.get("source") or ""),
            None if note is None else str(note),
            caveats=tuple(str(c) for c in caveats) if isinstance(caveats, list) else (),
        )


def detect_namespace(namespace: str, env: "Optional[Mapping[str, str]]" = None) -> NamespaceSupport:
    """Run the built-in detector of ``namespace`` (which must be in :data:`BUILTINS`).

    Always detects afresh; :class:`varwheel.machine.detect_cache.DetectCache`
    answers from the per-user cache first.
    """
    import importlib

    builtin = BUILTINS[namespace]
    module = importlib.import_module(f"varwheel.machine.providers.{builtin.module}")
    support: NamespaceSupport = module.detect(os.environ if env is None else env)
    return support


def detect(namespaces: "Optional[Iterable[str]]" = None, env: "Optional[Mapping[str, str]]" = None) -> "Dict[str, NamespaceSupport]":
    """Detect the given built-in namespaces (default: all), in :data:`BUILTINS` order."""
    return {ns: detect_namespace(ns, env) for ns in wanted_namespaces(namespaces)}


def wanted_namespaces(namespaces: "Optional[Iterable[str]]" = None) -> "List[str]":
    """The built-in namespaces among ``namespaces`` (default: all), in :data:`BUILTINS` order."""
    return list(BUILTINS) if namespaces is None else [ns for ns in BUILTINS if ns in set(namespaces)]


def machine() -> str:
    """The hardware name (``uname -m``): ``x86_64``, ``aarch64``, ``arm64``, ``AMD64``."""
    uname = getattr(os, "uname", None)
    if uname is not None:
        return uname().machine
    import platform

    return platform.machine()


# -- macOS sysctl, through libc (no subprocess: detection stays in milliseconds) ---------
def _sysctlbyname(name: str, size: int = 0) -> "Optional[bytes]":
    if sys.platform != "darwin":
        return None
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.dylib", use_errno=True)
        length = ctypes.c_size_t(0)
        if libc.sysctlbyname(name.encode(), None, ctypes.byref(length), None, ctypes.c_size_t(0)) != 0:
            return None
        buf = ctypes.create_string_buffer(max(length.value, size, 1))
        length = ctypes.c_size_t(len(buf))
        if libc.sysctlbyname(name.encode(), buf, ctypes.byref(length), None, ctypes.c_size_t(0)) != 0:
            return None
        return buf.raw[: length.value]
    except (OSError, AttributeError):
        return None


def sysctl_string(name: str) -> "Optional[str]":
    """``sysctl -n name`` as text, or ``None`` (not macOS, or no such key)."""
    raw = _sysctlbyname(name)
    if raw is None:
        return None
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def sysctl_int(name: str) -> "Optional[int]":
    """An integer sysctl (``hw.optional.*``), or ``None``."""
    raw = _sysctlbyname(name, 8)
    if raw is None or len(raw) not in (4, 8):
        return None
    return int.from_bytes(raw, sys.byteorder, signed=True)


class SysctlReader:
    """macOS ``sysctl`` keys, from this system (libc) or from a recorded ``sysctl -a`` dump.

    The detectors take one of these so that the macOS paths (``machdep.cpu.*``,
    ``hw.optional.arm.FEAT_*`` and the older ``hw.optional.armv8_*`` keys) run
    on any machine against recorded dumps of real Macs (tests/data/cpus/).
    """

    __slots__ = ("_values",)

    def __init__(self, values: "Optional[Mapping[str, str]]" = None) -> None:
        self._values = None if values is None else dict(values)

    @classmethod
    def from_dump(cls, text: str) -> "SysctlReader":
        """Parse ``sysctl -a`` output (``key: value`` lines; later lines do not override earlier ones)."""
        values: Dict[str, str] = {}
        for line in text.splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() and key.strip() not in values:
                values[key.strip()] = value.strip()
        return cls(values)

    def string(self, name: str) -> "Optional[str]":
        """The key's text (``None``: no such key)."""
        if self._values is None:
            return sysctl_string(name)
        return self._values.get(name)

    def integer(self, name: str) -> "Optional[int]":
        """The key as an integer (``None``: no such key, or not an integer)."""
        if self._values is None:
            return sysctl_int(name)
        text = self._values.get(name)
        try:
            return None if text is None else int(text)
        except ValueError:
            return None


#: The running system's sysctl (every key is ``None`` off macOS).
LIVE_SYSCTL = SysctlReader()
