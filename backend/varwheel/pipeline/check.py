"""Check wheels and folders of wheels before publishing them (``varwheel check``).

Installers check little: uv does not verify RECORD hashes, and a label that
means two things in two wheels makes its choice depend on which file it read
first.  :func:`check_paths` looks at everything a release needs to be right
and reports *findings* (an ``error`` or a ``warning``, each with a stable
``code``) instead of stopping at the first one.

Findings that are claims about uv were measured against uv 0.13.9 (tests/test_check.py runs each
one on uv itself).  Per wheel (:func:`check_wheel`):

=============================  ==================================================
code                           what
=============================  ==================================================
``filename``                   the (variant) wheel filename grammar, spec section 3
``structure``                  a readable zip, safe member names, exactly one
                               ``.dist-info`` matching the name, RECORD and WHEEL
``record-hash``                a member's sha256 differs from RECORD (changed
                               after RECORD was written)
``record-size``                a member's size differs from RECORD
``record-unlisted``            a member RECORD does not list
``record-missing-member``      a RECORD row for a member the wheel lacks
``record-duplicate``           RECORD lists a path twice
``record-unreadable``          RECORD unparsable, a member that cannot be
                               inflated, a hash algorithm nobody accepts
``unknown-key``                a key uv does not know, anywhere (``enable-if``,
                               top-level ``static-properties``, ...): uv refuses
                               the document; a PEP 817-era draft is named as such
``variant-json``               variant.json is not valid against its schema
``providers-priorities``       providers and ``default-priorities.namespace``
                               disagree, or a variant uses an unlisted namespace
``label-mismatch``             the filename's label differs from variant.json's
``label-without-metadata``     a labelled filename but no variant.json
``value-unknown``              a value outside its built-in provider's vocabulary
                               (``x86_64 :: level :: v5``; ``model.vocabulary``)
``sm-arch-unmatchable``        ``sm_arch`` values none of which uv offers on a
                               GPU that exists (``86_virtual``, ``95_real``)
``cuda-bounds-unsatisfiable``  CUDA bounds no driver uv uses satisfies (lower
                               bound not below the upper one, ``10.2``, ``16``)
``deferred-label``             (warning) variant.json inside, plain name outside:
                               run ``varwheel relabel`` before publishing
``hash-label``                 (warning) a label shaped like a hash label that
                               is not the hash of the properties
``label-length``               (warning) a label over 16 characters
``provider-unsupported``       (warning) a provider naming one of uv's built-in
                               providers in a form uv skips (a specifier
                               excluding its version, a wrong plugin-api, ...)
``provider-plugin``            (warning) a plugin provider: uv runs none
``provider-optional``          (warning) an ``optional`` provider: uv never
                               enables one
``provider-builtin``           (warning) a ``builtin`` provider
                               (``abi_dependency``): uv skips it when choosing
``no-providers``               (warning) pep825 format: uv cannot evaluate it,
                               only ``null`` is ever installed
``feature-unevaluated``        (warning) a property served by one of uv's
                               built-in providers that does not evaluate its
                               feature (``x86_64 :: avx512f :: on``)
``pure-variant``               (warning) a variant whose properties mean compiler
                               flags, in a pure-Python wheel (``none-any``,
                               ``Root-Is-Purelib: true``): typically an optional
                               extension that failed to compile
``variant-markers``            (warning) ``Requires-Dist`` lines using PEP 825's
                               variant markers (plain wheels too): uv 0.13.9
                               refuses the wheel ("invalid metadata"), pip stops
                               with a traceback (``--no-deps`` installs it and
                               ``pip show``/``pip check`` then fail); only
                               ``varwheel install`` evaluates them
(the loader's codes)           (warning) what uv accepts although the drafts do
                               not: :attr:`VariantDocument.findings`
                               (``static-value-undeclared``, ``schema-unknown``,
                               ``empty-namespace``, ``provider-unmatched``, ...)
=============================  ==================================================

The provider warnings concern only the namespaces the wheel's own variant
uses: they say that uv never selects *this* variant.

Across the wheels of one release (same name and PEP 440 version), wherever
they were found: ``version-spelling`` (``1.0`` and ``1.0.0``: one release,
two spellings), ``label-conflict`` (one label, two property sets),
``priorities-conflict`` (namespace orders neither equal nor prefixes),
``provider-conflict``, ``format-conflict`` and, as a warning,
``duplicate-properties`` (two labels, one property set).

Per folder given, index files matched to releases the way uv reads their
names (project up to the first ``-``, a PEP 440 version): ``index-name``
(a name uv ignores, such as ``my-pkg-1.0-variants.json``), ``unknown-key``,
``index-contradicts`` (the index gives a wheel's label other properties or
providers than the wheel's variant.json: uv selects by the index and the
install fails), ``index-stale`` (any other difference from what the wheels
say), ``index-invalid``, the loader's findings as warnings, and as warnings
``index-missing`` (uv ignores the variants without it), ``index-orphan``
(an index for a release with no variant wheels there) and
``index-unchecked`` (not compared: the wheels disagree among themselves).

Reading cost: the RECORD check streams every member through sha256 once (1
MiB buffers, memory flat); everything else reads the central directory and
two small members.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Sequence, Tuple

from varwheel.errors import InconsistentVariants, InvalidFilename, InvalidInput
from varwheel.model.filename import WheelFilename, normalize_dist_name, version_key
from varwheel.model.document import SCHEMA_PROVIDERS, VariantDocument, read_document_file
from varwheel.model.release import merge_documents, release_findings, version_spelling_finding
from varwheel.model.properties import VariantDescription, label_warnings, looks_like_hash_label
from varwheel.model.builtins import UV
from varwheel.wheel.archive import WheelArchive

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass, field
else:
    from varwheel.model.values import dataclass, field

__all__ = [
    "ERROR",
    "WARNING",
    "Finding",
    "WheelReport",
    "ReleaseReport",
    "FolderReport",
    "CheckReport",
    "check_wheel",
    "check_release",
    "check_folder",
    "check_paths",
]

#: How bad a finding is: an error fails ``check``; a warning does with ``--strict``.
Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"

def _requirement_name(text: str) -> str:
    """The distribution name at the start of a requirement string (validated by the loader)."""
    return re.split(r"[\s\[<>=!~;@(]", text.strip(), maxsplit=1)[0]




def _only_label(document: VariantDocument) -> str:
    """The label of a wheel's variant.json (a report keeps only documents with exactly one)."""
    return next(iter(document.variants))


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str

    def to_json(self) -> Dict[str, str]:
        return {"code": self.code, "message": self.message}


