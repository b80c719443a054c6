"""The plan of a site build: which pages are made in which marketplaces, languages and past
editions (one `Job` each), the catalogs they need, and the paths of their files in the tree."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine import packaged
from engine.i18n import cldr as l10n
from engine.i18n.catalogs import SITE, Domain, Key, parameter_context
from engine.i18n.translator import Catalogs
from engine.model.clock import today
from engine.model.repository import Repository
from engine.problems import Problem
from engine.site import editions, feeds
from engine.site.context import effective_dates
from engine.site.editions import Edition
from engine.site.manifest import Page, pages_of

# A page's header lists every marketplace of its page while there are at most this many; past it,
# it shows its own marketplace and one link to the page's marketplace chooser (`chooser_path`).
# Every page listing all M marketplaces makes a program's pages O(M²) links: at 20 marketplaces the
# lists were about a quarter of a page's bytes and put 19 links before its content. Up to 8 names
# still fit a header's line or two on a laptop and are few enough to tab past.
CHOOSER_THRESHOLD = 8
CHOOSER_FOLDER = "_marketplaces"  # (no program or marketplace id starts with "_": common.schema.json's id)
CHOOSER_TEMPLATE = "marketplaces.html.j2"  # a layout without it (an older `_site/`) keeps the full list


def chooser_path(page: Page, locale: str) -> str:
    """The marketplace chooser of ``page`` in the language ``locale``."""
    return f"{page.program}/{CHOOSER_FOLDER}/{locale}/{page.id}.html"


# One object per page and language in a plan, used as a key in several dicts per page: identity is
# its equality, and hashing costs nothing (a derived hash walks the page and its position).
@dataclass(frozen=True, slots=True, eq=False)
class Job:
    page: Page
    marketplace: str
    locale: str  # the language the page is published as (its path)
    edition: Edition | None = None  # a past edition (engine.site.editions); None: the current page
    fallback: str = ""  # the language its text is in when its own translation is not complete

    @property
    def lang(self) -> str:
        """The language of the page's text: its own, or the reference language in its place."""
        return self.fallback or self.locale

    def path(
        self, ext: str, marketplace: str | None = None, locale: str | None = None, edition: str | None = ""
    ) -> str:
        """The file of this page, or of the same page in another marketplace, language or edition
        (``edition``: a past edition's folder, None for the current page, "" for this job's)."""
        folder = (self.edition.folder if self.edition else None) if edition == "" else edition
        where = f"{self.page.program}/{marketplace or self.marketplace}/{locale or self.locale}"
        return f"{where}/{folder}/{self.page.id}.{ext}" if folder else f"{where}/{self.page.id}.{ext}"

    def feed(self) -> str:
        return f"{self.page.program}/{self.marketplace}/{self.locale}/{feeds.FEED_NAME}"


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)
    domains: dict[str, Domain] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    fallbacks: dict[str, set[str]] = field(default_factory=dict)  # program -> languages shown in English
    # (program, language shown in English) -> the messages whose translation is usable there (what
    # the catalog check accepts: the marketplace chooser borrows no other, assemble.chooser_title)
    usable: dict[tuple[str, str], frozenset[Key]] = field(default_factory=dict)
    _firsts: dict[tuple[str, str], dict[str, Job]] | None = field(default=None, repr=False)
    _dates: dict[tuple[str, str, str], tuple[str | None, str | None]] = field(default_factory=dict, repr=False)
    # past editions by (program, marketplace), oldest first; set by `add_editions`
    editions: dict[tuple[str, str], list[Edition]] = field(default_factory=dict)
    feeds: set[Job] = field(default_factory=set)  # the pages whose HTML a change feed is read from
    # the catalogs of this build, each read once (before any worker forks: workers inherit them)
    catalogs: Catalogs = field(default_factory=Catalogs, repr=False)
    # (program, page template) -> its G001: the template ran past its deadline or its output limit on
    # one page, so this build renders no other page of it (every page would wait out the deadline,
    # 600 pages: 100 min, or make its 5,000,000 characters again)
    runaway: dict[tuple[str, str], Problem] = field(default_factory=dict, repr=False)
    # (page, language) -> the current page whose files include its marketplace chooser (the first
    # in plan order): that page's cache key covers everything the chooser shows (engine.cache.pages)
    choosers: dict[tuple[Page, str], Job] = field(default_factory=dict)

    def effective(self, repo: Repository, program: str, marketplace: str, day: str) -> tuple[str | None, str | None]:
        """`context.effective_dates`, once per program, marketplace and day."""
        where = (program, marketplace, day)
        found = self._dates.get(where)
        if found is None:
            found = self._dates[where] = effective_dates(repo, program, marketplace, day)
        return found

    def first_pages(self) -> dict[tuple[str, str], dict[str, Job]]:
        """By (marketplace, language): each program's first page (by page id), programs in order."""
        if self._firsts is None:
            self._firsts = {}
            for job in sorted((j for j in self.jobs if j.edition is None), key=lambda j: (j.page.program, j.page.id)):
                self._firsts.setdefault((job.marketplace, job.locale), {}).setdefault(job.page.program, job)
        return self._firsts

    def note_editions(self, program: str, marketplace: str, past: list[Edition]) -> None:
        """The past editions of ``program`` in ``marketplace``, and with them which of its pages
        there have a change feed (its first page in each language, when it has editions), as
        `add_editions` records them: for the preview (engine.commands.serve), which asks page by
        page and day by day."""
        self.editions[(program, marketplace)] = past
        for (mp, _tag), firsts in self.first_pages().items():
            first = firsts.get(program)
            if mp == marketplace and first is not None:
                if past:
                    self.feeds.add(first)
                else:
                    self.feeds.discard(first)

    def feed_page(self, path: str) -> Job | None:
        """The current page whose change feed is at ``path`` (`PROGRAM/MP/LANGUAGE/changes.atom`),
        had its program editions there: its first page in that marketplace and language."""
        program, _, rest = path.partition("/")
        marketplace, _, rest = rest.partition("/")
        tag, _, name = rest.partition("/")
        first = self.first_pages().get((marketplace, tag), {}).get(program)
        return first if first is not None and name == feeds.FEED_NAME else None

    def files(self, job: Job) -> tuple[str, ...]:
        """The files made from one page: Markdown, HTML, its program's change feed if it is read
        from it, and the marketplace chooser of its page and language if it carries it."""
        files: tuple[str, ...] = (job.path("md"), job.path("html"))
        if job in self.feeds:
            files += (job.feed(),)
        if self.choosers.get((job.page, job.locale)) is job:
            files += (chooser_path(job.page, job.locale),)
        return files


