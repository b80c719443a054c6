"""The explaining path: a decision evaluated expression by expression.

Slower than the generated function, and only run when asked (`--explain`, ``DecisionResult.explain``)
or when the generated function failed: it says which row and which expression failed (D005),
which rows were tried, the `let` values and the parameters read.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from engine.decisions import blame
from engine.decisions.pycode import Checked, Out, Row, expressions
from engine.decisions.result import DecisionResult, decision_result, evaluated
from engine.decisions.runtime import EvalError, own
from engine.model.clock import LINES_KEY, RESOLVED_KEY, SEEN_KEY, ZONE_KEY
from engine.model.policy import copied, detached, until_json
from engine.problems import Pos, Problem, shown_path

if TYPE_CHECKING:
    from engine.decisions.answer import CompiledDecision
    from engine.model.policy import Entry


@dataclass(frozen=True, slots=True)
class RowTrace:
    """One row tried: its condition and whether it matched (None: the condition failed)."""

    id: str
    pos: Pos
    condition: str | None
    matched: bool | None


@dataclass(frozen=True, slots=True)
class Explanation:
    """How a decision answered (``DecisionResult.explain()``): its result, the rows tried in order
    (``RowTrace``: each with its condition and whether it matched), the `let` values and the
    parameters read, the day it answered for (``at``) and the marketplace's time zone
    (``time_zone``), and what each parameter read is (``read``: a ``Read`` each, with the entry in
    force, its source or assumption, and the entry that follows it). What it
    holds is the caller's: a list or a dict among the values is a copy of what decisions read.
    ``to_json()``: what `policyctl decide --explain --format json` prints for the same question."""

    result: DecisionResult
    rows: tuple[RowTrace, ...]  # in order, up to the deciding row for `first`
    lets: dict[str, Any]
    params: dict[str, Any]  # parameters read, by name (their places: ``to_json``)
    # (name, day, value) of each parameter read on another day (`param_on`), in the order first read
    params_on: tuple[tuple[str, str, Any], ...] = ()
    at: str | None = None  # the day answered for, in the marketplace's time zone
    time_zone: str | None = None
    # what each parameter read is (``reads``): the places ``to_json`` gives; None: not known (a
    # decision asked with bare parameters), and ``to_json`` gives the values alone
    read: tuple[Read, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """The result's JSON with ``rows``, ``let``, ``params`` (each parameter read with its value,
        `from` file:line, `origin`, `source`, an assumption and what of it is assumed, `note`, `until`), ``params_on``
        (when `param_on` read any), ``at``, ``time_zone`` and ``rests_on`` (the parameters read that
        are assumptions): `decide --explain`'s answer, key for key."""
        when = {"at": self.at, "time_zone": self.time_zone}
        when = {k: v for k, v in when.items() if v is not None}
        if not evaluated(self.result):
            return refused_json(self.result, when)
        rows = [
            {"id": r.id, "at": f"{shown_path(r.pos.file)}:{r.pos.line}", "when": r.condition, "matched": r.matched}
            for r in self.rows
        ]
        body = {**self.result.to_json(), "rows": rows, "let": self.lets, "params": self.params}
        if self.params_on:
            body["params_on"] = [{"parameter": n, "on": day, "value": v} for n, day, v in self.params_on]
        if self.read is None:
            return {**body, **when}
        body.update(when)
        # each read with the entry in force when it was read (`param_on`'s: on its day), as diff and
        # the pages' worked examples judge what an answer rests on
        found = {(r.name, r.on): r for r in self.read}
        body["params"] = {
            key: _used(value, read)
            for key, value in self.params.items()
            if (read := found.get((key, None))) is not None
        }
        if self.params_on:
            body["params_on"] = [
                {"parameter": n, "on": day, **_used(v, read)}
                if (read := found.get((n, day))) is not None
                else {"parameter": n, "on": day, "value": v}
                for n, day, v in self.params_on
            ]
        # what the answer (or the problem it is) rests on that is an assumption, as `diff` marks it
        body["rests_on"] = [{"parameter": n, "assumed": list(a)} for n, a in assumptions(self.read)]
        return body


