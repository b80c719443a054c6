"""What compiled expressions may call: the documented helpers, filters, tests and guarded operators.

Generated code runs with no builtins; this module's ``RUNTIME`` mapping is the whole of its world.
Every failure a policy can provoke is raised as ``EvalError`` (or is a plain ``TypeError`` /
``ZeroDivisionError`` from an operator), which ``engine.decisions.compile`` turns into a D005 problem.

Dates: ``date`` / ``datetime`` accept the forms of ``engine.model.dates`` (`YYYY-MM-DD`, RFC 3339
date-times), the same on every Python version. A date-time without a time-zone offset is
**rejected** (not assumed UTC): a policy deadline that silently moves by the marketplace's offset
is worse than an error telling the author to add ``Z`` or ``+01:00``.
"""

from __future__ import annotations

import copy as _copy
import datetime as _dt
import math
from collections.abc import Callable
from typing import Any, TypeVar

from engine.model import dates as _dates
from engine.model.clock import LINES_KEY, SEEN_KEY, ZONE_KEY
from engine.problems import kind_of as kind  # (the words of every message about a value's kind)

# Bounds on what one expression may build, so `"a" * 10**9` or `9 ** 9 ** 9` fail fast instead of
# exhausting memory or CPU. Policy values are prices, counts and short texts, far below these.
MAX_ITEMS = 100_000  # characters of a string or items of a list
MAX_INT_BITS = 4096  # about 1,230 decimal digits

_NUMBER = (int, float)
_T = TypeVar("_T")


class EvalError(Exception):
    """An expression cannot be evaluated with these values; the message is for policy authors."""


def _shown(value: Any) -> str:
    """A value in a message as the author writes it (JSON/YAML: `true`, `"abc"`, `null`), never as
    Python writes it (`True`, `'abc'`, `None`); bounded."""
    import json

    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER) and not isinstance(value, bool)


def _number(value: Any, what: str) -> float:
    if not _is_number(value):
        raise EvalError(f"{what} must be a number, got {kind(value)} `{_shown(value)}`")
    number: float = value
    return number


# --- reading data -------------------------------------------------------------------------------


def get(obj: Any, key: Any) -> Any:
    """`a.b` / `a[k]`: a mapping key or a list index, nothing else; missing reads as none."""
    if isinstance(obj, dict):
        return obj.get(key)
    if isinstance(obj, (list, tuple)):
        if isinstance(key, int) and not isinstance(key, bool):
            return obj[key] if -len(obj) <= key < len(obj) else None
        raise EvalError(f"a list index must be a whole number, got {kind(key)} `{_shown(key)}`")
    # (a name as written, `a.b`'s `b`; any other key as every value is shown: `NaN`, not Python's `nan`)
    said = key if isinstance(key, str) else _shown(key)
    raise EvalError(f"cannot read `{said}` of {kind(obj)} `{_shown(obj)}`: only mappings and lists have keys")


def has(obj: Any, key: Any) -> bool:
    """`a.b is defined`: the key exists (a list index is in range)."""
    if isinstance(obj, dict):
        return key in obj
    if isinstance(obj, (list, tuple)) and isinstance(key, int) and not isinstance(key, bool):
        return -len(obj) <= key < len(obj)
    return False


# --- guarded operators --------------------------------------------------------------------------


def _sized(result: _T) -> _T:
    if isinstance(result, (str, list, tuple)) and len(result) > MAX_ITEMS:
        raise EvalError(f"result too large: {len(result)} items (the limit is {MAX_ITEMS})")
    return result


def weight(value: Any, limit: int = MAX_ITEMS) -> int:
    """The items `==`, `~` or printing would visit in ``value``: a list's length plus its items'
    weights, a shared inner list counted every time it appears (``[[0] * 9] * 9`` weighs 90).

    `[[[0] * 100000] * 100000] * 100000` holds only 300,000 references but compares or prints in
    10**15 steps: bounding lengths alone does not bound work. Stops counting past ``limit``.
    """
    memo: dict[int, int] = {}

    def walk(v: Any) -> int:
        if isinstance(v, str):
            return len(v)
        if not isinstance(v, (list, tuple, dict)):
            return 1
        known = memo.get(id(v))
        if known is not None:
            return known
        total = len(v)
        for item in v.values() if isinstance(v, dict) else v:
            if isinstance(item, (list, tuple, dict)):
                total += walk(item)
                if total > limit:
                    break
        memo[id(v)] = total
        return total

    return walk(value)


