"""Generated boundary checks: does a decision agree with its band table at every band edge?

For a `tiers: true` parameter, a decision that hand-codes a band edge (`cpu < 5` where the table
says `up_to: 5`) or reads a band edited out from under it answers wrongly only *at* the edge,
which hand-written cases rarely hit. For every edge b (`up_to` of each band but the last) the
checker finds inputs that put the tiered value just below b, at b and just above b, evaluates
the decision and compares the outputs that report the band with the band the table gives (T003).

A plan says which value is tiered, which input to move, and which outputs report the band:
- declared on a test case (`boundaries: {parameter, vary, value, outputs}`), whose inputs are the
  starting point; the check then covers whichever row answers;
- or derived from each `tier(params.X, ARG)` call: ARG is the value, the input moved is ARG itself
  or a numeric input it is computed from, and only rows that read the value are checked, for
  outputs that are a band's key read directly or a constant named like a band key.
Inputs are found by bisection on the moved input, assuming the value is monotonic in it near b.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.decisions import tiers
from engine.model.policy import Decision, Expr, Rule, TestCase
from engine.model.repository import Repository
from engine.policytests import declared
from engine.policytests.cases import Outcome, case_index, same, show
from engine.policytests.declared import numeric
from engine.problems import PolicyError, Pos, Problem

_Value = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Plan:
    case: TestCase
    parameter: str
    value: str  # expression text of the tiered value
    vary: str  # the input moved across each edge
    outputs: dict[str, str]  # output -> band key (declared plans)
    declared: bool
    pos: Pos


# -- plans ---------------------------------------------------------------------------------------------


def plan_declared(repo: Repository, case: TestCase) -> Plan | None:
    """The plan a case's `boundaries:` declares; None when it declares none, or one that names
    what its program or decision lacks: those mistakes are the repository's problems
    (engine.policytests.declared, which `validate` and `test` report at the name), said once."""
    doc = repo._documents.get(case.pos.file)
    prog = repo.programs.get(case.program)
    dec = prog.decisions.get(case.decision) if prog is not None else None
    if doc is None or prog is None or dec is None:
        return None  # (a case naming no decision of its program: T002 at its `decision:`)
    index = case_index(doc, case)
    if index is None:
        return None
    spec, _ = declared.read(doc, index, prog, dec)
    if spec is None:
        return None
    return Plan(case, spec.parameter, spec.value, spec.vary, spec.outputs, True, spec.pos)


def plans(repo: Repository, selected: list[TestCase]) -> list[Plan]:
    """Declared plans of the selected cases, then derived ones for decisions without a declaration."""
    found = [plan for plan in (plan_declared(repo, case) for case in selected) if plan is not None]
    covered = {(p.case.program, p.case.decision, p.parameter) for p in found}
    for case in selected:
        found += [p for p in _derived(repo, case) if (case.program, case.decision, p.parameter) not in covered]
    return _dedupe(found)


def _dedupe(found: list[Plan]) -> list[Plan]:
    """One derived plan per decision, parameter, value and marketplace: the first case that works."""
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for plan in found:
        key = (plan.case.program, plan.case.decision, plan.parameter, plan.value, plan.case.marketplace)
        if plan.declared or key not in seen:
            seen.add(key)
            kept.append(plan)
    return kept


def _derived(repo: Repository, case: TestCase) -> list[Plan]:
    prog = repo.programs[case.program]
    dec = prog.decisions.get(case.decision)
    if dec is None:
        return []
    found = []
    for site in tiers.sites(dec, tiers.tiered(prog)):
        for vary in candidates(dec, site.arg, set(prog.parameters)):
            found.append(Plan(case, site.parameter, site.arg, vary, {}, False, case.pos))
            break
    return found


def candidates(dec: Decision, value: str, params: set[str]) -> list[str]:
    """Numeric inputs the value is computed from (through `let`s), in the decision's input order."""
    if value in dec.inputs:
        return [value] if numeric(dec.inputs[value]) else []
    _, names = tiers.evaluator(dec, value, params, dec.pos)
    reached, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        if name in dec.let:
            todo += tiers.evaluator(dec, dec.let[name].source, params, dec.pos)[1]
    return [n for n in dec.inputs if n in reached and numeric(dec.inputs[n])]


# -- checking ------------------------------------------------------------------------------------------


