"""The files of a site build from its rendered pages: each page's Markdown and its HTML in the
layout (with the switchers between languages, marketplaces and past editions), the change feeds
(Atom) read from the pages' HTML, the marketplace choosers of pages in many marketplaces, and the
index of every page (index.html, index.md, index.json)."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from engine.cache.pages import PageCache, index_key
from engine.i18n import cldr as l10n
from engine.i18n.translator import Translator
from engine.model.clock import today
from engine.model.repository import Repository
from engine.site import editions, feeds, markup, search
from engine.site.context import official_name
from engine.site.editions import Edition
from engine.site.html import Layout
from engine.site.manifest import Page
from engine.site.onepass import one_period
from engine.site.output import INDEX, INDEX_FILES, Built, title_of
from engine.site.page import edition_links, tidy_markdown, title_in
from engine.site.plan import Job, Plan, chooser_path, marketplace_links, rel
from engine.templates.sandbox import RenderError


def assemble(
    repo: Repository,
    work: Plan,
    rendered: dict[Job, tuple[str, str, str]],
    reused: dict[Job, str],
    layout: Layout,
    layouts: dict[str, Translator],
    at: str | None,
    out: Built,
    cache: PageCache | None,
    shared: bytes,
) -> None:
    """The files of the rendered pages, then the index of every page (kept ones by their titles)."""
    jobs = sorted(
        work.jobs,
        key=lambda j: (j.page.program, j.page.id, j.marketplace, j.locale, j.edition.folder if j.edition else ""),
    )
    by_page: dict[Page, list[Job]] = {}
    for job in jobs:
        by_page.setdefault(job.page, []).append(job)
    days: dict[str, str] = {}
    for job in jobs:
        day = days.get(job.marketplace)
        if day is None:
            day = days[job.marketplace] = at or today(repo.marketplaces[job.marketplace].time_zone)
        entry: dict[str, Any] = {  # None: a date the page does not have (written as null)
            "program": job.page.program,
            "page": job.page.id,
            "marketplace": job.marketplace,
            "locale": job.locale,
            "title": title_of(job, rendered, reused),
            "markdown": job.path("md"),
            "html": job.path("html"),
        }
        if job.edition is None:
            since, upcoming = work.effective(repo, job.page.program, job.marketplace, day)
            entry.update(effective_from=since, next_change=upcoming)
            assumed = editions.unconfirmed_dates(repo, job.page.program, job.marketplace)
            # which of its dates are assumptions (`assumed: [date]`), as the pages mark them
            entry["unconfirmed"] = [
                k for k, d in (("effective_from", since), ("next_change", upcoming)) if d in assumed
            ]
            if job in work.feeds:
                entry["feed"] = job.feed()
        else:
            e = job.edition
            entry.update(edition=e.folder, effective_from=e.start, effective_until=e.end)
            entry["unconfirmed"] = [
                k for k, flag in (("effective_from", e.start_assumed), ("effective_until", e.end_assumed)) if flag
            ]
        listed = out.entries if job.edition is None else out.editions
        if job in reused:
            if job.fallback:
                entry["text_locale"] = job.fallback
            out.kept.update(work.files(job))
            listed.append(entry)
            continue
        text, body, title = rendered[job]
        if job.fallback:
            entry["text_locale"] = job.fallback
            text = pending_notice(layouts[job.locale], job) + text
        if job.edition is not None:
            text = past_notice(layouts[job.locale], job, formatting(repo, job)) + text
        out.files[job.path("md")] = text.encode("utf-8")
        try:
            page_html = page_in_layout(repo, work, job, by_page[job.page], title, body, day, layout, layouts)
        except RenderError as e:
            out.problems.append(e.problem)
            continue
        out.files[job.path("html")] = page_html.encode("utf-8")
        write_chooser(repo, work, job, by_page[job.page], title, day, layout, out)  # (if the page has one)
        if job in work.feeds:
            feed = change_feed(repo, work, job, title, body, layouts[job.locale], day)
            out.files[job.feed()] = feed.encode("utf-8")
        listed.append(entry)
    if cache is not None:
        key = index_key(shared, out.entries + out.editions)
        out.records[INDEX] = (key, "", INDEX_FILES)
        if cache.reusable(INDEX, key, INDEX_FILES) is not None:
            out.kept.update(INDEX_FILES)
            return
    index = index_view(repo, [j for j in jobs if j.edition is None], out.entries)
    try:
        layout.use(layouts[l10n.SOURCE_LOCALE])
        out.files["index.html"] = layout.index(index).encode("utf-8")
        out.files["index.md"] = tidy_markdown(layout.index_markdown(index)).encode("utf-8")
    except RenderError as e:
        out.problems.append(e.problem)
    manifest = {"generator": "policyctl build", "pages": out.entries, "editions": out.editions}
    out.files["index.json"] = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


# the layout's note on a page shown in English in another language's place (page.html.j2)
PENDING = "This page is not yet available in %(language)s. It is shown in English until its translation is complete."


# the layout's date that is an assumption, marked (page.html.j2): the language joins the two
UNCONFIRMED_DATE = "%(date)s (date not yet confirmed)"


# the layout's banner of a past edition (page.html.j2), which its Markdown page opens with too
PAST_FROM = "Past edition: these rules took effect on %(start)s and were replaced on %(end)s."
PAST_UNTIL = "Past edition: these rules were in effect before %(end)s."
READ_CURRENT = "Read the current page"
# the title of a change feed (page.html.j2 names the feed so too)
FEED_TITLE = "Changes to %(program)s (%(marketplace)s)"


def formatting(repo: Repository, job: Job) -> str:
    """The locale whose conventions write the dates of ``job``'s page: its language's in its
    marketplace's country when CLDR has both (`en-DE`), as the page's own facts (l10n.conventions)."""
    return l10n.conventions(job.locale, repo.marketplaces[job.marketplace].country)


def marked_date(layout: Translator, date: str, tag: str, assumed: bool) -> str:
    """``date`` as the locale ``tag`` writes it (`formatting`), marked "(date not yet confirmed)"
    when it is an assumption, as the layout marks it."""
    day = l10n.date(date, tag)
    return layout.lookup(UNCONFIRMED_DATE) % {"date": day} if assumed else day


def past_notice(layout: Translator, job: Job, tag: str) -> str:
    """The Markdown page's first line on a past edition: the HTML page's banner, so that a reader of
    the Markdown does not take the rules of a past edition for today's. Dates as ``tag`` writes them
    (`formatting`)."""
    edition = job.edition
    assert edition is not None

    def day(date: str, assumed: bool) -> str:
        return marked_date(layout, date, tag, assumed)

    shown = {"end": day(edition.end, edition.end_assumed)}
    if edition.start:
        shown["start"] = day(edition.start, edition.start_assumed)
    note = one_period(layout.lookup(PAST_FROM if edition.start else PAST_UNTIL), shown) % shown
    current = rel(job.path("md"), job.path("md", edition=None))
    return f"> **{markup.escape(note)}** [{markup.escape(layout.lookup(READ_CURRENT))}]({current})\n\n"


def pending_notice(layout: Translator, job: Job) -> str:
    """The Markdown page's first line when it is the English page in ``job.locale``'s place."""
    note = layout.lookup(PENDING) % {"language": l10n.language_name(job.locale, job.locale)}
    return f"> {markup.escape(note)}\n\n"


def change_feed(repo: Repository, work: Plan, job: Job, title: str, body: str, words: Translator, day: str) -> str:
    """The change feed of ``job``'s program, marketplace and language, from ``job``'s HTML body: the
    changes that have taken effect by ``day`` (the page also lists those to come, under "Upcoming
    changes", in the same markup: a feed announces what has happened)."""
    past = work.editions[(job.page.program, job.marketplace)]
    links = edition_links(job, past)
    skip = {markup.html_twin(href) or href for pair in links.values() for href in pair.values() if href}
    found = {date: items for date, items in feeds.changes_in(body, skip).items() if date <= day}
    here = job.feed()
    tag = job.locale
    program = official_name(repo.programs[job.page.program], tag)
    mp = repo.marketplaces[job.marketplace]
    country = l10n.country_name(mp.country, tag)
    unconfirmed = editions.unconfirmed_dates(repo, job.page.program, job.marketplace)
    dates = formatting(repo, job)

    def heading(date: str) -> str:  # an assumed date is marked, as on the pages (page.html.j2)
        return words.lookup("In effect from %(date)s") % {"date": marked_date(words, date, dates, date in unconfirmed)}

    entries = []
    for date in sorted(found, reverse=True):
        folder = editions.folder_of(past, date)
        entries.append(
            feeds.Entry(
                date,
                heading(date),
                "\n".join(found[date]),
                rel(here, job.path("html", edition=folder)),
            )
        )
    if not entries:  # the page shows no change (its template leaves the section out): nothing to say
        entries = [
            feeds.Entry(
                e.end,
                heading(e.end),
                title,
                rel(here, job.path("html", edition=editions.folder_of(past, e.end))),
            )
            for e in reversed(past)
        ]
    return feeds.atom(
        ident=feeds.feed_id(job.page.program, job.marketplace, tag),
        lang=tag,
        text_lang=job.lang,
        title=words.lookup(FEED_TITLE) % {"program": program, "marketplace": country},
        author=program,
        page_href=rel(here, job.path("html", edition=None)),
        time_zone=mp.time_zone,
        entries=entries,
        ids=[feeds.entry_id(job.page.program, job.marketplace, tag, e.date) for e in entries],
    )


def edition_view(
    job: Job, past: list[Edition], day: str, tag: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The edition picker (newest first) and, on a past edition, its banner; dates as ``tag``
    writes them (`formatting`)."""
    here = job.path("html")
    if not past:
        return [], None
    current = past[-1].end
    # `unconfirmed`: the date shown (`label`, else `until`) is an assumption, which the layout marks
    picker = [
        {
            "label": l10n.date(current, tag),
            "start": current,
            "href": rel(here, job.path("html", edition=None)),
            "current": job.edition is None,
            "latest": True,
            "unconfirmed": past[-1].end_assumed,
        }
    ]
    for e in reversed(past):
        picker.append(
            {
                "label": l10n.date(e.start, tag) if e.start else None,
                "until": l10n.date(e.end, tag),
                "start": e.start,
                "href": rel(here, job.path("html", edition=e.folder)),
                "current": job.edition == e,
                "latest": False,
                "unconfirmed": e.start_assumed if e.start else e.end_assumed,
            }
        )
    banner = None
    if job.edition is not None:
        banner = {
            "start": l10n.date(job.edition.start, tag) if job.edition.start else None,
            "end": l10n.date(job.edition.end, tag),
            "href": rel(here, job.path("html", edition=None)),
            "start_unconfirmed": job.edition.start_assumed,
            "end_unconfirmed": job.edition.end_assumed,
        }
    return picker, banner


def page_in_layout(
    repo: Repository,
    work: Plan,
    job: Job,
    same_page: list[Job],
    title: str,
    body: str,
    day: str,
    layout: Layout,
    layouts: dict[str, Translator],
) -> str:
    """``job``'s HTML page: its view (`page_view`) in ``layout``, speaking its language. The English
    page in a language's place has its English page's `<title>`, whole (`pending.title`: the
    layout's `title` block in English for the English page of its marketplace and edition): a
    title cannot mark a part's language, and its `<html lang>` says English."""
    view = page_view(repo, work, job, same_page, title, body, day)
    if job.fallback:
        english = Job(job.page, job.marketplace, job.fallback, job.edition)
        source = page_view(repo, work, english, same_page, title, body, day)
        view["pending"]["title"] = layout.use(layouts[job.fallback]).page_title(source)
    return layout.use(layouts[job.locale]).page(view)


def page_view(
    repo: Repository, work: Plan, job: Job, same_page: list[Job], title: str, body: str, day: str
) -> dict[str, Any]:
    """What the HTML layout needs for one page: switchers and alternates are links between pages.
    ``same_page``: the jobs of the same page (every marketplace, language and edition)."""
    here = job.path("html")
    mp = repo.marketplaces[job.marketplace]
    order = {tag: i for i, tag in enumerate(mp.locales)}
    siblings = sorted(
        (j for j in same_page if j.edition == job.edition or j.edition is None),
        key=lambda j: order.get(j.locale, len(order)),
    )
    if job.edition is not None:  # languages: the same edition; marketplaces: their current page
        siblings = [j for j in siblings if j.edition == job.edition or j.marketplace != job.marketplace]
    languages = [
        {
            "tag": j.locale,
            "name": l10n.autonym(j.locale),
            "href": rel(here, j.path("html")),
            # a page shown in the reference language for now is no alternate in its own language
            # (search engines would take it for one): no `<link rel=alternate>`; the switcher's
            # `hreflang` says the language of its text
            "hreflang": "" if j.fallback else l10n.hreflang(j.locale, mp.country),
            "text_tag": j.lang,
            "current": j.locale == job.locale,
        }
        for j in siblings
        if j.marketplace == job.marketplace
    ]
    markets = marketplace_links(
        repo,
        job.page,
        job.locale,
        siblings,
        lambda mp_id, target: rel(
            here, job.path("html", mp_id, target, edition=None if mp_id != job.marketplace else "")
        ),
        job.marketplace,
    )
    chooser = None
    if (job.page, job.locale) in work.choosers:  # past CHOOSER_THRESHOLD: one link to the page's chooser
        chooser = {
            "href": rel(here, chooser_path(job.page, job.locale)),
            "lang": job.locale,
            "others": len(markets) - 1,
        }
    neutral = x_default([j for j in siblings if j.marketplace == job.marketplace], mp.locales[0])
    picker, banner = edition_view(
        job, work.editions.get((job.page.program, job.marketplace), []), day, formatting(repo, job)
    )
    feed = next(
        (
            j
            for j in work.feeds
            if (j.page.program, j.marketplace, j.locale) == (job.page.program, job.marketplace, job.locale)
        ),
        None,
    )
    for lang, sibling in zip(languages, [j for j in siblings if j.marketplace == job.marketplace]):
        lang["pending"] = bool(sibling.fallback)  # linked, marked as not yet translated
    return {
        "editions": picker,
        "banner": banner,
        "current": job.edition is None,
        "feed_href": rel(here, feed.feed()) if feed else "",
        "program": job.page.program,
        "marketplace": job.marketplace,
        "lang": job.lang,
        "dir": l10n.text_direction(job.lang),
        "title": title,
        "body": body,
        # the English page in another language's place: the layout's own words are in that language
        # (its `lang` and `dir` on them: Arabic's are right to left on an English page)
        "pending": {
            "tag": job.locale,
            "name": l10n.language_name(job.locale, job.locale),
            "dir": l10n.text_direction(job.locale),
        }
        if job.fallback
        else None,
        # in the site's search: a current page, unless it is the English text of a page the
        # marketplace publishes in English too (indexed there, under filters in English)
        "indexed": job.edition is None
        and not (
            job.fallback
            and any(j.locale == job.lang and not j.fallback for j in siblings if j.marketplace == job.marketplace)
        ),
        "program_name": official_name(repo.programs[job.page.program], job.locale),
        "marketplace_name": l10n.country_name(mp.country, job.locale),
        "site": mp.site or "",
        "languages": languages,
        "marketplaces": markets,
        # more marketplaces than CHOOSER_THRESHOLD: the layout shows this one and a link to the rest
        "marketplace_chooser": chooser,
        "index_href": rel(here, "index.html"),
        "search_href": rel(here, search.page_path(job.lang)),
        "markdown_href": rel(here, job.path("md")),
        "x_default": rel(here, neutral.path("html")) if neutral is not None else "",
    }


def x_default(own: list[Job], default: str) -> Job | None:
    """The page search engines show readers whose language none of a marketplace's pages is in
    (`hreflang="x-default"`; ``own``: the page's jobs in the marketplace, ``default``: its first
    language): the page in that language; while that one is the English text in its place
    (`translations: fallback`), a copy of the marketplace's English page that is no alternate of
    its own (search engines would take it for a translation), the page in the language its text
    is in, the English, when the marketplace publishes it as itself; else none."""
    first = next((j for j in own if j.locale == default), None)
    if first is None or not first.fallback:
        return first
    return next((j for j in own if j.locale == first.fallback and not j.fallback), None)


def chooser_view(repo: Repository, work: Plan, job: Job, same_page: list[Job], title: str, day: str) -> dict[str, Any]:
    """What the layout's marketplace chooser (`marketplaces.html.j2`) needs: the current pages of
    ``job``'s page in every marketplace, in ``job``'s language where published (as the header's list
    links them). ``title``: ``job``'s, the page's title (in that language but on the English page
    in its place: `chooser_title`); ``day``: the day ``job`` is rendered for."""
    here = chooser_path(job.page, job.locale)
    current = [j for j in same_page if j.edition is None]
    said, said_lang = chooser_title(repo, work, job, title, day)
    return {
        "lang": job.locale,
        "dir": l10n.text_direction(job.locale),
        "title": said,
        # the language of the title's text: English when it stays English (for its `lang`, as the index marks one)
        "title_lang": said_lang,
        "program_name": official_name(repo.programs[job.page.program], job.locale),
        "marketplaces": marketplace_links(
            repo, job.page, job.locale, current, lambda mp_id, target: rel(here, job.path("html", mp_id, target, None))
        ),
        "index_href": rel(here, "index.html"),
    }


def chooser_title(repo: Repository, work: Plan, job: Job, title: str, day: str) -> tuple[str, str]:
    """The page's title as ``job``'s marketplace chooser says it, in the chooser's language, and the
    language it is in. The English page in a language's place (`translations: fallback`) has its
    English title, but its chooser's words are all the language's (the layout's catalog): the
    title there is the program catalog's translation of it (a title written as one message,
    `{% trans %}` without placeholders), else the program's name in the language when the title
    is its name (`names:`), else the page's `title` block rendered alone in the language when
    each message it uses is translated (`page.title_in`: a message with placeholders, its values
    as the language writes them, `1.000` in German, where the English title has `1,000`), else the
    English (its language English: the layout marks it, as the index marks a title in another
    language). A translation is borrowed only where the catalog check accepts it (`Plan.usable`:
    not one that states a fact the English leaves to a placeholder, G006, as the page's own would
    be refused). The page's cache key has the language's catalogs, the program's templates,
    program.yaml and the messages usable (engine.cache.pages)."""
    if not job.fallback:
        return title, job.locale
    program = repo.programs[job.page.program]
    # (a translator of its own: a message it lacks is one of the gaps the build already says)
    usable = work.usable.get((program.id, job.locale))  # (none the catalog check refuses: G006 too)
    translated = Translator(work.domains[program.id], job.locale, {}, work.catalogs, usable).lookup(title)
    if translated != title:
        return translated, job.locale
    if title == official_name(program, job.lang):
        return official_name(program, job.locale), job.locale
    said = title_in(repo, work, job, day)
    if said is not None:
        return said, job.locale
    return title, job.lang


def write_chooser(
    repo: Repository, work: Plan, job: Job, same_page: list[Job], title: str, day: str, layout: Layout, out: Built
) -> None:
    """The marketplace chooser of ``job``'s page in its language, if ``job`` carries it (`Plan.choosers`),
    in ``layout`` (speaking that language)."""
    if work.choosers.get((job.page, job.locale)) is not job:
        return
    try:
        chooser = layout.marketplaces(chooser_view(repo, work, job, same_page, title, day))
    except RenderError as e:
        out.problems.append(e.problem)
        return
    out.files[chooser_path(job.page, job.locale)] = chooser.encode("utf-8")


def index_view(repo: Repository, jobs: list[Job], entries: list[dict[str, Any]]) -> dict[str, Any]:
    titles = {(e["program"], e["page"], e["marketplace"], e["locale"]): e["title"] for e in entries}
    rows = []
    groups: dict[tuple[str, str, str], list[Job]] = {}
    for j in jobs:
        groups.setdefault((j.page.program, j.page.id, j.marketplace), []).append(j)
    for program_id, page_id, mp_id in sorted(groups):
        program = repo.programs[program_id]
        mp = repo.marketplaces[mp_id]
        mine = list(groups[(program_id, page_id, mp_id)])
        order = {t: i for i, t in enumerate(mp.locales)}
        mine.sort(key=lambda j: order.get(j.locale, len(order)))
        # the page's title in the index's language when the page is published in it, else in its
        # marketplace's first language (`title_lang` says which, for the title's `lang`)
        first = next((j for j in mine if j.lang == l10n.SOURCE_LOCALE), mine[0])
        title = titles.get((program_id, page_id, mp_id, first.locale), "")
        name = official_name(program, l10n.SOURCE_LOCALE)
        rows.append(
            {
                "program": program_id,
                "program_name": name,
                "page": page_id,
                "marketplace": mp_id,
                "site": mp.site or "",
                "country": l10n.country_name(mp.country, l10n.SOURCE_LOCALE),
                "title": title,
                "title_lang": first.lang,
                # what the page is called in the index's language (links' accessible names)
                "page_name": title if first.lang == l10n.SOURCE_LOCALE and title else name,
                "languages": [
                    {
                        "tag": j.locale,
                        # the language of the page's text (`hreflang`), and whether that is the
                        # English page in the language's place, as the pages' switchers say
                        "text_tag": j.lang,
                        "pending": bool(j.fallback),
                        "name": l10n.autonym(j.locale),
                        "language": l10n.language_name(j.locale, l10n.SOURCE_LOCALE),
                        "html": Markup(j.path("html")),
                        "md": Markup(j.path("md")),
                        "title": titles.get((program_id, page_id, mp_id, j.locale), ""),
                    }
                    for j in mine
                ],
            }
        )
    # one search page per language of the pages' text (engine.site.search), each named in its own language
    searches = [
        {"tag": tag, "name": l10n.autonym(tag), "html": Markup(search.page_path(tag))}
        for tag in sorted({j.lang for j in jobs}, key=str.lower)
    ]
    return {"lang": l10n.SOURCE_LOCALE, "dir": "ltr", "rows": rows, "searches": searches}
