"""Translations and CLDR formatting: catalogs are complete, and every way they can go wrong is
reported with the file and line to fix."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from engine.i18n import cldr as l10n
from support import ROOT, CliRun, catalog_size, edit, finishes, place_of, published_locales, run_cli

LOCALES = ("en", "it", "de", "zh-Hans", "es")


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    dest = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", dest)
    return dest


# -- CLDR formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("en", "phone, instant message, and email"),
        ("it", "telefono, messaggistica istantanea ed e-mail"),
        ("de", "Telefon, Sofortnachricht und E-Mail"),
        ("es", "teléfono, mensajería instantánea y correo electrónico"),
        ("zh-Hans", "电话、即时消息和电子邮件"),
    ],
)
def test_lists_follow_cldr_with_euphony(tag: str, expected: str) -> None:
    words = {
        "en": ["phone", "instant message", "email"],
        "it": ["telefono", "messaggistica istantanea", "e-mail"],
        "de": ["Telefon", "Sofortnachricht", "E-Mail"],
        "es": ["teléfono", "mensajería instantánea", "correo electrónico"],
        "zh-Hans": ["电话", "即时消息", "电子邮件"],
    }
    assert l10n.join(words[tag], tag) == expected


def test_euphonic_conjunctions() -> None:
    assert l10n.join(["a", "b"], "it") == "a e b"
    assert l10n.join(["Francia", "Spagna", "Estonia"], "it") == "Francia, Spagna ed Estonia"
    assert l10n.join(["padre", "hijo"], "es") == "padre e hijo"
    assert l10n.join(["agua", "hielo"], "es") == "agua y hielo"  # "hie" is a diphthong: no change
    assert l10n.join(["siete", "ocho"], "es", "or") == "siete u ocho"
    assert l10n.join(["English", "Chinese"], "en", "or") == "English or Chinese"


@pytest.mark.parametrize(
    "tag, money, percent, day, days, hours",
    [
        ("en", "$0.10", "5%", "July 1, 2023", "90 days", "24 hours"),
        ("it", "0,10\xa0USD", "5%", "1º luglio 2023", "90 giorni", "24 ore"),
        ("de", "0,10\xa0$", "5\xa0%", "1. Juli 2023", "90 Tage", "24 Stunden"),
        ("zh-Hans", "US$0.10", "5%", "2023年7月1日", "90天", "24小时"),
        ("es", "0,10\xa0US$", "5\xa0%", "1 de julio de 2023", "90 días", "24 horas"),
    ],
)
def test_facts_are_formatted_per_locale(tag: str, money: str, percent: str, day: str, days: str, hours: str) -> None:
    assert l10n.money(0.1, "USD", tag) == money
    assert l10n.percent(5, tag) == percent
    assert l10n.date("2023-07-01", tag) == day
    # Babel alone prints "90 duration-day" for it and zh-Hans: CLDR's long patterns inherit from short
    assert l10n.duration(90, "day", tag) == days
    assert l10n.duration(24, "hour", tag) == hours


@pytest.mark.parametrize(
    ("value", "tag", "form", "shown"),
    [
        # the first of the month is an ordinal in Italian and French, in every form with the month in words
        ("2024-02-01", "it", "long", "1º febbraio 2024"),
        ("2024-02-01", "it", "full", "giovedì 1º febbraio 2024"),
        ("2024-02-01", "it", "medium", "1º feb 2024"),
        ("2024-02-01", "it-CH", "long", "1º febbraio 2024"),
        ("2024-02-01", "fr", "long", "1er février 2024"),
        # any other day, a date in numbers, another language: CLDR's number
        ("2024-02-11", "it", "long", "11 febbraio 2024"),
        ("2024-02-21", "fr", "long", "21 février 2024"),
        ("2024-02-01", "it", "short", "01/02/24"),
        ("2024-02-01", "es", "long", "1 de febrero de 2024"),
        ("2024-02-01", "de", "long", "1. Februar 2024"),
        ("2024-02-01", "en", "long", "February 1, 2024"),
    ],
)
def test_the_first_of_the_month_as_each_language_writes_it(value: str, tag: str, form: str, shown: str) -> None:
    """CLDR's Italian "1 luglio" reads wrong to Italians ("1º luglio", "il 1º febbraio")."""
    assert l10n.date(value, tag, form) == shown


def test_a_datetime_on_the_first_of_the_month_has_the_ordinal_too() -> None:
    assert l10n.datetime("2024-03-01T17:00:00-08:00", "it", "America/Los_Angeles") == "venerdì 1º marzo 2024, 17:00"


def test_numbers_plurals_and_names() -> None:
    assert l10n.number(1000, "de") == "1.000"
    assert l10n.number(1000, "en") == "1,000"
    assert l10n.percent(2.5, "it") == "2,5%"
    assert l10n.duration(1, "day", "it") == "1 giorno"
    assert l10n.plural_category(1, "it") == "one" and l10n.plural_category(2, "it") == "other"
    assert l10n.plural_category(1, "zh-Hans") == "other"
    assert l10n.language_name("zh", "it") == "cinese"
    assert l10n.country_name("US", "de") == "Vereinigte Staaten"
    assert l10n.in_sentence("Phone", "en") == "phone"
    assert l10n.in_sentence("Telefon", "de") == "Telefon"
    assert l10n.in_sentence("Seller Central", "en") == "Seller Central"


