"""The built site in a real browser: headless Chromium (Debian's) driven through Playwright.

Follows every language and marketplace switcher link from every page and checks what a reader
sees: the title, the `lang` of the document, no template syntax or message ids, the fee table
in the page's own number format. Runs axe-core (WCAG 2.2 AA) on every kind of page in light and
dark colour schemes, uses the switchers by keyboard, and reads wide tables on a phone. Skips
when Chromium, Playwright or axe-core (the axe-playwright-python package) is missing, except in
CI (the environment variable CI is set), where a missing piece is a failure.

A navigation costs Chromium about 0.1 CPU-s on a busy two-core machine, so pages are loaded as
few times as the checks allow: one walk through the site (`tour`) clicks every switcher from the
page the previous click landed on and gathers what the switcher, edition, feed and axe tests
check on each page it reaches; the other tests share one desktop page and one phone page.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin
from xml.etree import ElementTree

import pytest

import engine
from engine.i18n import cldr as l10n
from support import ROOT, SITE_DAY, edit, offer_in_more_marketplaces, run_cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Debian's package of Chromium's headless shell, the build Playwright itself runs for headless
# pages: the same Blink and V8 without the browser's own layers, ~20 % less CPU for the same tests
# (16.2 -> 12.7 CPU-s for this module, measured). Debian's full chromium where only it is installed.
HEADLESS_SHELL = ("chromium-headless-shell", "/usr/lib/chromium/chromium-headless-shell")
FULL = ("chromium", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Every request to another machine goes to a proxy that is not there, so it fails (the tests serve
# the pages on 127.0.0.1, which bypasses it); `_offline` records which were asked for.
OFFLINE: Any = {"server": "http://127.0.0.1:9", "bypass": "127.0.0.1,localhost"}  # (a ProxySettings)
AT = "2025-01-01"
LEAKS = ("{{", "{%", "None", "%(", "label:", "msgid", "\ue000")


def _chromium() -> tuple[str, str]:
    """(Debian package, program): the headless shell, or the full chromium where only it is installed."""
    return FULL if os.path.exists(FULL[1]) and not os.path.exists(HEADLESS_SHELL[1]) else HEADLESS_SHELL


def _unavailable() -> str | None:
    if os.environ.get("CI") and not os.path.exists(HEADLESS_SHELL[1]) and shutil.which("apt-get") and os.geteuid() == 0:
        # (CI runs the headless shell); a fresh machine's package lists may be empty or old: update once
        subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True, timeout=600)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", HEADLESS_SHELL[0]],
            check=False,
            capture_output=True,
            timeout=900,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    package, program = _chromium()
    if not os.path.exists(program):
        return f"no browser at {program} (apt-get install -y {package})"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright; no browser download needed)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _unavailable()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the browser test cannot run: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=_chromium()[1], args=ARGS, headless=True, proxy=OFFLINE)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def served(built_site: Path) -> Iterator[tuple[str, Path]]:
    """policies/ built on AT: the session's build (conftest), which the tests here only read."""
    assert AT == SITE_DAY
    with _serving(built_site) as base:
        yield base, built_site