class _Findings:
    """A list of findings with error()/warning() shortcuts."""

    def __init__(self) -> None:
        self.findings: List[Finding] = []

    def error(self, code: str, message: str) -> None:
        self.findings.append(Finding(ERROR, code, message))

    def warning(self, code: str, message: str) -> None:
        self.findings.append(Finding(WARNING, code, message))

    @property
    def errors(self) -> List[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> List[Finding]:
        return [f for f in self.findings if f.severity == WARNING]


@dataclass
class WheelReport(_Findings):
    path: Path
    filename: Optional[WheelFilename] = None
    #: The filename's label (None: plain name or unparsable name).
    label: Optional[str] = None
    #: variant.json, when it is valid.
    document: Optional[VariantDocument] = None
    members: int = 0

    def __post_init__(self) -> None:
        _Findings.__init__(self)

    @property
    def inner_label(self) -> Optional[str]:
        return _only_label(self.document) if self.document is not None else None

    def to_json(self) -> Dict[str, Any]:
        desc = self.document.variants[_only_label(self.document)] if self.document is not None else None
        return {
            "path": str(self.path),
            "label": self.label,
            "variant_json_label": self.inner_label,
            "properties": desc.strings() if desc is not None else None,
            "members": self.members,
            "errors": [f.to_json() for f in self.errors],
            "warnings": [f.to_json() for f in self.warnings],
        }


@dataclass
class ReleaseReport(_Findings):
    project: str
    version: str
    wheels: List[WheelReport] = field(default_factory=list)

    def __post_init__(self) -> None:
        _Findings.__init__(self)

    @property
    def labels(self) -> List[str]:
        return sorted({w.inner_label for w in self.wheels if w.inner_label is not None})

    def to_json(self) -> Dict[str, Any]:
        return {
            "project": self.project,
            "version": self.version,
            "wheels": [str(w.path) for w in self.wheels],
            "labels": self.labels,
            "errors": [f.to_json() for f in self.errors],
            "warnings": [f.to_json() for f in self.warnings],
        }


@dataclass
class FolderReport(_Findings):
    path: Path
    index_files: List[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        _Findings.__init__(self)

    def to_json(self) -> Dict[str, Any]:
        return {
            "path": str(self.path),
            "index_files": self.index_files,
            "errors": [f.to_json() for f in self.errors],
            "warnings": [f.to_json() for f in self.warnings],
        }


@dataclass
class CheckReport:
    wheels: List[WheelReport] = field(default_factory=list)
    releases: List[ReleaseReport] = field(default_factory=list)
    folders: List[FolderReport] = field(default_factory=list)

    def _all(self) -> List[Finding]:
        out: List[Finding] = []
        for item in [*self.wheels, *self.releases, *self.folders]:
            out.extend(item.findings)
        return out

    @property
    def errors(self) -> List[Finding]:
        return [f for f in self._all() if f.severity == ERROR]

    @property
    def warnings(self) -> List[Finding]:
        return [f for f in self._all() if f.severity == WARNING]

    def ok(self, *, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)

    def to_json(self, *, strict: bool = False) -> Dict[str, Any]:
        return {
            "ok": self.ok(strict=strict),
            "summary": {
                "wheels": len(self.wheels),
                "errors": len(self.errors),
                "warnings": len(self.warnings),
            },
            "wheels": [w.to_json() for w in self.wheels],
            "releases": [r.to_json() for r in self.releases],
            "folders": [f.to_json() for f in self.folders],
        }

    def format_text(self) -> str:
        """The human report: one line per wheel, findings indented under it, a summary."""
        lines: List[str] = []

        def block(status: str, title: str, item: _Findings) -> None:
            lines.append(f"{status:<5} {title}")
            for finding in item.findings:
                lines.append(f"      {finding.severity} [{finding.code}]: {finding.message}")

        for wheel in self.wheels:
            status = "FAIL" if wheel.errors else "WARN" if wheel.warnings else "ok"
            if wheel.document is not None:
                label = _only_label(wheel.document)
                props = wheel.document.variants[label].strings()
                detail = f"variant {label}: {', '.join(props) if props else 'no properties'}"
            elif wheel.errors:
                detail = ""
            else:
                detail = "plain wheel"
            block(status, f"{wheel.path}" + (f"  ({detail}; {wheel.members} members)" if detail else ""), wheel)
        for release in self.releases:
            if release.findings:
                status = "FAIL" if release.errors else "WARN"
                block(status, f"release {release.project} {release.version} "
                              f"({len(release.wheels)} wheels; labels: {', '.join(release.labels) or 'none'})",
                      release)
        for folder in self.folders:
            status = "FAIL" if folder.errors else "WARN" if folder.warnings else "ok"
            files = ", ".join(folder.index_files) or "no index file"
            block(status, f"folder {folder.path}  ({files})", folder)
        errors, warnings = len(self.errors), len(self.warnings)
        lines.append(
            f"checked {len(self.wheels)} wheel(s): {errors} error(s), {warnings} warning(s)"
        )
        return "\n".join(lines)


# -- one wheel ---------------------------------------------------------------------------------




def _unknown_keys(data: Any) -> List[str]:
    """Key paths uv 0.13.9 does not know (the rule lives in the document model)."""
    from varwheel.model.document import unknown_keys

    return unknown_keys(data)


def _unknown_key_message(source: str, data: Any, keys: List[str], consequence: str) -> str:
    """The ``unknown-key`` message; a PEP 817-era draft is described as ``show`` describes it (model.drafts)."""
    from varwheel.model.drafts import read_draft

    reading = read_draft(data)
    if reading.legacy:
        return f"{source}: {reading.describe()}"
    shown = ", ".join(repr(k) for k in keys)
    return f"{source}: {UV} does not know the key(s) {shown} and refuses the document: {consequence}"


def _unknown_key_check(raw: bytes, report: WheelReport) -> bool:
    """``unknown-key``: True when variant.json holds a key uv refuses (nothing else is then checked)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # the full loader reports it
        return False
    keys = _unknown_keys(data)
    if keys:
        report.error("unknown-key", _unknown_key_message(
            "variant.json", data, keys,
            "when it picks this wheel the resolution fails and nothing of this release is installed",
        ))
    return bool(keys)


def _raw_json_checks(raw: bytes, report: WheelReport) -> bool:
    """``providers-priorities``: the cross-key rule with its own code; True when it was reported.

    Run on the raw JSON before the full loader, which would stop at the
    first problem with a generic message.  (What uv accepts although the
    drafts do not, such as a value outside ``static-properties``, is the
    loader's :attr:`VariantDocument.findings`, reported as warnings.)
    """
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # the full loader reports it
        return False
    if not isinstance(data, dict):
        return False
    prio = data.get("default-priorities")
    namespaces = prio.get("namespace") if isinstance(prio, dict) else None
    variants = data.get("variants")
    providers = data.get("providers")
    if not isinstance(namespaces, list) or not isinstance(variants, dict):
        return False
    found = False
    # As uv 0.13.9 applies them: providers (any schema; required by the providers one) cover exactly
    # the ranked namespaces, and a namespace with features must be ranked ({} is dropped).
    if isinstance(providers, dict) or data.get("$schema") == SCHEMA_PROVIDERS:
        declared = sorted(providers) if isinstance(providers, dict) else []
        if set(declared) != set(n for n in namespaces if isinstance(n, str)):
            report.error(
                "providers-priorities",
                f"variant.json: default-priorities.namespace {namespaces!r} must list exactly the "
                f"namespaces of providers {declared!r}",
            )
            found = True
    for label, props in variants.items():
        if not isinstance(props, dict):
            continue
        for namespace, features in props.items():
            if namespace not in namespaces and features != {}:
                report.error(
                    "providers-priorities",
                    f"variant.json: variants.{label} uses namespace {namespace!r}, which "
                    "default-priorities.namespace does not list",
                )
                found = True
    return found


def _document_warnings(report: WheelReport, label: str, document: VariantDocument) -> None:
    desc = document.variants[label]
    if looks_like_hash_label(label) and label != desc.hash_label():
        report.warning(
            "hash-label",
            f"label {label!r} looks like a hash label, but the properties hash to "
            f"{desc.hash_label()!r}: readers who recompute it will think the wheel is mislabelled; "
            "use the hash label or a descriptive one",
        )
    for message in label_warnings(label):
        report.warning("label-length", message)
    _provider_warnings(report, desc, document)
    if not document.declares_providers and not desc.is_null:
        report.warning(
            "no-providers",
            "variant.json uses the pep825 format (no providers): uv 0.13 cannot evaluate its "
            "properties and only ever installs the null variant; the providers format is what "
            "installers read today",
        )


def _provider_warnings(report: WheelReport, desc: VariantDescription, document: VariantDocument) -> None:
    """Providers of this variant's namespaces that uv 0.13.9 never evaluates: it never selects the variant.

    Judged per namespace the variant uses (a null wheel or a variant that does
    not use the namespace is not affected).  One code per reason, because each
    has its own fix: ``provider-optional``, ``provider-builtin``,
    ``provider-unsupported`` (a built-in's name in a form uv skips) and
    ``provider-plugin`` (a plugin: uv runs none).
    """
    from varwheel.model.builtins import BUILTINS, builtin_for

    builtin_names = {normalize_dist_name(b.package) for b in BUILTINS.values()}
    # A requirement or plugin-api no provider can match is already a document finding.
    unmatched = {m.group(1) for f in document.findings if f.code == "provider-unmatched"
                 for m in [re.search(r"providers\.([a-z0-9_]+)\.", f.where)] if m}
    for namespace in desc.namespaces():
        provider = document.providers.get(namespace)
        if provider is None or namespace in unmatched:
            continue
        if provider.optional:
            report.warning(
                "provider-optional",
                f"providers.{namespace} is optional: {UV} never enables an optional provider, so it never "
                f"selects this variant, which uses {namespace!r}; drop 'optional' to make it selectable",
            )
        elif provider.builtin is not None:
            report.warning(
                "provider-builtin",
                f"providers.{namespace} is builtin {provider.builtin!r}: {UV} skips builtin providers "
                "(abi_dependency included) when it chooses a variant, so it never selects this variant",
            )
        elif provider.requires:
            matched, reason = builtin_for(namespace, provider)
            if matched is not None:
                continue
            if any(normalize_dist_name(_requirement_name(r)) in builtin_names for r in provider.requires):
                report.warning(
                    "provider-unsupported",
                    f"providers.{namespace}: {UV} skips this provider ({reason}), so it never "
                    "selects these variants; write the entry `varwheel make-variant` writes for "
                    f"{namespace!r} (see docs/make-variant.md)",
                )
            else:
                report.warning(
                    "provider-plugin",
                    f"providers.{namespace} requires {', '.join(provider.requires)}: {UV} runs no plugins; "
                    f"these variants can never be selected (its built-in providers serve "
                    f"{', '.join(sorted(BUILTINS))}; a static-properties provider needs no plugin)",
                )


def _value_findings(report: WheelReport, desc: VariantDescription, document: VariantDocument) -> None:
    """Values uv's built-in providers never report or never match (``model.vocabulary``): errors.

    ``value-unknown``: outside the built-in's vocabulary (``level :: v5``).
    ``sm-arch-unmatchable``: well-formed ``sm_arch`` values, none of which
    uv offers on any GPU that exists.  ``cuda-bounds-unsatisfiable``: CUDA
    bounds no driver uv uses lies within.
    """
    from varwheel.model.builtins import builtin_for
    from varwheel.model.vocabulary import (
        COMPUTE_CAPABILITIES,
        cuda_bound_matchable,
        parse_cuda_version,
        sm_arch_matchable,
        vocabulary_problems,
    )

    problems = vocabulary_problems(desc, document.providers)
    for problem in problems:
        report.error("value-unknown", f"{problem.describe()}; rebuild it with one of them")
    provider = document.providers.get("nvidia")
    if provider is None or builtin_for("nvidia", provider)[0] is None:
        return
    # Values outside the vocabulary were reported above; judge the well-formed ones.
    unknown = {(p.prop.namespace, p.prop.feature, p.prop.value) for p in problems}
    values = {
        feature: [v for v in vals if ("nvidia", feature, v) not in unknown]
        for (ns, feature), vals in desc.values_by_feature().items() if ns == "nvidia"
    }
    sm = values.get("sm_arch", [])
    if sm and not any(sm_arch_matchable(v) for v in sm):
        known = ", ".join(f"{a}.{b}" for a, b in COMPUTE_CAPABILITIES)
        report.error(
            "sm-arch-unmatchable",
            f"nvidia :: sm_arch {', '.join(sm)}: {UV} offers none of these values on any GPU that exists, so it "
            f"never selects this variant (a GPU of compute capability M.m gets M{{m}}_real down to M0_real and "
            f"only M0_virtual, nothing below 5.0; GPUs: {known})",
        )
    reasons: List[str] = []
    usable: Dict[str, List[Tuple[int, int]]] = {}
    for feature in ("cuda_version_lower_bound", "cuda_version_upper_bound"):
        given = values.get(feature, [])
        good = [v for v in given if cuda_bound_matchable(feature, v)]
        usable[feature] = [parse_cuda_version(v) or (0, 0) for v in good]
        if given and not good:
            reasons.append(
                f"{feature} {', '.join(given)} is never listed ({UV} lists lower bounds from 11 up to the "
                "driver's version and upper bounds above it up to 15.20, minors up to 20)"
            )
    lower, upper = usable["cuda_version_lower_bound"], usable["cuda_version_upper_bound"]
    if lower and upper and min(lower) >= max(upper):
        reasons.append(
            f"no driver is at least {'.'.join(map(str, min(lower)))} (lower bound) and below "
            f"{'.'.join(map(str, max(upper)))} (upper bound)"
        )
    if reasons:
        report.error(
            "cuda-bounds-unsatisfiable",
            f"nvidia bounds of this variant: {'; '.join(reasons)}, so {UV} never selects it",
        )


def check_wheel(path: "str | os.PathLike[str]") -> WheelReport:
    """Every per-wheel check; never raises for a bad wheel (that is a finding)."""
    path = Path(path)
    report = WheelReport(path)
    try:
        report.filename = WheelFilename.parse(path.name)
        report.label = report.filename.label
    except InvalidFilename as exc:
        report.error("filename", str(exc))
    try:
        archive = WheelArchive(path, check_name=report.filename is not None)
    except InvalidInput as exc:
        report.error("structure", str(exc))
        return report
    with archive:
        report.members = archive.file_count
        try:
            for problem in archive.record_problems():
                report.error(problem.code, problem.message)
        except InvalidInput as exc:
            report.error("record-unreadable", str(exc))
        _variant_marker_warning(report, archive)
        if not archive.has_variant_json():
            if report.label is not None:
                report.error(
                    "label-without-metadata",
                    f"the filename carries label {report.label!r} but the wheel has no "
                    f"{archive.variant_json_name}; installers reject it",
                )
            return report
        try:
            raw = archive.read(archive.variant_json_name)
        except InvalidInput as exc:  # e.g. a CRC error: a finding, not the end of the run
            report.error("variant-json", str(exc))
            return report
        pure = archive.pure_python()
    if _unknown_key_check(raw, report) or _raw_json_checks(raw, report):
        return report
    try:
        document = VariantDocument.loads(raw, source="variant.json")
    except InvalidInput as exc:
        report.error("variant-json", str(exc))
        return report
    if len(document.variants) != 1:
        report.error(
            "variant-json",
            f"variant.json: 'variants' must hold exactly one entry in a wheel, found {len(document.variants)}",
        )
        return report
    report.document = document
    for finding in document.findings:
        report.warning(finding.code, str(finding))
    inner = _only_label(document)
    if report.label is not None and report.label != inner:
        report.error(
            "label-mismatch",
            f"the filename's label {report.label!r} differs from the label {inner!r} in variant.json; "
            "installers reject the wheel",
        )
    elif report.label is None and report.filename is not None:
        report.warning(
            "deferred-label",
            f"variant.json holds label {inner!r} but the filename has none (a deferred label): "
            "run `varwheel relabel` before publishing; installers treat it as a plain wheel",
        )
    _document_warnings(report, inner, document)
    _value_findings(report, document.variants[inner], document)
    _build_warnings(report, inner, document, pure=pure)
    return report


def _variant_marker_warning(report: WheelReport, archive: WheelArchive) -> None:
    """``variant-markers``: METADATA that today's installers cannot parse (measured in tests/test_variant_dependencies.py)."""
    from varwheel.model.variant_markers import requires_dist, uses_variant_markers

    name = archive.record_name.rsplit("/", 1)[0] + "/METADATA"
    if name not in archive.names:
        return
    try:
        marked = [v for v in requires_dist(archive.read(name)) if uses_variant_markers(v)]
    except InvalidInput:
        return  # an unreadable member is the RECORD checks' finding
    if marked:
        report.warning(
            "variant-markers",
            f"METADATA has {len(marked)} Requires-Dist line(s) with PEP 825 variant markers ({'; '.join(marked)}): "
            f"{UV} refuses the wheel as invalid metadata and pip stops with a traceback (with --no-deps pip "
            "installs it, then pip show and pip check fail); only varwheel install evaluates them. For today's "
            "installers build with [tool.varwheel] variant-dependencies-mode = \"resolve\"",
        )


def _build_warnings(report: WheelReport, label: str, document: VariantDocument, *, pure: bool) -> None:
    """What the build backend warns about, found again in a finished wheel (one rule each)."""
    from varwheel.model.builtins import describe_unevaluated, unevaluated_properties
    from varwheel.model.compiler_input import means_compiler_input

    desc = document.variants[label]
    for prop, builtin in unevaluated_properties(desc, document.providers):
        report.warning("feature-unevaluated", describe_unevaluated(prop, builtin))
    if not pure or desc.is_null:
        return
    if any(means_compiler_input(p) for p in desc):  # built-in mappings only: a project's are not in the wheel
        report.warning(
            "pure-variant",
            f"variant {label!r} ({', '.join(desc.strings())}) means compiler flags, but the wheel is pure "
            "Python (none-any, Root-Is-Purelib: true): its extensions were probably not built (a failed optional "
            "extension falls back to Python); installers would take it as the variant on every machine it matches. "
            "Rebuild it, or set [tool.varwheel] require-compiled = true to make such builds fail",
        )


# -- several wheels of one release -----------------------------------------------------------------


def _names(reports: Sequence[WheelReport]) -> str:
    return ", ".join(r.path.name for r in reports)


def check_release(release: ReleaseReport) -> None:
    """Cross-wheel rules for the wheels of one release (``model.release``); fills ``release.findings``."""
    spellings: Dict[str, List[str]] = {}
    for w in release.wheels:
        assert w.filename is not None  # check_paths puts only wheels whose name parsed into a release
        spellings.setdefault(w.filename.version, []).append(w.path.name)
    found = [version_spelling_finding(release.project, spellings)]
    found += release_findings([(w.path.name, w.document) for w in release.wheels if w.document is not None])
    for finding in found:
        if finding is not None:
            (release.error if finding.severity == "error" else release.warning)(finding.code, finding.message)


# -- a folder and its index files ---------------------------------------------------------------


def _index_name(project: str, version: str) -> str:
    from varwheel.model.filename import index_filename

    return index_filename(project, version)


_PEP508_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")


def _uv_index_identity(name: str) -> Optional[Tuple[str, object]]:
    """The release an index file name stands for, read as uv 0.13.9 reads it; None when uv ignores the file.

    uv takes the project name up to the *first* ``-`` and parses the rest as
    a PEP 440 version, so ``My.Pkg-1.0.0-variants.json`` is the index of
    ``my_pkg`` 1.0 while ``my-pkg-1.0-variants.json`` (name ``my``, version
    ``pkg-1.0``) is no index at all.
    """
    from packaging.version import InvalidVersion, Version

    from varwheel.model.filename import INDEX_SUFFIX

    project, sep, version = name[: -len(INDEX_SUFFIX)].partition("-")
    if not sep or not _PEP508_NAME.fullmatch(project):
        return None
    try:
        return normalize_dist_name(project), Version(version)
    except InvalidVersion:
        return None


def _meant_identity(name: str) -> Tuple[str, object]:
    """The release a person meant by an index file name: the version after the *last* ``-``."""
    from varwheel.model.filename import INDEX_SUFFIX

    project, _, version = name[: -len(INDEX_SUFFIX)].rpartition("-")
    return normalize_dist_name(project), version_key(version)


def _release_key(release: ReleaseReport) -> Tuple[str, object]:
    return normalize_dist_name(release.project), version_key(release.version)


def _read_index(folder: FolderReport, name: str, consequence: str) -> Optional[VariantDocument]:
    """Read one index file; report ``unknown-key`` or ``index-invalid`` and return None when it is unusable."""
    path = folder.path / name
    try:
        raw = read_document_file(path)
    except (OSError, InvalidInput) as exc:
        folder.error("index-invalid", f"{exc}; run `varwheel index {folder.path}` to rewrite it")
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # the loader below words it
        data = None
    keys = _unknown_keys(data)
    if keys:
        folder.error("unknown-key", _unknown_key_message(name, data, keys, consequence))
        return None
    try:
        document = VariantDocument.loads(raw, source=name)
    except InvalidInput as exc:
        folder.error("index-invalid", f"{exc}; run `varwheel index {folder.path}` to rewrite it")
        return None
    for finding in document.findings:
        folder.warning(finding.code, str(finding))
    return document


def _contradictions(name: str, index: VariantDocument, local: Sequence[WheelReport]) -> List[str]:
    """Where the index says something else than a wheel's own variant.json about that wheel's label.

    uv 0.13.9 chooses by the index, then judges the chosen wheel by its own
    variant.json (properties and the providers of their namespaces) and fails
    the install when that says "unsupported".
    """
    found: List[str] = []
    for wheel in local:
        if wheel.document is None:
            continue
        label = _only_label(wheel.document)
        listed = index.variants.get(label)
        if listed is None:
            continue  # a label the index lacks: uv never selects the wheel (index-stale)
        own = wheel.document.variants[label]
        if listed != own:
            found.append(
                f"{name} gives {label} [{', '.join(listed.strings()) or 'none'}] but {wheel.path.name} says "
                f"[{', '.join(own.strings()) or 'none'}]"
            )
        for namespace in sorted(set(own.namespaces()) | set(listed.namespaces())):
            theirs, ours = index.providers.get(namespace), wheel.document.providers.get(namespace)
            if theirs != ours:
                found.append(
                    f"{name} has providers.{namespace} {theirs.to_json() if theirs else None!r} but "
                    f"{wheel.path.name} has {ours.to_json() if ours else None!r}"
                )
    return found


def check_folder(folder: FolderReport, releases: Sequence[ReleaseReport]) -> None:
    """Compare the folder's ``*-variants.json`` files with its wheels' releases.

    Index files are matched to releases as uv 0.13.9 reads their names
    (:func:`_uv_index_identity`): ``mypkg-1.0.0-variants.json`` serves
    ``mypkg`` 1.0, a hyphenated project name serves nothing (``index-name``).
    Content is compared as documents, so an index written by another tool
    (variantlib's ``generate-index-json``: other whitespace, its own schema
    URL for the same shape) is up to date when it says the same thing.
    """
    from varwheel.model.filename import INDEX_SUFFIX
    from varwheel.pipeline.index import index_differences

    present = sorted(
        p.name for p in folder.path.iterdir()
        # not only regular files: a FIFO or a link to a device there is a finding (never read)
        if p.name.endswith(INDEX_SUFFIX) and not p.name.startswith(".") and p.exists() and not p.is_dir()
    )
    folder.index_files = present
    here = folder.path.resolve()
    expected: Dict[Tuple[str, object], Tuple[ReleaseReport, List[WheelReport]]] = {}
    for release in releases:
        local = [
            w for w in release.wheels
            if w.path.resolve().parent == here and w.label is not None and w.label == w.inner_label
        ]
        if local:
            expected[_release_key(release)] = (release, local)
    identity = {name: _uv_index_identity(name) for name in present}
    used: set = set()
    for key, (release, local) in sorted(expected.items(), key=lambda item: _index_name(item[1][0].project, item[1][0].version)):
        canonical = _index_name(release.project, release.version)
        files = [name for name in present if identity[name] == key]
        used.update(files)
        if not files:
            misnamed = [name for name in present if identity[name] is None and _meant_identity(name) == key]
            used.update(misnamed)
            for name in misnamed:
                head, _, rest = name[: -len(INDEX_SUFFIX)].partition("-")
                why = (f"it reads the project name up to the first '-' ({head!r}) and {rest!r} as its version"
                       if "-" in rest else f"{rest!r} is not a PEP 440 version")
                folder.error(
                    "index-name",
                    f"{name}: {UV} ignores this file ({why}), so it ignores the variant wheels of "
                    f"{release.project} {release.version}; rename it to {canonical}",
                )
            if misnamed:
                continue
        merged = None
        if not release.errors:
            try:
                # Every local wheel has a document: its label equals variant.json's.
                merged = merge_documents([(w.path.name, w.document) for w in local if w.document is not None])
            except InconsistentVariants:  # pragma: no cover - check_release reports these first
                merged = None
        if merged is None:
            for name in files:
                folder.warning(
                    "index-unchecked",
                    f"{name} was not compared with the wheels: they disagree among themselves (see above)",
                )
            continue
        if not files:
            folder.warning(
                "index-missing",
                f"{canonical} is missing: uv ignores the variant wheels of {release.project} {release.version} "
                f"without it; run `varwheel index {folder.path}`",
            )
            continue
        for name in files:
            existing = _read_index(
                folder, name, f"every wheel of {release.project} {release.version} is unusable, the plain wheel included",
            )
            if existing is None:
                continue
            contradictions = _contradictions(name, existing, local)
            if contradictions:
                folder.error(
                    "index-contradicts",
                    f"{'; '.join(contradictions)}: {UV} chooses by the index, then judges the wheel by its own "
                    f"variant.json and fails the install; run `varwheel index {folder.path}` to rewrite it",
                )
            elif not existing.same_content(merged):
                detail = index_differences(existing, merged)
                lacking = sorted(set(merged.variants) - set(existing.variants))
                why = f" ({UV} never selects a wheel whose label the index lacks)" if lacking else ""
                folder.error(
                    "index-stale",
                    f"{name} is out of date: {'; '.join(detail)}{why}; run `varwheel index {folder.path}` to rewrite it",
                )
    for name in present:
        if name in used:
            continue
        if _read_index(folder, name, "every wheel of that release is unusable, the plain wheel included") is None:
            continue
        folder.warning(
            "index-orphan",
            f"{name}: no labelled variant wheel of this release is in {folder.path}",
        )


# -- entry point ----------------------------------------------------------------------------------


def check_paths(paths: Sequence["str | os.PathLike[str]"]) -> CheckReport:
    """Check wheels and folders of wheels.

    Raises :class:`InvalidInput` only for bad usage: a path that does not
    exist, a file that is not a ``.whl``, a folder without wheels.
    Everything wrong *inside* a wheel or folder is a finding.
    """
    from varwheel.wheel.scan import expand_paths

    if not paths:
        raise InvalidInput("give at least one wheel or folder to check")
    files, folders, _ = expand_paths(paths, empty="holds no .whl files to check")
    for path in files:
        if not path.is_file() or not path.name.endswith(".whl"):
            raise InvalidInput(f"{path}: not a .whl file; give wheels or folders of wheels")
    report = CheckReport()
    for path in files:
        report.wheels.append(check_wheel(path))
    # One release per name and PEP 440 version, as installers and `index` see it
    # (1.0 and 1.0.0 are one release; check_release reports the two spellings).
    groups: Dict[Tuple[str, object], ReleaseReport] = {}
    for wheel in report.wheels:
        if wheel.filename is None:
            continue
        release_key = (wheel.filename.project, version_key(wheel.filename.version))
        groups.setdefault(release_key, ReleaseReport(wheel.filename.project, wheel.filename.version)).wheels.append(wheel)
    for release in sorted(groups.values(), key=lambda r: (r.project, r.version)):
        check_release(release)
        report.releases.append(release)
    for folder in folders:
        folder_report = FolderReport(folder)
        check_folder(folder_report, report.releases)
        report.folders.append(folder_report)
    return report

