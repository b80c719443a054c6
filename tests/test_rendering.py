"""How page text survives Markdown and the languages' typography: escapes that show, CJK
paragraphs, emphasis next to CJK punctuation, translatable separators."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from engine.site.markup import FactMarks, escape, join_cjk_lines, to_html
from support import ROOT, edit, run_cli


@pytest.mark.parametrize(
    "value, markdown, shown",
    [
        ("1. März 2026", "1\\. März 2026", "1. März 2026"),  # not `\1.`: CommonMark escapes punctuation only
        ("12) Punkt", "12\\) Punkt", "12) Punkt"),
        ("- a", "\\- a", "- a"),
        ("2026年3月1日", "2026年3月1日", "2026年3月1日"),
        ("1.5 %", "1.5 %", "1.5 %"),
    ],
)
def test_a_value_that_could_start_a_block_is_escaped_so_it_shows_as_written(
    value: str, markdown: str, shown: str
) -> None:
    assert str(escape(value)) == markdown
    html, _ = to_html(f"{escape(value)}\n", FactMarks())
    assert html == f"<p>{shown}</p>\n"


# (a link's target in a page's Markdown, its `href` in the page's HTML)
LINKS = [
    ("fees.md", "fees.html"),
    ("../../us/en/fees.md", "../../us/en/fees.html"),
    # the page's part and the query are kept: the HTML page led to the Markdown file (fault: `other.md#fees`)
    ("fees.md#refunds", "fees.html#refunds"),
    ("fees.md?at=2025-01-01", "fees.html?at=2025-01-01"),
    ("fees.md?a=1#b.md", "fees.html?a=1#b.md"),
    # not a page of this site, or no page at all: as written (`#notes.md`, `mailto:` were rewritten)
    ("#notes.md", "#notes.md"),
    ("fees.html#x.md", "fees.html#x.md"),
    ("fees.html?next=a.md", "fees.html?next=a.md"),
    ("https://example.com/a.md#x", "https://example.com/a.md#x"),
    ("mailto:help@example.md", "mailto:help@example.md"),
    ("/a.md#x", "/a.md#x"),
    ("//example.com/a.md", "//example.com/a.md"),
    ("fees.mdx", "fees.mdx"),
]


@pytest.mark.parametrize(("target", "href"), LINKS)
@pytest.mark.parametrize(
    "page",
    [
        "See [this]({}).\n",  # an inline link (a page cut into pieces, each remembered)
        "See [this][t].\n\n[t]: {}\n",  # a reference definition (the whole page parsed at once)
    ],
    ids=["inline", "reference"],
)
def test_a_link_to_a_markdown_page_leads_to_its_html_page(page: str, target: str, href: str) -> None:
    html, _ = to_html(page.format(target), FactMarks())
    assert html == f'<p>See <a href="{href}">this</a>.</p>\n'


@pytest.mark.parametrize(
    "markdown, joined",
    [
        ("第一句。\n第二句。", "第一句。第二句。"),
        ("试用期。\n90天后", "试用期。90天后"),  # after CJK punctuation, whatever follows
        ("## 标题\n正文", "## 标题\n正文"),  # a heading stays a heading
        ("句子。\n- 项目", "句子。\n- 项目"),  # a list item stays a list item
        ("句子。\n1. 项目", "句子。\n1. 项目"),
        ("| 表 |\n文字", "| 表 |\n文字"),
        ("English.\nMore English.", "English.\nMore English."),
        ("中文\nEnglish", "中文\nEnglish"),  # a Latin word after a Han character keeps its space
        (
            "时间\ue000\ue0010\ue001二十四\ue002\n小时",
            "时间\ue000\ue0010\ue001二十四\ue002小时",
        ),  # fact marks looked through
    ],
)
def test_cjk_lines_of_a_paragraph_join_without_a_space(markdown: str, joined: str) -> None:
    assert join_cjk_lines(markdown) == joined


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    dest = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", dest)
    return dest


def test_a_dated_german_change_shows_its_date_without_a_stray_backslash(policies: Path, tmp_path: Path) -> None:
    edit(
        policies / "csba/marketplaces/de.yaml",
        "  trial_days:\n    value: 30\n",
        '  trial_days:\n    value: 30\n    changes:\n      - from: "2026-03-01"\n        value: 60\n',
    )
    out = tmp_path / "out"
    run = run_cli("build", "--root", str(policies), "--out", str(out), "--at", "2026-06-01")
    assert run.code == 0, run
    page = (out / "csba/de/de/help.md").read_text(encoding="utf-8")
    assert "**Gültig ab:** 1\\. März 2026" in page
    html = (out / "csba/de/de/help.html").read_text(encoding="utf-8")
    assert re.search(r"Gültig ab:</strong> <span[^>]*>1\. März 2026</span>", html)
    assert "\\1" not in html
    # the separator after a change's date is the translation's: a full-width colon in Chinese
    zh = (out / "csba/de/zh-Hans/help.md").read_text(encoding="utf-8")
    assert re.search(r"^- \*\*2026年3月1日\*\*：", zh, re.M), zh
    assert re.search(
        r"<strong><span[^>]*>2026年3月1日</span></strong>：",
        (out / "csba/de/zh-Hans/help.html").read_text(encoding="utf-8"),
    )


def test_emphasis_that_commonmark_would_not_make_is_a_translation_problem(policies: Path) -> None:
    catalog = policies / "csba/locales/zh-Hans.po"
    text = catalog.read_text(encoding="utf-8")
    assert '"**示例**：过去' in text
    catalog.write_text(text.replace('"**示例**：过去', '"**示例：**过去', 1), encoding="utf-8")
    line, column = next(
        (i, entry.index("**示例：**") + 1)
        for i, entry in enumerate(catalog.read_text(encoding="utf-8").split("\n"), 1)
        if "**示例：**过去" in entry
    )
    run = run_cli("i18n", "check", "--root", str(policies))
    assert run.code == 1
    found = re.search(
        r"zh-Hans\.po:(\d+):(\d+): error\[G002\]: zh-Hans: the translation of '\*\*Example:\*\* [^']*' has `\*\*` or "
        r"`\*` that does not make emphasis",
        run.out,
    )
    assert found and (int(found.group(1)), int(found.group(2))) == (line, column), run  # (at the `**`)


# -- filters: names as sorted lists, ranges, arithmetic on facts ------------------------------------

FILTERS_PAGE = """{% extends "_site/page.md.j2" %}
{% from "_site/numbers.md.j2" import number_range %}
{% block title %}{{ program.name }}{% endblock %}
{% block body %}
- countries: {{ ["CZ", "AT", "PL", "DE"]|countries|list }}
- mapped: {{ ["CZ", "AT"]|map("country")|list }}
- collated: {{ ["CZ", "AT"]|map("country")|collate|list }}
- range: {{ number_range(p.min_units_for_cpu + 1, p.min_units_for_cpu * 100) }}
- sum: {{ (p.trial_days + p.trial_days)|number }}
{% endblock %}
{% block changes %}{% endblock %}
"""


@pytest.fixture(scope="module")
def filters_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of policies/ with FILTERS_PAGE as a page of csba (and a parameter it shows), built
    once: each language's case below reads its own page of this build and writes nothing."""
    policies = tmp_path_factory.mktemp("filters") / "policies"
    shutil.copytree(ROOT / "policies", policies)
    (policies / "csba/pages/filters.md.j2").write_text(FILTERS_PAGE, encoding="utf-8")
    edit(
        policies / "csba/pages.yaml",
        "pages:\n",
        # (DE only: there `min_units_for_cpu` is set below, not the US assumption, which a page
        # computing with it would have to mark)
        "pages:\n  filters:\n    template: filters.md.j2\n    marketplaces: [de]\n    description: the filters, for a test\n",
    )
    edit(
        policies / "csba/marketplaces/de.yaml",
        "  trial_days:\n    value: 30\n",
        "  trial_days:\n    value: 30\n  min_units_for_cpu:\n    value: 1000\n",
    )
    # (the worked examples of the fee no longer hold with 1000: a build refuses to publish them)
    fees = policies / "csba/tests/fee.yaml"
    fees.write_text(fees.read_text(encoding="utf-8").replace("    example: true\n", ""), encoding="utf-8")
    out = policies.parent / "out"
    run = run_cli("build", "--root", str(policies), "--out", str(out), "--at", "2025-01-01")
    assert run.code == 0, run
    return out


