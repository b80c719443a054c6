"""The site build: every program's pages × marketplaces × published languages, Markdown and HTML.

    generated_docs/
      index.html, index.md          programs × marketplaces × languages
      index.json                    the same for tools, with each page's effective dates
      <program>/<marketplace>/<locale>/<page>.md   and .html

The output depends only on the sources and on which effective dates have passed: pages state the
date their rules took effect, never the day of the build, so a tree built on one day is still
current on a later day unless the sources change or a new effective date arrives (see
`policyctl build --check`). Without `--at`, "today" is taken in each marketplace's time zone,
as effective dates are.

Large builds render on every core (forked workers, results in plan order). With a page cache
(engine.cache.pages), only pages whose inputs changed since the last build into the same folder are
rendered; the others are kept on disk as they are.
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import multiprocessing
import os
import re
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from engine import packaged
from engine.cache.pages import PageCache, index_key, page_keys
from engine.i18n import cldr as l10n
from engine.i18n.catalogs import SITE, Domain, extract, parameter_context
from engine.i18n.translator import Catalogs, Translator, source_index
from engine.model.clock import today
from engine.model.repository import Repository
from engine.problems import Problem
from engine.site import editions, feeds, markup, search
from engine.site.context import effective_dates, official_name, page_context
from engine.site.editions import Edition
from engine.site.html import Layout
from engine.site.manifest import Page, pages_of
from engine.site.render import Renderer, render
from engine.templates.sandbox import RenderError

INDEX = "index"  # the index files' entry in engine.cache.pages
INDEX_FILES = ("index.html", "index.json", "index.md")


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
    _firsts: dict[tuple[str, str], dict[str, Job]] | None = field(default=None, repr=False)
    _dates: dict[tuple[str, str, str], tuple[str | None, str | None]] = field(default_factory=dict, repr=False)
    # past editions by (program, marketplace), oldest first; set by `add_editions`
    editions: dict[tuple[str, str], list[Edition]] = field(default_factory=dict)
    feeds: set[Job] = field(default_factory=set)  # the pages whose HTML a change feed is read from
    # the catalogs of this build, each read once (before any worker forks: workers inherit them)
    catalogs: Catalogs = field(default_factory=Catalogs, repr=False)

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

    def files(self, job: Job) -> tuple[str, ...]:
        """The files made from one page: Markdown, HTML, and its program's change feed if it is read from it."""
        if job in self.feeds:
            return (job.path("md"), job.path("html"), job.feed())
        return (job.path("md"), job.path("html"))


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
    doc = repo.documents.get(program.pos.file)
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
            from engine.i18n.catalogs import check

            pending = {s.tag for s in check(domain).stats if s.missing or s.fuzzy}
            if pending:
                out.fallbacks[program_id] = pending
                jobs = [
                    Job(j.page, j.marketplace, j.locale, fallback=l10n.SOURCE_LOCALE) if j.locale in pending else j
                    for j in jobs
                ]
        out.jobs += jobs
    site = site_dir(repo)
    tags = {j.locale for j in out.jobs} | {l10n.SOURCE_LOCALE}
    out.domains[SITE] = Domain(SITE, site, site, tuple(sorted(tags)))
    return out


