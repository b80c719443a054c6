"""`policyctl serve` over plain HTTP (no browser): the real command in a subprocess, on a free port
of 127.0.0.1, against a copy of the repository; every wait is bounded in time."""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support import ROOT, edit

PAGE = "csba/us/en/help.html"
WAIT = 20.0  # seconds: the longest any step may take before the test fails


class Served:
    def __init__(self, url: str, root: Path, process: subprocess.Popen[str]) -> None:
        self.url, self.root, self.process = url, root, process

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=WAIT) as response:
                return response.status, dict(response.headers), response.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            with e:  # (it holds the response: Python 3.14 warns when one is left to the collector)
                return e.code, dict(e.headers), e.read().decode("utf-8")

    def generation(self) -> int:
        return int(re.search(r"\d+", self.get("__policyctl/version")[2]).group())  # type: ignore[union-attr]  # a number

    def after_change(self, before: int) -> None:
        """Wait until the server has noticed a change made after it said ``before``."""
        deadline = time.monotonic() + WAIT
        while self.generation() == before:
            assert time.monotonic() < deadline, "the server did not notice the change"
            time.sleep(0.05)


def start_serve(tmp_path: Path, *options: str) -> Served:
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "serve", "--root", str(root), "--port", "0", *options],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # the server prints its address once it listens
    found = re.search(r"http://127\.0\.0\.1:\d+/", line)
    served = Served(found.group() if found else "", root, process)
    if not found:
        process.kill()
        process.wait()
        said = process.stderr.read() if process.stderr else ""
        stop(served)  # (its pipes closed)
        pytest.fail(f"serve did not start: {line!r} {said}")
    return served


def stop(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()
    for pipe in (served.process.stdout, served.process.stderr):
        if pipe is not None:
            pipe.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A server of its own, for a test that edits the sources."""
    server = start_serve(tmp_path)
    try:
        yield server
    finally:
        stop(server)


@pytest.fixture(scope="module")
def reading(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the tests that only read from it (each start is a process and a first load)."""
    server = start_serve(tmp_path_factory.mktemp("serve"))
    try:
        yield server
    finally:
        stop(server)


def _trial(page: str) -> str:
    """The free trial's length as the page states it (the number inside its fact span)."""
    found = re.search(r'data-fact="trial_days" data-value="(\d+)"', page)
    assert found, "the page states no trial"
    return found.group(1)


def test_serves_pages_with_its_own_script_allowed_and_writes_nothing(reading: Served) -> None:
    served = reading
    status, headers, page = served.get(PAGE)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    policy = headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'<script nonce="{nonce.group(1)}">' in page
    assert "connect-src 'self'" in policy and "default-src 'none'" in policy
    assert 'http-equiv="Content-Security-Policy"' not in page  # the page's own policy is the header
    assert 'id="policyctl-problems"' not in page  # no problems, no overlay
    status, headers, text = served.get(PAGE[:-4] + "md")
    assert status == 200 and text.startswith("# ") and "<script" not in text
    status, _, index = served.get("")
    assert status == 200 and PAGE in index
    assert served.get("csba/us/xx/help.html")[0] == 404
    search_link = re.search(r'<a href="([^"]+)" rel="search"', page)  # not a dead link in the preview
    assert search_link
    status, _, search = served.get(posixpath.normpath(posixpath.join(posixpath.dirname(PAGE), search_link.group(1))))
    assert status == 200 and "The preview has no search: `policyctl build` makes" in search and "pagefind" not in search
    # its words are English whatever language the link was for, and it says so
    assert all('<html lang="en">' in served.get(f"search/{tag}.html")[2] for tag in ("en", "de", "zh-hans"))
    assert served.get(PAGE + "?at=someday")[0] == 400
    cwd = served.root.parent  # where the command runs
    assert not (cwd / "generated_docs").exists() and not (served.root / "generated_docs").exists()


def test_any_date_on_demand(reading: Served) -> None:
    assert _trial(reading.get(PAGE + "?at=2022-06-01")[2]) == "30"  # the 2022 edition
    assert _trial(reading.get(PAGE + "?at=2024-01-01")[2]) == "90"
    # a day that is not one is a bad request, as `--at` refuses it (it was a page with a template
    # error blamed on the page's line 1)
    for day, said in (("2024-02-30", "is not a day of the calendar"), ("20240101", "write it `2024-01-01`")):
        status, _, body = reading.get(PAGE + f"?at={day}")
        assert status == 400 and said in body, (day, body)


def test_an_edit_shows_and_a_broken_file_is_an_overlay_with_its_place(served: Served) -> None:
    program = served.root / "csba" / "program.yaml"
    assert _trial(served.get(PAGE + "?at=2024-01-01")[2]) == "90"
    before = served.generation()
    edit(program, "value: 90", "value: 120")
    served.after_change(before)
    page = served.get(PAGE + "?at=2024-01-01")[2]
    assert _trial(page) == "120"

    before = served.generation()
    overlay = served.root / "csba" / "marketplaces" / "us.yaml"
    overlay.write_text(overlay.read_text(encoding="utf-8") + "broken: [\n", encoding="utf-8")
    served.after_change(before)
    page = served.get(PAGE)[2]
    problems = re.search(r'<aside id="policyctl-problems".*?</aside>', page, re.S)
    assert problems, "no overlay"
    lines = len(overlay.read_text(encoding="utf-8").splitlines())
    # (at the `[` never closed, on the last line; it was the end of the file, a line below)
    assert re.search(rf"us\.yaml:{lines}:9</code> error\[Y010\]", problems.group()), problems.group()
    assert "hint:" in problems.group()


def test_a_translation_problem_is_shown_on_the_page(served: Served) -> None:
    catalog = served.root / "csba" / "locales" / "de.po"
    text = catalog.read_text(encoding="utf-8")
    hours = re.search(r'msgstr "([^"]*)%\(hours\)s([^"]*)"', text)
    assert hours
    before = served.generation()
    catalog.write_text(
        text.replace(hours.group(0), f'msgstr "{hours.group(1)}48 Stunden{hours.group(2)}"'), encoding="utf-8"
    )
    served.after_change(before)
    page = served.get("csba/de/de/help.html")[2]
    assert re.search(r"de\.po:\d+:1</code> error\[G002\]: de: the (translation\S* )?placeholders.* differ", page), page[
        -3000:
    ]


def test_a_port_in_use_is_a_usage_error(reading: Served, tmp_path: Path) -> None:
    port = reading.url.rsplit(":", 1)[1].strip("/")
    run: Any = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "serve", "--root", str(reading.root), "--port", port],
        capture_output=True,
        text=True,
        timeout=WAIT,
        cwd=tmp_path,
    )
    assert run.returncode == 2 and "cannot listen on 127.0.0.1" in run.stderr and "Traceback" not in run.stderr


