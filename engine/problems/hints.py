"""Hints that name what was meant, in bounded work: the names closest to a misspelt one ("did you
mean `fee`?") and the names there are ("its inputs: a, b, c").

`difflib.get_close_matches` compares a word with every name (about 8 µs each for names of a few
letters), and a hint listed every name: a file with thousands of misspelt names, each against
thousands of names (a program's parameters, a decision's inputs, an author's `enum`), took
minutes of `validate`, and its hints the square of the names' number in text. A ``Suggester``
serves the hints of one file (or one check) and looks at ``MAX_LOOKED_AT`` names in all; past
that, a hint suggests no name and lists none, and says how many there are. A list in a hint
names ``MAX_LISTED`` at most.
"""

from __future__ import annotations

import difflib
import heapq
from collections.abc import Collection

MAX_LOOKED_AT = 50_000
MAX_WORD = 200  # characters of a word to find close names for (a name is a few dozen)
MAX_LISTED = 30


class Suggester:
    """The hints of one file or one check; each look at a collection of names is counted."""

    def __init__(self, budget: int = MAX_LOOKED_AT) -> None:
        self.left = budget

    def _spend(self, count: int) -> bool:
        if count > self.left:
            self.left = 0  # (the rest of the file gets none either: its hints say the same things)
            return False
        self.left -= count
        return True

    def closest(self, word: str, *groups: Collection[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
        """As `difflib.get_close_matches(word, sorted(names), n, cutoff)` over the names of all the
        ``groups``, while the budget lasts (nothing of them is looked at past it)."""
        if len(word) > MAX_WORD or not self._spend(sum(len(g) for g in groups)):
            return []
        names = groups[0] if len(groups) == 1 else {name for group in groups for name in group}
        return difflib.get_close_matches(word, sorted(names), n, cutoff)

    def listed(self, names: Collection[str]) -> str:
        """`a, b, c` (sorted), at most ``MAX_LISTED`` of them and then how many more; how many
        there are once the budget is spent."""
        if not names:
            return ""
        if not self._spend(len(names)):
            return f"{len(names):,} in all"
        shown = sorted(names) if len(names) <= MAX_LISTED else heapq.nsmallest(MAX_LISTED, names)
        more = len(names) - len(shown)
        return ", ".join(shown) + (f" and {more:,} more" if more else "")
