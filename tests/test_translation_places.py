"""A translation refused for its placeholders or markup (G002) or for a fact it writes (G006) is
the translator's mistake in its `msgstr` (`msgstr[n]`): `i18n check`, `validate`, `build` and the
preview point there, at the wrong placeholder, the markup or the fact when there is one, not at
the `msgid`. A fuzzy translation (G003) is settled at its `fuzzy` flag."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.i18n import po
from support import CliRun, edit, run_cli

PO = "policies/returns/locales/de.po"

# (the English of a message of the starter, its German as translated, the German as edited, what
# the problem points at in the edited translation (None: the msgstr keyword), code)
CASES = {
    "a placeholder renamed": (
        "You can return an item within %(days)s of delivery.",
        'msgstr "Sie können einen Artikel bis %(days)s nach der Lieferung zurückgeben."',
        'msgstr "Sie können einen Artikel bis %(tage)s nach der Lieferung zurückgeben."',
        "%(tage)s",
        "G002",
    ),
    "a placeholder renamed on a continued line": (
        "The return window will change from %(old)s to %(new)s.",
        'msgstr "Die Rückgabefrist beträgt künftig %(new)s (bis dahin %(old)s)."',
        'msgstr ""\n"Die Rückgabefrist beträgt künftig %(new)s "\n"(bis dahin %(alt)s)."',
        "%(alt)s",
        "G002",
    ),
    "a translation left empty": (
        "Returning an item is free: we pay for the return label.",
        'msgstr "Die Rücksendung ist kostenlos: Wir bezahlen das Rücksendeetikett."',
        'msgstr ""',
        None,
        "G002",
    ),
    "a date after escaped quotes": (
        "You pay for the return shipping.",
        'msgstr "Die Kosten der Rücksendung tragen Sie."',
        'msgstr "Die \\"Kosten\\" der Rücksendung tragen Sie seit dem 1. Januar 2025."',
        "1. Januar 2025",
        "G006",
    ),
    "a date after the placeholders": (
        "The return window changed from %(old)s to %(new)s.",
        'msgstr "Die Rückgabefrist beträgt jetzt %(new)s (bisher %(old)s)."',
        'msgstr "Die Rückgabefrist beträgt jetzt %(new)s (bisher %(old)s, bis zum 1. Januar 2025)."',
        "1. Januar 2025",
        "G006",
    ),
    "a link added": (
        "**Example:** an item delivered %(after)s ago can still be returned.",
        "kann noch zurückgegeben werden.",
        "kann noch zurückgegeben werden ([mehr](https://example.com/rueckgabe)).",
        "https://example.com/rueckgabe",
        "G002",
    ),
    # of several tags, the first in the text (it was the first in sort order: `</u>`)
    "HTML added on a continued line": (
        "**Example:** an item delivered %(after)s ago can no longer be returned.",
        '"werden."',
        '"<u>werden</u>.<br>"',
        "<u>",
        "G002",
    ),
    "a figure in a label (msgctxt)": (
        "Return window",
        'msgstr "Rückgabefrist"',
        'msgstr "Rückgabefrist (30 Tage)"',
        "30 Tage",
        "G006",
    ),
}


def _place(catalog: Path, english: str, wrong: str | None) -> tuple[int, int]:
    """(line, column) of ``wrong`` in the translation of ``english``, or of its `msgstr`."""
    lines = catalog.read_text(encoding="utf-8").split("\n")
    start = lines.index(f'msgid "{english}"')
    for number in range(start + 1, len(lines)):
        if wrong is None and lines[number].startswith("msgstr"):
            return number + 1, 1
        if wrong is not None and wrong in lines[number]:
            return number + 1, lines[number].index(wrong) + 1
    raise AssertionError(f"{wrong!r} is not in the translation of {english!r}")


@pytest.fixture(scope="module")
def misplaced(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The starter with every case's mistake in its German catalog, and what each command says
    (each run once for the module)."""
    from engine.commands.serve import Preview

    top = tmp_path_factory.mktemp("misplaced") / "repo"
    shutil.copytree(init_starter, top)
    for _english, old, new, _wrong, _code in CASES.values():
        edit(top / PO, old, new)
    runs: dict[str, CliRun] = {
        "i18n check": run_cli("i18n", "check", cwd=top),
        "validate": run_cli("validate", cwd=top),
        "build": run_cli("build", "--at", "2025-06-01", "--out", str(top / "out"), cwd=top),
    }
    said = {name: run.out + run.err for name, run in runs.items()}
    assert all(run.code == 1 for run in runs.values()), runs
    preview = Preview(str(top / "policies"))
    _status, _kind, _body, problems = preview.page("returns/de/de/help.html", "2025-06-01")
    said["serve"] = "".join(
        f"{PO}:{p.line}:{p.col}: {p.severity}[{p.code}]: {p.message}\n" for p in problems if p.file.endswith(PO)
    )
    return top, said


