"""Row and tier-band coverage: what the test cases exercise, and what no case reaches.

- A row is covered when it matched in some case: for `first` the row that answered, for `collect`
  and `unique` every matched row.
- A band is covered, per decision, when some case evaluated a `tier(params.X, ARG)` call of that
  decision with ARG inside the band. Bands counted are those of the timeline entries in force today
  or later in each of the program's marketplaces (past tables are history, not policy to test);
  an overlay's table therefore needs cases in its marketplace.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.decisions import tiers
from engine.model.clock import today
from engine.model.policy import Decision, Entry, Program
from engine.model.repository import Repository
from engine.policytests.cases import Outcome
from engine.problems import Pos


@dataclass(frozen=True, slots=True)
class Item:
    """One thing a case can exercise: a decision row or a (decision, band) pair."""

    program: str
    kind: str  # "row" | "band"
    pos: Pos
    label: str
    covered: bool


@dataclass(frozen=True, slots=True)
class Coverage:
    items: tuple[Item, ...]

    def count(self, kind: str) -> tuple[int, int]:
        mine = [i for i in self.items if i.kind == kind]
        return sum(i.covered for i in mine), len(mine)

    @property
    def percent(self) -> float:
        if not self.items:
            return 100.0
        return 100.0 * sum(i.covered for i in self.items) / len(self.items)

    @property
    def missing(self) -> list[Item]:
        return [i for i in self.items if not i.covered]


def in_scope(repo: Repository, path: str | None) -> list[Program]:
    """Programs whose folder holds ``path`` or lies below it (all programs when no path is given)."""
    progs = sorted(repo.programs.values(), key=lambda p: p.id)
    if path is None:
        return progs
    wanted = os.path.abspath(path)
    return [p for p in progs if _related(os.path.abspath(p.dir), wanted)]


def _related(folder: str, wanted: str) -> bool:
    return any(a == b or a.startswith(b.rstrip(os.sep) + os.sep) for a, b in ((folder, wanted), (wanted, folder)))


def measure(repo: Repository, programs: Iterable[Program], outcomes: list[Outcome]) -> Coverage:
    answered = [o for o in outcomes if o.kind == "case" and o.result is not None and o.result.ok]
    items: list[Item] = []
    for prog in programs:
        for dec in sorted(prog.decisions.values(), key=lambda d: d.id):
            mine = [o for o in answered if o.program == prog.id and o.decision == dec.id]
            items += _rows(prog, dec, mine)
            items += _bands(repo, prog, dec, mine)
    return Coverage(tuple(items))


def _rows(prog: Program, dec: Decision, outcomes: list[Outcome]) -> list[Item]:
    matched = {row for o in outcomes for row in o.result.matches}
    return [
        Item(prog.id, "row", rule.pos, f"row `{rule.id}` of `{dec.id}` is never matched", rule.id in matched)
        for rule in dec.rules
    ]


def _bands(repo: Repository, prog: Program, dec: Decision, outcomes: list[Outcome]) -> list[Item]:
    sites = tiers.sites(dec, tiers.tiered(prog))
    items = []
    for parameter, arg in dict.fromkeys((s.parameter, s.arg) for s in sites):
        mine = [s for s in sites if (s.parameter, s.arg) == (parameter, arg)]
        hit = _hits(repo, prog, dec, mine, outcomes)
        for entry, markets in _required(prog, parameter, {m: mp.time_zone for m, mp in repo.marketplaces.items()}):
            for band in tiers.bands(repo, entry.value, entry.pos):
                label = (
                    f"{band.label()} of `{parameter}` ({', '.join(markets)}) is never reached by "
                    f"`{dec.id}` (`tier(params.{parameter}, {arg})`)"
                )
                items.append(Item(prog.id, "band", band.pos, label, (entry.pos, band.index) in hit))
    return items


def _required(prog: Program, parameter: str, zones: dict[str, str]) -> list[tuple[Entry, list[str]]]:
    """Timeline entries in force today (the marketplace's) or later, each with the marketplaces that use it."""
    found: dict[Pos, tuple[Entry, list[str]]] = {}  # by position: entries hold lists, so are unhashable
    for mp in prog.marketplaces:
        day = today(zones.get(mp))
        line = prog.timeline(parameter, mp)
        for entry in [_entry(line, day)] + [e for e in line if e.start is not None and e.start > day]:
            found.setdefault(entry.pos, (entry, []))[1].append(mp)
    return list(found.values())


def _hits(
    repo: Repository, prog: Program, dec: Decision, sites: list[tiers.Site], outcomes: list[Outcome]
) -> set[tuple[Pos, int]]:
    """(entry position, band index) of every band a case reached through one of ``sites``."""
    fn, names = tiers.evaluator(dec, sites[0].arg, set(prog.parameters), sites[0].pos)
    if fn is None:
        return set()
    needs_lets = any(n in dec.let for n in names)
    hit = set()
    for o in outcomes:
        if not any(_evaluated(dec, s.where, o.result) for s in sites):
            continue
        case = _case(prog, o)
        if case is None:
            continue
        entry = _entry(prog.timeline(sites[0].parameter, case.marketplace), case.at)
        env = {n: case.input.get(n) for n in dec.inputs}
        if needs_lets:
            env.update(o.result.explain().lets)
        try:
            x = fn(case.input, repo.params(prog.id, case.marketplace, case.at), case.at, env)
        except Exception:  # a policy expression may fail in any way (EvalError, TypeError...): no band
            continue
        index = tiers.band_of(entry.value, x)
        if index is not None:
            hit.add((entry.pos, index))
    return hit


def _evaluated(dec: Decision, where: tiers.Where, result: Any) -> bool:
    """Whether the case's evaluation ran the expression at ``where``."""
    kind = where[0]
    if kind == "let":
        return True
    if kind == "default":
        return bool(result.default_used)
    if kind == "then":
        return where[1] in result.matches
    ids = [r.id for r in dec.rules]
    if dec.hit != "first" or not result.matches:
        return True
    return ids.index(where[1]) <= ids.index(result.matches[0])


def _case(prog: Program, outcome: Outcome) -> Any:
    return next((c for c in prog.tests if c.pos == outcome.pos), None)


def _entry(line: tuple[Entry, ...], day: str) -> Entry:
    chosen = line[0]
    for entry in line[1:]:
        if entry.start is not None and entry.start <= day:
            chosen = entry
    return chosen
