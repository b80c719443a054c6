"""Heading ids (engine.site.anchors): every heading of a page's HTML gets an id made from its text as
GitHub makes it for the Markdown twin, unique on the page and never one of the layout's; G011 then
accepts a link to a heading's fragment and says one that no heading has, in the languages where it
is missing, at the template or catalog line that writes it; the preview checks a link into another
page's fragment as `build` does. (That two builds give the same bytes, ids and all, is
tests/test_site.py's `test_two_builds_are_byte_identical`, over every language of policies/.)
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from engine.site.activecontent import checked
from engine.site.anchors import EMPTY, heading_ids, slug, with_heading_ids
from support import edit, run_cli

# (a heading's text as a reader sees it, its id): as GitHub's slugger for the `.md` twin
SLUGS = [
    ("What changed", "what-changed"),
    ("Fees", "fees"),
    ("  Fees  ", "fees"),  # (markdown-it trims a heading's text; so does the slug)
    ("Fees & charges", "fees--charges"),  # (the `&` dropped, each space a `-`: GitHub's)
    ("Fees (2024)", "fees-2024"),
    ("1. Step one", "1-step-one"),
    ("snake_case and kebab-case", "snake_case-and-kebab-case"),
    ("Don't panic!", "dont-panic"),
    ("Che cos'è il servizio?", "che-cosè-il-servizio"),
    ("Qu’est-ce que c’est ?", "quest-ce-que-cest-"),
    ("¿Qué es?", "qué-es"),
    ("Was sich geändert hat", "was-sich-geändert-hat"),
    ("Über uns", "über-uns"),
    ("Straße", "straße"),
    ("ÄÖÜ", "äöü"),
    ("変更点", "変更点"),
    ("返品・返金ポリシー", "返品返金ポリシー"),  # (`・` is punctuation)
    ("よくある質問（FAQ）", "よくある質問faq"),  # (full-width brackets dropped, full-width letters kept)
    ("常见问题", "常见问题"),
    ("Customer Service by Amazon 将如何处理退货？", "customer-service-by-amazon-将如何处理退货"),
    ("Ⅻ rules", "ⅻ-rules"),  # (a letter number is kept, as `\p{Word}`)
    ("x² + y²", "x--y"),  # (other numbers are not)
    ("A\u00a0B", "ab"),  # (only the space becomes `-`)
    ("", EMPTY),
    ("—", EMPTY),
    ("¶ ", EMPTY),
    ("!!!", EMPTY),
]


@pytest.mark.parametrize(("text", "expected"), SLUGS, ids=[repr(t) for t, _ in SLUGS])
def test_slug(text: str, expected: str) -> None:
    assert slug(text) == expected


# (headings of one page, in order -> their ids): unique on the page, as GitHub numbers them
PAGES = [
    (["Fees", "Fees", "Fees"], ["fees", "fees-1", "fees-2"]),
    (["Fees", "Fees 1", "Fees", "fees"], ["fees", "fees-1", "fees-2", "fees-3"]),
    (["Fees-1", "Fees", "Fees"], ["fees-1", "fees", "fees-2"]),
    (["", "!!", "Section"], ["section", "section-1", "section-2"]),
    (["Gebühren", "GEBÜHREN"], ["gebühren", "gebühren-1"]),
    (["変更点", "変更点"], ["変更点", "変更点-1"]),
    (["policyctl problems"], ["policyctl-problems-1"]),  # (the preview's overlay's id)
]


@pytest.mark.parametrize(("texts", "expected"), PAGES)
def test_ids_are_unique_on_a_page(texts: list[str], expected: list[str]) -> None:
    assert heading_ids(texts) == expected


def test_the_layouts_ids_stay_the_layouts() -> None:
    """A heading never takes an id the page has (`<main id="content">`); a heading written with
    attributes is left alone; the text is what a reader sees (fact spans, links, entities); the
    page stays passive."""
    page = (
        '<header><h1 class="brand">Site</h1></header><main class="wrap" id="content">\n'
        "<h1>Content</h1>\n"
        '<h2>Fees &amp; <span data-fact="fees.name" data-value="&quot;x&quot;">charges</span></h2>\n'
        '<h3>See <a href="fees.html">fees</a></h3>\n'
        "<h2>Content</h2>\n"
        "</main>"
    )
    out = with_heading_ids(page)
    assert out == (
        '<header><h1 class="brand">Site</h1></header><main class="wrap" id="content">\n'
        '<h1 id="content-1">Content</h1>\n'
        '<h2 id="fees--charges">Fees &amp; <span data-fact="fees.name" data-value="&quot;x&quot;">charges</span></h2>\n'
        '<h3 id="see-fees">See <a href="fees.html">fees</a></h3>\n'
        '<h2 id="content-2">Content</h2>\n'
        "</main>"
    )
    assert with_heading_ids(out) == out  # (a page with ids: nothing more; the same bytes every time)
    assert checked(out)[0] == []


TEMPLATE = "policies/returns/pages/help.md.j2"


def _link_in_translation(repo: Path, german: str) -> None:
    """The returns page with a sentence linking its title's heading, translated to German with ``german``."""
    sentence = "See [the top of this page](help.md#returns)."
    edit(repo / TEMPLATE, "{% block body %}\n", "{% block body %}\n{% trans %}" + sentence + "{% endtrans %}\n")
    assert run_cli("i18n", "update", "--root", str(repo)).code == 0
    po = repo / "policies/returns/locales/de.po"
    edit(po, f'msgid "{sentence}"\nmsgstr ""', f'msgid "{sentence}"\nmsgstr "{german}"')


