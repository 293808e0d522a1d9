"""Which wheel an installer should take, and why (spec section 7, as uv 0.13.9 does it).

For ``PKG[specifier]`` and some ``--find-links`` folders:

1. Versions: those the specifier admits (pre-releases only when no final
   release matches, as pip does), newest first.  The first version with a
   usable wheel wins; a version whose wheels all fail is skipped, as uv skips
   a release that has "only unsupported wheel variants".
2. Tags: a wheel whose tags do not fit the target interpreter
   (:func:`packaging.tags.sys_tags` of it) is out.
3. Variant metadata: ``{name}-{version}-variants.json`` beside the wheels
   when present (several folders: merged, and a conflict is an error);
   otherwise the wheels' own ``variant.json`` files.  With an index file, a
   labelled wheel whose label the index does not list is ignored (uv ignores
   it); a wheel whose ``variant.json`` is missing, carries another label or
   other properties than the index says is ignored too (uv would refuse it at
   install time, or install something other than what the index promised).
   Without an index file uv 0.13.9 ignores variant wheels entirely;
   ``require_index=True`` reproduces that.
4. Support: per namespace of ``default-priorities``: a built-in provider
   (:mod:`varwheel.machine.providers`) detects the machine, ``static-properties``
   come from the metadata, anything else is unsupported; ``assume`` adds
   what the user states, ``detect=False`` leaves only that and the static
   properties.
5. Ranking: a variant is compatible when every feature it lists has a
   supported value.  Its key is, per feature, ``(namespace index, feature
   index, index of its best value)``, sorted; keys compare
   lexicographically, a key that is a prefix of another loses to it, ties go
   to the smaller label.  ``null`` follows every variant, plain wheels follow
   ``null``.  Among wheels of one label the better tag wins, then the higher
   build tag.
6. Choosing by hand (:class:`Choice`, what no installer offers yet):
   ``PKG#LABEL`` keeps only the wheels of that label and takes the best of
   them even where this machine does not support it (state ``forced``, one
   warning naming what fails here), for building an image on a machine
   without the target hardware; tags still apply.  ``no_variant`` keeps the
   plain wheels and, after them, ``null``.  Everything else is ``excluded``.
   A label no wheel of the admitted versions carries is :class:`UnknownVariant`.

:func:`select_locked` ranks the wheels of one locked release by the
``variants-json`` table inlined in a ``pylock.toml`` instead of folders.

Nothing here installs or prints; :mod:`varwheel.cli.select` and
:mod:`varwheel.machine.install` present and act on a :class:`Selection`.

Example::

    sel = select("torch==2.8", ["dist/"])
    if sel.chosen:
        print(sel.chosen.path)
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Literal, Mapping, Optional, Sequence, Tuple

from varwheel.errors import InconsistentVariants, InvalidInput
from varwheel.model.filename import WheelFilename
from varwheel.model.document import VariantDocument, read_document_file
from varwheel.model.release import merge_documents
from varwheel.model.properties import NULL_LABEL, Property, VariantDescription
from varwheel.model.filename import INDEX_SUFFIX
from varwheel.machine.providers import FeatureSupport, NamespaceSupport
from varwheel.model.builtins import builtin_for
from varwheel.model.builtins import UV

if TYPE_CHECKING:
    from varwheel.machine.detect_cache import DetectCache
    # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass, field
else:
    from varwheel.model.values import dataclass, field

__all__ = [
    "INDEX_SUFFIX",
    "Candidate",
    "Release",
    "Selection",
    "Failure",
    "Evaluation",
    "evaluate",
    "variant_sort_key",
    "rank_labels",
    "parse_assumptions",
    "merge_support",
    "target_tags",
    "select",
    "select_locked",
    "Choice",
    "UnknownVariant",
    "parse_requirement",
]

Key = Tuple[int, int, int]
_SENTINEL = (1 << 30, 0, 0)

#: What a candidate wheel is, and what became of it.
Kind = Literal["variant", "null", "plain"]
State = Literal["compatible", "incompatible", "ignored", "excluded", "forced"]
VARIANT: Kind = "variant"
NULL: Kind = "null"
PLAIN: Kind = "plain"
COMPATIBLE: State = "compatible"
INCOMPATIBLE: State = "incompatible"
IGNORED: State = "ignored"
#: Out because the user chose another wheel by hand (``PKG#LABEL``, ``--no-variant``).
EXCLUDED: State = "excluded"
#: Chosen by hand (``PKG#LABEL``) although this machine does not support it: ranked.
FORCED: State = "forced"
# uv scores ``null`` like any label (no properties: an empty key, after every variant with one,
# tied by label with a labelled variant that has no properties either); plain wheels come last.
_GROUP = {VARIANT: 0, NULL: 0, PLAIN: 1}


# -- pure ranking -------------------------------------------------------------------------
@dataclass(frozen=True)
class Failure:
    """One feature of a variant that the machine does not support."""

    namespace: str
    feature: str
    values: Tuple[str, ...]
    why: str

    def __str__(self) -> str:
        vals = ", ".join(self.values)
        return f"{self.namespace} :: {self.feature} :: {vals} ({self.why})"


@dataclass(frozen=True)
class Evaluation:
    """Compatibility verdict and rank key of one property set."""

    failures: Tuple[Failure, ...]
    key: Tuple[Key, ...]
    best: Tuple[str, ...]  # per key entry, the property that gave it

    @property
    def compatible(self) -> bool:
        return not self.failures


def evaluate(
    desc: VariantDescription,
    namespace_order: Sequence[str],
    support: Mapping[str, NamespaceSupport],
    unsupported: Mapping[str, str] = {},
) -> Evaluation:
    """Spec section 7 steps 3 and 4 for one variant: compatible?  rank key?"""
    failures: List[Failure] = []
    entries: List[Tuple[Key, str]] = []
    for (namespace, feature), values in desc.values_by_feature().items():
        ns_support = support.get(namespace)
        if ns_support is None or not ns_support.features:
            why = unsupported.get(namespace) or (ns_support.note if ns_support is not None and ns_support.note else "")
            failures.append(Failure(namespace, feature, tuple(values),
                                    f"namespace {namespace!r} unsupported: {why}" if why else f"namespace {namespace!r} unsupported"))
            continue
        names = [f.name for f in ns_support.features]
        if feature not in names:
            failures.append(Failure(namespace, feature, tuple(values),
                                    f"this machine has no {namespace} :: {feature} (supported: {', '.join(names)})"))
            continue
        order = ns_support.features[names.index(feature)].values
        hits = [order.index(v) for v in values if v in order]
        if not hits:
            shown = ", ".join(order[:6]) + (f", ... ({len(order)} values)" if len(order) > 6 else "")
            failures.append(Failure(namespace, feature, tuple(values), f"supported: {shown}"))
            continue
        ns_index = namespace_order.index(namespace) if namespace in namespace_order else len(namespace_order)
        best = min(hits)
        entries.append(((ns_index, names.index(feature), best), f"{namespace} :: {feature} :: {order[best]}"))
    entries.sort()
    return Evaluation(tuple(failures), tuple(k for k, _ in entries), tuple(p for _, p in entries))


def variant_sort_key(key: Sequence[Key], label: str) -> Tuple:
    """Sort key (ascending = better): lexicographic keys, a prefix loses, then the label."""
    return (tuple(key) + (_SENTINEL,), label)


def rank_labels(
    variants: Mapping[str, VariantDescription],
    namespace_order: Sequence[str],
    support: Mapping[str, NamespaceSupport],
) -> Tuple[List[str], List[str]]:
    """``(compatible labels best first, incompatible labels)``: the ranking :func:`select` applies.

    ``null`` has no properties, so its key is empty and it follows every
    variant that has one (uv 0.13.9 scores it like any other label).
    """
    good: List[Tuple[str, Evaluation]] = []
    bad: List[Tuple[str, Evaluation]] = []
    for label, desc in variants.items():
        ev = evaluate(desc, namespace_order, support)
        (good if ev.compatible else bad).append((label, ev))
    # The order _candidate_key gives wheels of one tag and build: null has the empty key.
    good.sort(key=lambda item: variant_sort_key(item[1].key, item[0]))
    return [label for label, _ in good], sorted(label for label, _ in bad)


# -- assumptions ------------------------------------------------------------------------
def parse_assumptions(texts: Iterable[str]) -> Dict[str, NamespaceSupport]:
    """``--assume`` properties -> supported features, in the order given.

    ``x86_64 :: level :: vN`` means a vN machine (vN .. v1);
    ``aarch64 :: version :: X`` means X and every earlier version.  Other
    properties are taken literally.
    """
    from varwheel.machine.providers import aarch64, x86_64

    out: Dict[str, NamespaceSupport] = {}
    for text in texts:
        prop = Property.parse(text)
        values = [prop.value]
        if prop.namespace == "x86_64" and prop.feature == "level" and prop.value in x86_64.LEVELS:
            values = x86_64.supported_levels(prop.value)
        elif prop.namespace == "aarch64" and prop.feature == "version" and prop.value in aarch64.VERSIONS:
            values = aarch64.supported_versions(prop.value)
        ns = out.setdefault(prop.namespace, NamespaceSupport(prop.namespace, [], source="--assume", note="assumed"))
        merged = merge_support(ns, NamespaceSupport(prop.namespace, [FeatureSupport(prop.feature, tuple(values))]))
        out[prop.namespace] = NamespaceSupport(prop.namespace, merged.features, source="--assume", note="assumed")
    return out


def _ranked_values(namespace: str, feature: str) -> Optional[Tuple[str, ...]]:
    """Values of a built-in feature that form a ladder, best first (x86-64 levels, Arm versions)."""
    from varwheel.machine.providers import aarch64, x86_64

    if (namespace, feature) == ("x86_64", "level"):
        return x86_64.LEVELS
    if (namespace, feature) == ("aarch64", "version"):
        return tuple(reversed(aarch64.VERSIONS))
    return None


def merge_support(base: Optional[NamespaceSupport], extra: NamespaceSupport) -> NamespaceSupport:
    """``base`` plus ``extra``'s features/values.

    Values are appended after what ``base`` prefers, except on a ladder (x86-64
    levels, Arm versions), where the union is ordered best first: a detected
    ``v1`` (Windows, where only ``--assume`` knows better) plus an assumed ``v3``
    is a v3 machine.  ``caveats`` of both are kept.
    """
    if base is None:
        return NamespaceSupport(extra.namespace, list(extra.features), source=extra.source, note=extra.note,
                                caveats=extra.caveats)
    features = [FeatureSupport(f.name, f.values) for f in base.features]
    for feat in extra.features:
        for i, have in enumerate(features):
            if have.name == feat.name:
                values = have.values + tuple(v for v in feat.values if v not in have.values)
                ladder = _ranked_values(base.namespace, have.name)
                if ladder is not None:
                    values = tuple(sorted(values, key=lambda v: ladder.index(v) if v in ladder else len(ladder)))
                features[i] = FeatureSupport(have.name, values)
                break
        else:
            features.append(feat)
    source = ", ".join(s for s in (base.source, extra.source) if s)
    note = "; ".join(n for n in (base.note, extra.note) if n)
    caveats = base.caveats + tuple(c for c in extra.caveats if c not in base.caveats)
    return NamespaceSupport(base.namespace, features, base.extra, source, note or None, caveats=caveats)


# -- choosing by hand ---------------------------------------------------------------------------
class UnknownVariant(InvalidInput):
    """``PKG#LABEL`` names a label that no wheel of the admitted versions carries."""


