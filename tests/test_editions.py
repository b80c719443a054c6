"""Past editions and change feeds (engine.site.editions, engine.site.feeds), read from a real build.

The sources' own history drives them: csba's US marketplace has dated changes, its DE marketplace
and cs_guidelines have none. What is asserted is read from the data (`repo.history`,
`repo.resolve`), never a count of the repository's content.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.i18n import cldr as l10n
from engine.site import build as site_build
from engine.site import disk, editions, feeds
from support import ROOT, SITE_DAY, declared_pages, edit, run_cli, select

AT = "2025-01-01"
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$")


@pytest.fixture(scope="module")
def repo() -> engine.Repository:
    return engine.load(str(ROOT / "policies"))


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    """policies/ built on AT (conftest's, shared with other tests that only read it)."""
    assert AT == SITE_DAY
    return built_site


def _with_past(repo: engine.Repository) -> list[tuple[str, str, list[editions.Edition], list[str]]]:
    """(program, marketplace, its past editions, its pages as `program/marketplace/language/page`)
    of every program and marketplace with pages."""
    pages = declared_pages(ROOT / "policies")
    found = [
        (p, mp, editions.past_editions(repo, p, mp, AT), sorted(select(pages, p, mp)))
        for p in sorted(repo.programs)
        for mp in repo.programs[p].marketplaces
        if select(pages, p, mp)
    ]
    assert any(past for _, _, past, _ in found), "the repository's data no longer has a dated change"
    return found


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []
        self.current: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("a", "link"):
            self.links.append(values)
        if tag == "span" and "aria-current" in values:
            self._in = ""

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._in += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._in is not None:
            self.current.append(self._in)
            self._in = None


def _links(path: Path) -> _Links:
    reader = _Links()
    reader.feed(path.read_text(encoding="utf-8"))
    return reader


def test_past_editions_follow_the_history() -> None:
    repo = engine.load(str(ROOT / "policies"))
    for program in sorted(repo.programs):
        for mp in repo.programs[program].marketplaces:
            starts = sorted({c.start for c in repo.history(program, mp)})
            past = editions.past_editions(repo, program, mp, "9999-12-31")
            assert [e.end for e in past] == starts  # one edition ends on every effective date
            if past:
                assert past[0].folder == editions.ORIGINAL and past[0].start is None
                assert [e.start for e in past[1:]] == starts[:-1]
            assert editions.past_editions(repo, program, mp, "1900-01-01") == []  # nothing has changed yet


def _marker(tag: str) -> str:
    """The layout's "(date not yet confirmed)" in the language ``tag`` (its catalog read with Babel)."""
    from babel.messages.pofile import read_po

    if tag == "en":
        return "(date not yet confirmed)"
    with open(ROOT / "policies" / "_site" / "locales" / f"{tag}.po", "rb") as f:
        message = read_po(f).get(" *(date not yet confirmed)*")  # (with the space and the emphasis)
    assert message is not None and message.string, tag
    return str(message.string).strip().strip("*")


def _files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _lines_naming(
    files: dict[str, bytes], repo: engine.Repository, days: dict[tuple[str, str], frozenset[str]]
) -> list[tuple[str, str, str]]:
    """(file, its line, the marker of its language) for every line of every page, edition and feed
    that names one of ``days`` (by program and marketplace) as the page's language writes dates."""
    found = []
    for path, data in sorted(files.items()):
        parts = path.split("/")
        if not path.endswith((".md", ".html", ".atom")) or len(parts) < 4 or (parts[0], parts[1]) not in days:
            continue
        tag, assumed = parts[2], days[(parts[0], parts[1])]
        shown = l10n.conventions(tag, repo.marketplaces[parts[1]].country)  # (dates as the page writes them)
        for line in data.decode("utf-8").splitlines():
            if any(l10n.date(day, shown) in line for day in assumed):
                found.append((path, line, _marker(tag)))
    return found


def test_an_assumed_date_is_never_stated_as_a_fact(repo: engine.Repository, site: Path) -> None:
    """Wherever a page, an edition or a feed names a day that the sources only assume (`assumed:
    [date]`): the edition picker, the past edition's banner (HTML and Markdown), "Next change",
    "What changed", a feed entry's title and summary, it says "(date not yet confirmed)" in the
    page's language on the same line; index.json lists such dates under `unconfirmed`."""
    days = {(p, mp): editions.unconfirmed_dates(repo, p, mp) for p, mp, past, _ in _with_past(repo) if past}
    lines = _lines_naming(_files(site), repo, {k: v for k, v in days.items() if v})
    assert lines, "the repository's data no longer has a change whose date is assumed"
    for path, line, marker in lines:
        assert marker in line, (path, line)
    index = json.loads((site / "index.json").read_text(encoding="utf-8"))
    for entry in index["pages"] + index["editions"]:
        assumed = days.get((entry["program"], entry["marketplace"]), frozenset())
        dates = ("effective_from", "next_change") if "edition" not in entry else ("effective_from", "effective_until")
        assert entry["unconfirmed"] == [k for k in dates if entry[k] in assumed], entry


def test_a_confirmed_date_is_stated_without_a_marker(tmp_path: Path) -> None:
    """The same changes with sourced dates (their values assumed instead): every page, edition and
    feed names the day plainly, as "Effective from" too, and index.json lists no date as unconfirmed."""
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    program = policies / "csba" / "program.yaml"
    text = program.read_text(encoding="utf-8")
    assert "assumed: [date]" in text
    program.write_text(text.replace("assumed: [date]", "assumed: [value]"), encoding="utf-8")
    repo = engine.load(str(policies))
    built = site_build.build(repo, AT)
    assert built.problems == []
    days = {
        ("csba", mp): frozenset(c.start for c in repo.history("csba", mp)) for mp in repo.programs["csba"].marketplaces
    }
    assert all(not editions.unconfirmed_dates(repo, "csba", mp) for _, mp in days)
    lines = _lines_naming(built.files, repo, days)
    assert lines
    for path, line, marker in lines:
        assert marker not in line, (path, line)
    assert "**Effective from:** July 1, 2023" in built.files["csba/us/en/help.md"].decode("utf-8")
    index = json.loads(built.files["index.json"])
    assert all(entry["unconfirmed"] == [] for entry in index["pages"] + index["editions"])


def test_a_past_editions_markdown_says_so_first(repo: engine.Repository, site: Path) -> None:
    """A reader of a past edition's Markdown is told, before anything else, that these are not
    today's rules and until when they held (as the HTML page's banner), with a link to the current page."""
    for program, mp, past, pages in _with_past(repo):
        for path in pages:
            _, _, tag, page_id = path.split("/")
            for edition in past:
                text = (site / program / mp / tag / edition.folder / f"{page_id}.md").read_text(encoding="utf-8")
                first = text.splitlines()[0]
                assert first.startswith("> **") and l10n.date(edition.end, tag) in first, first
                assert first.endswith(f"](../{page_id}.md)"), first
                assert (site / program / mp / tag / edition.folder / f"../{page_id}.md").is_file()
            assert not (site / f"{path}.md").read_text(encoding="utf-8").startswith(">")


def test_every_past_edition_is_the_page_as_it_was(repo: engine.Repository, site: Path) -> None:
    for program, mp, past, pages in _with_past(repo):
        for path in pages:
            _, _, tag, page_id = path.split("/")
            current = site / f"{path}.html"
            for edition in past:
                page = site / program / mp / tag / edition.folder / f"{page_id}.html"
                assert page.is_file() and page.with_suffix(".md").is_file()
                text = page.read_text(encoding="utf-8")
                # the facts of that day: every resolved value shown is the one in force then
                then = repo.resolve(program, mp, edition.day).values
                for name, raw in re.findall(r'data-fact="([a-z_]+)" data-value="([^"]*)"', text):
                    if name in then:
                        assert json.loads(raw.replace("&quot;", '"').replace("&amp;", "&")) == then[name], (page, name)
                reader = _links(page)
                hrefs = {link.get("href"): link for link in reader.links}
                # the banner and the picker lead to the current page; languages stay in the edition
                up = f"../{page_id}.html"
                assert up in hrefs and hrefs[up].get("data-switch") in ("current", "edition")
                assert 'class="past-edition"' in text and 'role="note"' in text
                for other in pages:
                    if other.split("/")[2] != tag and other.endswith(f"/{page_id}"):
                        assert f"../../{other.split('/')[2]}/{edition.folder}/{page_id}.html" in hrefs
                marketplaces = [h for h, link in hrefs.items() if link.get("data-switch") == "marketplace"]
                landed = [(page.parent / str(h)).resolve().relative_to(site.resolve()) for h in marketplaces]
                assert landed and all(len(p.parts) == 4 for p in landed), landed  # their current page
            assert 'class="past-edition"' not in current.read_text(encoding="utf-8")


def test_each_change_links_the_page_before_it_and_never_the_page_itself(repo: engine.Repository, site: Path) -> None:
    """On the current page every change of "What changed" took effect on the page's own rules: it
    links the page before it, and no "page after" (that is the page being read)."""
    for program, mp, past, pages in _with_past(repo):
        if not past:
            continue
        for path in pages:
            name = path.split("/")[3]
            markdown = (site / f"{path}.md").read_text(encoding="utf-8")
            items = [line for line in markdown.splitlines() if line.startswith("- **") and "](" in line]
            assert items, path
            for line in items:
                assert f"]({name}.md)" not in line, line  # never itself
            for change in repo.history(program, mp):
                if change.start > AT:
                    continue
                before = editions.before(past, change.start)
                # (closed by the language's bracket: the links' brackets are a message, Chinese `（…）`)
                assert any(line.endswith((f"]({before}/{name}.md))", f"]({before}/{name}.md)）")) for line in items), (
                    path,
                    change.start,
                )


def test_upcoming_changes_read_in_the_order_of_what_changed(repo: engine.Repository, site: Path) -> None:
    """A past edition's "Upcoming changes" listed one day's changes by parameter name, while the
    current page's "What changed" lists them as the program declares its parameters: both do now
    (upcoming oldest first, what changed newest first)."""
    fact = re.compile(r'data-fact="changes\.([a-z_0-9]+)\.(\d{4}-\d\d-\d\d)\.date"')
    for program, mp, past, pages in _with_past(repo):
        order = list(repo.programs[program].parameters)
        for path in pages:
            tag, name = path.split("/")[2:]
            for folder, day in [("", AT)] + [(f"{e.folder}/", e.day) for e in past]:
                found = fact.findall((site / program / mp / tag / f"{folder}{name}.html").read_text(encoding="utf-8"))
                upcoming, changed = [c for c in found if c[1] > day], [c for c in found if c[1] <= day]
                assert upcoming == sorted(upcoming, key=lambda c: (c[1], order.index(c[0]))), (path, folder)
                assert changed == sorted(changed, key=lambda c: (c[1], -order.index(c[0])), reverse=True), (
                    path,
                    folder,
                )
                assert found == changed + upcoming or found == upcoming + changed


def test_a_build_before_any_change_has_no_editions_and_no_feed(tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert run_cli("build", "--root", str(ROOT / "policies"), "--out", str(out), "--at", "1990-01-01").code == 0
    files = disk.read_tree(str(out))
    assert not any(f.count("/") == 4 or f.endswith(".atom") for f in files)
    assert json.loads(files["index.json"])["editions"] == []
    assert not any(b"application/atom+xml" in data for data in files.values())


def test_editions_and_feeds_are_deterministic_and_checked(tmp_path: Path, site: Path) -> None:
    again = tmp_path / "again"
    assert run_cli("build", "--root", str(ROOT / "policies"), "--out", str(again), "--at", AT).code == 0
    assert disk.read_tree(str(again)) == disk.read_tree(str(site))
    (again / "csba/us/en/original/help.html").write_text("edited", encoding="utf-8")
    run = run_cli("build", "--root", str(ROOT / "policies"), "--out", str(again), "--at", AT, "--check")
    assert run.code == 1 and "csba/us/en/original/help.html" in run.err


def _found(element: ET.Element, path: str) -> ET.Element:
    """The element at ``path``, which the feed must have."""
    found = element.find(path)
    assert found is not None, path
    return found


def _text(element: ET.Element, path: str) -> str:
    """The text of the element at ``path``, which the feed must have."""
    text = element.findtext(path)
    assert text is not None, path
    return text


@pytest.fixture(scope="module")
def atom_grammar() -> Any:
    """RFC 4287's RELAX NG grammar (its Appendix B, in RELAX NG's XML syntax), read by lxml."""
    from lxml import etree

    return etree.RelaxNG(etree.parse(str(Path(__file__).parent / "schemas" / "atom.rng")))


def _grammar_errors(grammar: Any, data: bytes) -> list[str]:
    from lxml import etree

    if grammar.validate(etree.fromstring(data)):
        return []
    return [f"line {e.line}: {e.message}" for e in grammar.error_log]


def _atom_errors(path: Path) -> list[str]:
    """RFC 4287's required structure (section 4), element by element: what the grammar says and
    what it cannot (the RFC's Schematron rules and the rules stated in prose: one id, a date-time
    with a time zone, a summary where there is no content)."""
    errors: list[str] = []
    root = ET.parse(path).getroot()
    if root.tag != f"{ATOM}feed":
        return [f"root is {root.tag}"]

    def one(parent: ET.Element, name: str, where: str) -> ET.Element | None:
        found = parent.findall(f"{ATOM}{name}")
        if len(found) != 1:
            errors.append(f"{where}: {len(found)} atom:{name}")
            return None
        return found[0]

    for name in ("id", "title", "updated"):
        one(root, name, "feed")
    for parent, where in [(root, "feed")] + [(e, "entry") for e in root.findall(f"{ATOM}entry")]:
        for name in ("id", "updated"):
            node = one(parent, name, where)
            if node is not None and name == "updated" and not RFC3339.match(node.text or ""):
                errors.append(f"{where}: updated {node.text!r} is not an RFC 3339 date-time")
            if (
                node is not None
                and name == "id"
                and not re.match(r"^(urn:uuid:[0-9a-f-]{36}|tag:.+)$", node.text or "")
            ):
                errors.append(f"{where}: id {node.text!r}")
        if where == "entry":
            one(parent, "title", where)
            links = [link for link in parent.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"]
            if parent.find(f"{ATOM}content") is None and not links:
                errors.append("entry: neither content nor an alternate link")
            summary = parent.find(f"{ATOM}summary")
            if summary is None or not (summary.text or "").strip():
                errors.append("entry: no summary")
        for link in parent.findall(f"{ATOM}link"):
            if not link.get("href"):
                errors.append(f"{where}: link without href")
    authors = root.findall(f"{ATOM}author")
    if not authors and any(e.find(f"{ATOM}author") is None for e in root.findall(f"{ATOM}entry")):
        errors.append("feed: no atom:author and an entry without one")
    for author in authors:
        one(author, "name", "author")
    return errors


def test_every_feed_is_valid_atom_with_the_dated_changes(
    repo: engine.Repository, site: Path, atom_grammar: Any
) -> None:
    index = json.loads((site / "index.json").read_text(encoding="utf-8"))
    ids: set[str] = set()
    for program, mp, past, pages in _with_past(repo):
        for tag in sorted({path.split("/")[2] for path in pages}):
            feed = site / program / mp / tag / feeds.FEED_NAME
            entry = next(
                e for e in index["pages"] if (e["program"], e["marketplace"], e["locale"]) == (program, mp, tag)
            )
            if not past:
                assert not feed.exists() and "feed" not in entry
                continue
            assert entry["feed"] == f"{program}/{mp}/{tag}/{feeds.FEED_NAME}"
            assert _grammar_errors(atom_grammar, feed.read_bytes()) == [], feed
            assert _atom_errors(feed) == []
            root = ET.parse(feed).getroot()
            assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == tag
            dates = sorted({c.start for c in repo.history(program, mp) if c.start <= AT}, reverse=True)
            entries = root.findall(f"{ATOM}entry")
            # `updated`: the day the changes took effect (an assumed day too: its title says so)
            assumed = editions.unconfirmed_dates(repo, program, mp)
            zone = repo.marketplaces[mp].time_zone
            assert [_text(e, f"{ATOM}updated") for e in entries] == [feeds.start_of(d, zone) for d in dates]
            assert [e.findtext(f"{ATOM}title") for e in entries] == [
                _heading(tag, d, d in assumed) for d in dates
            ]  # newest first
            assert root.findtext(f"{ATOM}updated") == max(_text(e, f"{ATOM}updated") for e in entries)
            for e, date in zip(entries, dates):
                assert e.findtext(f"{ATOM}id") == feeds.entry_id(program, mp, tag, date)
                href = _found(e, f"{ATOM}link").get("href")
                assert href is not None and (feed.parent / href).is_file(), href
                # every change of that date, in the page's own words (one line each)
                changed = [c for c in repo.history(program, mp) if c.start == date]
                assert len(_text(e, f"{ATOM}summary").splitlines()) == len(changed)
                assert "{" not in _text(e, f"{ATOM}summary") and "page before" not in _text(e, f"{ATOM}summary")
            ids |= {_text(e, f"{ATOM}id") for e in entries}
            # each page of the program links its feed
            for path in select(set(pages), locale=tag):
                page = (site / f"{path}.html").read_text(encoding="utf-8")
                assert f'<link rel="alternate" type="application/atom+xml" href="{feeds.FEED_NAME}"' in page, path
    assert len(ids) == sum(1 for _ in ids)  # (a set: no entry id is reused across feeds)


def _heading(tag: str, day: str, assumed: bool) -> str:
    """A feed entry's title, "In effect from <day>", in the language ``tag`` (its catalog read with Babel)."""
    from babel.messages.pofile import read_po

    shown = l10n.date(day, tag)
    if tag == "en":
        return f"In effect from {shown} (date not yet confirmed)" if assumed else f"In effect from {shown}"
    with open(ROOT / "policies" / "_site" / "locales" / f"{tag}.po", "rb") as f:
        catalog = read_po(f)
    marked = catalog.get("%(date)s (date not yet confirmed)")
    heading = catalog.get("In effect from %(date)s")
    assert marked is not None and heading is not None
    if assumed:
        shown = str(marked.string) % {"date": shown}
    return str(heading.string) % {"date": shown}


def _feed(**fields: Any) -> bytes:
    """A feed of one entry as feeds.atom writes it, ``fields`` changed."""
    return feeds.atom(
        **{
            "ident": "urn:uuid:0",
            "lang": "zh-Hans",
            "title": "t",
            "author": "a",
            "page_href": "p.html",
            "time_zone": "Asia/Shanghai",
            "entries": [feeds.Entry("2024-03-10", "t", "s", "p.html")],
            "ids": ["urn:uuid:1"],
            **fields,
        }
    ).encode()


def test_a_feed_escapes_what_it_quotes() -> None:
    text = _feed(
        lang="en",
        title="<b>&",
        author="a\x01b",
        page_href="x.html?a=1&b=2",
        time_zone="America/Los_Angeles",
        entries=[feeds.Entry("2024-03-10", "t]]>", "<script>", 'a"b.html')],
    )
    root = ET.fromstring(text)
    assert root.findtext(f"{ATOM}title") == "<b>&" and root.findtext(f"{ATOM}author/{ATOM}name") == "ab"
    assert _found(root, f"{ATOM}entry/{ATOM}link").get("href") == 'a"b.html'
    assert root.findtext(f"{ATOM}entry/{ATOM}summary") == "<script>"
    assert root.findtext(f"{ATOM}updated") == "2024-03-10T00:00:00-08:00"  # the marketplace's midnight
    assert feeds.start_of("2024-03-11", "America/Los_Angeles").endswith("-07:00")  # after the DST change


@pytest.mark.parametrize(
    ("change", "before", "after"),
    [
        ("no feed id", "<id>urn:uuid:0</id>", ""),
        ("an entry without its date", "<updated>2024-03-10T00:00:00+08:00</updated>\n<link rel", "<link rel"),
        ("a date without a time", "<updated>2024-03-10T00:00:00+08:00</updated>", "<updated>2024-03-10</updated>"),
        ("a language tag RFC 3066 refuses", 'xml:lang="zh-Hans"', 'xml:lang="zh_Hans"'),
        ("an element Atom does not define", "</feed>", "<changes/></feed>"),
        ("a link without href", 'href="p.html"', ""),
        ("two titles", "<title>t</title>", "<title>t</title><title>u</title>"),
    ],
)
def test_the_grammar_refuses_what_rfc_4287_refuses(atom_grammar: Any, change: str, before: str, after: str) -> None:
    """The grammar the feeds are held to is not a grammar that takes anything: a feed policyctl
    writes passes, and each change below (which RFC 4287 forbids) fails it."""
    good = _feed()
    assert _grammar_errors(atom_grammar, good) == []
    assert before.encode() in good, before
    assert _grammar_errors(atom_grammar, good.replace(before.encode(), after.encode(), 1)) != [], change


def test_an_extension_in_another_namespace_is_valid_atom(atom_grammar: Any) -> None:
    extended = _feed().replace(b"</generator>", b'</generator><x:note xmlns:x="urn:example">1</x:note>')
    assert _grammar_errors(atom_grammar, extended) == []


_BODY = (
    '<ul><li><span data-fact="changes.fee.2024-03-10.date">10 March</span>: the fee is 5 '
    '(<a href="2024-03-09/help.html">before</a>)</li>'
    '<li><span data-fact="changes.trial.2024-03-10.date">10 March</span>: 30 days</li><li>no date</li></ul>'
)


def test_the_changes_of_a_page_read_again_are_what_reading_it_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """A body read before (a page rendered again unchanged) is not parsed again: the same items,
    a list of the caller's own; another body, or other links to leave out, is read."""
    from html.parser import HTMLParser

    from engine.cache import memo

    memo.clear_all()
    parsed: list[str] = []
    real = HTMLParser.feed

    def counted(self: HTMLParser, data: str) -> None:
        parsed.append(data)
        real(self, data)

    monkeypatch.setattr(HTMLParser, "feed", counted)
    skip = {"2024-03-09/help.html"}
    first = feeds.changes_in(_BODY, skip)
    assert first == {"2024-03-10": ["the fee is 5", "30 days"]}
    first["2024-03-10"].append("changed by the caller")
    assert feeds.changes_in(_BODY, skip) == {"2024-03-10": ["the fee is 5", "30 days"]}
    assert len(parsed) == 1
    assert feeds.changes_in(_BODY, set()) == {"2024-03-10": ["the fee is 5 (before)", "30 days"]}
    assert feeds.changes_in(_BODY.replace("30 days", "31 days"), skip)["2024-03-10"][1] == "31 days"
    assert len(parsed) == 3


@pytest.mark.parametrize("href", ["2024-03-09/help.html#changes", "2024-03-09/help.html?at=2024-03-09"])
def test_an_edition_link_with_a_fragment_or_query_is_not_part_of_a_feed_item(href: str) -> None:
    """A template may link an edition's part (`[page before]({{ pair.before }}#changes)`, made
    `help.html#changes` in the HTML): the feed took the link's text for the change's words."""
    body = _BODY.replace('href="2024-03-09/help.html"', f'href="{href}"')
    assert body != _BODY
    assert feeds.changes_in(body, {"2024-03-09/help.html"}) == {"2024-03-10": ["the fee is 5", "30 days"]}


def _built_with_a_trial_change(tmp_path: Path, change: str) -> Any:
    """policies/ with ``change`` (a YAML entry of `changes:`) added to csba's `trial_days`, built on AT."""
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    program = policies / "csba" / "program.yaml"
    text = program.read_text(encoding="utf-8")
    anchor = "        assumed: [date]\n  trial_first_enrollment_only:\n"
    assert anchor in text
    program.write_text(
        text.replace(anchor, "        assumed: [date]\n" + change + "  trial_first_enrollment_only:\n", 1)
    )
    built = site_build.build(engine.load(str(policies)), AT)
    assert built.problems == []
    return built


def test_a_feed_announces_only_what_has_taken_effect(tmp_path: Path) -> None:
    """A change still to come is under "Upcoming changes" on the page, in the same markup as "What
    changed": the feed listed it too, as if it had happened (README: one entry per effective date
    that has arrived)."""
    later = '      - from: "2031-03-01"\n        value: 120\n        source: a later announcement\n'
    built = _built_with_a_trial_change(tmp_path, later)
    page = built.files["csba/us/en/help.md"].decode("utf-8")
    assert "## Upcoming changes" in page and l10n.date("2031-03-01", "en") in page
    for path, data in built.files.items():
        if path.endswith(feeds.FEED_NAME):
            entries = ET.fromstring(data).findall(f"{ATOM}entry")
            assert entries, path
            for entry in entries:
                assert "2031" not in (entry.findtext(f"{ATOM}updated") or ""), (path, entry.findtext(f"{ATOM}title"))


def test_a_change_to_an_assumed_value_is_marked_wherever_it_is_listed(tmp_path: Path) -> None:
    """A change whose value is an assumption (`assumption:` without `assumed: [date]`): "What
    changed" and the feed stated it as a fact (the page's body marked it)."""
    later = '      - from: "2024-09-01"\n        value: 120\n        assumption: no source gives it yet\n'
    built = _built_with_a_trial_change(tmp_path, later)
    page = built.files["csba/us/en/help.md"].decode("utf-8")
    line = next(line for line in page.splitlines() if line.startswith(f"- **{l10n.date('2024-09-01', 'en')}**"))
    assert "120" in line and "*(not yet confirmed)*" in line, line
    html = built.files["csba/us/en/help.html"].decode("utf-8")
    assert re.search(r'data-fact="changes\.trial_days\.2024-09-01\.new"[^>]*data-assumption', html), html
    feed = built.files[f"csba/us/en/{feeds.FEED_NAME}"].decode("utf-8")
    assert "(not yet confirmed)" in feed


def test_a_change_kept_off_the_pages_is_not_announced(tmp_path: Path) -> None:
    """`on_pages: omit` keeps a change out of "Upcoming changes": "Next change: ... (see Upcoming
    changes below)" announced its date all the same, pointing at a section the page did not have."""
    later = (
        '      - from: "2031-03-01"\n        value: 120\n        assumption: a plan, not announced\n'
        "        on_pages: omit\n"
    )
    built = _built_with_a_trial_change(tmp_path, later)
    page = built.files["csba/us/en/help.md"].decode("utf-8")
    assert "**Next change:**" not in page and "## Upcoming changes" not in page
    assert l10n.date("2031-03-01", "en") not in page


# -- three editions: the starter's return window changed twice ---------------------------------------

LATER = """\
      - from: "2025-06-01"
        value: 60
        source: the returns policy, 2025 update
"""


@pytest.fixture(scope="module")
def three(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`policyctl init`'s starter with a second change of the return window (2025-01-01: 45 days,
    2025-06-01: 60 days), built on 2025-07-01: the current page, the 2025-01-01 edition and the
    original (read only)."""
    repo = tmp_path_factory.mktemp("three-editions") / "repo"
    shutil.copytree(init_starter, repo)
    program = repo / "policies/returns/program.yaml"
    edit(
        program,
        "        source: the returns policy, 2025 edition\n",
        "        source: the returns policy, 2025 edition\n" + LATER,
    )
    out = repo / "out"
    assert run_cli("build", "--out", str(out), "--at", "2025-07-01", cwd=repo).code == 0
    return out / "returns/us/en"


@pytest.mark.parametrize(
    ("folder", "title"),
    [
        ("", "Returns · United States"),  # the program's name is the page's title: not twice
        ("2025-01-01/", "Returns · Past edition, in effect from January 1, 2025 · United States"),
        ("original/", "Returns · Past edition, before January 1, 2025 · United States"),
    ],
)
def test_a_past_editions_title_names_it_and_search_engines_skip_it(three: Path, folder: str, title: str) -> None:
    """A browser tab, the history and a screen reader's list of pages tell the editions apart; a
    past edition asks search engines not to index it (the site's search indexes current pages only)."""
    page = (three / f"{folder}help.html").read_text(encoding="utf-8")
    assert f"<title>{title}</title>" in page
    assert ('<meta name="robots" content="noindex">' in page) == bool(folder)
    assert ("data-pagefind-body" in page) == (not folder)


@pytest.mark.parametrize(
    ("folder", "banner", "picker"),
    [
        (
            "2025-01-01/",
            "> **Past edition: these rules took effect on January 1, 2025 and were replaced on June 1, 2025.** "
            "[Read the current page](../help.md)",
            '<li><span aria-current="page">In effect from January 1, 2025</span></li>',
        ),
        (
            "original/",
            "> **Past edition: these rules were in effect before January 1, 2025.** [Read the current page](../help.md)",
            '<li><span aria-current="page">Before January 1, 2025</span></li>',
        ),
    ],
)
def test_a_past_edition_ends_the_day_before_the_next_one(three: Path, folder: str, banner: str, picker: str) -> None:
    """ "Until January 1" read as including that day, when the next edition was already in force:
    an edition is in effect *before* the day the next one takes effect."""
    assert (three / f"{folder}help.md").read_text(encoding="utf-8").splitlines()[0] == banner
    html = (three / f"{folder}help.html").read_text(encoding="utf-8")
    assert picker in html and '<li class="label">Edition:</li>' in html
    assert "Until" not in html


@pytest.mark.parametrize(
    ("folder", "items"),
    [
        (
            "",
            [
                "- **June 1, 2025**: The return window changed from 45 days to 60 days. ([page before](2025-01-01/help.md))",
                "- **January 1, 2025**: The return window changed from 30 days to 45 days. "
                "([page before](original/help.md) · [page after](2025-01-01/help.md))",
            ],
        ),
        (
            "2025-01-01/",
            [
                "- **June 1, 2025**: The return window will change from 45 days to 60 days.",
                "- **January 1, 2025**: The return window changed from 30 days to 45 days. ([page before](../original/help.md))",
            ],
        ),
        (
            "original/",
            [
                "- **January 1, 2025**: The return window will change from 30 days to 45 days.",
                "- **June 1, 2025**: The return window will change from 45 days to 60 days.",
            ],
        ),
    ],
)
def test_changes_link_the_other_editions_and_upcoming_ones_are_to_come(
    three: Path, folder: str, items: list[str]
) -> None:
    """Each change links the page before it and the page after it, unless that is the page one
    is reading; "Upcoming changes" (oldest first) words them as still to come."""
    lines = [
        line
        for line in (three / f"{folder}help.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("- **")
    ]
    assert lines == items


# -- a change feed's `updated` ---------------------------------------------------------------------

ASSUMED = """\
        source: the returns policy, 2025 edition
        assumption: the 2025 edition is undated; its first day is assumed
        assumed: [date]
"""


def test_a_feed_entry_on_an_assumed_day_says_so_and_depends_on_no_build_day(init_repo: Path) -> None:
    """An entry whose day is an assumption is marked in its title, as the pages mark the day; its
    `updated` is that day (Atom has no room for a marker there), so two builds into new folders on
    different days write the same feed (a feed dated by the day a build first published it did not)."""
    edit(init_repo / "policies/returns/program.yaml", "        source: the returns policy, 2025 edition\n", ASSUMED)
    feeds_written = []
    for at in ("2025-03-01", "2025-05-01"):
        out = init_repo / f"out-{at}"
        assert run_cli("build", "--out", str(out), "--at", at, cwd=init_repo).code == 0
        feeds_written.append((out / "returns/us/en" / feeds.FEED_NAME).read_bytes())
    assert feeds_written[0] == feeds_written[1]
    root = ET.fromstring(feeds_written[0])
    (entry,) = root.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "In effect from January 1, 2025 (date not yet confirmed)"
    assert entry.findtext(f"{ATOM}updated") == root.findtext(f"{ATOM}updated") == "2025-01-01T00:00:00-05:00"
