"""``build-backend = "varwheel.build"``: a PEP 517/660 backend that wraps another one.

::

    [build-system]
    requires = ["varwheel", "scikit-build-core"]
    build-backend = "varwheel.build"

    [tool.varwheel]
    backend = "scikit_build_core.build"

    $ python -m build -w -Cvariant=x86_64::level::v3        # -> *-fa7c1393.whl, built with -march=x86-64-v3

Every hook is one line over one implementation (:func:`_run` for the hooks
that write into a folder, :func:`_requires` for the ``get_requires`` ones):
varwheel's config settings (:mod:`varwheel.build.settings`) are removed before
the inner backend's hook of the same name is called, with the same
arguments.  Without variant settings (and without ``variant-dependencies``,
below) a hook is exactly the inner backend's (same wheel, same name).  With them:

* ``build_wheel``: properties -> compiler input (:mod:`varwheel.build.flags`), CUDA
  toolkit bounds checked before compiling (:mod:`varwheel.build.toolchain`), input
  handed over per backend (:mod:`varwheel.build.transport`) with the process
  environment restored afterwards; the inner wheel is built into a temporary
  folder and rewritten into ``wheel_directory`` with ``variant.json`` and the
  label (:func:`varwheel.wheel.make.make_variant`), or with ``variant.json`` and the
  plain name under ``variant-defer-label``;
* ``prepare_metadata_for_build_wheel``: the same ``variant.json`` in the
  metadata directory;
* ``build_editable``: the flags, never a label nor ``variant.json``;
* ``build_sdist``: validates the settings, never builds a variant.

``[tool.varwheel] variant-dependencies`` (PEP 825 variant markers) are the one
thing varwheel adds to a build without variant settings too: the wheel's
METADATA gets them as ``Requires-Dist`` lines (:func:`_dependency_lines`), in
the plain wheel and in every variant, and ``prepare_metadata_for_build_wheel``
writes the same lines, so a frontend that reads metadata first sees what the
wheel holds.  In ``variant-dependencies-mode = "markers"`` every wheel gets
the same lines; in ``"resolve"`` each gets the plain requirements of its own
variant, and an entry whose value depends on the installing machine fails the
build before the inner backend runs.  Editable wheels, which the frontend that
asked for them installs at once and nobody publishes, always get the resolved
form (pip and uv 0.13.9 cannot read the markers).

Under pip (which rejects labelled wheel names) the label is deferred by
itself; compiler input that ends in a pure-Python wheel is a warning (an
error with ``[tool.varwheel] require-compiled``); a property uv's built-in
provider cannot evaluate is a warning.

The optional hooks (``prepare_metadata_for_build_wheel``, ``build_editable``,
``get_requires_for_build_editable``, ``prepare_metadata_for_build_editable``)
exist on this module only when the inner backend defines them (module
``__getattr__``), so frontends fall back exactly as they would without varwheel.

Errors the user can fix end the hook with one line on stderr
(``varwheel: error: ...``) and exit status 1, and leave no wheel behind.

Importing this module is cheap: the work modules load when a hook runs.
"""

from __future__ import annotations

import importlib
import os
import sys

from varwheel.errors import InvalidInput

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~10 ms per hook
if TYPE_CHECKING:  # pragma: no cover - kept out of the import path: every hook pays for imports
    from pathlib import Path
    from typing import Any, Callable, Dict, List, Mapping, Optional, Union

    #: What frontends pass as config_settings (PEP 517: strings, or lists of strings).
    ConfigSettings = Dict[str, Union[str, List[str]]]

__all__ = [
    "build_wheel",
    "build_sdist",
    "get_requires_for_build_wheel",
    "get_requires_for_build_sdist",
]

#: Hooks this module offers only when the inner backend has them.
OPTIONAL_HOOKS = (
    "prepare_metadata_for_build_wheel",
    "build_editable",
    "get_requires_for_build_editable",
    "prepare_metadata_for_build_editable",
)

_PROJECTS: "Dict[Any, Any]" = {}
_BACKENDS: "Dict[Any, Any]" = {}


# -- plumbing -------------------------------------------------------------------
def _say(message: str) -> None:
    print(f"varwheel: {message}", file=sys.stderr, flush=True)


