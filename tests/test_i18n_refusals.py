"""What a translation is refused for, and how the refusal reads: a figure or a date written where
the English has a placeholder (G006), placeholders of plural forms as gettext's tools judge them
(G002), the sentence naming the message; and how `i18n check` counts them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.i18n.catalogs import Domain, forms_problem
from engine.i18n.facts import Fact, fact_problem
from engine.i18n.translator import Translator
from support import edit, place_of, run_cli

# -- G006: a fact written into a translation --------------------------------------------------------

FEE = {0.5: (Fact("label_fee", "money:EUR"),)}
SINCE = {"2025-01-01": (Fact("return_window_days (its effective date)", "date"),)}
JULY = {"2025-07-01": (Fact("fee (its effective date)", "date"),)}
THREE = {3.0: (Fact("per_unit_tiers"), Fact("free_months", "duration-month"))}
THREE_BARE = {3.0: (Fact("per_unit_tiers"), Fact("free_months"))}
STEPS = {2.0: (Fact("steps"),), 2025.0: (Fact("edition"),)}


@pytest.mark.parametrize(
    "english, translation, facts, tag, said",
    [
        # amounts below 1, as the language writes them
        (
            "You pay for the return.",
            "Die Rücksendung (0,50 € je Etikett) zahlen Sie.",
            FEE,
            "de",
            "`0,50` (0.5), a value of the fact `label_fee`",
        ),
        ("You pay for the return.", "Vous payez 0,50 € par étiquette.", FEE, "fr", "`0,50` (0.5)"),
        # dates written the local way (CLDR's date forms), and the ISO form
        (
            "Returns are free.",
            "Seit dem 1. Januar 2025 ist die Rücksendung kostenlos.",
            SINCE,
            "de",
            "the date `1. Januar 2025` (2025-01-01), a value of the fact `return_window_days (its effective date)`",
        ),
        (
            "Returns are free.",
            "Desde el 1 de julio de 2025, la devolución es gratuita.",
            JULY,
            "es",
            "the date `1 de julio de 2025` (2025-07-01)",
        ),
        ("Returns are free.", "自2025年1月1日起，退货免费。", SINCE, "zh-Hans", "the date `2025年1月1日` (2025-01-01)"),
        (
            "Returns are free.",
            "Depuis le 1er janvier 2025, le retour est gratuit.",
            SINCE,
            "fr",
            "the date `1er janvier 2025` (2025-01-01)",
        ),
        (
            "Returns are free.",
            "Dal 1º luglio 2025 il reso è gratuito.",
            JULY,
            "it",
            "the date `1º luglio 2025` (2025-07-01)",
        ),
        (
            "Returns are free.",
            "Ab dem 01.07.2025 ist die Rücksendung kostenlos.",
            JULY,
            "de",
            "the date `01.07.2025` (2025-07-01)",
        ),
        ("Returns are free.", "Ab 2025-07-01 kostenlos.", JULY, "de", "the date `2025-07-01` (2025-07-01)"),
        # a figure that is a value of several facts: the one whose unit the words write, else all of them
        ("You get free months.", "Recibes 3 meses gratuitos.", THREE, "es", "`3`, a value of the fact `free_months`,"),
        (
            "You get free months.",
            "Recibes 3 meses gratuitos.",
            THREE_BARE,
            "es",
            "`3`, a value of the facts `per_unit_tiers` and `free_months`,",
        ),
        ("You get free months.", "Sie erhalten 3 Monate gratis.", THREE, "de", "a value of the fact `free_months`,"),
        ("You get free months.", "您可获得3个月免费。", THREE, "zh-Hans", "a value of the fact `free_months`,"),
        (
            "You get free months.",
            "Sie erhalten 3 Monaten gratis.",
            THREE,
            "de",
            "a value of the facts `per_unit_tiers` and `free_months`,",
        ),  # (no CLDR form)
        # nothing stated that the English leaves to a placeholder
        (
            "Since January 1, 2025, returns are free.",
            "Seit dem 1. Januar 2025 ist die Rücksendung kostenlos.",
            SINCE,
            "de",
            None,
        ),
        ("Returns are free.", "Seit dem 1. Februar 2025 ist die Rücksendung kostenlos.", SINCE, "de", None),
        # a year apart from a day and a month that are no fact's (the day and month of one: below)
        ("Returns are free.", "Die Ausgabe 2025 gilt ab dem 1. Februar.", SINCE, "de", None),
        ("Step 2: sign in.", "2. Schritt: Melden Sie sich an.", STEPS, "de", None),
        ("1. Sign in. 2. Opt in.", "1. Melden Sie sich an. 2. Melden Sie sich an.", STEPS, "de", None),
        ("The 2025 edition.", "Die Ausgabe 2025.", STEPS, "de", None),
        ("You pay for the return.", "Sie zahlen 1 € je Etikett.", FEE, "de", None),
    ],
)
def test_a_translation_stating_a_fact_is_found_as_the_language_writes_it(
    english: str, translation: str, facts: dict[object, tuple[Fact, ...]], tag: str, said: str | None
) -> None:
    why = fact_problem([english], translation, facts, tag)
    if said is None:
        assert why is None
    else:
        assert why is not None and said in why, why
        assert why.endswith("where the English states none (a placeholder keeps it current)")


MARCH = {
    "2025-03-01": (Fact("fee (its effective date)", "date"),),
    "2024-03-01": (Fact("window (its effective date)", "date"),),
}


@pytest.mark.parametrize(
    ("tag", "translation", "said"),
    [
        # a date without its year (CLDR's day and month with the month's name) ...
        ("en", "Returns are free from March 1.", "`March 1`"),
        ("en", "Returns are free from March 1st.", "`March 1st`"),
        ("de", "Ab dem 1. März ist die Rücksendung kostenlos.", "`1. März`"),
        ("de", "Die Ausgabe 2025 gilt ab dem 1. März.", "`1. März`"),  # (a year apart is not its year)
        ("it", "Dal 1 marzo il reso è gratuito.", "`1 marzo`"),
        ("it", "Dal 1º marzo il reso è gratuito.", "`1º marzo`"),
        ("es", "Desde el 1 de marzo, la devolución es gratuita.", "`1 de marzo`"),
        ("zh-Hans", "自3月1日起，退货免费。", "`3月1日`"),
        # ... and with a year of two digits (CLDR's short form)
        ("en", "Returns are free since 3/1/25.", "`3/1/25` (2025-03-01)"),
        ("de", "Ab 01.03.25 ist die Rücksendung kostenlos.", "`01.03.25` (2025-03-01)"),
        ("de", "Ab 1.3.25 ist die Rücksendung kostenlos.", "`1.3.25` (2025-03-01)"),
        ("it", "Dal 01/03/25 il reso è gratuito.", "`01/03/25` (2025-03-01)"),
        ("es", "Desde el 1/3/25, la devolución es gratuita.", "`1/3/25` (2025-03-01)"),
        # Italian's first of the month without its ordinal ending, with the year (was missed too)
        ("it", "Dal 1 marzo 2025 il reso è gratuito.", "`1 marzo 2025` (2025-03-01)"),
        # ordinary text: figures and words that are not one of these dates
        ("en", "Step 1: march on, then pay 1/3 of the cost in tiers 3, 1, 25.", None),
        ("en", "Returns are free from March 1, 2026.", None),  # (another year: not a fact)
        ("de", "Schritt 1. Melden Sie sich an; 1/3 der Kosten tragen Sie.", None),
        ("de", "Stufen 1, 3, 25; Version 1.3.250; am 1. Maier-Tag.", None),
        ("de", "Ab 1. März 2026 gilt das, ab 01.03.2026 auch.", None),
        ("it", "Passo 1: marca il prodotto; 1/3 del costo; a 1 mare.", None),
        ("it", "Dal 1 mar, dal 1 marzo 2026.", None),  # (an abbreviation is often a word: "mar", the sea)
        ("es", "Paso 1: marque la casilla; 1/3 del costo; a 1 mar de distancia.", None),
        ("es", "Desde el 1 de marzo de 2026.", None),
        ("zh-Hans", "第1步：登录。1/3的费用。3个月1次。", None),
        ("zh-Hans", "自2026年3月1日起，退货免费。", None),
    ],
)
def test_a_date_without_its_year_or_with_two_digits_is_found(tag: str, translation: str, said: str | None) -> None:
    """G006 looked for a fact's date only where the translation wrote its year in full: "1. März",
    "1 marzo", "3月1日" and "01.03.25" were published as they stood, to go stale."""
    why = fact_problem(["Returns are free."], translation, MARCH, tag)
    if said is None:
        assert why is None, why
        return
    assert why is not None and f"the translation states the date {said}" in why, why
    if "(20" not in said:  # without the year: every date of the facts with that day and month
        assert (
            "(2025-03-01 and 2024-03-01, without the year), a value of the facts `fee (its effective date)` and "
            "`window (its effective date)`"
        ) in why, why
    # the English saying the same date (in its words or the translation's) leaves it alone
    assert fact_problem(["Returns are free from March 1."], translation, MARCH, tag) is None


QUARTER = {0.25: (Fact("fee", "money:USD"), Fact("discount", "percent"))}


@pytest.mark.parametrize(
    ("translation", "facts", "tag", "formats", "said"),
    [
        # es-US writes a date's short form with the year in full (es: 1/7/25), its dollar "$" (es: "US$")
        (
            "Desde el 1/7/2025, la devolución es gratuita.",
            JULY,
            "es",
            ("es", "es-US"),
            "the date `1/7/2025` (2025-07-01)",
        ),
        # Spanish's own figures with the year in full (CLDR's `yMd`), though Spain's pages write "1/7/25"
        ("Desde el 1/7/2025, la devolución es gratuita.", JULY, "es", (), "the date `1/7/2025` (2025-07-01)"),
        ("Desde el 1/7/25, la devolución es gratuita.", JULY, "es", ("es", "es-US"), "the date `1/7/25` (2025-07-01)"),
        ("La tarifa es de $0.25.", QUARTER, "es", ("es", "es-US"), "`0.25`, a value of the fact `fee`,"),
        ("La tarifa es de $0.25.", QUARTER, "es", (), "`0.25`, a value of the facts `fee` and `discount`,"),
        # en-DE: 01/07/2025
        ("Since 01/07/2025, returns are free.", JULY, "en", ("en", "en-DE"), "the date `01/07/2025` (2025-07-01)"),
        ("Since 01/07/2025, returns are free.", JULY, "en", (), None),
        # ordinary text stays ordinary in every locale
        ("Paso 1/7: 2025 artículos, 1 de cada 7.", JULY, "es", ("es", "es-US"), None),
    ],
)
def test_a_fact_is_found_as_the_pages_format_it_in_each_marketplace(
    translation: str, facts: dict[object, tuple[Fact, ...]], tag: str, formats: tuple[str, ...], said: str | None
) -> None:
    """G006 built a date's forms and a currency's symbols from the language only: a Spanish
    translation for a US marketplace writing its pages' own "1/7/2025" (es-US) went unnoticed."""
    why = fact_problem(["Returns are free."], translation, facts, tag, formats)
    assert (why is None) if said is None else (why is not None and said in why), why


