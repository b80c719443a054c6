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
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from engine import l10n, markup
from engine.context import effective_dates, official_name, page_context
from engine.htmlpage import Layout
from engine.i18n import SITE, Domain, extract, parameter_context
from engine.manifest import Page, pages_of
from engine.pages import Renderer, render
from engine.sandbox import RenderError
from engine.translator import Translator, source_index
from engine.problems import Problem
from engine.repository import Repository

PAGE_FRAME = "_site/page.md.j2"


@dataclass(frozen=True, slots=True)
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


def site_dir(repo: Repository) -> str:
    return os.path.join(repo.root, SITE)


def _labels(repo: Repository, program_id: str) -> tuple[str | None, tuple[tuple[str, str, int, str], ...]]:
    """Every English label of a program with its line: `labels:` and parameters' `label:`."""
    from engine.i18n import label_context

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
                if mp in repo.marketplaces for tag in repo.marketplaces[mp].locales]
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
    return _dt.datetime.now(ZoneInfo(time_zone)).date().isoformat()


@dataclass
class Built:
    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)  # index.json rows


def tidy_markdown(text: str) -> str:
    """One blank line at most between blocks, no trailing spaces, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text + "\n"


def build(repo: Repository, at: str | None = None) -> Built:
    """Render the whole site in memory. Problems (data, templates, translations) mean: do not publish."""
    out = Built()
    errors = [p for p in repo.problems if p.severity == "error"]
    if errors:
        out.problems = errors
        return out
    work = plan(repo)
    out.problems += work.problems
    sources: dict[str, dict[Any, tuple[str, int]]] = {}
    for name, domain in work.domains.items():
        catalog, problems = extract(domain)
        out.problems += problems
        sources[name] = source_index(catalog, domain.folder)
    if out.problems:
        return out
    translators: list[Translator] = []
    by_program: dict[tuple[str, str], list[Job]] = {}
    for job in work.jobs:
        by_program.setdefault((job.page.program, job.locale), []).append(job)
    rendered: dict[Job, tuple[str, str, str]] = {}  # job -> (markdown, html body, title)
    renderers: dict[str, Renderer] = {}
    for (program_id, tag), jobs in sorted(by_program.items()):
        pair = {program_id: Translator(work.domains[program_id], tag, sources[program_id]),
                SITE: Translator(work.domains[SITE], tag, sources[SITE])}
        translators += pair.values()
        renderer = renderers.setdefault(program_id, Renderer(repo, repo.programs[program_id], site_dir(repo)))
        renderer.use(tag, pair)
        for job in jobs:
            day = at or today_in(repo.marketplaces[job.marketplace].time_zone)
            try:
                rendered[job] = _render_page(repo, renderer, job, day, work.jobs)
            except RenderError as e:
                out.problems.append(e.problem)
    layouts: dict[str, Translator] = {}  # the layout's catalog by language
    for tag in sorted({j.locale for j in work.jobs} | {l10n.SOURCE_LOCALE}):
        layouts[tag] = Translator(work.domains[SITE], tag, sources[SITE])
        translators.append(layouts[tag])
    if len(rendered) == len(work.jobs):  # translation problems still block publishing (see cli)
        _assemble(repo, rendered, Layout(site_dir(repo)), layouts, at, out)
    for translator in translators:
        out.problems += translator.problems
    out.problems = sorted(set(out.problems), key=Problem.sort_key)
    return out


def _links(job: Job, jobs: list[Job]) -> dict[str, str]:
    """Each other program's first page for the same marketplace and language, relative to ``job``."""
    links: dict[str, str] = {}
    for other in sorted(jobs, key=lambda j: (j.page.program, j.page.id)):
        if other.marketplace == job.marketplace and other.locale == job.locale:
            links.setdefault(other.page.program, _rel(job.path("md"), other.path("md")))
    return links


