"""PEP 825's variant environment markers in dependency specifiers: parse, evaluate, resolve.

PEP 825 ("Environment markers") adds four marker variables to PEP 508:

=======================  ======================================================
``variant_label``        the wheel's label (a string; ``""`` for a plain wheel)
``variant_properties``   set of ``namespace :: feature :: value``
``variant_features``     set of ``namespace :: feature``
``variant_namespaces``   set of ``namespace``
=======================  ======================================================

The three sets are tested only with ``"x" in SET`` / ``"x" not in SET``,
whitespace around ``::`` does not count.  ``packaging`` 26.4, pip and uv
0.13.9 cannot parse them (docs/build-backend.md says what each does with such
METADATA), so this module is the one parser and evaluator varwheel has: it
reads a whole PEP 508 marker expression (``and`` / ``or`` / parentheses, every
standard marker, ``not in``) and hands each *standard* comparison to
``packaging`` as its own small marker, so version comparisons mean exactly
what they mean everywhere else.

Three things are done with a :class:`VariantRequirement`:

* :meth:`~VariantRequirement.canonical`: the line written into METADATA as
  ``Requires-Dist`` (the same in every wheel of a family);
* :meth:`~VariantRequirement.evaluate`: true or false for one chosen wheel
  (:class:`VariantEnvironment`) and one interpreter's marker environment,
  which ``varwheel install`` does;
* :meth:`~VariantRequirement.resolve`: at build time, for one variant, the
  plain requirement today's installers can read (standard markers kept,
  variant markers replaced by their value), or ``None`` when it does not apply
  to that variant; :class:`MachineDependent` when the value depends on which of
  the variant's values the installing machine supports
  (``"nvidia :: sm_arch :: 90_real" in variant_properties`` for a variant
  built for 90_real *and* 120_real).

The METADATA helpers at the end (:func:`add_requires_dist`,
:func:`rewrite_requires_dist`, :func:`requires_dist`) edit the header block
line by line, so nothing else in the file changes by a byte.

Example::

    >>> req = parse_variant_requirement('dep-a ; "x86_64 :: level :: v3" in variant_properties')
    >>> env = VariantEnvironment.of("v3", VariantDescription.parse(["x86_64 :: level :: v3"]))
    >>> req.evaluate(env, {"python_version": "3.12"})
    True
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, AbstractSet, Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple, Type, Union

from varwheel.errors import InvalidInput, InvalidMetadata
from varwheel.model.properties import FEATURE_RE, LABEL_RE, NAMESPACE_RE, Property, VariantDescription

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass
else:
    from varwheel.model.values import dataclass

__all__ = [
    "VARIANT_MARKERS",
    "SET_MARKERS",
    "VariantEnvironment",
    "VariantRequirement",
    "MachineDependent",
    "parse_variant_requirement",
    "uses_variant_markers",
    "requires_dist",
    "add_requires_dist",
    "rewrite_requires_dist",
]

SET_MARKERS = ("variant_properties", "variant_features", "variant_namespaces")
VARIANT_MARKERS = ("variant_label",) + SET_MARKERS

#: PEP 508's variables (and the legacy dotted spellings ``packaging`` still reads).
_STANDARD = frozenset({
    "implementation_version", "platform_python_implementation", "implementation_name", "python_full_version",
    "platform_release", "platform_version", "platform_machine", "platform_system", "python_version",
    "sys_platform", "os_name", "os.name", "sys.platform", "platform.version", "platform.machine",
    "platform.python_implementation", "python_implementation", "extra",
})
_COMPARE = ("===", "==", "!=", "<=", ">=", "~=", "<", ">")
_TOKEN = re.compile(
    r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<op>===|==|!=|<=|>=|~=|<|>)|(?P<paren>[()])|(?P<name>[A-Za-z_][A-Za-z0-9_.]*))"""
)


