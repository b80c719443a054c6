"""The suite itself: no test touches the developer's cache (conftest.isolated_cache); temporary files
in memory unless someone chose a place (support.scratch_folder)."""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from pathlib import Path

import pytest

import engine
from engine.cache import store
from support import MINI, SCRATCH_ROOM, compile_package, scratch_folder


def test_the_cache_is_a_folder_of_this_test(isolated_cache: Path) -> None:
    assert os.environ["POLICYCTL_CACHE"] == str(isolated_cache)
    assert store.root() == str(isolated_cache)
    assert {store.folder(kind) for kind in store.KINDS} == {os.path.join(str(isolated_cache), k) for k in store.KINDS}
    assert not str(isolated_cache).startswith(os.path.join(os.path.expanduser("~"), ".cache"))


def test_a_load_caches_there(isolated_cache: Path) -> None:
    assert not isolated_cache.exists()  # empty at the start of every test
    engine.load(str(MINI))
    assert [p for p in isolated_cache.rglob("*") if p.is_file()]


class _Fs:
    """What os.statvfs tells of a folder: its flags and room."""

    def __init__(self, flag: int = 0, free: int = 8 << 30) -> None:
        self.f_flag, self.f_bavail, self.f_frsize = flag, free // 4096, 4096


@pytest.mark.parametrize(
    ("environ", "basetemp", "fs", "chosen"),
    [
        ({}, None, _Fs(), True),
        ({"TMPDIR": "/tmp"}, None, _Fs(), False),  # someone chose
        ({"PYTEST_DEBUG_TEMPROOT": "/tmp"}, None, _Fs(), False),
        ({}, "/tmp/here", _Fs(), False),  # --basetemp
        ({}, None, None, False),  # no such folder
        ({}, None, _Fs(flag=os.ST_NOEXEC), False),  # the virtual environments' scripts could not run
        ({}, None, _Fs(flag=os.ST_RDONLY), False),
        ({}, None, _Fs(free=SCRATCH_ROOM - 1), False),
    ],
    ids=["nobody chose", "TMPDIR", "PYTEST_DEBUG_TEMPROOT", "basetemp", "missing", "noexec", "read-only", "full"],
)
def test_the_suite_writes_in_memory_only_where_nobody_chose_otherwise(
    environ: dict[str, str], basetemp: str | None, fs: _Fs | None, chosen: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    def statvfs(path: str) -> _Fs:
        assert path == "/scratch"
        if fs is None:
            raise FileNotFoundError(2, "No such file or directory", path)
        return fs

    monkeypatch.setattr(os, "statvfs", statvfs)
    monkeypatch.setattr(os, "access", lambda path, mode: path == "/scratch")
    assert scratch_folder(environ, basetemp, "/scratch") == ("/scratch" if chosen else None)


def test_without_statvfs_the_suite_writes_where_python_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "statvfs", raising=False)  # (Windows)
    assert scratch_folder({}, None, "/scratch") is None


def test_tests_and_the_programs_they_start_share_one_temporary_folder(tmp_path: Path) -> None:
    """pytest's tmp_path, tempfile and TMPDIR (which programs the tests start read) agree."""
    where = os.path.realpath(tempfile.gettempdir())
    assert os.path.realpath(os.environ.get("TMPDIR", where)) == where
    assert tmp_path.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())


def test_a_package_gets_bytecode_for_what_has_none_or_an_older_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    package = tmp_path / "pkg"
    package.mkdir()
    fresh, edited = package / "fresh.py", package / "edited.py"
    fresh.write_text("A = 1\n", encoding="utf-8")
    edited.write_text("B = 1\n", encoding="utf-8")
    compile_package(str(package))
    cached = {path: Path(importlib.util.cache_from_source(str(path))) for path in (fresh, edited)}
    assert all(pyc.is_file() for pyc in cached.values())
    kept = cached[fresh].stat().st_mtime_ns
    edited.write_text("B = 2\n", encoding="utf-8")
    os.utime(edited, (edited.stat().st_atime + 10, edited.stat().st_mtime + 10))  # (a later second)
    compile_package(str(package))
    assert cached[fresh].stat().st_mtime_ns == kept  # up to date: not written again
    source_time = int.from_bytes(cached[edited].read_bytes()[8:12], "little")  # (PEP 552's header)
    assert source_time == int(edited.stat().st_mtime)  # written again for the edited source


def test_the_setting_to_write_no_bytecode_holds_again_after_collection() -> None:
    assert sys.dont_write_bytecode == bool(
        sys.flags.dont_write_bytecode
    )  # (as the process started: -B or the variable)


def test_collected_tests_are_frozen_and_young_objects_collected_less_often(request: pytest.FixtureRequest) -> None:
    # (conftest.pytest_collection_finish): the collected tests are out of the collector's reach
    assert gc.get_freeze_count() > len(request.session.items)
    assert gc.get_threshold()[0] >= 10_000
