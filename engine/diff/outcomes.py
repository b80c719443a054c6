"""Which answers change between two versions: decisions evaluated over their finite inputs.

Inputs with a finite domain are enumerated: enums and booleans (plus "absent" when optional), and
numbers at the thresholds the decision can distinguish: the edges of the bands it looks up (just
below, at, just above each edge, in either version, found as `policyctl test --boundaries` does)
and numbers an input is compared with (`units <= params.min_units_for_cpu`). Other inputs keep the
value of a test case of the decision, so a decision with a free-text required input and no case is
skipped. The product is capped (``CAP``); each decision is asked in every marketplace of both
versions, on today and on the first day of every changed parameter interval.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from jinja2 import nodes

from engine.cache.memo import Memo
from engine.decisions import tiers
from engine.decisions.explain import Rests, assumptions, reads
from engine.decisions.expr import parse
from engine.model.clock import today
from engine.model.dates import parse_date
from engine.model.policy import Decision, Program
from engine.model.repository import Repository
from engine.policytests import boundaries, declared
from engine.policytests.cases import same
from engine.problems import PolicyError

CAP = 4096  # input combinations per decision, marketplace and day
SHOWN = 5  # changed answers listed per decision, marketplace and day
MAX_DAYS = 6
_BOUND = r"-?\d+(?:\.\d+)?|params(?:\.[A-Za-z][A-Za-z0-9_]*)+"
# `name OP bound` or `bound OP name`. Either side starts only where no name or number goes on from
# before it: `x1 < y` compares `x1`, not the 1 of it with `y`, and a run of digits is tried once
# (tried at each of its digits, a long run cost its length squared).
_COMPARED = re.compile(
    rf"(?<![\w.])([A-Za-z][A-Za-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*({_BOUND})"
    rf"|(?<![\w.])({_BOUND})\s*(<=|>=|==|!=|<|>)\s*([A-Za-z][A-Za-z0-9_]*)(?![\w(.])"
)


def compared(source: str) -> list[tuple[str, str]]:
    """(name, bound) of each comparison of a name with a number or a parameter in ``source``."""
    return [(m[1], m[3]) if m[1] else (m[6], m[4]) for m in _COMPARED.finditer(source)]


@dataclass(frozen=True, slots=True)
class Answer:
    inputs: dict[str, Any]
    old: dict[str, Any]  # {"outputs": ..., "matches": [...]} or {"error": "..."}
    new: dict[str, Any]
    # the parameters each side's answer read whose value in force that day is an assumption (or in
    # force by an assumed date): reports mark the answer, never state it as fact
    old_rests_on: Rests = ()
    new_rests_on: Rests = ()


@dataclass(frozen=True, slots=True)
class OutcomeChanges:
    program: str
    decision: str
    marketplace: str
    at: str
    tried: int
    changed: int
    shown: tuple[Answer, ...]
    capped: bool
    only: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # inputs whose changed answers take only these values
    assumed: tuple[str, ...] = ()  # the days of ``at`` that a change takes effect on by an assumed date
    # of the ``changed`` answers (shown or not), how many rest on an assumption on either side, and
    # the parameters they rest on: a reader of the counts alone knows they are not all fact
    resting: int = 0
    resting_on: tuple[str, ...] = ()


def compare(old: Repository, new: Repository, diff: Any, at: str | None = None) -> list[OutcomeChanges]:
    """Per decision, marketplace and day, the answers that differ (days with the same changes merged)."""
    found: list[OutcomeChanges] = []
    for a, b, did, mp, day, assumed in _questions(old, new, diff, at):
        changes = _decision(old, new, a, b, did, mp, day)
        if changes is None or not changes.changed:
            continue
        if assumed:
            changes = replace(changes, assumed=(day,))
        if found and _alike(found[-1], changes):
            found[-1] = _merge(found[-1], changes)
        else:
            found.append(changes)
    return found


def _questions(
    old: Repository, new: Repository, diff: Any, at: str | None
) -> Iterator[tuple[Program, Program, str, str, str, bool]]:
    """Decisions in both versions × marketplaces in both × the days worth asking, each with whether
    it is the day of a change whose date is assumed."""
    for pid in sorted(set(old.programs) & set(new.programs)):
        a, b = old.programs[pid], new.programs[pid]
        for did in sorted(set(a.decisions) & set(b.decisions)):
            for mp in [m for m in b.marketplaces if m in a.marketplaces]:
                zone = new.marketplaces[mp].time_zone if mp in new.marketplaces else None
                days, assumed = _days(diff, pid, mp, at or today(zone))  # "today" is the marketplace's
                for day in days:
                    yield a, b, did, mp, day, day in assumed


def _alike(a: OutcomeChanges, b: OutcomeChanges) -> bool:
    """The same answers change on two days (a change that is not tied to a date): report once."""
    return (a.program, a.decision, a.marketplace, a.changed, a.tried, a.resting, a.resting_on) == (
        b.program,
        b.decision,
        b.marketplace,
        b.changed,
        b.tried,
        b.resting,
        b.resting_on,
    ) and [_said(x) for x in a.shown] == [_said(x) for x in b.shown]


def _said(a: Answer) -> tuple[Any, ...]:
    """What a report says of an answer (on a day whose answers rest on other assumptions, it differs)."""
    return (a.inputs, a.old, a.new, a.old_rests_on, a.new_rests_on)


def _merge(a: OutcomeChanges, b: OutcomeChanges) -> OutcomeChanges:
    return replace(a, at=f"{a.at}, {b.at}", assumed=a.assumed + b.assumed)


def _days(diff: Any, program: str, mp: str, at: str) -> tuple[list[str], set[str]]:
    """``at``, and a day inside each changed interval of the program's parameters in ``mp``; and
    those of them that are a change's day by an assumed date (a report marks them)."""
    days = {at}
    assumed = set()
    for c in diff.params:
        if c.program == program and c.marketplace == mp:
            day = c.start or c.end or at
            days.add(day)
            if (c.start and c.start_assumed) or (not c.start and c.end and c.end_assumed):
                assumed.add(day)
    return sorted(days)[:MAX_DAYS], assumed


