"""Compiling a decision: its expressions checked and compiled, the table checked, one function generated.

The stages, one module each: expressions are parsed and checked by ``engine.decisions.expr``
(Jinja2's parser; only here, never to answer), rows and `let` values are compiled below, the table
is checked as a whole by ``engine.decisions.checks`` (D002, D003, D005), its Python source written
by ``engine.decisions.generate``, and the result is a ``CompiledDecision``
(``engine.decisions.answer``), which answers, and explains (``engine.decisions.explain``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from engine.decisions.answer import CompiledDecision
from engine.decisions.checks import check_constants, check_folding, unreachable
from engine.decisions.generate import generate, generate_row_of
from engine.decisions.pycode import Checked, Out, Row
from engine.decisions.result import DecisionResult
from engine.model.policy import Decision, Expr, Rule
from engine.problems import Problem
from engine.problems.hints import Suggester

if TYPE_CHECKING:  # (at run time through __getattr__ below, when asked for)
    from engine.decisions.explain import Explanation, RowTrace, describe

# the names this module had before it was split by stage, for code that imports them from here
__all__ = ["CompiledDecision", "DecisionResult", "Explanation", "RowTrace", "compile_decision", "describe"]
_Out, _Row = Out, Row


def __getattr__(name: str) -> Any:
    """Explaining's names, imported when asked for: `validate` and `build` compile every decision
    and explain none (engine.decisions.explain costs a few milliseconds of a cold start)."""
    if name in ("Explanation", "RowTrace", "describe"):
        from engine.decisions import explain

        return getattr(explain, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def compile_decision(
    decision: Decision,
    param_names: set[str],
    param_schemas: Mapping[str, object] | None = None,
    text: str | None = None,
) -> tuple[CompiledDecision | None, list[Problem]]:
    """Check a decision and compile it; None when any problem is an error. ``param_schemas``: the
    parameters' schemas, by name (a `format: date-time` one is a date-time, as an input's is);
    ``text``: its file's text when that is not the file on disk (an editor's buffer), where its
    problems are placed."""
    from engine.decisions.expr import Scope  # the parser (Jinja2): only to compile, never to answer

    problems: list[Problem] = []
    params = frozenset(param_names)
    inputs = frozenset(decision.inputs)
    hints = Suggester()  # (the hints of all its expressions: engine.problems.hints)
    dated = moments(decision)  # with the `let`s that hold a date-time, as they are compiled
    untyped: set[str] = set()  # and those that hold a value of no declared type
    days: dict[str, str] = {}  # and those that hold a day, or a list of days
    known = param_schemas or {}
    lets = _compile_lets(decision, inputs, params, problems, hints, dated, untyped, days, known, text)
    scope = Scope(
        inputs,
        frozenset(decision.let),
        params,
        moments=dated,
        schemas=decision.inputs,
        hints=hints,
        param_schemas=known,
        text=text,
        untyped=untyped,
        days=days,
    )
    rows = [_compile_row(rule, scope, problems) for rule in decision.rules]
    default = None if decision.default is None else _compile_outputs(decision.default, scope, problems)
    never = unreachable(decision, rows, problems)
    check_constants(decision, rows, default, problems)
    check_folding(lets, rows, default, problems)
    problems.sort(key=Problem.sort_key)
    if any(p.severity == "error" for p in problems):
        return None, problems
    constants: dict[str, Any] = {}
    source = generate(decision, lets, rows, default, never, constants)
    row_source = generate_row_of(decision, lets, rows, default, never) if decision.hit == "first" else None
    return CompiledDecision(decision, lets, rows, default, source, constants, row_source), problems


def moments(decision: Decision) -> dict[str, str]:
    """The inputs that are date-times (`format: date-time`, through `$ref`, `allOf`, `anyOf` and `oneOf`
    too: ``engine.decisions.datetimes.date_time``), written
    with any offset: comparing them as text is refused (``engine.decisions.expr.Scope.moments``)."""
    from engine.decisions.datetimes import moments as dated

    return dated(decision.inputs)


def _compile_lets(
    decision: Decision,
    inputs: frozenset[str],
    params: frozenset[str],
    problems: list[Problem],
    hints: Suggester,
    dated: dict[str, str],
    untyped: set[str],
    days: dict[str, str],
    param_schemas: Mapping[str, object],
    text: str | None,
) -> list[tuple[str, Checked]]:
    """The `let`s compiled in order; each that holds a date-time is added to ``dated`` for those
    below it and the rows, each that holds a value of no declared type to ``untyped``, each that
    holds a day or a list of days to ``days``."""
    from engine.decisions.expr import RESERVED, Scope, check

    names = list(decision.let)
    order = {name: i for i, name in enumerate(names)}
    lets: list[tuple[str, Checked]] = []
    for i, (name, expr) in enumerate(decision.let.items()):
        if not _NAME.match(name) or name in RESERVED or name in inputs:
            why = (
                "hides the input of that name"
                if name in inputs
                else "is reserved"
                if name in RESERVED
                else "is not a valid name"
            )
            problems.append(Problem.at(expr.pos, "E002", f"`let` name `{name}` {why}", "choose another name"))
            continue
        scope = Scope(
            inputs,
            _Lets(names, order, 0, i),
            params,
            _Lets(names, order, i, len(names)),
            names[i],
            dated,  # (the `let`s above this one: it is added below once compiled)
            decision.inputs,
            hints,
            param_schemas,
            text,
            untyped,
            days,
        )
        checked, found = check(expr, scope)
        problems += found
        if checked is not None:
            lets.append((name, checked))
            if checked.instant:
                dated[name] = checked.instant
            if checked.untyped:
                untyped.add(name)
            if checked.day:
                days[name] = checked.day
    return lets


class _Lets(AbstractSet[str]):
    """The `let` names from the ``start``-th to before the ``stop``-th, in constant time and space:
    a set of them for each `let` (those above it, those below) cost the square of their number
    (50,000 `let`s: over a minute of `validate`)."""

    def __init__(self, names: list[str], order: dict[str, int], start: int, stop: int) -> None:
        self.names, self.order, self.start, self.stop = names, order, start, stop

    def __contains__(self, name: object) -> bool:
        at = self.order.get(name) if isinstance(name, str) else None
        return at is not None and self.start <= at < self.stop

    def __iter__(self) -> Iterator[str]:
        return iter(self.names[self.start : self.stop])

    def __len__(self) -> int:
        return self.stop - self.start


def _compile_row(rule: Rule, scope: Any, problems: list[Problem]) -> Row:
    from engine.decisions.expr import check

    when = None
    if rule.when is not None:
        when, found = check(rule.when, scope)
        problems += found
    return Row(rule, when, _compile_outputs(rule.then, scope, problems))


def _compile_outputs(then: dict[str, Any], scope: Any, problems: list[Problem]) -> tuple[Out, ...]:
    from engine.decisions.expr import check

    outs = []
    for name, value in then.items():
        if not isinstance(value, Expr):
            outs.append(Out(name, value))
            continue
        checked, found = check(value, scope)
        problems += found
        if checked is not None:
            outs.append(Out(name, None, checked))
    return tuple(outs)