def test_the_preview_publishes_the_languages_policyctl_toml_publishes(init_repo: Path) -> None:
    """`languages` in policyctl.toml: `build` published those only, the preview every marketplace's
    (and showed problems of catalogs no build would read)."""
    from engine.commands.serve import Preview
    from support import edit

    preview = Preview(str(init_repo / "policies"), "2025-03-01")
    assert preview.page("returns/de/de/help.html", None)[0] == 200
    edit(init_repo / "policyctl.toml", 'languages = ["en", "de"]', 'languages = ["en"]')
    preview.changed()
    assert preview.page("returns/de/de/help.html", None)[0] == 404
    assert preview.page("returns/de/en/help.html", None)[0] == 200


def test_the_preview_serves_past_editions_and_links_them(init_repo: Path) -> None:
    """A past edition's address (`.../original/help.html`) was a 404 in the preview, and its pages
    had no edition picker, unlike the built site."""
    from engine.commands.serve import Preview

    preview = Preview(str(init_repo / "policies"), "2025-03-01")
    status, _, page, _ = preview.page("returns/us/en/help.html", None)
    assert status == 200 and 'href="original/help.html"' in page
    status, _, past, _ = preview.page("returns/us/en/original/help.html", None)
    assert status == 200 and "Past edition" in past, past[:300]
    assert preview.page("returns/us/en/1999-01-01/help.html", None)[0] == 404
    assert preview.page("returns/us/en/original/help.html", "2024-06-01")[0] == 404  # (none yet that day)


