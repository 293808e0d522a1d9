"""RECORD as varwheel writes it is RECORD as :mod:`csv` writes it, and reads back the same (issue 11).

``format_record`` once left a field holding a carriage return unquoted
(a :func:`csv.writer` told ``lineterminator="\\n"`` stops quoting ``\\r``), so
that :func:`csv.reader` took the ``\\r`` for the end of a row.  The rule now
is the default dialect's: a field with a comma, a quote, ``\\r`` or ``\\n`` is
quoted.  The oracles here are the :mod:`csv` module itself (the writer's
default dialect, and the reader as its documentation says to read, over
``newline=""`` text), and the two readers installs go through: pip's
(``csv.reader(text.splitlines())``, pip/_internal/operations/install/wheel.py)
and installer's (``installer.records.parse_record_file(text.splitlines())``).
Both cut the text at every line boundary :meth:`str.splitlines` knows before
csv sees it, so a path holding one of those characters cannot be read back
by either, quoted or not; member names with ``\\r`` or ``\\n`` are refused by
varwheel anyway (control characters), but ``\\x85``, ``\\u2028`` and
``\\u2029`` are not (:func:`test_pip_and_installer_cannot_read_a_path_with_a_unicode_line_break`).
"""

from __future__ import annotations

import csv
import io
import itertools
from typing import List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from varwheel.errors import InvalidWheel
from varwheel.wheel.record import Record, RecordRow, format_record, parse_record

#: Every character str.splitlines() cuts a line at (pip and installer split RECORD with it).
SPLITLINES = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"

#: The odd pieces a path or field can hold, and every short combination of them with plain text.
PIECES = [",", '"', "\r", "\n", "\r\n", " ", "\t", '""', '","', "\\", "é", "\u2028", ""]
ODD = sorted({"".join(p) for p in itertools.product(["a", *PIECES], repeat=3)} | {" a", "a ", " a ", '"a"', "a,", ",a"})


def csv_reads(raw: bytes) -> List[List[str]]:
    """What :func:`csv.reader` reads, the way its documentation says to open the text."""
    return [row for row in csv.reader(io.StringIO(raw.decode("utf-8"), newline="")) if row]


def csv_writes(rows) -> bytes:
    """What :func:`csv.writer` writes with its default dialect, each ``\\r\\n`` row end made ``\\n`` (RECORD's)."""
    out = []
    for row in rows:
        buf = io.StringIO()
        csv.writer(buf).writerow(row)
        line = buf.getvalue()
        assert line.endswith("\r\n")
        out.append(line[:-2] + "\n")
    return "".join(out).encode("utf-8")


def pip_reads(raw: bytes) -> List[List[str]]:
    """pip 23's reading of an installed RECORD (``csv.reader(record_text.splitlines())``)."""
    return [row for row in csv.reader(raw.decode("utf-8").splitlines()) if row]


def installer_reads(raw: bytes) -> List[List[str]]:
    from installer.records import parse_record_file

    return [list(row) for row in parse_record_file(raw.decode("utf-8").splitlines())]


def test_every_odd_field_is_written_as_csv_writes_it_and_read_back():
    assert len(ODD) > 2000
    for field in ODD:
        rows = [[field, "sha256=abc", "1"], ["demo/x.py", field, field], ["demo/y.py", "", ""]]
        raw = format_record(rows)
        assert raw == csv_writes(rows), field
        assert csv_reads(raw) == rows, field
        assert [r.as_list() for r in parse_record(raw)] == rows, field


def test_pip_and_installer_read_back_every_field_without_a_line_break():
    readable = [f for f in ODD if not any(c in f for c in SPLITLINES)]
    assert len(readable) > 700
    for field in readable:
        rows = [[field, "sha256=abc", "1"], ["demo/x.py", field, field]]
        raw = format_record(rows)
        assert pip_reads(raw) == rows, field
        # installer turns backslashes in paths into slashes (its own rule, not CSV's)
        assert installer_reads(raw) == [[row[0].replace("\\", "/"), *row[1:]] for row in rows], field


def test_a_carriage_return_is_quoted():
    """The defect: ``a\\rb`` was written bare and read back as two rows."""
    raw = format_record([["demo/a\rb.py", "", ""]])
    assert raw == b'"demo/a\rb.py",,\n'
    assert csv_reads(raw) == [["demo/a\rb.py", "", ""]]