def _user_errors(func: "Callable") -> "Callable":
    """Turn :class:`InvalidInput` into one line on stderr and exit status 1."""

    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InvalidInput as exc:
            if os.environ.get("VARWHEEL_DEBUG"):
                raise
            raise SystemExit(f"varwheel: error: {exc}") from None

    wrapper.__name__ = func.__name__
    wrapper.__qualname__ = func.__qualname__
    wrapper.__doc__ = func.__doc__
    wrapper.__wrapped__ = func  # type: ignore[attr-defined]
    return wrapper


def _project():
    """The project in the current directory (PEP 517 runs hooks in the source tree)."""
    from varwheel.build.toolconfig import load_project_config

    from pathlib import Path

    root = Path.cwd()
    pyproject = root / "pyproject.toml"
    try:
        stamp = pyproject.stat().st_mtime_ns
    except OSError:
        stamp = None
    key = (str(root), stamp)
    if key not in _PROJECTS:
        _PROJECTS[key] = load_project_config(root)
    return _PROJECTS[key]


def _inner(project) -> Any:
    """Import the inner backend (``module`` or ``module:object``), honouring backend-path."""
    spec = project.tool.backend
    key = (str(project.root), spec, project.tool.backend_path)
    if key in _BACKENDS:
        return _BACKENDS[key]
    for entry in reversed(project.tool.backend_path):
        path = str((project.root / entry).resolve())
        if path not in sys.path:
            sys.path.insert(0, path)
    module_name, _, obj_path = spec.partition(":")
    how = "inferred from build-system.requires" if project.tool.inferred else "[tool.varwheel] backend"
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvalidInput(
            f"cannot import the inner build backend {spec!r} ({how}): {exc}; add the distribution that "
            f"provides it to build-system.requires in {project.source}, or fix tool.varwheel.backend"
        ) from None
    for part in filter(None, obj_path.split(".")):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise InvalidInput(f"the inner build backend {spec!r}: {module_name} has no attribute {obj_path!r}") from None
    for hook in ("build_wheel", "build_sdist"):
        if not callable(getattr(obj, hook, None)):
            raise InvalidInput(f"the inner build backend {spec!r} has no {hook} hook: is it a PEP 517 backend?")
    _BACKENDS[key] = obj
    return obj


class _environment:
    """Set ``updates`` for the inner hook; restore the whole environment afterwards."""

    def __init__(self, updates: "Mapping[str, str]") -> None:
        self.updates = dict(updates)

    def __enter__(self) -> None:
        self.saved = dict(os.environ)
        os.environ.update(self.updates)

    def __exit__(self, *exc) -> None:
        os.environ.clear()
        os.environ.update(self.saved)


class _applied:
    """The transport's environment (and setuptools' extra config file) around one inner hook."""

    def __init__(self, transport) -> None:
        self.transport = transport
        self.folder: "Optional[str]" = None
        self.env: "Optional[_environment]" = None

    def __enter__(self) -> None:
        try:
            self._enter()
        except BaseException:  # a value os.environ refuses, a full disk: put the environment back, remove the folder
            self.__exit__(None, None, None)
            raise

    def _enter(self) -> None:
        updates = dict(self.transport.env)
        if self.transport.dist_extra_config is not None:
            import tempfile

            self.folder = tempfile.mkdtemp(prefix="varwheel-cfg-")
            path = os.path.join(self.folder, "varwheel-setuptools.cfg")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(self.transport.dist_extra_config)
            updates["DIST_EXTRA_CONFIG"] = path
        self.env = _environment(updates)
        self.env.__enter__()

    def __exit__(self, *exc) -> None:
        try:
            if self.env is not None and hasattr(self.env, "saved"):
                self.env.__exit__(*exc)
        finally:
            if self.folder is not None:
                import shutil

                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None


def _call_inner(project, hook: str, *args, **kwargs):
    """Call the inner hook; on failure add one line saying which backend failed and why."""
    func = getattr(_inner(project), hook)
    try:
        return func(*args, **kwargs)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        if isinstance(exc, SystemExit) and exc.code in (0, None):
            raise
        if os.environ.get("VARWHEEL_DEBUG"):
            raise
        detail = exc.code if isinstance(exc, SystemExit) else f"{type(exc).__name__}: {exc}"
        _say(f"error: the inner backend {project.tool.backend} failed in {hook} ({detail}); no wheel was written")
        raise SystemExit(1) from None


