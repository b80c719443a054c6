"""Make a bundle from a loaded, clean repository (see ``engine.bundle.fileformat`` for the file).

What a bundle holds: the marketplaces; for every program × marketplace the resolved parameters of
each period of its timeline (a period starts on every date where any value changes), with where
each value came from and what it rests on (its source, note, assumption); every decision as its
definition plus the Python the decision compiler generated for it (source text, never code
objects: a bundle is data, and loads on another Python); the policy test cases; the sha256 of
every source file; the engine's and its dependencies' versions.

Every file is named from the repository's top with `/` between names (`policies/PROGRAM/program.yaml`),
however and wherever the bundle was made (`--root` absolute or relative, the top or its policies
folder, from a subfolder): the same sources give the same bytes, and a bundle never publishes the
folders of the machine that made it. ``engine.bundle.load`` names them from the working folder.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from engine.bundle import fileformat
from engine.model.policy import Decision, Program, TestCase
from engine.problems import Pos

DEPENDENCIES = ("pyyaml", "jsonschema", "jinja2", "click", "babel")


def make(repo: Any) -> bytes:
    """The bundle's bytes, for a repository without errors (the caller checks ``repo.problems``)."""
    programs = sorted(repo.programs.values(), key=lambda p: p.id)
    top = top_of(repo.root)
    named = _naming(top)
    sections: list[tuple[str, Any]] = [
        (
            "marketplaces",
            {mp.id: _marketplace(mp, named) for mp in sorted(repo.marketplaces.values(), key=lambda m: m.id)},
        ),
        ("programs", {p.id: _program(repo, p, named) for p in programs}),
        ("decisions", {p.id: {d: _decision(repo, p, d, named) for d in sorted(p.decisions)} for p in programs}),
        (
            "tests",
            [
                _case(c, named)
                for p in programs
                for c in sorted(p.tests, key=lambda c: (named(c.pos.file), c.pos.line, c.pos.col))
            ],
        ),
    ]
    manifest = {
        "engine": _engine(),
        "python": ".".join(map(str, sys.version_info[:2])),
        "dependencies": _dependencies(),
        "sources": sources(repo.root, top),
    }
    return fileformat.seal(manifest, sections)


def top_of(policies: str) -> str:
    """The top (absolute) of the repository whose policies folder is ``policies``: the nearest top
    above it whose settings name it (its policyctl.toml, else `policies/`), as `policyctl` finds a
    repository from a folder inside it; else its parent (a policies folder with no top of its own,
    as `--root` takes one; a copy of a repository's policies inside another repository)."""
    from engine.source import project

    folder = os.path.abspath(policies)
    here = os.path.dirname(folder)
    while True:
        if project.is_top(here):
            try:
                if os.path.normcase(project.read(here).policies) == os.path.normcase(folder):
                    return here
            except project.ProjectError:
                pass
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.dirname(folder)
        here = parent


def _naming(top: str) -> Callable[[str], str]:
    """How the bundle names a file the load named ``file`` (from the policies folder as it was
    given): from ``top``, with `/` between names."""
    names: dict[str, str] = {}

    def named(file: str) -> str:
        found = names.get(file)
        if found is None:
            found = names[file] = file if file.startswith("<") else from_top(file, top)
        return found

    return named


def from_top(path: str, top: str) -> str:
    """``path`` from the folder ``top``, with `/` between names (as git names a file)."""
    return os.path.relpath(os.path.abspath(path), top).replace(os.sep, "/")


