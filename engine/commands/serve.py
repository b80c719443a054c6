"""`policyctl serve`: a local preview of the help pages while they are written and translated.

The `mkdocs serve` of policy pages. It listens on 127.0.0.1 only, watches the policies folder
(watchfiles), and renders a page when it is asked for, in memory, from the sources as they are
now: nothing is written anywhere (never into generated_docs/). Each change to the folder starts a
new *generation*: the repository is loaded again (unchanged files come from the document cache)
and pages rendered for the previous one are forgotten.

What a served page has that a published one never has: a small script, allowed by a nonce in the
Content-Security-Policy header sent with it, that asks `/__policyctl/version` whether the sources
changed and reloads the page, and an overlay listing every problem (`file:line:col`, code, hint)
of the repository and of the page. The query `?at=YYYY-MM-DD` renders a page as of that date.
Everything else is what a build publishes: a page's links (its change feed's too) and the change
feed itself (`changes.atom`, made from its program's first page, as `build` makes it); with `?at=`,
the links of both carry the day (the script on a page, `with_day` on a feed).
"""

from __future__ import annotations

import html
import http.server
import json
import re
import secrets
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from engine.problems import PolicyError, Problem, one_line

VERSION_PATH = "/__policyctl/version"
POLL_MS = 300
WATCH_START_S = 10  # at most this long to wait for the watcher before serving anyway  # how often a served page asks whether the sources changed
_META_CSP = re.compile(r'<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*/?>\s*', re.I)
# The published pages' own policy when their layout states none: no scripts, no external anything.
DEFAULT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
)


@dataclass
class _Generation:
    """What one state of the sources gives: the repository, its plan, catalogs and pages so far."""

    number: int
    repo: Any = None
    work: Any = None
    sources: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # the repository's and its catalogs'
    renderers: dict[str, Any] = field(default_factory=dict)
    pages: dict[tuple[str, str | None], tuple[dict[str, str], list[Problem]]] = field(default_factory=dict)
    made: dict[tuple[tuple[str, str], ...], set[str]] = field(default_factory=dict)  # the files a build makes, by days
    # pages rendered, by path without extension and day, before their links are checked: the page
    # shown, and the pages its links' fragments point into (`pages` adds the page's G011)
    rendered: dict[tuple[str, str], tuple[dict[str, str], list[Problem]]] = field(default_factory=dict)


def _published_languages(root: str) -> tuple[str, ...] | None:
    """The languages the repository's policyctl.toml publishes (None: every marketplace's), as
    `build` and `validate` read them: the preview shows the pages a build would write."""
    from engine.model.repository import marketplace_locales
    from engine.source import project

    try:
        found = project.find(root)
        if found is not None:
            project.check_languages(found, marketplace_locales(found.policies))
    except project.ProjectError:  # (`validate` and `build` say what is wrong with it)
        return None
    return None if found is None else found.languages


