"""Policy strings with markup reach readers as text, in the HTML and in the Markdown (issue 8).

Hostile strings go into a label, a free-text parameter, a program name and a marketplace's site
in temporary copies of tests/corpus/hostile/site and of policies/ (published in English only, so
the copies need no new translations), then `policyctl build` runs. Every HTML page must parse to
the elements the layout and Markdown make, with no event-handler attribute and no `javascript:`
link; every Markdown page must show the strings escaped.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from support import CORPUS, ROOT, run_cli

HOSTILE = CORPUS / "hostile" / "site"
EVIL = (
    '<script>alert(1)</script> "><img src=x onerror=alert(1)> [click](javascript:alert(1)) '
    "<javascript:alert(2)> <a href=javascript:alert(3)>x</a> ![i](javascript:alert(4)) &lt;b&gt; `x` *y* # z"
)
# what Markdown and the layouts make; anything else in a page came from data
ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "link",
    "style",
    "body",
    "header",
    "nav",
    "ul",
    "ol",
    "li",
    "span",
    "a",
    "main",
    "footer",
    "div",
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "strong",
    "em",
    "code",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "br",
    "small",
    "blockquote",
    "hr",
    "pre",
}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.bad.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"<{tag} {name}>")
            if name in ("href", "src") and value and re.match(r"\s*(javascript|data|vbscript):", value, re.I):
                self.bad.append(f"<{tag} {name}={value}>")


def quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def english_only(marketplaces: Path) -> None:
    marketplaces.write_text(re.sub(r"locales: \[[^\]]*\]", "locales: [en]", marketplaces.read_text()))


def assert_inert(out: Path) -> None:
    # the search pages are the one exception (SECURITY.md): they load policyctl's own scripts
    pages = sorted(p for p in out.rglob("*.html") if p.relative_to(out).parts[0] != "search")
    assert pages
    for page in pages:
        tags = Tags()
        tags.feed(page.read_text(encoding="utf-8"))
        assert tags.bad == [], f"{page}: {tags.bad}"
    for page in sorted(out.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"(?<!\\)<(script|img|a |b |javascript:)", text), page
        assert not re.search(r"(?<!\\)\]\(javascript:", text), page


@pytest.fixture
def site(tmp_path: Path) -> Path:
    dest = tmp_path / "policies"
    shutil.copytree(HOSTILE, dest)
    english_only(dest / "marketplaces.yaml")
    return dest


def test_hostile_strings_in_the_data_are_text_in_every_page(site: Path, tmp_path: Path) -> None:
    program = site / "demo" / "program.yaml"
    text = program.read_text()
    text = text.replace("value: Seller Support", "value: " + quoted(EVIL))
    text = text.replace("  phone: Phone", "  phone: " + quoted(EVIL))
    text = text.replace("names: {en: Demo program, it: Programma demo}", "names: {en: " + quoted(EVIL) + "}")
    program.write_text(text)
    marketplaces = site / "marketplaces.yaml"
    marketplaces.write_text(marketplaces.read_text().replace("site: amazon.com", "site: " + quoted(EVIL)))
    r = run_cli("build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", "2024-03-01")
    assert r.code == 0, r
    assert_inert(tmp_path / "out")
    md = (tmp_path / "out" / "demo/us/en/help.md").read_text()
    assert "\\<script\\>alert(1)\\</script\\>" in md and "\\[click\\](javascript:alert(1))" in md
    html = (tmp_path / "out" / "demo/us/en/help.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hostile_strings_in_a_copy_of_the_policies_are_text(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies, ignore=shutil.ignore_patterns("locales"))
    english_only(policies / "marketplaces.yaml")
    program = policies / "csba" / "program.yaml"
    text = program.read_text()
    assert "  csba_team: Customer Service by Amazon team" in text
    program.write_text(text.replace("  csba_team: Customer Service by Amazon team", "  csba_team: " + quoted(EVIL)))
    marketplaces = policies / "marketplaces.yaml"
    marketplaces.write_text(marketplaces.read_text().replace("site: amazon.com", "site: " + quoted(EVIL)))
    r = run_cli("build", "--root", str(policies), "--out", str(tmp_path / "out"), "--at", "2025-01-01")
    assert r.code == 0, r
    assert_inert(tmp_path / "out")
    shown = "".join(p.read_text() for p in (tmp_path / "out").rglob("*.html"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown, "the label was not on any page: the test proves nothing"


@pytest.mark.parametrize(
    "address",
    [
        '"><img src=x onerror=alert(1)>@amazon.com',
        "javascript:alert(1)//@amazon.com",
        "a@amazon.com?subject=<script>",
        "a@amazon.com\nb@evil.example",
    ],
)
def test_a_hostile_address_is_refused_or_inert(tmp_path: Path, address: str) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies, ignore=shutil.ignore_patterns("locales"))
    english_only(policies / "marketplaces.yaml")
    program = policies / "csba" / "program.yaml"
    text = program.read_text()
    assert "US: csba-ustous@amazon.com" in text
    program.write_text(text.replace("US: csba-ustous@amazon.com", "US: " + json.dumps(address)))
    r = run_cli("build", "--root", str(policies), "--out", str(tmp_path / "out"), "--at", "2025-01-01")
    assert r.code in (0, 1) and "Traceback" not in r.out + r.err, r
    if r.code == 0:
        assert_inert(tmp_path / "out")
        for page in (tmp_path / "out").rglob("*.html"):
            assert 'href="javascript' not in page.read_text().lower()
    else:
        assert "error[G001]" in r.err or "error[P003]" in r.err, r.err


def test_a_table_box_is_named_by_the_heading_text_whatever_it_holds() -> None:
    """Each table's scroll box (engine.site.markup.scrollable_tables) is named after the heading
    above it, or its first row: markup in that text stays text in the name, adding no element."""
    from html import unescape

    from engine.site import markup

    text = markup.escape(EVIL)
    page = f"# {text}\n\n| {text} | b |\n| --- | --- |\n| 1 | 2 |\n\n| x `<i>` |\n| --- |\n| 3 |\n"
    body, _ = markup.to_html(page, markup.FactMarks())
    html = markup.scrollable_tables(body)
    tags = Tags()
    tags.feed(html)
    assert tags.bad == []
    boxes = re.findall(r'<div class="table-scroll" role="region" tabindex="0" aria-label="([^"<>]*)"><table>', html)
    assert [unescape(label) for label in boxes] == [EVIL, "x <i>"]
    assert html.count("<div") == 2 and html.count("</table></div>") == 2
