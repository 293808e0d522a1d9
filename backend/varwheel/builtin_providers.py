"""Provider entries for the namespaces uv 0.13.9 evaluates with built-in code.

uv matches a provider by its ``requires`` entry: one requirement naming its
built-in package, with no extras or marker, and a version specifier, if any,
that admits uv's built-in version (x86 0.2.1, aarch64 0.2.0, nvidia 0.0.1;
``nvidia-variant-provider>=0.0.2`` is skipped: "Skipping unsupported wheel
variant provider"), and ``plugin-api`` equal to the built-in's (by default the
package's module name).  So these entries carry bare names, and the nvidia one
also the ``plugin-api`` uv expects.  :func:`varwheel.providers.builtin_for` is
the one implementation of that matching rule; a test keeps these entries
matched by it.  They are used when the
user names one of these namespaces without a ``[variant.providers.<ns>]``
table of their own.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from varwheel.metadata import Provider

__all__ = ["BUILTIN_PROVIDERS", "builtin_provider", "DEFAULT_NAMESPACE_ORDER"]

BUILTIN_PROVIDERS: Dict[str, Provider] = {
    "x86_64": Provider(requires=("x86-64-variant-provider",)),
    "aarch64": Provider(requires=("aarch64-variant-provider",)),
    "nvidia": Provider(
        requires=("nvidia-variant-provider",),
        plugin_api="nvidia_variant_provider.plugin:NvidiaVariantPlugin",
    ),
}

#: When no ``default-priorities`` is given: accelerators before CPU levels
#: (a GPU build beats a CPU-tuned one), then any other namespace alphabetically.
DEFAULT_NAMESPACE_ORDER: List[str] = ["nvidia", "aarch64", "x86_64"]


def builtin_provider(namespace: str) -> Optional[Provider]:
    return BUILTIN_PROVIDERS.get(namespace)


def default_order(namespaces: List[str]) -> List[str]:
    """Order ``namespaces`` by :data:`DEFAULT_NAMESPACE_ORDER`, others alphabetically after."""
    known = [ns for ns in DEFAULT_NAMESPACE_ORDER if ns in namespaces]
    return known + sorted(ns for ns in namespaces if ns not in DEFAULT_NAMESPACE_ORDER)