def program_facts(repo: Repository, program_id: str) -> dict[Any, str]:  # noqa: C901 - one branch per kind of fact a program publishes
    """Every value the program's pages may state, each with the parameter it belongs to: numbers
    (2 and more: 0 and 1 are too common in prose to be a figure), addresses, URLs and dates, in
    every marketplace and at every effective date. A translation writing one of them is G006."""
    program = repo.programs[program_id]
    facts: dict[Any, str] = {}

    def walk(name: str, value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, (int, float)):
            if value >= 2:
                facts.setdefault(float(value), name)
        elif isinstance(value, str):
            if "@" in value or "://" in value or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                facts.setdefault(value.lower(), name)
        elif isinstance(value, dict):
            for v in value.values():
                walk(name, v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(name, v)

    for name in program.parameters:
        for mp in program.marketplaces:
            if mp in repo.marketplaces:
                for entry in program.timeline(name, mp):
                    walk(name, entry.value)
                    if entry.start:
                        facts.setdefault(entry.start, f"{name} (its effective date)")
    return facts


def catalog_problems(repo: Repository, work: Plan) -> list[Problem]:
    """What `policyctl i18n check` finds in the catalogs of every domain of the plan (missing, fuzzy,
    obsolete messages, placeholders that differ from the English, a stale template), and the
    translations that state a fact instead of its placeholder (G006): a build publishes nothing
    `i18n check` refuses."""
    from engine.i18n.catalogs import check, fact_problems

    problems: list[Problem] = []
    for name, domain in sorted(work.domains.items()):
        found = check(domain).problems
        if name in repo.programs:
            found += fact_problems(domain, program_facts(repo, name))
        pending = tuple(f"{tag}: " for tag in work.fallbacks.get(name, ()))
        # a language shown in English for now (`translations: fallback`): its gaps are to do, not errors
        problems += [
            dataclasses.replace(p, severity="warning") if pending and p.message.startswith(pending) else p
            for p in found
        ]
    return problems


def _merge(checked: list[Problem], found: list[Problem]) -> list[Problem]:
    """The catalog check's problems, and those met while rendering that it did not already state
    (a missing message is found by both, at the same place)."""
    places = {(p.file, p.line, p.code) for p in checked}
    return sorted(set(checked) | {p for p in found if (p.file, p.line, p.code) not in places}, key=Problem.sort_key)


@dataclass
class Built:
    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)  # index.json rows
    editions: list[dict[str, Any]] = field(default_factory=list)  # index.json: the past editions
    kept: set[str] = field(default_factory=set)  # files not made again: those on disk are current
    # for engine.cache.pages: a page's .md path (or INDEX) -> (key, title, its files)
    records: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    rendered: int = 0  # pages rendered (the others were kept)
    warnings: list[Problem] = field(default_factory=list)  # do not stop publishing (a language shown in English)


