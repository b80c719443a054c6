"""The site build: deterministic, atomic, complete, checkable; HTML that works offline."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import engine
from engine.i18n import cldr as l10n
from engine.site import build as site
from engine.site import disk, outtree, ownership, workers
from engine.site.plan import rel
from support import (
    MINI,
    ROOT,
    SITE_DAY,
    SITE_FILES,
    CliRun,
    copy_program,
    declared_editions,
    declared_pages,
    edit,
    feeds_of,
    files_of,
    run_cli,
    search_files,
    select,
)

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

    from engine.problems import Problem

AT = "2025-01-01"


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    dest = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", dest)
    return dest


def build(policies: Path, out: Path, *extra: str) -> CliRun:
    return run_cli("build", "--root", str(policies), "--out", str(out), *extra)


def test_two_builds_are_byte_identical(policies: Path, tmp_path: Path, built_site: Path) -> None:
    """A copy of policies/ built here, and the session's build of policies/ itself (another
    process under xdist, another folder, another cache): the same bytes."""
    assert AT == SITE_DAY
    first = tmp_path / "a"
    assert build(policies, first, "--at", AT).code == 0
    assert disk.read_tree(str(first)) == disk.read_tree(str(built_site))
    again = build(policies, first, "--at", AT)
    assert again.code == 0 and "is up to date" in again.out


def test_a_build_from_inside_the_policies_folder_writes_the_same(tmp_path: Path, built_site: Path) -> None:
    """`policyctl build --root .` in policies/ (the layout is then `./_site`, which Jinja names
    `_site/...`): every message of the layout was looked up in the program's catalog, and the build
    refused to publish with a G002 for each (run anywhere else, the same repository built)."""
    out = tmp_path / "site"
    run = run_cli("build", "--root", ".", "--out", str(out), "--at", SITE_DAY, cwd=ROOT / "policies")
    assert run.code == 0, run
    assert disk.read_tree(str(out)) == disk.read_tree(str(built_site))


@pytest.mark.parametrize("second", [None, pytest.param("csba2", marks=pytest.mark.slow)])
def test_the_tree_holds_every_program_marketplace_and_language(
    policies: Path, tmp_path: Path, second: str | None, built_site: Path
) -> None:
    out = built_site  # policies/ as it is: the session's build (conftest)
    if second:  # a repository with one more program: the tree follows the sources
        copy_program(policies, "csba", second)
        out = tmp_path / "site"
        run = build(policies, out, "--at", AT)
        assert run.code == 0 and "wrote" in run.out
    pages, past = declared_pages(policies), declared_editions(policies, AT)
    files = set(disk.read_tree(str(out)))
    # past editions and the change feeds beside them (tests/test_editions.py); `.nojekyll`, the build record
    # and the search: a page per language, Pagefind's index of exactly the current pages
    expected = SITE_FILES | {ownership.RECORD} | files_of(pages | past) | feeds_of(past)
    assert files == expected | search_files(policies, out)
    index = json.loads((out / "index.json").read_text())
    assert {entry["markdown"][: -len(".md")] for entry in index["pages"]} == pages
    assert len(index["pages"]) == len(pages)
    assert {entry["markdown"][: -len(".md")] for entry in index["editions"]} == past
    assert len(index["editions"]) == len(past)
    record = json.loads((out / ownership.RECORD).read_text())  # every file written, with its digest
    assert set(record["files"]) == files - {ownership.RECORD}
    assert record["files"]["index.md"] == hashlib.sha256((out / "index.md").read_bytes()).hexdigest()
    assert all("at" not in entry for entry in index["pages"])  # no build date anywhere
    listing = (out / "index.html").read_text()
    for entry in index["pages"]:
        assert f'href="{entry["html"]}"' in listing
    markdown = (out / "index.md").read_text()
    for page in pages:
        assert f"[{l10n.autonym(page.split('/')[2])}]({page}.md)" in markdown, page


def test_check_reports_stale_missing_and_leftover_files_and_a_build_removes_pages_no_longer_produced(
    policies: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    assert build(policies, out, "--at", AT).code == 0
    assert build(policies, out, "--at", AT, "--check").code == 0
    page = out / "csba/us/en/help.md"
    lines = page.read_text().splitlines(keepends=True)
    lines[4] = lines[4].replace("not yet confirmed", "not yet CONFIRMED")
    page.write_text("".join(lines))
    (out / "csba/de/it/help.html").unlink()
    (out / "csba/mine.html").write_text("someone's")  # not policyctl's: a note, never a leftover
    locales = engine.load(str(policies)).marketplaces["us"].locales
    dropped = locales[-1]  # its pages are policyctl's leftovers now
    gone = select(declared_pages(policies), marketplace="us", locale=dropped)
    assert gone and all((out / path).exists() for path in files_of(gone))
    edit(policies / "marketplaces.yaml", f"locales: [{', '.join(locales)}]", f"locales: [{', '.join(locales[:-1])}]")
    run = build(policies, out, "--at", AT, "--check")
    assert run.code == 1
    # edited by hand: not bytes a build wrote, so no line and column (see test_security_hardening)
    assert f"{out}/csba/us/en/help.md:1:1: error[G005]: stale: differs from what the sources produce" in run.err
    assert f"{out}/csba/de/it/help.html:1:1: error[G005]: missing: the sources produce this file" in run.err
    assert (
        f"{out}/csba/us/{dropped}/help.html:1:1: error[G005]: no longer produced by the sources (stale leftover)"
        in run.err
    )
    assert "mine.html:1:1" not in run.err and "note: left alone, not written by policyctl: csba/mine.html" in run.err
    assert "hint: run `policyctl build`" in run.err
    summary = re.search(r"(\d+) errors in (\d+) of (\d+) files\n", run.err)
    assert summary, run.err
    rebuilt = build(policies, out, "--at", AT)
    assert rebuilt.code == 0
    assert not (out / "csba/us" / dropped).exists() and (out / "csba/de/it/help.html").exists()
    # the files compared are the pages' and the search's (Pagefind's, when it is installed), and
    # those on disk no longer produced (it once said "32 errors in 32 of 18 files")
    counts = re.search(r" (\d+) files .*?(?:, and (\d+) search files|$)", rebuilt.err + rebuilt.out, re.M)
    assert counts, rebuilt
    leftovers = run.err.count("no longer produced by the sources")
    produced = int(counts.group(1)) + int(counts.group(2) or 0)
    assert int(summary.group(3)) == produced + leftovers >= int(summary.group(2))
    # the pages no longer produced are removed, folders and all, and no page links to their language
    for page_ in gone:
        assert not (out / page_).parent.exists(), page_
    for page_ in select(declared_pages(policies), marketplace="us"):
        assert l10n.autonym(dropped) not in (out / f"{page_}.html").read_text(), page_
    assert (out / "csba/mine.html").read_text() == "someone's"
    assert build(policies, out, "--at", AT, "--check").code == 0


def test_a_failed_build_leaves_the_previous_tree(
    built_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    shutil.copytree(built_site, out)  # a tree a build wrote (the session's, copied: this test writes)
    before = disk.read_tree(str(out))
    files = dict(before)
    files["csba/us/en/help.md"] = b"new"
    calls = {"n": 0}
    real_open = open

    def failing_open(path: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if "w" in mode:
            calls["n"] += 1
            if calls["n"] == 5:
                raise OSError("disk full")
        return real_open(path, mode, *args, **kwargs)  # type: ignore[call-overload]  # open's own arguments, passed on

    monkeypatch.setattr("builtins.open", failing_open)
    with pytest.raises(OSError):
        outtree.write(str(out), files)
    monkeypatch.undo()
    assert disk.read_tree(str(out)) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []  # no temporary leftovers


def test_data_problems_write_nothing(policies: Path, tmp_path: Path, built_site: Path) -> None:
    out = tmp_path / "site"
    shutil.copytree(built_site, out)  # what a build of the copy writes (the session's build, copied)
    before = disk.read_tree(str(out))
    edit(policies / "csba/program.yaml", "        value: 90\n", "        value: ninety\n")
    run = build(policies, out, "--at", AT)
    assert run.code == 1 and "P003" in run.err and "nothing was written" in run.err
    assert disk.read_tree(str(out)) == before


def test_usage_errors() -> None:
    assert run_cli("build", "--at", "2024-13-01").code == 2
    assert run_cli("build", "--root", "/nonexistent").code == 2
    assert run_cli("i18n", "check", "nosuchprogram", cwd=ROOT).code == 2


# -- dates ----------------------------------------------------------------------------------------------


def test_pages_depend_on_effective_dates_not_on_the_build_day(policies: Path) -> None:
    repo = engine.load(str(policies))
    a, b = site.build(repo, "2024-01-01"), site.build(repo, "2026-12-31")
    assert a.files == b.files  # same rules in force: same bytes, whatever the day
    before = site.build(repo, "2023-06-30")
    assert before.files["csba/us/en/help.md"] != a.files["csba/us/en/help.md"]
    assert before.files["csba/de/en/help.md"] == a.files["csba/de/en/help.md"]  # DE has no dated change


def test_check_on_a_later_day_notes_an_effective_date_that_passed(policies: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert build(policies, out, "--at", "2023-06-01").code == 0
    assert build(policies, out, "--at", "2023-06-30", "--check").code == 0  # still the same rules
    run = build(policies, out, "--at", "2023-07-01", "--check")
    assert run.code == 1
    assert "note: the effective date 2023-07-01 (csba in us) has arrived since" in run.err
    assert "csba/us/en/help.md" in run.err and "csba/de/en/help.md" not in run.err


def test_the_committed_tree_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    if not (ROOT / "generated_docs").exists():
        pytest.skip("generated_docs/ is not built yet")
    monkeypatch.setenv("POLICYCTL_CACHE", "off")  # every page rendered and compared, nothing taken on trust
    run = run_cli("build", "--check", cwd=ROOT)
    assert run.code == 0, run.err


# -- the HTML ---------------------------------------------------------------------------------------------


def test_html_layout(built_site: Path) -> None:
    assert AT == SITE_DAY
    text = (built_site / "csba/us/it/help.html").read_text()  # policies/ as it is: the session's build
    assert text.startswith('<!DOCTYPE html>\n<html lang="it" dir="ltr">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert (
        "<title>Servizio clienti per gli ordini gestiti dal venditore · Servizio clienti di Amazon · Stati Uniti</title>"
        in text
    )
    us = engine.load(str(ROOT / "policies")).marketplaces["us"].locales
    for tag, href in [(f"{t}-US", "help.html" if t == "it" else f"../{t}/help.html") for t in us] + [
        ("x-default", "../en/help.html")
    ]:
        assert f'<link rel="alternate" hreflang="{tag}" href="{href}">' in text
    assert '<a href="../../de/it/help.html" hreflang="it" data-switch="marketplace">Germania (amazon.de)</a>' in text
    assert '<span lang="it" aria-current="page" data-pagefind-filter="Lingua">italiano</span>' in text
    assert "@media print" in text and "<style>" in text
    # works offline: no scripts, no external resources (a link to a page elsewhere loads nothing)
    assert "<script" not in text and not re.search(r'(src|<link [^>]*href)="(https?:)?//', text)
    assert not re.search(r"\burl\(", text)


@pytest.mark.parametrize(
    ("languages", "rows"),
    [
        (
            '["en", "de"]',  # the starter's: its title is the program's name, not said twice
            [
                '<tr><td>Returns</td><td>Germany (example.de)</td><td><a href="returns/de/de/help.html" hreflang="de" '
                'lang="de" title="Rücksendungen">Deutsch</a> <small>(<a href="returns/de/de/help.md" '
                'type="text/markdown" aria-label="Markdown: Returns, Germany, German">Markdown</a>)</small><br>'
                '<a href="returns/de/en/help.html" hreflang="en" lang="en" title="Returns">English</a> <small>(<a '
                'href="returns/de/en/help.md" type="text/markdown" aria-label="Markdown: Returns, Germany, English">'
                "Markdown</a>)</small></td></tr>",
                '<tr><td>Returns</td><td>United States (example.com)</td><td><a href="returns/us/en/help.html" '
                'hreflang="en" lang="en" title="Returns">English</a> <small>(<a href="returns/us/en/help.md" '
                'type="text/markdown" aria-label="Markdown: Returns, United States, English">Markdown</a>)</small>'
                "</td></tr>",
            ],
        ),
        (
            '["de"]',  # no English page: the title in German, marked as German
            [
                '<tr><td>Returns<br><small lang="de">Rücksendungen</small></td><td>Germany (example.de)</td><td><a '
                'href="returns/de/de/help.html" hreflang="de" lang="de" title="Rücksendungen">Deutsch</a> <small>(<a '
                'href="returns/de/de/help.md" type="text/markdown" aria-label="Markdown: Returns, Germany, German">'
                "Markdown</a>)</small></td></tr>"
            ],
        ),
    ],
)
def test_the_index_names_each_link_and_marks_another_language(init_repo: Path, languages: str, rows: list[str]) -> None:
    """Each "Markdown" link says which page it leads to (a screen reader's list of links read
    "Markdown" once per page); a title in another language than the index's is marked (WCAG 3.1.2)."""
    edit(init_repo / "policyctl.toml", 'languages = ["en", "de"]', f"languages = {languages}")
    assert run_cli("build", cwd=init_repo).code == 0
    index = (init_repo / "generated_docs/index.html").read_text(encoding="utf-8")
    assert re.findall(r"<tr><td>.*</tr>", index) == rows


