"""RECORD: read as CSV readers read it, hashed as installers hash it, written as :mod:`csv` writes it.

One concept, used by every command (issue 9): the rows (:class:`RecordRow`),
the hashes RECORD may use (:data:`ACCEPTED_HASHES`, :func:`record_hasher`),
what a disagreement between a wheel and its RECORD is called
(:class:`RecordProblem`), and the reader and writer.

Memory stays flat whatever the row count (issue 11): a :class:`Record` is
the member's bytes and nothing per row.  Rows are parsed when they are
walked (:meth:`Record.rows`) or asked for by where they start
(:meth:`Record.row_at`), and the rewritten RECORD of ``make-variant`` is the
old bytes minus the rows it drops, as slices of them, plus the new rows
(:meth:`Record.rewritten`): 200,000 rows cost their 13 MB once, not a Python
object each (about 330 bytes a row as lists of strings).

Almost every RECORD needs none of CSV's rules: no quote, no carriage return,
no NUL, two commas on every line, no line near csv's field limit.  That is
decided for the whole member at once, in C (:func:`_is_plain`), and such a
RECORD is split at its newlines and commas.  Any other RECORD is read
through :mod:`csv`, line by line as ``io.StringIO(text, newline="")`` gives
lines, which is what :mod:`csv` is documented to read.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import io
import re
from typing import TYPE_CHECKING, AbstractSet, Iterator, List, Literal, Optional, Sequence, Tuple, Union, overload

if TYPE_CHECKING:
    # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass
    from hashlib import _Hash
else:
    from varwheel.model.values import dataclass

from varwheel.errors import InvalidWheel

__all__ = [
    "ACCEPTED_HASHES",
    "CSV_FIELD_LIMIT",
    "MAX_RECORD_BYTES",
    "Record",
    "RecordCode",
    "RecordProblem",
    "RecordRow",
    "RecordRows",
    "format_record",
    "hash_matches",
    "parse_record",
    "record_hash",
    "record_hasher",
]

#: The most of RECORD any command reads: torch's RECORD (13,000 rows) is 1.2 MB; 32 MiB is 300,000 rows.
MAX_RECORD_BYTES = 32 << 20
#: csv's default field size limit: a longer field is not valid RECORD (csv, and so pip, refuses it).
CSV_FIELD_LIMIT = 131072


@dataclass(frozen=True)
class RecordRow:
    """One RECORD row: the path, ``algo=digest`` (or empty) and the size (or empty), as strings."""

    path: str
    hash: str
    size: str

    def as_list(self) -> List[str]:
        return [self.path, self.hash, self.size]


# -- hashes ------------------------------------------------------------------------------------------------


def record_hash(data: bytes) -> str:
    """``sha256=<urlsafe base64, no padding>`` as RECORD writes it."""
    return "sha256=" + _encode(hashlib.sha256(data).digest())


def _encode(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


#: The RECORD hash algorithms every command accepts (PEP 376 / the wheel spec): those
#: hashlib guarantees, less md5 and sha1 (too weak) and shake_* (no fixed digest size).
ACCEPTED_HASHES = frozenset(
    a for a in hashlib.algorithms_guaranteed if a not in ("md5", "sha1") and not a.startswith("shake_")
)


def record_hasher(spec: str) -> "Optional[_Hash]":
    """A fresh hash object for RECORD's ``algo=digest`` ``spec``, or ``None`` for an algorithm nobody accepts."""
    algo = spec.partition("=")[0]
    return hashlib.new(algo) if algo in ACCEPTED_HASHES else None


def hash_matches(spec: str, hasher: "_Hash") -> bool:
    """Whether ``hasher`` (fed with a member's bytes) gives RECORD's ``spec``."""
    return spec.partition("=")[2] == _encode(hasher.digest())


# -- problems ----------------------------------------------------------------------------------------------

#: What a comparison of a wheel with its RECORD finds; ``check`` reports each kind with this code.
RecordCode = Literal[
    "record-hash", "record-size", "record-unlisted", "record-missing-member", "record-duplicate", "record-unreadable"
]