def _bounded(total: int) -> None:
    if total > MAX_ITEMS:
        raise EvalError(f"result too large: {total:,} items, nested lists counted in full (the limit is {MAX_ITEMS:,})")


def _int_fits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise EvalError(f"number too large (about {bits} bits; the limit is {MAX_INT_BITS})")


def add(a: Any, b: Any) -> Any:
    if type(a) in _NUMBER and type(b) in _NUMBER:  # the common case, kept cheap
        return a + b
    if isinstance(a, (str, list, tuple)) and isinstance(b, (str, list, tuple)):
        if len(a) + len(b) > MAX_ITEMS:
            raise EvalError(f"result too large: {len(a) + len(b)} items (the limit is {MAX_ITEMS})")
        if not isinstance(a, str):
            _bounded(weight(a) + weight(b))
    return a + b


def mul(a: Any, b: Any) -> Any:
    if type(a) is float or type(b) is float:
        return a * b
    if isinstance(a, int) and isinstance(b, int):
        _int_fits(a.bit_length() + b.bit_length())
        return a * b
    seq, n = (a, b) if isinstance(a, (str, list, tuple)) else (b, a)
    if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
        if len(seq) * max(n, 0) > MAX_ITEMS:
            raise EvalError(f"result too large: {len(seq) * n} items (the limit is {MAX_ITEMS})")
        if not isinstance(seq, str) and n > 1:
            _bounded(weight(seq) * n)
    return a * b


def mod(a: Any, b: Any) -> Any:
    # `"%s" % x` would be string formatting (and `"%999999999d"` a memory bomb): numbers only
    return _number(a, "the left side of `%`") % _number(b, "the right side of `%`")


def power(a: Any, b: Any) -> Any:
    _number(a, "the base of `**`")
    _number(b, "the exponent of `**`")
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        _int_fits(a.bit_length() * b)
    try:
        result = a**b
    except OverflowError:
        raise EvalError(f"`{_shown(a)} ** {_shown(b)}` is too large a number") from None
    except ZeroDivisionError:
        raise EvalError(f"`{_shown(a)} ** {_shown(b)}`: zero to a negative power") from None
    if isinstance(result, complex):
        raise EvalError(f"`{_shown(a)} ** {_shown(b)}` is not a real number")
    return result


def concat(*parts: Any) -> str:
    """`a ~ b`: as in Jinja, each side is converted to a string."""
    return _sized("".join([p if isinstance(p, str) else str(p) for p in parts]))


# --- filters ------------------------------------------------------------------------------------


def f_length(value: Any) -> int:
    if isinstance(value, (str, list, tuple, dict)):
        return len(value)
    raise EvalError(f"`length` needs a string, list or mapping, got {kind(value)} `{_shown(value)}`")


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise EvalError(f"`{name}` needs a string, got {kind(value)} `{_shown(value)}`")
    return value


def f_lower(value: Any) -> str:
    return _text(value, "lower").lower()


def f_upper(value: Any) -> str:
    return _text(value, "upper").upper()