@dataclass(frozen=True)
class Choice:
    """What the user chose by hand: one label (``PKG#LABEL``) or no variant at all (``--no-variant``).

    Overrides are the user's statement about the target machine (a Docker image
    built elsewhere), so a chosen label counts even where this machine does not
    support it; tags and broken metadata still rule a wheel out.
    """

    label: Optional[str] = None
    no_variant: bool = False

    def __post_init__(self) -> None:
        if self.label is not None and self.no_variant:
            raise InvalidInput(f"give PKG#{self.label} or --no-variant, not both")

    @property
    def active(self) -> bool:
        return self.label is not None or self.no_variant

    def describe(self) -> str:
        if self.label is not None:
            return f"variant {self.label!r} (#{self.label})"
        return "no variant (--no-variant): the plain wheel, else the null variant" if self.no_variant else "none"

    def to_json(self) -> Optional[Dict[str, object]]:
        return {"label": self.label, "no_variant": self.no_variant} if self.active else None


#: nothing chosen by hand (the default of the functions that take a :class:`Choice`)
NO_CHOICE = Choice()


def parse_requirement(text: str) -> Tuple[Any, Optional[str]]:
    """``PKG[extras][specifier][#LABEL]`` -> ``(packaging Requirement, label or None)``.

    ``#`` cannot occur in a PEP 508 name-and-specifier requirement (only inside
    a URL, which select refuses), so the text after the first ``#`` is the
    label.  Whitespace around it is dropped: ``'pkg==1.0 #cu128'`` typed inside
    quotes means the same as ``pkg==1.0#cu128``.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    from varwheel.model.properties import validate_label

    head, sep, tail = text.partition("#")
    label: Optional[str] = None
    if sep:
        label = tail.strip()
        if not label:
            raise InvalidInput(f"requirement {text!r}: nothing after '#': give a variant label (PKG#cu128) "
                               "or drop the '#'")
        try:
            validate_label(label)
        except InvalidInput as exc:
            raise InvalidInput(f"requirement {text!r}: {exc}") from None
    try:
        req = Requirement(head.strip())
    except InvalidRequirement as exc:
        raise InvalidInput(f"requirement {text!r} is invalid: {exc}") from None
    if req.url or req.marker is not None:
        raise InvalidInput(f"requirement {text!r}: give a name and optionally a version (PKG==1.0), not a URL or marker")
    return req, label


# -- tags -------------------------------------------------------------------------------------
_TAGS_SCRIPT = r"""
import json
try:
    from packaging import tags
