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
import json
import multiprocessing
import os
import re
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable

from markupsafe import Markup

from engine import packaged
from engine.i18n import cldr as l10n
from engine.site import markup
from engine.site.context import effective_dates, official_name, page_context
from engine.site.html import Layout
from engine.i18n.catalogs import SITE, Domain, extract, parameter_context
from engine.site.manifest import Page, pages_of
from engine.cache.pages import PageCache, index_key, page_keys
from engine.site.render import Renderer, render
from engine.templates.sandbox import RenderError
from engine.i18n.translator import Catalogs, Translator, source_index
from engine.problems import Problem
from engine.model.repository import Repository

PAGE_FRAME = "_site/page.md.j2"
INDEX = "index"  # the index files' entry in engine.cache.pages
INDEX_FILES = ("index.html", "index.json", "index.md")


# One object per page and language in a plan, used as a key in several dicts per page: identity is
# its equality, and hashing costs nothing (a derived hash walks the page and its position).
@dataclass(frozen=True, slots=True, eq=False)
class Job:
    page: Page
    marketplace: str
    locale: str

    def path(self, ext: str, marketplace: str | None = None, locale: str | None = None) -> str:
        return f"{self.page.program}/{marketplace or self.marketplace}/{locale or self.locale}/{self.page.id}.{ext}"


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)
    domains: dict[str, Domain] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    _firsts: dict[tuple[str, str], dict[str, Job]] | None = field(default=None, repr=False)
    _dates: dict[tuple[str, str, str], tuple[str | None, str | None]] = field(default_factory=dict, repr=False)
    _same: dict[Page, list[Job]] | None = field(default=None, repr=False)

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
            for job in sorted(self.jobs, key=lambda j: (j.page.program, j.page.id)):
                self._firsts.setdefault((job.marketplace, job.locale), {}).setdefault(job.page.program, job)
        return self._firsts


    def same_page(self) -> dict[Page, list[Job]]:
        """Each page's jobs (every marketplace and language), by program, page, marketplace, language."""
        if self._same is None:
            self._same = {}
            for job in sorted(self.jobs, key=lambda j: (j.page.program, j.page.id, j.marketplace, j.locale)):
                self._same.setdefault(job.page, []).append(job)
        return self._same


def site_dir(repo: Repository) -> str:
    """The page layout: the repository's own `policies/_site/` when it has one, else the default
    layout policyctl ships (engine.packaged), which is read and never written."""
    return os.path.join(repo.root, SITE) if has_own_site(repo.root) else packaged.default_site_dir()


def has_own_site(root: str) -> bool:
    return os.path.isdir(os.path.join(root, SITE))


def _labels(repo: Repository, program_id: str) -> tuple[str | None, tuple[tuple[str, str, int, str], ...]]:
    """Every English label of a program with its line: `labels:` and parameters' `label:`."""
    from engine.i18n.catalogs import label_context

    program = repo.programs[program_id]
    doc = repo.documents.get(program.pos.file)
    if doc is None or not isinstance(doc.data, dict):
        return None, ()
    found = [(label_context(k), v, doc.key_pos(("labels", k)).line, f"`labels: {k}` in program.yaml")
             for k, v in (doc.data.get("labels") or {}).items()]
    for name, spec in doc.data["parameters"].items():
        if spec.get("label"):
            found.append((parameter_context(name), spec["label"], doc.pos(("parameters", name, "label")).line,
                          f"short name of the parameter `{name}`: {spec['description']}"))
    return program.pos.file, tuple(found)


def plan(repo: Repository) -> Plan:
    """Which pages to render in which marketplaces and languages, and the catalogs they need."""
    out = Plan()
    for program_id in sorted(repo.programs):
        program = repo.programs[program_id]
        pages, problems = pages_of(repo, program)
        out.problems += problems
        jobs = [Job(page, mp, tag) for page in pages for mp in page.marketplaces
                if mp in repo.marketplaces for tag in repo.marketplaces[mp].locales
                if repo.languages is None or tag in repo.languages]
        if not jobs:
            continue
        out.jobs += jobs
        labels_file, labels = _labels(repo, program_id)
        out.domains[program_id] = Domain(program_id, program.dir, os.path.join(program.dir, "pages"),
                                         tuple(sorted({j.locale for j in jobs})), labels, labels_file)
    site = site_dir(repo)
    tags = {j.locale for j in out.jobs} | {l10n.SOURCE_LOCALE}
    out.domains[SITE] = Domain(SITE, site, site, tuple(sorted(tags)))
    return out


