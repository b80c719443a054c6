"""What a translation is refused for, and how the refusal reads: placeholders of plural forms as
gettext's tools judge them (G002), the sentence naming the message; and how `i18n check` counts them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.i18n.catalogs import Domain, forms_problem
from engine.i18n.translator import Translator
from support import edit, run_cli


def _line_of(path: Path, text: str) -> int:
    """The line of the `msgid` of the entry whose translation contains ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if text in line)
    return next(i for i in range(at, -1, -1) if lines[i].startswith("msgid ")) + 1


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
    assert checked.code == 0 and "returns de: 8 of 8 translated (100.0%)" in checked.out, checked
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
    line = _line_of(po, "Sie haben Tage")
    said = (
        f"policies/returns/locales/de.po:{line}:1: error[G002]: de: `msgstr[1]` of the translation of "
        "'You have one day to return an item.' leaves out `%(count)s` of the English plural "
        "'You have %(count)s days to return an item.', though the form is used for many numbers"
    )
    checked = run_cli("i18n", "check", cwd=init_repo)
    assert checked.code == 1 and said in checked.out, checked
    assert "returns de: 7 of 8 translated (87.5%), 1 refused" in checked.out, checked
    data = run_cli("i18n", "check", "--format", "json", cwd=init_repo)
    returns = next(s for s in json.loads(data.out)["locales"] if s["domain"] == "returns")
    assert (returns["translated"], returns["missing"], returns["refused"]) == (7, 0, 1)
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
    assert "returns de: 6 of 7 translated (85.7%), 1 refused" in checked.out, checked
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
