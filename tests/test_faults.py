"""`policyctl build` killed or failing half-way leaves the previous site as it was (issue 8).

The kill test runs `python cli.py build` as a child process and SIGKILLs it after a random delay
within one build's duration, several times: the output folder must stay byte-identical to the
tree before, and a rerun must complete (and clear what the killed runs left behind). The write
failures (disk full, permission denied, a rename that fails) are simulated in-process: the build
must say which path failed, exit 1 without a traceback, and leave neither a partial tree nor the
old tree damaged.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from engine.site import disk, outtree
from support import CORPUS, ROOT, run_cli

HOSTILE = CORPUS / "hostile" / "site"
KILLS = 5


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The security test repository with 40 pages, so a build writes a few hundred files."""
    dest = tmp_path / "policies"
    shutil.copytree(HOSTILE, dest)
    pages = dest / "demo" / "pages"
    for i in range(40):
        shutil.copy(pages / "help.md.j2", pages / f"page{i:02d}.md.j2")
    return dest


def build(site: Path, out: Path, at: str = "2024-03-01") -> Any:
    return run_cli("build", "--root", str(site), "--out", str(out), "--at", at)


def change_the_sources(site: Path) -> None:
    program = site / "demo" / "program.yaml"
    program.write_text(program.read_text().replace("value: Seller Support", "value: Selling Partner Support"))


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.tmp-"))


@pytest.mark.slow
def test_killing_build_at_random_points_leaves_the_previous_tree(site: Path, tmp_path: Path) -> None:
    out, saved = tmp_path / "generated_docs", tmp_path / "saved"
    assert build(site, out).code == 0
    shutil.copytree(out, saved)
    before = disk.read_tree(str(out))
    assert len(before) > 100
    change_the_sources(site)
    command = [
        sys.executable,
        str(ROOT / "cli.py"),
        "build",
        "--root",
        str(site),
        "--out",
        str(out),
        "--at",
        "2024-03-01",
    ]
    env = {**os.environ, "POLICYCTL_CACHE": "off"}
    # one whole build of the changed sources, as the killed ones run: its duration, and the new tree
    started = time.monotonic()
    subprocess.run(
        command[:-4] + ["--out", str(tmp_path / "new"), "--at", "2024-03-01"],
        check=True,
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    duration = time.monotonic() - started
    after = disk.read_tree(str(tmp_path / "new"))
    assert after != before
    rng = random.Random()
    # the files are written in the last tenth or so of a run: most kills aim there
    windows = [(0.2, 0.7), (0.8, 0.9), (0.85, 0.95), (0.9, 1.0), (0.95, 1.05)]
    for lo, hi in windows[:KILLS]:
        child = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(lo, hi) * duration)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        now = disk.read_tree(str(out))
        assert now in (before, after), "a killed build left a tree that is neither the old one nor the new one"
        if now == after:  # killed after the swap: the new tree is complete; start again from the old one
            shutil.rmtree(out)
            shutil.copytree(saved, out)
    rerun = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    assert disk.read_tree(str(out)) == after
    assert leftovers(out) == [], "the rerun clears the temporary folders of killed runs"


