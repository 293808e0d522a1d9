"""How each inner backend receives a variant's compiler input.

=====================  ============================================================
inner backend          channel
=====================  ============================================================
scikit-build-core      ``cmake.define.*`` config settings (``CMAKE_CUDA_ARCHITECTURES``,
                       ``VARWHEEL_VARIANT_LABEL``, ``VARWHEEL_VARIANT_PROPERTIES``, the
                       project's ``cmake-define``) + environment
meson-python           ``setup-args`` (``-Dvariant=[...]`` when the project declares a
                       ``variant`` option, the project's ``meson-args``) + environment
setuptools, hatchling,
any other backend      environment only (``CMAKE_ARGS`` carries ``cmake-define``)
flit-core              nothing to compile: only ``VARWHEEL_VARIANT_*`` and mapped ``env``
=====================  ============================================================

Environment, for every backend that compiles:

* ``CFLAGS``, ``CXXFLAGS``, ``LDFLAGS``: appended to what the user has set
  (setuptools, which uses a set ``CFLAGS`` instead of the interpreter's flags,
  gets those in front: :mod:`varwheel.build.setuptools_flags`);
* ``CUDAFLAGS`` (CMake; meson: ``CUFLAGS``): host flags as ``-Xcompiler=...`` and
  the mapped nvcc flags (meson has no architecture setting, so ``CUFLAGS`` also
  gets the ``-gencode`` flags);
* ``CUDAARCHS`` (CMake >= 3.20), ``TORCH_CUDA_ARCH_LIST`` (PyTorch extensions),
  ``VARWHEEL_NVCC_FLAGS`` (``-gencode`` + host flags, for setup.py scripts that
  call nvcc themselves);
* always: ``VARWHEEL_VARIANT_LABEL`` and ``VARWHEEL_VARIANT_PROPERTIES``
  (``ns::feature::value`` items joined by ``;``; empty for the null variant).

Each family is one strategy in :data:`STRATEGIES`; :class:`~varwheel.build.flags.BuildFlags`
is data, and the spellings for the tools that read it (CMake's architecture
list, nvcc's ``-gencode``, PyTorch's ``TORCH_CUDA_ARCH_LIST``) live here, with
the strategies that use them.

A user setting that contradicts a derived one is an error unless identical:
a different ``-march`` or a ``-mno-<isa>`` in ``CFLAGS``, ``-gencode`` in
``CUDAFLAGS``, another value in ``CUDAARCHS``, ``-Ccmake.define.X``,
``[tool.scikit-build.cmake.define]``, ``CMAKE_ARGS -DX=`` or ``setup-args -Dvariant=``.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from varwheel.errors import InvalidConfigSetting
from varwheel.build.flags import BuildFlags
from varwheel.build.toolconfig import Family
from varwheel.model.properties import VariantDescription

if TYPE_CHECKING:
    import configparser
    # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass, field
else:
    from varwheel.model.values import dataclass, field

__all__ = [
    "STRATEGIES",
    "Transport",
    "cmake_cuda_architectures",
    "meson_variant_option",
    "nvcc_gencode",
    "nvcc_host_flags",
    "plan_transport",
    "properties_value",
    "torch_cuda_arch_list",
]

LABEL_VAR = "VARWHEEL_VARIANT_LABEL"
PROPERTIES_VAR = "VARWHEEL_VARIANT_PROPERTIES"
NVCC_FLAGS_VAR = "VARWHEEL_NVCC_FLAGS"

_ARCH_TOKENS = ("-gencode", "--generate-code", "-arch", "--gpu-architecture", "-code", "--gpu-code")


@dataclass
class Transport:
    """What one hook call adds: environment values to set and the inner backend's config settings."""

    env: Dict[str, str] = field(default_factory=dict)
    config_settings: Optional[Dict[str, Any]] = None
    forwarded: List[str] = field(default_factory=list)
    #: setuptools only: content of a config file for ``DIST_EXTRA_CONFIG``
    #: (the caller writes it for the duration of the hook).
    dist_extra_config: Optional[str] = None


def properties_value(description: VariantDescription) -> str:
    """``x86_64::level::v3;nvidia::sm_arch::90_real``: no spaces, one CMake list."""
    return ";".join(f"{p.namespace}::{p.feature}::{p.value}" for p in description)


