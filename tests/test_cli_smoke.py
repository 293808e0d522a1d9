"""The real ``varwheel`` entry points, as separate processes (the rest of the suite calls ``cli.main`` in process).

What only a process shows: the console script and ``python -m varwheel`` start,
exit statuses reach the shell, bad input is one line on stderr with no
traceback, and output goes to the real stdout.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from fixtures.wheel_factory import make_wheel


def varwheel(*args, exe=None) -> subprocess.CompletedProcess:
    cmd = [exe] if exe else [sys.executable, "-m", "varwheel"]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True)


def test_python_m_varwheel_and_the_console_script_agree():
    script = shutil.which("varwheel", path=str(Path(sys.executable).parent))
    assert script is not None, "the varwheel console script is not installed next to this Python"
    a, b = varwheel("--version"), varwheel("--version", exe=script)
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout and a.stdout.startswith("varwheel ")


def test_a_variant_made_indexed_and_shown_through_real_processes(tmp_path):
    src = make_wheel(tmp_path / "src", "demo", "1.0")
    out = tmp_path / "out"
    made = varwheel("make-variant", "-f", src, "-o", out, "-p", "x86_64 :: level :: v3")
    assert made.returncode == 0, made.stderr
    assert (out / "demo-1.0-py3-none-any-fa7c1393.whl").is_file()
    assert varwheel("index", out).returncode == 0
    shown = varwheel("show", out / "demo-1.0-py3-none-any-fa7c1393.whl")
    assert shown.returncode == 0 and "fa7c1393" in shown.stdout


def test_bad_input_is_exit_2_and_one_line_without_traceback(tmp_path):
    proc = varwheel("make-variant", "-f", tmp_path / "missing.whl", "-o", tmp_path / "out", "-p", "x86_64 :: level :: v3")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("varwheel: error:") and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_usage_errors_are_exit_2():
    proc = varwheel("no-such-command")
    assert proc.returncode == 2 and "varwheel: error:" in proc.stderr


def test_a_command_imports_only_its_own_module(tmp_path):
    """``main`` builds the parser of the command typed: make-variant pays for no other command's imports."""
    src = make_wheel(tmp_path / "src", "demo", "1.0")
    code = (
        "import sys\n"
        "from varwheel.cli import main\n"
        f"rc = main(['make-variant', '-f', {str(src)!r}, '-o', {str(tmp_path / 'out')!r}, '-p', 'x86_64 :: level :: v3'])\n"
        "print(rc, sorted(m for m in sys.modules if m.startswith('varwheel.cli.')))\n"
        "print(sorted(m for m in ('packaging.requirements', 'tomllib', 'varwheel.machine') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[-2] == "0 ['varwheel.cli._common', 'varwheel.cli.make_variant']"
    assert out[-1] == "[]"


def test_help_and_a_mistyped_command_still_list_every_command():
    import varwheel.cli as package
    import pkgutil

    commands = [m.name.replace("_", "-") for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")]
    listed = varwheel("--help").stdout
    wrong = varwheel("make-varaint")
    assert wrong.returncode == 2 and "invalid choice: 'make-varaint'" in wrong.stderr
    for command in commands:
        assert command in listed and f"'{command}'" in wrong.stderr
    # each module is named as its command, so that main finds it without importing the others
    import importlib

    for command in commands:
        assert importlib.import_module(f"varwheel.cli.{command.replace('-', '_')}").NAME == command
    assert varwheel("make-variant", "--help").stdout.startswith("usage: varwheel make-variant")
