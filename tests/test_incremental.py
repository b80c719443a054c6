"""Incremental builds (engine.cache.pages): a page is rendered again only when one of its inputs
changed, only files whose bytes change are written, and the tree is always byte for byte what a
full build (`POLICYCTL_CACHE=off`) writes."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import engine
from engine.cache import pages as pagecache
from engine.cache import store
from engine.site import disk
from engine.site.output import INDEX_FILES
from engine.site.ownership import RECORD
from engine.site.search import indexed, is_search_file
from support import (
    ROOT,
    copy_program,
    edit,
    feeds_of,
    files_of,
    run_cli,
    search_files,
    select,
    site_files,
    site_pages,
)

AT = "2025-01-01"


SECOND = "with a second program"
# The variants of a test that matters with two programs (which program's pages are rendered again,
# which go): policies/ and, slow, the same with csba copied as a second program.
BOTH = pytest.mark.parametrize("repo", ["policies", pytest.param(SECOND, marks=pytest.mark.slow)], indirect=True)


# The languages the edits below name (and English). A copy publishes only these: the others (today
# zh-Hans; its pages are checked by test_site, test_search_index and test_browser) would only add
# pages of the same kind to every build here. Their catalogs stay, unpublished.
LANGUAGES = {"en", "de", "it", "es"}


def _publish_only(policies: Path, languages: set[str]) -> None:
    """Each marketplace of the copy keeps the languages it lists among `languages` (in its order)."""
    path = policies / "marketplaces.yaml"

    def keep(m: re.Match[str]) -> str:
        kept = [tag for tag in (t.strip() for t in m.group(2).split(",")) if tag in languages]
        assert len(kept) >= 2, m.group(0)  # still a language switcher on every page
        return f"{m.group(1)}[{', '.join(kept)}]"

    text, count = re.subn(r"(?m)^(\s*locales: )\[([^\]]*)\]", keep, path.read_text(encoding="utf-8"))
    assert count, "marketplaces.yaml lists no `locales: [...]`"
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def _copies(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The copy of each variant, made once per module (`repo` copies it again for each test, which
    may then change it): policies/ publishing the LANGUAGES, and the same with csba2."""
    made: dict[str, Path] = {}

    def copy(variant: str) -> Path:
        if variant not in made:
            dest = tmp_path_factory.mktemp("variant") / "policies"
            shutil.copytree(ROOT / "policies", dest)
            _publish_only(dest, LANGUAGES)
            if variant == SECOND:
                copy_program(dest, "csba", "csba2")
            made[variant] = dest
        return made[variant]

    return copy