except ImportError:
    from pip._vendor.packaging import tags
print(json.dumps([str(t) for t in tags.sys_tags()]))
"""


def target_tags(python: Optional[str] = None) -> List[str]:
    """The target interpreter's supported tags, best first (this interpreter by default)."""
    if python is None:
        from packaging import tags

        return [str(t) for t in tags.sys_tags()]
    import json

    try:
        proc = subprocess.run([python, "-c", _TAGS_SCRIPT], capture_output=True, text=True, timeout=120)
    except OSError as exc:
        raise InvalidInput(f"--python {python}: cannot run it ({exc.strerror or exc})") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise InvalidInput(
            f"--python {python}: cannot read its platform tags ({last}); it needs packaging or pip"
        )
    try:
        found = json.loads(proc.stdout)
    except ValueError:
        found = None
    if not isinstance(found, list) or not all(isinstance(t, str) for t in found):
        shown = proc.stdout.strip()[:80] or "nothing"
        raise InvalidInput(f"--python {python}: is not a Python interpreter (it printed {shown!r})")
    return found


# -- candidates and releases ------------------------------------------------------------------
@dataclass
class Candidate:
    """One wheel file of the requested project, and what became of it."""

    path: Path
    filename: WheelFilename
    kind: Kind
    label: Optional[str] = None
    description: Optional[VariantDescription] = None
    state: State = COMPATIBLE
    reasons: List[str] = field(default_factory=list)
    evaluation: Optional[Evaluation] = None
    tag_rank: Optional[int] = None
    rank: Optional[int] = None  # 1 = best, among the compatible wheels of its release
    #: With an index file: what the wheel's own variant.json says when it differs from the
    #: index (uv ranks by the index and reads the wheel's own file only once it is chosen).
    own_description: Optional[VariantDescription] = None
    own_problem: Optional[str] = None

    @property
    def name(self) -> str:
        return self.path.name

    def verdict(self) -> str:
        if self.state == COMPATIBLE:
            return f"rank {self.rank}"
        if self.state == FORCED:
            return f"rank {self.rank}, forced although this machine does not support {'; '.join(self.reasons)}"
        return f"{self.state}: {'; '.join(self.reasons)}"

    def to_json(self) -> Dict[str, object]:
        ev = self.evaluation
        return {
            "file": self.path.name,
            "path": str(self.path),
            "kind": self.kind,
            "label": self.label,
            "properties": self.description.strings() if self.description is not None else None,
            "state": self.state,
            "reasons": list(self.reasons),
            "rank": self.rank,
            "key": [list(k) for k in ev.key] if ev is not None and ev.compatible else None,
            "key_properties": list(ev.best) if ev is not None and ev.compatible else None,
            "tag_rank": self.tag_rank,
        }