def check(repo: Repository, plan: Plan) -> list[Outcome]:
    """One outcome per band edge of the plan (none for a derived plan that cannot be applied)."""
    case, prog = plan.case, repo.programs[plan.case.program]
    dec = prog.decisions[case.decision]
    try:
        compiled = repo.compiled(prog.id, dec.id)
        params = repo.params(prog.id, case.marketplace, case.at)
    except PolicyError as e:
        return [_outcome(plan, None, problems=tuple(e.problems))] if plan.declared else []
    value = value_fn(compiled, dec, plan.value, params, case.at)
    if value is None:
        return (
            [
                _outcome(
                    plan,
                    None,
                    problems=(
                        Problem.at(plan.pos, "T002", f"`{plan.value}` is not an expression `{dec.id}` can evaluate"),
                    ),
                )
            ]
            if plan.declared
            else []
        )
    bands = params[plan.parameter]
    edges = [b["up_to"] for b in bands[:-1] if isinstance(b, dict) and b.get("up_to") is not None]
    found = []
    for edge in edges:
        outcome = _edge(repo, plan, dec, compiled, params, bands, edge, value)
        if outcome is not None:
            found.append(outcome)
    return found


def value_fn(compiled: Any, dec: Decision, source: str, params: dict[str, Any], at: str) -> _Value | None:
    """The tiered value as a function of the inputs (``let``s evaluated through the explaining path)."""
    fn, names = tiers.evaluator(dec, source, set(params), dec.pos)
    if fn is None:
        return None
    needs_lets = any(n in dec.let for n in names)

    def value(inputs: dict[str, Any]) -> Any:
        env = {n: inputs.get(n) for n in dec.inputs}
        if needs_lets:
            env.update(compiled.explain(inputs, params, at).lets)
        try:
            result = fn(inputs, params, at, env)
        except Exception:  # a policy expression may fail in any way: no value to check
            return None
        return result if isinstance(result, (int, float)) and not isinstance(result, bool) else None

    return value


def _edge(
    repo: Repository,
    plan: Plan,
    dec: Decision,
    compiled: Any,
    params: dict[str, Any],
    bands: list[Any],
    edge: float,
    value: _Value,
) -> Outcome | None:
    points = find_points(dec, plan.vary, dict(plan.case.input), edge, value)
    if points is None:
        if not plan.declared:
            return None
        problem = Problem.at(
            plan.pos,
            "T003",
            f"cannot put `{plan.value}` at {edge} by moving `{plan.vary}` from the case's inputs",
            "choose other inputs, or declare `vary`",
        )
        return _outcome(plan, edge, problems=(problem,))
    problems, notes, checked = [], [], 0
    for label, inputs, v in points:
        result = compiled.decide(inputs, params, plan.case.at, where=plan.pos)
        if not result.ok:
            problems += result.problems
            continue
        index = tiers.band_of(bands, v)
        row = next((r for r in dec.rules if r.id in result.matches), None)
        checks = plan.outputs if plan.declared else _band_outputs(dec, row, plan, params)
        moved = "" if plan.value == plan.vary else f"{plan.vary} = {show(inputs[plan.vary])}, "
        notes.append(
            f"{label}: {moved}{plan.value} = {show(v)}, band {index + 1 if index is not None else '?'}, "
            f"row {row.id if row else '(default)'}"
        )
        checked += len(checks)
        problems += _disagreements(plan, dec, row, result.outputs, bands, index, v, checks)
    if not checked and not problems and not plan.declared:
        return None  # no row near this edge reports the band: nothing was checked, so no test
    return _outcome(plan, edge, problems=tuple(problems), notes=tuple(notes))


def _disagreements(
    plan: Plan,
    dec: Decision,
    row: Rule | None,
    outputs: dict[str, Any],
    bands: list[Any],
    index: int | None,
    v: Any,
    checks: dict[str, str],
) -> list[Problem]:
    where = row.pos if row is not None else dec.pos
    if index is None:
        return [Problem.at(where, "T003", f"no band of `{plan.parameter}` contains {show(v)}")]
    band = bands[index]
    found = []
    for out, key in checks.items():
        got = outputs.get(out)
        wanted = band.get(key)
        agrees = (
            any(same(wanted, g) for g in got) if dec.hit == "collect" and isinstance(got, list) else same(wanted, got)
        )
        if not agrees:
            found.append(
                Problem.at(
                    where,
                    "T003",
                    f"at {plan.value} = {show(v)} {'row `' + row.id + '`' if row else 'the default'} "
                    f"gives {out} = {show(got)}, but the table puts {show(v)} in band {index + 1} "
                    f"of `{plan.parameter}`, whose {key} is {show(wanted)}",
                    "compare the row's condition (`<` or `<=`?) with the band's `over`/`up_to`",
                )
            )
    return found


_DIRECT = re.compile(r"""\A\s*(.+?)\s*(?:\.([A-Za-z][A-Za-z0-9_]*)|\[\s*["']([A-Za-z][A-Za-z0-9_]*)["']\s*\])\s*\Z""")


