"""Languages belong to programs: a marketplace's page appears in the languages its program is
written in, and an incomplete translation fails the build or, where the program says
`translations: fallback`, shows the English page in its place, marked as such."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from engine.commands.serve import Preview
from support import ROOT, CliRun, declared_pages, edit, place_of, run_cli, select

AT = "2025-01-01"


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    dest = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", dest)
    return dest


def _build(policies: Path, *extra: str) -> tuple[CliRun, Path]:
    out = policies.parent / "out"
    return run_cli("build", "--root", str(policies), "--out", str(out), "--at", AT, *extra), out


def _pages(out: Path) -> set[str]:
    return {e["html"] for e in json.loads((out / "index.json").read_text(encoding="utf-8"))["pages"]}


def test_a_page_is_published_only_in_the_languages_its_program_is_written_in(policies: Path) -> None:
    edit(policies / "csba/program.yaml", "languages: [en, de, es, it, zh-Hans]", "languages: [en, de, it]")
    (policies / "csba/locales/zh-Hans.po").unlink()  # no longer needed: nothing asks for it
    run, out = _build(policies)
    assert run.code == 0, run
    pages = _pages(out)
    assert "csba/us/zh-Hans/help.html" not in pages and "csba/de/zh-Hans/help.html" not in pages
    assert {"csba/us/en/help.html", "csba/us/it/help.html", "csba/de/de/help.html"} <= pages
    # every program in its own languages: the other programs keep their Chinese pages
    assert pages == {f"{page}.html" for page in declared_pages(policies)}
    chinese = select(declared_pages(ROOT / "policies"), locale="zh-Hans")
    assert {f"{page}.html" for page in chinese - select(chinese, "csba")} <= pages
    switcher = (out / "csba/us/en/help.html").read_text(encoding="utf-8")
    assert 'hreflang="zh-Hans"' not in switcher


def _drop_message(catalog: Path, msgid_start: str) -> None:
    """Empty the translation of the entry whose msgid starts with ``msgid_start``."""
    text = catalog.read_text(encoding="utf-8")
    found = re.search(rf'(msgid "{re.escape(msgid_start)}[^\n]*\n(?:"[^\n]*\n)*)msgstr "[^\n]*"\n(?:"[^\n]*\n)*', text)
    assert found, msgid_start
    catalog.write_text(text.replace(found.group(0), found.group(1) + 'msgstr ""\n', 1), encoding="utf-8")


def test_an_incomplete_translation_blocks_the_build_by_default(policies: Path) -> None:
    _drop_message(policies / "csba/locales/es.po", "Fees")
    run, out = _build(policies)
    assert run.code == 1 and "error[G002]: es: no translation of 'Fees'" in run.err, run
    assert not out.exists()


def test_fallback_publishes_the_english_page_marked_in_the_missing_language(policies: Path) -> None:
    program = policies / "csba/program.yaml"
    edit(
        program,
        "languages: [en, de, es, it, zh-Hans]\n",
        "languages: [en, de, es, it, zh-Hans]\ntranslations: fallback\n",
    )
    _drop_message(policies / "csba/locales/es.po", "Fees")
    run, out = _build(policies)
    assert run.code == 0, run
    assert "warning[G002]: es: no translation of 'Fees'" in run.err
    # the files counted as `validate` counts them (the summary said "1 warning in 1 of 0 files")
    files = json.loads(run_cli("validate", "--root", str(policies), "--format", "json").out)["files"]
    assert run.err.endswith(f"\n0 errors and 1 warning in 1 of {files} files\n"), run.err
    page = (out / "csba/us/es/help.html").read_text(encoding="utf-8")
    assert '<html lang="en"' in page and '<h2 id="fees">Fees</h2>' in page  # the English text, said to be English
    assert re.search(
        r'<p class="pending" lang="es" dir="ltr" role="note">Esta página aún no está disponible en español\.', page
    )
    markdown = (out / "csba/us/es/help.md").read_text(encoding="utf-8")
    assert markdown.startswith("> Esta página aún no está disponible en español.") and "## Fees" in markdown
    english = (out / "csba/us/en/help.html").read_text(encoding="utf-8")
    assert '<small data-pending="es">(not yet translated)</small>' in english
    # links to it name it in Spanish (`lang`) but say its text is English (`hreflang`); it is not
    # announced as the Spanish alternate of the page
    assert 'hreflang="es-US"' not in english and '<link rel="alternate" hreflang="it-US"' in english
    assert re.search(r'<a href="\.\./es/help\.html" hreflang="en" lang="es" data-switch="language">', english)
    # around the English text, the layout's own words (skip link, switchers, banner, footer) are
    # Spanish and say so: each text is read in the language its nearest `lang` names
    words = _texts(page)
    assert {lang for where, lang, _ in words if where == ""} == {"es"}
    # (each language in the switcher is named in that language, and says so)
    assert {lang for where, lang, _ in words if where == "languages"} == {"en", "es", "it", "zh-Hans"}
    assert ("main", "en", "Fees") in words and ("main", "es", "Esta página aún no está disponible en español.") in [
        (where, lang, text.split(" Se muestra")[0]) for where, lang, text in words
    ]
    # the site's search finds the English page once: in English, under its English filters; the
    # same text at the Spanish address is not indexed again (its filters would be Spanish words)
    assert "data-pagefind-body" in english and "data-pagefind-body" not in page
    # the index's link to it, too, is named in Spanish and says its text is English
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="csba/us/es/help.html" hreflang="en" lang="es"' in index
    entry = next(
        e for e in json.loads((out / "index.json").read_text())["pages"] if e["html"] == "csba/us/es/help.html"
    )
    assert entry["text_locale"] == "en"
    italian = (out / "csba/us/it/help.html").read_text(encoding="utf-8")
    assert '<html lang="it"' in italian and 'class="pending"' not in italian  # complete languages are as they were
    # CI can require every translation whatever the program says
    strict, _ = _build(policies, "--strict", "--check")
    assert strict.code == 1 and "error[G002]: es: no translation of 'Fees'" in strict.err
    assert f"\n1 error in 1 of {files} files\n" in strict.err


@pytest.fixture(scope="module")
def fallback_starter(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`policyctl init`'s repository, its program `translations: fallback`, a German message untranslated."""
    top = tmp_path_factory.mktemp("fallback") / "repo"
    shutil.copytree(init_starter, top)
    edit(
        top / "policies/returns/program.yaml",
        "marketplaces: [us, de]\n",
        "marketplaces: [us, de]\ntranslations: fallback\n",
    )
    edit(top / "policies/returns/locales/de.po", 'msgstr "Die Kosten der Rücksendung tragen Sie."', 'msgstr ""')
    return top