@dataclass
class Release:
    """All wheels of one version, the metadata used to judge them, and the outcome."""

    version: str
    index_files: List[Path] = field(default_factory=list)
    document: Optional[VariantDocument] = None
    metadata_source: str = "none"  # index | wheels | none
    support: Dict[str, NamespaceSupport] = field(default_factory=dict)
    unsupported: Dict[str, str] = field(default_factory=dict)
    providers: Dict[str, str] = field(default_factory=dict)  # namespace -> how it is evaluated
    candidates: List[Candidate] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    #: What the drafts forbid in the metadata used but uv 0.13.9 accepts (the
    #: document's findings): the choice follows uv; ``--explain`` names both views.
    notes: List[str] = field(default_factory=list)
    #: Why uv 0.13.9 cannot use this version at all, plain wheel included (an index it
    #: cannot parse, the chosen wheel's own variant.json unreadable or naming another
    #: label): uv goes on to the next older version.
    unusable: Optional[str] = None
    #: Why uv 0.13.9 selects a wheel of this version and then fails to install it (its own
    #: variant.json asks for properties this machine lacks): nothing is installed.
    install_fails: Optional[str] = None

    @property
    def ranked(self) -> List[Candidate]:
        return sorted((c for c in self.candidates if c.state in (COMPATIBLE, FORCED)), key=lambda c: c.rank or 0)

    @property
    def choice(self) -> Optional[Candidate]:
        """The wheel uv installs from this version, if any."""
        if self.unusable or self.install_fails or not self.ranked:
            return None
        return self.ranked[0]

    def to_json(self) -> Dict[str, object]:
        return {
            "version": self.version,
            "index_files": [str(p) for p in self.index_files],
            "metadata_source": self.metadata_source,
            "namespace_order": list(self.document.default_priorities) if self.document else [],
            "providers": dict(self.providers),
            "supported": {ns: s.to_json() for ns, s in self.support.items()},
            "unsupported": dict(self.unsupported),
            "candidates": [c.to_json() for c in self.candidates],
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "unusable": self.unusable,
            "install_fails": self.install_fails,
        }


@dataclass
class Selection:
    """The outcome of :func:`select`."""

    project: str
    requirement: str
    releases: List[Release]
    chosen: Optional[Candidate]
    warnings: List[str] = field(default_factory=list)
    choice: Choice = field(default_factory=Choice)

    @property
    def chosen_release(self) -> Optional[Release]:
        for release in self.releases:
            if self.chosen is not None and self.chosen in release.candidates:
                return release
        return None

    def why_nothing(self) -> str:
        """One paragraph saying why no wheel fits (empty when one does)."""
        if self.chosen is not None:
            return ""
        if not self.releases:
            return f"no wheel of {self.requirement} in the --find-links folders"
        lines = []
        if self.choice.label is not None:
            lines.append(f"variant {self.choice.label!r} exists but no wheel of it can be installed here:")
        for release in self.releases:
            lines.append(f"{self.project} {release.version}:")
            for reason in (release.unusable, release.install_fails):
                if reason:
                    lines.append(f"  {reason}")
            lines += [f"  {c.name}: {c.verdict()}" for c in release.candidates] or ["  no wheels"]
        return "\n".join(lines)

    def to_json(self) -> Dict[str, object]:
        return {
            "requirement": self.requirement,
            "project": self.project,
            "selected": str(self.chosen.path) if self.chosen else None,
            "selected_file": self.chosen.name if self.chosen else None,
            "selected_label": self.chosen.label if self.chosen else None,
            "selected_version": self.chosen_release.version if self.chosen_release else None,
            "releases": [r.to_json() for r in self.releases],
            "warnings": list(self.warnings),
            "choice": self.choice.to_json(),
        }