JULY_AND_JANUARY = {**JULY, "2025-01-07": (Fact("window (its effective date)", "date"),)}


@pytest.mark.parametrize(
    ("tag", "translation", "facts", "said"),
    [
        # July 1 as US English writes it in figures, with the year in full or two digits of it: in
        # a language that writes the day first its readers take it for January 7
        ("de", "Ab 7/1/2025 ist die Rücksendung kostenlos.", JULY, "`7/1/2025` (2025-07-01)"),
        ("de", "Ab 7/1/25 ist die Rücksendung kostenlos.", JULY, "`7/1/25` (2025-07-01)"),
        ("es", "Desde el 7/1/2025, la devolución es gratuita.", JULY, "`7/1/2025` (2025-07-01)"),
        ("zh-Hans", "自7/1/2025起，退货免费。", JULY, "`7/1/2025` (2025-07-01)"),
        # the language's own reading first: Spanish "7/1/2025" is January 7 when that is a fact too
        ("es", "Desde el 7/1/2025, la devolución es gratuita.", JULY_AND_JANUARY, "`7/1/2025` (2025-01-07)"),
        ("de", "Ab 7/1/2025 ist die Rücksendung kostenlos.", JULY_AND_JANUARY, "`7/1/2025` (2025-07-01)"),
        # each language's own figures with the year in full (CLDR's `yMd`; none of its four forms)
        ("it", "Dal 1/7/2025 il reso è gratuito.", JULY, "`1/7/2025` (2025-07-01)"),
        ("de", "Ab 1.7.2025 ist die Rücksendung kostenlos.", JULY, "`1.7.2025` (2025-07-01)"),
        ("zh-Hans", "自2025/7/1起，退货免费。", JULY, "`2025/7/1` (2025-07-01)"),
        # figures that are no date: their separators changed, or more figures after them
        ("de", "Schritt 7/1: 2025 Artikel, Version 7/1/2025.5.", JULY, None),
        ("de", "Im Juli 1 Rücksendung, 2025 Artikel.", JULY, None),
    ],
)
def test_a_date_written_in_figures_with_its_year_is_found_in_every_language(
    tag: str, translation: str, facts: dict[object, tuple[Fact, ...]], said: str | None
) -> None:
    """G006 missed "7/1/2025" (July 1 in US English's figures, CLDR's `yMd`, not its short form
    "7/1/25") in every translation but US English's, and each language's own figures with the year
    in full ("1/7/2025" in Italian and Spain's Spanish, whose short forms have two digits of it)."""
    why = fact_problem(["Returns are free."], translation, facts, tag)
    assert (why is None) if said is None else (why is not None and f"the translation states the date {said}" in why)
    if said is not None:  # the English writing the same figures leaves them alone
        written = said.split("`")[1]
        assert fact_problem([f"Returns are free from {written}."], translation, facts, tag) is None


