"""Past editions: every page as it was on each past effective date of its program and marketplace.

A program's dated changes in one marketplace cut its history into editions. The current edition
is the page itself (`<program>/<marketplace>/<locale>/<page>.html`); each earlier one has a folder
of its own beside it, named by the date it took effect, so its address never changes:

    <program>/us/en/help.html             in effect since the latest effective date
    <program>/us/en/2023-07-01/help.html  an edition that took effect on 2023-07-01 (once superseded)
    <program>/us/en/original/help.html    the rules before the first dated change

An edition is rendered like the current page, for its first day (the original: the day before
the first change), from today's sources: a correction to the sources corrects every edition. Which
editions exist depends only on which effective dates have passed, like the current page itself.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from dataclasses import dataclass

from engine.model.repository import Repository

ORIGINAL = "original"  # the folder of the edition before the first dated change
_FIRST_DAY = _dt.date.min.isoformat()  # 0001-01-01: no day before it


@dataclass(frozen=True, slots=True)
class Edition:
    folder: str  # the edition's folder beside the current page: its first day, or ORIGINAL
    day: str  # the day its pages are rendered for
    start: str | None  # the day it took effect; None for the original
    end: str  # the day the next edition took effect
    # the day it took effect / the day it ended is an assumption (`assumed: [date]`): pages that
    # name it say "(date not yet confirmed)" (see unconfirmed_dates)
    start_assumed: bool = False
    end_assumed: bool = False


def _day_before(day: str) -> str:
    return (_dt.date.fromisoformat(day) - _dt.timedelta(days=1)).isoformat()


def unconfirmed_dates(repo: Repository, program: str, marketplace: str) -> frozenset[str]:
    """The effective dates of ``program`` in ``marketplace`` that are assumptions: a day on which
    any change's date is assumed (`assumed: [date]`). Where rules are said to start or end on such
    a day — "Effective from", an edition's dates, "Next change", a feed entry — pages never state
    it as a fact: they leave it out or mark it "(date not yet confirmed)"."""
    return frozenset(c.start for c in repo.history(program, marketplace) if c.entry.date_assumed)


def past_editions(repo: Repository, program: str, marketplace: str, day: str) -> list[Edition]:
    """The editions superseded on ``day``, oldest first (none when nothing has changed yet)."""
    starts = sorted({c.start for c in repo.history(program, marketplace) if c.start and c.start <= day})
    if not starts:
        return []
    assumed = unconfirmed_dates(repo, program, marketplace)
    found = []
    if starts[0] != _FIRST_DAY:  # (a change from the calendar's first day leaves no day to the original)
        found.append(Edition(ORIGINAL, _day_before(starts[0]), None, starts[0], False, starts[0] in assumed))
    found += [Edition(a, a, a, b, a in assumed, b in assumed) for a, b in itertools.pairwise(starts)]
    return found


def folder_of(editions: list[Edition], start: str) -> str | None:
    """The folder of the edition that took effect on ``start``; None for the current one (or unknown)."""
    for edition in editions:
        if edition.start == start:
            return edition.folder
    return None


def before(editions: list[Edition], start: str) -> str | None:
    """The folder of the edition that a change on ``start`` ended; None when it is not an edition."""
    for edition in editions:
        if edition.end == start:
            return edition.folder
    return None
