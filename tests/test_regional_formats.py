"""Numbers, amounts, percentages and dates follow the language *and* the marketplace's country
(CLDR's `en-DE` writes "1.234,50 €" on the German marketplace's English page) where CLDR has that
combination, else the language's own conventions; the language of the text stays the language."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.i18n import cldr as l10n
from support import edit, run_cli


@pytest.mark.parametrize(
    "tag, country, chosen",
    [
        ("es", "US", "es-US"),
        ("en", "DE", "en-DE"),
        ("en", "US", "en-US"),
        ("zh-Hans", "SG", "zh-Hans-SG"),  # the script stays: CLDR's zh_Hans_SG
        ("it", "US", "it"),  # CLDR has no it_US: Italian conventions
        ("zh-Hans", "DE", "zh-Hans"),
        ("de", "US", "de"),
        ("pt-BR", "US", "pt-BR"),  # a tag naming its own region keeps it
        ("en", "../de", "en"),  # not a region: nothing is looked up
        ("xx", "US", "xx"),  # a tag CLDR does not know: the formatting functions say so
    ],
)
def test_the_formatting_locale_is_the_language_in_the_country_when_cldr_has_it(
    tag: str, country: str, chosen: str
) -> None:
    assert l10n.conventions(tag, country) == chosen


@pytest.mark.parametrize(
    "tag, country, money, number, percent, day",
    [
        ("es", "US", "$1,234.50", "1,234.5", "3.75%", "1 de enero de 2025"),
        ("en", "DE", "1.234,50\xa0US$", "1.234,5", "3,75\xa0%", "1 January 2025"),
        ("es", None, "1.234,50\xa0US$", "1.234,5", "3,75\xa0%", "1 de enero de 2025"),
        ("it", "US", "1.234,50\xa0USD", "1.234,5", "3,75%", "1º gennaio 2025"),
    ],
)
def test_formats_by_the_chosen_locale(
    tag: str, country: str | None, money: str, number: str, percent: str, day: str
) -> None:
    shown = l10n.conventions(tag, country) if country else tag
    assert l10n.money(1234.5, "USD", shown) == money
    assert l10n.number(1234.5, shown) == number
    assert l10n.percent(3.75, shown) == percent
    assert l10n.date("2025-01-01", shown) == day


# A page of the starter showing one figure of each kind, computed from its data (a page never
# writes a figure of its own).
FORMATS_PAGE = """{% extends "_site/page.md.j2" %}
{% block title %}{{ program.name }}{% endblock %}
{% block body %}
- money: {{ (p.return_window_days * 41 + 4.5)|money }}
- number: {{ (p.return_window_days * 41 + 4.5)|number }}
- percent: {{ (p.return_window_days / 8)|percent }}
- duration: {{ (p.return_window_days * 100)|duration("day") }}
- date: {{ next_change|date("short") }}
{% set abbreviated = "5:00 p.m." %}
{% trans %}Due by {{ abbreviated }}.{% endtrans %} {% trans %}Wait for {{ abbreviated }}...{% endtrans %}

{% set starred = "1 * 2 <b>." %}
Outside: {{ abbreviated }}. {{ abbreviated }}... {{ p.return_window_days }}. {{ starred }}. {{ abbreviated }}.x
{% endblock %}
{% block changes %}{% endblock %}
"""


@pytest.fixture(scope="module")
def formats_site(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`policyctl init`'s starter with FORMATS_PAGE and German on the US marketplace too (CLDR has
    no `de-US`), built once before its dated change; the cases read its pages."""
    top = tmp_path_factory.mktemp("formats") / "repo"
    shutil.copytree(init_starter, top)
    (top / "policies/returns/pages/formats.md.j2").write_text(FORMATS_PAGE, encoding="utf-8")
    edit(top / "policies/marketplaces.yaml", "locales: [en]\n", "locales: [en, de]\n")
    run = run_cli("i18n", "update", "--root", str(top / "policies"))
    assert run.code == 0, run
    for english, german in (
        ("Due by %(abbreviated)s.", "Fällig um %(abbreviated)s."),
        ("Wait for %(abbreviated)s...", "Warten bis %(abbreviated)s..."),
    ):
        edit(
            top / "policies/returns/locales/de.po",
            f'msgid "{english}"\nmsgstr ""',
            f'msgid "{english}"\nmsgstr "{german}"',
        )
    out = top / "out"
    run = run_cli("build", "--root", str(top / "policies"), "--out", str(out), "--at", "2024-06-01")
    assert run.code == 0, run
    return out