def meson_variant_option(root: Path) -> Optional[str]:
    """The type of the project's ``variant`` meson option (``array``, ``string``...), or None."""
    for name in ("meson.options", "meson_options.txt"):
        path = root / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in re.finditer(r"option\s*\(\s*['\"]variant['\"]\s*,(.*?)\)", text, re.S):
            kind = re.search(r"type\s*:\s*['\"](\w+)['\"]", match.group(1))
            return kind.group(1) if kind else "string"
    return None


def _split(value: str) -> List[str]:
    try:
        return shlex.split(value)
    except ValueError:
        return value.split()


def _host_tokens(tokens: Sequence[str]) -> List[str]:
    """Expand ``-Xcompiler=-march=x,-mavx`` style tokens into host compiler flags too."""
    out: List[str] = []
    it = iter(tokens)
    for tok in it:
        if tok in ("-Xcompiler", "--compiler-options"):
            nxt = next(it, "")
            out += nxt.split(",")
        elif tok.startswith(("-Xcompiler=", "--compiler-options=")):
            out += tok.split("=", 1)[1].split(",")
        else:
            out.append(tok)
    return out


def _check_flag_conflicts(var: str, user: str, ours: Sequence[str], *, archs: bool) -> None:
    tokens = _host_tokens(_split(user))
    our_host = _host_tokens(ours)
    for flag in our_host:
        if flag.startswith("-march="):
            theirs = [t for t in tokens if t.startswith("-march=") and t != flag]
            if theirs:
                raise InvalidConfigSetting(
                    f"{var}={user!r} sets {theirs[0]}, but the variant needs {flag}: remove it from {var} "
                    "(varwheel adds the variant's flags itself)"
                )
        elif flag.startswith("-m") and not flag.startswith("-mno-"):
            negated = "-mno-" + flag[2:]
            if negated in tokens:
                raise InvalidConfigSetting(
                    f"{var}={user!r} contains {negated}, but the variant needs {flag}: remove it from {var}"
                )
    if archs:
        theirs = [t for t in _split(user) if t.split("=", 1)[0] in _ARCH_TOKENS]
        if theirs:
            raise InvalidConfigSetting(
                f"{var}={user!r} selects CUDA architectures ({theirs[0]}), but the variant's nvidia :: sm_arch "
                f"properties choose them: remove it from {var}"
            )


def _cmake_value(value: Any) -> Optional[str]:
    if isinstance(value, bool):
        return "ON" if value else "OFF"
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, (str, int, float)):
        return str(value)
    return None  # a table (env reference...): cannot compare, treated as different


def _cmake_args_defines(text: str) -> Dict[str, str]:
    out: Dict[str, str] = {}
    tokens = _split(text)
    for i, tok in enumerate(tokens):
        if tok == "-D" and i + 1 < len(tokens):
            tok = "-D" + tokens[i + 1]
        if tok.startswith("-D") and "=" in tok:
            name, value = tok[2:].split("=", 1)
            out[name.split(":", 1)[0]] = value
    return out