@pytest.mark.parametrize(
    "file, old, new",
    [
        (  # found by the catalogs' check ("no translation of") and by the page ("empty translation of")
            "returns/locales/de.po",
            'msgstr "Die Rücksendung ist kostenlos: Wir bezahlen das Rücksendeetikett."',
            'msgstr ""',
        ),
        # found by the templates' check and again by the page ("... (on the page for marketplace `de`, ...)")
        ("returns/pages/help.md.j2", "{{ old }}", "{{ }} old }}"),
    ],
    ids=["emptied translation", "template syntax error"],
)
def test_the_preview_states_each_problem_once_as_validate_does(init_repo: Path, file: str, old: str, new: str) -> None:
    """serve listed the same problem twice, in two wordings, where validate states it once."""
    import json

    from engine.commands.serve import Preview
    from support import run_cli

    preview = Preview(str(init_repo / "policies"), "2025-03-01")
    assert preview.page("returns/de/de/help.html", None)[3] == []
    edit(init_repo / "policies" / file, old, new)
    preview.changed()
    shown = [(Path(p.file).name, p.line, p.code, p.message) for p in preview.page("returns/de/de/help.html", None)[3]]
    validated = json.loads(run_cli("validate", "--format", "json", cwd=init_repo).out)["problems"]
    assert shown == [(Path(p["file"]).name, p["line"], p["code"], p["message"]) for p in validated]
    assert len(shown) == 1


FEED_DAY = "2025-03-01"  # (the starter's return window changed on 2025-01-01: its pages have a past edition)


