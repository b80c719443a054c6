"""What the suite expects of policies/ it derives from the repository, not from its content: in a
copy with one more program (csba copied as csba2, as an author would add one), every invariant
the other tests check of policies/ still holds, and the new program is in each of them.

test_incremental and test_site also run their page-counting tests on such a copy (their slow
"second program" variants)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from test_pages import facts, same_facts_in_every_language

import engine
from engine.site import disk
from support import (
    ROOT,
    catalog_size,
    copy_program,
    declared_editions,
    declared_pages,
    published_locales,
    run_cli,
    select,
    site_files,
    site_pages,
)

pytestmark = pytest.mark.slow
AT = "2025-01-01"


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Path:
    policies = tmp_path_factory.mktemp("grown") / "policies"
    shutil.copytree(ROOT / "policies", policies)
    copy_program(policies, "csba", "csba2")
    return policies


@pytest.fixture(scope="module")
def site(grown: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "generated_docs"
    run = run_cli("build", "--root", str(grown), "--out", str(out), "--at", AT)
    assert run.code == 0, run
    return out


def test_it_validates(grown: Path) -> None:
    repo = engine.load(str(grown))
    assert repo.problems == [] and set(repo.programs) == set(engine.load(str(ROOT / "policies")).programs) | {"csba2"}
    checked = [
        re.fullmatch(r"(\d+) files checked: no problems\n", run_cli("validate", str(root)).out)
        for root in (ROOT / "policies", grown)
    ]
    assert checked[0] and checked[1] and int(checked[1][1]) > int(checked[0][1])


def test_its_cases_pass_and_cover_every_row(grown: Path) -> None:
    cases = sum(len(program.tests) for program in engine.load(str(grown)).programs.values())
    assert cases > sum(len(program.tests) for program in engine.load(str(ROOT / "policies")).programs.values())
    assert run_cli("test", "--root", str(grown)).out == f"{cases} passed, 0 failed\n"
    run = run_cli("test", "--root", str(grown), "--coverage", "--boundaries", "--fail-under", "100")
    assert run.code == 0 and run.out.splitlines()[-2].endswith(": 100% (required: 100%)"), run.out


def test_the_new_programs_catalogs_are_complete(grown: Path) -> None:
    run = run_cli("i18n", "check", "csba2", "--root", str(grown))
    assert run.code == 0, run
    n = catalog_size(grown, "csba2")
    expected = {f"csba2 {tag}: {n} of {n} translated (100.0%)" for tag in published_locales(grown)["csba2"]}
    assert expected and set(run.out.splitlines()) == expected, run.out


def test_its_files_are_formatted(grown: Path) -> None:
    run = run_cli("fmt", "--check", str(grown))
    assert run.code == 0 and run.out.startswith("0 files would be reformatted"), run


def test_the_site_holds_every_declared_page_and_nothing_else(grown: Path, site: Path) -> None:
    pages, past = declared_pages(grown), declared_editions(grown, AT)
    assert select(pages, "csba2") and len(select(pages, "csba2")) == len(select(pages, "csba"))
    assert len(select(past, "csba2")) == len(select(past, "csba"))  # its history is the original's
    # editions, feeds, the build record and the search (its index holds every current page) too
    assert set(disk.read_tree(str(site))) == site_files(grown, AT, site)
    index = json.loads((site / "index.json").read_text(encoding="utf-8"))
    assert {entry["markdown"][: -len(".md")] for entry in index["pages"]} == pages
    assert {entry["markdown"][: -len(".md")] for entry in index["editions"]} == past
    check = run_cli("build", "--root", str(grown), "--out", str(site), "--at", AT, "--check")
    assert check.code == 0, check


def test_every_language_states_the_same_facts_and_the_copy_states_the_originals(grown: Path, site: Path) -> None:
    files = disk.read_tree(str(site))
    assert same_facts_in_every_language(files, site_pages(grown, AT)) > 20
    for page in select(declared_pages(grown), "csba"):
        twin = "csba2" + page[len("csba") :]
        stated = [
            [fact for fact in facts(files[f"{p}.html"].decode()).facts if fact[0] != "program"] for p in (page, twin)
        ]
        assert stated[0] and stated[0] == stated[1], page  # all but the program's id


def test_every_link_resolves(site: Path) -> None:
    for path in site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for href in re.findall(r'href="([^"]+)"', text):
            if href.startswith("#"):  # within the page (the skip link): an element has that id
                assert f'id="{href[1:]}"' in text, (path, href)
            elif not href.startswith(("mailto:", "https://")):  # (https: a help page elsewhere the data gives)
                assert (path.parent / href).resolve().exists(), (path, href)


def test_decisions_and_the_known_programs(grown: Path) -> None:
    payload = '{"units": 1000, "contacts": 151}'
    answers = [
        run_cli("decide", f"{program}.fee", "-m", "us", "--at", AT, "--input", "-", "--root", str(grown), stdin=payload)
        for program in ("csba", "csba2")
    ]
    assert answers[0].code == answers[1].code == 0 and answers[0].out == answers[1].out
    unknown = run_cli("decide", "nope.fee", "-m", "us", "--input", "-", "--root", str(grown), stdin="{}")
    known = ", ".join(sorted(engine.load(str(grown)).programs))
    assert unknown.code == 2 and f"known: {known}\n" in unknown.err and "csba2" in known


def test_diff_names_the_new_program_and_its_pages_only(grown: Path) -> None:
    run = run_cli("diff", str(ROOT / "policies"), str(grown), "--at", AT)
    assert run.code == 0 and "  program `csba2` added\n" in run.out, run
    changed = [line for line in run.out.splitlines() if re.match(r"  \w+ · \w+ · ", line)]
    assert changed and all(line.startswith("  csba2 · ") for line in changed), run.out
