"""Fixtures only; the helpers the tests share are in support.py."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from support import MINI, ROOT

_caches = itertools.count()


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