class Preview:
    """Pages rendered on demand from the policies folder as it is now."""

    def __init__(self, root: str, at: str | None = None) -> None:
        self.root, self.at = root, at
        self._lock = threading.Lock()
        self._number = 0
        self._current: _Generation | None = None

    @property
    def generation(self) -> int:
        return self._number

    def changed(self) -> None:
        """The sources changed: the next request loads them again."""
        with self._lock:
            self._number += 1
            self._current = None

    def _state(self) -> _Generation:
        with self._lock:
            if self._current is None or self._current.number != self._number:
                self._current = self._load(self._number)
            return self._current

    def _load(self, number: int) -> _Generation:
        from engine import load
        from engine.i18n.catalogs import template_messages
        from engine.i18n.translator import source_index
        from engine.site import build as site

        state = _Generation(number)
        try:
            state.repo = load(self.root)
        except PolicyError as e:
            state.problems = list(e.problems)
            return state
        state.problems = list(state.repo.problems)
        state.repo.languages = _published_languages(self.root)  # (read again with the sources)
        state.work = site.plan(state.repo)
        state.problems += state.work.problems
        for name, domain in state.work.domains.items():
            catalog, problems = template_messages(domain)
            state.problems += problems
            state.sources[name] = source_index(catalog, domain.folder)
        state.problems += site.catalog_problems(state.repo, state.work)
        return state

    def page(self, path: str, at: str | None) -> tuple[int, str, str, list[Problem]]:
        """(HTTP status, content type, body, problems) for the site path ``path`` (no leading `/`)."""
        state = self._state()
        with self._lock:  # one page at a time: renderers are not made for threads
            return self._page(state, path, at or self.at)

    def _editions(self, state: _Generation, job: Any, at: str | None) -> list[Any]:
        """The past editions of ``job``'s program and marketplace on the preview's day, as a build on
        that day has them (the pages' edition picker and links read them from the plan)."""
        from engine.model.clock import today
        from engine.site import editions

        assert state.work is not None and state.repo is not None
        day = at or today(state.repo.marketplaces[job.marketplace].time_zone)
        past = editions.past_editions(state.repo, job.page.program, job.marketplace, day)
        state.work.note_editions(job.page.program, job.marketplace, past)  # (and so the change feeds)
        return past

    def _edition_job(self, state: _Generation, stem: str, at: str | None) -> Any:
        """The job of a past edition's page (`PROGRAM/MP/LANGUAGE/original/PAGE`), as `build` writes it; None
        when there is no such edition on the preview's day."""
        from dataclasses import replace

        assert state.work is not None
        folder, _, page = stem.rpartition("/")
        base, _, edition = folder.rpartition("/")
        current = next((j for j in state.work.jobs if j.path("md")[:-3] == f"{base}/{page}"), None)
        if current is None:
            return None
        found = next((e for e in self._editions(state, current, at) if e.folder == edition), None)
        return None if found is None else replace(current, edition=found)

    def _page(self, state: _Generation, path: str, at: str | None) -> tuple[int, str, str, list[Problem]]:
        from engine.model.clock import today
        from engine.site import build as site
        from engine.site import search
        from engine.site.plan import CHOOSER_FOLDER

        errors = [p for p in state.problems if p.severity == "error"]
        if state.work is None or any(p.severity == "error" for p in state.repo.problems):
            return 200, "html", _bare_page(), errors
        if path in ("", "index.html"):
            return 200, "html", self._index(state), errors
        if path.startswith(f"{search.PAGES}/") and path.endswith(".html"):
            # the pages' search link: the index is made by `build` over every page, not page by page
            why = "The preview has no search: `policyctl build` makes the search index of the built site."
            # (in English, whatever language the link was for: these words are policyctl's own)
            return 200, "html", search.page("en", "Search", "All help pages", searchable=False, why=why), errors
        if path.split("/")[1:2] == [CHOOSER_FOLDER]:  # a page's marketplace chooser
            chooser, problems = site.render_chooser(state.repo, state.work, state.sources, path, at, state.renderers)
            if chooser is None:
                return 404, "text", f"no page {one_line(path)}: see the list at /\n", errors
            return 200, "html", chooser or _bare_page(), site.merge(errors, problems)
        # (a path that is no page is said back with its controls escaped, as every text policyctl
        # writes: a terminal that shows the answer, `curl` say, would run an escape sequence)
        stem, _dot, ext = path.rpartition(".")
        feed = state.work.feed_page(path)  # a change feed: read from its program's first page, as a build does
        job = feed or next((j for j in state.work.jobs if j.path("md")[:-3] == stem), None)
        if job is not None:
            self._editions(state, job, at)  # (the current page's edition picker and change feed)
            stem = job.path("md")[:-3]
        else:
            job = self._edition_job(state, stem, at)
        if job is None or ext not in ("html", "md", "atom") or (feed is not None) != (ext == "atom"):
            return 404, "text", f"no page {one_line(path)}: see the list at /\n", errors
        if feed is not None and feed not in state.work.feeds:  # (no past edition on this day: nothing to say)
            return 404, "text", f"no change feed {one_line(path)} on this day: see the list at /\n", errors
        # a page is kept for its day: without `?at=`, today in its marketplace's zone, so a preview
        # left running past midnight there shows the next day's page, not the one kept from before
        day = at or today(state.repo.marketplaces[job.marketplace].time_zone)
        key = (stem, day)
        if key not in state.pages:
            files, problems = self._rendered(state, job, stem, day)
            if "md" in files and "html" in files:  # (its links, as `build` checks them: G011)
                made = self._made(state, at)
                problems = problems + site.page_link_problems(
                    state.repo, state.work, job, files, made, lambda other: self._html_of(state, other, at)
                )
            state.pages[key] = files, problems
        files, problems = state.pages[key]
        every = site.merge(errors, problems)  # (what the checks of the sources said, the page does not say again)
        if ext == "atom":
            return (200, "atom", files["atom"], every) if "atom" in files else (200, "html", _bare_page(), every)
        if ext == "md":
            return (200, "markdown", files["md"], every) if "md" in files else (200, "html", _bare_page(), every)
        return 200, "html", files.get("html") or _bare_page(), every

    def _rendered(self, state: _Generation, job: Any, stem: str, day: str) -> tuple[dict[str, str], list[Problem]]:
        """(files, problems) of ``job``'s page rendered for ``day``, without its links checked: once
        per generation, for the page shown and for the pages its links' fragments point into."""
        from engine.site import build as site

        key = (stem, day)
        if key not in state.rendered:
            try:
                state.rendered[key] = site.render_one(state.repo, state.work, state.sources, job, day, state.renderers)
            except Exception as e:
                failed = Problem(
                    job.page.template,
                    1,
                    1,
                    "G001",
                    f"the page could not be rendered: {e}",
                    "run `policyctl build` to see the problem on its own",
                )
                state.rendered[key] = {}, [failed]
        files, problems = state.rendered[key]
        return files, list(problems)

    def _html_of(self, state: _Generation, path: str, at: str | None) -> bytes | None:
        """The HTML of another page of the site (``path``, one a build makes), rendered as it is served,
        for a link of the page shown to its `#fragment` (G011, as `build` checks it); None for a file
        that is not a page (a feed, the index, a chooser: their fragments are not checked)."""
        from engine.model.clock import today

        if not path.endswith(".html"):
            return None
        stem = path[:-5]
        job = next((j for j in state.work.jobs if j.path("md")[:-3] == stem), None)
        if job is not None:
            self._editions(state, job, at)
        else:
            job = self._edition_job(state, stem, at)
        if job is None:
            return None
        day = at or today(state.repo.marketplaces[job.marketplace].time_zone)
        html_text = self._rendered(state, job, stem, day)[0].get("html")
        return None if html_text is None else html_text.encode()

    def _made(self, state: _Generation, at: str | None) -> set[str]:
        """The files a build on the preview's day makes (engine.site.build.planned_files)."""
        from engine.model.clock import today
        from engine.site import build as site

        days = {mp.id: at or today(mp.time_zone) for mp in state.repo.marketplaces.values()}
        key = tuple(sorted(days.items()))
        if key not in state.made:
            state.made[key] = site.planned_files(state.repo, state.work, days.__getitem__)
        return state.made[key]

    def _index(self, state: _Generation) -> str:
        """Every page of every marketplace and language, as the published index lists them."""
        from engine.i18n import cldr as l10n
        from engine.i18n.catalogs import SITE
        from engine.i18n.translator import Translator
        from engine.site import build as site
        from engine.site.html import Layout

        jobs = sorted(state.work.jobs, key=lambda j: (j.page.program, j.page.id, j.marketplace, j.locale))
        layout = Layout(site.site_dir(state.repo)).use(
            Translator(state.work.domains[SITE], l10n.SOURCE_LOCALE, state.sources[SITE])
        )
        return layout.index(site.index_view(state.repo, jobs, []))