def today_in(time_zone: str) -> str:
    from engine.model.clock import today  # the one "today" of every command

    return today(time_zone)


@dataclass
class Built:
    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)  # index.json rows
    kept: set[str] = field(default_factory=set)  # files not made again: those on disk are current
    # for engine.cache.pages: a page's .md path (or INDEX) -> (key, title, its files)
    records: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    rendered: int = 0  # pages rendered (the others were kept)


def tidy_markdown(text: str) -> str:
    """One blank line at most between blocks, no trailing spaces, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text + "\n"


def build(repo: Repository, at: str | None = None, cache: PageCache | None = None,
          progress: Callable[[int, int], None] | None = None) -> Built:
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
    work = plan(repo)
    out.problems += work.problems
    work.first_pages()  # once, before any worker starts
    work.same_page()
    keys: dict[Job, str] = {}
    reused: dict[Job, str] = {}  # job -> title, from the cache
    if cache is not None:
        listed, shared = page_keys(repo, work, at)
        keys = dict(zip(work.jobs, listed))
        for job, key in keys.items():
            title = cache.reusable(job.path("md"), key, (job.path("md"), job.path("html")))
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
        by_program.setdefault((job.page.program, job.locale), []).append(job)
    # every catalog the pages need, each read once, before any worker starts (workers inherit them)
    catalogs = Catalogs()
    for program_id, tag in sorted(by_program) + [(SITE, l10n.SOURCE_LOCALE)]:
        if tag != l10n.SOURCE_LOCALE:
            for name in (program_id, SITE):
                catalogs.read(work.domains[name].po(tag), tag)
    layout = Layout(site_dir(repo))
    rendered: dict[Job, tuple[str, str, str]] = {}  # job -> (markdown, HTML page, title)
    workers = _workers(len(todo))
    tell = progress or (lambda done, total: None)
    tell(0, len(todo))
    state = (repo, work, sources, at, catalogs, layout)
    pooled = _render_parallel(state, by_program, workers, tell) if workers > 1 else None
    if pooled is not None:
        rendered, problems = pooled
        out.problems += problems
    else:
        renderers: dict[str, Renderer] = {}
        for (program_id, tag), jobs in sorted(by_program.items()):
            problems, used = _render_group(state, program_id, tag, jobs, renderers, rendered)
            tell(len(rendered), len(todo))
            out.problems += problems
            for translator in used:
                out.problems += translator.problems
    out.rendered = len(rendered)
    index_texts = Translator(work.domains[SITE], l10n.SOURCE_LOCALE, sources[SITE], catalogs)
    translators.append(index_texts)
    if len(rendered) + len(reused) == len(work.jobs):  # translation problems still block publishing (see cli)
        _assemble(repo, work, rendered, reused, layout, index_texts, at, out,
                  cache, shared if cache is not None else b"")
        if cache is not None:
            out.records.update({job.path("md"): (keys[job], _title(job, rendered, reused),
                                                 (job.path("md"), job.path("html"))) for job in work.jobs})
    for translator in translators:
        out.problems += translator.problems
    out.problems = sorted(set(out.problems), key=Problem.sort_key)
    return out


def _title(job: Job, rendered: dict[Job, tuple[str, str, str]], reused: dict[Job, str]) -> str:
    return rendered[job][2] if job in rendered else reused[job]


def _render_group(state: _State, program_id: str, tag: str, jobs: list[Job], renderers: dict[str, Renderer],
                  rendered: dict[Job, tuple[str, str, str]]) -> tuple[list[Problem], list[Translator]]:
    """Render one program's pages in one language into ``rendered``; the problems, and the catalogs used."""
    repo, work, sources, at, catalogs, layout = state
    problems: list[Problem] = []
    pair = {program_id: Translator(work.domains[program_id], tag, sources[program_id], catalogs),
            SITE: Translator(work.domains[SITE], tag, sources[SITE], catalogs)}
    renderer = renderers.get(program_id)
    if renderer is None:
        renderer = renderers[program_id] = Renderer(repo, repo.programs[program_id], site_dir(repo))
    renderer.use(tag, pair)
    layout.use(pair[SITE])
    same_page = work.same_page()
    for job in jobs:
        day = at or today_in(repo.marketplaces[job.marketplace].time_zone)
        try:
            text, body, title = _render_page(repo, renderer, job, day, work.first_pages())
            # the HTML page is made here too, so that workers do it (the layout is a third of a page's time)
            rendered[job] = (text, layout.page(_page_view(repo, job, same_page[job.page], title, body)), title)
        except RenderError as e:
            problems.append(e.problem)
    return problems, list(pair.values())


