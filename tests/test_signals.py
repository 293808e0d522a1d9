"""A signal in the middle of ``make-variant`` leaves nothing behind (issue 11, item 6).

SIGINT unwinds the stack as KeyboardInterrupt; SIGTERM and SIGHUP, whose
default ends the process at once, would leave ``atomic_output``'s full-size
hidden temp file in the output folder.  ``cli.main`` turns them into
:class:`varwheel.cli.Terminated` for the duration of a command.  Each case
runs a real process on a wheel big enough to be caught while it is written,
signals it once the temp file shows, and checks the exit status (128 +
signal), the one line on stderr, an empty output folder and the input wheel
untouched.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals (Windows terminates without a signal)")

ROOT = Path(__file__).resolve().parent.parent
PROPERTY = "x86_64 :: level :: v3"
CHUNK = 1 << 20
#: Size of the wheel's one big member; large enough that the copy takes a good part of a second.
BIG_MIB = 400
#: How long the temp file may take to appear, and the process to end after the signal.
APPEAR_TIMEOUT = 20.0
EXIT_TIMEOUT = 20.0


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _write_big_wheel(directory: Path, mib: int) -> Path:
    """``big-1.0-py3-none-any.whl`` with one stored member of ``mib`` MiB of incompressible bytes.

    Streamed (never all in memory); METADATA, WHEEL and RECORD as
    :func:`fixtures.wheel_factory.make_wheel` writes them.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "big-1.0-py3-none-any.whl"
    block = os.urandom(CHUNK)  # repeated further apart than any window a compressor looks back over
    dist_info = "big-1.0.dist-info"
    small = {
        "big/__init__.py": b"X = 1\n",
        f"{dist_info}/METADATA": b"Metadata-Version: 2.1\nName: big\nVersion: 1.0\n\n",
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: varwheel-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    date_time = (2024, 1, 2, 3, 4, 6)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        info = zipfile.ZipInfo("big/blob.bin", date_time=date_time)
        info.external_attr = 0o644 << 16
        digest = hashlib.sha256()
        with zf.open(info, "w", force_zip64=True) as fh:
            for i in range(mib):
                piece = block[i % 251:] + block[: i % 251]  # no two MiB alike
                digest.update(piece)
                fh.write(piece)
        writer.writerow(["big/blob.bin", "sha256=" + _b64(digest.digest()), mib * CHUNK])
        for name, data in small.items():
            member = zipfile.ZipInfo(name, date_time=date_time)
            member.external_attr = 0o644 << 16
            zf.writestr(member, data)
            writer.writerow([name, "sha256=" + _b64(hashlib.sha256(data).digest()), len(data)])
        writer.writerow([f"{dist_info}/RECORD", "", ""])
        member = zipfile.ZipInfo(f"{dist_info}/RECORD", date_time=date_time)
        member.external_attr = 0o644 << 16
        zf.writestr(member, record.getvalue().encode())
    return path


def _fingerprint(path: Path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return path.stat().st_size, digest.hexdigest()


@pytest.fixture(scope="module")
def big_wheel(tmp_path_factory):
    path = _write_big_wheel(tmp_path_factory.mktemp("big"), BIG_MIB)
    yield path, _fingerprint(path)
    path.unlink()  # pytest keeps the last few temp folders: not this much of them


def _default_signals() -> None:  # in the child, before exec: whatever the test runner ignores
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)


def _interrupt(wheel: Path, out: Path, signum: int) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "backend"), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "varwheel", "make-variant", "-f", str(wheel), "-o", str(out), "-p", PROPERTY]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, preexec_fn=_default_signals,
    )
    try:
        deadline = time.monotonic() + APPEAR_TIMEOUT
        seen = None
        while seen is None and time.monotonic() < deadline and proc.poll() is None:
            if out.is_dir():
                seen = next((p for p in out.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")), None)
            if seen is None:
                time.sleep(0.002)
        if seen is None:
            stdout, stderr = proc.communicate(timeout=EXIT_TIMEOUT)
            pytest.fail(
                f"the temp file never showed in {out} (exit {proc.returncode}; make BIG_MIB larger if it finished):\n"
                f"{stderr.decode(errors='replace')}"
            )
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=EXIT_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout.decode(), stderr.decode())


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_while_writing_leaves_no_file_and_exits_128_plus_signal(big_wheel, tmp_path, name):
    wheel, before = big_wheel
    signum = int(getattr(signal, name))
    out = tmp_path / "out"
    done = _interrupt(wheel, out, signum)
    assert done.returncode != 0, f"make-variant finished before the {name} arrived: make BIG_MIB larger"
    assert done.returncode == 128 + signum, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("varwheel: interrupted"), done.stderr
    if name != "SIGINT":
        assert lines[0] == f"varwheel: interrupted ({name})"
    assert "Traceback" not in done.stderr
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []
    assert _fingerprint(wheel) == before


# -- in process: handlers only for the command, only where they can be set ---------------


def _handlers():
    return {name: signal.getsignal(getattr(signal, name)) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)}


def test_main_puts_the_previous_handlers_back(run_varwheel, wheel_factory, tmp_path):
    before = _handlers()
    src = wheel_factory("demo", "1.0")
    done = run_varwheel("make-variant", "-f", src, "-o", tmp_path / "out", "-p", PROPERTY)
    assert done.returncode == 0, done.stderr
    assert _handlers() == before


def test_an_ignored_signal_stays_ignored_while_a_command_runs(monkeypatch):
    from varwheel import cli

    seen = {}

    def probe(args):
        seen.update(_handlers())
        return 0

    monkeypatch.setattr(cli, "build_parser", lambda: _FakeParser(probe))
    old = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        assert cli.main([]) == 0
        assert seen["SIGHUP"] == signal.SIG_IGN
        assert seen["SIGTERM"] not in (signal.SIG_DFL, signal.SIG_IGN, None)
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, old)


def test_main_in_another_thread_runs_without_handlers(monkeypatch):
    from varwheel import cli

    before = _handlers()
    seen = {}
    result = []

    def probe(args):
        seen.update(_handlers())
        return 0

    monkeypatch.setattr(cli, "build_parser", lambda: _FakeParser(probe))
    thread = threading.Thread(target=lambda: result.append(cli.main([])))
    thread.start()
    thread.join(10)
    assert result == [0]
    assert seen == before == _handlers()


def test_a_signal_in_process_exits_143_with_one_line(monkeypatch, capsys):
    from varwheel import cli

    def probe(args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
        raise AssertionError("SIGTERM did not interrupt the command")

    monkeypatch.setattr(cli, "build_parser", lambda: _FakeParser(probe))
    before = _handlers()
    assert cli.main([]) == 128 + signal.SIGTERM
    assert capsys.readouterr().err == "varwheel: interrupted (SIGTERM)\n"
    assert _handlers() == before


class _FakeParser:
    """Stands in for the real parser: ``main`` runs ``run`` as the chosen command."""

    def __init__(self, run):
        self.run = run

    def parse_args(self, argv):
        import argparse

        return argparse.Namespace(_run=self.run)