def f_round(value: Any, places: Any = 0) -> int | float:
    """Half away from zero on the decimal digits (0.125 -> 0.13), as people round money.

    Python's and Jinja's `round` work on the binary float and give 0.12 here.
    """
    number: float
    if type(value) is not float or type(places) is not int or not 0 <= places <= 15:
        number = _number(value, "the value of `round`")
        if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 15:
            raise EvalError(f"`round` needs a whole number of places from 0 to 15, got `{_shown(places)}`")
        if isinstance(number, int):
            return number
    number = value  # a float from here on
    text = repr(number)  # the shortest text that reads back as the float: the decimal digits people see
    dot = text.find(".")
    # no more decimals than asked for: rounding gives the float back (-0.0 included); not past
    # Decimal's 28 digits, where quantize fails (a D005, as before this shortcut)
    if 0 <= dot >= len(text) - 1 - places and dot + places <= 28 and "e" not in text:
        return number
    if not math.isfinite(number):
        return number
    decimal = _decimal or _import_decimal()
    try:
        return float(decimal.Decimal(text).quantize(_QUANTUM[places], rounding=decimal.ROUND_HALF_UP))
    except decimal.InvalidOperation:  # the rounded value needs more than Decimal's 28 significant digits
        raise EvalError(
            f"`round` cannot give {_shown(number)} with {places} decimal places: more than 28 significant digits"
        ) from None


# `decimal`, imported by the first `round` that needs it: most roundings return the float as it is,
# and a process answering one input from a bundle often never needs it (~6M instructions of import)
_decimal: Any = None
_QUANTUM: list[Any] = []  # round's places as Decimal quanta: 1, 0.1, 0.01, ...


def _import_decimal() -> Any:
    global _decimal
    import decimal

    _QUANTUM[:] = [decimal.Decimal(1).scaleb(-places) for places in range(16)]
    _decimal = decimal
    return decimal


def f_abs(value: Any) -> float:
    return abs(_number(value, "the value of `abs`"))


def f_default(value: Any, fallback: Any = "") -> Any:
    return fallback if value is None else value


def _items(value: Any, name: str) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise EvalError(f"`{name}` needs a list, got {kind(value)} `{_shown(value)}`")
    return value


def f_min(value: Any) -> Any:
    items = _items(value, "min")
    if not items:
        raise EvalError("`min` of an empty list")
    return min(items)


def f_max(value: Any) -> Any:
    items = _items(value, "max")
    if not items:
        raise EvalError("`max` of an empty list")
    return max(items)


def f_sum(value: Any) -> int | float:
    return sum(_number(v, "each item of `sum`") for v in _items(value, "sum"))


# --- tests --------------------------------------------------------------------------------------


def t_number(value: Any) -> bool:
    """`is number`; booleans are not numbers here (Jinja says they are)."""
    return _is_number(value)


def t_string(value: Any) -> bool:
    return isinstance(value, str)


# --- documented helpers -------------------------------------------------------------------------


def tier(bands: Any, x: Any) -> Any:
    """The band with `over` < x <= `up_to` (a None bound is open); none when x is none."""
    if x is None:
        return None
    if type(x) is not int and type(x) is not float:  # bool is neither
        _number(x, "the value given to `tier`")
    # Tier tables are checked at load (P005-P007); a broken one shows up as a TypeError or KeyError
    # below instead of being type-checked band by band on every call.
    try:
        for band in bands:
            over, up_to = band["over"], band["up_to"]
            if (over is None or x > over) and (up_to is None or x <= up_to):
                return band
    except (KeyError, TypeError):
        raise EvalError(
            f"`tier` needs a list of bands, each a mapping with `over` and `up_to`, got {kind(bands)}"
        ) from None
    raise EvalError(f"no band contains `{_shown(x)}`")


def percent(part: Any, whole: Any) -> Any:
    if part is None or whole is None:
        return None
    _number(part, "the part given to `percent`")
    if _number(whole, "the whole given to `percent`") == 0:
        return None
    # Multiply first: 7 * 100 / 100 is exactly 7.0, while 7 / 100 * 100 is 7.000000000000001,
    # which would fall in the band above an edge at 7.
    return part * 100 / whole


def _parse(value: Any, what: str) -> _dt.date | _dt.datetime:
    """An ISO date or an offset-aware ISO date-time."""
    if not isinstance(value, str):
        raise EvalError(f"{what} must be an ISO date or date-time string, got {kind(value)} `{_shown(value)}`")
    try:
        return _dates.parse(value)
    except _dates.NoOffset as e:
        raise EvalError(str(e)) from None
    except ValueError:
        raise EvalError(
            f"{what} `{value}` is not an ISO 8601 date ({_dates.DATE_FORM}) or date-time ({_dates.DATE_TIME_FORM})"
        ) from None


