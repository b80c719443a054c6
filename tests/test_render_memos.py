"""The memos that make page rendering fast give exactly what the uncached paths give (issue 7).

engine.i18n.cldr keeps each CLDR formatting answer per (function, locale, value, options), engine.site.markup
keeps escaped texts, fact spans and the inline tokens of Markdown texts. Each fast answer is checked
here against the plain computation, over many values x locales x options, in an order that
alternates locales (a memo must not carry one locale's answer into another).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from babel import numbers
from markdown_it import MarkdownIt
from markupsafe import Markup

from engine.i18n import cldr as l10n
from engine.site import markup

TAGS = ("en", "de", "it", "fr", "es", "ja", "zh-Hans", "ar", "hi", "pt-BR", "de-CH", "en-IN", "sv", "pl")
NUMBERS: tuple[Any, ...] = (
    0,
    1,
    -1,
    2,
    5,
    7,
    10,
    21,
    100,
    1000,
    1234,
    12345678,
    -98765,
    10**20,
    2**63,
    0.0,
    -0.0,
    1.0,
    1.5,
    0.1,
    0.25,
    2.5,
    0.37,
    1234.5678,
    -0.005,
    1e16,
    1e-7,
    123456.789,
    99.99,
    float("inf"),
    float("-inf"),
    Decimal("0"),
    Decimal("1"),
    Decimal("1.0"),
    Decimal("1.00"),
    Decimal("-0"),
    Decimal("0.10"),
    Decimal("1E+3"),
    Decimal("12.3400"),
    Decimal("-2.5"),
    Decimal("1234567.891"),
)


def _same(fast: Callable[[], Any], slow: Callable[[], Any]) -> None:
    """Both give the same text, or both raise the same kind of error."""
    try:
        expected: Any = slow()
    except Exception as e:
        with pytest.raises(type(e)):
            fast()
        return
    got = fast()
    assert got == expected and type(got) is type(expected)


@pytest.fixture(autouse=True)
def _empty_memos() -> None:
    l10n.clear_memos()


def test_numbers_percentages_plurals_match_babel_for_every_value_and_locale() -> None:
    for value in NUMBERS:
        for tag in TAGS:  # locales alternate for each value: one locale's answer must not serve another
            _same(lambda: l10n.number(value, tag), lambda: l10n._number(l10n._decimal(value), tag))
            _same(lambda: l10n.percent(value, tag), lambda: l10n._percent(l10n._decimal(value) / 100, tag))
            _same(
                lambda: l10n.plural_category(value, tag),
                lambda: str(l10n.locale(tag).plural_form(l10n._decimal(value))),
            )
    for _ in range(2):  # the second round is answered from the memos
        # equal values that format differently: -0.0 == 0.0 (and hash alike), yet "-0" is not "0"
        assert l10n.number(0.0, "en") == "0" and l10n.number(-0.0, "en") == "-0"
        assert l10n.number(Decimal("-0"), "en") == "-0" and l10n.number(0, "en") == "0"
        assert l10n.number(1234.5, "de") == "1.234,5" and l10n.number(1234.5, "en") == "1,234.5"
        assert l10n.number(1234.5, "fr") == "1\u202f234,5"


def test_money_units_and_durations_match_babel() -> None:
    for value in NUMBERS:
        for tag in TAGS:
            for currency in ("USD", "EUR", "JPY", "INR", "CHF"):
                _same(
                    lambda: l10n.money(value, currency, tag), lambda: l10n._money(l10n._decimal(value), currency, tag)
                )
            for unit in ("day", "hour", "week"):
                for length in ("long", "short", "narrow"):
                    _same(
                        lambda: l10n.duration(value, unit, tag, length),
                        lambda: l10n._unit(l10n._decimal(value), f"duration-{unit}", tag, length),
                    )


def test_dates_datetimes_and_zone_names_match_babel() -> None:
    days = (
        "2024-01-01",
        "2024-02-29",
        "2023-07-01",
        "1999-12-31",
        dt.date(2024, 6, 1),
        dt.date(2025, 1, 31),
        "2024-03-01T00:30:00+00:00",
        "2024-03-01T23:30:00-08:00",
        "2024-10-27T01:30:00+01:00",
    )
    zones = (None, "UTC", "America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo", "Asia/Kolkata")
    for day in days:
        for tag in TAGS:
            for form in ("long", "short", "medium", "full"):
                for zone in zones:
                    _same(lambda: l10n.date(day, tag, form, zone), lambda: l10n._date(day, tag, form, zone))
    moments = [d for d in days if isinstance(d, str) and "T" in d] + ["2024-06-01T12:00:00Z"]
    for moment in moments:
        for tag in TAGS:
            for zone in zones[1:]:
                for form in ("full", "long", "short"):
                    _same(
                        lambda: l10n.datetime(moment, tag, zone, form), lambda: l10n._datetime(moment, tag, zone, form)
                    )
                _same(
                    lambda: l10n.time_zone_name(zone, tag),
                    lambda: l10n.time_zone_name.__wrapped__(zone, tag),  # type: ignore[attr-defined]  # the plain function, kept by _by_strings
                )
    # a date-time object is never memoized: two equal moments in different zones are different days
    east = dt.datetime(2024, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    west = east.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert east == west and l10n.date(east, "en") != l10n.date(west, "en")


def test_lists_and_names_match_the_uncached_path() -> None:
    lists: tuple[list[str], ...] = (
        [],
        ["a"],
        ["phone", "email"],
        ["telefono", "e-mail"],
        ["uno", "otto", "hotel"],
        ["x", "y", "z", "w"],
        ["Telefon", "Sofortnachricht", "E-Mail"],
        ["a", "icono"],
        ["a", "b", "o", "c"],
    )
    for items in lists:
        for tag in TAGS + ("es-MX", "it-CH"):
            for style in ("standard", "or", "unit", "nonsense"):
                _same(lambda: l10n.join(items, tag, style), lambda: l10n._join_all(tuple(items), tag, style))
    for tag in TAGS:
        for code in ("US", "DE", "IT", "JP", "BR", "IN", "ZZZ"):
            _same(
                lambda: l10n.country_name(code, tag),
                lambda: l10n.country_name.__wrapped__(code, tag),  # type: ignore[attr-defined]  # the plain function, kept by _by_strings
            )
        for code in TAGS + ("xx",):
            _same(
                lambda: l10n.language_name(code, tag),
                lambda: l10n.language_name.__wrapped__(code, tag),  # type: ignore[attr-defined]  # the plain function, kept by _by_strings
            )
        for code in ("USD", "EUR", "JPY"):
            _same(
                lambda: l10n.currency_name(code, tag),
                lambda: str(numbers.get_currency_name(code, locale=l10n.locale(tag))),
            )
        expected = "rtl" if l10n.locale(tag).character_order == "right-to-left" else "ltr"
        assert l10n.text_direction(tag) == expected


def test_errors_are_raised_every_time_and_never_remembered() -> None:
    for _ in range(2):
        for bad in (True, "12", None, [1], Decimal, object()):
            with pytest.raises(TypeError):
                l10n.number(bad, "en")
            with pytest.raises(TypeError):
                l10n.money(bad, "USD", "en")
        with pytest.raises(ValueError):
            l10n.number(5, "not-a-locale")
        with pytest.raises(ValueError):
            l10n.duration(5, "fortnight", "en")
        with pytest.raises(ValueError):
            l10n.date("2024-02-30", "en")
        with pytest.raises(ValueError):
            l10n.datetime("2024-03-01T10:00:00", "en", "UTC")  # no offset
    # unhashable or unusual arguments take the uncached path rather than failing in the memo
    assert l10n.number(7, "en") == "7"
    assert l10n.join(iter(["a", "b"]), "en") == "a and b"  # type: ignore[arg-type]  # any iterable (typed Sequence)


def test_every_memo_is_bounded() -> None:
    assert l10n._MEMOS
    for memo in l10n._MEMOS + [
        l10n.locale,
        markup._escape,
        markup._span,
        markup._json_text,
        markup._inline_html,
        markup._piece_html,
    ]:
        # each is an lru_cache wrapper (l10n._MEMOS's type declares only cache_clear)
        assert memo.cache_parameters()["maxsize"] is not None  # type: ignore[attr-defined]


# -- Markdown --------------------------------------------------------------------------------------

ESCAPED = (
    "plain",
    "a*b*c",
    "<b>bold</b>",
    "1. not a list",
    "- no",
    "+",
    "# no heading",
    "[x](y.md)",
    "a\nb",
    "tab\tand  spaces",
    "back\\slash",
    "`code`",
    "a|b",
    "~~s~~",
    "\ue000 private \ue002",
    "1) x",
    "=",
    "ünïcödé & «guillemets»",
    "",
    "  lead",
    "x\u2028y",
)


def test_escape_matches_the_uncached_escape() -> None:
    for _ in range(2):
        for text in ESCAPED:
            got = markup.escape(text)
            assert got == markup._escape.__wrapped__(text) and isinstance(got, Markup)
    # any value is shown as its text (escape is typed str)
    assert markup.escape(12) == "12" and markup.escape(Markup("<i>")) == "\\<i\\>"  # type: ignore[arg-type]


def test_fact_marks_match_canonical_json_and_html_escaping() -> None:
    values: tuple[Any, ...] = (
        "x",
        "quote \" and <tag> & 'apos'",
        "ünï",
        0,
        -5,
        10**30,
        1.5,
        -0.0,
        True,
        [1, "a"],
        {"b": 1, "a": [2]},
        2.25,
        None,
    )
    marks = markup.FactMarks()
    source = "".join(marks.mark(markup.Shown.of("v", f"fact.{i}<&>", v)) for i, v in enumerate(values))
    assert marks.facts == [(f"fact.{i}<&>", markup.canonical(v)) for i, v in enumerate(values)]
    expected = "".join(
        f'<span data-fact="{html.escape(f"fact.{i}<&>")}" '
        f'data-value="{html.escape(json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":")))}">'
        f"v</span>"
        for i, v in enumerate(values)
    )
    assert marks.to_spans(source) == expected
    assert markup.strip_marks(source) == "v" * len(values)


def _plain_to_html(text: str, marks: markup.FactMarks) -> tuple[str, str]:
    """engine.site.markup.to_html as it was before the memos: a fresh parser, no memo."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    tokens = md.parse(text)
    title = ""
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag == "h1":
            title = "".join(c.content for c in tokens[i + 1].children or () if c.type in ("text", "code_inline"))
            break
    for tok in tokens:
        for child in tok.children or ():
            href = child.attrGet("href") if child.type == "link_open" else None
            twin = markup.html_twin(href) if isinstance(href, str) else None  # (test_rendering.py: LINKS)
            if twin is not None:
                child.attrSet("href", twin)
    return marks.to_spans(md.renderer.render(tokens, md.options, {})), markup.strip_marks(title)