# A worker pays for itself only with enough pages: each one loads the CLDR data of its languages
# and compiles the templates again (~1 s of CPU for a 5-program, 25-language site); measured on
# 2 cores, 600 pages rendered faster serially than on two workers.
PAGES_PER_WORKER = 800
JOBS_ENV = "POLICYCTL_JOBS"  # worker processes for rendering: 1 = serial; unset = chosen by size and idle cores
# what rendering needs: the repository, the plan, where messages are written, the day, catalogs, layout
_State = tuple[Repository, Plan, dict[str, dict[Any, tuple[str, int]]], str | None, Catalogs, Layout]
_STATE: _State | None = None
_RENDERERS: dict[str, Renderer] = {}
_PR_SET_PDEATHSIG = 1  # linux/prctl.h  # in a worker process: one per program, each template compiled once


def _workers(pages: int) -> int:
    """How many processes render the pages: ``POLICYCTL_JOBS`` if set, else every core for large builds."""
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


def _render_parallel(state: _State, by_program: dict[tuple[str, str], list[Job]],
                     workers: int, tell: Callable[[int, int], None]
                     ) -> tuple[dict[Job, tuple[str, str, str]], list[Problem]] | None:
    """The pages rendered by forked worker processes, which inherit the loaded repository.

    Each task is a slice of one program's pages in one language; results are keyed by the page's
    place in the plan, so the output does not depend on which worker finished first. None when
    the workers could not be started or died (the caller then renders serially).
    """
    global _STATE
    work = state[1]
    index = {job: i for i, job in enumerate(work.jobs)}
    groups = sorted(by_program.items())
    parts = max(1, -(-workers * 4 // len(groups)))  # enough tasks to keep every worker busy
    tasks: list[tuple[str, str, list[int]]] = []
    for (program_id, tag), jobs in groups:
        size = max(1, -(-len(jobs) // parts))
        tasks += [(program_id, tag, [index[j] for j in jobs[k:k + size]]) for k in range(0, len(jobs), size)]
    _STATE = state
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_worker_start, initargs=(os.getpid(),)) as pool:
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
    work = _STATE[1]
    program_id, tag, indices = task
    jobs = [work.jobs[i] for i in indices]
    rendered: dict[Job, tuple[str, str, str]] = {}
    problems, used = _render_group(_STATE, program_id, tag, jobs, _RENDERERS, rendered)
    for translator in used:
        problems += sorted(translator.problems, key=Problem.sort_key)
    return [(i, rendered[work.jobs[i]]) for i in indices if work.jobs[i] in rendered], problems


def _links(job: Job, firsts: dict[tuple[str, str], dict[str, Job]]) -> dict[str, str]:
    """Each other program's first page for the same marketplace and language, relative to ``job``."""
    here = job.path("md")
    return {program: _rel(here, other.path("md"))
            for program, other in firsts.get((job.marketplace, job.locale), {}).items()}


def _render_page(repo: Repository, renderer: Renderer, job: Job, day: str,
                 firsts: dict[tuple[str, str], dict[str, Job]]) -> tuple[str, str, str]:
    context = page_context(repo, renderer, job.marketplace, day, _links(job, firsts))
    context["page_template"] = job.page.template
    text, _ = render(renderer, job.page.template, context, html=False)
    marked, marks = render(renderer, job.page.template, context, html=True)
    assert marks is not None
    body, title = markup.to_html(tidy_markdown(marked), marks)
    return tidy_markdown(text), body, title


def _assemble(repo: Repository, work: Plan, rendered: dict[Job, tuple[str, str, str]],
              reused: dict[Job, str], layout: Layout, index_texts: Translator, at: str | None,
              out: Built, cache: PageCache | None, shared: bytes) -> None:
    """The files of the rendered pages, then the index of every page (kept ones by their titles)."""
    jobs = sorted(work.jobs, key=lambda j: (j.page.program, j.page.id, j.marketplace, j.locale))
    days: dict[str, str] = {}
    for job in jobs:
        day = days.get(job.marketplace)
        if day is None:
            day = days[job.marketplace] = at or today_in(repo.marketplaces[job.marketplace].time_zone)
        since, upcoming = work.effective(repo, job.page.program, job.marketplace, day)
        entry = {"program": job.page.program, "page": job.page.id, "marketplace": job.marketplace,
                 "locale": job.locale, "title": _title(job, rendered, reused), "markdown": job.path("md"),
                 "html": job.path("html"), "effective_from": since, "next_change": upcoming}
        if job in reused:
            out.kept.update((job.path("md"), job.path("html")))
            out.entries.append(entry)
            continue
        text, page_html, _ = rendered[job]
        out.files[job.path("md")] = text.encode("utf-8")
        out.files[job.path("html")] = page_html.encode("utf-8")
        out.entries.append(entry)
    if cache is not None:
        key = index_key(shared, out.entries)
        out.records[INDEX] = (key, "", INDEX_FILES)
        if cache.reusable(INDEX, key, INDEX_FILES) is not None:
            out.kept.update(INDEX_FILES)
            return
    index = _index_view(repo, jobs, out.entries)
    try:
        layout.use(index_texts)
        out.files["index.html"] = layout.index(index).encode("utf-8")
        out.files["index.md"] = tidy_markdown(layout.index_markdown(index)).encode("utf-8")
    except RenderError as e:
        out.problems.append(e.problem)
    manifest = {"generator": "policyctl build", "pages": out.entries}
    out.files["index.json"] = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def _rel(from_path: str, to_path: str) -> str:
    """The link from the page at ``from_path`` to ``to_path``, both `/`-separated paths in the tree
    (no `.`, `..` or empty parts): as `os.path.relpath` says, without its ~40 µs (about 30 links a
    page)."""
    here, there = from_path.split("/")[:-1], to_path.split("/")
    same = 0
    while same < len(here) and same < len(there) - 1 and here[same] == there[same]:
        same += 1
    return "/".join([".."] * (len(here) - same) + there[same:])


def _page_view(repo: Repository, job: Job, same_page: list[Job], title: str, body: str) -> dict[str, Any]:
    """What the HTML layout needs for one page: switchers and alternates are links between pages.
    ``same_page``: the jobs of the same page (every marketplace and language)."""
    here = job.path("html")
    mp = repo.marketplaces[job.marketplace]
    order = {tag: i for i, tag in enumerate(mp.locales)}
    siblings = sorted(same_page, key=lambda j: order.get(j.locale, len(order)))
    languages = [{"tag": j.locale, "name": l10n.autonym(j.locale), "href": _rel(here, j.path("html")),
                  "hreflang": l10n.hreflang(j.locale, mp.country), "current": j.locale == job.locale}
                 for j in siblings if j.marketplace == job.marketplace]
    markets = []
    for mp_id in job.page.marketplaces:
        other = repo.marketplaces[mp_id]
        tags = [j.locale for j in siblings if j.marketplace == mp_id]
        if not tags:
            continue
        target = job.locale if job.locale in tags else other.locales[0] if other.locales[0] in tags else tags[0]
        markets.append({"id": mp_id, "name": l10n.country_name(other.country, job.locale), "site": other.site or "",
                        "href": _rel(here, job.path("html", mp_id, target)), "current": mp_id == job.marketplace,
                        "lang": target})
    default = mp.locales[0]
    published = {lang["tag"] for lang in languages}
    return {"lang": job.locale, "dir": l10n.text_direction(job.locale), "title": title, "body": body,
            "program_name": official_name(repo.programs[job.page.program], job.locale),
            "marketplace_name": l10n.country_name(mp.country, job.locale), "site": mp.site or "",
            "languages": languages, "marketplaces": markets, "index_href": _rel(here, "index.html"),
            "markdown_href": _rel(here, job.path("md")),
            "x_default": _rel(here, job.path("html", locale=default)) if default in published else ""}


def _index_view(repo: Repository, jobs: list[Job], entries: list[dict[str, Any]]) -> dict[str, Any]:
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
        rows.append({
            "program": program_id, "program_name": official_name(program, l10n.SOURCE_LOCALE),
            "page": page_id, "marketplace": mp_id, "site": mp.site or "",
            "country": l10n.country_name(mp.country, l10n.SOURCE_LOCALE),
            "title": titles.get((program_id, page_id, mp_id, mine[0].locale), ""),
            "languages": [{"tag": j.locale, "name": l10n.autonym(j.locale),
                           "html": Markup(j.path("html")), "md": Markup(j.path("md")),
                           "title": titles.get((program_id, page_id, mp_id, j.locale), "")} for j in mine]})
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
        if upcoming and mp is not None and upcoming <= (at or today_in(mp.time_zone)):
            reasons.add(f"the effective date {upcoming} ({entry['program']} in {mp.id}) has arrived since "
                        f"{out_dir} was built: the pages must now state the new rules")
    return sorted(reasons)
