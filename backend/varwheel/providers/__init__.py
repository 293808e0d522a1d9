"""What this machine supports, per variant namespace (spec sections 7 and 8).

A *provider* answers, for one namespace, "which features does this machine
have, and for each feature which values, best first".  varwheel runs no
third-party plugin; like uv 0.13.9 it has built-in equivalents of three
provider packages and reads ``static-properties`` from the package metadata:

============  ===========================  =======  ==============================================
namespace     ``requires`` (one, bare name)  version  ``plugin-api`` (absent = module of the name)
============  ===========================  =======  ==============================================
``x86_64``    ``x86-64-variant-provider``    0.2.1    ``x86_64_variant_provider``
``aarch64``   ``aarch64-variant-provider``   0.2.0    ``aarch64_variant_provider``
``nvidia``    ``nvidia-variant-provider``    0.0.1    ``nvidia_variant_provider.plugin:NvidiaVariantPlugin``
============  ===========================  =======  ==============================================

The matching rule is uv's, found by experiment (see docs/machine-side.md):
``requires`` must hold exactly one requirement, whose normalized name is the
package above, with no extras, marker or URL, and whose version specifier (if
any) admits the version above; ``plugin-api``, stripped, must equal the value
above (when absent it defaults to the package's module name, which is why a
bare nvidia entry without ``plugin-api`` is skipped); the provider must not be
``optional``; and it must sit under its own namespace.  Anything else is an
unsupported provider: every variant that uses its namespace is incompatible.

Detection is lazy and per namespace (:func:`detect`): a release without
nvidia variants never loads a GPU library.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing costs milliseconds at start-up
    from typing import Dict, Iterable, List, Mapping, Optional, Tuple

    from varwheel.metadata import Provider
    from varwheel.properties import Property

__all__ = [
    "FeatureSupport",
    "NamespaceSupport",
    "BuiltinProvider",
    "BUILTINS",
    "builtin_for",
    "unevaluated_properties",
    "describe_unevaluated",
    "detect",
    "detect_namespace",
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
    found, or a summary).

    Plain classes rather than dataclasses here: importing :mod:`dataclasses`
    costs more than the whole detection (see bench/detect.py).
    """

    __slots__ = ("namespace", "features", "extra", "source", "note")

    def __init__(self, namespace: str, features: "Optional[List[FeatureSupport]]" = None,
                 extra: "Optional[List[FeatureSupport]]" = None, source: str = "", note: "Optional[str]" = None) -> None:
        self.namespace = namespace
        self.features = list(features or [])
        self.extra = list(extra or [])
        self.source = source
        self.note = note

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NamespaceSupport) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__
        )

    def __repr__(self) -> str:
        return f"NamespaceSupport({self.namespace!r}, {self.features!r}, source={self.source!r}, note={self.note!r})"

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
        }


class BuiltinProvider:
    """A provider package that installers implement themselves (uv 0.13.9's list).

    ``features``: the only features uv's built-in code evaluates for the
    namespace; a variant naming any other (``x86_64 :: avx512f :: on``) is
    never supported by uv, whatever the CPU (see :func:`unevaluated_properties`).
    """

    __slots__ = ("namespace", "package", "version", "plugin_api", "module", "features")

    def __init__(self, namespace: str, package: str, version: str, plugin_api: str, module: str,
                 features: "Tuple[str, ...]" = ()) -> None:
        self.namespace = namespace
        self.package = package
        self.version = version
        self.plugin_api = plugin_api
        self.module = module  # varwheel.providers.<module> implements detect(env)
        self.features = tuple(features)

    def __repr__(self) -> str:
        return f"BuiltinProvider({self.namespace!r}, {self.package!r}, {self.version!r})"

    def describe(self) -> str:
        return f"{self.package} {self.version} (built in)"


BUILTINS: "Dict[str, BuiltinProvider]" = {
    "x86_64": BuiltinProvider(
        "x86_64", "x86-64-variant-provider", "0.2.1", "x86_64_variant_provider", "x86_64", ("level",)
    ),
    "aarch64": BuiltinProvider(
        "aarch64", "aarch64-variant-provider", "0.2.0", "aarch64_variant_provider", "aarch64", ("version",)
    ),
    "nvidia": BuiltinProvider(
        "nvidia", "nvidia-variant-provider", "0.0.1", "nvidia_variant_provider.plugin:NvidiaVariantPlugin", "nvidia",
        ("cuda_version_lower_bound", "cuda_version_upper_bound", "sm_arch"),
    ),
}


def _module_of(package: str) -> str:
    """A plugin's default module: its normalized name (what uv assumes without plugin-api)."""
    from varwheel.filename import normalize_dist_name

    return normalize_dist_name(package)


