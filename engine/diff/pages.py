"""Which generated pages a policy change touches (a page is program × marketplace × locale × page).

Both versions' sites are rendered in memory (``engine.site.build``) and their Markdown compared;
the reasons given are the estimate's. When a side cannot be rendered, the estimate alone is used,
an approximation that needs no rendering: a program's pages in a marketplace change when one of
its parameters changes there on any day (pages show the rule and its history), when a decision,
the program's names or texts, a worked example, a template, a translation catalog or the
marketplace itself changes. It can only over-report: a page that shows none of the changed values
is listed too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from engine.model.policy import Program
from engine.model.repository import Repository
from engine.site.editions import unconfirmed_dates


@dataclass(frozen=True, slots=True)
class PageChange:
    program: str
    marketplace: str
    locale: str
    page: str | None  # None when the program lists no pages
    reasons: tuple[str, ...]
    # a past edition named by a day that is an assumption (`2026-03-01/help`, `assumed: [date]`):
    # reports say so, as the pages themselves do
    date_assumed: bool = False

    @property
    def path(self) -> str:
        return "/".join(p for p in (self.program, self.marketplace, self.locale, self.page) if p)


def changed_pages(old: Repository, new: Repository, diff: Any, at: str | None = None) -> list[PageChange]:
    """Pages whose rendered Markdown differs, when both sites render; else the estimate below."""
    estimate = estimated_pages(old, new, diff)
    rendered = _rendered(old, new, at)
    if rendered is None:
        return estimate
    why = {(p.program, p.marketplace): p.reasons for p in estimate}
    unconfirmed: dict[tuple[int, str, str], frozenset[str]] = {}
    found = []
    for path, how in sorted(rendered.items()):
        program, mp, locale, *rest = path[: -len(".md")].split("/")
        page = "/".join(rest)  # (a past edition's: `original/help`)
        reasons = why.get((program, mp)) or ("the page's text",)
        # the edition's day as the side that has the page says it (the old one for a page removed)
        side = old if how == "removed" else new
        key = (id(side), program, mp)
        if len(rest) > 1 and key not in unconfirmed:
            unconfirmed[key] = unconfirmed_dates(side, program, mp)
        assumed = len(rest) > 1 and rest[0] in unconfirmed[key]
        found.append(PageChange(program, mp, locale, page, reasons if how == "changed" else (f"page {how}",), assumed))
    return found


def _rendered(old: Repository, new: Repository, at: str | None) -> dict[str, str] | None:
    """`program/marketplace/locale/page.md` -> changed | added | removed, by building both sites in
    memory; None when either side cannot be built (no pages engine, no pages, render errors)."""
    from engine import PolicyError
    from engine.site import build as site

    try:  # a build reports bad content as problems; what is left is a side that cannot be read
        built = [site.build(repo, at) for repo in (old, new)]
    except (PolicyError, OSError):
        return None
    pages = [_pages_of(side.files) for side in built]
    if not pages[0] or not pages[1]:
        return None
    found = {}
    for path in sorted(set(pages[0]) | set(pages[1])):
        before, after = pages[0].get(path), pages[1].get(path)
        if before != after:
            found[path] = "added" if before is None else "removed" if after is None else "changed"
    return found


def _pages_of(files: dict[str, bytes]) -> dict[str, tuple[bytes | None, bytes | None]]:
    """`program/marketplace/locale/page.md` (a past edition's: `.../edition/page.md`) -> its Markdown
    and its HTML: a change of either is a change of the page (the HTML alone changes with the
    switchers: a marketplace or language added elsewhere)."""
    found: dict[str, tuple[bytes | None, bytes | None]] = {}
    for path, data in files.items():
        depth = path.count("/")
        if depth not in (3, 4) or path.startswith("search/") or not path.endswith((".md", ".html")):
            continue
        key = path[: path.rindex(".")] + ".md"
        md, html = found.get(key, (None, None))
        found[key] = (data, html) if path.endswith(".md") else (md, data)
    return found


def estimated_pages(old: Repository, new: Repository, diff: Any) -> list[PageChange]:
    found = []
    for pid in sorted(set(old.programs) & set(new.programs)):
        a, b = old.programs[pid], new.programs[pid]
        everywhere = _program_reasons(old, new, a, b, diff)
        for mp in b.marketplaces:
            reasons = everywhere + _marketplace_reasons(new, a, b, mp, diff)
            if not reasons:
                continue
            market = new.marketplaces.get(mp) or old.marketplaces.get(mp)
            for locale in market.locales if market else ():
                for page in _pages(new, b, mp):
                    found.append(PageChange(pid, mp, locale, page, tuple(dict.fromkeys(reasons))))
    return found


def _program_reasons(old: Repository, new: Repository, a: Program, b: Program, diff: Any) -> list[str]:
    reasons = [f"decision `{r.decision}`" for r in diff.rows if r.program == b.id]
    if a.names != b.names or a.title != b.title or a.description != b.description:
        reasons.append("program texts")
    if _sources(old, a) != _sources(new, b):
        reasons.append("templates or translations")
    return reasons


def _marketplace_reasons(new: Repository, a: Program, b: Program, mp: str, diff: Any) -> list[str]:
    reasons = [c.label for c in diff.params if c.program == b.id and c.marketplace == mp]
    if mp not in a.marketplaces:
        reasons.append("newly offered")
    if any(f"marketplace `{mp}`" in note for note in diff.notes):
        reasons.append("marketplace")
    if _examples(a, mp) != _examples(b, mp):
        reasons.append("worked examples")
    return reasons


def _examples(prog: Program, mp: str) -> list[tuple[Any, ...]]:
    return [
        (c.name, c.decision, c.at, repr(c.input), repr(c.expect), c.description)
        for c in prog.tests
        if c.example and c.marketplace == mp
    ]


def _sources(repo: Repository, prog: Program) -> dict[str, bytes]:
    """Page templates, manifests, catalogs and shared site files, by path relative to their root."""
    found: dict[str, bytes] = {}
    from engine.site.plan import site_dir

    for folder, prefix in ((prog.dir, ""), (site_dir(repo), "_site/")):
        for dirpath, _, files in os.walk(folder):
            rel = os.path.relpath(dirpath, folder)
            if prefix == "" and rel.split(os.sep)[0] not in ("pages", "locales", os.curdir):
                continue
            for name in files:
                if prefix == "" and rel == os.curdir and name not in ("pages.yaml", "pages.yml"):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    with open(path, "rb") as f:
                        found[prefix + os.path.normpath(os.path.join(rel, name))] = f.read()
                except OSError:
                    continue
    return found


def _pages(repo: Repository, prog: Program, mp: str) -> list[str | None]:
    from engine.site.manifest import pages_of

    try:
        pages, _ = pages_of(repo, prog)
    except OSError:  # an unreadable pages folder: the estimate names the program's pages as one
        return [None]
    mine = [p.id for p in pages if mp in p.marketplaces]
    return list(mine) or [None]
