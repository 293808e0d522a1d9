"""Every hostile input of tests/hostile_corpus.py through every command, in a child process (issue 11).

Each (case, command) pair runs ``python -m varwheel ...`` on a private copy
of the case's input, under a timeout and a 1 GiB address-space limit (a
safety net: a runaway read fails instead of filling the machine), and must
keep the contract every command promises for input it did not make:

* it ends (no hang) with exit status 0, 1 or 2, never a traceback;
* exit 2 means exactly one ``varwheel: error:`` line on stderr, and nothing else;
* exit 1 only from the commands whose exit 1 means "problems found" or
  "nothing fits" (check, index --check, select, install, repair);
* the input's bytes are unchanged and nothing new appears beside it;
* after a refusal the output folder is absent or empty; after a success it
  holds no hidden (temporary) file; the private ``TMPDIR`` is empty either way;
* peak memory (the child's maximum resident set) stays under 100 MiB,
  whatever sizes the input declares;
* the commands a case lists in ``refuse`` refuse it (exit 2; ``check`` exit 1
  with an error finding), those in ``accept`` take it (exit 0).

Peak memory is measured without counting the test process: a tiny launcher
(``python -S -c``, a few MiB) forks and execs the command and reads its
``ru_maxrss`` from ``wait4``.  Linux carries the pre-exec address space's
peak into that figure, which is why the launcher, not the (large) pytest
process, is the command's parent.

The full run (``VARWHEEL_CORPUS_FULL=1``, about 1,000 pairs) gives every
command every case.  The default run keeps the module under three minutes on
two cores (about 450 pairs): every wheel goes through make-variant, show and
check, which read a wheel the deepest, and through one more command in turn
(so that each of the other seven sees a dozen wheels), plus the commands its
case expects to take it; index files go
through the commands that read index files, folders through those that take
folders.  Without pytest-xdist the pairs run on a small thread pool (one
launcher each); with it, each test runs its own pair.

No pair is expected to fail: every defect the campaign of issue 11 found is
fixed, and a pair that fails is a regression.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from tests.conftest import ROOT
from tests.hostile_corpus import CASES, COMMANDS, PROPERTY, Case, build_case

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="FIFOs, /dev/zero, wait4 and RLIMIT_AS as on Linux")

#: Peak resident memory a command may use on any input (issue 11).
MEMORY_LIMIT = 100 << 20
#: Address space the child may map: a safety net well above MEMORY_LIMIT (Python maps more than it touches).
ADDRESS_SPACE = 1 << 30
#: Seconds one command may take; every input here is read in well under a second when bounded.
TIMEOUT = 30
FULL = os.environ.get("VARWHEEL_CORPUS_FULL", "") not in ("", "0")
#: Commands whose exit 1 means "problems found" / "nothing fits" / "the repair command failed".
MAY_EXIT_1 = frozenset({"check", "select", "install", "repair"})

_LAUNCHER = r"""
import json, os, resource, signal, subprocess, sys, time
spec = json.loads(sys.argv[1])
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (spec["as"], spec["as"]))
with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
    start = time.monotonic()
    proc = subprocess.Popen(spec["argv"], stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=spec["cwd"],
                            env=spec["env"], preexec_fn=limit, start_new_session=True)
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > spec["timeout"]:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.003)
    proc.returncode = 0  # reaped here: keep Popen from waiting again
print(json.dumps({"rc": os.waitstatus_to_exitcode(status), "maxrss": usage.ru_maxrss * 1024,
                  "timed_out": timed_out, "wall": time.monotonic() - start}))