@contextlib.contextmanager
def _serving(out: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@functools.cache
def _policies() -> Any:
    """policies/ loaded once (read only here): a load per page checked cost more than the page."""
    return engine.load(str(ROOT / "policies"))


def _expected_amounts(program: str, marketplace: str, tag: str) -> list[str]:
    repo = _policies()
    values = repo.resolve(program, marketplace, AT).values
    shown = l10n.conventions(tag, repo.marketplaces[marketplace].country)  # (the language in the country)
    return [l10n.money(t["fee"], values["currency"], shown) for t in values["fee_tiers"]]


def _offline(browser: Any, base: str) -> tuple[Any, list[str]]:
    """A browser context for the served site; the URLs of anything else its pages asked for. The
    browser reaches no other site anyway (see OFFLINE). A Playwright route refusing them would
    also stop each request of the site on its way, through Playwright's driver and this process:
    about 10 ms of CPU per page loaded (measured), a tenth of a navigation's cost."""
    context = browser.new_context()
    outside: list[str] = []
    context.on("request", lambda request: None if request.url.startswith(base) else outside.append(request.url))
    return context, outside


# What the per-page tests check, read in one round trip per page (each Playwright call is one).
_FACTS = """() => {
  const all = (selector, read) => [...document.querySelectorAll(selector)].map(read);
  const text = selector => { const e = document.querySelector(selector); return e ? e.innerText : null; };
  return {
    lang: document.documentElement.lang,
    title: document.title,
    h1: text('h1'),
    body: document.body.innerText,
    main: text('main'),
    alternates: document.querySelectorAll('link[rel=alternate][hreflang]').length,
    fees: all("td span[data-fact^='fee_tiers.'][data-fact$='.fee']", e => e.textContent),
    switches: all('a[data-switch=language], a[data-switch=marketplace]',
                  e => [e.dataset.switch, e.getAttribute('href'), e.getAttribute('hreflang')]),
    feeds: all('head link[rel=alternate][type="application/atom+xml"]', e => e.getAttribute('href')),
    feedLinks: all('a[type="application/atom+xml"]', e => e.getAttribute('href')),
    pastEdition: document.querySelectorAll('.past-edition').length,
    bareTables: document.querySelectorAll('table:not(.table-scroll > table)').length,
  };
}"""


class Tour:
    """What a reader met on one walk through the built site (the `tour` fixture): each current page
    and past edition once, every language and marketplace switcher followed by a click, each past
    edition reached by its picker and left by its banner, axe-core run where PAGE_KINDS asks."""

    def __init__(self, base: str, page: Any) -> None:
        self.base, self.page = base, page
        self.index: dict[str, Any] = {}  # the index page: its lang, its links
        self.facts: dict[str, dict[str, Any]] = {}  # path -> _FACTS on arrival (a current page or the index)
        self.status: dict[str, int] = {}  # path -> the HTTP status of its document
        self.follows: list[tuple[str, str, str, str, str, str]] = []  # from, kind, href, hreflang, landed, its lang
        self.editions: dict[str, dict[str, Any]] = {}  # a past edition's path -> what its round trip saw
        self.axe: dict[str, list[str]] = {}  # path -> axe-core's findings in both colour schemes
        self.outside: list[str] = []  # URLs of other sites the pages asked for (unreachable: OFFLINE)
        self.errors: list[str] = []  # script errors on the pages


# Where a reader's pointer would click a link: the middle of its first box (a link broken over two
# lines has two), scrolled into view; null if something else would receive the click there (a link
# hidden or covered cannot be followed).
_AIM = """selector => {
  const e = document.querySelector(selector);
  if (!e) return null;
  e.scrollIntoView({block: 'nearest', inline: 'nearest'});
  const r = [...e.getClientRects()].find(r => r.width >= 1 && r.height >= 1);
  if (!r) return null;
  const x = r.left + r.width / 2, y = r.top + r.height / 2, hit = document.elementFromPoint(x, y);
  return hit && (hit === e || e.contains(hit)) ? [x, y] : null;
}"""


def _click(page: Any, selector: str) -> None:
    """A mouse click on the link, as a reader makes it, and the page it leads to loaded. Playwright's
    `page.click` proves the same (the link is there, visible and the one the click reaches) through
    its injected script and a wait for two steady animation frames, which cost as much again as the
    navigation itself (measured: about 125 against 85 ms of CPU per switcher followed)."""
    aim = page.evaluate(_AIM, selector)
    assert aim is not None, f"{selector} cannot be clicked on {page.url}"
    with page.expect_navigation():
        page.mouse.click(*aim)


def _current(entry: dict[str, Any]) -> str:
    """The current page of a past edition's index entry."""
    return str(entry["html"]).replace(f"/{entry['edition']}/", "/")


def _take_tour(browser: Any, base: str, out: Path, axe: str | None) -> tuple[Tour, Any]:
    """Walk the site as a reader would: a page is checked when the walk first arrives there (by a
    switcher when one leads there, else by address), then left by a switcher not followed yet,
    preferably one leading where there is still something to do. So each switcher costs one
    navigation, not two (there and back), and the pages it lands on are the ones checked. Without
    axe-core (`axe` is None) the walk checks all the rest; the axe test skips (or fails, in CI)."""
    index = json.loads((out / "index.json").read_text())
    titles = {entry["html"]: entry["title"] for entry in index["pages"]}
    editions: dict[str, list[dict[str, Any]]] = {}
    for entry in index["editions"]:
        editions.setdefault(_current(entry), []).append(entry)
    audited = {path for _, pages_of in PAGE_KINDS for path in pages_of(index)}
    context, outside = _offline(browser, base)
    page = context.new_page()
    tour = Tour(base, page)
    tour.outside = outside
    page.on("pageerror", lambda e: tour.errors.append(str(e)))

    def document(response: Any) -> None:
        if response.request.resource_type == "document":
            tour.status[response.url[len(base) :]] = response.status

    page.on("response", document)
    todo: dict[str, list[list[str]]] = {}

    def audit(path: str) -> None:
        if axe is not None and path in audited:
            tour.axe[path] = _axe_in_both_schemes(page, axe)

    def arrive(path: str) -> None:
        if path in tour.facts:
            return
        tour.facts[path] = page.evaluate(_FACTS)
        todo[path] = list(tour.facts[path]["switches"])
        audit(path)
        for entry in editions.get(path, []):  # to each past edition by the picker, and back by the banner
            if page.url != base + path:
                page.goto(base + path)
            _click(page, f"nav.editions a[href='{entry['edition']}/help.html']")
            seen = {"url": page.url, "visible": page.is_visible(".past-edition"), **page.evaluate(_FACTS)}
            seen["current"] = page.inner_text("nav.editions [aria-current]")
            tour.editions[entry["html"]] = seen
            audit(entry["html"])
            _click(page, "a[data-switch=current]")
            seen["back"] = page.url

    def target(path: str, href: str) -> str:
        return urljoin(base + path, href)[len(base) :]

    def pending(path: str) -> bool:
        return path not in tour.facts or bool(todo.get(path))

    page.goto(base + "index.html")
    tour.index = page.evaluate(
        """() => ({lang: document.documentElement.lang,
                   links: [...document.querySelectorAll('main a[hreflang]:not([rel=search])')].map(e => e.getAttribute('href')),
                   searches: [...document.querySelectorAll('main a[rel=search]')].map(e => e.getAttribute('href'))})"""
    )
    arrive("index.html")
    todo["index.html"] = []  # the index's links are the pages themselves, each visited below
    at = "index.html"
    while True:
        if not todo[at]:  # nothing left to follow here: by address to where there is
            somewhere = next((p for p in sorted(titles) if pending(p)), None)
            if somewhere is None:
                break
            at = somewhere
            page.goto(base + at)
            arrive(at)
            continue  # (a page without switchers has nothing to follow: the test says so)
        here = at
        todo[here].sort(key=lambda switch: not pending(target(here, switch[1])))  # stable: else reading order
        kind, href, lang = todo[here].pop(0)
        if page.url != base + here:  # (a past edition's banner leads back here; if it did not, say, by address)
            page.goto(base + here)
        _click(page, f"a[data-switch={kind}][href='{href}']")
        landed = page.url[len(base) :]
        tour.follows.append((here, kind, href, lang, landed, page.evaluate("document.documentElement.lang")))
        at = landed
        if landed in titles:
            arrive(landed)
        else:  # a failure, which the test reports: the walk goes on from elsewhere
            todo[landed] = []
    return tour, context


@pytest.fixture(scope="module")
def tour(browser: Any, served: tuple[str, Path]) -> Iterator[Tour]:
    base, out = served
    seen, context = _take_tour(browser, base, out, _axe_script())
    yield seen
    context.close()


@pytest.fixture(scope="module")
def desk(browser: Any, served: tuple[str, Path]) -> Iterator[tuple[Any, list[str]]]:
    """One page of a desktop context for the served site, and the URLs of anything else its pages
    asked for (see `_offline`): for the tests that drive a page themselves, each from a `goto` (a new document,
    the focus at its start). A new page costs about what three navigations cost."""
    context, outside = _offline(browser, served[0])
    yield context.new_page(), outside
    context.close()


@pytest.fixture(scope="module")
def phone(browser: Any) -> Iterator[Any]:
    """One page of a phone's context (390 px wide, three device pixels to one, a touch screen: no
    pointer to hover, `(hover: none)`), for the tests that read pages on a phone, each from a `goto`."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


@contextlib.contextmanager
def _listening(page: Any, **handlers: Callable[[Any], None]) -> Iterator[None]:
    """Page events handled while the block runs (the page outlives the test: see `desk`)."""
    for event, handler in handlers.items():
        page.on(event, handler)
    try:
        yield
    finally:
        for event, handler in handlers.items():
            page.remove_listener(event, handler)


def test_every_page_and_switcher_in_chromium(tour: Tour, served: tuple[str, Path]) -> None:
    base, out = served
    index = json.loads((out / "index.json").read_text())
    titles = {entry["html"]: entry["title"] for entry in index["pages"]}

    assert tour.index["lang"] == "en"
    assert sorted(tour.index["links"]) == sorted(titles)
    searches = tour.index["searches"]
    assert searches and all(tour.page.request.get(base + href).ok for href in searches)

    assert sorted(titles) == sorted(p for p in tour.facts if p != "index.html")  # every page visited
    for path, title in sorted(titles.items()):
        program, marketplace, tag, _ = path.split("/")
        assert tour.status[path] == 200, path
        facts = tour.facts[path]
        _check_page(facts, path, title, tag)
        if program == "csba":
            assert facts["fees"] == _expected_amounts(program, marketplace, tag), path
        switches = facts["switches"]
        assert any(kind == "language" for kind, _, _ in switches), path
        followed = [(kind, href, lang) for at, kind, href, lang, _, _ in tour.follows if at == path]
        assert sorted(followed) == sorted(map(tuple, switches)), path  # each switcher clicked, once

    for path, kind, href, lang, landed, landed_lang in tour.follows:
        assert landed in titles, (path, href)
        assert landed_lang == lang, (path, href)
        if kind == "marketplace":
            assert landed.split("/")[1] != path.split("/")[1]
        # (what a reader sees there is checked where the walk first arrived at `landed`: the same
        # file from the same server, so checking it again after each switch proves nothing new)
    assert len(tour.follows) >= len(titles) * 2
    assert tour.outside == [] and tour.errors == []


def _check_page(facts: dict[str, Any], path: str, title: str, tag: str) -> None:
    assert facts["lang"] == tag, path
    assert facts["title"].startswith(title + " · "), (path, facts["title"])
    assert facts["h1"] == title
    for leak in LEAKS:
        assert leak not in facts["body"], (path, leak)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", facts["main"]), path  # no ids such as trial_days
    assert facts["alternates"] >= 2


def test_readable_on_a_phone(browser: Any, served: tuple[str, Path]) -> None:
    base, _ = served
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.goto(base + "csba/de/de/help.html")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the page scrolls sideways on a phone"
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 14
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('header.site')).display") == "none"
    context.close()


def test_past_editions_and_back_in_chromium(tour: Tour, served: tuple[str, Path]) -> None:
    """From each current page with editions to each past edition (the picker) and back (the banner):
    the round trips of the walk (`tour`), which makes them when it first arrives at such a page."""
    base, out = served
    index = json.loads((out / "index.json").read_text())
    assert index["editions"], "the repository's data no longer has a dated change"
    for entry in index["editions"]:
        current = _current(entry)
        assert tour.facts[current]["pastEdition"] == 0, current
        seen = tour.editions[entry["html"]]
        assert seen["url"] == base + entry["html"]
        assert seen["lang"] == entry["locale"]
        assert seen["h1"] == entry["title"]
        assert seen["visible"]
        assert seen["current"]
        assert seen["back"] == base + current


def test_every_page_offers_its_change_feed(tour: Tour, served: tuple[str, Path]) -> None:
    """Each current page announces its Atom feed (`<link rel=alternate>`, for feed readers) and links
    it in the footer; the feed loads as Atom, in the page's language, with an entry per dated change.
    (The pages as the walk, `tour`, found them; the feeds fetched here, by the same browser context.)"""
    base, out = served
    index = json.loads((out / "index.json").read_text())
    dated = 0
    for entry in index["pages"]:
        facts = tour.facts[entry["html"]]
        has_feed = (out / entry["html"]).parent.joinpath("changes.atom").exists()  # dated changes only
        assert len(facts["feeds"]) == has_feed, entry["html"]
        if not has_feed:
            continue
        announced = facts["feeds"][0]
        assert announced and facts["feedLinks"].count(announced) == 1
        feed = tour.page.request.get(urllib.parse.urljoin(base + entry["html"], announced))
        assert feed.ok and feed.headers["content-type"].startswith(("application/atom+xml", "application/xml"))
        root = ElementTree.fromstring(feed.body())
        assert root.tag == "{http://www.w3.org/2005/Atom}feed", entry["html"]
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == entry["locale"], entry["html"]
        dated += len(root.findall("{http://www.w3.org/2005/Atom}entry"))
    assert dated, "no page's feed has an entry: the data no longer has a dated change"


def test_serve_reloads_on_an_edit_and_shows_a_broken_file(browser: Any, tmp_path: Path) -> None:
    """`policyctl serve` in Chromium: an edit appears without touching the browser, a broken file
    appears as an overlay with its place, and the served script runs under the page's policy."""
    from test_serve import PAGE, start_serve, stop

    with contextlib.ExitStack() as cleanup:  # the server stopped even when the browser fails to start a context
        server = start_serve(tmp_path)
        cleanup.callback(stop, server)
        context = browser.new_context()
        cleanup.callback(context.close)
        page = context.new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: refused.append(str(e)))
        page.goto(server.url + PAGE + "?at=2024-01-01")
        trial = "document.querySelector('[data-fact=trial_days]')"
        assert page.evaluate(f"{trial}.dataset.value") == "90"
        # the date being previewed is carried to the switchers' links
        assert page.evaluate(
            "[...document.querySelectorAll('a[data-switch]')].every(a => a.search === '?at=2024-01-01')"
        )
        # and to the head's alternates: the change feed, the Markdown, the other languages
        assert page.evaluate(
            "[...document.querySelectorAll('link[rel=alternate]')].map(l => l.getAttribute('href'))"
            ".every(h => h.endsWith('?at=2024-01-01'))"
        )

        edit(server.root / "csba" / "program.yaml", "value: 90", "value: 120")
        page.wait_for_function(f"() => {trial} && {trial}.dataset.value === '120'", timeout=20_000)
        assert "120" in page.inner_text("main")

        overlay = server.root / "csba" / "marketplaces" / "us.yaml"
        good = overlay.read_text(encoding="utf-8")
        overlay.write_text(good + "broken: [\n", encoding="utf-8")
        page.wait_for_selector("#policyctl-problems", timeout=20_000)
        shown = page.inner_text("#policyctl-problems")
        assert re.search(r"us\.yaml:\d+:\d+ error\[Y010\]", shown) and "hint:" in shown, shown
        assert page.evaluate("getComputedStyle(document.querySelector('#policyctl-problems')).position") == "fixed"

        overlay.write_text(good, encoding="utf-8")
        page.wait_for_function(f"() => !document.querySelector('#policyctl-problems') && {trial}", timeout=20_000)
        assert refused == []


