"""uv 0.13.9's built-in providers: the one registry, and the one rule that matches a provider to them.

uv runs no provider plugins.  For four namespaces it has built-in code, and
it uses that code for a namespace only when the namespace's provider entry
names the built-in package in the one form uv accepts (uv's
``find_vendored_provider``, found by experiment; see docs/machine-side.md):

============  ===========================  =======  ==============================================  ==================
namespace     ``requires`` (one, bare name)  version  ``plugin-api`` (absent = module of the name)      features evaluated
============  ===========================  =======  ==============================================  ==================
``x86_64``    ``x86-64-variant-provider``    0.2.1    ``x86_64_variant_provider``                        ``level``
``aarch64``   ``aarch64-variant-provider``   0.2.0    ``aarch64_variant_provider``                       ``version``
``nvidia``    ``nvidia-variant-provider``    0.0.1    ``nvidia_variant_provider.plugin:NvidiaVariantPlugin``  bounds, ``sm_arch``
``tpu``       ``tpu-variant-provider``       0.1.0    ``tpu_variant_provider.plugin:TpuVariantPlugin``        ``present``
============  ===========================  =======  ==============================================  ==================

The matching rule (:func:`builtin_for`): ``requires`` holds exactly one
requirement, whose normalized name is the package above, with no extras,
marker or URL, and whose version specifier (if any) admits the version
above; ``plugin-api``, exactly as written, equals the value above (when absent it
defaults to the package's module name, which is why a bare nvidia entry
without ``plugin-api`` is skipped); the provider is not ``optional``; and it
sits under its own namespace.  Anything else is an unsupported provider:
every variant that uses its namespace is incompatible.

:data:`BUILTIN_PROVIDERS` are the entries varwheel writes for these
namespaces when a project has no ``[variant.providers.<ns>]`` table of its
own: the shortest form the rule accepts, derived from :data:`BUILTINS`.
:data:`DEFAULT_NAMESPACE_ORDER` is the order used without
``default-priorities``.  The machine side (``varwheel.machine.providers``)
implements each namespace's detection (``BuiltinProvider.module``).
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Optional, Tuple

from varwheel.model.document import UV, Provider
from varwheel.model.filename import normalize_dist_name
from varwheel.model.properties import Property
from varwheel.model.requirements import RequirementError, parse_requirement, specifier_admits

__all__ = [
    "UV",
    "BuiltinProvider",
    "BUILTINS",
    "BUILTIN_PROVIDERS",
    "DEFAULT_NAMESPACE_ORDER",
    "builtin_for",
    "default_order",
    "describe_unevaluated",
    "unevaluated_properties",
]




class BuiltinProvider:
    """A provider package that installers implement themselves (uv 0.13.9's list).

    ``features``: the only features uv's built-in code evaluates for the
    namespace; a variant naming any other (``x86_64 :: avx512f :: on``) is
    never supported by uv, whatever the CPU (see :func:`unevaluated_properties`).
    """

    __slots__ = ("namespace", "package", "version", "plugin_api", "module", "features")

    def __init__(self, namespace: str, package: str, version: str, plugin_api: str, module: str,
                 features: Tuple[str, ...] = ()) -> None:
        self.namespace = namespace
        self.package = package
        self.version = version
        self.plugin_api = plugin_api
        self.module = module  # varwheel.machine.providers.<module> implements detect(env)
        self.features = tuple(features)

    def __repr__(self) -> str:
        return f"BuiltinProvider({self.namespace!r}, {self.package!r}, {self.version!r})"

    def describe(self) -> str:
        return f"{self.package} {self.version} (built in)"


BUILTINS: Dict[str, BuiltinProvider] = {
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
    "tpu": BuiltinProvider(
        "tpu", "tpu-variant-provider", "0.1.0", "tpu_variant_provider.plugin:TpuVariantPlugin", "tpu", ("present",)
    ),
}


def _module_of(package: str) -> str:
    """A plugin's default module: its normalized name (what uv assumes without plugin-api)."""
    return normalize_dist_name(package)


def builtin_for(namespace: str, provider: Provider) -> Tuple[Optional[BuiltinProvider], str]:
    """The built-in provider that evaluates ``provider`` (a :class:`varwheel.model.document.Provider`).

    Returns ``(builtin, "")`` on a match, else ``(None, reason)`` with a
    sentence saying why uv 0.13.9 would skip this provider.
    """
    if provider.optional:
        return None, "the provider is optional (used only when the user opts in; uv does not)"
    if not provider.requires:
        return None, f"provider kind {provider.kind!r} is not a built-in provider"
    if len(provider.requires) != 1:
        return None, f"requires lists {len(provider.requires)} requirements; built-in providers match exactly one"
    try:
        req = parse_requirement(provider.requires[0])
    except RequirementError:
        return None, f"requirement {provider.requires[0]!r} does not parse"
    name = normalize_dist_name(req.name)
    builtin = next((b for b in BUILTINS.values() if normalize_dist_name(b.package) == name), None)
    if builtin is None:
        known = ", ".join(b.package for b in BUILTINS.values())
        return None, f"{req.name!r} is a plugin; varwheel and uv run none (built in: {known})"
    if builtin.namespace != namespace:
        return None, f"{builtin.package} provides namespace {builtin.namespace!r}, not {namespace!r}"
    if req.extras or req.has_marker or req.url:
        return None, f"requirement {provider.requires[0]!r} has extras, a marker or a URL; uv matches only a name and version"
    if not specifier_admits(req, builtin.version):
        return None, f"{provider.requires[0]!r} excludes the built-in {builtin.package} {builtin.version}"
    # Compared as written: uv splits 'module:attr' and compares the parts, so " x:y" never matches.
    api = _module_of(req.name) if provider.plugin_api is None else provider.plugin_api
    if api != builtin.plugin_api:
        return None, f"plugin-api {api!r} is not the built-in {builtin.plugin_api!r}"
    return builtin, ""


def unevaluated_properties(
    properties: Iterable[Property], providers: Mapping[str, Provider]
) -> List[Tuple[Property, BuiltinProvider]]:
    """Properties uv 0.13.9 can never find supported: served by a built-in that does not evaluate their feature.

    ``properties``: :class:`~varwheel.model.properties.Property` values;
    ``providers``: namespace -> :class:`~varwheel.model.document.Provider`.  A
    namespace whose provider is not one of uv's built-ins is not judged here
    (uv skips such a provider altogether; ``check`` says so separately).
    """
    found: List[Tuple[Property, BuiltinProvider]] = []
    for prop in properties:
        provider = providers.get(prop.namespace)
        if provider is None:
            continue
        builtin, _ = builtin_for(prop.namespace, provider)
        if builtin is not None and prop.feature not in builtin.features:
            found.append((prop, builtin))
    return found


def describe_unevaluated(prop: Property, builtin: BuiltinProvider) -> str:
    """The one sentence the build and ``check`` print for :func:`unevaluated_properties`."""
    only = " and ".join(repr(f) for f in builtin.features)
    return (
        f"'{prop}': {UV}'s built-in {builtin.namespace} provider evaluates only {only}, so uv never "
        f"installs this variant; use {builtin.namespace} :: {builtin.features[0]} for a variant uv should choose, "
        f"or declare another provider for {builtin.namespace!r} in [variant.providers.{builtin.namespace}]"
    )


def _entry(builtin: BuiltinProvider) -> Provider:
    """The shortest provider entry :func:`builtin_for` matches to ``builtin``."""
    default_api = _module_of(builtin.package)
    return Provider(
        requires=(builtin.package,),
        plugin_api=None if builtin.plugin_api == default_api else builtin.plugin_api,
    )


BUILTIN_PROVIDERS: Dict[str, Provider] = {ns: _entry(b) for ns, b in BUILTINS.items()}

#: When no ``default-priorities`` is given: accelerators before CPU levels
#: (a GPU build beats a CPU-tuned one), then any other namespace alphabetically.
DEFAULT_NAMESPACE_ORDER: List[str] = ["nvidia", "tpu", "aarch64", "x86_64"]


def default_order(namespaces: List[str]) -> List[str]:
    """Order ``namespaces`` by :data:`DEFAULT_NAMESPACE_ORDER`, others alphabetically after."""
    known = [ns for ns in DEFAULT_NAMESPACE_ORDER if ns in namespaces]
    return known + sorted(ns for ns in namespaces if ns not in DEFAULT_NAMESPACE_ORDER)
