"""The one all-or-nothing writer (``wheel/output.py`` ``OutputBatch``): the guarantees every command relies on.

``make-variant``, ``unmake-variant``, ``repair``, ``upgrade``, ``index``,
``index --simple`` and ``relabel`` all write through it; the command tests
check each command's outcome, these check the writer's rules where a command
alone cannot reach them reliably: a destination that appears between the
staging and the commit (another writer), a failure or an interruption in
the middle of the commit, a replaced file's old bytes coming back.
Interruptions are placed exactly (the real system call runs, then the
exception a signal handler raises), so the outcome does not depend on timing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from varwheel.errors import OutputExists
from varwheel.wheel.output import OutputBatch, atomic_output


def listing(folder: Path):
    """Every entry under ``folder`` (hidden temporary files included) with its bytes."""
    return sorted((str(p.relative_to(folder)), p.read_bytes() if p.is_file() else None) for p in folder.rglob("*"))


def test_nothing_is_in_place_before_the_commit_and_everything_after(tmp_path):
    out = tmp_path / "out"
    batch = OutputBatch()
    with batch:
        batch.stage_bytes(out / "a.json", b"a")
        batch.stage_bytes(out / "sub" / "b.json", b"b")
        assert not (out / "a.json").exists() and not (out / "sub" / "b.json").exists()
    assert (out / "a.json").read_bytes() == b"a" and (out / "sub" / "b.json").read_bytes() == b"b"
    assert listing(out) == [("a.json", b"a"), ("sub", None), ("sub/b.json", b"b")]  # no temporary file left
    assert batch.placed == [out / "a.json", out / "sub" / "b.json"] and batch.unchanged == []


def test_every_conflict_is_named_before_anything_is_put_in_place(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.json").write_bytes(b"someone's b")
    (out / "c.json").write_bytes(b"someone's c")
    before = listing(out)
    with pytest.raises(OutputExists) as info:
        with OutputBatch() as batch:
            for name in ("a.json", "b.json", "c.json"):
                batch.stage_bytes(out / name, name.encode(), note="kept" if name == "c.json" else "")
    message = str(info.value)
    assert f"{out / 'b.json'}; {out / 'c.json'} (kept): already exist with different content" in message
    assert "pass --force" in message
    assert listing(out) == before  # a.json was not created either


def test_a_destination_that_appears_meanwhile_makes_the_whole_batch_fail(tmp_path):
    """Of two writers of one destination exactly one wins: the commit creates with a hard link, which fails
    if the name appeared after the check; the loser's other outputs go again."""
    out = tmp_path / "out"
    with pytest.raises(OutputExists, match="already exists with different content"):
        with OutputBatch() as batch:
            batch.stage_bytes(out / "a.json", b"a")
            batch.stage_bytes(out / "b.json", b"mine")
            (out / "b.json").write_bytes(b"the other writer's")  # after staging, before the commit
    assert listing(out) == [("b.json", b"the other writer's")]


def test_with_force_a_destination_that_appears_after_the_check_is_named_as_another_writers(tmp_path, monkeypatch):
    """``--force`` replaces what was there at the check; a file created after it is another writer's, and the
    message says so (not "pass --force", which was passed)."""
    import varwheel.wheel.output as output

    out = tmp_path / "out"
    real = output._existing

    def check_then_another_writer(new: Path, dest: Path):
        state = real(new, dest)
        if dest.name == "b.json":
            dest.write_bytes(b"the other writer's")  # right after the commit looked
        return state

    monkeypatch.setattr(output, "_existing", check_then_another_writer)
    with pytest.raises(OutputExists, match="another process created it") as info:
        with OutputBatch(force=True) as batch:
            batch.stage_bytes(out / "a.json", b"a")
            batch.stage_bytes(out / "b.json", b"mine")
    assert "--force" not in str(info.value)
    assert listing(out) == [("b.json", b"the other writer's")]


def test_the_same_bytes_appearing_meanwhile_is_no_conflict(tmp_path):
    out = tmp_path / "out"
    with OutputBatch() as batch:
        batch.stage_bytes(out / "a.json", b"a")
        os.utime(batch.stage_bytes(out / "b.json", b"same"), (1, 1))
        (out / "b.json").write_bytes(b"same")
        os.utime(out / "b.json", (1_000_000_000, 1_000_000_000))
    assert listing(out) == [("a.json", b"a"), ("b.json", b"same")]
    assert (out / "b.json").stat().st_mtime == 1_000_000_000  # left as it was
    assert batch.unchanged == [out / "b.json"]


