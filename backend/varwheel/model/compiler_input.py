"""Which properties of the built-in namespaces are compiler input.

The build backend turns them into flags (:mod:`varwheel.build.flags`:
``x86_64`` levels and ISA features to ``-march`` / ``-m...``, ``aarch64``
versions to ``-march``, ``nvidia :: sm_arch`` to CUDA architectures); the
CUDA version bounds only check the toolkit.  ``check`` uses this to recognise
a variant whose wheel should hold compiled code (the ``pure-variant``
finding) without depending on the backend; a test keeps the two in step.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from varwheel.model.properties import Property

__all__ = ["COMPILED_FEATURES", "means_compiler_input"]

#: namespace -> the features that become compiler input (``None``: every feature).
COMPILED_FEATURES: Dict[str, Optional[Tuple[str, ...]]] = {
    "x86_64": None,
    "aarch64": ("version",),
    "nvidia": ("sm_arch",),
}


def means_compiler_input(prop: Property) -> bool:
    """Whether the build backend's built-in mappings give a compiler something for ``prop``."""
    if prop.namespace not in COMPILED_FEATURES:
        return False
    features = COMPILED_FEATURES[prop.namespace]
    return features is None or prop.feature in features
