"""What compiled expressions may call: the documented helpers, filters, tests and guarded operators.

Generated code runs with no builtins; this module's ``RUNTIME`` mapping is the whole of its world.
Every failure a policy can provoke is raised as ``EvalError`` (or is a plain ``TypeError`` /
``ZeroDivisionError`` from an operator), which ``engine.decide`` turns into a D005 problem.

Dates: ``date`` / ``datetime`` accept the forms of ``engine.dates`` (`YYYY-MM-DD`, RFC 3339
date-times), the same on every Python version. A date-time without a time-zone offset is
**rejected** (not assumed UTC): a policy deadline that silently moves by the marketplace's offset
is worse than an error telling the author to add ``Z`` or ``+01:00``.
"""

from __future__ import annotations

import datetime as _dt
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, TypeVar

from engine import dates as _dates

# Bounds on what one expression may build, so `"a" * 10**9` or `9 ** 9 ** 9` fail fast instead of
# exhausting memory or CPU. Policy values are prices, counts and short texts, far below these.
MAX_ITEMS = 100_000  # characters of a string or items of a list
MAX_INT_BITS = 4096  # about 1,230 decimal digits

_NUMBER = (int, float)
_T = TypeVar("_T")


class EvalError(Exception):
    """An expression cannot be evaluated with these values; the message is for policy authors."""