def _moment(value: Any, what: str) -> _dt.datetime:
    moment = _parse(value, what)
    if not isinstance(moment, _dt.datetime):
        raise EvalError(f"{what} must be a date-time with a time-zone offset, got the date `{value}`")
    return moment


def date(value: Any) -> str:
    """The ISO date of a date or date-time string; an instant's date in UTC (expressions use
    `z_date`, which reads it in the marketplace's time zone)."""
    return z_date(None, value)


def datetime(value: Any) -> str:
    return z_datetime(None, value)


def add_hours(ts: Any, n: Any) -> str:
    return z_add_hours(None, ts, n)


def add_days(d: Any, n: Any) -> str:
    return z_add_days(None, d, n)


# Offset-aware date-times by their text. A batch of decisions reads the same instants again and
# again: input validation parses a `date-time` input, then `before`/`after` parse it once per row
# that compares it. Parsing (~1 µs) becomes a dict look-up. Bounded: emptied when full, so a
# stream of distinct texts costs one parse each, as without it. Only date-times with an offset are
# kept; datetimes are immutable, so sharing them is safe.
_MOMENTS: dict[str, _dt.datetime] = {}
_from_iso = _dt.datetime.fromisoformat
MAX_MOMENTS = 4096


def aware(text: str) -> _dt.datetime | None:
    """The offset-aware date-time of an RFC 3339 text (see `engine.model.dates`), or None (memoized).

    ``text`` is a plain ``str``, not a subclass, whose hashing and equality could be its own."""
    return _MOMENTS.get(text) or _learn(text)


def _learn(text: str) -> _dt.datetime | None:
    """``aware`` for a text not in the memo: parse it, and keep it when it is an instant."""
    if len(text) <= 10:  # a date, as `_parse` reads it (never kept: it is no instant)
        return None
    moment = None
    # parse_datetime's first step, without its call (a batch learns a text or two per line): the
    # commonest form, read by `fromisoformat` as is; anything else, or what it refuses, the full way
    if _dates._READS_Z and type(text) is str and _dates._common_date_time(text) is not None:
        try:
            moment = _from_iso(text)
        except ValueError:
            pass
    if moment is None:
        try:
            moment = _dates.parse_datetime(text)
        except ValueError:  # NoOffset included
            return None
    if len(_MOMENTS) >= MAX_MOMENTS:
        _MOMENTS.clear()
    _MOMENTS[text] = moment
    return moment


def _pair(a: Any, b: Any, name: str) -> tuple[Any, Any]:
    # The common case first, two offset-aware date-times (memoized, see `aware`), without building
    # error messages: `before`/`after` run once per decision row in batches. Anything else,
    # including every failure, takes the checked way, which says what is wrong.
    if type(a) is str and type(b) is str:
        # or two plain dates seen before (`days_between(first_enrolled_on, at)`): parsing them costs
        # more than the rest of a decision whose first row answers
        first, second = _DAYS.get(a), _DAYS.get(b)
        if first is None or second is None:
            first, second = _MOMENTS.get(a) or _learn(a), _MOMENTS.get(b) or _learn(b)
        if first is not None and second is not None:
            return first, second
    first, second = _parse(a, f"the first argument of `{name}`"), _parse(b, f"the second argument of `{name}`")
    if isinstance(first, _dt.datetime) != isinstance(second, _dt.datetime):
        raise EvalError(f"`{name}` cannot compare a date with a date-time; use date(...) on the date-time")
    if type(first) is _dt.date and type(a) is str and type(b) is str:
        if len(_DAYS) >= MAX_MOMENTS:
            _DAYS.clear()
        _DAYS[a], _DAYS[b] = first, second
    return first, second


_DAYS: dict[str, _dt.date] = {}  # plain ISO dates already parsed, bounded as `_MOMENTS`


def _plain_day(text: str) -> _dt.date | None:
    """The date of a plain `YYYY-MM-DD` text, or None (memoized in `_DAYS`, never raises). A text
    kept there is in canonical form: its date's `isoformat()` is the text itself."""
    found = _DAYS.get(text)
    if found is None and len(text) == 10:
        try:
            found = _dates.parse_date(text)
        except ValueError:
            return None
        if len(_DAYS) >= MAX_MOMENTS:
            _DAYS.clear()
        _DAYS[text] = found
    return found