@pytest.mark.parametrize(
    "label, tag, inside",
    [
        # an article before a name: lower case inside a sentence (the fact-check's it and es pages)
        (
            "Il Servizio Clienti di Amazon gestisce la richiesta.",
            "it",
            "il Servizio Clienti di Amazon gestisce la richiesta.",
        ),
        (
            "El Servicio de Atención al Cliente de Amazon gestiona la consulta.",
            "es",
            "el Servicio de Atención al Cliente de Amazon gestiona la consulta.",
        ),
        ("L’Ufficio Clienti di Amazon risponde.", "it", "l’Ufficio Clienti di Amazon risponde."),
        ("The Amazon Customer Service team replies.", "en", "the Amazon Customer Service team replies."),
        # a label that is a name, article and all; names; other languages' nouns; as before
        ("Los Angeles", "es", "Los Angeles"),
        ("La Poste", "fr", "La Poste"),
        ("L’Ufficio Clienti", "it", "L’Ufficio Clienti"),
        ("Amazon Customer Service handles the inquiry.", "en", "Amazon Customer Service handles the inquiry."),
        ("Servizio Clienti di Amazon", "it", "Servizio Clienti di Amazon"),
        ("IL Servizio", "it", "IL Servizio"),
        ("Der Kundenservice von Amazon", "de", "Der Kundenservice von Amazon"),
        ("L’ufficio risponde.", "it", "l’ufficio risponde."),
        ("Telefono", "it", "telefono"),
    ],
)
def test_an_article_before_a_name_is_lower_case_inside_a_sentence(label: str, tag: str, inside: str) -> None:
    assert l10n.in_sentence(label, tag) == inside


def test_a_datetime_shows_in_the_marketplace_time_zone() -> None:
    assert (
        l10n.datetime("2024-03-01T17:00:00-08:00", "en", "America/Los_Angeles") == "Friday, March 1, 2024, 5:00\u202fPM"
    )
    assert l10n.date("2024-03-01T23:30:00-08:00", "de", time_zone="Europe/Berlin") == "2. März 2024"


# -- catalogs of the repository ------------------------------------------------------------------


def test_repository_catalogs_are_complete() -> None:
    run = run_cli("i18n", "check", cwd=ROOT)
    assert run.code == 0, run
    domains = published_locales(ROOT / "policies")
    assert domains
    for domain, tags in domains.items():
        for tag in tags:
            assert re.search(rf"^{domain} {tag}: (\d+) of \1 translated \(100\.0%\)$", run.out, re.M), run.out


def test_every_published_locale_has_a_catalog() -> None:
    domains = published_locales(ROOT / "policies")
    assert "_site" in domains
    for domain, tags in domains.items():
        assert tags <= {p.stem for p in (ROOT / "policies" / domain / "locales").glob("*.po")}, domain


def test_extraction_has_translator_comments_contexts_and_labels() -> None:
    with open(ROOT / "policies/csba/locales/messages.pot", "rb") as f:
        pot = read_po(f)
    trial = next(m for m in pot if m.id and "free trial after joining" in str(m.id))
    assert trial.auto_comments and "length of the free trial" in trial.auto_comments[0]
    assert isinstance(trial.id, tuple)  # a plural message
    phone = pot.get("Phone", "label:phone")
    assert phone is not None and phone.locations[0][0] == "program.yaml"
    assert "`labels: phone`" in phone.auto_comments[0]


def test_extract_and_update_are_idempotent(policies: Path) -> None:
    before = {p: p.read_bytes() for p in policies.rglob("*.po*")}
    assert run_cli("i18n", "extract", "--root", str(policies)).code == 0
    assert run_cli("i18n", "update", "--root", str(policies)).code == 0
    assert {p: p.read_bytes() for p in policies.rglob("*.po*")} == before


def test_catalogs_are_written_the_same_with_any_babel(monkeypatch: pytest.MonkeyPatch) -> None:
    import babel.messages.catalog

    from engine.i18n import catalogs as i18n

    monkeypatch.setattr(babel.messages.catalog, "VERSION", "0.0.test")  # what Babel stamps its headers with
    for path in sorted((ROOT / "policies").glob("*/locales/*.po")):
        catalog, problems = i18n.read(str(path), path.stem)
        assert catalog is not None, problems
        written = i18n.dump(catalog)
        assert b'"Generated-By: policyctl\\n"' in written and b"Babel" not in written
        assert written == path.read_bytes(), path