@pytest.mark.parametrize(
    ("tag", "translation", "said"),
    [
        # a date as English writes it in words, month first (CLDR's `en`) ...
        ("de", "Ab July 1, 2025 ist die Rücksendung kostenlos.", "`July 1, 2025` (2025-07-01)"),
        ("es", "Desde el Jul 1, 2025, la devolución es gratuita.", "`Jul 1, 2025` (2025-07-01)"),
        ("it", "Dal Tuesday, July 1, 2025 il reso è gratuito.", "`Tuesday, July 1, 2025` (2025-07-01)"),
        ("zh-Hans", "自July 1, 2025起，退货免费。", "`July 1, 2025` (2025-07-01)"),
        # ... or day first (CLDR's world English, `en-001`: the English pages outside the US)
        ("de", "Ab 1 July 2025 ist die Rücksendung kostenlos.", "`1 July 2025` (2025-07-01)"),
        ("es", "Desde el Tuesday, 1 July 2025, la devolución es gratuita.", "`Tuesday, 1 July 2025` (2025-07-01)"),
        ("zh-Hans", "自1 July 2025起，退货免费。", "`1 July 2025` (2025-07-01)"),
        # ... or without the year, month first, as the language's own day and month are found (a
        # figure before a month's name without a year is often a step: "Passo 1: July Street")
        ("it", "Dal July 1 il reso è gratuito.", "`July 1` (2025-07-01, without the year)"),
        ("de", "Ab July 1st ist die Rücksendung kostenlos.", "`July 1st` (2025-07-01, without the year)"),
        # not these dates: another year, another word, the language's month after the day and year
        ("de", "Ab July 1, 2026 und 1 July 2026 gilt das.", None),
        ("de", "Die Julyx-Aktion 1, 2025 Artikel.", None),
        ("es", "Paso 1: julio es el mes 7 de 2025.", None),
        ("it", "Passo 1: July Street, 2025 articoli.", None),
        ("zh-Hans", "第1步：July的2025个。", None),
    ],
)
def test_an_english_date_in_words_is_found_in_every_language(tag: str, translation: str, said: str | None) -> None:
    """G006 found a date copied from the English only in US English's figures ("7/1/2025"): "July 1,
    2025" or "1 July 2025" left in a German, Spanish, Italian or Chinese translation was published,
    to go stale. The months' names are CLDR's."""
    why = fact_problem(["Returns are free."], translation, JULY, tag)
    assert (why is None) if said is None else (why is not None and f"the translation states the date {said}" in why), (
        why
    )
    if said is not None:  # the English writing the same date leaves it alone
        written = said.split("`")[1]
        assert fact_problem([f"Returns are free from {written}."], translation, JULY, tag) is None