def _bare_page() -> str:
    """The page shown when the page itself cannot be made: only the problems (added by the overlay)."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>policyctl serve</title></head>'
        "<body><main><h1>The page cannot be shown</h1><p>Fix the problems listed here; "
        "the page reloads by itself.</p></main></body></html>\n"
    )


def overlay(problems: list[Problem]) -> str:
    """The problems as a fixed panel at the top of a served page (hidden when there are none)."""
    if not problems:
        return ""
    items = "".join(
        f"<li><code>{html.escape(f'{p.file}:{p.line}:{p.col}')}</code> {html.escape(p.severity)}[{html.escape(p.code)}]: "
        f"{html.escape(p.message)}" + (f"<br><small>hint: {html.escape(p.hint)}</small>" if p.hint else "") + "</li>"
        for p in (p.shown() for p in problems)  # (paths from the working folder, as the terminal shows them)
    )
    count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
    return (
        f'<aside id="policyctl-problems" role="alert"><strong>policyctl serve: {count}</strong>'
        f"<ol>{items}</ol></aside>\n"
    )


_OVERLAY_STYLE = (
    "#policyctl-problems{position:fixed;inset:0 0 auto 0;max-height:60vh;overflow:auto;z-index:2147483647;"
    "margin:0;padding:.75rem 1rem;background:#fff4f4;color:#5a0000;border-bottom:3px solid #c00;"
    "font:14px/1.4 ui-monospace,monospace;overflow-wrap:anywhere}"
    "#policyctl-problems ol{margin:.25rem 0 0;padding-left:1.5rem}"
)


# A link's address with the query ``q`` (`?at=DAY`) the page was asked with, as `with_day` carries
# it in a feed: only to a relative link with no query of its own (not `https:`, `//host`, `#part`),
# before its `#fragment` (after it, the query was part of the fragment: `help.html#fees?at=DAY`
# opened today's page). The served script's function; tests run it in a browser.
CARRIED = (
    "function carried(h,q){var i=h.indexOf('#'),p=i<0?h:h.slice(0,i);"
    "return !p||/^[a-z][a-z0-9+.-]*:|^\\/\\/|\\?/i.test(p)?h:p+q+h.slice(p.length);}"
)


# The query a page's links carry, from the page's own (``s``, `location.search`): `?at=DAY`, the one
# parameter the preview reads, alone (the first `at`, as the server reads it); '' without one. The
# whole query was carried: `?at=DAY&utm_source=mail` onto every link, `?x=1` onto links of a page
# shown as of today. The served script's function; tests run it in a browser.
DAY = "function day(s){var d=new URLSearchParams(s).get('at');return d?'?at='+encodeURIComponent(d):'';}"


def _script(generation: int) -> str:
    # Polls instead of holding a connection (SSE) open: the server is a plain threading HTTP server
    # and a page left open for a day should not keep a thread. `?at=` is carried to the links
    # between pages so that switching language or marketplace keeps the date being previewed, and
    # to the head's alternates (the other languages, the Markdown, the change feed: `with_day`).
    return (
        "(function(){%s%svar g=%d,q=day(location.search);"
        "if(q){document.querySelectorAll('a[href],link[rel~=alternate][href]').forEach(function(a){"
        "var h=a.getAttribute('href');if(h){a.setAttribute('href',carried(h,q));}});}"
        "function poll(){fetch('%s',{cache:'no-store'}).then(function(r){return r.json();})"
        ".then(function(d){if(d.generation!==g){location.reload();}else{setTimeout(poll,%d);}})"
        ".catch(function(){setTimeout(poll,1000);});}"
        "setTimeout(poll,%d);})();" % (DAY, CARRIED, generation, VERSION_PATH, POLL_MS, POLL_MS)
    )


# a link the preview carries `?at=` to, as its script does on a page: relative, with no query
# (not `https:`, `//host`, `#part`), in a `href="..."` as the layout and the feeds write them
_CARRIED_HREF = re.compile(r'(\shref=")((?![a-zA-Z][a-zA-Z0-9+.-]*:|//|#)[^"?#]*)(#[^"]*)?"')


def with_day(feed: str, at: str) -> str:
    """A served change feed's links with `?at=` the day previewed (as its page's links carry it): a
    feed read at `changes.atom?at=DAY` led to each page as of today, and to today's feed."""
    query = "?at=" + html.escape(urllib.parse.quote(at, safe=""))
    return _CARRIED_HREF.sub(lambda m: f'{m.group(1)}{m.group(2)}{query}{m.group(3) or ""}"', feed)


