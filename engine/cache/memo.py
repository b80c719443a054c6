"""Bounded in-process memos: what one process computed, kept for its next build.

Tests, `policyctl serve` and incremental builds build many times in one process, and each build
used to parse and compile every template again and extract every template's messages again,
although the texts had not changed. The disk store (engine.cache.store) keeps data between
processes; a memo keeps Python objects (code objects, message lists) within one, keyed by
everything the value depends on, so a hit is exactly what computing again would give.

A memo is a least-recently-used map with a fixed number of entries: a long-lived process (a
server rebuilding on every edit) holds at most that many, whatever it builds.

Threads may share a memo (the decision service, or a library caller, may answer from several: a
first decision compiles through memos). ``get`` takes no lock, since each of its two steps is one
call of the C ``OrderedDict``: an entry another thread pushes out between its look-up and its move
to the recent end is still the value found (it only stays out; this raised ``KeyError``).
``put`` and ``clear`` change the entries and their total weight under the memo's own lock, which
only they take (functools' pure-Python ``lru_cache`` locks its hits too; a lock doubled a hit's
~115 ns, and a put follows a miss, whose computing costs far more). Two threads that miss the same
key both compute it, and the second put replaces the first's equal value. Tested on CPython with
its GIL (tests/test_memo_threads.py), not on a free-threaded build.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

_memos: list[Memo[object]] = []


class Memo(Generic[V]):
    """A least-recently-used map of at most ``size`` entries, and of at most ``weight`` in all
    (what an entry weighs is the caller's estimate of its memory, such as its text's length)."""

    def __init__(self, size: int, weight: int | None = None) -> None:
        assert size > 0, size
        self.size, self.max_weight = size, weight
        self.weight = 0
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()  # put and clear only (see the module's docstring)
        _memos.append(self)  # type: ignore[arg-type]  # (only for `clear_all`)

    def get(self, key: Hashable) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        try:
            self._entries.move_to_end(key)
        except KeyError:  # another thread pushed it out since the look-up: it was found all the same
            pass
        return found[0]

    def put(self, key: Hashable, value: V, weight: int = 1) -> None:
        if self.max_weight is not None and weight > self.max_weight:
            return  # (it would push out everything else)
        with self._lock:
            entries = self._entries
            old = entries.pop(key, None)
            if old is not None:
                self.weight -= old[1]
            entries[key] = (value, weight)
            self.weight += weight
            while len(entries) > self.size or (self.max_weight is not None and self.weight > self.max_weight):
                _, (_, dropped) = entries.popitem(last=False)
                self.weight -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.weight = 0

    def __len__(self) -> int:
        return len(self._entries)


def clear_all() -> None:
    """Empty every memo of this process (a test that wants a cold start)."""
    for memo in _memos:
        memo.clear()


Snapshot = list[tuple["Memo[object]", "OrderedDict[Hashable, tuple[object, int]]", int]]


def snapshot() -> Snapshot:
    """What every memo of this process holds now, for `restore` (a test suite gives the memos back
    after a test that emptied them: entries are keyed by content, so they are as true after it)."""
    return [(memo, memo._entries.copy(), memo.weight) for memo in _memos]


def restore(state: Snapshot) -> None:
    for memo, entries, weight in state:
        with memo._lock:
            memo._entries, memo.weight = entries.copy(), weight
