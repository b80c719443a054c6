"""Helpers shared by the tests (fixtures live in conftest.py): where things are, editing a file,
running the command line in-process."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
MINI = CORPUS / "repos" / "mini"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None) -> CliRun:
    """Run cli.py's click app in-process (fast) and return exit code and output."""
    from click.testing import CliRunner

    import cli

    runner = CliRunner()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = runner.invoke(cli.main, list(args), input=stdin, catch_exceptions=True)
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliRun(result.exit_code, result.stdout, result.stderr)


class CliRun:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliRun(code={self.code}, out={self.out[:500]!r}, err={self.err[:500]!r})"


# -- what a repository declares, read from its files --------------------------------------------------
# Tests derive their expected pages, languages and counts from these, so they hold for any content.

INDEX_FILES = {"index.html", "index.json", "index.md"}


def declared_pages(policies: Path | str) -> set[str]:
    """`program/marketplace/language/page` of every page the repository declares: each page of a
    program's `pages.yaml` (without one, each `pages/*.md.j2`) in each marketplace the page names
    (default: the program's) and each language that marketplace lists and the program is written
    in (its `languages:`, English always). Read from the files rather than taken from the engine's
    plan, so that tests can hold the plan to it."""
    import yaml

    import engine

    repo = engine.load(str(policies))
    found = set()
    for program in repo.programs.values():
        folder = Path(program.dir)
        if (folder / "pages.yaml").is_file():
            manifest = yaml.safe_load((folder / "pages.yaml").read_text(encoding="utf-8"))
            pages = {page: spec.get("marketplaces") or program.marketplaces for page, spec in manifest["pages"].items()}
        else:
            pages = {
                p.name[: -len(".md.j2")]: program.marketplaces
                for p in (folder / "pages").glob("*.md.j2")
                if not p.name.startswith("_")
            }
        written = yaml.safe_load((folder / "program.yaml").read_text(encoding="utf-8")).get("languages")
        for page, marketplaces in pages.items():
            for mp in marketplaces:
                found |= {
                    f"{program.id}/{mp}/{tag}/{page}"
                    for tag in repo.marketplaces[mp].locales
                    if written is None or tag in written or tag == "en"
                }
    return found


ORIGINAL = "original"  # the folder of the edition before a program's first dated change
FEED = "changes.atom"  # a program's change feed, one per marketplace and language


def effective_dates(policies: Path | str, program: str, marketplace: str, at: str) -> list[str]:
    """The days on or before `at` on which a value of the program changed in the marketplace
    (the timelines of its parameters), oldest first."""
    import engine

    repo = engine.load(str(policies))
    return sorted(
        {change.start for change in repo.history(program, marketplace) if change.start and change.start <= at}
    )


def declared_editions(policies: Path | str, at: str) -> set[str]:
    """`program/marketplace/language/edition/page` of every past edition a build on day `at`
    publishes: each declared page of a program and marketplace whose values changed by then has
    its `original` edition (the rules before the first change) and one per change but the latest
    (that one is the current page), named by its day. Derived from the timelines, not from the
    engine's edition plan (engine/site/editions.py), so that tests can hold the plan to it."""
    found = set()
    dates: dict[tuple[str, str], list[str]] = {}
    for page in declared_pages(policies):
        program, mp, tag, name = page.split("/")
        days = dates.get((program, mp))
        if days is None:
            days = dates[(program, mp)] = effective_dates(policies, program, mp, at)
        if days:
            found |= {f"{program}/{mp}/{tag}/{folder}/{name}" for folder in (ORIGINAL, *days[:-1])}
    return found


def site_pages(policies: Path | str, at: str) -> set[str]:
    """Every page a build on day `at` renders: the current ones and the past editions."""
    return declared_pages(policies) | declared_editions(policies, at)


def feeds_of(pages: set[str]) -> set[str]:
    """The change feeds beside these pages: one per program, marketplace and language with a past edition."""
    return {"/".join(page.split("/")[:3] + [FEED]) for page in pages if page.count("/") == 4}


def without_search(files: set[str]) -> set[str]:
    """``files`` without the search (`_search/`, `search/<lang>.html`): Pagefind's file names are
    hashes of the index, so tests that list a build's files compare the rest."""
    return {f for f in files if not f.startswith(("_search/", "search/"))}


def site_files(policies: Path | str, at: str) -> set[str]:
    """Every file a build on day `at` writes: the indexes, the build record, each page's Markdown
    and HTML (past editions too) and the change feeds."""
    from engine.site.ownership import RECORD

    pages = site_pages(policies, at)
    return INDEX_FILES | {RECORD} | files_of(pages) | feeds_of(pages)


def select(
    pages: set[str], program: str | None = None, marketplace: str | None = None, locale: str | None = None
) -> set[str]:
    """The pages (current or past editions) of one program, marketplace and/or language."""

    def keep(path: str) -> bool:
        p, mp, tag = path.split("/")[:3]
        return program in (None, p) and marketplace in (None, mp) and locale in (None, tag)

    return {path for path in pages if keep(path)}


def files_of(pages: set[str]) -> set[str]:
    """The files a build writes for these pages: Markdown and HTML."""
    return {f"{page}.{ext}" for page in pages for ext in ("md", "html")}


def published_locales(policies: Path | str) -> dict[str, set[str]]:
    """Translation domain -> the languages its pages are published in, English (the source) left
    out: each program with pages, and `_site` (the shared layout) for every language of any page."""
    domains: dict[str, set[str]] = {}
    for page in declared_pages(policies):
        program, _, tag, _ = page.split("/")
        if tag != "en":
            domains.setdefault(program, set()).add(tag)
            domains.setdefault("_site", set()).add(tag)
    return domains


def catalog_size(policies: Path | str, domain: str) -> int:
    """The number of messages in a domain's committed template (`locales/messages.pot`)."""
    from babel.messages.pofile import read_po

    with open(Path(policies) / domain / "locales" / "messages.pot", "rb") as f:
        return sum(1 for message in read_po(f) if message.id)


def copy_program(policies: Path, program: str, new_id: str) -> None:
    """Add a second copy of a program under another id, as an author would: its folder copied, its
    `id:` changed, its catalog template extracted again (the template's header names its domain;
    the translations need nothing else: a program's translation domain is its folder)."""
    import shutil

    shutil.copytree(policies / program, policies / new_id)
    edit(policies / new_id / "program.yaml", f"\nid: {program}\n", f"\nid: {new_id}\n")
    run = run_cli("i18n", "extract", new_id, "--root", str(policies))
    assert run.code == 0, run