def served_html(page: str, problems: list[Problem], generation: int) -> tuple[str, str]:
    """(the page as served, its Content-Security-Policy header).

    The page's own policy (a `<meta http-equiv>` from the layout) is taken out of the page and sent
    as a header with two additions only: the script with this response's nonce, and fetching from
    this server. Both policies would apply otherwise, and the page's forbids every script.
    """
    nonce = secrets.token_urlsafe(16)
    found = _META_CSP.search(page)
    policy = html.unescape(found.group(1)) if found else DEFAULT_POLICY
    if found:
        page = page[: found.start()] + page[found.end() :]
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    directives["script-src"] = [f"'nonce-{nonce}'"]
    directives["connect-src"] = ["'self'"]
    style = directives.get("style-src", directives.get("default-src", []))
    if "'unsafe-inline'" not in style:  # a nonce would switch 'unsafe-inline' off, so add it only when absent
        directives["style-src"] = [w for w in style if w != "'none'"] + [f"'nonce-{nonce}'"]
    header = "; ".join(" ".join([name] + values) for name, values in directives.items())
    extra = (
        f'<style nonce="{nonce}">{_OVERLAY_STYLE}</style>\n{overlay(problems)}'
        f'<script nonce="{nonce}">{_script(generation)}</script>\n'
    )
    at = page.rfind("</body>")
    page = page + extra if at < 0 else page[:at] + extra + page[at:]
    return page, header


