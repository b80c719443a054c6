"""G006: a translation that writes one of the program's facts where its English has a placeholder.

"48 Stunden" where the English says `%(hours)s`, "0,50 €" for `%(fee)s`, "1. Januar 2025" for
`%(since)s`: the page would keep the figure when the policy changes. The facts are every value the
program's pages may state (`program_facts`); `fact_problem` says whether a text writes one that its
English does not. Dates are looked for as each language writes them, with CLDR's date patterns
of every locale the language's pages are formatted with (`formatting_locales`: "1/7/23" in `es`,
"1/7/2023" in `es-US`, the Spanish pages of a US marketplace), and its figures with the year in
full (CLDR's `yMd`: "1/7/2023" in `es` too), and as English writes it in any language, copied
from the English: in figures as US English does ("7/1/2023", `SOURCE_FIGURES`), in words month
first or day first ("July 1, 2025", "1 July 2025", "July 1": `SOURCE_WORDS`)
(engine.i18n.cldr): with the year in full or in two digits ("01.03.25"), or without it, as a day
and a month's name ("1. März", "1 marzo", "3月1日"; a day and a month in figures alone, "1/3", is
more often a fraction or a step than a date); Babel is imported only for a translation that holds
the day of a fact's date in figures.

Texts come without their placeholders (engine.i18n.catalogs.fact_problems strips them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from engine.i18n.source import SOURCE_LOCALE


class Fact(NamedTuple):
    """What a value is a value of: the parameter (or "NAME (its effective date)") and how pages show
    it: its schema's `format` (`money:EUR` with the marketplace's currency, `percent`,
    `duration-day`, ...), `date` for a date, None when nothing says."""

    name: str
    shown_as: str | None = None


Facts = Mapping[Any, Sequence[Fact]]  # a number (float) or a text (lower case) -> the facts it is a value of

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_FIGURES = re.compile(r"\d+")


def program_facts(repo: Any, program_id: str) -> dict[Any, tuple[Fact, ...]]:
    """Every value the program's pages may state, each with the facts it is a value of, in the
    program's order: numbers (but 0 and 1, too common in prose to be a figure: 0.5 and 1.5 are
    facts), e-mail addresses, URLs and dates, in every marketplace and at every effective date."""
    program = repo.programs[program_id]
    facts: dict[Any, list[Fact]] = {}
    for name, parameter in program.parameters.items():
        shown_as = parameter.shown_as
        for mp in program.marketplaces:
            marketplace = repo.marketplaces.get(mp)
            if marketplace is None:
                continue
            fact = Fact(name, f"money:{marketplace.currency}" if shown_as == "money" else shown_as)
            for entry in program.timeline(name, mp):
                _walk(facts, fact, entry.value)
                if entry.start:
                    _add(facts, entry.start, Fact(f"{name} (its effective date)", "date"))
    return {key: tuple(found) for key, found in facts.items()}


def formatting_locales(repo: Any, program_id: str) -> dict[str, tuple[str, ...]]:
    """Each language of the program's marketplaces -> the locales its pages' numbers, amounts and
    dates may be written in: the language's own, then its conventions in the country of each
    marketplace of the program that offers it (engine.i18n.cldr.conventions: `es` in a US
    marketplace, `es-US`), in the program's order; what a translator may copy from a page."""
    from engine.i18n import cldr

    program = repo.programs[program_id]
    found: dict[str, dict[str, None]] = {}
    for mp in program.marketplaces:
        marketplace = repo.marketplaces.get(mp)
        if marketplace is None:
            continue
        for tag in marketplace.locales:
            found.setdefault(tag, {tag: None})[cldr.conventions(tag, marketplace.country)] = None
    return {tag: tuple(locales) for tag, locales in found.items()}


def _add(facts: dict[Any, list[Fact]], key: Any, fact: Fact) -> None:
    known = facts.setdefault(key, [])
    if fact not in known:
        known.append(fact)