@pytest.mark.parametrize(
    "marketplace, tag, money, number, percent, duration, day",
    [
        # English in the US: CLDR's en-US, the language's own
        ("us", "en", "$1,234.50", "1,234.5", "3.75%", "3,000 days", "1/1/25"),
        # English in Germany: CLDR's en-DE writes figures and dates as Germany does, in English
        ("de", "en", "1.234,50\xa0€", "1.234,5", "3,75\xa0%", "3.000 days", "01/01/2025"),
        ("de", "de", "1.234,50\xa0€", "1.234,5", "3,75\xa0%", "3.000 Tage", "01.01.25"),
        # German in the US: CLDR has no de-US, so German conventions
        ("us", "de", "1.234,50\xa0$", "1.234,5", "3,75\xa0%", "3.000 Tage", "01.01.25"),
    ],
)
def test_a_page_formats_by_its_language_in_its_marketplace_country(
    formats_site: Path, marketplace: str, tag: str, money: str, number: str, percent: str, duration: str, day: str
) -> None:
    page = (formats_site / f"returns/{marketplace}/{tag}/formats.md").read_text(encoding="utf-8")
    assert (
        f"- money: {money}\n- number: {number}\n- percent: {percent}\n- duration: {duration}\n- date: {day}\n" in page
    ), page
    # the text's language is the language: `lang` names it alone, not the formatting locale
    html = (formats_site / f"returns/{marketplace}/{tag}/formats.html").read_text(encoding="utf-8")
    assert f'<html lang="{tag}"' in html


def test_a_value_ending_a_sentence_with_its_own_period_gets_no_second_one(formats_site: Path) -> None:
    # es-US writes "5:00 p.m.": a message's "... {{ due }}." would end "p.m.."; an ellipsis stays
    page = (formats_site / "returns/us/en/formats.md").read_text(encoding="utf-8")
    assert "Due by 5:00 p.m. Wait for 5:00 p.m....\n" in page, page


@pytest.mark.parametrize(
    "suffix, written",
    [
        # the template's own period after a value, outside a message: the same rule (it printed
        # "p.m.."), whatever the value's escaping (Markdown's `\*`, HTML's `&lt;`) and marks
        ("md", "Outside: 5:00 p.m. 5:00 p.m.... 30. 1 \\* 2 \\<b\\>. 5:00 p.m.x\n"),
        (
            "html",
            "<p>Outside: 5:00 p.m. 5:00 p.m.... "
            '<span data-fact="return_window_days" data-value="30">30</span>. 1 * 2 &lt;b&gt;. 5:00 p.m.x</p>',
        ),
    ],
)
def test_a_value_the_template_follows_with_a_period_gets_no_second_one(
    formats_site: Path, suffix: str, written: str
) -> None:
    page = (formats_site / f"returns/us/en/formats.{suffix}").read_text(encoding="utf-8")
    assert written in page, page


# A layout of its own (`policies/_site/*.html.j2`, the Markdown index): values that end with a
# period, the template's own period after them and a message's, in the HTML and in the Markdown.
LAYOUT = (
    "{{ due }}. {{ due }}... {{ _('Due by %(due)s.', due=due) }} "
    "{{ ngettext('%(num)s day, by %(due)s.', '%(num)s days, by %(due)s.', 2, due=due) }} {{ num }}.\n"
)


