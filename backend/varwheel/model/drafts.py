"""Which draft a variant document follows, what uv 0.13.9 does with it, and converting older drafts.

Variant metadata is online in several drafts (spec sections 4 and 7a): the
current ``providers`` format (PEP 850 schema URL, or variantlib 0.2's own URL
for the same shape), ``pep825`` (no providers), and the PEP 817-era drafts
(``$schema`` ``.../v0.0.2.json``, ``.../v0.0.3.json`` or the bare
``https://variants-schema.wheelnext.dev/``) that real publishers used for
numpy, torch, the CUDA libraries and others.

:func:`read_draft` names the draft from ``$schema`` and says, with reasons
that name the key path, what uv 0.13.9 does with the document:

``uses``
    uv parses it and evaluates at least one of its namespaces (a built-in
    provider it matches, or ``static-properties``), so it can choose a variant.
``ignores``
    uv parses it but can evaluate none of its namespaces (no ``providers``,
    or only plugins it does not run): it installs only the null variant or
    the plain wheel.
``fails-version``
    uv cannot parse it.  uv's reader refuses any key it does not know, at any
    level, so nearly every PEP 817-era file fails: as an index file, or as
    the ``variant.json`` of the wheel uv picks, this makes the whole release
    uninstallable, plain wheel included (tests/test_corpus.py measures it on
    every published file; two of them happen to use only keys uv knows, and
    uv reads those).

uv's reader is modelled once, by :meth:`VariantDocument.from_json` (read
leniently: what uv tolerates becomes a finding): what it refuses, uv cannot
read, and the reasons are every key uv does not know
(:func:`~varwheel.model.document.unknown_keys`: top level ``$schema``,
``default-priorities`` with ``namespace`` only, ``variants`` and an optional
``providers``, each provider one of ``static-properties`` (+
``feature-order``), ``requires`` (+ ``plugin-api``) or ``builtin``, plus
``optional``), or else the first thing the reader refused.  An unknown
``$schema`` is only logged when the keys fit.

:func:`upgrade_document` converts the older drafts to the current providers
format, keeping what the publisher meant, and lists every change as a line
for people; what cannot be converted raises :class:`UpgradeRefused` naming
the key.  The rules (docs/upgrade.md lists them for users):

* ``$schema`` becomes the providers URL;
* ``enable-if`` (a marker), ``install-time: true`` and ``plugin-use: all``
  are removed, and the change line quotes what was there;
* a provider that was not run at install time (``install-time: false``,
  ``plugin-use: build`` or ``none``) becomes a ``static-properties`` provider:
  its values come from the top-level ``static-properties`` table or, in
  v0.0.2, from ``default-priorities.property`` (what variantlib offered as
  "package-defined properties"), in the publisher's preference order
  (``default-priorities.property`` first, as variantlib ranked them), with
  ``feature-order`` from ``default-priorities.feature`` when there are
  several features.  torch's ``priority :: order :: 1|2|3`` namespace
  (``plugin-use: none``, ``requires: []``) is this case: PyTorch's repackaging
  configs declare it with ``property.priority.order = ["1", "2", "3"]`` and
  the next release (variant-repack's torch 2.10 config) spells the same thing
  as ``install-time: false`` with a top-level ``static-properties`` table;
* requirement names the built-in providers replaced
  (``provider-variant-x86-64``, ``provider-variant-aarch64``) are renamed, the
  old ``plugin-api`` is replaced by what :func:`~varwheel.model.builtins.builtin_for`
  accepts, and a version specifier that excludes uv's built-in version
  (``nvidia-variant-provider>=0.0.2,<1.0.0``) is dropped;
* ``default-priorities.feature`` / ``.property`` orders for a namespace whose
  provider decides its own order (a built-in or a plugin) cannot be
  expressed: a change line says so;
* the old null label ``00000000`` becomes ``null``; a namespace mapped to
  ``{}`` in a variant is dropped (uv drops it too);
* a ``$schema`` no draft uses, on a document already in the current shape
  (which uv reads anyway), becomes the providers URL.

The result is validated by :meth:`VariantDocument.from_json`, before and
after it is written out as JSON; what uv tolerates in it (a value outside a static list,
an empty variant not labelled ``null``: the publisher's data, kept) becomes a
``note:`` change line.  A document already in a current format comes back
unchanged, with no change lines.  Pure: no I/O.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Mapping, Optional, Tuple

from varwheel.errors import InvalidMetadata
from varwheel.model.builtins import BUILTINS, UV, BuiltinProvider, builtin_for
from varwheel.model.document import (
    SCHEMA_PEP825,
    SCHEMA_PROVIDERS,
    SCHEMA_VARIANTLIB,
    Provider,
    VariantDocument,
    parse_json,
    unknown_keys,
)
from varwheel.model.filename import normalize_dist_name
from varwheel.model.properties import NULL_LABEL

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass
else:
    from varwheel.model.values import dataclass

__all__ = [
    "Draft",
    "UvOutcome",
    "DraftReading",
    "UpgradeRefused",
    "SCHEMA_V002",
    "SCHEMA_V003",
    "SCHEMA_WHEELNEXT_BARE",
    "LEGACY_DRAFTS",
    "OLD_NULL_LABEL",
    "LEGACY_PROVIDER_NAMES",
    "draft_of_schema",
    "load_json",
    "read_draft",
    "upgrade_document",
]

Draft = Literal["providers", "pep825", "variantlib", "v0.0.2", "v0.0.3", "wheelnext-bare", "unknown"]
UvOutcome = Literal["uses", "ignores", "fails-version"]

SCHEMA_V002 = "https://variants-schema.wheelnext.dev/v0.0.2.json"
SCHEMA_V003 = "https://variants-schema.wheelnext.dev/v0.0.3.json"
SCHEMA_WHEELNEXT_BARE = "https://variants-schema.wheelnext.dev/"

#: The PEP 817-era drafts :func:`upgrade_document` converts.
LEGACY_DRAFTS: Tuple[Draft, ...] = ("v0.0.2", "v0.0.3", "wheelnext-bare")
#: Drafts varwheel reads and writes today: nothing to convert.
_CURRENT_DRAFTS: Tuple[Draft, ...] = ("providers", "pep825", "variantlib")

#: The null variant's label in early drafts (the "hash" of no properties).
OLD_NULL_LABEL = "00000000"

#: Legacy requirement name (normalized) -> namespace of the uv built-in that replaced the plugin.
LEGACY_PROVIDER_NAMES: Dict[str, str] = {
    "provider-variant-x86-64": "x86_64",
    "provider-variant-aarch64": "aarch64",
}

_SCHEMAS: Dict[str, Draft] = {
    SCHEMA_PROVIDERS: "providers",
    SCHEMA_PEP825: "pep825",
    SCHEMA_VARIANTLIB: "variantlib",
    SCHEMA_V002: "v0.0.2",
    SCHEMA_V003: "v0.0.3",
    SCHEMA_WHEELNEXT_BARE: "wheelnext-bare",
    SCHEMA_WHEELNEXT_BARE.rstrip("/"): "wheelnext-bare",
}

_DRAFT_TEXT: Dict[str, str] = {
    "providers": "the current providers format",
    "pep825": "the pep825 format (no providers)",
    "variantlib": "variantlib 0.2's providers format",
    "v0.0.2": "the v0.0.2 draft (PEP 817 era)",
    "v0.0.3": "the v0.0.3 draft (PEP 817 era)",
    "wheelnext-bare": "a PEP 817-era draft (bare schema URL)",
}

# What the PEP 817-era drafts allowed, and so what :func:`upgrade_document` understands.
_LEGACY_TOP = ("$schema", "default-priorities", "providers", "variants", "static-properties")
_LEGACY_PRIORITY_KEYS = ("namespace", "feature", "property")
_LEGACY_PROVIDER_KEYS = (
    "requires", "plugin-api", "enable-if", "install-time", "plugin-use", "optional",
    "static-properties", "feature-order",
)
_PLUGIN_USES = ("all", "build", "none")


class UpgradeRefused(InvalidMetadata):
    """A document (or a part of it) that :func:`upgrade_document` cannot convert; the message names the key and why."""


def draft_of_schema(schema: Any) -> Draft:
    """The draft a ``$schema`` value names (``unknown`` for anything else, a missing one included)."""
    if isinstance(schema, str):
        return _SCHEMAS.get(schema, "unknown")
    return "unknown"


def load_json(raw: "bytes | str", *, source: str) -> Any:
    """Parse a variant document's JSON text, whatever its draft (:func:`varwheel.model.document.parse_json`)."""
    return parse_json(raw, source=source)