class _Plan:
    """One validated variant build: request, flags, transport."""

    def __init__(self, project, settings, rest: "Optional[Dict[str, Any]]", *, hook: str, check_toolchain: bool) -> None:
        from varwheel.build.flags import derive_flags
        from varwheel.model.document import DEFAULT_FORMAT
        from varwheel.model.properties import Property
        from varwheel.model.request import resolve_variant
        from varwheel.build.toolchain import check_cuda_bounds
        from varwheel.build.transport import plan_transport

        self.settings = settings
        self.request = resolve_variant(
            settings.all_properties,
            label=settings.label,
            null=settings.null,
            project=project.variant_project,
            metadata_format=settings.metadata_format or DEFAULT_FORMAT,
            door="build",
        )
        recorded_only = {Property.parse(n) for n in settings.names}
        mapped = [p for p in self.request.description if p not in recorded_only]
        family = project.tool.family
        self.flags = derive_flags(self.request.description, mapped=mapped, mappings=project.tool.mappings)
        self.transport = plan_transport(
            family,
            self.flags,
            label=self.request.label,
            description=self.request.description,
            config_settings=rest,
            environ=os.environ,
            root=project.root,
            pyproject=project.data,
            editable=hook.endswith("_editable"),
        )
        self.toolkit = None
        if check_toolchain and family != "flit-core":
            cmake_compiler = (rest or {}).get("cmake.define.CMAKE_CUDA_COMPILER")
            self.toolkit = check_cuda_bounds(
                self.flags.cuda_lower_bounds,
                self.flags.cuda_upper_bounds,
                os.environ,
                cmake_compiler=cmake_compiler if isinstance(cmake_compiler, str) else None,
            )
        self.hook = hook
        self.project = project
        #: The Requires-Dist values this variant's wheel gets (resolved now: a machine-dependent entry fails here).
        self.dependencies = _dependency_lines(project, self.request.label, self.request.description, hook=hook)

    def announce(self, what: str) -> None:
        from varwheel.model.builtins import describe_unevaluated, unevaluated_properties

        for message in self.request.warnings:
            _say(f"warning: {message}")
        for prop, builtin in unevaluated_properties(self.request.description, self.request.document.providers):
            _say(f"warning: {describe_unevaluated(prop, builtin)}")
        props = ", ".join(self.request.description.strings()) or "no properties"
        _say(f"{what} variant {self.request.label} ({props}) with {self.project.tool.backend}")
        items: "List[str]" = []
        if self.toolkit is not None:
            items.append(f"{self.toolkit.describe()} satisfies the CUDA bounds")
        _say("forwarded: " + "; ".join(items + self.transport.forwarded))
        _say_dependencies(self.project, self.dependencies, self.hook)


    def check_compiled(self, wheel: "Path") -> None:
        """Say (or, with ``require-compiled``, fail) when compiler input produced a pure-Python wheel.

        Projects with optional extensions (markupsafe, simplejson) fall back to
        pure Python when the compiler fails, and the build still succeeds: a
        variant label on that wheel would make installers prefer plain Python
        code over the real ``null`` wheel on every machine the variant matches.
        """
        from varwheel.build.transport import cmake_cuda_architectures
        from varwheel.wheel.archive import WheelArchive

        if not self.flags.compiles or self.project.tool.family == "flit-core":
            return  # nothing was handed to a compiler, or a backend that never compiles
        with WheelArchive(wheel) as archive:
            if not archive.pure_python():
                return
        given = " ".join(self.flags.c or self.flags.cxx or self.flags.cuda or self.flags.link) or (
            f"CUDA architectures {cmake_cuda_architectures(self.flags)}" if self.flags.cuda_archs else "its flags"
        )
        what = (
            f"the inner backend {self.project.tool.backend} built a pure-Python wheel ({wheel.name}, "
            f"Root-Is-Purelib: true) although variant {self.request.label} gave its compilers {given}: "
            "its extensions were not built (a failed optional extension? see the compiler output above)"
        )
        if self.project.tool.require_compiled:
            raise InvalidInput(f"{what}; no wheel was written ([tool.varwheel] require-compiled = true)")
        _say(
            f"warning: {what}; installers would take this Python-only wheel as the {self.request.label} "
            "variant. Fix the build, or set [tool.varwheel] require-compiled = true to make this an error"
        )