def test_a_full_disk_is_reported_with_the_path_and_changes_nothing(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "generated_docs"
    assert build(site, out).code == 0
    before = disk.read_tree(str(out))
    change_the_sources(site)
    written: list[str] = []

    def full(path: str, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode:
            written.append(path)
            if len(written) > 50:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        return open(path, mode, *args, **kwargs)

    monkeypatch.setattr(outtree, "open", full, raising=False)
    r = build(site, out)
    assert r.code == 1, r
    assert f"policyctl: cannot write {written[-1]}: No space left on device" in r.err, r.err
    assert "Traceback" not in r.out + r.err
    assert disk.read_tree(str(out)) == before
    assert leftovers(out) == []


def test_a_folder_that_cannot_be_written_is_reported(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "generated_docs"

    def refused(*args: Any, dir: str = "", **kwargs: Any) -> str:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), dir)

    monkeypatch.setattr("engine.site.outtree.tempfile.mkdtemp", refused)
    r = build(site, out)
    assert r.code == 1 and f"policyctl: cannot write {tmp_path}: Permission denied" in r.err, r
    assert "Traceback" not in r.out + r.err and not out.exists()


def test_a_failed_swap_puts_the_previous_tree_back(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without renameat2 the swap is two renames; when the second fails the first is undone."""
    monkeypatch.setenv("POLICYCTL_CACHE", "off")  # every file made again: the whole tree is swapped
    out = tmp_path / "generated_docs"
    assert build(site, out).code == 0
    before = disk.read_tree(str(out))
    change_the_sources(site)
    rename = os.rename
    calls: list[str] = []

    def second_fails(src: str, dst: str) -> None:
        calls.append(src)
        if len(calls) == 2:
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), src)
        rename(src, dst)

    monkeypatch.setattr(outtree, "_exchange", lambda a, b: False)
    monkeypatch.setattr("engine.site.outtree.os.rename", second_fails)
    r = build(site, out)
    assert r.code == 1 and "policyctl: cannot write" in r.err and "Traceback" not in r.err, r
    assert disk.read_tree(str(out)) == before
    assert leftovers(out) == []


def test_an_incremental_write_that_stops_midway_says_so_and_the_next_build_finishes_it(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With unchanged files kept in place, changed files are renamed in one by one (engine.site.outtree)."""
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "generated_docs"
    assert build(site, out).code == 0
    change_the_sources(site)
    replace = os.replace
    calls: list[str] = []

    def third_fails(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(errno.EIO, os.strerror(errno.EIO), dst)
        replace(src, dst)

    monkeypatch.setattr("engine.site.outtree.os.replace", third_fails)
    r = build(site, out)
    assert r.code == 1 and f"policyctl: cannot write {calls[2]}: Input/output error" in r.err, r
    assert "some files of" in r.err and "build again to finish" in r.err and "Traceback" not in r.err
    assert leftovers(out) == []
    monkeypatch.setattr("engine.site.outtree.os.replace", replace)
    again = build(site, out)
    assert again.code == 0 and "pages rendered" in again.out, again
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    assert build(site, tmp_path / "full").code == 0
    assert disk.read_tree(str(out)) == disk.read_tree(str(tmp_path / "full"))


def test_a_live_runs_temporary_folder_is_not_swept(tmp_path: Path) -> None:
    out = tmp_path / "generated_docs"
    mine = tmp_path / f".generated_docs.tmp-{os.getpid()}-abc"
    dead = tmp_path / ".generated_docs.tmp-999999999-abc"
    mine.mkdir()
    dead.mkdir()
    outtree.write(str(out), {"a.md": b"a\n"})
    assert mine.exists() and not dead.exists()


def _killed_runs_folder(parent: Path, base: str) -> Path:
    """A temporary folder as a build killed half-way leaves it: made (with its proof) and partly
    written by a process that is gone."""
    code = (
        "import sys; from engine.site import outtree; t = outtree.temporary(sys.argv[1], sys.argv[2]); "
        "open(t + '/half-written.html', 'wb').close(); print(t)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    made = subprocess.run(
        [sys.executable, "-c", code, str(parent), base], check=True, capture_output=True, text=True, env=env
    )
    return Path(made.stdout.strip())


def _copied_in_place(folder: Path) -> None:
    """``folder`` replaced by a copy of itself (same name and files, a new folder): as a checkout or `cp -r` makes it."""
    shutil.copytree(folder, folder.with_name("copy"))
    shutil.rmtree(folder)
    (folder.parent / "copy").rename(folder)


@pytest.mark.parametrize(
    "kind", ["someone's folder", "a copy of a killed run's folder", "a link to a killed run's folder"]
)
def test_a_folder_named_as_a_temporary_one_that_policyctl_did_not_make_is_left_alone(tmp_path: Path, kind: str) -> None:
    """Only a folder with policyctl's proof that it made that very folder is swept: the others of
    its temporary name (whose process is gone) are somebody's, and are said, never removed."""
    out = tmp_path / "generated_docs"
    if kind == "someone's folder":
        theirs = tmp_path / ".generated_docs.tmp-999999999-notes"
        theirs.mkdir()
        (theirs / "notes.txt").write_text("mine\n")
    elif kind == "a copy of a killed run's folder":
        theirs = _killed_runs_folder(tmp_path, "generated_docs")
        _copied_in_place(theirs)
    else:
        (tmp_path / "elsewhere").mkdir()
        killed = _killed_runs_folder(tmp_path / "elsewhere", "generated_docs")
        theirs = tmp_path / killed.name
        theirs.symlink_to(killed, target_is_directory=True)
    before = sorted(p.name for p in theirs.iterdir())
    left = outtree.write(str(out), {"a.md": b"a\n"})
    assert theirs.is_dir() and sorted(p.name for p in theirs.iterdir()) == before
    assert left == [theirs.name]
    assert (out / "a.md").read_bytes() == b"a\n"


@pytest.mark.parametrize("writes", [True, False], ids=["a build that writes", "a build with nothing to write"])
def test_a_killed_runs_temporary_folder_is_swept_and_the_build_notes_the_others(init_repo: Path, writes: bool) -> None:
    """A folder of that name without the proof (someone's, or a killed build's of policyctl 0.2.0,
    which wrote none) is never removed: each build names it by its path, says what it may be and
    how to remove it. A build with nothing to write swept nothing and said nothing: the folders
    stayed, unnamed, for as long as the pages did not change."""
    out = init_repo / "generated_docs"
    killed = _killed_runs_folder(init_repo, "generated_docs")
    theirs = init_repo / ".generated_docs.tmp-999999999-old"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("mine\n")
    if writes:
        (out / "returns" / "us" / "en" / "help.md").write_bytes(b"stale\n")
    r = run_cli("build", "--root", str(init_repo / "policies"), "--out", str(out))
    assert r.code == 0 and ("wrote" if writes else "is up to date") in r.out, r
    assert not killed.exists() and (theirs / "keep.txt").read_text() == "mine\n"
    assert (
        f"note: left alone beside {out}, named as policyctl's temporary folders but without its proof that it made"
        f" them: {theirs} (a killed build of policyctl 0.2.0 or earlier left its temporary folder without the proof,"
        " and anyone may make such a folder: look inside, and if they are leftovers, remove them yourself:"
        f" `rm -r {theirs}`)"
    ) in r.err, r