class _Planner:
    def __init__(self, environ: Mapping[str, str], settings: Optional[Dict[str, Any]]) -> None:
        self.environ = environ
        self.editable = False
        self.transport = Transport(config_settings=dict(settings) if settings is not None else None)

    def settings(self) -> Dict[str, Any]:
        if self.transport.config_settings is None:
            self.transport.config_settings = {}
        return self.transport.config_settings

    def append_env(self, var: str, flags: Sequence[str], *, archs: bool = False, prefix: Sequence[str] = ()) -> None:
        """``var`` = the user's value (or ``prefix``, when the user set none) + ``flags``."""
        if not flags:
            return
        user = self.environ.get(var, "")
        _check_flag_conflicts(var, user, flags, archs=archs)
        ours = " ".join(shlex.quote(f) for f in list(prefix) + list(flags))
        self.transport.env[var] = f"{user} {ours}".strip() if user.strip() else ours

    def set_env(self, var: str, value: str, *, why: str = "") -> None:
        user = self.environ.get(var)
        if user is not None and user != value:
            raise InvalidConfigSetting(
                f"environment variable {var}={user!r} conflicts with the {why or 'variant'}'s {var}={value!r}: "
                "unset it or make it identical"
            )
        self.transport.env[var] = value

    def cmake_define(self, name: str, value: str, pyproject_defines: Mapping[str, Any]) -> None:
        key = f"cmake.define.{name}"
        settings = self.settings()
        nested = settings.get("cmake.define")  # --config-json '{"cmake.define": {...}}'
        if isinstance(nested, Mapping) and name in nested and _cmake_value(nested[name]) != value:
            raise InvalidConfigSetting(
                f"cmake.define {{{name}: {nested[name]!r}}} conflicts with the variant's {name}={value!r}: drop "
                "it (varwheel passes it) or make it identical"
            )
        if key in settings:
            theirs = _cmake_value(settings[key])
            if theirs != value:
                raise InvalidConfigSetting(
                    f"-C{key}={settings[key]!r} conflicts with the variant's {name}={value!r}: drop the "
                    "setting (varwheel passes it) or make it identical"
                )
        if name in pyproject_defines:
            theirs = _cmake_value(pyproject_defines[name])
            if theirs != value:
                raise InvalidConfigSetting(
                    f"[tool.scikit-build.cmake.define] {name} = {pyproject_defines[name]!r} conflicts with the "
                    f"variant's {name}={value!r}: remove it from pyproject.toml or make it identical"
                )
        env_defines = _cmake_args_defines(self.environ.get("CMAKE_ARGS", ""))
        if name in env_defines and env_defines[name] != value:
            raise InvalidConfigSetting(
                f"CMAKE_ARGS sets -D{name}={env_defines[name]!r}, which conflicts with the variant's "
                f"{name}={value!r}: remove it from CMAKE_ARGS"
            )
        settings[key] = value


def _variant_build_dir(value: str, label: str) -> str:
    """The variant's own build folder, beside the plain build's (``build/x`` -> ``build/x-varwheel-v4``).

    Beside rather than inside: a plain build that cleans or globs its folder
    never meets a variant's objects, and the other way round.
    """
    return f"{value.rstrip('/')}-varwheel-{label}"


#: setuptools ``[build]`` options naming folders; ``build_base`` is the root of the others.
_SETUPTOOLS_BUILD_DIRS = ("build_base", "build_lib", "build_platlib", "build_purelib", "build_temp")


def _build_dirs(options: Mapping[str, Any]) -> Dict[str, str]:
    """The ``[build]`` folder options in one table (either spelling, ``build_base`` or ``build-base``)."""
    found: Dict[str, str] = {}
    for key in _SETUPTOOLS_BUILD_DIRS:
        for spelling in (key, key.replace("_", "-")):
            value = options.get(spelling)
            if isinstance(value, str) and value:
                found[key] = value
    return found


