"""What a site build made (`Built`: files, index rows, problems, and the records the page cache
keeps), and what a finished tree's index.json says about it later."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from engine.model.clock import today
from engine.model.repository import Repository
from engine.problems import Problem
from engine.site.plan import Job

INDEX = "index"  # the index files' entry in engine.cache.pages
INDEX_FILES = ("index.html", "index.json", "index.md")
# An empty file that tells GitHub Pages, publishing a branch's folder, to serve the folder as it is
# instead of building it with Jekyll: Jekyll would leave out `_search/` and `_marketplaces/` (names
# starting with `_`), and turn every `.md` file (our Markdown pages, or one someone added) into an
# HTML page of its own, raw HTML and all. Written by every build, like the index.
NOJEKYLL = ".nojekyll"


@dataclass
class Built:
    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)  # index.json rows
    editions: list[dict[str, Any]] = field(default_factory=list)  # index.json: the past editions
    kept: set[str] = field(default_factory=set)  # files not made again: those on disk are current
    # for engine.cache.pages: a page's .md path (or INDEX) -> (key, title, its files)
    records: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    rendered: int = 0  # pages rendered (the others were kept or laid out again)
    laid_out: int = 0  # pages whose text, as rendered before, was put in the layout again
    # for engine.cache.pages: a page's .md path -> (its text key, its text if rendered by this build)
    texts: dict[str, tuple[str, tuple[str, str, str] | None]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)  # do not stop publishing (a language shown in English)


def title_of(job: Job, rendered: dict[Job, tuple[str, str, str]], reused: dict[Job, str]) -> str:
    return rendered[job][2] if job in rendered else reused[job]


def passed_dates(out_dir: str, repo: Repository, at: str | None) -> list[str]:
    """Why a committed tree went stale without a source change: effective dates it announced as
    upcoming (`next_change` in its index.json) that have now arrived."""
    from engine.site.disk import read_file

    # (the folder arrives with the pull request: index.json may be anything, or a link to anything)
    raw = read_file(out_dir, "index.json", 64 * 1024 * 1024)
    try:
        data = json.loads(raw) if raw is not None else None
    except (ValueError, RecursionError):
        return []
    entries = data.get("pages") if isinstance(data, dict) else None
    reasons = set()
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        upcoming, program, where = entry.get("next_change"), entry.get("program"), entry.get("marketplace")
        mp = repo.marketplaces.get(where) if isinstance(where, str) else None
        if not isinstance(upcoming, str) or not isinstance(program, str) or mp is None:
            continue
        if upcoming <= (at or today(mp.time_zone)):
            reasons.add(
                f"the effective date {upcoming} ({program} in {mp.id}) has arrived since "
                f"{out_dir} was built: the pages must now state the new rules"
            )
    return sorted(reasons)
