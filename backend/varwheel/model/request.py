"""Turn what the user asked for into one validated variant: label, properties, variant.json.

Both front doors use this: ``varwheel make-variant`` (``-p``, ``--null-variant``,
``--variant-label``, ``--pyproject-toml``) and the build backend
(``-Cvariant=...``, ``-Cnull-variant``, ``-Cvariant-label``).  The rules:

* ``null`` <=> no properties, both ways.
* Properties without a label get the hash label.
* A label alone names ``[variant.variants.<label>]`` in pyproject.toml.
* A label together with properties must agree with that table when it exists.
* Providers come from ``[variant.providers.<ns>]``, else from the built-in
  entries uv knows (x86_64, aarch64, nvidia); any other namespace needs a table
  (in the providers format).
* A namespace served by uv's built-in provider takes only the values that
  provider can report (:mod:`varwheel.model.vocabulary`: ``level`` v1-v4, ...);
  declaring another provider for the namespace lifts the rule.
* ``default-priorities`` come from the project (it must list every namespace
  used), else the default order of :mod:`varwheel.model.builtins`.
* The null variant has no properties of its own, so its family's namespaces
  come from ``[variant.default-priorities]`` (enough for the built-in
  namespaces) and ``[variant.providers]``.

Errors are worded for the command that failed (``door``): ``make-variant``
options (``--null-variant``, ``--pyproject-toml``) or the build backend's
settings (``-Cnull-variant``, the project's own pyproject.toml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Literal, Optional, Sequence

from varwheel.model.builtins import BUILTIN_PROVIDERS, default_order
from varwheel.errors import InvalidInput, InvalidLabel, InvalidProperty
from varwheel.model.document import DEFAULT_FORMAT, FORMATS, Provider, VariantDocument
from varwheel.model.properties import NULL_LABEL, VariantDescription, label_warnings, validate_label
from varwheel.model.pyproject import VariantProject, find_named_variant

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass, field
else:
    from varwheel.model.values import dataclass, field

__all__ = ["Door", "VariantRequest", "resolve_variant"]

#: Which command asked: decides how errors name options and files.
Door = Literal["make-variant", "build"]


@dataclass
class VariantRequest:
    """A validated request: everything needed to write a variant wheel."""

    label: str
    description: VariantDescription
    document: VariantDocument
    warnings: List[str] = field(default_factory=list)

    @property
    def variant_json(self) -> bytes:
        return self.document.dumps()


def resolve_variant(
    properties: Sequence[str] = (),
    *,
    label: Optional[str] = None,
    null: bool = False,
    project: Optional[VariantProject] = None,
    metadata_format: str = DEFAULT_FORMAT,
    door: Door = "make-variant",
) -> VariantRequest:
    """Validate a request; raise :class:`InvalidInput` subclasses with actionable text."""
    if metadata_format not in FORMATS:
        raise InvalidInput(
            f"unknown metadata format {metadata_format!r}: choose {' or '.join(FORMATS)}"
        )
    if label is not None:
        validate_label(label)
    if null:
        if properties:
            raise InvalidInput("a null variant has no properties: give either properties or the null variant, not both")
        if label not in (None, NULL_LABEL):
            raise InvalidLabel(f"the null variant is always labelled 'null', not {label!r}")
        desc = VariantDescription()
        label = NULL_LABEL
    elif properties:
        desc = VariantDescription.parse(properties)
        if label is None:
            label = desc.hash_label()
        else:
            desc.check_label(label)
            named = find_named_variant(project, label)
            if named is not None and named != desc:
                raise InvalidInput(
                    f"label {label!r} is declared in {project.source if project else 'pyproject.toml'} "
                    f"[variant.variants.{label}] as {named.strings()!r}, but the properties given are "
                    f"{desc.strings()!r}: make them agree or drop one of the two"
                )
    elif label is not None:
        named = find_named_variant(project, label)
        if named is None:
            where = project.source if project is not None else "no pyproject.toml was given"
            known = sorted(project.variants) if project is not None else []
            raise InvalidInput(
                f"variant label {label!r} alone needs a [variant.variants.{label}] table "
                f"({where}; declared labels: {', '.join(known) or 'none'}); or give properties"
            )
        desc = named
    else:
        raise InvalidInput(
            "no variant requested: give properties, a label declared in pyproject.toml, or the null variant"
        )

    providers, priorities = _providers_for(desc, project, metadata_format, door)
    document = VariantDocument.for_variant(
        label,
        desc,
        providers=providers,
        default_priorities=priorities,
        metadata_format=metadata_format,
    )
    warnings = list(project.warnings) if project is not None else []
    return VariantRequest(label, desc, document, warnings + label_warnings(label))


def _where(project: Optional[VariantProject], door: Door) -> str:
    """Where the user adds a table, in the words of the command that failed."""
    if door == "build":
        return project.source if project is not None else "the project's pyproject.toml"
    if project is not None:
        return project.source
    return "a pyproject.toml and pass it with --pyproject-toml"


def _refuse_unknown_values(
    desc: VariantDescription, providers: Dict[str, Provider], project: Optional[VariantProject], door: Door
) -> None:
    """Refuse a value uv's built-in provider for its namespace can never report (``x86_64 :: level :: v5``).

    Such a wheel builds fine and is never installed by uv, on any machine: a
    typo that only users would notice.  Judged on the provider entries the
    document will record (the project's own or the built-in defaults), so a
    project that declares another provider for the namespace owns its values.
    """
    from varwheel.model.vocabulary import vocabulary_problems

    problems = vocabulary_problems(desc, providers)
    if problems:
        first = problems[0]
        ns = first.prop.namespace
        raise InvalidProperty(
            f"{first.describe()}; or declare another provider for {ns!r} in "
            f"[variant.providers.{ns}] of {_where(project, door)}"
        )


def _providers_for(
    desc: VariantDescription, project: Optional[VariantProject], metadata_format: str, door: Door = "make-variant"
) -> "tuple[Dict[str, Provider], List[str]]":
    """Providers to record and the namespace order, per the module docstring's rules."""
    used = desc.namespaces()
    providers: Dict[str, Provider] = {}
    if project is not None:
        for namespace, provider in project.providers.items():
            if provider.build_requires:
                if namespace in used:
                    raise InvalidInput(
                        f"{project.source}: variant.providers.{namespace} uses build-requires, which varwheel does not run; "
                        "declare its values as static-properties instead"
                    )
                continue
            providers[namespace] = provider
    project_prio = list(project.default_priorities) if project else []
    for namespace in used + [ns for ns in project_prio if ns not in used]:
        if namespace in providers:
            continue
        builtin = BUILTIN_PROVIDERS.get(namespace)
        if builtin is not None:
            providers[namespace] = builtin
        elif metadata_format == "providers":
            raise InvalidInput(
                f"namespace {namespace!r} has no provider: add a [variant.providers.{namespace}] table "
                f"to {_where(project, door)} (for example static-properties.<feature> = [values in "
                f"preference order]); built-in providers exist for {', '.join(sorted(BUILTIN_PROVIDERS))}"
            )
    _refuse_unknown_values(desc, providers, project, door)
    missing = [ns for ns in used if project_prio and ns not in project_prio]
    if missing:
        assert project is not None  # missing needs a non-empty project_prio, which only a project gives
        raise InvalidInput(
            f"{project.source}: variant.default-priorities.namespace does not list "
            f"{', '.join(missing)}, used by this variant: add it to the list"
        )
    if metadata_format == "providers":
        universe = set(providers)
    else:
        universe = set(used) | set(project_prio)
        providers = {}
    ordered = [ns for ns in project_prio if ns in universe]
    ordered += [ns for ns in default_order(sorted(universe)) if ns not in ordered]
    if not ordered:
        # uv and variantlib reject an empty namespace list, and a null variant
        # on its own says nothing about its family's providers.
        option = "-Cnull-variant" if door == "build" else "--null-variant"
        builtin_names = ", ".join(sorted(BUILTIN_PROVIDERS))
        raise InvalidInput(
            f"the null variant ({option}) needs its family's namespaces, and this one has none: add "
            f"[variant.default-priorities] namespace = [...] (the namespaces of the family's other variants, "
            f'for example ["x86_64"]) to {_where(project, door)}; {builtin_names} have built-in providers, any '
            "other namespace also needs a [variant.providers.<namespace>] table"
        )
    return providers, ordered