plain_day = _plain_day  # for input checks (engine.decisions.inputs): a date they accept is parsed once
# for the `date-time` input check (engine.decisions.inputs): a text is in the memo only when it was found a
# valid instant, so the check is a look-up, or a parse whose moment `before`/`after` then find
moments, learn = _MOMENTS, _learn


def days_between(a: Any, b: Any) -> int:
    """Calendar days from a's day to b's day, instants read in UTC (see `z_days_between`)."""
    return z_days_between(None, a, b)


def before(a: Any, b: Any) -> bool:
    first, second = _pair(a, b, "before")
    return bool(first < second)


def after(a: Any, b: Any) -> bool:
    first, second = _pair(a, b, "after")
    return bool(first > second)


# --- the marketplace's time ----------------------------------------------------------------------
# A decision is asked in one marketplace, and its dates are that marketplace's: a date-time input
# (with any offset) is an instant; its calendar day, the days between two moments and the day a
# deadline falls on are read in the marketplace's time zone. The zone travels in the params mapping
# (`engine.model.repository.context`) under a key no expression can name; the context helpers below
# receive that mapping first. Without one (a hand-built mapping, a unit test), UTC.

_ZONES: dict[str, _dt.tzinfo] = {}


def zone_of(ctx: Any) -> _dt.tzinfo:
    name = ctx.get(ZONE_KEY) if isinstance(ctx, dict) else None
    if not name:
        return _dt.timezone.utc
    zone = _ZONES.get(name)
    if zone is None:
        from zoneinfo import ZoneInfo

        zone = _ZONES[name] = ZoneInfo(name)
    return zone


def local_day(value: Any, what: str, zone: _dt.tzinfo | None = None) -> _dt.date:
    """The calendar day of a date, or of an instant in ``zone`` (UTC when None)."""
    if type(value) is str:  # the memos first (`aware`, `_plain_day`): a batch sees the same texts again
        day = _DAYS.get(value)
        if day is not None:
            return day
        moment = _MOMENTS.get(value) or (_learn(value) if len(value) > 10 else None)
        if moment is not None:
            return moment.astimezone(zone or _dt.timezone.utc).date()
        day = _plain_day(value)
        if day is not None:
            return day
    parsed = _parse(value, what)
    if isinstance(parsed, _dt.datetime):
        return parsed.astimezone(zone or _dt.timezone.utc).date()
    return parsed


def z_date(ctx: Any, value: Any) -> str:
    """`date(x)`: the marketplace's calendar day of an instant (a date stays itself)."""
    return local_day(value, "`date(...)`", zone_of(ctx)).isoformat()


def z_datetime(ctx: Any, value: Any) -> str:
    """`datetime(x)`: the instant, written in the marketplace's time zone."""
    return _dates.format_datetime(_moment(value, "`datetime(...)`").astimezone(zone_of(ctx)))


def z_local(ctx: Any, value: Any) -> str:
    """`local(ts)`: the same instant in the marketplace's time zone (its offset on that day)."""
    return _dates.format_datetime(_moment(value, "`local(...)`").astimezone(zone_of(ctx)))


def z_utc(ctx: Any, value: Any) -> str:
    """`utc(ts)`: the same instant in UTC, written with `Z`."""
    moment = _moment(value, "`utc(...)`").astimezone(_dt.timezone.utc)
    return moment.replace(tzinfo=None).isoformat() + "Z"


def z_time_zone(ctx: Any) -> str:
    """`time_zone()`: the IANA name of the marketplace's time zone."""
    return str(ctx.get(ZONE_KEY) or "UTC") if isinstance(ctx, dict) else "UTC"


def _finite(number: float, what: str) -> float:
    """``number`` unless it is NaN or infinity (`x * 1e308 * 10`), which no time is moved by
    (`timedelta` and `int` said "cannot convert float NaN to integer", Python's words)."""
    if not math.isfinite(number):
        raise EvalError(f"{what} must be a finite number, got `{_shown(number)}`")
    return number