@pytest.mark.parametrize("command", ["i18n check", "validate", "build", "serve"])
@pytest.mark.parametrize("case", CASES)
def test_a_refused_translation_is_pointed_at_in_its_msgstr(
    misplaced: tuple[Path, dict[str, str]], case: str, command: str
) -> None:
    top, said = misplaced
    english, _old, _new, wrong, code = CASES[case]
    line, column = _place(top / PO, english, wrong)
    where = f"{PO}:{line}:{column}: error[{code}]: de: "
    assert said[command].count(where) == 1, said[command]  # (said once: the page's render says the same)


# (a PO text, the msgid's line, the form, the offset into the translation: where it is written)
PLACES = [
    ('msgid "a"\nmsgstr "b"\n', 1, 0, None, (2, 1)),
    ('msgid "a"\nmsgstr "bcd"\n', 1, 0, 2, (2, 11)),
    # a plural message's form: its `msgstr[n]`, whichever order the forms are written in
    ('msgid "a"\nmsgid_plural "as"\nmsgstr[1] "xy"\nmsgstr[0] "x"\n', 1, 1, 1, (3, 13)),
    ('msgid "a"\nmsgid_plural "as"\nmsgstr[0] "x"\nmsgstr[1] "xy"\n', 1, 0, None, (3, 1)),
    # continued strings, an escape counted as one character, indentation
    ('msgid "a"\n  msgstr ""\n  "b\\"c"\n  "de"\n', 1, 0, 3, (4, 4)),
    # past the translation's end: its keyword
    ('msgid "a"\nmsgstr "b"\n', 1, 0, 5, (2, 1)),
    # no such entry or form at that line: None (the caller says the msgid's line)
    ('msgid "a"\nmsgstr "b"\n', 2, 0, None, None),
    ('msgid "a"\nmsgstr "b"\n\n#: x\nmsgid "c"\nmsgstr[1] "d"\n', 1, 1, None, None),
]


@pytest.mark.parametrize("text, line, form, offset, place", PLACES)
def test_msgstr_place(text: str, line: int, form: int, offset: int | None, place: tuple[int, int] | None) -> None:
    assert po.msgstr_place(text, line, form, offset) == place


# (the English, a translation refused for its markup, the markup it is pointed at)
MARKUP = {
    "a % conversion": ("%(n)s days", "%(n)s Tage, 100%s", "%s"),
    "a % conversion after %%": ("%(n)s days", "%% %(n)s Tage %d", "%d"),
    "emphasis lost": ("**Note:** free", "**Hinweis：**kostenlos", "**"),
    "a link's target": ("[help](/help)", "[Hilfe](/help) [mehr](/mehr)", "/mehr"),
    "a definition": ("see [help]", "siehe [hilfe]\n\n[Hilfe]: /x", "[Hilfe]:"),
    "a reference": ("see help", "siehe [Hilfe][Ref]", "[Ref]"),
    "an image": ("a picture", "ein ![Bild](/help)", "!["),
    "raw HTML": ("help", "Hilfe <script>", "<script>"),
    "an autolink": ("help", "Hilfe <https://example.com>", "<https://example.com>"),
}


@pytest.mark.parametrize("english, translation, markup", MARKUP.values(), ids=MARKUP.keys())
def test_a_markup_refusal_points_at_the_markup(english: str, translation: str, markup: str) -> None:
    """It pointed at the `msgstr` keyword, however long the translation."""
    from engine.i18n.catalogs import markup_problem

    refused = markup_problem([english], translation)
    assert refused is not None and refused[1] == translation.index(markup), refused


# (a translation adding several kinds or pieces of markup to "help", what the problem names first
# and where: the most telling kind, and of it the first in the text)
SEVERAL = [
    ("Hilfe <u>hier</u> und <b>dort</b>", "`<u>`", "<u>"),  # (by sort order: `</b>`, at its place)
    ("<b>Hilfe</b> <a href=x>", "`<b>`", "<b>"),
    ("[mehr](/b) [Hilfe](/a)", "`/b`", "/b"),
    ("[mehr](/b) <i>Hilfe</i>", "`<i>`", "<i>"),  # (HTML says more than a link's target)
]