def test_every_link_in_the_site_resolves(built_site: Path) -> None:
    out = built_site
    for path in out.rglob("*.html"):
        text = path.read_text()
        for href in re.findall(r'href="([^"]+)"', text):
            if href.startswith(("mailto:", "https://")):  # (elsewhere: the help pages a source links)
                continue
            if href.startswith("#"):  # within the page (the skip link): an element has that id
                assert f'id="{href[1:]}"' in text, (path, href)
                continue
            assert (path.parent / href).resolve().exists(), (path, href)
    for path in out.rglob("*.md"):
        for href in re.findall(r"\]\(([^)]+)\)", path.read_text()):
            if not href.startswith(("mailto:", "<https://")):
                assert (path.parent / href).resolve().exists(), (path, href)


def test_build_runs_from_any_directory(policies: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "docs"
    run = run_cli("build", "--root", str(policies), "--out", str(out), "--at", AT, cwd=tmp_path)
    assert run.code == 0, run
    assert (out / "index.html").exists()
    assert not any(name.startswith(".docs") for name in os.listdir(out.parent))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmarks' synthetic repository, small (written in-process: no interpreter to start),
    once for the module: the tests below only load and build it in memory, never change it. Three marketplaces: 18 pages, enough for two workers
    and for a catalog that serves several pages (every language but Portuguese is in two or three of
    them, Portuguese in one); each more marketplace only added pages of the same kind to every build
    here (with six, these three tests took 6.1-7.2 CPU-s; with three, 3.7-4.3)."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import generate

    dest = tmp_path_factory.mktemp("synthetic") / "synthetic"
    generate.generate(str(dest), programs=1, marketplaces=3)
    return dest


# An xdist worker runs a thread of execnet's, so a build told to use workers forks from a process
# running other threads, which Python 3.12+ warns about. The engine forks from such a process only
# when told to (POLICYCTL_JOBS: test_no_workers_forked_from_a_process_running_other_threads), as
# the tests marked with this are.
TOLD_TO_FORK = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork:DeprecationWarning")


@TOLD_TO_FORK
def test_a_build_on_worker_processes_is_byte_identical_to_the_serial_build(
    synthetic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = engine.load(str(synthetic))
    monkeypatch.setenv(site.JOBS_ENV, "1")
    assert workers.worker_count(1000) == 1
    serial = site.build(repo, at=AT)
    monkeypatch.setenv(site.JOBS_ENV, "2")
    assert workers.worker_count(1000) == 2
    pooled = site.build(repo, at=AT)
    assert not serial.problems and len(serial.entries) >= 12
    assert pooled.files == serial.files and list(pooled.files) == list(serial.files)
    assert pooled.entries == serial.entries


def test_small_builds_stay_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(site.JOBS_ENV, raising=False)
    assert workers.worker_count(12) == 1
    assert workers.worker_count(site.PAGES_PER_WORKER * 2 - 1) == 1


@pytest.mark.parametrize("setting", ["abc", "0", "-1", "2.5", "two", "\u0663"])  # (an Arabic-Indic three)
def test_a_jobs_setting_that_is_not_a_number_is_a_usage_error(
    setting: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`build` and `diff` (which builds both sides) refuse it before rendering anything (it was
    ignored without a word); through the API the engine chooses, as when it is unset."""
    monkeypatch.setenv(site.JOBS_ENV, setting)
    out = tmp_path / "site"
    said = f"policyctl: error: POLICYCTL_JOBS={setting!r} is not a number of processes (a whole number, 1 or more)\n"
    hint = "  hint: set POLICYCTL_JOBS=1 to render in this process only, or unset it to let policyctl choose\n"
    for args in (["build", "--root", str(MINI), "--out", str(out)], ["diff", str(MINI), str(MINI)]):
        run = run_cli(*args)
        assert (run.code, run.out, run.err) == (2, "", said + hint), args
    assert not out.exists()
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(workers, "running_threads", lambda: 1)
    assert workers.worker_count(12) == 1 and workers.worker_count(6000) == 2
    monkeypatch.setenv(site.JOBS_ENV, " 3 ")
    assert workers.jobs_setting() == 3 and workers.worker_count(6000) == 3
    monkeypatch.setenv(site.JOBS_ENV, "")
    assert workers.jobs_setting() is None


@pytest.mark.parametrize("load, expected", [(0.0, 2), (0.9, 2), (1.5, 2), (2.0, 1), (7.5, 1)])
def test_workers_only_on_idle_cores(monkeypatch: pytest.MonkeyPatch, load: float, expected: int) -> None:
    monkeypatch.delenv(site.JOBS_ENV, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(workers, "running_threads", lambda: 1)  # as the command line (xdist runs a thread here)
    assert workers.worker_count(6000) == expected


def test_no_workers_forked_from_a_process_running_other_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fork while another thread holds a lock can leave the child waiting forever: a program that
    builds from a threaded server renders serially, unless it asks for workers itself."""
    monkeypatch.delenv(site.JOBS_ENV, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    done = threading.Event()
    other = threading.Thread(target=done.wait)
    other.start()
    try:
        assert workers.running_threads() >= 2
        assert workers.worker_count(6000) == 1
        monkeypatch.setenv(site.JOBS_ENV, "2")
        assert workers.worker_count(6000) == 2
    finally:
        done.set()
        other.join()


@TOLD_TO_FORK
def test_template_errors_in_worker_processes_come_back_as_problems(
    policies: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(
        policies / "csba" / "pages" / "help.md.j2",
        '{% extends "_site/page.md.j2" %}',
        '{% extends "_site/page.md.j2" %}{% set broken = 1 / 0 %}',
    )
    repo = engine.load(str(policies))
    monkeypatch.setenv(site.JOBS_ENV, "1")
    serial = site.build(repo, at=AT)
    monkeypatch.setenv(site.JOBS_ENV, "2")
    pooled = site.build(repo, at=AT)
    assert serial.problems and pooled.problems == serial.problems
    assert all(p.code == "G001" for p in pooled.problems) and not pooled.files


def test_links_between_pages_are_what_relpath_says() -> None:
    import itertools
    import random

    folders = ["csba", "cs_guidelines", "us", "de", "en", "zh-Hans", "a"]
    names = ["help.md", "help.html", "index.html", "fees.md"]
    rng = random.Random(7)
    paths = {"index.html", "csba/us/en/help.md"}
    for _ in range(300):  # files in folders: a path is never both a file and a folder
        paths.add("/".join([rng.choice(folders) for _ in range(rng.randint(0, 4))] + [rng.choice(names)]))
    for a, b in itertools.product(sorted(paths), repeat=2):
        assert rel(a, b) == os.path.relpath(b, os.path.dirname(a) or "."), (a, b)


@TOLD_TO_FORK
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_each_catalog_is_read_once_per_build(synthetic: Path, monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    from engine.cache import memo
    from engine.i18n import catalogs, translator

    memo.clear_all()  # a build in a fresh process (the catalogs another build parsed are parsed again)
    repo = engine.load(str(synthetic))
    reads: list[tuple[str, str | None]] = []
    real = catalogs.parse  # the function translator.parse names too

    def counted(path: str, tag: str | None, raw: bytes) -> tuple[Catalog | None, list[Problem]]:
        reads.append((path, tag))
        return real(path, tag, raw)

    # rendering's look-ups and the catalog check (`i18n check`, facts in translations) alike
    monkeypatch.setattr(translator, "parse", counted)
    monkeypatch.setattr(catalogs, "parse", counted)
    monkeypatch.setenv(site.JOBS_ENV, jobs)
    built = site.build(repo, at=AT)
    assert not built.problems and built.files
    # every catalog the pages use (a program's and the site's, each language but English), once
    published = {e["locale"] for e in built.entries} - {"en"}
    programs = {e["program"] for e in built.entries}
    expected = {
        (os.path.join(str(repo.root), name, "locales", f"{tag}.po"), tag)
        for name in programs | {"_site"}
        for tag in published
    }
    assert sorted(r for r in reads if r[0].endswith(".po")) == sorted(expected)
    assert len(reads) == len(set(reads))  # the message templates (.pot) too: nothing parsed twice
    reads.clear()
    assert site.build(repo, at=AT).files == built.files
    assert [r for r in reads if r[0].endswith(".po")] == []  # nor again by the next build in this process