# -- reading ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DraftReading:
    """What :func:`read_draft` found.

    ``draft``: from ``$schema``; ``schema``: its value (``None`` when missing
    or not a string); ``uv``: what uv 0.13.9 does with the document;
    ``reasons``: why, one sentence each, naming the key path (for ``uses``,
    the namespaces uv skips; for ``ignores``, why each is skipped; for
    ``fails-version``, every key uv's reader refuses).
    """

    draft: Draft
    schema: Optional[str]
    uv: UvOutcome
    reasons: Tuple[str, ...]
    #: namespaces uv evaluates (``uses`` only), in the document's order.
    evaluated: Tuple[str, ...] = ()
    #: namespaces whose provider uv skips (their reasons come first in ``reasons``).
    skipped: Tuple[str, ...] = ()

    @property
    def legacy(self) -> bool:
        """A PEP 817-era draft, which :func:`upgrade_document` converts."""
        return self.draft in LEGACY_DRAFTS

    def draft_text(self) -> str:
        """The draft in words, with its schema URL: "the v0.0.2 draft (PEP 817 era) (https:...)"."""
        if self.draft == "unknown":
            return f"an unknown schema {self.schema!r}" if self.schema is not None else "a document without '$schema'"
        return f"{_DRAFT_TEXT[self.draft]} ({self.schema})"

    def _reason_text(self, most: int = 3) -> str:
        # A legacy draft's unknown URL gets its own sentence in describe().
        reasons = [r for r in self.reasons if not (self.legacy and r.startswith("$schema "))]
        shown = "; ".join(reasons[:most])
        more = len(reasons) - most
        return shown + (f"; and {more} more" if more > 0 else "")

    def describe(self) -> str:
        """One or two sentences for ``show`` and ``check``."""
        head = self.draft_text()
        head = head[0].upper() + head[1:]
        if self.uv == "fails-version":
            text = (
                f"{head}: {UV} cannot read it ({self._reason_text()}); an index file, or the variant.json of "
                "a wheel it picks, that it cannot read makes the whole release uninstallable, plain wheel included."
            )
            if self.legacy:
                text += " `varwheel upgrade` converts it to the current providers format."
            return text
        if self.uv == "ignores":
            text = (
                f"{head}: {UV} reads it but evaluates none of its namespaces ({self._reason_text()}), "
                "so it installs only the null variant or the plain wheel."
            )
        else:
            text = f"{head}: {UV} reads it and evaluates {', '.join(self.evaluated)}."
            if self.skipped:
                text += (f" It skips {', '.join(self.skipped)} ({self._reason_text(len(self.skipped))}): "
                         "variants needing those are never installed by uv.")
        if self.legacy:
            text += (" uv only logs the schema it does not know, since the keys fit; "
                     "`varwheel upgrade` converts it to the current providers format.")
        return text


