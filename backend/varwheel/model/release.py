"""One release's variant metadata: its consistency rules, written once, and the merge (spec section 6).

The wheels of one version each carry a ``variant.json``; the index file is
their merge.  The rules that make a merge meaningful are found here as
:class:`ReleaseFinding` values, in the manner of packaging's
``Metadata.from_raw(validate=True)``: one rule, raised or collected at the
call site.  :func:`merge_documents` (``index``, ``select``) raises the first
error as :class:`InconsistentVariants`; ``check`` reports every finding with
its code.

============================  ========  ==================================================
code                          severity  rule
============================  ========  ==================================================
``version-spelling``          error     one version, one spelling (``1.0`` and ``1.0.0``
                                        are one release for installers; the index file
                                        name needs one)
``format-conflict``           error     one metadata format (providers table or none)
``label-conflict``            error     a label means one property set
``priorities-conflict``       error     ``default-priorities.namespace`` lists are equal or
                                        prefixes of one another (the longest wins)
``provider-conflict``         error     a namespace has one provider entry
``duplicate-properties``      warning   two labels meaning one property set (installers
                                        pick between them by label name)
============================  ========  ==================================================
"""

from __future__ import annotations

import json
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from varwheel.errors import InconsistentVariants, InvalidMetadata
from varwheel.model.document import SCHEMA_PROVIDERS, SCHEMA_VARIANTLIB, VariantDocument

__all__ = ["ReleaseFinding", "release_findings", "version_spelling_finding", "merge_documents"]

Sources = Sequence[Tuple[str, VariantDocument]]


class ReleaseFinding(NamedTuple):
    """One broken (``error``) or doubtful (``warning``) rule of a release; ``code`` is stable."""

    code: str
    severity: str  # "error" | "warning"
    message: str


def _names(names: Sequence[str]) -> str:
    return ", ".join(names)


def version_spelling_finding(project: str, by_spelling: Mapping[str, Sequence[str]]) -> Optional[ReleaseFinding]:
    """``{spelling: [file names]}`` of one version: more than one spelling is an error."""
    if len(by_spelling) < 2:
        return None
    shown = "; ".join(f"{spelling!r} in {_names(names)}" for spelling, names in sorted(by_spelling.items()))
    return ReleaseFinding(
        "version-spelling", "error",
        f"{project}: one version is spelled {len(by_spelling)} ways ({shown}): installers treat them as one "
        "release but the index file name needs one spelling; rebuild or rename the wheels so that they agree",
    )


def release_findings(docs: Sources) -> List[ReleaseFinding]:
    """Every rule of the module table (but ``version-spelling``) over ``(source, document)`` pairs."""
    found: List[ReleaseFinding] = []
    formats: Dict[bool, List[str]] = {}
    for source, doc in docs:
        formats.setdefault(doc.declares_providers, []).append(source)
    if len(formats) > 1:
        found.append(ReleaseFinding(
            "format-conflict", "error",
            f"the pep825 metadata format (no providers) in {_names(formats[False])} and the providers format "
            f"in {_names(formats[True])}: rebuild them with one --metadata-format",
        ))
    by_label: Dict[str, Dict[Tuple[str, ...], List[str]]] = {}
    for source, doc in docs:
        for label, desc in doc.variants.items():
            by_label.setdefault(label, {}).setdefault(tuple(desc.strings()), []).append(source)
    for label, sets in sorted(by_label.items()):
        if len(sets) > 1:
            shown = "; ".join(f"{list(props)!r} in {_names(srcs)}" for props, srcs in sets.items())
            found.append(ReleaseFinding("label-conflict", "error", f"label {label!r} maps to different properties: {shown}"))
    longest_source, longest = max(docs, key=lambda item: len(item[1].default_priorities)) if docs else ("", None)
    if longest is not None:
        ref = list(longest.default_priorities)
        bad = [(s, d) for s, d in docs if ref[: len(d.default_priorities)] != list(d.default_priorities)]
        if bad:
            shown = "; ".join(f"{list(d.default_priorities)!r} in {s}" for s, d in bad)
            found.append(ReleaseFinding(
                "priorities-conflict", "error",
                f"default-priorities.namespace differ: {ref!r} in {longest_source} vs {shown} (one must be a "
                "prefix of the other); give every wheel the same order, e.g. with --pyproject-toml and a "
                "[variant.default-priorities] table",
            ))
    by_provider: Dict[str, Dict[str, List[str]]] = {}
    for source, doc in docs:
        for namespace, provider in doc.providers.items():
            key = json.dumps(provider.to_json(), sort_keys=True)
            by_provider.setdefault(namespace, {}).setdefault(key, []).append(source)
    for namespace, entries in sorted(by_provider.items()):
        if len(entries) > 1:
            shown = "; ".join(f"{k} in {_names(srcs)}" for k, srcs in entries.items())
            found.append(ReleaseFinding("provider-conflict", "error", f"providers.{namespace} differs between wheels: {shown}"))
    by_props: Dict[Tuple[str, ...], List[str]] = {}
    for label, sets in by_label.items():
        if len(sets) == 1:
            by_props.setdefault(next(iter(sets)), []).append(label)
    for props, labels in sorted(by_props.items()):
        if len(labels) > 1:
            found.append(ReleaseFinding(
                "duplicate-properties", "warning",
                f"labels {', '.join(sorted(labels))} all mean [{', '.join(props) or 'none'}]; installers treat "
                "them as one variant and pick by label name",
            ))
    return found


def merge_documents(docs: Sources) -> VariantDocument:
    """The index document of a release: ``(source name, document)`` pairs merged.

    Raises :class:`InconsistentVariants` with the first error of
    :func:`release_findings` (naming the sources involved); inputs are not
    modified.  The longest priority list wins, labels are sorted, providers
    and document findings are united, variantlib's schema URL reads as the
    providers format's.
    """
    if not docs:
        raise InvalidMetadata("nothing to merge")
    errors = [f for f in release_findings(docs) if f.severity == "error"]
    if errors:
        raise InconsistentVariants(errors[0].message)
    first = docs[0][1]
    merged = first.copy()
    if merged.schema == SCHEMA_VARIANTLIB:
        merged.schema = SCHEMA_PROVIDERS
    merged.default_priorities = list(max((d for _, d in docs), key=lambda d: len(d.default_priorities)).default_priorities)
    for _, doc in docs[1:]:
        for label, desc in doc.variants.items():
            merged.variants.setdefault(label, desc)
        for namespace, provider in doc.providers.items():
            merged.providers.setdefault(namespace, provider)
        merged.findings += [f for f in doc.findings if f not in merged.findings]
    if merged.declares_providers and set(merged.providers) != set(merged.default_priorities):
        raise InconsistentVariants(
            f"merged providers {sorted(merged.providers)!r} do not match merged "
            f"default-priorities.namespace {merged.default_priorities!r}"
        )
    merged.variants = dict(sorted(merged.variants.items()))
    return merged
