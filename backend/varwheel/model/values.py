"""Value classes for every wing but ``cli/``: what ``dataclasses`` makes, at a fraction of its start-up cost.

Every PEP 517 hook runs in a fresh interpreter, and a variant
``build_wheel`` loads about twenty value classes (properties, documents,
flags, settings).  ``dataclasses`` costs that hook more than the rest of
varwheel's own code together: importing it loads ``inspect`` (and with it
``ast``, ``dis``, ``tokenize``), and it compiles each generated method
separately, seven or more per class.  ``bench/import_cost.py`` measures the
difference (bench/RESULTS.md, "import cost").

:func:`dataclass` here makes the same methods for the subset varwheel uses
(``frozen``, ``order``, defaults, ``field(default_factory=..., compare=...,
repr=...)``, ``__post_init__``) from one compiled string per class; and
:func:`replace`.  Modules import it as::

    if TYPE_CHECKING:
        from dataclasses import dataclass, field
    else:
        from varwheel.model.values import dataclass, field

so that the type checker reads them as the standard dataclasses whose
behaviour they copy (``tests/test_values.py`` compares the two on every
feature used).  Annotations are never evaluated (every module has
``from __future__ import annotations``); a field is a name annotated in the
class's own body, in order.  Not supported, and refused when asked for:
inheritance between value classes, ``ClassVar``/``InitVar``, ``slots``,
``kw_only``, ``eq=False``.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

__all__ = ["FrozenInstanceError", "dataclass", "field", "replace"]

T = TypeVar("T")


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen value (as ``dataclasses.FrozenInstanceError``)."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Field:
    """What :func:`field` returns: a default or a factory, and whether the field takes part in ``==`` and ``repr``."""

    __slots__ = ("default", "default_factory", "compare", "repr")

    def __init__(self, default: Any, default_factory: Any, compare: bool, repr: bool) -> None:  # noqa: A002
        self.default, self.default_factory, self.compare, self.repr = default, default_factory, compare, repr


def field(*, default: Any = MISSING, default_factory: Any = MISSING, compare: bool = True, repr: bool = True) -> Any:  # noqa: A002
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, compare, repr)


def _fields(cls: type) -> List[Tuple[str, Field]]:
    annotations = cls.__dict__.get("__annotations__", {})
    for base in cls.__mro__[1:]:
        if "__value_fields__" in base.__dict__:
            raise TypeError(f"{cls.__name__}: value classes do not inherit fields ({base.__name__})")
    out: List[Tuple[str, Field]] = []
    for name, annotation in annotations.items():
        if str(annotation).startswith(("ClassVar", "InitVar", "typing.ClassVar", "dataclasses.InitVar")):
            raise TypeError(f"{cls.__name__}.{name}: ClassVar and InitVar are not supported")
        value = cls.__dict__.get(name, MISSING)
        spec = value if isinstance(value, Field) else Field(value, MISSING, True, True)
        if spec.default is not MISSING and type(spec.default).__hash__ is None:
            # as dataclasses: a list, dict or set default would be one object shared by every instance
            raise ValueError(f"mutable default {type(spec.default)} for field {name} is not allowed: use default_factory")
        if isinstance(value, Field):
            if value.default is MISSING:
                delattr(cls, name)  # as dataclasses: no class attribute stands in for a field without a default
            else:
                setattr(cls, name, value.default)
        out.append((name, spec))
    seen_default = False
    for name, spec in out:
        has_default = spec.default is not MISSING or spec.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
        seen_default = seen_default or has_default
    return out


def _process(cls: type, frozen: bool, order: bool) -> type:
    fields = _fields(cls)
    names = [name for name, _ in fields]
    scope: Dict[str, Any] = {"MISSING": MISSING, "FrozenInstanceError": FrozenInstanceError,
                             "object_setattr": object.__setattr__}
    params: List[str] = []
    body: List[str] = []
    for name, spec in fields:
        if spec.default_factory is not MISSING:
            scope[f"_factory_{name}"] = spec.default_factory
            params.append(f"{name}=MISSING")
            value = f"_factory_{name}() if {name} is MISSING else {name}"
        elif spec.default is not MISSING:
            scope[f"_default_{name}"] = spec.default
            params.append(f"{name}=_default_{name}")
            value = name
        else:
            params.append(name)
            value = name
        body.append(f"  object_setattr(self, {name!r}, {value})" if frozen else f"  self.{name} = {value}")
    if "__post_init__" in cls.__dict__:
        body.append("  self.__post_init__()")
    compared = [name for name, spec in fields if spec.compare]
    shown = [name for name, spec in fields if spec.repr]
    values = "(" + "".join(f"self.{n}," for n in compared) + ")"
    others = "(" + "".join(f"other.{n}," for n in compared) + ")"
    source = [
        f"def __init__(self, {', '.join(params)}):" if params else "def __init__(self):",
        *(body or ["  pass"]),
        "def __repr__(self):",
        "  return f'{type(self).__qualname__}(" + ", ".join(f"{n}={{self.{n}!r}}" for n in shown) + ")'",
        "def __eq__(self, other):",
        f"  return {values} == {others} if other.__class__ is self.__class__ else NotImplemented",
    ]
    if order:
        for method, op in (("__lt__", "<"), ("__le__", "<="), ("__gt__", ">"), ("__ge__", ">=")):
            source += [f"def {method}(self, other):",
                       f"  return {values} {op} {others} if other.__class__ is self.__class__ else NotImplemented"]
    if frozen:
        source += [
            "def __hash__(self):",
            f"  return hash({values})",
            "def __setattr__(self, name, value):",
            "  raise FrozenInstanceError(f'cannot assign to field {name!r}')",
            "def __delattr__(self, name):",
            "  raise FrozenInstanceError(f'cannot delete field {name!r}')",
        ]
    exec("\n".join(source), scope)  # noqa: S102 - source made above from the class's own field names
    own = cls.__dict__
    # dataclasses' rules for methods the class writes itself: __init__, __repr__ and __eq__ stay; order and
    # frozen methods may not be written; a __hash__ written explicitly stays.
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    for method in ["__init__", "__repr__", "__eq__"]:
        if method not in own:
            _install(cls, scope[method], method)
    for method in (["__lt__", "__le__", "__gt__", "__ge__"] if order else []) + (
            ["__setattr__", "__delattr__"] if frozen else []):
        if method in own:
            raise TypeError(f"cannot overwrite attribute {method} in class {cls.__name__}")
        _install(cls, scope[method], method)
    if not explicit_hash:
        if frozen:
            _install(cls, scope["__hash__"], "__hash__")
        else:
            cls.__hash__ = None  # type: ignore[assignment]  # eq without frozen: unhashable, as dataclasses does
    cls.__value_fields__ = tuple(names)  # type: ignore[attr-defined]
    return cls


def _install(cls: type, function: Any, name: str) -> None:
    function.__qualname__ = f"{cls.__qualname__}.{name}"
    setattr(cls, name, function)


def dataclass(cls: Optional[type] = None, *, frozen: bool = False, order: bool = False) -> Any:
    """``@dataclass`` / ``@dataclass(frozen=True, order=True)``: see the module's docstring."""

    def wrap(klass: type) -> type:
        return _process(klass, frozen, order)

    return wrap if cls is None else wrap(cls)


def replace(obj: T, **changes: Any) -> T:
    """A copy of ``obj`` with ``changes`` (``dataclasses.replace``); ``__post_init__`` runs again."""
    names: Tuple[str, ...] = type(obj).__value_fields__  # type: ignore[attr-defined]
    for name in changes:
        if name not in names:
            raise TypeError(f"{type(obj).__name__} has no field {name!r}")
    new: Callable[..., T] = type(obj)
    return new(**{name: changes.get(name, getattr(obj, name)) for name in names})