#: The ``source`` read_draft gives the reader; its messages start with it, and the reasons drop it.
_READING = "the document"


def _skip_reason(namespace: str, provider: Provider) -> Optional[str]:
    """Why uv skips this provider (``None``: it evaluates it)."""
    where = f"providers.{namespace}"
    if provider.optional:
        return f"{where}: optional, so uv does not use it unless asked"
    if provider.kind == "static-properties":
        return None
    if provider.kind == "builtin":
        return f"{where}: builtin {provider.builtin!r} is not one of uv's built-in providers"
    if not provider.requires:
        return f"{where}.requires: empty, so nothing provides namespace {namespace!r}"
    builtin, why = builtin_for(namespace, provider)
    # builtin_for lists every built-in after a plugin's name: the namespace's own entry is what matters here.
    return None if builtin is not None else f"{where}: {why.split(' (built in: ')[0]}"


def _refusals(data: Any, error: InvalidMetadata) -> Tuple[str, ...]:
    """Why uv cannot read ``data``: every key it does not know, or else what the reader refused first."""
    unknown = unknown_keys(data)
    if unknown:
        return tuple(f"{path}: a key {UV} does not know" for path in unknown)
    message = str(error)
    return (message[len(_READING) + 2:] if message.startswith(f"{_READING}: ") else message,)


