"""Static providers: what a namespace supports is written in the package's own metadata.

``providers.<ns>.static-properties`` lists, per feature, the values in
preference order; ``feature-order`` orders the features (one feature needs
none).  Every listed value counts as supported: nothing on the machine is
consulted, which is the point (a BLAS choice, an OpenMP runtime).  uv 0.13.9
does the same; an ``optional`` static provider is not used unless the user
opts in, and uv offers no way to opt in.

Example::

    >>> from varwheel.model.document import Provider
    >>> p = Provider.from_json({"static-properties": {"library": ["mkl", "openblas"]}}, "blas")
    >>> static_support("blas", p).features[0].values
    ('mkl', 'openblas')
"""

from __future__ import annotations

from varwheel.machine.providers import FeatureSupport, NamespaceSupport

__all__ = ["static_support"]


def static_support(namespace: str, provider) -> NamespaceSupport:
    """The supported features of a ``static-properties`` provider (a :class:`~varwheel.model.document.Provider`)."""
    table = provider.static
    features = [FeatureSupport(name, tuple(table[name])) for name in provider.features_in_order()]
    return NamespaceSupport(namespace, features, source="static-properties (package metadata)",
                            note=f"{len(features)} static feature(s)")