# -- scanning ----------------------------------------------------------------------------
def _scan(find_links: Sequence["str | os.PathLike[str]"], project: str, warnings: List[str]):
    """``{version: ([wheel paths], [index paths])}`` for ``project`` across the folders."""
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    found: Dict[Version, Tuple[List[Tuple[Path, WheelFilename]], List[Path], List[str]]] = {}
    if not find_links:
        raise InvalidInput("give at least one --find-links DIR (the folder with the wheels)")
    for entry in find_links:
        folder = Path(entry)
        if not folder.is_dir():
            raise InvalidInput(f"--find-links {folder}: {'not a directory' if folder.exists() else 'no such directory'}")
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            raise InvalidInput(f"--find-links {folder}: cannot list it ({exc.strerror or exc})") from None
        for name in names:
            path = folder / name
            if name.startswith("."):  # temp files of a writer at work
                continue
            if name.endswith(".whl") and not path.is_file():
                continue  # as index.wheel_paths: a folder or a dangling link is not a wheel
            if name.endswith(".whl"):
                try:
                    fname = WheelFilename.parse(name)
                except InvalidInput as exc:
                    if canonicalize_name(name.split("-", 1)[0]) == project:
                        warnings.append(f"{path}: skipped: {exc}")
                    continue
                if canonicalize_name(fname.name) != project:
                    continue
                version_text = fname.version
                kind = "wheel"
            elif name.endswith(INDEX_SUFFIX):
                if path.is_dir():  # uv 0.13.9 lists only files of a find-links folder
                    warnings.append(f"{path}: skipped: a directory, not an index file ({UV} ignores it too)")
                    continue
                stem = name[: -len(INDEX_SUFFIX)]
                dist, sep, version_text = stem.rpartition("-")
                if not sep or canonicalize_name(dist) != project:
                    continue
                kind = "index"
            else:
                continue
            try:
                version = Version(version_text.replace("_", "-"))
            except InvalidVersion:
                warnings.append(f"{path}: skipped: version {version_text!r} is not a PEP 440 version")
                continue
            wheels, indexes, spellings = found.setdefault(version, ([], [], []))
            if version_text not in spellings:
                spellings.append(version_text)
            if kind == "wheel":
                wheels.append((path, fname))
            else:
                indexes.append(path)
    return found


def _read_indexes(paths: List[Path]) -> Tuple[Optional[VariantDocument], Optional[str]]:
    """Merged index document, or ``(None, problem)`` for an unreadable one.  Conflicts raise."""
    docs = []
    for path in paths:
        try:
            raw = read_document_file(path)
        except OSError as exc:
            return None, f"{path}: cannot read it ({exc.strerror or exc})"
        except InvalidInput as exc:
            return None, str(exc)
        try:
            docs.append((str(path), VariantDocument.loads(raw, source=str(path))))
        except InvalidInput as exc:
            return None, str(exc)
    if len(docs) == 1:
        return docs[0][1], None
    try:
        return merge_documents(docs), None
    except InconsistentVariants as exc:
        raise InconsistentVariants(
            f"conflicting index files: {exc}; publish one consistent index "
            "(`varwheel index DIR` over all the wheels) or pass only one of the folders"
        ) from None


def _wheel_variant(path: Path, label: str) -> Tuple[Optional[Tuple[str, VariantDocument]], Optional[str]]:
    """The wheel's own ``(label, variant.json)``, or ``(None, problem)``: missing, unreadable, another label."""
    from varwheel.wheel.archive import WheelArchive

    try:
        with WheelArchive(path) as archive:
            found = archive.variant()
    except InvalidInput as exc:
        return None, str(exc)
    if found is not None and found[0] != label:
        return None, f"its variant.json describes {found[0]!r}, not the file name's {label!r}"
    return found, None


# -- support resolution ----------------------------------------------------------------
Detector = Callable[[str], NamespaceSupport]


def _resolve_support(
    release: Release,
    detector: Optional[Detector],
    assumed: Mapping[str, NamespaceSupport],
) -> None:
    from varwheel.machine.providers.static import static_support

    doc = release.document
    if doc is None:
        return
    for namespace in doc.default_priorities:
        support: Optional[NamespaceSupport] = None
        reason = ""
        provider = doc.providers.get(namespace)
        if not doc.declares_providers:
            reason = "the metadata has no providers table (the pep825 format): uv treats such variants as unsupported"
            release.providers[namespace] = "none (no providers table)"
        elif provider is None:  # pragma: no cover - metadata validation forbids it
            reason = "no provider entry"
        elif provider.static_properties and not provider.optional:
            support = static_support(namespace, provider)
            release.providers[namespace] = "static-properties"
        else:
            builtin, reason = builtin_for(namespace, provider)
            if builtin is not None:
                release.providers[namespace] = builtin.describe()
                if detector is not None:
                    support = detector(namespace)
                else:
                    support = NamespaceSupport(namespace, [], source="--no-detect", note="detection disabled (--no-detect)")
            else:
                release.providers[namespace] = f"unsupported: {reason}"
        if namespace in assumed:
            if support is None:
                # Planning for an installer that can evaluate it (a plugin-running
                # one): the user's statement counts, but uv 0.13.9 would not agree.
                release.warnings.append(
                    f"--assume for namespace {namespace!r} counts although {UV} cannot "
                    f"evaluate it ({reason}); uv itself would not pick these variants"
                )
            support = merge_support(support, assumed[namespace])
        if support is not None:
            release.support[namespace] = support
            if not support.features:
                release.unsupported[namespace] = support.note or "nothing detected"
        else:
            release.unsupported[namespace] = reason


