"""The one "today", and the keys that carry a marketplace's time into a decision.

"Today" is always a marketplace's local date (its IANA `time_zone`), in every command and API call
unless the caller gives a date; without a marketplace (a question about no one marketplace), UTC,
never the host's clock, so two machines agree. Light on purpose (no YAML, no Jinja2): bundles and
services import it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import re
from collections.abc import Iterator

from engine.problems.hints import Suggester

# Keys of the decision context that travel in the params mapping beside the parameters. They are
# not parameter ids (those match `^[a-z]...`), so no expression can name them: only the runtime's
# time and `param_on` helpers read them (engine.decisions.runtime).
ZONE_KEY = "@zone"
LINES_KEY = "@lines"
# in what an explained decision reads: a list `param_on` adds each (name, day) it answers to, so
# the explanation names the value in force that day, with its provenance
SEEN_KEY = "@seen"
# the ``Resolved`` the parameters are of: what an explanation names each parameter's place from
RESOLVED_KEY = "@resolved"


def host() -> _dt.datetime:
    """The host's clock (UTC): the one place policyctl reads it, so that tests replace it here
    (`monkeypatch.setattr(clock, "host", ...)`) rather than depend on it."""
    return _dt.datetime.now(_dt.timezone.utc)


_HELD: list[_dt.datetime] = []  # the instant `held` fixes, while it does


def now() -> _dt.datetime:
    """The present instant: the one `held` fixes, else the host's."""
    return _HELD[-1] if _HELD else host()


@contextlib.contextmanager
def held() -> Iterator[None]:
    """One instant for everything done inside: a command that asks "today" many times (a build,
    for every page and feed) gives one day's answer, even when it runs across a marketplace's
    midnight. Worker processes forked inside inherit it."""
    _HELD.append(now())
    try:
        yield
    finally:
        _HELD.pop()


def today(time_zone: str | None = None) -> str:
    """Today's date in ``time_zone`` (an IANA name), else in UTC."""
    from zoneinfo import ZoneInfo

    return now().astimezone(ZoneInfo(time_zone or "UTC")).date().isoformat()


def zone_hint(zone: str, hints: Suggester | None = None) -> str | None:
    """None when ``zone`` is an IANA time zone id; else a hint that can be followed for the message
    "`ZONE` is not an IANA time zone". IANA ids are case-sensitive (`europe/madrid`: "did you mean
    `Europe/Madrid`?"); an offset (`UTC+1`) is no zone: it never follows summer time, and IANA's
    fixed-offset ids invert its sign (`Etc/GMT-1` is UTC+1). ``hints``: the file's (engine.problems.hints)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
        return None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    offset = _OFFSET.fullmatch(zone.strip())
    if offset is not None:
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        if hours == minutes == 0:
            return "write `UTC`"
        city = "use the id of the marketplace's city or region, which follows its summer time (`Europe/Berlin`, `America/New_York`)"
        if minutes or hours > (14 if sign == "+" else 12):  # (IANA has whole hours from -12 to +14 only)
            return city
        fixed, written = f"Etc/GMT{'-' if sign == '+' else '+'}{hours}", f"UTC{sign}{hours}"
        return f"{city}; for a fixed offset, IANA's `{fixed}` (the sign is inverted: `{fixed}` is {written})"
    close = _close_zone(zone, hints or Suggester())
    if close is not None:
        return f"did you mean `{close}`?"
    return "use an IANA time zone id (area/city, as the tz database spells it), such as `Europe/Berlin`"


def _close_zone(zone: str, hints: Suggester) -> str | None:
    """The IANA id ``zone`` spells with other capitals, or else the one closest to it."""
    ids = _zone_ids()
    wanted = zone.strip().lower().replace(" ", "_")
    if wanted in ids:
        return ids[wanted]
    close = hints.closest(wanted, ids, n=1, cutoff=0.8)
    return ids[close[0]] if close else None


@functools.cache
def _zone_ids() -> dict[str, str]:
    from zoneinfo import available_timezones

    return {z.lower(): z for z in sorted(available_timezones())}


# `UTC+1`, `GMT-05:00`, `+0530`, `UTC +2`: an offset from UTC written where a zone's id belongs
_OFFSET = re.compile(r"(?:UTC|GMT|Z)?\s*([+-])\s*([0-9]{1,2})(?::?([0-9]{2}))?", re.IGNORECASE)