def test_a_heading_linked_in_each_language_through_the_translation(init_repo: Path) -> None:
    """The way to link a heading from a template shared by the languages: the link in the
    translated text, each catalog with its own language's fragment. `build` accepts it, and the
    links lead to the headings' ids, Unicode as written."""
    _link_in_translation(init_repo, "Siehe [den Anfang der Seite](help.md#rücksendungen).")
    run = run_cli("build", "--root", str(init_repo), "--at", "2026-12-01")
    assert run.code == 0, run
    german = (init_repo / "generated_docs/returns/de/de/help.html").read_text(encoding="utf-8")
    # (markdown-it percent-encodes the link; a browser reads the fragment back as the id)
    assert '<h1 id="rücksendungen">' in german and 'href="help.html#r%C3%BCcksendungen"' in german
    assert '<h2 id="was-sich-geändert-hat">' in german
    english = (init_repo / "generated_docs/returns/us/en/help.html").read_text(encoding="utf-8")
    assert '<h1 id="returns">' in english and 'href="help.html#returns"' in english
    # (the Markdown keeps its headings as written: GitHub gives them these ids itself)
    assert "(help.md#rücksendungen)" in (init_repo / "generated_docs/returns/de/de/help.md").read_text(encoding="utf-8")


def test_a_missing_heading_in_a_translation_is_said_at_the_catalog_line(init_repo: Path) -> None:
    _link_in_translation(init_repo, "Siehe [den Anfang der Seite](help.md#rücksendung).")
    run = run_cli("build", "--root", str(init_repo), "--at", "2026-12-01", "--format", "json")
    assert run.code == 1, run
    [problem] = json.loads(run.out)["problems"]
    po = (init_repo / "policies/returns/locales/de.po").read_text(encoding="utf-8")
    line = po[: po.index('msgstr "Siehe')].count("\n") + 1
    assert (problem["code"], problem["file"], problem["line"], problem["column"]) == (
        "G011",
        str(init_repo / "policies/returns/locales/de.po"),
        line,
        38,
    ), problem
    assert "no element has the id `rücksendung`" in problem["message"], problem
    assert problem["hint"] == "did you mean `help.md#rücksendungen`?", problem


def test_a_fragment_written_for_every_language_names_where_it_is_missing(init_repo: Path) -> None:
    """A template's `help.md#what-changed` is the English heading's id: missing on the German page
    (`Was sich geändert hat`) and on the past editions (no such section); said once, at the
    template's line, naming every page it is missing on."""
    edit(init_repo / TEMPLATE, "{% block body %}\n", "{% block body %}\n[changes](help.md#what-changed)\n")
    run = run_cli("build", "--root", str(init_repo), "--at", "2026-12-01", "--format", "json")
    assert run.code == 1, run
    [problem] = json.loads(run.out)["problems"]
    assert (problem["code"], problem["file"], problem["line"], problem["column"]) == (
        "G011",
        str(init_repo / TEMPLATE),
        21,
        11,
    ), problem
    assert "(on the page for marketplace `de`, language `de`: " in problem["message"], problem
    assert problem["hint"].startswith(
        "`#what-changed` is an id of this page in `en`, not here (the ids on `returns/de/de/help.html`: content,"
        " rücksendungen, was-sich-geändert-hat): a heading's id is made from its text, which each language words"
        " its own; write the link in the translated text"
    ), problem
    assert problem["hint"].endswith(
        " (missing on the pages for marketplace `us`, language `en`, edition `original`; marketplace `de`, language"
        " `de`, edition `original`; marketplace `de`, language `en`, edition `original` too)"
    ), problem


