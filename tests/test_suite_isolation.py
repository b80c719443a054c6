"""The suite itself: no test touches the developer's cache (conftest.isolated_cache)."""

from __future__ import annotations

import os
from pathlib import Path

import engine
from engine.cache import store
from support import MINI


def test_the_cache_is_a_folder_of_this_test(isolated_cache: Path) -> None:
    assert os.environ["POLICYCTL_CACHE"] == str(isolated_cache)
    assert store.root() == str(isolated_cache)
    assert {store.folder(kind) for kind in store.KINDS} == {os.path.join(str(isolated_cache), k) for k in store.KINDS}
    assert not str(isolated_cache).startswith(os.path.join(os.path.expanduser("~"), ".cache"))


def test_a_load_caches_there(isolated_cache: Path) -> None:
    assert not isolated_cache.exists()  # empty at the start of every test
    engine.load(str(MINI))
    assert [p for p in isolated_cache.rglob("*") if p.is_file()]