def refused_json(result: DecisionResult, when: Mapping[str, object]) -> dict[str, Any]:
    """What an explanation says of inputs refused before evaluating (``result``'s D004): the
    result's JSON with the day and the zone ``when`` gives (those known), no row tried and nothing
    read. ``Explanation.to_json`` writes it, and so does a batch's explained line, whose result
    keeps no parameters (``engine.decisions.batch``: the day from the line's resolved policy)."""
    return {**result.to_json(), **when, "rows": [], "let": {}, "params": {}, "rests_on": []}


def _used(value: Any, read: Read) -> dict[str, Any]:
    """A parameter the answer read, with its `file:line` and layer, its `source` (where it has
    one), and, when the value in force is an assumption (its value, its date, parts of it), the
    assumption and what it is about, and its `note` (where it has one), as `show --provenance`
    says: an answer never passes an assumption off as a sourced fact, and a client with no
    repository (the service's, a bundle's) reads where each value comes from and what its author
    says it means (a null that is "not stated", not "none"). A value that a change follows gives the day it ends
    (`until`), and the change's assumption when that day is one (the value may already have been
    replaced)."""
    entry = read.entry
    used = {"value": value, "from": f"{shown_path(entry.pos.file)}:{entry.pos.line}", "origin": read.origin}
    if entry.source:
        used["source"] = entry.source
    if entry.assumption:
        used["assumption"], used["assumed"] = entry.assumption, list(entry.assumed)
    if entry.note:  # what the author says a reader of the value should know ("null: not stated")
        used["note"] = entry.note
    if (until := until_json(read.until)) is not None:
        used["until"] = until
    return used


def explanation(
    result: DecisionResult,
    rows: tuple[RowTrace, ...],
    lets: dict[str, Any],
    read: dict[str, Any],
    params_on: tuple[tuple[str, str, Any], ...],
    params: Any,
    at: str | None,
) -> Explanation:
    """An ``Explanation`` of what an answer read from ``params`` (a decision's parameters) on
    ``at``: its values copied (the caller's to keep or change; ``params``' are what later
    answers read), with the day, the zone and what each parameter read is, where ``params`` says."""
    known = isinstance(params, dict)
    resolved = params.get(RESOLVED_KEY) if known else None
    explained = Explanation(
        result,
        rows,
        {k: copied(v) for k, v in lets.items()},
        {k: copied(v) for k, v in read.items()},
        tuple((n, d, copied(v)) for n, d, v in params_on),
        at,
        params.get(ZONE_KEY) if known else None,
    )
    if resolved is None or not evaluated(explained.result):
        return explained
    return replace(explained, read=reads(explained, resolved))