# -- the entry point ------------------------------------------------------------------------
def select(
    requirement: str,
    find_links: Sequence["str | os.PathLike[str]"],
    *,
    tags: Optional[Sequence[str]] = None,
    assume: Sequence[str] = (),
    detect: "bool | DetectCache" = True,
    require_index: bool = False,
    env: Optional[Mapping[str, str]] = None,
    all_releases: bool = False,
    no_variant: bool = False,
) -> Selection:
    """Choose the wheel for ``requirement`` (``PKG``, ``PKG<specifier>``, either with ``#LABEL``) from ``find_links``.

    ``tags``: the target interpreter's tags, best first (default: this one's).
    ``detect``: look at this machine (``False``: only ``assume`` and static
    properties); a :class:`~varwheel.machine.detect_cache.DetectCache` also does, through that cache.
    ``all_releases``: judge every admitted version, not only down to the one chosen.
    ``#LABEL`` / ``no_variant``: choosing by hand (:class:`Choice`).
    Raises :class:`InvalidInput` for a bad requirement, folder or assumption,
    :class:`UnknownVariant` for a label no admitted wheel carries, and
    :class:`InconsistentVariants` for index files (or, without one, wheels)
    that disagree about the same release.
    """
    from packaging.utils import canonicalize_name

    req, label = parse_requirement(requirement)
    choice = Choice(label, no_variant)
    project = canonicalize_name(req.name)
    tag_rank, assumed, detector = _machine(tags, assume, detect, env)
    warnings: List[str] = []
    found = _scan(find_links, project, warnings)
    versions = sorted(req.specifier.filter(found), reverse=True)
    if label is not None:
        _check_label_exists(label, str(req), {v: [f for _, f in found[v][0]] for v in found}, versions)
    releases: List[Release] = []
    chosen: Optional[Candidate] = None
    decided = False
    for version in versions:
        wheels, index_paths, spellings = found[version]
        release = _judge_release(
            spellings[0], wheels, index_paths, tag_rank, detector, assumed, require_index, choice=choice,
        )
        releases.append(release)
        warnings.extend(release.warnings)
        if not decided:
            # uv takes the newest usable version; if installing its wheel then fails, it tries no other.
            chosen = release.choice
            decided = chosen is not None or release.install_fails is not None
        if decided and not all_releases:
            break
    return _finish(Selection(project, str(req) + (f"#{label}" if label else ""), releases, chosen, warnings, choice))


def select_locked(
    project: str,
    version: str,
    wheels: Sequence[Tuple[Path, WheelFilename]],
    document: Optional[VariantDocument],
    *,
    source: str = "pylock.toml",
    label: Optional[str] = None,
    no_variant: bool = False,
    tags: Optional[Sequence[str]] = None,
    assume: Sequence[str] = (),
    detect: "bool | DetectCache" = True,
    env: Optional[Mapping[str, str]] = None,
) -> Selection:
    """:func:`select` for one release of a lock file: its wheels and its inlined ``variants-json``.

    The wheels are ranked by ``document`` alone, without opening them (a lock
    may point at URLs not fetched yet); the installer checks the chosen file's
    hash and own ``variant.json`` afterwards.  ``wheels`` pairs each wheel's
    place (a path, or the file name of a URL) with its parsed name.
    """
    choice = Choice(label, no_variant)
    if label is not None:
        from packaging.version import Version

        _check_label_exists(label, f"{project}=={version} in {source}", {Version(version): [f for _, f in wheels]},
                            [Version(version)])
    tag_rank, assumed, detector = _machine(tags, assume, detect, env)
    inline = (document, source) if document is not None else None
    release = _judge_release(version, list(wheels), [], tag_rank, detector, assumed, False, choice=choice,
                             inline=inline, no_metadata=None if document is not None else source)
    requirement = f"{project}=={version}" + (f"#{label}" if label else "")
    return _finish(Selection(project, requirement, [release], release.choice, list(release.warnings), choice))


def _machine(
    tags: Optional[Sequence[str]], assume: Sequence[str], detect: "bool | DetectCache", env: Optional[Mapping[str, str]],
) -> Tuple[Dict[str, int], Dict[str, NamespaceSupport], Optional[Detector]]:
    """The target's tag ranks, the user's assumptions, and a detector (None: ``detect=False``).

    ``detect`` may be a :class:`~varwheel.machine.detect_cache.DetectCache`: the
    per-user cache the CLI uses (answers found there are not detected again).
    """
    from varwheel.machine.detect_cache import DetectCache

    assumed = parse_assumptions(assume)
    tag_list = list(tags) if tags is not None else target_tags()
    environ = os.environ if env is None else env
    user_cache = detect if isinstance(detect, DetectCache) else None
    cache: Dict[str, NamespaceSupport] = {}

    def detector(namespace: str) -> NamespaceSupport:
        if namespace not in cache:
            from varwheel.machine.providers import detect_namespace

            cache[namespace] = user_cache.detect(namespace, environ) if user_cache else detect_namespace(namespace, environ)
        return cache[namespace]

    return {tag: i for i, tag in enumerate(tag_list)}, assumed, detector if detect else None


