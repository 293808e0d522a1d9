"""Variant properties, variant descriptions, labels and hash labels.

A property is ``namespace :: feature :: value`` (spec section 1).  This module
parses the strings people type (``x86_64::level::v3``), validates every part
once, and from then on the rest of varwheel handles :class:`Property` and
:class:`VariantDescription` objects that are valid by construction.

Example::

    >>> desc = VariantDescription.parse(["x86_64 :: level :: v3"])
    >>> desc.hash_label()
    'fa7c1393'
    >>> str(desc.properties[0])
    'x86_64 :: level :: v3'
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping, Sequence

from varwheel.errors import InvalidLabel, InvalidProperty

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass
else:
    from varwheel.model.values import dataclass

__all__ = [
    "NAMESPACE_RE",
    "FEATURE_RE",
    "VALUE_RE",
    "LABEL_RE",
    "NULL_LABEL",
    "LABEL_WARN_LENGTH",
    "Property",
    "VariantDescription",
    "validate_label",
    "label_warnings",
    "looks_like_hash_label",
]

NAMESPACE_RE = re.compile(r"^[a-z0-9_]+$")
FEATURE_RE = re.compile(r"^[a-z0-9_]+$")
VALUE_RE = re.compile(r"^[a-z0-9_.]+$")
LABEL_RE = re.compile(r"^[0-9a-z_.]+$")
_HASH_LABEL_RE = re.compile(r"^[0-9a-f]{8}$")

#: The label reserved for the empty property set.
NULL_LABEL = "null"
#: Earlier drafts capped labels at 16 characters; longer ones get a warning.
LABEL_WARN_LENGTH = 16

_PART_RULES = (
    ("namespace", NAMESPACE_RE, "lowercase letters, digits and '_'"),
    ("feature", FEATURE_RE, "lowercase letters, digits and '_'"),
    ("value", VALUE_RE, "lowercase letters, digits, '_' and '.'"),
)


def _check_part(kind: str, text: str, *, context: str) -> str:
    if not isinstance(text, str):  # the Python API takes mappings: a key may be anything hashable
        raise InvalidProperty(f"{context}: {kind} {text!r} is not a string")
    for name, regex, allowed in _PART_RULES:
        if name == kind:
            if not regex.fullmatch(text):
                hint = ""
                if text.lower() != text and regex.fullmatch(text.lower()):
                    hint = f" (did you mean {text.lower()!r}?)"
                elif kind == "namespace" and "-" in text:
                    hint = f" (did you mean {text.replace('-', '_')!r}?)"
                raise InvalidProperty(
                    f"{context}: {kind} {text!r} is invalid: "
                    f"use only {allowed}{hint}"
                )
            return text
    raise AssertionError(kind)  # pragma: no cover


@dataclass(frozen=True, order=True)
class Property:
    """One ``namespace :: feature :: value`` triple.

    Ordering is the canonical order of the spec: plain string comparison of
    the tuple (namespace, feature, value).  ``100_real`` sorts before
    ``90_real`` on purpose: that is what the hash label is computed over.
    """

    namespace: str
    feature: str
    value: str

    def __post_init__(self) -> None:
        context = f"property {self.namespace!r} :: {self.feature!r} :: {self.value!r}"
        _check_part("namespace", self.namespace, context=context)
        _check_part("feature", self.feature, context=context)
        _check_part("value", self.value, context=context)

    @classmethod
    def parse(cls, text: str) -> "Property":
        """Parse ``ns :: feature :: value``; whitespace around ``::`` is tolerated."""
        if not isinstance(text, str):
            raise InvalidProperty(f"property must be a string, got {text!r}")
        parts = text.split("::")
        if len(parts) != 3:
            raise InvalidProperty(
                f"property {text!r} is invalid: expected 'namespace :: feature :: value' "
                f"(three parts separated by '::'), found {len(parts)} part(s)"
            )
        namespace, feature, value = (part.strip() for part in parts)
        context = f"property {text!r}"
        for kind, part in (("namespace", namespace), ("feature", feature), ("value", value)):
            if not part:
                raise InvalidProperty(f"{context}: {kind} is empty")
            _check_part(kind, part, context=context)
        return cls(namespace, feature, value)

    def __str__(self) -> str:
        return f"{self.namespace} :: {self.feature} :: {self.value}"

    @property
    def feature_key(self) -> tuple[str, str]:
        """``(namespace, feature)``: the unit compatibility is decided on."""
        return (self.namespace, self.feature)


@dataclass(frozen=True)
class VariantDescription:
    """A set of properties, kept in canonical order, duplicates rejected.

    The empty description is the null variant.
    """

    properties: tuple[Property, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.properties))
        seen: set[Property] = set()
        for prop in ordered:
            if prop in seen:
                raise InvalidProperty(f"duplicate property {str(prop)!r}")
            seen.add(prop)
        object.__setattr__(self, "properties", ordered)

    # -- construction -----------------------------------------------------
    @classmethod
    def parse(cls, texts: Iterable[str]) -> "VariantDescription":
        """Parse property strings; duplicates (after canonicalisation) are an error."""
        props = [Property.parse(t) for t in texts]
        return cls(tuple(props))

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Mapping[str, Sequence[str]]], *, where: str = "variant"
    ) -> "VariantDescription":
        """Build from the ``{namespace: {feature: [values]}}`` shape of variant.json."""
        from varwheel.errors import InvalidMetadata

        if not isinstance(data, Mapping):
            raise InvalidMetadata(f"{where}: expected a table of namespaces, got {type(data).__name__}")
        props: list[Property] = []
        for namespace, features in data.items():
            if not isinstance(features, Mapping):
                raise InvalidMetadata(
                    f"{where}.{namespace}: expected a table of features, got {type(features).__name__}"
                )
            if not features:
                raise InvalidMetadata(f"{where}.{namespace}: lists no feature")
            for feature, values in features.items():
                key = f"{where}.{namespace}.{feature}"
                if isinstance(values, str) or not isinstance(values, Sequence):
                    raise InvalidMetadata(f"{key}: expected a list of values, got {values!r}")
                if not values:
                    raise InvalidMetadata(f"{key}: the list of values is empty")
                for value in values:
                    if not isinstance(value, str):
                        raise InvalidMetadata(f"{key}: value {value!r} is not a string")
                if len(set(values)) != len(values):
                    raise InvalidMetadata(f"{key}: values are not unique: {list(values)!r}")
                for value in values:
                    try:
                        props.append(Property(namespace, feature, value))
                    except InvalidProperty as exc:
                        raise InvalidMetadata(f"{key}: {exc}") from None
        return cls(tuple(props))

    # -- views --------------------------------------------------------------
    @property
    def is_null(self) -> bool:
        return not self.properties

    def __len__(self) -> int:
        return len(self.properties)

    def __iter__(self) -> Iterator[Property]:
        return iter(self.properties)

    def strings(self) -> list[str]:
        """Canonical property strings in canonical order."""
        return [str(p) for p in self.properties]

    def namespaces(self) -> list[str]:
        """Namespaces in order of first appearance (canonical order)."""
        out: list[str] = []
        for p in self.properties:
            if p.namespace not in out:
                out.append(p.namespace)
        return out

    def to_mapping(self) -> dict[str, dict[str, list[str]]]:
        """``{namespace: {feature: [sorted values]}}``, as variant.json stores it."""
        out: dict[str, dict[str, list[str]]] = {}
        for p in self.properties:
            out.setdefault(p.namespace, {}).setdefault(p.feature, []).append(p.value)
        return out

    def values_by_feature(self) -> dict[tuple[str, str], list[str]]:
        out: dict[tuple[str, str], list[str]] = {}
        for p in self.properties:
            out.setdefault(p.feature_key, []).append(p.value)
        return out

    # -- labels ---------------------------------------------------------------
    def hash_label(self) -> str:
        """variantlib's default label: sha256 of sorted canonical strings, each + ``\\n``, 8 hex digits.

        The empty set has the reserved label ``null`` instead.
        """
        if self.is_null:
            return NULL_LABEL
        digest = hashlib.sha256()
        for text in self.strings():
            digest.update(text.encode("utf-8"))
            digest.update(b"\n")
        return digest.hexdigest()[:8]

    def check_label(self, label: str) -> str:
        """Validate ``label`` for this description: ``null`` iff empty."""
        validate_label(label)
        if self.is_null and label != NULL_LABEL:
            raise InvalidLabel(
                f"the null variant (no properties) must be labelled 'null', not {label!r}"
            )
        if not self.is_null and label == NULL_LABEL:
            raise InvalidLabel(
                "label 'null' is reserved for the null variant (no properties), "
                f"but {len(self)} {'property was' if len(self) == 1 else 'properties were'} given: "
                + ", ".join(self.strings())
            )
        return label


def validate_label(label: str) -> str:
    """Check ``label`` against ``^[0-9a-z_.]+$``; return it unchanged."""
    if not isinstance(label, str):
        raise InvalidLabel(f"variant label {label!r} is not a string: use lowercase letters, digits, '_' and '.'")
    if not label:
        raise InvalidLabel("variant label is empty: use lowercase letters, digits, '_' and '.'")
    if not LABEL_RE.fullmatch(label):
        hint = ""
        if LABEL_RE.fullmatch(label.lower()):
            hint = f" (did you mean {label.lower()!r}?)"
        elif "-" in label and LABEL_RE.fullmatch(label.replace("-", "_")):
            hint = f" (did you mean {label.replace('-', '_')!r}? '-' separates filename components)"
        raise InvalidLabel(
            f"variant label {label!r} is invalid: use only lowercase letters, digits, '_' and '.'{hint}"
        )
    return label


def label_warnings(label: str) -> list[str]:
    """Non-fatal remarks about a valid label (today: length over 16)."""
    if len(label) > LABEL_WARN_LENGTH:
        return [
            f"variant label {label!r} is {len(label)} characters long; earlier drafts "
            f"capped labels at {LABEL_WARN_LENGTH} and some tools may reject it"
        ]
    return []


def looks_like_hash_label(label: str) -> bool:
    """True for 8 lowercase hex digits: the shape of a default (hash) label."""
    return bool(_HASH_LABEL_RE.fullmatch(label))