class Trace:
    """One run of the explaining path."""

    def __init__(self, compiled: CompiledDecision, inputs: dict[str, Any], params: dict[str, Any], at: str) -> None:
        self.c, self.inputs, self.params, self.at = compiled, inputs, params, at
        self.env: dict[str, Any] = {n: inputs.get(n) for n in compiled.decision.inputs}
        self.lets: dict[str, Any] = {}
        self.read: set[str] = set()
        self.rows: list[RowTrace] = []
        self.seen: list[tuple[str, str]] = []  # what `param_on` answered: (name, day)
        # the parameters read are those the expressions run actually read (`a and params.x` reads
        # none when `a` is false), not every one they name; `param_on` notes its own (``seen``)
        self.ctx = _Reading({**params, SEEN_KEY: self.seen}, self.read) if isinstance(params, dict) else params

    def run(self) -> Explanation:
        """The rows tried as the answer tries them (``engine.decisions.generate``), each `let`
        computed where it computes it: the same matches, outputs and problems, and the first
        failure met where the answer meets it."""
        c = self.c
        hits: list[int] = []
        collected: list[dict[str, Any]] = []  # a `collect` table's outputs, row by row as it matches
        for i, row in enumerate(c._rows):
            condition = row.when.expr.source if row.when else None
            if self._skipped(row):
                # a `when` that is always false (D002): the answer skips the row and computes none of
                # its lets (a `collect` row's outputs' lets would be computed before its condition)
                self.rows.append(RowTrace(row.rule.id, row.rule.pos, condition, False))
                continue
            # the lets as the fast function computes them: a `collect` row's outputs' lets before its condition
            failed = self._lets([row.when, *(expressions(row.outputs) if c._hit == "collect" else ())])
            matched: bool | Problem = True if failed is None else failed
            if failed is None and row.when is not None:
                value = self._eval(row.when, f"row `{row.rule.id}`, `when`")
                matched = value if isinstance(value, Problem) else bool(value)
            if isinstance(matched, Problem):
                self.rows.append(RowTrace(row.rule.id, row.rule.pos, condition, None))
                return self._done(self._fail(matched, []))  # (a failed condition: no match said)
            self.rows.append(RowTrace(row.rule.id, row.rule.pos, condition, matched))
            if not matched:
                continue
            hits.append(i)
            if c._hit == "first":
                break
            if c._hit == "collect":  # its outputs now, before the next row's condition, as the answer's
                outputs = self._outputs(row.outputs, f"row `{row.rule.id}`")
                if isinstance(outputs, Problem):
                    return self._done(self._fail(outputs, hits))
                collected.append(outputs)
        return self._done(self._result(hits, collected))

    def _skipped(self, row: Row) -> bool:
        """Whether the answer skips ``row``: its `when` reads nothing and is false, as
        ``engine.decisions.checks.unreachable`` finds when compiling (no code is generated for
        it). One that fails is not skipped: the answer evaluates it, and fails there."""
        if row.when is None or not row.when.constant:
            return False
        value = self._eval(row.when, f"row `{row.rule.id}`, `when`")
        return not isinstance(value, Problem) and not value

    def _result(self, hits: list[int], collected: list[dict[str, Any]]) -> DecisionResult:
        c, replay = self.c, (self.c, self.inputs, self.params, self.at)
        if c._hit == "unique" and len(hits) > 1:
            return c._answer(hits, {}, replay, (c._conflict(hits),))
        if not hits:
            outputs = None if c._default is None else self._outputs(c._default, "`default`")
            if isinstance(outputs, Problem):
                return self._fail(outputs, [])
            if outputs is None and c.decision.aggregate and c._hit == "collect":
                return c._collected([], [], replay)
            return decision_result(c.decision.id, outputs or {}, (), (), outputs is not None, (), replay)
        if c._hit == "collect":
            return c._collected(hits, collected, replay)
        outputs = self._outputs(c._rows[hits[0]].outputs, f"row `{c._rows[hits[0]].rule.id}`")
        if isinstance(outputs, Problem):
            return self._fail(outputs, hits)
        return c._answer(hits, outputs, replay)

    def _lets(self, exprs: Sequence[Checked | None]) -> Problem | None:
        """Compute the lets ``exprs`` need that are not computed yet (see ``Lazy``)."""
        for name, checked in self.c._lazy.needs(exprs):
            if name in self.lets:
                continue
            value = self._eval(checked, f"`let` `{name}`")
            if isinstance(value, Problem):
                return value
            self.env[name] = self.lets[name] = value
        return None

    def _outputs(self, outs: tuple[Out, ...], where: str) -> dict[str, Any] | Problem:
        failed = self._lets(expressions(outs))
        if failed is not None:
            return failed
        values: dict[str, Any] = {}
        for out in outs:
            if out.checked is None:
                values[out.name] = copy.deepcopy(out.value)
                continue
            value = self._eval(out.checked, f"{where}, output `{out.name}`")
            if isinstance(value, Problem):
                return value
            values[out.name] = own(value)  # (as the fast path's: a parameter's list is not handed out)
        return values

    def _eval(self, checked: Checked, where: str) -> Any:
        try:
            return self.c._explainer(checked)(self.inputs, self.ctx, self.at, self.env)
        except Exception as e:
            said = describe(e)
            named = self._none(checked) if blame.about_none(said) else None
            if named is None:
                return Problem.at(checked.expr.pos, "D005", f"{where}: `{checked.expr.source}` failed: {said}")
            what, hint = named
            return Problem.at(
                checked.expr.pos, "D005", f"{where}: `{checked.expr.source}` failed: {said}; {what}", hint
            )

    def _none(self, checked: Checked) -> tuple[str, str] | None:
        """Which value that ``checked`` read was none where it failed, and a hint (engine.decisions.blame)."""
        # the values as it read them; parameters read again are not noted as read (`param_on`'s either)
        params = {**self.params, SEEN_KEY: []} if isinstance(self.params, dict) else self.params
        env = {n: self.env[n] for n in checked.names if n in self.env}
        return blame.none_operand(checked.python, self.inputs, params, self.at, env, frozenset(self.lets))

    def _fail(self, problem: Problem, hits: list[int]) -> DecisionResult:
        return self.c._answer(hits, {}, (self.c, self.inputs, self.params, self.at), (problem,))

    def _done(self, result: DecisionResult) -> Explanation:
        read = {n: self.params.get(n) for n in sorted(self.read)}
        on = tuple(dict.fromkeys(self.seen))
        lines = self.params.get(LINES_KEY, {}) if isinstance(self.params, dict) else {}
        on_days = tuple((n, d, _on(lines[n], d)) for n, d in on)
        return explanation(result, tuple(self.rows), self.lets, read, on_days, self.params, self.at)


