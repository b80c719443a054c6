"""One page rendered: its context (engine.site.context plus the links this build adds), its
templates run once with facts marked for HTML (the published Markdown is that text without the
marks: engine.site.onepass; a template that looks at marked text runs again without marks), the
Markdown tidied and the HTML body and title made from it (engine.site.markup). Pages are rendered
in groups of one program and one language, which share a renderer and its catalogs."""

from __future__ import annotations

import os
import re
from typing import Any

from engine.i18n.catalogs import SITE
from engine.i18n.translator import Translator
from engine.model.clock import today
from engine.model.repository import Repository
from engine.problems import Problem
from engine.site import editions, markup
from engine.site.context import page_context
from engine.site.editions import Edition
from engine.site.evidence import AUTO, TAG, watching
from engine.site.manifest import pages_dir
from engine.site.plan import Job, Plan, rel, site_dir
from engine.site.render import Renderer, render
from engine.templates import guard
from engine.templates.sandbox import RenderError


def tidy_markdown(text: str) -> str:
    """One blank line at most between blocks, no trailing spaces, one final newline; CJK lines of
    one paragraph joined without a space (markup.join_cjk_lines)."""
    lines = [line.rstrip() for line in text.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return markup.join_cjk_lines(text) + "\n"


_ON_PAGE = " (on the page for "


def _on_page(problem: Problem, job: Job) -> Problem:
    """``problem`` saying which page it stopped: a template serves every marketplace, language and
    edition, and the data that broke it is one of them's."""
    edition = f", edition `{job.edition.folder}`" if job.edition else ""
    where = f"{_ON_PAGE[1:]}marketplace `{job.marketplace}`, language `{job.locale}`{edition})"
    return Problem(
        problem.file,
        problem.line,
        problem.col,
        problem.code,
        f"{problem.message} {where}",
        problem.hint,
        problem.severity,
    )


def once_each(problems: list[Problem]) -> list[Problem]:
    """One of the problems a template met on several pages: the first by its page (the same
    whichever worker met which page first, so a build's problems are those of any other)."""
    chosen: dict[tuple[str, int, int, str, str], Problem] = {}
    for p in problems:
        key = (p.file, p.line, p.col, p.code, p.message.split(_ON_PAGE)[0])
        if key not in chosen or p.message < chosen[key].message:
            chosen[key] = p
    return [p for p in problems if chosen.get((p.file, p.line, p.col, p.code, p.message.split(_ON_PAGE)[0])) is p]


def render_group(
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
        slow = work.runaway.get((program_id, job.page.template))
        if slow is not None:  # its template ran away (deadline, output limit) on another page: not run again
            problems.append(slow)
            continue
        day = job.edition.day if job.edition else at or today(repo.marketplaces[job.marketplace].time_zone)
        try:
            rendered[job] = render_page(
                repo, renderer, job, day, work.first_pages(), work.editions.get((job.page.program, job.marketplace), [])
            )
        except RenderError as e:
            if e.runaway:
                work.runaway[(program_id, job.page.template)] = e.problem
            problems.append(_on_page(e.problem, job))  # (build keeps one page's: once_each)
    return problems, list(pair.values())


def page_links(job: Job, firsts: dict[tuple[str, str], dict[str, Job]]) -> dict[str, str]:
    """Each other program's first page for the same marketplace and language, relative to ``job``."""
    here = job.path("md")
    return {
        program: rel(here, other.path("md")) for program, other in firsts.get((job.marketplace, job.locale), {}).items()
    }


def edition_links(job: Job, past: list[Edition]) -> dict[str, dict[str, str | None]]:
    """For each effective date with an edition: the page before and after that change (.md,
    relative); None where there is none, and for the page ``job`` itself (a link to the page one
    is reading only reloads it)."""
    here = job.path("md")
    links: dict[str, dict[str, str | None]] = {}
    ends = {e.end for e in past}
    for start in sorted(ends | {e.start for e in past if e.start}):
        earlier = editions.before(past, start)
        after = job.path("md", edition=editions.folder_of(past, start))
        links[start] = {
            "after": rel(here, after) if after != here else None,
            "before": rel(here, job.path("md", edition=earlier)) if earlier else None,
        }
    return links


def render_page(
    repo: Repository,
    renderer: Renderer,
    job: Job,
    day: str,
    firsts: dict[tuple[str, str], dict[str, Job]],
    past: list[Edition],
) -> tuple[str, str, str]:
    context = page_context(repo, renderer, job.marketplace, day, page_links(job, firsts))
    context["page_template"] = job.page.template
    context["edition_links"] = edition_links(job, past)
    text, marked, marks = render_both(renderer, job.page.template, context)
    seconds = guard.MAX_RENDER_SECONDS
    try:
        with guard.deadline(seconds, "making the page's HTML"):
            body, title = markup.to_html(tidy_markdown(marked), marks)
    except guard.TemplateTimeout:
        # Markdown that takes long to read is written in little template (`[a](` 100,000 times
        # in a loop: a minute a page, after a render well inside its deadline); the same template
        # most likely writes as much on its other pages, so a build makes it once (a runaway)
        raise RenderError(
            Problem(
                os.path.join(pages_dir(renderer.program), job.page.template),
                1,
                1,
                "G001",
                f"the page's Markdown took longer than {seconds:g} s to make into HTML",
                "a page is a few ten thousand characters of Markdown: check the loops that write it",
            ),
            runaway=True,
        ) from None
    return tidy_markdown(text), body, title


def render_both(renderer: Renderer, template: str, context: dict[str, Any]) -> tuple[str, str, markup.FactMarks]:
    """(Markdown, Markdown with facts marked, the marks) of one template, as two renders (plain,
    then marked) would make them: the plain text is the marked one without its marks, unless the
    template looked at a marked text (engine.site.onepass); then it runs again without marks."""
    try:
        marked, marks = render(renderer, template, context, html=True)
    except RenderError as e:
        if not e.runaway:  # (a render past its deadline or output limit is not run again)
            render(renderer, template, context, html=False)  # the plain render's failure first, as before
        raise
    assert marks is not None
    if renderer.observed:
        text, _ = render(renderer, template, context, html=False)
    else:
        text = markup.strip_marks(marked)
    return text, marked, marks


def title_in(repo: Repository, work: Plan, job: Job, day: str) -> str | None:
    """The title of ``job``'s page in ``job.locale`` when its text is another language's
    (`translations: fallback`): its template's `title` block rendered alone in that language, its
    values as the language writes them in the marketplace (`1.000` in German, not English's
    `1,000`), when every message the block looks up has a translation there that is published; else
    None (a message not translated yet, a title written outside a `title` block or from what the
    rest of the template sets, a value that would need a "not yet confirmed" marker). For the
    marketplace chooser's words around the title (engine.site.assemble.chooser_title)."""
    program = repo.programs[job.page.program]
    translators = {
        program.id: Translator(
            work.domains[program.id], job.locale, {}, work.catalogs, work.usable.get((program.id, job.locale))
        ),
        SITE: Translator(work.domains[SITE], job.locale, {}, work.catalogs),
    }
    known = {name: set(t.problems) for name, t in translators.items()}  # (the catalogs' own, if any)
    renderer = Renderer(repo, program, site_dir(repo))
    renderer.use(job.locale, translators)
    context = page_context(repo, renderer, job.marketplace, day, page_links(job, work.first_pages()))
    context["page_template"] = job.page.template
    context["edition_links"] = edition_links(job, work.editions.get((job.page.program, job.marketplace), []))
    try:
        template = renderer.env.get_template(job.page.template)
        block = template.blocks.get("title")
        if block is None:
            return None
        with guard.deadline(guard.MAX_RENDER_SECONDS, f"the title of `{job.page.template}`"), watching() as watch:
            text = template.environment.concat(block(template.new_context(context)))
    except Exception:  # (the page's own render, in English, says what is wrong with its template)
        return None
    if watch.problem() is not None or any(t.problems - known[name] for name, t in translators.items()):
        return None
    if AUTO in text or TAG in text:  # a marker to place: the page's render places it
        return None
    return markup.to_html(tidy_markdown(f"# {text}"), markup.FactMarks())[1] or None