@pytest.fixture
def repo(
    request: pytest.FixtureRequest, _copies: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A copy of policies/ publishing the LANGUAGES, or (`SECOND`, through `BOTH`) the same with csba
    copied as a second program: what each test expects is derived from the repository, so it must
    hold there too. Only the tests whose point is which program's pages are rendered run on both; the
    others (the cache's own mechanics: records, stamps, damage, failures) do not depend on how many
    programs there are, and each build of the copy costs twice the time; those that hold for any
    repository at all take `starter` instead."""
    dest = tmp_path / "policies"
    shutil.copytree(_copies(getattr(request, "param", "policies")), dest)
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    return dest


@pytest.fixture(scope="module")
def _starter_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    top = tmp_path_factory.mktemp("starter")
    run = run_cli("init", str(top))
    assert run.code == 0, run
    return top / "policies"


@pytest.fixture
def starter(_starter_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of `policyctl init`'s repository (made once per module, copied for each test): for the
    tests whose point holds for any repository (every page rendered again when the engine changed,
    the cache is damaged or off; a check finds the stale pages; a failed build keeps nothing). It
    builds in a third of the time of `repo`'s copy of policies/."""
    dest = tmp_path / "policies"
    shutil.copytree(_starter_template, dest)
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    return dest


def stamps(out: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for rel in disk.list_tree(str(out)):
        st = os.stat(out / rel)
        found[rel] = (st.st_ino, st.st_mtime_ns)
    return found


def build(repo: Path, out: Path, *extra: str) -> tuple[int, str]:
    """Build with the cache; (pages rendered, output)."""
    run = run_cli("build", "--root", str(repo), "--out", str(out), *extra)
    assert run.code == 0, run
    m = re.search(r"(\d+) of (\d+) pages rendered", run.out)
    assert m, run.out
    return int(m.group(1)), run.out


def laid_out(output: str) -> int:
    """The pages a build's summary says it put in the layout again, their text as stored."""
    m = re.search(r"(\d+) laid out again \(their text unchanged\)", output)
    return int(m.group(1)) if m else 0


# The trees of full builds by what they are made from: the repository's files (names and bytes) and
# the build's options. A build is a function of those alone (test_site's
# test_two_builds_are_byte_identical: another folder, another cache, the same bytes), and several
# tests here compare with a full build of the copy as it was made (they edited the output, or
# nothing, or build on another day first): that one is built once per process, not once per test.
# Read only: a test compares its tree with an entry, never changes one.
_FULL_BUILDS: dict[tuple[str, tuple[str, ...]], dict[str, bytes]] = {}


def _sources(repo: Path) -> str:
    """A digest of every file of the repository: its path and bytes."""
    h = hashlib.blake2b(digest_size=20)
    for path in sorted(p for p in repo.rglob("*") if p.is_file()):
        data = path.read_bytes()
        h.update(f"{path.relative_to(repo).as_posix()}\0{len(data)}\0".encode() + data)
    return h.hexdigest()


def assert_same_as_full_build(
    repo: Path, out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> None:
    key = (_sources(repo), extra)
    if key not in _FULL_BUILDS:
        full = tmp_path / "full"
        shutil.rmtree(full, ignore_errors=True)
        with monkeypatch.context() as m:
            m.setenv("POLICYCTL_CACHE", "off")
            run = run_cli("build", "--root", str(repo), "--out", str(full), *extra)
        assert run.code == 0 and "pages rendered" not in run.out, run
        _FULL_BUILDS[key] = disk.read_tree(str(full))
    assert disk.read_tree(str(out)) == _FULL_BUILDS[key], "the tree differs from a full build's"


def assert_search_written_as_needed(old: dict[str, bytes], new: dict[str, bytes], changed: set[str]) -> None:
    """Of the search files, exactly those whose bytes differ were written or removed (Pagefind names
    its files by their content: most stay as they are), and none when no indexed page changed (a
    page changed outside its indexed part may leave every file of the index as it was)."""
    searched = {rel for rel in changed if is_search_file(rel)}
    assert searched == {rel for rel in set(old) | set(new) if is_search_file(rel) and old.get(rel) != new.get(rel)}
    pages = [{rel: data for rel, data in tree.items() if indexed(rel, data)} for tree in (old, new)]
    if pages[0] == pages[1]:
        assert searched == set()


def _param(repo: Path) -> None:
    edit(repo / "csba/marketplaces/de.yaml", "  trial_days:\n    value: 30", "  trial_days:\n    value: 45")


def current(pages: set[str]) -> set[str]:
    """The current pages among ``pages`` (`program/marketplace/language/page`), not past editions."""
    return {page for page in pages if page.count("/") == 3}


def _translation(repo: Path) -> None:
    edit(
        repo / "csba/locales/it.po",
        "La procedura di attivazione è cambiata",
        "La procedura di attivazione è stata cambiata",
    )


def _new_decision(repo: Path) -> None:
    text = (repo / "csba/decisions/contact_address.yaml").read_text(encoding="utf-8")
    (repo / "csba/decisions/contact_address_copy.yaml").write_text(
        text.replace("id: contact_address", "id: contact_address_copy", 1), encoding="utf-8"
    )


def _overlay(repo: Path, program: str, marketplace: str) -> None:
    """A new overlay file of ``program`` for ``marketplace`` that changes no value (as csba's US one)."""
    folder = repo / program / "marketplaces"
    folder.mkdir(exist_ok=True)
    (folder / f"{marketplace}.yaml").write_text(
        f"kind: overlay\nmarketplace: {marketplace}\nnote: the program's base values hold here too.\n",
        encoding="utf-8",
    )


def beside(pages: set[str], program: str, marketplace: str) -> set[str]:
    """The other programs' pages in ``marketplace``, in the languages ``program`` has a page in there:
    those whose `programs` view links to ``program``'s page (engine.site.context)."""
    tags = {page.split("/")[2] for page in select(pages, program, marketplace)}
    return {
        page for page in select(pages, marketplace=marketplace) - select(pages, program) if page.split("/")[2] in tags
    }


def _hand_edit(out: Path) -> Callable[[Path], None]:
    def change(_: Path) -> None:
        page = out / "csba/us/es/help.html"
        data = page.read_bytes()
        st = os.stat(page)
        page.write_bytes(data.replace(b"<html", b"<HTML", 1))  # same size
        os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same time: caught by content

    return change


def _edit_by_hand(repo: Path, out: Path) -> None:
    _hand_edit(out)(repo)


Pages = Callable[[set[str]], set[str]]  # the pages a build renders (past editions too) -> some of them
Files = Callable[[set[str]], set[str]]  # those pages -> the files written or removed


def _language(repo: Path, marketplace: str, tag: str) -> None:
    """One more language in ``marketplace`` (one the copy publishes elsewhere)."""
    locales = engine.load(str(repo)).marketplaces[marketplace].locales
    assert tag not in locales
    edit(repo / "marketplaces.yaml", f"locales: [{', '.join(locales)}]", f"locales: [{', '.join((*locales, tag))}]")


def _none(pages: set[str]) -> set[str]:
    return set()


def _new_marketplace(repo: Path, program: str) -> None:
    """A marketplace declared in marketplaces.yaml and offered by ``program`` alone (an overlay file)."""
    text = (repo / "marketplaces.yaml").read_text(encoding="utf-8")
    (repo / "marketplaces.yaml").write_text(
        text.rstrip("\n")
        # (a country of USD: csba's base values, the US ones, hold there)
        + "\n  ec:\n    country: EC\n    site: amazon.com.ec\n    currency: USD\n"
        + "    time_zone: America/Guayaquil\n    locales: [es, en]\n",
        encoding="utf-8",
    )
    _overlay(repo, program, "ec")


def _others(pages: set[str], program: str, marketplace: str) -> set[str]:
    """``program``'s pages in the other marketplaces: their switchers list ``marketplace``."""
    return select(pages, program) - select(pages, program, marketplace)


# (what changes, the edit, the pages rendered again, the pages only laid out again (their text as
# rendered before, in the layout), the files written or removed (None: not checked)); the build
# record is rewritten whenever a file it lists is
EDITS: list[tuple[str, Callable[[Path, Path], None], Pages, Pages, Files | None]] = [
    ("nothing", lambda repo, out: None, _none, _none, lambda pages: set()),
    (
        "a parameter of one marketplace",
        lambda repo, out: _param(repo),
        lambda pages: select(pages, "csba", "de"),
        _none,
        lambda pages: files_of(select(pages, "csba", "de")) | {RECORD},
    ),
    # both Italian pages are rendered again; only the current US one has the "what changed" section
    # with it (and the feed read from it): its past editions word the change as still to come
    (
        "one translation",
        lambda repo, out: _translation(repo),
        lambda pages: select(pages, "csba", locale="it"),
        _none,
        lambda pages: files_of(current(us_it := select(pages, "csba", "us", "it"))) | feeds_of(us_it) | {RECORD},
    ),
    # the site's catalog: the words of the frame every page's text extends, in that language
    (
        "the site's translation",
        lambda repo, out: edit(
            repo / "_site/locales/it.po", "Questa pagina riguarda la vendita in", "Questa pagina riguarda le vendite in"
        ),
        lambda pages: select(pages, locale="it"),
        _none,
        None,
    ),
    # the HTML layout: no page's text is made from it, every page is put in it again
    (
        "the shared layout",
        lambda repo, out: edit(repo / "_site/layout.html.j2", "<html", '<html data-x="1"'),
        _none,
        lambda pages: pages,
        None,
    ),
    # a page's HTML there is laid out again from its text as stored; its Markdown was right
    (
        "a generated file edited by hand",
        _edit_by_hand,
        _none,
        lambda pages: {"csba/us/es/help"},
        lambda pages: {"csba/us/es/help.html"},
    ),
    (
        "a generated file deleted",
        lambda repo, out: (out / "csba/de/it/help.md").unlink(),
        _none,
        lambda pages: {"csba/de/it/help"},
        lambda pages: {"csba/de/it/help.md"},
    ),
    # a marketplace's record: its pages' text (`marketplace.site`), the switchers of the other pages
    # of the programs offered there (csba's); not the pages whose switchers do not list it
    (
        "the marketplaces file",
        lambda repo, out: edit(repo / "marketplaces.yaml", "amazon.de", "amazon.de.example"),
        lambda pages: select(pages, marketplace="de"),
        lambda pages: _others(pages, "csba", "de"),
        None,
    ),
    # its name (its country's, in each language): the same pages
    (
        "a marketplace's name",
        lambda repo, out: edit(repo / "marketplaces.yaml", "country: DE", "country: AT"),
        lambda pages: select(pages, marketplace="de"),
        lambda pages: _others(pages, "csba", "de"),
        lambda pages: (
            files_of(select(pages, marketplace="de"))
            | {f"{page}.html" for page in _others(pages, "csba", "de")}
            | {"index.html", "index.md"}  # (index.json has its id, not its name)
            | {RECORD}
        ),
    ),
    # its time zone: its pages' text (`marketplace.time_zone`, the day its changes take effect); no
    # switcher shows it (nothing is written: no page says it)
    (
        "a marketplace's time zone",
        lambda repo, out: edit(repo / "marketplaces.yaml", "time_zone: Europe/Berlin", "time_zone: Europe/Vienna"),
        lambda pages: select(pages, marketplace="de"),
        _none,
        lambda pages: set(),
    ),
    # one more language in a marketplace: its pages' text (`marketplace.locales`) and the new ones;
    # the pages of the same programs in the other marketplaces only link to it (their switchers)
    (
        "a new language in one marketplace",
        lambda repo, out: _language(repo, "de", "es"),
        lambda pages: select(pages, marketplace="de"),
        lambda pages: _others(pages, "csba", "de"),
        None,
    ),
    # a new marketplace that one program is offered in: that program's pages there are new, its
    # other pages list it in their switchers (laid out again); no other program's page changes
    (
        "a new marketplace for one program",
        lambda repo, out: _new_marketplace(repo, "csba"),
        lambda pages: select(pages, "csba", "ec"),
        lambda pages: _others(pages, "csba", "ec"),
        lambda pages: (
            files_of(select(pages, "csba", "ec"))
            | feeds_of(select(pages, "csba", "ec"))
            | {f"{page}.html" for page in _others(pages, "csba", "ec")}
            | set(INDEX_FILES)
            | {RECORD}
        ),
    ),
    # pages see the program's decision ids (`examples` has an entry per decision), not their rows
    (
        "a decision's rows",
        lambda repo, out: edit(
            repo / "csba/decisions/contact_address.yaml",
            "reason:",
            "reason: (edited)",
        ),
        _none,
        _none,
        lambda pages: set(),
    ),
    ("a new decision", lambda repo, out: _new_decision(repo), lambda pages: select(pages, "csba"), _none, None),
    # an overlay file where program.yaml already offers the program: that marketplace's pages, as
    # an edit of one would (this one changes no value: no file is written)
    (
        "a new overlay where the program is offered",
        lambda repo, out: _overlay(repo, "cs_guidelines", "us"),
        lambda pages: select(pages, "cs_guidelines", "us"),
        _none,
        lambda pages: set(),
    ),
    # one that offers the program in one more marketplace: its pages there are new, the other
    # programs' pages there link to it, its other pages get that marketplace in their switchers
    # (laid out again: their text is the same); no other program's page in another marketplace is
    # made again (csba's US pages)
    (
        "a new overlay offering the program in another marketplace",
        lambda repo, out: _overlay(repo, "cs_guidelines", "de"),
        lambda pages: select(pages, "cs_guidelines", "de") | beside(pages, "cs_guidelines", "de"),
        lambda pages: select(pages, "cs_guidelines") - select(pages, "cs_guidelines", "de"),
        lambda pages: (
            {f"{page}.html" for page in select(pages, "cs_guidelines", "us")}
            | files_of(select(pages, "cs_guidelines", "de"))
            | set(INDEX_FILES)
            | {RECORD}
        ),
    ),
    # but a worked example's decision decides whether the example rests on an assumption (what its
    # answer reads): the pages of the marketplace it is an example in are rendered again
    (
        "a worked example's decision",
        lambda repo, out: edit(repo / "csba/decisions/reply_deadline.yaml", "reason:", "reason: (edited)"),
        lambda pages: select(pages, "csba", "us"),
        _none,
        lambda pages: set(),
    ),
]


# With a second program, one edit of each kind: of one program's data (a parameter, a translation,
# its set of decisions: only that program's pages are rendered again, none of the copy's), of what
# every program shares (the layout: both programs' pages), and a marketplace one program is offered
# in (none of the copy's pages, though the copy is offered in the same marketplaces as csba: a page's
# key has what its switchers show, not every marketplace). The other edits are of one generated
# file, or of nothing a page reads, so a second program's pages are no different from the first's
# other pages there: policies/ alone covers them.
ON_BOTH = {
    "a parameter of one marketplace",
    "one translation",
    "the shared layout",
    "a new decision",
    "a new marketplace for one program",
}
VARIANTS = [
    pytest.param(variant, *edit, id=f"{edit[0]}-{variant}", marks=[pytest.mark.slow] if variant == SECOND else [])
    for edit in EDITS
    for variant in ("policies", SECOND)
    if variant == "policies" or edit[0] in ON_BOTH
]


@pytest.mark.parametrize("repo,name,change,rendered,relaid,written", VARIANTS, indirect=["repo"])
def test_an_edit_renders_only_what_depends_on_it(
    repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    change: Callable[[Path, Path], None],
    rendered: Pages,
    relaid: Pages,
    written: Pages | None,
) -> None:
    if change is _edit_by_hand:
        # Same size and time: noticed by content only while the file is "racily clean" (written
        # within RACY_NS of the pack's save, as git does). A loaded machine can take longer than that
        # between writing the page and saving the pack, so the window is widened for this case; the
        # window itself is tested in test_a_racily_clean_file_is_compared_by_content.
        monkeypatch.setattr(pagecache, "RACY_NS", 10**15)
    pages = site_pages(repo, AT)
    out = tmp_path / "site"
    assert build(repo, out, "--at", AT)[0] == len(pages)
    change(repo, out)
    pages = site_pages(repo, AT)  # (an edit may add pages: those of a new marketplace)
    between, old = stamps(out), disk.read_tree(str(out))
    count, said = build(repo, out, "--at", AT)
    assert (count, laid_out(said)) == (len(rendered(pages)), len(relaid(pages)))
    after, new = stamps(out), disk.read_tree(str(out))
    changed = {rel for rel in set(between) | set(after) if between.get(rel) != after.get(rel)}
    if written is not None:  # (None: every page is rendered again, and the whole tree replaced at once)
        assert {rel for rel in changed if not is_search_file(rel)} == written(pages)
        assert_search_written_as_needed(old, new, changed)
    assert_same_as_full_build(repo, out, tmp_path, monkeypatch, "--at", AT)
    assert build(repo, out, "--at", AT)[0] == 0  # and the next build keeps everything


@pytest.mark.parametrize(
    "naming",
    [
        '{% if false %}{% include "_site/layout.html.j2" %}{% endif %}',
        '{% set name = "_site/" ~ page_template %}{% if false %}{% include name %}{% endif %}',  # a name made
    ],
)
def test_a_page_that_may_load_the_layout_is_rendered_again_with_it(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, naming: str
) -> None:
    """A page's text is made from the layout's templates too when its template names one of them, or
    a name it computes (engine.cache.pages `_reads_layout`): a layout edit renders its pages again."""
    template = repo / "cs_guidelines/pages/help.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + naming + "\n", encoding="utf-8")
    pages = site_pages(repo, AT)
    out = tmp_path / "site"
    build(repo, out, "--at", AT)
    edit(repo / "_site/layout.html.j2", "<html", '<html data-x="1"')
    count, said = build(repo, out, "--at", AT)
    mine = select(pages, "cs_guidelines")
    assert (count, laid_out(said)) == (len(mine), len(pages - mine))
    assert_same_as_full_build(repo, out, tmp_path, monkeypatch, "--at", AT)


def test_only_files_whose_bytes_change_are_written(repo: Path, tmp_path: Path) -> None:
    pages = site_pages(repo, AT)
    de = files_of(select(pages, "csba", "de"))
    out = tmp_path / "site"
    build(repo, out, "--at", AT)
    before, old = stamps(out), disk.read_tree(str(out))
    _param(repo)
    _, message = build(repo, out, "--at", AT)
    after, new = stamps(out), disk.read_tree(str(out))
    changed = {rel for rel in set(before) | set(after) if before.get(rel) != after.get(rel)}
    # not the index (titles are the same); the build record, whose digests changed
    assert {rel for rel in changed if not is_search_file(rel)} == de | {RECORD}
    # the search files are counted apart: those of the index whose bytes changed with the pages
    searched = {rel for rel in changed if is_search_file(rel)}
    assert_search_written_as_needed(old, new, changed)
    assert searched and len(searched) < len(search_files(repo, out))  # most of the index stays
    assert (
        f"({len(de)} added, changed or removed; {len(de) // 2} of {len(pages)} pages rendered, the others unchanged)"
        f", and {len(search_files(repo, out))} search files ({len(searched)} added, changed or removed)"
    ) in message


def test_a_new_effective_date_renders_the_pages_it_changes(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    build(repo, out, "--at", "2023-01-01")
    count, _ = build(repo, out, "--at", "2023-01-02")  # no effective date in between
    assert count == 0
    count, _ = build(repo, out, "--at", AT)  # the US 2023-07-01 edition took effect; DE has no dates
    assert 0 < count < len(site_pages(repo, AT))
    assert_same_as_full_build(repo, out, tmp_path, monkeypatch, "--at", AT)


def test_other_engine_code_renders_everything(starter: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "site"
    build(starter, out, "--at", AT)
    stamp = store.engine_stamp()  # what every cache entry is keyed by (engine sources, libraries)
    monkeypatch.setattr(store, "engine_stamp", lambda: stamp + "-other")
    assert build(starter, out, "--at", AT)[0] == len(site_pages(starter, AT))


@BOTH  # a language dropped: its pages of every program go
def test_a_file_someone_else_put_there_stays_and_a_page_no_longer_produced_goes(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    build(repo, out, "--at", AT)
    (out / "csba/stray.html").write_text("someone's")
    assert build(repo, out, "--at", AT)[0] == 0
    assert (out / "csba/stray.html").read_text() == "someone's"
    locales = engine.load(str(repo)).marketplaces["us"].locales
    gone = select(site_pages(repo, AT), marketplace="us", locale=locales[-1])
    edit(repo / "marketplaces.yaml", f"locales: [{', '.join(locales)}]", f"locales: [{', '.join(locales[:-1])}]")
    build(repo, out, "--at", AT)  # incremental: pages of the other languages are kept
    assert gone and not any((out / path).parent.exists() for path in gone)
    assert (out / "csba/stray.html").read_text() == "someone's"
    (out / "csba/stray.html").unlink()
    assert_same_as_full_build(repo, out, tmp_path, monkeypatch, "--at", AT)


def test_check_uses_the_cache_and_still_finds_stale_files(starter: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(starter, out, "--at", AT)
    run = run_cli("build", "--root", str(starter), "--out", str(out), "--at", AT, "--check")
    assert run.code == 0 and f"0 of {len(site_pages(starter, AT))} pages rendered" in run.out
    # a parameter of one marketplace (the starter's DE overlay): its pages are stale, no other
    edit(
        starter / "returns/marketplaces/de.yaml",
        "free_return_shipping:\n    value: true",
        "free_return_shipping:\n    value: false",
    )
    edit(
        starter / "returns/tests/return_allowed.yaml",
        "free_shipping: true}\n    example: true",
        "free_shipping: false}\n    example: true",
    )
    run = run_cli("build", "--root", str(starter), "--out", str(out), "--at", AT, "--check")
    assert run.code == 1
    assert re.search(r"returns/de/de/help\.md:\d+:\d+: error\[G005\]: stale", run.err), run.err
    assert "returns/us/" not in run.err


def test_without_the_cache_every_page_is_rendered(
    starter: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    build(starter, out, "--at", AT)
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    run = run_cli("build", "--root", str(starter), "--out", str(out), "--at", AT)
    # the record is not counted among the files; the search files are counted apart
    pages, files = site_pages(starter, AT), site_files(starter, AT) - {RECORD}
    searched = search_files(starter, out)
    assert run.code == 0, run
    assert f"is up to date ({len(pages)} pages, {len(files)} files), and {len(searched)} search files" in run.out


def test_a_damaged_cache_is_ignored(starter: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "site"
    build(starter, out, "--at", AT)
    packs = list((tmp_path / "cache" / "pages").glob("*.marshal"))
    texts = list((tmp_path / "cache" / "pages").glob("*.texts"))  # the pages' texts, beside the pack
    assert len(packs) == len(texts) == 1
    pages = len(site_pages(starter, AT))
    packs[0].write_bytes(b"\x00garbage")  # what is on disk unknown: each page laid out again from its text
    count, said = build(starter, out, "--at", AT)
    assert (count, laid_out(said)) == (0, pages)
    for pack in packs + texts:
        pack.write_bytes(b"\x00garbage")
    count, said = build(starter, out, "--at", AT)
    assert (count, laid_out(said)) == (pages, 0)
    assert build(starter, out, "--at", AT)[0] == 0


def test_failed_builds_record_nothing(starter: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(starter, out, "--at", AT)
    edit(
        starter / "returns/locales/de.po",
        'msgstr "Sie können einen Artikel bis %(days)s nach der Lieferung zurückgeben."',
        'msgstr ""',
    )
    for _ in range(2):  # reported again: a page with a problem is never kept
        run = run_cli("build", "--root", str(starter), "--out", str(out), "--at", AT)
        assert run.code == 1 and "G002" in run.err, run


def test_a_file_changed_within_the_tick_it_was_written_is_caught_by_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Size, time and inode alone would miss it (git calls such entries "racily clean")."""
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.md").write_bytes(b"one\n")
    (out / "a.html").write_bytes(b"<p>one</p>\n")
    cache = pagecache.PageCache.open(str(tmp_path), str(out))
    assert cache is not None
    files = {"a.md": b"one\n", "a.html": b"<p>one</p>\n"}
    cache.save({"a.md": ("k", "One", ("a.md", "a.html"))}, files, set())
    cache = pagecache.PageCache.open(str(tmp_path), str(out))
    assert cache is not None and cache.reusable("a.md", "k", ("a.md", "a.html")) == "One"
    assert cache.reusable("a.md", "other key", ("a.md", "a.html")) is None
    st = os.stat(out / "a.md")
    with open(out / "a.md", "r+b") as f:  # same inode, same size
        f.write(b"two\n")
    os.utime(out / "a.md", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cache.reusable("a.md", "k", ("a.md", "a.html")) is None
    cache.saved += 10 * pagecache.RACY_NS  # long after the file was written, its signature is trusted
    assert cache.reusable("a.md", "k", ("a.md", "a.html")) == "One"


def test_a_page_text_is_given_back_only_under_its_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.md").write_bytes(b"one\n")
    one, two = ("one\n", "<p>one</p>", "One"), ("two\n", "<p>two</p>", "Two")
    records: dict[str, tuple[str, str, tuple[str, ...]]] = {"a.md": ("k", "One", ("a.md",))}

    def reopened() -> pagecache.PageCache:
        cache = pagecache.PageCache.open(str(tmp_path), str(out))
        assert cache is not None
        return cache

    reopened().save(records, {"a.md": b"one\n"}, set(), {"a.md": ("t", one)})
    cache = reopened()
    assert cache.text("a.md", "t") == one
    assert cache.text("a.md", "other") is None and cache.text("b.md", "t") is None
    # a page not rendered keeps its stored text while its text key is the one it was made from
    cache.save(records, {}, {"a.md"}, {"a.md": ("t", None), "b.md": ("u", two)})
    cache = reopened()
    assert (cache.text("a.md", "t"), cache.text("b.md", "u")) == (one, two)
    cache.save(records, {}, {"a.md"}, {"a.md": ("t2", None), "b.md": ("v", two)})
    cache = reopened()
    assert (cache.text("a.md", "t"), cache.text("a.md", "t2"), cache.text("b.md", "v")) == (None, None, two)


def test_old_packs_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    (tmp_path / "out").mkdir()
    for i in range(70):
        cache = pagecache.PageCache.open(str(tmp_path / f"repo{i}"), str(tmp_path / "out"))
        assert cache is not None
        cache.save({"index": ("k", "", ())}, {}, set())
    assert 60 <= len(list((tmp_path / "cache" / "pages").glob("*.marshal"))) <= 65


@pytest.mark.slow
@pytest.mark.parametrize("repo", [SECOND], indirect=True)
def test_random_edits_build_what_a_full_build_writes(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A differential check: values in overlays, programs and test cases, translations, the HTML
    layout's markup and the languages of a marketplace, changed at random, each kind in turn (an edit
    that makes the repository invalid is undone); after each, the incremental tree equals a full
    build's. The last two change only the layout around some pages' text (engine.cache.pages: those
    pages are laid out again from their stored text). Run on the copy with a second program only: it
    holds all of policies/ and the copy, so an edit may fall in either program; and 3 edits of each
    kind (each a build and a full build of the whole copy)."""
    import random

    rng = random.Random(20261123)
    kinds = [
        sorted(repo.glob("*/marketplaces/*.yaml")),
        sorted(repo.glob("*/program.yaml")),
        sorted(repo.glob("*/tests/*.yaml")),
        sorted(repo.rglob("*.po")),
        sorted(repo.glob("_site/*.html.j2")),
        [repo / "marketplaces.yaml"],
    ]
    out = tmp_path / "site"
    build(repo, out, "--at", AT)
    changed = relaid = 0
    turns = 18
    for turn in range(turns):
        path = rng.choice(kinds[turn % len(kinds)])
        text = path.read_text(encoding="utf-8")
        words = list(re.finditer(r'msgstr "([^"%\\]{4,})"', text))
        # numbers that are values: after `value: `, `- ` or `key: `, not in comments
        numbers = [
            m
            for m in re.finditer(r"(?<![\w.:-])\d+(?![\w.:-])", text)
            if re.fullmatch(r"\s*(value: |- |[\w-]+: )", text[text.rfind("\n", 0, m.start()) + 1 : m.start()])
        ]
        tags = list(re.finditer(r"<[a-z][a-z0-9]*(?=[\s>])", text))  # the layout's elements
        locales = list(re.finditer(r"(?m)^(\s*locales: )\[([^\]]*)\]", text))  # a marketplace's languages
        if path.name.endswith(".html.j2") and tags:
            m = rng.choice(tags)
            path.write_text(f'{text[: m.end()]} data-edit="{turn}"{text[m.end() :]}', encoding="utf-8")
        elif path.name == "marketplaces.yaml" and locales:
            m = rng.choice(locales)
            listed = [tag.strip() for tag in m.group(2).split(",")]
            more = sorted(LANGUAGES - set(listed))
            # one more language (its pages are new, the others' switchers list it), or one fewer
            listed = listed + [rng.choice(more)] if more and (len(listed) < 3 or rng.random() < 0.5) else listed[:-1]
            path.write_text(f"{text[: m.start(2)]}{', '.join(listed)}{text[m.end(2) :]}", encoding="utf-8")
        elif path.suffix == ".po" and words:
            m = rng.choice(words)
            path.write_text(text[: m.start(1)] + m.group(1)[::-1] + text[m.end(1) :], encoding="utf-8")
        elif numbers:
            m = rng.choice(numbers)
            path.write_text(
                text[: m.start()] + str(int(m.group()) + rng.randint(1, 3)) + text[m.end() :], encoding="utf-8"
            )
        else:
            continue
        run = run_cli("build", "--root", str(repo), "--out", str(out), "--at", AT)
        if run.code != 0:  # the edit broke the repository: undo it
            path.write_text(text, encoding="utf-8")
            continue
        changed += 1
        relaid += laid_out(run.out) > 0
        assert_same_as_full_build(repo, out, tmp_path, monkeypatch, "--at", AT)
    assert changed >= turns // 3  # most edits keep the repository valid (a third at least, as with 24)
    assert relaid >= 2  # and the layout's edits laid pages out again from their stored text