@pytest.mark.parametrize("path", ["demo/a\u2028b.py", "demo/a\x85b.py", "demo/a\u2029b.py"])
def test_pip_and_installer_cannot_read_a_path_with_a_unicode_line_break(path):
    """A disagreement measured, not varwheel's to fix: csv writes and reads the path; pip and installer, which
    split RECORD with str.splitlines() first, see two rows.  varwheel accepts such member names (they are
    not control characters), so a wheel holding one installs with neither."""
    raw = format_record([[path, "sha256=abc", "1"]])
    assert csv_reads(raw) == [[path, "sha256=abc", "1"]]
    assert pip_reads(raw) != [[path, "sha256=abc", "1"]]
    from installer.records import InvalidRecordEntry

    with pytest.raises(InvalidRecordEntry, match="expected 3 elements"):  # it sees a row of one field
        installer_reads(raw)


def test_a_row_of_one_empty_field_is_written_as_csv_writes_it():
    assert format_record([[""]]) == csv_writes([[""]]) == b'""\n'


fields = st.text(st.characters(exclude_categories=("Cs",)), max_size=10)


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(fields, fields, fields), max_size=6))
def test_any_rows_are_written_as_csv_writes_them_and_read_back(rows):
    rows = [list(row) for row in rows]
    raw = format_record(rows)
    assert raw == csv_writes(rows)
    assert csv_reads(raw) == [row for row in rows if row]
    if any("\x00" in f for row in rows for f in row):  # no file name has one: varwheel refuses it
        with pytest.raises(InvalidWheel, match="NUL"):
            Record(raw)
    else:
        assert [r.as_list() for r in parse_record(raw)] == rows
    if not any(c in f for row in rows for f in row for c in SPLITLINES):
        assert pip_reads(raw) == rows


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.tuples(fields, fields, fields), max_size=6), st.sets(fields, max_size=3),
       st.lists(st.tuples(fields, fields, fields), max_size=2))
def test_rewritten_drops_the_paths_and_appends_the_rows(rows, drop, add):
    """The RECORD make-variant writes: the old rows less the dropped paths, then the new ones, as csv reads them."""
    rows = [list(row) for row in rows if "\x00" not in "".join(row)]
    add = [list(row) for row in add if "\x00" not in "".join(row)]
    record = Record(format_record(rows))
    new = b"".join(record.rewritten(drop, add))
    assert csv_reads(new) == [row for row in rows if row[0] not in drop] + add


def test_rewritten_keeps_the_old_bytes_of_a_plain_record():
    raw = b"demo/a.py,sha256=A,1\ndemo-1.0.dist-info/variant.json,sha256=B,2\ndemo/b.py,sha256=C,3\ndemo-1.0.dist-info/RECORD,,"
    record = Record(raw)
    assert record.plain
    parts = record.rewritten({"demo-1.0.dist-info/variant.json", "demo-1.0.dist-info/RECORD"},
                             [["demo-1.0.dist-info/variant.json", "sha256=D", "4"], ["demo-1.0.dist-info/RECORD", "", ""]])
    assert any(isinstance(p, memoryview) for p in parts)  # slices of the old bytes, not a copy
    assert b"".join(parts) == (b"demo/a.py,sha256=A,1\ndemo/b.py,sha256=C,3\n"
                               b"demo-1.0.dist-info/variant.json,sha256=D,4\ndemo-1.0.dist-info/RECORD,,\n")


def test_a_path_listed_twice_is_dropped_twice():
    raw = b"a,,\nb,,\na,,\n"
    assert b"".join(Record(raw).rewritten({"a"}, [])) == b"b,,\n"


@pytest.mark.parametrize("raw, plain", [
    (b"a,b,c\n", True), (b"a,b,c", True), (b"a,b,c\n\n\n", True), (b"", True),
    (b"a,b,c\n\nd,e,f\n", False),  # a blank line inside: csv's rules (it skips it)
    (b'"a",b,c\n', False), (b"a,b,c\r\n", False), (b"a,b\n", False), (b"\x01", False),
    (b"a" * 140_000 + b",,\n", False),  # near csv's field limit: csv decides
])
def test_which_records_need_no_csv_rule(raw, plain):
    try:
        record = Record(raw)
    except InvalidWheel:
        assert not plain
        return
    assert record.plain == plain
    assert [r for _, r in record.rows()] == csv_reads(raw)


def test_rows_are_made_when_reached():
    from varwheel.wheel.record import RecordRows

    rows = RecordRows(Record(b"a,,\nb,sha256=x,1\n"))
    assert len(rows) == 2 and rows[-1] == RecordRow("b", "sha256=x", "1") and [r.path for r in rows] == ["a", "b"]
    with pytest.raises(IndexError):
        rows[2]