def _stamp(path: Path, generator: str, date: str) -> None:
    """Another tool's header stamps, as Babel 2.19, Poedit or msgmerge would write them."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'"Generated-By: [^"]*"', f'"Generated-By: {generator}\\\\n"', text, count=1)
    text = re.sub(r'"(POT-Creation-Date|PO-Revision-Date): [^"]*"', rf'"\1: {date}\\n"', text, count=2)
    text = text.replace('"Generated-By:', f'"X-Generator: {generator}\\n"\n"Generated-By:', 1)
    path.write_text(text, encoding="utf-8")


def test_a_header_stamped_by_another_tool_version_is_not_stale(policies: Path) -> None:
    for path in policies.rglob("*.po*"):
        _stamp(path, "Babel 9.9.9", "2031-05-06 07:08+0200")
    before = {p: p.read_bytes() for p in policies.rglob("*.po*")}
    assert b"Babel 9.9.9" in before[policies / "csba/locales/messages.pot"]
    run = run_cli("i18n", "check", "--root", str(policies))
    assert run.code == 0, run.out
    extract = run_cli("i18n", "extract", "--root", str(policies))
    assert extract.code == 0 and "written" not in extract.out.replace("unchanged", ""), extract.out
    assert run_cli("i18n", "update", "--root", str(policies)).code == 0
    assert {p: p.read_bytes() for p in policies.rglob("*.po*")} == before  # nothing rewritten


def test_a_changed_message_in_a_catalog_is_content(policies: Path) -> None:
    from engine.i18n import catalogs as i18n

    pot = policies / "csba/locales/messages.pot"
    _stamp(pot, "Babel 9.9.9", "2031-05-06 07:08+0200")
    edit(pot, 'msgid "Fees"\nmsgstr ""', 'msgid "Fees"\nmsgstr "Gebühren"')
    run = run_cli("i18n", "check", "csba", "--root", str(policies))
    assert run.code == 1 and f"{pot}:1:1: error[G005]: the message template is stale" in run.out
    assert run_cli("i18n", "extract", "csba", "--root", str(policies)).out == f"{pot}: written\n"
    assert 'msgstr "Gebühren"' not in pot.read_text() and run_cli("i18n", "check", "--root", str(policies)).code == 0

    po = (policies / "csba/locales/it.po").read_bytes()
    restamped = po.replace(b'"Generated-By: policyctl\\n"', b'"Generated-By: Babel 2.19.0\\n"')
    assert restamped != po and i18n.content(restamped) == i18n.content(po)
    translated = po.replace(b'msgstr "Commissioni"', b'msgstr "Tariffe"', 1)
    assert translated != po and i18n.content(translated) != i18n.content(po)


# -- what goes wrong, and where ---------------------------------------------------------------------

SENTENCE = "You can opt out of {{ name }} at any time."


def test_a_changed_template_sentence_fails_the_check_precisely(policies: Path) -> None:
    template = policies / "csba/pages/help.md.j2"
    line = next(i for i, text in enumerate(template.read_text().splitlines(), 1) if SENTENCE in text)
    edit(template, SENTENCE, "You can leave {{ name }} at any time.")
    run = run_cli("i18n", "check", "csba", "--root", str(policies))
    assert run.code == 1
    pot = f"{policies}/csba/locales/messages.pot:1:1: error[G005]"
    assert pot in run.out
    total = catalog_size(policies, "csba")
    one_short = f"{total - 1} of {total} translated ({100 * (total - 1) / total:.1f}%)"
    for tag in published_locales(policies)["csba"]:
        # in the catalog the translator edits, where `update` puts the entry: before the entry after
        # the old sentence's (it was at the template's line, the catalog only named)
        po_lines = (policies / f"csba/locales/{tag}.po").read_text().split("\n")
        old = po_lines.index('msgid "You can opt out of %(name)s at any time."')
        blank = po_lines.index("", old)
        assert (
            f"{policies}/csba/locales/{tag}.po:{blank + 2}:1: error[G002]: {tag}: no translation of "
            f"'You can leave %(name)s at any time.' (written at {policies}/csba/pages/help.md.j2:{line}): the "
            "catalog has no entry for it\n"
            '  hint: add `msgid "You can leave %(name)s at any time."` and its translation (`msgstr`) to '
            f"{policies}/csba/locales/{tag}.po, here (`policyctl i18n update` adds every missing entry)\n"
        ) in run.out
        assert re.search(
            rf"csba/locales/{tag}.po:\d+:1: error\[G004\]: {tag}: 'You can opt out of %\(name\)s at any time.' "
            "is no longer in the templates",
            run.out,
        )
    assert f"csba it: {one_short}, 1 missing, 1 obsolete" in run.out

    # after `update` the old translation is carried over, marked fuzzy, at its line in the PO file
    assert run_cli("i18n", "update", "csba", "--root", str(policies)).code == 0
    run = run_cli("i18n", "check", "csba", "--root", str(policies))
    assert run.code == 1
    po = (policies / "csba/locales/it.po").read_text()
    lines = po.splitlines()
    msgid = lines.index('msgid "You can leave %(name)s at any time."')
    fuzzy_line = max(n for n, line in enumerate(lines[:msgid], 1) if line.startswith("#,"))  # (at its flag)
    column = lines[fuzzy_line - 1].index("fuzzy") + 1
    assert (
        f"{policies}/csba/locales/it.po:{fuzzy_line}:{column}: error[G003]: it: fuzzy translation of "
        "'You can leave %(name)s at any time.' (its English changed)"
    ) in run.out
    assert '#| msgid "You can opt out of %(name)s at any time."' in po
    assert f"csba it: {one_short}, 1 fuzzy" in run.out

    # and the build refuses to publish the page with the stale translation
    build = run_cli("build", "--root", str(policies), "--out", str(policies.parent / "site"), "--at", "2025-01-01")
    assert build.code == 1 and "G003" in build.err and "nothing was written" in build.err
    assert not (policies.parent / "site").exists()


def test_obsolete_entries_and_placeholders_are_reported(policies: Path) -> None:
    po = policies / "cs_guidelines/locales/it.po"
    text = po.read_text()
    text = text.replace('msgstr "Amazon invia:"', 'msgstr "Amazon invia %(oops)s:"')
    text += '\n#~ msgid "Gone"\n#~ msgstr "Andato"\n'
    po.write_text(text)
    run = run_cli("i18n", "check", "cs_guidelines", "--root", str(policies))
    assert run.code == 1
    said = f"it.po:{place_of(po, '%(oops)s')}: error[G002]: it: the translation's placeholders (`%(oops)s`) differ from"
    assert said + " the English ones (none)" in run.out, run.out  # (at the placeholder the English lacks)
    assert "hint: keep the English message's placeholders and markup" in run.out
    assert re.search(r"it\.po:\d+:1: error\[G004\]: it: obsolete entry 'Gone'", run.out)
    assert run_cli("i18n", "update", "--drop-obsolete", "cs_guidelines", "--root", str(policies)).code == 0
    assert "Gone" not in po.read_text()


def test_completeness_counts_fuzzy_and_half_translated_plurals_as_not_done(policies: Path) -> None:
    import engine
    from engine.i18n import catalogs as i18n
    from engine.site import build as site

    po = policies / "csba/locales/it.po"
    text = po.read_text()
    # empty the plural form of one plural message, mark another message fuzzy
    text = re.sub(r'(msgstr\[1\] ")[^"]+(")', r"\1\2", text, count=1)
    text = text.replace('msgid "Service benefits"', '#, fuzzy\nmsgid "Service benefits"', 1)
    po.write_text(text)
    domain = site.plan(engine.load(str(policies))).domains["csba"]
    stats = {s.tag: s for s in i18n.check(domain).stats}["it"]
    assert (stats.translated, stats.missing, stats.fuzzy) == (stats.total - 2, 1, 1)
    with open(po, "rb") as f:
        babel_view = read_po(f)
    babel_done = sum(1 for m in babel_view if m.id and m.string and (not isinstance(m.string, tuple) or any(m.string)))
    assert babel_done == stats.total  # what Babel's own counting would claim: everything


def test_a_missing_catalog_blocks_its_pages(policies: Path) -> None:
    (policies / "csba/locales/es.po").unlink()
    run = run_cli("i18n", "check", "csba", "--root", str(policies))
    total = catalog_size(policies, "csba")
    assert f"{policies}/csba/locales/es.po:1:1: error[G002]: es: no catalog ({total} messages untranslated)" in run.out
    build = run_cli("build", "--root", str(policies), "--out", str(policies.parent / "out"), "--at", "2025-01-01")
    assert build.code == 1
    assert (
        f"es.po:1:1: error[G002]: es: no catalog ({total} messages untranslated)" in build.err
    )  # as `i18n check` says


@pytest.mark.parametrize("name", ["de_DE.po", "DE.po", "de-DE.po", "de_AT.po"])
def test_a_catalog_named_otherwise_than_its_locale_is_named_in_the_hint(init_repo: Path, name: str) -> None:
    """A translated catalog saved as `de_DE.po` (gettext's spelling) left `de.po` missing, and the hint
    said to run `i18n update`, which writes an empty `de.po` beside it; nothing ever read the translations."""
    locales = init_repo / "policies/returns/locales"
    (locales / "de.po").rename(locales / name)
    for args in (("i18n", "check"), ("validate",)):
        run = run_cli(*args, cwd=init_repo)
        assert run.code == 1, (args, run)
        assert (
            "policies/returns/locales/de.po:1:1: error[G002]: de: no catalog (" in run.out
            and f"\n  hint: rename `{name}` to `de.po`: a catalog is named by its locale id" in run.out
        ), (args, run)
    (locales / name).rename(locales / "notes.po")  # no longer meant for `de`: the kept check is not reused
    assert "hint: run `policyctl i18n update` and translate the new file" in run_cli("validate", cwd=init_repo).out
    (locales / "notes.po").rename(locales / "de.po")  # as the hint says
    assert run_cli("validate", cwd=init_repo).code == 0


def test_a_broken_catalog_is_a_problem_not_a_traceback(policies: Path) -> None:
    po = policies / "csba/locales/it.po"
    po.write_text(po.read_text().replace('msgid "Fees"', 'msgid "Fees', 1))
    run = run_cli("i18n", "check", "csba", "--root", str(policies))
    assert run.code == 1 and "it.po" in run.out and "the catalog cannot be read" in run.out


# -- what `build` refuses: everything `i18n check` refuses, and facts written into translations --------


def _build(policies: Path, *extra: str) -> CliRun:
    return run_cli(
        "build", "--root", str(policies), "--out", str(policies.parent / "out"), "--at", "2025-01-01", *extra
    )


@pytest.mark.parametrize("check", [False, True])
def test_build_refuses_a_translation_that_writes_a_figure_instead_of_its_placeholder(
    policies: Path, check: bool
) -> None:
    catalog = policies / "csba/locales/de.po"
    edit(
        catalog,
        'msgstr "Sie müssen diese Anfragen innerhalb von %(hours)s beantworten, auch',
        'msgstr "Sie müssen diese Anfragen innerhalb von 48 Stunden beantworten, auch',
    )
    where = place_of(catalog, 'msgstr "Sie müssen diese Anfragen innerhalb von 48 Stunden')  # (the msgstr)
    run = _build(policies, *(["--check"] if check else []))
    assert run.code == 1
    assert re.search(
        rf"de\.po:{where}: error\[G002\]: de: the translation's placeholders \(none\) differ from the "
        r"English ones \(`%\(hours\)s`\)",
        run.err,
    ), run
    assert run_cli("i18n", "check", "--root", str(policies)).code == 1


def test_validate_and_build_refuse_a_translation_that_states_a_fact(policies: Path) -> None:
    """A sentence without placeholders whose translation adds one of the program's figures (90, the
    trial's length): the page would keep saying 90 when the policy changes."""
    catalog = policies / "csba/locales/de.po"
    edit(
        catalog,
        'msgstr "Sie können sich jederzeit von %(name)s abmelden."',
        'msgstr "Sie können sich jederzeit von %(name)s abmelden, auch in den ersten 90 Tagen."',
    )
    expected = rf"de\.po:{place_of(catalog, '90 Tagen')}: error\[G006\]: de: the translation states `90`, a value of the fact `trial_days`"
    run = _build(policies)
    assert run.code == 1
    assert re.search(expected, run.err), run
    run = run_cli("validate", "--root", str(policies))  # the author sees it before building
    assert run.code == 1 and re.search(expected, run.out), run


_PLAIN_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|[a-z][a-z0-9+.-]*://[^\s)\]>\"]+", re.I)


@given(st.text(alphabet='aZ9+.-_@:/ あ)]>"\n', max_size=40))
def test_addresses_are_found_as_the_plain_pattern_finds_them(text: str) -> None:
    """G006's search for e-mail addresses and URLs in a translation, tried only where a run of
    their characters begins, finds what the pattern tried everywhere finds."""
    from engine.i18n.facts import addresses

    assert addresses(text) == _PLAIN_ADDRESS.findall(text)


@pytest.mark.parametrize("run", ['"あ" * 200_000', '"a9" * 100_000', '"a." * 100_000 + "@"'])
def test_a_long_translation_without_an_address_is_searched_once(run: str) -> None:
    """Tried at every position, a run of 200,000 word characters without `@` took the plain pattern
    ~20 billion steps (`validate` of a catalog with a 60,000-character translation: 13 s): far
    beyond the minute given here."""
    assert finishes(f"from engine.i18n.facts import addresses; print(addresses({run}))") == "[]\n"


def test_build_refuses_what_i18n_check_refuses(policies: Path) -> None:
    """A stale template (G005) and an obsolete entry (G004) were `i18n check`'s alone."""
    edit(
        policies / "csba/pages/help.md.j2", "{% trans %}Fees{% endtrans %}", "{% trans %}Fees and charges{% endtrans %}"
    )
    run = _build(policies, "--check")
    assert run.code == 1
    assert "csba/locales/messages.pot:1:1: error[G005]" in run.err
    assert run_cli("i18n", "update", "--root", str(policies)).code == 0
    run = _build(policies)
    assert re.search(r"csba/locales/de\.po:\d+:1: error\[G00[23]\]: de: .*'Fees and charges'", run.err), run
    assert re.search(r"csba/locales/de\.po:\d+:1: error\[G004\]: de: obsolete entry 'Fees'", run.err), run


def test_reformatting_a_policy_file_leaves_the_catalogs_current(policies: Path) -> None:
    """Label lines move when program.yaml is reformatted or a comment is added; the catalogs name
    files, not lines, so they stay current and `i18n extract` rewrites nothing."""
    program = policies / "csba/program.yaml"
    program.write_text(
        "# a comment that moves every label one line down\n\n" + program.read_text(encoding="utf-8"), encoding="utf-8"
    )
    before = {p: p.read_bytes() for p in policies.rglob("locales/*.po*")}
    assert run_cli("i18n", "check", "--root", str(policies)).code == 0
    assert run_cli("i18n", "extract", "--root", str(policies)).code == 0
    assert run_cli("i18n", "update", "--root", str(policies)).code == 0
    assert {p: p.read_bytes() for p in policies.rglob("locales/*.po*")} == before
    assert "#: program.yaml\n" in (policies / "csba/locales/messages.pot").read_text(encoding="utf-8")


@pytest.mark.parametrize("languages", [None, ("en", "de"), ("fr",)])
@pytest.mark.parametrize("tree", ["policies", "engine/starter/policies"])
def test_validate_checks_the_catalogs_build_plans(tree: str, languages: tuple[str, ...] | None) -> None:
    """`validate` finds the translation domains without the site builder; they are the plan's."""
    from engine.commands.validate import translation_domains
    from engine.model.repository import load
    from engine.site.build import plan

    repo = load(str(ROOT / tree))
    repo.languages = languages
    assert translation_domains(repo) == plan(repo).domains


def test_validate_plans_the_domains_of_a_narrowed_program(policies: Path) -> None:
    """A program written in fewer languages, a page offered in fewer marketplaces: the same domains."""
    from engine.commands.validate import translation_domains
    from engine.model.repository import load
    from engine.site.build import plan

    edit(policies / "csba" / "program.yaml", "languages: [en, de, es, it, zh-Hans]", "languages: [en, it]")
    repo = load(str(policies))
    assert translation_domains(repo) == plan(repo).domains
    assert translation_domains(repo)["csba"].locales == ("en", "it")


_EDGE_TEMPLATES = [
    "{% if x %}{{ y }",
    "{{ 1 + }} {{ 'unterminated",
    "{% trans %}a{% endtrans %}{{ 0x" + "f" * 10 + " }}",
    "{% for %}{{ '",
    "{{ 1" + "0" * 5000 + " }}",
    "{# Translators: hi #}\n{% trans n=3 %}  A  %%\n b {{ n }}{% endtrans %}{{ _('x %(a)s') }}",
    # extraction reads the check's tree (engine.templates.check.tree_for_extraction): calls as they are,
    # `trans` blocks with the texts and arguments extraction's own parse would give them
    "{# Translators: c #}\n{{ ngettext('a %(num)s', 'b  %(num)s', n) }}{{ pgettext('ctx', 'm  %%') }}\n{{ _('x') }}",
    "{% set trans = 1 %}{{ trans }}{{ _('a name `trans`') }}",
    "{% trans %}  50% \n  off {% endtrans %}{% trans x=1 %}100%% {{ x }}{% endtrans %}{% trans y=2 %}%(y)s{% endtrans %}",
    "{% trans 'ctx' count=n %}one\n {{ count }}{% pluralize %}  many {{ count }}\n{% endtrans %}",
    "{% trans num=items|length, who=user %}{{ who }}: {{ num }}{% pluralize num %}{{ num }}s{% endtrans %}",
    "{% trans c=f(_('inner')) %}{{ c }} x{% pluralize %}{{ c }} xs{% endtrans %}{% trans trimmed %} a\n b {% endtrans %}",
    "{% trans 'c' %}ctx only{% endtrans %}{% macro m() %}{% trans %}in a macro{% endtrans %}{% endmacro %}",
    "{% trans notrimmed %} kept\n as is {% endtrans %}{% trans %} trimmed\n here {% endtrans %}",
    "{% trans n=1 %}{% pluralize %}{% endtrans %}{{ gettext(*args) }}{{ _('a', **kw) }}",
]


def _templates_and_edges() -> list[tuple[str, str]]:
    found = sorted({*ROOT.glob("policies/**/*.j2"), *ROOT.glob("engine/**/*.j2")})
    return [(str(p), p.read_text(encoding="utf-8")) for p in found] + [
        (f"edge{i}.j2", t) for i, t in enumerate(_EDGE_TEMPLATES)
    ]


def _outcome(fn: Callable[[], object]) -> tuple[object, ...]:
    try:
        return ("ok", fn())
    except Exception as e:  # the error itself is what is compared
        return (type(e).__name__, getattr(e, "lineno", None), getattr(e, "message", str(e)))


@pytest.mark.parametrize("path, source", _templates_and_edges())
def test_templates_lexed_once_parse_and_extract_as_jinja_does(path: str, source: str) -> None:
    """validate lexes each template once for its checks and the catalogs' extraction: the same
    trees (lines too), messages, translator comments and errors as Jinja's own parse and
    babel_extract."""
    import io
    import os

    from jinja2 import Environment, nodes
    from jinja2.ext import babel_extract

    from engine.i18n import catalogs
    from engine.templates import check

    name = os.path.basename(path)
    plain = _outcome(lambda: Environment(extensions=["jinja2.ext.i18n"]).parse(source, name, path))
    shared = _outcome(lambda: check.parse(source, name, path))
    assert plain == shared
    if plain[0] == "ok":
        tree, mine = plain[1], shared[1]
        assert isinstance(tree, nodes.Template) and isinstance(mine, nodes.Template)  # parse's result
        lines = [(type(n).__name__, n.lineno) for n in tree.find_all(nodes.Node)]
        assert lines == [(type(n).__name__, n.lineno) for n in mine.find_all(nodes.Node)]

    def extracted(method: Callable[..., Iterable[object]]) -> list[object]:
        raw = io.BytesIO(source.encode("utf-8"))
        return list(method(raw, list(catalogs.KEYWORDS), catalogs.COMMENT_TAGS, catalogs.JINJA_OPTIONS))

    assert _outcome(lambda: extracted(babel_extract)) == _outcome(lambda: extracted(catalogs.jinja_extract))
    if plain[0] == "ok":  # the check's tree is shared exactly when no `trans` tag can differ
        named = any(kind == "name" and value == "notrimmed" for _, kind, value in Environment().lex(source))
        found = check.tree_for_extraction(source)  # (the tree of this text parsed last, under any name)
        assert (found is None) == named and (found is None or found == shared[1])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "The return window changed from {{ old }} to {{ new }}.",
            "The return window went from {{ old }} to {{ new }}.",
        ),
        # a long one: its `#| msgid` is written over several lines
        (
            "You can return an item within {{ days }} of delivery.",
            "You can return an item within {{ days }} of delivery, as every buyer in this marketplace can for any order.",
        ),
    ],
)
def test_update_keeps_a_fuzzy_entrys_old_english_as_it_is(init_repo: Path, old: str, new: str) -> None:
    """Babel's reader takes `#| msgid "..."` for a translator's comment: each `i18n update` after the
    first wrote it back as `# | msgid "..."`, a comment, and the catalog changed at every run."""
    page = init_repo / "policies" / "returns" / "pages" / "help.md.j2"
    edit(page, old, new)
    po = init_repo / "policies" / "returns" / "locales" / "de.po"
    assert run_cli("i18n", "update", cwd=init_repo).code == 0
    first = po.read_text(encoding="utf-8")
    assert "#| msgid" in first and "#, fuzzy" in first, first
    previous = next(line for line in first.splitlines() if line.startswith("#| msgid"))
    # another message changes: the catalog is written again, with the fuzzy entry as it was read
    edit(page, "You pay for the return shipping.", "You pay for the return shipping yourself.")
    for _ in range(2):
        assert run_cli("i18n", "update", cwd=init_repo).code == 0
        again = po.read_text(encoding="utf-8")
        assert previous in again and "# |" not in again, again