"""


# -- running one pair ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    case: Case
    command: str
    argv: List[str]
    rc: int
    stdout: str
    stderr: str
    maxrss: int
    timed_out: bool
    wall: float
    input_changed: List[str]
    left_in_output: List[str]
    left_in_tmp: List[str]


def _fingerprint(root: Path) -> Dict[str, Tuple[str, str]]:
    """What is under ``root`` (never opening a FIFO): relative path -> (type, content hash or link target)."""
    out: Dict[str, Tuple[str, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                digest = hashlib.sha256()
                with open(path, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(chunk)
                out[rel] = ("file", digest.hexdigest())
            elif stat.S_ISDIR(mode):
                out[rel] = ("dir", "")
            else:
                out[rel] = ("special", oct(stat.S_IFMT(mode)))
    return out


def _clone(src: Path, dest: Path) -> None:
    """Copy a case folder: files, folders, symlinks as links, FIFOs as new FIFOs (never read)."""
    dest.mkdir(parents=True)
    for entry in os.scandir(src):
        target = dest / entry.name
        mode = entry.stat(follow_symlinks=False).st_mode
        if stat.S_ISLNK(mode):
            target.symlink_to(os.readlink(entry.path))
        elif stat.S_ISDIR(mode):
            _clone(Path(entry.path), target)
        elif stat.S_ISFIFO(mode):
            os.mkfifo(target)
        else:
            shutil.copy2(entry.path, target)


def argv_for(command: str, c: Case, path: Path, out: Path) -> List[str]:
    """How each command is called on a case's input ``path`` (``out``: a folder that does not exist yet)."""
    folder = path if c.kind == "folder" else path.parent
    find = ["demo", "-f", str(folder), "--no-detect", "--assume", PROPERTY]
    return {
        "make-variant": ["make-variant", "-f", str(path), "-o", str(out), "-p", PROPERTY],
        "show": ["show", str(path)],
        "check": ["check", "--json", str(folder if c.kind == "index" else path)],
        "index": ["index", "--check", str(folder)] if c.kind == "index" else ["index", str(folder), "-o", str(out)],
        "relabel": ["relabel", str(path), "-o", str(out)],
        "unmake-variant": ["unmake-variant", "-f", str(path), "-o", str(out)],
        "upgrade": ["upgrade", str(path), "-o", str(out)],
        "select": ["select", *find],
        "install": ["install", "--dry-run", *find],
        "repair": ["repair", str(path), "-w", str(out), "--", "cp", "{wheel}", "{dest_dir}"],
    }[command]


#: What every wheel case goes through by default: the commands that read a wheel the deepest.
PRIMARY = ("make-variant", "show", "check")
#: The rest: each wheel case gets one of them by default, in turn, so that each sees a dozen cases.
ROTATING = tuple(command for command in COMMANDS if command not in PRIMARY)


def commands_for(c: Case) -> Tuple[str, ...]:
    """Every command in the full run.  By default (under 3 minutes on two cores) a wheel gets
    :data:`PRIMARY`, one of :data:`ROTATING` in turn and the commands its case names in ``accept``;
    an index file the commands that
    read index files; a folder the commands that take folders."""
    if FULL:
        return COMMANDS
    turn = CASES.index(c)
    if c.kind == "wheel":
        chosen = set(PRIMARY) | {ROTATING[turn % len(ROTATING)]} | set(c.accept)
    elif c.kind == "index":
        chosen = {"show", "check", "index", "select", ("upgrade", "install")[turn % 2]} | set(c.accept)
    else:
        chosen = {"check", "index", "select", ("relabel", "upgrade", "install")[turn % 3]} | set(c.accept)
    return tuple(command for command in COMMANDS if command in chosen)


_PRISTINE: Dict[str, Path] = {}
_PRISTINE_LOCK = threading.Lock()


def _pristine(c: Case, root: Path) -> Path:
    """The case built once (into ``root/pristine/<id>``); pairs run on copies of it."""
    with _PRISTINE_LOCK:
        if c.id not in _PRISTINE:
            _PRISTINE[c.id] = build_case(c, root / "pristine" / c.id)
        return _PRISTINE[c.id]