@pytest.fixture(scope="module")
def feed_site(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter built on FEED_DAY, once for the module: what the preview must show."""
    from support import run_cli

    out = tmp_path_factory.mktemp("feeds") / "site"
    built = run_cli("build", "--root", str(init_starter / "policies"), "--out", str(out), "--at", FEED_DAY)
    assert built.code == 0, built
    return out


_FEED_LINKS = re.compile(r'<(?:link|a) [^>]*type="application/atom\+xml"[^>]*>')


@pytest.mark.parametrize(
    "page", ["returns/us/en/help.html", "returns/de/de/help.html", "returns/de/en/original/help.html"]
)
def test_the_preview_links_the_change_feed_and_serves_it_as_built(
    init_starter: Path, feed_site: Path, page: str
) -> None:
    """The preview's pages had no feed links (head and footer) that every built page has, and the
    feed itself was a 404: it is made in memory from its program's first page, as `build` makes it,
    and every link in it leads to a page the preview serves."""
    from engine.commands.serve import Preview

    preview = Preview(str(init_starter / "policies"), FEED_DAY)
    status, _, shown, problems = preview.page(page, None)
    built = (feed_site / page).read_text(encoding="utf-8")
    assert (status, problems) == (200, [])
    links = _FEED_LINKS.findall(shown)
    assert len(links) == 2 and links == _FEED_LINKS.findall(built), links  # (the head's and the footer's)
    hrefs = {re.search(r'href="([^"]*)"', link).group(1) for link in links}  # type: ignore[union-attr]  # (has one)
    assert len(hrefs) == 1, hrefs
    feed = posixpath.normpath(posixpath.join(posixpath.dirname(page), hrefs.pop()))
    status, kind, atom, problems = preview.page(feed, None)
    assert (status, kind, problems, atom) == (200, "atom", [], (feed_site / feed).read_text(encoding="utf-8"))
    for href in re.findall(r'<link[^>]* href="([^"]*)"', atom):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(feed), href))
        assert preview.page(target, None)[0] == 200, target


def test_the_preview_has_no_feed_where_a_build_has_none(init_starter: Path) -> None:
    """Before the starter's first change its program has no past edition, so no change feed."""
    from engine.commands.serve import Preview

    preview = Preview(str(init_starter / "policies"), "2024-06-01")
    status, _, shown, _ = preview.page("returns/us/en/help.html", None)
    assert status == 200 and "application/atom+xml" not in shown
    assert preview.page("returns/us/en/changes.atom", None)[0] == 404
    assert preview.page("returns/us/en/changes.atom", FEED_DAY)[0] == 200  # (the same preview, a later day)
    assert preview.page("returns/us/en/help.atom", FEED_DAY)[0] == 404


# (a link's address, what it becomes with `?at=2024-01-01`: in a served feed (`with_day`) and on a
# served page (its script's `carried`, run in Chromium by test_browser)
CARRIED_LINKS = [
    ("changes.atom", "changes.atom?at=2024-01-01"),
    ("../../us/en/help.html", "../../us/en/help.html?at=2024-01-01"),
    # before the fragment: after it, the query is the fragment's (`help.html#fees?at=...`, today's page)
    ("original/help.html#changes", "original/help.html?at=2024-01-01#changes"),
    ("help.html#fees?x", "help.html?at=2024-01-01#fees?x"),
    # not carried: another site's, a part of this document, a link that has its own query
    ("https://example.com/x", "https://example.com/x"),
    ("mailto:help@example.com", "mailto:help@example.com"),
    ("//example.com/x", "//example.com/x"),
    ("#top", "#top"),
    ("help.html?at=2022-01-01", "help.html?at=2022-01-01"),
    ("help.html?at=2022-01-01#fees", "help.html?at=2022-01-01#fees"),
]


# (a served page's query, `location.search`, and the query its script carries to its links: `at`
# alone, which the preview reads, as `with_day` carries it in a feed; run in Chromium by test_browser)
CARRIED_QUERIES = [
    ("?at=2024-01-01", "?at=2024-01-01"),
    # the whole query was carried: another site's tracking onto every link, a page's search words
    ("?at=2024-01-01&utm_source=mail", "?at=2024-01-01"),
    ("?utm_source=mail&at=2024-01-01", "?at=2024-01-01"),
    ("?at=2024-01-01&at=2023-01-01", "?at=2024-01-01"),  # (the first, as the server reads it)
    # no day: the page is today's, so are its links (`?x=1` was carried onto each)
    ("?x=1", ""),
    ("?at=", ""),
    ("", ""),
]


@pytest.mark.parametrize(
    ("feed", "carried"),
    [(f'<link href="{href}"/>', f'<link href="{carried}"/>') for href, carried in CARRIED_LINKS]
    + [
        ('<link rel="self" href="changes.atom"/>', '<link rel="self" href="changes.atom?at=2024-01-01"/>'),
        ("<summary>href=&quot;help.html&quot;</summary>", "<summary>href=&quot;help.html&quot;</summary>"),
    ],
)
def test_a_feeds_links_carry_the_day_previewed(feed: str, carried: str) -> None:
    from engine.commands.serve import with_day

    assert with_day(feed, "2024-01-01") == carried


def test_the_served_feed_and_its_links_keep_the_day_previewed(reading: Served) -> None:
    """A page's links carried `?at=` (its script), but the feed read from `changes.atom?at=DAY` led
    to each page, and to itself, as of today."""
    feed = posixpath.join(posixpath.dirname(PAGE), "changes.atom")
    status, headers, atom = reading.get(feed + "?at=2024-01-01")
    hrefs = re.findall(r' href="([^"]*)"', atom)
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    assert hrefs and all(h.endswith("?at=2024-01-01") for h in hrefs), hrefs
    assert all("?" not in h for h in re.findall(r' href="([^"]*)"', reading.get(feed)[2]))  # (no day: as built)
    # a page's script carries the day to its head's alternates (the feed, the Markdown, the other languages) too
    from engine.commands.serve import CARRIED, DAY

    page = reading.get(PAGE)[2]
    assert "document.querySelectorAll('a[href],link[rel~=alternate][href]')" in page and CARRIED in page
    assert DAY in page and "q=day(location.search);" in page  # (`at=` alone, not the whole query)


def test_a_path_or_a_day_that_is_no_page_is_said_back_with_its_controls_escaped(reading: Served) -> None:
    # they were repeated as sent: an escape sequence recoloured the terminal of whoever looked
    status, _, body = reading.get("a%1b%5b31mred%0d%0aX-Forged:%20yes%07.html")
    assert (status, body) == (404, "no page a\\x1b[31mred\\r\\nX-Forged: yes\\x07.html: see the list at /\n")
    status, _, body = reading.get("csba/us/en/%1b%5b2J.atom")
    assert (status, body) == (404, "no page csba/us/en/\\x1b[2J.atom: see the list at /\n")
    status, _, body = reading.get(PAGE + "?at=2024%1b%5b31m")
    assert status == 400 and body.startswith("`2024\\x1b[31m` is not a date in the form YYYY-MM-DD"), body