def _dependency_lines(project, label: "Optional[str]", description, *, hook: str = "build_wheel") -> "List[str]":
    """The ``Requires-Dist`` values varwheel adds for one wheel (``label=None``: the plain wheel).

    ``markers`` mode: every entry as written (normalized), the same for every
    wheel; ``resolve`` mode, and every editable build: each entry evaluated
    for this variant (:meth:`~varwheel.model.variant_markers.VariantRequirement.resolve`),
    those that do not apply left out.
    """
    deps = project.tool.variant_dependencies
    if not deps:
        return []
    if project.tool.variant_dependencies_mode == "markers" and not hook.endswith("_editable"):
        return [dep.canonical() for dep in deps]
    resolved = (dep.resolve(label, description) for dep in deps)
    return [line for line in resolved if line is not None]


def _say_dependencies(project, lines: "List[str]", hook: str) -> None:
    if not project.tool.variant_dependencies:
        return
    mode = project.tool.variant_dependencies_mode
    how = "resolved for this variant" if mode == "resolve" or hook.endswith("_editable") else "with their variant markers"
    _say(f"variant-dependencies: {len(lines)} Requires-Dist line(s) {how}" + (f": {'; '.join(lines)}" if lines else ""))


def _plain_dependency_lines(project, hook: str) -> "List[str]":
    from varwheel.model.properties import VariantDescription

    lines = _dependency_lines(project, None, VariantDescription(), hook=hook)
    _say_dependencies(project, lines, hook)
    return lines


def _metadata_name(archive) -> str:
    return archive.record_name.rsplit("/", 1)[0] + "/METADATA"


def _rewrite_with_dependencies(src: "Path", dest: "Path", lines: "List[str]", variant_json: "Optional[bytes]") -> "Path":
    """``src`` -> ``dest`` with ``lines`` added to METADATA (and ``variant_json``), members copied raw."""
    from varwheel.model.variant_markers import add_requires_dist
    from varwheel.wheel.archive import WheelArchive
    from varwheel.wheel.rewrite import rewrite_wheel

    with WheelArchive(src) as archive:
        name = _metadata_name(archive)
        metadata = add_requires_dist(archive.read(name), lines)
        # force: like every backend, a rebuild replaces the same-named wheel.
        return rewrite_wheel(src, dest, variant_json=variant_json, replace={name: metadata}, force=True, archive=archive)


def _add_to_metadata_directory(directory: str, name: str, lines: "List[str]") -> None:
    """``prepare_metadata_for_build_*``: the same lines in the prepared METADATA as in the wheel."""
    from pathlib import Path

    from varwheel.model.variant_markers import add_requires_dist

    path = Path(directory) / name / "METADATA"
    path.write_bytes(add_requires_dist(path.read_bytes(), lines))