def test_drop_obsolete_rewrites_nothing_when_nothing_is_obsolete(init_repo: Path) -> None:
    """A catalog as another tool writes it (references with lines, its own header stamp; as the
    starter's German catalog was) was written again by `--drop-obsolete` with nothing to drop,
    while plain `update` left it alone."""
    po = init_repo / "policies/returns/locales/de.po"
    edit(po, "#: pages/help.md.j2\n", "#: pages/help.md.j2:9\n")
    edit(po, '"Generated-By: policyctl\\n"', '"Generated-By: Babel 2.19.0\\n"')
    catalogs = sorted((init_repo / "policies").rglob("locales/*.po*"))
    before = {p: p.read_bytes() for p in catalogs}
    run = run_cli("i18n", "update", "--drop-obsolete", cwd=init_repo)
    assert run.code == 0 and "updated" not in run.out, run
    assert {p: p.read_bytes() for p in catalogs} == before
    po.write_text(po.read_text(encoding="utf-8") + '\n#~ msgid "Gone"\n#~ msgstr "Weg"\n', encoding="utf-8")
    run = run_cli("i18n", "update", "--drop-obsolete", cwd=init_repo)
    assert run.code == 0 and "policies/returns/locales/de.po: updated" in run.out, run
    assert "Gone" not in po.read_text(encoding="utf-8")