def test_the_preview_script_carries_the_day_before_a_fragment(browser: Any) -> None:
    """The served page's script carried `?at=` after a link's fragment (`help.html#fees?at=DAY`:
    the query became part of the fragment, the page opened as of today), and the page's whole
    query (`?at=DAY&utm_source=mail`, `?x=1`), not its `at=` alone. Its functions, run in Chromium
    on the links test_serve's feed test carries with `with_day` and on its queries, give the same."""
    from test_serve import CARRIED_LINKS, CARRIED_QUERIES

    from engine.commands.serve import CARRIED, DAY

    context = browser.new_context()
    try:
        page = context.new_page()  # (about:blank: nothing to load)
        run = f"links => {{ {CARRIED} return links.map(h => carried(h, '?at=2024-01-01')); }}"
        assert page.evaluate(run, [href for href, _ in CARRIED_LINKS]) == [carried for _, carried in CARRIED_LINKS]
        # the query carried is the page's `at=` alone (the whole `location.search` was)
        run = f"queries => {{ {DAY} return queries.map(day); }}"
        assert page.evaluate(run, [query for query, _ in CARRIED_QUERIES]) == [day for _, day in CARRIED_QUERIES]
    finally:
        context.close()


# On a phone, in one round trip: how `main` wraps and hyphenates, the words split over two lines,
# and how wide the page is.
_PHONE_FACTS = """() => {
  const main = getComputedStyle(document.querySelector('main'));
  const split = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.data.matchAll(/[\\p{L}\\p{N}]+/gu)) {
      if (m[0].length > 12) continue;  // a long token may break (overflow-wrap), a word may not
      const range = document.createRange();
      range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (tops.size > 1) split.push(m[0]);
    }
  }
  return {overflowWrap: main.overflowWrap, hyphens: main.hyphens, split,
          width: document.documentElement.scrollWidth};
}"""


