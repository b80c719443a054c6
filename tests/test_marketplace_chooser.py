"""A page of a program offered in more marketplaces than its header lists
(`engine.site.plan.CHOOSER_THRESHOLD`, 8) names its own marketplace and links once to the page's
marketplace chooser (`<program>/_marketplaces/<lang>/<page>.html`), which lists them all: a
program's pages carry O(M) marketplace links, not O(M²). At 8 or fewer the pages list every
marketplace, byte for byte as before; a repository's own older `_site/` without the chooser's
template keeps the full list whatever the count.

Each case reads a build of `policyctl init`'s starter offered in more marketplaces
(`support.offer_in_more_marketplaces`), made once per module."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from engine import packaged
from engine.commands.serve import Preview
from engine.i18n import cldr as l10n
from engine.site import search
from engine.site.plan import CHOOSER_TEMPLATE, CHOOSER_THRESHOLD
from support import MORE_MARKETPLACES, edit, offer_in_more_marketplaces, run_cli

AT = "2025-01-01"
# the nine marketplaces of the `nine` build and their languages, in the program's order
LOCALES = {"us": ("en",), "de": ("de", "en")} | {m[0]: m[4] for m in MORE_MARKETPLACES[: CHOOSER_THRESHOLD - 1]}
COUNTRIES = {"us": "US", "de": "DE"} | {m[0]: m[1] for m in MORE_MARKETPLACES}
SITES = {"us": "example.com", "de": "example.de"}
OTHERS = {"en": "Other marketplaces (8)", "de": "Weitere Marketplaces (8)"}
NAV = re.compile(r'<nav class="marketplaces" aria-label="[^"]*">\n<ul>(.*?)</ul>\n</nav>', re.S)
LINK = re.compile(r'<a href="([^"]*)" hreflang="([^"]*)" data-switch="([^"]*)">([^<]*)</a>')


def _build(top: Path, count: int, own_layout: bool = False) -> Path:
    offer_in_more_marketplaces(top, count)
    if own_layout:  # a repository's own `_site/` from before the chooser: no marketplaces.html.j2
        shutil.copytree(packaged.site_dir(str(top / "policies")), top / "policies" / "_site")
        (top / "policies" / "_site" / CHOOSER_TEMPLATE).unlink()
        run = run_cli("i18n", "update", "_site", "--drop-obsolete", "--root", str(top / "policies"))
        assert run.code == 0, run
    out = top / "site"
    run = run_cli("build", "--root", str(top / "policies"), "--out", str(out), "--at", AT)
    assert run.code == 0, run
    return out


@pytest.fixture(scope="module")
def nine(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter in 9 marketplaces, built (its folder: `repo`, `site`)."""
    top = tmp_path_factory.mktemp("nine") / "repo"
    shutil.copytree(init_starter, top)
    return _build(top, CHOOSER_THRESHOLD + 1)


def _pages(out: Path) -> list[dict[str, str]]:
    index = json.loads((out / "index.json").read_text())
    pages: list[dict[str, str]] = index["pages"] + index["editions"]
    return pages


def _name(mp: str, tag: str) -> str:
    name = l10n.country_name(COUNTRIES[mp], tag)
    return f"{name} ({SITES[mp]})" if mp in SITES else name


def test_each_page_names_its_marketplace_and_links_once_to_its_chooser(nine: Path) -> None:
    pages = _pages(nine)
    assert len(pages) > 9 and {p["marketplace"] for p in pages} == set(LOCALES)
    for entry in pages:
        html = (nine / entry["html"]).read_text()
        nav = NAV.search(html)
        assert nav is not None, entry["html"]
        tag, mp = entry["locale"], entry["marketplace"]
        chooser = "/".join([".."] * (entry["html"].count("/") - 1) + ["_marketplaces", tag, "help.html"])
        assert re.findall(r"<li[^>]*>(.*?)</li>", nav.group(1)) == [  # ("Marketplace" in German too)
            "Marketplace:",
            f'<span aria-current="page" data-pagefind-filter="Marketplace">{_name(mp, tag)}</span>',
            f'<a href="{chooser}" hreflang="{tag}" data-switch="marketplaces">{OTHERS[tag]}</a>',
        ], entry["html"]
        assert 'data-switch="marketplace"' not in html  # no other marketplace's page is linked