def test_the_layouts_messages_are_translated_by_the_layouts_catalog(init_repo: Path) -> None:
    """A program catalog holding a message the layout writes too translated the layout's with it:
    Jinja names a `_site/` template without its prefix and runs the layout a page extends with the
    page's context, so the program's catalog was always asked first, and the layout's only when the
    program's lacked the message ("## What changed" came out as the page's own wording)."""
    page = init_repo / "policies/returns/pages/help.md.j2"
    edit(
        page,
        "{% block body %}\n",
        "{% block body %}\n{% trans %}What changed{% endtrans %}: {% trans %}nothing{% endtrans %}\n",
    )
    po = init_repo / "policies/returns/locales/de.po"
    entries = '\nmsgid "What changed"\nmsgstr "Was für Sie neu ist"\n\nmsgid "nothing"\nmsgstr "nichts"\n'
    po.write_text(po.read_text(encoding="utf-8") + entries, encoding="utf-8")
    assert run_cli("i18n", "update", cwd=init_repo).code == 0
    run = run_cli("build", "--at", "2025-06-01", cwd=init_repo)
    assert run.code == 0, run
    text = (init_repo / "generated_docs/returns/de/de/help.md").read_text(encoding="utf-8")
    assert "\nWas für Sie neu ist: nichts\n" in text and "\n## Was sich geändert hat\n" in text, text