@dataclass(frozen=True)
class RecordProblem:
    """One disagreement between a wheel and its RECORD: what kind, which member, the sentence for people."""

    code: RecordCode
    path: str
    message: str

    def __str__(self) -> str:
        return self.message


# -- reading -----------------------------------------------------------------------------------------------

#: Every byte but the comma and the newline: deleting them leaves a RECORD's skeleton, ``,,\n`` per row.
_NOT_COMMA_OR_NEWLINE = bytes(b for b in range(256) if b not in b",\n")
#: A line as ``io.StringIO(text, newline="")`` cuts it: up to ``\r\n``, ``\r`` or ``\n``, which stay.
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
#: How much is decoded at once to check that RECORD is UTF-8 (never the whole member as one string).
_DECODE_STEP = 1 << 20


def _is_plain(raw: bytes) -> bool:
    """Whether no CSV rule applies to ``raw``: then each line is a row, split at its two commas.

    No quote, carriage return or NUL anywhere; exactly two commas on every
    line (blank lines only at the end); no line longer than csv's field
    limit.  Each test is one pass in C over the bytes; a line can only be
    that long if some aligned block of half the limit holds no newline, so
    the last test looks at one byte or so per 64 KiB.
    """
    if b'"' in raw or b"\r" in raw or b"\x00" in raw:
        return False
    end = _end_of_rows(raw)
    if end == 0:
        return True
    # 1 MiB at a time (translate makes its output as long as its input first, then cuts it).
    skeleton = b"".join(raw[at : min(at + _DECODE_STEP, end)].translate(None, _NOT_COMMA_OR_NEWLINE)
                        for at in range(0, end, _DECODE_STEP)) + b"\n"  # blank lines at the end off, one line end on
    if skeleton.count(b",,\n") * 3 != len(skeleton):  # non-overlapping ",,\n" covering it all: that and nothing else
        return False
    block = CSV_FIELD_LIMIT // 2
    return all(raw.find(b"\n", at, at + block) >= 0 for at in range(0, len(raw) - block + 1, block))


def _end_of_rows(raw: bytes) -> int:
    """Where ``raw`` ends without the newlines at its end (blank lines at the end are no rows)."""
    end = len(raw)
    while end and raw[end - 1] == 0x0A:
        end -= 1
    return end


def _line_number(raw: bytes, at: int) -> int:
    return raw.count(b"\n", 0, at) + 1


class _Lines:
    """``raw``'s lines from ``start``, decoded one at a time, as :mod:`csv` reads them; ``end``: where the last one ended.

    A line that is not UTF-8 or holds a NUL (no file name has one; Python
    3.11's csv stopped refusing it) is :class:`InvalidWheel` naming the line.
    """

    def __init__(self, raw: bytes, start: int, source: str) -> None:
        self.raw, self.source = raw, source
        self.end = start
        self._matches = _LINE.finditer(raw, start)

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        match = next(self._matches)
        line = match.group()
        self.end = match.end()
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidWheel(
                f"{self.source}, line {_line_number(self.raw, match.start())}: not UTF-8 ({exc})"
            ) from None
        if "\x00" in text:
            raise InvalidWheel(
                f"{self.source}, line {_line_number(self.raw, match.start())}: contains a NUL character; "
                "no file name has one"
            )
        return text


def _check_utf8(raw: bytes, source: str) -> None:
    """Raise :class:`InvalidWheel` unless ``raw`` is UTF-8, decoding at most 1 MiB at a time."""
    if raw.isascii():
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    for at in range(0, len(raw), _DECODE_STEP):
        try:
            decoder.decode(view[at : at + _DECODE_STEP], final=at + _DECODE_STEP >= len(raw))
        except UnicodeDecodeError as exc:
            where = at + exc.start
            raise InvalidWheel(f"{source}, line {_line_number(raw, where)}: not UTF-8 ({exc.reason} at byte {where})") from None