def test_the_preview_checks_a_link_into_another_pages_fragment(init_repo: Path) -> None:
    """`serve` renders the page a link's fragment points into (once) and checks the fragment as
    `build` does: accepted when the heading is there, else said at the template line with the
    did-you-mean."""
    from engine.commands.serve import Preview

    faq = init_repo / "policies/returns/pages/faq.md.j2"
    faq.write_text(
        '{% extends "_site/page.md.j2" %}\n{% block title %}{{ program.name }}{% endblock %}\n{% block body %}\n'
        "[ok](help.md#what-changed)\n[misspelt](help.md#what-changd)\n{% endblock %}\n",
        encoding="utf-8",
    )
    preview = Preview(str(init_repo / "policies"), at="2026-12-01")
    status, _, body, problems = preview.page("returns/us/en/faq.html", None)
    assert status == 200 and 'href="help.html#what-changed"' in body
    found = [(p.file, p.line, p.col, p.hint) for p in problems if p.code == "G011"]
    assert found == [(str(faq), 5, 12, "did you mean `help.md#what-changed`?")], problems
    _, _, _, again = preview.page("returns/us/en/help.html", None)  # (rendered once: the same page)
    assert not [p for p in again if p.code == "G011"], again


# Permalinks (policies/_site/permalink.html.j2): after each heading given an id, a link to it, named
# in the page's language through the site's catalogs. The sign is the style sheet's, so the link has
# no text: nothing for a screen reader to read but its name, for the search to index or a reader to
# copy with the heading.
PERMALINK_NAMES = {
    "en": "Link to this section: {}",
    "de": "Link zu diesem Abschnitt: {}",
    "es": "Enlace a esta sección: {}",
    "it": "Link a questa sezione: {}",
    "zh-Hans": "本节链接：{}",
}


class _Sections(HTMLParser):
    """Each heading of a page's `<main>` (level, id, its text as read) and the permalink after it
    (its attributes and text), or None when the next element is no permalink."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str, dict[str, str | None] | None, str]] = []
        self._heading: list[Any] | None = None  # [level, id, text] while in a heading
        self._after: tuple[str, str, str] | None = None  # a heading just closed, waiting for its link
        self._link: dict[str, str | None] | None = None
        self._link_text = ""
        self.wrapped = 0  # headings whose parent is a `div.heading` holding their permalink

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag) and "id" in a:
            self._heading = [tag, a["id"] or "", ""]
        elif self._heading is None and self._after is not None:
            if tag == "a" and a.get("class") == "permalink":
                self._link, self._link_text = a, ""
            else:
                self.found.append((*self._after, None, ""))
                self._after = None

    def handle_endtag(self, tag: str) -> None:
        if self._heading is not None and tag == self._heading[0]:
            self._after, self._heading = (self._heading[0], self._heading[1], self._heading[2]), None
        elif tag == "a" and self._link is not None and self._after is not None:
            self.found.append((*self._after, self._link, self._link_text))
            self._after, self._link = None, None
        elif tag == "div" and self._after is not None and self._link is None:
            self.found.append((*self._after, None, ""))
            self._after = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading[2] += data
        elif self._link is not None:
            self._link_text += data


def _sections(page: str) -> list[tuple[str, str, str, dict[str, str | None] | None, str]]:
    reader = _Sections()
    reader.feed(page)
    reader.close()
    return reader.found


@pytest.mark.parametrize("tag", sorted(PERMALINK_NAMES))
def test_each_heading_has_a_permalink_named_in_its_language(built_site: Path, tag: str) -> None:
    """Every heading with an id, on every page in ``tag`` (current and past editions), is followed
    by its permalink: `href="#id"`, named "Link to this section: <heading>" in the language, out of
    the search, with no text of its own; the heading's text is as before (no link inside it)."""
    index = json.loads((built_site / "index.json").read_text(encoding="utf-8"))
    pages = sorted(built_site / e["html"] for e in index["pages"] + index["editions"] if e["locale"] == tag)
    assert pages, tag
    for path in pages:
        page = path.read_text(encoding="utf-8")
        sections = _sections(page)
        assert sections and sections[0][0] == "h1", path
        assert page.count('class="permalink"') == len(sections), path
        for level, ident, text, link, link_text in sections:
            assert link is not None, (path, level, ident)
            assert link == {
                "class": "permalink",
                "href": f"#{ident}",
                "aria-label": PERMALINK_NAMES[tag].format(text),
                "data-pagefind-ignore": None,
            }, (path, ident)
            assert link_text == "", (path, ident)
            assert "Link" not in text and "链接" not in text, (path, text)
        assert checked(page)[0] == [], path  # (passive: a plain link to a fragment)
        # (the Markdown twin is left as written: GitHub makes its own links beside its headings)
        twin = path.with_suffix(".md")
        if twin.exists():
            assert "permalink" not in twin.read_text(encoding="utf-8") and "Link to this" not in twin.read_text(
                encoding="utf-8"
            )