def add_editions(repo: Repository, work: Plan, at: str | None) -> None:
    """The past editions of every page (engine.site.editions) as more jobs, and which page of
    each program, marketplace and language its change feed is read from (its first page)."""
    days: dict[str, str] = {}
    current = list(work.jobs)
    for job in current:
        mp = job.marketplace
        day = days.get(mp) or days.setdefault(mp, at or today(repo.marketplaces[mp].time_zone))
        where = (job.page.program, mp)
        if where not in work.editions:
            work.editions[where] = editions.past_editions(repo, job.page.program, mp, day)
        work.jobs += [Job(job.page, mp, job.locale, e, job.fallback) for e in work.editions[where]]
    for (mp, _tag), firsts in work.first_pages().items():
        work.feeds.update(job for program, job in firsts.items() if work.editions.get((program, mp)))


def site_dir(repo: Repository) -> str:
    """The page layout of ``repo`` (engine.packaged.site_dir)."""
    return packaged.site_dir(repo.root)


def _labels(repo: Repository, program_id: str) -> tuple[str | None, tuple[tuple[str, str, int, str], ...]]:
    """Every English label of a program with its line: `labels:` and parameters' `label:`."""
    from engine.i18n.catalogs import label_context

    program = repo.programs[program_id]
    doc = repo._documents.get(program.pos.file)
    if doc is None or not isinstance(doc.data, dict):
        return None, ()
    found = [
        (label_context(k), v, doc.key_pos(("labels", k)).line, f"`labels: {k}` in program.yaml")
        for k, v in (doc.data.get("labels") or {}).items()
    ]
    for name, spec in doc.data["parameters"].items():
        if spec.get("label"):
            found.append(
                (
                    parameter_context(name),
                    spec["label"],
                    doc.pos(("parameters", name, "label")).line,
                    f"short name of the parameter `{name}`: {spec['description']}",
                )
            )
    return program.pos.file, tuple(found)