@pytest.mark.parametrize("marketplace", ["us", "de"])
def test_i18n_check_reads_a_translation_as_its_marketplaces_pages_are_formatted(
    init_repo: Path, marketplace: str
) -> None:
    """Spanish offered in the US marketplace: its pages write 2025-01-01 as es-US does, "1/1/2025",
    and a translation hard-coding that is refused; offered in DE only (CLDR has no es-DE), the
    same figures are refused too: they are Spanish's own figures with the year in full (CLDR's
    `yMd`), though Spain's pages write "1/1/25" (they were taken for no date)."""
    marketplaces = init_repo / "policies/marketplaces.yaml"
    locales = "locales: [en]" if marketplace == "us" else "locales: [de, en]"
    edit(marketplaces, locales, locales.replace("en]", "en, es]"))
    edit(init_repo / "policyctl.toml", 'languages = ["en", "de"]', 'languages = ["en", "de", "es"]')
    de = (init_repo / "policies/returns/locales/de.po").read_text(encoding="utf-8")
    es = init_repo / "policies/returns/locales/es.po"
    es.write_text(
        de.replace('"Language: de', '"Language: es').replace(
            'msgstr "Die Kosten der Rücksendung tragen Sie."',
            'msgstr "Desde el 1/1/2025, usted paga el envío de la devolución."',
        ),
        encoding="utf-8",
    )
    checked = run_cli("i18n", "check", cwd=init_repo)
    said = (
        f"policies/returns/locales/es.po:{place_of(es, '1/1/2025')}: error[G006]: es: the translation states the "
        "date `1/1/2025` (2025-01-01), a value of the fact `return_window_days (its effective date)`"
    )
    assert (checked.code, said in checked.out) == (1, True), checked