def _decision(
    old: Repository, new: Repository, a: Program, b: Program, did: str, mp: str, day: str
) -> OutcomeChanges | None:
    try:
        sides = [(repo.compiled(p.id, did), repo.params(p.id, mp, day)) for repo, p in ((old, a), (new, b))]
    except PolicyError:
        return None  # a side that does not compile is reported by `validate`, not here
    space = domains(b.decisions[did], a.decisions[did], b, [params for _, params in sides], sides[1][0], day, mp)
    if space is None:
        return None
    tried = changed = resting = 0
    shown: list[Answer] = []
    seen: dict[str, list[Any]] = {name: [] for name in space}
    # each changed answer is explained (the slow path) when its side has any assumption to rest on:
    # the counts say how many of them, shown or not, rest on one
    was, now = [
        (repo.resolve(p.id, mp, day), *side) if _may_rest(p, mp) else None
        for (repo, p), side in zip(((old, a), (new, b)), sides)
    ]
    names: set[str] = set()
    for inputs in _sample(space, CAP):
        tried += 1
        answers = [_answer(compiled, inputs, params, day) for compiled, params in sides]
        if not _same_answer(*answers):
            changed += 1
            for name in space:
                seen[name] = _unique([*seen[name], inputs.get(name, _OMIT)])
            found = [rests_on(x, inputs, *side) if side else () for x, side in zip(answers, (was, now))]
            if found[0] or found[1]:
                resting += 1
                names.update(n for rests in found for n, _ in rests)
            if len(shown) < 50 * SHOWN:
                shown.append(Answer(inputs, answers[0], answers[1], *found))
    only = tuple(
        (n, _in_order(tuple(None if v is _OMIT else v for v in seen[n])))
        for n in space
        if changed and len(seen[n]) < len(space[n])
    )
    simplest = sorted(shown, key=lambda a: len(a.inputs))[:SHOWN]  # the fewest inputs read best
    return OutcomeChanges(
        b.id, did, mp, day, tried, changed, tuple(simplest), _size(space) > CAP, only, (), resting, tuple(sorted(names))
    )