def kind(value: Any) -> str:
    """The policy-author name of a value's type, for messages."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, _NUMBER):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return "value"


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER) and not isinstance(value, bool)


def _number(value: Any, what: str) -> float:
    if not _is_number(value):
        raise EvalError(f"{what} must be a number, got {kind(value)} `{value!r}`")
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
        raise EvalError(f"a list index must be a whole number, got {kind(key)} `{key!r}`")
    raise EvalError(f"cannot read `{key}` of {kind(obj)} `{obj!r}`: only mappings and lists have keys")


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


def _int_fits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise EvalError(f"number too large (about {bits} bits; the limit is {MAX_INT_BITS})")


def add(a: Any, b: Any) -> Any:
    if type(a) in _NUMBER and type(b) in _NUMBER:  # the common case, kept cheap
        return a + b
    if isinstance(a, (str, list, tuple)) and isinstance(b, (str, list, tuple)):
        if len(a) + len(b) > MAX_ITEMS:
            raise EvalError(f"result too large: {len(a) + len(b)} items (the limit is {MAX_ITEMS})")
    return a + b


def mul(a: Any, b: Any) -> Any:
    if type(a) is float or type(b) is float:
        return a * b
    if isinstance(a, int) and isinstance(b, int):
        _int_fits(a.bit_length() + b.bit_length())
        return a * b
    seq, n = (a, b) if isinstance(a, (str, list, tuple)) else (b, a)
    if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * max(n, 0) > MAX_ITEMS:
        raise EvalError(f"result too large: {len(seq) * n} items (the limit is {MAX_ITEMS})")
    return a * b


def mod(a: Any, b: Any) -> Any:
    # `"%s" % x` would be string formatting (and `"%999999999d"` a memory bomb): numbers only
    return _number(a, "the left side of `%`") % _number(b, "the right side of `%`")


def power(a: Any, b: Any) -> Any:
    _number(a, "the base of `**`")
    _number(b, "the exponent of `**`")
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        _int_fits(a.bit_length() * b)
    result = a**b
    if isinstance(result, complex):
        raise EvalError(f"`{a!r} ** {b!r}` is not a real number")
    return result


def concat(*parts: Any) -> str:
    """`a ~ b`: as in Jinja, each side is converted to a string."""
    return _sized("".join([p if isinstance(p, str) else str(p) for p in parts]))


# --- filters ------------------------------------------------------------------------------------


def f_length(value: Any) -> int:
    if isinstance(value, (str, list, tuple, dict)):
        return len(value)
    raise EvalError(f"`length` needs a string, list or mapping, got {kind(value)} `{value!r}`")


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise EvalError(f"`{name}` needs a string, got {kind(value)} `{value!r}`")
    return value


def f_lower(value: Any) -> str:
    return _text(value, "lower").lower()


def f_upper(value: Any) -> str:
    return _text(value, "upper").upper()


def f_round(value: Any, places: Any = 0) -> int | float:
    """Half away from zero on the decimal digits (0.125 -> 0.13), as people round money.

    Python's and Jinja's `round` work on the binary float and give 0.12 here.
    """
    number = _number(value, "the value of `round`")
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 15:
        raise EvalError(f"`round` needs a whole number of places from 0 to 15, got `{places!r}`")
    if isinstance(number, int) or not math.isfinite(number):
        return number
    return float(Decimal(repr(number)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def f_abs(value: Any) -> float:
    return abs(_number(value, "the value of `abs`"))


def f_default(value: Any, fallback: Any = "") -> Any:
    return fallback if value is None else value


def _items(value: Any, name: str) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise EvalError(f"`{name}` needs a list, got {kind(value)} `{value!r}`")
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
        raise EvalError(f"`tier` needs a list of bands, each a mapping with `over` and `up_to`, got {kind(bands)}") from None
    raise EvalError(f"no band contains `{x!r}`")


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
        raise EvalError(f"{what} must be an ISO date or date-time string, got {kind(value)} `{value!r}`")
    try:
        return _dates.parse(value)
    except _dates.NoOffset as e:
        raise EvalError(str(e)) from None
    except ValueError:
        raise EvalError(f"{what} `{value}` is not an ISO 8601 date ({_dates.DATE_FORM}) or date-time "
                        f"({_dates.DATE_TIME_FORM})") from None


def _moment(value: Any, what: str) -> _dt.datetime:
    moment = _parse(value, what)
    if not isinstance(moment, _dt.datetime):
        raise EvalError(f"{what} must be a date-time with a time-zone offset, got the date `{value}`")
    return moment


def date(value: Any) -> str:
    """The ISO date of a date or date-time string (a date-time's date in its own offset)."""
    parsed = _parse(value, "`date(...)`")
    day = parsed.date() if isinstance(parsed, _dt.datetime) else parsed
    return day.isoformat()


def datetime(value: Any) -> str:
    return _moment(value, "`datetime(...)`").isoformat()


def add_hours(ts: Any, n: Any) -> str:
    moment = _moment(ts, "the first argument of `add_hours`")
    return (moment + _dt.timedelta(hours=_number(n, "the hours of `add_hours`"))).isoformat()


def add_days(d: Any, n: Any) -> str:
    """Calendar days; a date stays a date (whole days only), a date-time stays a date-time."""
    start = _parse(d, "the first argument of `add_days`")
    days = _number(n, "the days of `add_days`")
    if not isinstance(start, _dt.datetime) and days != int(days):
        raise EvalError(f"`add_days` on a date needs whole days, got `{n!r}`")
    try:
        return (start + _dt.timedelta(days=days)).isoformat()
    except OverflowError:
        raise EvalError(f"`add_days({d!r}, {n!r})` leaves the calendar") from None


# Offset-aware date-times by their text. A batch of decisions reads the same instants again and
# again: input validation parses a `date-time` input, then `before`/`after` parse it once per row
# that compares it. Parsing (~1 µs) becomes a dict look-up. Bounded: emptied when full, so a
# stream of distinct texts costs one parse each, as without it. Only date-times with an offset are
# kept; datetimes are immutable, so sharing them is safe.
_MOMENTS: dict[str, _dt.datetime] = {}
MAX_MOMENTS = 4096


def aware(text: str) -> _dt.datetime | None:
    """The offset-aware date-time of an RFC 3339 text (see `engine.dates`), or None (memoized).

    ``text`` is a plain ``str``, not a subclass, whose hashing and equality could be its own."""
    return _MOMENTS.get(text) or _learn(text)


def _learn(text: str) -> _dt.datetime | None:
    """``aware`` for a text not in the memo: parse it, and keep it when it is an instant."""
    if len(text) <= 10:  # a date, as `_parse` reads it (never kept: it is no instant)
        return None
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
        first, second = _MOMENTS.get(a) or _learn(a), _MOMENTS.get(b) or _learn(b)
        if first is not None and second is not None:
            return first, second
    first, second = _parse(a, f"the first argument of `{name}`"), _parse(b, f"the second argument of `{name}`")
    if isinstance(first, _dt.datetime) != isinstance(second, _dt.datetime):
        raise EvalError(f"`{name}` cannot compare a date with a date-time; use date(...) on the date-time")
    return first, second


def days_between(a: Any, b: Any) -> int:
    """Whole days from a to b (negative when b is earlier), truncated toward zero."""
    first, second = _pair(a, b, "days_between")
    return int((second - first) / _dt.timedelta(days=1))


def before(a: Any, b: Any) -> bool:
    first, second = _pair(a, b, "before")
    return bool(first < second)


def after(a: Any, b: Any) -> bool:
    first, second = _pair(a, b, "after")
    return bool(first > second)


def h_min(*values: Any) -> Any:
    return f_min(values[0] if len(values) == 1 else list(values))


def h_max(*values: Any) -> Any:
    return f_max(values[0] if len(values) == 1 else list(values))


# name -> (function, min args, max args or None for any number); the only callables an expression
# can reach. Arity is checked at compile time so a wrong call is an E003, not a runtime failure.
HELPERS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "tier": (tier, 2, 2),
    "percent": (percent, 2, 2),
    "date": (date, 1, 1),
    "datetime": (datetime, 1, 1),
    "add_hours": (add_hours, 2, 2),
    "add_days": (add_days, 2, 2),
    "days_between": (days_between, 2, 2),
    "before": (before, 2, 2),
    "after": (after, 2, 2),
    "min": (h_min, 1, None),
    "max": (h_max, 1, None),
}

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
    **{f"_h_{name}": fn for name, (fn, _, _) in HELPERS.items()},
    **{f"_f_{name}": fn for name, (fn, _, _) in FILTERS.items()},
}