def test_i18n_check_validate_and_build_refuse_a_fact_in_a_translation_alike(init_repo: Path) -> None:
    """The QA report's repro: an amount below 1 and an effective date written the German way;
    `i18n check`, the translators' command, said 100% and exit 0."""
    program = init_repo / "policies/returns/program.yaml"
    program.write_text(
        program.read_text(encoding="utf-8")
        + "  label_fee:\n    description: What a return label costs.\n    schema: {type: number, minimum: 0}\n"
        "    value: 0.5\n    source: the returns policy, 2024 edition\n",
        encoding="utf-8",
    )
    po = init_repo / "policies/returns/locales/de.po"
    edit(
        po,
        'msgstr "Die Kosten der Rücksendung tragen Sie."',
        'msgstr "Die Kosten der Rücksendung (0,50 € je Etikett) tragen Sie."',
    )
    edit(
        po,
        'msgstr "Die Rücksendung ist kostenlos: Wir bezahlen das Rücksendeetikett."',
        'msgstr "Seit dem 1. Januar 2025 ist die Rücksendung kostenlos."',
    )
    fee = (
        f"policies/returns/locales/de.po:{place_of(po, '0,50 €')}: error[G006]: de: the translation states `0,50` "
        "(0.5), a value of the fact `label_fee`, where the English states none (a placeholder keeps it current) "
        "('You pay for the return shipping.')"
    )
    day = (
        f"policies/returns/locales/de.po:{place_of(po, '1. Januar 2025')}: error[G006]: de: the translation states "
        "the date `1. Januar 2025` (2025-01-01), a value of the fact `return_window_days (its effective date)`"
    )
    checked = run_cli("i18n", "check", cwd=init_repo)
    assert checked.code == 1 and fee in checked.out and day in checked.out, checked
    assert _all_but_refused(checked.out, 2), checked
    validated = run_cli("validate", cwd=init_repo)
    assert validated.code == 1 and fee in validated.out and day in validated.out, validated
    built = run_cli("build", "--at", "2025-06-01", cwd=init_repo)
    assert built.code == 1 and fee in built.err and day in built.err, built