def test_one_chooser_per_page_and_language_owned_and_checked_like_the_pages(nine: Path) -> None:
    """The site's files: each page's, one chooser per language, the index and the search; every
    one recorded as policyctl's; `build --check` finds a chooser missing."""
    pages = _pages(nine)
    choosers = {f"returns/_marketplaces/{tag}/help.html" for tag in ("en", "de")}
    made = {str(p.relative_to(nine)) for p in nine.rglob("*") if p.is_file()}
    assert {f for f in made if "/_marketplaces/" in f} == choosers
    html = {f for f in made if f.endswith(".html") and not search.is_search_file(f)}
    assert html == {p["html"] for p in pages} | choosers | {"index.html"}
    record = json.loads((nine / ".policyctl-build.json").read_text())
    assert choosers <= set(record["files"])
    for chooser in choosers:  # not in the index or its search
        data = (nine / chooser).read_bytes()
        assert not search.indexed(chooser, data)
        assert chooser.encode() not in (nine / "index.json").read_bytes()
        assert b"_marketplaces" not in (nine / "index.html").read_bytes()


@pytest.mark.parametrize(
    ("tag", "heading", "title"),
    [
        ("en", "Choose a marketplace", "Choose a marketplace · Returns"),
        ("de", "Marketplace wählen", "Marketplace wählen · Rücksendungen"),
    ],
)
def test_the_chooser_links_every_marketplace_in_its_language_where_published(
    nine: Path, tag: str, heading: str, title: str
) -> None:
    html = (nine / "returns" / "_marketplaces" / tag / "help.html").read_text()
    assert f'<html lang="{tag}" dir="ltr">' in html
    assert f"<title>{title}</title>" in html
    assert '<meta name="robots" content="noindex">' in html
    assert '<a class="skip" href="#content">' in html
    # (its heading is the layout's, with the id its list is labelled by: left as written, no permalink)
    assert f'<main class="wrap" id="content">\n<h1 id="marketplaces">{heading}</h1>\n' in html
    assert 'class="permalink"' not in html
    assert "data-pagefind" not in html
    listed = re.search(r'<ul aria-labelledby="marketplaces">\n(.*?)</ul>', html, re.S)
    assert listed is not None
    expected = []
    for mp, locales in LOCALES.items():  # the page in the chooser's language, else the marketplace's first
        target = tag if tag in locales else locales[0]
        expected.append((f"../../{mp}/{target}/help.html", target, "marketplace", _name(mp, tag)))
    assert LINK.findall(listed.group(1)) == expected
    for href, *_ in expected:
        assert (nine / "returns" / "_marketplaces" / tag / href).resolve().is_file(), href


@pytest.mark.parametrize("count", [2, CHOOSER_THRESHOLD])
def test_up_to_the_threshold_every_marketplace_is_listed_as_before(
    init_starter: Path, tmp_path: Path, count: int
) -> None:
    """The pages are those of a layout without the chooser, byte for byte, and list every marketplace."""
    built = {}
    for own_layout in (False, True):
        top = tmp_path / f"repo-{own_layout}"
        shutil.copytree(init_starter, top)
        out = _build(top, count, own_layout)
        built[own_layout] = {
            str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*.html") if not search.is_search_file(str(p))
        }
    assert built[False] == built[True]
    assert not [p for p in built[False] if "_marketplaces" in p]
    page = built[False]["returns/us/en/help.html"].decode()
    nav = NAV.search(page)
    assert nav is not None
    assert len(LINK.findall(nav.group(1))) == count - 1


def test_an_older_layout_without_the_chooser_keeps_the_full_list(init_starter: Path, tmp_path: Path) -> None:
    top = tmp_path / "repo"
    shutil.copytree(init_starter, top)
    out = _build(top, CHOOSER_THRESHOLD + 1, own_layout=True)
    assert not (out / "returns" / "_marketplaces").exists()
    nav = NAV.search((out / "returns" / "us" / "en" / "help.html").read_text())
    assert nav is not None
    assert [kind for _, _, kind, _ in LINK.findall(nav.group(1))] == ["marketplace"] * CHOOSER_THRESHOLD


