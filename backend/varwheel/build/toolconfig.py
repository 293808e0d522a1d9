"""``[tool.varwheel]``: which backend varwheel wraps, and the project's flag mappings.

::

    [build-system]
    requires = ["varwheel", "scikit-build-core"]
    build-backend = "varwheel.build"

    [tool.varwheel]
    backend = "scikit_build_core.build"   # "module" or "module:object", as in build-backend
    # backend-path = ["_build"]           # for an in-tree inner backend

    # require-compiled = true             # a variant whose wheel holds no compiled code is an error

    # PEP 825 variant markers; written as Requires-Dist into every wheel (docs/build-backend.md)
    variant-dependencies = [
        'nvidia-cublas-cu12>=12.8 ; "nvidia :: cuda_version_lower_bound :: 12.8" in variant_properties',
    ]
    # variant-dependencies-mode = "resolve"  # plain requirements per variant, for today's installers

    [tool.varwheel.mapping."blas_lapack :: library :: mkl"]
    cmake-define = { BLA_VENDOR = "Intel10_64lp" }

Without ``backend``, the inner backend is inferred when exactly one known
backend distribution (:data:`KNOWN_BACKENDS`) is in ``build-system.requires``;
otherwise the error shows the line to add.  The mapping table is parsed by
:func:`varwheel.build.flags.parse_mapping_table`.

``variant-dependencies`` entries are parsed once, here, by
:func:`varwheel.model.variant_markers.parse_variant_requirement`; an entry that
uses no variant marker belongs in ``[project] dependencies`` and is refused.
``variant-dependencies-mode`` is a project setting, not a ``-C`` one, because
every wheel of a release must follow the same mode: in ``markers`` (the
default) they all carry the same lines (PEP 825's uniform metadata), in
``resolve`` each carries its own plain ones.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Mapping, Optional, Tuple

from varwheel.errors import InvalidPyproject

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass, field
else:
    from varwheel.model.values import dataclass, field

__all__ = ["KNOWN_BACKENDS", "ToolConfig", "ProjectConfig", "parse_tool_config", "load_project_config", "infer_backend"]

#: Backend distributions (normalized names) and the backend object each provides.
KNOWN_BACKENDS: Dict[str, str] = {
    "scikit-build-core": "scikit_build_core.build",
    "setuptools": "setuptools.build_meta",
    "hatchling": "hatchling.build",
    "flit-core": "flit_core.buildapi",
    "meson-python": "mesonpy",
    "poetry-core": "poetry.core.masonry.api",
    "pdm-backend": "pdm.backend",
    "maturin": "maturin",
    "py-build-cmake": "py_build_cmake.build",
}

#: The inner backend's family: decides how a variant reaches it (:data:`varwheel.build.transport.STRATEGIES`).
Family = Literal["scikit-build-core", "meson-python", "setuptools", "hatchling", "flit-core", "other"]

_KEYS = ("backend", "backend-path", "mapping", "require-compiled", "variant-dependencies", "variant-dependencies-mode")
#: ``markers``: the entries as Requires-Dist, the same in every wheel; ``resolve``: evaluated per variant at build time.
DEPENDENCY_MODES = ("markers", "resolve")
_BACKEND_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$")
_SELF = ("varwheel.build", "varwheel")


@dataclass(frozen=True)
class ToolConfig:
    backend: str
    backend_path: Tuple[str, ...] = ()
    mappings: Tuple[Any, ...] = ()  # varwheel.build.flags.UserMapping
    inferred: bool = False
    source: str = "pyproject.toml"
    #: A variant build whose compiler input ends in a pure-Python wheel (an
    #: optional extension that failed to compile) is an error, not a warning.
    require_compiled: bool = False
    #: ``variant-dependencies``: :class:`varwheel.model.variant_markers.VariantRequirement` objects.
    variant_dependencies: Tuple[Any, ...] = ()
    variant_dependencies_mode: str = "markers"

    @property
    def family(self) -> Family:
        """The inner backend's distribution family, which decides the transport."""
        module = self.backend.split(":")[0]
        families: Tuple[Tuple[str, Family], ...] = (
            ("scikit_build_core", "scikit-build-core"),
            ("mesonpy", "meson-python"),
            ("setuptools", "setuptools"),
            ("hatchling", "hatchling"),
            ("flit_core", "flit-core"),
        )
        for prefix, family in families:
            if module == prefix or module.startswith(prefix + "."):
                return family
        return "other"