@pytest.fixture(scope="module")
def fallback_site(fallback_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[CliRun, Path]:
    """`fallback_starter` built once (on AT: its German page has a past edition), for the cases
    that read the build's report or pages."""
    out = tmp_path_factory.mktemp("fallback-site") / "out"
    return run_cli("build", "--at", AT, "--out", str(out), cwd=fallback_starter), out


_LINKS = re.compile(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">')


@pytest.mark.parametrize(
    "page, x_default",
    [
        # the German marketplace's first language is shown in English for now: its page is a copy of
        # the English page, no alternate of its own; the English page stands for every other language
        ("returns/de/de/help.html", "returns/de/en/help.html"),
        ("returns/de/en/help.html", "returns/de/en/help.html"),
        ("returns/de/de/original/help.html", "returns/de/en/original/help.html"),
        ("returns/de/en/original/help.html", "returns/de/en/original/help.html"),
        ("returns/us/en/help.html", "returns/us/en/help.html"),  # (its own first language: as before)
    ],
)
def test_x_default_is_a_page_published_as_itself(fallback_site: tuple[CliRun, Path], page: str, x_default: str) -> None:
    """`hreflang="x-default"` named the German address of a page shown in English for now, which
    no `hreflang` names (search engines would take it for a German translation): Google's x-default
    is the page for readers whose language none of the others is in, one of the set's own."""
    out = fallback_site[1]
    links = {
        lang: posixpath.normpath(posixpath.join(posixpath.dirname(page), href))
        for lang, href in _LINKS.findall((out / page).read_text(encoding="utf-8"))
    }
    assert links.pop("x-default") == x_default and x_default in links.values(), links


def test_no_x_default_without_a_page_published_as_itself() -> None:
    """A marketplace whose first language is shown in English for now and that has no English page
    of its own: no page to name (the English text at the first language's address is no alternate)."""
    from engine.problems import Pos
    from engine.site.assemble import x_default
    from engine.site.manifest import Page
    from engine.site.plan import Job

    page = Page("returns", "help", "help.md.j2", ("fr",), Pos("program.yaml", 1, 1))
    pending, translated, german = Job(page, "fr", "fr", fallback="en"), Job(page, "fr", "fr"), Job(page, "fr", "de")
    assert x_default([pending, german], "fr") is None
    assert x_default([german, translated], "fr") is translated  # (its first language, translated: itself)
    assert x_default([german], "fr") is None  # (its first language not published)


# each command that says a `translations: fallback` language's problems, and its exit code when they
# are warnings (the starter's policyctl.toml says `strict = true`: warnings fail `validate` too)
FALLBACK_COMMANDS = [
    (("validate",), 1),
    (("validate", "--no-strict"), 0),
    (("i18n", "check"), 0),
    (("build", "--at", AT, "--out", "{out}"), 0),
]


@pytest.mark.parametrize(("command", "code"), FALLBACK_COMMANDS)
def test_a_fallback_languages_gaps_are_warnings_in_every_command(
    fallback_starter: Path,
    fallback_site: tuple[CliRun, Path],
    tmp_path: Path,
    command: tuple[str, ...],
    code: int,
) -> None:
    """`validate` and `i18n check` refused as errors the gaps that `build` publishes in English with a
    warning (`translations: fallback`): all three say the same warning at the same place."""
    if command[0] == "build":
        run = fallback_site[0]  # (built once for this module)
    else:
        run = run_cli(*(c.format(out=tmp_path / "out") for c in command), cwd=fallback_starter)
    assert run.code == code, run
    lines = (fallback_starter / "policies/returns/locales/de.po").read_text(encoding="utf-8").split("\n")
    line = lines.index('msgid "You pay for the return shipping."') + 2  # (its empty msgstr)
    warning = f"policies/returns/locales/de.po:{line}:1: warning[G002]: de: no translation of 'You pay for the return shipping.'\n"
    assert warning in run.out + run.err and "error" not in (run.out + run.err).replace("0 errors", ""), run


def _head(html: str) -> tuple[str, str]:
    """A page's `<title>` text and the `lang` of its `<html>`."""
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    lang = re.search(r'<html lang="([^"]*)"', html)
    assert title and lang, html[:500]
    return unescape(title[1]), lang[1]


@pytest.mark.parametrize("edition", ["", "original/"])
def test_a_fallback_pages_title_is_its_english_pages_title(
    fallback_starter: Path, fallback_site: tuple[CliRun, Path], edition: str
) -> None:
    """The English page in German's place said "Returns · Rücksendungen · Deutschland" in its
    `<title>` (the English title, then the layout's German names) under `<html lang="en">`: a
    title cannot mark a part's language, so it is its English page's, whole (a past edition's
    too, its date as the English page writes it). The feed's link, in the layout's German words,
    says so (`lang`)."""
    run, out = fallback_site
    assert run.code == 0, run
    german = (out / f"returns/de/de/{edition}help.html").read_text(encoding="utf-8")
    english = (out / f"returns/de/en/{edition}help.html").read_text(encoding="utf-8")
    assert 'class="pending"' in german  # (the English page in German's place)
    assert _head(german) == _head(english)
    assert _head(german) == (
        ("Returns · Past edition, before 1 January 2025 · Germany", "en") if edition else ("Returns · Germany", "en")
    )
    # the preview says it alike (it makes the page's HTML on its own)
    path = f"returns/de/de/{edition}help.html"
    assert _head(Preview(str(fallback_starter / "policies"), AT).page(path, AT)[2]) == _head(german)
    if not edition:
        assert re.search(
            r'<link rel="alternate" type="application/atom\+xml" [^>]*title="Änderungen[^"]*" lang="de">', german
        )
        assert re.search(r'<link rel="alternate" type="application/atom\+xml" [^>]*title="Changes[^"]*">', english)


def test_a_fallback_pages_permalinks_are_named_in_its_language(fallback_site: tuple[CliRun, Path]) -> None:
    """On the English page in German's place, each heading's permalink is one of the layout's
    words: named in German (the heading in English, as the page shows it), and says so (`lang`)."""
    run, out = fallback_site
    assert run.code == 0, run
    german = (out / "returns/de/de/help.html").read_text(encoding="utf-8")
    english = (out / "returns/de/en/help.html").read_text(encoding="utf-8")
    assert (
        '<div class="heading"><h2 id="what-changed">What changed</h2><a class="permalink" href="#what-changed"'
        ' lang="de" aria-label="Link zu diesem Abschnitt: What changed" data-pagefind-ignore></a></div>'
    ) in german
    assert (
        '<div class="heading"><h2 id="what-changed">What changed</h2><a class="permalink" href="#what-changed"'
        ' aria-label="Link to this section: What changed" data-pagefind-ignore></a></div>'
    ) in english


class _Lang(HTMLParser):
    """Each text of a page's `<body>`: (where: `main`, the `languages` switcher or elsewhere (""),
    the language its nearest `lang` says, the text)."""

    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str | None, str | None]] = []
        self.texts: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            found = dict(attrs)
            self.open.append((tag, found.get("lang"), found.get("class")))

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        tags = [tag for tag, _, _ in self.open]
        if data.strip() and "body" in tags:
            lang = next(lang for _, lang, _ in reversed(self.open) if lang)
            where = "main" if "main" in tags else "languages" if ("nav", None, "languages") in self.open else ""
            self.texts.append((where, lang, " ".join(data.split())))