# -- Plural-Forms against CLDR's rule for the language ---------------------------------------------

ARABIC_CLDR = "(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n % 100 >= 3 && n % 100 <= 10 ? 3 : n % 100 >= 11 && n % 100 <= 99 ? 4 : 5)"


@pytest.mark.parametrize(
    ("tag", "nplurals", "formula", "said"),
    [
        # an English header in an Arabic catalog: one text for 0, 2, 3, 11, 100, ...
        (
            "ar",
            2,
            "(n != 1)",
            "gives 0 and 2 the same form (`msgstr[1]`), which CLDR's rule for `ar` tells apart (`zero` and `two`)",
        ),
        (
            "ar",
            6,
            "(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n % 100 >= 3 && n % 100 <= 10 ? 3 : 5)",
            "gives 11 and 100 the same form (`msgstr[5]`), which CLDR's rule for `ar` tells apart (`many` and `other`)",
        ),
        (
            "de",
            1,
            "0",
            "gives 0 and 1 the same form (`msgstr[0]`), which CLDR's rule for `de` tells apart (`other` and `one`)",
        ),
        ("de", 2, "(n > 1)", "gives 0 and 1 the same form (`msgstr[0]`)"),
        ("pl", 2, "(n != 1)", "gives 0 and 2 the same form (`msgstr[1]`)"),
        # what tells apart what the language tells apart is right, whatever its numbering
        ("ar", 6, ARABIC_CLDR, None),
        (
            "ar",
            6,
            "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5)",
            None,
        ),  # gettext's
        ("de", 2, "(n != 1)", None),
        ("de", 2, "(n == 1)", None),  # the forms numbered the other way round
        ("fr", 2, "(n > 1)", None),  # gettext's traditional French; CLDR's third form is for a million
        ("it", 2, "(n != 1)", None),
        ("es", 2, "(n != 1)", None),
        ("ru", 3, "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)", None),
        ("zh-Hans", 1, "0", None),
        ("ja", 2, "(n != 1)", None),  # more forms than the language has: each is right
    ],
)
def test_a_plural_formula_is_compared_with_cldrs_rule(tag: str, nplurals: int, formula: str, said: str | None) -> None:
    from engine.i18n.catalogs import plural_disagreement

    found = plural_disagreement(tag, formula, nplurals)
    assert (found is None) if said is None else (found is not None and said in found), found