# -- G002: placeholders of plural forms, as msgfmt --check and Babel's checker judge them ------------

DE = "(n != 1)"
FR = "(n > 1)"
RU = "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)"
ZH = "0"
ONE, MANY = "You have one day to return an item.", "You have %(count)s days to return an item."


@pytest.mark.parametrize(
    "plural_expr, forms, said",
    [
        # a form used for one number only may leave the count out ("einen Tag", "un jour")
        (DE, ["Sie haben einen Tag.", "Sie haben %(count)s Tage."], None),
        (DE, ["Sie haben %(count)s Tag.", "Sie haben %(count)s Tage."], None),
        (FR, ["Vous avez un jour.", "Vous avez %(count)s jours."], None),
        # a form used for many numbers may not: Russian's first (1, 21, 31...), German's second, a
        # language's only form
        (
            DE,
            ["Sie haben einen Tag.", "Sie haben einige Tage."],
            "`msgstr[1]` of the translation of 'You have one day to return an item.' leaves out `%(count)s` of the English plural 'You have %(count)s days to return an item.'",
        ),
        (
            RU,
            ["У вас один день.", "У вас %(count)s дня.", "У вас %(count)s дней."],
            "`msgstr[0]` of the translation of 'You have one day to return an item.' leaves out `%(count)s`",
        ),
        (
            ZH,
            ["您有一天时间。"],
            "`msgstr[0]` of the translation of 'You have one day to return an item.' leaves out `%(count)s`",
        ),
        # no form may add a placeholder the English plural does not have
        (
            DE,
            ["Sie haben %(zzz)s Tag.", "Sie haben %(count)s Tage."],
            "`msgstr[0]` of the translation of 'You have one day to return an item.' has `%(zzz)s`, which the English plural 'You have %(count)s days to return an item.' does not have",
        ),
    ],
)
def test_plural_forms_keep_placeholders_as_gettext_tools_require(
    plural_expr: str, forms: list[str], said: str | None, tmp_path: Path
) -> None:
    why = forms_problem([ONE, MANY], forms, plural_expr)
    assert why == said if said is None else why is not None and why.startswith(said), why
    # the tools agree: msgfmt refuses exactly what is refused, Babel's checker accepts what is accepted
    if said is None:
        from babel.messages.catalog import Message
        from babel.messages.checkers import python_format

        python_format(None, Message((ONE, MANY), tuple(forms), flags=["python-format"]))
    msgfmt = shutil.which("msgfmt")
    if msgfmt is not None:
        po = tmp_path / "t.po"
        entries = "".join(f'msgstr[{i}] "{form}"\n' for i, form in enumerate(forms))
        po.write_text(
            f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
            f'"Plural-Forms: nplurals={len(forms)}; plural={plural_expr};\\n"\n\n'
            f'#, python-format\nmsgid "{ONE}"\nmsgid_plural "{MANY}"\n{entries}',
            encoding="utf-8",
        )
        run = subprocess.run([msgfmt, "--check", "-o", "/dev/null", str(po)], capture_output=True, check=False)
        assert (run.returncode == 0) == (said is None), run.stderr