def _read_config(path: Optional[str], what: str = "") -> "configparser.ConfigParser":
    """A setuptools config file as setuptools reads it (names kept as written); ``None``: an empty one."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    if path is None:
        return parser
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise InvalidConfigSetting(f"{what} cannot be read: {exc}") from None
    return parser


def _setuptools_variant_config(environ: Mapping[str, str], root: Path, pyproject: Mapping[str, Any], label: str) -> Tuple[str, str]:
    """A ``DIST_EXTRA_CONFIG`` file for a variant build and the variant's ``build_base``.

    The user's own ``DIST_EXTRA_CONFIG`` is merged in.  ``[build]`` gets the
    variant's own folders (setuptools keeps objects in ``build/`` and skips
    those newer than their sources, so a shared folder would hand one
    variant's objects to another build) and ``force = 1`` (a rebuild of the
    same label with other user flags compiles again).
    """
    import io

    # Where setuptools reads [build] from, in its order (last wins): pyproject.toml's
    # [tool.distutils.build], setup.cfg, then DIST_EXTRA_CONFIG, which this file replaces.
    options = _build_dirs(_table(pyproject, "tool", "distutils", "build"))
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        cfg = _read_config(str(setup_cfg), str(setup_cfg))
        options.update(_build_dirs(cfg["build"]) if cfg.has_section("build") else {})
    user = environ.get("DIST_EXTRA_CONFIG")
    parser = _read_config(user or None, f"DIST_EXTRA_CONFIG={user!r}")
    if not parser.has_section("build"):
        parser.add_section("build")
    options.update(_build_dirs(parser["build"]))
    options.setdefault("build_base", "build")
    for key, value in options.items():
        parser.remove_option("build", key.replace("_", "-"))
        parser.set("build", key, _variant_build_dir(value, label))
    parser.set("build", "force", "1")
    text = io.StringIO()
    parser.write(text)
    return text.getvalue(), parser.get("build", "build_base")


def plan_transport(
    family: Family,
    flags: BuildFlags,
    *,
    label: str,
    description: VariantDescription,
    config_settings: Optional[Dict[str, Any]],
    environ: Mapping[str, str],
    root: Path,
    pyproject: Mapping[str, Any],
    editable: bool = False,
) -> Transport:
    """Decide env values and config settings for ``family`` (see the module docstring).

    Compiler flags from the environment reach a build only when it configures
    from scratch, and a build reuses objects it finds up to date, so each
    variant gets its own build folder beside the plain one
    (:func:`_variant_build_dir`): a scikit-build-core or meson-python
    ``build-dir`` ``X`` becomes ``X-varwheel-<label>`` (meson-python editable
    builds, which always keep one, get ``build-varwheel-<label>``), and
    setuptools gets ``build_base`` ``build-varwheel-<label>`` (and the
    project's other ``[build]`` folders moved the same way) plus ``force = 1``
    through ``DIST_EXTRA_CONFIG``.  For setuptools, ``CFLAGS``/``CXXFLAGS``
    start with the interpreter's flags where this setuptools would otherwise
    drop them (:mod:`varwheel.build.setuptools_flags`).
    """
    plan = _Planner(environ, config_settings)
    plan.editable = editable
    t = plan.transport
    props = properties_value(description)
    plan.set_env(LABEL_VAR, label)
    plan.set_env(PROPERTIES_VAR, props)
    for name, value in flags.env.items():
        plan.set_env(name, value, why="[tool.varwheel.mapping] env")
    STRATEGIES[family](plan, _Variant(flags, label, description, root, pyproject))
    t.forwarded.append(f"env {LABEL_VAR}={label} {PROPERTIES_VAR}={props or '(empty)'}")
    if flags.env:
        t.forwarded.append("env " + " ".join(f"{k}={v}" for k, v in flags.env.items()))
    return t


@dataclass(frozen=True)
class _Variant:
    """What every family strategy reads: the variant and the project."""

    flags: BuildFlags
    label: str
    description: VariantDescription
    root: Path
    pyproject: Mapping[str, Any]


# -- the flags spelled for the tools that read them -------------------------------------------------
def cmake_cuda_architectures(flags: BuildFlags) -> str:
    """``90-real;120-virtual`` (``CMAKE_CUDA_ARCHITECTURES`` and ``CUDAARCHS``)."""
    return ";".join(a.cmake for a in flags.cuda_archs)


def nvcc_gencode(flags: BuildFlags) -> List[str]:
    """``-gencode=arch=compute_90,code=sm_90`` per architecture (nvcc)."""
    return [a.gencode for a in flags.cuda_archs]


def nvcc_host_flags(flags: BuildFlags) -> List[str]:
    """The host compiler's flags as nvcc takes them (``-Xcompiler=-march=x86-64-v3``)."""
    return [f"-Xcompiler={flag}" for flag in flags.cuda_host]


def torch_cuda_arch_list(flags: BuildFlags) -> str:
    """``9.0;12.0+PTX``.  PyTorch cannot ask for PTX without SASS: a virtual-only
    architecture becomes ``X.Y+PTX``, which adds SASS for X.Y as well."""
    items: Dict[str, bool] = {}
    for arch in flags.cuda_archs:
        items[arch.dotted] = items.get(arch.dotted, False) or arch.virtual
    return ";".join(f"{k}+PTX" if ptx else k for k, ptx in items.items())


# -- what every compiling family gets: the environment ---------------------------------------------
def _compilers(
    plan: _Planner,
    v: _Variant,
    *,
    cuda_var: str = "CUDAFLAGS",
    gencode_in_cuda_var: bool = False,
    prefixes: Optional[Mapping[str, Sequence[str]]] = None,
) -> None:
    """``CFLAGS``/``CXXFLAGS``/CUDA/``LDFLAGS`` appended to the user's, CUDA architectures, nvcc flags."""
    t, flags = plan.transport, v.flags
    prefixes = prefixes or {}
    cuda_flags = nvcc_host_flags(flags) + list(flags.cuda)
    if gencode_in_cuda_var:  # meson has no architecture setting: the -gencode flags ride along
        cuda_flags = nvcc_gencode(flags) + cuda_flags
    plan.append_env("CFLAGS", flags.c, prefix=prefixes.get("CFLAGS", ()))
    plan.append_env("CXXFLAGS", flags.cxx, prefix=prefixes.get("CXXFLAGS", ()))
    plan.append_env(cuda_var, cuda_flags, archs=bool(flags.cuda_archs))
    plan.append_env("LDFLAGS", flags.link)
    if flags.c == flags.cxx and flags.c:
        t.forwarded.append(f"CFLAGS/CXXFLAGS += {' '.join(flags.c)}")
    else:
        if flags.c:
            t.forwarded.append(f"CFLAGS += {' '.join(flags.c)}")
        if flags.cxx:
            t.forwarded.append(f"CXXFLAGS += {' '.join(flags.cxx)}")
    if cuda_flags:
        t.forwarded.append(f"{cuda_var} += {' '.join(cuda_flags)}")
    if flags.link:
        t.forwarded.append(f"LDFLAGS += {' '.join(flags.link)}")
    if flags.cuda_archs:
        archs, torch = cmake_cuda_architectures(flags), torch_cuda_arch_list(flags)
        plan.set_env("CUDAARCHS", archs)
        plan.set_env("TORCH_CUDA_ARCH_LIST", torch)
        t.forwarded.append(f"CUDA architectures {archs} (CUDAARCHS, TORCH_CUDA_ARCH_LIST={torch})")
    nvcc = nvcc_gencode(flags) + nvcc_host_flags(flags) + list(flags.cuda)
    if nvcc:
        plan.set_env(NVCC_FLAGS_VAR, " ".join(nvcc))


def _cmake_args(plan: _Planner, v: _Variant) -> None:
    """Mapped CMake defines for backends that run CMake themselves (``CMAKE_ARGS``)."""
    t, flags = plan.transport, v.flags
    if not flags.cmake_define:
        return
    env_defines = _cmake_args_defines(plan.environ.get("CMAKE_ARGS", ""))
    for name, value in flags.cmake_define.items():
        if name in env_defines and env_defines[name] != value:
            raise InvalidConfigSetting(
                f"CMAKE_ARGS sets -D{name}={env_defines[name]!r}, which conflicts with the variant's "
                f"{name}={value!r}: remove it from CMAKE_ARGS"
            )
    defines_args = [f"-D{k}={v}" for k, v in flags.cmake_define.items()]
    plan.append_env("CMAKE_ARGS", defines_args)
    t.forwarded.append("CMAKE_ARGS += " + " ".join(defines_args))


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    """``data[k1][k2]...`` when each is a table, else ``{}``."""
    for key in keys:
        value = data.get(key, {})
        data = value if isinstance(value, Mapping) else {}
    return data


# -- one strategy per backend family ----------------------------------------------------------------
def _scikit_build_core(plan: _Planner, v: _Variant) -> None:
    """The environment, plus ``cmake.define.*`` settings and a per-variant ``build-dir``."""
    _compilers(plan, v)
    t, flags = plan.transport, v.flags
    skb = _table(v.pyproject, "tool", "scikit-build")
    pyproject_defines = _table(skb, "cmake", "define")
    defines: Dict[str, str] = {LABEL_VAR: v.label, PROPERTIES_VAR: properties_value(v.description)}
    if flags.cuda_archs:
        defines["CMAKE_CUDA_ARCHITECTURES"] = cmake_cuda_architectures(flags)
    for name, value in flags.cmake_define.items():
        if name in defines and defines[name] != value:
            raise InvalidConfigSetting(
                f"[tool.varwheel.mapping] cmake-define {name}={value!r} conflicts with the variant's "
                f"{name}={defines[name]!r}"
            )
        defines[name] = value
    for name, value in defines.items():
        plan.cmake_define(name, value, pyproject_defines)
    t.forwarded.append("cmake.define " + " ".join(sorted(defines)))
    settings = plan.settings()
    build_dir = settings.get("build-dir", skb.get("build-dir"))
    if isinstance(build_dir, str) and build_dir:
        settings["build-dir"] = _variant_build_dir(build_dir, v.label)
        t.forwarded.append(f"build-dir {settings['build-dir']}")


def _meson_python(plan: _Planner, v: _Variant) -> None:
    """The environment (CUDA in ``CUFLAGS``), plus ``setup-args`` and a per-variant ``build-dir``."""
    _compilers(plan, v, cuda_var="CUFLAGS", gencode_in_cuda_var=True)
    t = plan.transport
    given = (t.config_settings or {}).get("build-dir", (t.config_settings or {}).get("builddir"))
    if (isinstance(given, str) and given) or plan.editable:
        settings = plan.settings()
        settings.pop("builddir", None)
        settings["build-dir"] = _variant_build_dir(given if isinstance(given, str) and given else "build", v.label)
        t.forwarded.append(f"build-dir {settings['build-dir']}")
    args: List[str] = []
    kind = meson_variant_option(v.root)
    if kind == "array":
        items = ",".join(repr(f"{p.namespace}::{p.feature}::{p.value}") for p in v.description)
        args.append(f"-Dvariant=[{items}]")
    elif kind is not None:
        args.append(f"-Dvariant={properties_value(v.description)}")
    args += v.flags.meson_args
    if not args:
        return
    settings = plan.settings()
    existing = settings.get("setup-args", [])
    existing_list = [existing] if isinstance(existing, str) else list(existing)
    for arg in args:
        if "=" not in arg or not arg.startswith("-D"):
            continue
        name = arg[2:].split("=", 1)[0]
        for theirs in existing_list:
            if isinstance(theirs, str) and theirs.startswith(f"-D{name}=") and theirs != arg:
                raise InvalidConfigSetting(
                    f"-Csetup-args={theirs!r} conflicts with the variant's {arg!r}: drop it "
                    "(varwheel passes it) or make it identical"
                )
    settings["setup-args"] = existing_list + [a for a in args if a not in existing_list]
    t.forwarded.append("setup-args " + " ".join(args))


def _setuptools(plan: _Planner, v: _Variant) -> None:
    """The environment with the interpreter's flags kept, per-variant ``[build]`` folders, ``CMAKE_ARGS``."""
    from varwheel.build.setuptools_flags import interpreter_prefix

    t, flags = plan.transport, v.flags
    prefixes = {var: interpreter_prefix(var, ours, plan.environ) for var, ours in (("CFLAGS", flags.c), ("CXXFLAGS", flags.cxx))}
    _compilers(plan, v, prefixes=prefixes)
    for var, kept in prefixes.items():
        if kept:
            t.forwarded.append(
                f"{var} starts with the interpreter's flags ({' '.join(kept)}): this setuptools uses {var} "
                "instead of them"
            )
    t.dist_extra_config, build_base = _setuptools_variant_config(plan.environ, v.root, v.pyproject, v.label)
    t.forwarded.append(f"setuptools [build] build_base = {build_base}, force = 1 (DIST_EXTRA_CONFIG)")
    _cmake_args(plan, v)


def _environment(plan: _Planner, v: _Variant) -> None:
    """Backends varwheel has no channel for (hatchling, others): the environment and ``CMAKE_ARGS``."""
    _compilers(plan, v)
    _cmake_args(plan, v)


def _pure(plan: _Planner, v: _Variant) -> None:
    """flit-core compiles nothing: only the variant itself (``VARWHEEL_VARIANT_*``) and mapped ``env``."""
    if not v.flags.empty:
        plan.transport.forwarded.append("no compiler flags (flit-core builds pure-Python wheels)")


#: How each backend family (:attr:`varwheel.build.toolconfig.ToolConfig.family`) receives a variant.
STRATEGIES: Dict[Family, Callable[[_Planner, _Variant], None]] = {
    "scikit-build-core": _scikit_build_core,
    "meson-python": _meson_python,
    "setuptools": _setuptools,
    "hatchling": _environment,
    "other": _environment,
    "flit-core": _pure,
}
