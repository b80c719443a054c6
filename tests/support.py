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
    (default: the program's) and each language that marketplace lists. Read from the files rather
    than taken from the engine's plan, so that tests can hold the plan to it."""
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
            pages = {p.name[: -len(".md.j2")]: program.marketplaces for p in (folder / "pages").glob("*.md.j2")
                     if not p.name.startswith("_")}
        for page, marketplaces in pages.items():
            for mp in marketplaces:
                found |= {f"{program.id}/{mp}/{tag}/{page}" for tag in repo.marketplaces[mp].locales}
    return found


def select(pages: set[str], program: str | None = None, marketplace: str | None = None,
           locale: str | None = None) -> set[str]:
    """The pages of `declared_pages` of one program, marketplace and/or language."""
    def keep(path: str) -> bool:
        p, mp, tag, _ = path.split("/")
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