class _Reading(dict[str, Any]):
    """A decision's parameters, noting each name an expression reads (`params.NAME`) into ``read``."""

    def __init__(self, values: dict[str, Any], read: set[str]) -> None:
        super().__init__(values)
        self.read = read

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        self.read.add(key)
        return value


# (parameter, what of the entry in force is an assumption: `value`, `date`, JSON Pointers to parts,
# `until`: the day the next value takes its place)
Rests = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class Read:
    """A parameter an answer read, with the entry in force when it read it and that entry's layer
    (``origin``, as `show --provenance` says it)."""

    name: str
    on: str | None  # the day `param_on` read it on; None: the answer's own day (`params.NAME`)
    value: Any
    entry: Entry
    origin: str
    # the entry that follows it (its value from its day on); None when none does
    until: Entry | None = None

    @property
    def assumed(self) -> tuple[str, ...]:
        """What of the entry in force is an assumption: its value (`value`), parts of it (JSON
        Pointers), the day it took effect (`date`, only for a dated change), or the day it ends
        (`until`: the next value's day is assumed, so the value read may no longer be the one in
        force); () for none."""
        entry = self.entry
        found = tuple(a for a in entry.assumed if a != "date" or entry.date_assumed)
        return (*found, "until") if self.until is not None and self.until.date_assumed else found


def reads(explained: Explanation, resolved: Any) -> tuple[Read, ...]:
    """What an explained answer read, each with the entry in force then: the parameters it read on
    its own day (``resolved``'s), then each it read on another day by `param_on` (the entry in
    force on that day, not the whole timeline, and the entry that follows it). ``resolved``: a
    repository's or a bundle's (``entries``, ``origin``, ``entry_on``, ``following``). The one answer to "what did this answer read, and is
    any of it an assumption" for `decide --explain`, `diff` and the pages' worked examples."""
    found = [
        Read(n, None, v, detached(resolved.entries[n]), resolved.origin(n), resolved.following(n, resolved.at))
        for n, v in explained.params.items()
        if n in resolved.entries
    ]
    for name, day, value in explained.params_on:
        if name in resolved.entries:
            entry, origin = resolved.entry_on(name, day)
            found.append(Read(name, day, value, entry, origin, resolved.following(name, day)))
    return tuple(found)


def assumptions(found: Iterable[Read]) -> Rests:
    """The parameters among ``found`` whose entry in force is an assumption, by name, with what of
    it is assumed (a name read on several days: each assumption once, in the order read)."""
    by_name: dict[str, tuple[str, ...]] = {}
    for r in found:
        if r.assumed:
            by_name[r.name] = tuple(dict.fromkeys([*by_name.get(r.name, ()), *r.assumed]))
    return tuple(sorted(by_name.items()))


def _on(line: Any, day: str) -> Any:
    """The value of a timeline ((start, value), ...) on ``day``, as `param_on` reads it."""
    chosen = line[0][1]
    for start, value in line[1:]:
        if start is not None and start <= day:
            chosen = value
    return chosen


def describe(error: BaseException) -> str:
    """An evaluation error in the words of policy authors, not of Python's type names."""
    if isinstance(error, EvalError):
        return str(error)
    if isinstance(error, ZeroDivisionError):
        return "division by zero"
    if isinstance(error, KeyError):
        return f"no value for parameter `{error.args[0]}`"
    if isinstance(error, RecursionError):
        return "too deeply nested"
    text = str(error)
    for python, ours in (
        ("NoneType", "none"),
        ("int", "number"),
        ("float", "number"),
        ("str", "string"),
        ("dict", "mapping"),
        ("list", "list"),
        ("tuple", "list"),
        ("bool", "boolean"),
    ):
        text = text.replace(f"'{python}'", ours)
    text = re.sub(r"^'([^']+)' not supported", r"`\1` is not supported", text)
    return text.replace("instances of ", "").replace("operand type(s) for ", "operand types for ")
