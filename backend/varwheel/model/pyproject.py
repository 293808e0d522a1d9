"""The ``[variant]`` table of pyproject.toml (spec section 5).

::

    [variant.default-priorities]
    namespace = ["nvidia", "x86_64"]

    [variant.providers.nvidia]
    requires = ["nvidia-variant-provider"]
    plugin-api = "nvidia_variant_provider.plugin:NvidiaVariantPlugin"

    [variant.variants.cu129]
    nvidia.sm_arch = ["90_real", "120_real"]

Every error names the offending key path (``variant.providers.nvidia.requires:
...``) so that the user can find the line to fix.  ``[tool.varwheel]`` (the
build backend's own settings) lives in :mod:`varwheel.build.toolconfig`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional

from varwheel.model.toml import load_toml
from varwheel.errors import InvalidInput, InvalidPyproject
from varwheel.model.document import Provider, static_value_findings
from varwheel.model.properties import NAMESPACE_RE, NULL_LABEL, VariantDescription, validate_label

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass, field
else:
    from varwheel.model.values import dataclass, field

__all__ = ["VariantProject", "load_variant_project", "parse_variant_table"]


@dataclass
class VariantProject:
    """What ``[variant]`` declares: namespace order, providers, named variants."""

    default_priorities: List[str] = field(default_factory=list)
    providers: Dict[str, Provider] = field(default_factory=dict)
    variants: Dict[str, VariantDescription] = field(default_factory=dict)
    source: str = "pyproject.toml"
    #: Non-fatal remarks (e.g. providers missing from default-priorities).
    warnings: List[str] = field(default_factory=list)


def load_variant_project(path: "str | Path") -> VariantProject:
    """Read ``path`` and parse its ``[variant]`` table (absent table: empty project)."""
    data = load_toml(path)
    return parse_variant_table(data.get("variant", {}), source=str(path))


def parse_variant_table(table: Any, *, source: str = "pyproject.toml") -> VariantProject:
    if not isinstance(table, Mapping):
        raise InvalidPyproject(f"{source}: variant: expected a table")
    for key in table:
        if key not in ("default-priorities", "providers", "variants"):
            raise InvalidPyproject(
                f"{source}: variant.{key}: unknown key (allowed: default-priorities, providers, variants)"
            )
    priorities: List[str] = []
    if "default-priorities" in table:
        prio = table["default-priorities"]
        where = "variant.default-priorities"
        if not isinstance(prio, Mapping):
            raise InvalidPyproject(f"{source}: {where}: expected a table with 'namespace'")
        for key in prio:
            if key != "namespace":
                raise InvalidPyproject(f"{source}: {where}.{key}: unknown key (allowed: namespace)")
        ns_list = prio.get("namespace")
        if isinstance(ns_list, str) or not isinstance(ns_list, list) or not ns_list:
            raise InvalidPyproject(
                f"{source}: {where}.namespace: expected a non-empty list of namespaces, got {ns_list!r}"
            )
        for ns in ns_list:
            if not isinstance(ns, str) or not NAMESPACE_RE.fullmatch(ns):
                raise InvalidPyproject(
                    f"{source}: {where}.namespace: {ns!r} is not a valid namespace "
                    "(lowercase letters, digits, '_')"
                )
        if len(set(ns_list)) != len(ns_list):
            raise InvalidPyproject(f"{source}: {where}.namespace: entries are not unique: {ns_list!r}")
        priorities = list(ns_list)

    providers: Dict[str, Provider] = {}
    raw_providers = table.get("providers", {})
    if not isinstance(raw_providers, Mapping):
        raise InvalidPyproject(f"{source}: variant.providers: expected a table of namespaces")
    for namespace, entry in raw_providers.items():
        where = f"variant.providers.{namespace}"
        if not isinstance(namespace, str) or not NAMESPACE_RE.fullmatch(namespace):
            raise InvalidPyproject(
                f"{source}: {where}: {namespace!r} is not a valid namespace (lowercase letters, digits, '_')"
            )
        try:
            providers[namespace] = Provider.from_json(entry, where, allow_build_requires=True)
        except InvalidInput as exc:
            raise InvalidPyproject(f"{source}: {exc}") from None
    warnings: List[str] = []
    if priorities and providers:
        # The spec's own example declares blas_lapack in providers but not in
        # default-priorities; variant.json needs both to agree, so rank the
        # unlisted namespaces after the listed ones, in table order, and say so.
        missing = [ns for ns in providers if ns not in priorities]
        if missing:
            priorities += missing
            warnings.append(
                f"{source}: variant.default-priorities.namespace does not list "
                f"{', '.join(missing)} (declared in variant.providers); ranking "
                f"{'it' if len(missing) == 1 else 'them'} after the listed namespaces: "
                f"{priorities!r}"
            )

    variants: Dict[str, VariantDescription] = {}
    raw_variants = table.get("variants", {})
    if not isinstance(raw_variants, Mapping):
        raise InvalidPyproject(f"{source}: variant.variants: expected a table of labels")
    for label, props in raw_variants.items():
        where = f"variant.variants.{label}"
        try:
            validate_label(label)
            desc = VariantDescription.from_mapping(props, where=where)
            desc.check_label(label)
        except InvalidInput as exc:
            msg = str(exc)
            if not msg.startswith(where):
                msg = f"{where}: {msg}"
            raise InvalidPyproject(f"{source}: {msg}") from None
        variants[label] = desc
    project = VariantProject(priorities, providers, variants, source, warnings)
    _check_static(project)
    return project


def _check_static(project: VariantProject) -> None:
    """The static-properties rule (written once, in the document model), raised here: a build must not ship it."""
    problems = static_value_findings(project.providers, project.variants, project.source, prefix="variant.")
    if problems:
        raise InvalidPyproject(str(problems[0]))


def find_named_variant(project: Optional[VariantProject], label: str) -> Optional[VariantDescription]:
    """``[variant.variants.<label>]`` if declared; ``null`` is always the empty set."""
    if label == NULL_LABEL:
        return VariantDescription()
    if project is None:
        return None
    return project.variants.get(label)
