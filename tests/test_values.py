"""model/values.py behaves as ``dataclasses`` on every feature model/ and build/ use, and keeps dataclasses out of a build hook.

Each shape is declared twice, once with ``dataclasses.dataclass`` and once
with ``varwheel.model.values.dataclass``, and the two are driven alike:
construction (positional, keyword, defaults, factories), ``__post_init__``,
``==`` and ``hash`` (with a field left out of comparison), ``repr``,
ordering, frozenness, ``replace``, and what each refuses.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Any, Dict, List, Optional, Tuple

import pytest

from varwheel.model import values


def _shapes(dc: Any, fld: Any) -> Dict[str, type]:
    @dc(frozen=True, order=True)
    class Prop:
        namespace: str
        feature: str
        value: str = "v"

    @dc(frozen=True)
    class Checked:
        items: Tuple[str, ...] = ()
        count: int = 0

        def __post_init__(self) -> None:
            object.__setattr__(self, "count", len(self.items))

    @dc
    class Doc:
        name: str
        tags: List[str] = fld(default_factory=list)
        table: Dict[str, int] = fld(default_factory=dict)
        notes: List[str] = fld(default_factory=list, compare=False)
        hidden: Optional[str] = fld(default=None, repr=False)

    @dc
    class Empty:
        pass

    @dc(frozen=True)
    class OwnRepr:
        a: int

        def __repr__(self) -> str:
            return "own"

    return {"Prop": Prop, "Checked": Checked, "Doc": Doc, "Empty": Empty, "OwnRepr": OwnRepr}


STD = _shapes(dataclasses.dataclass, dataclasses.field)
OURS = _shapes(values.dataclass, values.field)


def _both(name: str, *args: Any, **kwargs: Any) -> Tuple[Any, Any]:
    return STD[name](*args, **kwargs), OURS[name](*args, **kwargs)


def _outcome(call: Any) -> Any:
    try:
        return ("ok", call())
    except Exception as exc:  # noqa: BLE001 - the exception's kind is what is compared
        return ("raises", AttributeError if isinstance(exc, AttributeError) else type(exc))


def _strip(text: str) -> str:
    """repr without the test's local qualname prefix (which differs by where each class was declared: it does not)."""
    return text.split("<locals>.")[-1]


@pytest.mark.parametrize("args,kwargs", [
    (("x86_64", "level"), {}), (("x86_64", "level", "v3"), {}), ((), {"namespace": "a", "feature": "b"}),
])
def test_positional_keyword_and_defaults(args, kwargs):
    std, ours = _both("Prop", *args, **kwargs)
    assert (ours.namespace, ours.feature, ours.value) == (std.namespace, std.feature, std.value)
    assert _strip(repr(ours)) == _strip(repr(std))


def test_equality_hash_and_order_follow_the_fields():
    a_std, a_ours = _both("Prop", "a", "b", "c")
    b_std, b_ours = _both("Prop", "a", "b", "d")
    assert (a_ours == OURS["Prop"]("a", "b", "c")) and hash(a_ours) == hash(OURS["Prop"]("a", "b", "c"))
    assert (a_ours < b_ours, a_ours <= b_ours, a_ours > b_ours, a_ours >= b_ours) == (
        a_std < b_std, a_std <= b_std, a_std > b_std, a_std >= b_std)
    assert sorted([b_ours, a_ours]) == [a_ours, b_ours]
    assert (a_ours == ("a", "b", "c")) is (a_std == ("a", "b", "c")) is False
    assert _outcome(lambda: a_ours < ("a",)) == _outcome(lambda: a_std < ("a",))


def test_frozen_refuses_assignment_and_deletion():
    std, ours = _both("Prop", "a", "b")
    for action in (lambda o: setattr(o, "value", "x"), lambda o: delattr(o, "value"), lambda o: setattr(o, "new", 1)):
        assert _outcome(lambda: action(ours)) == _outcome(lambda: action(std)) == ("raises", AttributeError)
    with pytest.raises(values.FrozenInstanceError):
        ours.value = "x"  # type: ignore[misc]


def test_post_init_and_factories():
    std, ours = _both("Checked", ("a", "b"))
    assert ours.count == std.count == 2
    d_std, d_ours = _both("Doc", "n")
    d_ours.tags.append("t")
    assert OURS["Doc"]("n").tags == [] == STD["Doc"]("n").tags  # a new list each time
    assert _strip(repr(OURS["Doc"]("n", hidden="h"))) == _strip(repr(STD["Doc"]("n", hidden="h")))


def test_a_field_left_out_of_comparison_and_mutable_classes_are_unhashable():
    assert OURS["Doc"]("n", notes=["x"]) == OURS["Doc"]("n", notes=["y"])
    assert STD["Doc"]("n", notes=["x"]) == STD["Doc"]("n", notes=["y"])
    assert OURS["Doc"]("n", tags=["x"]) != OURS["Doc"]("n", tags=["y"])
    assert _outcome(lambda: hash(OURS["Doc"]("n"))) == _outcome(lambda: hash(STD["Doc"]("n"))) == ("raises", TypeError)


def test_what_the_class_writes_itself_stays():
    assert repr(OURS["OwnRepr"](1)) == repr(STD["OwnRepr"](1)) == "own"
    assert OURS["Empty"]() == OURS["Empty"]() and _strip(repr(OURS["Empty"]())) == _strip(repr(STD["Empty"]()))


@pytest.mark.parametrize("call", [
    lambda cls: cls(), lambda cls: cls("a", "b", "c", "d"), lambda cls: cls("a", "b", namespace="c"),
    lambda cls: cls("a", "b", other=1),
])
def test_bad_construction_raises_alike(call):
    assert _outcome(lambda: call(OURS["Prop"])) == _outcome(lambda: call(STD["Prop"]))
    assert _outcome(lambda: call(OURS["Prop"]))[0] == "raises"


def test_replace_as_dataclasses_replace():
    std, ours = _both("Checked", ("a",))
    assert values.replace(ours, items=("a", "b", "c")).count == dataclasses.replace(std, items=("a", "b", "c")).count == 3
    assert _outcome(lambda: values.replace(ours, nothing=1)) == _outcome(lambda: dataclasses.replace(std, nothing=1))


def test_refuses_what_it_does_not_support():
    with pytest.raises(TypeError):
        @values.dataclass
        class NoDefaultAfterDefault:
            a: int = 0
            b: int  # type: ignore[misc]

    @values.dataclass
    class Base:
        a: int

    with pytest.raises(TypeError):
        @values.dataclass
        class Child(Base):
            b: int

    for shared in ([], {}, set()):  # a mutable default would be one object shared by every instance
        def declare(dc: Any, default: Any = shared) -> Any:
            @dc
            class Shared:
                items: Any = default

            return Shared

        assert _outcome(lambda: declare(values.dataclass)) == _outcome(lambda: declare(dataclasses.dataclass)) == (
            "raises", ValueError)

    with pytest.raises(TypeError):
        @values.dataclass(order=True)
        class OwnOrder:
            a: int

            def __lt__(self, other: object) -> bool:
                return True


def test_the_model_and_the_build_hook_modules_leave_dataclasses_unimported():
    """The point of the module: a variant build_wheel hook loads neither dataclasses nor inspect."""
    code = (
        "import sys\n"
        "import varwheel.build, varwheel.build.toolconfig, varwheel.build.settings, varwheel.model.request, "
        "varwheel.build.flags, varwheel.build.transport, varwheel.build.toolchain, varwheel.wheel.make, "
        "varwheel.model.vocabulary, varwheel.model.variant_markers\n"
        "print(sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