def sources(root: str, top: str) -> dict[str, str]:
    """sha256 of every file below the policies folder ``root``, by path from the repository's top
    ``top`` (symbolic links left out)."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(folder, d)))
        for name in sorted(files):
            path = os.path.join(folder, name)
            if name.startswith(".") or os.path.islink(path):
                continue
            with open(path, "rb") as f:
                found[from_top(path, top)] = fileformat.sha256(f.read())
    return dict(sorted(found.items()))


def _engine() -> dict[str, str]:
    from engine.cache.store import sources_digest

    return {"version": _version("policyctl"), "sources": sources_digest()}


def _dependencies() -> dict[str, str]:
    return {name: _version(name) for name in DEPENDENCIES}


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def _pos(pos: Pos, named: Callable[[str], str]) -> list[Any]:
    return [named(pos.file), pos.line, pos.col]


def _marketplace(mp: Any, named: Callable[[str], str]) -> dict[str, Any]:
    return {
        "country": mp.country,
        "currency": mp.currency,
        "time_zone": mp.time_zone,
        "locales": list(mp.locales),
        "site": mp.site,
        "pos": _pos(mp.pos, named),
    }


def _program(repo: Any, prog: Program, named: Callable[[str], str]) -> dict[str, Any]:
    evidence: dict[tuple[Any, ...], int] = {}  # each distinct (source, note, assumption, ...) once
    marketplaces = {
        mp: _periods(repo, prog, mp, named, evidence) for mp in prog.marketplaces if mp in repo.marketplaces
    }
    return {
        "title": prog.title,
        "names": prog.names,
        "pos": _pos(prog.pos, named),
        "marketplaces": marketplaces,
        # in the order first met: the same sources give the same list
        "evidence": [
            [source, note, assumption, list(assumed), on_pages]
            for source, note, assumption, assumed, on_pages in evidence
        ],
    }


def _periods(
    repo: Any, prog: Program, mp: str, named: Callable[[str], str], evidence: dict[tuple[Any, ...], int]
) -> list[dict[str, Any]]:
    """The timeline as periods: from each date where any value changes, every value in force, each
    with its record: (file, line, col, origin, the number of its evidence in ``evidence``). What a
    value rests on (its `source`, `note`, `assumption`, what is assumed, `on_pages`) is kept once
    per program however many periods and parameters share it: `decide --explain` and
    ``Bundle.resolve`` say it as the repository does."""
    starts = sorted({e.start for name in prog.parameters for e in prog.timeline(name, mp)[1:] if e.start})
    periods = []
    for start in [None, *starts]:
        resolved = repo.resolve(prog.id, mp, start or "0001-01-01")
        sources = {}
        for n, e in resolved.entries.items():
            number = evidence.setdefault((e.source, e.note, e.assumption, e.assumed, e.on_pages), len(evidence))
            sources[n] = [*_pos(e.pos, named), resolved.origin(n), number]
        periods.append({"from": start, "values": resolved.values, "sources": sources})
    return periods


def _expr(checked: Any, named: Callable[[str], str]) -> dict[str, Any]:
    return {
        "source": checked.expr.source,
        "pos": _pos(checked.expr.pos, named),
        "python": checked.python,
        "names": sorted(checked.names),
        "params": sorted(checked.params),
        "uses_at": checked.uses_at,
        "inputs_tested": sorted(checked.inputs_tested),
    }


def _outs(outs: Any, named: Callable[[str], str]) -> list[Any]:
    return [[o.name, {"expr": _expr(o.checked, named)} if o.checked is not None else {"value": o.value}] for o in outs]


def _decision(repo: Any, prog: Program, name: str, named: Callable[[str], str]) -> dict[str, Any]:
    compiled = repo.compiled(prog.id, name)  # PolicyError when it does not compile
    d: Decision = compiled.decision
    lets = dict(compiled._lets)  # every `let` compiled: a repository with errors is never bundled
    return {
        "title": d.title,
        "description": d.description,
        "inputs": d.inputs,
        "required": list(d.required),
        "hit": d.hit,
        "aggregate": d.aggregate,
        "outputs": d.outputs,
        "file": named(d.file),
        "pos": _pos(d.pos, named),
        "let": [[n, _expr(lets[n], named)] for n in d.let],
        "rules": [
            {
                "id": row.rule.id,
                "reason": row.rule.reason,
                "pos": _pos(row.rule.pos, named),
                "when": None if row.when is None else _expr(row.when, named),
                "then": _outs(row.outputs, named),
            }
            for row in compiled._rows
        ],
        "default": None if compiled._default is None else _outs(compiled._default, named),
        "python": compiled.source,
        "python_rows": compiled.row_source,
        "constants": compiled.constants,
    }


def _case(case: TestCase, named: Callable[[str], str]) -> dict[str, Any]:
    return {
        "name": case.name,
        "program": case.program,
        "decision": case.decision,
        "marketplace": case.marketplace,
        "at": case.at,
        "input": case.input,
        "expect": case.expect,
        "pos": _pos(case.pos, named),
        "example": case.example,
        "description": case.description,
    }