def _render_page(repo: Repository, renderer: Renderer, job: Job, day: str, jobs: list[Job]) -> tuple[str, str, str]:
    context = page_context(repo, renderer, job.marketplace, day, _links(job, jobs))
    context["page_template"] = job.page.template
    text, _ = render(renderer, job.page.template, context, html=False)
    marked, marks = render(renderer, job.page.template, context, html=True)
    assert marks is not None
    body, title = markup.to_html(tidy_markdown(marked), marks)
    return tidy_markdown(text), body, title


def _assemble(repo: Repository, rendered: dict[Any, tuple[str, str, str]], layout: Layout,
              layouts: dict[str, Translator], at: str | None, out: Built) -> None:
    jobs = sorted(rendered, key=lambda j: (j.page.program, j.page.id, j.marketplace, j.locale))
    for job in jobs:
        text, body, title = rendered[job]
        day = at or today_in(repo.marketplaces[job.marketplace].time_zone)
        since, upcoming = effective_dates(repo, job.page.program, job.marketplace, day)
        out.files[job.path("md")] = text.encode("utf-8")
        try:
            page_html = layout.use(layouts[job.locale]).page(_page_view(repo, job, jobs, title, body))
        except RenderError as e:
            out.problems.append(e.problem)
            continue
        out.files[job.path("html")] = page_html.encode("utf-8")
        out.entries.append({"program": job.page.program, "page": job.page.id, "marketplace": job.marketplace,
                            "locale": job.locale, "title": title, "markdown": job.path("md"),
                            "html": job.path("html"), "effective_from": since, "next_change": upcoming})
    index = _index_view(repo, jobs, out.entries)
    try:
        layout.use(layouts[l10n.SOURCE_LOCALE])
        out.files["index.html"] = layout.index(index).encode("utf-8")
        out.files["index.md"] = tidy_markdown(layout.index_markdown(index)).encode("utf-8")
    except RenderError as e:
        out.problems.append(e.problem)
    manifest = {"generator": "policyctl build", "pages": out.entries}
    out.files["index.json"] = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def _rel(from_path: str, to_path: str) -> str:
    return os.path.relpath(to_path, os.path.dirname(from_path) or ".").replace(os.sep, "/")


def _page_view(repo: Repository, job: Job, jobs: list[Job], title: str, body: str) -> dict[str, Any]:
    """What the HTML layout needs for one page: switchers and alternates are links between pages."""
    here = job.path("html")
    mp = repo.marketplaces[job.marketplace]
    order = {tag: i for i, tag in enumerate(mp.locales)}
    siblings = sorted((j for j in jobs if j.page == job.page), key=lambda j: order.get(j.locale, len(order)))
    languages = [{"tag": j.locale, "name": l10n.autonym(j.locale), "href": _rel(here, j.path("html")),
                  "hreflang": l10n.hreflang(j.locale, mp.country), "current": j.locale == job.locale}
                 for j in siblings if j.marketplace == job.marketplace]
    markets = []
    for mp_id in job.page.marketplaces:
        other = repo.marketplaces[mp_id]
        tags = [j.locale for j in siblings if j.marketplace == mp_id]
        if not tags:
            continue
        target = job.locale if job.locale in tags else other.locales[0]
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
    for program_id in sorted({j.page.program for j in jobs}):
        program = repo.programs[program_id]
        for page_id in sorted({j.page.id for j in jobs if j.page.program == program_id}):
            for mp_id in sorted({j.marketplace for j in jobs if j.page.program == program_id and j.page.id == page_id}):
                mp = repo.marketplaces[mp_id]
                mine = [j for j in jobs if j.page.program == program_id and j.page.id == page_id
                        and j.marketplace == mp_id]
                order = {t: i for i, t in enumerate(mp.locales)}
                mine.sort(key=lambda j: order.get(j.locale, len(order)))
                rows.append({
                    "program": program_id, "program_name": official_name(program, l10n.SOURCE_LOCALE),
                    "page": page_id, "marketplace": mp_id, "site": mp.site or "",
                    "country": l10n.country_name(mp.country, l10n.SOURCE_LOCALE),
                    "title": titles.get((program_id, page_id, mp_id, mp.locales[0]), ""),
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
