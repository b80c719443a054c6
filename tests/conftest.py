"""Fixtures only; the helpers the tests share are in support.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import MINI, ROOT


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