def test_no_word_breaks_in_the_middle_on_a_phone(phone: Any, served: tuple[str, Path]) -> None:
    """At 390 px, words ("Stufe", "Marketplace") stay whole: only tokens too long for a line
    (addresses) may break; hyphenation follows the page's `lang`."""
    base, out = served
    index = json.loads((out / "index.json").read_text())
    page = phone
    for entry in index["pages"]:
        if entry["locale"] == "zh-Hans":  # Chinese breaks between any two characters by design
            continue
        page.goto(base + entry["html"])
        seen = page.evaluate(_PHONE_FACTS)
        assert seen["overflowWrap"] == "break-word"
        assert seen["hyphens"] == "auto"
        # Debian's headless chromium has no hyphenation dictionaries: a word split here is a break
        assert seen["split"] == [], (entry["html"], seen["split"])
        assert seen["width"] <= 390, entry["html"]


@pytest.mark.parametrize(("tag", "words"), [("en", "fee"), ("zh-Hans", "费用")])
def test_search_finds_the_page(desk: tuple[Any, list[str]], served: tuple[str, Path], tag: str, words: str) -> None:
    """From a help page, its search link (in the page's language) leads to the search page of that
    language; with the keyboard alone (the search box has the focus, Tab reaches the results, which
    are links), the words lead to a current page of that language holding them. Nothing is asked
    of another site, and the search page's policy (only policyctl's own scripts) is never violated."""
    base, out = served
    index = json.loads((out / "index.json").read_text())
    holding = {
        e["html"] for e in index["pages"] if e["locale"] == tag and words in (out / e["markdown"]).read_text().lower()
    }
    assert holding, f"no {tag} page holds {words!r}"
    page, outside = desk
    before = len(outside)
    violations: list[str] = []
    with _listening(
        page,
        console=lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        pageerror=lambda e: violations.append(str(e)),
    ):
        _search(page, base, tag, words, holding)
    assert not violations, violations
    assert outside[before:] == [], outside[before:]