def _check_label_exists(label: str, what: str, wheels_by_version: Mapping[Any, Sequence[WheelFilename]],
                        admitted: Sequence[Any]) -> None:
    """Raise :class:`UnknownVariant` when no wheel of the admitted versions carries ``label``."""
    if not any(wheels_by_version.get(v) for v in admitted):
        return  # no wheels at all: "nothing fits" says more than a label error
    labels = sorted({f.label for v in admitted for f in wheels_by_version[v] if f.label is not None})
    if label in labels:
        return
    elsewhere = sorted(str(v) for v, fnames in wheels_by_version.items()
                       if v not in admitted and any(f.label == label for f in fnames))
    there = f"the labels that exist: {', '.join(labels)}" if labels else "its wheels have no variant labels"
    hint = f"; version {', '.join(elsewhere)} has it" if elsewhere else ""
    raise UnknownVariant(f"{what}: no wheel has the variant label {label!r} ({there}){hint}")


def _finish(sel: Selection) -> Selection:
    """Add the one warning a variant chosen by hand against this machine gets."""
    top = sel.chosen
    if top is not None and top.state == FORCED:
        sel.warnings.append(
            f"{top.name}: variant {top.label!r} taken as chosen by hand although this machine does not support "
            f"{'; '.join(top.reasons)}"
        )
    return sel


def _judge_release(
    version: str,
    wheels: List[Tuple[Path, WheelFilename]],
    index_paths: List[Path],
    tag_rank: Mapping[str, int],
    detector: Optional[Detector],
    assumed: Mapping[str, NamespaceSupport],
    require_index: bool,
    *,
    choice: Choice = NO_CHOICE,
    inline: Optional[Tuple[VariantDocument, str]] = None,
    no_metadata: Optional[str] = None,
) -> Release:
    """Judge, rank and choose among one version's wheels.

    ``inline``: ``(document, source)`` stands for the index files and the
    wheels are not opened (a lock file's ``variants-json``); ``no_metadata``:
    the source that should have had that document but has none (its labelled
    wheels are ignored).
    """
    release = Release(version, sorted(index_paths))
    index_doc: Optional[VariantDocument] = None
    index_problem: Optional[str] = None
    source = _names(index_paths)
    if inline is not None:
        index_doc, source = inline
    if index_paths:
        index_doc, index_problem = _read_indexes(sorted(index_paths))
        if index_problem:
            release.unusable = (f"{UV} cannot use version {version} at all, plain wheel included: {index_problem}")
            release.warnings.append(f"{index_problem}; {UV} cannot use version {version} at all (plain wheel included) "
                                    "and goes on to an older one")
    wheel_docs: List[Tuple[str, VariantDocument]] = []
    for path, fname in sorted(wheels, key=lambda item: item[0].name):
        cand = Candidate(path, fname, PLAIN if fname.label is None else (NULL if fname.label == NULL_LABEL else VARIANT),
                         label=fname.label)
        release.candidates.append(cand)
        ranks = [tag_rank[t] for t in ("-".join(tag) for tag in fname.tags()) if t in tag_rank]
        if not ranks:
            cand.state = INCOMPATIBLE
            cand.reasons.append(f"tags {fname.python}-{fname.abi}-{fname.platform} do not fit the target interpreter")
        else:
            cand.tag_rank = min(ranks)
        if cand.kind == PLAIN:
            continue
        label = cand.label
        assert label is not None  # only a plain wheel (handled above) has no label
        if index_paths and index_doc is None:
            cand.state, cand.reasons = IGNORED, [f"index unreadable: {index_problem}"]
            continue
        if no_metadata is not None:
            cand.state, cand.reasons = IGNORED, [f"{no_metadata} has no variants-json table for it"]
            continue
        if not index_paths and inline is None and require_index:
            cand.state, cand.reasons = IGNORED, [
                f"no {fname.project}-{version}{INDEX_SUFFIX} beside it ({UV} ignores variant wheels without one; "
                "run `varwheel index DIR`)"
            ]
            continue
        if index_doc is not None and label not in index_doc.variants:
            cand.state, cand.reasons = IGNORED, [f"label {label!r} is not listed in {source} (uv ignores it)"]
            continue
        if inline is not None:
            cand.description = index_doc.variants[label] if index_doc is not None else None
            continue  # the installer reads the chosen wheel's own variant.json once it has the file
        inner, problem = _wheel_variant(path, label)
        if index_doc is not None:
            # uv ranks by the index; the wheel's own file counts only once the wheel is chosen.
            cand.description = index_doc.variants[label]
            if problem is not None or inner is None:
                cand.own_problem = problem or "no variant.json inside"
            elif inner[1].variants[inner[0]] != cand.description:
                cand.own_description = inner[1].variants[inner[0]]
            continue
        if problem is not None or inner is None:
            cand.state, cand.reasons = IGNORED, [problem or "no variant.json inside (uv refuses such a wheel)"]
            continue
        inner_label, inner_doc = inner
        cand.description = inner_doc.variants[inner_label]
        wheel_docs.append((path.name, inner_doc))
    if index_doc is not None:
        release.document, release.metadata_source = index_doc, "index" if inline is None else "lock"
    elif wheel_docs:
        try:
            release.document = merge_documents(wheel_docs)
        except InconsistentVariants as exc:
            raise InconsistentVariants(f"the variant wheels of version {version} disagree: {exc}") from None
        release.metadata_source = "wheels"
        release.warnings.append(
            f"no {release.candidates[0].filename.project}-{version}{INDEX_SUFFIX} found: ranked with the wheels' own "
            f"variant.json; {UV} ignores variant wheels without that file (run `varwheel index DIR`, "
            "or pass --require-index to see what uv picks)"
        )
    if release.document is not None:
        release.notes = [str(f) for f in release.document.findings]
    _resolve_support(release, detector, assumed)
    order = release.document.default_priorities if release.document else []
    for cand in release.candidates:
        if cand.state != COMPATIBLE or cand.kind == PLAIN:
            continue
        assert cand.description is not None
        cand.evaluation = evaluate(cand.description, order, release.support, release.unsupported)
        if not cand.evaluation.compatible:
            cand.state = FORCED if choice.label is not None and cand.label == choice.label else INCOMPATIBLE
            grouped: Dict[str, List[str]] = {}
            for failure in cand.evaluation.failures:
                grouped.setdefault(failure.why, []).append(
                    f"{failure.namespace} :: {failure.feature} :: {', '.join(failure.values)}")
            cand.reasons.extend(f"{'; '.join(props)} ({why})" for why, props in grouped.items())
    _exclude(release, choice)
    good = [c for c in release.candidates if c.state in (COMPATIBLE, FORCED)]
    builds = sorted({_build_key(c.filename) for c in good}, reverse=True)
    build_rank = {b: i for i, b in enumerate(builds)}
    good.sort(key=lambda c: _candidate_key(c, build_rank, choice.no_variant))
    for i, cand in enumerate(good, 1):
        cand.rank = i
    if good and index_doc is not None and inline is None:
        _read_own_metadata(release, good[0], order)
    return release