def test_a_failure_in_the_commit_puts_replaced_files_back(tmp_path):
    """With force, a replaced file's old bytes are kept aside (a hard link) until the batch is complete."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.json").write_bytes(b"old a")
    before = listing(out)
    with pytest.raises(FileNotFoundError):
        with OutputBatch(force=True) as batch:
            batch.stage_bytes(out / "a.json", b"new a")
            doomed = batch.stage_bytes(out / "b.json", b"b")
            doomed.unlink()  # the staged file vanishes: putting b.json in place fails after a.json was replaced
    assert listing(out) == before


@pytest.mark.parametrize("existing", [False, True])
def test_an_interruption_right_after_a_file_is_put_in_place_undoes_the_batch(tmp_path, monkeypatch, existing):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_bytes(b"unrelated")
    if existing:
        (out / "a.json").write_bytes(b"old a")
    before = listing(out)
    real_replace, real_link = os.replace, os.link
    calls = []

    def then_interrupt(real):
        def call(src, dst, *args, **kwargs):
            real(src, dst, *args, **kwargs)
            if Path(dst).name == "a.json" and not calls:  # one signal, right after a.json is in place
                calls.append(dst)
                raise KeyboardInterrupt  # what a signal handler raises (cli.main turns SIGTERM/SIGHUP into it)
        return call

    monkeypatch.setattr(os, "replace", then_interrupt(real_replace))
    monkeypatch.setattr(os, "link", then_interrupt(real_link))
    with pytest.raises(KeyboardInterrupt):
        with OutputBatch(force=True) as batch:
            batch.stage_bytes(out / "a.json", b"new a")
            batch.stage_bytes(out / "b.json", b"b")
    monkeypatch.undo()
    assert calls, "a.json was never put in place"
    assert listing(out) == before


def test_an_exception_inside_the_block_undoes_writes_and_stages_and_removes_new_folders(tmp_path):
    out = tmp_path / "new" / "deeper"
    batch = OutputBatch()

    def produce(dest: Path) -> Path:
        with atomic_output(dest) as fh:
            fh.write(b"written at once")
        return dest

    with pytest.raises(RuntimeError):
        with batch:
            batch.write(out / "now.whl", lambda: produce(out / "now.whl"))
            batch.stage_bytes(out / "later" / "page.html", b"staged")
            assert (out / "now.whl").exists()
            raise RuntimeError("a later input fails")
    assert not (tmp_path / "new").exists()


def test_rename_keeps_the_old_name_until_the_batch_is_complete(tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "a.whl").write_bytes(b"A")
    (folder / "b.whl").write_bytes(b"B")
    (folder / "b-x.whl").write_bytes(b"someone's file")
    before = listing(folder)
    with pytest.raises(OutputExists):
        with OutputBatch() as batch:
            batch.rename(folder / "a.whl", folder / "a-x.whl")
            batch.rename(folder / "b.whl", folder / "b-x.whl")
    assert listing(folder) == before
    with OutputBatch() as batch:
        batch.rename(folder / "a.whl", folder / "a-x.whl")
    assert listing(folder) == [("a-x.whl", b"A"), ("b-x.whl", b"someone's file"), ("b.whl", b"B")]


def test_a_rename_over_a_file_with_force_comes_back_on_failure(tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "a.whl").write_bytes(b"A")
    (folder / "a-x.whl").write_bytes(b"old")
    before = listing(folder)
    with pytest.raises(FileNotFoundError):
        with OutputBatch(force=True) as batch:
            batch.rename(folder / "a.whl", folder / "a-x.whl")
            batch.rename(folder / "gone.whl", folder / "gone-x.whl")  # no such file: fails after the first
    assert listing(folder) == before


def test_a_linked_stage_shares_the_bytes_and_leaves_the_source_alone(tmp_path):
    src = tmp_path / "src" / "w.whl"
    src.parent.mkdir()
    src.write_bytes(b"wheel")
    os.chmod(src, 0o600)
    out = tmp_path / "out"
    with OutputBatch() as batch:
        staged = batch.stage_link(src, out / "p" / "w.whl")
        assert staged.read_bytes() == b"wheel" and staged.parent == out / "p"
    assert (out / "p" / "w.whl").read_bytes() == b"wheel"
    assert (src.stat().st_mode & 0o777) == 0o600
    assert listing(out) == [("p", None), ("p/w.whl", b"wheel")]


def test_relabel_undoes_its_renames_when_a_later_destination_exists(tmp_path, run_varwheel, wheel_factory):
    """Two deferred-label wheels; the second one's labelled name is taken: neither is renamed."""
    from varwheel.model.request import resolve_variant
    from varwheel.wheel.make import make_variant

    dist = tmp_path / "dist"
    request = resolve_variant(["x86_64 :: level :: v3"], label="v3")
    for name in ("alpha", "beta"):
        make_variant(wheel_factory(name, "1.0", directory=tmp_path / name), dist, request, defer_label=True)
    (dist / "beta-1.0-py3-none-any-v3.whl").write_bytes(b"someone else's")
    before = listing(dist)
    proc = run_varwheel("relabel", dist / "alpha-1.0-py3-none-any.whl", dist / "beta-1.0-py3-none-any.whl")
    assert proc.returncode == 2 and "already exists with different content" in proc.stderr, proc.stderr
    assert listing(dist) == before
    (dist / "beta-1.0-py3-none-any-v3.whl").unlink()
    assert run_varwheel("relabel", dist).returncode == 0
    assert sorted(p.name for p in dist.iterdir()) == ["alpha-1.0-py3-none-any-v3.whl", "beta-1.0-py3-none-any-v3.whl"]


def test_an_os_error_is_one_line_naming_the_task_after_the_undo(tmp_path):
    from varwheel.errors import OutputError

    out = tmp_path / "new"
    with pytest.raises(OutputError, match=r"^cannot write the pages into .*: No such file or directory \(.*missing\)$"):
        with OutputBatch(task=f"write the pages into {out}") as batch:
            batch.stage_bytes(out / "a.html", b"a")
            (tmp_path / "missing").read_bytes()  # an input that cannot be read
    assert not out.exists()
    with pytest.raises(FileNotFoundError):  # no task: the caller words it
        with OutputBatch() as batch:
            batch.stage_bytes(out / "a.html", b"a")
            (tmp_path / "missing").read_bytes()
    assert not out.exists()