def _plural_template(init_repo: Path) -> Path:
    edit(
        init_repo / "policies/returns/pages/help.md.j2",
        '{% set days = p.return_window_days|duration("day") %}',
        "{% trans count=p.return_window_days %}You have one day to return an item.{% pluralize %}"
        'You have {{ count }} days to return an item.{% endtrans %}\n{% set days = p.return_window_days|duration("day") %}',
    )
    assert run_cli("i18n", "update", cwd=init_repo).code == 0
    return init_repo / "policies/returns/locales/de.po"


def test_a_singular_without_the_count_is_a_translation_and_a_wrong_form_is_named(init_repo: Path) -> None:
    """The QA report's repro: the German singular "einen Tag" was refused, quoting an English
    singular that has no placeholder, and counted as missing."""
    po = _plural_template(init_repo)
    edit(
        po,
        'msgstr[0] ""\nmsgstr[1] ""',
        'msgstr[0] "Sie haben einen Tag für die Rücksendung."\nmsgstr[1] "Sie haben %(count)s Tage für die Rücksendung."',
    )
    checked = run_cli("i18n", "check", cwd=init_repo)
    assert checked.code == 0 and re.search(r"returns de: (\d+) of \1 translated \(100\.0%\)\n", checked.out), checked
    built = run_cli("build", "--at", "2025-06-01", cwd=init_repo)
    assert built.code == 0, built
    assert "Sie haben 45 Tage für die Rücksendung." in (init_repo / "generated_docs/returns/de/de/help.md").read_text()
    folder = str(init_repo / "policies/returns")
    translator = Translator(Domain("returns", folder, folder, ("de", "en")), "de", {})
    assert translator.lookup(ONE, MANY, 1) == "Sie haben einen Tag für die Rücksendung."  # (on a page for n = 1)
    assert (
        translator.lookup(ONE, MANY, 2) == "Sie haben %(count)s Tage für die Rücksendung." and not translator.problems
    )

    edit(
        po,
        'msgstr[1] "Sie haben %(count)s Tage für die Rücksendung."',
        'msgstr[1] "Sie haben Tage für die Rücksendung."',
    )
    where = place_of(po, 'msgstr[1] "Sie haben Tage')  # (the form that leaves it out)
    said = (
        f"policies/returns/locales/de.po:{where}: error[G002]: de: `msgstr[1]` of the translation of "
        "'You have one day to return an item.' leaves out `%(count)s` of the English plural "
        "'You have %(count)s days to return an item.', though the form is used for many numbers"
    )
    checked = run_cli("i18n", "check", cwd=init_repo)
    assert checked.code == 1 and said in checked.out, checked
    assert _all_but_refused(checked.out, 1), checked
    data = run_cli("i18n", "check", "--format", "json", cwd=init_repo)
    returns = next(s for s in json.loads(data.out)["locales"] if s["domain"] == "returns")
    assert (returns["total"] - returns["translated"], returns["missing"], returns["refused"]) == (1, 0, 1)
    built = run_cli("build", "--at", "2025-06-01", cwd=init_repo)
    assert built.code == 1 and said in built.err, built


