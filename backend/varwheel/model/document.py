"""``variant.json`` and ``{name}-{version}-variants.json`` documents (spec sections 4 and 6).

One class, :class:`VariantDocument`, models both: a wheel's ``variant.json``
holds exactly one entry under ``variants``; an index file holds every label of
a release.  Two formats are written (``providers``, the default, and
``pep825``); three schema URLs are read (those two and variantlib's
``v0.2.0.json``).

Serialization is byte-stable: UTF-8, keys sorted, 4-space indent (what
variantlib emits), one trailing newline.  The same document always gives the
same bytes, which keeps rewritten wheels reproducible.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from varwheel.errors import InconsistentVariants, InvalidMetadata, InvalidProperty
from varwheel.model.properties import (
    FEATURE_RE,
    NAMESPACE_RE,
    NULL_LABEL,
    VALUE_RE,
    VariantDescription,
    validate_label,
)

__all__ = [
    "SCHEMA_PROVIDERS",
    "SCHEMA_PEP825",
    "SCHEMA_VARIANTLIB",
    "KNOWN_SCHEMAS",
    "FORMATS",
    "DEFAULT_FORMAT",
    "Provider",
    "VariantDocument",
    "merge_documents",
    "read_document_file",
    "MAX_DOCUMENT_BYTES",
]

#: The most a ``*-variants.json`` file read from disk may hold (real ones are a few KiB).
MAX_DOCUMENT_BYTES = 16 << 20


def read_document_file(path: "str | os.PathLike[str]") -> bytes:
    """The bytes of a ``*-variants.json`` file, for :meth:`VariantDocument.loads`.

    Refuses, as :class:`InvalidMetadata`, what is not a regular file (a FIFO
    would block the reader, ``/dev/zero`` never ends; symlinks are followed)
    and a file over :data:`MAX_DOCUMENT_BYTES`.  ``OSError`` (missing,
    unreadable) propagates for the caller to word.
    """
    # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InvalidMetadata(f"{path}: is a directory, expected a JSON file")
        if not stat.S_ISREG(mode):
            raise InvalidMetadata(f"{path}: not a regular file (a FIFO, socket or device), expected a JSON file")
        raw = fh.read(MAX_DOCUMENT_BYTES + 1)
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InvalidMetadata(f"{path}: larger than {MAX_DOCUMENT_BYTES >> 20} MiB; no variants index is that large")
    return raw


SCHEMA_PROVIDERS = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
SCHEMA_PEP825 = "https://variants-schema.wheelnext.dev/peps/825/v0.1.1.json"
SCHEMA_VARIANTLIB = "https://variants-schema.wheelnext.dev/v0.2.0.json"
KNOWN_SCHEMAS = (SCHEMA_PROVIDERS, SCHEMA_PEP825, SCHEMA_VARIANTLIB)

#: ``--metadata-format`` values and the schema each one writes.
FORMATS = {"providers": SCHEMA_PROVIDERS, "pep825": SCHEMA_PEP825}
DEFAULT_FORMAT = "providers"

_PLUGIN_API_RE = re.compile(r"^\s*[A-Za-z_][\w.]*(\s*:\s*[A-Za-z_][\w.]*)?\s*$")

_PROVIDER_KEYS = (
    "requires",
    "plugin-api",
    "static-properties",
    "feature-order",
    "builtin",
    "optional",
    "build-requires",
)


def _str_list(value: Any, where: str, *, nonempty: bool = True, unique: bool = True) -> List[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InvalidMetadata(f"{where}: expected a list of strings, got {value!r}")
    if nonempty and not value:
        raise InvalidMetadata(f"{where}: the list is empty")
    for item in value:
        if not isinstance(item, str):
            raise InvalidMetadata(f"{where}: {item!r} is not a string")
    if unique and len(set(value)) != len(value):
        raise InvalidMetadata(f"{where}: entries are not unique: {list(value)!r}")
    return list(value)


def _match_all(items: Iterable[str], regex: re.Pattern[str], where: str, what: str) -> None:
    for item in items:
        if not isinstance(item, str) or not regex.fullmatch(item):
            raise InvalidMetadata(f"{where}: {what} {item!r} is invalid (allowed: {regex.pattern})")


class _DuplicateKey(Exception):
    pass


def _reject_duplicate_keys(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


@dataclass(frozen=True)
class Provider:
    """One ``providers.<namespace>`` entry.

    Exactly one of ``requires``, ``static_properties``, ``builtin`` (or, in
    pyproject.toml only, ``build_requires``) is set.
    """

    requires: Tuple[str, ...] = ()
    plugin_api: Optional[str] = None
    static_properties: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    feature_order: Tuple[str, ...] = ()
    builtin: Optional[str] = None
    optional: bool = False
    build_requires: Tuple[str, ...] = ()

    @property
    def static(self) -> Dict[str, List[str]]:
        """``static-properties`` as a dict (feature -> values in preference order)."""
        return {k: list(v) for k, v in self.static_properties}

    @property
    def kind(self) -> str:
        if self.requires:
            return "requires"
        if self.static_properties:
            return "static-properties"
        if self.builtin is not None:
            return "builtin"
        return "build-requires"

    def features_in_order(self) -> List[str]:
        """Feature preference order for static providers (``feature-order`` or the one feature)."""
        if self.feature_order:
            return list(self.feature_order)
        return [k for k, _ in self.static_properties]

    @classmethod
    def from_json(cls, data: Any, where: str, *, allow_build_requires: bool = False) -> "Provider":
        if not isinstance(data, Mapping):
            raise InvalidMetadata(f"{where}: expected a table, got {data!r}")
        for key in data:
            if key not in _PROVIDER_KEYS:
                raise InvalidMetadata(
                    f"{where}.{key}: unknown key (allowed: {', '.join(_PROVIDER_KEYS)})"
                )
        requires = tuple(_str_list(data["requires"], f"{where}.requires")) if "requires" in data else ()
        build_requires = (
            tuple(_str_list(data["build-requires"], f"{where}.build-requires"))
            if "build-requires" in data
            else ()
        )
        if build_requires and not allow_build_requires:
            raise InvalidMetadata(
                f"{where}.build-requires: only allowed in pyproject.toml; a wheel records "
                "the plugin's answer as static-properties instead"
            )
        from packaging.requirements import InvalidRequirement, Requirement

        for key, reqs in (("requires", requires), ("build-requires", build_requires)):
            for req in reqs:
                if not req.strip():
                    raise InvalidMetadata(f"{where}.{key}: empty requirement")
                try:
                    Requirement(req)
                except InvalidRequirement as exc:
                    # packaging's message spans three lines (text, echo, caret): keep the first.
                    reason = str(exc).splitlines()[0] if str(exc) else "unparsable"
                    raise InvalidMetadata(
                        f"{where}.{key}: requirement {req!r} is invalid: {reason}"
                    ) from None
        plugin_api = data.get("plugin-api")
        if plugin_api is not None:
            if not isinstance(plugin_api, str) or not plugin_api.strip():
                raise InvalidMetadata(f"{where}.plugin-api: expected 'module:attr', got {plugin_api!r}")
            if not _PLUGIN_API_RE.fullmatch(plugin_api):
                raise InvalidMetadata(f"{where}.plugin-api: {plugin_api!r} is not 'module' or 'module:attr'")
            if not (requires or build_requires):
                raise InvalidMetadata(f"{where}.plugin-api: only valid together with requires")
        static: List[Tuple[str, Tuple[str, ...]]] = []
        if "static-properties" in data:
            raw = data["static-properties"]
            if not isinstance(raw, Mapping) or not raw:
                raise InvalidMetadata(
                    f"{where}.static-properties: expected a non-empty table of feature = [values]"
                )
            for feature, values in raw.items():
                fwhere = f"{where}.static-properties.{feature}"
                _match_all([feature], FEATURE_RE, fwhere, "feature")
                vals = _str_list(values, fwhere)
                _match_all(vals, VALUE_RE, fwhere, "value")
                static.append((feature, tuple(vals)))
        feature_order: Tuple[str, ...] = ()
        if "feature-order" in data:
            if not static:
                raise InvalidMetadata(f"{where}.feature-order: only valid with static-properties")
            feature_order = tuple(_str_list(data["feature-order"], f"{where}.feature-order"))
            if set(feature_order) != {f for f, _ in static}:
                raise InvalidMetadata(
                    f"{where}.feature-order: must list exactly the features of static-properties "
                    f"({', '.join(sorted(f for f, _ in static))}), got {list(feature_order)!r}"
                )
        elif len(static) > 1:
            raise InvalidMetadata(
                f"{where}.feature-order: required when static-properties has more than one "
                f"feature ({', '.join(f for f, _ in static)}): say which is preferred"
            )
        builtin = data.get("builtin")
        if builtin is not None and (not isinstance(builtin, str) or not builtin):
            raise InvalidMetadata(f"{where}.builtin: expected a non-empty string, got {builtin!r}")
        optional = data.get("optional", False)
        if not isinstance(optional, bool):
            raise InvalidMetadata(f"{where}.optional: expected true or false, got {optional!r}")
        kinds = [bool(requires), bool(static), builtin is not None, bool(build_requires)]
        if kinds.count(True) != 1:
            raise InvalidMetadata(
                f"{where}: exactly one of requires, static-properties, builtin"
                f"{' or build-requires' if allow_build_requires else ''} must be given"
            )
        return cls(
            requires=requires,
            plugin_api=plugin_api.strip() if plugin_api else None,
            static_properties=tuple(static),
            feature_order=feature_order,
            builtin=builtin,
            optional=optional,
            build_requires=build_requires,
        )

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        if self.requires:
            out["requires"] = list(self.requires)
        if self.plugin_api is not None:
            out["plugin-api"] = self.plugin_api
        if self.static_properties:
            out["static-properties"] = {k: list(v) for k, v in self.static_properties}
        if self.feature_order:
            out["feature-order"] = list(self.feature_order)
        if self.builtin is not None:
            out["builtin"] = self.builtin
        if self.optional:
            out["optional"] = True
        if self.build_requires:
            out["build-requires"] = list(self.build_requires)
        return out


@dataclass
class VariantDocument:
    """A variant.json (one variant) or variants.json (all variants of a release).

    ``variants`` maps label -> description; ``null`` maps to the empty one.
    ``providers`` is empty in the pep825 format.
    """

    schema: str = SCHEMA_PROVIDERS
    default_priorities: List[str] = field(default_factory=list)
    providers: Dict[str, Provider] = field(default_factory=dict)
    variants: Dict[str, VariantDescription] = field(default_factory=dict)

    # -- reading ----------------------------------------------------------------
    @classmethod
    def loads(cls, raw: bytes | str, *, source: str = "variant.json") -> "VariantDocument":
        """Parse and validate JSON text; errors name ``source`` and the key path."""
        try:
            data = json.loads(raw, object_pairs_hook=_reject_duplicate_keys)
        except _DuplicateKey as exc:
            raise InvalidMetadata(
                f"{source}: key {exc.args[0]!r} appears twice in one JSON object; "
                "readers would silently keep only one of them"
            ) from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidMetadata(f"{source}: not valid JSON: {exc}") from None
        except RecursionError:
            raise InvalidMetadata(f"{source}: JSON nested too deeply to read (no variant document nests so deep)") from None
        try:
            return cls.from_json(data, source=source)
        except RecursionError:  # e.g. a deep value inside a key that validation prints
            raise InvalidMetadata(f"{source}: JSON nested too deeply to read (no variant document nests so deep)") from None

    @classmethod
    def from_json(cls, data: Any, *, source: str = "variant.json") -> "VariantDocument":
        if not isinstance(data, Mapping):
            raise InvalidMetadata(f"{source}: expected a JSON object at the top level")
        schema = data.get("$schema")
        if schema is None:
            raise InvalidMetadata(f"{source}: '$schema' is missing (expected one of {', '.join(KNOWN_SCHEMAS)})")
        if schema not in KNOWN_SCHEMAS:
            raise InvalidMetadata(
                f"{source}: unknown '$schema' {schema!r} (known: {', '.join(KNOWN_SCHEMAS)})"
            )
        allowed = {"$schema", "default-priorities", "variants"}
        if schema != SCHEMA_PEP825:
            allowed.add("providers")
        for key in data:
            if key not in allowed:
                extra = " (the pep825 format has no 'providers')" if key == "providers" else ""
                raise InvalidMetadata(f"{source}: unknown top-level key {key!r}{extra}")
        prio = data.get("default-priorities")
        if not isinstance(prio, Mapping):
            raise InvalidMetadata(f"{source}: 'default-priorities' must be an object with 'namespace'")
        for key in prio:
            if key != "namespace":
                raise InvalidMetadata(f"{source}: default-priorities: unknown key {key!r}")
        namespaces = _str_list(prio.get("namespace"), f"{source}: default-priorities.namespace")
        _match_all(namespaces, NAMESPACE_RE, f"{source}: default-priorities.namespace", "namespace")
        providers: Dict[str, Provider] = {}
        if schema != SCHEMA_PEP825:
            raw_providers = data.get("providers")
            if not isinstance(raw_providers, Mapping):
                raise InvalidMetadata(f"{source}: 'providers' must be an object (namespace -> provider)")
            for namespace, entry in raw_providers.items():
                _match_all([namespace], NAMESPACE_RE, f"{source}: providers", "namespace")
                providers[namespace] = Provider.from_json(entry, f"{source}: providers.{namespace}")
            if set(providers) != set(namespaces):
                raise InvalidMetadata(
                    f"{source}: default-priorities.namespace {namespaces!r} must list exactly the "
                    f"namespaces of providers {sorted(providers)!r}"
                )
        raw_variants = data.get("variants")
        if not isinstance(raw_variants, Mapping):
            raise InvalidMetadata(f"{source}: 'variants' must be an object (label -> properties)")
        variants: Dict[str, VariantDescription] = {}
        for label, props in raw_variants.items():
            where = f"{source}: variants.{label}"
            try:
                validate_label(label)
            except ValueError as exc:
                raise InvalidMetadata(f"{where}: {exc}") from None
            try:
                desc = VariantDescription.from_mapping(props, where=where)
            except InvalidProperty as exc:
                raise InvalidMetadata(f"{where}: {exc}") from None
            if (label == NULL_LABEL) != desc.is_null:
                raise InvalidMetadata(
                    f"{where}: label 'null' is reserved for the empty property set, "
                    "and the empty set must be labelled 'null'"
                )
            for namespace in desc.namespaces():
                if namespace not in namespaces:
                    raise InvalidMetadata(
                        f"{where}: namespace {namespace!r} is not listed in default-priorities.namespace"
                    )
            variants[label] = desc
        doc = cls(schema, namespaces, providers, variants)
        doc.check_static_values(source)
        return doc

    def check_static_values(self, source: str = "variant.json") -> None:
        """Values of a static-properties namespace must be among the declared values."""
        for label, desc in self.variants.items():
            for prop in desc:
                provider = self.providers.get(prop.namespace)
                if provider is None or not provider.static_properties:
                    continue
                allowed = provider.static.get(prop.feature)
                if allowed is None:
                    raise InvalidMetadata(
                        f"{source}: variants.{label}: feature {prop.namespace}::{prop.feature} is "
                        f"not declared in providers.{prop.namespace}.static-properties"
                    )
                if prop.value not in allowed:
                    raise InvalidMetadata(
                        f"{source}: variants.{label}: value {str(prop)!r} is not among "
                        f"providers.{prop.namespace}.static-properties.{prop.feature} {allowed!r}"
                    )

    # -- views --------------------------------------------------------------------
    @property
    def format(self) -> str:
        return "pep825" if self.schema == SCHEMA_PEP825 else "providers"

    def single(self, expected_label: Optional[str] = None, *, source: str = "variant.json") -> Tuple[str, VariantDescription]:
        """The one ``(label, description)`` of a wheel's variant.json."""
        if len(self.variants) != 1:
            raise InvalidMetadata(
                f"{source}: 'variants' must hold exactly one entry in a wheel, found {len(self.variants)}"
            )
        label, desc = next(iter(self.variants.items()))
        if expected_label is not None and label != expected_label:
            raise InvalidMetadata(
                f"{source}: its label {label!r} differs from the filename's label {expected_label!r}"
            )
        return label, desc

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "$schema": self.schema,
            "default-priorities": {"namespace": list(self.default_priorities)},
            "variants": {label: desc.to_mapping() for label, desc in self.variants.items()},
        }
        if self.schema != SCHEMA_PEP825:
            data["providers"] = {ns: p.to_json() for ns, p in self.providers.items()}
        return data

    def same_content(self, other: "VariantDocument") -> bool:
        """True when both say the same thing; variantlib's schema URL reads as the providers one.

        variantlib 0.2.2 writes ``v0.2.0.json`` for the shape varwheel calls the
        providers format, so an index or variant.json written by it is not
        "different" from ours for that reason alone.
        """

        def canonical(doc: "VariantDocument") -> Dict[str, Any]:
            data = doc.to_json()
            if data["$schema"] == SCHEMA_VARIANTLIB:
                data["$schema"] = SCHEMA_PROVIDERS
            return data

        return canonical(self) == canonical(other)

    def dumps(self) -> bytes:
        """Byte-stable serialization (sorted keys, 4-space indent, trailing newline)."""
        text = json.dumps(self.to_json(), indent=4, sort_keys=True, ensure_ascii=False)
        return (text + "\n").encode("utf-8")

    # -- construction -----------------------------------------------------------
    @classmethod
    def for_variant(
        cls,
        label: str,
        desc: VariantDescription,
        *,
        providers: Mapping[str, Provider],
        default_priorities: Sequence[str],
        metadata_format: str = DEFAULT_FORMAT,
    ) -> "VariantDocument":
        """A wheel's variant.json; validates like :meth:`from_json` would."""
        if metadata_format not in FORMATS:
            raise InvalidMetadata(
                f"unknown metadata format {metadata_format!r} (choose {' or '.join(FORMATS)})"
            )
        desc.check_label(label)
        schema = FORMATS[metadata_format]
        priorities = list(default_priorities)
        if not priorities:
            priorities = desc.namespaces()
        doc = cls(
            schema,
            priorities,
            dict(providers) if schema != SCHEMA_PEP825 else {},
            {label: desc},
        )
        # Round-trip through the reader: one validation path for what we write and read.
        return cls.from_json(json.loads(doc.dumps()), source=f"variant.json for {label!r}")

    def copy(self) -> "VariantDocument":
        return VariantDocument(self.schema, list(self.default_priorities), dict(self.providers), dict(self.variants))