@pytest.mark.parametrize("translation, named, markup", SEVERAL)
def test_of_several_pieces_of_markup_the_first_in_the_text_is_named(translation: str, named: str, markup: str) -> None:
    from engine.i18n.catalogs import markup_problem

    refused = markup_problem(["help"], translation)
    assert refused is not None and named in refused[0] and refused[1] == translation.index(markup), refused


# (a PO text, the msgid's line: where its `fuzzy` flag is, and whether it is its line's only flag)
FLAGS = [
    ('#, fuzzy\nmsgid "a"\nmsgstr "b"\n', 2, (1, 4, True)),
    ('#: x.j2\n#, python-format, fuzzy\n#| msgid "old"\nmsgctxt "c"\nmsgid "a"\nmsgstr "b"\n', 5, (2, 19, False)),
    ('#,fuzzy ,python-format\nmsgid "a"\nmsgstr "b"\n', 2, (1, 3, False)),
    ('#, fuzzy\n#~ msgid "a"\n#~ msgstr "b"\n', 2, (1, 4, True)),
    # not this entry's: the previous entry's flag, a flag that only contains the word, no flag
    ('#, fuzzy\nmsgid "a"\nmsgstr "b"\n\nmsgid "c"\nmsgstr "d"\n', 5, None),
    ('#, no-fuzzy\nmsgid "a"\nmsgstr "b"\n', 2, None),
    ('msgid "a"\nmsgstr "b"\n', 1, None),
]


@pytest.mark.parametrize("text, line, place", FLAGS)
def test_flag_place(text: str, line: int, place: tuple[int, int, bool] | None) -> None:
    assert po.flag_place(text, line, "fuzzy") == place


# (the English of a message of the starter, its flags as `update` writes them, with `fuzzy` added)
FUZZY = {
    "the only flag": (
        "Returning an item is free: we pay for the return label.",
        '#: pages/help.md.j2\nmsgid "Returning an item',
        '#: pages/help.md.j2\n#, fuzzy\nmsgid "Returning an item',
        "the `#, fuzzy` line",
    ),
    "after another flag": (
        "You can return an item within %(days)s of delivery.",
        '#, python-format\nmsgid "You can return',
        '#, python-format, fuzzy\nmsgid "You can return',
        "`fuzzy` from its `#,` line (keep the other flags)",
    ),
}


@pytest.fixture(scope="module")
def fuzzy(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The starter with each FUZZY message flagged fuzzy, and what each command says of it."""
    from engine.commands.serve import Preview

    top = tmp_path_factory.mktemp("fuzzy") / "repo"
    shutil.copytree(init_starter, top)
    for _english, old, new, _hint in FUZZY.values():
        edit(top / PO, old, new)
    said = {
        name: run_cli(*args, cwd=top) for name, args in (("i18n check", ("i18n", "check")), ("validate", ("validate",)))
    }
    assert all(run.code == 1 for run in said.values()), said
    texts = {name: run.out + run.err for name, run in said.items()}
    problems = Preview(str(top / "policies")).page("returns/de/de/help.html", "2025-06-01")[3]
    texts["serve"] = "".join(f"{PO}:{p.line}:{p.col}: {p.severity}[{p.code}]: {p.message}\n" for p in problems)
    return top, texts


@pytest.mark.parametrize("command", ["i18n check", "validate", "serve"])
@pytest.mark.parametrize("case", FUZZY)
def test_a_fuzzy_translation_is_pointed_at_its_flag(
    fuzzy: tuple[Path, dict[str, str]], case: str, command: str
) -> None:
    """It pointed at the `msgid`; the translator settles it at the flag (and `#, python-format,
    fuzzy` was told to remove the whole line, the other flag with it)."""
    top, said = fuzzy
    english, _old, _new, hint = FUZZY[case]
    lines = (top / PO).read_text(encoding="utf-8").split("\n")
    flags = lines.index(f'msgid "{english}"') - 1
    where = f"{PO}:{flags + 1}:{lines[flags].index('fuzzy') + 1}: error[G003]: de: "
    assert said[command].count(where) == 1, said[command]
    if command == "i18n check":
        assert f"hint: check the translation against the new English, then remove {hint}\n" in said[command]