PAGES = (
    "# Title with `code` and *em*\n\nSee [the fees](fees.md) and [site](https://x.test/a.md) and [abs](/a.md).\n",
    '# Title\n\n| a | b |\n| --- | ---: |\n| [x](x.md) | **2** |\n| 3 \\| 4 | ![img *alt*](i.png "t") |\n',
    'Para with a [ref] link and [another][r2].\n\n[ref]: other.md\n[r2]: <https://example.com> "T"\n',
    "- item [x](x.md)\n- item *two*\n\n  continued\n\n1. one\n2. two\n\n> quote with `x` and \\*\n",
    "Heading\n=======\n\ntext  \nhard break\nsoft break &amp; &copy; &#35; <span>raw</span> <http://auto.link>\n",
    "```\n[not](a.md) *code*\n```\n\n    indented [c](c.md)\n\n***\n\n**bold _nested_ [l](l.md)**\n",
    "# \ue0000\ue001Program\ue002 `c`\n\nFee \ue0001\ue0010.37\ue002 and \ue0002\ue001[link](p.md)\ue002.\n",
)


def test_to_html_matches_a_fresh_parser_without_memo() -> None:
    facts = [("program", '"p"'), ("fee", "0.37"), ("link", '"x"')]
    for _ in range(3):  # later rounds are answered from the memo
        for page in PAGES + tuple(p.replace("Title", "Titolo") for p in PAGES) + ("\n".join(PAGES),):
            ours, theirs = markup.FactMarks(), markup.FactMarks()
            ours.facts = theirs.facts = list(facts)
            assert markup.to_html(page, ours) == _plain_to_html(page, theirs)