def run_pair(c: Case, command: str, root: Path) -> Outcome:
    pristine = _pristine(c, root)
    work = root / "runs" / f"{c.id}--{command}"
    inputs = work / "in"
    _clone(pristine.parent if c.kind != "folder" else pristine, inputs)
    path = inputs / pristine.name if c.kind != "folder" else inputs
    out, tmp = work / "out", work / "tmp"
    tmp.mkdir()
    before = _fingerprint(inputs)
    argv = argv_for(command, c, path, out)
    env = dict(os.environ)
    env.update(TMPDIR=str(tmp), PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "backend"), env.get("PYTHONPATH")])))
    env.pop("VARWHEEL_DEBUG", None)
    spec = {
        "argv": [sys.executable, "-m", "varwheel", *argv], "cwd": str(work), "env": env, "as": ADDRESS_SPACE,
        "timeout": TIMEOUT, "stdout": str(work / "stdout"), "stderr": str(work / "stderr"),
    }
    launched = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, json.dumps(spec)], capture_output=True, text=True,
                              timeout=TIMEOUT + 30, env={"PATH": os.environ.get("PATH", "")})
    assert launched.returncode == 0, launched.stderr
    result = json.loads(launched.stdout)
    after = _fingerprint(inputs)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    left_out = sorted(str(p.relative_to(out)) for p in out.rglob("*")) if out.is_dir() else []
    left_tmp = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*"))
    outcome = Outcome(
        c, command, argv, result["rc"], (work / "stdout").read_text(errors="replace"),
        (work / "stderr").read_text(errors="replace"), result["maxrss"], result["timed_out"], result["wall"],
        changed, left_out, left_tmp,
    )
    shutil.rmtree(work, ignore_errors=True)
    return outcome


# -- the contract --------------------------------------------------------------------------------------------


def contract_violations(o: Outcome) -> List[str]:
    """Everything ``o`` did that the contract forbids (empty: it held)."""
    bad: List[str] = []
    if o.timed_out:
        return [f"did not finish within {TIMEOUT} s"]
    if o.rc not in (0, 1, 2):
        bad.append(f"exit status {o.rc}")
    if "Traceback" in o.stderr or "Traceback" in o.stdout:
        bad.append("a traceback")
    lines = [line for line in o.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("varwheel: error: ")]
    if o.rc == 2 and (len(errors) != 1 or len(lines) != 1):
        bad.append(f"exit 2 with {len(lines)} stderr lines, {len(errors)} of them 'varwheel: error:'")
    if o.rc == 1 and o.command not in MAY_EXIT_1 and o.argv[:2] != ["index", "--check"]:
        bad.append("exit 1 from a command whose exit 1 means a bug")
    if o.command == "check" and o.rc in (0, 1) and "Traceback" not in o.stderr:
        try:
            json.loads(o.stdout)
        except ValueError:
            bad.append("check --json printed no JSON")
    if o.input_changed:
        bad.append(f"the input changed: {o.input_changed[:5]}")
    if o.rc != 0 and o.left_in_output:
        bad.append(f"left in the output folder after a refusal: {o.left_in_output[:5]}")
    hidden = [p for p in o.left_in_output if any(part.startswith(".") for part in Path(p).parts)]
    if o.rc == 0 and hidden:
        bad.append(f"hidden files left in the output folder: {hidden[:5]}")
    if o.left_in_tmp:
        bad.append(f"left in TMPDIR: {o.left_in_tmp[:5]}")
    if o.maxrss >= MEMORY_LIMIT:
        bad.append(f"peak memory {o.maxrss >> 20} MiB (limit {MEMORY_LIMIT >> 20} MiB)")
    c = o.case
    if o.command in c.refuse:
        if o.command == "check":
            # a finding (exit 1), or, for what is no wheel at all, a refusal of the argument (exit 2)
            if not (o.rc == 2 or (o.rc == 1 and _check_errors(o.stdout))):
                bad.append(f"check did not report it (exit {o.rc})")
        elif o.rc != 2 and not (o.rc == 1 and o.command in MAY_EXIT_1):
            bad.append(f"not refused (exit {o.rc})")
    if o.command in c.accept and o.rc != 0:
        bad.append(f"refused (exit {o.rc}), should be taken")
    return bad


def _check_errors(stdout: str) -> List[dict]:
    try:
        report = json.loads(stdout)
    except ValueError:
        return []
    return [f for section in ("wheels", "releases", "folders") for item in report.get(section, []) for f in item["errors"]]