def _in_order(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Numbers from the smallest (`3, 4, 19, 20`, not the order they were tried in: `19, 20, 3, 4`),
    absent (None) last; values of another kind as they are (an enum's in its own order)."""
    present = [v for v in values if v is not None]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return values
    return (*sorted(present), *(v for v in values if v is None))


def _may_rest(prog: Program, mp: str) -> bool:
    """Whether any value of ``prog`` in ``mp`` (of any day) is an assumption, or a part or date of
    one: else no answer can rest on one, and none is explained."""
    return any(e.assumed for name in prog.parameters for e in prog.timeline(name, mp))


def _answer(compiled: Any, inputs: dict[str, Any], params: dict[str, Any], day: str) -> dict[str, Any]:
    result = compiled.decide(inputs, params, day)
    if not result.ok:
        return {"error": result.problems[0].message}
    return {"outputs": result.outputs, "matches": list(result.matches)}


def rests_on(
    answer: dict[str, Any], inputs: dict[str, Any], resolved: Any, compiled: Any, params: dict[str, Any]
) -> Rests:
    """The parameters ``answer`` read whose entry in force is an assumption (its value, a part of
    it, the day it took effect or the day it ends), with what of it is assumed, as `decide
    --explain` says it (its decision explained: ``engine.decisions.explain.reads``). An error
    answer too (a problem because of an assumed value is no more a fact than an answer); () for
    inputs the decision refuses (nothing was read)."""
    if "outputs" not in answer and compiled.validate_inputs(inputs):
        return ()
    return assumptions(reads(compiled.explain(inputs, params, resolved.at), resolved))


def _same_answer(x: dict[str, Any], y: dict[str, Any]) -> bool:
    if "error" in x or "error" in y:
        return x.get("error") == y.get("error")  # both invalid for the same reason: no change
    return same(x["outputs"], y["outputs"]) and x["matches"] == y["matches"]


_OMIT: Any = type("Omit", (), {"__repr__": lambda self: "(absent)"})()


def _sample(space: dict[str, list[Any]], cap: int) -> Iterator[dict[str, Any]]:
    """Every combination, or when there are more than ``cap`` an even spread over all of them (a
    prefix of the product would never move the first inputs)."""
    names = list(space)
    size = _size(space)
    if size <= cap:
        for values in itertools.product(*(space[n] for n in names)):
            yield {n: v for n, v in zip(names, values) if v is not _OMIT}
        return
    for i in range(cap):
        index, combo = i * size // cap, {}
        for n in reversed(names):
            index, digit = divmod(index, len(space[n]))
            if space[n][digit] is not _OMIT:
                combo[n] = space[n][digit]
        yield {n: combo[n] for n in names if n in combo}


def _size(space: dict[str, list[Any]]) -> int:
    size = 1
    for values in space.values():
        size *= max(len(values), 1)
    return size


# -- input domains -------------------------------------------------------------------------------------


def domains(
    new: Decision, old: Decision, prog: Program, params: list[dict[str, Any]], compiled: Any, day: str, mp: str
) -> dict[str, list[Any]] | None:
    """Values to try per input (inputs of both versions); None when a required input has none."""
    base = _base(prog, new.id, mp)
    space: dict[str, list[Any]] = {}
    shifted = [(dec, _shifted(dec)) for dec in (new, old)]
    for name, schema in new.inputs.items():
        if name not in old.inputs:
            continue
        values = (
            _finite(schema)
            or _numbers(name, shifted, schema, params, base)
            or _dates(name, new, old, schema, params, day)
        )
        if not values and name in base:
            values = [base[name]]
        optional = name not in new.required or name not in old.required
        if optional:
            values = [*values, _OMIT]
        if not values:
            return None
        space[name] = _unique(values)
    _add_edges(space, new, prog, params, compiled, day, base)
    return space


def _base(prog: Program, decision: str, mp: str) -> dict[str, Any]:
    cases = [c for c in prog.tests if c.decision == decision]
    mine = [c for c in cases if c.marketplace == mp] or cases
    return dict(mine[0].input) if mine else {}


def _finite(schema: Any) -> list[Any]:
    if not isinstance(schema, dict):
        return []
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return [True, False] if schema.get("type") == "boolean" else []


def _numbers(
    name: str,
    decisions: list[tuple[Decision, dict[str, Terms]]],
    schema: Any,
    params: list[dict[str, Any]],
    base: dict[str, Any],
) -> list[Any]:
    """Numbers an input is compared with (itself, or a `let` of it: ``_shifted``, each of both
    versions of the decision), and their neighbours, within the input's schema."""
    kind = declared.numeric(schema)
    if kind is None:
        return []
    found: list[float] = []
    for dec, shifted in decisions:
        for _, expr in tiers.expressions(dec):
            for var, bound in compared(expr.source):
                if var == name:
                    found += _threshold(bound, params)
                # a `let` that is this input, or it plus or minus a number: the input where it crosses
                found += [t - by for of, by in shifted.get(var, ()) if of == name for t in _threshold(bound, params)]
    step = 1 if kind == "integer" else 0.01
    values = [v for t in found for v in (t - step, t, t + step)]
    if name in base:
        values.append(base[name])
    values = [int(v) if kind == "integer" and float(v).is_integer() else v for v in values]
    return [v for v in values if _fits(v, schema)]


def _shifted(dec: Decision) -> dict[str, Terms]:
    """Each `let` whose value is an input or an input plus or minus a number, with the (input, what
    is added) it may be: `cpu_units if cpu_units is not none else units` may be either input,
    `units + 1` is units plus 1, and a `let` of such a `let` adds up. Any other `let` (a product, two
    inputs added, a call) is left out: where it crosses a bound is not one input's value."""
    key = (tuple(dec.inputs), tuple((name, expr.source) for name, expr in dec.let.items()))
    kept = _SHIFTED.get(key)  # (each day and marketplace of a diff asks again: parsed once)
    if kept is not None:
        return kept
    found: dict[str, Terms] = {}
    for name, expr in dec.let.items():  # (a `let` reads only those above it)
        tree = parse(expr.source)
        terms = _terms(tree, dec, found) if tree is not None else None
        if terms:
            found[name] = terms
    _SHIFTED.put(key, found)
    return found


_SHIFTED: Memo[dict[str, Terms]] = Memo(256)  # by the decision's inputs and `let`s


Terms = list[tuple[str, float]]  # (input, the number added to it)


def _terms(node: nodes.Node, dec: Decision, lets: dict[str, Terms]) -> Terms | None:
    """The (input, number added) ``node`` may be (``_shifted``); None when it is anything else."""
    if isinstance(node, nodes.Name):
        return [(node.name, 0)] if node.name in dec.inputs else lets.get(node.name)
    if isinstance(node, nodes.CondExpr):  # either branch's value; a constant one (`0`, `none`) crosses nothing
        found: Terms = []
        for branch in (node.expr1, node.expr2):
            terms = [] if branch is None or isinstance(branch, nodes.Const) else _terms(branch, dec, lets)
            if terms is None:
                return None
            found += terms
        return found or None
    if isinstance(node, (nodes.Add, nodes.Sub)):
        sign = 1 if isinstance(node, nodes.Add) else -1
        left, right = _number(node.left), _number(node.right)
        if right is not None:  # `x + 1`, `x - 1`
            inner = _terms(node.left, dec, lets)
            return None if inner is None else [(n, by + sign * right) for n, by in inner]
        if left is not None and sign == 1:  # `1 + x` (`1 - x` turns the input around: left out)
            inner = _terms(node.right, dec, lets)
            return None if inner is None else [(n, by + left) for n, by in inner]
    return None


def _number(node: nodes.Node) -> float | None:
    if isinstance(node, nodes.Neg):
        inner = _number(node.node)
        return None if inner is None else -inner
    if isinstance(node, nodes.Const) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    return None


def _dates(name: str, new: Decision, old: Decision, schema: Any, params: list[dict[str, Any]], day: str) -> list[str]:
    """For a date input used with a whole-number parameter (a length in days, say), the days that
    many days before and after ``day``, and their neighbours: where `days_between(d, at) < params.X`
    flips."""
    if not isinstance(schema, dict) or schema.get("format") != "date":
        return []
    spans: set[int] = set()
    for dec in (new, old):
        for _, expr in tiers.expressions(dec):
            if re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", expr.source):
                for param in re.findall(r"params\.([A-Za-z][A-Za-z0-9_]*)", expr.source):
                    spans |= {
                        v for p in params for v in [p.get(param)] if isinstance(v, int) and not isinstance(v, bool)
                    }
    start = parse_date(day)
    found = [day] if spans else []
    for n in sorted(spans)[:8]:
        for k in (n - 1, n, n + 1):
            for sign in (-1, 1):
                try:
                    found.append((start + _dt.timedelta(days=sign * k)).isoformat())
                except OverflowError:
                    continue
    return found


def _threshold(bound: str, params: list[dict[str, Any]]) -> list[float]:
    if not bound.startswith("params."):
        return [float(bound)]
    values = []
    for p in params:
        value: Any = p
        for key in bound.split(".")[1:]:
            value = value.get(key) if isinstance(value, dict) else None
        values.append(value)
    return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    low, high = schema.get("minimum"), schema.get("maximum")
    return (low is None or value >= low) and (high is None or value <= high)


def _add_edges(
    space: dict[str, list[Any]],
    dec: Decision,
    prog: Program,
    params: list[dict[str, Any]],
    compiled: Any,
    day: str,
    base: dict[str, Any],
) -> None:
    """Inputs that put each tiered value just below, at and above every band edge of both versions."""
    start = {n: v[0] for n, v in space.items() if v and v[0] is not _OMIT}
    start.update(base)
    for site in tiers.sites(dec, tiers.tiered(prog)):
        vary = next(iter(boundaries.candidates(dec, site.arg, set(prog.parameters))), None)
        if vary is None or vary not in space:
            continue
        value = boundaries.value_fn(compiled, dec, site.arg, params[-1], day)
        if value is None:
            continue
        edges = {
            b["up_to"]
            for p in params
            for b in (p.get(site.parameter) or [])[:-1]
            if isinstance(b, dict) and b.get("up_to") is not None
        }
        for edge in sorted(edges):
            for _, inputs, _ in boundaries.find_points(dec, vary, start, edge, value) or ():
                space[vary] = _unique([*space[vary], inputs[vary]])


def _unique(values: list[Any]) -> list[Any]:
    found: list[Any] = []
    for v in values:
        if not any(v is w or (type(v) is type(w) and v == w) for w in found):
            found.append(v)
    return found
