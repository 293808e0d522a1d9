"""``variant.json`` and ``{name}-{version}-variants.json`` documents (spec sections 4 and 6).

One class, :class:`VariantDocument`, models both: a wheel's ``variant.json``
holds exactly one entry under ``variants``; an index file holds every label of
a release.  Two formats are written (``providers``, the default, and
``pep825``); three schema URLs are read (those two and variantlib's
``v0.2.0.json``).

Serialization is byte-stable: UTF-8, keys sorted, 4-space indent (what
variantlib emits), one trailing newline.  The same document always gives the
same bytes, which keeps rewritten wheels reproducible.

Reading follows uv 0.13.9, the installer whose choice varwheel predicts:
what uv rejects (an unknown key anywhere, a namespace the priorities do not
list, ...) is :class:`InvalidMetadata`, because uv then cannot use the
release at all.  What uv accepts although the drafts would not (an unknown
``$schema`` URL whose document has the right shape, a value outside a
provider's ``static-properties``, a namespace mapped to ``{}``) is read and
recorded as a :class:`DocumentFinding` on :attr:`VariantDocument.findings`,
for ``check`` and ``select --explain`` to report.  Writers read back what they
write with ``strict=True``, which raises on the first finding instead: the
same rule raises or is collected at the call site, written once
(:func:`static_value_findings` is the static-properties rule for documents
and pyproject.toml alike).
"""

from __future__ import annotations

import json
import os
import re
import stat
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from varwheel.errors import InvalidMetadata, InvalidProperty
from varwheel.model.properties import (
    FEATURE_RE,
    NAMESPACE_RE,
    NULL_LABEL,
    VALUE_RE,
    VariantDescription,
    validate_label,
)
from varwheel.model.requirements import RequirementError, parse_requirement

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass, field
else:
    from varwheel.model.values import dataclass, field

__all__ = [
    "UV",
    "SCHEMA_PROVIDERS",
    "SCHEMA_PEP825",
    "SCHEMA_VARIANTLIB",
    "KNOWN_SCHEMAS",
    "FORMATS",
    "DEFAULT_FORMAT",
    "DocumentFinding",
    "Provider",
    "VariantDocument",
    "static_value_findings",
    "unknown_keys",
    "parse_json",
    "UV_TOP_KEYS",
    "UV_PRIORITY_KEYS",
    "UV_PROVIDER_KEYS",
    "UV_PROVIDER_KINDS",
    "read_document_file",
    "MAX_DOCUMENT_BYTES",
]

#: The installer whose reading this module follows, as messages name it: every statement about
#: what uv does was measured against this version (docs/machine-side.md).  The one place it is written.
UV = "uv 0.13.9"

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

#: The keys uv 0.13.9 accepts, level by level (its reader denies unknown fields): any other key
#: anywhere fails the whole document, and with it the release.  The one copy of that rule
#: (``check``'s ``unknown-key`` and ``model.drafts`` use it too).
UV_TOP_KEYS = ("$schema", "default-priorities", "variants", "providers")
UV_PRIORITY_KEYS = ("namespace",)
#: Provider kinds: (kind, the key that makes it, the keys it may add); ``optional`` goes with any.
UV_PROVIDER_KINDS: Tuple[Tuple[str, str, Tuple[str, ...]], ...] = (
    ("static-properties", "static-properties", ("feature-order",)),
    ("requires", "requires", ("plugin-api",)),
    ("builtin", "builtin", ()),
)
UV_PROVIDER_KEYS = ("optional",) + tuple(k for _, key, extra in UV_PROVIDER_KINDS for k in (key, *extra))
#: pyproject.toml's provider tables may also name a plugin run at build time.
_PROVIDER_KEYS = UV_PROVIDER_KEYS + ("build-requires",)


def unknown_keys(data: Any) -> List[str]:
    """Key paths of parsed JSON that uv 0.13.9 does not know, in document order.

    Only the top level, ``default-priorities`` and each provider entry have a
    fixed set of keys (``variants`` holds names, not keys).
    """
    if not isinstance(data, Mapping):
        return []
    found = [str(key) for key in data if key not in UV_TOP_KEYS]
    prio = data.get("default-priorities")
    if isinstance(prio, Mapping):
        found += [f"default-priorities.{key}" for key in prio if key not in UV_PRIORITY_KEYS]
    providers = data.get("providers")
    if isinstance(providers, Mapping):
        for namespace, entry in providers.items():
            if isinstance(entry, Mapping):
                found += [f"providers.{namespace}.{key}" for key in entry if key not in UV_PROVIDER_KEYS]
    return found


