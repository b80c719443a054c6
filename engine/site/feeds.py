"""Change feeds: one Atom feed (RFC 4287) per program × marketplace × language of its dated changes.

An entry per effective date that has arrived: its title says the date, its summary lists every
change of that date in the words of the help page's "What changed" section (read back from the
page's HTML, so a program's own `describe_change` wording and its translations are the feed's
too), `updated` is the start of that day in the marketplace's time zone, and it links the edition
that took effect then. Ids are `urn:uuid:` names (RFC 4122 version 5) of the program,
marketplace, language and date: stable across builds and machines, never reused for another
entry. Same sources, same day's effective dates: byte-identical feed.

A date the sources only assume (`assumed: [date]`) is marked in the entry's title, "(date not yet
confirmed)", as the pages mark it; its `updated` is still that day. Atom requires a date there and
gives it no room for a marker, and the alternative considered — the day the entry was first
published, read back from the feed the last build wrote — made a build into a new folder depend on
the day it ran (principle: same sources, same bytes). A reader of the feed sees the title.
"""

from __future__ import annotations

import datetime as _dt
import re
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from engine.cache import store
from engine.cache.memo import Memo

FEED_NAME = "changes.atom"
_NS = uuid.uuid5(uuid.NAMESPACE_URL, "policyctl:changes")
_CHANGE_DATE = re.compile(r"^changes\.[^.]+\.(\d{4}-\d\d-\d\d)\.date$")
# XML 1.0 has no place for most control characters (a feed with one is not well-formed)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# HTML's white space: `\s` would also take the no-break spaces CLDR writes in "4,49 €", "12,5 %"
_SPACES = re.compile("[ \t\n\f\r]+")
# the edition links of a change, emptied (the feed links the edition itself); from where a run of
# spaces starts only (tried at each of them, a run of no-break spaces cost its length squared)
_EMPTIED_LINKS = re.compile(r"(?<!\s)\s*[(（]\s*[·・]?\s*[)）]\s*$")


@dataclass(frozen=True, slots=True)
class Entry:
    date: str  # the effective date
    title: str
    summary: str
    href: str  # the edition that took effect that day, relative to the feed


class _Changes(HTMLParser):
    """The items of a page's "What changed" list, by date: the text of each `<li>` whose date
    is a `changes.<parameter>.<date>.date` fact, without the date itself and the links to editions."""

    def __init__(self, skip: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = skip
        self.found: dict[str, list[str]] = {}
        self._item: list[str] | None = None
        self._date: str | None = None
        self._quiet = 0  # inside the date or an edition link: not part of the text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "li":
            self._item, self._date, self._quiet = [], None, 0
        elif self._item is not None:
            date = _CHANGE_DATE.match(values.get("data-fact") or "")
            if date and self._date is None:
                self._date, self._quiet = date.group(1), self._quiet + 1
            elif self._quiet or (tag == "a" and _page_of(values.get("href") or "") in self.skip):
                self._quiet += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._item is not None:
            if self._date is not None:
                text = _SPACES.sub(" ", "".join(self._item)).strip()
                text = re.sub(r"^[:：]\s*", "", text)  # after the date
                text = _EMPTIED_LINKS.sub("", text)
                self.found.setdefault(self._date, []).append(text)
            self._item = None
        elif self._quiet and tag in ("span", "a"):
            self._quiet -= 1

    def handle_data(self, data: str) -> None:
        if self._item is not None and not self._quiet:
            self._item.append(data)


def _page_of(href: str) -> str:
    """A link's page: its address without its query and fragment (`original/help.html#fees` is a
    link to that edition as much as `original/help.html` is)."""
    return href.split("#", 1)[0].split("?", 1)[0]


# Items found in a body, by a digest of the body and ``skip``: parsing a page's HTML again is a
# tenth of a build of policies/, and a page rendered again unchanged (`serve`, a copy of a
# repository: tests, `diff`'s revisions) has the same body. Read only (see `changes_in`).
_FOUND: Memo[dict[str, tuple[str, ...]]] = Memo(1024)


def changes_in(body: str, skip: set[str]) -> dict[str, list[str]]:
    """The "What changed" items of a page body (HTML), by effective date; ``skip``: hrefs of
    links whose text is not part of an item (the links to editions)."""
    key = store.digest(body, *sorted(skip))
    found = _FOUND.get(key)
    if found is None:
        reader = _Changes(skip)
        reader.feed(body)
        reader.close()
        found = {date: tuple(items) for date, items in reader.found.items()}
        _FOUND.put(key, found)
    return {date: list(items) for date, items in found.items()}


def entry_id(program: str, marketplace: str, locale: str, date: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, f'{program}/{marketplace}/{locale}/{date}')}"


def feed_id(program: str, marketplace: str, locale: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, f'{program}/{marketplace}/{locale}')}"


def start_of(day: str, time_zone: str) -> str:
    """Midnight of ``day`` in ``time_zone`` as an RFC 3339 date-time (Atom's `updated`)."""
    moment = _dt.datetime.combine(_dt.date.fromisoformat(day), _dt.time(), ZoneInfo(time_zone))
    return moment.isoformat()


def _text(value: str) -> str:
    from xml.sax.saxutils import escape  # (see `atom`)

    return escape(_NOT_XML.sub("", value))


def atom(
    *,
    ident: str,
    lang: str,
    text_lang: str | None = None,
    title: str,
    author: str,
    page_href: str,
    time_zone: str,
    entries: list[Entry],
    ids: list[str],
) -> str:
    """The feed document; ``entries`` newest first, ``ids`` their ids. Needs at least one entry
    (a feed's `updated` is its newest entry's). ``text_lang``: the language of the summaries (read
    from the page) when it is not ``lang``, the feed's own words' (an English page in its place)."""
    # Imported here, where a feed is written: xml.sax imports urllib.request, http.client, ssl and
    # email (~20 ms of every build process's start-up, though a build with nothing changed, or a
    # site with no past edition, writes no feed).
    from xml.sax.saxutils import quoteattr

    summary = "<summary>" if text_lang in (None, lang) else f"<summary xml:lang={quoteattr(str(text_lang))}>"
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(lang)}>',
        f"<id>{_text(ident)}</id>",
        f"<title>{_text(title)}</title>",
        f"<updated>{start_of(entries[0].date, time_zone)}</updated>",
        f"<author><name>{_text(author)}</name></author>",
        f'<link rel="self" type="application/atom+xml" href={quoteattr(FEED_NAME)}/>',
        f'<link rel="alternate" type="text/html" href={quoteattr(page_href)}/>',
        "<generator>policyctl</generator>",
    ]
    for entry, ident_ in zip(entries, ids):
        lines += [
            "<entry>",
            f"<id>{_text(ident_)}</id>",
            f"<title>{_text(entry.title)}</title>",
            f"<updated>{start_of(entry.date, time_zone)}</updated>",
            f'<link rel="alternate" type="text/html" href={quoteattr(entry.href)}/>',
            f"{summary}{_text(entry.summary)}</summary>",
            "</entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"
