"""Tier calls in decisions: where a decision reads a `tiers: true` parameter through `tier()`.

Coverage (which band a case reached) and boundary checks (does the decision agree with the band
table at each edge) both need the value a decision looks up in a band list. Instead of recording
calls inside the engine, each call site `tier(params.NAME, ARG)` is found in the expression text
and ARG is compiled on its own with the engine's expression compiler, so it can be evaluated for
any inputs. Bands handed to `tier()` through a `let` (`tier(bands, x)`) are not recognised.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.decisions.expr import Scope, check
from engine.decisions.pycode import standalone
from engine.model.policy import Decision, Expr, Program
from engine.problems import Pos

if TYPE_CHECKING:
    from engine.model.repository import Repository

_CALL = re.compile(r"""\btier\(\s*params(?:\.([A-Za-z][A-Za-z0-9_]*)|\[\s*["']([A-Za-z][A-Za-z0-9_]*)["']\s*\])\s*,""")

# Where an expression sits in a decision: ("let", name) | ("when", rule) | ("then", rule, output)
# | ("default", output). Coverage uses it to know whether a case evaluated the call.
Where = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Site:
    """One `tier(params.PARAMETER, ARG)` call."""

    parameter: str
    arg: str  # source text of the value looked up
    where: Where
    pos: Pos


@dataclass(frozen=True, slots=True)
class Band:
    """One band of one timeline entry, with the position of its item in the file."""

    index: int
    over: Any
    up_to: Any
    item: dict[str, Any]
    pos: Pos

    def label(self) -> str:
        low = "" if self.over is None else f"over {_num(self.over)}"
        high = "" if self.up_to is None else f"up to {_num(self.up_to)}"
        return f"band {self.index + 1} ({', '.join(p for p in (low, high) if p) or 'all values'})"


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def expressions(decision: Decision) -> Iterator[tuple[Where, Expr]]:
    for name, expr in decision.let.items():
        yield ("let", name), expr
    for rule in decision.rules:
        if rule.when is not None:
            yield ("when", rule.id), rule.when
        for out, value in rule.then.items():
            if isinstance(value, Expr):
                yield ("then", rule.id, out), value
    for out, value in (decision.default or {}).items():
        if isinstance(value, Expr):
            yield ("default", out), value


def sites(decision: Decision, tiered: set[str]) -> list[Site]:
    """Every `tier(params.X, ...)` call on a `tiers: true` parameter X, in file order."""
    found = []
    for where, expr in expressions(decision):
        for match in _CALL.finditer(expr.source):
            name = match.group(1) or match.group(2)
            arg = _argument(expr.source, match.end())
            if name in tiered and arg:
                found.append(Site(name, arg, where, expr.pos))
    return found


def _argument(source: str, start: int) -> str:
    """The text from ``start`` to the `)` closing the call (brackets and quotes respected)."""
    depth, quote, i = 0, "", start
    while i < len(source):
        ch = source[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                return source[start:i].strip() if ch == ")" else ""
            depth -= 1
        elif ch == "," and depth == 0:
            return ""  # a third argument: not a call we understand
        i += 1
    return ""


def tiered(program: Program) -> set[str]:
    return {name for name, p in program.parameters.items() if p.tiers}


Evaluator = Callable[[dict[str, Any], dict[str, Any], str, dict[str, Any]], Any]


def evaluator(decision: Decision, source: str, params: set[str], pos: Pos) -> tuple[Evaluator | None, frozenset[str]]:
    """Compile ``source`` in the decision's scope: fn(inputs, params, at, env) and the names it reads."""
    scope = Scope(frozenset(decision.inputs), frozenset(decision.let), frozenset(params))
    checked, problems = check(Expr(source, pos), scope)
    if checked is None or problems:
        return None, frozenset()
    return standalone(checked, "<tiered value>"), checked.names


def band_of(bands: list[Any], x: Any) -> int | None:
    """Index of the band with over < x <= up_to (a None bound is open): the table's own answer."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    for i, band in enumerate(bands):
        if not isinstance(band, dict):
            return None
        over, up_to = band.get("over"), band.get("up_to")
        if (over is None or x > over) and (up_to is None or x <= up_to):
            return i
    return None


def bands(repo: Repository, value: list[Any], value_pos: Pos) -> list[Band]:
    """The bands of one timeline value, each with its item's position (for `file:line` listings)."""
    doc = repo._documents.get(value_pos.file)
    path = None
    if doc is not None:
        path = next(
            (p for p, lc in doc.positions.items() if lc == (value_pos.line, value_pos.col) and p and p[-1] == "value"),
            None,
        )
    found = []
    for i, item in enumerate(value if isinstance(value, list) else []):
        pos = doc.pos(path + (i,)) if doc is not None and path is not None else value_pos
        item = item if isinstance(item, dict) else {}
        found.append(Band(i, item.get("over"), item.get("up_to"), item, pos))
    return found