@dataclass
class ProjectConfig:
    """One project's pyproject.toml as the backend needs it (read once per process)."""

    root: Path
    data: Dict[str, Any]
    tool: ToolConfig
    _variant_project: Any = field(default=None, repr=False)

    @property
    def source(self) -> str:
        return str(self.root / "pyproject.toml")

    @property
    def variant_project(self):
        """``[variant]`` parsed on first use (a build without variant settings never needs it)."""
        if self._variant_project is None:
            from varwheel.model.pyproject import parse_variant_table

            self._variant_project = parse_variant_table(self.data.get("variant", {}), source=self.source)
        return self._variant_project


def infer_backend(requires: Any, *, source: str = "pyproject.toml") -> str:
    """The one known backend in ``build-system.requires``; else an error showing the line to add."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    found: List[str] = []
    for item in requires if isinstance(requires, list) else []:
        try:
            name = canonicalize_name(Requirement(item).name)
        except (InvalidRequirement, TypeError):
            continue
        if name in KNOWN_BACKENDS and name not in found:
            found.append(name)
    example = KNOWN_BACKENDS[found[0]] if found else "scikit_build_core.build"
    hint = f'add it under [tool.varwheel]: backend = "{example}"'
    if len(found) == 1:
        return KNOWN_BACKENDS[found[0]]
    if not found:
        raise InvalidPyproject(
            f"{source}: [tool.varwheel] names no inner backend and build-system.requires lists none "
            f"varwheel knows ({', '.join(KNOWN_BACKENDS)}): {hint} (and list its distribution in "
            "build-system.requires)"
        )
    options = " or ".join(f'backend = "{KNOWN_BACKENDS[n]}"' for n in found)
    raise InvalidPyproject(
        f"{source}: [tool.varwheel] names no inner backend and build-system.requires lists several "
        f"({', '.join(found)}): add under [tool.varwheel] {options}"
    )


def parse_tool_config(data: Mapping[str, Any], *, source: str = "pyproject.toml", root: Optional[Path] = None) -> ToolConfig:
    """Parse ``[tool.varwheel]`` of a whole pyproject.toml document ``data``."""
    if not isinstance(data, Mapping):  # the Python API: load_toml always gives a table
        raise InvalidPyproject(f"{source}: expected a table at the top level, got {type(data).__name__}")
    tool = data.get("tool", {})
    table = tool.get("varwheel", {}) if isinstance(tool, Mapping) else {}
    if not isinstance(table, Mapping):
        raise InvalidPyproject(f"{source}: tool.varwheel: expected a table")
    for key in table:
        if key not in _KEYS:
            raise InvalidPyproject(f"{source}: tool.varwheel.{key}: unknown key (allowed: {', '.join(_KEYS)})")
    inferred = False
    backend = table.get("backend")
    if backend is None:
        build_system = data.get("build-system", {})
        backend = infer_backend(build_system.get("requires", []) if isinstance(build_system, Mapping) else [], source=source)
        inferred = True
    elif not isinstance(backend, str) or not _BACKEND_RE.match(backend.strip()):
        raise InvalidPyproject(
            f"{source}: tool.varwheel.backend: {backend!r} is not a backend name; write it as in "
            'build-backend: "module" or "module:object" (for example "scikit_build_core.build")'
        )
    backend = backend.strip()
    if backend.split(":")[0] in _SELF:
        raise InvalidPyproject(
            f"{source}: tool.varwheel.backend: {backend!r} is varwheel itself; name the backend varwheel "
            'wraps (for example "setuptools.build_meta")'
        )
    paths = table.get("backend-path", [])
    if isinstance(paths, str) or not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise InvalidPyproject(f"{source}: tool.varwheel.backend-path: expected a list of folders, got {paths!r}")
    for entry in paths:
        # a NUL cannot be in a path (os calls raise ValueError), nor should a newline or another control character
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in entry):
            raise InvalidPyproject(
                f"{source}: tool.varwheel.backend-path: {entry!r} holds a NUL or another control character; "
                "name a folder inside the source tree"
            )
    if root is not None:
        base = root.resolve()
        for entry in paths:
            resolved = (base / entry).resolve()
            if resolved != base and base not in resolved.parents:
                raise InvalidPyproject(
                    f"{source}: tool.varwheel.backend-path: {entry!r} is outside the project; "
                    "like build-system.backend-path it must name a folder inside the source tree"
                )
    require_compiled = table.get("require-compiled", False)
    if not isinstance(require_compiled, bool):
        raise InvalidPyproject(f"{source}: tool.varwheel.require-compiled: expected true or false, got {require_compiled!r}")
    mappings: Tuple[Any, ...] = ()
    if "mapping" in table:  # the flag vocabulary loads only for projects that map properties
        from varwheel.build.flags import parse_mapping_table

        mappings = parse_mapping_table(table["mapping"], source=source)
    dependencies, mode = _variant_dependencies(table, source)
    return ToolConfig(backend, tuple(paths), mappings, inferred, source, require_compiled, dependencies, mode)


def _variant_dependencies(table: Mapping[str, Any], source: str) -> Tuple[Tuple[Any, ...], str]:
    """``variant-dependencies`` (each a specifier that uses a variant marker) and ``variant-dependencies-mode``."""
    mode = table.get("variant-dependencies-mode", "markers")
    if mode not in DEPENDENCY_MODES:
        from varwheel.model.document import UV

        raise InvalidPyproject(
            f"{source}: tool.varwheel.variant-dependencies-mode: {mode!r} is not a mode; use \"markers\" (the "
            "Requires-Dist lines as written, the same in every wheel) or \"resolve\" (each wheel gets its own "
            f"plain requirements, which pip and {UV} read)"
        )
    entries = table.get("variant-dependencies", [])
    if isinstance(entries, str) or not isinstance(entries, list):
        raise InvalidPyproject(
            f"{source}: tool.varwheel.variant-dependencies: expected a list of dependency specifiers, got {entries!r}"
        )
    if not entries:
        return (), mode
    from varwheel.model.variant_markers import parse_variant_requirement

    parsed = []
    seen: Dict[str, str] = {}
    for i, entry in enumerate(entries):
        where = f"{source}: tool.varwheel.variant-dependencies[{i}]"
        req = parse_variant_requirement(entry, where=where, error=InvalidPyproject)
        if not req.uses_variant_markers:
            raise InvalidPyproject(
                f"{where} {entry!r}: uses no variant marker (variant_label, variant_properties, variant_features, "
                "variant_namespaces); list it in [project] dependencies instead"
            )
        canonical = req.canonical()
        if canonical in seen:
            raise InvalidPyproject(f"{where} {entry!r}: the same dependency as {seen[canonical]}; list it once")
        seen[canonical] = f"tool.varwheel.variant-dependencies[{i}]"
        parsed.append(req)
    return tuple(parsed), mode


def load_project_config(root: "str | Path") -> ProjectConfig:
    from varwheel.model.toml import load_toml

    root = Path(root)
    path = root / "pyproject.toml"
    data = load_toml(path)
    return ProjectConfig(root, data, parse_tool_config(data, source=str(path), root=root))