def z_add_hours(ctx: Any, ts: Any, n: Any) -> str:
    """Elapsed hours (a DST night has 23 or 25 of them), the result in the marketplace's zone."""
    moment = _moment(ts, "the first argument of `add_hours`")
    hours = _finite(_number(n, "the hours of `add_hours`"), "the hours of `add_hours`")
    try:
        return _dates.format_datetime((moment + _dt.timedelta(hours=hours)).astimezone(zone_of(ctx)))
    except OverflowError:
        raise EvalError(f"`add_hours({_shown(ts)}, {_shown(n)})` leaves the calendar") from None


def z_add_days(ctx: Any, d: Any, n: Any) -> str:
    """Calendar days: a date stays a date; a date-time moves on the marketplace's wall clock (the
    same local time n days later, whatever DST does in between), in the marketplace's zone."""
    start = _parse(d, "the first argument of `add_days`")
    if isinstance(start, _dt.datetime):
        start = start.astimezone(zone_of(ctx))  # aware arithmetic in a ZoneInfo zone is wall-clock
    days = _finite(_number(n, "the days of `add_days`"), "the days of `add_days`")
    if not isinstance(start, _dt.datetime) and days != int(days):
        raise EvalError(f"`add_days` on a date needs whole days, got `{_shown(n)}`")
    try:
        moved = start + _dt.timedelta(days=days)
    except OverflowError:
        raise EvalError(f"`add_days({_shown(d)}, {_shown(n)})` leaves the calendar") from None
    if isinstance(moved, _dt.datetime):  # a wall time skipped by a DST night becomes the real instant
        return _dates.format_datetime(moved.astimezone(_dt.timezone.utc).astimezone(moved.tzinfo))
    return moved.isoformat()


def z_days_between(ctx: Any, a: Any, b: Any) -> int:
    """Calendar days from a's day to b's day in the marketplace's time zone (negative when b is
    earlier); a date and a date-time may be mixed."""
    zone = zone_of(ctx)
    first = local_day(a, "the first argument of `days_between`", zone)
    second = local_day(b, "the second argument of `days_between`", zone)
    return (second - first).days


def param_on(ctx: Any, name: str, day: Any) -> Any:
    """`param_on('NAME', d)`: the value parameter NAME had, in this marketplace, on day d (a date,
    or an instant's day in the marketplace's zone), by the same timeline `params.NAME` is read from."""
    lines = ctx.get(LINES_KEY) if isinstance(ctx, dict) else None
    if not isinstance(lines, dict) or name not in lines:
        raise EvalError(f"`param_on('{name}', ...)` needs the parameter's history, which this caller did not give")
    # a plain date is its own day (`_plain_day` keeps canonical texts only): no parse, no isoformat
    on = (
        day
        if type(day) is str and _plain_day(day) is not None
        else local_day(day, "the date given to `param_on`", zone_of(ctx)).isoformat()
    )
    chosen = lines[name][0][1]
    for start, value in lines[name][1:]:
        if start is not None and start <= on:
            chosen = value
    seen = ctx.get(SEEN_KEY)  # (only when explaining)
    if seen is not None:
        seen.append((name, on))
    return chosen


def during(moment: Any, periods: Any) -> bool:
    """`during(t, periods)`: t falls in one of the periods, each a mapping with `from` (inclusive)
    and optionally `to` (exclusive; absent or none: still open). Dates or date-times, not mixed."""
    if periods is None:
        return False
    fast = _during_instants(moment, periods)
    if fast is not None:
        return fast
    for period in _items(periods, "the periods of `during`"):
        if not isinstance(period, dict) or period.get("from") is None:
            raise EvalError("each period given to `during` must be a mapping with `from` (and optionally `to`)")
        # each read in `during`'s words (a none moment is "the first argument of `during`", not of
        # the `before` that compares it)
        at = _parse(moment, "the first argument of `during`")
        start = _parse(period["from"], "a period's `from` in `during`")
        end = None if period.get("to") is None else _parse(period["to"], "a period's `to` in `during`")
        if any(isinstance(v, _dt.datetime) != isinstance(at, _dt.datetime) for v in (start, end) if v is not None):
            raise EvalError("`during` cannot compare a date with a date-time; use date(...) on the date-time")
        if end is not None and end < start:
            raise EvalError(f"a period ends (`{period['to']}`) before it begins (`{period['from']}`)")
        if start <= at and (end is None or at < end):
            return True
    return False