@pytest.mark.parametrize(
    "tag, countries, mapped, collated, low, high",
    [
        (
            "de",
            "Deutschland, Österreich, Polen und Tschechien",
            "Tschechien und Österreich",
            "Österreich und Tschechien",
            "1001",
            "100.000",
        ),
        (  # (English words, Germany's figures: the page is the DE marketplace's, CLDR has `en-DE`)
            "en",
            "Austria, Czechia, Germany, and Poland",
            "Czechia and Austria",
            "Austria and Czechia",
            "1001",
            "100.000",
        ),
        ("it", "Austria, Cechia, Germania e Polonia", "Cechia e Austria", "Austria e Cechia", "1001", "100.000"),
    ],
)
def test_names_sort_by_the_language_ranges_and_arithmetic(
    filters_site: Path, tag: str, countries: str, mapped: str, collated: str, low: str, high: str
) -> None:
    page = (filters_site / f"csba/de/{tag}/filters.md").read_text(encoding="utf-8")
    assert f"- countries: {countries}\n" in page
    assert f"- mapped: {mapped}\n" in page  # a generator from `map` is a list too
    assert f"- collated: {collated}\n" in page
    assert re.search(rf"- range: {low[0]}[.,]?{low[1:]}[–-]{re.escape(high)}\n", page), page
    assert "- sum: 60\n" in page