class DocumentFinding(NamedTuple):
    """Something the drafts forbid but uv 0.13.9 accepts, found while reading a document.

    ``code`` is stable (``check`` reports it as is); ``where`` names the source
    and key path; ``message`` says what uv does with it and what would be right.
    """

    code: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


#: Where findings go while a document is read: a list collects them; ``None`` (strict) raises the first.
Findings = Optional[List[DocumentFinding]]


def _found(findings: Findings, code: str, where: str, message: str) -> None:
    if findings is None:
        raise InvalidMetadata(f"{where}: {message}")
    findings.append(DocumentFinding(code, where, message))


def static_value_findings(
    providers: Mapping[str, "Provider"],
    variants: Mapping[str, VariantDescription],
    source: str,
    *,
    prefix: str = "",
) -> List[DocumentFinding]:
    """The static-properties rule: a static namespace's values must be among the declared ones.

    uv 0.13.9 reads such a document and simply finds the value unsupported,
    so the variant is never selected.  Documents collect this (``check``
    reports it); pyproject.toml and writers raise it.  ``prefix`` is the
    table the keys live under (``"variant."`` in pyproject.toml).
    """
    found: List[DocumentFinding] = []
    for label, desc in variants.items():
        for prop in desc:
            provider = providers.get(prop.namespace)
            if provider is None or not provider.static_properties:
                continue
            where = f"{source}: {prefix}variants.{label}.{prop.namespace}.{prop.feature}"
            table = f"{prefix}providers.{prop.namespace}.static-properties"
            allowed = provider.static.get(prop.feature)
            if allowed is None:
                found.append(DocumentFinding(
                    "static-value-undeclared", where,
                    f"feature {prop.feature!r} is not declared in {table} (declared: "
                    f"{', '.join(provider.static)}); installers never find it supported"))
            elif prop.value not in allowed:
                found.append(DocumentFinding(
                    "static-value-undeclared", where,
                    f"{prop.value!r} is not among {table}.{prop.feature} {allowed!r}; installers never "
                    "find it supported, so this variant is never selected"))
    return found


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