def _texts(html: str) -> list[tuple[str, str, str]]:
    reader = _Lang()
    reader.feed(html)
    return reader.texts


@pytest.fixture(scope="module")
def fact_fallback_starter(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`policyctl init`'s repository, its program `translations: fallback`, a German translation
    stating a fact (the return window's 30 days) where the English states none (G006)."""
    top = tmp_path_factory.mktemp("fact-fallback") / "repo"
    shutil.copytree(init_starter, top)
    edit(
        top / "policies/returns/program.yaml",
        "marketplaces: [us, de]\n",
        "marketplaces: [us, de]\ntranslations: fallback\n",
    )
    edit(
        top / "policies/returns/locales/de.po",
        'msgstr "Die Kosten der Rücksendung tragen Sie."',
        'msgstr "Die Kosten der Rücksendung tragen Sie (innerhalb von 30 Tagen)."',
    )
    return top


@pytest.mark.parametrize(("command", "code"), FALLBACK_COMMANDS)
def test_a_fallback_language_stating_a_fact_is_published_in_english(
    fact_fallback_starter: Path, tmp_path: Path, command: tuple[str, ...], code: int
) -> None:
    """G006 was an error in all three while a translation refused for its placeholders was published
    in English: a language refused for a fact it states is shown in English too (the English page
    states the fact from the policy data), its G006 a warning."""
    run = run_cli(*(c.format(out=tmp_path / "out") for c in command), cwd=fact_fallback_starter)
    assert run.code == code, run
    where = place_of(fact_fallback_starter / "policies/returns/locales/de.po", "30 Tagen")  # (in its msgstr)
    warning = f"policies/returns/locales/de.po:{where}: warning[G006]: de: the translation states `30`"
    assert warning in run.out + run.err and "error" not in (run.out + run.err).replace("0 errors", ""), run
    if command[0] == "build":
        index = json.loads((tmp_path / "out/index.json").read_text(encoding="utf-8"))
        german = [p for p in index["pages"] if p["locale"] == "de"]
        assert german and {p["text_locale"] for p in german} == {"en"}, german


class _Anchors(HTMLParser):
    """The attributes of every `<a>` of a page, and its `<html lang>`."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))
        elif tag == "html":
            self.lang = dict(attrs).get("lang")


def _anchors(path: Path) -> _Anchors:
    reader = _Anchors()
    reader.feed(path.read_text(encoding="utf-8"))
    return reader


def test_every_language_switch_link_says_its_language_and_its_targets(built_site: Path) -> None:
    """On every page, current and past: each language switcher link names its language in that
    language (`lang`, for screen readers) and says the language of the page it opens (`hreflang`,
    which is that page's `<html lang>`)."""
    index = json.loads((built_site / "index.json").read_text(encoding="utf-8"))
    pages = [e["html"] for e in index["pages"] + index["editions"]]
    assert pages and index["editions"], "the site has no past edition to check"
    checked = 0
    langs: dict[Path, str | None] = {}
    for html in pages:
        page = built_site / html
        switches = [a for a in _anchors(page).anchors if a.get("data-switch") == "language"]
        assert switches, html
        for link in switches:
            href = link.get("href")
            assert href and link.get("lang") and link.get("hreflang"), (html, link)
            target = (page.parent / href).resolve()
            assert target.is_file(), (html, href)
            if target not in langs:
                langs[target] = _anchors(target).lang
            assert langs[target] == link["hreflang"], (html, href)
            # the language named is the language of the folder the link leads to
            assert link["lang"] in target.relative_to(built_site).parts, (html, link)
            checked += 1
    assert checked >= len(pages)


def _translate_all(po: Path, mark: str) -> None:
    """Give every message of ``po`` its English with ``mark`` before it (placeholders and markup kept)."""
    from engine.i18n import catalogs

    catalog, problems = catalogs.read(str(po), po.stem)
    assert catalog is not None and problems == [], problems
    for message in catalog:
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            forms = [f"{mark}{ids[min(i, len(ids) - 1)]}" for i in range(catalog.num_plurals)]
            message.string = tuple(forms) if isinstance(message.id, tuple) else forms[0]
    po.write_bytes(catalogs.dump(catalog))


def test_an_english_page_in_a_right_to_left_languages_place_says_where_its_words_are_arabic(init_repo: Path) -> None:
    """A page shown in English for now says `<html lang="en" dir="ltr">`; the layout's own words around
    it (skip link, header, banner, note, footer) are the page's language's, and were said to be
    English and laid out left to right: Arabic's read backwards. Its feed's summaries are the page's
    English; the English search page keeps English words."""
    edit(init_repo / "policies/marketplaces.yaml", "locales: [de, en]", "locales: [de, en, ar]")
    edit(init_repo / "policyctl.toml", 'languages = ["en", "de"]', 'languages = ["en", "de", "ar"]')
    edit(
        init_repo / "policies/returns/program.yaml",
        "marketplaces: [us, de]",
        "marketplaces: [us, de]\ntranslations: fallback",
    )
    assert run_cli("i18n", "update", cwd=init_repo).code == 0  # copies the layout, writes the catalogs
    _translate_all(init_repo / "policies/_site/locales/ar.po", "ع ")  # the program's catalog stays empty
    run = run_cli("build", "--at", "2025-03-01", cwd=init_repo)
    assert run.code == 0 and "warning[G002]: ar: no translation of" in run.err, run
    out = init_repo / "generated_docs/returns/de/ar"
    words = ' lang="ar" dir="rtl"'
    for page, banner in ((out / "help.html", 0), (out / "original/help.html", 1)):
        html = page.read_text(encoding="utf-8")
        assert '<html lang="en" dir="ltr">' in html and html.count(words) == 4 + banner, html
        for part in ('<a class="skip" href="#content"', '<header class="site"', "<footer"):
            assert f"{part}{words}>" in html, part
        assert '<p class="pending" lang="ar" dir="rtl" role="note">ع ' in html
        assert html.count(f'<p class="past-edition" role="note"{words}><strong>ع ') == banner
        assert "<h1 id=" in html and "The return window" in html  # the page itself: English, as `<html>` says
    feed = (out / "changes.atom").read_text(encoding="utf-8")
    assert 'xml:lang="ar"' in feed and '<summary xml:lang="en">The return window changed' in feed, feed
    # the index says it as the switchers do (its link said `hreflang="ar"` for English text)
    index = (init_repo / "generated_docs/index.html").read_text(encoding="utf-8")
    assert re.search(
        r'<a href="returns/de/ar/help\.html" hreflang="en" lang="ar">العربية</a> <small data-pending="ar">'
        r"\(not yet translated\)</small>",
        index,
    ), index
    index_md = (init_repo / "generated_docs/index.md").read_text(encoding="utf-8")
    assert "[العربية](returns/de/ar/help.md) (not yet translated)" in index_md
    english = (init_repo / "generated_docs/search/en.html").read_text(encoding="utf-8")
    assert "<title>Search</title>" in english and "ع" not in english
    complete = (init_repo / "generated_docs/returns/de/de/help.html").read_text(encoding="utf-8")
    assert " dir=" not in complete.split("<body>", 1)[1]  # a page in its own language: as it was


# a physical side in a style sheet: `left:`, `margin-right`, `border-left`, `text-align: right`, ...
_PHYSICAL_SIDE = re.compile(r"(?<![\w-])(?:left|right)\s*:|-(?:left|right)\b|text-align:\s*(?:left|right)\b")


def test_the_layout_sets_sides_by_the_direction_of_the_text(built_site: Path) -> None:
    """The style sheet of every page (and the index) sets sides as the text runs (`text-align:
    start`, `border-inline-start`): on a page written right to left (Arabic, `dir="rtl"`), table
    cells were aligned left, amounts right, the banner's and the note's bar on the left and the
    skip link in the left corner, as on an English page."""
    sheets = {
        match
        for page in [built_site / "index.html", *sorted(built_site.glob("*/*/*/help.html"))]
        for match in re.findall(r"<style>(.*?)</style>", page.read_text(encoding="utf-8"), re.S)
    }
    assert sheets and all("text-align: start" in sheet for sheet in sheets)
    assert not [side for sheet in sheets for side in _PHYSICAL_SIDE.findall(sheet)]