def read_draft(data: Any) -> DraftReading:
    """Which draft ``data`` (parsed JSON) follows and what uv 0.13.9 does with it; never raises.

    Read through :meth:`VariantDocument.from_json` (lenient), the one model
    of uv's reader: what it refuses, uv cannot read.
    """
    schema = data.get("$schema") if isinstance(data, Mapping) else None
    schema_text = schema if isinstance(schema, str) else None
    draft = draft_of_schema(schema)
    try:
        doc = VariantDocument.from_json(data, source=_READING)
    except InvalidMetadata as exc:
        return DraftReading(draft, schema_text, "fails-version", _refusals(data, exc))
    reasons: List[str] = []
    if schema_text not in (SCHEMA_PROVIDERS, SCHEMA_PEP825):
        reasons.append(f"$schema {schema_text!r} is not a URL uv knows; it only logs that, since the keys fit")
    if not doc.providers:
        return DraftReading(draft, schema_text, "ignores", (
            "providers: the document has no providers, so uv cannot evaluate any namespace", *reasons))
    evaluated: List[str] = []
    skipped: List[str] = []
    why_skipped: List[str] = []
    for ns in doc.default_priorities:
        why = _skip_reason(ns, doc.providers[ns])
        if why is None:
            evaluated.append(ns)
        else:
            skipped.append(ns)
            why_skipped.append(why)
    outcome: UvOutcome = "uses" if evaluated else "ignores"
    return DraftReading(draft, schema_text, outcome, tuple(why_skipped + reasons), tuple(evaluated), tuple(skipped))


