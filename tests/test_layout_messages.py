"""The layout's separators and the spaces around its markers are messages: a translator changes
them in the layout's catalog (` · ` between links, how a page's `<title>` joins its parts, the
"not yet confirmed" marker with the space before it), and the page follows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import ROOT, edit, run_cli

# German translations of the default layout's separators, as a translator who wants others writes
# them (the marker as Chinese writes its own: no space, no emphasis)
TRANSLATED = {
    "%(page)s · %(marketplace)s": "%(page)s – %(marketplace)s",
    "%(title)s · %(edition)s": "%(title)s (%(edition)s)",
    " · ": " | ",
    " *(not yet confirmed)*": "（noch nicht bestätigt）",
}


@pytest.fixture(scope="module")
def site(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`policyctl init`'s starter with a copy of the default layout whose German catalog says
    TRANSLATED, and its 45-day return window an assumption; built once, after its dated change."""
    top = tmp_path_factory.mktemp("layout") / "repo"
    shutil.copytree(init_starter, top)
    shutil.copytree(ROOT / "policies/_site", top / "policies/_site")
    catalog = top / "policies/_site/locales/de.po"
    text = catalog.read_text(encoding="utf-8")
    for msgid, msgstr in TRANSLATED.items():
        old = text.split(f'msgid "{msgid}"\nmsgstr "', 1)[1].split('"\n', 1)[0]
        edit(catalog, f'msgid "{msgid}"\nmsgstr "{old}"', f'msgid "{msgid}"\nmsgstr "{msgstr}"')
    edit(
        top / "policies/returns/program.yaml",
        "        value: 45\n        source: the returns policy, 2025 edition\n",
        "        value: 45\n        assumption: the 2025 edition is still a draft\n",
    )
    out = top / "out"
    run = run_cli("build", "--root", str(top / "policies"), "--out", str(out), "--at", "2025-06-01")
    assert run.code == 0, run
    return out


@pytest.mark.parametrize(
    "page, english, german",
    [
        ("help.html", "<title>Returns · United States</title>", "<title>Rücksendungen – Deutschland</title>"),
        (
            "original/help.html",
            "<title>Returns · Past edition, before January 1, 2025 · United States</title>",
            "<title>Rücksendungen (Frühere Fassung, gültig vor dem 1. Januar 2025) – Deutschland</title>",
        ),
        (
            "help.html",
            'All help pages</a> · <a href="help.md"',
            'Alle Hilfeseiten</a> | <a href="help.md"',
        ),
        # the marker after an assumed value the page shows, with the space before it (the
        # translator's: none here), and after a sentence the template marks
        (
            "help.md",
            "within 45 days *(not yet confirmed)* of delivery.",
            "bis 45 Tage（noch nicht bestätigt） nach der Lieferung",
        ),
        (
            "help.md",
            "can still be returned. *(not yet confirmed)*\n",
            "kann noch zurückgegeben werden.（noch nicht bestätigt）\n",
        ),
    ],
)
def test_a_translator_changes_the_layouts_separators(site: Path, page: str, english: str, german: str) -> None:
    assert english in (site / "returns/us/en" / page).read_text(encoding="utf-8")  # (the English as before)
    assert german in (site / "returns/de/de" / page).read_text(encoding="utf-8")
