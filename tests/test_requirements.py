"""model/requirements.py against packaging: the fast path reads only what packaging accepts, and reads it the same.

The fast path exists to keep ``packaging.requirements`` out of every
command's start-up; these tests hold it to packaging's verdicts on strings
near the edge of the plain form (whitespace, odd names, bounds, the
operators it leaves to packaging), on provider entries found in published
metadata, and on a subprocess that shows the import really is avoided.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from varwheel.model.requirements import RequirementError, parse_requirement, specifier_admits

SEEDED = settings(derandomize=True, database=None, deadline=None, max_examples=400, print_blob=False)

_name = st.text(alphabet="aZ09._-", min_size=1, max_size=6)
_ws = st.sampled_from(["", " ", "\t", "  "])
_op = st.sampled_from(["==", "!=", "<=", ">=", "<", ">", "~=", "===", "=", "=>"])
_version = st.sampled_from(["0", "1", "1.0", "0.2.1", "01.2", "1.0.0.0", "1.*", "1.0a1", "1.0.post1", "1.0+l", "", "a"])
_tail = st.sampled_from(["", "[x]", " ; python_version > '3'", " @ https://e.org/x.whl", ",", " #", "\n"])


@st.composite
def requirement_like(draw: st.DrawFn) -> str:
    text = draw(_ws) + draw(_name) + draw(_ws)
    for i in range(draw(st.integers(0, 3))):
        text += ("," if i else "") + draw(_ws) + draw(_op) + draw(_ws) + draw(_version) + draw(_ws)
    return text + draw(_tail)


def _packaging(text: str) -> "Requirement | None":
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


@SEEDED
@given(requirement_like())
@example("x86-64-variant-provider")
@example(" nvidia-variant-provider >= 0.0.1 , <1 ")
@example("a>=1,>=1")
@example("a>=1,>=1.0")
@example("a>=1.0, >=1")
@example("a>=01,>=1")
@example("a==1,==1.0.0,<2")
@example("a.-b")
@example("a-")
@example("a~=1")
@example("")
@example("a>=\u0661")
@example("\u00e9>=1")
@example("a >=1 ,<2")
@example("a\n")
@example("a>=1,")
@example("a===1")
@example("a<=1.0.*")
def test_same_verdict_and_reading_as_packaging(text: str) -> None:
    expected = _packaging(text)
    try:
        got = parse_requirement(text)
    except RequirementError:
        assert expected is None, f"{text!r}: packaging accepts it"
        return
    assert expected is not None, f"{text!r}: packaging refuses it"
    assert (got.name, got.specifier, got.extras) == (expected.name, str(expected.specifier), tuple(sorted(expected.extras)))
    assert got.has_marker == (expected.marker is not None)
    assert got.url == expected.url


@SEEDED
@given(requirement_like(), st.sampled_from(["0", "0.0.1", "0.2.1", "1", "1.0", "1.0.1", "2", "10.0"]))
def test_admits_as_packaging_contains(text: str, version: str) -> None:
    expected = _packaging(text)
    if expected is None:
        return
    got = parse_requirement(text)
    assert specifier_admits(got, version) == SpecifierSet(str(expected.specifier)).contains(Version(version), prereleases=True)


def test_plain_forms_take_the_fast_path() -> None:
    assert parse_requirement("x86-64-variant-provider").plain
    assert parse_requirement("nvidia-variant-provider>=0.0.1,<1").plain
    assert not parse_requirement("a~=1.0").plain
    assert not parse_requirement("a[x]>=1").plain


def test_packaging_message_first_line_only() -> None:
    with pytest.raises(RequirementError) as info:
        parse_requirement("a >= ")
    assert "\n" not in str(info.value) and str(info.value)


def test_make_variant_path_does_not_import_packaging_requirements() -> None:
    """What a variant build and make-variant read (the built-in providers' entries) leaves packaging.requirements out."""
    code = (
        "import sys\n"
        "from varwheel.model.request import resolve_variant\n"
        "resolve_variant(['x86_64 :: level :: v3', 'nvidia :: sm_arch :: 90_real'])\n"
        "print('packaging.requirements' in sys.modules, 'packaging.markers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