def builtin_for(namespace: str, provider) -> "Tuple[Optional[BuiltinProvider], str]":
    """The built-in provider that evaluates ``provider`` (a :class:`varwheel.metadata.Provider`).

    Returns ``(builtin, "")`` on a match, else ``(None, reason)`` with a
    sentence saying why uv 0.13.9 would skip this provider.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    if provider.optional:
        return None, "the provider is optional (used only when the user opts in; uv does not)"
    if not provider.requires:
        return None, f"provider kind {provider.kind!r} is not a built-in provider"
    if len(provider.requires) != 1:
        return None, f"requires lists {len(provider.requires)} requirements; built-in providers match exactly one"
    try:
        req = Requirement(provider.requires[0])
    except InvalidRequirement:
        return None, f"requirement {provider.requires[0]!r} does not parse"
    name = canonicalize_name(req.name)
    builtin = next((b for b in BUILTINS.values() if canonicalize_name(b.package) == name), None)
    if builtin is None:
        known = ", ".join(b.package for b in BUILTINS.values())
        return None, f"{req.name!r} is a plugin; varwheel and uv run none (built in: {known})"
    if builtin.namespace != namespace:
        return None, f"{builtin.package} provides namespace {builtin.namespace!r}, not {namespace!r}"
    if req.extras or req.marker is not None or req.url:
        return None, f"requirement {provider.requires[0]!r} has extras, a marker or a URL; uv matches only a name and version"
    if req.specifier and not req.specifier.contains(Version(builtin.version), prereleases=True):
        return None, f"{provider.requires[0]!r} excludes the built-in {builtin.package} {builtin.version}"
    api = (provider.plugin_api or "").strip() or _module_of(req.name)
    if api != builtin.plugin_api:
        return None, f"plugin-api {api!r} is not the built-in {builtin.plugin_api!r}"
    return builtin, ""


def unevaluated_properties(
    properties: "Iterable[Property]", providers: "Mapping[str, Provider]"
) -> "List[Tuple[Property, BuiltinProvider]]":
    """Properties uv 0.13.9 can never find supported: served by a built-in that does not evaluate their feature.

    ``properties``: :class:`~varwheel.properties.Property` values;
    ``providers``: namespace -> :class:`~varwheel.metadata.Provider`.  A
    namespace whose provider is not one of uv's built-ins is not judged here
    (uv skips such a provider altogether; ``check`` says so separately).
    """
    found: "List[Tuple[Property, BuiltinProvider]]" = []
    for prop in properties:
        provider = providers.get(prop.namespace)
        if provider is None:
            continue
        builtin, _ = builtin_for(prop.namespace, provider)
        if builtin is not None and prop.feature not in builtin.features:
            found.append((prop, builtin))
    return found


def describe_unevaluated(prop: "Property", builtin: BuiltinProvider) -> str:
    """The one sentence the build and ``check`` print for :func:`unevaluated_properties`."""
    only = " and ".join(repr(f) for f in builtin.features)
    return (
        f"'{prop}': uv 0.13.9's built-in {builtin.namespace} provider evaluates only {only}, so uv never "
        f"installs this variant; use {builtin.namespace} :: {builtin.features[0]} for a variant uv should choose, "
        f"or declare another provider for {builtin.namespace!r} in [variant.providers.{builtin.namespace}]"
    )


def detect_namespace(namespace: str, env: "Optional[Mapping[str, str]]" = None) -> NamespaceSupport:
    """Run the built-in detector of ``namespace`` (which must be in :data:`BUILTINS`)."""
    import importlib

    builtin = BUILTINS[namespace]
    module = importlib.import_module(f"varwheel.providers.{builtin.module}")
    return module.detect(os.environ if env is None else env)


def detect(namespaces: "Optional[Iterable[str]]" = None, env: "Optional[Mapping[str, str]]" = None) -> "Dict[str, NamespaceSupport]":
    """Detect the given built-in namespaces (default: all), in :data:`BUILTINS` order."""
    wanted = list(BUILTINS) if namespaces is None else [ns for ns in BUILTINS if ns in set(namespaces)]
    return {ns: detect_namespace(ns, env) for ns in wanted}


def machine() -> str:
    """The hardware name (``uname -m``): ``x86_64``, ``aarch64``, ``arm64``, ``AMD64``."""
    uname = getattr(os, "uname", None)
    if uname is not None:
        return uname().machine
    import platform

    return platform.machine()


# -- macOS sysctl, through libc (no subprocess: detection stays in milliseconds) ---------
def _sysctlbyname(name: str, size: int = 0):
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
