"""Links between pages (G011, engine.site.links): every relative link a page template writes leads
to a file the build makes, and its `#fragment` to an id of that page; `build`, `build --check` and
the preview say each broken one at the template line that wrote it.

One build of `policyctl init`'s starter, with a second program (`refunds`, a copy) and one link per
line added to the `returns` page, serves every case (a module-scoped fixture; the cases read it).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.site.links import Checker, Origin, resolve
from support import copy_program, edit, run_cli

TEMPLATE = "policies/returns/pages/help.md.j2"
FIRST = 21  # the line of the first link below (after `{% block body %}`)
HERE = "on the page for marketplace `us`, language `en`: `returns/us/en/help.md` links to"
BESIDE = (
    "a link is relative to the page's folder `returns/us/en/` (beside it: help.html, help.md); to another program's"
    " page, use `programs.ID.href` (none where that program has no page in the page's marketplace and language)"
)
TRANSLATED = (
    "`#returns` is an id of this page in `en`, not here (the ids on `returns/de/de/help.html`: content,"
    " rücksendungen, was-sich-geändert-hat): a heading's id is made from its text, which each language words"
    " its own; write the link in the translated text (each language's catalog then gives its own fragment),"
    " or link to the page itself, `help.md` (missing on the pages for marketplace `de`, language `de`, edition"
    " `original` too)"
)
EDITION = (
    "from the current page it leads to `{}`, but a past edition is a folder deeper (`returns/us/en/original/`):"
    " link to a page of another folder through the page context (`programs.ID.href`; `edition_links`), not by a path"
)

# (the line the template gets, (column, message, hint) of its G011, or None: the link leads somewhere)
CASES: list[tuple[str, tuple[int, str, str] | None]] = [
    (
        "[fees](fees.md)",
        (
            8,
            f"the link `fees.md` leads to no page of the site ({HERE} `returns/us/en/fees.md`, which the build does not make)",
            BESIDE,
        ),
    ),
    (
        "[misspelt](hlep.md)",
        (
            12,
            f"the link `hlep.md` leads to no page of the site ({HERE} `returns/us/en/hlep.md`, which the build does not make)",
            "did you mean `help.md`?",
        ),
    ),
    (
        "[a language not published](../fr/help.md)",
        (
            28,
            f"the link `../fr/help.md` leads to no page of the site ({HERE} `returns/us/fr/help.md`, which the build does not make)",
            BESIDE,
        ),
    ),
    (
        "[a heading](help.md#refunds)",
        (
            13,
            f"the link `help.md#refunds` leads to no `#refunds` on its page ({HERE} `returns/us/en/help.md`, where no element has the id `refunds`)",
            "did you mean `help.md#returns`?",  # (the ids are the headings': `# Returns`)
        ),
    ),
    (
        "[near](help.md#contnet)",
        (
            8,
            f"the link `help.md#contnet` leads to no `#contnet` on its page ({HERE} `returns/us/en/help.md`, where no element has the id `contnet`)",
            "did you mean `help.md#content`?",
        ),
    ),
    (
        "[this page](#refunds)",
        (
            13,
            f"the link `#refunds` leads to no `#refunds` on its page ({HERE} `returns/us/en/help.md`, where no element has the id `refunds`)",
            "did you mean `help.md#returns`?",
        ),
    ),
    ("[ok with a fragment](help.md#content)", None),
    (
        # a heading's id in English (`# Returns`): the German page's heading is `# Rücksendungen`
        "[a heading in English](help.md#returns)",
        (
            24,
            "the link `help.md#returns` leads to no `#returns` on its page (on the page for marketplace `de`,"
            " language `de`: `returns/de/de/help.md` links to `returns/de/de/help.md`, where no element has the"
            " id `returns`)",
            TRANSLATED,
        ),
    ),
    ("[ok with a query](help.md?print=1)", None),
    (
        # right from the current page, one folder too few from a past edition (`original/`)
        "[a folder up](../en/help.md)",
        (
            15,
            "the link `../en/help.md` leads to no page of the site (on the page for marketplace `us`, language `en`,"
            " edition `original`: `returns/us/en/original/help.md` links to `returns/us/en/en/help.md`, which the"
            " build does not make)",
            EDITION.format("returns/us/en/help.md"),
        ),
    ),
    ("[external](https://example.com/fees.md#x)", None),
    ("[mail](mailto:fees@example.com)", None),
    ("[absolute](/fees.md)", None),
    ("[another host](//example.com/fees.md)", None),
    ("[another program, as the context links it]({{ programs.refunds.href }})", None),
    (
        # (the same: and this program's page for the marketplace and language may not be there)
        "[another program, by hand](../../../refunds/us/en/help.md)",
        (
            28,
            "the link `../../../refunds/us/en/help.md` leads to no page of the site (on the page for marketplace"
            " `us`, language `en`, edition `original`: `returns/us/en/original/help.md` links to"
            " `returns/refunds/us/en/help.md`, which the build does not make)",
            EDITION.format("refunds/us/en/help.md"),
        ),
    ),
    (
        "{% set made = 'charges' ~ '.md' %}[made from a value]({{ made }})",
        (
            1,
            "the link `charges.md` leads to no page of the site, made from a value (no template writes it as is)"
            f" ({HERE} `returns/us/en/charges.md`, which the build does not make)",
            BESIDE,
        ),
    ),
]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory, init_starter: Path) -> tuple[Path, dict[int, dict[str, object]]]:
    """The starter with the links above, and its build's G011 problems (JSON) by line."""
    top = tmp_path_factory.mktemp("links") / "repo"
    shutil.copytree(init_starter, top)
    copy_program(top / "policies", "returns", "refunds")
    lines = "".join(f"{line}\n" for line, _ in CASES)
    edit(top / TEMPLATE, "{% block body %}\n", "{% block body %}\n" + lines)
    run = run_cli("build", "--root", str(top), "--format", "json", "--at", "2026-12-01")
    assert run.code == 1, run
    found: dict[int, dict[str, object]] = {}
    for p in json.loads(run.out)["problems"]:
        assert p["code"] == "G011" and p["file"].endswith(TEMPLATE) and p["severity"] == "error", p
        assert p["line"] not in found, p  # (one problem per link)
        found[p["line"]] = p
    return top, found