@pytest.mark.parametrize(
    "output, written",
    [
        ("html", "5:00 p.m. 5:00 p.m.... Due by 5:00 p.m. 2 days, by 5:00 p.m. 30.\n"),
        ("markdown", "5:00 p.m. 5:00 p.m.... Due by 5:00 p.m. 2 days, by 5:00 p.m. 30.\n"),
    ],
)
def test_the_layout_writes_one_period_after_a_value_ending_with_its_own(
    tmp_path: Path, output: str, written: str
) -> None:
    """The layout's environment had neither rule the pages' has: "p.m.." after `{{ due }}.` and in
    a message ending "%(due)s." (the past edition's banner ended "1 июля 2025 г.." in Russian)."""
    from engine.i18n.catalogs import SITE, Domain
    from engine.i18n.translator import Translator
    from engine.site.html import Layout

    for name in ("page.html.j2", "index.md.j2"):
        (tmp_path / name).write_text(LAYOUT, encoding="utf-8")
    site = str(tmp_path)
    layout = Layout(site).use(Translator(Domain(SITE, site, site, ("en",)), "en", {}))
    view = {"due": "5:00 p.m.", "num": 30, "body": ""}
    shown = layout.page(view) if output == "html" else layout.index_markdown(view)
    assert shown.endswith(f">\n{written}" if output == "html" else written), shown  # (after the HTML's CSP)


def test_a_layouts_message_keeps_markup_the_layout_made_and_escapes_the_rest(tmp_path: Path) -> None:
    """A value the layout made as markup (a title marked `lang="en"` in the chooser's sentence) was
    escaped into text by the message it went into; the message's own text and its other values are
    still escaped (a translation never becomes markup), and the period rule sees the value's text."""
    from engine.i18n.catalogs import SITE, Domain
    from engine.i18n.translator import Translator
    from engine.site.html import Layout

    layout_text = (
        '{% set t %}<span lang="en">{{ due }}</span>{% endset %}'
        "{{ _('%(x)s & <i>due</i> by %(t)s.', x=x, t=t) }} {{ _('Due by %(x)s.', x=x) }}\n"
    )
    (tmp_path / "page.html.j2").write_text(layout_text, encoding="utf-8")
    site = str(tmp_path)
    layout = Layout(site).use(Translator(Domain(SITE, site, site, ("en",)), "en", {}))
    shown = layout.page({"due": "5:00 p.m.", "x": "<b>", "body": ""})
    assert shown.endswith(
        '>\n&lt;b&gt; &amp; &lt;i&gt;due&lt;/i&gt; by <span lang="en">5:00 p.m.</span> Due by &lt;b&gt;.\n'
    ), shown


@pytest.mark.parametrize(
    "start, said",
    [
        (None, "Past edition: these rules were in effect before 1 июля 2025\u202fг.** ["),
        (
            "2024-01-01",
            "Past edition: these rules took effect on 1 января 2024\u202fг. and were replaced on 1 июля 2025\u202fг.** [",
        ),
    ],
)
def test_the_markdown_banner_of_a_past_edition_writes_one_period_after_its_date(start: str | None, said: str) -> None:
    """Russian writes "1 июля 2025 г.": the Markdown page's banner of a past edition ended "г..".
    (English text, dates as a Russian page writes them: the banner's formatting locale.)"""
    from engine.i18n.catalogs import SITE, Domain
    from engine.i18n.translator import Translator
    from engine.problems import Pos
    from engine.site.assemble import past_notice
    from engine.site.editions import Edition
    from engine.site.manifest import Page
    from engine.site.plan import Job

    site = "policies/_site"
    layout = Translator(Domain(SITE, site, site, ("en",)), "en", {})
    page = Page("returns", "help", "help.md.j2", ("us",), Pos("program.yaml", 1, 1))
    edition = Edition(start or "original", "2025-06-30", start, "2025-07-01")
    notice = past_notice(layout, Job(page, "us", "en", edition), "ru")
    assert notice.startswith(f"> **{said}"), notice