def _band_outputs(dec: Decision, row: Rule | None, plan: Plan, params: dict[str, Any]) -> dict[str, str]:
    """Derived plans: outputs of the answering row that report the band (see the module docstring)."""
    if row is None:
        return {}
    keys = {k for band in params[plan.parameter] if isinstance(band, dict) for k in band}
    band_lets = {n for n, e in dec.let.items() if _is_call(e.source, plan)}
    reads_value = row.when is not None and _reads(row.when.source, plan.value)
    found = {}
    for out, val in row.then.items():
        if isinstance(val, Expr):
            m = _DIRECT.match(val.source)
            if m and (m.group(1).strip() in band_lets or _is_call(m.group(1), plan)):
                found[out] = m.group(2) or m.group(3)
        elif reads_value and out in keys:
            found[out] = out  # a constant in a row that tests the value: a hand-coded band
    return found


def _is_call(source: str, plan: Plan) -> bool:
    text = source.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    return (
        re.fullmatch(rf"tier\(\s*params\.{plan.parameter}\s*,\s*{re.escape(plan.value)}\s*\)", text.strip()) is not None
    )


def _reads(source: str, name: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", source) is not None


def _outcome(
    plan: Plan, edge: float | None, problems: tuple[Problem, ...] = (), notes: tuple[str, ...] = ()
) -> Outcome:
    case = plan.case
    at = "" if edge is None else f" at {tiers._num(edge)}"
    name = f"boundaries of {plan.parameter}{at} ({case.marketplace}, from `{case.name}`)"
    context = (
        f"{case.program}.{case.decision} · {case.marketplace} · {case.at} · moving {plan.vary} "
        f"from input {show(case.input)}"
    )
    return Outcome(
        name, case.program, case.decision, plan.pos, context, problems=problems, notes=notes, kind="boundary"
    )


# -- finding inputs ------------------------------------------------------------------------------------


def find_points(
    dec: Decision, vary: str, base: dict[str, Any], edge: float, value: _Value
) -> list[tuple[str, dict[str, Any], Any]] | None:
    """Inputs (``base`` with ``vary`` moved) putting the value just below, at (when reachable) and
    just above ``edge``, each with its label and the value there."""
    schema = dec.inputs[vary]
    integer = numeric(schema) == "integer"
    low, high = _domain(schema, integer)

    def at(x: float) -> tuple[dict[str, Any], Any]:
        inputs = {**base, vary: int(x) if integer else x}
        return inputs, value(inputs)

    start = base.get(vary)
    start = start if isinstance(start, (int, float)) and not isinstance(start, bool) else max(low, min(high, 0))
    sides = _bracket(lambda x: at(x)[1], start, integer, low, high, edge)
    if sides is None:
        return None
    under, over = sides
    first = _bisect(lambda x: _cmp(at(x)[1], edge, ge=True), under, over, integer)
    second = _bisect(lambda x: _cmp(at(x)[1], edge, ge=False), under, over, integer)
    if first is None or second is None:
        return None
    points = [("below", *at(first[0]))]
    if at(first[1])[1] == edge:
        points.append(("at", *at(first[1])))
    points.append(("above", *at(second[1])))
    return points


def _cmp(v: Any, edge: float, ge: bool) -> bool | None:
    if v is None:
        return None
    return bool(v >= edge) if ge else bool(v > edge)


def _domain(schema: dict[str, Any], integer: bool) -> tuple[float, float]:
    big = 2.0**53 if integer else 1e15
    low, high = schema.get("minimum", -big), schema.get("maximum", big)
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + 1 if integer else math.nextafter(schema["exclusiveMinimum"], math.inf)
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - 1 if integer else math.nextafter(schema["exclusiveMaximum"], -math.inf)
    if integer:
        return float(math.ceil(low)), float(math.floor(high))
    return float(low), float(high)


def _bracket(
    f: Callable[[float], Any], start: float, integer: bool, low: float, high: float, edge: float
) -> tuple[float, float] | None:
    """An input whose value is below ``edge`` and one whose value is above, searched outward from start."""
    under = over = None
    tried = [start] + [start + sign * 2.0**k for k in range(0, 60) for sign in (1, -1)]
    for x in tried:
        x = min(high, max(low, float(math.floor(x)) if integer else x))
        v = f(x)
        if v is None:
            continue
        if v < edge and under is None:
            under = x
        elif v > edge and over is None:
            over = x
        if under is not None and over is not None:
            return under, over
    return None


def _bisect(pred: Callable[[float], bool | None], a: float, c: float, integer: bool) -> tuple[float, float] | None:
    """Adjacent inputs p, q between a and c with pred(p) != pred(q); pred(a) != pred(c) is given."""
    pa = pred(a)
    if pa is None or pred(c) is None or pa == pred(c):
        return None
    for _ in range(2200):  # a double needs at most ~2100 halvings to reach a neighbour
        mid = a + (c - a) // 2 if integer else (a + c) / 2
        if mid in (a, c):
            return a, c
        pm = pred(mid)
        if pm is None:
            return None
        a, c = (mid, c) if pm == pa else (a, mid)
    return None