# -- converting ---------------------------------------------------------------------------
class _Converter:
    """One :func:`upgrade_document` run: the input, where errors point, and the change lines."""

    def __init__(self, data: Mapping[str, Any], source: str, draft: Draft) -> None:
        self.data = data
        self.source = source
        self.draft = draft
        self.changes: List[str] = []

    def refuse(self, where: str, why: str) -> UpgradeRefused:
        return UpgradeRefused(f"{self.source}: {where}: {why}")

    # -- small typed readers --------------------------------------------------------
    def table(self, value: Any, where: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.refuse(where, f"expected an object, got {value!r}")
        return value

    def strings(self, value: Any, where: str) -> List[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.refuse(where, f"expected a list of strings, got {value!r}")
        return list(value)

    # -- the document -----------------------------------------------------------------
    def run(self) -> Dict[str, Any]:
        data = self.data
        for key in data:
            if key not in _LEGACY_TOP:
                raise self.refuse(key, f"a top-level key the {self.draft} draft does not define; "
                                       "varwheel cannot tell what it meant, so it converts nothing")
        self.changes.append(f"$schema: {data['$schema']} -> {SCHEMA_PROVIDERS} (the current providers format)")
        prio = self.table(data.get("default-priorities"), "default-priorities")
        for key in prio:
            if key not in _LEGACY_PRIORITY_KEYS:
                raise self.refuse(f"default-priorities.{key}", "a key the PEP 817-era drafts do not define")
        if "namespace" not in prio:
            raise self.refuse("default-priorities.namespace", "missing: the order of namespaces is required")
        namespaces = self.strings(prio["namespace"], "default-priorities.namespace")
        self.feature_prio = {ns: self.strings(v, f"default-priorities.feature.{ns}")
                             for ns, v in self.table(prio.get("feature"), "default-priorities.feature").items()}
        self.property_prio: Dict[str, Dict[str, List[str]]] = {}
        for ns, features in self.table(prio.get("property"), "default-priorities.property").items():
            self.property_prio[ns] = {
                f: self.strings(v, f"default-priorities.property.{ns}.{f}")
                for f, v in self.table(features, f"default-priorities.property.{ns}").items()
            }
        self.top_static: Dict[str, Dict[str, List[str]]] = {}
        for ns, features in self.table(data.get("static-properties"), "static-properties").items():
            self.top_static[ns] = {
                f: self.strings(v, f"static-properties.{ns}.{f}")
                for f, v in self.table(features, f"static-properties.{ns}").items()
            }
        if "static-properties" in data:
            self.changes.append("static-properties (top level): removed; its entries moved into their providers"
                                if any(self.top_static.values()) else "static-properties (top level): empty, removed")
        for key in ("feature", "property"):
            if key in prio:
                given = any(self.feature_prio.values()) if key == "feature" else any(
                    any(v.values()) for v in self.property_prio.values())
                self.changes.append(
                    f"default-priorities.{key}: removed (the current format keeps only default-priorities.namespace)"
                    + ("; the orders it gave are carried as noted below" if given else "; it was empty")
                )
        if "providers" not in data:
            raise self.refuse("providers", "missing: the current format needs a provider for every namespace")
        raw_providers = self.table(data["providers"], "providers")
        providers: Dict[str, Dict[str, Any]] = {}
        for ns, entry in raw_providers.items():
            providers[ns] = self.provider(ns, entry)
        for ns, features in self.top_static.items():
            if features and ns not in raw_providers:
                raise self.refuse(f"static-properties.{ns}", "lists properties for a namespace without a provider")
        for ns in self.feature_prio:
            if ns not in raw_providers and self.feature_prio[ns]:
                self.changes.append(f"default-priorities.feature.{ns}: dropped, no provider has namespace {ns!r}")
        for ns in self.property_prio:
            if ns not in raw_providers and self.property_prio[ns]:
                self.changes.append(f"default-priorities.property.{ns}: dropped, no provider has namespace {ns!r}")
        variants = self.variants(self.table(data.get("variants"), "variants"))
        return {
            "$schema": SCHEMA_PROVIDERS,
            "default-priorities": {"namespace": namespaces},
            "providers": providers,
            "variants": variants,
        }

    # -- one provider ---------------------------------------------------------------------
    def provider(self, ns: str, entry: Any) -> Dict[str, Any]:
        where = f"providers.{ns}"
        entry = self.table(entry, where)
        for key in entry:
            if key not in _LEGACY_PROVIDER_KEYS:
                raise self.refuse(f"{where}.{key}", "a key the PEP 817-era drafts do not define")
        optional = entry.get("optional", False)
        if not isinstance(optional, bool):
            raise self.refuse(f"{where}.optional", f"expected true or false, got {optional!r}")
        marker = entry.get("enable-if")
        if marker is not None:
            if not isinstance(marker, str):
                raise self.refuse(f"{where}.enable-if", f"expected a marker string, got {marker!r}")
            self.changes.append(
                f"{where}.enable-if: removed (the current format has no provider markers); it was {marker!r}"
            )
        install_time = entry.get("install-time")
        if install_time is not None and not isinstance(install_time, bool):
            raise self.refuse(f"{where}.install-time", f"expected true or false, got {install_time!r}")
        plugin_use = entry.get("plugin-use")
        if plugin_use is not None and plugin_use not in _PLUGIN_USES:
            raise self.refuse(f"{where}.plugin-use", f"{plugin_use!r} is not one of {', '.join(_PLUGIN_USES)}")
        if install_time is not None and plugin_use is not None and (install_time is False) != (plugin_use != "all"):
            raise self.refuse(where, f"install-time {install_time} and plugin-use {plugin_use!r} contradict each other")
        if "static-properties" in entry or "feature-order" in entry:  # already the current shape
            if install_time is False or plugin_use in ("build", "none") or "requires" in entry:
                raise self.refuse(where, "mixes static-properties with requires, install-time or plugin-use")
            self.unexpressible(ns, "its static-properties list gives the order")
            out = {k: copy.deepcopy(entry[k]) for k in ("static-properties", "feature-order") if k in entry}
            if optional:
                out["optional"] = True
            return out
        static_kind = install_time is False or plugin_use in ("build", "none")
        if install_time is True:
            self.changes.append(f"{where}.install-time: removed (true is what every provider is now)")
        if plugin_use == "all":
            self.changes.append(f"{where}.plugin-use: removed ('all' is what every provider is now)")
        if static_kind:
            why = "install-time: false" if install_time is False else f"plugin-use: {plugin_use!r}"
            return self.static_provider(ns, entry, why, optional)
        return self.plugin_provider(ns, entry, optional)

    def static_provider(self, ns: str, entry: Mapping[str, Any], why: str, optional: bool) -> Dict[str, Any]:
        """A provider the installer never ran: its declared values become ``static-properties``."""
        where = f"providers.{ns}"
        prefs = self.property_prio.get(ns, {})
        if self.top_static.get(ns):
            raw, origin = self.top_static[ns], f"static-properties.{ns}"
        elif prefs:
            raw, origin = prefs, f"default-priorities.property.{ns}"
        else:
            raise self.refuse(
                where, f"{why}, so installers take its values from the document, but neither static-properties.{ns} "
                       f"nor default-priorities.property.{ns} lists any: which values it accepts is unknown"
            )
        values: Dict[str, List[str]] = {}
        notes: List[str] = []
        for feature, listed in raw.items():
            if not listed:
                raise self.refuse(f"{origin}.{feature}", "no values: no variant could ever use this feature")
            order = [v for v in prefs.get(feature, []) if v in listed]
            lost = [v for v in prefs.get(feature, []) if v not in listed]
            if lost:
                notes.append(f"default-priorities.property.{ns}.{feature} values {lost} are not among {origin}.{feature} "
                             "and are left out (no installer supported them)")
            values[feature] = order + [v for v in listed if v not in order]
            if origin.startswith("static-properties") and order and values[feature] != listed:
                notes.append(f"{ns} :: {feature}: values ordered by default-priorities.property.{ns}.{feature}")
        declared = self.feature_prio.get(ns, [])
        missing = [f for f in declared if f not in values]
        if missing:
            raise self.refuse(f"default-priorities.feature.{ns}",
                              f"lists {missing} but {origin} gives no values for {'it' if len(missing) == 1 else 'them'}")
        features = [f for f in declared if f in values] + [f for f in values if f not in declared]
        out: Dict[str, Any] = {"static-properties": {f: values[f] for f in features}}
        if len(features) > 1:
            out["feature-order"] = features
            origin_order = (f"default-priorities.feature.{ns}" if declared and set(declared) >= set(features)
                            else f"the order written in {origin}")
            notes.append(f"feature-order {features} from {origin_order}")
        if optional:
            out["optional"] = True
        listing = "; ".join(f"{f} = [{', '.join(values[f])}]" for f in features)
        reqs = entry.get("requires")
        dropped = (f"; requires {reqs!r} dropped (nothing runs at install time)"
                   if isinstance(reqs, list) and reqs else "")
        if entry.get("plugin-api"):
            dropped += f"; plugin-api {entry['plugin-api']!r} dropped"
        self.changes.append(
            f"{where}: {why} (installers never ran it) -> static-properties {listing}, "
            f"from {origin} in the publisher's order{dropped}"
        )
        self.changes += [f"{where}: {n}" for n in notes]
        return out

    def plugin_provider(self, ns: str, entry: Mapping[str, Any], optional: bool) -> Dict[str, Any]:
        """A provider run at install time: a built-in's entry as uv matches it, or the plugin kept."""
        from packaging.requirements import InvalidRequirement, Requirement
        from packaging.utils import canonicalize_name

        where = f"providers.{ns}"
        if "requires" not in entry:
            raise self.refuse(f"{where}.requires", "missing: a provider run at install time needs a requirement")
        requires = self.strings(entry["requires"], f"{where}.requires")
        if not requires:
            raise self.refuse(f"{where}.requires", "empty, and the provider runs at install time: nothing provides "
                                                   f"namespace {ns!r} (a static namespace says install-time: false)")
        if self.top_static.get(ns):
            raise self.refuse(f"static-properties.{ns}", "given for a provider that runs at install time; "
                                                         "which of the two answers counts is unclear")
        api = entry.get("plugin-api")
        if api is not None and not isinstance(api, str):
            raise self.refuse(f"{where}.plugin-api", f"expected 'module:attr', got {api!r}")
        out: Dict[str, Any] = {"requires": list(requires)}
        if api is not None:
            out["plugin-api"] = api
        builtin: Optional[BuiltinProvider] = None
        if len(requires) == 1:
            try:
                req = Requirement(requires[0])
            except InvalidRequirement:
                raise self.refuse(f"{where}.requires", f"{requires[0]!r} is not a valid requirement") from None
            name = canonicalize_name(req.name)
            if LEGACY_PROVIDER_NAMES.get(name) == ns and ns in BUILTINS:
                builtin = BUILTINS[ns]
                self.changes.append(f"{where}.requires: {requires[0]!r} -> {builtin.package!r} (the plugin {req.name} "
                                    f"became {UV}'s built-in {builtin.package})")
                out["requires"] = [builtin.package]
            elif ns in BUILTINS and canonicalize_name(BUILTINS[ns].package) == name:
                builtin = BUILTINS[ns]
                if req.extras or req.marker is not None or req.url:
                    builtin = None  # uv matches only a name and version: kept as written, uv skips it
                elif req.specifier and not req.specifier.contains(builtin.version, prereleases=True):
                    self.changes.append(
                        f"{where}.requires: {requires[0]!r} -> {builtin.package!r} (the specifier excludes {UV}'s "
                        f"built-in {builtin.package} {builtin.version}, so uv would skip the provider)"
                    )
                    out["requires"] = [builtin.package]
        if builtin is not None:
            default_api = normalize_dist_name(builtin.package)
            if builtin.plugin_api == default_api:
                out.pop("plugin-api", None)
                if api is not None and api != default_api:
                    self.changes.append(f"{where}.plugin-api: {api!r} removed (the built-in {builtin.package} is used)")
            else:
                out["plugin-api"] = builtin.plugin_api
                if api != builtin.plugin_api:
                    self.changes.append(f"{where}.plugin-api: {api!r} -> {builtin.plugin_api!r}")
            self.unexpressible(ns, f"uv's built-in {ns} provider orders its own features and values")
        else:
            self.changes.append(
                f"{where}: plugin {', '.join(requires)} kept as written; {UV} runs no plugins, so it never "
                f"installs a variant that needs namespace {ns!r}"
            )
            self.unexpressible(ns, "the plugin orders its own features and values")
        if optional:
            out["optional"] = True
        return out

    def unexpressible(self, ns: str, why: str) -> None:
        """Say which ``default-priorities.feature``/``.property`` orders for ``ns`` the current format cannot carry."""
        if self.feature_prio.get(ns):
            self.changes.append(f"default-priorities.feature.{ns} {self.feature_prio[ns]}: cannot be expressed "
                                f"in the current format ({why})")
        for feature, values in self.property_prio.get(ns, {}).items():
            if values:
                self.changes.append(f"default-priorities.property.{ns}.{feature} {values}: cannot be expressed "
                                    f"in the current format ({why})")

    # -- variants -------------------------------------------------------------------------
    def variants(self, raw: Mapping[str, Any]) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for label, props in raw.items():
            where = f"variants.{label}"
            props = self.table(props, where)
            kept: Dict[str, Any] = {}
            for ns, features in props.items():
                if isinstance(features, Mapping) and not features:
                    self.changes.append(f"{where}.{ns}: {{}} dropped (a namespace without features says nothing)")
                    continue
                kept[ns] = copy.deepcopy(features)
            new_label = label
            if label == OLD_NULL_LABEL and not kept:
                new_label = NULL_LABEL
                self.changes.append(f"{where}: the old null label {OLD_NULL_LABEL!r} -> 'null' "
                                    f"(a wheel labelled {OLD_NULL_LABEL} is renamed -null)")
            if new_label in out:
                if out[new_label] != kept:
                    raise self.refuse(where, f"becomes {new_label!r}, which the document already maps to other properties")
                self.changes.append(f"{where}: same as {new_label!r}, merged into it")
                continue
            out[new_label] = kept
        return out


def upgrade_document(data: Mapping[str, Any], *, source: str) -> Tuple[Dict[str, Any], List[str]]:
    """Convert ``data`` (parsed JSON, any draft) to the current providers format.

    Returns ``(new JSON data, change lines)``.  A document already in a
    current format (``providers``, ``pep825``, variantlib's URL) and valid
    comes back unchanged (a copy) with no change lines.  Raises
    :class:`UpgradeRefused` (naming ``source``, the key path and why) for
    what cannot be converted: a missing ``$schema``, an unknown one on a
    document not in the current shape, a key no draft defines, a static
    namespace whose values no table lists, a current-format document that is
    invalid (nothing older to convert), or a result that varwheel or uv
    0.13.9 would not accept.
    """
    if not isinstance(data, Mapping):
        raise UpgradeRefused(f"{source}: the top level is not a JSON object")
    draft = draft_of_schema(data.get("$schema"))
    if draft in _CURRENT_DRAFTS:
        try:
            VariantDocument.from_json(data, source=source)
        except InvalidMetadata as exc:
            raise UpgradeRefused(f"{exc} (the document already claims {_DRAFT_TEXT[draft]}: "
                                 "there is no older draft to convert from)") from None
        return copy.deepcopy(dict(data)), []
    if draft == "unknown":
        return _upgrade_unknown(data, source)
    converter = _Converter(data, source, draft)
    out = converter.run()
    try:
        doc = VariantDocument.from_json(out, source=source)
    except InvalidMetadata as exc:
        raise UpgradeRefused(f"{exc} (after converting the {draft} draft)") from None
    return _checked(doc, source), converter.changes + _notes(doc)


def _notes(doc: VariantDocument) -> List[str]:
    """What uv 0.13.9 tolerates in the converted document, said as change lines (the publisher's data, kept)."""
    return [f"note: {finding.where.split(': ', 1)[-1]}: {finding.message}" for finding in doc.findings]


def _checked(doc: VariantDocument, source: str) -> Dict[str, Any]:
    """``doc`` as JSON data, once uv's reader (:meth:`VariantDocument.from_json`) accepts what it writes.

    A guard against a conversion rule that slips: the document written must
    read back as itself.
    """
    result = doc.to_json()
    try:
        VariantDocument.from_json(result, source=source)
    except InvalidMetadata as exc:
        raise UpgradeRefused(f"{source}: the converted document would not be read by {UV}: {exc}") from None
    return result


def _upgrade_unknown(data: Mapping[str, Any], source: str) -> Tuple[Dict[str, Any], List[str]]:
    """A ``$schema`` no draft names: converted only when the rest is the current shape (uv reads such a file too)."""
    schema = data.get("$schema")
    known = f"`varwheel upgrade` converts {SCHEMA_V002}, {SCHEMA_V003}, {SCHEMA_WHEELNEXT_BARE} and the current formats"
    if not isinstance(schema, str):
        raise UpgradeRefused(f"{source}: $schema is missing or not a string; {known}")
    try:
        doc = VariantDocument.from_json(data, source=source)
    except InvalidMetadata as exc:
        raise UpgradeRefused(f"{exc} ($schema {schema!r} names no draft varwheel knows, so it cannot tell "
                             f"what the other keys meant; {known})") from None
    target = SCHEMA_PROVIDERS if doc.declares_providers else SCHEMA_PEP825
    doc.schema = target
    doc.findings = [f for f in doc.findings if f.code != "schema-unknown"]
    change = f"$schema: {schema} (a URL no draft uses; the keys are the current shape) -> {target}"
    return _checked(doc, source), [change] + _notes(doc)


def single_label(data: Mapping[str, Any]) -> Optional[str]:
    """The one label under ``variants`` of a wheel's document, or ``None`` when there is not exactly one."""
    variants = data.get("variants")
    if isinstance(variants, Mapping) and len(variants) == 1:
        label = next(iter(variants))
        return label if isinstance(label, str) else None
    return None