def _search(page: Any, base: str, tag: str, words: str, holding: set[str]) -> None:
    """The reader's steps of the search test (which listens to the page meanwhile)."""
    page.goto(base + sorted(holding)[0])
    link = page.locator('header a[rel="search"]')
    label = link.inner_text()
    assert link.get_attribute("hreflang") == tag and label.strip()
    _click(page, 'header a[rel="search"]')
    assert page.url == base + f"search/{tag.lower()}.html"
    assert page.title() == label and page.evaluate("document.documentElement.lang") == tag
    box = page.locator(".pagefind-ui__search-input")
    box.wait_for(timeout=15000)
    page.wait_for_function("document.activeElement && document.activeElement.matches('.pagefind-ui__search-input')")
    page.keyboard.type(words)
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
    for _ in range(10):  # past the clear button and the filters, to the first result
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.pagefind-ui__result-link')"):
            break
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.getAttribute('href')]")
    assert focused[0] == "A" and focused[1], focused
    with page.expect_navigation():
        page.keyboard.press("Enter")
    landed = page.url.removeprefix(base)
    assert landed.split("#")[0] in holding, landed
    assert page.evaluate("document.documentElement.lang") == tag


# -- accessibility: axe-core, keyboard, tables on a phone -----------------------------------------------

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]  # WCAG 2.2 level AA, as axe-core tags its rules


def _one_per_language(entries: list[dict[str, Any]]) -> list[str]:
    first: dict[str, str] = {}
    for entry in sorted(entries, key=lambda e: e["html"]):
        first.setdefault(entry["locale"], entry["html"])
    return sorted(first.values())


# Every kind of page a reader can land on: (kind, its pages to check, from the built site's
# index.json). A help page in each published language covers each script (Latin, Han, …) and
# its fonts, line breaking and `lang`. A new kind of page is one more line here.
PAGE_KINDS: list[tuple[str, Callable[[dict[str, Any]], list[str]]]] = [
    ("index", lambda index: ["index.html"]),
    ("help page", lambda index: _one_per_language(index["pages"])),
    ("past edition", lambda index: _one_per_language(index["editions"])[:1]),
    # Pagefind's UI as engine.site.search starts it, in a Latin and a Han script
    ("search page", lambda index: ["search/en.html", "search/zh-hans.html"]),
]


@pytest.fixture(scope="module")
def axe() -> str:
    """axe-core's script as the axe-playwright-python package ships it (a `test` dependency). The
    test evaluates it in the page through the browser's DevTools protocol; it is never part of a
    page, which stays without scripts (its Content-Security-Policy would refuse a `<script>`)."""
    script = _axe_script()
    if script is None:
        missing = "axe-core is not installed (pip install axe-playwright-python)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the accessibility test cannot run: {missing}")
        pytest.skip(missing)
    return script


def _axe_script() -> str | None:
    try:
        from importlib.resources import files

        return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
    except (ImportError, FileNotFoundError):
        return None


_AXE_RUN = """async only => {
  const result = await axe.run(document, {runOnly: only, resultTypes: ['violations']});
  return result.violations.flatMap(v => v.nodes.map(n => `${v.id} (${v.help}) at ${n.target.join(' ')}: ${n.failureSummary}`));
}"""


def _axe_violations(page: Any, axe: str, rules: list[str] | None = None) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now (or those of its ``rules``), one
    line per element."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe)
    only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_TAGS}
    found: list[str] = page.evaluate(_AXE_RUN, only)
    return found