@pytest.mark.parametrize(("line", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_each_link_shape(
    broken: tuple[Path, dict[int, dict[str, object]]], line: str, expected: tuple[int, str, str] | None
) -> None:
    _, found = broken
    number = FIRST + [c[0] for c in CASES].index(line)
    if expected is None:
        assert number not in found, found[number]
        return
    col, message, hint = expected
    at = 1 if col == 1 else number  # (a link made from a value: the template's line 1)
    got = found.get(at)
    assert got is not None, sorted(found)
    assert (got["line"], got["column"], got["message"], got["hint"]) == (at, col, message, hint)


def test_nothing_else_is_reported(broken: tuple[Path, dict[int, dict[str, object]]]) -> None:
    """The layout's links (switchers, index, search, feeds, editions) all lead somewhere."""
    _, found = broken
    expected = {1 if c[1][0] == 1 else FIRST + i for i, c in enumerate(CASES) if c[1] is not None}
    assert set(found) == expected


def test_check_and_preview_say_the_same(broken: tuple[Path, dict[int, dict[str, object]]]) -> None:
    """`build --check` refuses the same links (and writes nothing); the preview shows the page's."""
    from engine.commands.serve import Preview

    top, found = broken
    check = run_cli("build", "--root", str(top), "--check", "--at", "2026-12-01")
    assert check.code == 1 and check.err.count("error[G011]") == len(found), check
    assert f"{TEMPLATE}:{FIRST}:8: error[G011]: the link `fees.md` leads to no page of the site" in check.err
    _, _, _, problems = Preview(str(top / "policies"), at="2026-12-01").page("returns/us/en/help.html", None)
    shown = {(p.line, p.col) for p in problems if p.code == "G011"}
    # (the preview renders one page: the edition's own links are said on the edition's page, the
    # German page's on the German page)
    elsewhere = {(FIRST + i, c[1][0]) for i, c in enumerate(CASES) if c[1] and "`us`, language `en`:" not in c[1][1]}
    assert len(elsewhere) == 3, elsewhere
    assert shown == {(p["line"], p["column"]) for p in found.values()} - elsewhere, shown


@pytest.mark.parametrize(
    ("page", "path", "target"),
    [
        ("a/b/c.md", "", "a/b/c.md"),
        ("a/b/c.md", "d.md", "a/b/d.md"),
        ("a/b/c.md", "../x/d.md", "a/x/d.md"),
        ("a/b/c.md", "../../../d.md", None),  # (above the site's top)
        ("a/b/c.md", "./", "a/b/index.html"),
        ("a/b/c.md", "../../", "index.html"),
        ("index.md", "a/b/c.md", "a/b/c.md"),
        ("index.md", "../x.md", None),
        ("a/b/c.md", "../", "a/index.html"),
        ("a/b/c.md", "..", "a/index.html"),
        ("a/b/c.md", ".", "a/b/index.html"),
        ("a/b/c.md", "./d.md", "a/b/d.md"),
        ("a/b/c.md", "x/../d.md", "a/b/d.md"),
        ("a/b/c.md", "x//d.md", "a/b/x/d.md"),
        ("a/b/c.md", "x/", "a/b/x/index.html"),
        ("a/b/c.md", "../../x/y/d.md", "x/y/d.md"),
    ],
)
def test_resolve(page: str, path: str, target: str | None) -> None:
    assert resolve(page, path) == target


def test_translated_link_is_placed_in_the_catalog(tmp_path: Path) -> None:
    """A link a translation writes (the catalog's, not the template's) is placed in that catalog."""
    po = tmp_path / "de.po"
    po.write_text('msgid "x"\nmsgstr "Siehe [Gebühren](gebuehren.md)."\n', encoding="utf-8")

    checker = Checker(
        {"p/de/de/help.md", "p/de/de/help.html"}, {"p/de/de/help.md": "Siehe [Gebühren](gebuehren.md).\n".encode()}.get
    )
    origin = Origin(str(tmp_path / "help.md.j2"), (), (str(po),), "marketplace `us`, language `en`")
    [problem] = checker.check([("p/de/de/help.md", "Siehe [Gebühren](gebuehren.md).\n".encode(), origin)])
    assert (problem.file, problem.line, problem.col) == (str(po), 2, 26), problem


def test_kept_pages_are_checked_from_the_folder(init_repo: Path) -> None:
    """A build that keeps pages (the page cache) reads their ids from the output folder: a page
    rendered again that links to a fragment of a kept page is checked against the kept page."""
    link = "{% if p.return_window_days > 50 %}[us](../../us/en/help.md#nothere){% endif %}\n"
    edit(init_repo / TEMPLATE, "{% block body %}\n", "{% block body %}\n" + link)
    first = run_cli("build", "--root", str(init_repo), "--at", "2026-12-01")
    assert first.code == 0, first
    overlay = init_repo / "policies/returns/marketplaces/de.yaml"
    changed = '  return_window_days:\n    value: 30\n    source: t\n    changes:\n      - {from: "2025-01-01", value: 60, source: t}\n'
    edit(overlay, "parameters:\n", "parameters:\n" + changed)  # (the same dates: the same editions)
    again = run_cli("build", "--root", str(init_repo), "--at", "2026-12-01", "--format", "json")
    report = json.loads(again.out)
    assert again.code == 1 and 0 < report["rendered"] < report["pages"], again  # (the `us` pages kept)
    [problem] = report["problems"]
    assert (problem["code"], problem["line"], problem["column"]) == ("G011", FIRST, 40), problem
    assert "no element has the id `nothere`" in problem["message"], problem


def test_a_kept_page_is_read_again_when_a_page_it_links_to_is_no_longer_made(init_repo: Path) -> None:
    """A rebuild reads a kept page's links again only when the build makes other pages than the
    last one did (each was checked when it was made): a page of another program that stops being
    made (its template renamed) breaks the linking page's link, which is said, whether that page is
    rendered again (today: every page's key holds every program's page links) or kept. (A day
    before the dated change: no past edition, where a path one folder deeper is said anyway.)"""
    copy_program(init_repo / "policies", "returns", "refunds")
    link = "[returns](../../../returns/us/en/help.md)\n"
    edit(init_repo / "policies/refunds/pages/help.md.j2", "{% block body %}\n", "{% block body %}\n" + link)
    first = run_cli("build", "--root", str(init_repo), "--at", "2024-06-01")
    assert first.code == 0, first
    pages = init_repo / "policies/returns/pages"
    (pages / "help.md.j2").rename(pages / "guide.md.j2")
    again = run_cli("build", "--root", str(init_repo), "--at", "2024-06-01", "--format", "json")
    report = json.loads(again.out)
    assert again.code == 1, again
    [problem] = report["problems"]
    assert (problem["file"], problem["code"], problem["line"]) == (
        str(init_repo / "policies/refunds/pages/help.md.j2"),
        "G011",
        FIRST,
    ), problem
    assert "`../../../returns/us/en/help.md` leads to no page of the site" in problem["message"], problem
