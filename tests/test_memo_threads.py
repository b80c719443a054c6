"""An in-process memo shared by threads (engine.cache.memo): what another thread does between a
hit's two steps, and puts from several threads at once, never raise nor unbalance its weight."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

from engine.cache.memo import Memo


@pytest.fixture
def size_one() -> Iterator[Memo[str]]:
    memo: Memo[str] = Memo(1)
    yield memo
    memo.clear()


@pytest.mark.parametrize(
    ("step", "found"),
    [
        ("get", None),  # pushed out before the look-up: a miss
        ("move_to_end", "value"),  # between the look-up and the move to the recent end (was KeyError)
    ],
)
def test_an_entry_pushed_out_during_a_hit_is_still_found(size_one: Memo[str], step: str, found: str | None) -> None:
    """Another thread's put, run just before the hit's ``step`` (a call of the C OrderedDict, seen
    by a profile function: nothing else runs in between, as a thread switch may make it)."""
    size_one.put("key", "value")
    fired: list[str] = []

    def other_thread(frame: FrameType, event: str, arg: object) -> None:
        if event == "c_call" and getattr(arg, "__name__", None) == step and not fired:
            fired.append(step)
            size_one.put("another thread's", "other")  # size 1: pushes "key" out

    sys.setprofile(other_thread)
    try:
        got = size_one.get("key")
    finally:
        sys.setprofile(None)
    assert (fired, got) == ([step], found)
    assert (size_one.get("key"), size_one.get("another thread's"), len(size_one)) == (None, "other", 1)


def test_threads_sharing_a_tiny_memo_never_raise_and_keep_its_weight() -> None:
    memo: Memo[int] = Memo(2, weight=5)
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def hammer(seed: int) -> None:
        try:
            start.wait(timeout=10)
            for i in range(1500):
                key = (seed * 7 + i) % 5
                if memo.get(key) is None:
                    memo.put(key, i, 1 + key % 3)
        except BaseException as e:  # (reported by the test's thread)
            failures.append(e)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
    assert len(memo) <= 2 and memo.weight <= 5
    memo.put("x", 0, 2)
    memo.put("y", 0, 2)  # every earlier entry is out: the weight is what these two weigh
    assert (len(memo), memo.weight) == (2, 4)
    memo.clear()
    assert (len(memo), memo.weight) == (0, 0)