def _exclude(release: Release, choice: Choice) -> None:
    """Rule out what a choice by hand leaves out; wheels already out keep their own reason."""
    for cand in release.candidates:
        if cand.state not in (COMPATIBLE, FORCED):
            continue
        if choice.label is not None and cand.label != choice.label:
            cand.state, cand.reasons = EXCLUDED, [f"not the variant chosen by hand (#{choice.label})"]
        elif choice.no_variant and cand.kind == VARIANT:
            cand.state, cand.reasons = EXCLUDED, ["--no-variant: only the plain wheel or the null variant"]


def _read_own_metadata(release: Release, top: Candidate, order: Sequence[str]) -> None:
    """What uv 0.13.9 does once it has chosen ``top`` by the index: it reads the wheel's own variant.json.

    A missing or unreadable one, or one naming another label, makes the whole
    version unusable (uv: "invalid package format" / "invalid metadata"); one
    whose properties differ from the index is installed if this machine
    supports them and otherwise fails the install ("requires unsupported
    properties").  uv compares nothing else (its parser leaves that as a TODO).
    """
    if top.kind == PLAIN:
        return
    if top.own_problem is not None:
        release.unusable = (f"{UV} chooses {top.name} by the index, then cannot read its own variant.json "
                            f"({top.own_problem}), so it cannot use version {release.version} at all")
        return
    if top.own_description is None:
        return
    index_says, own = top.description.strings() if top.description else [], top.own_description.strings()
    mismatch = (f"{_names(release.index_files)} says {top.label!r} is {index_says or 'null'} but its own "
                f"variant.json says {own or 'null'}")
    if top.state == FORCED or evaluate(top.own_description, order, release.support, release.unsupported).compatible:
        release.warnings.append(f"{top.name}: {mismatch}; {UV} installs it on the index's word (it compares "
                                "nothing); fix the index (`varwheel index`)")
    else:
        release.install_fails = (f"{UV} chooses {top.name} by the index and then fails to install it: {mismatch}, "
                                 "and this machine does not support those; fix the index (`varwheel index`)")


def _build_key(fname: WheelFilename) -> Tuple:
    """pip's build-tag order: no tag < any tag; then (leading integer, rest)."""
    if not fname.build:
        return (-1, "")
    digits = len(fname.build) - len(fname.build.lstrip("0123456789"))
    return (int(fname.build[:digits]), fname.build[digits:])


def _candidate_key(cand: Candidate, build_rank: Mapping[Tuple, int], no_variant: bool = False) -> Tuple:
    if no_variant:  # plain wheels first, then null; variants are excluded
        return ({PLAIN: 0, NULL: 1, VARIANT: 2}[cand.kind], cand.tag_rank, build_rank[_build_key(cand.filename)])
    if cand.kind != PLAIN:
        assert cand.evaluation is not None and cand.label is not None
        vkey = variant_sort_key(cand.evaluation.key, cand.label)
    else:
        vkey = ((), "")
    return (_GROUP[cand.kind], vkey, cand.tag_rank, build_rank[_build_key(cand.filename)])


def _names(paths: Sequence[Path]) -> str:
    return ", ".join(p.name for p in paths)