def test_the_index_has_heading_ids_and_permalinks(built_site: Path) -> None:
    """The index's heading gets its id and permalink as a page's do (in English, the index's
    language). (A marketplace chooser's heading has the layout's own id, which labels its list: it
    is left as written, without a permalink: tests/test_marketplace_chooser.py.)"""
    index = (built_site / "index.html").read_text(encoding="utf-8")
    assert _sections(index) == [
        (
            "h1",
            "help-pages",
            "Help pages",
            {
                "class": "permalink",
                "href": "#help-pages",
                "aria-label": "Link to this section: Help pages",
                "data-pagefind-ignore": None,
            },
            "",
        )
    ]


def _own_layout(repo: Path) -> Path:
    """``repo`` with a copy of the default layout as its own `_site/` (to edit)."""
    from engine import packaged

    site = repo / "policies" / "_site"
    shutil.copytree(packaged.default_site_dir(), site)
    return site


def test_a_layout_without_the_permalink_template_gives_ids_only(init_repo: Path) -> None:
    """A repository's own `_site/` from before permalinks: its headings get their ids, no links."""
    (_own_layout(init_repo) / "permalink.html.j2").unlink()
    run = run_cli("i18n", "update", "_site", "--drop-obsolete", "--root", str(init_repo))
    assert run.code == 0, run
    run = run_cli("build", "--root", str(init_repo), "--at", "2026-12-01")
    assert run.code == 0, run
    page = (init_repo / "generated_docs/returns/de/de/help.html").read_text(encoding="utf-8")
    assert '<h1 id="rücksendungen">' in page and 'class="permalink"' not in page
    assert [link for *_, link, _ in _sections(page)] == [None, None]


@pytest.mark.parametrize(
    ("markup", "said"),
    [
        # the page's check for active content sees the permalinks: an event handler is refused
        (
            '{{ section }}<a href="#{{ id }}" onclick="x()">#</a>',
            "the page would carry active content: an event handler `onclick`",
        ),
        # the heading itself must be written, once; `id` and `heading` as given
        ('<a href="#{{ id }}">#</a>', "the permalink template must write the heading (`section`) once"),
        ("{{ section }}{{ section }}", "the permalink template must write the heading (`section`) once"),
        ('{{ section }}<a href="#{{ id|upper }}">#</a>', "`id` and `heading` as given"),
    ],
)
def test_a_permalink_template_is_held_to_the_layouts_rules(init_repo: Path, markup: str, said: str) -> None:
    template = _own_layout(init_repo) / "permalink.html.j2"
    template.write_text(markup + "\n", encoding="utf-8")
    assert run_cli("i18n", "update", "_site", "--drop-obsolete", "--root", str(init_repo)).code == 0
    run = run_cli("build", "--root", str(init_repo), "--at", "2026-12-01", "--format", "json")
    assert run.code == 1, run
    problems = json.loads(run.out)["problems"]
    assert problems and {p["code"] for p in problems} == {"G001"}, problems
    assert [said in p["message"] for p in problems if p["file"] == str(template)] == [True], problems


def test_a_section_callback_gets_each_headings_id_text_and_html() -> None:
    """`with_heading_ids(page, section)`: each heading given an id is replaced by what ``section``
    makes of (its id, its text as read, its HTML with the id); a heading with attributes is not."""
    page = '<main id="content"><h1 class="x">Site</h1>\n<h2>Fees &amp; <span data-fact="f">more</span></h2>\n</main>'
    calls: list[tuple[str, str, str]] = []

    def section(ident: str, text: str, heading: str) -> str:
        calls.append((ident, text, heading))
        return f"[{heading}]"

    out = with_heading_ids(page, section)
    tagged = '<h2 id="fees--more">Fees &amp; <span data-fact="f">more</span></h2>'
    assert calls == [("fees--more", "Fees & more", tagged)]
    assert out == f'<main id="content"><h1 class="x">Site</h1>\n[{tagged}]\n</main>'