def merge_documents(docs: Sequence[Tuple[str, VariantDocument]]) -> VariantDocument:
    """Merge variant documents (``(source name, doc)`` pairs) per spec section 6.

    Namespace priority lists must be equal or prefixes of one another (the
    longest wins); a label seen twice must map to the same properties; a
    provider seen twice must be identical; all documents must use one format.
    Raises :class:`InconsistentVariants` naming the sources involved.
    """
    if not docs:
        raise InvalidMetadata("nothing to merge")
    first_source, first = docs[0]
    merged = first.copy()
    if merged.schema == SCHEMA_VARIANTLIB:
        merged.schema = SCHEMA_PROVIDERS
    prio_source = first_source
    label_source = {label: first_source for label in merged.variants}
    provider_source = {ns: first_source for ns in merged.providers}
    for source, doc in docs[1:]:
        if (doc.schema == SCHEMA_PEP825) != (merged.schema == SCHEMA_PEP825):
            raise InconsistentVariants(
                f"{source} uses the {doc.format} metadata format but {first_source} uses "
                f"{first.format}: rebuild them with one --metadata-format"
            )
        a, b = merged.default_priorities, list(doc.default_priorities)
        short, long_ = (a, b) if len(a) <= len(b) else (b, a)
        if long_[: len(short)] != short:
            raise InconsistentVariants(
                f"default-priorities.namespace differ: {a!r} in {prio_source} vs {b!r} in {source} "
                "(one must be a prefix of the other); give every wheel the same order, e.g. with "
                "--pyproject-toml and a [variant.default-priorities] table"
            )
        if len(b) > len(a):
            merged.default_priorities = b
            prio_source = source
        for label, desc in doc.variants.items():
            old = merged.variants.get(label)
            if old is None:
                merged.variants[label] = desc
                label_source[label] = source
            elif old != desc:
                raise InconsistentVariants(
                    f"label {label!r} maps to different properties: {old.strings()!r} in "
                    f"{label_source[label]} vs {desc.strings()!r} in {source}"
                )
        for namespace, provider in doc.providers.items():
            old_p = merged.providers.get(namespace)
            if old_p is None:
                merged.providers[namespace] = provider
                provider_source[namespace] = source
            elif old_p != provider:
                raise InconsistentVariants(
                    f"providers.{namespace} differs: {old_p.to_json()!r} in "
                    f"{provider_source[namespace]} vs {provider.to_json()!r} in {source}"
                )
    if merged.schema != SCHEMA_PEP825 and set(merged.providers) != set(merged.default_priorities):
        raise InconsistentVariants(
            f"merged providers {sorted(merged.providers)!r} do not match merged "
            f"default-priorities.namespace {merged.default_priorities!r}"
        )
    merged.variants = dict(sorted(merged.variants.items()))
    return merged
