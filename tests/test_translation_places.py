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


# (a PO text, the `msgid` line of the entry a missing message belongs before (None: none), the line
# where it belongs: the first of that entry's comments and context)
MISSING_PLACES = [
    ('msgid "a"\nmsgstr "b"\n\n#: x.j2\n#, python-format\nmsgid "c"\nmsgstr "d"\n', 6, 4),
    # a context written on two lines; entries without a blank line between them
    ('msgid "a"\nmsgstr ""\n"b"\n#. note\nmsgctxt ""\n"label"\nmsgid "c"\nmsgstr "d"\n', 7, 4),
    ('msgid "a"\nmsgstr ""\n"b"\nmsgid "c"\nmsgstr "d"\n', 4, 4),
    # none after it: the file's last line
    ('msgid "a"\nmsgstr "b"\n\n', None, 2),
]


@pytest.mark.parametrize("text, following, line", MISSING_PLACES)
def test_missing_place(text: str, following: int | None, line: int) -> None:
    assert po.missing_place(text, following) == line


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


# A message the German catalog has no entry for: (what is edited, the text, what it becomes; the
# message's msgid, its PO entry as the hint gives it to add; where its English is written: the file
# and a text on that line; the msgid of the entry it belongs before, None: at the catalog's end)
MISSING = {
    "a sentence added to a page": (
        "returns/pages/help.md.j2",
        "{% trans %}You can return",
        "{% trans %}Keep the receipt.{% endtrans %}\n{% trans %}You can return",
        "Keep the receipt.",
        'msgid "Keep the receipt."',
        ("returns/pages/help.md.j2", "Keep the receipt."),
        "You can return an item within %(days)s of delivery.",
    ),
    "a plural message added": (
        "returns/pages/help.md.j2",
        "{% trans %}You pay for",
        '{% trans count=2 %}{{ count }} "box".{% pluralize %}{{ count }} "boxes".{% endtrans %}\n{% trans %}You pay for',
        '%(count)s "box".',
        'msgid "%(count)s \\"box\\"." msgid_plural "%(count)s \\"boxes\\"."',
        ("returns/pages/help.md.j2", '"boxes"'),
        "You pay for the return shipping.",
    ),
    "a label's entry deleted (the last)": (
        "returns/locales/de.po",
        'msgctxt "parameter:return_window_days"\nmsgid "Return window"\nmsgstr "Rückgabefrist"\n',
        "",
        "Return window",
        'msgctxt "parameter:return_window_days" msgid "Return window"',
        ("returns/program.yaml", "label: Return window"),
        None,
    ),
}


@pytest.fixture(scope="module")
def missing(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The starter whose German catalog lacks each MISSING message, and what each command says."""
    from engine.commands.serve import Preview

    top = tmp_path_factory.mktemp("missing") / "repo"
    shutil.copytree(init_starter, top)
    for file, old, new, *_ in MISSING.values():
        edit(top / "policies" / file, old, new)
    assert run_cli("i18n", "extract", cwd=top).code == 0  # (the template up to date: only de.po lacks them)
    runs = {
        "i18n check": run_cli("i18n", "check", cwd=top),
        "validate": run_cli("validate", cwd=top),
        "build": run_cli("build", "--at", "2025-06-01", "--out", str(top / "out"), cwd=top),
    }
    assert all(run.code == 1 for run in runs.values()), runs
    said = {name: run.out + run.err for name, run in runs.items()}
    problems = Preview(str(top / "policies")).page("returns/de/de/help.html", "2025-06-01")[3]
    said["serve"] = "".join(  # (its paths from the repository's top, as the commands run there say them)
        f"{PO}:{p.line}:{p.col}: {p.severity}[{p.code}]: {p.message}\n  hint: {p.hint}\n".replace(f"{top}/", "")
        for p in problems
        if p.file.endswith(PO)
    )
    return top, said


@pytest.mark.parametrize("command", ["i18n check", "validate", "build", "serve"])
@pytest.mark.parametrize("case", MISSING)
def test_a_message_missing_from_a_catalog_is_pointed_at_where_its_entry_belongs(
    missing: tuple[Path, dict[str, str]], case: str, command: str
) -> None:
    """It was pointed at the template's line, the catalog the translator edits only named, and the
    hint did not say what to add: now at the catalog's line where `i18n update` puts the entry
    (before the entry of the next message the catalog has, else at its end), the English's place
    in the message, and the hint the entry to add (`msgctxt`, `msgid_plural` too) and the file."""
    top, said = missing
    _file, _old, _new, english, entry, (written, text), before = MISSING[case]
    lines = (top / PO).read_text(encoding="utf-8").split("\n")
    if before is None:
        line = len((top / PO).read_text(encoding="utf-8").rstrip().split("\n"))
    else:
        msgid = lines.index(f'msgid "{before}"')
        line = next(n for n in range(msgid, 0, -1) if not lines[n - 1].startswith("#")) + 1
    source = (top / "policies" / written).read_text(encoding="utf-8").split("\n")
    at = next(n for n, t in enumerate(source, 1) if text in t)
    expected = (
        f"{PO}:{line}:1: error[G002]: de: no translation of {english!r} (written at policies/{written}:{at}): the "
        f"catalog has no entry for it\n  hint: add `{entry}` and its translation (`msgstr`) to {PO}, here "
        "(`policyctl i18n update` adds every missing entry)\n"
    )
    assert said[command].count(expected) == 1, said[command]