def _during_instants(moment: Any, periods: Any) -> bool | None:
    """`during` when the moment and every bound are offset-aware date-time texts (the memo of
    `aware`) and every period is well formed; None for anything else, which the checked way
    answers or refuses with its message."""
    if type(moment) is not str or type(periods) is not list:
        return None
    at = _MOMENTS.get(moment) or _learn(moment)
    if at is None:
        return None
    for period in periods:
        if type(period) is not dict:
            return None
        start, end = period.get("from"), period.get("to")
        if type(start) is not str or (end is not None and type(end) is not str):
            return None
        first = _MOMENTS.get(start) or _learn(start)
        last = None if end is None else (_MOMENTS.get(end) or _learn(end))
        if first is None or (end is not None and (last is None or last < first)):
            return None
        # the first period that holds the moment answers, as in the checked way, which has looked
        # at the periods above it only (they were well formed here too)
        if first <= at and (last is None or at < last):
            return True
    return False


def h_min(*values: Any) -> Any:
    return f_min(values[0] if len(values) == 1 else list(values))


def h_max(*values: Any) -> Any:
    return f_max(values[0] if len(values) == 1 else list(values))


# name -> (function, min args, max args or None for any number); the only callables an expression
# can reach. Arity is checked at compile time so a wrong call is an E003, not a runtime failure.
# The arity counts the arguments an author writes; a context helper also receives the params
# mapping first (see "the marketplace's time" above).
HELPERS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "tier": (tier, 2, 2),
    "percent": (percent, 2, 2),
    "date": (z_date, 1, 1),
    "datetime": (z_datetime, 1, 1),
    "local": (z_local, 1, 1),
    "utc": (z_utc, 1, 1),
    "time_zone": (z_time_zone, 0, 0),
    "add_hours": (z_add_hours, 2, 2),
    "add_days": (z_add_days, 2, 2),
    "days_between": (z_days_between, 2, 2),
    "before": (before, 2, 2),
    "after": (after, 2, 2),
    "during": (during, 2, 2),
    "param_on": (param_on, 2, 2),
    "min": (h_min, 1, None),
    "max": (h_max, 1, None),
}
CONTEXT_HELPERS = frozenset(
    ("date", "datetime", "local", "utc", "time_zone", "add_hours", "add_days", "days_between", "param_on")
)

# name -> (function, min extra args, max extra args)
FILTERS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "length": (f_length, 0, 0),
    "lower": (f_lower, 0, 0),
    "upper": (f_upper, 0, 0),
    "round": (f_round, 0, 1),
    "abs": (f_abs, 0, 0),
    "default": (f_default, 0, 1),
    "min": (f_min, 0, 0),
    "max": (f_max, 0, 0),
    "sum": (f_sum, 0, 0),
}

TESTS = ("none", "defined", "number", "string")


def own(value: Any) -> Any:
    """An output's list or mapping as the caller's own: an expression may give a parameter's
    (`= params.categories`), which a caller's change would change for every later answer."""
    return _copy.deepcopy(value) if type(value) in (list, dict) else value


# The globals of generated code. No builtins: a name not listed here cannot be reached.
RUNTIME: dict[str, Any] = {
    "__builtins__": {},
    "_get": get,
    "_has": has,
    "_add": add,
    "_mul": mul,
    "_mod": mod,
    "_pow": power,
    "_concat": concat,
    "_t_number": t_number,
    "_t_string": t_string,
    "_own": own,
    **{f"_h_{name}": fn for name, (fn, _, _) in HELPERS.items()},
    **{f"_f_{name}": fn for name, (fn, _, _) in FILTERS.items()},
}
