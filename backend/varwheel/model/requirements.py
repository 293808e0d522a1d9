"""PEP 508 requirement strings as the model reads them: the plain forms by hand, everything else by packaging.

Provider entries (``requires``, ``build-requires``) and ``[tool.varwheel]``
plugin lists are nearly always a bare name or a name with release-only
version bounds (``x86-64-variant-provider``, ``nvidia-variant-provider>=0.0.1,<1``).
Importing :mod:`packaging.requirements` costs more than everything else
``make-variant`` does for a small wheel (its tokenizer compiles about 70
regular expressions, and ``packaging.markers`` loads ``platform``): about
25 ms of every command and every isolated build (``bench/import_cost.py``).

So :func:`parse_requirement` reads the plain form itself and hands every
other string to packaging, whose verdict and message stand.  The plain form
is a strict subset of what packaging accepts, read to the same name and
specifiers (``tests/test_requirements.py`` checks both against packaging,
by hypothesis); :func:`specifier_admits` decides whether such
specifiers admit a plain release, as packaging's ``SpecifierSet.contains``
does, without importing it.
"""

from __future__ import annotations

import operator
from typing import List, NamedTuple, Optional, Tuple

__all__ = ["ParsedRequirement", "RequirementError", "parse_requirement", "specifier_admits"]

_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def _clause(text: str) -> Optional[Tuple[str, str]]:
    """``(operator, release)`` for ``OP RELEASE`` (``>= 1.0``), else ``None``; by hand, not by regular expression.

    A regular expression would be compiled by every process that reads a
    provider entry: that alone took as long as the rest of this module.
    """
    text = text.strip(" \t")
    op = next((o for o in _OPERATORS if text.startswith(o)), None)
    if op is None:
        return None
    version = text[len(op):].lstrip(" \t")
    if not version or not all(part.isascii() and part.isdigit() for part in version.split(".")):
        return None
    return op, version


def _plain(text: str) -> Optional[Tuple[str, List[Tuple[str, str]]]]:
    """``(name, clauses)`` when ``text`` is a name with optional release-only bounds, else ``None``.

    No extras, marker, URL, ``~=``, ``===``, ``.*``, pre-, post-, dev- or local
    versions, no bound written twice: those go to packaging.  Spaces and tabs (packaging's only
    whitespace) may stand around the name, operators and commas.
    """
    text = text.strip(" \t")
    cut = next((i for i, char in enumerate(text) if char in "<>=!~"), len(text))
    name = text[:cut].rstrip(" \t")
    if not name or not _NAME_CHARS.issuperset(name) or not (name[0].isalnum() and name[-1].isalnum()):
        return None
    clauses: List[Tuple[str, str]] = []
    if cut < len(text):
        for part in text[cut:].split(","):
            clause = _clause(part)
            if clause is None:
                return None
            clauses.append(clause)
    # Two spellings of one bound (``>=1,>=1.0``): packaging keeps one of them, by rules of its own that
    # change between its versions; it decides (the admitted releases are the same either way).
    if len({(op, _release(version)) for op, version in clauses}) != len(clauses):
        return None
    return name, clauses


class RequirementError(ValueError):
    """The string is not a PEP 508 requirement; the message is packaging's first line."""


class ParsedRequirement(NamedTuple):
    """What the model needs of a requirement (packaging's ``Requirement`` where the string is not plain)."""

    name: str
    extras: Tuple[str, ...]
    #: the version specifiers as written by packaging (``str(SpecifierSet)``), ``""`` for none
    specifier: str
    has_marker: bool
    url: Optional[str]
    #: read by the fast path: ``specifier`` is release-only bounds that :func:`specifier_admits` can judge alone
    plain: bool


def parse_requirement(text: str) -> ParsedRequirement:
    """Read ``text``; raise :class:`RequirementError` where packaging would refuse it."""
    plain = _plain(text)
    if plain is not None:
        name, clauses = plain
        return ParsedRequirement(name, (), ",".join(sorted({op + version for op, version in clauses})), False, None, True)
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        # packaging's message spans three lines (text, echo, caret): keep the first.
        raise RequirementError(str(exc).splitlines()[0] if str(exc) else "unparsable") from None
    return ParsedRequirement(req.name, tuple(sorted(req.extras)), str(req.specifier),
                             req.marker is not None, req.url, False)


def _release(version: str) -> Tuple[int, ...]:
    parts = [int(p) for p in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def specifier_admits(req: ParsedRequirement, version: str) -> bool:
    """Whether ``req``'s specifiers admit ``version``, pre-releases allowed, as packaging's ``contains`` says.

    ``version`` is a plain release (``0.2.1``).  Release-only bounds against a
    plain release are tuple comparisons after trailing zeros are dropped
    (PEP 440 pads the shorter release with zeros; the exclusive-ordering
    rules about pre- and post-releases of the bound cannot apply to a plain
    release).  Any other specifier goes to packaging.
    """
    if not req.specifier:
        return True
    if not req.plain:
        from packaging.specifiers import SpecifierSet
        from packaging.version import Version

        return SpecifierSet(req.specifier).contains(Version(version), prereleases=True)
    have = _release(version)
    for text in req.specifier.split(","):
        clause = _clause(text)
        assert clause is not None, req  # a plain specifier is written from clauses _clause read
        op, bound = clause
        if not _COMPARE[op](have, _release(bound)):
            return False
    return True
