"""Which pages a program has: `policies/<program>/pages.yaml`, or its templates.

Pages are Jinja2 templates that write Markdown, in `policies/<program>/pages/`. The manifest
(kind `pages`, schemas/pages.schema.json) lists each page's template and the marketplaces it is
published for; without one, every `pages/*.md.j2` not starting with `_` is a page for all the
program's marketplaces. Each page is published in every language its marketplace lists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from engine.model.policy import Program
from engine.model.repository import Repository
from engine.problems import Pos, Problem
from engine.source.layout import ID


@dataclass(frozen=True, slots=True)
class Page:
    program: str
    id: str
    template: str  # relative to the program's pages/ folder
    marketplaces: tuple[str, ...]
    pos: Pos


def pages_dir(program: Program) -> str:
    return os.path.join(program.dir, "pages")


def pages_of(repo: Repository, program: Program) -> tuple[list[Page], list[Problem]]:
    """The program's pages from pages.yaml (or its templates), with problems in the manifest."""
    manifest = os.path.join(program.dir, "pages.yaml")
    doc = repo._documents.get(manifest)
    folder = pages_dir(program)
    if doc is None:
        found = (
            sorted(n for n in os.listdir(folder) if n.endswith(".md.j2") and not n.startswith("_"))
            if os.path.isdir(folder)
            else []
        )
        # a page id becomes part of output paths and of links in the index: only ids, never markup
        bad = [
            Problem(
                os.path.join(folder, n),
                1,
                1,
                "L006",
                f"`{n[: -len('.md.j2')]}` is not a page id",
                "name page templates `ID.md.j2` with an id such as `help` (a-z, 0-9, _)",
            )
            for n in found
            if not ID.match(n[: -len(".md.j2")])
        ]
        return [
            Page(program.id, n[: -len(".md.j2")], n, program.marketplaces, Pos(os.path.join(folder, n)))
            for n in found
            if ID.match(n[: -len(".md.j2")])
        ], bad
    if doc.problems or not isinstance(doc.data, dict):
        return [], []  # reported by the loader
    pages: list[Page] = []
    problems: list[Problem] = []
    for page_id, spec in doc.data["pages"].items():
        base = ("pages", page_id)
        template = spec["template"]
        if not os.path.isfile(os.path.join(folder, template)):
            problems.append(
                Problem.at(
                    doc.pos(base + ("template",)),
                    "G001",
                    f"no template `{template}` in {folder}",
                    "create it or correct the name",
                )
            )
            continue
        mps = tuple(spec.get("marketplaces") or program.marketplaces)
        for i, mp in enumerate(mps):
            if mp not in program.marketplaces:
                problems.append(
                    Problem.at(
                        doc.pos(base + ("marketplaces", i)),
                        "P001",
                        f"`{program.id}` is not offered in marketplace `{mp}`",
                        f"use one of: {', '.join(program.marketplaces)}",
                    )
                )
        pages.append(
            Page(program.id, page_id, template, tuple(m for m in mps if m in program.marketplaces), doc.key_pos(base))
        )
    return pages, problems