@pytest.mark.parametrize("plural", [False, True])
def test_a_plural_forms_header_that_disagrees_with_the_language_is_refused_at_its_line(
    init_repo: Path, plural: bool
) -> None:
    """A German catalog headed `nplurals=2; plural=(n > 1);` (French's) was read silently: a page
    said "0 Tag". An error when a message has a plural (counted refused), else a warning."""
    po = init_repo / "policies/returns/locales/de.po"
    if plural:
        edit(
            init_repo / "policies/returns/pages/help.md.j2",
            "{% block body %}\n",
            "{% block body %}\n{% trans count=p.return_window_days %}One day.{% pluralize %}"
            "{{ count }} days.{% endtrans %}\n",
        )
        assert run_cli("i18n", "update", cwd=init_repo).code == 0
        edit(po, 'msgstr[0] ""\nmsgstr[1] ""', 'msgstr[0] "Ein Tag."\nmsgstr[1] "%(count)s Tage."')
    edit(po, "nplurals=2; plural=(n != 1);", "nplurals=2; plural=(n > 1);")
    line = po.read_text(encoding="utf-8").split("\n").index('"Plural-Forms: nplurals=2; plural=(n > 1);\\n"') + 1
    run = run_cli("i18n", "check", cwd=init_repo)
    severity = "error" if plural else "warning"
    assert (
        f"policies/returns/locales/de.po:{line}:1: {severity}[G002]: de: its Plural-Forms header "
        "(`nplurals=2; plural=(n > 1);`) gives 0 and 1 the same form (`msgstr[0]`), which CLDR's rule for `de` "
        "tells apart (`other` and `one`); "
        + ("1 plural message would be shown in the wrong form\n" if plural else "no message has a plural yet")
    ) in run.out, run
    assert '  hint: write `"Plural-Forms: nplurals=2; plural=(n != 1);\\n"` (CLDR\'s rule for `de`' in run.out, run
    assert run.code == (1 if plural else 0), run
    assert ("returns de: 8 of 9 translated (88.9%), 1 refused" if plural else "returns de: 8 of 8") in run.out, run