# -- the environment one wheel gives --------------------------------------------------------------------
@dataclass(frozen=True)
class VariantEnvironment:
    """The values of the four markers for one chosen wheel.

    ``properties`` is what the installer decided counts (varwheel install: the
    chosen label's properties this machine supports, see docs/machine-side.md);
    the feature and namespace sets derive from it.  A plain wheel is
    ``VariantEnvironment("", frozenset())``.
    """

    label: str
    properties: FrozenSet[Property]

    @classmethod
    def of(cls, label: Optional[str], properties: Iterable[Property] = ()) -> "VariantEnvironment":
        """``label=None`` is a plain wheel (``""``)."""
        return cls(label or "", frozenset(properties))

    @property
    def features(self) -> FrozenSet[str]:
        return frozenset(f"{p.namespace} :: {p.feature}" for p in self.properties)

    @property
    def namespaces(self) -> FrozenSet[str]:
        return frozenset(p.namespace for p in self.properties)

    @property
    def property_strings(self) -> FrozenSet[str]:
        return frozenset(str(p) for p in self.properties)

    def set_for(self, marker: str) -> FrozenSet[str]:
        if marker == "variant_properties":
            return self.property_strings
        if marker == "variant_features":
            return self.features
        return self.namespaces


# -- the expression tree ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Standard:
    """One PEP 508 comparison without variant markers, kept as text ``packaging`` evaluates."""

    text: str

    def serialize(self) -> str:
        return self.text


@dataclass(frozen=True)
class _SetTest:
    """``"value" [not] in variant_{properties,features,namespaces}`` (value normalized)."""

    marker: str
    value: str
    negated: bool

    def serialize(self) -> str:
        return f"{_quote(self.value)} {'not in' if self.negated else 'in'} {self.marker}"


@dataclass(frozen=True)
class _LabelTest:
    """A string comparison of ``variant_label`` with a literal; ``label_left``: the marker is on the left."""

    op: str
    literal: str
    label_left: bool

    def serialize(self) -> str:
        if self.label_left:
            return f"variant_label {self.op} {_quote(self.literal)}"
        return f"{_quote(self.literal)} {self.op} variant_label"

    def value(self, label: str) -> bool:
        lhs, rhs = (label, self.literal) if self.label_left else (self.literal, label)
        if self.op == "==":
            return lhs == rhs
        if self.op == "!=":
            return lhs != rhs
        if self.op == "in":
            return lhs in rhs
        return lhs not in rhs  # "not in"


@dataclass(frozen=True)
class _Bool:
    op: str  # "and" | "or"
    left: "_Node"
    right: "_Node"

    def serialize(self) -> str:
        parts = []
        for side in (self.left, self.right):
            text = side.serialize()
            # "and" binds tighter than "or": an "or" inside an "and" needs its parentheses.
            parts.append(f"({text})" if self.op == "and" and isinstance(side, _Bool) and side.op == "or" else text)
        return f" {self.op} ".join(parts)


@dataclass(frozen=True)
class _Unknown:
    """In a build-time residual only: a variant test whose value the installing machine decides."""

    atom: str

    def serialize(self) -> str:  # pragma: no cover - an unknown is refused before anything is serialized
        return self.atom


_Node = Union[_Standard, _SetTest, _LabelTest, _Bool, _Unknown]


def _quote(text: str) -> str:
    return f"'{text}'" if '"' in text else f'"{text}"'


def _has_variant(node: _Node) -> bool:
    if isinstance(node, _Bool):
        return _has_variant(node.left) or _has_variant(node.right)
    return isinstance(node, (_SetTest, _LabelTest))