def test_a_chooser_is_kept_with_its_page_and_made_again_when_gone(nine: Path, tmp_path: Path) -> None:
    """The page cache keeps a chooser with the page that carries it; a chooser removed by hand is
    missing for `build --check` and written again by `build`; the preview serves it as built."""
    top = tmp_path / "repo"
    shutil.copytree(nine.parent, top)
    out, policies = top / "site", str(top / "policies")
    chooser = out / "returns" / "_marketplaces" / "de" / "help.html"
    before = chooser.read_bytes()
    for rendered in ("24 of 24", "0 of 24"):  # (the copy's first build fills the page cache)
        run = run_cli("build", "--root", policies, "--out", str(out), "--at", AT)
        assert run.code == 0 and f"{rendered} pages rendered" in run.out, run
    chooser.unlink()
    run = run_cli("build", "--root", policies, "--out", str(out), "--at", AT, "--check")
    assert run.code == 1 and "returns/_marketplaces/de/help.html" in run.out + run.err, run
    run = run_cli("build", "--root", policies, "--out", str(out), "--at", AT)
    # (the page that carries it, from its text as the page cache keeps it: made again, not rendered)
    assert run.code == 0 and "0 of 24 pages rendered, 1 laid out again" in run.out, run
    assert chooser.read_bytes() == before
    preview = Preview(policies, AT)
    status, kind, body, problems = preview.page("returns/_marketplaces/de/help.html", AT)
    assert (status, kind, problems) == (200, "html", [])
    assert body == before.decode()
    assert preview.page("returns/_marketplaces/fr/help.html", AT)[0] == 404


ONE_MESSAGE = "{% trans %}Returning an item{% endtrans %}"
PLACEHOLDER = (
    '{% trans name=program.name, n=p.return_window_days|duration("day") %}'
    "Returning an item to {{ name }} within {{ n }}{% endtrans %}"
)


# (the page's `<title>` in German where the page has it, else the program's German name)
NAMED = "Rücksendungen"


@pytest.mark.parametrize(
    ("title_block", "translation", "said", "tab"),
    [
        # the starter's title is the program's name: its German name (`names:`)
        (None, None, "Rücksendungen", "Rücksendungen"),
        # a title written as one message: the program catalog's translation
        (ONE_MESSAGE, "Einen Artikel zurückgeben", "Einen Artikel zurückgeben", "Einen Artikel zurückgeben"),
        # not translated yet: the English is all there is, marked as English in the sentence; the
        # `<title>`, which can mark no part, names the program in German (it said "Marketplace
        # wählen · Returning an item": two languages under `<html lang="de">`)
        (ONE_MESSAGE, None, '<span lang="en">Returning an item</span>', NAMED),
        # a message with placeholders: the title block rendered in German, its values as German
        # writes them (it stayed English, marked: its values had come formatted for English)
        (
            PLACEHOLDER,
            "Rückgabe an %(name)s binnen %(n)s",
            "Rückgabe an Rücksendungen binnen 45 Tage",
            "Rückgabe an Rücksendungen binnen 45 Tage",
        ),
        # not translated yet: English, marked
        (PLACEHOLDER, None, '<span lang="en">Returning an item to Returns within 45 days</span>', NAMED),
        # a translation that writes a fact (G006: the page's own would be refused): English, marked
        (ONE_MESSAGE, "Einen Artikel binnen 30 Tagen zurückgeben", '<span lang="en">Returning an item</span>', NAMED),
        (
            PLACEHOLDER,
            "Rückgabe an %(name)s binnen %(n)s (seit dem 1. Januar 2025)",
            '<span lang="en">Returning an item to Returns within 45 days</span>',
            NAMED,
        ),
    ],
)
def test_the_chooser_of_a_page_shown_in_english_in_its_place_says_its_title_in_its_language(
    init_starter: Path, tmp_path: Path, title_block: str | None, translation: str | None, said: str, tab: str
) -> None:
    """A `translations: fallback` program's German chooser (its words the layout's German) said the
    English page's title: "Marketplace wählen · Returns", "„Returns“ in jedem Marketplace"; a title
    with placeholders stayed English even where German translates it. The build and the preview
    say it alike. A title left in English is marked `lang="en"` in the sentence, as
    the index marks a title in another language; the `<title>`, which can hold no markup, stays
    German: the program's name in German instead."""
    top = tmp_path / "repo"
    shutil.copytree(init_starter, top)
    program, de = top / "policies/returns/program.yaml", top / "policies/returns/locales/de.po"
    edit(program, "marketplaces: [us, de]\n", "marketplaces: [us, de]\ntranslations: fallback\n")
    if title_block is not None:
        edit(
            top / "policies/returns/pages/help.md.j2",
            "{{ program.name }}{% endblock %}",
            f"{title_block}{{% endblock %}}",
        )
        assert run_cli("i18n", "update", "--root", str(top / "policies")).code == 0
        if translation is not None:
            msgid = "Returning an item" + (" to %(name)s within %(n)s" if title_block == PLACEHOLDER else "")
            edit(de, f'msgid "{msgid}"\nmsgstr ""', f'msgid "{msgid}"\nmsgstr "{translation}"')
    edit(de, 'msgstr "Die Kosten der Rücksendung tragen Sie."', 'msgstr ""')  # (German shown in English)
    out = _build(top, CHOOSER_THRESHOLD + 1)
    html = (out / "returns/_marketplaces/de/help.html").read_text()
    assert f"<title>Marketplace wählen · {tab}</title>" in html, html
    assert '<html lang="de" dir="ltr">' in html and html.count(' lang="') == 1 + ("<span lang" in said)
    assert f"<p>„{said}“ in jedem Marketplace, in dem die Seite erscheint:</p>" in html, html
    assert '<p class="pending" lang="de"' in (out / "returns/de/de/help.html").read_text()  # (shown in English)
    english = (out / "returns/_marketplaces/en/help.html").read_text()
    title = {
        None: "Returns",
        ONE_MESSAGE: "Returning an item",
        PLACEHOLDER: "Returning an item to Returns within 45 days",
    }[title_block]
    assert f"<title>Choose a marketplace · {title}</title>" in english
    assert f"<p>“{title}” in each marketplace it is published in:</p>" in english  # (English, unmarked)
    preview = Preview(str(top / "policies"), AT)
    assert preview.page("returns/_marketplaces/de/help.html", AT)[2] == html