def test_the_inline_memo_holds_rendered_text_only() -> None:
    page = "# A [t](t.md) `c`\n\nGo to [fees](fees.md) or ![pic *x*](p.png).\n"
    for _ in range(2):
        tokens = markup._parser().parse(page)
        for tok in tokens:
            for child in tok.children or ():  # spoil this page's tokens: the next page must not see it
                child.content = child.meta["title"] = "spoiled"
        assert markup.to_html(page, markup.FactMarks()) == _plain_to_html(page, markup.FactMarks())
    assert all(type(a) is str and type(b) is str for a, b in [markup._inline_html("Go to [fees](fees.md)")])


# Lines that start, continue or end blocks in every way CommonMark allows, for random pages.
LINES = (
    "Some text with *em* and [a link](page.md).",
    "More text",
    "1984 was a year",
    "## Heading",
    "# Title `t`",
    "Setext",
    "=====",
    "-----",
    "***",
    "- item",
    "- item [l](l.md)",
    "* star item",
    "+ plus item",
    "1. one",
    "2) two",
    "10. ten",
    "  continued in item",
    "    indented code",
    "\tTabbed",
    "> quote",
    "> - quoted item",
    ">",
    "| a | b |",
    "| --- | --- |",
    "| 1 | 2 |",
    "a | b",
    "[ref]: target.md",
    "see [ref] and [x][ref]",
    "```",
    "~~~ python",
    "<div>raw</div>",
    "\\- escaped",
    "![img](i.png)",
    "   ",
    "",
    "",
    "",
    "",
    "\ue0003\ue001fact\ue002 text",
    "#not heading",
    "|",
    "   - deep item",
    "      deeper code",
    "=",
    "text  ",
)


