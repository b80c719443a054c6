"""The memos that make page rendering fast give exactly what the uncached paths give (issue 7).

engine.l10n keeps each CLDR formatting answer per (function, locale, value, options). Each fast
answer is checked here against the plain computation, over many values x locales x options, in an
order that alternates locales (a memo must not carry one locale's answer into another).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable

import pytest
from engine import l10n

TAGS = ("en", "de", "it", "fr", "es", "ja", "zh-Hans", "ar", "hi", "pt-BR", "de-CH", "en-IN", "sv", "pl")
NUMBERS: tuple[Any, ...] = (
    0, 1, -1, 2, 5, 7, 10, 21, 100, 1000, 1234, 12345678, -98765, 10**20, 2**63,
    0.0, -0.0, 1.0, 1.5, 0.1, 0.25, 2.5, 0.37, 1234.5678, -0.005, 1e16, 1e-7, 123456.789, 99.99,
    float("inf"), float("-inf"),
    Decimal("0"), Decimal("1"), Decimal("1.0"), Decimal("1.00"), Decimal("-0"), Decimal("0.10"),
    Decimal("1E+3"), Decimal("12.3400"), Decimal("-2.5"), Decimal("1234567.891"),
)


def _same(fast: Callable[[], Any], slow: Callable[[], Any]) -> None:
    """Both give the same text, or both raise the same kind of error."""
    try:
        expected: Any = slow()
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        with pytest.raises(type(e)):
            fast()
        return
    got = fast()
    assert got == expected and type(got) is type(expected)


@pytest.fixture(autouse=True)
def _empty_memos() -> None:
    l10n.clear_memos()


def test_numbers_percentages_plurals_match_babel_for_every_value_and_locale() -> None:
    for value in NUMBERS:
        for tag in TAGS:  # locales alternate for each value: one locale's answer must not serve another
            _same(lambda: l10n.number(value, tag), lambda: l10n._number(l10n._decimal(value), tag))
            _same(lambda: l10n.percent(value, tag), lambda: l10n._percent(l10n._decimal(value) / 100, tag))
            _same(lambda: l10n.plural_category(value, tag),
                  lambda: str(l10n.locale(tag).plural_form(l10n._decimal(value))))
    for _ in range(2):  # the second round is answered from the memos
        # equal values that format differently: -0.0 == 0.0 (and hash alike), yet "-0" is not "0"
        assert l10n.number(0.0, "en") == "0" and l10n.number(-0.0, "en") == "-0"
        assert l10n.number(Decimal("-0"), "en") == "-0" and l10n.number(0, "en") == "0"
        assert l10n.number(1234.5, "de") == "1.234,5" and l10n.number(1234.5, "en") == "1,234.5"
        assert l10n.number(1234.5, "fr") == "1\u202f234,5"


def test_money_units_and_durations_match_babel() -> None:
    for value in NUMBERS:
        for tag in TAGS:
            for currency in ("USD", "EUR", "JPY", "INR", "CHF"):
                _same(lambda: l10n.money(value, currency, tag), lambda: l10n._money(l10n._decimal(value), currency, tag))
            for unit in ("day", "hour", "week"):
                for length in ("long", "short", "narrow"):
                    _same(lambda: l10n.duration(value, unit, tag, length),
                          lambda: l10n._unit(l10n._decimal(value), f"duration-{unit}", tag, length))


def test_dates_datetimes_and_zone_names_match_babel() -> None:
    days = ("2024-01-01", "2024-02-29", "2023-07-01", "1999-12-31", dt.date(2024, 6, 1), dt.date(2025, 1, 31),
            "2024-03-01T00:30:00+00:00", "2024-03-01T23:30:00-08:00", "2024-10-27T01:30:00+01:00")
    zones = (None, "UTC", "America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo", "Asia/Kolkata")
    for day in days:
        for tag in TAGS:
            for form in ("long", "short", "medium", "full"):
                for zone in zones:
                    _same(lambda: l10n.date(day, tag, form, zone), lambda: l10n._date(day, tag, form, zone))
    moments = [d for d in days if isinstance(d, str) and "T" in d] + ["2024-06-01T12:00:00Z"]
    for moment in moments:
        for tag in TAGS:
            for zone in zones[1:]:
                for form in ("full", "long", "short"):
                    _same(lambda: l10n.datetime(moment, tag, zone, form), lambda: l10n._datetime(moment, tag, zone, form))
                _same(lambda: l10n.time_zone_name(zone, tag), lambda: l10n._time_zone_name(zone, tag))
    # a date-time object is never memoized: two equal moments in different zones are different days
    east = dt.datetime(2024, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    west = east.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert east == west and l10n.date(east, "en") != l10n.date(west, "en")


def test_lists_and_names_match_the_uncached_path() -> None:
    lists = ([], ["a"], ["phone", "email"], ["telefono", "e-mail"], ["uno", "otto", "hotel"], ["x", "y", "z", "w"],
             ["Telefon", "Sofortnachricht", "E-Mail"], ["a", "icono"], ["a", "b", "o", "c"])
    for items in lists:
        for tag in TAGS + ("es-MX", "it-CH"):
            for style in ("standard", "or", "unit", "nonsense"):
                _same(lambda: l10n.join(items, tag, style), lambda: l10n._join_all(tuple(items), tag, style))
    for tag in TAGS:
        for code in ("US", "DE", "IT", "JP", "BR", "IN", "ZZZ"):
            _same(lambda: l10n.country_name(code, tag), lambda: l10n._country_name(code, tag))
        for code in TAGS + ("xx",):
            _same(lambda: l10n.language_name(code, tag), lambda: l10n._language_name(code, tag))
        for code in ("USD", "EUR", "JPY"):
            _same(lambda: l10n.currency_name(code, tag),
                  lambda: str(l10n._numbers.get_currency_name(code, locale=l10n.locale(tag))))
        expected = "rtl" if l10n.locale(tag).character_order == "right-to-left" else "ltr"
        assert l10n.text_direction(tag) == expected


def test_errors_are_raised_every_time_and_never_remembered() -> None:
    for _ in range(2):
        for bad in (True, "12", None, [1], Decimal, object()):
            with pytest.raises(TypeError):
                l10n.number(bad, "en")
            with pytest.raises(TypeError):
                l10n.money(bad, "USD", "en")
        with pytest.raises(ValueError):
            l10n.number(5, "not-a-locale")
        with pytest.raises(ValueError):
            l10n.duration(5, "fortnight", "en")
        with pytest.raises(ValueError):
            l10n.date("2024-02-30", "en")
        with pytest.raises(ValueError):
            l10n.datetime("2024-03-01T10:00:00", "en", "UTC")  # no offset
    # unhashable or unusual arguments take the uncached path rather than failing in the memo
    assert l10n.number(7, "en") == "7"
    assert l10n.join(iter(["a", "b"]), "en") == "a and b"


def test_every_memo_is_bounded() -> None:
    assert l10n._MEMOS
    for memo in l10n._MEMOS + [l10n.locale]:
        assert memo.cache_parameters()["maxsize"] is not None
