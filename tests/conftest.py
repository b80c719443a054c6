"""Fixtures only; the helpers the tests share are in support.py."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import MINI, ROOT

_caches = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def _cache_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's cache folders. Fixtures wider than a test are set up before a test's own folder
    is: they use `shared` here, never the developer's cache either."""
    root = tmp_path_factory.mktemp("policyctl-cache")
    with pytest.MonkeyPatch.context() as m:
        m.setenv("POLICYCTL_CACHE", str(root / "shared"))
        yield root


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
