"""An input another process writes while varwheel copies it gives no output (issue 11, item 7).

The rewriter copies a wheel's members as byte ranges after checking its
central directory, local headers and (with ``--verify``) RECORD.  A file
written meanwhile (a download or build still running, a careless script)
gave an output whose members were partly the old file's and partly the new
one's, with exit 0 even under ``--verify``.  The rewriter now compares the
input's size, modification and status-change times, inode and device from
when it was opened with what they are once the last byte is copied, and
fails (exit 2, one line, nothing in the output folder) when they differ.

The writer here is a real other process (``python -c``, opening the wheel
and writing to it); it runs at a fixed point, when the rewriter starts
copying member bytes (a wrapper around the range copier that calls the
real one afterwards), so the test is deterministic whatever the machine's
speed.  The input's modification time is set in the past first, so that a
write shows even on a file system whose clock ticks coarsely.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable, List

import pytest

from fixtures.wheel_factory import make_wheel
from varwheel.errors import InvalidWheel

PROPERTY = "x86_64 :: level :: v3"
#: A stored member large enough that its bytes are copied in several steps by the readwrite copier.
BIG = 3 << 20

#: The other process: ``append`` adds bytes at the end (the size changes), ``overwrite`` writes other bytes
#: into the big member's data (the size stays: only the times say it), as a rewrite of the file in place would.
WRITER = r"""
import sys
path, how, at = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "r+b") as fh:
    if how == "append":
        fh.seek(0, 2)
        fh.write(b"\0" * 4096)
    else:
        fh.seek(at)
        fh.write(b"X" * 65536)
