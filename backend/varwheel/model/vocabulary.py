"""The values uv 0.13.9's built-in providers can ever report: one vocabulary per namespace and feature.

uv matches a variant's values against the lists its built-in providers
produce, by string equality.  A value no such list can ever contain
(``x86_64 :: level :: v5``, ``nvidia :: sm_arch :: 90_rea``,
``tpu :: present :: yes``) is valid JSON, uv reads the document without a
word, and the variant is simply never selected, on any machine.  That is a
typo to catch before a build or an upload, not something to find out from
users.  The vocabularies, derived from uv's provider code
(``crates/uv-distribution/src/variant/``) and checked against uv itself in
``tests/test_vocabulary.py``:

==============================  ==================================================
namespace :: feature            values
==============================  ==================================================
``x86_64 :: level``             ``v1`` ``v2`` ``v3`` ``v4``
``aarch64 :: version``          ``8a`` ``8.1a`` ``8.2a`` ``8.3a`` ``8.4a`` (uv's list
                                stops there: later versions need instructions Linux
                                does not expose to user space)
``nvidia :: cuda_version_*``    ``M`` or ``M.m``, integers without leading zeros
                                (uv writes ``12`` and ``12.8``, never ``12.08``)
``nvidia :: sm_arch``           ``{major}{minor}_real`` / ``{major}{minor}_virtual``
                                (``90_real``, ``120_virtual``; one minor digit)
``tpu :: present``              ``true`` ``false``
==============================  ==================================================

Only a namespace whose provider entry uv matches to its built-in
(:func:`varwheel.model.builtins.builtin_for`) is judged: a project that
declares its own provider for ``x86_64`` owns that namespace's values.  Only
features the built-in evaluates have a vocabulary; any other feature is
:func:`varwheel.model.builtins.unevaluated_properties`' business.

:func:`vocabulary_problems` is the one rule: ``make-variant`` and the build
backend refuse what it returns (``model.request``), ``check`` reports it
(``value-unknown``).

A value can be well formed and still never match, because no GPU or driver
has it.  :func:`sm_arch_matchable` and :func:`cuda_bound_matchable` say which
well-formed values uv can ever offer on real hardware; ``check`` uses them
(``sm-arch-unmatchable``, ``cuda-bounds-unsatisfiable``).  They are not
refused at build time: the table of GPUs grows, the vocabulary does not.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, Iterable, List, Mapping, Optional, Pattern, Tuple

from varwheel.model.builtins import UV, BuiltinProvider, builtin_for
from varwheel.model.document import Provider
from varwheel.model.properties import Property

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass
else:
    from varwheel.model.values import dataclass

__all__ = [
    "Vocabulary",
    "VOCABULARIES",
    "VocabularyProblem",
    "vocabulary_problems",
    "COMPUTE_CAPABILITIES",
    "CUDA_DRIVER_RANGE",
    "MAX_CUDA_MINOR",
    "parse_sm_arch",
    "parse_cuda_version",
    "sm_arch_matchable",
    "cuda_bound_matchable",
]


@dataclass(frozen=True)
class Vocabulary:
    """The values one feature of a built-in provider can take: a closed list, or a pattern.

    ``shown`` is how messages name the valid values (a closed list shows itself).
    """

    values: Tuple[str, ...] = ()
    pattern: Optional[Pattern[str]] = None
    shown: str = ""

    def admits(self, value: str) -> bool:
        if self.pattern is not None:
            return self.pattern.fullmatch(value) is not None
        return value in self.values

    def describe(self) -> str:
        return self.shown or ", ".join(self.values)


_CUDA_VERSION = Vocabulary(
    pattern=re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?"),
    shown="a CUDA version written M or M.m without leading zeros (12, 12.8)",
)
_SM_ARCH = Vocabulary(
    pattern=re.compile(r"[1-9][0-9]*[0-9]_(real|virtual)"),
    shown="{major}{minor}_real or {major}{minor}_virtual (90_real, 120_virtual)",
)

#: namespace -> feature -> the values uv 0.13.9's built-in provider can report.
#: The features are exactly :attr:`BuiltinProvider.features` of each built-in.
VOCABULARIES: Dict[str, Dict[str, Vocabulary]] = {
    "x86_64": {"level": Vocabulary(("v1", "v2", "v3", "v4"))},
    "aarch64": {"version": Vocabulary(("8a", "8.1a", "8.2a", "8.3a", "8.4a"))},
    "nvidia": {
        "cuda_version_lower_bound": _CUDA_VERSION,
        "cuda_version_upper_bound": _CUDA_VERSION,
        "sm_arch": _SM_ARCH,
    },
    "tpu": {"present": Vocabulary(("true", "false"))},
}


@dataclass(frozen=True)
class VocabularyProblem:
    """A property whose value uv's built-in provider for its namespace can never report."""

    prop: Property
    builtin: BuiltinProvider
    vocabulary: Vocabulary

    def describe(self) -> str:
        """One line: the value, what uv does with it, the valid values (callers add the way out)."""
        ns = self.prop.namespace
        return (
            f"'{self.prop}': unknown {self.prop.feature}: {UV}'s built-in {ns} provider never reports "
            f"{self.prop.value!r}, so uv never selects this variant; valid values: {self.vocabulary.describe()}"
        )