def _walk(facts: dict[Any, list[Fact]], fact: Fact, value: Any) -> None:
    """Add to ``facts`` each value in ``value`` (a parameter's, at one date) that pages may state."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        if value > 0 and value != 1:
            _add(facts, float(value), fact)
    elif isinstance(value, str):
        if "@" in value or "://" in value:
            _add(facts, value.lower(), fact)
        elif _ISO_DAY.fullmatch(value):
            _add(facts, value, Fact(fact.name, "date"))
    elif isinstance(value, dict):
        for v in value.values():
            _walk(facts, fact, v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _walk(facts, fact, v)


def fact_problem(
    english: Sequence[str], translation: str, facts: Facts, tag: str, formats: Sequence[str] = ()
) -> str | None:
    """Whether ``translation`` (in the locale ``tag``) writes one of ``facts`` that its English
    leaves to a placeholder: why, or None. Units and dates are looked for as ``tag`` writes them
    and as each locale of ``formats`` does (the conventions its pages are formatted with,
    `formatting_locales`: `es-US`)."""
    found = fact_found(english, translation, facts, tag, formats)
    return None if found is None else found[0]


def fact_found(
    english: Sequence[str], translation: str, facts: Facts, tag: str, formats: Sequence[str] = ()
) -> tuple[str, int] | None:
    """`fact_problem`'s answer and where in ``translation`` the fact is written (the index of its
    first character), or None."""
    locales = tuple(dict.fromkeys((tag, *formats)))
    english_numbers = {value for text in english for value, _, _ in numbers(text)}
    for value, start, end in numbers(translation):
        found = facts.get(value)
        if found and value not in english_numbers:
            written, shown = translation[start:end], str(int(value) if value == int(value) else value)
            said = f"`{written}`" if written == shown else f"`{written}` ({shown})"
            why = f"the translation states {said}, {_of(_blamed(found, translation, start, end, locales))}{_WHERE}"
            return why, start
    for address, start in addresses_at(translation):
        found = facts.get(address.lower().rstrip("."))
        if found and not any(address in e for e in english):
            return f"the translation states `{address}`, {_of(found)}{_WHERE}", start
    # (in an English text, English's own words are its own forms: "1: march on" is no date there)
    words = () if _language(tag) == _language(SOURCE_LOCALE) else SOURCE_WORDS
    for written, day, with_year, start in _dates(translation, facts, locales, SOURCE_FIGURES, words):
        if any(_writes_date(e, day, (*locales, *SOURCE_WORDS)) for e in english):
            continue
        if with_year:
            return f"the translation states the date `{written}` ({day}), {_of(facts[day])}{_WHERE}", start
        # the day and month of every date of the facts that has them
        days = [d for d in facts if isinstance(d, str) and _ISO_DAY.fullmatch(d) and d[4:] == day[4:]]
        found = list(dict.fromkeys(f for d in days for f in facts[d]))
        why = f"the translation states the date `{written}` ({' and '.join(days)}, without the year), {_of(found)}"
        return why + _WHERE, start
    return None


_WHERE = ", where the English states none (a placeholder keeps it current)"

# whose dates in figures alone a translation may copy, whatever its own language and marketplace:
# the English's ("7/1/2023", "7/1/23": July 1 as US English writes it, which a page in a language
# that puts the day first would have its readers take for January 7)
SOURCE_FIGURES = (SOURCE_LOCALE,)
# whose dates in words a translation may copy, whatever its own language and marketplace: English's
# with the month first ("July 1, 2025", "Jul 1, 2025", "July 1": US English, CLDR's `en`) and with
# the day first and the year ("1 July 2025": CLDR's world English, `en-001`, as the English pages of
# most marketplaces outside the US write it); the months' names are CLDR's. Not in a translation
# into English itself, whose own forms these are (with its common words: "1: march on", "may 1")
SOURCE_WORDS = (SOURCE_LOCALE, "en-001")


def _language(tag: str) -> str:
    return tag.replace("_", "-").split("-")[0].lower()


def _of(found: Sequence[Fact]) -> str:
    names = list(dict.fromkeys(f.name for f in found))
    if len(names) == 1:
        return f"a value of the fact `{names[0]}`"
    return "a value of the facts " + ", ".join(f"`{n}`" for n in names[:-1]) + f" and `{names[-1]}`"


# -- numbers ------------------------------------------------------------------------------------

_NUMBER = re.compile(r"\d{1,3}(?:[.,\u00a0\u202f' ]\d{3})+(?![\d])|\d+(?:[.,]\d+)?")


def numbers(text: str) -> Iterator[tuple[float, int, int]]:
    """The numbers a text may be writing, in any locale's grouping and decimal sign, each with its
    place: `1.000` is 1000 or 1.0, `8,00` is 8 or 800, `0,50` is 0.5 or 50 (a false reading only
    matters when it equals a fact)."""
    for match in _NUMBER.finditer(text):
        token = match.group()
        readings = [float(re.sub(r"\D", "", token))]
        if len(re.findall(r"[.,]", token)) == 1 and not re.search(r"[\u00a0\u202f' ]", token):
            readings.append(float(token.replace(",", ".")))
        for value in dict.fromkeys(readings):
            yield value, match.start(), match.end()


def _blamed(found: Sequence[Fact], text: str, start: int, end: int, locales: Sequence[str]) -> Sequence[Fact]:
    """The facts a figure at ``text[start:end]`` is a value of: when it is a value of several,
    the one whose unit the words next to it write ("3 meses": the fact shown in months, not a tier
    of units), if exactly one does; all of them otherwise."""
    if len({f.name for f in found}) < 2:
        return found
    matching = [f for f in found if f.shown_as and any(_unit_next_to(text, start, end, f.shown_as, t) for t in locales)]
    return matching if len({f.name for f in matching}) == 1 else found


def _unit_next_to(text: str, start: int, end: int, shown_as: str, tag: str) -> bool:
    """Whether the words right before or after the figure at ``text[start:end]`` write the unit of
    a value shown as ``shown_as`` in ``tag``: a currency's symbol or code, `%`, a duration's CLDR
    unit ("meses", "Monate", "个月")."""
    before = text[max(0, start - 12) : start].rstrip().casefold()
    after = text[end : end + 24].lstrip().casefold()
    for word in _unit_words(shown_as, tag):
        if after.startswith(word) and not _joined(word[-1], after[len(word) : len(word) + 1]):
            return True
        if before.endswith(word) and not _joined(before[-len(word) - 1 : -len(word)], word[0]):
            return True
    return False


def _joined(first: str, second: str) -> bool:
    """Whether two characters are letters of one word ("mes" in "meses"); never in scripts
    written without spaces between words (个月 in 个月免费)."""
    return first.isalpha() and second.isalpha() and first < "\u2e80" and second < "\u2e80"


@functools.lru_cache(maxsize=1024)
def _unit_words(shown_as: str, tag: str) -> tuple[str, ...]:
    """The texts a value shown as ``shown_as`` has next to its number in ``tag``, lower case."""
    from engine.i18n import cldr

    words: set[str] = set()
    try:
        if shown_as == "percent":
            words |= {"%", "％", "٪"}
        elif shown_as.startswith("money:"):
            code = shown_as.partition(":")[2]
            words |= {code, *cldr.currency_symbols(code, tag)}
        elif shown_as.startswith("duration-"):
            words |= set(cldr.unit_words(shown_as, tag))
    except ValueError:  # a locale or currency CLDR does not know: no unit to tell facts apart by
        return ()
    return tuple(sorted((w.strip().casefold() for w in words if w.strip()), key=len, reverse=True))


# -- addresses ----------------------------------------------------------------------------------

# An e-mail address or a URL. Each alternative is tried only where a run of the characters it
# starts with begins (the lookbehinds): tried at every position, a run of n such characters that
# ends without `@` or `://` cost n + (n - 1) + ... steps (a 60,000-character Chinese translation,
# all `\w`, took `validate` 13 s). The matches are the same: a match inside a run would also match
# from the run's start (a URL from the run's first letter: `url` leaves the digits before it out).
_ADDRESS = re.compile(
    r"(?<![\w.+-])(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?<![a-z0-9+.-])[0-9+.-]*(?P<url>[a-z][a-z0-9+.-]*://[^\s)\]>\"]+)",
    re.I,
)


def addresses(text: str) -> list[str]:
    """The e-mail addresses and URLs in ``text``, in order."""
    return [address for address, _ in addresses_at(text)]


def addresses_at(text: str) -> list[tuple[str, int]]:
    """`addresses`, each with the index in ``text`` where it starts."""
    return [(m.group(m.lastgroup or 0), m.start(m.lastgroup or 0)) for m in _ADDRESS.finditer(text)]


# -- dates --------------------------------------------------------------------------------------


def _dates(
    text: str, facts: Facts, locales: Sequence[str], figures: Sequence[str] = (), words: Sequence[str] = ()
) -> Iterator[tuple[str, str, bool, int]]:
    """(what the text writes, the ISO date, whether with its year, where it starts) for each date among ``facts``
    that ``text`` writes: as `2025-07-01`, or as one of ``locales`` writes it (CLDR's full, long,
    medium and short date, the short one with a year of two digits too, and its figures with the
    year in full), or its day and month alone; or as one of ``figures`` writes it in figures alone
    with its year, or one of ``words`` with a month's name, with its year or without it; a form
    with the year before one without it, whichever locale's. The text's own locales are asked
    first for every date: "7/1/2023" in Spanish is January 7 when that is a fact too, else July 1
    as ``figures`` (US English) writes it."""
    written = {int(n) for n in _FIGURES.findall(text)}
    if not written:  # (no figure, no date: most translations)
        return
    # every form writes the day of the month in figures (without it, CLDR is not asked)
    days = [d for d in facts if isinstance(d, str) and _ISO_DAY.fullmatch(d) and int(d[8:]) in written]
    for also in (((), ()), (figures, words)) if figures or words else (((), ()),):
        for day in days:
            found = _written_date(text, day, locales, *also)
            if found is not None:
                yield found


def _writes_date(text: str, day: str, locales: Sequence[str]) -> bool:
    """Whether ``text`` writes the date ``day``, with its year or without it, as one of ``locales``
    does."""
    return int(day[8:]) in {int(n) for n in _FIGURES.findall(text)} and _written_date(text, day, locales) is not None


def _written_date(
    text: str, day: str, locales: Sequence[str], figures: Sequence[str] = (), words: Sequence[str] = ()
) -> tuple[str, str, bool, int] | None:
    """(what ``text`` writes, ``day``, whether with its year, where in ``text`` it starts) for the date ``day`` as one of
    ``locales`` writes it, or as one of ``figures`` writes it in figures alone, or as one of
    ``words`` writes it with a month's name, or None: with its year in any of them before without
    it. Its day and month without the year are not found inside a date of another year ("1. März
    2026")."""
    patterns = [_date_patterns(day, tag) for tag in dict.fromkeys(locales)]
    patterns += [_date_patterns(day, tag, figures_only=True) for tag in dict.fromkeys(figures) if tag not in locales]
    patterns += [_date_patterns(day, tag, words_only=True) for tag in dict.fromkeys(words) if tag not in locales]
    for dated, _, _ in patterns:
        match = dated.search(text)
        if match is not None:
            return " ".join(match.group().split()), day, True, match.start()
    for _, yearless, _ in patterns:
        if yearless is None:
            continue
        for match in yearless.finditer(text):
            if not any(o.start() <= match.start() < o.end() for _, _, y in patterns for o in y.finditer(text)):
                return " ".join(match.group().split()), day, False, match.start()
    return None


@functools.lru_cache(maxsize=4096)
def _date_patterns(
    day: str, tag: str, figures_only: bool = False, words_only: bool = False
) -> tuple[re.Pattern[str], re.Pattern[str] | None, re.Pattern[str]]:
    """The ways ``tag`` writes the date ``day``: with its year (each of CLDR's date forms that has
    it in full or in two digits, and the ISO form), where in a form with a month's name any run of
    spaces and punctuation may be any other ("1. Juli 2025", "1 Juli 2025"), a number may have
    leading zeros and an ordinal ending ("1er janvier 2025", "1º luglio 2025"), and letters match
    in any case, and a form of figures alone keeps its separators ("01.07.25", "1/7/25", es-US's
    "1/7/2025"; not "1/7: 2025 items"); and without the year (CLDR's day and month with the
    month's name: "1. Juli", "1 luglio", "7月1日"; not the abbreviated name, often a word: "1 mar",
    the sea), or None; and the forms with the year in full, of any year. The forms with the year
    are CLDR's four and its figures with the year in full (`yMd`: "1/7/2025" in `es`, whose short
    form is "1/7/25"); ``figures_only``: only those of them written in figures alone, none
    without the year; ``words_only``: only those with a month's name, without the year only when
    the month comes first."""
    from engine.i18n import cldr

    forms, yearless = {day}, set()
    try:
        forms |= {cldr.date(day, tag, form) for form in ("full", "long", "medium", "short")}
        forms.add(cldr.day_and_month(day, tag, "yMd"))
        yearless.add(cldr.day_and_month(day, tag, "MMMMd"))
    except ValueError:  # a locale CLDR does not know: the ISO form only
        pass
    if figures_only:
        forms, yearless = {f for f in forms if not _LETTER.search(f)}, set()
    if words_only:  # (without the year, month first only: "Schritt 1: July Street" is no date)
        forms, yearless = {f for f in forms if _LETTER.search(f)}, {f for f in yearless if not f[:1].isdigit()}
    # a form of figures alone, with its separators as they are ("1/7/2025", not "1/7: 2025 items")
    dated = [_form_pattern(f, exact=not _LETTER.search(f)) for f in forms if day[:4] in f]
    dated += [_form_pattern(f, exact=True) for f in forms if day[:4] not in f and not _LETTER.search(f)]
    named = [_form_pattern(f) for f in yearless if _LETTER.search(f)]  # (never figures alone: "1/3")
    any_year = [_form_pattern(f, year=day[:4]) for f in forms if day[:4] in f]
    by_length = functools.partial(sorted, key=len, reverse=True)
    return (
        re.compile("|".join(by_length(dated)), re.IGNORECASE),
        re.compile("|".join(by_length(named)), re.IGNORECASE) if named else None,
        re.compile("|".join(by_length(any_year)), re.IGNORECASE),
    )


_PIECE = re.compile(r"(\d+)|([^\W\d_]+)|([\W_]+)")
_LETTER = re.compile(r"[^\W\d_]")
_ORDINAL = r"(?:er|º|ª|°|st|nd|rd|th)?"  # 1er janvier, 1º luglio, July 1st
# a letter of a script written with spaces between words: a month's name ends and starts at a
# letter that is not one ("1. Mai" is not in "1. Maier"); Chinese and Japanese write "3月1日起"
_WORD_LETTER = r"[^\W\d_\u2e80-\U0010ffff]"


def _form_pattern(written: str, exact: bool = False, year: str | None = None) -> str:
    """``written`` (a date as CLDR writes it) as a pattern: see `_date_patterns`; ``exact``: its
    separators as they are, not followed by another figure ("1.7.25" but not "1.7.25.2"); ``year``:
    any year where it writes this one."""
    parts = []
    pieces = _PIECE.findall(written)
    for i, (digits, letters, between) in enumerate(pieces):
        if digits and digits == year:
            parts.append(r"(?<!\d)\d{4}(?!\d)")
        elif digits:
            number = str(int(digits)) if digits.isascii() else re.escape(digits)
            parts.append(rf"(?<!\d)0*{number}(?!\d){'' if exact else _ORDINAL}")
        elif letters and i and pieces[i - 1][0] and re.fullmatch(_ORDINAL, letters):
            continue  # ("1º luglio": the ordinal ending is optional after any number)
        elif letters:
            first = not any(d or w for d, w, _ in pieces[:i])
            last = not any(d or w for d, w, _ in pieces[i + 1 :])
            start = rf"(?<!{_WORD_LETTER})" if first else ""
            end = rf"(?!{_WORD_LETTER})" if last else ""
            parts.append(start + re.escape(letters) + end)
        else:
            parts.append(re.escape(between) if exact else r"[\W_]{0,4}?")
    if exact:
        parts.append(r"(?![.,/\-]?\d)")
    return "".join(parts)