SCHEMES = ("light", "dark")


def _axe_in_both_schemes(page: Any, axe: str) -> list[str]:
    """axe-core's findings on the page in the light, then the dark colour scheme, switched in place
    (the pages' colours are CSS media queries, which follow the emulated scheme at once; a scheme
    the page does not follow is a finding too), so axe-core is loaded into the page once. The page
    is left in the light scheme, a new context's default."""
    found: list[str] = []
    try:
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            if page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") != (scheme == "dark"):
                found.append(f"{scheme}: the page does not follow the emulated colour scheme")
            found += [f"{scheme}: {v}" for v in _axe_violations(page, axe)]
    finally:
        page.emulate_media(color_scheme="light")
    return found


def test_every_kind_of_page_has_no_axe_violations(
    desk: tuple[Any, list[str]], tour: Tour, served: tuple[str, Path], axe: str
) -> None:
    """Each page of PAGE_KINDS in the light and the dark colour scheme. The walk (`tour`) ran
    axe-core on the ones it visits (the index, help pages, a past edition) when it was there;
    the others (the search pages) are loaded here."""
    base, out = served
    index = json.loads((out / "index.json").read_text())
    page = desk[0]
    found: list[str] = []
    for kind, pages_of in PAGE_KINDS:
        paths = pages_of(index)
        assert paths, f"the site has no {kind}"
        for path in paths:
            if path in tour.axe:
                findings = tour.axe[path]
                bare = (tour.facts.get(path) or tour.editions[path])["bareTables"]
            else:
                page.goto(base + path)
                findings = _axe_in_both_schemes(page, axe)
                bare = page.locator("table:not(.table-scroll > table)").count()
            found += [f"{kind} {path}: {v}" for v in findings]
            # every table scrolls in its own box on a narrow screen (see the phone test below)
            assert bare == 0, path
    assert found == [], "\n".join(found)


_FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  return {switch: e.dataset.switch || null, href: e.getAttribute('href'), visible: e.matches(':focus-visible'),
          outline: getComputedStyle(e).outlineStyle, width: e.getBoundingClientRect().width,
          header: !!e.closest('header')};
}"""


def _tab(page: Any) -> dict[str, Any]:
    page.keyboard.press("Tab")
    focused: dict[str, Any] | None = page.evaluate(_FOCUSED)
    assert focused is not None, "Tab left the page"
    return focused


def test_switchers_by_keyboard(desk: tuple[Any, list[str]], served: tuple[str, Path]) -> None:
    """Tab reaches the skip link first, then every switcher link (language, marketplace, edition)
    in reading order, each with a visible focus ring; Enter on the skip link moves on to the
    content, Enter on a switcher follows it."""
    base, out = served
    index = json.loads((out / "index.json").read_text())
    edition = index["editions"][0]
    path = edition["html"].replace(f"/{edition['edition']}/", "/")  # a current page with an edition picker
    page = desk[0]
    page.goto(base + path)
    switchers = page.eval_on_selector_all(
        "header a[data-switch]", "els => els.map(e => [e.dataset.switch, e.getAttribute('href')])"
    )
    assert {kind for kind, _ in switchers} >= {"language", "marketplace", "edition"}, switchers

    skip = _tab(page)
    assert skip["href"] == "#content" and skip["visible"] and skip["outline"] != "none", skip
    assert skip["width"] > 1, "the skip link stays hidden when focused"
    reached = []
    for _ in switchers:
        focused = _tab(page)
        assert focused["visible"] and focused["outline"] != "none", focused
        reached.append([focused["switch"], focused["href"]])
    assert reached == switchers

    page.goto(base + path)
    _tab(page)
    page.keyboard.press("Enter")
    # (a same-document navigation: Playwright learns of the new address by an event from the
    # browser, which can arrive after `press` returns, so `page.url` is waited for, not read at once)
    page.wait_for_url(base + path + "#content", timeout=5000)
    assert not _tab(page)["header"], "after the skip link, Tab went back to the switchers"

    for kind in ("language", "marketplace", "edition"):
        href = next(h for k, h in switchers if k == kind)
        page.goto(base + path)
        for _ in range(len(switchers) + 1):  # the skip link, then the switchers
            if _tab(page)["href"] == href:
                break
        assert page.evaluate("document.activeElement.getAttribute('href')") == href, kind
        page.keyboard.press("Enter")
        page.wait_for_url(urljoin(base + path, href))
        assert page.inner_text("h1")


_PERMALINK = """selector => {
  const link = document.querySelector(selector), heading = link.previousElementSibling;
  const l = link.getBoundingClientRect(), h = heading.getBoundingClientRect();
  return {href: link.getAttribute('href'), id: heading.id, name: link.getAttribute('aria-label'),
          text: heading.innerText, opacity: getComputedStyle(link).opacity,
          link: [l.left, l.right, l.top, l.width, l.height], heading: [h.left, h.right, h.top],
          width: document.documentElement.clientWidth};
}"""


def test_a_headings_permalink_by_keyboard_pointer_and_on_a_phone(
    desk: tuple[Any, list[str]], phone: Any, served: tuple[str, Path]
) -> None:
    """Each heading's permalink: hidden until the pointer is over its heading or it has the focus;
    after the skip link, Tab reaches the first heading's, visible with a focus ring, and Enter
    follows it to the heading's `#id`. It stands in the margin on the side the text starts on (the
    right when the page is right to left), at the heading's first line, inside the window on a
    phone, where it is always shown (no pointer to hover)."""
    base, _ = served
    path = "csba/de/de/help.html"
    page = desk[0]
    page.goto(base + path)
    second = "main .heading:nth-of-type(2) .permalink"
    seen = page.evaluate(_PERMALINK, second)
    assert seen["opacity"] == "0" and seen["href"] == f"#{seen['id']}", seen
    assert seen["name"] == f"Link zu diesem Abschnitt: {seen['text']}", seen
    page.hover(f"h2#{seen['id']}")
    assert page.evaluate(_PERMALINK, second)["opacity"] == "1"

    page.goto(base + path)
    _tab(page)  # the skip link, then on to the content
    page.keyboard.press("Enter")
    page.wait_for_url(base + path + "#content", timeout=5000)
    focused = _tab(page)
    first = page.evaluate(_PERMALINK, "main .permalink")
    assert focused["href"] == first["href"] == f"#{first['id']}" and focused["visible"], (focused, first)
    assert focused["outline"] != "none" and first["opacity"] == "1", (focused, first)
    page.keyboard.press("Enter")
    page.wait_for_url(base + path + first["href"], timeout=5000)

    for at in (page, phone):
        at.goto(base + path)
        for direction in ("ltr", "rtl"):
            at.evaluate(f"document.documentElement.dir = '{direction}'")
            seen = at.evaluate(_PERMALINK, "main .permalink")
            (left, right, top, width, height), (h_left, h_right, h_top) = seen["link"], seen["heading"]
            assert width > 0 and height > 0 and abs(top - h_top) < 1, seen
            if direction == "ltr":
                assert right <= h_left + 0.5, seen  # (before the heading's start, on the left)
            else:
                assert left >= h_right - 0.5, seen  # (on the right)
            assert left >= 0 and right <= seen["width"] + 0.5, seen  # (inside the window)
    assert phone.evaluate(_PERMALINK, "main .permalink")["opacity"] == "1"


@pytest.fixture(scope="module")
def wide_table(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A page of a repository made by `policyctl init` (the default layout, as installed) with a
    table far wider than a phone: twelve columns of facts."""
    top = tmp_path_factory.mktemp("wide") / "repo"
    run = run_cli("init", str(top))
    assert run.code == 0, run
    row = "| " + " | ".join(["{{ p.return_window_days|duration('day') }}"] * 12) + " |\n"
    table = row + "|" + " --- |" * 12 + "\n" + row
    edit(
        top / "policies" / "returns" / "pages" / "help.md.j2",
        "{% block body %}\n",
        "{% block body %}\n\n" + table + "\n",
    )
    out = top / "generated_docs"
    run = run_cli("build", "--root", str(top / "policies"), "--out", str(out), "--at", AT)
    assert run.code == 0, run
    with _serving(out) as base:
        yield base + "returns/us/en/help.html"