def test_cldrs_plural_rules_known_without_babel_are_babels() -> None:
    """Each language's entry of CLDR_PLURALS, for every locale of it CLDR has (its regions and
    scripts: `pt-PT` has its own rule), is what Babel gives, so `i18n update` writes it."""
    from babel.localedata import locale_identifiers
    from babel.messages.plurals import get_plural

    from engine.i18n.catalogs import CLDR_PLURALS, cldr_plurals

    tags = [i.replace("_", "-") for i in locale_identifiers() if i.split("_")[0] in CLDR_PLURALS]
    assert len(tags) > len(CLDR_PLURALS)
    for tag in tags:
        rule = get_plural(tag.replace("-", "_"))
        assert cldr_plurals(tag) == (rule.num_plurals, rule.plural_expr), tag


def test_the_layouts_brackets_and_separators_are_the_translators(init_repo: Path) -> None:
    """The brackets and the separator around "page before" / "page after" in "What changed" and
    around a marketplace's site were written outside the messages: Chinese pages had ASCII
    brackets. A translation's own brackets are published (here 【】 in German, to see them)."""
    from engine.packaged import default_site_dir

    site = init_repo / "policies/_site"
    shutil.copytree(default_site_dir(), site)
    po = site / "locales/de.po"
    edit(po, 'msgid " (%(link)s)"\nmsgstr " (%(link)s)"', 'msgid " (%(link)s)"\nmsgstr "【%(link)s】"')
    edit(
        po,
        'msgid "%(marketplace)s (%(site)s)"\nmsgstr "%(marketplace)s (%(site)s)"',
        'msgid "%(marketplace)s (%(site)s)"\nmsgstr "%(marketplace)s【%(site)s】"',
    )
    built = run_cli("build", "--at", "2025-06-01", "--out", str(init_repo / "out"), cwd=init_repo)
    assert built.code == 0, built
    page = init_repo / "out/returns/de/de/help"
    markdown, html = page.with_suffix(".md").read_text("utf-8"), page.with_suffix(".html").read_text("utf-8")
    assert "(bisher 30 Tage).【[Seite davor](original/help.md)】\n" in markdown, markdown
    assert ">Deutschland【example.de】</span>" in html, html
    english = (init_repo / "out/returns/de/en/help.md").read_text("utf-8")
    assert "from 30 days to 45 days. ([page before](original/help.md))\n" in english, english


def test_update_says_what_it_left_unchanged_as_extract_does(init_starter: Path, tmp_path: Path) -> None:
    """`i18n extract` said "messages.pot: unchanged"; `i18n update`, nothing at all."""
    top = tmp_path / "repo"
    shutil.copytree(init_starter / "policies", top / "policies")
    (top / "policyctl.toml").write_bytes((init_starter / "policyctl.toml").read_bytes())
    pot, po = "policies/returns/locales/messages.pot", "policies/returns/locales/de.po"
    assert run_cli("i18n", "extract", cwd=top).out == f"{pot}: unchanged\n"
    assert run_cli("i18n", "update", cwd=top).out == f"{pot}: unchanged\n{po}: unchanged\n"
    (top / pot).unlink()
    assert run_cli("i18n", "update", cwd=top).out == f"{pot}: updated\n{po}: unchanged\n"


HELP_PAGE = "policies/returns/pages/help.md.j2"
PAY = "{% trans %}You pay for the return shipping."
DESCRIPTION = "during which a buyer may return an item."


@pytest.mark.parametrize(
    ("edits", "first", "more", "comment"),
    [
        (
            [(HELP_PAGE, PAY, "{# Translators: the buyer pays, not the seller. #}\n" + PAY)],
            "You pay for the return shipping.",
            "",
            "the buyer pays, not the seller.",
        ),
        (  # a parameter's description is its label's comment
            [("policies/returns/program.yaml", DESCRIPTION, "during which a buyer may send an item back.")],
            "Return window",
            "",
            "may send an item back.",
        ),
        (
            [
                (HELP_PAGE, PAY, "{# Translators: the buyer pays. #}\n" + PAY),
                ("policies/returns/program.yaml", DESCRIPTION, "in which an item may be sent back."),
            ],
            "You pay for the return shipping.",
            " and 1 other message",
            "the buyer pays.",
        ),
    ],
    ids=["a template's comment", "a parameter's description", "both"],
)
def test_a_catalog_whose_translators_comments_changed_is_stale(
    init_repo: Path, edits: list[tuple[str, str, str]], first: str, more: str, comment: str
) -> None:
    """A comment changed in a template (`i18n extract` writes the POT alone): nothing said the
    catalogs stale, though `i18n update` rewrites their `#.` lines, the context translators read."""
    for file, old, new in edits:
        edit(init_repo / file, old, new)
    assert run_cli("i18n", "extract", cwd=init_repo).code == 0
    po = init_repo / "policies/returns/locales/de.po"
    line = po.read_text(encoding="utf-8").splitlines().index(f'msgid "{first}"') + 1
    stale = (
        f"policies/returns/locales/de.po:{line}:1: error[G005]: de: the translators' comment of '{first}'{more}"
        " is not the template's (`#.` lines): the catalog is stale\n  hint: run `policyctl i18n update` (it"
        " writes the templates' comments into each catalog), then check each translation against its new comment\n"
    )
    for command in (("i18n", "check"), ("validate",)):
        run = run_cli(*command, cwd=init_repo)
        assert run.code == 1 and stale in run.out and run.out.count("error[") == 1, run
    assert run_cli("i18n", "update", cwd=init_repo).code == 0
    assert comment in " ".join(po.read_text(encoding="utf-8").replace("\n#.", "").split())  # (as words: wrapped)
    assert run_cli("i18n", "check", cwd=init_repo).code == 0