def tidy_markdown(text: str) -> str:
    """One blank line at most between blocks, no trailing spaces, one final newline; CJK lines of
    one paragraph joined without a space (markup.join_cjk_lines)."""
    lines = [line.rstrip() for line in text.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return markup.join_cjk_lines(text) + "\n"


def build(  # noqa: C901 - the build's stages in order (plan, cache, catalogs, render, assemble), each a call
    repo: Repository,
    at: str | None = None,
    cache: PageCache | None = None,
    progress: Callable[[int, int], None] | None = None,
    strict: bool = False,
) -> Built:
    """Render the whole site in memory. Problems (data, templates, translations) mean: do not publish.

    With ``cache``, a page whose inputs are those of the files the last build left in the output
    folder is not rendered: its two paths go to ``kept`` instead of ``files``. ``progress`` is
    told (pages rendered, pages to render) as rendering goes on.
    """
    out = Built()
    errors = [p for p in repo.problems if p.severity == "error"]
    if errors:
        out.problems = errors
        return out
    work = plan(repo, strict)
    add_editions(repo, work, at)
    out.problems += work.problems
    work.first_pages()  # once, before any worker starts
    keys: dict[Job, str] = {}
    reused: dict[Job, str] = {}  # job -> title, from the cache
    if cache is not None:
        listed, shared = page_keys(repo, work, at)
        keys = dict(zip(work.jobs, listed))
        for job, key in keys.items():
            title = cache.reusable(job.path("md"), key, work.files(job))
            if title is not None:
                reused[job] = title
    todo = [job for job in work.jobs if job not in reused]
    # a program whose pages are all kept has the templates and catalogs of a build without problems
    needed = {SITE} | {job.page.program for job in todo}
    sources: dict[str, dict[Any, tuple[str, int]]] = {}
    for name, domain in work.domains.items():
        if name in needed:
            catalog, problems = extract(domain)
            out.problems += problems
            sources[name] = source_index(catalog, domain.folder)
    if out.problems:
        return out
    translators: list[Translator] = []
    by_program: dict[tuple[str, str], list[Job]] = {}
    for job in todo:
        by_program.setdefault((job.page.program, job.lang), []).append(job)
    # every catalog the pages need, each read once, before any worker starts (Babel's PO parser is
    # slow, and each program x language group would otherwise read the site's catalog again)
    for program_id, tag in sorted(by_program):
        if tag != l10n.SOURCE_LOCALE:
            for name in (program_id, SITE):
                work.catalogs.read(work.domains[name].po(tag), tag)
    rendered: dict[Job, tuple[str, str, str]] = {}  # job -> (markdown, html body, title)
    workers = _workers(len(todo))
    tell = progress or (lambda done, total: None)
    tell(0, len(todo))
    pooled = _render_parallel(repo, work, sources, at, by_program, workers, tell) if workers > 1 else None
    if pooled is not None:
        rendered, problems = pooled
        out.problems += problems
    else:
        renderers: dict[str, Renderer] = {}
        for (program_id, tag), jobs in sorted(by_program.items()):
            problems, used = _render_group(repo, work, sources, at, program_id, tag, jobs, renderers, rendered)
            tell(len(rendered), len(todo))
            out.problems += problems
            for translator in used:
                out.problems += translator.problems
    out.rendered = len(rendered)
    layouts: dict[str, Translator] = {}  # the layout's catalog by language (of the pages rendered, and the index's)
    for tag in sorted({j.locale for j in rendered} | {l10n.SOURCE_LOCALE}):
        layouts[tag] = Translator(work.domains[SITE], tag, sources[SITE], work.catalogs)
        translators.append(layouts[tag])
    if len(rendered) + len(reused) == len(work.jobs):  # translation problems still block publishing (see cli)
        _assemble(
            repo,
            work,
            rendered,
            reused,
            Layout(site_dir(repo)),
            layouts,
            at,
            out,
            cache,
            shared if cache is not None else b"",
        )
        if cache is not None:
            out.records.update(
                {job.path("md"): (keys[job], _title(job, rendered, reused), work.files(job)) for job in work.jobs}
            )
    for translator in translators:
        out.problems += translator.problems
    merged = _merge(catalog_problems(repo, work), out.problems)
    out.problems = [p for p in merged if p.severity == "error"]
    out.warnings = [p for p in merged if p.severity != "error"]
    return out


def render_one(
    repo: Repository,
    work: Plan,
    sources: dict[str, dict[Any, tuple[str, int]]],
    job: Job,
    at: str | None,
    renderers: dict[str, Renderer],
) -> tuple[dict[str, str], list[Problem]]:
    """One page's Markdown and HTML (by extension), and every problem met making them: for the
    preview server (engine.commands.serve), which renders the page asked for and nothing else."""
    rendered: dict[Job, tuple[str, str, str]] = {}
    problems, used = _render_group(repo, work, sources, at, job.page.program, job.lang, [job], renderers, rendered)
    for translator in used:
        problems += translator.problems
    if job not in rendered:
        return {}, sorted(set(problems), key=Problem.sort_key)
    text, body, title = rendered[job]
    layout_text = Translator(work.domains[SITE], job.locale, sources[SITE], work.catalogs)
    files = {"md": text}
    try:
        same = [j for j in work.jobs if j.page is job.page and j.edition is None]
        day = job.edition.day if job.edition else at or today(repo.marketplaces[job.marketplace].time_zone)
        files["html"] = (
            Layout(site_dir(repo)).use(layout_text).page(_page_view(repo, work, job, same, title, body, day))
        )
    except RenderError as e:
        problems.append(e.problem)
    problems += layout_text.problems
    return files, sorted(set(problems), key=Problem.sort_key)


def _title(job: Job, rendered: dict[Job, tuple[str, str, str]], reused: dict[Job, str]) -> str:
    return rendered[job][2] if job in rendered else reused[job]


def _render_group(
    repo: Repository,
    work: Plan,
    sources: dict[str, dict[Any, tuple[str, int]]],
    at: str | None,
    program_id: str,
    tag: str,
    jobs: list[Job],
    renderers: dict[str, Renderer],
    rendered: dict[Job, tuple[str, str, str]],
) -> tuple[list[Problem], list[Translator]]:
    """Render one program's pages in one language into ``rendered``; the problems, and the catalogs used."""
    problems: list[Problem] = []
    pair = {
        program_id: Translator(work.domains[program_id], tag, sources[program_id], work.catalogs),
        SITE: Translator(work.domains[SITE], tag, sources[SITE], work.catalogs),
    }
    renderer = renderers.get(program_id)
    if renderer is None:
        renderer = renderers[program_id] = Renderer(repo, repo.programs[program_id], site_dir(repo))
    renderer.use(tag, pair)
    for job in jobs:
        day = job.edition.day if job.edition else at or today(repo.marketplaces[job.marketplace].time_zone)
        try:
            rendered[job] = _render_page(
                repo, renderer, job, day, work.first_pages(), work.editions.get((job.page.program, job.marketplace), [])
            )
        except RenderError as e:
            problems.append(e.problem)
    return problems, list(pair.values())


# A worker pays for itself only with enough pages: each one loads the CLDR data of its languages
# and compiles the templates again (~1 s of CPU for a 5-program, 25-language site); measured on
# 2 cores, 600 pages rendered faster serially than on two workers (benchmarks/README.md).
PAGES_PER_WORKER = 800
JOBS_ENV = "POLICYCTL_JOBS"  # worker processes for rendering: 1 = serial; unset = chosen by size and idle cores
_STATE: tuple[Repository, Plan, dict[str, dict[Any, tuple[str, int]]], str | None] | None = None
_RENDERERS: dict[str, Renderer] = {}
_PR_SET_PDEATHSIG = 1  # linux/prctl.h  # in a worker process: one per program, each template compiled once


def _workers(pages: int) -> int:
    """How many processes render the pages: ``POLICYCTL_JOBS`` if set, else one per
    ``PAGES_PER_WORKER`` pages, at most one per idle core."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    setting = os.environ.get(JOBS_ENV, "").strip()
    if setting.isdigit() and int(setting) > 0:
        return max(1, min(int(setting), pages))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    # a second process gains nothing on a core another program keeps busy: count the idle ones
    # (the build itself is one of the running processes, so it takes one of them)
    try:
        idle = cores - int(os.getloadavg()[0])
    except OSError:
        idle = cores
    return max(1, min(cores, idle + 1, pages // PAGES_PER_WORKER))


def _render_parallel(
    repo: Repository,
    work: Plan,
    sources: dict[str, dict[Any, tuple[str, int]]],
    at: str | None,
    by_program: dict[tuple[str, str], list[Job]],
    workers: int,
    tell: Callable[[int, int], None],
) -> tuple[dict[Job, tuple[str, str, str]], list[Problem]] | None:
    """The pages rendered by forked worker processes, which inherit the loaded repository.

    Each task is a slice of one program's pages in one language; results are keyed by the page's
    place in the plan, so the output does not depend on which worker finished first. None when
    the workers could not be started or died (the caller then renders serially).
    """
    global _STATE
    index = {job: i for i, job in enumerate(work.jobs)}
    groups = sorted(by_program.items())
    parts = max(1, -(-workers * 4 // len(groups)))  # enough tasks to keep every worker busy
    tasks: list[tuple[str, str, list[int]]] = []
    for (program_id, tag), jobs in groups:
        size = max(1, -(-len(jobs) // parts))
        tasks += [(program_id, tag, [index[j] for j in jobs[k : k + size]]) for k in range(0, len(jobs), size)]
    _STATE = (repo, work, sources, at)
    try:
        with ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start, initargs=(os.getpid(),)
        ) as pool:
            results, done, total = [], 0, sum(len(t[2]) for t in tasks)
            for result in pool.map(_render_task, tasks):  # in task order, as they finish
                results.append(result)
                done += len(result[0])
                tell(done, total)
    except (OSError, BrokenProcessPool):
        return None
    finally:
        _STATE = None
    rendered: dict[Job, tuple[str, str, str]] = {}
    problems: list[Problem] = []
    for pages, found in results:
        for i, value in pages:
            rendered[work.jobs[i]] = value
        problems += found
    return rendered, problems


def _worker_start(parent: int) -> None:
    """In a new worker: die with the build (a killed build must not leave workers waiting forever)."""
    _RENDERERS.clear()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the build died before the signal was armed
        os._exit(1)


def _render_task(task: tuple[str, str, list[int]]) -> tuple[list[tuple[int, tuple[str, str, str]]], list[Problem]]:
    """In a worker: render a slice of pages; their texts by place in the plan, and every problem."""
    assert _STATE is not None
    repo, work, sources, at = _STATE
    program_id, tag, indices = task
    jobs = [work.jobs[i] for i in indices]
    rendered: dict[Job, tuple[str, str, str]] = {}
    problems, used = _render_group(repo, work, sources, at, program_id, tag, jobs, _RENDERERS, rendered)
    for translator in used:
        problems += sorted(translator.problems, key=Problem.sort_key)
    return [(i, rendered[work.jobs[i]]) for i in indices if work.jobs[i] in rendered], problems


def _links(job: Job, firsts: dict[tuple[str, str], dict[str, Job]]) -> dict[str, str]:
    """Each other program's first page for the same marketplace and language, relative to ``job``."""
    here = job.path("md")
    return {
        program: _rel(here, other.path("md"))
        for program, other in firsts.get((job.marketplace, job.locale), {}).items()
    }


def _edition_links(job: Job, past: list[Edition]) -> dict[str, dict[str, str | None]]:
    """For each effective date with an edition: the page before and after that change (.md, relative)."""
    here = job.path("md")
    links: dict[str, dict[str, str | None]] = {}
    ends = {e.end for e in past}
    for start in sorted(ends | {e.start for e in past if e.start}):
        earlier = editions.before(past, start)
        links[start] = {
            "after": _rel(here, job.path("md", edition=editions.folder_of(past, start))),
            "before": _rel(here, job.path("md", edition=earlier)) if earlier else None,
        }
    return links


def _render_page(
    repo: Repository,
    renderer: Renderer,
    job: Job,
    day: str,
    firsts: dict[tuple[str, str], dict[str, Job]],
    past: list[Edition],
) -> tuple[str, str, str]:
    context = page_context(repo, renderer, job.marketplace, day, _links(job, firsts))
    context["page_template"] = job.page.template
    context["edition_links"] = _edition_links(job, past)
    text, _ = render(renderer, job.page.template, context, html=False)
    marked, marks = render(renderer, job.page.template, context, html=True)
    assert marks is not None
    body, title = markup.to_html(tidy_markdown(marked), marks)
    return tidy_markdown(text), body, title


def _assemble(
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
        entry: dict[str, str | None] = {  # None: a date the page does not have (written as null)
            "program": job.page.program,
            "page": job.page.id,
            "marketplace": job.marketplace,
            "locale": job.locale,
            "title": _title(job, rendered, reused),
            "markdown": job.path("md"),
            "html": job.path("html"),
        }
        if job.edition is None:
            since, upcoming = work.effective(repo, job.page.program, job.marketplace, day)
            entry.update(effective_from=since, next_change=upcoming)
            if job in work.feeds:
                entry["feed"] = job.feed()
        else:
            entry.update(edition=job.edition.folder, effective_from=job.edition.start, effective_until=job.edition.end)
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
            text = _pending_notice(layouts[job.locale], job) + text
        out.files[job.path("md")] = text.encode("utf-8")
        try:
            view = _page_view(repo, work, job, by_page[job.page], title, body, day)
            page_html = layout.use(layouts[job.locale]).page(view)
        except RenderError as e:
            out.problems.append(e.problem)
            continue
        out.files[job.path("html")] = page_html.encode("utf-8")
        if job in work.feeds:
            out.files[job.feed()] = _feed(repo, work, job, title, body, layouts[job.locale]).encode("utf-8")
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


def _pending_notice(layout: Translator, job: Job) -> str:
    """The Markdown page's first line when it is the English page in ``job.locale``'s place."""
    note = layout.lookup(PENDING) % {"language": l10n.language_name(job.locale, job.locale)}
    return f"> {markup.escape(note)}\n\n"


def _rel(from_path: str, to_path: str) -> str:
    """The link from the page at ``from_path`` to ``to_path``, both `/`-separated paths in the tree
    (no `.`, `..` or empty parts): as `os.path.relpath` says, without its ~40 µs (about 30 links a
    page)."""
    here, there = from_path.split("/")[:-1], to_path.split("/")
    same = 0
    while same < len(here) and same < len(there) - 1 and here[same] == there[same]:
        same += 1
    return "/".join([".."] * (len(here) - same) + there[same:])


def _feed(repo: Repository, work: Plan, job: Job, title: str, body: str, words: Translator) -> str:
    """The change feed of ``job``'s program, marketplace and language, from ``job``'s HTML body."""
    past = work.editions[(job.page.program, job.marketplace)]
    links = _edition_links(job, past)
    skip = {href[:-3] + ".html" for pair in links.values() for href in pair.values() if href}
    found = feeds.changes_in(body, skip)
    here = job.feed()
    tag = job.locale
    program = official_name(repo.programs[job.page.program], tag)
    mp = repo.marketplaces[job.marketplace]
    country = l10n.country_name(mp.country, tag)
    entries = []
    for date in sorted(found, reverse=True):
        folder = editions.folder_of(past, date)
        entries.append(
            feeds.Entry(
                date,
                words.lookup("In effect from %(date)s") % {"date": l10n.date(date, tag)},
                "\n".join(found[date]),
                _rel(here, job.path("html", edition=folder)),
            )
        )
    if not entries:  # the page shows no change (its template leaves the section out): nothing to say
        entries = [
            feeds.Entry(
                e.end,
                words.lookup("In effect from %(date)s") % {"date": l10n.date(e.end, tag)},
                title,
                _rel(here, job.path("html", edition=editions.folder_of(past, e.end))),
            )
            for e in reversed(past)
        ]
    return feeds.atom(
        ident=feeds.feed_id(job.page.program, job.marketplace, tag),
        lang=tag,
        title=words.lookup("Changes to %(program)s in %(marketplace)s") % {"program": program, "marketplace": country},
        author=program,
        page_href=_rel(here, job.path("html", edition=None)),
        time_zone=mp.time_zone,
        entries=entries,
        ids=[feeds.entry_id(job.page.program, job.marketplace, tag, e.date) for e in entries],
    )


def _edition_view(job: Job, past: list[Edition], day: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The edition picker (newest first) and, on a past edition, its banner."""
    here, tag = job.path("html"), job.locale
    if not past:
        return [], None
    current = past[-1].end
    picker = [
        {
            "label": l10n.date(current, tag),
            "start": current,
            "href": _rel(here, job.path("html", edition=None)),
            "current": job.edition is None,
            "latest": True,
        }
    ]
    for e in reversed(past):
        picker.append(
            {
                "label": l10n.date(e.start, tag) if e.start else None,
                "until": l10n.date(e.end, tag),
                "start": e.start,
                "href": _rel(here, job.path("html", edition=e.folder)),
                "current": job.edition == e,
                "latest": False,
            }
        )
    banner = None
    if job.edition is not None:
        banner = {
            "start": l10n.date(job.edition.start, tag) if job.edition.start else None,
            "end": l10n.date(job.edition.end, tag),
            "href": _rel(here, job.path("html", edition=None)),
        }
    return picker, banner


def _page_view(
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
            "href": _rel(here, j.path("html")),
            "hreflang": l10n.hreflang(j.locale, mp.country),
            "current": j.locale == job.locale,
        }
        for j in siblings
        if j.marketplace == job.marketplace
    ]
    markets = []
    for mp_id in job.page.marketplaces:
        other = repo.marketplaces[mp_id]
        tags = [j.locale for j in siblings if j.marketplace == mp_id]
        if not tags:
            continue
        target = job.locale if job.locale in tags else other.locales[0] if other.locales[0] in tags else tags[0]
        markets.append(
            {
                "id": mp_id,
                "name": l10n.country_name(other.country, job.locale),
                "site": other.site or "",
                "href": _rel(here, job.path("html", mp_id, target, edition=None if mp_id != job.marketplace else "")),
                "current": mp_id == job.marketplace,
                "lang": target,
            }
        )
    default = mp.locales[0]
    published = {lang["tag"] for lang in languages}
    picker, banner = _edition_view(job, work.editions.get((job.page.program, job.marketplace), []), day)
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
        "feed_href": _rel(here, feed.feed()) if feed else "",
        "program": job.page.program,
        "marketplace": job.marketplace,
        "lang": job.lang,
        "dir": l10n.text_direction(job.lang),
        "title": title,
        "body": body,
        "pending": {"tag": job.locale, "name": l10n.language_name(job.locale, job.locale)} if job.fallback else None,
        "program_name": official_name(repo.programs[job.page.program], job.locale),
        "marketplace_name": l10n.country_name(mp.country, job.locale),
        "site": mp.site or "",
        "languages": languages,
        "marketplaces": markets,
        "index_href": _rel(here, "index.html"),
        "search_href": _rel(here, f"{search.PAGES}/{job.lang.lower()}.html"),  # engine.site.search's page
        "markdown_href": _rel(here, job.path("md")),
        "x_default": _rel(here, job.path("html", locale=default)) if default in published else "",
    }


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
        rows.append(
            {
                "program": program_id,
                "program_name": official_name(program, l10n.SOURCE_LOCALE),
                "page": page_id,
                "marketplace": mp_id,
                "site": mp.site or "",
                "country": l10n.country_name(mp.country, l10n.SOURCE_LOCALE),
                "title": titles.get((program_id, page_id, mp_id, mine[0].locale), ""),
                "languages": [
                    {
                        "tag": j.locale,
                        "name": l10n.autonym(j.locale),
                        "html": Markup(j.path("html")),
                        "md": Markup(j.path("md")),
                        "title": titles.get((program_id, page_id, mp_id, j.locale), ""),
                    }
                    for j in mine
                ],
            }
        )
    return {"lang": l10n.SOURCE_LOCALE, "dir": "ltr", "rows": rows}


def passed_dates(out_dir: str, repo: Repository, at: str | None) -> list[str]:
    """Why a committed tree went stale without a source change: effective dates it announced as
    upcoming (`next_change` in its index.json) that have now arrived."""
    try:
        with open(os.path.join(out_dir, "index.json"), encoding="utf-8") as f:
            entries = json.load(f).get("pages", [])
    except (OSError, ValueError, AttributeError):
        return []
    reasons = set()
    for entry in entries:
        upcoming, mp = entry.get("next_change"), repo.marketplaces.get(entry.get("marketplace", ""))
        if upcoming and mp is not None and upcoming <= (at or today(mp.time_zone)):
            reasons.add(
                f"the effective date {upcoming} ({entry['program']} in {mp.id}) has arrived since "
                f"{out_dir} was built: the pages must now state the new rules"
            )
    return sorted(reasons)