def test_a_wide_table_scrolls_in_its_own_box_on_a_phone(phone: Any, wide_table: str, axe: str) -> None:
    page = phone
    page.goto(wide_table)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    box = "document.querySelector('main table').parentElement"
    assert page.evaluate(f"{box}.scrollWidth > {box}.clientWidth"), "the table fits: nothing to scroll"
    assert page.evaluate(f"getComputedStyle({box}).overflowX") == "auto"
    assert page.evaluate(f"{box}.getAttribute('aria-label')")
    # by keyboard: Tab reaches the box (tabindex=0), an arrow key scrolls it
    for _ in range(50):
        if page.evaluate(f"document.activeElement === {box}"):
            break
        _tab(page)
    assert page.evaluate(f"document.activeElement === {box}"), "Tab does not reach the table"
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => {box}.scrollLeft > 0")  # (a function: the page forbids eval)
    assert _axe_in_both_schemes(page, axe) == []


@pytest.fixture(scope="module")
def many_marketplaces(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`policyctl init`'s starter (the default layout, as installed) offered in 9 marketplaces, one
    more than a page's header lists (engine.site.plan.CHOOSER_THRESHOLD), built and served."""
    top = tmp_path_factory.mktemp("many") / "repo"
    shutil.copytree(init_starter, top)
    offer_in_more_marketplaces(top, 9)
    out = top / "site"
    run = run_cli("build", "--root", str(top / "policies"), "--out", str(out), "--at", AT)
    assert run.code == 0, run
    with _serving(out) as base:
        yield base


def test_a_page_in_many_marketplaces_and_its_chooser(browser: Any, many_marketplaces: str, axe: str) -> None:
    """The header's one marketplace link leads to the chooser, and the chooser's links to the
    pages; both without axe-core findings in either colour scheme, the link reached by keyboard
    after the skip link and the language switcher."""
    context, outside = _offline(browser, many_marketplaces)
    try:
        _chooser_walk(context.new_page(), many_marketplaces, axe)
    finally:
        context.close()
    assert outside == []


def _chooser_walk(page: Any, many_marketplaces: str, axe: str) -> None:
    start = many_marketplaces + "returns/de/de/help.html"
    page.goto(start)
    assert _axe_in_both_schemes(page, axe) == []
    switchers = page.eval_on_selector_all("header a[data-switch]", "els => els.map(e => e.dataset.switch)")
    assert switchers == ["language", "marketplaces", "edition"]
    _tab(page)  # the skip link
    _tab(page)  # the language
    assert _tab(page)["switch"] == "marketplaces"
    page.keyboard.press("Enter")
    page.wait_for_url(many_marketplaces + "returns/_marketplaces/de/help.html")
    assert page.evaluate("document.documentElement.lang") == "de"
    assert _axe_in_both_schemes(page, axe) == []
    assert page.inner_text("h1") == "Marketplace wählen"
    # the list is named by its heading; each link says the language of the page it leads to
    links = page.eval_on_selector_all(
        "ul[aria-labelledby=marketplaces] a", "els => els.map(e => [e.textContent, e.hreflang])"
    )
    assert len(links) == 9 and ["Vereinigtes Königreich", "en"] in links and ["Österreich", "de"] in links
    _click(page, "a[href='../../gb/en/help.html']")
    page.wait_for_url(many_marketplaces + "returns/gb/en/help.html")
    assert page.inner_text("h1")


_FILTERS = """() => Object.fromEntries([...document.querySelectorAll('.pagefind-ui__filter-block')].map(b => [
  b.querySelector('.pagefind-ui__filter-name').textContent.trim(),
  [...b.querySelectorAll('.pagefind-ui__filter-checkbox')].map(c => c.value)]))"""

_RESULTS = "[...document.querySelectorAll('.pagefind-ui__result-link')].map(a => a.href)"


@pytest.mark.parametrize(("tag", "words"), [("en", "fee"), ("zh-Hans", "费用")])
def test_search_narrows_to_a_marketplace_and_a_program(
    desk: tuple[Any, list[str]], served: tuple[str, Path], tag: str, words: str, axe: str
) -> None:
    """A language's search page offers the filters its pages declare, named as the pages' own
    switchers name them in that language, with the pages' values; checking a marketplace by
    keyboard (Space) leaves only that marketplace's pages, and then a program only the pages of both.
    Then the page as it stands passes axe-core, and says how many results to screen readers too."""
    base, out = served
    index = json.loads((out / "index.json").read_text())
    holding = [e for e in index["pages"] if e["locale"] == tag and words in (out / e["markdown"]).read_text().lower()]
    assert len({e["marketplace"] for e in holding}) >= 2, f"no two marketplaces' {tag} pages hold {words!r}"
    chosen = holding[0]
    text = (out / chosen["html"]).read_text(encoding="utf-8")
    nav = re.search(r'<nav class="marketplaces" aria-label="([^"]+)">', text)
    marketplace = re.search(r'<span aria-current="page" data-pagefind-filter="([^"]+)">([^<]+)</span>', text)
    program = re.search(r'data-pagefind-body data-pagefind-filter="([^":]+):([^"]+)"', text)
    assert nav and marketplace and program, chosen["html"]
    assert marketplace.group(1) == nav.group(1)  # the filter is named as the page names a marketplace
    page, outside = desk
    page.goto(base + f"search/{tag.lower()}.html")
    page.locator(".pagefind-ui__search-input").wait_for(timeout=15000)
    page.keyboard.type(words)
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
    filters = page.evaluate(f"({_FILTERS})()")
    assert marketplace.group(2) in filters.get(marketplace.group(1), []), filters
    assert program.group(2) in filters.get(program.group(1), []), filters

    def narrow(name: str, value: str, folder: str) -> set[str]:
        block = page.locator(".pagefind-ui__filter-block").filter(has=page.get_by_text(name, exact=True))
        block.locator("summary").click()  # open the filter's list
        box = block.locator(f'input[value="{value}"]')
        box.focus()
        page.keyboard.press("Space")
        assert box.is_checked()
        page.wait_for_function(
            f"f => {{ const r = {_RESULTS}; return r.length && r.every(h => h.includes(f)) }}", arg=folder
        )
        return {href.removeprefix(base).split("#")[0] for href in page.evaluate(_RESULTS)}

    in_marketplace = {e["html"] for e in holding if e["marketplace"] == chosen["marketplace"]}
    found = narrow(marketplace.group(1), marketplace.group(2), f"/{chosen['marketplace']}/{tag}/")
    assert found and found <= in_marketplace, (found, in_marketplace)
    found = narrow(program.group(1), program.group(2), f"/{chosen['program']}/{chosen['marketplace']}/")
    assert found and found <= {h for h in in_marketplace if h.startswith(f"{chosen['program']}/")}, found
    assert outside == [], outside
    # the page as a reader left it (results, filters open and checked): WCAG 2.2 AA, the search box
    # named by more than its `title`, an unchecked box's edge seen (3:1 against its background)
    assert _axe_violations(page, axe) + _axe_violations(page, axe, ["label-title-only"]) == []
    box = page.locator(".pagefind-ui__filter-checkbox:not(:checked)").first.evaluate(
        "e => [getComputedStyle(e).borderTopColor, getComputedStyle(e).backgroundColor]"
    )
    assert _contrast(*box) >= 3, box
    # what the UI says of the results, seen, is said to screen readers too (a status region)
    page.wait_for_function(f"() => {{ const said = {_SAID}; return said[0] && said[0] === said[1] }}", timeout=10_000)


# The status region's words and those the UI shows of the results
_SAID = "[document.querySelector('[role=status]')?.textContent, document.querySelector('.pagefind-ui__message')?.textContent]"


def _contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio of two CSS colours as a browser computes them (`rgb(r, g, b)`)."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