def plan(repo: Repository, strict: bool = False) -> Plan:
    """Which pages to render in which marketplaces and languages, and the catalogs they need.

    A page is published in each language of its marketplace that its program is written in
    (`languages:` in program.yaml, default all). With `translations: fallback` (and not
    ``strict``), a language whose catalog is incomplete gets the English page in its place.
    """
    out = Plan()
    for program_id in sorted(repo.programs):
        program = repo.programs[program_id]
        pages, problems = pages_of(repo, program)
        out.problems += problems
        written = program.extra.get("languages")
        jobs = [
            Job(page, mp, tag)
            for page in pages
            for mp in page.marketplaces
            if mp in repo.marketplaces
            for tag in repo.marketplaces[mp].locales
            if repo.languages is None or tag in repo.languages
            if written is None or tag in written or tag == l10n.SOURCE_LOCALE
        ]
        if not jobs:
            continue
        labels_file, labels = _labels(repo, program_id)
        domain = Domain(
            program_id,
            program.dir,
            os.path.join(program.dir, "pages"),
            tuple(sorted({j.locale for j in jobs})),
            labels,
            labels_file,
        )
        out.domains[program_id] = domain
        if program.extra.get("translations") == "fallback" and not strict:
            from engine.i18n.catalogs import fallback_translations

            usable = fallback_translations(repo, program_id, domain, out.catalogs.read)
            pending = set(usable)
            if pending:
                out.fallbacks[program_id] = pending
                out.usable.update({(program_id, tag): keys for tag, keys in usable.items()})
                jobs = [
                    Job(j.page, j.marketplace, j.locale, fallback=l10n.SOURCE_LOCALE) if j.locale in pending else j
                    for j in jobs
                ]
        out.jobs += jobs
    site = site_dir(repo)
    tags = {j.locale for j in out.jobs} | {l10n.SOURCE_LOCALE}
    home = None if packaged.has_own_site(repo.root) else os.path.join(repo.root, SITE)
    out.domains[SITE] = Domain(SITE, site, site, tuple(sorted(tags)), home=home)
    if os.path.isfile(os.path.join(site, CHOOSER_TEMPLATE)):
        out.choosers = choosers(out.jobs)
    return out


def choosers(jobs: list[Job]) -> dict[tuple[Page, str], Job]:
    """The pages (by page and language) whose header links to a marketplace chooser: those published
    in more than `CHOOSER_THRESHOLD` marketplaces; each with the first of its current pages."""
    markets: dict[Page, set[str]] = {}
    for job in jobs:
        markets.setdefault(job.page, set()).add(job.marketplace)
    found: dict[tuple[Page, str], Job] = {}
    for job in jobs:
        if job.edition is None and len(markets[job.page]) > CHOOSER_THRESHOLD:
            found.setdefault((job.page, job.locale), job)
    return found


def marketplace_links(
    repo: Repository,
    page: Page,
    locale: str,
    siblings: list[Job],
    href: Callable[[str, str], str],
    current: str = "",
) -> list[dict[str, Any]]:
    """The marketplaces ``page`` is published in (``siblings``: its jobs), each linked by ``href``
    (marketplace, language) to its page in ``locale`` if it publishes it, else in its first
    language, else in the first it publishes; named in ``locale``. ``current``: the reader's."""
    # (the siblings grouped once: a page in M marketplaces has M x its languages of them, and this
    # runs for each of its pages and languages, and for its cache key)
    published: dict[str, list[str]] = {}
    for j in siblings:
        published.setdefault(j.marketplace, []).append(j.locale)
    markets = []
    for mp_id in page.marketplaces:
        other = repo.marketplaces[mp_id]
        tags = published.get(mp_id)
        if not tags:
            continue
        target = locale if locale in tags else other.locales[0] if other.locales[0] in tags else tags[0]
        markets.append(
            {
                "id": mp_id,
                "name": l10n.country_name(other.country, locale),
                "site": other.site or "",
                "href": href(mp_id, target),
                "current": mp_id == current,
                "lang": target,
            }
        )
    return markets


def shown_marketplaces(repo: Repository, page: Page, jobs: list[Job]) -> list[list[dict[str, Any]]]:
    """What the layout of ``page``'s files (its HTML switchers, its marketplace chooser) shows of the
    marketplaces it is published in (``jobs``: its jobs): `marketplace_links` in each language it is
    shown in (the page's, and the English of a page shown in English for now: its title), links
    left out (they are made from the plan alone). What the page's cache key holds of the
    marketplaces' records but its own (engine.cache.pages): made by the function the views use, so
    a field they start to show is in the key with them."""
    current = [j for j in jobs if j.edition is None]
    tags = sorted({tag for j in jobs for tag in (j.locale, j.lang)})
    return [marketplace_links(repo, page, tag, current, lambda mp_id, target: "") for tag in tags]


def rel(from_path: str, to_path: str) -> str:
    """The link from the page at ``from_path`` to ``to_path``, both `/`-separated paths in the tree
    (no `.`, `..` or empty parts): as `os.path.relpath` says, without its ~40 µs (about 30 links a
    page)."""
    here, there = from_path.split("/")[:-1], to_path.split("/")
    same = 0
    while same < len(here) and same < len(there) - 1 and here[same] == there[same]:
        same += 1
    return "/".join([".."] * (len(here) - same) + there[same:])
