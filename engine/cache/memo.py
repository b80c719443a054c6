"""Bounded in-process memos: what one process computed, kept for its next build.

Tests, `policyctl serve` and incremental builds build many times in one process, and each build
used to parse and compile every template again and extract every template's messages again,
although the texts had not changed. The disk store (engine.cache.store) keeps data between
processes; a memo keeps Python objects (code objects, message lists) within one, keyed by
everything the value depends on, so a hit is exactly what computing again would give.

A memo is a least-recently-used map with a fixed number of entries: a long-lived process (a
server rebuilding on every edit) holds at most that many, whatever it builds. It holds no lock;
the engine renders in one thread per process (workers are processes).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

_memos: list[Memo[object]] = []


class Memo(Generic[V]):
    """A least-recently-used map of at most ``size`` entries."""

    def __init__(self, size: int) -> None:
        assert size > 0, size
        self.size = size
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        _memos.append(self)  # type: ignore[arg-type]  # (only for `clear_all`)

    def get(self, key: Hashable) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def clear_all() -> None:
    """Empty every memo of this process (a test that wants a cold start)."""
    for memo in _memos:
        memo.clear()
