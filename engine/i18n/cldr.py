"""Locale-aware formatting of facts with CLDR data, through Babel.

Every number, amount, percentage, date, duration, list and language or country name a page shows
goes through here, so pages never format a fact by hand. Functions take the locale as a BCP 47
tag (`en`, `it`, `zh-Hans`), as marketplaces.yaml writes it.

Three gaps in Babel's use of CLDR are filled here:
- unit patterns: CLDR lets a `long` pattern inherit from `short` (root.xml aliases the lengths);
  Babel looks only at the requested length, so `it` and `zh-Hans` would print "90 duration-day";
- list joining: the conjunction changes before some sounds (Italian euphonic "ed" before a word
  starting with "e", Spanish "y" → "e" before "i"/"hi" and "o" → "u" before "o"/"ho"), which ICU
  applies on top of the CLDR patterns and Babel does not;
- the first day of the month: Italian writes it as an ordinal ("1º luglio 2023", "il 1º febbraio")
  and French too ("1er juillet 2023"), where CLDR's date patterns have a plain number.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache, wraps
from typing import Any, ParamSpec, Protocol, TypeVar, cast
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as _dates
from babel import numbers as _numbers

from engine.i18n.source import SOURCE_LOCALE as SOURCE_LOCALE  # defined without Babel: validate reads it
from engine.model.dates import parse_date, parse_datetime
from engine.model.policy import DURATION_UNITS as DURATION_UNITS  # (a parameter's `format` names them too)
from engine.problems import kind_of

# Memos. A site build formats the same few thousand values in the same few locales over and over
# (~90 calls per page, each 20-40 µs in Babel), so every formatting function below keeps its
# answers, keyed by everything the answer depends on: the locale tag, the options and the value.
# Only exact `str`/`int`/`float`/`Decimal`/`date` values are keyed (any other type takes the
# uncached path, which also raises the errors), numbers by their exact decimal text (so 1, 1.0,
# Decimal("1.00") and -0.0 stay apart, as they format differently), and a memo holds only the
# immutable strings it returned. Each memo is bounded (LRU); `clear_memos()` empties them.
_MEMO_SIZE = 16384
_NUMBERS = (int, float, Decimal)


class _Memo(Protocol):
    def cache_clear(self) -> None: ...


_MEMOS: list[_Memo] = []
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _memo(maxsize: int = _MEMO_SIZE) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    def wrap(function: Callable[_P, _R]) -> Callable[_P, _R]:
        memo = lru_cache(maxsize=maxsize)(function)
        _MEMOS.append(memo)
        # same signature: typeshed types an lru_cache wrapper's arguments only as `Hashable`
        return cast("Callable[_P, _R]", memo)

    return wrap


def _by_strings(maxsize: int) -> Callable[[Callable[_P, str]], Callable[_P, str]]:
    """Keep the answers of a function of tags and codes, for `str` arguments only; any other
    argument goes to the function itself, so it fails exactly as it would without the memo. The
    function without the memo stays reachable as `__wrapped__`."""

    def wrap(function: Callable[_P, str]) -> Callable[_P, str]:
        memo: Callable[..., str] = _memo(maxsize)(function)
        plain: Callable[..., str] = function

        @wraps(function)
        def call(*args: object) -> str:
            return memo(*args) if _strs(*args) else plain(*args)

        # callers keep the function's own signature (its functions take positional arguments only)
        return cast("Callable[_P, str]", call)

    return wrap


def _text(value: object) -> str | None:
    """The exact decimal text a number is formatted from (`_decimal(value) == Decimal(text)`, same
    exponent and sign), or None for anything that is not exactly an int, a float or a Decimal."""
    return str(value) if type(value) in _NUMBERS else None


def _strs(*values: object) -> bool:
    return all(type(v) is str for v in values)


@lru_cache(maxsize=256)  # one Locale per tag: Babel loads its CLDR data once per locale object
def locale(tag: str) -> Locale:
    """The Babel locale for a BCP 47 tag; ValueError for a tag CLDR does not know."""
    try:
        return Locale.parse(tag, sep="-")
    except Exception as e:  # UnknownLocaleError is a plain Exception subclass in some versions
        raise ValueError(f"`{tag}` is not a locale CLDR knows") from e


_REGION = re.compile(r"[A-Z]{2}|[0-9]{3}")


@lru_cache(maxsize=256)
def conventions(tag: str, country: str) -> str:
    """The locale whose conventions format numbers, amounts, percentages and dates for readers of
    the language ``tag`` in the country ``country`` (a marketplace's): CLDR's locale of both when
    it has one (`es` in `US` → `es-US`: "$1,234.50"; `en` in `DE` → `en-DE`: "1.234,50 €"), else
    ``tag`` itself (CLDR has no `it-US`: Italian conventions). A tag that names its own region
    (`pt-BR`) keeps it. Only formatting follows the country: the text's language, its plural
    rules and the words CLDR writes (units, names) stay the language's."""
    try:
        loc = locale(tag)
    except ValueError:  # (the formatting functions say so, for the tag itself)
        return tag
    if loc.territory or not _REGION.fullmatch(country):
        return tag
    try:  # Babel's constructor refuses a combination CLDR has no data for
        Locale(loc.language, territory=country, script=loc.script, variant=loc.variant)
    except Exception:  # UnknownLocaleError (a plain Exception subclass in some versions)
        return tag
    return "-".join(part for part in (loc.language, loc.script, country, loc.variant) if part)


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        shown = "null" if value is None else json.dumps(value, ensure_ascii=False, default=str)[:80]
        raise TypeError(f"expected a number, got {kind_of(value)} `{shown}`")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def number(value: object, tag: str) -> str:
    """A number with the locale's digits, grouping and decimal sign, all significant decimals kept."""
    text = _text(value)
    if text is not None and type(tag) is str:
        return _number_memo(text, tag)
    return _number(_decimal(value), tag)


def _number(amount: Decimal, tag: str) -> str:
    return _numbers.format_decimal(amount, locale=locale(tag), decimal_quantization=False)


@_memo()
def _number_memo(text: str, tag: str) -> str:
    return _number(Decimal(text), tag)


def percent(value: object, tag: str) -> str:
    """A value given in percent units (5 means 5%), e.g. "5%", "5 %", keeping its decimals."""
    share = _decimal(value) / 100  # divided here, under the caller's decimal context, not in the memo
    if type(tag) is str:
        return _percent_memo(str(share), tag)
    return _percent(share, tag)


def _percent(share: Decimal, tag: str) -> str:
    return _numbers.format_percent(share, locale=locale(tag), decimal_quantization=False)


@_memo()
def _percent_memo(text: str, tag: str) -> str:
    return _percent(Decimal(text), tag)


def money(value: object, currency: str, tag: str) -> str:
    """An amount in a currency (ISO 4217), with the currency's usual decimals: "$0.10", "0,10 $"."""
    text = _text(value)
    if text is not None and _strs(currency, tag):
        return _money_memo(text, currency, tag)
    return _money(_decimal(value), currency, tag)


def _money(amount: Decimal, currency: str, tag: str) -> str:
    return _numbers.format_currency(amount, currency, locale=locale(tag))


@_memo()
def _money_memo(text: str, currency: str, tag: str) -> str:
    return _money(Decimal(text), currency, tag)


def _moment(value: object, time_zone: str | None) -> _dt.datetime:
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(moment, _dt.datetime):
        raise TypeError(f"expected an ISO date-time, got {value!r}")
    if moment.tzinfo is None:
        raise ValueError(f"the date-time {value!r} has no time zone offset")
    return moment.astimezone(ZoneInfo(time_zone)) if time_zone else moment


def date(value: Any, tag: str, form: str = "long", time_zone: str | None = None) -> str:  # any value: `type()` checked
    """An ISO date as the locale writes it: "July 1, 2023", "1º luglio 2023". A date-time gives the
    date it falls on in ``time_zone``."""
    # exact str and date only: equal datetime objects can stand for different days in a zone
    if type(value) in (str, _dt.date) and _strs(tag, form) and (time_zone is None or type(time_zone) is str):
        return _date_memo(value, tag, form, time_zone)
    return _date(value, tag, form, time_zone)


@_memo()
def _date_memo(value: str | _dt.date, tag: str, form: str, time_zone: str | None) -> str:
    return _date(value, tag, form, time_zone)


def _date(value: object, tag: str, form: str, time_zone: str | None) -> str:
    if isinstance(value, str) and len(value) > 10:  # a date-time, as engine.model.dates tells them apart
        value = _moment(value, time_zone).date()
    elif isinstance(value, str):
        value = parse_date(value)
    if not isinstance(value, _dt.date):
        raise TypeError(f"expected an ISO date, got {value!r}")
    return _format_day(value, form, locale(tag))


# The first day of a month as the language writes it in a date whose month is a word; every other
# day is CLDR's number. (CLDR has no ordinal days: its Italian "1 luglio" is Babel's and ICU's.)
_FIRST_OF_MONTH = {"it": "1º", "fr": "1er"}
_QUOTED = re.compile(r"('[^']*')")
_DAY_FIELD = re.compile(r"(?<!d)d(?!d)")


def _format_day(day: _dt.date, form: str, loc: Locale) -> str:
    first = _FIRST_OF_MONTH.get(loc.language) if day.day == 1 else None
    pattern = loc.date_formats.get(form) if first else None
    if first is None or pattern is None or "MMM" not in pattern.pattern:
        return _dates.format_date(day, format=form, locale=loc)
    # the day field (`d`, not `dd`) outside quoted literals becomes the quoted ordinal
    parts = _QUOTED.split(pattern.pattern)
    ordinal = "".join(p if i % 2 else _DAY_FIELD.sub(f"'{first}'", p) for i, p in enumerate(parts))
    return _dates.format_date(day, format=ordinal, locale=loc)


def day_and_month(value: str, tag: str, skeleton: str = "MMMMd") -> str:
    """An ISO date's day and month as the locale writes them without the year, by CLDR's skeleton
    ``skeleton`` (`MMMMd`: "March 1", "1. März", "3月1日"; `MMMd`: "Mar 1"); `yMd`, its figures with
    the year in full ("7/1/2023", "1.7.2023", "2023/7/1": none of CLDR's four date forms)."""
    loc = locale(tag)
    pattern = loc.datetime_skeletons.get(skeleton)
    if pattern is None:
        raise ValueError(f"{tag} has no date form `{skeleton}`")
    return _dates.format_date(parse_date(value), format=pattern.pattern, locale=loc)


def datetime(value: Any, tag: str, time_zone: str, form: str = "full") -> str:  # any value: `_strs` checks it
    """An ISO date-time in ``time_zone``: the date in ``form`` and the time in the short form,
    joined by the locale's pattern: "Friday, March 1, 2024, 5:00 PM"."""
    if _strs(value, tag, time_zone, form):
        return _datetime_memo(value, tag, time_zone, form)
    return _datetime(value, tag, time_zone, form)


@_memo()
def _datetime_memo(value: str, tag: str, time_zone: str, form: str) -> str:
    return _datetime(value, tag, time_zone, form)


def _datetime(value: object, tag: str, time_zone: str, form: str) -> str:
    moment = _moment(value, time_zone)
    loc = locale(tag)
    day = _format_day(moment.date(), form, loc)
    clock = _dates.format_time(moment, format="short", tzinfo=moment.tzinfo, locale=loc)
    return str(loc.datetime_formats.get("medium", "{1} {0}")).replace("{1}", day).replace("{0}", clock)


@_by_strings(1024)
def time_zone_name(time_zone: str, tag: str) -> str:
    """The generic name of a time zone: "Pacific Time", "Ora del Pacifico USA"."""
    # the generic name: Babel looks at no date for it (no `now`), so it is a function of the two tags
    return str(_dates.get_timezone_name(ZoneInfo(time_zone), width="long", zone_variant="generic", locale=locale(tag)))


_LENGTHS = {"long": ("long", "short"), "short": ("short",), "narrow": ("narrow", "short")}


def unit(value: object, unit_id: str, tag: str, length: str = "long", numbers: str | None = None) -> str:
    """A measure with its CLDR unit pattern chosen by plural category: "90 days", "90 giorni", "90天".
    The number is written by the conventions of ``numbers`` (`conventions`; default ``tag``), the
    unit's words and plural rule are the language's."""
    numbers = tag if numbers is None else numbers
    text = _text(value)
    if text is not None and _strs(unit_id, tag, length, numbers):
        return _unit_memo(text, unit_id, tag, length, numbers)
    locale(tag)  # an unknown locale is reported before a bad value, as _unit does
    return _unit(_decimal(value), unit_id, tag, length, numbers)


@_memo()
def _unit_memo(text: str, unit_id: str, tag: str, length: str, numbers: str) -> str:
    return _unit(Decimal(text), unit_id, tag, length, numbers)


def _unit(amount: Decimal, unit_id: str, tag: str, length: str, numbers: str | None = None) -> str:
    loc = locale(tag)
    shown = number(amount, tag if numbers is None else numbers)
    category = loc.plural_form(amount)
    patterns = loc._data["unit_patterns"].get(unit_id)
    if patterns is None:
        raise ValueError(f"`{unit_id}` is not a CLDR unit")
    for name in _LENGTHS.get(length, (length,)):
        forms = patterns.get(name, {})
        pattern = forms.get(category) or forms.get("other")
        if pattern:
            return str(pattern).format(shown)
    raise ValueError(f"CLDR has no `{length}` pattern for `{unit_id}` in `{tag}`")


def unit_words(unit_id: str, tag: str) -> tuple[str, ...]:
    """The words a CLDR unit writes next to its number in ``tag``, in every plural form of its
    long and short patterns: ("mes", "meses", "m.") for `duration-month` in `es`."""
    patterns = locale(tag)._data["unit_patterns"].get(unit_id)
    if patterns is None:
        raise ValueError(f"`{unit_id}` is not a CLDR unit")
    words = {
        str(pattern).replace("{0}", " ").strip()
        for length in ("long", "short")
        for category, pattern in patterns.get(length, {}).items()
        if category != "per"
    }
    return tuple(sorted(w for w in words if w))


def currency_symbols(code: str, tag: str) -> tuple[str, ...]:
    """What ``tag`` writes next to an amount in the currency ``code``: its symbol as `money` shows
    it ("US$" in `es`), and CLDR's symbol for it."""
    shown = re.sub(r"[\d\s.,'\u00a0\u202f\u066b\u066c-]", "", money(1, code, tag))
    return tuple(sorted({shown, str(_numbers.get_currency_symbol(code, locale=locale(tag)))} - {""}))


def duration(value: object, unit_name: str, tag: str, length: str = "long", numbers: str | None = None) -> str:
    """A duration in one unit (`day`, `hour`, ...): "24 hours", "24 ore", "24 Stunden"; the number
    by the conventions of ``numbers``, as in `unit`."""
    if unit_name not in DURATION_UNITS:
        raise ValueError(f"`{unit_name}` is not a duration unit ({', '.join(DURATION_UNITS)})")
    return unit(value, f"duration-{unit_name}", tag, length, numbers)


# Sound-dependent conjunctions: (language, conjunction, regex the next item starts with, replacement).
_EUPHONY: tuple[tuple[str, str, str, str], ...] = (
    ("it", " e ", r"[eEéÉèÈ]", " ed "),
    ("es", " y ", r"(?:[iI]|[hH][iI])(?![aeouáéóúAEOU])", " e "),
    ("es", " o ", r"(?:[oOóÓ]|[hH][oOóÓ])", " u "),
)


def _join(pattern: str, first: str, second: str, language: str) -> str:
    for lang, word, starts, replacement in _EUPHONY:
        if lang == language and word in pattern and re.match(starts, second):
            pattern = pattern.replace(word, replacement)
    return pattern.replace("{0}", first, 1).replace("{1}", second, 1)


def join(items: Sequence[str], tag: str, style: str = "standard") -> str:
    """Items joined as the locale lists them: "a, b, and c" (style `standard`) or "a or b" (`or`)."""
    texts = tuple(str(i) for i in items)
    if _strs(tag, style) and sum(map(len, texts)) <= 4096:  # the memo keeps short lists only
        return _join_memo(texts, tag, style)
    return _join_all(texts, tag, style)


@_memo(4096)
def _join_memo(items: tuple[str, ...], tag: str, style: str) -> str:
    return _join_all(items, tag, style)


def _join_all(items: tuple[str, ...], tag: str, style: str) -> str:
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    loc = locale(tag)
    patterns = loc.list_patterns.get(style)
    if patterns is None:
        raise ValueError(f"`{style}` is not a CLDR list style")
    language = loc.language
    if len(items) == 2:
        return _join(patterns["2"], items[0], items[1], language)
    text = _join(patterns["end"], items[-2], items[-1], language)
    for item in reversed(items[1:-2]):
        text = _join(patterns["middle"], item, text, language)
    return _join(patterns["start"], items[0], text, language)


# Languages that capitalize nouns: a label used inside a sentence keeps its capital there.
_NOUN_CAPITALS = frozenset(("de", "lb"))

# Articles, by language, that begin a label as the determiner of what follows ("Il Servizio Clienti
# di Amazon gestisce...", "El Servicio de Atención al Cliente..."): lower case inside a sentence, as
# any other word that is not a name; an elided one ends with its apostrophe ("L'Ufficio...").
_ARTICLES: dict[str, frozenset[str]] = {
    "en": frozenset(("the", "a", "an")),
    "es": frozenset(("el", "la", "los", "las", "lo", "un", "una", "unos", "unas")),
    "it": frozenset(("il", "lo", "la", "i", "gli", "le", "un", "uno", "una", "l'", "un'")),
    "fr": frozenset(("le", "la", "les", "un", "une", "des", "l'")),
    "pt": frozenset(("o", "a", "os", "as", "um", "uma", "uns", "umas")),
    "ca": frozenset(("el", "la", "els", "les", "un", "una", "uns", "unes", "l'")),
    "nl": frozenset(("de", "het", "een")),
}


def in_sentence(text: str, tag: str) -> str:
    """A display label ("Phone", "Telefono") as it reads inside a sentence ("phone", "telefono").

    Only the first letter changes, only when the first word is capitalized and otherwise lower
    case and the second word is not capitalized (so "FBA", "iPad", "Seller Central", "Amazon
    Customer Service" stay), and never in languages that capitalize nouns. A first word that is
    an article ("Il Servizio Clienti di Amazon gestisce...", "El Servicio...", "L'Ufficio...") is
    lowered before a name too ("il Servizio Clienti di Amazon"), unless every word of the label is
    capitalized: then the label is a name and the article part of it ("Los Angeles", "La Poste").
    Templates apply it to common-noun labels only: a one-word proper name ("Amazon") cannot be
    told from a common noun, nor a name whose article is part of it from one that follows an
    article once the label goes on ("La Poste livre..." would read "la Poste livre...").
    """
    words = text.split()
    if locale(tag).language in _NOUN_CAPITALS or not words:
        return text
    first = words[0]
    capitalized = first[0].isupper() and first[1:] == first[1:].lower()
    if capitalized and len(first) > 1 and not (len(words) > 1 and words[1][:1].isupper()):
        return text[0].lower() + text[1:]
    if _article(first, tag) and not all(w[:1].isupper() for w in _after_article(words, tag)):
        return text[0].lower() + text[1:]
    return text


def _article(word: str, tag: str) -> bool:
    """Whether ``word`` is a capitalized article of the language of ``tag`` ("Il", "El"), or
    begins with an elided one ("L'Ufficio")."""
    articles = _ARTICLES.get(locale(tag).language, frozenset())
    capitalized = word[0].isupper() and word[1:] == word[1:].lower()
    return (capitalized and word.lower() in articles) or _elided(word, tag)


def _elided(word: str, tag: str) -> bool:
    """Whether ``word`` begins with an elided article and its apostrophe: "L'Ufficio", "L’Ufficio"."""
    head, mark, rest = word.replace("\u2019", "'").partition("'")
    return bool(mark and rest and head[:1].isupper() and head[1:] == head[1:].lower()) and (
        f"{head.lower()}'" in _ARTICLES.get(locale(tag).language, frozenset())
    )


def _after_article(words: list[str], tag: str) -> list[str]:
    """The words of a label after its first, an article (after the apostrophe of an elided one)."""
    rest = words[0].replace("\u2019", "'").partition("'")[2] if _elided(words[0], tag) else ""
    return ([rest] if rest else []) + words[1:]


def plural_category(value: object, tag: str) -> str:
    """The CLDR plural category (`one`, `other`, ...) of a number in a locale."""
    text = _text(value)
    if text is not None and type(tag) is str:
        return _plural_memo(text, tag)
    return str(locale(tag).plural_form(_decimal(value)))


@_memo()
def _plural_memo(text: str, tag: str) -> str:
    return str(locale(tag).plural_form(Decimal(text)))


@_by_strings(4096)
def language_name(code: str, tag: str) -> str:
    """The name of a language (ISO 639 code or BCP 47 tag) in the locale `tag`: "inglese"."""
    name = locale(code).get_display_name(locale(tag))
    if not name:
        raise ValueError(f"CLDR has no name for the language `{code}` in `{tag}`")
    return str(name)


def autonym(tag: str) -> str:
    """A language's name in itself: "italiano", "Deutsch", "中文（简体）"."""
    return language_name(tag, tag)


@_by_strings(4096)
def country_name(code: str, tag: str) -> str:
    """The name of a country or region (ISO 3166) in the locale `tag`: "Stati Uniti"."""
    name = locale(tag).territories.get(code)
    if not name:
        raise ValueError(f"CLDR has no name for the region `{code}` in `{tag}`")
    return str(name)


_COLLATOR: Any = None  # a pyuca Collator (pyuca is untyped)


def collation_key(text: str) -> tuple[int, ...]:
    """The Unicode Collation Algorithm's sort key (root collation, pyuca): "Österreich" sorts with
    the O's, before "Tschechien", not after "Z" as code points would have it. Han characters sort
    in the root order (by radical and stroke), not by pinyin."""
    global _COLLATOR
    if _COLLATOR is None:
        from pyuca import Collator  # ~0.2 s to read its table: only for pages that sort names

        _COLLATOR = Collator()
    return tuple(_COLLATOR.sort_key(text))


@_by_strings(1024)
def currency_name(code: str, tag: str) -> str:
    return str(_numbers.get_currency_name(code, locale=locale(tag)))


@_by_strings(256)
def text_direction(tag: str) -> str:
    """`ltr` or `rtl`, for the HTML `dir` attribute."""
    return "rtl" if locale(tag).character_order == "right-to-left" else "ltr"


def hreflang(tag: str, country: str) -> str:
    """A language for readers in one country, as HTML's hreflang wants it: `it-US`, `zh-Hans-DE`."""
    return f"{tag}-{country}"


def clear_memos() -> None:
    """Empty every formatting memo (tests; a long-lived process that wants its memory back)."""
    for memo in _MEMOS:
        memo.cache_clear()