def test_a_chooser_kept_from_a_build_before_is_made_again_when_its_borrowed_title_states_a_fact(
    init_starter: Path, tmp_path: Path
) -> None:
    """Whether a title's translation may be borrowed (G006) depends on the program's values in every
    marketplace: an overlay of another marketplace that makes its figure a fact changes the chooser
    of a page whose own inputs did not change (the build kept the chooser that borrowed it)."""
    top = tmp_path / "repo"
    shutil.copytree(init_starter, top)
    de = top / "policies/returns/locales/de.po"
    edit(
        top / "policies/returns/program.yaml",
        "marketplaces: [us, de]\n",
        "marketplaces: [us, de]\ntranslations: fallback\n",
    )
    edit(
        top / "policies/returns/pages/help.md.j2", "{{ program.name }}{% endblock %}", f"{ONE_MESSAGE}{{% endblock %}}"
    )
    assert run_cli("i18n", "update", "--root", str(top / "policies")).code == 0
    edit(de, 'msgid "Returning an item"\nmsgstr ""', 'msgid "Returning an item"\nmsgstr "Binnen 60 Tagen zurückgeben"')
    edit(de, 'msgstr "Die Kosten der Rücksendung tragen Sie."', 'msgstr ""')  # (German shown in English)
    last = MORE_MARKETPLACES[CHOOSER_THRESHOLD - 2][0]  # (the ninth: its pages are English only)
    overlay = top / f"policies/returns/marketplaces/{last}.yaml"
    overlay.write_text(
        f"kind: overlay\nmarketplace: {last}\nparameters:\n  return_window_days:\n    value: 61\n    source: a test\n"
    )
    chooser = _build(top, CHOOSER_THRESHOLD + 1) / "returns/_marketplaces/de/help.html"
    assert "<title>Marketplace wählen · Binnen 60 Tagen zurückgeben</title>" in chooser.read_text()
    edit(overlay, "value: 61", "value: 60")
    run = run_cli("build", "--root", str(top / "policies"), "--out", str(top / "site"), "--at", AT)
    assert run.code == 0 and "the others unchanged" in run.out, run
    assert "<title>Marketplace wählen · Rücksendungen</title>" in chooser.read_text()  # (the English not borrowed)
