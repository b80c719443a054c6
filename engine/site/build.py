"""The site build: every program's pages × marketplaces × published languages, Markdown and HTML.

    generated_docs/
      index.html, index.md          programs × marketplaces × languages
      index.json                    the same for tools, with each page's effective dates
      .nojekyll                     empty: GitHub Pages serves the folder as it is (output.NOJEKYLL)
      <program>/<marketplace>/<locale>/<page>.md   and .html
      <program>/_marketplaces/<locale>/<page>.html the page in every marketplace, when they are
                                    more than a header lists (plan.CHOOSER_THRESHOLD)

The output depends only on the sources and on which effective dates have passed: pages state the
date their rules took effect, never the day of the build, so a tree built on one day is still
current on a later day unless the sources change or a new effective date arrives (see
`policyctl build --check`). Without `--at`, "today" is taken in each marketplace's time zone,
as effective dates are.

Large builds render on every core (forked workers, results in plan order). With a page cache
(engine.cache.pages), only pages whose inputs changed since the last build into the same folder are
rendered; the others are kept on disk as they are, or, when only what the layout around their text
reads changed, their text as rendered before is put in the layout again.

This module runs the stages in order, each a call (`build` reads as them); each lives in its own
module: `plan` (which pages, languages and editions; paths and links) → the pages the cache keeps
(engine.cache.pages) → the templates' messages and the catalogs, read once → `page` (one page
rendered: Markdown, HTML body, title), on `workers` when they pay → `assemble` (page HTML in the
layout, change feeds, the index, the links checked) → `output` (what was made: `Built`). The
catalogs' own problems (`i18n check`) are added here, so nothing `i18n check` refuses is published.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, NamedTuple

from engine.cache.pages import PageCache, Text, page_keys
from engine.i18n import cldr as l10n
from engine.i18n.catalogs import SITE, template_messages
from engine.i18n.translator import Translator, source_index
from engine.model.clock import today
from engine.model.repository import Repository
from engine.problems import Problem
from engine.site.assemble import assemble, change_feed, chooser_view, index_view, page_in_layout
from engine.site.html import Layout
from engine.site.output import INDEX, INDEX_FILES, NOJEKYLL, Built, passed_dates, title_of
from engine.site.page import once_each, render_group, tidy_markdown
from engine.site.plan import CHOOSER_TEMPLATE, Job, Plan, add_editions, chooser_path, plan, site_dir
from engine.site.render import Renderer
from engine.site.workers import JOBS_ENV, PAGES_PER_WORKER, render_parallel, worker_count
from engine.templates.check import loop_problems
from engine.templates.sandbox import RenderError

# the names other modules and tests knew here before the build was split by stage
__all__ = [
    "INDEX",
    "INDEX_FILES",
    "JOBS_ENV",
    "PAGES_PER_WORKER",
    "Built",
    "Job",
    "Plan",
    "add_editions",
    "build",
    "catalog_problems",
    "index_view",
    "passed_dates",
    "plan",
    "render_chooser",
    "render_one",
    "site_dir",
    "tidy_markdown",
]


def catalog_problems(repo: Repository, work: Plan) -> list[Problem]:
    """What `policyctl i18n check` finds in the catalogs of every domain of the plan (missing, fuzzy,
    obsolete messages, placeholders that differ from the English, a stale template), and the
    translations that state a fact instead of its placeholder (G006): a build publishes nothing
    `i18n check` refuses."""
    from engine.i18n.catalogs import as_fallback, domain_problems

    # The catalogs as they are now (the answer is kept under the bytes on disk now:
    # engine.cache.checks): those the plan read before the pages were rendered, unless edited since.
    # (Not parsed again: a repository's catalogs can be more than the process memo of parsed
    # catalogs holds, and the plan read them in this process, before any worker was forked.)
    read = work.catalogs.current
    problems: list[Problem] = []
    for name, domain in sorted(work.domains.items()):
        found = domain_problems(repo, name, domain, read)  # (unchanged domains: neither extracted nor read)
        # a language shown in English for now (`translations: fallback`): its gaps are to do, not errors
        problems += as_fallback(found, work.fallbacks.get(name, ()))
    return problems


def merge(checked: list[Problem], found: list[Problem]) -> list[Problem]:
    """The checks' problems (the catalogs', the templates'), and those met while rendering that
    they did not already state: a missing message, or a template's syntax error, is found by both,
    at the same place and with the same code, in other words (`build`, and `serve` on each page
    it shows, say it once, as `validate` does)."""
    places = {(p.file, p.line, p.code) for p in checked}
    return sorted(set(checked) | {p for p in found if (p.file, p.line, p.code) not in places}, key=Problem.sort_key)


def examples_that_fail(repo: Repository, programs: set[str]) -> list[Problem]:
    """T001 for each worked example (a test case with `example: true`) of ``programs`` whose expected
    outputs are not what its decision answers. Pages show an example's `expect` as the outcome:
    a wrong one would be published as a fact ("can no longer be returned") while `policyctl test`,
    a step a team may skip, was the only one to fail."""
    from engine.policytests import cases as testing

    found = []
    for program in sorted(programs):
        for case in repo.programs[program].tests:
            if not case.example:
                continue
            outcome = testing.run_case(repo, case)
            if outcome.problems or outcome.result is None:
                why = outcome.problems[0].message if outcome.problems else "the decision gave no answer"
            elif outcome.mismatches:
                m = outcome.mismatches[0]
                why = f"`{m.key}` is expected to be {testing.show(m.expected)}, the decision answers {testing.show(m.actual)}"
            else:
                continue
            found.append(
                Problem.at(
                    case.pos,
                    "T001",
                    f"the worked example `{case.name}` would publish a wrong outcome: {why}",
                    "fix the case or the decision (`policyctl test` shows it), or take `example: true` off",
                )
            )
    return found


def build(
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
    out.problems += examples_that_fail(repo, {job.page.program for job in work.jobs})
    work.first_pages()  # once, before any worker starts
    kept = _kept_pages(repo, work, at, cache)
    todo = [job for job in work.jobs if job not in kept.titles and job not in kept.texts]
    sources = _source_messages(work, todo, out)
    out.problems += loop_problems(repo, sorted({job.page.program for job in todo}))
    if out.problems:
        return out
    groups = _groups(todo)
    _read_catalogs(work, groups)
    rendered = _render(repo, work, sources, at, groups, progress, out)
    if cache is not None:  # each page's text, for the next build (those not rendered: as stored)
        out.texts = {job.path("md"): (kept.text_keys[job], rendered.get(job)) for job in work.jobs}
    rendered.update(kept.texts)  # (their text as rendered before: only the layout is made again)
    out.laid_out = len(kept.texts)
    layouts = _layout_texts(work, sources, rendered)
    if len(rendered) + len(kept.titles) == len(work.jobs):  # translation problems still block publishing (see cli)
        _assemble(repo, work, rendered, kept, layouts, at, out, cache)
    for translator in layouts.values():
        out.problems += translator.problems
    _settle(repo, work, out)
    return out


class _Kept(NamedTuple):
    """What the page cache gave a build: each page's key and text key (none without a cache), the
    title of each page whose files on disk are current (it is not rendered again), the text of each
    other page whose text is made from what it was made from before (it is put in the layout again,
    not rendered), and the digest of what the index is made from besides its rows (part of its key)."""

    keys: dict[Job, str]
    text_keys: dict[Job, str]
    titles: dict[Job, str]
    texts: dict[Job, Text]
    shared: bytes


def _kept_pages(repo: Repository, work: Plan, at: str | None, cache: PageCache | None) -> _Kept:
    """The pages the last build into the cache's folder left as this one would make them, and the
    texts of the others that it rendered as this one would render them."""
    if cache is None:
        return _Kept({}, {}, {}, {}, b"")
    found = page_keys(repo, work, at)
    keys = dict(zip(work.jobs, found.pages))
    text_keys = dict(zip(work.jobs, found.texts))
    titles: dict[Job, str] = {}
    texts: dict[Job, Text] = {}
    for job, key in keys.items():
        title = cache.reusable(job.path("md"), key, work.files(job))
        if title is not None:
            titles[job] = title
        elif (text := cache.text(job.path("md"), text_keys[job])) is not None:
            texts[job] = text
    return _Kept(keys, text_keys, titles, texts, found.shared)


def _source_messages(work: Plan, todo: list[Job], out: Built) -> dict[str, dict[Any, tuple[str, int]]]:
    """The source messages, with their places, of the domains the pages to render need (the site's
    and their programs'); the problems met extracting them go to ``out``. A program whose pages
    are all kept has the templates and catalogs of a build without problems: not extracted."""
    needed = {SITE} | {job.page.program for job in todo}
    sources: dict[str, dict[Any, tuple[str, int]]] = {}
    for name, domain in work.domains.items():
        if name in needed:
            catalog, problems = template_messages(domain)  # (Babel's `extract`'s messages and places)
            out.problems += problems
            sources[name] = source_index(catalog, domain.folder)
    return sources


def _groups(todo: list[Job]) -> dict[tuple[str, str], list[Job]]:
    """The pages to render by program and language: each group is rendered with one program's and
    one language's catalogs, and is a worker's task (or slices of one)."""
    by_program: dict[tuple[str, str], list[Job]] = {}
    for job in todo:
        by_program.setdefault((job.page.program, job.lang), []).append(job)
    return by_program


def _read_catalogs(work: Plan, groups: dict[tuple[str, str], list[Job]]) -> None:
    """Every catalog the pages need, each read once, before any worker starts (Babel's PO parser is
    slow, and each program x language group would otherwise read the site's catalog again)."""
    for program_id, tag in sorted(groups):
        if tag != l10n.SOURCE_LOCALE:
            for name in (program_id, SITE):
                work.catalogs.read(work.domains[name].po(tag), tag)


def _render(
    repo: Repository,
    work: Plan,
    sources: dict[str, dict[Any, tuple[str, int]]],
    at: str | None,
    groups: dict[tuple[str, str], list[Job]],
    progress: Callable[[int, int], None] | None,
    out: Built,
) -> dict[Job, tuple[str, str, str]]:
    """Each page of ``groups`` rendered (job -> (markdown, html body, title)), on forked workers when
    they pay, else here; the problems met, the catalogs' among them, go to ``out``."""
    total = sum(len(jobs) for jobs in groups.values())
    workers = worker_count(total)
    tell = progress or (lambda done, total: None)
    tell(0, total)
    pooled = render_parallel(repo, work, sources, at, groups, workers, tell) if workers > 1 else None
    if pooled is not None:
        rendered, problems = pooled
        out.problems += problems
    else:  # (one worker, or the workers could not start or died)
        rendered = {}
        renderers: dict[str, Renderer] = {}
        for (program_id, tag), jobs in sorted(groups.items()):
            problems, used = render_group(repo, work, sources, at, program_id, tag, jobs, renderers, rendered)
            tell(len(rendered), total)
            out.problems += problems
            for translator in used:
                out.problems += translator.problems
    out.rendered = len(rendered)
    return rendered


def _layout_texts(
    work: Plan, sources: dict[str, dict[Any, tuple[str, int]]], rendered: dict[Job, tuple[str, str, str]]
) -> dict[str, Translator]:
    """The layout's catalog by language: of the pages rendered, and the index's (the source's)."""
    tags = sorted({j.locale for j in rendered} | {l10n.SOURCE_LOCALE})
    return {tag: Translator(work.domains[SITE], tag, sources[SITE], work.catalogs) for tag in tags}


def _assemble(
    repo: Repository,
    work: Plan,
    rendered: dict[Job, tuple[str, str, str]],
    kept: _Kept,
    layouts: dict[str, Translator],
    at: str | None,
    out: Built,
    cache: PageCache | None,
) -> None:
    """Every page's files in ``out`` (the rendered ones in the layout, the kept ones left on disk),
    the index, the links between them checked, and what the cache is to remember of each page."""
    assemble(repo, work, rendered, kept.titles, Layout(site_dir(repo)), layouts, at, out, cache, kept.shared)
    out.files[NOJEKYLL] = b""  # (always made: nothing to render, and a deleted one is noticed)
    out.problems += link_problems(repo, work, out, cache)
    if cache is not None:
        out.records.update(
            {
                job.path("md"): (kept.keys[job], title_of(job, rendered, kept.titles), work.files(job))
                for job in work.jobs
            }
        )


def _settle(repo: Repository, work: Plan, out: Built) -> None:
    """The build's problems with the catalogs' own, each said once, split into errors (do not
    publish) and warnings."""
    merged = merge(catalog_problems(repo, work), once_each(out.problems))
    out.problems = [p for p in merged if p.severity == "error"]
    out.warnings = [p for p in merged if p.severity != "error"]


def link_origins(repo: Repository, work: Plan, jobs: list[Job]) -> dict[str, Any]:
    """Where the links of each page of ``jobs`` were written (engine.site.links.Origin, by path: a
    page's Markdown before its HTML), its marketplace choosers' and, for a build, the index's."""
    from engine.site.links import Origin
    from engine.site.manifest import pages_dir

    layout = site_dir(repo)
    origins: dict[str, Origin] = {}
    for job in jobs:
        program = repo.programs[job.page.program]
        catalogs = (work.domains[program.id].po(job.lang), work.domains[SITE].po(job.lang))
        edition = f", edition `{job.edition.folder}`" if job.edition else ""
        where = f"marketplace `{job.marketplace}`, language `{job.locale}`{edition}"
        current = job.path("md", edition=None).rpartition("/")[0] if job.edition else ""
        template = os.path.join(pages_dir(program), job.page.template)
        origin = Origin(template, (pages_dir(program), layout), catalogs, where, current)
        for ext in ("md", "html"):
            origins[job.path(ext)] = origin
    chooser = os.path.join(layout, CHOOSER_TEMPLATE)
    for page, tag in work.choosers:
        where = f"the marketplace chooser, language `{tag}`"
        origins[chooser_path(page, tag)] = Origin(chooser, (layout,), (work.domains[SITE].po(tag),), where)
    return origins


def link_problems(repo: Repository, work: Plan, out: Built, cache: PageCache | None) -> list[Problem]:
    """G011 for each relative link of the pages ``out`` holds, and of those it keeps (read from the
    cache's folder, where they are), that leads to no file of the build or to no id of its page
    (engine.site.links). A kept page's links are read again only when the build makes other pages
    than the one that kept it: each was checked when it was made, against the pages then made (a
    cache is saved only by a build without problems), and reading every kept page made a rebuild
    with nothing changed ~70 % slower (3.3 -> 5.7 s on the benchmark's 6,000 pages)."""
    from engine.site import links, search

    folder = cache.out if cache is not None else None
    origins = link_origins(repo, work, work.jobs)
    if cache is not None and _pages_as_before(cache, work):
        origins = {path: origin for path, origin in origins.items() if path not in out.kept}
    for name in ("index.md", "index.html"):
        template = os.path.join(site_dir(repo), f"{name}.j2")
        origins[name] = links.Origin(template, (site_dir(repo),), (), "the site's index")
    produced = {*out.files, *out.kept, *(search.page_path(job.lang) for job in work.jobs)}

    def data_of(path: str) -> bytes | None:
        data = out.files.get(path)
        if data is None and folder is not None and path in out.kept:
            try:
                with open(os.path.join(folder, path), "rb") as f:
                    return f.read()
            except OSError:
                return None
        return data

    return links.check_pages(origins, produced, data_of)


def _pages_as_before(cache: PageCache, work: Plan) -> bool:
    """Whether ``work`` makes the pages, and their files, that the build ``cache`` remembers made."""
    from engine.site import search

    pages = {job.path("md"): work.files(job) for job in work.jobs}
    before = [name for name in cache.entries if name not in (INDEX, search.CACHE_NAME)]
    if len(before) != len(pages):
        return False
    for name in before:
        entry = cache.entry(name)
        if entry is None or pages.get(name) != entry[2]:
            return False
    return True


def planned_files(repo: Repository, work: Plan, day: Callable[[str], str]) -> set[str]:
    """The files a build on ``day`` (a marketplace's day) makes, known without rendering: for the
    preview, whose plan holds only the current pages (their past editions and change feeds are
    counted here as `add_editions` adds them)."""
    from engine.site import editions, search

    made = {*INDEX_FILES, NOJEKYLL}
    past: dict[tuple[str, str], list[Any]] = {}
    firsts = work.first_pages()
    for job in work.jobs:
        made.update(work.files(job))
        made.add(search.page_path(job.lang))
        where = (job.page.program, job.marketplace)
        if where not in past:
            past[where] = editions.past_editions(repo, *where, day(job.marketplace))
        for edition in past[where]:
            made.update(job.path(ext, edition=edition.folder) for ext in ("md", "html"))
        if past[where] and firsts.get((job.marketplace, job.locale), {}).get(job.page.program) is job:
            made.add(job.feed())
    return made


def page_link_problems(
    repo: Repository,
    work: Plan,
    job: Job,
    files: dict[str, str],
    made: set[str],
    other: Callable[[str], bytes | None] | None = None,
) -> list[Problem]:
    """G011 for the links of one rendered page (``files``: its Markdown and HTML by extension), against
    the files a build makes (``made``: `planned_files`): for the preview, which renders the page asked
    for; ``other`` gives another page's HTML (rendered on demand) for a link into its `#fragment`,
    else only a fragment of the page itself is checked."""
    from engine.site import links

    texts = {job.path(ext): text.encode() for ext, text in files.items() if ext in ("md", "html")}
    origins = {path: origin for path, origin in link_origins(repo, work, [job]).items() if path in texts}

    def data_of(path: str) -> bytes | None:
        data = texts.get(path)
        return data if data is not None or other is None else other(path)

    return links.check_pages(origins, made, data_of)


def render_chooser(
    repo: Repository,
    work: Plan,
    sources: dict[str, dict[Any, tuple[str, int]]],
    path: str,
    at: str | None,
    renderers: dict[str, Renderer],
) -> tuple[str | None, list[Problem]]:
    """The marketplace chooser at ``path`` (`plan.chooser_path`) as `build` writes it ("" when it
    cannot be made), and every problem met making it; None when the plan has no chooser there:
    for the preview server."""
    carrier = next((job for (page, tag), job in work.choosers.items() if chooser_path(page, tag) == path), None)
    if carrier is None:
        return None, []
    rendered: dict[Job, tuple[str, str, str]] = {}  # (the page's title, as the build has it)
    program = carrier.page.program
    problems, used = render_group(repo, work, sources, at, program, carrier.lang, [carrier], renderers, rendered)
    text = Translator(work.domains[SITE], carrier.locale, sources[SITE], work.catalogs)
    page = ""
    if carrier in rendered:
        same = [j for j in work.jobs if j.page is carrier.page and j.edition is None]
        day = at or today(repo.marketplaces[carrier.marketplace].time_zone)
        try:
            page = (
                Layout(site_dir(repo))
                .use(text)
                .marketplaces(chooser_view(repo, work, carrier, same, rendered[carrier][2], day))
            )
        except RenderError as e:
            problems.append(e.problem)
    for translator in [*used, text]:
        problems += translator.problems
    return page, sorted(set(problems), key=Problem.sort_key)


def render_one(
    repo: Repository,
    work: Plan,
    sources: dict[str, dict[Any, tuple[str, int]]],
    job: Job,
    at: str | None,
    renderers: dict[str, Renderer],
) -> tuple[dict[str, str], list[Problem]]:
    """One page's Markdown and HTML (by extension), its program's change feed (`atom`) when the
    page is the one it is read from (`Plan.feeds`), and every problem met making them: for the
    preview server (engine.commands.serve), which renders the page asked for and nothing else."""
    rendered: dict[Job, tuple[str, str, str]] = {}
    problems, used = render_group(repo, work, sources, at, job.page.program, job.lang, [job], renderers, rendered)
    for translator in used:
        problems += translator.problems
    if job not in rendered:
        loops = loop_problems(repo, [job.page.program])  # (only on a failure: said as `build` says it)
        if loops:
            problems = loops + [p for p in problems if p.code != "G001"]
        return {}, sorted(set(problems), key=Problem.sort_key)
    text, body, title = rendered[job]
    layout_text = Translator(work.domains[SITE], job.locale, sources[SITE], work.catalogs)
    files = {"md": text}
    try:
        same = [j for j in work.jobs if j.page is job.page and j.edition is None]
        day = job.edition.day if job.edition else at or today(repo.marketplaces[job.marketplace].time_zone)
        layouts = {job.locale: layout_text}
        if job.fallback:  # (its `<title>` is its English page's)
            layouts[job.fallback] = Translator(work.domains[SITE], job.fallback, sources[SITE], work.catalogs)
        files["html"] = page_in_layout(repo, work, job, same, title, body, day, Layout(site_dir(repo)), layouts)
        if job in work.feeds:  # (its program's change feed, which the page links to, as a build writes it)
            files["atom"] = change_feed(repo, work, job, title, body, layout_text, day)
    except RenderError as e:
        problems.append(e.problem)
    problems += layout_text.problems
    return files, sorted(set(problems), key=Problem.sort_key)