def test_pages_cut_into_pieces_render_as_whole_pages() -> None:
    import random

    rng = random.Random(7)
    whole = 0
    for _ in range(1500):
        page = "\n".join(rng.choice(LINES) for _ in range(rng.randint(1, 25))) + rng.choice(("\n", "", "\n\n"))
        if markup._pieces(page) is None:
            whole += 1
        ours, theirs = markup.FactMarks(), markup.FactMarks()
        ours.facts = theirs.facts = [("f", "1")] * 4
        assert markup.to_html(page, ours) == _plain_to_html(page, theirs), page
    assert whole < 1000  # most random pages were cut into pieces


def test_pieces_are_cut_only_before_lines_that_cannot_continue_a_block() -> None:
    assert markup._pieces("# T\n\nText\n\n- a\n- b\n\nMore\n") == ["# T\n", "Text\n\n- a\n- b\n", "More\n"]
    assert markup._pieces("- a\n\n- b\n\n  c\n\n1. x\n\n    code\n\nEnd") == [
        "- a\n\n- b\n\n  c\n\n1. x\n\n    code\n",
        "End",
    ]
    assert markup._pieces("\n\nLead\n\n\n\nEnd") == ["\n", "Lead\n\n\n", "End"]  # nothing dropped
    for never in ("a\n\n```\nb\n\nc\n```\n", "[a]: b\n\nc\n", "a\r\n\r\nb", "~~~\n\nx\n"):
        assert markup._pieces(never) is None


def test_long_texts_bypass_the_memos_with_the_same_result() -> None:
    long_value = "x*" * markup.MEMO_MAX_VALUE
    assert markup.escape(long_value) == markup._escape.__wrapped__(long_value)
    marks = markup.FactMarks()
    marked = marks.mark(markup.Shown.of("v", "long", long_value))
    assert (
        marks.to_spans(marked) == f'<span data-fact="long" data-value="{html.escape(json.dumps(long_value))}">v</span>'
    )
    paragraph = " ".join(f"word{i} [l](l{i}.md) *e*" for i in range(markup.MEMO_MAX_TEXT // 10))
    for page in (f"# T\n\n{paragraph}\n\nEnd\n", f"{paragraph}\n- a\n\nx\n"):
        assert markup.to_html(page, markup.FactMarks()) == _plain_to_html(page, markup.FactMarks())


# -- the HTML layout -------------------------------------------------------------------------------


def _view(tag: str, n: int) -> dict[str, Any]:
    others = [
        {
            "tag": t,
            "name": l10n.autonym(t),
            "href": f"../{t}/p.html",
            "hreflang": f"{t}-US",
            "text_tag": t,
            "current": t == tag,
        }
        for t in ("en", "de", "it")
    ]
    return {
        "lang": tag,
        "dir": l10n.text_direction(tag),
        "title": f"Title {n} <&>",
        "body": f"<p>body {n}</p>",
        "program_name": f"Program {n}",
        "marketplace_name": l10n.country_name("US", tag),
        "site": "amazon.com",
        "languages": others,
        "marketplaces": [{"id": "us", "name": "US", "site": "", "href": "p.html", "current": True, "lang": tag}],
        "index_href": "../../index.html",
        "search_href": f"../../search/{tag.lower()}.html",
        "markdown_href": "p.md",
        "x_default": "../en/p.html" if n % 2 else "",
        "feed_href": "changes.atom" if n % 2 else "",
        "banner": None,
        "indexed": True,
        "current": True,
        "editions": [
            {"label": "July 1, 2023", "until": None, "href": "p.html", "current": True, "unconfirmed": n % 3 == 0},
            {"label": None, "until": "July 1, 2023", "href": "original/p.html", "current": False, "unconfirmed": False},
        ]
        if n % 2
        else [],
    }


def test_one_layout_serves_every_language_as_a_fresh_layout_would() -> None:
    from engine.i18n.catalogs import SITE, Domain, extract
    from engine.i18n.translator import Translator, source_index
    from engine.site.html import Layout
    from support import ROOT

    site = str(ROOT / "policies" / "_site")
    tags = ("en", "de", "it", "es", "zh-Hans", "fr")  # fr: no catalog, a problem on every page
    domain = Domain(SITE, site, site, tags)
    catalog, _ = extract(domain)
    sources = source_index(catalog, site)
    shared, translators = Layout(site), {tag: Translator(domain, tag, sources) for tag in tags}
    for n in range(3):
        for tag in tags:  # languages alternate: the messages of one must never show in another
            fresh = Translator(domain, tag, sources)
            expected = Layout(site).use(fresh).page(_view(tag, n))
            assert shared.use(translators[tag]).page(_view(tag, n)) == expected
            assert translators[tag].problems == fresh.problems
    assert translators["fr"].problems and not translators["de"].problems
