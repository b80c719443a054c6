"""A translation refused for its placeholders (G002) or for a fact it writes (G006) is the
translator's mistake in its `msgstr` (`msgstr[n]`): `i18n check`, `validate`, `build` and the
preview point there, at the wrong placeholder or the fact when there is one, not at the `msgid`."""

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