# -- parsing ---------------------------------------------------------------------------------------------
class _Parser:
    """Recursive descent over PEP 508's marker grammar; errors say where, in ``where``'s words."""

    def __init__(self, text: str, where: str, error: Type[InvalidInput]) -> None:
        self.text = text
        self.where = where
        self.error = error
        self.tokens: List[Tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None:
                raise self._fail(f"unexpected {text[pos:].strip()[:20]!r}")
            kind = m.lastgroup
            assert kind is not None
            self.tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0

    def _fail(self, message: str) -> InvalidInput:
        return self.error(f"{self.where}: marker {self.text.strip()!r}: {message}")

    def _peek(self) -> Optional[Tuple[str, str, int]]:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _next(self, what: str) -> Tuple[str, str, int]:
        tok = self._peek()
        if tok is None:
            raise self._fail(f"ends where {what} was expected")
        self.i += 1
        return tok

    def parse(self) -> _Node:
        if not self.tokens:
            raise self._fail("is empty")
        node = self._or()
        tok = self._peek()
        if tok is not None:
            raise self._fail(f"unexpected {tok[1]!r} (expected 'and', 'or' or the end)")
        return node

    def _or(self) -> _Node:
        node = self._and()
        while self._keyword("or"):
            node = _Bool("or", node, self._and())
        return node

    def _and(self) -> _Node:
        node = self._atom()
        while self._keyword("and"):
            node = _Bool("and", node, self._atom())
        return node

    def _keyword(self, word: str) -> bool:
        tok = self._peek()
        if tok is not None and tok[0] == "name" and tok[1] == word:
            self.i += 1
            return True
        return False

    def _atom(self) -> _Node:
        tok = self._peek()
        if tok is not None and tok[0] == "paren" and tok[1] == "(":
            self.i += 1
            node = self._or()
            close = self._next("')'")
            if close[0] != "paren" or close[1] != ")":
                raise self._fail(f"expected ')' but found {close[1]!r}")
            return node
        lhs = self._operand()
        op = self._operator()
        rhs = self._operand()
        return self._comparison(lhs, op, rhs)

    def _operand(self) -> Tuple[str, str]:
        kind, value, _ = self._next("a marker name or a quoted string")
        if kind == "str":
            return ("str", value[1:-1])
        if kind == "name" and value not in ("and", "or", "not", "in"):
            if value not in _STANDARD and value not in VARIANT_MARKERS:
                raise self._fail(
                    f"{value!r} is not a marker name (PEP 508's, or PEP 825's {', '.join(VARIANT_MARKERS)})"
                )
            return ("var", value)
        raise self._fail(f"expected a marker name or a quoted string, found {value!r}")

    def _operator(self) -> str:
        kind, value, _ = self._next("a comparison operator")
        if kind == "op":
            return value
        if kind == "name" and value == "in":
            return "in"
        if kind == "name" and value == "not":
            after = self._next("'in' after 'not'")
            if after[0] == "name" and after[1] == "in":
                return "not in"
            raise self._fail(f"expected 'in' after 'not', found {after[1]!r}")
        raise self._fail(f"expected a comparison operator ({', '.join(_COMPARE)}, in, not in), found {value!r}")

    def _comparison(self, lhs: Tuple[str, str], op: str, rhs: Tuple[str, str]) -> _Node:
        names = [v for k, v in (lhs, rhs) if k == "var"]
        variant = [n for n in names if n in VARIANT_MARKERS]
        if not variant:
            if not names:
                raise self._fail(f"compares two strings ({_quote(lhs[1])} {op} {_quote(rhs[1])}); one side must be a marker")
            return _Standard(f"{_side(lhs)} {op} {_side(rhs)}")
        if len(names) == 2:
            raise self._fail(f"compares {names[0]} with {names[1]}; compare a variant marker with a quoted string")
        marker = variant[0]
        literal = rhs[1] if lhs[0] == "var" else lhs[1]
        if marker in SET_MARKERS:
            if lhs[0] != "str" or op not in ("in", "not in"):
                raise self._fail(
                    f"{marker} is a set: test it as '\"...\" in {marker}' or '\"...\" not in {marker}' (PEP 825)"
                )
            return _SetTest(marker, self._normalize(marker, literal), op == "not in")
        if op not in ("==", "!=", "in", "not in"):
            raise self._fail(f"variant_label is a plain string: compare it with ==, !=, in or not in, not {op}")
        if op in ("==", "!=") and literal and not LABEL_RE.match(literal):
            raise self._fail(
                f"{literal!r} is not a variant label (labels match {LABEL_RE.pattern}; \"\" is the plain wheel), "
                "so the comparison never holds"
            )
        return _LabelTest(op, literal, lhs[0] == "var")

    def _normalize(self, marker: str, literal: str) -> str:
        """``"ns::f :: v"`` -> ``"ns :: f :: v"``: PEP 825 ignores whitespace; anything unmatchable is an error."""
        parts = [p.strip() for p in literal.split("::")]
        want = {"variant_properties": 3, "variant_features": 2, "variant_namespaces": 1}[marker]
        shape = ("namespace :: feature :: value", "namespace :: feature", "namespace")[3 - want]
        if len(parts) != want:
            raise self._fail(f"{literal!r} is not a {shape} string, so '{marker}' never holds it")
        try:
            if want == 3:
                return str(Property(*parts))
        except InvalidInput as exc:
            raise self._fail(f"{literal!r}: {exc}") from None
        for part, rule in zip(parts, (NAMESPACE_RE, FEATURE_RE)):
            if not rule.match(part):
                raise self._fail(f"{literal!r} is not a {shape} string ({part!r} does not match {rule.pattern})")
        return " :: ".join(parts)


def _side(operand: Tuple[str, str]) -> str:
    return _quote(operand[1]) if operand[0] == "str" else operand[1]


def _check_standard(node: _Node, parser: _Parser) -> None:
    """Every standard comparison must be one ``packaging`` accepts (the installer evaluates it there)."""
    from packaging.markers import InvalidMarker, Marker

    if isinstance(node, _Bool):
        _check_standard(node.left, parser)
        _check_standard(node.right, parser)
    elif isinstance(node, _Standard):
        try:
            Marker(node.text)
        except InvalidMarker as exc:
            raise parser._fail(f"{node.text!r}: {str(exc).splitlines()[0]}") from None


# -- requirements ----------------------------------------------------------------------------------------
class MachineDependent(InvalidInput):
    """A variant marker whose value, for one variant, depends on what the installing machine supports."""


@dataclass(frozen=True)
class VariantRequirement:
    """One dependency specifier whose marker may use PEP 825's variant markers."""

    #: ``name[extras] specifier`` or ``name @ url``, as ``packaging`` normalizes it.
    requirement: str
    marker: Optional[_Node]
    #: Where it came from, for messages (``pyproject.toml: tool.varwheel.variant-dependencies[0]``).
    where: str
    #: The text as written.
    text: str

    @property
    def uses_variant_markers(self) -> bool:
        return self.marker is not None and _has_variant(self.marker)

    def canonical(self) -> str:
        """The ``Requires-Dist`` value: normalized requirement, `` ; ``, normalized marker."""
        if self.marker is None:
            return self.requirement
        return f"{self.requirement} ; {self.marker.serialize()}"

    def evaluate(self, variant: VariantEnvironment, environment: Mapping[str, str], extras: Sequence[str] = ()) -> bool:
        """Whether it applies: variant markers from ``variant``, standard ones from ``environment``.

        ``extra`` is tested against each of ``extras`` (and ``""``), as pip does for ``PKG[extra]``.
        """
        if self.marker is None:
            return True
        marker = self.marker
        return any(_value(marker, variant, environment, extra) for extra in ("", *extras))

    def substitute(self, variant: VariantEnvironment) -> Optional[str]:
        """The plain requirement once the variant markers take ``variant``'s values, or ``None`` when false.

        Standard markers stay (``python_version``, ``extra``...): the installer
        evaluates them as it evaluates any requirement.  This is what
        ``varwheel install`` writes into the METADATA pip reads.
        """
        if self.marker is None:
            return self.requirement
        residual = _partial(self.marker, variant, variant.property_strings)
        if residual is False:
            return None
        if residual is True:
            return self.requirement
        return f"{self.requirement} ; {residual.serialize()}"

    def resolve(self, label: Optional[str], description: VariantDescription) -> Optional[str]:
        """The plain requirement for wheels of this variant, or ``None`` when it never applies to them.

        ``label=None`` is the plain wheel.  What a variant's own metadata fixes
        is resolved: the label, its namespaces and features (a wheel is
        installed only where each of its features has a supported value), and
        a property whose feature has that one value in the variant.  A
        property of a feature with several values holds only on machines that
        support that value: :class:`MachineDependent`, unless the rest of the
        expression decides alone (``A or True``).
        """
        if self.marker is None:
            return self.requirement
        by_feature = description.values_by_feature()
        single = {str(p) for p in description if len(by_feature[p.feature_key]) == 1}
        known = VariantEnvironment.of(label, description)
        residual = _partial(self.marker, known, single)
        if residual is False:
            return None
        if residual is True:
            return self.requirement
        if _unknown_in(residual):
            several = sorted(_unknown_atoms(residual))
            shown = label if label is not None else "the plain wheel"
            raise MachineDependent(
                f"{self.where} {self.text!r}: for variant {shown} its value depends on the installing machine "
                f"({'; '.join(several)}: the variant lists several values of that feature and the machine's support "
                "decides which hold), so it cannot be resolved at build time; test the label or the feature "
                "instead, or use variant-dependencies-mode = \"markers\""
            )
        return f"{self.requirement} ; {residual.serialize()}"


#: A residual of partial evaluation: decided, or an expression over standard markers (and unknowns).
_Residual = Union[bool, _Node]


def _unknown_in(node: object) -> bool:
    if isinstance(node, _Bool):
        return _unknown_in(node.left) or _unknown_in(node.right)
    return isinstance(node, _Unknown)


def _unknown_atoms(node: object) -> List[str]:
    if isinstance(node, _Bool):
        return _unknown_atoms(node.left) + _unknown_atoms(node.right)
    return [node.atom] if isinstance(node, _Unknown) else []


def _partial(node: _Node, known: VariantEnvironment, single: AbstractSet[str]) -> _Residual:
    if isinstance(node, (_Standard, _Unknown)):
        return node
    if isinstance(node, _LabelTest):
        return node.value(known.label)
    if isinstance(node, _SetTest):
        present = node.value in known.set_for(node.marker)
        if node.marker == "variant_properties" and present and node.value not in single:
            return _Unknown(node.serialize())
        return present != node.negated
    left = _partial(node.left, known, single)
    right = _partial(node.right, known, single)
    if node.op == "and":
        if left is False or right is False:
            return False
        if left is True:
            return right
        if right is True:
            return left
    else:
        if left is True or right is True:
            return True
        if left is False:
            return right
        if right is False:
            return left
    assert not isinstance(left, bool) and not isinstance(right, bool)
    return _Bool(node.op, left, right)


def _value(node: _Node, variant: VariantEnvironment, environment: Mapping[str, str], extra: str) -> bool:
    if isinstance(node, _Bool):
        left = _value(node.left, variant, environment, extra)
        if node.op == "and":
            return left and _value(node.right, variant, environment, extra)
        return left or _value(node.right, variant, environment, extra)
    if isinstance(node, _SetTest):
        return (node.value in variant.set_for(node.marker)) != node.negated
    if isinstance(node, _LabelTest):
        return node.value(variant.label)
    if isinstance(node, _Unknown):  # pragma: no cover - only build-time residuals hold unknowns
        raise AssertionError(node.atom)
    from packaging.markers import Marker

    env: Dict[str, str] = dict(environment)
    env["extra"] = extra
    return bool(Marker(node.text).evaluate(env))  # type: ignore[arg-type, unused-ignore]


def parse_variant_requirement(
    text: str, *, where: str = "requirement", error: Type[InvalidInput] = InvalidMetadata
) -> VariantRequirement:
    """Parse ``name[extras] spec ; marker`` where the marker may use the variant markers.

    The marker starts at the first ``;`` after which the rest parses (a URL
    requirement's own ``;`` comes before PEP 508's required space).  Errors
    are ``error`` (:class:`~varwheel.errors.InvalidPyproject` for
    ``[tool.varwheel]``) and name ``where``.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    if not isinstance(text, str) or not text.strip():
        raise error(f"{where}: expected a dependency specifier (a non-empty string), got {text!r}")
    cuts = [i for i, ch in enumerate(text) if ch == ";"]
    problem = ""
    for cut in cuts or [len(text)]:
        left, right = text[:cut].strip(), text[cut + 1:]
        try:
            req = Requirement(left)
        except InvalidRequirement as exc:
            problem = str(exc).splitlines()[0]
            continue
        if req.marker is not None:  # pragma: no cover - a ';' before this cut would have been tried first
            continue
        if cut == len(text):
            return VariantRequirement(str(req), None, where, text)
        if req.url and not text[:cut].endswith((" ", "\t")):
            continue  # PEP 508: after a URL the marker's ';' follows whitespace; this one is the URL's own
        parser = _Parser(right, where, error)
        node = parser.parse()
        _check_standard(node, parser)
        return VariantRequirement(str(req), node, where, text)
    raise error(f"{where}: {text!r} is not a dependency specifier ({problem or 'no marker after the URL'})")


def uses_variant_markers(text: str) -> bool:
    """Whether a ``Requires-Dist`` value uses a variant marker (what pip and uv 0.13.9 cannot read).

    A value ``packaging`` parses uses none; one it refuses is parsed here,
    and counts when it parses and has a variant test.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(text)
        return False
    except InvalidRequirement:
        pass
    try:
        return parse_variant_requirement(text).uses_variant_markers
    except InvalidInput:
        return any(re.search(rf"\b{m}\b", text) for m in VARIANT_MARKERS)


# -- METADATA (RFC 822 headers, line by line) ------------------------------------------------------------
def _split_headers(metadata: bytes) -> Tuple[List[bytes], bytes]:
    """``(header lines with their line ends, the rest: the blank line and the body)``."""
    lines = metadata.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line in (b"\n", b"\r\n"):
            return lines[:i], b"".join(lines[i:])
    return lines, b""


def _field(line: bytes) -> Optional[Tuple[str, str]]:
    name, sep, value = line.partition(b":")
    if not sep or line[:1] in (b" ", b"\t"):
        return None
    return name.decode("utf-8", "replace").strip().lower(), value.decode("utf-8", "replace").strip()


def requires_dist(metadata: bytes) -> List[str]:
    """Every ``Requires-Dist`` value, in order."""
    headers, _ = _split_headers(metadata)
    return [f[1] for f in map(_field, headers) if f is not None and f[0] == "requires-dist"]


def add_requires_dist(metadata: bytes, values: Sequence[str]) -> bytes:
    """``metadata`` with ``Requires-Dist: value`` lines after its last one (else at the end of the headers).

    A value already present is not added twice (the inner backend may have
    written it: rebuilding from a prepared METADATA).  The line ending is the file's.
    """
    headers, rest = _split_headers(metadata)
    newline = b"\r\n" if headers and headers[0].endswith(b"\r\n") else b"\n"
    if headers and not headers[-1].endswith((b"\n", b"\r")):
        headers[-1] += newline
    present = set(requires_dist(metadata))
    new = [f"Requires-Dist: {v}".encode() + newline for v in dict.fromkeys(values) if v not in present]
    fields = [_field(line) for line in headers]
    last = max((i for i, f in enumerate(fields) if f is not None and f[0] == "requires-dist"), default=None)
    at = len(headers) if last is None else last + 1
    # A continuation line (leading whitespace) belongs to the field above it: insert after it.
    while last is not None and at < len(headers) and headers[at][:1] in (b" ", b"\t"):
        at += 1
    return b"".join(headers[:at] + new + headers[at:]) + rest


def rewrite_requires_dist(metadata: bytes, replace: Callable[[str], Optional[str]]) -> bytes:
    """``metadata`` with each ``Requires-Dist`` value ``v`` replaced by ``replace(v)`` (``None``: line removed)."""
    headers, rest = _split_headers(metadata)
    out: List[bytes] = []
    for line in headers:
        found = _field(line)
        if found is None or found[0] != "requires-dist":
            out.append(line)
            continue
        new = replace(found[1])
        if new is None:
            continue
        if new == found[1]:
            out.append(line)
            continue
        ending = line[len(line.rstrip(b"\r\n")):]
        out.append(f"Requires-Dist: {new}".encode() + ending)
    return b"".join(out) + rest
