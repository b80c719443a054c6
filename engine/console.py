"""How the command line talks to a person at a terminal: colour and progress.

Both are for people only. Colour is added to text output and stripped by click wherever it should
not be (not a terminal, `--color never`, `NO_COLOR` set); progress goes to standard error, only
when that is a terminal and `--quiet` was not given, so it never reaches machine output or logs.
"""

from __future__ import annotations

import os
import re
import sys
import time
from typing import IO

_MARKS = [  # (pattern, ANSI style): the words a reader looks for first
    (re.compile(r"\berror(?=\[[A-Z]+\d+\])|\bFAIL\b|^policyctl: error\b", re.M), "\033[1;31m"),
    (re.compile(r"\bwarning(?=\[[A-Z]+\d+\])|\bnote:", re.M), "\033[33m"),
    (re.compile(r"^ok\b|\b0 failed\b", re.M), "\033[32m"),
    (re.compile(r"^  hint:", re.M), "\033[36m"),
]
_RESET = "\033[0m"


class Console:
    """The global `--color` and `--quiet` settings of one run."""

    def __init__(self, color: str = "auto", quiet: bool = False) -> None:
        self.mode, self.quiet = color, quiet

    @property
    def color(self) -> bool | None:
        """For click.echo's ``color``: True always, False never, None: click decides per stream
        (a terminal gets colour). https://no-color.org: a non-empty NO_COLOR means never, unless
        `--color always` says otherwise."""
        if self.mode == "always":
            return True
        if self.mode == "never" or os.environ.get("NO_COLOR"):
            return False
        return None

    def paint(self, text: str) -> str:
        if self.color is False:
            return text
        for pattern, style in _MARKS:
            text = pattern.sub(f"{style}\\g<0>{_RESET}", text)  # the styles hold no backslash
        return text

    def progress(self, what: str, stream: IO[str] | None = None, streaming: bool = False) -> Progress:
        """``streaming``: the command writes its results while it works, so progress is shown only
        when they do not go to the same terminal (a count between result lines would garble both)."""
        stream = stream or sys.stderr
        shown = not self.quiet and isatty(stream) and not (streaming and isatty(sys.stdout))
        return Progress(what, stream if shown else None)


def isatty(stream: IO[str] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """`what  12 of 340` on one line of standard error, redrawn at most ten times a second and
    erased when done. Called as ``progress(done, total)``, or ``progress.count(done)`` where the
    total is not known (`what  12,000`: a batch read as it arrives)."""

    def __init__(self, what: str, stream: IO[str] | None) -> None:
        self.what, self.stream, self.last, self.drawn = what, stream, 0.0, False

    def __call__(self, done: int, total: int) -> None:
        if total > 0:
            self._draw(f"{done} of {total}", done >= total)

    def count(self, done: int) -> None:
        self._draw(f"{done:,}", False)

    def _draw(self, how_far: str, last: bool) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if not last and now - self.last < 0.1:
            return
        self.last = now
        self.stream.write(f"\r\033[K{self.what}  {how_far}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.stream is not None and self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.drawn = False
