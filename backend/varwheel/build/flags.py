"""From variant properties to compiler input (spec section 8).

No standard says which compiler flags a property means; varwheel owns this
mapping.  :func:`derive_flags` turns a :class:`~varwheel.model.properties.VariantDescription`
into a :class:`BuildFlags`: flags per language, CUDA architectures, CUDA
toolkit bounds to check, and whatever the project's own mappings add.  It
does no I/O; :mod:`varwheel.build.transport` decides how each inner backend receives
the result, :mod:`varwheel.build.toolchain` checks the bounds.

Built-in mappings:

* ``x86_64 :: level :: vN`` -> ``-march=x86-64-vN`` (``v1``: ``-march=x86-64``)
  for C, C++ and the CUDA host compiler; several levels: the lowest wins
  (the wheel must run on all of them).
* ``x86_64 :: <isa> :: on`` -> one ``-m`` flag from :data:`X86_ISA_FLAGS`
  (feature names as Linux ``/proc/cpuinfo`` and the x86-64 provider spell them).
* ``aarch64 :: version :: 8.2a`` -> ``-march=armv8.2-a`` (``8a`` -> ``armv8-a``,
  ``9.0a`` -> ``armv9-a``).
* ``nvidia :: sm_arch :: 90_real / 120_virtual`` -> CUDA architectures
  (``CMAKE_CUDA_ARCHITECTURES`` ``90-real;120-virtual``, ``TORCH_CUDA_ARCH_LIST``
  ``9.0;12.0+PTX``, nvcc ``-gencode`` flags).
* ``nvidia :: cuda_version_lower_bound / upper_bound`` -> a check of the CUDA
  toolkit the build will use, before compiling.

A property of ``x86_64``, ``aarch64`` or ``nvidia`` whose feature has no
built-in mapping is an error unless the project maps it: recording a property
the compiler never heard of would publish a mislabelled wheel.  Other
namespaces produce no flags (the build still sees them through
``VARWHEEL_VARIANT_PROPERTIES``) unless the project maps them.

Project mappings (``[tool.varwheel.mapping."<namespace> :: <feature>[ :: <value>]"]``)
are parsed by :func:`parse_mapping_table`; see docs/build-backend.md.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from varwheel.errors import InvalidInput, InvalidPyproject
from varwheel.model.properties import FEATURE_RE, NAMESPACE_RE, VALUE_RE, Property, VariantDescription

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass, field
else:
    from varwheel.model.values import dataclass, field

__all__ = [
    "X86_ISA_FLAGS",
    "X86_LEVELS",
    "CudaArch",
    "UserMapping",
    "BuildFlags",
    "derive_flags",
    "parse_mapping_table",
    "aarch64_march",
    "parse_cuda_version",
]

#: ``x86_64 :: level`` value -> ``-march`` value (psABI levels, GCC >= 11 / Clang >= 12).
X86_LEVELS: Dict[str, str] = {"v1": "x86-64", "v2": "x86-64-v2", "v3": "x86-64-v3", "v4": "x86-64-v4"}

#: ``x86_64 :: <feature> :: on`` -> GCC/Clang flag.  Keys are the names Linux
#: ``/proc/cpuinfo`` (and archspec, used by the x86-64 provider) prints, plus the
#: spellings people also type (``sha``, ``pclmul``, ``bmi``, ``avx512vbmi2``...).
X86_ISA_FLAGS: Dict[str, str] = {
    # AVX-512 family
    "avx512f": "-mavx512f",
    "avx512bw": "-mavx512bw",
    "avx512cd": "-mavx512cd",
    "avx512dq": "-mavx512dq",
    "avx512vl": "-mavx512vl",
    "avx512ifma": "-mavx512ifma",
    "avx512vbmi": "-mavx512vbmi",
    "avx512_vbmi2": "-mavx512vbmi2",
    "avx512vbmi2": "-mavx512vbmi2",
    "avx512_vnni": "-mavx512vnni",
    "avx512vnni": "-mavx512vnni",
    "avx512_bitalg": "-mavx512bitalg",
    "avx512bitalg": "-mavx512bitalg",
    "avx512_vpopcntdq": "-mavx512vpopcntdq",
    "avx512vpopcntdq": "-mavx512vpopcntdq",
    "avx512_bf16": "-mavx512bf16",
    "avx512bf16": "-mavx512bf16",
    "avx512_fp16": "-mavx512fp16",
    "avx512fp16": "-mavx512fp16",
    "avx512_vp2intersect": "-mavx512vp2intersect",
    "avx512vp2intersect": "-mavx512vp2intersect",
    # AVX / AVX2 era and friends
    "avx_vnni": "-mavxvnni",
    "avxvnni": "-mavxvnni",
    "avx": "-mavx",
    "avx2": "-mavx2",
    "fma": "-mfma",
    "f16c": "-mf16c",
    "movbe": "-mmovbe",
    "bmi1": "-mbmi",
    "bmi": "-mbmi",
    "bmi2": "-mbmi2",
    "abm": "-mabm",
    "lzcnt": "-mlzcnt",
    "popcnt": "-mpopcnt",
    "adx": "-madx",
    "xsave": "-mxsave",
    "cx16": "-mcx16",
    "sse3": "-msse3",
    "pni": "-msse3",
    "ssse3": "-mssse3",
    "sse4_1": "-msse4.1",
    "sse4_2": "-msse4.2",
    # crypto / carry-less multiply
    "sha": "-msha",
    "sha_ni": "-msha",
    "aes": "-maes",
    "vaes": "-mvaes",
    "pclmul": "-mpclmul",
    "pclmulqdq": "-mpclmul",
    "vpclmulqdq": "-mvpclmulqdq",
    "gfni": "-mgfni",
    "rdrand": "-mrdrnd",
    "rdseed": "-mrdseed",
    # AMX
    "amx_tile": "-mamx-tile",
    "amx_int8": "-mamx-int8",
    "amx_bf16": "-mamx-bf16",
}

_SM_ARCH_RE = re.compile(r"^(\d+)(\d)([a-z]?)_(real|virtual)$")
_CUDA_VERSION_RE = re.compile(r"^(\d+)(?:\.(\d+))?$")
_AARCH64_RE = re.compile(r"^(\d+)(?:\.(\d+))?a$")

#: Namespaces whose every feature must have a mapping (built-in or the project's).
_STRICT_NAMESPACES = ("x86_64", "aarch64", "nvidia")

_FLAG_KEYS = ("compile-flags", "c-flags", "cxx-flags", "cuda-flags", "link-flags")
_MAPPING_KEYS = _FLAG_KEYS + ("env", "cmake-define", "meson-args", "replace-builtin")


@dataclass(frozen=True, order=True)
class CudaArch:
    """One ``nvidia :: sm_arch`` value: ``90_real`` = SASS for 9.0, ``120_virtual`` = PTX for 12.0."""

    major: int
    minor: int
    suffix: str  # "", "a" or "f" (architecture-specific feature sets)
    virtual: bool

    @classmethod
    def parse(cls, value: str) -> "CudaArch":
        match = _SM_ARCH_RE.match(value)
        if not match:
            raise InvalidInput(
                f"property 'nvidia :: sm_arch :: {value}': expected '<major><minor>_real' or "
                "'<major><minor>_virtual' (for example 90_real, 120_virtual)"
            )
        major, minor, suffix, kind = match.groups()
        return cls(int(major), int(minor), suffix, kind == "virtual")

    @property
    def number(self) -> str:
        return f"{self.major}{self.minor}{self.suffix}"

    @property
    def cmake(self) -> str:
        return f"{self.number}-{'virtual' if self.virtual else 'real'}"

    @property
    def gencode(self) -> str:
        code = f"compute_{self.number}" if self.virtual else f"sm_{self.number}"
        return f"-gencode=arch=compute_{self.number},code={code}"

    @property
    def dotted(self) -> str:
        return f"{self.major}.{self.minor}{self.suffix}"


def parse_cuda_version(value: str, *, feature: str = "cuda_version_lower_bound") -> Tuple[int, ...]:
    match = _CUDA_VERSION_RE.match(value)
    if not match:
        raise InvalidInput(
            f"property 'nvidia :: {feature} :: {value}': expected a CUDA version 'M.m' or 'M' "
            "(for example 12.8 or 13)"
        )
    return tuple(int(part) for part in match.groups() if part is not None)


def _aarch64_key(value: str) -> Tuple[int, int]:
    major, minor = _AARCH64_RE.match(value).groups()  # type: ignore[union-attr]
    return int(major), int(minor or 0)


def aarch64_march(value: str) -> str:
    """``8a`` -> ``armv8-a``, ``8.2a`` -> ``armv8.2-a``, ``9.0a`` -> ``armv9-a``."""
    match = _AARCH64_RE.match(value)
    if not match:
        raise InvalidInput(
            f"property 'aarch64 :: version :: {value}': expected an Arm architecture version "
            "like 8a, 8.2a or 9.0a"
        )
    major, minor = match.groups()
    if minor is None or int(minor) == 0:
        return f"armv{int(major)}-a"
    return f"armv{int(major)}.{int(minor)}-a"


@dataclass(frozen=True)
class UserMapping:
    """One ``[tool.varwheel.mapping."<ns> :: <feature>[ :: <value>]"]`` table.

    ``value is None`` matches every value of the feature; ``{value}`` in any
    string is replaced by the property's value.
    """

    namespace: str
    feature: str
    value: Optional[str]
    compile_flags: Tuple[str, ...] = ()
    c_flags: Tuple[str, ...] = ()
    cxx_flags: Tuple[str, ...] = ()
    cuda_flags: Tuple[str, ...] = ()
    link_flags: Tuple[str, ...] = ()
    env: Tuple[Tuple[str, str], ...] = ()
    cmake_define: Tuple[Tuple[str, str], ...] = ()
    meson_args: Tuple[str, ...] = ()
    replace_builtin: bool = False

    @property
    def key(self) -> str:
        parts = [self.namespace, self.feature] + ([self.value] if self.value is not None else [])
        return " :: ".join(parts)

    def matches(self, prop: Property) -> bool:
        return (
            prop.namespace == self.namespace
            and prop.feature == self.feature
            and (self.value is None or self.value == prop.value)
        )


def parse_mapping_table(table: Any, *, source: str = "pyproject.toml") -> Tuple[UserMapping, ...]:
    """Parse ``[tool.varwheel.mapping]``; errors name the key path."""
    base = "tool.varwheel.mapping"
    if not isinstance(table, Mapping):
        raise InvalidPyproject(f"{source}: {base}: expected a table keyed by 'namespace :: feature[ :: value]'")
    out: List[UserMapping] = []
    for raw_key, entry in table.items():
        where = f'{base}."{raw_key}"'
        parts = [p.strip() for p in str(raw_key).split("::")]
        if len(parts) not in (2, 3) or not all(parts):
            raise InvalidPyproject(
                f"{source}: {where}: the key must be 'namespace :: feature' (every value) or "
                "'namespace :: feature :: value' (one property)"
            )
        for part, regex, what in zip(parts, (NAMESPACE_RE, FEATURE_RE, VALUE_RE), ("namespace", "feature", "value")):
            if not regex.match(part):
                raise InvalidPyproject(f"{source}: {where}: {what} {part!r} is invalid (allowed: {regex.pattern})")
        if not isinstance(entry, Mapping):
            raise InvalidPyproject(f"{source}: {where}: expected a table (an empty one maps to no flags)")
        unknown = [k for k in entry if k not in _MAPPING_KEYS]
        if unknown:
            raise InvalidPyproject(
                f"{source}: {where}.{unknown[0]}: unknown key (allowed: {', '.join(_MAPPING_KEYS)})"
            )
        kwargs: Dict[str, Any] = {}
        for key in _FLAG_KEYS + ("meson-args",):
            if key in entry:
                kwargs[key.replace("-", "_")] = _str_tuple(entry[key], f"{source}: {where}.{key}")
        for key in ("env", "cmake-define"):
            if key in entry:
                kwargs[key.replace("-", "_")] = _str_table(entry[key], f"{source}: {where}.{key}", key)
        if "replace-builtin" in entry:
            if not isinstance(entry["replace-builtin"], bool):
                raise InvalidPyproject(f"{source}: {where}.replace-builtin: expected true or false")
            kwargs["replace_builtin"] = entry["replace-builtin"]
        out.append(UserMapping(parts[0], parts[1], parts[2] if len(parts) == 3 else None, **kwargs))
    return tuple(out)


#: A NUL ends a C string: neither an environment value nor a command-line argument can hold one (Python refuses
#: it at ``os.environ`` or ``subprocess`` time, after the build has started), so the table refuses it.
_NUL = "\x00"
#: An environment variable or CMake define name (``fullmatch``: ``$`` alone would let a trailing newline through).
_VARIABLE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _str_tuple(value: Any, where: str) -> Tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidPyproject(f"{where}: expected a list of strings (one argument each), got {value!r}")
    for item in value:
        if _NUL in item:
            raise InvalidPyproject(f"{where}: {item!r} holds a NUL character, which no compiler argument can carry")
    return tuple(value)


def _str_table(value: Any, where: str, key: str) -> Tuple[Tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise InvalidPyproject(f"{where}: expected a table of NAME = value")
    out = []
    for name, item in value.items():
        if not isinstance(name, str) or not _VARIABLE_RE.fullmatch(name):
            raise InvalidPyproject(
                f"{where}: {name!r} is not a valid variable name (letters, digits and '_', not starting with a digit)"
            )
        if isinstance(item, bool) and key == "cmake-define":
            item = "ON" if item else "OFF"
        if not isinstance(item, str):
            raise InvalidPyproject(f"{where}.{name}: expected a string, got {item!r}")
        if _NUL in item:
            raise InvalidPyproject(f"{where}.{name}: {item!r} holds a NUL character, which no {key} value can carry")
        out.append((name, item))
    return tuple(out)


@dataclass
class BuildFlags:
    """Everything a variant means for the compilers, before transport."""

    c: List[str] = field(default_factory=list)
    cxx: List[str] = field(default_factory=list)
    cuda_host: List[str] = field(default_factory=list)  # host compiler flags, given to nvcc via -Xcompiler
    cuda: List[str] = field(default_factory=list)  # nvcc's own flags (not the architectures)
    link: List[str] = field(default_factory=list)
    cuda_archs: List[CudaArch] = field(default_factory=list)
    cuda_lower_bounds: List[str] = field(default_factory=list)
    cuda_upper_bounds: List[str] = field(default_factory=list)
    env: Dict[str, str] = field(default_factory=dict)
    cmake_define: Dict[str, str] = field(default_factory=dict)
    meson_args: List[str] = field(default_factory=list)
    unmapped: List[str] = field(default_factory=list)  # properties that produced nothing (other namespaces)

    @property
    def compiles(self) -> bool:
        """Whether a compiler receives anything from this variant (environment-only mappings aside)."""
        return bool(
            self.c or self.cxx or self.cuda_host or self.cuda or self.link or self.cuda_archs
            or self.cmake_define or self.meson_args
        )

    @property
    def empty(self) -> bool:
        return not (
            self.c or self.cxx or self.cuda_host or self.cuda or self.link or self.cuda_archs
            or self.env or self.cmake_define or self.meson_args
        )


def _add(target: List[str], flags: Iterable[str]) -> None:
    for flag in flags:
        if flag not in target:
            target.append(flag)


def _sub(text: str, value: str) -> str:
    return text.replace("{value}", value)


def _apply_user(flags: BuildFlags, mapping: UserMapping, prop: Property) -> None:
    v = prop.value
    _add(flags.c, (_sub(f, v) for f in mapping.compile_flags + mapping.c_flags))
    _add(flags.cxx, (_sub(f, v) for f in mapping.compile_flags + mapping.cxx_flags))
    _add(flags.cuda_host, (_sub(f, v) for f in mapping.compile_flags))
    _add(flags.cuda, (_sub(f, v) for f in mapping.cuda_flags))
    _add(flags.link, (_sub(f, v) for f in mapping.link_flags))
    _add(flags.meson_args, (_sub(f, v) for f in mapping.meson_args))
    for table, target, what in ((mapping.env, flags.env, "environment variable"),
                                (mapping.cmake_define, flags.cmake_define, "CMake define")):
        for name, raw in table:
            value = _sub(raw, v)
            if name in target and target[name] != value:
                raise InvalidPyproject(
                    f"tool.varwheel.mapping: {what} {name} gets two values for this variant "
                    f"({target[name]!r} and {value!r}, the latter from \"{mapping.key}\"); "
                    "map each one from a single property"
                )
            target[name] = value


def _builtin(flags: BuildFlags, namespace: str, feature: str, values: List[str]) -> bool:
    """Apply the built-in mapping of one feature; False when there is none."""
    compile_: List[str] = []
    if namespace == "x86_64":
        if feature == "level":
            unknown = [v for v in values if v not in X86_LEVELS]
            if unknown:
                raise InvalidInput(
                    f"property 'x86_64 :: level :: {unknown[0]}': unknown level (known: {', '.join(X86_LEVELS)})"
                )
            lowest = min(values, key=lambda v: list(X86_LEVELS).index(v))
            compile_.append(f"-march={X86_LEVELS[lowest]}")
        elif feature in X86_ISA_FLAGS:
            bad = [v for v in values if v != "on"]
            if bad:
                raise InvalidInput(f"property 'x86_64 :: {feature} :: {bad[0]}': ISA features take the value 'on'")
            compile_.append(X86_ISA_FLAGS[feature])
        else:
            return False
    elif namespace == "aarch64":
        if feature != "version":
            return False
        for v in values:
            aarch64_march(v)  # validates every value
        lowest = min(values, key=_aarch64_key)
        compile_.append(f"-march={aarch64_march(lowest)}")
    elif namespace == "nvidia":
        if feature == "sm_arch":
            archs = sorted(CudaArch.parse(v) for v in values)
            for arch in archs:
                if arch not in flags.cuda_archs:
                    flags.cuda_archs.append(arch)
            flags.cuda_archs.sort(key=lambda a: (a.major, a.minor, a.suffix, a.virtual))
        elif feature == "cuda_version_lower_bound":
            for v in values:
                parse_cuda_version(v, feature=feature)
            flags.cuda_lower_bounds += values
        elif feature == "cuda_version_upper_bound":
            for v in values:
                parse_cuda_version(v, feature=feature)
            flags.cuda_upper_bounds += values
        else:
            return False
    else:
        return False
    _add(flags.c, compile_)
    _add(flags.cxx, compile_)
    _add(flags.cuda_host, compile_)
    return True


def derive_flags(
    description: VariantDescription,
    *,
    mapped: Optional[Sequence[Property]] = None,
    mappings: Sequence[UserMapping] = (),
) -> BuildFlags:
    """Compiler input for ``description``.

    ``mapped``: the properties to derive flags from (default: all of them);
    properties given as ``variant-name`` are recorded but not mapped.
    ``mappings``: the project's ``[tool.varwheel.mapping]`` entries, applied
    after the built-in mapping of the same property (so a project flag comes
    later on the command line and wins), or instead of it with
    ``replace-builtin = true``.
    """
    flags = BuildFlags()
    props = list(description) if mapped is None else sorted(set(mapped))
    by_feature: Dict[Tuple[str, str], List[Property]] = {}
    for prop in props:
        by_feature.setdefault(prop.feature_key, []).append(prop)
    # Architecture baselines (-march) before single ISA extensions, as people write them.
    order = sorted(by_feature, key=lambda k: (k[0], k[1] not in ("level", "version"), k[1]))
    for namespace, feature in order:
        group = by_feature[(namespace, feature)]
        users = [(m, p) for p in group for m in mappings if m.matches(p)]
        replaced = {p for m, p in users if m.replace_builtin}
        builtin_values = [p.value for p in group if p not in replaced]
        covered = {p for _, p in users}
        if builtin_values:
            known = _builtin(flags, namespace, feature, builtin_values)
            if not known:
                uncovered = [p for p in group if p not in covered]
                if uncovered and namespace in _STRICT_NAMESPACES:
                    raise InvalidInput(
                        f"varwheel has no compiler mapping for '{uncovered[0]}': add a table "
                        f'[tool.varwheel.mapping."{namespace} :: {feature}"] to pyproject.toml with the flags '
                        "it needs (an empty table records the property without flags), or pass it as "
                        "-Cvariant-name=... to record it only"
                    )
                flags.unmapped += [str(p) for p in uncovered]
        # Feature-wide mappings first, then exact-property ones: the more specific comes later and wins.
        for mapping, prop in sorted(users, key=lambda mp: mp[0].value is not None):
            _apply_user(flags, mapping, prop)
    _check_march(flags)
    return flags


def _check_march(flags: BuildFlags) -> None:
    for lang, items in (("C", flags.c), ("C++", flags.cxx), ("CUDA host", flags.cuda_host)):
        marches = [f for f in items if f.startswith("-march=")]
        if len(set(marches)) > 1:
            raise InvalidInput(
                f"this variant asks the {lang} compiler for several architectures ({', '.join(marches)}): "
                "a wheel gets one -march; drop one of the properties or set replace-builtin = true in "
                "the [tool.varwheel.mapping] entry that adds its own -march"
            )
