"""Dates and date-times as policyctl reads them: the same forms on every Python version.

Python's ``fromisoformat`` reads more forms from 3.11 on (`Z`, `20230701`, week dates, any number
of fraction digits) than on 3.10, so it is not used directly: every date and date-time policyctl
reads (`--at`, effective dates, test cases, decision inputs, expression helpers, page filters)
goes through this module.

- A **date** is `YYYY-MM-DD` (ISO 8601's extended calendar date): `2024-03-01`. The compact
  `20240301`, week dates (`2024-W09-5`) and ordinal dates (`2024-061`) are refused.
- A **date-time** is RFC 3339: `YYYY-MM-DDTHH:MM:SS` with an optional fraction of a second and a
  time-zone offset, `Z` or `±HH:MM`: `2024-03-01T17:00:00Z`, `2024-03-01T17:00:00.250-08:00`.
  As RFC 3339 allows, `T` and `Z` may be lower case and `T` a space; the seconds may be left out
  (`2024-03-01T17:00+01:00`); a fraction is read to the microsecond. An offset is required: a
  date-time without one is refused (`NoOffset`), never assumed to be UTC.
"""

from __future__ import annotations

import datetime as _dt
import re
import sys
from collections.abc import Callable

DATE_FORM = "YYYY-MM-DD"
DATE_TIME_FORM = "YYYY-MM-DDTHH:MM:SS with `Z` or an offset such as `+01:00`"

_Match = Callable[[str], "re.Match[str] | None"]


def _compiled_on_first_use(name: str, pattern: str) -> _Match:
    """A stand-in for ``re.compile(pattern).match`` that compiles the pattern when first called and
    puts the compiled ``match`` in its place (the module global ``name``): a process that answers
    one decision from a bundle reads no date-time, and compiling these at import cost ~1 ms."""

    def first(text: str) -> re.Match[str] | None:
        match = globals()[name] = re.compile(pattern).match
        return match(text)

    return first


_date = _compiled_on_first_use("_date", r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_compact_date = _compiled_on_first_use("_compact_date", r"([0-9]{4})([0-9]{2})([0-9]{2})\Z")
_date_time = _compiled_on_first_use(
    "_date_time",
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9]"
    r"(?::[0-5][0-9](\.[0-9]+)?)?([Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?\Z",
)


# The commonest date-time form, read by Python 3.11+'s ``fromisoformat`` exactly as below (`Z`
# included): a batch of decisions parses one or more per input, and this skips the rewriting.
_common_date_time = _compiled_on_first_use(
    "_common_date_time",
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])\Z",
)
_READS_Z = sys.version_info >= (3, 11)


class NoOffset(ValueError):
    """A date-time in the accepted form but without a time-zone offset."""


def parse_date(text: str) -> _dt.date:
    """The date written ``YYYY-MM-DD``; ValueError, with a message for people, for anything else."""
    if not isinstance(text, str):
        raise ValueError(f"expected a date string ({DATE_FORM}), got `{text!r}`")
    if _date(text) is None:
        raise ValueError(f"`{text}` is not a date in the form {DATE_FORM}")
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"`{text}` is not a day of the calendar") from None


def parse_datetime(text: str) -> _dt.datetime:
    """The offset-aware date-time of an RFC 3339 text; ValueError (NoOffset without an offset)."""
    if _READS_Z and type(text) is str and _common_date_time(text) is not None:
        try:
            return _dt.datetime.fromisoformat(text)
        except ValueError:  # not a moment of the calendar (Feb 30): the way below says so
            pass
    found = _date_time(text) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"`{text}` is not a date-time in the form {DATE_TIME_FORM}")
    fraction, offset = found.groups()
    if offset is None:
        raise NoOffset(f"date-time `{text}` has no time-zone offset; add `Z` or one like `+01:00`")
    # In this form ``fromisoformat`` reads a text the same on every version (and fast, in C), but for
    # what Python 3.10 does not know: `Z`, and a fraction of other than 3 or 6 digits. Those are
    # rewritten first: `+00:00`, the fraction cut or padded to 6 digits.
    iso = text
    if offset in ("Z", "z") or (fraction and len(fraction) not in (4, 7)):
        head = text[: found.start(1) if fraction else found.start(2)]
        iso = head + (fraction[:7].ljust(7, "0") if fraction else "") + ("+00:00" if offset in ("Z", "z") else offset)
    try:
        return _dt.datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"`{text}` is not a moment of the calendar") from None


def format_datetime(moment: _dt.datetime) -> str:
    """An offset-aware date-time as policyctl writes it: RFC 3339, which ``parse_datetime`` (and
    any other reader of RFC 3339 or ISO 8601) reads back as the same instant.

    ``isoformat`` writes an offset with seconds where a zone's offset has them: local mean time,
    the offset of most IANA zones before they took a standard time (America/Los_Angeles in 1850
    is -07:52:58, Europe/Berlin in 1890 +00:53:28). Neither RFC 3339 nor ISO 8601 allows seconds
    in an offset, so the engine refused the date-times it had written (`date(deadline)`), and so
    would other readers of its answers. Reading such offsets too would only move the problem to
    those readers; instead the instant is written at its offset rounded to the whole minute
    (`-07:53`, `+00:53`): the same instant, to the microsecond, whose wall-clock time differs from
    local mean time by under 30 seconds. The engine reads every date-time back as an instant and
    takes its day in the marketplace's zone, so no answer depends on the rounding."""
    offset = moment.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        moment = moment.astimezone(_dt.timezone(_dt.timedelta(minutes=round(offset / _MINUTE))))
    return moment.isoformat()


_MINUTE = _dt.timedelta(minutes=1)


def parse(text: str) -> _dt.date | _dt.datetime:
    """A date (ten characters or fewer) or an offset-aware date-time, as the functions above read them."""
    if isinstance(text, str) and len(text) <= 10:
        return parse_date(text)
    return parse_datetime(text)


def date_hint(text: object, zone: str | None = None) -> str:
    """How to write the date ``text`` was meant to be, for a message's hint; ``zone``: the
    marketplace's time zone, where the day of a date-time given for a date is told."""
    compact = _compact_date(text) if isinstance(text, str) else None
    if compact:
        return f"write it `{compact[1]}-{compact[2]}-{compact[3]}`: dates are read in the form {DATE_FORM} only"
    moment = _date_time(text) if isinstance(text, str) else None
    if moment is not None:
        return _day_of(text, moment[2], zone)  # type: ignore[arg-type]  # (a str: matched above)
    return f"write a date in the form {DATE_FORM}, such as 2024-03-01"


def _day_of(text: str, offset: str | None, zone: str | None) -> str:
    """The hint for a date-time given where a day is asked (`--at`, `at`): the day it falls on in
    the marketplace's time zone (principle 5), as no question is asked for an instant."""
    if offset is None:  # a wall-clock time: its own day
        return f"the date is a day, not a time: write `{text[:10]}`"
    said = "the date is a day in the marketplace's time zone, not an instant"
    if zone is None:
        return f"{said}: write the day `{text}` falls on there ({DATE_FORM})"
    from zoneinfo import ZoneInfo

    aware = text[:10] + "T" + text[11:].upper().replace("Z", "+00:00")
    day = _dt.datetime.fromisoformat(aware).astimezone(ZoneInfo(zone)).date().isoformat()
    return f"{said}: `{text}` falls on `{day}` in {zone}, so write `{day}`"