def describe(o: Outcome, problems: List[str]) -> str:
    return (
        f"case {o.case.id} ({o.case.lie}), command: varwheel {' '.join(o.argv)}\n"
        f"  problems: {'; '.join(problems)}\n  exit {o.rc}, {o.wall:.2f} s, peak {o.maxrss / 2**20:.1f} MiB\n"
        f"  stderr: {o.stderr[-1500:]!r}\n  stdout: {o.stdout[-500:]!r}"
    )


# -- collection and the pool --------------------------------------------------------------------------------


def _pairs() -> List[Tuple[Case, str]]:
    return [(c, command) for c in CASES for command in commands_for(c)]


def _param(c: Case, command: str):
    return pytest.param(c, command, id=f"{c.id}--{command}")


_RESULTS: Dict[Tuple[str, str], Outcome] = {}


@pytest.fixture(scope="module")
def corpus_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-corpus")
    yield root
    shutil.rmtree(root, ignore_errors=True)  # a bomb per case: do not keep them around


def _outcome(request, c: Case, command: str, root: Path) -> Outcome:
    key = (c.id, command)
    if key in _RESULTS:
        return _RESULTS.pop(key)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return run_pair(c, command, root)
    # Alone: run every pair of this module that was selected, two at a time, on the first request.
    wanted = []
    for item in request.session.items:
        spec = getattr(item, "callspec", None)
        if item.module is sys.modules[__name__] and spec is not None and "command" in spec.params:
            wanted.append((spec.params["case"], spec.params["command"]))
    workers = max(1, min(4, os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = {pool.submit(run_pair, wc, wcmd, root): (wc.id, wcmd) for wc, wcmd in wanted if (wc.id, wcmd) != key}
        mine = pool.submit(run_pair, c, command, root)
        for future, k in futures.items():
            _RESULTS[k] = future.result()
        return mine.result()


@pytest.mark.parametrize("case, command", [_param(c, cmd) for c, cmd in _pairs()])
def test_contract(request, corpus_root, case, command):
    outcome = _outcome(request, case, command, corpus_root)
    problems = contract_violations(outcome)
    assert not problems, describe(outcome, problems)


# -- the corpus itself -----------------------------------------------------------------------------------------


def test_the_corpus_has_sixty_cases_each_with_a_lie():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    for c in CASES:
        assert c.lie and c.kind in ("wheel", "index", "folder"), c
        assert c.refuse <= set(COMMANDS) and c.accept <= set(COMMANDS), c


def test_the_full_run_gives_every_command_every_case():
    assert {cmd for c in CASES for cmd in COMMANDS} == set(COMMANDS)
    # the default run: every wheel case sees all commands, every command sees some case of each kind
    by_kind: Dict[str, set] = {}
    for c in CASES:
        by_kind.setdefault(c.kind, set()).update(commands_for(c))
    assert by_kind["wheel"] == set(COMMANDS)


def test_the_launcher_measures_the_command_not_the_test_process(tmp_path):
    """A child that touches 150 MiB reads as over the limit; an idle one as far under it."""
    def launch(code: str) -> dict:
        spec = {"argv": [sys.executable, "-S", "-c", code], "cwd": str(tmp_path), "env": {}, "as": ADDRESS_SPACE,
                "timeout": 20, "stdout": str(tmp_path / "o"), "stderr": str(tmp_path / "e")}
        done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, json.dumps(spec)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    big = launch("b = bytearray(150 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1")
    small = launch("pass")
    assert big["rc"] == 0 and big["maxrss"] > 150 << 20, big
    assert small["rc"] == 0 and small["maxrss"] < 30 << 20, small


def test_the_launcher_ends_a_command_that_hangs(tmp_path):
    spec = {"argv": [sys.executable, "-S", "-c", "import time; time.sleep(60)"], "cwd": str(tmp_path), "env": {},
            "as": ADDRESS_SPACE, "timeout": 1, "stdout": str(tmp_path / "o"), "stderr": str(tmp_path / "e")}
    done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, json.dumps(spec)], capture_output=True, text=True,
                          timeout=30)
    result = json.loads(done.stdout)
    assert result["timed_out"] and result["rc"] == -9, result