class Record:
    """A wheel's RECORD, checked once: every row valid CSV with three fields, or :class:`InvalidWheel`.

    Holds the member's bytes only.  A row is identified by where it starts
    (``start`` in :meth:`rows`, :meth:`row_at`): callers keep an offset per
    member, not a row.
    """

    __slots__ = ("raw", "source", "plain")

    def __init__(self, raw: bytes, *, source: str = "RECORD") -> None:
        self.raw = raw
        self.source = source
        #: no CSV rule applies: rows are lines split at commas (see :func:`_is_plain`)
        self.plain = _is_plain(raw)
        if self.plain:
            _check_utf8(raw, source)
        else:
            for _ in self._csv_rows(0):  # every row checked now: later walks cannot fail
                pass

    def rows(self, start: int = 0) -> Iterator[Tuple[int, List[str]]]:
        """``(start, [path, hash, size])`` for each row from offset ``start`` on, in RECORD's order."""
        if not self.plain:
            yield from self._csv_rows(start)
            return
        raw = self.raw
        find = raw.find
        end = len(raw)
        while start < end:
            stop = find(b"\n", start)
            if stop < 0:
                stop = end
            if stop > start:
                yield start, raw[start:stop].decode("utf-8").split(",")
            start = stop + 1

    def paths(self) -> Iterator[Tuple[int, str]]:
        """``(start, path)`` for each row: what a walk that looks rows up by path needs."""
        if not self.plain:
            for start, row in self._csv_rows(0):
                yield start, row[0]
            return
        for start, path in self.raw_paths():
            yield start, path.decode("utf-8")

    def raw_paths(self) -> Iterator[Tuple[int, bytes]]:
        """``(start, path as stored)`` for each row of a :attr:`plain` RECORD (its paths need no unquoting)."""
        assert self.plain
        raw = self.raw
        find = raw.find
        start, end = 0, len(raw)
        while start < end:
            stop = find(b"\n", start)
            if stop < 0:
                stop = end
            if stop > start:
                yield start, raw[start : find(b",", start)]
            start = stop + 1

    def row_at(self, start: int) -> List[str]:
        """The row that starts at ``start`` (an offset :meth:`rows` or :meth:`paths` gave)."""
        if self.plain:
            stop = self.raw.find(b"\n", start)
            return self.raw[start : stop if stop >= 0 else len(self.raw)].decode("utf-8").split(",")
        for _, row in self._csv_rows(start):
            return row
        raise IndexError(f"{self.source}: no row at offset {start}")

    def _csv_rows(self, start: int) -> Iterator[Tuple[int, List[str]]]:
        import csv  # only for a RECORD that needs CSV's rules (quoted names)

        lines = _Lines(self.raw, start, self.source)
        reader = csv.reader(lines)
        begin = start
        try:
            for row in reader:
                if row:
                    if len(row) != 3:
                        raise InvalidWheel(
                            f"{self.source}, line {reader.line_num}: expected 3 fields (path,hash,size), "
                            f"found {len(row)}: {_shown(row)}"
                        )
                    yield begin, row
                begin = lines.end
        except csv.Error as exc:  # a field over csv's size limit, a broken quote
            raise InvalidWheel(f"{self.source}, line {reader.line_num}: not a valid RECORD line ({exc})") from None

    def rewritten(self, drop: AbstractSet[str], add: Sequence[Sequence[str]]) -> List["bytes | memoryview"]:
        """This RECORD without the rows of the paths in ``drop``, with ``add`` appended: the new member's bytes, in parts.

        The rows kept are the old bytes, as slices of them (nothing is copied
        until the parts are written), when no CSV rule applies; otherwise
        every row is written again as :func:`format_record` writes it.  A
        last row without its newline gets one.
        """
        added = format_record(add)
        if not self.plain:
            out = io.BytesIO()
            for _, row in self._csv_rows(0):
                if row[0] not in drop:
                    out.write(_format_row(row).encode("utf-8"))
            out.write(added)
            return [out.getvalue()]
        raw = self.raw
        cuts: List[Tuple[int, int]] = []
        for path in drop:
            if _NEEDS_QUOTES.search(path):
                continue  # a row for it would be quoted: a plain RECORD has none
            key = path.encode("utf-8") + b","
            at = 0 if raw.startswith(key) else raw.find(b"\n" + key) + 1 or -1
            while at >= 0:  # every row of that path (a RECORD may list one twice)
                stop = raw.find(b"\n", at)
                stop = len(raw) if stop < 0 else stop + 1
                cuts.append((at, stop))
                at = raw.find(b"\n" + key, stop - 1) + 1 or -1
        end = _end_of_rows(raw)  # (blank lines at the end are the only ones a plain RECORD has)
        view = memoryview(raw)
        parts: List["bytes | memoryview"] = []
        at = 0
        for a, b in sorted(cuts):
            if a > at:
                parts.append(view[at:a])
            at = max(at, b)
        if at < end:
            parts.append(view[at:end])
            parts.append(b"\n")
        parts.append(added)
        return parts