"""


def other_process_writes(path: Path, how: str) -> None:
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("demo/big.bin")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + 1000
    subprocess.run([sys.executable, "-c", WRITER, str(path), how, str(at)], check=True)


def big_wheel(folder: Path) -> Path:
    wheel = make_wheel(folder, "demo", "1.0", {"demo/__init__.py": "x = 1\n", "demo/big.bin": os.urandom(BIG)},
                       compression=zipfile.ZIP_STORED)
    os.utime(wheel, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))  # 2001: any write shows
    return wheel


@pytest.fixture
def write_during_copy(monkeypatch) -> Callable[[Path, str], List[int]]:
    """``arm(path, how)``: the first range copy of any output runs the other process on ``path`` first."""
    import varwheel.wheel.rewrite as rewrite

    real = rewrite.Sink.copy

    def arm(path: Path, how: str) -> List[int]:
        copied: List[int] = []

        def copy(self, src, start, count):
            if not copied:
                other_process_writes(path, how)
            copied.append(count)
            return real(self, src, start, count)

        monkeypatch.setattr(rewrite.Sink, "copy", copy)
        return copied

    return arm


def assert_refused(result, out: Path, src: Path) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("varwheel: error: "), result.stderr
    assert f"{src}: changed while it was read" in lines[0] and "nothing was written" in lines[0], lines[0]
    assert not out.exists() or list(out.iterdir()) == [], list(out.iterdir())


@pytest.mark.parametrize("how", ["append", "overwrite"])
@pytest.mark.parametrize("verify", [False, True])
def test_make_variant_refuses_an_input_written_during_the_copy(tmp_path, run_varwheel, write_during_copy, how, verify):
    src = big_wheel(tmp_path / "in")
    out = tmp_path / "out"
    copied = write_during_copy(src, how)
    result = run_varwheel("make-variant", "-f", src, "-o", out, "-p", PROPERTY, *(["--verify"] if verify else []))
    assert copied, "the writer never ran: the test is not measuring what it thinks"
    assert_refused(result, out, src)


def test_the_same_run_without_a_writer_succeeds(tmp_path, run_varwheel):
    src = big_wheel(tmp_path / "in")
    result = run_varwheel("make-variant", "-f", src, "-o", tmp_path / "out", "-p", PROPERTY, "--verify")
    assert result.returncode == 0, result.stderr
    (made,) = (tmp_path / "out").iterdir()
    with zipfile.ZipFile(made) as zf:
        assert zf.testzip() is None


@pytest.mark.parametrize("how", ["append", "overwrite"])
def test_unmake_variant_refuses_an_input_written_during_the_copy(tmp_path, run_varwheel, write_during_copy, how):
    plain = big_wheel(tmp_path / "plain")
    made = run_varwheel("make-variant", "-f", plain, "-o", tmp_path / "variant", "-p", PROPERTY)
    assert made.returncode == 0, made.stderr
    (variant,) = (tmp_path / "variant").iterdir()
    os.utime(variant, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    out = tmp_path / "out"
    copied = write_during_copy(variant, how)
    result = run_varwheel("unmake-variant", "-f", variant, "-o", out)
    assert copied
    assert_refused(result, out, variant)


@pytest.mark.parametrize("method", ["auto", "copy_file_range", "sendfile", "readwrite"])
def test_every_copy_method_is_checked(tmp_path, write_during_copy, method):
    """Kernel copies (shared extents where the file system has them) and the buffer alike."""
    from varwheel.wheel.rewrite import rewrite_wheel

    if method != "auto" and method != "readwrite" and not hasattr(os, method):
        pytest.skip(f"this system has no os.{method}")
    src = big_wheel(tmp_path / "in")
    dest = tmp_path / "out" / src.name
    write_during_copy(src, "overwrite")
    with pytest.raises(InvalidWheel, match="changed while it was read .*modification time"):
        rewrite_wheel(src, dest, variant_json=None, copy_method=method)
    assert not dest.parent.exists() or list(dest.parent.iterdir()) == []


def test_a_change_between_opening_and_copying_is_caught_too(tmp_path):
    """The archive the caller opened is the one compared: a write before the copy starts counts as well."""
    from varwheel.wheel.archive import WheelArchive
    from varwheel.wheel.rewrite import rewrite_wheel

    src = big_wheel(tmp_path / "in")
    dest = tmp_path / "out" / src.name
    with WheelArchive(src) as archive:
        other_process_writes(src, "append")
        with pytest.raises(InvalidWheel, match="changed while it was read .*size"):
            rewrite_wheel(src, dest, variant_json=None, archive=archive)
    assert not dest.parent.exists() or list(dest.parent.iterdir()) == []


def test_relabel_copy_refuses_an_input_written_during_the_copy(tmp_path, run_varwheel, write_during_copy):
    from varwheel.model.request import resolve_variant
    from varwheel.wheel.make import make_variant

    plain = big_wheel(tmp_path / "plain")
    request = resolve_variant([PROPERTY], label=None, null=False, project=None)
    deferred = make_variant(plain, tmp_path / "deferred", request, defer_label=True)  # variant.json, plain name
    os.utime(deferred, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    out = tmp_path / "out"
    copied = write_during_copy(deferred, "overwrite")
    result = run_varwheel("relabel", deferred, "-o", out)
    assert copied
    assert_refused(result, out, deferred)


def test_a_link_made_during_the_copy_is_refused_and_the_message_says_what_it_may_be(tmp_path, run_varwheel, monkeypatch):
    """A hard link changes only the status change time, as a writer that puts the modification time back does.

    Both are refused (they cannot be told apart from the file's metadata); the
    message names the harmless causes too, so that a user whose wheel was only
    linked (``index --simple`` links wheels into its pages) knows a rerun is all
    it needs.
    """
    import varwheel.wheel.rewrite as rewrite

    src = big_wheel(tmp_path / "in")
    real = rewrite.Sink.copy
    linked: List[Path] = []

    def copy(self, fh, start, count):
        if not linked:
            linked.append(tmp_path / "link.whl")
            os.link(src, linked[0])
        return real(self, fh, start, count)

    monkeypatch.setattr(rewrite.Sink, "copy", copy)
    out = tmp_path / "out"
    result = run_varwheel("make-variant", "-f", src, "-o", out, "-p", PROPERTY)
    assert linked
    assert_refused(result, out, src)
    assert "status change time: written with its modification time put back, or linked" in result.stderr
    monkeypatch.setattr(rewrite.Sink, "copy", real)
    again = run_varwheel("make-variant", "-f", src, "-o", out, "-p", PROPERTY)
    assert again.returncode == 0, again.stderr