@pytest.mark.parametrize(
    "english, translation, said",
    [
        (
            'msgstr "Rückgabefrist"',
            'msgstr "[Rückgabefrist](https://example.com)"',
            "de: the translation of 'Return window' links to `https://example.com`, which the English does not",
        ),
        (
            'msgstr "Die Kosten der Rücksendung tragen Sie."',
            'msgstr "Die Kosten der Rücksendung tragen Sie zu 100 %s."',
            "de: the translation of 'You pay for the return shipping.' has a `%` conversion other than the placeholders",
        ),
        (
            'msgstr "Die Kosten der Rücksendung tragen Sie."',
            'msgstr "Die Kosten der Rücksendung<br>tragen Sie."',
            "de: the translation of 'You pay for the return shipping.' has HTML or an autolink (`<br>`), which the English does not",
        ),
        (
            'msgstr "Die Kosten der Rücksendung tragen Sie."',
            'msgstr "Die Kosten der Rücksendung tragen %(days)s."',
            "de: the translation's placeholders (`%(days)s`) differ from the English ones (none) of 'You pay for the return shipping.'",
        ),
    ],
)
def test_a_refused_translation_is_named_in_a_sentence(
    init_repo: Path, english: str, translation: str, said: str
) -> None:
    """ "…which the English does not of 'Return window'": the message was appended after the reason."""
    po = init_repo / "policies/returns/locales/de.po"
    edit(po, english, translation)
    checked = run_cli("i18n", "check", cwd=init_repo)
    assert checked.code == 1 and f"error[G002]: {said}" in checked.out, checked
    assert _all_but_refused(checked.out, 1), checked
    validated = run_cli("validate", cwd=init_repo)
    assert validated.code == 1 and f"error[G002]: {said}" in validated.out, validated
    built = run_cli("build", "--at", "2025-06-01", cwd=init_repo)
    assert built.code == 1 and f"error[G002]: {said}" in built.err, built


def test_a_refused_translation_at_render_time_is_named_in_a_sentence(init_repo: Path) -> None:
    """The page's lookup refuses what the check refuses, in the same words (a build reports both)."""
    po = init_repo / "policies/returns/locales/de.po"
    edit(po, 'msgstr "Rückgabefrist"', 'msgstr "[Rückgabefrist](https://example.com)"')
    folder = str(init_repo / "policies/returns")
    translator = Translator(Domain("returns", folder, folder, ("de", "en")), "de", {})
    assert translator.lookup("Return window", context="parameter:return_window_days") == "Return window"
    assert [p.message for p in translator.problems] == [
        "de: the translation of 'Return window' links to `https://example.com`, which the English does not"
    ]


def test_a_refused_translation_is_not_counted_missing() -> None:
    from engine.i18n.catalogs import Completeness, completeness_line

    stats = Completeness("de", total=8, translated=6, missing=1, refused=1)
    assert completeness_line(stats) == "de: 6 of 8 translated (75.0%), 1 missing, 1 refused"


def _all_but_refused(out: str, refused: int) -> bool:
    """Whether `i18n check` says of the starter's German catalog that every message is translated
    but ``refused`` (however many messages the starter has)."""
    found = re.search(r"returns de: (\d+) of (\d+) translated \([\d.]+%\), (\d+) refused", out)
    return found is not None and int(found[2]) - int(found[1]) == int(found[3]) == refused


@pytest.mark.parametrize(
    ("formula", "said"),
    [
        ("(n==3 ? 1%(n-3) : n!=1)", "cannot be computed for n = 3: it divides by zero"),
        ("(n==1 ? 0 : 2)", "chooses form 2 for n = 0, but nplurals is 2"),
        ("(n>1 ? 1 : n-1)", "chooses form -1 for n = 0, but nplurals is 2"),
    ],
)
def test_a_plural_formula_that_cannot_choose_a_form_is_refused_at_its_header(
    init_repo: Path, formula: str, said: str
) -> None:
    """A `Plural-Forms` formula gettext reads but that fails for a count (`1%(n-3)` at 3) failed the
    build at the template's line as "integer modulo by zero", on the page whose count hit it."""
    po = init_repo / "policies/returns/locales/de.po"
    edit(po, "plural=(n != 1);", f"plural={formula};")
    line = next(i for i, text in enumerate(po.read_text(encoding="utf-8").splitlines(), 1) if "Plural-Forms" in text)
    expected = (
        f"policies/returns/locales/de.po:{line}:1: error[G002]: the catalog cannot be used: its Plural-Forms "
        f"formula `{formula}` {said}\n  hint: write the formula gettext's manual gives for the language"
    )
    for command in ("validate", "build"):
        run = run_cli(command, cwd=init_repo)
        assert run.code == 1 and expected in run.out + run.err, (command, run)