def parse_json(raw: "bytes | str", *, source: str) -> Any:
    """JSON text of a variant document, whatever its draft, parsed (validation is the caller's).

    A key twice in one object is refused (readers would silently keep one of
    them), as are text that is not JSON and nesting too deep to read; each
    raises :class:`InvalidMetadata` naming ``source``.
    """
    try:
        return json.loads(raw, object_pairs_hook=_reject_duplicate_keys)
    except _DuplicateKey as exc:
        raise InvalidMetadata(
            f"{source}: key {exc.args[0]!r} appears twice in one JSON object; "
            "readers would silently keep only one of them"
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidMetadata(f"{source}: not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidMetadata(f"{source}: JSON nested too deeply to read (no variant document nests so deep)") from None


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
    #: A ``requires`` entry was given (it may list nothing, which uv accepts and can never match).
    plugin: bool = False

    def __post_init__(self) -> None:
        if self.requires and not self.plugin:
            object.__setattr__(self, "plugin", True)
        # Features in name order: their preference is ``feature_order`` (required when there are several),
        # and documents are written with sorted keys, so a provider read back must equal the one written.
        object.__setattr__(self, "static_properties", tuple(sorted(self.static_properties, key=lambda item: item[0])))

    @property
    def static(self) -> Dict[str, List[str]]:
        """``static-properties`` as a dict (feature -> values in preference order)."""
        return {k: list(v) for k, v in self.static_properties}

    @property
    def kind(self) -> str:
        if self.plugin:
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
    def from_json(cls, data: Any, where: str, *, allow_build_requires: bool = False,
                  findings: Findings = None) -> "Provider":
        """Validate one provider entry.

        ``findings``: a list collects what uv 0.13.9 accepts although the
        drafts do not (an empty or unparsable ``requires``, a malformed
        ``plugin-api``: uv keeps the document and skips the provider); ``None``
        raises on them.
        """
        if not isinstance(data, Mapping):
            raise InvalidMetadata(f"{where}: expected a table, got {data!r}")
        for key in data:
            if key not in _PROVIDER_KEYS:
                raise InvalidMetadata(
                    f"{where}.{key}: unknown key (allowed: {', '.join(_PROVIDER_KEYS)})"
                )
        requires: Tuple[str, ...] = ()
        if "requires" in data:
            requires = tuple(_str_list(data["requires"], f"{where}.requires", nonempty=False, unique=False))
            if len(set(requires)) != len(requires):
                _found(findings, "provider-unmatched", f"{where}.requires",
                       f"entries are not unique: {list(requires)!r} ({UV} matches a built-in provider "
                       "only to exactly one requirement)")
            if not requires:
                _found(findings, "provider-unmatched", f"{where}.requires",
                       "lists no requirement: no provider can serve this namespace, so installers "
                       f"({UV} included) never select its variants")
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
        for key, reqs in (("requires", requires), ("build-requires", build_requires)):
            for req in reqs:
                try:
                    parse_requirement(req)
                except RequirementError as exc:
                    reason = str(exc)
                    if not req.strip():
                        reason = "it is empty"
                    if key == "build-requires":
                        raise InvalidMetadata(f"{where}.{key}: requirement {req!r} is invalid: {reason}") from None
                    _found(findings, "provider-unmatched", f"{where}.{key}",
                           f"requirement {req!r} is invalid ({reason}): installers cannot match it to a "
                           "provider, so its variants are never selected")
        plugin_api = data.get("plugin-api")
        if plugin_api is not None:
            if not isinstance(plugin_api, str):
                raise InvalidMetadata(f"{where}.plugin-api: expected 'module:attr', got {plugin_api!r}")
            if not (requires or build_requires or "requires" in data):
                raise InvalidMetadata(f"{where}.plugin-api: only valid together with requires")
            if not _PLUGIN_API_RE.fullmatch(plugin_api) or plugin_api != plugin_api.strip():
                _found(findings, "provider-unmatched", f"{where}.plugin-api",
                       f"{plugin_api!r} is not 'module' or 'module:attr': no provider matches it, so its "
                       "variants are never selected")
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
        kinds = ["requires" in data, bool(static), builtin is not None, bool(build_requires)]
        if kinds.count(True) != 1:
            raise InvalidMetadata(
                f"{where}: exactly one of requires, static-properties, builtin"
                f"{' or build-requires' if allow_build_requires else ''} must be given"
            )
        return cls(
            requires=requires,
            plugin_api=plugin_api,
            static_properties=tuple(static),
            feature_order=feature_order,
            builtin=builtin,
            optional=optional,
            build_requires=build_requires,
            plugin="requires" in data,
        )

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        if self.plugin:
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
    #: Whether the document has a ``providers`` table (the pep825 format has none; uv then
    #: evaluates no namespace, so only ``null`` can be installed).
    declares_providers: bool = True
    #: What uv 0.13.9 accepts although the drafts forbid it (see the module docstring).
    findings: List[DocumentFinding] = field(default_factory=list, compare=False)

    def __post_init__(self) -> None:
        if self.schema == SCHEMA_PEP825 and not self.providers:
            self.declares_providers = False

    # -- reading ----------------------------------------------------------------
    @classmethod
    def loads(cls, raw: bytes | str, *, source: str = "variant.json", strict: bool = False) -> "VariantDocument":
        """Parse and validate JSON text; errors name ``source`` and the key path.

        ``strict``: raise on what uv 0.13.9 tolerates (writers reading back what they wrote).
        """
        data = parse_json(raw, source=source)
        try:
            return cls.from_json(data, source=source, strict=strict)
        except RecursionError:  # e.g. a deep value inside a key that validation prints
            raise InvalidMetadata(f"{source}: JSON nested too deeply to read (no variant document nests so deep)") from None

    @classmethod
    def from_json(cls, data: Any, *, source: str = "variant.json", strict: bool = False) -> "VariantDocument":
        """Validate parsed JSON the way uv 0.13.9 does; see the module docstring for ``strict``.

        Raises :class:`InvalidMetadata` for every document uv rejects (its
        ``VariantsJsonWire`` rules: unknown keys anywhere, a priorities list
        that is empty or repeats itself, providers that do not cover exactly
        the listed namespaces, a namespace used but not listed, empty or
        repeated values, properties under ``null``).
        """
        findings: Findings = None if strict else []
        if not isinstance(data, Mapping):
            raise InvalidMetadata(f"{source}: expected a JSON object at the top level")
        schema = data.get("$schema")
        if schema is None:
            raise InvalidMetadata(f"{source}: '$schema' is missing (expected one of {', '.join(KNOWN_SCHEMAS)})")
        if not isinstance(schema, str):
            raise InvalidMetadata(f"{source}: '$schema' must be a string, got {schema!r}")
        for key in data:
            if key not in UV_TOP_KEYS:
                raise InvalidMetadata(
                    f"{source}: unknown top-level key {key!r}: {UV} rejects the document and so "
                    "the whole version, plain wheel included (an older draft? `varwheel upgrade` converts it)"
                )
        prio = data.get("default-priorities")
        if not isinstance(prio, Mapping):
            raise InvalidMetadata(f"{source}: 'default-priorities' must be an object with 'namespace'")
        for key in prio:
            if key not in UV_PRIORITY_KEYS:
                raise InvalidMetadata(
                    f"{source}: default-priorities: unknown key {key!r}: {UV} rejects the document "
                    "(an older draft? `varwheel upgrade` converts it)"
                )
        namespaces = _str_list(prio.get("namespace"), f"{source}: default-priorities.namespace")
        _match_all(namespaces, NAMESPACE_RE, f"{source}: default-priorities.namespace", "namespace")
        providers: Dict[str, Provider] = {}
        declares = "providers" in data
        if declares:
            raw_providers = data.get("providers")
            if not isinstance(raw_providers, Mapping):
                raise InvalidMetadata(f"{source}: 'providers' must be an object (namespace -> provider)")
            for namespace, entry in raw_providers.items():
                _match_all([namespace], NAMESPACE_RE, f"{source}: providers", "namespace")
                providers[namespace] = Provider.from_json(entry, f"{source}: providers.{namespace}", findings=findings)
            if schema == SCHEMA_PEP825:
                _found(findings, "providers-in-pep825", f"{source}: providers",
                       f"the pep825 format has no 'providers' (strict PEP 825 readers reject it; {UV} "
                       "uses it); write the providers format's $schema instead")
        if (declares or schema == SCHEMA_PROVIDERS) and set(providers) != set(namespaces):
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
            if isinstance(props, Mapping):
                empty = [ns for ns, features in props.items() if isinstance(features, Mapping) and not features]
                for namespace in empty:
                    _found(findings, "empty-namespace", f"{where}.{namespace}",
                           f"maps to {{}} (no feature): {UV} drops it and reads the rest of the label; "
                           "remove it")
                if empty:
                    props = {ns: features for ns, features in props.items() if ns not in empty}
            try:
                desc = VariantDescription.from_mapping(props, where=where)
            except InvalidProperty as exc:
                raise InvalidMetadata(f"{where}: {exc}") from None
            if label == NULL_LABEL and not desc.is_null:
                raise InvalidMetadata(f"{where}: label 'null' is reserved for the empty property set")
            if desc.is_null and label != NULL_LABEL:
                _found(findings, "empty-variant", where,
                       f"has no properties but is not labelled 'null': {UV} treats it as always "
                       "compatible and ranks it with the null variant (by label); label it 'null' or "
                       "give it its properties")
            for namespace in desc.namespaces():
                if namespace not in namespaces:
                    raise InvalidMetadata(
                        f"{where}: namespace {namespace!r} is not listed in default-priorities.namespace"
                    )
            variants[label] = desc
        if schema not in KNOWN_SCHEMAS:
            _found(findings, "schema-unknown", f"{source}: $schema",
                   f"{schema!r} is not a schema URL {UV} knows; it reads the document by its shape "
                   f"anyway; write {SCHEMA_PROVIDERS}")
        for finding in static_value_findings(providers, variants, source):
            _found(findings, finding.code, finding.where, finding.message)
        return cls(schema, namespaces, providers, variants, declares, findings or [])

    # -- views --------------------------------------------------------------------
    @property
    def format(self) -> str:
        """``pep825`` (no providers table: uv evaluates nothing) or ``providers``."""
        return "providers" if self.declares_providers else "pep825"

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
        if self.declares_providers:
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
        return cls.from_json(json.loads(doc.dumps()), source=f"variant.json for {label!r}", strict=True)

    def copy(self) -> "VariantDocument":
        return VariantDocument(self.schema, list(self.default_priorities), dict(self.providers), dict(self.variants),
                               self.declares_providers, list(self.findings))