def _shown(row: List[str]) -> str:
    """A row for an error message: long fields cut (a 140,000-character path says nothing more than its start)."""
    return repr([field if len(field) <= 200 else field[:200] + "..." for field in row])


class RecordRows(Sequence[RecordRow]):
    """RECORD's rows as a sequence, each :class:`RecordRow` made when it is reached (no list of every row)."""

    def __init__(self, record: Record) -> None:
        self._record = record

    def __iter__(self) -> Iterator[RecordRow]:
        for _, row in self._record.rows():
            yield RecordRow(*row)

    def __len__(self) -> int:
        return sum(1 for _ in self._record.paths())

    @overload
    def __getitem__(self, index: int) -> RecordRow: ...

    @overload
    def __getitem__(self, index: slice) -> List[RecordRow]: ...

    def __getitem__(self, index: "int | slice") -> "Union[RecordRow, List[RecordRow]]":
        if isinstance(index, slice):
            return list(self)[index]
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError("RECORD row index out of range")
        for k, row in enumerate(self):
            if k == index:
                return row
        raise IndexError("RECORD row index out of range")  # pragma: no cover - counted above


def parse_record(raw: bytes, *, source: str = "RECORD") -> List[RecordRow]:
    """Every row of ``raw`` as a :class:`RecordRow`, with real CSV rules (quoted names, commas inside names).

    For small RECORDs and tests; commands walk a :class:`Record` instead.
    """
    return [RecordRow(*row) for _, row in Record(raw, source=source).rows()]


# -- writing -----------------------------------------------------------------------------------------------

#: What makes :mod:`csv`'s default (``excel``) dialect quote a field: the delimiter, the quote
#: character, and the characters of its line terminator ``\r\n``.  RECORD's lines end in ``\n``
#: only, as pip and the wheel tools write them; a writer told so (``lineterminator="\n"``) stops
#: quoting a ``\r``, which a reader then takes for a line end: the rule here is the default dialect's.
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def _format_field(value: str) -> str:
    if _NEEDS_QUOTES.search(value) is None:
        return value
    return '"' + value.replace('"', '""') + '"'


def _format_row(row: "Sequence[str] | RecordRow") -> str:
    fields = row.as_list() if isinstance(row, RecordRow) else row
    if len(fields) == 1 and fields[0] == "":
        return '""\n'  # as csv writes a row of one empty field (else it would read back as no row)
    return ",".join(map(_format_field, fields)) + "\n"


def format_record(rows: "Sequence[RecordRow] | Sequence[Sequence[str]]") -> bytes:
    """``rows`` as RECORD: what :mod:`csv`'s default writer gives, lines ending in ``\\n``.

    Every field that :func:`csv.writer` would quote is quoted the same way
    (``"`` doubled inside), so that :func:`csv.reader` reads back exactly
    ``rows``; tests/test_record_format.py compares the two writers field by field.
    """
    return "".join(map(_format_row, rows)).encode("utf-8")