def _plain_with_dependencies(project, hook: str, directory: str, rest, *more: "Any") -> str:
    """A hook without variant settings for a project with ``variant-dependencies``: the inner result plus the lines."""
    import shutil
    import tempfile
    from pathlib import Path

    lines = _plain_dependency_lines(project, hook)
    if hook.startswith("prepare_metadata"):
        name = str(_call_inner(project, hook, directory, rest, *more))
        _add_to_metadata_directory(directory, name, lines)
        return name
    tmp = Path(tempfile.mkdtemp(prefix="varwheel-inner-"))
    try:
        name = str(_call_inner(project, hook, str(tmp), rest, *more))
        _rewrite_with_dependencies(tmp / name, Path(directory) / name, lines, None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return name


def _under_pip() -> bool:
    """Whether pip runs this hook: pip marks its builds (``PIP_BUILD_TRACKER``; ``PIP_REQ_TRACKER`` before pip 22.1)."""
    return bool(os.environ.get("PIP_BUILD_TRACKER") or os.environ.get("PIP_REQ_TRACKER"))


def _defer_label(settings) -> bool:
    """Whether this wheel keeps the plain name; under pip, deferred unless the user said otherwise.

    pip parses the name of every wheel a backend returns and rejects a label
    ("not a valid wheel filename", "Invalid build number"), so a labelled
    name can never leave a pip build.  Deferring keeps the build useful
    (``variant.json`` is inside; ``varwheel relabel`` adds the label);
    ``variant-defer-label=false`` under pip is refused before building.
    """
    if not _under_pip():
        return bool(settings.defer_label)
    if settings.defer_label is False:
        raise InvalidInput(
            "pip rejects wheel names with a variant label, and variant-defer-label=false asks for one: drop "
            "that setting (under pip varwheel keeps the plain name and you add the label with varwheel "
            "relabel), or build with python -m build or uv build"
        )
    return True


def _settings(config_settings):
    from varwheel.build.settings import parse_settings

    return parse_settings(config_settings)


# -- the one implementation behind every hook ---------------------------------------------------------
#: Hooks that compile, so the CUDA toolkit is checked before the inner backend runs.
_COMPILING_HOOKS = ("build_wheel", "build_editable")


def _requires(hook: str, config_settings: "Optional[ConfigSettings]") -> "List[str]":
    """A ``get_requires_for_build_*`` hook: settings validated, then the inner hook's answer (or none)."""
    project = _project()
    settings, rest = _settings(config_settings)
    if settings.requested and hook != "get_requires_for_build_sdist":
        _Plan(project, settings, rest, hook=hook, check_toolchain=False)
    inner_hook = getattr(_inner(project), hook, None)
    return list(inner_hook(rest)) if inner_hook is not None else []


def _run(hook: str, directory: str, config_settings: "Optional[ConfigSettings]", *more: "Any") -> str:
    """Every hook that writes into ``directory``: the inner hook alone, or through a variant plan.

    ``more`` is the rest of the hook's arguments (``metadata_directory``),
    passed on as the frontend gave them.
    """
    project = _project()
    settings, rest = _settings(config_settings)
    inner = _inner(project)
    if not settings.requested:
        if project.tool.variant_dependencies and hook != "build_sdist":
            return _plain_with_dependencies(project, hook, directory, rest, *more)
        return str(getattr(inner, hook)(directory, rest, *more))
    plan = _Plan(project, settings, rest, hook=hook, check_toolchain=hook in _COMPILING_HOOKS)
    if hook == "build_sdist":  # an sdist is never a variant: the settings were validated, then removed
        return str(inner.build_sdist(directory, rest))
    if hook == "build_wheel":
        return _variant_wheel(plan, directory, *more)
    if hook == "build_editable":  # the compiler input, but never a label nor variant.json
        plan.announce("building (editable, no label)")
    if hook == "build_editable" and project.tool.variant_dependencies:
        return _editable_with_dependencies(plan, directory, *more)
    with _applied(plan.transport):
        name = str(_call_inner(project, hook, directory, plan.transport.config_settings, *more))
    if hook == "prepare_metadata_for_build_wheel":
        from pathlib import Path

        (Path(directory) / name / "variant.json").write_bytes(plan.request.variant_json)
    if hook.startswith("prepare_metadata") and plan.dependencies:
        _add_to_metadata_directory(directory, name, plan.dependencies)
    return name


def _editable_with_dependencies(plan: "_Plan", directory: str, *more: "Any") -> str:
    """An editable variant build of a project with ``variant-dependencies``: the resolved lines in METADATA."""
    import shutil
    import tempfile
    from pathlib import Path

    tmp = Path(tempfile.mkdtemp(prefix="varwheel-inner-"))
    try:
        with _applied(plan.transport):
            name = str(_call_inner(plan.project, "build_editable", str(tmp), plan.transport.config_settings, *more))
        _rewrite_with_dependencies(tmp / name, Path(directory) / name, plan.dependencies, None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return name


def _variant_wheel(plan: "_Plan", wheel_directory: str, metadata_directory: "Optional[str]" = None) -> str:
    """The inner wheel, built into a temporary folder, rewritten into ``wheel_directory`` as the variant."""
    import shutil
    import tempfile
    from pathlib import Path

    from varwheel.wheel.make import make_variant

    defer = _defer_label(plan.settings)
    plan.announce("building")
    tmp = Path(tempfile.mkdtemp(prefix="varwheel-inner-"))
    try:
        with _applied(plan.transport):
            name = _call_inner(plan.project, "build_wheel", str(tmp), plan.transport.config_settings, metadata_directory)
        plan.check_compiled(tmp / name)
        if defer:
            _warn_if_replacing_another_variant(Path(wheel_directory) / name, plan.request.label)
        if plan.project.tool.variant_dependencies:
            out = _variant_with_dependencies(plan, tmp / name, Path(wheel_directory), defer)
        else:
            # force: like every backend, a rebuild replaces the same-named wheel.
            out = make_variant(tmp / name, wheel_directory, plan.request, force=True, defer_label=defer)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if defer and not plan.settings.defer_label:
        _say(
            f"pip cannot take a labelled wheel name, so label {plan.request.label} is deferred: {out.name} "
            f"carries variant.json; add the label with: varwheel relabel {out.name} (in the folder pip wrote it to)"
        )
    elif defer:
        _say(f"label {plan.request.label} deferred: {out.name} carries variant.json; add the label with varwheel relabel")
    return out.name


def _variant_with_dependencies(plan: "_Plan", src: "Path", wheel_directory: "Path", defer: bool) -> "Path":
    """:func:`~varwheel.wheel.make.make_variant`'s output, with the variant's Requires-Dist lines in METADATA."""
    from varwheel.wheel.archive import WheelArchive
    from varwheel.wheel.make import variant_output_path

    with WheelArchive(src) as archive:
        dest = variant_output_path(archive, wheel_directory, None if defer else plan.request.label)
    return _rewrite_with_dependencies(src, dest, plan.dependencies, plan.request.variant_json)


def _warn_if_replacing_another_variant(dest, label: str) -> None:
    """Deferred labels share the plain name: say so when one variant replaces another.

    Backends replace a same-named wheel silently, and so does this one; but
    with deferred labels two *different* variants have the same name, so
    building them into one folder keeps only the last.  Build each into its
    own folder (or relabel between builds).
    """
    if not dest.is_file():
        return
    from varwheel.errors import InvalidInput
    from varwheel.wheel.archive import WheelArchive

    try:
        with WheelArchive(dest) as archive:
            found = archive.variant()
    except InvalidInput:
        return
    previous = found[0] if found else "a plain wheel"
    if previous != label:
        _say(
            f"warning: replacing {dest.name} ({previous}) with variant {label}: deferred labels share "
            "the plain name; build each variant into its own folder or run varwheel relabel in between"
        )


# -- the hooks (PEP 517, PEP 660) ---------------------------------------------------------------------
@_user_errors
def get_requires_for_build_wheel(config_settings: "Optional[ConfigSettings]" = None) -> "List[str]":
    return _requires("get_requires_for_build_wheel", config_settings)


@_user_errors
def get_requires_for_build_sdist(config_settings: "Optional[ConfigSettings]" = None) -> "List[str]":
    return _requires("get_requires_for_build_sdist", config_settings)


@_user_errors
def build_sdist(sdist_directory: str, config_settings: "Optional[ConfigSettings]" = None) -> str:
    return _run("build_sdist", sdist_directory, config_settings)


@_user_errors
def build_wheel(
    wheel_directory: str, config_settings: "Optional[ConfigSettings]" = None, metadata_directory: "Optional[str]" = None
) -> str:
    return _run("build_wheel", wheel_directory, config_settings, metadata_directory)


# Present only when the inner backend has them (see __getattr__).
@_user_errors
def _prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: "Optional[ConfigSettings]" = None) -> str:
    return _run("prepare_metadata_for_build_wheel", metadata_directory, config_settings)


@_user_errors
def _build_editable(
    wheel_directory: str, config_settings: "Optional[ConfigSettings]" = None, metadata_directory: "Optional[str]" = None
) -> str:
    return _run("build_editable", wheel_directory, config_settings, metadata_directory)


@_user_errors
def _get_requires_for_build_editable(config_settings: "Optional[ConfigSettings]" = None) -> "List[str]":
    return _requires("get_requires_for_build_editable", config_settings)


@_user_errors
def _prepare_metadata_for_build_editable(metadata_directory: str, config_settings: "Optional[ConfigSettings]" = None) -> str:
    return _run("prepare_metadata_for_build_editable", metadata_directory, config_settings)


_OPTIONAL_IMPL = {
    "prepare_metadata_for_build_wheel": _prepare_metadata_for_build_wheel,
    "build_editable": _build_editable,
    "get_requires_for_build_editable": _get_requires_for_build_editable,
    "prepare_metadata_for_build_editable": _prepare_metadata_for_build_editable,
}
for _name, _func in _OPTIONAL_IMPL.items():
    _func.__name__ = _func.__qualname__ = _name


def __getattr__(name: str):
    """PEP 562: an optional hook exists here exactly when the inner backend defines it."""
    if name in _OPTIONAL_IMPL:
        try:
            inner = _inner(_project())
        except InvalidInput as exc:
            raise SystemExit(f"varwheel: error: {exc}") from None
        if callable(getattr(inner, name, None)):
            return _OPTIONAL_IMPL[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