class _Handler(http.server.BaseHTTPRequestHandler):
    preview: Preview  # set on the subclass made by `server`
    server_version = "policyctl-serve"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the terminal shows problems, not requests
        pass

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path == VERSION_PATH:
            self._send(200, "application/json", json.dumps({"generation": self.preview.generation}).encode(), {})
            return
        query = urllib.parse.parse_qs(url.query)
        at = query["at"][0] if query.get("at") else None
        if at is not None:  # in the form YYYY-MM-DD and a day of the calendar, as `--at` (2024-02-30: 400)
            from engine.model.dates import date_hint, parse_date

            try:
                parse_date(at)
            except ValueError as e:
                # (the day as sent, controls escaped: a terminal showing the answer runs none of them)
                self._send(400, "text/plain; charset=utf-8", f"{one_line(f'{e}: {date_hint(at)}')}\n".encode(), {})
                return
        generation = self.preview.generation
        status, kind, body, problems = self.preview.page(urllib.parse.unquote(url.path).lstrip("/"), at)
        if kind == "html":
            page, policy = served_html(body, problems, generation)
            self._send(status, "text/html; charset=utf-8", page.encode("utf-8"), {"Content-Security-Policy": policy})
        elif kind == "markdown":
            self._send(status, "text/markdown; charset=utf-8", body.encode("utf-8"), {})
        elif kind == "atom":
            body = body if at is None or status != 200 else with_day(body, at)
            self._send(status, "application/atom+xml; charset=utf-8", body.encode("utf-8"), {})
        else:
            self._send(status, "text/plain; charset=utf-8", body.encode("utf-8"), {})

    def _send(self, status: int, kind: str, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class Server:
    """The preview server and its watcher; `serve_forever` until `close` or Ctrl-C."""

    def __init__(self, root: str, port: int = 8000, at: str | None = None) -> None:
        self.preview = Preview(root, at)
        handler = type("Handler", (_Handler,), {"preview": self.preview})
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.http.daemon_threads = True
        self._stop = threading.Event()
        self.watching = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="policyctl-watch", daemon=True)
        self._watcher.start()
        self.watching.wait(WATCH_START_S)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/"

    def _watch(self) -> None:
        from watchfiles import watch

        # yield_on_timeout: an empty batch every rust_timeout ms says the watcher is running; until
        # then a change would go unnoticed, so the server says it is ready only after the first one
        for changes in watch(
            self.preview.root,
            stop_event=self._stop,
            debounce=100,
            step=50,
            rust_timeout=100,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            self.watching.set()
            if changes:
                self.preview.changed()

    def serve_forever(self) -> None:
        self.http.serve_forever(poll_interval=0.2)

    def close(self) -> None:
        self._stop.set()
        self.http.shutdown()
        self.http.server_close()