def vocabulary_problems(
    properties: Iterable[Property], providers: Mapping[str, Provider]
) -> List[VocabularyProblem]:
    """Properties outside their built-in provider's vocabulary, in the order given.

    ``providers``: namespace -> the provider entry the document records (the
    project's own, or :data:`varwheel.model.builtins.BUILTIN_PROVIDERS`).  A
    namespace whose entry uv does not match to a built-in, and a feature the
    built-in does not evaluate, have no vocabulary here.
    """
    found: List[VocabularyProblem] = []
    for prop in properties:
        vocabulary = VOCABULARIES.get(prop.namespace, {}).get(prop.feature)
        provider = providers.get(prop.namespace)
        if vocabulary is None or provider is None or vocabulary.admits(prop.value):
            continue
        builtin, _ = builtin_for(prop.namespace, provider)
        if builtin is not None:
            found.append(VocabularyProblem(prop, builtin, vocabulary))
    return found


# -- what real hardware can match --------------------------------------------------------------

#: Compute capabilities of NVIDIA GPUs (major, minor): nvcc 13.0's ``--list-gpu-code``
#: (7.5 and newer; 10.1 is CUDA 12.8's name for what 13.0 calls 11.0) and the older ones
#: CUDA 12 still built for.  uv offers ``sm_arch`` values only for 5.0 and newer.
COMPUTE_CAPABILITIES: Tuple[Tuple[int, int], ...] = (
    (5, 0), (5, 2), (5, 3), (6, 0), (6, 1), (6, 2), (7, 0), (7, 2), (7, 5),
    (8, 0), (8, 6), (8, 7), (8, 8), (8, 9), (9, 0), (10, 0), (10, 1), (10, 3),
    (11, 0), (12, 0), (12, 1),
)

#: The CUDA driver versions uv 0.13.9 uses its nvidia provider with (outside: no nvidia values at all).
CUDA_DRIVER_RANGE: Tuple[Tuple[int, int], Tuple[int, int]] = ((11, 0), (15, 20))
#: The highest minor version uv lists for any CUDA major version.
MAX_CUDA_MINOR = 20


def parse_sm_arch(value: str) -> Optional[Tuple[int, int, str]]:
    """``'120_real'`` -> ``(12, 0, 'real')``; None outside the ``sm_arch`` vocabulary."""
    if not _SM_ARCH.admits(value):
        return None
    digits, kind = value.split("_")
    return int(digits[:-1]), int(digits[-1]), kind


def parse_cuda_version(value: str) -> Optional[Tuple[int, int]]:
    """``'12'`` -> ``(12, 0)``, ``'12.8'`` -> ``(12, 8)``; None outside the vocabulary."""
    if not _CUDA_VERSION.admits(value):
        return None
    major, _, minor = value.partition(".")
    return int(major), int(minor or 0)


def sm_arch_matchable(value: str) -> bool:
    """Whether uv 0.13.9 offers this ``sm_arch`` value on some GPU that exists.

    uv offers a GPU of capability M.m the values ``M{m}_real`` down to
    ``M0_real`` and only ``M0_virtual``: ``86_real`` matches an 8.6 or 8.9
    GPU, ``86_virtual`` matches none, ``95_real`` needs a 9.5 GPU, which
    does not exist.
    """
    parsed = parse_sm_arch(value)
    if parsed is None:
        return False
    major, minor, kind = parsed
    minors = [m for (M, m) in COMPUTE_CAPABILITIES if M == major]
    if kind == "virtual":
        return minor == 0 and bool(minors)
    return any(m >= minor for m in minors)


def cuda_bound_matchable(feature: str, value: str) -> bool:
    """Whether uv 0.13.9 lists this bound for some driver version in :data:`CUDA_DRIVER_RANGE`.

    uv lists lower bounds from ``11`` up to the driver's version and upper
    bounds above it up to ``15.20``, minors up to 20: ``10.2`` as a lower
    bound or ``16`` as an upper bound is never listed, whatever the driver.
    """
    version = parse_cuda_version(value)
    if version is None:
        return False
    (low_major, _), (high_major, _) = CUDA_DRIVER_RANGE
    major, minor = version
    if not low_major <= major <= high_major or minor > MAX_CUDA_MINOR:
        return False
    if feature == "cuda_version_upper_bound":
        return version > CUDA_DRIVER_RANGE[0]  # some driver must lie below it
    return True
