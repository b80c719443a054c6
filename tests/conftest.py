"""Fixtures and hooks only; the helpers the tests share are in support.py."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from support import MINI, ROOT

_caches = itertools.count()
_SHARED = pytest.StashKey[tuple[str, "str | None"]]()


def pytest_configure(config: pytest.Config) -> None:
    """Code that runs before any fixture (module-level code at collection, fixtures wider than a
    test) uses a cache folder of this run's own, never the developer's cache either."""
    folder = tempfile.mkdtemp(prefix="policyctl-test-cache-")
    config.stash[_SHARED] = (folder, os.environ.get("POLICYCTL_CACHE"))
    os.environ["POLICYCTL_CACHE"] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    folder, before = config.stash[_SHARED]
    if before is None:
        os.environ.pop("POLICYCTL_CACHE", None)
    else:
        os.environ["POLICYCTL_CACHE"] = before
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def _cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("policyctl-cache")


@pytest.fixture(autouse=True)
def isolated_cache(_cache_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test starts with an empty cache folder of its own (made on first use): no test reads or
    writes the developer's `~/.cache/policyctl`, and no test sees what another one cached. A test
    may still set `POLICYCTL_CACHE` itself (`off`, or a folder it inspects)."""
    folder = _cache_root / str(next(_caches))
    monkeypatch.setenv("POLICYCTL_CACHE", str(folder))
    return folder


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of the made-up `loans` repository."""
    dest = tmp_path / "policies"
    shutil.copytree(MINI, dest)
    return dest


@pytest.fixture
def chdir_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT
